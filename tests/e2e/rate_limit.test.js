// The rate_limit processor against a flood: one client sending ~10,000 messages a
// second for 5 s is held to its rate (the rest get `rate limited` acks that say when
// to retry), and two bystanders chatting meanwhile lose nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { bystandersFor } = require("./support/bystander");
const { relayFor } = require("./support/relay");
const { connect, uniqueRoom, emitAck, closeAll } = require("./support/clients");
const { freePort, metrics } = require("./support/abuse");

const RATE = 100; // per second
const BURST = 50;
const FLOOD_MS = 5000;
const PER_TICK = 100; // every 10 ms: 10,000 a second

test("a flooding client is held to its rate; bystanders lose nothing", async (t) => {
  const admin = await freePort();
  const relay = await relayFor(t, {
    store: false,
    extra: [
      `admin: { listen: 127.0.0.1:${admin} }`,
      "processors:",
      `  - { use: rate_limit, per_connection: ${RATE}/s, per_connection_burst: ${BURST} }`,
    ].join("\n"),
  });
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]], everyMs: 100 });
  const room = uniqueRoom("flood");
  const flooder = await connect(relay.url, { auth: { room, user: "flooder" }, transports: ["websocket"] });
  const watcher = await connect(relay.url, { auth: { room, user: "watcher" }, transports: ["websocket"] });
  t.after(() => closeAll(flooder, watcher));
  let delivered = 0;
  watcher.on("message", () => delivered++);

  let sent = 0;
  let accepted = 0;
  const limited = [];
  const odd = [];
  const acks = [];
  const start = Date.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (Date.now() - start >= FLOOD_MS) {
        clearInterval(timer);
        resolve();
        return;
      }
      for (let i = 0; i < PER_TICK; i++) {
        sent++;
        acks.push(
          flooder
            .timeout(30000)
            .emitWithAck("message", { text: "flood" })
            .then((reply) => {
              if (reply && typeof reply.id === "string") accepted++;
              else if (reply && reply.error === "rate limited") limited.push(reply.retry_after_ms);
              else odd.push(reply);
            }),
        );
      }
    }, 10);
  });
  const sendingMs = Date.now() - start;
  await Promise.all(acks);
  const windowMs = Date.now() - start;

  t.diagnostic(`sent ${sent} in ${sendingMs} ms, accepted ${accepted}, rate limited ${limited.length}`);
  assert.deepEqual(odd.slice(0, 5), [], "every ack is an id or `rate limited`");
  assert.ok(sent >= 10000, `a flood of ${sent} messages in ${sendingMs} ms is not one`);
  assert.equal(accepted + limited.length, sent);
  // Held to its rate: never more than the burst plus the rate over the whole window,
  // and (it was always over the rate) not far below the rate over the sending time.
  const most = BURST + (RATE * windowMs) / 1000;
  const least = (0.5 * RATE * sendingMs) / 1000;
  assert.ok(accepted <= most, `${accepted} accepted in ${windowMs} ms; at most ${most}`);
  assert.ok(accepted >= least, `${accepted} accepted in ${sendingMs} ms; at least ${least}`);
  // Every refusal says when to retry: within one token's time (10 ms), rounded up.
  assert.ok(
    limited.every((ms) => Number.isInteger(ms) && ms >= 1 && ms <= 1000 / RATE + 1),
    `retry_after_ms out of range: ${limited.filter((ms) => !(ms >= 1 && ms <= 11)).slice(0, 5)}`,
  );
  // Refused messages went nowhere; accepted ones reached the room.
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(delivered, accepted);

  const m = await metrics(admin);
  assert.equal(m['relay_rate_limit_rejected_total{kind="connection"}'], limited.length);
  assert.equal(m.relay_messages_rejected_total, limited.length);
  assert.equal(m['relay_rate_limit_rejected_total{kind="user"}'], undefined, "per_user is off");

  // Waiting as told is enough: the next message after retry_after_ms is accepted.
  const next = await emitAck(flooder, "message", { text: "again" });
  if (next.error) {
    await new Promise((r) => setTimeout(r, next.retry_after_ms));
    assert.equal(typeof (await emitAck(flooder, "message", { text: "after waiting" })).id, "string");
  }
  await bystanders.finish();
});

test("per_user holds one user across connections; another user is not affected", async (t) => {
  const relay = await relayFor(t, {
    store: false,
    extra: "processors: [{ use: rate_limit, per_connection: off, per_user: 20/s, per_user_burst: 30 }]",
  });
  // The bystanders (10 messages a second each) stay under their own users' rate.
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]], everyMs: 100 });
  const room = uniqueRoom("user");
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await connect(relay.url, { auth: { room, user: "ann" }, transports: ["websocket"] }));
  const bob = await connect(relay.url, { auth: { room, user: "bob" }, transports: ["websocket"] });
  t.after(() => closeAll(tabs, bob));
  // 40 at once from each of ann's three connections: one bucket of 30 for all of them.
  const start = Date.now();
  const replies = await Promise.all(
    tabs.flatMap((tab) => Array.from({ length: 40 }, () => emitAck(tab, "message", { text: "hi" }))),
  );
  const elapsed = Date.now() - start;
  const accepted = replies.filter((r) => typeof r.id === "string").length;
  assert.ok(accepted >= 30 && accepted <= 30 + (20 * elapsed) / 1000 + 1, `${accepted} accepted in ${elapsed} ms`);
  assert.ok(replies.filter((r) => r.error === "rate limited").every((r) => r.retry_after_ms >= 1 && r.retry_after_ms <= 51));
  for (let i = 0; i < 5; i++) assert.equal(typeof (await emitAck(bob, "message", { text: "bob" })).id, "string");
  await bystanders.finish();
});
