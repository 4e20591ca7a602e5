// The frames a polling session keeps for its next GET are bounded by max_queued_bytes
// (the same queue as a WebSocket's writes): a member that joins a busy room over
// polling and never fetches is dropped as a slow client once they pass the bound,
// and only it. The room's other members and a bystander pair in another room lose
// nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, closeAll } = require("./support/clients");
const { request, pollingHandshake } = require("./support/raw");
const { bystandersFor } = require("./support/bystander");

const QUEUED = 256 * 1024;
const COUNT = 60;
const SIZE = 8 * 1000; // 60 x 8 KB: about twice what the lurker may have queued

test("a polling session that never fetches is dropped at max_queued_bytes, alone", async (t) => {
  const relay = await relayFor(t, {
    store: false,
    transport: `max_queued_bytes: ${QUEUED}, max_payload: 64KiB, history_max_bytes: 64KiB`,
  });
  const bystanders = await bystandersFor(t, relay.url, { transports: [["polling"], ["polling"]] });
  const room = uniqueRoom("lurk");
  const poster = await connect(relay.url, { auth: { room, user: "poster" }, transports: ["websocket"] });
  const reader = await connect(relay.url, { auth: { room, user: "reader" }, transports: ["polling"] });
  t.after(() => closeAll(poster, reader));
  const joins = collect(reader, "join");
  const leaves = collect(reader, "leave");
  const atReader = collect(reader, "message");

  // The lurker: a polling session that joins the room (a POSTed CONNECT) and then
  // never sends the GET its frames wait for.
  const { sid } = await pollingHandshake(relay.port);
  const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  const joined = await request(relay.port, { method: "POST", path, body: "40" + JSON.stringify({ room, user: "lurker" }) });
  assert.equal(joined.status, 200);
  await eventually(() => joins.some(([m]) => m.user === "lurker"), 5000, "the lurker joined");

  const ids = [];
  for (let i = 0; i < COUNT; i++) ids.push((await emitAck(poster, "message", { n: i, text: "w".repeat(SIZE) })).id);
  await eventually(() => atReader.length === COUNT, 10000, "the reader got every message");
  assert.deepEqual(atReader.map(([m]) => m.id), ids, "each once, in order");

  await eventually(() => leaves.some(([m]) => m.user === "lurker"), 5000, "the lurker dropped, its leave seen");
  const drops = relay.log().match(/dropping slow client [^\s:]+/g) || [];
  assert.deepEqual(drops, [`dropping slow client ${sid}`], "only the lurker was dropped");
  assert.match(relay.log(), new RegExp(`dropping slow client ${sid}: \\d+ bytes queued \\(transport.max_queued_bytes = ${QUEUED}\\)`));
  // Its frames are gone with it: a late GET finds no session.
  assert.equal((await request(relay.port, { path })).status, 400);
  assert.ok(reader.connected && poster.connected);
  await bystanders.finish();
});
