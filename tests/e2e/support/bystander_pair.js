// Two socket.io-client clients chatting in a room of their own while a test does
// something hostile elsewhere: one client must never hurt the others, so they must
// lose nothing, get nothing twice and never be disconnected.
"use strict";
const assert = require("node:assert/strict");
const { eventually } = require("./relay");
const { uniqueRoom, connect, collect, emitAck, closeAll } = require("./clients");

/**
 * Starts the pair on `url`: each sends a small message every `intervalMs` (pacing,
 * not synchronisation) and waits for its ack. `stop()` ends the chat, waits (with a
 * deadline) until each has every message the other had acked, and asserts: every ack
 * an id, every message received once and in order, no disconnect. The sockets are
 * closed when the test ends.
 *
 * @param {import("node:test").TestContext} t
 * @param {string} url
 * @param {{transports?: string[], intervalMs?: number}} [options]
 */
async function bystanderPair(t, url, options = {}) {
  const room = uniqueRoom("bystanders");
  const transports = options.transports || ["websocket"];
  const intervalMs = options.intervalMs ?? 20;
  const a = await connect(url, { auth: { room, user: "bystander-a" }, transports });
  const b = await connect(url, { auth: { room, user: "bystander-b" }, transports });
  t.after(() => closeAll(a, b));
  const problems = [];
  a.on("disconnect", (reason) => problems.push(`bystander-a disconnected: ${reason}`));
  b.on("disconnect", (reason) => problems.push(`bystander-b disconnected: ${reason}`));
  const atA = collect(a, "message");
  const atB = collect(b, "message");
  const sent = { a: [], b: [] };
  let running = true;

  async function chat(socket, name) {
    for (let i = 0; running; i++) {
      try {
        const ack = await emitAck(socket, "message", { text: `${name}${i}` });
        if (ack && typeof ack.id === "string") sent[name].push(ack.id);
        else problems.push(`${name}: bad ack ${JSON.stringify(ack)}`);
      } catch (err) {
        problems.push(`${name}: ${err.message}`);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
  const chatting = Promise.all([chat(a, "a"), chat(b, "b")]);

  return {
    room,
    /** Ends the chat and asserts nothing was lost; resolves with how many were sent. */
    async stop() {
      running = false;
      await chatting;
      const ids = (received) => received.map(([m]) => m.id);
      await eventually(
        () => ids(atB).length >= sent.a.length && ids(atA).length >= sent.b.length,
        10000,
        "the bystanders' messages delivered",
      ).catch((err) => problems.push(err.message));
      assert.deepEqual(problems, [], "the bystanders were hurt");
      assert.deepEqual(ids(atB), sent.a, "bystander-b got each of a's messages once, in order");
      assert.deepEqual(ids(atA), sent.b, "bystander-a got each of b's messages once, in order");
      assert.ok(sent.a.length > 0 && sent.b.length > 0, "the bystanders chatted");
      return sent.a.length + sent.b.length;
    },
  };
}

module.exports = { bystanderPair };
