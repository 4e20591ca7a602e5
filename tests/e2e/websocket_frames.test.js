// The transport's own RFC 6455 framing (after Beast's upgrade handshake), over bare
// TCP: what a WebSocket library would never send, byte by byte. Control frames,
// fragmentation, frames split across reads, protocol errors with their close codes,
// the close handshake, and the coalescing of queued frames into one write.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const net = require("node:net");
const { relayFor, eventually } = require("./support/relay");
const { connect, closeAll, emitAck, uniqueRoom } = require("./support/clients");
const { bystandersFor } = require("./support/bystander");
const { freePort, metric } = require("./support/abuse");

/** A bare TCP WebSocket client: upgrade by hand, then raw frames both ways. */
class BareSocket {
  constructor(port) {
    this.port = port;
    this.buffer = Buffer.alloc(0);
    this.frames = []; // {opcode, fin, payload: Buffer}
    this.ended = false;
  }

  async open() {
    this.sock = net.connect(this.port, "127.0.0.1");
    await new Promise((resolve, reject) => {
      this.sock.once("connect", resolve);
      this.sock.once("error", reject);
    });
    const key = crypto.randomBytes(16).toString("base64");
    this.sock.write(
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let head = Buffer.alloc(0);
    await new Promise((resolve, reject) => {
      const onData = (d) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        this.sock.off("data", onData);
        const status = head.subarray(0, end).toString();
        if (!status.startsWith("HTTP/1.1 101")) return reject(new Error(status));
        this.feed(head.subarray(end + 4));
        this.sock.on("data", (more) => this.feed(more));
        resolve();
      };
      this.sock.on("data", onData);
    });
    this.sock.on("end", () => (this.ended = true));
    this.sock.on("close", () => (this.ended = true));
    this.sock.on("error", () => (this.ended = true));
    const open = await this.waitFor((f) => f.opcode === 1 && f.payload.toString().startsWith("0"));
    return JSON.parse(open.payload.toString().slice(1));
  }

  feed(data) {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const b0 = this.buffer[0];
      const b1 = this.buffer[1];
      assert.equal(b1 & 0x80, 0, "server frames are never masked");
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buffer.length < at + len) return;
      const payload = this.buffer.subarray(at, at + len);
      this.frames.push({ opcode: b0 & 0x0f, fin: (b0 & 0x80) !== 0, payload: Buffer.from(payload) });
      // Answer Engine.IO pings so the session stays up.
      if ((b0 & 0x0f) === 1 && payload.toString() === "2") this.sendText("3");
      this.buffer = this.buffer.subarray(at + len);
    }
  }

  /** A client frame: masked unless `mask` is false; `rsv` sets reserved bits. */
  static frame(opcode, payload, { fin = true, mask = true, rsv = 0 } = {}) {
    const body = Buffer.from(payload);
    const header = [((fin ? 0x80 : 0) | rsv | opcode) & 0xff];
    const maskBit = mask ? 0x80 : 0;
    if (body.length < 126) header.push(maskBit | body.length);
    else if (body.length < 65536) header.push(maskBit | 126, body.length >> 8, body.length & 0xff);
    else {
      header.push(maskBit | 127);
      const len = Buffer.alloc(8);
      len.writeBigUInt64BE(BigInt(body.length));
      header.push(...len);
    }
    if (!mask) return Buffer.concat([Buffer.from(header), body]);
    const key = crypto.randomBytes(4);
    const masked = Buffer.from(body.map((b, i) => b ^ key[i & 3]));
    return Buffer.concat([Buffer.from(header), key, masked]);
  }

  write(bytes) {
    this.sock.write(bytes);
  }

  sendText(text, options) {
    this.write(BareSocket.frame(1, text, options));
  }

  async waitFor(predicate, ms = 5000, what = "frame") {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        const seen = this.frames.map((f) => [f.opcode, f.payload.toString()]);
        throw new Error(`no ${what} within ${ms} ms (got ${JSON.stringify(seen)})`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The close code the server sent, once it also ended the TCP connection. */
  async closedWith(ms = 5000) {
    const close = await this.waitFor((f) => f.opcode === 8, ms, "close frame");
    await eventually(() => this.ended, ms, "the server ending the TCP connection");
    return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : null;
  }

  destroy() {
    if (this.sock) this.sock.destroy();
  }
}

async function bare(t, relay) {
  const socket = new BareSocket(relay.port);
  t.after(() => socket.destroy());
  await socket.open();
  return socket;
}

test("a ping is answered with a pong carrying its payload", async (t) => {
  const relay = await relayFor(t, { store: false });
  const socket = await bare(t, relay);
  socket.write(BareSocket.frame(9, "are you there"));
  const pong = await socket.waitFor((f) => f.opcode === 10, 5000, "pong");
  assert.equal(pong.payload.toString(), "are you there");
});

test("a fragmented message, and frames split across reads, are put back together", async (t) => {
  const relay = await relayFor(t, { store: false });
  const socket = await bare(t, relay);
  const connect = '40{"room":"frag","user":"x"}';
  // Three fragments, with a ping between two of them (control frames may interleave).
  const bytes = Buffer.concat([
    BareSocket.frame(1, connect.slice(0, 5), { fin: false }),
    BareSocket.frame(0, connect.slice(5, 12), { fin: false }),
    BareSocket.frame(9, "mid"),
    BareSocket.frame(0, connect.slice(12), { fin: true }),
  ]);
  // One byte per TCP write: every frame arrives in pieces.
  for (const byte of bytes) {
    socket.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
  }
  const reply = await socket.waitFor((f) => f.opcode === 1 && f.payload.toString().startsWith("40"));
  assert.match(reply.payload.toString(), /^40\{"sid":"[^"]+"/);
  await socket.waitFor((f) => f.opcode === 10 && f.payload.toString() === "mid", 5000, "pong");
});

const protocolErrors = [
  ["an unmasked frame", () => BareSocket.frame(1, "2", { mask: false }), 1002],
  ["a reserved bit (no extension was negotiated)", () => BareSocket.frame(1, "2", { rsv: 0x40 }), 1002],
  ["a reserved opcode", () => BareSocket.frame(3, "2"), 1002],
  ["a fragmented ping", () => BareSocket.frame(9, "x", { fin: false }), 1002],
  ["a control frame over 125 bytes", () => BareSocket.frame(9, "x".repeat(126)), 1002],
  ["a continuation with no message", () => BareSocket.frame(0, "2"), 1002],
  [
    "a new message inside a fragmented one",
    () => Buffer.concat([BareSocket.frame(1, "4", { fin: false }), BareSocket.frame(1, "2")]),
    1002,
  ],
  ["a close frame with a 1-byte body", () => BareSocket.frame(8, "x"), 1002],
];

test("protocol errors close only that connection, with 1002", async (t) => {
  const relay = await relayFor(t, { store: false });
  const room = uniqueRoom("frames");
  const a = await connect(relay.url, { auth: { room, user: "a" }, transports: ["websocket"] });
  const b = await connect(relay.url, { auth: { room, user: "b" }, transports: ["websocket"] });
  t.after(() => closeAll(a, b));
  for (const [what, bytes, code] of protocolErrors) {
    const socket = await bare(t, relay);
    socket.write(bytes());
    assert.equal(await socket.closedWith().catch((e) => assert.fail(`${what}: ${e.message}`)), code, what);
  }
  const got = new Promise((resolve) => b.once("message", resolve));
  await emitAck(a, "message", { text: "still here" });
  assert.equal((await got).text, "still here");
});

test("a frame over max_payload is refused from its header, with 1009", async (t) => {
  const relay = await relayFor(t, { store: false, transport: "max_payload: 1024" });
  const socket = await bare(t, relay);
  // Only the header of a 1 MiB frame: the server must not wait for the payload.
  const header = BareSocket.frame(2, Buffer.alloc(1 << 20)).subarray(0, 14);
  socket.write(header);
  assert.equal(await socket.closedWith(), 1009);
  // Fragments that pass the limit only together are refused too.
  const other = await bare(t, relay);
  other.write(BareSocket.frame(1, "4" + "x".repeat(700), { fin: false }));
  other.write(BareSocket.frame(0, "y".repeat(700), { fin: true }));
  assert.equal(await other.closedWith(), 1009);
});

test("the client's close is answered with a close, then the server ends TCP", async (t) => {
  const relay = await relayFor(t, { store: false });
  const socket = await bare(t, relay);
  const body = Buffer.from([0x03, 0xe8]); // 1000
  socket.write(BareSocket.frame(8, body));
  assert.equal(await socket.closedWith(), 1000);
});

test("frames queued while a client does not read go out in fewer writes", async (t) => {
  const admin = await freePort();
  // More than the kernel's socket buffers hold, less than the slow-consumer limit.
  const relay = await relayFor(t, {
    store: false,
    transport: "max_queued_bytes: 64MiB",
    extra: `admin: { listen: 127.0.0.1:${admin} }`,
  });
  const room = uniqueRoom("burst");
  const sender = await connect(relay.url, { auth: { room, user: "s" }, transports: ["websocket"] });
  t.after(() => closeAll(sender));
  const reader = await bare(t, relay);
  reader.sendText(`40{"room":"${room}","user":"r"}`);
  await reader.waitFor((f) => f.opcode === 1 && f.payload.toString().startsWith("40"));
  reader.sock.pause(); // stop reading: the kernel buffers fill, the server queues
  const count = 3000;
  const writesBefore = await metric(admin, "relay_websocket_writes_total");
  const text = "z".repeat(4000);
  for (let i = 0; i < count; i++) sender.emit("message", { i, text });
  await emitAck(sender, "message", { i: count, text: "last" });
  reader.sock.resume();
  await reader.waitFor((f) => f.opcode === 1 && f.payload.toString().includes('"i":' + count), 20000, "the last message");
  const got = reader.frames.filter((f) => f.opcode === 1 && f.payload.toString().startsWith('42["message"'));
  assert.deepEqual(
    got.map((f) => JSON.parse(f.payload.toString().slice(2))[1].i),
    Array.from({ length: count + 1 }, (_, i) => i),
    "every message, in order, once",
  );
  const writes = (await metric(admin, "relay_websocket_writes_total")) - writesBefore;
  // Without coalescing this would be at least count + 1 writes (plus the sender's acks).
  assert.ok(writes < count / 2, `${writes} writes for ${count + 1} frames to the paused reader`);
});

/** A close frame's body: a status code, then a reason. */
function closeBody(code, reason = "") {
  const body = Buffer.alloc(2);
  body.writeUInt16BE(code);
  return Buffer.concat([body, Buffer.from(reason)]);
}

// RFC 6455 5.5.1 and 7.4: the answer to a client's close, by what its body says.
const closeAnswers = [
  ["no body", Buffer.alloc(0), 1000],
  ["1000", closeBody(1000), 1000],
  ["1001 (going away), echoed", closeBody(1001), 1001],
  ["1011 (internal error), echoed", closeBody(1011), 1011],
  ["3000 (a library's code), echoed", closeBody(3000), 3000],
  ["4999 (an application's code), echoed", closeBody(4999), 4999],
  ["1000 with a UTF-8 reason", closeBody(1000, "bye ✓"), 1000],
  ["a 1-byte body", Buffer.from([0x03]), 1002],
  ["0", closeBody(0), 1002],
  ["999", closeBody(999), 1002],
  ["1004 (reserved)", closeBody(1004), 1002],
  ["1005 (never on the wire)", closeBody(1005), 1002],
  ["1006 (never on the wire)", closeBody(1006), 1002],
  ["1015 (never on the wire)", closeBody(1015), 1002],
  ["1016 (unassigned)", closeBody(1016), 1002],
  ["2999 (unassigned)", closeBody(2999), 1002],
  ["5000 (out of range)", closeBody(5000), 1002],
  ["65535 (out of range)", closeBody(65535), 1002],
  ["1000 with a reason that is not UTF-8", Buffer.concat([closeBody(1000), Buffer.from([0xc3, 0x28])]), 1007],
];

test("a client's close gets its code echoed, or 1002 / 1007 when the close is invalid", async (t) => {
  const relay = await relayFor(t, { store: false });
  const bystanders = await bystandersFor(t, relay.url);
  for (const [what, body, code] of closeAnswers) {
    const socket = await bare(t, relay);
    socket.write(BareSocket.frame(8, body));
    assert.equal(await socket.closedWith().catch((e) => assert.fail(`${what}: ${e.message}`)), code, what);
  }
  await bystanders.finish();
});

// RFC 6455 8.1: a text message that is not UTF-8 fails the connection with 1007.
const notUtf8 = [
  ["a byte that never starts a character", [Buffer.from("42[\"message\",{\"t\":\""), Buffer.from([0xff]), Buffer.from("\"}]")]],
  ["an overlong NUL", [Buffer.from("4"), Buffer.from([0xc0, 0x80])]],
  ["a surrogate", [Buffer.from("4"), Buffer.from([0xed, 0xa0, 0x80])]],
  ["a code point past U+10FFFF", [Buffer.from("4"), Buffer.from([0xf4, 0x90, 0x80, 0x80])]],
  ["a character cut at the end", [Buffer.from("4abc"), Buffer.from([0xe2, 0x82])]],
];

test("text that is not UTF-8 closes with 1007, in one frame or across fragments", async (t) => {
  const relay = await relayFor(t, { store: false });
  const bystanders = await bystandersFor(t, relay.url);
  for (const [what, parts] of notUtf8) {
    const whole = await bare(t, relay);
    whole.write(BareSocket.frame(1, Buffer.concat(parts)));
    assert.equal(await whole.closedWith().catch((e) => assert.fail(`${what}: ${e.message}`)), 1007, what);
    // The same bytes as a fragmented message, one part per frame.
    const fragmented = await bare(t, relay);
    parts.forEach((part, i) => {
      fragmented.write(BareSocket.frame(i === 0 ? 1 : 0, part, { fin: i === parts.length - 1 }));
    });
    assert.equal(await fragmented.closedWith().catch((e) => assert.fail(`${what} (fragmented): ${e.message}`)), 1007, what);
  }
  // A character split between two fragments is whole once they are joined.
  const room = uniqueRoom("utf8");
  const socket = await bare(t, relay);
  const connect = Buffer.from(`40{"room":"${room}","user":"é😀"}`);
  const cut = connect.indexOf(Buffer.from("😀")) + 2;
  socket.write(BareSocket.frame(1, connect.subarray(0, cut), { fin: false }));
  socket.write(BareSocket.frame(0, connect.subarray(cut), { fin: true }));
  const reply = await socket.waitFor((f) => f.opcode === 1 && f.payload.toString().startsWith("40"));
  assert.match(reply.payload.toString(), /^40\{"sid":"[^"]+"/);
  assert.equal(socket.ended, false);
  await bystanders.finish();
});
