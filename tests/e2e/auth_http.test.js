// The http auth plugin through the real binary: the test runs a small auth service
// (node:http on a free loopback port) that answers identities and refusals the way an
// application's login service would. Allowed, denied (403 with a reason and 2xx
// {deny}), slow (past the plugin's timeout), down (a closed port): each decision
// reaches a stock socket.io client as it should, and the service sees the handshake
// (the auth object, the forwarded headers only, the room, the address).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const { relayFor } = require("./support/relay");
const { client, connect, connectError, uniqueRoom, emitAck } = require("./support/clients");

/** The auth service: `decide(body)` → [status, json] (or a promise of it). */
async function authService(t, decide) {
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      const parsed = JSON.parse(body);
      seen.push(parsed);
      const [status, answer] = await decide(parsed);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  return { url: `http://127.0.0.1:${server.address().port}/connect`, seen };
}

const httpAuth = (url, extra = "") => `auth: { use: http, url: "${url}", timeout: 500ms${extra} }`;

test("the service's identity, denials and errors reach the client; it sees what the client presented", async (t) => {
  const service = await authService(t, async ({ auth }) => {
    switch (auth.token) {
      case "ada": return [200, { user: "u-ada", name: "Ada", rooms: { "svc-*": ["join", "publish", "history", "presence"] } }];
      case "banned": return [403, { reason: "account suspended" }];
      case "soft-deny": return [200, { deny: "not today" }];
      case "broken": return [500, { oops: true }];
      case "slow": await new Promise((r) => setTimeout(r, 1500)); return [200, { user: "late" }];
      default: return [401, {}];
    }
  });
  const relay = await relayFor(t, { extra: httpAuth(service.url) });
  const room = uniqueRoom("svc");
  for (const transports of [["websocket"], ["polling"]]) {
    const ada = await connect(relay.url, {
      auth: { room, token: "ada", user: "mallory" },
      extraHeaders: { authorization: "Bearer abc", "x-secret": "do-not-forward" },
      transports,
    });
    const ack = await emitAck(ada, "message", { text: "hi" });
    assert.ok(ack.id, JSON.stringify(ack));
    const members = await emitAck(ada, "presence");
    assert.ok(members.some((m) => m.user === "Ada"), JSON.stringify(members));
    ada.close();
    const last = service.seen.findLast((b) => b.auth.token === "ada");
    assert.equal(last.room, room);
    assert.equal(last.remote_address, "127.0.0.1");
    assert.equal(last.refresh, false);
    assert.equal(last.headers["x-secret"], undefined, "a header not in forward_headers was sent");
    if (transports[0] === "polling") assert.equal(last.headers.authorization, "Bearer abc");
    for (const [token, reason] of [
      ["banned", "account suspended"],
      ["soft-deny", "not today"],
      ["nobody", "access denied"],
      ["broken", "auth service error (HTTP 500)"],
      ["slow", "auth service timed out"],
    ]) {
      const socket = client(relay.url, { auth: { room, token }, transports });
      const err = await connectError(socket, 5000);
      socket.close();
      assert.equal(err.message, reason, `${token} over ${transports}`);
    }
  }
});

test("a service that is down refuses everyone with a reason, and the relay keeps serving", async (t) => {
  const closed = http.createServer();
  await new Promise((r) => closed.listen(0, "127.0.0.1", r));
  const port = closed.address().port;
  await new Promise((r) => closed.close(r));
  const relay = await relayFor(t, { extra: httpAuth(`http://127.0.0.1:${port}/connect`) });
  for (const transports of [["websocket"], ["polling"]]) {
    const socket = client(relay.url, { auth: { room: uniqueRoom("down"), token: "ada" }, transports });
    const err = await connectError(socket, 5000);
    socket.close();
    assert.equal(err.message, "auth service unavailable");
  }
  assert.equal(relay.proc.exitCode, null, "the relay is still running");
});
