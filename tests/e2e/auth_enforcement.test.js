// How the websocket transport enforces what an auth plugin answers, with stock
// socket.io clients over WebSocket and polling. The test plugin `tokentable` (in
// tests/plugins) reads the identity from the token itself,
// "<user>|<room pattern>|<permissions j p h s>|<lifetime ms>", so each case asks for
// exactly the grant and lifetime it needs.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { bystandersFor } = require("./support/bystander");
const { client, connect, connectError, uniqueRoom, collect, emitAck, nextEvent } = require("./support/clients");

const TRANSPORTS = [["websocket"], ["polling"]];

function authRelay(t, options = {}) {
  const dir = process.env.RELAY_TEST_PLUGIN_DIR;
  assert.ok(dir, "RELAY_TEST_PLUGIN_DIR must name the test plugins' directory");
  return relayFor(t, { ...options, extra: `plugins: { path: [${dir}] }\nauth: { use: tokentable }` });
}

const tok = (user, pattern, permissions = "jphs", lifetimeMs = 0) => `${user}|${pattern}|${permissions}|${lifetimeMs}`;

test("the identity's name replaces the one the client claims, in messages, joins and presence", async (t) => {
  const relay = await authRelay(t);
  const room = uniqueRoom("named");
  const watcher = await connect(relay.url, { auth: { room, token: tok("w", room) }, transports: ["websocket"] });
  t.after(() => watcher.close());
  const joins = collect(watcher, "join");
  const messages = collect(watcher, "message");
  for (const transports of TRANSPORTS) {
    const who = `u-${transports[0]}`;
    const socket = await connect(relay.url, { auth: { room, user: "admin", token: tok(who, room) }, transports });
    t.after(() => socket.close());
    assert.ok((await emitAck(socket, "message", { text: "hi", user: "admin" })).id);
  }
  await eventually(() => messages.length === 2 && joins.length === 2, 5000, "two joins and two messages");
  assert.deepEqual(messages.map(([m]) => m.user), ["name-of-u-websocket", "name-of-u-polling"]);
  assert.deepEqual(joins.map(([m]) => m.user), ["name-of-u-websocket", "name-of-u-polling"]);
  const members = await emitAck(watcher, "presence");
  assert.deepEqual(members.map((m) => m.user).sort(), ["name-of-u-polling", "name-of-u-websocket", "name-of-w"]);
});

test("a refused handshake is a connect_error with the plugin's reason; a room outside the grant cannot be joined", async (t) => {
  const relay = await authRelay(t);
  const bystanders = await bystandersFor(t, relay.url, { auth: { token: tok("bystander", "*") } });
  const room = uniqueRoom("refused");
  const watcher = await connect(relay.url, { auth: { room, token: tok("w", room) }, transports: ["websocket"] });
  t.after(() => watcher.close());
  const joins = collect(watcher, "join");
  const cases = [
    [{ room }, "token missing"],
    [{ room, token: "deny:account locked" }, "account locked"],
    [{ room, token: "garbage" }, "token malformed"],
    [{ room, token: tok("u", "other-*") }, "Forbidden: not allowed to join this room"],
    [{ room, token: tok("u", room, "phs") }, "Forbidden: not allowed to join this room"],
  ];
  for (const transports of TRANSPORTS) {
    for (const [auth, reason] of cases) {
      const socket = client(relay.url, { auth, transports });
      const err = await connectError(socket);
      socket.close();
      assert.equal(err.message, reason, `${JSON.stringify(auth)} over ${transports}`);
    }
  }
  // A prefix grant covers the rooms under it.
  const prefixed = await connect(relay.url, { auth: { room: `${room}/sub`, token: tok("p", `${room}/*`) }, transports: ["websocket"] });
  prefixed.close();
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(joins.length, 0, "no refused client joined the room");
  await bystanders.finish();
});

test("publish, history and presence each need their permission: forbidden is acked and nothing is kept", async (t) => {
  const relay = await authRelay(t);
  const room = uniqueRoom("perms");
  const writer = await connect(relay.url, { auth: { room, token: tok("writer", room) }, transports: ["websocket"] });
  t.after(() => writer.close());
  const seen = collect(writer, "message");
  for (const transports of TRANSPORTS) {
    const listener = await connect(relay.url, { auth: { room, token: tok("listener", room, "j") }, transports });
    t.after(() => listener.close());
    assert.deepEqual(await emitAck(listener, "message", { text: "sneaky" }), { error: "forbidden" });
    assert.deepEqual(await emitAck(listener, "history", { limit: 5 }), { error: "forbidden" });
    assert.deepEqual(await emitAck(listener, "presence"), { error: "forbidden" });
    // It still hears the room.
    const got = collect(listener, "message");
    assert.ok((await emitAck(writer, "message", { text: `to ${transports}` })).id);
    await eventually(() => got.length === 1, 5000, "the listener's delivery");
  }
  const history = await emitAck(writer, "history", { limit: 10 });
  assert.deepEqual(history.map((m) => m.text), ["to websocket", "to polling"], "nothing forbidden was stored");
  assert.equal(seen.length, 0, "nothing forbidden was broadcast");
});

test("an identity that expires disconnects its client; a refresh for the same user before then keeps it", async (t) => {
  const relay = await authRelay(t);
  const room = uniqueRoom("expiry");
  for (const transports of TRANSPORTS) {
    const expiring = await connect(relay.url, { auth: { room, token: tok("a", room, "jphs", 800) }, transports });
    const kept = await connect(relay.url, { auth: { room, token: tok("b", room, "jphs", 800) }, transports });
    t.after(() => { expiring.close(); kept.close(); });
    const expired = nextEvent(expiring, "expired", 5000);
    const gone = nextEvent(expiring, "disconnect", 5000);
    assert.deepEqual(await emitAck(kept, "refresh", { token: tok("a", room) }), { error: "refresh must be for the same user" });
    assert.deepEqual(await emitAck(kept, "refresh", { token: tok("b", "elsewhere") }),
      { error: "Forbidden: not allowed to join this room" });
    assert.deepEqual(await emitAck(kept, "refresh", { token: "deny:revoked" }), { error: "revoked" });
    assert.deepEqual(await emitAck(kept, "refresh", "not an object"),
      { error: "refresh takes one argument, a JSON object (e.g. {token})" });
    const answer = await emitAck(kept, "refresh", { token: tok("b", room, "jphs", 60000) });
    assert.equal(answer.ok, true);
    assert.ok(answer.expires_at > Date.now() + 50000, JSON.stringify(answer));
    assert.deepEqual((await expired)[0], { reason: "token expired" }, `${transports}`);
    assert.equal((await gone)[0], "io server disconnect", `${transports}`);
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(kept.connected, `the refreshed client stays past the old expiry (${transports})`);
    assert.ok((await emitAck(kept, "message", { text: "still here" })).id);
  }
});

test("a recovery under another user's identity is not a recovery; the same user's is", async (t) => {
  const relay = await authRelay(t);
  const room = uniqueRoom("recover");
  const sender = await connect(relay.url, { auth: { room, token: tok("s", room) }, transports: ["websocket"] });
  t.after(() => sender.close());
  const socket = await connect(relay.url, {
    auth: { room, token: tok("first", room) },
    transports: ["websocket"],
    reconnection: true,
    reconnectionDelay: 20,
    reconnectionDelayMax: 50,
    randomizationFactor: 0,
  });
  t.after(() => socket.close());
  const got = collect(socket, "message");
  assert.ok((await emitAck(sender, "message", { text: "one" })).id);
  await eventually(() => got.length === 1, 5000, "the first delivery");
  // The connection drops (not a client disconnect) and the client comes back with
  // someone else's credential: it connects, but afresh, and misses what was said.
  socket.auth = { room, token: tok("second", room) };
  let back = nextEvent(socket, "connect", 5000);
  socket.io.engine.close();
  await back;
  assert.equal(socket.recovered, false, "recovered a session under another identity");
  assert.ok((await emitAck(sender, "message", { text: "two" })).id);
  await eventually(() => got.some(([m]) => m.text === "two"), 5000, "a delivery in the new session");
  // The same identity comes back recovered, with what it missed.
  back = nextEvent(socket, "connect", 5000);
  socket.io.engine.close();
  assert.ok((await emitAck(sender, "message", { text: "missed" })).id);
  await back;
  assert.equal(socket.recovered, true, "the same identity did not recover its session");
  await eventually(() => got.some(([m]) => m.text === "missed"), 5000, "the missed message");
});
