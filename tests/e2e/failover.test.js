// Failover with unmodified socket.io-client against a real cluster: three relay nodes
// sharing a queue (valkey_streams on redis-server), presence (valkey) and a store
// (postgres), behind a round-robin balancer that follows /readyz. When a node stops
// (SIGTERM) or dies (SIGKILL), its clients reconnect through the balancer on their own,
// to a survivor, and recover their session there: `recovered` true, every message they
// missed, none twice, each sender's in order; and every acked message is stored.
// Prints failover times (node gone → client recovered) and messages recovered.
// failover_kafka.test.js does the same on kafka (the production pipeline).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const { startCluster } = require("./support/cluster");
const { startRelay, eventually } = require("./support/relay");
const { uniqueRoom, connect, connected, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { RawSocket } = require("./support/raw");
const { underLoad } = require("./support/failover");

test("SIGTERM of a node under load: its clients fail over on their own and recover", { timeout: 90000 }, (t) =>
  underLoad(t, "SIGTERM", "valkey_streams"));

test("kill -9 of a node under load: its clients fail over on their own and recover", { timeout: 90000 }, (t) =>
  underLoad(t, "SIGKILL", "valkey_streams"));

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
