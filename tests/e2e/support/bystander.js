// Two well-behaved socket.io-client clients chatting in a room of their own while a
// test abuses the relay with another client: whatever the relay does to the bad
// client, these two must get every message the other sent, in order, and must never
// be disconnected. One uses WebSocket, the other long-polling (both transports share
// the relay's threads with the bad client).
"use strict";
const { connect, uniqueRoom } = require("./clients");
const { eventually } = require("./relay");

class Bystanders {
  /**
   * @param {string} url the relay's URL
   * @param {object} [options]
   * @param {string[][]} [options.transports] the two clients' transports
   * @param {number} [options.everyMs] pause between two messages
   * @param {object} [options.auth] more CONNECT auth for both (a token)
   * @param {object} [options.client] more socket.io-client options for both (a TLS `ca`)
   */
  static async start(url, { transports = [["websocket"], ["polling"]], everyMs = 20, auth = {}, client = {} } = {}) {
    const room = uniqueRoom("bystander");
    const a = await connect(url, { ...client, auth: { room, user: "bystander-a", ...auth }, transports: transports[0] });
    let b;
    try {
      b = await connect(url, { ...client, auth: { room, user: "bystander-b", ...auth }, transports: transports[1] });
    } catch (err) {
      a.close();
      throw err;
    }
    return new Bystanders({ a, b }, everyMs);
  }

  constructor(sockets, everyMs) {
    this.sockets = sockets;
    this.everyMs = everyMs;
    this.sent = { a: [], b: [] }; // seq numbers each one sent
    this.received = { a: [], b: [] }; // seq numbers each one got from the other
    this.problems = [];
    this.closing = false;
    for (const [name, socket] of Object.entries(sockets)) {
      socket.on("message", (m) => {
        if (m && m.by && m.by !== name) this.received[name].push(m.seq);
      });
      socket.on("disconnect", (reason) => {
        if (!this.closing) this.problems.push(`bystander ${name} disconnected: ${reason}`);
      });
    }
    this.running = this.chat();
  }

  /** Takes turns sending, each message acked before the next; runs until finish(). */
  async chat() {
    for (let turn = 0; !this.stopped; turn++) {
      const name = turn % 2 === 0 ? "a" : "b";
      const seq = this.sent[name].length;
      this.sent[name].push(seq);
      try {
        const ack = await this.sockets[name].timeout(5000).emitWithAck("message", { by: name, seq });
        if (!ack || typeof ack.id !== "string") this.problems.push(`bystander ${name} #${seq}: ack ${JSON.stringify(ack)}`);
      } catch (err) {
        this.problems.push(`bystander ${name} #${seq}: ${err.message}`);
      }
      // Pacing, not synchronisation: the two keep chatting for as long as the test runs.
      await new Promise((resolve) => setTimeout(resolve, this.everyMs));
    }
  }

  /**
   * Stops the chat (once each has sent at least `min` messages) and throws unless each
   * got every message the other sent, in order, and neither was disconnected.
   */
  async finish({ min = 3, ms = 10000 } = {}) {
    await eventually(() => this.stopped || (this.sent.a.length >= min && this.sent.b.length >= min), ms,
      `bystanders sending ${min} messages each`).catch((err) => this.problems.push(err.message));
    this.stopped = true;
    await this.running;
    const complete = () => this.received.a.length >= this.sent.b.length && this.received.b.length >= this.sent.a.length;
    await eventually(complete, ms, "bystanders receiving every message").catch((err) => {
      this.problems.push(err.message);
    });
    for (const [to, from] of [["a", "b"], ["b", "a"]]) {
      const got = JSON.stringify(this.received[to]);
      const want = JSON.stringify(this.sent[from]);
      if (got !== want) this.problems.push(`bystander ${to} got ${got}, ${from} sent ${want}`);
    }
    this.close();
    if (this.problems.length) throw new Error(this.problems.join("\n"));
  }

  close() {
    this.stopped = true;
    this.closing = true;
    for (const socket of Object.values(this.sockets)) socket.close();
  }
}

/** Bystanders.start() for one node:test test; closed when the test ends. */
async function bystandersFor(t, url, options) {
  const bystanders = await Bystanders.start(url, options);
  t.after(() => bystanders.close());
  return bystanders;
}

module.exports = { Bystanders, bystandersFor };
