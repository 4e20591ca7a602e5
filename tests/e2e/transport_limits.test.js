// The websocket transport's limits on connections and Engine.IO sessions: many polling
// handshakes over one keep-alive connection, the server-wide session count, new
// connections a second and open connections per remote address. Each refusal is an
// HTTP answer with engine.io's JSON error body, counted by its metric; two bystanders
// chatting meanwhile lose nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { bystandersFor } = require("./support/bystander");
const { relayFor, eventually, within } = require("./support/relay");
const { tcp, request } = require("./support/raw");
const { connect, uniqueRoom, closeAll } = require("./support/clients");
const { freePort, metrics } = require("./support/abuse");

const HANDSHAKE = "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: relay\r\n\r\n";

/** The status codes and bodies of the HTTP/1.1 responses in `text`, in order. */
function responses(text) {
  const out = [];
  let rest = text;
  for (;;) {
    const head = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
    if (!head) break;
    const length = Number(/content-length: *(\d+)/i.exec(head[2])?.[1] ?? 0);
    const start = head[0].length;
    out.push({ status: Number(head[1]), headers: head[2], body: rest.slice(start, start + length) });
    rest = rest.slice(start + length);
  }
  return out;
}

/**
 * Writes `count` polling handshakes back to back (HTTP pipelining) on one keep-alive
 * TCP connection; resolves with the responses once the server closed it. The server
 * answers them in order and, after a refusal, reads and drops the rest (so the
 * refusal arrives rather than a reset).
 */
async function pipelinedHandshakes(port, count) {
  const socket = await tcp(port);
  socket.write(HANDSHAKE.repeat(count));
  const received = await within(socket.ended, 20000, "the server closing the connection");
  socket.destroy();
  return responses(received);
}

async function relayWithAdmin(t, transport) {
  const admin = await freePort();
  const relay = await relayFor(t, { store: false, transport, extra: `admin: { listen: 127.0.0.1:${admin} }` });
  return { relay, admin };
}

test("20,000 polling handshakes on one connection stop at max_polling_sessions_per_address", async (t) => {
  const { relay, admin } = await relayWithAdmin(t, "max_polling_sessions_per_address: 50");
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });

  const answers = await pipelinedHandshakes(relay.port, 20000);
  const opened = answers.filter((a) => a.status === 200);
  assert.equal(opened.length, 50);
  assert.ok(opened.every((a) => a.body.startsWith("0{")), "each 200 opens a session");
  // Then one refusal, and the connection is closed: nothing more is read from it.
  assert.equal(answers.length, 51);
  const refusal = answers[50];
  assert.equal(refusal.status, 429);
  assert.match(refusal.headers, /content-type: application\/json/i);
  assert.match(refusal.headers, /retry-after: 1/i);
  assert.deepEqual(JSON.parse(refusal.body), { code: 4, message: "too many polling sessions from this address" });

  // Another connection from the address is refused too while the 50 are open.
  const again = await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling" });
  assert.equal(again.status, 429);

  const m = await metrics(admin);
  assert.equal(m['relay_websocket_limit_refusals_total{limit="max_polling_sessions_per_address"}'], 2);
  assert.equal(m.relay_websocket_sessions, 52, "50 polling sessions and the bystanders'");
  await bystanders.finish();
});

test("max_connections counts Engine.IO sessions, not only TCP connections", async (t) => {
  const { relay, admin } = await relayWithAdmin(t, "max_connections: 20");
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] }); // 2 sessions, 2 connections

  const answers = await pipelinedHandshakes(relay.port, 20000);
  assert.equal(answers.filter((a) => a.status === 200).length, 18);
  assert.equal(answers.length, 19);
  assert.equal(answers[18].status, 503);
  assert.deepEqual(JSON.parse(answers[18].body), { code: 4, message: "server busy: max_connections hit" });
  // A WebSocket-only client is refused by the same count (its handshake is the upgrade).
  const ws = require("./support/clients").client(relay.url, { transports: ["websocket"], auth: { room: "r" } });
  t.after(() => ws.close());
  await new Promise((resolve) => ws.once("connect_error", resolve));

  const m = await metrics(admin);
  assert.ok(m['relay_websocket_limit_refusals_total{limit="max_connections"}'] >= 2);
  assert.equal(m.relay_websocket_sessions, 20);
  await bystanders.finish();
});

test("past connection_rate_per_address new connections get 429 until the rate allows", async (t) => {
  const { relay, admin } = await relayWithAdmin(t, "connection_rate_per_address: 10, connection_burst_per_address: 10");
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] }); // takes 2 of the burst

  const start = Date.now();
  const answers = [];
  for (let i = 0; i < 60; i++) {
    answers.push(await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling" }));
  }
  const elapsed = Date.now() - start;
  const accepted = answers.filter((a) => a.status === 200).length;
  const refused = answers.filter((a) => a.status === 429);
  assert.equal(accepted + refused.length, 60);
  assert.ok(accepted >= 8 && accepted <= 8 + (10 * elapsed) / 1000 + 1, `${accepted} accepted in ${elapsed} ms`);
  assert.ok(refused.length > 0);
  for (const r of refused) {
    assert.deepEqual(JSON.parse(r.body), { code: 4, message: "too many new connections from this address" });
    assert.equal(r.headers["retry-after"], "1");
  }
  const m = await metrics(admin);
  assert.equal(m['relay_websocket_limit_refusals_total{limit="connection_rate_per_address"}'], refused.length);

  // After a pause the address may connect again, with a real client.
  await new Promise((r) => setTimeout(r, 1100));
  const room = uniqueRoom("later");
  const later = await connect(relay.url, { auth: { room, user: "later" }, transports: ["websocket"] });
  t.after(() => closeAll(later));
  await bystanders.finish();
});

test("past max_connections_per_address an address's next connection gets 429", async (t) => {
  const { relay, admin } = await relayWithAdmin(t, "max_connections_per_address: 6");
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] }); // 2 connections
  const held = [];
  t.after(() => held.forEach((s) => s.destroy()));
  for (let i = 0; i < 4; i++) held.push(await tcp(relay.port));
  // The connections are counted when accepted: wait until the server holds all four.
  await eventually(async () => (await metrics(admin)).relay_websocket_connections === 6, 5000, "6 connections open");
  const refused = await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling" });
  assert.equal(refused.status, 429);
  assert.deepEqual(JSON.parse(refused.body), { code: 4, message: "too many connections from this address" });
  held.pop().destroy();
  await eventually(async () => {
    const res = await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling" });
    return res.status === 200;
  }, 5000, "a connection once one is closed");
  const m = await metrics(admin);
  assert.ok(m['relay_websocket_limit_refusals_total{limit="max_connections_per_address"}'] >= 1);
  await bystanders.finish();
});
