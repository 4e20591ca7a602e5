// failover.test.js's load tests on the production pipeline: kafka (tools/mock-kafka,
// three brokers), valkey presence, postgres. A node stopped (SIGTERM) or killed
// (SIGKILL) under load: its clients fail over on their own through the balancer and
// recover, nothing missed or doubled, every acked message stored (a killed node's
// store partitions go to the others after store_session_timeout). And a client that
// moves to a node whose broadcast lags its old one (a node just started).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { startCluster } = require("./support/cluster");
const { eventually } = require("./support/relay");
const { uniqueRoom, connect, connected, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { underLoad } = require("./support/failover");

test("kafka: SIGTERM of a node under load: its clients fail over on their own and recover", { timeout: 120000 }, (t) =>
  underLoad(t, "SIGTERM", "kafka"));

test("kafka: kill -9 of a node under load: its clients fail over on their own and recover", { timeout: 120000 }, (t) =>
  underLoad(t, "SIGKILL", "kafka"));

test("kafka: a client moving to a node that has not delivered its offset yet gets nothing twice", { timeout: 60000 }, async (t) => {
  const cluster = await startCluster({ queue: "kafka", nodes: 2 });
  t.after(() => cluster.stop());
  const room = uniqueRoom("behind");
  const sender = await connect(cluster.nodes[0].url, { transports: ["websocket"], auth: { room, user: "sender" } });
  const mover = await connect(cluster.nodes[0].url, { transports: ["websocket"], auth: { room, user: "mover" } });
  t.after(() => closeAll(sender, mover));
  const atMover = collect(mover, "message");
  const sid = mover.id;
  // Node 1 starts again: its broadcast subscription is young and delivers what is
  // published from now on later than node 0 does (often by half a second).
  await cluster.nodes[1].stop();
  await cluster.restart(1);
  const watcher = await connect(cluster.nodes[1].url, { transports: ["websocket"], auth: { room, user: "watcher" } });
  t.after(() => watcher.close());
  const atWatcher = collect(watcher, "message");
  const first = [];
  for (let i = 0; i < 5; i++) first.push((await emitAck(sender, "message", { text: `m${i}` })).id);
  await eventually(() => atMover.length === 5, 5000, "node 0 delivered them");
  // The mover goes to node 1 at once (its offset: the fifth), while more are sent.
  const gone = nextEvent(mover, "disconnect");
  mover.io.engine.close();
  await gone;
  const then = [];
  const sending = (async () => {
    for (let i = 5; i < 10; i++) then.push((await emitAck(sender, "message", { text: `m${i}` })).id);
  })();
  mover.io.uri = cluster.nodes[1].url;
  mover.connect();
  await connected(mover);
  await sending;
  assert.equal(mover.recovered, true, "recovered on the other node");
  assert.equal(mover.id, sid);
  // Once node 1 has delivered all ten live (the watcher has them), whatever it would
  // send the mover twice has been sent.
  await eventually(() => atWatcher.length === 10, 10000, "node 1 delivered all ten");
  await eventually(() => atMover.length >= 10, 5000, "the mover has ten");
  assert.deepEqual(atMover.map(([m]) => m.id), [...first, ...then], "each once, in order");
});
