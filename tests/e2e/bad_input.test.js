// Hostile and broken input, over a raw WebSocket (the `ws` package), raw HTTP and bare
// TCP. Each abuse must end (or be answered with an error on) only the offending
// connection, and a well-behaved client in the same relay must still connect and chat.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually, within } = require("./support/relay");
const { uniqueRoom, connect, collect, emitAck, nextEvent, closeAll, assertServing } = require("./support/clients");
const { RawSocket, request, pollingHandshake, tcp } = require("./support/raw");

const ENGINE = "/socket.io/";

/** Raw frames that must make the server close the WebSocket. */
const closingFrames = [
  ["garbage text", "hello"],
  ["an empty text frame", ""],
  ["an unknown Engine.IO type", "7"],
  ["another unknown Engine.IO type", "9xyz"],
  ["an unknown Socket.IO type", '47["message",{}]'],
  ["invalid JSON in an EVENT", '42["message",{"text":'],
  ["invalid JSON in an EVENT (trailing)", '42["message",{}]]'],
  ["an EVENT that is not an array", '42{"message":1}'],
  ["an EVENT without a name", "42[]"],
  ["an EVENT whose name is not a string", "42[1,{}]"],
  ["a reserved event name", '42["connect",{}]'],
  ["an ack id too large", '4212345678901234567["message",{}]'],
  ["an ACK without an id", "43[]"],
  ["a binary header with placeholders that do not match", '451-["message",{"_placeholder":true,"num":3}]'],
  ["a binary header with zero attachments", '450-["message",{}]'],
  ["a CONNECT with a non-object payload", '40"room"'],
  ["a CONNECT with invalid JSON", '40{"room":'],
  ["an Engine.IO open from the client", "0{}"],
  ["an Engine.IO upgrade outside an upgrade", "5"],
  ["invalid UTF-8 in a string", Buffer.from([0x34, 0x32, 0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]), { binary: false }],
  ["deeply nested JSON", "42[\"message\"," + "[".repeat(5000) + "]".repeat(5000) + "]"],
];

test("raw WebSocket: malformed frames close only that connection", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("bad");
  const watcher = await connect(relay.url, { auth: { room, user: "watch" }, transports: ["websocket"] });
  const peer = await connect(relay.url, { auth: { room, user: "peer" }, transports: ["websocket"] });
  t.after(() => closeAll(watcher, peer));
  const atWatcher = collect(watcher, "message");
  for (const [what, frame, options] of closingFrames) {
    for (const connectFirst of [false, true]) {
      const raw = new RawSocket(relay.port);
      try {
        if (connectFirst) {
          const reply = await raw.connect({ room, user: "raw" });
          assert.equal(typeof reply.sid, "string", what);
        } else {
          await raw.open();
        }
        raw.send(frame, options);
        await raw.closedByServer(5000).catch((err) => assert.fail(`${what} (connected: ${connectFirst}): ${err.message}`));
      } finally {
        raw.close();
      }
    }
  }
  // The room is intact, and nothing the raw clients sent was published.
  const got = nextEvent(watcher, "message");
  await emitAck(peer, "message", { text: "after" });
  await got;
  assert.deepEqual(atWatcher.map(([m]) => m.text), ["after"]);
  await assertServing(relay.url);
});

test("raw WebSocket: a binary frame where text is due closes the connection", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("badbin");
  for (const connectFirst of [false, true]) {
    const raw = new RawSocket(relay.port);
    try {
      if (connectFirst) await raw.connect({ room });
      else await raw.open();
      raw.send(Buffer.from([1, 2, 3, 4]), { binary: true });
      await raw.closedByServer();
    } finally {
      raw.close();
    }
  }
  // A text frame while attachments are still due is just as wrong.
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  await raw.connect({ room });
  raw.send('451-["message",{"f":{"_placeholder":true,"num":0}}]');
  raw.send('42["message",{"text":"too early"}]');
  await raw.closedByServer();
  await assertServing(relay.url);
});

test("raw WebSocket: a well-formed binary event is accepted", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("rawbin");
  const peer = await connect(relay.url, { auth: { room }, transports: ["websocket"] });
  t.after(() => peer.close());
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  await raw.connect({ room });
  const got = nextEvent(peer, "message");
  raw.send('451-7["message",{"f":{"_placeholder":true,"num":0}}]');
  raw.send(Buffer.from([9, 8, 7]), { binary: true });
  const ack = await raw.waitFor((f) => f.text && f.text.startsWith("437["), 5000, "ack");
  const [msg] = await got;
  assert.deepEqual([...msg.f], [9, 8, 7]);
  assert.equal(ack.text, `437[{"id":"${msg.id}"}]`);
});

test("raw WebSocket: CONNECT to another namespace is refused, the connection lives", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("nsp");
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  const open = await raw.open();
  assert.equal(typeof open.sid, "string");
  assert.deepEqual(open.upgrades, []);
  assert.equal(open.maxPayload, 1000000);
  raw.send("40/nope,");
  const refused = await raw.waitFor((f) => f.text && f.text.startsWith("44"), 5000, "CONNECT_ERROR");
  assert.equal(refused.text, '44/nope,{"message":"Invalid namespace"}');
  // Events for the refused namespace are ignored; the main namespace still connects.
  raw.send('42/nope,["message",{}]');
  raw.send("40" + JSON.stringify({ room }));
  const ok = await raw.waitFor((f) => f.text && f.text.startsWith("40{"), 5000, "CONNECT");
  const reply = JSON.parse(ok.text.slice(2));
  assert.equal(typeof reply.sid, "string");
  assert.equal(typeof reply.pid, "string", "recovery is on: the CONNECT carries a pid");
  // An EVENT without an ack id is fine; then one with an ack.
  raw.send('42["message",{"text":"no ack"}]');
  raw.send('421["message",{"text":"acked"}]');
  const ack = await raw.waitFor((f) => f.text && f.text.startsWith("431["), 5000, "ack");
  assert.match(ack.text, /^431\[\{"id":"[^"]+"\}\]$/);
  // A repeated CONNECT changes nothing.
  raw.send("40" + JSON.stringify({ room: uniqueRoom("other") }));
  raw.send('422["history",{"limit":1}]');
  await raw.waitFor((f) => f.text && f.text.startsWith("432["), 5000, "history ack");
  assert.equal(raw.closed, false);
  // An EVENT before any CONNECT on a fresh connection is ignored, not answered.
  const early = new RawSocket(relay.port);
  t.after(() => early.close());
  await early.open();
  early.send('429["message",{"text":"early"}]');
  early.send("40" + JSON.stringify({ room }));
  await early.waitFor((f) => f.text && f.text.startsWith("40{"), 5000, "CONNECT");
  assert.equal(early.frames.some((f) => f.text && f.text.startsWith("439")), false);
  // No room at all.
  const roomless = new RawSocket(relay.port);
  t.after(() => roomless.close());
  assert.deepEqual(await roomless.connect({ user: "x" }), { message: "Invalid room id" });
  await assertServing(relay.url);
});

test("raw WebSocket: frames over max_payload close the connection", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("huge");
  const peer = await connect(relay.url, { auth: { room }, transports: ["websocket"] });
  t.after(() => peer.close());
  for (const frame of ["4" + "x".repeat(1_100_000), Buffer.alloc(1_100_000, 7)]) {
    const raw = new RawSocket(relay.port);
    try {
      await raw.connect({ room });
      raw.send(frame, { binary: Buffer.isBuffer(frame) });
      const code = await raw.closedByServer();
      assert.ok(code === 1009 || code === 1006, `close code ${code}`);
    } finally {
      raw.close();
    }
  }
  // Fragments that add up to more than max_payload are the same.
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  await raw.connect({ room });
  const chunk = "y".repeat(300_000);
  raw.send("42" + chunk, { fin: false });
  for (let i = 0; i < 3; i++) raw.send(chunk, { fin: false });
  raw.send("]", { fin: true });
  await raw.closedByServer();
  await assertServing(relay.url);
});

test("HTTP polling: errors as engine.io answers them", async (t) => {
  const relay = await relayFor(t);
  const json = (res) => ({ status: res.status, body: JSON.parse(res.body) });
  const p = relay.port;

  assert.deepEqual(json(await request(p, { path: `${ENGINE}?EIO=4&transport=polling&sid=nope` })), {
    status: 400,
    body: { code: 1, message: "Session ID unknown" },
  });
  assert.deepEqual(json(await request(p, { method: "POST", path: `${ENGINE}?EIO=4&transport=polling&sid=nope`, body: "40" })), {
    status: 400,
    body: { code: 1, message: "Session ID unknown" },
  });
  for (const transport of ["carrier-pigeon", "", "flashsocket"]) {
    assert.deepEqual(json(await request(p, { path: `${ENGINE}?EIO=4&transport=${transport}` })), {
      status: 400,
      body: { code: 0, message: "Transport unknown" },
    });
  }
  assert.deepEqual(json(await request(p, { path: `${ENGINE}?transport=polling` })), {
    status: 400,
    body: { code: 5, message: "Unsupported protocol version" },
  });
  for (const eio of ["3", "5", "x"]) {
    assert.deepEqual(json(await request(p, { path: `${ENGINE}?EIO=${eio}&transport=polling` })), {
      status: 400,
      body: { code: 5, message: "Unsupported protocol version" },
    });
  }
  for (const method of ["PUT", "DELETE", "POST"]) {
    assert.deepEqual(json(await request(p, { method, path: `${ENGINE}?EIO=4&transport=polling`, body: "x" })), {
      status: 400,
      body: { code: 2, message: "Bad handshake method" },
    });
  }
  // A WebSocket handshake without the upgrade.
  assert.deepEqual(json(await request(p, { path: `${ENGINE}?EIO=4&transport=websocket` })), {
    status: 400,
    body: { code: 3, message: "Bad request" },
  });
  // An upgrade naming an unknown session.
  const ws = new RawSocket(p, { query: "EIO=4&transport=websocket&sid=nope" });
  t.after(() => ws.close());
  await ws.closedByServer();
  assert.equal(ws.frames.length, 0);

  // A real session: a bad method on it, then a garbage POST body, which ends it.
  const { sid } = await pollingHandshake(p);
  const bad = await request(p, { method: "PUT", path: `${ENGINE}?EIO=4&transport=polling&sid=${sid}`, body: "x" });
  assert.equal(bad.status, 400);
  const garbage = await request(p, { method: "POST", path: `${ENGINE}?EIO=4&transport=polling&sid=${sid}`, body: "zzz" });
  assert.equal(garbage.status, 400);
  assert.deepEqual(json(await request(p, { path: `${ENGINE}?EIO=4&transport=polling&sid=${sid}` })), {
    status: 400,
    body: { code: 1, message: "Session ID unknown" },
  });

  // Two GETs at once: the session is closed, as engine.io does.
  const second = await pollingHandshake(p);
  const pollPath = `${ENGINE}?EIO=4&transport=polling&sid=${second.sid}`;
  // The two may reach the session in either order: one waits, the other is refused.
  const answers = await Promise.all([request(p, { path: pollPath }), request(p, { path: pollPath })]);
  const refusedPoll = answers.find((r) => r.status === 400);
  const waitingPoll = answers.find((r) => r.status === 200);
  assert.ok(refusedPoll && waitingPoll, `statuses ${answers.map((r) => r.status)}`);
  assert.ok(waitingPoll.body.split("\x1e").includes("1"), `the waiting poll gets a close packet: ${JSON.stringify(waitingPoll.body)}`);
  assert.equal((await request(p, { path: pollPath })).status, 400, "the session is gone");

  // Unknown paths are 404, not Engine.IO.
  assert.equal((await request(p, { path: "/nope" })).status, 404);
  // A malformed request line gets a 400 and the connection closes.
  const sock = await tcp(p);
  sock.write("NOT HTTP AT ALL\r\n\r\n");
  const answer = await within(sock.ended, 5000, "closing a malformed HTTP connection");
  assert.match(answer, /^HTTP\/1\.1 400/);

  await assertServing(relay.url, ["polling"]);
  await assertServing(relay.url, ["websocket"]);
});

test("HTTP polling: a body over max_payload is refused and ends that session", async (t) => {
  const relay = await relayFor(t, { transport: "max_payload: 4096" });
  const { sid } = await pollingHandshake(relay.port);
  const path = `${ENGINE}?EIO=4&transport=polling&sid=${sid}`;
  const res = await request(relay.port, { method: "POST", path, body: "4" + "x".repeat(10000) });
  assert.equal(res.status, 413);
  assert.equal((await request(relay.port, { path })).status, 400);
  await assertServing(relay.url, ["polling"]);
});

test("half-open and incomplete handshakes time out without harming others", async (t) => {
  const relay = await relayFor(t, { transport: "handshake_timeout: 1s" });
  const room = uniqueRoom("slow");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["polling"] });
  t.after(() => closeAll(a, b));
  const started = Date.now();
  const silent = await tcp(relay.port); // connects, sends nothing
  const partial = await tcp(relay.port); // half a request line
  partial.write("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const upgrade = await tcp(relay.port); // an upgrade without its final CRLF
  upgrade.write(
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
  );
  const body = await tcp(relay.port); // a POST whose body never comes
  body.write("POST /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n40");
  const sockets = [silent, partial, upgrade, body];
  t.after(() => sockets.forEach((s) => s.destroy()));

  // Meanwhile the others chat.
  for (let i = 0; i < 5; i++) {
    const got = nextEvent(b, "message");
    await emitAck(a, "message", { text: `while ${i}` });
    await got;
  }
  const ends = await within(Promise.all(sockets.map((s) => s.ended)), 5000, "closing the half-open connections");
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 900, `closed after ${elapsed} ms, before the 1 s handshake_timeout`);
  for (const received of ends) assert.doesNotMatch(received, /^HTTP\/1\.1 [12]/);
  await assertServing(relay.url, ["websocket"]);
  await assertServing(relay.url, ["polling"]);
});

test("a WebSocket upgrade that never sends its first packet is closed by connect_timeout", async (t) => {
  const relay = await relayFor(t, { transport: "connect_timeout: 1s, ping_interval: 300ms, ping_timeout: 500ms" });
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  await raw.open(); // but never CONNECT
  await raw.closedByServer(5000);
  await assertServing(relay.url);
});

test("a client that stops answering pings is closed; the room is told", async (t) => {
  const relay = await relayFor(t, { transport: "ping_interval: 300ms, ping_timeout: 300ms" });
  const room = uniqueRoom("ping");
  const a = await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] });
  t.after(() => a.close());
  const leaves = collect(a, "leave");
  const raw = new RawSocket(relay.port);
  t.after(() => raw.close());
  raw.ws.removeAllListeners("message"); // deaf: no pongs
  raw.ws.on("message", (d) => raw.frames.push({ text: d.toString() }));
  await raw.connect({ room, user: "mute" });
  await raw.closedByServer(5000);
  await eventually(() => leaves.some(([m]) => m.user === "mute"), 5000, "the room saw the deaf client leave");
  assert.equal(a.connected, true, "the well-behaved client kept answering and stayed");
});
