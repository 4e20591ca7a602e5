// Connecting with socket.io-client@4: the transports (polling upgraded to WebSocket,
// WebSocket only, polling only), the room from `auth` or from the `room` HTTP header,
// and the CONNECT_ERRORs for a missing room and for another namespace.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, client, connect, connected, connectError, emitAck, nextEvent, closeAll } = require("./support/clients");

/** a sends one message; b, in the same room, must receive it with that room. */
async function assertChat(a, b, room) {
  const got = nextEvent(b, "message");
  const ack = await emitAck(a, "message", { text: "hello" });
  assert.equal(typeof ack.id, "string");
  const [msg] = await got;
  assert.equal(msg.text, "hello");
  assert.equal(msg.id, ack.id);
  assert.equal(msg.room, room);
  assert.equal(msg.sender, a.id);
}

test("default transports: polling, then upgraded to websocket", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = client(relay.url, { auth: { room, user: "ann" } });
  const b = client(relay.url, { auth: { room, user: "bob" } });
  t.after(() => closeAll(a, b));
  await Promise.all([connected(a), connected(b)]);
  assert.equal(typeof a.id, "string");
  assert.notEqual(a.id, b.id);
  await eventually(() => a.io.engine.transport.name === "websocket", 5000, "a upgraded to websocket");
  await eventually(() => b.io.engine.transport.name === "websocket", 5000, "b upgraded to websocket");
  await assertChat(a, b, room);
  await assertChat(b, a, room);
});

test("chat works while still on polling (upgrade in progress or not offered)", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { auth: { room, user: "ann" }, upgrade: false });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, upgrade: false });
  t.after(() => closeAll(a, b));
  assert.equal(a.io.engine.transport.name, "polling");
  await assertChat(a, b, room);
  await assertChat(b, a, room);
  // A mixed room: a WebSocket client and a polling client see each other.
  const c = await connect(relay.url, { auth: { room, user: "cat" }, transports: ["websocket"] });
  t.after(() => c.close());
  await assertChat(c, a, room);
  await assertChat(a, c, room);
});

test("websocket only", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  assert.equal(a.io.engine.transport.name, "websocket");
  await assertChat(a, b, room);
});

test("polling only", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["polling"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["polling"] });
  t.after(() => closeAll(a, b));
  assert.equal(a.io.engine.transport.name, "polling");
  await assertChat(a, b, room);
  await assertChat(b, a, room);
});

test("no room: connect_error 'Invalid room id' (polling and websocket)", async (t) => {
  const relay = await relayFor(t);
  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    for (const auth of [undefined, {}, { user: "ann" }, { room: "" }, { room: 42 }]) {
      const socket = client(relay.url, { auth, transports });
      try {
        const err = await connectError(socket);
        assert.equal(err.message, "Invalid room id", `${transports} ${JSON.stringify(auth)}`);
        assert.equal(socket.connected, false);
      } finally {
        socket.close();
      }
    }
  }
});

test("another namespace: connect_error 'Invalid namespace'", async (t) => {
  const relay = await relayFor(t);
  for (const transports of [["polling"], ["websocket"]]) {
    for (const nsp of ["/admin", "/chat"]) {
      const socket = client(relay.url + nsp, { auth: { room: uniqueRoom() }, transports });
      try {
        const err = await connectError(socket);
        assert.equal(err.message, "Invalid namespace", `${transports} ${nsp}`);
      } finally {
        socket.close();
      }
    }
  }
  // A refused namespace on a shared Manager leaves the main namespace usable.
  const room = uniqueRoom();
  const main = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  t.after(() => main.close());
  const admin = main.io.socket("/admin", { auth: { room } });
  t.after(() => admin.close());
  admin.connect();
  assert.equal((await connectError(admin)).message, "Invalid namespace");
  const other = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => other.close());
  await assertChat(main, other, room);
});

test("room from the `room` HTTP header", async (t) => {
  const relay = await relayFor(t);
  for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
    const room = uniqueRoom("header");
    const viaAuth = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
    const viaHeader = await connect(relay.url, {
      auth: { user: "hal" },
      extraHeaders: { room },
      transports,
    });
    try {
      await assertChat(viaHeader, viaAuth, room);
      await assertChat(viaAuth, viaHeader, room);
      const got = nextEvent(viaAuth, "message");
      await emitAck(viaHeader, "message", { text: "who" });
      const [msg] = await got;
      assert.equal(msg.user, "hal");
    } finally {
      closeAll(viaAuth, viaHeader);
    }
  }
  // auth.room wins over the header.
  const room = uniqueRoom("auth-wins");
  const member = await connect(relay.url, { auth: { room }, transports: ["websocket"] });
  const both = await connect(relay.url, {
    auth: { room },
    extraHeaders: { room: uniqueRoom("ignored") },
    transports: ["websocket"],
  });
  t.after(() => closeAll(member, both));
  await assertChat(both, member, room);
});

test("a client closes and reconnects with a new sid", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  const firstId = b.id;
  b.disconnect();
  b.connect();
  await connected(b);
  assert.notEqual(b.id, firstId);
  await assertChat(a, b, room);
});
