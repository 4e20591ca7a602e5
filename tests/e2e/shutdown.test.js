// SIGTERM while clients are connected and sending: the relay exits 0, every client is
// told "io server disconnect" (and so does not reconnect at once), and every message
// that was acked is in the history of a relay restarted on the same sqlite file.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startRelay, eventually, within } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, nextEvent, closeAll } = require("./support/clients");

test("SIGTERM: exit 0, clients told 'io server disconnect', every acked message stored", { timeout: 60000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-e2e-shutdown-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const relay = await startRelay({ dir });
  t.after(() => relay.stop());
  const room = uniqueRoom("shut");
  const sockets = [];
  t.after(() => closeAll(sockets));
  for (const [user, transports] of [["ann", ["websocket"]], ["bob", ["polling"]], ["cat", ["polling", "websocket"]], ["dan", ["websocket"]]]) {
    // Reconnection on: a server disconnect must still not trigger it.
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
    assert.deepEqual(r.map(([reason]) => reason), ["io server disconnect"], `client ${i}`);
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

test("SIGTERM with idle clients: a quick, clean exit", async (t) => {
  const relay = await startRelay();
  t.after(() => relay.stop());
  const room = uniqueRoom("idle");
  const sockets = [];
  t.after(() => closeAll(sockets));
  for (const transports of [["websocket"], ["polling"]]) {
    sockets.push(await connect(relay.url, { auth: { room }, transports, reconnection: true, reconnectionDelay: 50 }));
  }
  const gone = sockets.map((s) => nextEvent(s, "disconnect", 10000));
  const started = Date.now();
  assert.equal(await relay.stop(), 0);
  const elapsed = Date.now() - started;
  for (const [reason] of await Promise.all(gone)) assert.equal(reason, "io server disconnect");
  assert.ok(elapsed < 5000, `stopped in ${elapsed} ms`);
  // No reconnect attempt succeeds or is even made after a server disconnect.
  for (const s of sockets) assert.equal(s.active, false);
});
