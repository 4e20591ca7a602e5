// The server API on one node (docs/api.md): publish reaches the room's clients and
// history; presence and rooms agree with the clients connected; disconnect disconnects,
// with and without reconnection; the token is required; bad requests get clear 4xx
// answers and the node goes on serving. Also the `relay` CLI commands against it.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const net = require("node:net");
const { execFile } = require("node:child_process");
const { relayFor, eventually, RELAY_BINARY } = require("./support/relay");
const { uniqueRoom, connect, closeAll, nextEvent, emitAck } = require("./support/clients");

/** The first argument of the socket's next `event`. */
const next = (socket, event, ms) => nextEvent(socket, event, ms).then((args) => args[0]);
const { adminPort, apiCall, apiClient } = require("./support/api");

const TOKEN = "api-token-0123456789";
const ws = { transports: ["websocket"] };

async function apiRelay(t, options = {}) {
  const relay = await relayFor(t, {
    extra: `admin: { listen: 127.0.0.1:0, token: metrics-only, api_token: ${TOKEN}, api_max_body: 4096 }`,
    ...options,
  });
  const api = apiClient(adminPort(relay), TOKEN);
  t.after(() => api.close());
  return { relay, api };
}

/** Runs `relay ARGS...`; resolves with {code, stdout, stderr}. */
function relayCli(args, env = {}) {
  return new Promise((resolve) => {
    execFile(RELAY_BINARY, args, { env: { ...process.env, ...env }, timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? err.code : 0, stdout, stderr });
    });
  });
}

test("publish: the room's clients get it, with the server's fields, and history has it", async (t) => {
  const { relay, api } = await apiRelay(t);
  const room = uniqueRoom("api-pub");
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { transports: ["polling"], auth: { room, user: "bob" } });
  const other = await connect(relay.url, { ...ws, auth: { room: uniqueRoom("elsewhere"), user: "oz" } });
  t.after(() => closeAll(a, b, other));
  let strays = 0;
  other.on("message", () => strays++);

  const gotA = next(a, "message");
  const gotB = next(b, "message");
  const res = await api.publish(room, { text: "maintenance at 18:00", id: "forged", room: "forged" }, "ops");
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.id, /^[0-9A-Z]{26}$/);
  for (const m of [await gotA, await gotB]) {
    assert.equal(m.id, res.body.id);
    assert.equal(m.room, room, "the room is the path's, never the payload's");
    assert.equal(m.text, "maintenance at 18:00");
    assert.equal(m.user, "ops");
    assert.equal(typeof m.ts, "number");
  }
  // A client's own message and the API's interleave in history, in acceptance order.
  const own = await emitAck(a, "message", { text: "ack" });
  await eventually(async () => (await api.history(room)).body.messages?.length === 2, 5000, "2 in history");
  const history = await api.history(room);
  assert.deepEqual(history.body.messages.map((m) => m.id), [res.body.id, own.id]);
  assert.equal(history.body.messages[0].user, "ops");
  assert.deepEqual(await emitAck(b, "history", { limit: 10 }).then((ms) => ms.map((m) => m.id)), [res.body.id, own.id]);
  assert.equal(strays, 0, "another room got nothing");
});

test("history pages as a client's does: limit, before, after and the byte budget's cursor", async (t) => {
  const { api } = await apiRelay(t);
  const room = uniqueRoom("api-hist");
  const ids = [];
  for (let i = 0; i < 7; i++) ids.push((await api.publish(room, { i })).body.id);
  await eventually(async () => (await api.history(room, "?limit=100")).body.messages?.length === 7, 5000, "7 stored");
  assert.deepEqual((await api.history(room, "?limit=3")).body.messages.map((m) => m.id), ids.slice(4));
  assert.deepEqual((await api.history(room, `?limit=2&before=${ids[4]}`)).body.messages.map((m) => m.id), ids.slice(2, 4));
  assert.deepEqual((await api.history(room, `?limit=2&after=${ids[4]}`)).body.messages.map((m) => m.id), ids.slice(5, 7));
  const bad = await api.history(room, "?limit=0");
  assert.equal(bad.status, 400);
  assert.match(bad.body.reason, /limit must be an integer from 1 to 500/);
});

test("presence and rooms agree with the clients connected", async (t) => {
  const { relay, api } = await apiRelay(t);
  const room = uniqueRoom("api-pres");
  const quiet = uniqueRoom("api-quiet");
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  const b = await connect(relay.url, { ...ws, auth: { room, user: "bob" } });
  const c = await connect(relay.url, { ...ws, auth: { room: quiet, user: "cy" } });
  t.after(() => closeAll(a, b, c));

  const presence = await api.presence(room);
  assert.equal(presence.status, 200);
  assert.equal(presence.body.count, 2);
  assert.deepEqual(presence.body.members.map((m) => [m.sid, m.user]).sort(), [[a.id, "ann"], [b.id, "bob"]].sort());
  assert.equal(presence.body.members[0].node, "e2e");

  const rooms = await api.rooms();
  assert.equal(rooms.status, 200);
  assert.equal(rooms.body.node, "e2e");
  const byName = Object.fromEntries(rooms.body.rooms.map((r) => [r.room, r]));
  assert.deepEqual(byName[room], { room, members_here: 2, members: 2 });
  assert.deepEqual(byName[quiet], { room: quiet, members_here: 1, members: 1 });
  assert.equal(rooms.body.rooms[0].members_here >= rooms.body.rooms.at(-1).members_here, true, "busiest first");

  c.close();
  await eventually(async () => !(await api.rooms()).body.rooms.some((r) => r.room === quiet), 5000, "the empty room gone");
  const gone = await api.presence(quiet);
  assert.equal(gone.status, 404, "no members and no messages: unknown");
  assert.deepEqual(gone.body, { error: "unknown room", reason: `room '${quiet}' has no messages and no members` });
});

test("disconnect with reconnection: the client comes back by itself", async (t) => {
  const { relay, api } = await apiRelay(t);
  const room = uniqueRoom("api-kick");
  const a = await connect(relay.url, { ...ws, reconnection: true, reconnectionDelay: 50, auth: { room, user: "ann" } });
  t.after(() => closeAll(a));
  // A client recovers from the offset of the last message it got.
  const got = next(a, "message");
  await api.publish(room, { text: "before" });
  await got;
  const reason = next(a, "disconnect");
  const res = await api.disconnect({ sid: a.id });
  assert.deepEqual(res.body, { node: "e2e", disconnected: 1 });
  assert.equal(await reason, "transport close");
  await next(a, "connect", 5000);
  assert.equal(a.recovered, true, "its session recovered");
  await eventually(async () => (await api.presence(room)).body.count === 1, 5000, "back in the room");
});

test("disconnect without reconnection: every socket of the user goes and stays away", async (t) => {
  const { relay, api } = await apiRelay(t);
  const room = uniqueRoom("api-ban");
  const opts = { ...ws, reconnection: true, reconnectionDelay: 50 };
  const a1 = await connect(relay.url, { ...opts, auth: { room, user: "ann" } });
  const a2 = await connect(relay.url, { ...opts, auth: { room: uniqueRoom("api-ban2"), user: "ann" } });
  const b = await connect(relay.url, { ...opts, auth: { room, user: "bob" } });
  t.after(() => closeAll(a1, a2, b));
  const reasons = Promise.all([next(a1, "disconnect"), next(a2, "disconnect")]);
  const res = await api.disconnect({ user: "ann", reconnect: false });
  assert.deepEqual(res.body, { node: "e2e", disconnected: 2 });
  assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect"]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(a1.connected || a2.connected, false, "socket.io-client does not reconnect after a server disconnect");
  assert.equal(b.connected, true, "others stay");
  const presence = await api.presence(room);
  assert.deepEqual(presence.body.members.map((m) => m.user), ["bob"]);
  // A target on no connection here is no error: the user may be on another node.
  assert.deepEqual((await api.disconnect({ sid: "nobody" })).body, { node: "e2e", disconnected: 0 });
});

test("the token: none or a wrong one is 401; the metrics token is not the API's", async (t) => {
  const { api } = await apiRelay(t);
  const none = await apiCall(api.port, { path: "/api/v1/info" });
  assert.equal(none.status, 401);
  assert.equal(none.headers["www-authenticate"], "Bearer");
  assert.equal(none.body.error, "unauthorized");
  for (const token of ["wrong", "metrics-only", TOKEN + "x", TOKEN.slice(0, -1)]) {
    assert.equal((await apiCall(api.port, { path: "/api/v1/info", token })).status, 401, token);
  }
  assert.equal((await apiCall(api.port, { path: "/api/v1/info", headers: { authorization: `Basic ${TOKEN}` } })).status, 401);
  const info = await api.info();
  assert.equal(info.status, 200);
  assert.equal(info.body.node, "e2e");
  assert.equal(info.body.abi, 10);
  assert.equal(info.body.health.status, "ready");
  assert.deepEqual(info.body.plugins.map((p) => `${p.slot}/${p.name}`), ["transport/websocket", "queue/memory", "presence/local", "store/sqlite"]);
});

test("without any token the API is off (403), and says how to turn it on", async (t) => {
  const relay = await relayFor(t, { extra: "admin: { listen: 127.0.0.1:0 }" });
  const res = await apiCall(adminPort(relay), { path: "/api/v1/info", token: "anything" });
  assert.equal(res.status, 403);
  assert.match(res.body.reason, /admin\.api_token/);
});

test("bad requests get clear 4xx answers, and the node goes on serving", async (t) => {
  const { relay, api } = await apiRelay(t);
  const room = uniqueRoom("api-bad");
  const path = `/api/v1/rooms/${room}/messages`;
  const cases = [
    [await api.call("POST", path, "{not json"), 400, "malformed json"],
    [await api.call("POST", path, "[1]"), 400, "bad request"],
    [await api.call("POST", path, { message: "text" }), 400, "bad request"],
    [await api.call("POST", path, { message: { _placeholder: true, num: 0 } }), 400, "bad request"],
    [await api.call("POST", `/api/v1/rooms/${"r".repeat(129)}/messages`, { message: {} }), 400, "invalid room"],
    [await api.call("POST", "/api/v1/rooms/a%01b/messages", { message: {} }), 400, "invalid room"],
    [await api.call("GET", `/api/v1/rooms/${room}/messages`), 404, "unknown room"],
    [await api.call("GET", `/api/v1/rooms/${room}/presence`), 404, "unknown room"],
    [await api.call("DELETE", path), 405, "method not allowed"],
    [await api.call("GET", "/api/v1/nothing"), 404, "not found"],
    [await api.call("POST", "/api/v1/disconnect", {}), 400, "bad request"],
  ];
  for (const [res, status, error] of cases) {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error, error, JSON.stringify(res.body));
    assert.equal(typeof res.body.reason, "string");
  }
  assert.equal(cases[8][0].headers.allow, "GET, POST");

  // Over api_max_body (4096): 413, and the connection is closed (the body is unread).
  const big = await apiCall(api.port, { method: "POST", path, token: TOKEN, body: { message: { text: "x".repeat(5000) } } });
  assert.equal(big.status, 413);
  assert.equal(big.body.error, "body too large");

  // A request cut off halfway, and garbage: only that connection suffers.
  await new Promise((resolve) => {
    const s = net.connect(api.port, "127.0.0.1", () => {
      s.write(`POST ${path} HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\n{"mess`);
      s.destroy();
      resolve();
    });
  });
  await new Promise((resolve) => {
    const s = net.connect(api.port, "127.0.0.1", () => s.end("\x00\x01garbage\r\n\r\n"));
    s.on("close", resolve);
    s.on("error", resolve);
  });
  const ok = await api.publish(room, { text: "still here" });
  assert.equal(ok.status, 200);
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  t.after(() => closeAll(a));
  assert.equal((await api.history(room)).body.messages.length, 1);
});

test("keep-alive: many requests on one connection", async (t) => {
  const { api } = await apiRelay(t);
  const room = uniqueRoom("api-keep");
  const sockets = new Set();
  for (let i = 0; i < 50; i++) {
    const res = await api.publish(room, { i });
    assert.equal(res.status, 200);
  }
  for (const s of Object.values(api.agent.freeSockets).flat()) sockets.add(s);
  assert.equal(sockets.size, 1, "one connection carried them all");
});

test("the relay CLI: publish, rooms, history, info, nodes, and its exit codes", async (t) => {
  const { relay, api } = await apiRelay(t);
  const room = uniqueRoom("cli");
  const a = await connect(relay.url, { ...ws, auth: { room, user: "ann" } });
  t.after(() => closeAll(a));
  const admin = `http://127.0.0.1:${api.port}`;
  const env = { RELAY_ADMIN_TOKEN: TOKEN };

  const got = next(a, "message");
  const pub = await relayCli(["publish", room, '{"text":"from the cli"}', "--user", "cli", "--admin", admin], env);
  assert.equal(pub.code, 0, pub.stderr);
  const id = JSON.parse(pub.stdout).id;
  assert.equal((await got).id, id);
  assert.equal((await got).user, "cli");

  const rooms = await relayCli(["rooms", "--admin", admin, "--token", TOKEN]);
  assert.equal(rooms.code, 0, rooms.stderr);
  assert.deepEqual(JSON.parse(rooms.stdout).rooms.find((r) => r.room === room), { room, members_here: 1, members: 1 });

  await eventually(async () => (await api.history(room)).status === 200, 5000, "stored");
  const history = await relayCli(["history", room, "--limit", "5", "--admin", admin], env);
  assert.equal(history.code, 0, history.stderr);
  assert.deepEqual(JSON.parse(history.stdout).messages.map((m) => m.id), [id]);

  const info = await relayCli(["info", "--admin", admin], env);
  assert.equal(JSON.parse(info.stdout).node, "e2e");

  const presence = await relayCli(["presence", room, "--admin", admin], env);
  assert.equal(JSON.parse(presence.stdout).members[0].sid, a.id);

  // The local presence lists this node alone, with its one member.
  const nodes = await relayCli(["nodes", "--admin", admin], env);
  assert.equal(nodes.code, 0, nodes.stderr);
  assert.deepEqual(JSON.parse(nodes.stdout), { node: "e2e", nodes: [{ node: "e2e", members: 1, self: true }] });

  // The node's error: exit 1, its JSON on stdout, one line on stderr.
  const wrong = await relayCli(["rooms", "--admin", admin, "--token", "nope"]);
  assert.equal(wrong.code, 1);
  assert.equal(JSON.parse(wrong.stdout).error, "unauthorized");
  assert.match(wrong.stderr, /^relay rooms: 401 unauthorized: /);
  const missing = await relayCli(["rooms", "--admin", admin], { RELAY_ADMIN_TOKEN: "" });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--token or RELAY_ADMIN_TOKEN/);
  const unknown = await relayCli(["presence", uniqueRoom("nobody"), "--admin", admin], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /404 unknown room/);

  // Bad usage: exit 2 before anything is sent.
  for (const args of [["publish", room], ["publish", room, "not json"], ["disconnect"], ["rooms", "extra"], ["nodes", "extra"], ["rooms", "--admin", "ftp://x:1"]]) {
    const res = await relayCli(args, env);
    assert.equal(res.code, 2, `${args.join(" ")}: ${res.stderr}`);
    assert.match(res.stderr, /^relay \w+: /);
  }
  // Nobody listening: exit 3.
  const closed = await new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = server.address().port;
      server.close(() => resolve(port));
    });
  });
  const unreachable = await relayCli(["info", "--admin", `http://127.0.0.1:${closed}`], env);
  assert.equal(unreachable.code, 3);
  assert.match(unreachable.stderr, /cannot reach the node's admin listener/);

  const kicked = next(a, "disconnect");
  const disconnect = await relayCli(["disconnect", "--sid", a.id, "--no-reconnect", "--admin", admin], env);
  assert.equal(disconnect.code, 0, disconnect.stderr);
  assert.equal(JSON.parse(disconnect.stdout).disconnected, 1);
  assert.equal(await kicked, "io server disconnect");
});
