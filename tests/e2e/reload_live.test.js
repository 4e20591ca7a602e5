// SIGHUP applies the transport's reloadable settings and the auth section to a running
// relay while its clients stay connected: a lowered max_payload closes the client that
// sends past it (and only that one), presence events stop and start again, a smaller
// history_max cuts the next history reply; auth added, re-keyed and removed governs
// the next handshakes while a client connected before keeps its connection.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const jose = require("jose");
const { relayFor, eventually, withRelayLog } = require("./support/relay");
const { client, connect, connectError, uniqueRoom, collect, emitAck, nextEvent, closeAll } =
  require("./support/clients");

// The pipeline with these transport keys and this extra YAML, on the port relay runs
// on (127.0.0.1:0 both times: no restart needed); the store in relay's directory.
function pipeline(transport = "", extra = "") {
  return [
    "node: { id: e2e, threads: 2 }",
    `transport: { use: websocket, listen: 127.0.0.1:0${transport ? ", " + transport : ""} }`,
    "queue: { use: memory }",
    "presence: { use: local }",
    "store: { use: sqlite, path: relay.db }",
    extra,
    "",
  ].join("\n");
}

/** Writes `contents` as the relay's pipeline file, SIGHUPs it, waits for `logged`. */
async function hangup(relay, contents, logged) {
  fs.writeFileSync(path.join(relay.dir, "pipeline.yaml"), contents);
  const before = relay.log().length;
  process.kill(relay.proc.pid, "SIGHUP");
  await eventually(() => logged.test(relay.log().slice(before)), 10000, `log matching ${logged}`);
  return relay.log().slice(before);
}

function history(socket, query) {
  return new Promise((resolve, reject) => {
    socket.timeout(10000).emit("history", query, (err, list) => (err ? reject(err) : resolve(list)));
  });
}

test("SIGHUP changes max_payload, presence_events and history_max for the clients already connected", async (t) => {
  const start = pipeline();
  const relay = await relayFor(t, { pipeline: start });
  const room = uniqueRoom("reload-live");
  const sockets = [];
  t.after(() => closeAll(...sockets));
  const join = async (user) => {
    const socket = await connect(relay.url, { auth: { room, user }, transports: ["websocket"] });
    sockets.push(socket);
    return socket;
  };
  const watcher = await join("watcher");
  const sender = await join("sender");
  const disconnects = [];
  watcher.on("disconnect", (reason) => disconnects.push(`watcher: ${reason}`));
  const joins = collect(watcher, "join");

  await withRelayLog(relay, async () => {
    // Before: 3 KB messages pass, joins are announced, history answers up to 500.
    const ids = [];
    for (let i = 0; i < 20; i++) {
      const ack = await emitAck(sender, "message", { n: i, text: "x".repeat(3000) });
      assert.equal(typeof ack.id, "string", JSON.stringify(ack));
      ids.push(ack.id);
    }
    await eventually(async () => (await history(watcher, { limit: 50 })).length === 20, 10000, "20 stored");
    await join("early");
    await eventually(() => joins.some(([m]) => m.user === "early"), 5000, "join of early announced");

    const applied = await hangup(
      relay,
      pipeline("max_payload: 2048, presence_events: false, history_max: 5"),
      /reload of /,
    );
    assert.match(applied, /transport\.max_payload changed \(1000000 → 2048\)/);
    assert.match(applied, /transport\.presence_events changed \(true → false\)/);
    assert.match(applied, /transport\.history_max changed \(500 → 5\)/);
    assert.doesNotMatch(applied, /needs a restart/);

    // history_max: the same query now gets 5.
    assert.equal((await history(watcher, { limit: 50 })).length, 5);
    // presence_events off: a join goes unannounced; back on, the next one is announced
    // (both go through the same presence path, in order).
    await join("quiet");
    await hangup(relay, pipeline("max_payload: 2048, history_max: 5"), /reload of /);
    await join("loud");
    await eventually(() => joins.some(([m]) => m.user === "loud"), 5000, "join of loud announced");
    assert.ok(!joins.some(([m]) => m.user === "quiet"), "a join was announced with presence_events off");

    // max_payload: a small message still passes; a 3 KB one closes its sender only.
    const small = await emitAck(sender, "message", { text: "still fine" });
    assert.equal(typeof small.id, "string", JSON.stringify(small));
    const gone = nextEvent(sender, "disconnect", 10000);
    sender.emit("message", { text: "x".repeat(3000) });
    await gone;
    const after = await emitAck(watcher, "message", { text: "watcher still here" });
    assert.equal(typeof after.id, "string", JSON.stringify(after));

    // Back to the start: 3 KB passes again for a new connection.
    await hangup(relay, start, /reload of /);
    const again = await join("again");
    const big = await emitAck(again, "message", { text: "x".repeat(3000) });
    assert.equal(typeof big.id, "string", JSON.stringify(big));
    assert.deepEqual(disconnects, []);
    assert.ok(watcher.connected);
  });
});

const SECRET_1 = "the-first-secret-long-enough-for-hs256!!";
const SECRET_2 = "the-second-secret-long-enough-for-hs256!";
const jwt = (secret) => `auth: { use: jwt, secret: "${secret}" }`;
async function token(secret, room) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ sub: "u-1", name: "Ada", exp: now + 600, rooms: [room] })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(secret));
}

test("SIGHUP adds, re-keys and removes auth for new handshakes; connected clients stay", async (t) => {
  const relay = await relayFor(t, { pipeline: pipeline() });
  const room = uniqueRoom("reload-auth");
  const sockets = [];
  t.after(() => closeAll(...sockets));
  const refused = async (auth) => {
    const socket = client(relay.url, { auth: { room, ...auth }, transports: ["websocket"] });
    sockets.push(socket);
    return (await connectError(socket)).message;
  };
  const admitted = async (auth) => {
    const socket = await connect(relay.url, { auth: { room, ...auth }, transports: ["websocket"] });
    sockets.push(socket);
    return socket;
  };

  await withRelayLog(relay, async () => {
    const open = await admitted({ user: "early" });
    const drops = [];
    open.on("disconnect", (reason) => drops.push(reason));

    assert.match(await hangup(relay, pipeline("", jwt(SECRET_1)), /reload of /), /auth 'jwt' added/);
    assert.equal(await refused({ user: "anyone" }), "token missing");
    const first = await admitted({ token: await token(SECRET_1, room) });

    assert.match(await hangup(relay, pipeline("", jwt(SECRET_2)), /reload of /),
      /auth 'jwt' settings changed/);
    assert.equal(await refused({ token: await token(SECRET_1, room) }), "invalid signature");
    const second = await admitted({ token: await token(SECRET_2, room) });

    assert.match(await hangup(relay, pipeline(), /reload of /), /auth 'jwt' removed/);
    const late = await admitted({ user: "late" });

    // Everyone admitted so far still chats: one message reaches the other three.
    const got = [open, first, late].map((s) => nextEvent(s, "message", 5000));
    const ack = await emitAck(second, "message", { text: "hello all" });
    assert.equal(typeof ack.id, "string", JSON.stringify(ack));
    for (const [message] of await Promise.all(got)) assert.equal(message.text, "hello all");
    assert.deepEqual(drops, []);
  });
});
