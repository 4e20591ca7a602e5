// The admin page the admin listener serves at `/`, in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core).
//
// A relay with valkey presence (a throwaway redis-server), the memory queue, a sqlite
// store and an admin token. The page asks for the token (a wrong one is refused), then
// shows figures that move while socket.io clients chat in two rooms (connections,
// messages in and out, deliveries, ack latency), the busier room first, this node, and
// every plugin working; when redis-server stops, the valkey presence shows as degraded,
// with its reason, and the nodes panel says presence cannot list them. A screenshot is saved to $RELAY_ARTIFACT_DIR (else the temp dir) as
// admin_page.png.
"use strict";
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const os = require("node:os");
const path = require("node:path");
const { startRelay } = require("../e2e/support/relay.js");
const { startRedis, freePort } = require("../e2e/support/servers.js");
const { connect, emitAck, uniqueRoom, closeAll } = require("../e2e/support/clients.js");
const { launchChromium } = require("./support/chromium.js");
const { watchedPage, eventually: eventuallyWithin } = require("./support/admin_page.js");

const STEP_MS = 30000; // every wait below is bounded by this (generous: CI machines are busy)
const TOKEN = "admin-page-test-token";

let redis;
let relay;
let adminUrl;
let browser;
const problems = []; // console errors and uncaught page errors

before(async () => {
  redis = await startRedis();
  const adminPort = await freePort();
  adminUrl = `http://127.0.0.1:${adminPort}`;
  relay = await startRelay({
    pipeline: [
      "node: { id: admin-page-node, threads: 2 }",
      "transport: { use: websocket, listen: 127.0.0.1:0 }",
      "queue: { use: memory }",
      // Presence notices a lost redis-server within a heartbeat or two.
      `presence: { use: valkey, url: "${redis.url}", ttl: 2s, heartbeat_interval: 200ms }`,
      "store: { use: sqlite, path: relay.db }",
      `admin: { listen: "127.0.0.1:${adminPort}", token: "${TOKEN}" }`,
    ].join("\n"),
  });
  browser = await launchChromium(STEP_MS);
});

after(async () => {
  if (browser) await browser.close();
  if (relay) {
    const code = await relay.stop();
    assert.equal(code, 0, `relay exit code on SIGTERM:\n${relay.log()}`);
  }
  if (redis) await redis.stop();
});

/** The number a figure shows now (its data-value), or null while it shows "–". */
async function figure(page, name) {
  const value = await page.locator(`[data-figure="${name}"]`).getAttribute("data-value");
  return value === null || value === "" ? null : Number(value);
}

const eventually = (what, check) => eventuallyWithin(what, check, STEP_MS, 100);

/** Sends `count` messages from `from`, `perSecond` of them a second, each acked. */
async function chat(from, count, perSecond) {
  for (let i = 0; i < count; i++) {
    const ack = await emitAck(from, "message", { text: `load ${i}` });
    assert.ok(ack.id, `ack ${JSON.stringify(ack)}`);
    await new Promise((r) => setTimeout(r, 1000 / perSecond));
  }
}

test("the admin page asks for the token, shows moving figures and a degraded plugin", { timeout: 120000 }, async () => {
  const page = await watchedPage(browser.context, problems);
  // Loading and the screenshot get longer: on a busy CI machine Chromium alone is slow.
  await page.goto(adminUrl + "/", { timeout: 60000 });

  // Without a token only the login form shows; a wrong token is refused.
  await page.locator("#login").waitFor({ state: "visible" });
  assert.equal(await page.locator("#dashboard").isVisible(), false);
  await page.fill("#token", "wrong");
  await page.click("#login button[type=submit]");
  await page.locator("#login-reason", { hasText: "refused" }).waitFor();
  assert.equal(await page.locator("#dashboard").isVisible(), false);
  await page.fill("#token", TOKEN);
  await page.click("#login button[type=submit]");
  await page.locator("#dashboard").waitFor({ state: "visible" });
  await page.locator("#node", { hasText: "node admin-page-node" }).waitFor();
  // Kept for this tab only.
  assert.equal(await page.evaluate(() => sessionStorage.getItem("relay-admin-token")), TOKEN);

  // Every plugin works; this node is the one listed.
  await eventually("four plugins, all working", async () => {
    const states = await page.locator("#plugins tbody tr").evaluateAll((rows) =>
      rows.map((r) => `${r.dataset.plugin}=${r.dataset.state}`));
    return JSON.stringify(states.sort()) ===
      JSON.stringify(["presence/valkey=working", "queue/memory=working", "store/sqlite=working", "transport/websocket=working"]) || states;
  });
  // Its valkey presence lists this node alone, holding no one yet.
  assert.match(await page.textContent("#nodes tbody"), /^admin-page-node\s*0\s*this node$/);

  // A small load: two rooms, the busy one with three members, the quiet one with two.
  const busy = uniqueRoom("busy");
  const quiet = uniqueRoom("quiet");
  const clients = [];
  for (const [room, user] of [[busy, "a"], [busy, "b"], [busy, "c"], [quiet, "d"], [quiet, "e"]]) {
    clients.push(await connect(relay.url, { transports: ["websocket"], auth: { room, user } }));
  }
  try {
    await eventually("connections: 5", async () => (await figure(page, "connections")) === 5 || await figure(page, "connections"));
    // As long in both rooms, so that both are among the last seconds' rooms whatever
    // the machine's speed.
    const load = Promise.all([chat(clients[0], 80, 20), chat(clients[3], 16, 4)]);
    await eventually("messages in, out, deliveries and ack latency move", async () => {
      const seen = {};
      for (const name of ["messages_in", "messages_out", "deliveries", "ack_p50", "ack_p99"]) {
        seen[name] = await figure(page, name);
      }
      return (seen.messages_in > 0 && seen.messages_out > 0 && seen.deliveries > 0 &&
        seen.ack_p50 > 0 && seen.ack_p99 >= seen.ack_p50) || seen;
    });
    // The busiest room first, then the quiet one.
    await eventually("rooms: the busy one first", async () => {
      const rooms = await page.locator("#rooms tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.room));
      return (rooms[0] === busy && rooms.includes(quiet)) || rooms;
    });
    // The plots have drawn something.
    const inked = await page.locator('[data-figure="messages_in"] canvas').evaluate((canvas) => {
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) painted += pixels[i] > 0 ? 1 : 0;
      return painted;
    });
    assert.ok(inked > 20, `the messages-in plot has ${inked} painted pixels`);
    await load;
    // Once the load stops, the rates fall back to 0.
    await eventually("messages in back to 0", async () => (await figure(page, "messages_in")) === 0 || await figure(page, "messages_in"));
    assert.equal(await figure(page, "slow_consumer_drops"), 0);
    assert.equal(await figure(page, "publish_failures"), 0);
  } finally {
    closeAll(...clients);
  }
  await eventually("connections: 0", async () => (await figure(page, "connections")) === 0 || await figure(page, "connections"));

  // Presence loses its redis-server: the page shows the plugin degraded, with why.
  await redis.stop();
  redis = null;
  const valkey = page.locator('#plugins tbody tr[data-plugin="presence/valkey"]');
  await valkey.locator(".state-degraded", { hasText: "degraded" }).waitFor();
  assert.match(await valkey.textContent(), /out of reach/);
  assert.equal(await page.locator('#plugins tbody tr[data-plugin="queue/memory"]').getAttribute("data-state"), "working");
  // Without its server presence cannot list the nodes, and the panel says so.
  await page.locator("#nodes-problem", { hasText: "presence cannot list the nodes now" }).waitFor();
  assert.equal(await page.locator("#nodes tbody tr").count(), 0);

  const artifacts = process.env.RELAY_ARTIFACT_DIR || os.tmpdir();
  await page.screenshot({ path: path.join(artifacts, "admin_page.png"), fullPage: true, timeout: 60000 });
  // "Forget token" returns to the login form.
  await page.click("#forget");
  await page.locator("#login").waitFor({ state: "visible" });
  assert.equal(await page.evaluate(() => sessionStorage.getItem("relay-admin-token")), null);
  assert.deepEqual(problems, [], "the page logged no errors");
});
