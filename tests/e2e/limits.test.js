// transport.max_payload: a message over it closes only the client that sent it; the
// others in its room keep chatting and the host keeps accepting. transport.max_connections:
// a connection past it gets a 503 and nothing else changes.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, nextEvent, closeAll, assertServing } = require("./support/clients");

const transport = "max_payload: 4096";

async function assertRoomAlive(a, b) {
  const got = nextEvent(b, "message");
  const ack = await emitAck(a, "message", { text: "alive" });
  const [msg] = await got;
  assert.equal(msg.id, ack.id);
}

for (const transports of [["websocket"], ["polling"]]) {
  test(`over max_payload closes only the sender (${transports})`, async (t) => {
    const relay = await relayFor(t, { transport });
    const room = uniqueRoom("limit");
    const big = await connect(relay.url, { auth: { room, user: "big" }, transports });
    const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
    const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["polling"] });
    t.after(() => closeAll(big, a, b));
    const atA = collect(a, "message");
    const atB = collect(b, "message");
    const leaves = collect(a, "leave");

    // Just under the limit passes (the whole Engine.IO packet counts).
    const fits = "x".repeat(3900);
    await emitAck(big, "message", { text: fits });
    await eventually(() => atA.length === 1 && atB.length === 1, 5000, "a and b got the message that fits");
    assert.equal(atA[0][0].text, fits);

    const disconnected = nextEvent(big, "disconnect", 5000);
    big.emit("message", { text: "y".repeat(8000) }, () => assert.fail("no ack for an oversized message"));
    const [reason] = await disconnected;
    assert.match(reason, /^transport (close|error)$/);
    await eventually(() => leaves.some(([m]) => m.user === "big"), 5000, "the others saw big leave");

    await assertRoomAlive(a, b);
    await assertRoomAlive(b, a);
    assert.ok(atA.every(([m]) => m.text !== "y".repeat(8000)), "the oversized message went nowhere");
    await assertServing(relay.url);
  });
}

test("binary attachments over max_payload close only the sender", async (t) => {
  const relay = await relayFor(t, { transport });
  const room = uniqueRoom("limitbin");
  const big = await connect(relay.url, { auth: { room, user: "big" }, transports: ["websocket"] });
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  t.after(() => closeAll(big, a));
  const atA = collect(a, "message");

  // One attachment over the limit: the frame itself is too big.
  const disconnected = nextEvent(big, "disconnect", 5000);
  big.emit("message", { file: crypto.randomBytes(10000) });
  await disconnected;
  // Several attachments, each under the limit, together over it.
  const many = await connect(relay.url, { auth: { room, user: "many" }, transports: ["websocket"] });
  t.after(() => many.close());
  const disconnected2 = nextEvent(many, "disconnect", 5000);
  many.emit("message", { parts: [crypto.randomBytes(3000), crypto.randomBytes(3000)] });
  await disconnected2;

  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => b.close());
  await assertRoomAlive(b, a);
  assert.equal(atA.filter(([m]) => m.file || m.parts).length, 0);
  await assertServing(relay.url);
});

test("past max_connections a connection gets 503; the others keep chatting", async (t) => {
  const relay = await relayFor(t, { transport: "max_connections: 3" });
  const room = uniqueRoom("full");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  // The third connection fits; the fourth, opened while it is held, is refused.
  const held = require("node:net").connect(relay.port, "127.0.0.1");
  t.after(() => held.destroy());
  await new Promise((resolve) => held.once("connect", resolve));
  await eventually(async () => {
    const res = await fetch(`${relay.url}/socket.io/?EIO=4&transport=polling`).catch((e) => ({ status: 0, e }));
    if (res.status === 0) return false;
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), { code: 4, message: "server busy: max_connections hit" });
    return true;
  }, 5000, "a 503 for the connection past the limit");
  await assertRoomAlive(a, b);
  held.destroy();
  // A freed slot is usable again.
  await eventually(async () => {
    const res = await fetch(`${relay.url}/socket.io/?EIO=4&transport=polling`).catch(() => ({ status: 0 }));
    return res.status === 200;
  }, 5000, "a connection once a slot is free");
});

test("out of file descriptors the server waits and retries, without spinning or flooding its log", async (t) => {
  const relay = await relayFor(t, { nofile: 64, store: false });
  const room = uniqueRoom("fds");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  // Served before, too. This also matters to a sanitizer build: UBSan's vptr check
  // opens a pipe for each dynamic type it has not seen yet, which fails once every
  // descriptor is taken and is then reported as an "invalid vptr". The broadcast path's
  // types are seen here, while descriptors are left.
  await assertRoomAlive(a, b);
  // More connections than descriptors are left: accept() fails with EMFILE.
  const net = require("node:net");
  const extra = [];
  for (let i = 0; i < 80; i++) extra.push(net.connect(relay.port, "127.0.0.1").on("error", () => {}));
  t.after(() => extra.forEach((s) => s.destroy()));
  await eventually(() => /accept failed: Too many open files/.test(relay.log()), 5000, "the EMFILE warning");
  await new Promise((r) => setTimeout(r, 1500));
  const warnings = relay.log().match(/accept failed/g).length;
  assert.ok(warnings <= 3, `${warnings} 'accept failed' lines in 1.5 s: the accept loop spins`);
  await assertRoomAlive(a, b); // the connected clients are served meanwhile
  extra.forEach((s) => s.destroy());
  // Descriptors free again: new clients get in.
  const c = await connect(relay.url, { auth: { room, user: "cat" }, transports: ["websocket"] });
  t.after(() => closeAll(c));
  const got = nextEvent(c, "message");
  await emitAck(a, "message", { text: "welcome" });
  assert.equal((await got)[0].text, "welcome");
});
