// Per-sender order and exactly-once delivery under load: 5 rooms × 10 clients, every
// client sends 200 messages without waiting for acks; every other member of its room
// must receive each of them once, in the order sent, and every message is acked.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, emitAck, nextEvent, closeAll } = require("./support/clients");

const ROOMS = 5;
const PER_ROOM = 10;
const MESSAGES = 200;

test(`${ROOMS} rooms × ${PER_ROOM} clients × ${MESSAGES} messages: per-sender order, exactly once`, { timeout: 60000 }, async (t) => {
  const relay = await relayFor(t);
  const rooms = Array.from({ length: ROOMS }, (_, i) => uniqueRoom(`order${i}`));
  const members = [];
  t.after(() => closeAll(members.map((m) => m.socket)));
  for (const room of rooms) {
    for (let i = 0; i < PER_ROOM; i++) {
      // One member per room on HTTP long-polling: batching must keep the order too.
      const transports = i === PER_ROOM - 1 ? ["polling"] : ["websocket"];
      const name = `${room}/u${i}`;
      const socket = await connect(relay.url, { auth: { room, user: name }, transports });
      const member = { room, name, socket, bySender: new Map(), total: 0, foreign: [] };
      socket.on("message", (msg, offset) => {
        if (msg.room !== room || offset !== msg.id) member.foreign.push(msg);
        if (msg.fence) return;
        const seqs = member.bySender.get(msg.user) || [];
        seqs.push(msg.seq);
        member.bySender.set(msg.user, seqs);
        member.total++;
      });
      members.push(member);
    }
  }

  const started = Date.now();
  const acks = await Promise.all(
    members.map(async (m) => {
      const pending = [];
      for (let seq = 0; seq < MESSAGES; seq++) {
        pending.push(m.socket.timeout(30000).emitWithAck("message", { seq, pad: "x".repeat(seq % 64) }));
      }
      return Promise.all(pending);
    }),
  );
  const ids = new Set();
  for (const list of acks) {
    assert.equal(list.length, MESSAGES);
    for (const ack of list) {
      assert.equal(typeof ack.id, "string", JSON.stringify(ack));
      ids.add(ack.id);
    }
  }
  assert.equal(ids.size, ROOMS * PER_ROOM * MESSAGES, "every ack has its own id");

  const expected = (PER_ROOM - 1) * MESSAGES;
  await eventually(() => members.every((m) => m.total >= expected), 30000, "every member got every message");
  // A fence per room: once it arrived, any duplicate of an earlier message would have too.
  await Promise.all(
    rooms.map(async (room) => {
      const inRoom = members.filter((m) => m.room === room);
      const fences = inRoom.slice(1).map((m) => nextEvent(m.socket, "message", 10000));
      await emitAck(inRoom[0].socket, "message", { fence: true });
      await Promise.all(fences);
    }),
  );
  t.diagnostic(`${ids.size} messages, ${ids.size * (PER_ROOM - 1)} deliveries in ${Date.now() - started} ms`);

  const inOrder = Array.from({ length: MESSAGES }, (_, i) => i);
  for (const m of members) {
    assert.deepEqual(m.foreign, [], `${m.name}: messages from elsewhere`);
    assert.equal(m.total, expected, `${m.name}: total`);
    assert.equal(m.bySender.has(m.name), false, `${m.name} got its own messages`);
    assert.equal(m.bySender.size, PER_ROOM - 1, `${m.name}: senders`);
    for (const [sender, seqs] of m.bySender) {
      assert.ok(sender.startsWith(m.room + "/"), `${m.name} got ${sender}`);
      assert.deepEqual(seqs, inOrder, `${m.name} from ${sender}`);
    }
  }
});
