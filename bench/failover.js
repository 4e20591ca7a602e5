#!/usr/bin/env node
// Failover time of a relay cluster, as its clients see it: three nodes sharing a
// queue (valkey_streams, or kafka on tools/mock-kafka), valkey presence and a postgres
// store behind a round-robin balancer that follows
// /readyz (tests/e2e/support/cluster.js), 9 socket.io-client clients in one room
// (WebSocket), 3 of them sending 50 messages/s each. Each run stops one node (SIGTERM,
// or SIGKILL), measures for each of its clients the time from the signal to its
// recovered CONNECT on a survivor and the messages it got by recovery, checks nothing
// was missed or doubled, then restarts the node. Prints p50/p99 per signal.
//
//   node bench/failover.js [RUNS=20] [RECONNECTION_DELAY_MS=100] [QUEUE=valkey_streams|kafka]
//
// The client's reconnection delay (socket.io-client: 1000 ms ± 50 % by default) is
// part of every failover time: the second argument sets it (± 50 %).
"use strict";
const path = require("node:path");
const support = path.join(__dirname, "..", "tests", "e2e", "support");
const { startCluster } = require(path.join(support, "cluster"));
const { connect, closeAll } = require(path.join(support, "clients"));
const { eventually } = require(path.join(support, "relay"));

const runs = Number(process.argv[2] || 20);
const reconnectionDelay = Number(process.argv[3] || 100);
const queue = process.argv[4] || "valkey_streams";

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function one(cluster, run, signal) {
  const room = `bench-failover-${process.pid}-${run}-${signal}`;
  const clients = [];
  for (let i = 0; i < 9; i++) {
    const before = [...cluster.balancer.routed];
    const socket = await connect(cluster.url, {
      transports: ["websocket"], reconnection: true, reconnectionDelay, reconnectionDelayMax: 5 * reconnectionDelay,
      auth: { room, user: `b${i}` },
    });
    const node = cluster.balancer.routed.findIndex((n, k) => n !== before[k]);
    const c = { socket, node, sid: socket.id, ids: [], got: [], connects: [] };
    socket.on("message", (m) => {
      c.ids.push(m.id);
      c.got.push({ ts: m.ts, at: Date.now() });
    });
    socket.on("connect", () => c.connects.push({ at: Date.now(), recovered: socket.recovered }));
    clients.push(c);
  }
  // Every node delivers (its broadcast subscription is live) before the run starts.
  const warm = await clients[0].socket.timeout(5000).emitWithAck("message", { warm: true });
  await eventually(() => clients.slice(1).every((c) => c.ids.includes(warm.id)), 30000, "a warm-up message everywhere");
  const victim = run % cluster.nodes.length;
  const senders = clients.filter((c) => c.node !== victim).slice(0, 3);
  let sending = true;
  const acked = [];
  const loops = senders.map(async (c) => {
    for (let seq = 0; sending; seq++) {
      const ack = await c.socket.timeout(5000).emitWithAck("message", { seq }).catch(() => ({}));
      if (ack.id) acked.push({ id: ack.id, sid: c.sid });
      await new Promise((r) => setTimeout(r, 20));
    }
  });
  await eventually(() => acked.length >= 30, 10000, "load");
  const moved = clients.filter((c) => c.node === victim);
  const goneAt = Date.now();
  cluster.nodes[victim].proc.kill(signal);
  await eventually(() => moved.every((c) => c.connects.length > 0), 20000, "failover");
  await cluster.nodes[victim].exited;
  await new Promise((r) => setTimeout(r, 200));
  sending = false;
  await Promise.all(loops);
  const times = [];
  const recovered = [];
  for (const c of moved) {
    if (!c.connects[0].recovered) throw new Error(`run ${run}: client ${c.sid} not recovered`);
    times.push(c.connects[0].at - goneAt);
    // Sent while it was away, received after it came back: what recovery gave it.
    const back = c.connects[0].at;
    recovered.push(c.got.filter((g) => g.at >= back && g.ts < back).length);
  }
  for (const c of clients) {
    const expected = acked.filter((a) => a.sid !== c.sid).map((a) => a.id);
    if (c !== clients[0]) expected.push(warm.id);
    await eventually(() => expected.every((id) => c.ids.includes(id)), 10000, `run ${run}: every acked message at ${c.sid}`);
    if (new Set(c.ids).size !== c.ids.length) throw new Error(`run ${run}: client ${c.sid} got a message twice`);
  }
  closeAll(clients.map((c) => c.socket));
  await cluster.restart(victim);
  await eventually(() => cluster.balancer.ready[victim], 10000, "the node back in the balancer");
  return { times, recovered };
}

(async () => {
  const cluster = await startCluster({ queue });
  try {
    for (const signal of ["SIGTERM", "SIGKILL"]) {
      const times = [];
      const recovered = [];
      for (let run = 0; run < runs; run++) {
        const r = await one(cluster, run, signal);
        times.push(...r.times);
        recovered.push(...r.recovered);
      }
      const mean = recovered.reduce((a, b) => a + b, 0) / recovered.length;
      console.log(
        `${signal}: ${runs} runs, ${times.length} client failovers; node gone → recovered: ` +
          `p50 ${percentile(times, 50)} ms, p99 ${percentile(times, 99)} ms, max ${Math.max(...times)} ms; ` +
          `messages recovered per failover: mean ${mean.toFixed(1)}, max ${Math.max(...recovered)} ` +
          `(${queue}, reconnectionDelay ${reconnectionDelay} ms ± 50 %)`,
      );
    }
  } finally {
    await cluster.stop();
  }
})().catch((err) => {
  console.error(err.stack);
  process.exit(1);
});
