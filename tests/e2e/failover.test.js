// Failover with unmodified socket.io-client against a real cluster: three relay nodes
// sharing a queue (valkey_streams) and presence (valkey) on redis-server and a store
// (postgres), behind a
// round-robin balancer that follows /readyz. When a node stops (SIGTERM) or dies
// (SIGKILL), its clients reconnect through the balancer on their own, to a survivor,
// and recover their session there: `recovered` true, every message they missed, none
// twice, each sender's in order; and every acked message is stored.
// Prints failover times (node gone → client recovered) and messages recovered.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const http = require("node:http");
const { startCluster } = require("./support/cluster");
const { startRelay, eventually, within } = require("./support/relay");
const { uniqueRoom, connect, connected, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { RawSocket } = require("./support/raw");
const { freePort } = require("./support/servers");

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
  const all = [];
  for (let after; ;) {
    const page = await emitAck(reader, "history", after ? { limit: 500, after } : { limit: 500 });
    assert.ok(Array.isArray(page), `history: ${JSON.stringify(page)}`);
    all.push(...page);
    if (page.length < 500) return all;
    after = page[page.length - 1].id;
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
  await eventually(async () => {
    all = await stored(reader);
    const ids = new Set(all.map((m) => m.id));
    return load.acked.every((id) => ids.has(id));
  }, 20000, "every acked message stored");
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

async function underLoad(t, signal) {
  const cluster = await startCluster();
  t.after(() => cluster.stop());
  const room = uniqueRoom(`fail-${signal}`);
  const clients = await clientsOnEveryNode(t, cluster, room, 3);
  let running = true;
  const load = sendUntil(clients, () => running);
  load.stop = () => (running = false);
  load.killed = signal === "SIGKILL";
  await eventually(() => load.acked.length >= 60, 10000, "load before the failure");
  const victim = 0;
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
  t.diagnostic(`${signal}: failover ms ${JSON.stringify(times)}; ${recoveredCount} messages recovered by those ${times.length} clients; ` +
    `${load.acked.length} acked, ${load.refused.length} refused while stopping`);
}

test("SIGTERM of a node under load: its clients fail over on their own and recover", { timeout: 90000 }, (t) => underLoad(t, "SIGTERM"));

test("kill -9 of a node under load: its clients fail over on their own and recover", { timeout: 90000 }, (t) => underLoad(t, "SIGKILL"));

test("a dropped connection recovers on another healthy node, over either transport", { timeout: 90000 }, async (t) => {
  const cluster = await startCluster();
  t.after(() => cluster.stop());
  const [a, b, c] = cluster.nodes;
  for (const transports of [["websocket"], ["polling"]]) {
    const room = uniqueRoom("fail-drop");
    const sender = await connect(c.url, { transports: ["websocket"], auth: { room, user: "sender" } });
    const client = await connect(a.url, { transports, auth: { room, user: "mover" }, reconnection: false });
    t.after(() => closeAll(sender, client));
    const atClient = collect(client, "message");
    const sid = client.id;
    await emitAck(sender, "message", { text: "seen" });
    await eventually(() => atClient.length === 1, 5000, "the first message");
    // The network drops the connection; the client comes back through a balancer that
    // now sends it to node b, while node a is still up.
    const gone = nextEvent(client, "disconnect");
    client.io.engine.close();
    await gone;
    const missed = [];
    for (let i = 0; i < 5; i++) missed.push((await emitAck(sender, "message", { text: `missed${i}` })).id);
    client.io.uri = b.url;
    client.connect();
    await connected(client);
    assert.equal(client.recovered, true, `${transports}: recovered on another node`);
    assert.equal(client.id, sid);
    const live = (await emitAck(sender, "message", { text: "live" })).id;
    await eventually(() => atClient.length === 7, 5000, "the missed ones and a live one");
    assert.deepEqual(atClient.map(([m]) => m.text), ["seen", "missed0", "missed1", "missed2", "missed3", "missed4", "live"]);
    assert.deepEqual(atClient.slice(1).map(([m]) => m.id), [...missed, live]);
    // It is in the room on node b: what it sends reaches the others.
    const got = nextEvent(sender, "message");
    await emitAck(client, "message", { text: "from b" });
    assert.equal((await got)[0].sender, sid);
  }
});

/** A pid and offset from `url`'s node: a client there saw one message, then dropped. */
async function sessionFrom(t, url, room) {
  const raw = new RawSocket(Number(new URL(url).port));
  t.after(() => raw.close());
  const { sid, pid } = await raw.connect({ room, user: "raw" });
  const other = await connect(url, { transports: ["websocket"], auth: { room, user: "other" } });
  t.after(() => other.close());
  await emitAck(other, "message", { text: "one" });
  const frame = await raw.waitFor((f) => f.text && f.text.includes('"one"'), 5000, "one");
  const offset = JSON.parse(frame.text.slice(2))[2];
  raw.close();
  return { sid, pid, offset };
}

/** CONNECT to `url`'s node with `auth`; the reply's {sid, pid}. */
async function connectRaw(t, url, auth) {
  const raw = new RawSocket(Number(new URL(url).port));
  t.after(() => raw.close());
  return raw.connect(auth);
}

test("forged, tampered, foreign, other-room and expired tokens are not recovered", { timeout: 60000 }, async (t) => {
  // Nodes that share nothing but the secret: the token is what is tested here (each
  // has its own sqlite store, so a recovery there finds nothing missed).
  const secret = crypto.randomBytes(32).toString("base64");
  const node = (window) => startRelay({ transport: `recovery_secret: "${secret}", recovery_window: ${window}` });
  const a = await node("2m");
  t.after(() => a.stop());
  const b = await node("2m");
  t.after(() => b.stop());
  const stranger = await startRelay(); // no secret: its own random one
  t.after(() => stranger.stop());
  assert.match(stranger.log(), /recovery_secret is not set: sessions recover only on this node/);
  assert.doesNotMatch(a.log(), /recovery_secret is not set/);
  const room = uniqueRoom("tok");
  const { sid, pid, offset } = await sessionFrom(t, a.url, room);

  // The genuine token recovers on the other node with the same secret.
  assert.deepEqual(await connectRaw(t, b.url, { room, pid, offset }), { sid, pid });

  const refused = async (url, auth, what) => {
    const reply = await connectRaw(t, url, auth);
    assert.equal(typeof reply.sid, "string", `${what}: connected`);
    assert.notEqual(reply.sid, sid, `${what}: a new sid`);
    assert.notEqual(reply.pid, auth.pid, `${what}: a new pid (recovered false)`);
  };
  // One changed character (not the last, whose low bits may be padding).
  const i = Math.floor(pid.length / 2);
  await refused(b.url, { room, pid: pid.slice(0, i) + (pid[i] === "A" ? "B" : "A") + pid.slice(i + 1), offset }, "tampered");
  // A token made up in the right format, signed with another key.
  const forged = Buffer.from(pid, "base64url");
  forged.fill(7, forged.length - 32);
  await refused(b.url, { room, pid: forged.toString("base64url"), offset }, "forged");
  await refused(b.url, { room, pid: "ZUpNzLNKg3WsXWHaAAAB", offset }, "a random id");
  await refused(stranger.url, { room, pid, offset }, "a node with another secret");
  await refused(b.url, { room: uniqueRoom("elsewhere"), pid, offset }, "another room");

  // Expired: a node whose window has passed since the session was last seen.
  const c = await node("1s");
  t.after(() => c.stop());
  await new Promise((r) => setTimeout(r, 1200)); // the time that must pass, not a wait on an event
  await refused(c.url, { room, pid, offset }, "expired");
});
