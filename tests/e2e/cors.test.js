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
  assert.equal(other.headers["access-control-allow-origin"], undefined, "no CORS grant for another origin");
});

test("without cors_origins there are no CORS headers (same origin only)", async (t) => {
  const relay = await relayFor(t);
  const res = await request(relay.port, { path: "/socket.io/?EIO=4&transport=polling", headers: { origin: good } });
  assert.equal(res.status, 200);
  assert.equal(res.headers["access-control-allow-origin"], undefined);
});

test("ws_origins refuses WebSocket upgrades from other origins with 403", async (t) => {
  const relay = await relayFor(t, { transport: `ws_origins: ["${good}"]` });
  assert.equal(await upgrade(relay.port, good), "open");
  assert.equal(await upgrade(relay.port, bad), 403);
  // Without the list any origin may connect (non-browser clients send none).
  const open = await relayFor(t);
  assert.equal(await upgrade(open.port, bad), "open");
});
