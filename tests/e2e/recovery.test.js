// Connection state recovery with an unmodified socket.io-client: after a forced
// transport close the client reconnects with its pid and offset, `recovered` is true,
// it keeps its sid and gets every message it missed, once, in order, before live ones.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, connected, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { RawSocket } = require("./support/raw");

/** Asserts `received` ([[msg, offset], ...]) holds exactly `texts`, in order, each once. */
function assertTexts(received, texts, what) {
  assert.deepEqual(received.map(([m]) => m.text), texts, what);
  for (const [m, offset] of received) assert.equal(offset, m.id);
}

/** Waits until a message with `text` is among `received`. */
function untilText(received, text) {
  return eventually(() => received.some(([m]) => m.text === text), 5000, `'${text}' received`);
}

/**
 * ann and bob over WebSocket in a fresh room; bob has seen ann's `first` message.
 * Returns { room, a, b, atB } (atB: bob's messages as [msg, offset]).
 */
async function annAndBob(t, relay, prefix, first) {
  const room = uniqueRoom(prefix);
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  const atB = collect(b, "message");
  await emitAck(a, "message", { text: first });
  await eventually(() => atB.length === 1, 5000, "b got one");
  return { room, a, b, atB };
}

/** Closes `client`'s transport as a network failure would, and waits for its disconnect. */
async function dropTransport(client) {
  const gone = nextEvent(client, "disconnect");
  client.io.engine.close();
  await gone;
}

const kinds = [
  ["websocket", "engine.close()", (s) => s.io.engine.close()],
  ["websocket", "the underlying ws closed", (s) => s.io.engine.transport.ws.close()],
  ["polling", "engine.close()", (s) => s.io.engine.close()],
];

for (const [transport, how, forceClose] of kinds) {
  test(`${transport}, ${how}: missed messages arrive after the reconnect, once`, async (t) => {
    const relay = await relayFor(t);
    const room = uniqueRoom("rec");
    const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
    // No automatic reconnection: the test sends while b is away, then reconnects it.
    const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: [transport] });
    t.after(() => closeAll(a, b));
    const atB = collect(b, "message");
    const firstSid = b.id;
    assert.equal(b.recovered, false);

    for (let i = 0; i < 3; i++) await emitAck(a, "message", { text: `before${i}` });
    await eventually(() => atB.length === 3, 5000, "b got the first 3");

    for (let round = 0; round < 5; round++) {
      const seen = atB.length;
      const gone = nextEvent(b, "disconnect");
      forceClose(b);
      const [reason] = await gone;
      assert.match(reason, /^(transport close|transport error|forced close)$/);
      const missed = [];
      for (let i = 0; i < 4; i++) {
        const text = `r${round}-missed${i}`;
        missed.push(text);
        await emitAck(a, "message", { text });
      }
      // Reconnect at once: the last acked message may not be in the store yet.
      b.connect();
      await connected(b);
      assert.equal(b.recovered, true, `round ${round}: recovered`);
      assert.equal(b.id, firstSid, "the same sid");
      await eventually(() => atB.length >= seen + 4, 5000, `round ${round}: b got what it missed`);
      // A live message after the recovery comes after the missed ones.
      const live = nextEvent(b, "message");
      await emitAck(a, "message", { text: `r${round}-live` });
      await live;
      assertTexts(atB.slice(seen), [...missed, `r${round}-live`], `round ${round}`);
    }
    assertTexts(atB.slice(0, 3), ["before0", "before1", "before2"]);
  });
}

for (const [how, drop] of [
  ["engine.close()", (s) => s.io.engine.close()],
  // Abrupt: frames queued or in flight at the server are lost with the connection.
  ["the TCP connection destroyed", (s) => s.io.engine.transport.ws._socket.destroy()],
]) {
  test(`automatic reconnection (${how}) while senders keep sending: nothing lost, nothing twice`, async (t) => {
    const relay = await relayFor(t);
    const room = uniqueRoom("rec-auto");
    const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
    const c = await connect(relay.url, { auth: { room, user: "cat" }, transports: ["polling"] });
    const b = await connect(relay.url, {
      auth: { room, user: "bob" },
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 20,
      reconnectionDelayMax: 50,
      randomizationFactor: 0,
    });
    t.after(() => closeAll(a, b, c));
    const atB = collect(b, "message");
    const reconnects = collect(b, "connect");

    // a sends in bursts of 20 without waiting; c one at a time.
    const sent = { ann: 0, cat: 0 };
    let sending = true;
    const burster = (async () => {
      while (sending) {
        const burst = [];
        for (let i = 0; i < 20; i++) burst.push(emitAck(a, "message", { from: "ann", n: sent.ann++ }));
        await Promise.all(burst);
      }
    })();
    const single = (async () => {
      while (sending) await emitAck(c, "message", { from: "cat", n: sent.cat++ });
    })();
    for (let round = 0; round < 5; round++) {
      const seen = sent.ann;
      await eventually(() => sent.ann >= seen + 100, 5000, "a sent 100 more");
      drop(b);
      await eventually(() => reconnects.length === round + 1 && b.connected, 5000, `reconnect ${round}`);
      assert.equal(b.recovered, true, `round ${round}: recovered`);
    }
    sending = false;
    await Promise.all([burster, single]);
    await eventually(() => atB.length >= sent.ann + sent.cat, 5000, `b got all ${sent.ann + sent.cat}`);
    const fence = nextEvent(b, "message");
    await emitAck(a, "message", { from: "fence" });
    await fence;
    for (const from of ["ann", "cat"]) {
      const ns = atB.filter(([m]) => m.from === from).map(([m]) => m.n);
      assert.deepEqual(ns, Array.from({ length: sent[from] }, (_, i) => i), `from ${from}: each once, in order`);
    }
    assert.equal(atB.length, sent.ann + sent.cat + 1);
    for (const [m, offset] of atB) assert.equal(offset, m.id);
  });
}

test("an offset older than the recent messages is recovered from the store", async (t) => {
  // 1 KiB of recent messages per thread: the missed ones must come from sqlite.
  const relay = await relayFor(t, { transport: "recovery_buffer: 1024" });
  const { a, b, atB } = await annAndBob(t, relay, "rec-store", "seen");
  for (const round of [0, 1]) {
    await dropTransport(b);
    const missed = [];
    for (let i = 0; i < 40; i++) {
      missed.push(`r${round}-${i}`);
      await emitAck(a, "message", { text: `r${round}-${i}`, pad: "p".repeat(100) });
    }
    // Its own messages, sent before it dropped, are not among them.
    b.connect();
    await connected(b);
    assert.equal(b.recovered, true);
    // A live message after the recovered ones (which may still be arriving).
    await emitAck(a, "message", { text: `fence${round}` });
    await untilText(atB, `fence${round}`);
    const texts = atB.map(([m]) => m.text);
    assert.deepEqual(texts.slice(texts.length - 41), [...missed, `fence${round}`], `round ${round}`);
    await emitAck(b, "message", { text: "own" });
  }
  assertTexts(atB, ["seen", ...Array.from({ length: 40 }, (_, i) => `r0-${i}`), "fence0", ...Array.from({ length: 40 }, (_, i) => `r1-${i}`), "fence1"]);
});

test("recovery does not echo the client's own messages, and carries attachments", async (t) => {
  const relay = await relayFor(t);
  const { a, b, atB } = await annAndBob(t, relay, "rec-own", "seen");
  // b's own messages after its offset, then b drops.
  for (let i = 0; i < 3; i++) await emitAck(b, "message", { text: `own${i}` });
  await dropTransport(b);
  const blob = crypto.randomBytes(5000);
  await emitAck(a, "message", { text: "missed", blob });
  b.connect();
  await connected(b);
  assert.equal(b.recovered, true);
  await emitAck(a, "message", { text: "fence" });
  await untilText(atB, "fence");
  assertTexts(atB, ["seen", "missed", "fence"]);
  assert.ok(Buffer.isBuffer(atB[1][0].blob) && atB[1][0].blob.equals(blob), "attachment recovered");
});

test("no recovery after a deliberate disconnect, or with an unknown pid", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("rec-no");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  await emitAck(a, "message", { text: "x" });
  const firstSid = b.id;
  b.disconnect();
  b.connect();
  await connected(b);
  assert.equal(b.recovered, false, "a client disconnect is not recoverable");
  assert.notEqual(b.id, firstSid);

  // A pid that the server never issued: a fresh session, not an error.
  const c = await connect(relay.url, {
    auth: { room, user: "cat", pid: "nope", offset: "nope" },
    transports: ["websocket"],
  });
  t.after(() => c.close());
  assert.equal(c.recovered, false);
  const got = nextEvent(c, "message");
  await emitAck(a, "message", { text: "hi c" });
  assert.equal((await got)[0].room, room);
});

test("a pid never moves a client into a room it does not ask for", async (t) => {
  const relay = await relayFor(t);
  const { b } = await annAndBob(t, relay, "rec-room", "one");
  await dropTransport(b);
  // Another room asked for: a fresh session there, not the old one.
  const elsewhere = uniqueRoom("elsewhere");
  b.auth = { room: elsewhere, user: "bob" };
  b.connect();
  await connected(b);
  assert.equal(b.recovered, false);
  const c = await connect(relay.url, { auth: { room: elsewhere, user: "cat" }, transports: ["websocket"] });
  t.after(() => c.close());
  const got = nextEvent(b, "message");
  await emitAck(c, "message", { text: "two" });
  assert.equal((await got)[0].room, elsewhere);
  // The same room asked for again (or none): recovered.
  await dropTransport(b);
  b.auth = { user: "bob" };
  b.connect();
  await connected(b);
  assert.equal(b.recovered, true);
  const again = nextEvent(b, "message");
  await emitAck(c, "message", { text: "three" });
  assert.equal((await again)[0].room, elsewhere);
});

test("a client back before its old connection was seen to close takes its session over", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("rec-takeover");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  t.after(() => a.close());
  // The old connection stays open, as one that died silently would.
  const old = new RawSocket(relay.port);
  t.after(() => old.close());
  const { sid, pid } = await old.connect({ room, user: "raw" });
  assert.equal(typeof pid, "string");
  await emitAck(a, "message", { text: "one" });
  const first = await old.waitFor((f) => f.text && f.text.includes('"one"'), 5000, "one");
  const offset = JSON.parse(first.text.slice(2))[2];
  assert.equal(typeof offset, "string");
  await emitAck(a, "message", { text: "two" });
  await emitAck(a, "message", { text: "three" });

  const again = new RawSocket(relay.port);
  t.after(() => again.close());
  const reply = await again.connect({ pid, offset });
  assert.deepEqual(reply, { sid, pid }, "the same session");
  await old.closedByServer(5000);
  const events = () => again.frames.filter((f) => f.text && f.text.startsWith("42")).map((f) => JSON.parse(f.text.slice(2)));
  await eventually(() => events().length === 2, 5000, "the two missed messages");
  assert.deepEqual(events().map(([, m]) => m.text), ["two", "three"]);
  assert.deepEqual(events().map(([, m, o]) => o === m.id), [true, true]);
});

test("when the missed messages cannot all be had, the client is told it was not recovered", async (t) => {
  // No store, a queue that keeps nothing, 1 KiB of recent messages: 40 missed
  // messages are out of reach. socket.io's answer: a fresh session (recovered false).
  const relay = await relayFor(t, { store: false, queue: "retain: 0", transport: "recovery_buffer: 1024" });
  const { a, b, atB } = await annAndBob(t, relay, "rec-lost", "seen");
  await dropTransport(b);
  for (let i = 0; i < 40; i++) await emitAck(a, "message", { text: `lost${i}`, pad: "p".repeat(100) });
  b.connect();
  await connected(b);
  assert.equal(b.recovered, false, "not recovered: the messages are gone");
  // It is in its room again and gets what comes next; nothing of the gap arrives.
  await emitAck(a, "message", { text: "after" });
  await untilText(atB, "after");
  assert.deepEqual(atB.map(([m]) => m.text), ["seen", "after"]);
  // A later drop of this fresh session recovers normally.
  await dropTransport(b);
  await emitAck(a, "message", { text: "missed-once" });
  b.connect();
  await connected(b);
  assert.equal(b.recovered, true);
  await untilText(atB, "missed-once");
});
