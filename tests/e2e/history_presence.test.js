// `history` (limit, before, oldest first), `presence` (the room's members) and the
// `join`/`leave` events the other members get.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, connected, client, collect, emitAck, nextEvent, closeAll } = require("./support/clients");

const ws = { transports: ["websocket"] };

test("history: the last messages, oldest first; limit and before", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("hist");
  const other = uniqueRoom("hist-other");
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { transports: ["polling"], auth: { room, user: "bob" } });
  const o = await connect(relay.url, { ...ws, auth: { room: other, user: "oz" } });
  t.after(() => closeAll(a, b, o));

  assert.deepEqual(await emitAck(a, "history", { limit: 10 }), [], "an empty room has no history");
  const ids = [];
  for (let i = 0; i < 12; i++) {
    const from = i % 3 === 2 ? b : a;
    ids.push((await emitAck(from, "message", { text: `h${i}`, i })).id);
    if (i % 4 === 0) await emitAck(o, "message", { text: `other${i}` });
  }
  // Acked means durable in the queue; the store catches up just after.
  await eventually(async () => (await emitAck(a, "history", { limit: 100 })).length === 12, 5000, "12 in history");

  const all = await emitAck(b, "history", { limit: 100 });
  assert.deepEqual(all.map((m) => m.id), ids, "oldest first, only this room");
  all.forEach((m, i) => {
    assert.equal(m.text, `h${i}`);
    assert.equal(m.i, i);
    assert.equal(m.room, room);
    assert.equal(typeof m.ts, "number");
    assert.equal(m.user, i % 3 === 2 ? "bob" : "ann");
    assert.equal(m.sender, i % 3 === 2 ? b.id : a.id);
  });

  const last5 = await emitAck(a, "history", { limit: 5 });
  assert.deepEqual(last5.map((m) => m.id), ids.slice(7), "limit: the newest 5, oldest first");

  const before = await emitAck(a, "history", { limit: 5, before: ids[7] });
  assert.deepEqual(before.map((m) => m.id), ids.slice(2, 7), "before: the 5 just before");

  const first = await emitAck(a, "history", { limit: 5, before: ids[2] });
  assert.deepEqual(first.map((m) => m.id), ids.slice(0, 2), "before near the start: fewer");

  assert.deepEqual(await emitAck(a, "history", { limit: 5, before: ids[0] }), []);

  // Without arguments: a default limit, still oldest first.
  const byDefault = await a.timeout(5000).emitWithAck("history");
  assert.deepEqual(byDefault.map((m) => m.id), ids);

  const otherHistory = await emitAck(o, "history", { limit: 100 });
  assert.deepEqual(otherHistory.map((m) => m.text), ["other0", "other4", "other8"]);
});

test("presence lists the room's members; join and leave reach the others", async (t) => {
  const relay = await relayFor(t);
  const room = uniqueRoom("pres");
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const joinsA = collect(a, "join");
  const leavesA = collect(a, "leave");

  const b = await connect(relay.url, { transports: ["polling"], auth: { room, user: "bob" } });
  const joinsB = collect(b, "join");
  const leavesB = collect(b, "leave");
  t.after(() => closeAll(a, b));
  await eventually(() => joinsA.length === 1, 5000, "a saw b join");
  assert.deepEqual(joinsA[0][0], { sid: b.id, user: "bob", room });

  const elsewhere = await connect(relay.url, { ...ws, auth: { room: uniqueRoom("elsewhere"), user: "eve" } });
  t.after(() => elsewhere.close());

  const c = client(relay.url, { ...ws, auth: { room } }); // no user name
  const joinsC = collect(c, "join");
  t.after(() => c.close());
  await connected(c);
  await eventually(() => joinsA.length === 2 && joinsB.length === 1, 5000, "a and b saw c join");
  assert.deepEqual(joinsA[1][0], { sid: c.id, user: null, room });
  assert.deepEqual(joinsB[0][0], { sid: c.id, user: null, room });

  const byId = (list) => [...list].sort((x, y) => x.sid.localeCompare(y.sid));
  const expected = byId([
    { sid: a.id, user: "ann", room },
    { sid: b.id, user: "bob", room },
    { sid: c.id, user: null, room },
  ]);
  for (const s of [a, b, c]) {
    const members = await s.timeout(5000).emitWithAck("presence");
    assert.deepEqual(byId(members), expected);
  }

  // c leaves: a and b are told, and presence forgets c.
  c.disconnect();
  await eventually(() => leavesA.length === 1 && leavesB.length === 1, 5000, "a and b saw c leave");
  assert.deepEqual(leavesA[0][0], { sid: expected.find((m) => m.user === null).sid, user: null, room });
  assert.deepEqual(leavesB[0][0], leavesA[0][0]);
  await eventually(async () => (await a.timeout(5000).emitWithAck("presence")).length === 2, 5000, "presence without c");

  // A dropped transport (no goodbye) is a leave too.
  b.io.engine.close();
  await eventually(() => leavesA.length === 2, 5000, "a saw b leave");
  assert.deepEqual(leavesA[1][0], { sid: expected.find((m) => m.user === "bob").sid, user: "bob", room });
  assert.deepEqual(await a.timeout(5000).emitWithAck("presence"), [{ sid: a.id, user: "ann", room }]);

  // Nobody got events of its own or of another room.
  assert.deepEqual(joinsC, []);
  assert.ok(joinsA.every(([m]) => m.room === room && m.sid !== a.id));
  assert.ok(leavesA.every(([m]) => m.room === room && m.sid !== a.id));
});
