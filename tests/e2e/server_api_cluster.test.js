// The server API against a two-node cluster (valkey_streams queue, valkey presence, one
// Postgres store): a publish on one node reaches the clients of both and the history
// both answer; presence and rooms count the members of both nodes, and nodes lists both; disconnect acts on
// the node asked, where the connection is; the token and bad requests as on one node.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { startRelay, eventually } = require("./support/relay");
const { startRedis, startPostgres } = require("./support/servers");
const { uniqueRoom, connect, closeAll, nextEvent } = require("./support/clients");

/** The first argument of the socket's next `event`. */
const next = (socket, event, ms) => nextEvent(socket, event, ms).then((args) => args[0]);
const { adminPort, apiCall, apiClient } = require("./support/api");

const TOKEN = "cluster-api-token";
const ws = { transports: ["websocket"] };

async function startTwoNodes(t) {
  const cleanup = [];
  t.after(async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
  });
  const redis = await startRedis();
  cleanup.push(() => redis.stop());
  const postgres = await startPostgres();
  cleanup.push(() => postgres.stop());
  const nodes = [];
  for (let i = 0; i < 2; i++) {
    const pipeline = [
      `node: { id: node-${i}, threads: 1 }`,
      "transport: { use: websocket, listen: 127.0.0.1:0 }",
      `queue: { use: valkey_streams, url: "${redis.url}", partitions: 2 }`,
      `presence: { use: valkey, url: "${redis.url}" }`,
      `store: { use: postgres, dsn: "${postgres.dsn}" }`,
      // The token from the environment, as in production.
      'admin: { listen: 127.0.0.1:0, api_token: "${RELAY_ADMIN_TOKEN}", api_max_body: 2048 }',
    ].join("\n");
    const relay = await startRelay({ pipeline, env: { RELAY_ADMIN_TOKEN: TOKEN } });
    cleanup.push(() => relay.stop());
    const api = apiClient(adminPort(relay), TOKEN);
    cleanup.push(async () => api.close());
    nodes.push({ relay, api });
  }
  return nodes;
}

test("two valkey nodes: every API call sees the whole cluster", async (t) => {
  const [n0, n1] = await startTwoNodes(t);
  const room = uniqueRoom("cluster-api");
  const a = await connect(n0.relay.url, { ...ws, reconnection: true, reconnectionDelay: 50, auth: { room, user: "ann" } });
  const b = await connect(n1.relay.url, { ...ws, auth: { room, user: "bob" } });
  const c = await connect(n1.relay.url, { ...ws, auth: { room, user: "cy" } });
  t.after(() => closeAll(a, b, c));

  // Publish on node 0: the clients of both nodes get it.
  const got = [a, b, c].map((s) => next(s, "message", 10000));
  const res = await n0.api.publish(room, { text: "to everyone" }, "ops");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  for (const m of await Promise.all(got)) {
    assert.equal(m.id, res.body.id);
    assert.equal(m.text, "to everyone");
    assert.equal(m.user, "ops");
  }
  // And the history both nodes answer (one shared store).
  for (const node of [n0, n1]) {
    await eventually(async () => {
      const h = await node.api.history(room);
      return h.status === 200 && h.body.messages.some((m) => m.id === res.body.id);
    }, 10000, "in history on each node");
  }

  // Presence: the members of both nodes, each with its node.
  await eventually(async () => (await n0.api.presence(room)).body.count === 3, 10000, "3 members");
  const presence = (await n0.api.presence(room)).body;
  assert.deepEqual(
    presence.members.map((m) => [m.sid, m.node]).sort(),
    [[a.id, "node-0"], [b.id, "node-1"], [c.id, "node-1"]].sort(),
  );
  assert.deepEqual((await n1.api.presence(room)).body.count, 3);

  // Rooms: members here, and cluster-wide from presence.
  const rooms0 = (await n0.api.rooms()).body;
  const rooms1 = (await n1.api.rooms()).body;
  assert.deepEqual(rooms0.rooms.find((r) => r.room === room), { room, members_here: 1, members: 3 });
  assert.deepEqual(rooms1.rooms.find((r) => r.room === room), { room, members_here: 2, members: 3 });
  assert.equal(rooms0.node, "node-0");

  // Nodes: both, as presence lists them, each with its members; `self` marks the node asked.
  for (const [node, self] of [[n0, "node-0"], [n1, "node-1"]]) {
    const nodes = await node.api.nodes();
    assert.equal(nodes.status, 200, JSON.stringify(nodes.body));
    assert.deepEqual(nodes.body, {
      node: self,
      nodes: [
        { node: "node-0", members: 1, self: self === "node-0" },
        { node: "node-1", members: 2, self: self === "node-1" },
      ],
    });
  }

  // Disconnect acts on the node asked: node 1 has no `ann`; node 0 has.
  assert.equal((await n1.api.disconnect({ user: "ann", reconnect: false })).body.disconnected, 0);
  assert.equal(a.connected, true);
  const kicked = next(a, "disconnect");
  assert.equal((await n0.api.disconnect({ user: "ann", reconnect: false })).body.disconnected, 1);
  assert.equal(await kicked, "io server disconnect");
  await eventually(async () => (await n1.api.presence(room)).body.count === 2, 10000, "ann gone cluster-wide");
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(a.connected, false, "no reconnection");

  // Reconnection allowed: bob comes back on his own.
  const bobLeft = next(b, "disconnect");
  b.io.reconnection(true);
  b.io.reconnectionDelay(50);
  assert.equal((await n1.api.disconnect({ sid: b.id })).body.disconnected, 1);
  assert.equal(await bobLeft, "transport close");
  await next(b, "connect", 10000);

  // The info of each node.
  const info = (await n1.api.info()).body;
  assert.equal(info.node, "node-1");
  assert.deepEqual(info.plugins.map((p) => p.name), ["websocket", "valkey_streams", "valkey", "postgres"]);
  assert.equal(info.health.ready, true);
});

test("two valkey nodes: the token and bad requests", async (t) => {
  const [n0, n1] = await startTwoNodes(t);
  for (const node of [n0, n1]) {
    assert.equal((await apiCall(node.api.port, { path: "/api/v1/rooms" })).status, 401);
    assert.equal((await apiCall(node.api.port, { path: "/api/v1/rooms", token: "wrong" })).status, 401);
    const room = uniqueRoom("cluster-bad");
    const path = `/api/v1/rooms/${room}/messages`;
    const malformed = await node.api.call("POST", path, '{"message": {');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, "malformed json");
    const big = await node.api.call("POST", path, { message: { text: "x".repeat(3000) } });
    assert.equal(big.status, 413);
    const unknown = await node.api.history(room);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, "unknown room");
    assert.equal((await node.api.presence(room)).status, 404);
  }
});
