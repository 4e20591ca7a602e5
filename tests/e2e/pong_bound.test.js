// A client that floods WebSocket pings and never reads must not grow the server's
// memory: the server keeps only the latest unsent pong (RFC 6455 5.5.3), where it
// used to queue one per ping behind the write that waits for the client. Measured as
// the relay's resident memory while the pings pile up; a bystander pair chats in
// another room throughout.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const { relayFor } = require("./support/relay");
const { assertServing } = require("./support/clients");
const { bystandersFor } = require("./support/bystander");

const PINGS = 200000; // 125-byte pings: 26 MB in, as many pongs owed
const PAYLOAD = 125;

function residentBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]) * 1024;
}

/** A masked client frame (mask key zero: the payload goes as it is). */
function clientFrame(opcode, payload) {
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | body.length, 0, 0, 0, 0]), body]);
}

/** A WebSocket to the Engine.IO endpoint over bare TCP; resolves once upgraded. */
async function upgrade(port) {
  const sock = net.connect(port, "127.0.0.1");
  await new Promise((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  sock.write(
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
      "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let received = Buffer.alloc(0);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no upgrade within 5 s")), 5000);
    sock.on("data", function onData(d) {
      received = Buffer.concat([received, d]);
      if (received.indexOf("\r\n\r\n") < 0) return;
      clearTimeout(timer);
      sock.off("data", onData);
      if (!received.toString().startsWith("HTTP/1.1 101")) reject(new Error(received.toString()));
      else resolve();
    });
  });
  return { sock, received };
}

test("pings flooded by a client that never reads cost the server no memory", async (t) => {
  const relay = await relayFor(t, { store: false });
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });
  const { sock } = await upgrade(relay.port);
  t.after(() => sock.destroy());
  sock.pause(); // read nothing: the server's writes to it stall

  const before = residentBytes(relay.proc.pid);
  const pings = [];
  for (let i = 0; i < PINGS; i++) pings.push(clientFrame(9, String(i).padEnd(PAYLOAD, ".")));
  const last = "last".padEnd(PAYLOAD, ".");
  pings.push(clientFrame(9, last));
  const written = new Promise((resolve, reject) => sock.write(Buffer.concat(pings), (err) => (err ? reject(err) : resolve())));

  // Until the pings are all handed over, and a while after (the server reads them as
  // fast as it can), its memory must stay put.
  let peak = before;
  let done = false;
  written.then(() => (done = true), () => (done = true));
  const deadline = Date.now() + 30000;
  while (!done && Date.now() < deadline) {
    peak = Math.max(peak, residentBytes(relay.proc.pid));
    await new Promise((r) => setTimeout(r, 20));
  }
  await written;
  for (const until = Date.now() + 1000; Date.now() < until; ) {
    peak = Math.max(peak, residentBytes(relay.proc.pid));
    await new Promise((r) => setTimeout(r, 20));
  }
  const grown = peak - before;
  assert.ok(grown < 8 * 1024 * 1024, `the relay grew by ${grown} bytes while ${PINGS} pongs were owed`);

  // Reading again, the client gets a pong for the latest ping.
  let inbox = Buffer.alloc(0);
  const gotLast = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no pong for the last ping within 10 s")), 10000);
    sock.on("data", (d) => {
      inbox = Buffer.concat([inbox, d]).subarray(-4 * PAYLOAD);
      if (inbox.includes(Buffer.from(last))) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  sock.resume();
  await gotLast;
  await assertServing(relay.url);
  await bystanders.finish();
});
