// CORS for polling (transport.cors_origins) and the Origin allow-list for WebSocket
// upgrades (transport.ws_origins).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const WebSocket = require("ws");
const { relayFor } = require("./support/relay");
const { request } = require("./support/raw");

const good = "http://good.example";
const bad = "http://evil.example";

function upgrade(port, origin) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { origin });
    ws.once("open", () => {
      ws.terminate();
      resolve("open");
    });
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode));
    ws.once("error", () => resolve("error"));
  });
}

test("polling answers allowed origins with CORS headers, and only them", async (t) => {
  const relay = await relayFor(t, { transport: `cors_origins: ["${good}"]` });
  const preflight = await request(relay.port, {
    method: "OPTIONS",
    path: "/socket.io/?EIO=4&transport=polling",
    headers: { origin: good, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers["access-control-allow-origin"], good);
  assert.equal(preflight.headers["access-control-allow-credentials"], "true");
  assert.match(preflight.headers["access-control-allow-methods"], /POST/);
  assert.equal(preflight.headers["access-control-allow-headers"], "content-type");

  const handshake = await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling", headers: { origin: good } });
  assert.equal(handshake.status, 200);
  assert.equal(handshake.headers["access-control-allow-origin"], good);

  const other = await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling", headers: { origin: bad } });
  assert.equal(other.status, 403, "another origin's page gets no session");
  assert.equal(other.headers["access-control-allow-origin"], undefined, "no CORS grant for another origin");
});

test("without cors_origins only the server's own origin, and clients without one, may poll", async (t) => {
  const relay = await relayFor(t);
  const path = "/socket.io/?EIO=4&transport=polling";
  const foreign = await request(relay.port, { path, headers: { origin: good } });
  assert.equal(foreign.status, 403);
  assert.deepEqual(JSON.parse(foreign.body), { code: 4, message: "Forbidden" });
  assert.equal(foreign.headers["access-control-allow-origin"], undefined);
  for (const origin of [`http://127.0.0.1:${relay.port}`, `https://127.0.0.1:${relay.port}`, undefined]) {
    const res = await request(relay.port, { path, headers: origin ? { origin } : {} });
    assert.equal(res.status, 200, `origin ${origin}`);
  }
  // A session opened without an Origin cannot be driven from a foreign page either.
  const open = await request(relay.port, { path });
  const { sid } = JSON.parse(open.body.slice(1));
  const post = await request(relay.port, { method: "POST", path: `${path}&sid=${sid}`, body: "40{}", headers: { origin: good } });
  assert.equal(post.status, 403);
});

test("WebSocket upgrades: the server's own origin, listed ones and none are accepted; others get 403", async (t) => {
  const relay = await relayFor(t, { transport: `ws_origins: ["${good}"]` });
  assert.equal(await upgrade(relay.port, good), "open");
  assert.equal(await upgrade(relay.port, bad), 403);
  assert.equal(await upgrade(relay.port, `http://127.0.0.1:${relay.port}`), "open");
  assert.equal(await upgrade(relay.port, undefined), "open");
  // The default: same origin only (this was "any" before).
  const plain = await relayFor(t);
  assert.equal(await upgrade(plain.port, bad), 403);
  assert.equal(await upgrade(plain.port, "null"), 403);
  assert.equal(await upgrade(plain.port, `http://127.0.0.1:${plain.port}`), "open");
  const any = await relayFor(t, { transport: `ws_origins: ["*"]` });
  assert.equal(await upgrade(any.port, bad), "open");
});
