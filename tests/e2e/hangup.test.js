// A polling client that vanishes while its long poll waits is seen gone at once, as
// with engine.io ("poll connection closed prematurely") — not only at the ping
// timeout: the others get its `leave` and presence stops listing it.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor } = require("./support/relay");
const { request, pollingHandshake, tcp } = require("./support/raw");
const { uniqueRoom, connect, emitAck, nextEvent, closeAll } = require("./support/clients");

test("a polling client that hangs up during a long poll leaves at once", async (t) => {
  // ping_interval + ping_timeout = 60 s: a leave before that can only come from the hangup.
  const relay = await relayFor(t, { transport: "ping_interval: 30s, ping_timeout: 30s" });
  const room = uniqueRoom("hangup");
  const observer = await connect(relay.url, { transports: ["websocket"], auth: { room, user: "obs" } });
  t.after(() => closeAll(observer));

  // A polling member by hand: handshake, CONNECT, and the poll that fetches the reply.
  const { sid } = await pollingHandshake(relay.port);
  const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  const joined = nextEvent(observer, "join", 10000);
  const posted = await request(relay.port, { method: "POST", path, body: `40{"room":"${room}","user":"poller"}` });
  assert.equal(posted.body, "ok");
  assert.match((await request(relay.port, { path })).body, /^40\{"sid":/);
  assert.equal((await joined)[0].user, "poller");

  // The next poll waits (nothing to say); the client goes away before its answer.
  const left = nextEvent(observer, "leave", 10000);
  const socket = await tcp(relay.port);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, () => socket.destroy());
  const [leave] = await left;
  assert.equal(leave.user, "poller");
  const members = await emitAck(observer, "presence");
  assert.deepEqual(members.map((m) => m.user), ["obs"]);
});
