// The admin page: reads /admin/stats every second and shows this node's figures, each
// with a plot of the last two minutes, its plugins' health, its busiest rooms and the
// cluster's nodes (as presence lists them). Plain JavaScript, nothing fetched from elsewhere (the admin listener
// is often on a network without internet access).
//
// Rates and latencies come from two answers a second apart: /admin/stats carries the
// raw counters of /metrics, so the page shows what Prometheus would compute, without a
// second set of numbers to keep in step on the server.
"use strict";

const TOKEN_KEY = "relay-admin-token"; // sessionStorage: this tab only, gone when closed
const POINTS = 120; // plot length: two minutes at one answer a second
const POLL_MS = 1000;

const $ = (selector) => document.querySelector(selector);

/** Sum of every series of a metric family ("relay_x" and "relay_x{...}"). */
function total(stats, family) {
  let sum = 0;
  let found = false;
  for (const [name, value] of Object.entries(stats.metrics)) {
    if (name === family || name.startsWith(family + "{")) {
      sum += value;
      found = true;
    }
  }
  return found ? sum : null;
}

/** Increase per second of a counter family between two answers; null without data. */
function rate(now, before, family) {
  if (!before) return null;
  const a = total(now, family);
  const b = total(before, family);
  const seconds = (now.time_ms - before.time_ms) / 1000;
  if (a === null || b === null || seconds <= 0) return null;
  return Math.max(0, a - b) / seconds; // a restarted node's counters start again at 0
}

/**
 * The q-quantile (ms) of the ack latencies recorded between two answers, from the
 * histogram's buckets, interpolated within a bucket as Prometheus's histogram_quantile
 * does; null when no ack happened in between.
 */
function ackQuantile(now, before, q) {
  if (!before) return null;
  const buckets = [];
  const pattern = /^relay_ack_latency_seconds_bucket\{le="([^"]+)"\}$/;
  for (const [name, value] of Object.entries(now.metrics)) {
    const m = pattern.exec(name);
    if (!m) continue;
    const bound = m[1] === "+Inf" ? Infinity : Number(m[1]);
    buckets.push({ bound, count: value - (before.metrics[name] ?? 0) });
  }
  buckets.sort((a, b) => a.bound - b.bound);
  const count = buckets.length ? buckets[buckets.length - 1].count : 0;
  if (count <= 0) return null;
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.bound === Infinity) return lower * 1000; // beyond the last bound: that bound
      const inBucket = b.count - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (b.bound - lower) * fraction) * 1000;
    }
    lower = b.bound;
    below = b.count;
  }
  return null;
}

/** The figures: each a function of (now, before) answers; null shows as "–". */
const FIGURES = {
  connections: (now) => total(now, "relay_websocket_connections"),
  messages_in: (now, before) => rate(now, before, "relay_messages_accepted_total"),
  messages_out: (now, before) => rate(now, before, "relay_messages_broadcast_total"),
  deliveries: (now, before) => rate(now, before, "relay_websocket_deliveries_total"),
  ack_p50: (now, before) => ackQuantile(now, before, 0.5),
  ack_p99: (now, before) => ackQuantile(now, before, 0.99),
  slow_consumer_drops: (now, before) => rate(now, before, "relay_websocket_slow_consumer_drops_total"),
  publish_failures: (now, before) => rate(now, before, "relay_publish_failures_total"),
};

const history = Object.fromEntries(Object.keys(FIGURES).map((k) => [k, []]));
let previous = null;

function format(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (Number.isInteger(value)) return value.toLocaleString("en");
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en");
  return value.toFixed(value < 10 ? 2 : 1);
}

/** A line of the values (null: a gap) scaled to the canvas, the largest at the top. */
function plot(canvas, values) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1e-9, ...values.filter((v) => v !== null));
  const step = width / (POINTS - 1);
  const x0 = width - (values.length - 1) * step;
  ctx.strokeStyle = "#3461c1";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  let drawing = false;
  values.forEach((v, i) => {
    if (v === null) {
      drawing = false;
      return;
    }
    const x = x0 + i * step;
    const y = height - 2 - (v / max) * (height - 4);
    if (drawing) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    drawing = true;
  });
  ctx.stroke();
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text; // room and plugin names are other people's text: never HTML
  if (className) td.className = className;
  return td;
}

function fillTable(selector, items, fill) {
  const body = $(selector).tBodies[0];
  body.replaceChildren();
  for (const item of items) fill(body.insertRow(), item);
}

function render(stats) {
  $("#node").textContent =
    `node ${stats.node} · relay ${stats.version} · up ${Math.round(stats.uptime_ms / 1000)} s`;
  for (const [key, compute] of Object.entries(FIGURES)) {
    const value = compute(stats, previous);
    const points = history[key];
    points.push(value);
    if (points.length > POINTS) points.shift();
    const figure = document.querySelector(`[data-figure="${key}"]`);
    figure.querySelector(".value").textContent = format(value);
    figure.dataset.value = value === null ? "" : String(value);
    plot(figure.querySelector("canvas"), points);
  }
  fillTable("#plugins", stats.plugins, (row, p) => {
    row.dataset.plugin = p.metric;
    row.dataset.state = p.state;
    cell(row, p.name);
    const badge = document.createElement("span");
    badge.className = `state state-${p.state}`;
    badge.textContent = p.state;
    row.insertCell().append(badge);
    cell(row, p.reason);
  });
  $("#rooms-span").textContent = `(last ${Math.round(stats.rooms.span_ms / 1000)} s)`;
  fillTable("#rooms", stats.rooms.top, (row, r) => {
    row.dataset.room = r.room;
    cell(row, r.room);
    cell(row, format(r.per_second), "number");
    // A count that may hold another room's messages says how many at most.
    cell(row, r.overcount ? `${format(r.messages)} (±${format(r.overcount)})` : format(r.messages), "number");
  });
  // The nodes presence knows to be alive; null when it cannot list them (nodes_problem
  // says why: a presence without a node list, or its backend out of reach).
  const nodes = stats.nodes ?? [];
  fillTable("#nodes", nodes, (row, n) => {
    row.dataset.node = n.node;
    if (n.self) row.dataset.self = "";
    cell(row, n.node);
    cell(row, format(n.members), "number");
    cell(row, n.self ? "this node" : "");
  });
  $("#nodes-count").textContent = stats.nodes ? `(${nodes.length})` : "";
  $("#nodes-problem").hidden = stats.nodes !== null && stats.nodes !== undefined;
  $("#nodes-problem").textContent = stats.nodes_problem ?? "";
  previous = stats;
}

function showLogin(reason) {
  $("#dashboard").hidden = true;
  $("#login").hidden = false;
  $("#forget").hidden = true;
  if (reason) $("#login-reason").textContent = reason;
  $("#token").focus();
}

async function poll() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  let response;
  try {
    response = await fetch("/admin/stats", {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      cache: "no-store",
    });
  } catch {
    $("#status").textContent = "cannot reach the node";
    return;
  }
  if (response.status === 401) {
    showLogin(token ? "That token was refused; enter this node's admin.token." : null);
    return;
  }
  if (!response.ok) {
    $("#status").textContent = `/admin/stats answered ${response.status}`;
    return;
  }
  const stats = await response.json();
  $("#status").textContent = "";
  $("#login").hidden = true;
  $("#dashboard").hidden = false;
  $("#forget").hidden = !token;
  render(stats);
}

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("#token").value);
  $("#token").value = "";
  poll();
});
$("#forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  previous = null;
  showLogin(null);
});

// One request at a time: a slow answer delays the next instead of piling them up.
(async function loop() {
  for (;;) {
    const started = Date.now();
    await poll();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, POLL_MS - (Date.now() - started))));
  }
})();
