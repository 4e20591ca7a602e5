// Binary attachments: Buffers in a message travel as Socket.IO binary events and
// arrive byte-exact, over WebSocket (binary frames) and polling (base64 records).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, nextEvent, closeAll } = require("./support/clients");

for (const [from, to] of [
  ["websocket", "websocket"],
  ["websocket", "polling"],
  ["polling", "websocket"],
  ["polling", "polling"],
]) {
  test(`attachments arrive byte-exact: ${from} → ${to}`, async (t) => {
    const relay = await relayFor(t);
    const room = uniqueRoom("bin");
    const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: [from] });
    const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: [to] });
    t.after(() => closeAll(a, b));
    const file = crypto.randomBytes(64 * 1024);
    const small = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x1e, 0x0a]);
    const empty = Buffer.alloc(0);

    const got = nextEvent(b, "message");
    const ack = await emitAck(a, "message", { text: "file", file });
    assert.equal(typeof ack.id, "string");
    const [msg, offset] = await got;
    assert.ok(Buffer.isBuffer(msg.file), "file is a Buffer");
    assert.ok(msg.file.equals(file), "file bytes");
    assert.equal(msg.text, "file");
    assert.equal(msg.id, ack.id);
    assert.equal(msg.room, room);
    assert.equal(msg.sender, a.id);
    assert.equal(offset, ack.id);

    // Several attachments, nested in objects and arrays, beside plain fields.
    const parts = [crypto.randomBytes(10), small, empty, crypto.randomBytes(3000)];
    const got2 = nextEvent(b, "message");
    await emitAck(a, "message", { text: "many", parts, meta: { thumb: small, n: 1 } });
    const [many] = await got2;
    assert.equal(many.parts.length, parts.length);
    parts.forEach((p, i) => assert.ok(Buffer.isBuffer(many.parts[i]) && many.parts[i].equals(p), `part ${i}`));
    assert.ok(many.meta.thumb.equals(small));
    assert.equal(many.meta.n, 1);

    // Text and binary messages interleaved keep their order.
    const atB = collect(b, "message");
    const sent = [];
    for (let i = 0; i < 20; i++) {
      const body = i % 2 ? { i, blob: crypto.randomBytes(i * 7) } : { i };
      sent.push(body);
      a.emit("message", body);
    }
    await emitAck(a, "message", { i: "end" });
    await eventually(() => atB.length === 21, 5000, "21 messages");
    sent.forEach((body, i) => {
      const [m] = atB[i];
      assert.equal(m.i, i);
      if (body.blob) assert.ok(m.blob.equals(body.blob), `blob ${i}`);
    });
  });
}

test("binary from many senders to many receivers (a shared frame, many writers)", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("binmany");
  const sockets = [];
  t.after(() => closeAll(sockets));
  for (let i = 0; i < 6; i++) {
    sockets.push(await connect(relay.url, { auth: { room, user: `u${i}` }, transports: [i % 3 ? "websocket" : "polling"] }));
  }
  const received = sockets.map((s) => collect(s, "message"));
  const blobs = sockets.map(() => Array.from({ length: 5 }, () => crypto.randomBytes(1 + crypto.randomInt(20000))));
  await Promise.all(sockets.map((s, i) => Promise.all(blobs[i].map((blob, k) => emitAck(s, "message", { from: i, k, blob })))));
  await eventually(() => received.every((r) => r.length === 25), 10000, "25 each");
  received.forEach((r, me) => {
    const next = new Map();
    for (const [m] of r) {
      assert.notEqual(m.from, me);
      const k = next.get(m.from) ?? 0;
      assert.equal(m.k, k, "per-sender order");
      next.set(m.from, k + 1);
      assert.ok(m.blob.equals(blobs[m.from][m.k]), `blob ${m.from}/${m.k} at ${me}`);
    }
  });
});

for (const transport of ["websocket", "polling"]) {
  test(`history returns attachments byte-exact, numbered across messages (${transport})`, async (t) => {
    const relay = await relayFor(t);
    const room = uniqueRoom("binhist");
    const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
    t.after(() => closeAll(a));
    const one = crypto.randomBytes(100);
    const two = [crypto.randomBytes(5), Buffer.from([9, 8, 7])];
    await emitAck(a, "message", { text: "first", one });
    await emitAck(a, "message", { text: "plain" });
    await emitAck(a, "message", { text: "second", two, nested: { again: one } });
    const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: [transport] });
    t.after(() => closeAll(b));
    let history;
    await eventually(async () => {
      history = await emitAck(b, "history", { limit: 10 });
      return Array.isArray(history) && history.length === 3;
    }, 5000, "three stored messages");
    assert.deepEqual(history.map((m) => m.text), ["first", "plain", "second"]);
    assert.ok(Buffer.isBuffer(history[0].one) && history[0].one.equals(one), "first message's attachment");
    assert.equal(history[2].two.length, 2);
    assert.ok(history[2].two[0].equals(two[0]) && history[2].two[1].equals(two[1]), "second message's attachments");
    assert.ok(history[2].nested.again.equals(one), "a nested attachment");
  });
}

test("a binary sent beside the message object is refused, not half kept", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("binarg");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  const atB = collect(b, "message");
  const ack = await new Promise((resolve) => a.emit("message", { text: "x" }, Buffer.from([1, 2, 3]), resolve));
  assert.deepEqual(ack, { error: "message takes one argument, a JSON object; put binary data inside it" });
  // The connection goes on; the next proper message is the only one anyone sees.
  const ok = await emitAck(a, "message", { text: "after", blob: Buffer.from([4]) });
  await eventually(() => atB.length === 1, 5000, "the proper message");
  assert.equal(atB[0][0].id, ok.id);
  const history = await emitAck(b, "history", { limit: 10 });
  assert.deepEqual(history.map((m) => m.text), ["after"]);
});
