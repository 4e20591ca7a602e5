// SIGTERM while clients are connected and sending: the relay exits 0, every client's
// transport is closed ("transport close": socket.io-client reconnects on its own, to
// another node behind a load balancer; see failover.test.js), and every message that
// was acked is in the history of a relay restarted on the same sqlite file.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { startRelay, eventually, within, withRelayLog } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { freePort } = require("./support/servers");
const { status } = require("./support/failover");

test("SIGTERM: exit 0, clients see 'transport close', every acked message stored", { timeout: 60000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-e2e-shutdown-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const relay = await startRelay({ dir });
  t.after(() => relay.stop());
  const room = uniqueRoom("shut");
  const sockets = [];
  t.after(() => closeAll(sockets));
  for (const [user, transports] of [["ann", ["websocket"]], ["bob", ["polling"]], ["cat", ["polling", "websocket"]], ["dan", ["websocket"]]]) {
    // Reconnection on: the stopping node takes no new session, so none comes back here.
    sockets.push(await connect(relay.url, { auth: { room, user }, transports, reconnection: true, reconnectionDelay: 50 }));
  }
  const reasons = sockets.map((s) => collect(s, "disconnect"));
  const received = sockets.map((s) => collect(s, "message"));

  // Everyone sends without waiting for acks, before and while the relay stops.
  const acked = [];
  const refused = [];
  const senders = sockets.map(async (s, who) => {
    for (let i = 0; s.connected; i++) {
      try {
        const ack = await s.timeout(10000).emitWithAck("message", { text: `${who}-${i}` });
        if (ack.id) acked.push(ack.id);
        else refused.push(ack.error);
      } catch {
        break; // disconnected before its ack: not acked, no promise made
      }
    }
  });
  await eventually(() => acked.length >= 100, 10000, "100 acked before the stop");
  relay.proc.kill("SIGTERM");

  const code = await within(relay.exited, 20000, "the relay's exit");
  assert.equal(code, 0, relay.log());
  await Promise.all(senders);
  await eventually(() => reasons.every((r) => r.length > 0), 5000, "every client saw a disconnect");
  for (const [i, r] of reasons.entries()) {
    assert.deepEqual(r.map(([reason]) => reason), ["transport close"], `client ${i}`);
    assert.equal(sockets[i].connected, false);
  }
  for (const e of refused) assert.equal(e, "server is shutting down");
  t.diagnostic(`${acked.length} acked, ${refused.length} refused while stopping`);
  // Nobody got a message twice.
  for (const r of received) assert.equal(new Set(r.map(([m]) => m.id)).size, r.length);

  // The same sqlite file, a new relay: every acked message is in the history.
  const again = await startRelay({ dir });
  t.after(() => again.stop());
  const reader = await connect(again.url, { auth: { room, user: "reader" }, transports: ["websocket"] });
  sockets.push(reader);
  const stored = new Set();
  let before;
  for (;;) {
    const page = await emitAck(reader, "history", before ? { limit: 500, before } : { limit: 500 });
    for (const m of page) stored.add(m.id);
    if (page.length < 500) break;
    before = page[0].id;
  }
  const missing = acked.filter((id) => !stored.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acked messages missing from the store`);
  // And the restarted relay chats.
  const other = await connect(again.url, { auth: { room, user: "other" }, transports: ["websocket"] });
  sockets.push(other);
  const got = nextEvent(other, "message");
  await emitAck(reader, "message", { text: "after restart" });
  assert.equal((await got)[0].text, "after restart");
  assert.equal(await again.stop(), 0);
});

test("SIGTERM with idle clients: /readyz 503 at once, 'transport close', a quick, clean exit", async (t) => {
  const adminPort = await freePort();
  const relay = await startRelay({ extra: `admin: { listen: "127.0.0.1:${adminPort}" }` });
  t.after(() => relay.stop());
  await eventually(async () => (await status(adminPort, "/readyz")) === 200, 10000, "ready");
  const room = uniqueRoom("idle");
  const sockets = [];
  t.after(() => closeAll(sockets));
  for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
    sockets.push(await connect(relay.url, { auth: { room }, transports, reconnection: true, reconnectionDelay: 60000 }));
  }
  // An Engine.IO session that never polls again holds the stop for up to 2 s, long
  // enough to watch /readyz.
  const silent = await new Promise((resolve, reject) => {
    http.get(`${relay.url}/socket.io/?EIO=4&transport=polling`, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    }).on("error", reject);
  });
  assert.equal(silent, 200);
  const names = ["websocket", "polling", "polling then websocket"];
  const gone = sockets.map((s, i) =>
    nextEvent(s, "disconnect", 10000).catch((e) => {
      throw new Error(`${names[i]} client: ${e.message}`);
    }));
  const started = Date.now();
  relay.proc.kill("SIGTERM");
  await withRelayLog(relay, async () => {
    // Out of a load balancer's rotation once the signal is seen: the host says so
    // before it stops the transport.
    await eventually(async () => (await status(adminPort, "/readyz")) === 503, 1000, "/readyz 503");
    // engine.io-client: a WebSocket close frame, or the close packet answering a polling
    // GET, is "transport close" (a GET refused with 400 would be "transport error").
    for (const [reason] of await Promise.all(gone)) assert.equal(reason, "transport close");
    assert.equal(await within(relay.exited, 10000, "the exit"), 0);
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 5000, `stopped in ${elapsed} ms`);
  // socket.io-client reconnects on its own after a transport close (here it would
  // wait reconnectionDelay first); after "io server disconnect" it would not.
  for (const s of sockets) assert.equal(s.active, true);
});
