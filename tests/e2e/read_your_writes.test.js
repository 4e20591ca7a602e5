// Read-your-writes and history order (issue 12): once a sender holds its ack, history
// includes the message, for the sender and for every other member of the room, over
// WebSocket and over HTTP long-polling; and history lists a room's messages in the
// order they were acked, also when the senders live on different I/O threads.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, emitAck, closeAll } = require("./support/clients");

const MESSAGES = 5;

for (const transport of ["websocket", "polling"]) {
  test(`${transport}: history asked the moment the ack arrives includes the message`, async (t) => {
    const relay = await relayFor(t);
    const room = uniqueRoom(`ryw-${transport}`);
    const transports = [transport];
    const sender = await connect(relay.url, { transports, auth: { room, user: "sender" } });
    const other = await connect(relay.url, { transports, auth: { room, user: "other" } });
    t.after(() => closeAll(sender, other));

    const acked = [];
    for (let i = 0; i < MESSAGES; i++) {
      // Asked from inside the ack callback: nothing runs between the ack and the asking.
      const [ack, mine, theirs] = await new Promise((resolve, reject) => {
        sender.timeout(5000).emit("message", { i }, (err, ack) => {
          if (err) return reject(err);
          Promise.all([ack, emitAck(sender, "history", { limit: 100 }), emitAck(other, "history", { limit: 100 })])
            .then(resolve, reject);
        });
      });
      assert.equal(typeof ack.id, "string", JSON.stringify(ack));
      acked.push(ack.id);
      assert.deepEqual(
        mine.map((m) => m.id),
        acked,
        `message ${i}: the sender's history right after its ack holds every acked message`,
      );
      assert.deepEqual(
        theirs.map((m) => m.id),
        acked,
        `message ${i}: another member's history right after the ack holds every acked message`,
      );
    }
  });
}

test("two senders on different I/O threads, alternating: history order is ack order", { timeout: 60000 }, async (t) => {
  // The relay runs two I/O threads (startRelay sets node.threads: 2) and hands accepted
  // connections to them in turn: two WebSocket clients connected one after the other
  // (one TCP connection each) live on different threads.
  const relay = await relayFor(t);
  const room = uniqueRoom("order-threads");
  const ws = { transports: ["websocket"] };
  const a = await connect(relay.url, { ...ws, auth: { room, user: "a" } });
  const b = await connect(relay.url, { ...ws, auth: { room, user: "b" } });
  t.after(() => closeAll(a, b));

  const TOTAL = 300;
  const acked = [];
  for (let i = 0; i < TOTAL; i++) {
    const ack = await emitAck(i % 2 === 0 ? a : b, "message", { i });
    assert.equal(typeof ack.id, "string", JSON.stringify(ack));
    acked.push(ack.id);
  }

  // The whole history, oldest first: pages of the newest 100, then the 100 before them...
  // (history_max caps one answer).
  const readAll = async () => {
    let ids = [];
    for (;;) {
      const page = await emitAck(a, "history", ids.length ? { limit: 100, before: ids[0] } : { limit: 100 });
      ids = page.map((m) => m.id).concat(ids);
      if (page.length < 100) return ids;
    }
  };
  let history = [];
  // Order is what this test checks, not freshness: let the store catch up first.
  await eventually(async () => (history = await readAll()).length >= TOTAL, 10000, `${TOTAL} messages in history`);
  assert.equal(new Set(history).size, history.length, "each message once");
  assert.equal(history.length, acked.length, "history holds exactly the acked messages");
  // Compared position by position, so that a failure names the first difference rather
  // than printing 300 ids twice.
  const first = history.findIndex((id, k) => id !== acked[k]);
  const swapped = history.filter((id, k) => id !== acked[k]).length;
  assert.equal(
    first,
    -1,
    `history order is not ack order: ${swapped} of ${TOTAL} positions differ, the first at ${first} ` +
      `(history has message ${acked.indexOf(history[first])} there, acked ${acked[first]})`,
  );
});
