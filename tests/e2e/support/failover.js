// Failover checks shared by failover.test.js and failover_kafka.test.js: clients
// through the balancer on every node of a cluster (support/cluster.js), senders under
// load, then one node stopped or killed; its clients must fail over on their own and
// recover, nothing missed or doubled, every acked message stored.
"use strict";
const assert = require("node:assert/strict");
const http = require("node:http");
const { startCluster } = require("./cluster");
const { eventually, within } = require("./relay");
const { uniqueRoom, connect, collect, emitAck, closeAll } = require("./clients");

// socket.io-client's reconnection delay, short so that a test run stays short (its
// default is 1 s, ± 50 %: add that to the failover times printed here).
const CLIENT = { transports: ["websocket"], reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 };

/** The HTTP status of GET http://127.0.0.1:`port``path` (0 when refused). */
function status(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

/** Every message of `room` in the store, oldest first, read through `reader`'s node. */
async function stored(reader) {
  // Without a cursor history answers the newest page; older pages go `before` it.
  let all = [];
  for (let before; ;) {
    const page = await emitAck(reader, "history", before ? { limit: 500, before } : { limit: 500 });
    assert.ok(Array.isArray(page), `history: ${JSON.stringify(page)}`);
    all = [...page, ...all];
    if (page.length < 500) return all;
    before = page[0].id;
  }
}

/**
 * Clients through the balancer, `perNode` on each node (the balancer goes round-robin;
 * each client's node is read from its counters). Each records what it receives and
 * when it recovered.
 */
async function clientsOnEveryNode(t, cluster, room, perNode) {
  const clients = [];
  t.after(() => closeAll(clients.map((c) => c.socket)));
  for (let i = 0; i < perNode * cluster.nodes.length; i++) {
    const before = [...cluster.balancer.routed];
    const socket = await connect(cluster.url, { ...CLIENT, auth: { room, user: `u${i}` } });
    const node = cluster.balancer.routed.findIndex((n, k) => n !== before[k]);
    const c = { socket, node, sid: socket.id, received: collect(socket, "message"), arrivals: [], reasons: collect(socket, "disconnect"), reconnects: [] };
    socket.on("message", () => c.arrivals.push(Date.now()));
    socket.on("connect", () => c.reconnects.push({ at: Date.now(), recovered: socket.recovered, id: socket.id }));
    clients.push(c);
  }
  for (let n = 0; n < cluster.nodes.length; n++) {
    assert.equal(clients.filter((c) => c.node === n).length, perNode, `clients on node ${n}`);
  }
  return clients;
}

/** Every client sends `text-<client>-<seq>` messages until `running()` is false. */
function sendUntil(clients, running) {
  const acked = [];
  const refused = [];
  const loops = clients.map(async (c, who) => {
    for (let seq = 0; running(); seq++) {
      if (!c.socket.connected) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      try {
        const ack = await c.socket.timeout(5000).emitWithAck("message", { text: `m-${who}-${seq}`, who, seq });
        if (ack.id) acked.push(ack.id);
        else refused.push(ack.error);
      } catch {
        // Disconnected before its ack: no promise was made for this one.
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  return { acked, refused, done: () => Promise.all(loops) };
}

/**
 * The failover checks: every client of `victim` reconnected to a survivor, recovered;
 * each client received every stored message of others once, each sender's in order;
 * every acked message is stored. Returns the failover times (ms) from `goneAt`.
 */
async function assertFailover(t, cluster, room, clients, victim, goneAt, load) {
  const moved = clients.filter((c) => c.node === victim);
  await eventually(() => moved.every((c) => c.reconnects.length > 0), 15000, "every client of the lost node reconnected");
  const times = [];
  for (const c of moved) {
    assert.deepEqual(c.reasons.map(([r]) => r), ["transport close"], `client ${c.sid}: why it disconnected`);
    assert.equal(c.reconnects.length, 1, "one reconnection");
    assert.equal(c.reconnects[0].recovered, true, `client ${c.sid} recovered`);
    assert.equal(c.reconnects[0].id, c.sid, "the same sid");
    times.push(c.reconnects[0].at - goneAt);
  }
  // The others never noticed.
  for (const c of clients.filter((c) => c.node !== victim)) {
    assert.deepEqual(c.reasons, [], `client ${c.sid} on a survivor stayed connected`);
  }
  await new Promise((r) => setTimeout(r, 300)); // senders keep sending after the failover
  load.stop();
  await load.done();

  const reader = await connect(cluster.url, { transports: ["websocket"], auth: { room, user: "reader" } });
  t.after(() => reader.close());
  if (load.killed) {
    // Until the dead node's members expire, presence still counts them as its; after,
    // the moved clients must be listed as members of their new nodes. The time that
    // must pass (ttl 2 s + a heartbeat), not a wait on an event.
    await new Promise((r) => setTimeout(r, Math.max(0, goneAt + 3000 - Date.now())));
  }
  // Presence (valkey, cluster-wide) lists every client once, wherever it is now.
  const members = (await emitAck(reader, "presence")).map((m) => m.sid).sort();
  assert.deepEqual(members, [...clients.map((c) => c.sid), reader.id].sort(), "presence after the failover");
  // The store has every acked message (the killed node's share is stored by the
  // others once its pending entries are claimed).
  let all = [];
  let missing = [];
  const storing = Date.now();
  await eventually(async () => {
    all = await stored(reader);
    const ids = new Set(all.map((m) => m.id));
    missing = load.acked.filter((id) => !ids.has(id));
    return missing.length === 0;
  }, 30000, "every acked message stored").catch((err) => {
    throw new Error(`${err.message}: ${missing.length} of ${load.acked.length} missing, e.g. ${missing.slice(0, 3)}`);
  });
  // History merges what a node acked but the store may not have yet: ask Postgres itself.
  let notInPostgres = [];
  await eventually(() => {
    const rows = new Set(cluster.postgres.query("SELECT id FROM relay_messages WHERE room = :'room';", { room }));
    notInPostgres = load.acked.filter((id) => !rows.has(id));
    return notInPostgres.length === 0;
  }, 30000, "every acked message in Postgres").catch((err) => {
    throw new Error(`${err.message}: ${notInPostgres.length} of ${load.acked.length} missing, e.g. ${notInPostgres.slice(0, 3)}`);
  });
  t.diagnostic(`stored everything ${Date.now() - storing} ms after the failover`);
  assert.ok(load.acked.length > 50, `${load.acked.length} acked`);
  let recoveredCount = 0;
  for (const c of clients) {
    const expected = all.filter((m) => m.sender !== c.sid).map((m) => m.id);
    await eventually(() => c.received.length >= expected.length, 10000, `client ${c.sid} got ${expected.length}`);
    const got = c.received.map(([m]) => m.id);
    assert.equal(new Set(got).size, got.length, `client ${c.sid}: nothing twice`);
    assert.deepEqual([...got].sort(), [...expected].sort(), `client ${c.sid}: every stored message of the others, nothing else`);
    // Each sender's messages in the order sent.
    const last = new Map();
    for (const [m, offset] of c.received) {
      assert.equal(offset, m.id, "the offset is the id");
      assert.ok((last.get(m.who) ?? -1) < m.seq, `client ${c.sid}: sender ${m.who} in order`);
      last.set(m.who, m.seq);
    }
    if (c.node === victim) {
      // Sent while it was away, received after it came back: what recovery gave it.
      const back = c.reconnects[0].at;
      recoveredCount += c.received.filter(([m], k) => c.arrivals[k] >= back && m.ts < back).length;
    }
  }
  return { times, recoveredCount };
}

async function underLoad(t, signal, queue) {
  const cluster = await startCluster({ queue });
  t.after(() => cluster.stop());
  const room = uniqueRoom(`fail-${signal}`);
  const clients = await clientsOnEveryNode(t, cluster, room, 3);
  let running = true;
  const load = sendUntil(clients, () => running);
  load.stop = () => (running = false);
  load.killed = signal === "SIGKILL";
  await eventually(() => load.acked.length >= 60, 10000, "load before the failure");
  // A cluster in its stride: the store has caught up once, and every node delivers
  // live (each client has had the others' first messages). History reads this node's
  // own writes, so the first can hold before a young node's broadcast subscription
  // delivers anything; a client that got no message has no offset to recover from.
  const settled = [...load.acked];
  let first = [];
  await eventually(async () => {
    const byId = new Map((await stored(clients[1].socket)).map((m) => [m.id, m]));
    first = settled.map((id) => byId.get(id));
    return first.every((m) => m !== undefined);
  }, 30000, "the store caught up before the failure");
  await eventually(() => clients.every((c) => {
    const got = new Set(c.received.map(([m]) => m.id));
    return first.every((m) => m.sender === c.sid || got.has(m.id));
  }), 30000, "every node delivers live before the failure");
  const victim = 0;
  if (signal === "SIGTERM") {
    // An Engine.IO session that never polls again holds the end of the stop (after the
    // clients are closed) for up to 2 s: long enough to watch /readyz.
    await new Promise((resolve, reject) => {
      http.get(`${cluster.nodes[victim].url}/socket.io/?EIO=4&transport=polling`, (res) => {
        res.resume();
        res.on("end", resolve);
      }).on("error", reject);
    });
  }
  const goneAt = Date.now();
  cluster.nodes[victim].proc.kill(signal);
  if (signal === "SIGTERM") {
    // Out of the balancer once the signal is seen: /readyz says 503 while the node stops.
    await eventually(async () => (await status(cluster.nodes[victim].adminPort, "/readyz")) === 503, 2000, "/readyz 503");
  }
  const code = await within(cluster.nodes[victim].exited, 20000, "the node's exit");
  assert.equal(code, signal === "SIGTERM" ? 0 : 137, cluster.nodes[victim].log());
  const { times, recoveredCount } = await assertFailover(t, cluster, room, clients, victim, goneAt, load);
  for (const e of load.refused) assert.equal(e, "server is shutting down");
  t.diagnostic(`${queue}, ${signal}: failover ms ${JSON.stringify(times)}; ${recoveredCount} messages recovered by those ${times.length} clients; ` +
    `${load.acked.length} acked, ${load.refused.length} refused while stopping`);
}

module.exports = { CLIENT, status, stored, clientsOnEveryNode, sendUntil, assertFailover, underLoad };
