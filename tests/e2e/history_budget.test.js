// History that always fits (transport.history_max_bytes): one member posting 45
// messages of 100 KB must not make `history {limit: 50}` a 4.5 MB ack that drops every
// client asking for it (max_queued_bytes, 4 MiB) and the room with it. The reply is a
// page of at most the budget, the newest that fit, with a second ack argument
// {more, before} to page on; a recovery that missed more than the budget connects the
// client afresh instead of dropping it. A bystander pair chats in another room
// throughout and must lose nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { startRelay, relayFor, eventually } = require("./support/relay");
const { uniqueRoom, connect, connected, emitAck, nextEvent, closeAll } = require("./support/clients");
const { bystandersFor } = require("./support/bystander");

const BUDGET = 1024 * 1024; // the default history_max_bytes
const COUNT = 45;
const BIG = 100 * 1000;

/** Posts COUNT messages of BIG bytes from `poster`; resolves with their ids, in order. */
async function postBig(poster) {
  const ids = [];
  for (let i = 0; i < COUNT; i++) {
    const ack = await poster.timeout(10000).emitWithAck("message", { n: i, text: "x".repeat(BIG) });
    assert.equal(typeof ack.id, "string", `ack ${i}: ${JSON.stringify(ack).slice(0, 200)}`);
    ids.push(ack.id);
  }
  return ids;
}

/** One history request; resolves with both ack arguments: {list, page}. */
function historyPage(socket, query) {
  return new Promise((resolve, reject) => {
    socket.timeout(10000).emit("history", query, (err, list, page) => (err ? reject(err) : resolve({ list, page })));
  });
}

/** Waits until the store has `lastId` (it stores after the ack). */
async function stored(socket, lastId) {
  await eventually(async () => {
    const { list } = await historyPage(socket, { limit: 1 });
    return Array.isArray(list) && list.length === 1 && list[0].id === lastId;
  }, 10000, "the last message stored");
}

/** The size of every Socket.IO ACK text frame `socket` receives, in bytes. */
function ackFrameSizes(socket) {
  const sizes = [];
  socket.io.engine.on("packet", (packet) => {
    if (packet.type === "message" && typeof packet.data === "string" && packet.data.startsWith("3")) {
      sizes.push(Buffer.byteLength(packet.data));
    }
  });
  return sizes;
}

function assertNoSlowClients(relay) {
  assert.doesNotMatch(relay.log(), /dropping slow client/, "a client was dropped as slow");
}

for (const transport of ["websocket", "polling"]) {
  test(`45 x 100 KB: history pages fit the budget and page through every message once (${transport})`, async (t) => {
    const relay = await relayFor(t);
    const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });
    const room = uniqueRoom("big");
    const poster = await connect(relay.url, { auth: { room, user: "poster" }, transports: ["websocket"] });
    t.after(() => closeAll(poster));
    const ids = await postBig(poster);
    await stored(poster, ids.at(-1));

    const reader = await connect(relay.url, { auth: { room, user: "reader" }, transports: [transport] });
    t.after(() => closeAll(reader));
    const disconnects = [];
    reader.on("disconnect", (reason) => disconnects.push(reason));
    const ackSizes = ackFrameSizes(reader);

    // What the chat page asks on joining: the newest that fit, and where to go on.
    const first = await historyPage(reader, { limit: 50 });
    assert.ok(Array.isArray(first.list), `an array first: ${JSON.stringify(first.list).slice(0, 200)}`);
    assert.ok(first.list.length > 0 && first.list.length < COUNT, `a page of ${first.list.length}`);
    assert.deepEqual(first.list.map((m) => m.id), ids.slice(COUNT - first.list.length), "the newest, oldest first");
    assert.deepEqual(first.page, { more: true, before: first.list[0].id });

    // Backward to the start with `before`, then forward again with `after`.
    const backward = [first.list];
    for (let page = first.page; page && page.more; ) {
      const next = await historyPage(reader, { limit: 50, before: page.before });
      assert.ok(next.list.length > 0, "a page that says more is never empty here");
      backward.unshift(next.list);
      page = next.page;
      assert.ok(backward.length <= COUNT, "paging ends");
    }
    assert.deepEqual(backward.flat().map((m) => m.id), ids, "every id once, in order, going back");
    assert.ok(backward.flat().every((m, i) => m.n === i && m.text.length === BIG), "whole messages");

    const forward = [];
    let after = ids[0];
    for (;;) {
      const next = await historyPage(reader, { limit: 50, after });
      forward.push(next.list);
      if (!next.page) break;
      assert.equal(next.page.more, true);
      assert.equal(next.page.after, next.list.at(-1).id, "forward pages go on after their newest");
      after = next.page.after;
      assert.ok(forward.length <= COUNT, "paging ends");
    }
    assert.deepEqual(forward.flat().map((m) => m.id), ids.slice(1), "every id once, in order, going forward");

    // A client that reads only the first argument gets the same array as before.
    const legacy = await emitAck(reader, "history", { limit: 50 });
    assert.deepEqual(legacy.map((m) => m.id), first.list.map((m) => m.id));

    assert.ok(ackSizes.length >= backward.length + forward.length, "every ack seen");
    assert.ok(Math.max(...ackSizes) <= BUDGET, `an ack of ${Math.max(...ackSizes)} bytes, over the budget`);
    assert.deepEqual(disconnects, [], "the reader was disconnected");
    assert.ok(reader.connected);
    // Everyone who joins asks the same: still nobody is dropped.
    const late = await connect(relay.url, { auth: { room, user: "late" }, transports: [transport] });
    t.after(() => closeAll(late));
    const again = await historyPage(late, { limit: 50 });
    assert.deepEqual(again.list.map((m) => m.id), first.list.map((m) => m.id));
    assert.ok(late.connected && poster.connected && reader.connected);
    await bystanders.finish();
    assertNoSlowClients(relay);
  });
}

test("a message larger than the budget comes alone, so paging gets past it", async (t) => {
  const relay = await relayFor(t, { transport: "history_max_bytes: 64KiB" });
  const room = uniqueRoom("huge");
  const poster = await connect(relay.url, { auth: { room, user: "poster" }, transports: ["websocket"] });
  t.after(() => closeAll(poster));
  const small = (await emitAck(poster, "message", { text: "small" })).id;
  const huge = (await poster.timeout(10000).emitWithAck("message", { text: "y".repeat(200 * 1000) })).id;
  const last = (await emitAck(poster, "message", { text: "last" })).id;
  await stored(poster, last);

  const one = await historyPage(poster, { limit: 10 });
  assert.deepEqual(one.list.map((m) => m.id), [last]);
  assert.deepEqual(one.page, { more: true, before: last });
  const two = await historyPage(poster, { limit: 10, before: last });
  assert.deepEqual(two.list.map((m) => m.id), [huge], "the big one, alone");
  assert.deepEqual(two.page, { more: true, before: huge });
  const three = await historyPage(poster, { limit: 10, before: huge });
  assert.deepEqual(three.list.map((m) => m.id), [small]);
  assert.equal(three.page, undefined, "the start: one argument, as before");
  assert.ok(poster.connected);
});

test("history_max_bytes must be below max_queued_bytes, and that above twice max_payload", async () => {
  await assert.rejects(
    startRelay({ transport: "max_queued_bytes: 1MiB, history_max_bytes: 1MiB, max_payload: 4096" }),
    /transport\.history_max_bytes: expected less than max_queued_bytes \(1048576 bytes\), got 1048576 bytes/,
  );
  await assert.rejects(
    startRelay({ transport: "max_queued_bytes: 2MiB, max_payload: 1MiB, history_max_bytes: 64KiB" }),
    /transport\.max_queued_bytes: expected more than twice max_payload \(a message and its attachments, 2097152 bytes\), got 2097152 bytes/,
  );
});

for (const transport of ["websocket", "polling"]) {
  test(`a recovery that missed more than the budget connects afresh, not dropped (${transport})`, async (t) => {
    const relay = await relayFor(t);
    const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });
    const room = uniqueRoom("bigrec");
    const poster = await connect(relay.url, { auth: { room, user: "poster" }, transports: ["websocket"] });
    const away = await connect(relay.url, { auth: { room, user: "away" }, transports: [transport] });
    t.after(() => closeAll(poster, away));
    const seen = nextEvent(away, "message");
    const firstId = (await emitAck(poster, "message", { text: "before" })).id;
    assert.equal((await seen)[0].id, firstId);

    const gone = nextEvent(away, "disconnect");
    away.io.engine.close();
    await gone;
    const ids = await postBig(poster);
    await stored(poster, ids.at(-1));

    const disconnects = [];
    away.on("disconnect", (reason) => disconnects.push(reason));
    away.connect();
    await connected(away, 10000);
    assert.equal(away.recovered, false, "4.5 MB missed: not replayed");
    // It is live, and pages what it missed.
    const live = nextEvent(away, "message");
    const liveId = (await emitAck(poster, "message", { text: "live" })).id;
    assert.equal((await live)[0].id, liveId);
    await stored(poster, liveId);
    const missed = [];
    for (let page = { more: true, before: undefined }; page && page.more; ) {
      const next = await historyPage(away, page.before ? { limit: 50, before: page.before } : { limit: 50 });
      missed.unshift(...next.list);
      page = next.page;
    }
    assert.deepEqual(missed.map((m) => m.id), [firstId, ...ids, liveId]);
    assert.deepEqual(disconnects, [], "the recovering client was disconnected");
    await bystanders.finish();
    assertNoSlowClients(relay);
  });
}
