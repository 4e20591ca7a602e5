// The chat contract: acks with ids, the broadcast message shape, rooms isolated, the
// room taken from the session (never from the payload), no echo to the sender, and
// error acks for what is not a message.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { RawSocket } = require("./support/raw");

const ws = { transports: ["websocket"] };

test("acks carry unique ids; the others get the message with the server's fields", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { ...ws, auth: { room, user: "bob" } });
  const c = await connect(relay.url, { ...ws, auth: { room } });
  t.after(() => closeAll(a, b, c));
  const atB = collect(b, "message");
  const atC = collect(c, "message");

  const before = Date.now();
  const acks = [];
  for (let i = 0; i < 5; i++) acks.push(await emitAck(a, "message", { text: `m${i}`, n: i, extra: { deep: [1, "x"] } }));
  for (const ack of acks) {
    assert.deepEqual(Object.keys(ack), ["id"]);
    assert.equal(typeof ack.id, "string");
    assert.ok(ack.id.length > 0);
  }
  assert.equal(new Set(acks.map((x) => x.id)).size, 5);
  // Ids are time-ordered: they sort in send order.
  assert.deepEqual([...acks.map((x) => x.id)].sort(), acks.map((x) => x.id));

  await eventually(() => atB.length === 5 && atC.length === 5, 5000, "b and c got 5 messages");
  for (const received of [atB, atC]) {
    received.forEach(([msg, offset], i) => {
      assert.deepEqual(Object.keys(msg), ["text", "n", "extra", "id", "room", "ts", "sender", "user"]);
      assert.equal(msg.text, `m${i}`);
      assert.equal(msg.n, i);
      assert.deepEqual(msg.extra, { deep: [1, "x"] });
      assert.equal(msg.id, acks[i].id);
      assert.equal(msg.room, room);
      assert.equal(typeof msg.ts, "number");
      assert.ok(msg.ts >= before - 1000 && msg.ts <= Date.now() + 1000, `ts ${msg.ts}`);
      assert.equal(msg.sender, a.id);
      assert.equal(msg.user, "ann");
      assert.equal(offset, msg.id, "the second argument is the offset (the message id)");
    });
  }
  // A session without a user name: user is null.
  const got = nextEvent(a, "message");
  await emitAck(c, "message", { text: "anon" });
  const [anon] = await got;
  assert.equal(anon.user, null);
  assert.equal(anon.sender, c.id);
});

test("the server's fields cannot be forged", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { ...ws, auth: { room, user: "bob" } });
  t.after(() => closeAll(a, b));
  const got = nextEvent(b, "message");
  const ack = await emitAck(a, "message", { id: "fake", ts: 1, sender: "someone", user: "mallory", text: "hi" });
  const [msg] = await got;
  assert.equal(msg.id, ack.id);
  assert.notEqual(msg.ts, 1);
  assert.equal(msg.sender, a.id);
  assert.equal(msg.user, "ann");
  assert.equal(msg.text, "hi");
});

test("rooms are isolated", async (t) => {
  const relay = await relayFor(t);
  const red = uniqueRoom("red");
  const blue = uniqueRoom("blue");
  const r1 = await connect(relay.url, { ...ws, auth: { room: red, user: "r1" } });
  const r2 = await connect(relay.url, { ...ws, auth: { room: red, user: "r2" } });
  // Polling members too: isolation must not depend on the transport.
  const b1 = await connect(relay.url, { transports: ["polling"], auth: { room: blue, user: "b1" } });
  const b2 = await connect(relay.url, { ...ws, auth: { room: blue, user: "b2" } });
  t.after(() => closeAll(r1, r2, b1, b2));
  const at = { r1: collect(r1, "message"), r2: collect(r2, "message"), b1: collect(b1, "message"), b2: collect(b2, "message") };
  for (let i = 0; i < 3; i++) {
    await emitAck(r1, "message", { text: `red${i}` });
    await emitAck(b1, "message", { text: `blue${i}` });
  }
  await eventually(() => at.r2.length === 3 && at.b2.length === 3, 5000, "3 messages each");
  // Fence: one more message in each room, received by the senders of the first ones,
  // proves every earlier broadcast was delivered (or skipped) before it.
  const fenceRed = nextEvent(r1, "message");
  const fenceBlue = nextEvent(b1, "message");
  await emitAck(r2, "message", { text: "fence" });
  await emitAck(b2, "message", { text: "fence" });
  await Promise.all([fenceRed, fenceBlue]);
  assert.deepEqual(at.r2.map(([m]) => m.text), ["red0", "red1", "red2"]);
  assert.deepEqual(at.b2.map(([m]) => m.text), ["blue0", "blue1", "blue2"]);
  assert.deepEqual(at.r1.map(([m]) => m.text), ["fence"]);
  assert.deepEqual(at.b1.map(([m]) => m.text), ["fence"]);
  for (const [m] of [...at.r2, ...at.r1]) assert.equal(m.room, red);
  for (const [m] of [...at.b2, ...at.b1]) assert.equal(m.room, blue);
});

test("a `room` field in the payload never redirects a message", async (t) => {
  const relay = await relayFor(t);
  const mine = uniqueRoom("mine");
  const victim = uniqueRoom("victim");
  const sender = await connect(relay.url, { ...ws, auth: { room: mine, user: "eve" } });
  const peer = await connect(relay.url, { ...ws, auth: { room: mine, user: "pat" } });
  const target = await connect(relay.url, { ...ws, auth: { room: victim, user: "vic" } });
  t.after(() => closeAll(sender, peer, target));
  const atPeer = collect(peer, "message");
  const atTarget = collect(target, "message");
  // A plain key and a nested one; the escaped and duplicated forms follow raw.
  const payloads = [
    JSON.parse(`{"room":"${victim}","text":"plain"}`),
    { text: "twice", room: victim, nested: { room: victim } },
  ];
  for (const p of payloads) {
    const ack = await emitAck(sender, "message", p);
    assert.equal(typeof ack.id, "string");
  }
  // The escaped form (`r\u006fom`) only exists in raw JSON: a raw client sends it.
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  assert.ok((await raw.connect({ room: mine, user: "raw" })).sid);
  raw.send(`421["message",{"r\\u006fom":"${victim}","text":"escaped"}]`);
  const ack = await raw.waitFor((f) => f.text && f.text.startsWith("431"), 5000, "ack");
  assert.match(ack.text, /^431\[\{"id":"[^"]+"\}\]$/);
  raw.send(`422["message",{"room":"${victim}","text":"dup","room":"${victim}"}]`);
  await raw.waitFor((f) => f.text && f.text.startsWith("432"), 5000, "ack");
  await eventually(() => atPeer.length === 4, 5000, "peer got 4");
  const fence = nextEvent(target, "message");
  const inVictim = await connect(relay.url, { ...ws, auth: { room: victim, user: "vin" } });
  t.after(() => inVictim.close());
  await emitAck(inVictim, "message", { text: "fence" });
  await fence;
  assert.deepEqual(atTarget.map(([m]) => m.text), ["fence"], "nothing leaked into the victim room");
  for (const [m] of atPeer) assert.equal(m.room, mine);
  assert.deepEqual(atPeer[1][0].nested, { room: victim }, "nested fields are the client's own");
  assert.equal(atPeer[2][0].text, "escaped");
  assert.deepEqual(Object.keys(atPeer[2][0]), ["text", "id", "room", "ts", "sender", "user"]);
  assert.equal(atPeer[3][0].text, "dup");
});

test("the sender does not receive its own messages", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { transports: ["polling"], auth: { room, user: "bob" } });
  t.after(() => closeAll(a, b));
  const atA = collect(a, "message");
  const atB = collect(b, "message");
  for (let i = 0; i < 5; i++) await emitAck(a, "message", { text: `a${i}` });
  for (let i = 0; i < 5; i++) await emitAck(b, "message", { text: `b${i}` });
  // Per-room order: when each has the other's last message, its own would have come first.
  await eventually(() => atA.length >= 5 && atB.length >= 5, 5000, "both got 5");
  const fence = nextEvent(a, "message");
  await emitAck(b, "message", { text: "fence" });
  await fence;
  assert.deepEqual(atA.map(([m]) => m.text), ["b0", "b1", "b2", "b3", "b4", "fence"]);
  assert.deepEqual(atB.map(([m]) => m.text), ["a0", "a1", "a2", "a3", "a4"]);
});

test("a message must be an object: anything else gets an error ack and goes nowhere", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom();
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { ...ws, auth: { room, user: "bob" } });
  t.after(() => closeAll(a, b));
  const atB = collect(b, "message");
  for (const bad of ["just a string", 42, null, [1, 2], true]) {
    const ack = await emitAck(a, "message", bad);
    assert.deepEqual(ack, { error: "message must be a JSON object" }, JSON.stringify(bad));
  }
  // No argument at all.
  assert.deepEqual(await a.timeout(5000).emitWithAck("message"), { error: "message must be a JSON object" });
  // Unknown events get an error ack too; the socket stays connected.
  assert.deepEqual(await emitAck(a, "shout", { text: "x" }), { error: "unknown event" });
  assert.equal(a.connected, true);
  const fence = nextEvent(b, "message");
  await emitAck(a, "message", { text: "ok" });
  await fence;
  assert.deepEqual(atB.map(([m]) => m.text), ["ok"]);
  // Without an ack callback a bad message is dropped quietly and the socket lives on.
  a.emit("message", "no ack");
  const fence2 = nextEvent(b, "message");
  await emitAck(a, "message", { text: "ok2" });
  await fence2;
  assert.deepEqual(atB.map(([m]) => m.text), ["ok", "ok2"]);
});

test("unicode and escapes survive the round trip", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("ünï");
  const a = await connect(relay.url, { ...ws, auth: { room, user: "zoë 🚀" } });
  const b = await connect(relay.url, { transports: ["polling"], auth: { room, user: "bob" } });
  t.after(() => closeAll(a, b));
  const text = 'quote " backslash \\ newline \n tab \t nul \u0000 emoji 😀 cjk 漢字 \u2028';
  for (const [from, to] of [[a, b], [b, a]]) {
    const got = nextEvent(to, "message");
    await emitAck(from, "message", { text, "kéy": "välue" });
    const [msg] = await got;
    assert.equal(msg.text, text);
    assert.equal(msg["kéy"], "välue");
    assert.equal(msg.room, room);
  }
  const got = nextEvent(b, "message");
  await emitAck(a, "message", { text: "u" });
  assert.equal((await got)[0].user, "zoë 🚀");
});
