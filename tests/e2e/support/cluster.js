// A relay cluster for failover tests: `nodes` relay processes sharing one queue
// (valkey_streams on a redis-server, or kafka on tools/mock-kafka), presence (valkey)
// and one store (postgres), each with its admin
// server for /readyz, every node signing recovery tokens with the same secret; and a
// round-robin balancer in front (support/balancer.js) that follows /readyz.
//
// Run as a program (`node cluster.js [kafka]`) it starts a cluster, prints one JSON line
// ({url, nodes: [{url, port, adminPort, pid}], redis, postgres}) and then obeys lines on
// stdin: "term N" (SIGTERM node N), "kill N" (SIGKILL), "quit" (stop everything); each
// answered with a JSON line. tests/e2e/failover_test.py drives it that way.
"use strict";
const crypto = require("node:crypto");
const readline = require("node:readline");
const { startRelay } = require("./relay");
const { startRedis, startPostgres, startMockKafka, freePort } = require("./servers");
const { startBalancer } = require("./balancer");

/**
 * @param {object} [options]
 * @param {number} [options.nodes]       how many relay nodes (default 3)
 * @param {string} [options.transport]   extra YAML keys for every node's transport
 * @param {string[]} [options.secrets]   per-node recovery_secret (default: one shared)
 * @param {string} [options.queue]       "kafka" (tools/mock-kafka, as config/production.yaml
 *                                       runs), else valkey_streams
 */
async function startCluster(options = {}) {
  const count = options.nodes ?? 3;
  const shared = crypto.randomBytes(32).toString("base64");
  const cleanup = [];
  const stop = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    cleanup.length = 0;
  };
  try {
    const redis = await startRedis();
    cleanup.push(() => redis.stop());
    const postgres = await startPostgres();
    cleanup.push(() => postgres.stop());
    let queue;
    if (options.queue === "kafka") {
      const kafka = await startMockKafka({ brokers: 3, topics: ["chats:4"] });
      cleanup.push(() => kafka.stop());
      // store_session_timeout: a killed node's partitions go to the others in seconds
      // (the mock's group coordinator also holds rebalances for it; see the plugin's
      // README).
      queue = `{ use: kafka, brokers: "${kafka.brokers}", topic: chats, partitions: 4, ` +
        "replication_factor: 3, store_session_timeout: 6s }";
    } else {
      // claim_idle: a killed node's unstored entries are taken over by the others
      // within a second, not the default minute.
      queue = `{ use: valkey_streams, url: "${redis.url}", partitions: 4, claim_idle: 1s }`;
    }
    const nodes = [];
    const startNode = async (i, adminPort) => {
      const transportExtra = options.transport ? `, ${options.transport}` : "";
      const pipeline = [
        `node: { id: node-${i}, threads: 1, drain_timeout: 10s }`,
        // The secret comes from the environment, as in production.
        `transport: { use: websocket, listen: 127.0.0.1:0, recovery_secret: "\${RELAY_RECOVERY_SECRET}"${transportExtra} }`,
        `queue: ${queue}`,
        // A dead node's members expire after ttl: 2 s rather than the default 15.
        `presence: { use: valkey, url: "${redis.url}", ttl: 2s, heartbeat_interval: 500ms }`,
        `store: { use: postgres, dsn: "${postgres.dsn}" }`,
        `admin: { listen: "127.0.0.1:${adminPort}" }`,
      ].join("\n");
      const secret = options.secrets ? options.secrets[i] : shared;
      const relay = await startRelay({ pipeline, env: { RELAY_RECOVERY_SECRET: secret } });
      cleanup.push(() => relay.stop());
      return { ...relay, adminPort, index: i };
    };
    for (let i = 0; i < count; i++) nodes.push(await startNode(i, await freePort()));
    const backends = nodes.map((n) => ({ port: n.port, adminPort: n.adminPort }));
    const balancer = await startBalancer(backends);
    cleanup.push(() => balancer.close());
    /** Starts node `i` again (after it exited), on its admin port, back in the balancer. */
    const restart = async (i) => {
      nodes[i] = await startNode(i, nodes[i].adminPort);
      backends[i].port = nodes[i].port;
    };
    return { nodes, balancer, url: balancer.url, redis, postgres, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (require.main === module) {
  (async () => {
    const cluster = await startCluster({ queue: process.argv[2] });
    const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");
    out({
      url: cluster.url,
      nodes: cluster.nodes.map((n) => ({ url: n.url, port: n.port, adminPort: n.adminPort, pid: n.proc.pid })),
    });
    const lines = readline.createInterface({ input: process.stdin });
    const quit = async () => {
      await cluster.stop();
      process.exit(0);
    };
    lines.on("close", quit);
    for await (const line of lines) {
      const [command, arg] = line.trim().split(/\s+/);
      const node = cluster.nodes[Number(arg)];
      if (command === "term" && node) {
        node.proc.kill("SIGTERM");
        out({ ok: command, code: await node.exited });
      } else if (command === "kill" && node) {
        node.proc.kill("SIGKILL");
        out({ ok: command, code: await node.exited });
      } else if (command === "quit") {
        await quit();
      } else {
        out({ error: `unknown command '${line}'` });
      }
    }
  })().catch((err) => {
    process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
}

module.exports = { startCluster };
