// The life and end of one Engine.IO session, over raw HTTP polling and raw WebSocket,
// as the reference server (npm engine.io 6) lives it: what a session answers after a
// ping timeout, after the client's own close, after an upgrade, after a bad body; and
// when connect_timeout ends it. Meanwhile two well-behaved clients chat in another
// room and must notice nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { relayFor, eventually } = require("./support/relay");
const { RawSocket, request, pollingHandshake, tcp } = require("./support/raw");
const { bystandersFor } = require("./support/bystander");
const { freePort, metric } = require("./support/abuse");
const { uniqueRoom } = require("./support/clients");

const polling = (sid) => `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
const get = (port, sid) => request(port, { path: polling(sid) });
const post = (port, sid, body) =>
  request(port, { method: "POST", path: polling(sid), body, headers: { "content-type": "text/plain;charset=UTF-8" } });
/** {status, body}, the body parsed when it is JSON (an error's), else as it came. */
const json = (res) => {
  try {
    return { status: res.status, body: JSON.parse(res.body) };
  } catch {
    return { status: res.status, body: res.body };
  }
};
const UNKNOWN_SID = { status: 400, body: { code: 1, message: "Session ID unknown" } };
const BAD_REQUEST = { status: 400, body: { code: 3, message: "Bad request" } };

/**
 * After a polling session's close packet went out: a POST the client had in flight
 * gets 200 and is ignored (a 400 read before the close would be "transport error"
 * in engine.io-client), and a moment later the sid is unknown.
 */
async function assertGoneAfterClose(port, sid) {
  const late = await post(port, sid, "3");
  assert.deepEqual([late.status, late.body], [200, "ok"], "a POST in flight when the close went out");
  await eventually(async () => json(await get(port, sid)).status === 400, 3000, "the sid forgotten");
  assert.deepEqual(json(await get(port, sid)), UNKNOWN_SID);
  assert.deepEqual(json(await post(port, sid, "3")), UNKNOWN_SID);
}

/** A polling session that sent its CONNECT (to a room of its own) and read the reply. */
async function connectedPolling(port) {
  const { sid } = await pollingHandshake(port);
  const room = uniqueRoom("raw");
  assert.equal((await post(port, sid, "40" + JSON.stringify({ room, user: "raw" }))).status, 200);
  const reply = await get(port, sid);
  assert.equal(reply.status, 200);
  assert.match(reply.body, /^40\{"sid"/);
  return sid;
}

test("polling: past its ping timeout a session is gone: 400, not its stale ping", async (t) => {
  const admin = await freePort();
  // A long handshake_timeout: a session that kept its queued ping for a later GET
  // would still be alive when the test looks.
  const relay = await relayFor(t, {
    transport: "ping_interval: 300ms, ping_timeout: 700ms, handshake_timeout: 20s",
    extra: `admin: { listen: 127.0.0.1:${admin} }`,
  });
  const bystanders = await bystandersFor(t, relay.url);
  const before = await metric(admin, "relay_websocket_sessions");

  // No GET waiting when the ping times out: the ping the session queued is dropped
  // with it, and the sid is unknown from then on.
  const quiet = await connectedPolling(relay.port);
  assert.equal(await metric(admin, "relay_websocket_sessions"), before + 1);
  await eventually(async () => (await metric(admin, "relay_websocket_sessions")) === before, 8000,
    "the silent session ending at its ping timeout");
  assert.deepEqual(json(await get(relay.port, quiet)), UNKNOWN_SID);
  assert.deepEqual(json(await post(relay.port, quiet, "3")), UNKNOWN_SID);

  // A GET waiting when the ping times out gets the close packet (engine.io closes a
  // writable polling transport with `1`); then, after a moment, the sid is unknown.
  const waiting = await connectedPolling(relay.port);
  const ping = await get(relay.port, waiting);
  assert.deepEqual([ping.status, ping.body], [200, "2"]);
  const closing = await get(relay.port, waiting); // no pong: this one waits for the end
  assert.deepEqual([closing.status, closing.body], [200, "1"]);
  await assertGoneAfterClose(relay.port, waiting);

  await bystanders.finish();
});

test("polling: the client's close releases a waiting GET with a noop", async (t) => {
  const relay = await relayFor(t);
  const bystanders = await bystandersFor(t, relay.url);
  // The GET must be waiting when the `1` arrives. Nothing tells the client when the
  // server has it, so a try where the POST overtook the GET (which then finds the
  // session gone: 400) is done again.
  let released = null;
  for (let attempt = 0; attempt < 20 && !released; attempt++) {
    const sid = await connectedPolling(relay.port);
    const pending = get(relay.port, sid);
    const closed = await post(relay.port, sid, "1");
    assert.deepEqual([closed.status, closed.body], [200, "ok"]);
    const answer = await pending;
    if (answer.status === 200) released = { sid, answer };
    else assert.deepEqual(json(answer), UNKNOWN_SID, "a GET that came after the close");
  }
  assert.ok(released, "no GET was waiting when the close came, in 20 tries");
  // engine.io's polling transport: onClose() sends a noop to a writable transport.
  assert.equal(released.answer.body, "6");
  assert.deepEqual(json(await get(relay.port, released.sid)), UNKNOWN_SID);
  await bystanders.finish();
});

/** A polling session upgraded to a raw WebSocket (probe, then `5`). */
async function upgraded(t, port) {
  const { sid } = await pollingHandshake(port);
  const ws = new RawSocket(port, { query: `EIO=4&transport=websocket&sid=${sid}` });
  t.after(() => ws.close());
  await new Promise((resolve, reject) => {
    ws.ws.once("open", resolve);
    ws.ws.once("error", reject);
  });
  ws.send("2probe");
  await ws.waitFor((f) => f.text === "3probe", 5000, "3probe");
  ws.send("5");
  return { sid, ws };
}

/** The WebSocket carries the session: an acked event (ack id `id`) goes through. */
async function assertWebSocketWorks(ws, id) {
  ws.send(`42${id}["presence"]`);
  await ws.waitFor((f) => f.text && f.text.startsWith(`43${id}[`), 5000, `presence ack ${id}`);
  assert.equal(ws.closed, false, "the WebSocket is open");
}

test("polling on a session upgraded to WebSocket: 400, and the WebSocket goes on", async (t) => {
  const admin = await freePort();
  const relay = await relayFor(t, { extra: `admin: { listen: 127.0.0.1:${admin} }` });
  // Both on WebSocket here: the test counts TCP connections.
  const bystanders = await bystandersFor(t, relay.url, { transports: [["websocket"], ["websocket"]] });
  const { sid, ws } = await upgraded(t, relay.port);
  // The CONNECT's reply over the WebSocket shows the `5` was taken.
  ws.send("40" + JSON.stringify({ room: uniqueRoom("upgraded"), user: "upgraded" }));
  await ws.waitFor((f) => f.text && f.text.startsWith("40{"), 5000, "CONNECT reply");

  // engine.io: a request naming another transport than the session's, without an
  // upgrade, is "Bad request" (transport mismatch). The session is untouched.
  assert.deepEqual(json(await get(relay.port, sid)), BAD_REQUEST);
  assert.deepEqual(json(await post(relay.port, sid, '42["message",{"text":"sneaked"}]')), BAD_REQUEST);
  await assertWebSocketWorks(ws, 1);

  // A client that gives up on such a GET (its connection gone before the answer, or
  // right after it) does not take the WebSocket with it.
  const request = `GET ${polling(sid)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  for (let i = 0; i < 5; i++) {
    const sock = await tcp(relay.port);
    sock.write(request);
    sock.destroy();
  }
  const answered = await tcp(relay.port);
  answered.write(request);
  await eventually(() => answered.received.includes("\r\n\r\n"), 5000, "the answer to a polling GET");
  assert.match(answered.received, /^HTTP\/1\.1 400/);
  answered.destroy();
  // Once the relay has let go of every one of those connections, it has seen them end:
  // left are the two bystanders' and the upgraded session's.
  await eventually(async () => (await metric(admin, "relay_websocket_connections")) === 3, 5000,
    "the relay closing the abandoned polling connections");
  await assertWebSocketWorks(ws, 2);
  assert.deepEqual(json(await get(relay.port, sid)), BAD_REQUEST);
  await bystanders.finish();
});

test("polling: a POST that breaks the protocol gets 400 and the session is closed", async (t) => {
  const relay = await relayFor(t);
  const bystanders = await bystandersFor(t, relay.url);
  const bodies = [
    ["invalid UTF-8 in a JSON string", Buffer.from('42["message",{"text":"\xff\xfe"}]', "latin1")],
    ["invalid UTF-8 between packets", Buffer.concat([Buffer.from("3\x1e"), Buffer.from([0xc0, 0x80])])],
    ["a truncated UTF-8 sequence", Buffer.from([0x34, 0x32, 0xe2, 0x82])],
    ["invalid JSON in an EVENT", '42["message",{"text":'],
    ["an EVENT without a name", "42[]"],
  ];
  for (const [what, body] of bodies) {
    const sid = await connectedPolling(relay.port);
    const res = await post(relay.port, sid, body);
    assert.deepEqual(json(res), BAD_REQUEST, what);
    assert.deepEqual(json(await get(relay.port, sid)), UNKNOWN_SID, `${what}: the session is closed`);
  }
  // Valid UTF-8 beyond ASCII is fine, and so is the client's own disconnect.
  const sid = await connectedPolling(relay.port);
  const ok = await post(relay.port, sid, Buffer.from('421["message",{"text":"héllo 😀"}]\x1e41', "utf8"));
  assert.deepEqual([ok.status, ok.body], [200, "ok"]);
  await bystanders.finish();
});

test("connect_timeout ends a session that never CONNECTs on time, not at the next ping", async (t) => {
  // The ping interval is long: a check made only when pinging would come ~5 s late.
  const relay = await relayFor(t, { transport: "connect_timeout: 600ms, ping_interval: 5s, ping_timeout: 5s" });
  const bystanders = await bystandersFor(t, relay.url);
  const lateBy = [];

  // WebSocket: the server closes the connection.
  const ws = new RawSocket(relay.port);
  t.after(() => ws.close());
  await ws.open();
  const wsOpened = Date.now();
  await ws.closedByServer(8000);
  lateBy.push(["websocket", Date.now() - wsOpened - 600]);

  // Polling: a waiting GET gets the close packet.
  const pollOpened = Date.now();
  const { sid } = await pollingHandshake(relay.port);
  const end = await get(relay.port, sid);
  lateBy.push(["polling", Date.now() - pollOpened - 600]);
  assert.deepEqual([end.status, end.body], [200, "1"]);
  await assertGoneAfterClose(relay.port, sid);

  // A session that CONNECTs in time is not affected: it outlives the timeout.
  const room = uniqueRoom("intime");
  const ontime = new RawSocket(relay.port);
  t.after(() => ontime.close());
  await ontime.connect({ room, user: "ontime" });
  // An observation window, not synchronisation: twice connect_timeout in which
  // nothing must happen to it.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  ontime.send('421["presence"]');
  await ontime.waitFor((f) => f.text && f.text.startsWith("431["), 5000, "presence ack");
  assert.equal(ontime.closed, false);

  for (const [transport, ms] of lateBy) {
    // The client measures from after the server opened the session: at most ~0 early.
    assert.ok(ms > -50 && ms < 250, `${transport}: closed ${ms} ms after connect_timeout`);
  }
  await bystanders.finish();
});
