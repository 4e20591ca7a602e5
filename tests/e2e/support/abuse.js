// Helpers for tests that abuse the server on purpose (floods, connection storms): a
// pair of bystanders who must not notice, a free port for the admin server, and its
// metrics. Everything is bounded and has deadlines.
"use strict";
const assert = require("node:assert/strict");
const net = require("node:net");
const { connect, uniqueRoom, closeAll } = require("./clients");
const { eventually } = require("./relay");

/** A free loopback port (for admin.listen, which has no port-0 read-back). */
function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every sample of the admin server's /metrics, by series name (labels included). */
async function metrics(adminPort) {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  const samples = {};
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (-?\d+)$/.exec(line);
    if (m) samples[m[1]] = Number(m[2]);
  }
  return samples;
}

/**
 * Two socket.io-client clients chatting in a room of their own while a test abuses the
 * server. Connect them before the abuse starts (they are counted first by per-address
 * limits, as clients already connected would be). Each sends a numbered message every
 * `intervalMs` with an ack; `finish()` stops them and asserts that neither saw a
 * disconnect, that every message was acked with an id, and that the other received
 * every one, in order.
 */
async function startBystanders(url, { intervalMs = 50, transports = ["websocket"] } = {}) {
  const room = uniqueRoom("bystanders");
  const a = await connect(url, { auth: { room, user: "bystander-a" }, transports });
  const b = await connect(url, { auth: { room, user: "bystander-b" }, transports });
  const pair = [
    { from: a, to: b, sent: 0, acked: [], received: [] },
    { from: b, to: a, sent: 0, acked: [], received: [] },
  ];
  const disconnects = [];
  for (const side of pair) {
    side.from.on("disconnect", (reason) => disconnects.push(reason));
    const other = pair.find((p) => p.from === side.to);
    side.from.on("message", (msg) => other.received.push(msg.n));
  }
  const pending = new Set();
  const timer = setInterval(() => {
    for (const side of pair) {
      const n = side.sent++;
      const ack = side.from
        .timeout(10000)
        .emitWithAck("message", { n })
        .then((reply) => side.acked.push(reply && typeof reply.id === "string" ? n : { n, reply }))
        .catch((err) => side.acked.push({ n, error: String(err) }));
      pending.add(ack);
      ack.finally(() => pending.delete(ack));
    }
  }, intervalMs);
  return {
    room,
    async finish() {
      // Each has chatted a little at least, also when the abuse was over quickly.
      await eventually(() => pair.every((p) => p.acked.length >= 3), 10000, "the bystanders chatting");
      clearInterval(timer);
      await Promise.all([...pending]);
      try {
        assert.deepEqual(disconnects, [], "the bystanders were disconnected");
        for (const side of pair) {
          const expected = Array.from({ length: side.sent }, (_, i) => i);
          assert.deepEqual(side.acked.slice().sort((x, y) => x - y), expected, "a bystander's message was not acked");
          await eventually(() => side.received.length >= side.sent, 10000, "the bystanders' messages arrived");
          assert.deepEqual(side.received, expected, "a bystander's messages were lost or reordered");
        }
      } finally {
        closeAll(a, b);
      }
      return { sent: pair[0].sent + pair[1].sent };
    },
    close: () => {
      clearInterval(timer);
      closeAll(a, b);
    },
  };
}

module.exports = { freePort, metrics, startBystanders };
