// Room and user names are bounded and printable (transport.max_room_bytes,
// max_user_bytes): a CONNECT claiming a 900 KB user, control characters or invalid
// UTF-8 gets a connect_error saying why, and nothing reaches the room: no join, no
// member, no message. Two bystanders chatting meanwhile lose nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { bystandersFor } = require("./support/bystander");
const { relayFor, eventually } = require("./support/relay");
const { client, connect, connectError, uniqueRoom, collect, emitAck } = require("./support/clients");
const { RawSocket, request } = require("./support/raw");

test("oversized and unprintable names are refused with a connect_error; the room sees nothing", async (t) => {
  const relay = await relayFor(t, { store: false });
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });
  const room = uniqueRoom("names");
  const watcher = await connect(relay.url, { auth: { room, user: "watcher" }, transports: ["websocket"] });
  t.after(() => watcher.close());
  const joins = collect(watcher, "join");
  const messages = collect(watcher, "message");

  const cases = [
    [{ room, user: "u".repeat(900 * 1024) }, "Invalid user: longer than 128 bytes"],
    [{ room, user: "x".repeat(129) }, "Invalid user: longer than 128 bytes"],
    [{ room: "r".repeat(129), user: "ok" }, "Invalid room id: longer than 128 bytes"],
    [{ room, user: "evil\u0000name" }, "Invalid user: contains a control character"],
    [{ room, user: "line\nbreak" }, "Invalid user: contains a control character"],
    [{ room: `${room}\u001b[31m`, user: "ok" }, "Invalid room id: contains a control character"],
    [{ room, user: "c1\u0085" }, "Invalid user: contains a control character"],
  ];
  for (const transports of [["websocket"], ["polling"]]) {
    for (const [auth, message] of cases) {
      const socket = client(relay.url, { auth, transports });
      const err = await connectError(socket);
      socket.close();
      assert.equal(err.message, message, `${transports} ${JSON.stringify(auth).slice(0, 80)}`);
    }
  }
  // Exactly at the limit is fine, and multi-byte characters count in bytes.
  const fits = await connect(relay.url, { auth: { room, user: "é".repeat(64) }, transports: ["websocket"] });
  t.after(() => fits.close());
  // Joins arrive in order: once the valid client's is here, any other would be too.
  await eventually(() => joins.length >= 1, 5000, "the valid client's join");
  assert.deepEqual(joins.map(([m]) => m.user), ["é".repeat(64)], "only the valid client joined");
  const members = await emitAck(watcher, "presence");
  assert.deepEqual(members.map((m) => m.user).sort(), ["watcher", "é".repeat(64)].sort());
  assert.equal(messages.length, 0);
  await bystanders.finish();
});

test("a room header that is not UTF-8 is refused", async (t) => {
  const relay = await relayFor(t, { store: false });
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });
  // HTTP header values are bytes: the room header is where invalid UTF-8 can come from
  // (JSON text in the CONNECT is checked as UTF-8 by the parser already).
  const socket = new RawSocket(relay.port, { headers: { room: Buffer.from([0x72, 0xff, 0xfe]).toString("latin1") } });
  t.after(() => socket.close());
  await socket.open();
  socket.send("40{}");
  const frame = await socket.waitFor((f) => f.text && f.text.startsWith("44"));
  assert.deepEqual(JSON.parse(frame.text.slice(2)), { message: "Invalid room id: not valid UTF-8" });
  // And over polling, with the header on the handshake (an overlong '/': C0 AF).
  const open = await request(relay.port, {
    path: "/socket.io/?EIO=4&transport=polling",
    headers: { room: Buffer.from([0x72, 0xc0, 0xaf]).toString("latin1") },
  });
  assert.equal(open.status, 200);
  const { sid } = JSON.parse(open.body.slice(1));
  const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  assert.equal((await request(relay.port, { method: "POST", path, body: "40{}" })).status, 200);
  const reply = await request(relay.port, { path });
  assert.equal(reply.body, '44{"message":"Invalid room id: not valid UTF-8"}');
  await bystanders.finish();
});
