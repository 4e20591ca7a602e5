// TLS: with tls_cert and tls_key the websocket transport serves only https and wss on
// its port, SIGHUP swaps the certificate without dropping a connection, the admin
// endpoint serves https with its own keys, and `relay check` says what is wrong with
// the settings. Certificates come from a throwaway CA made with the openssl CLI.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const path = require("node:path");
const tls = require("node:tls");
const { relayFor, once, eventually, withRelayLog, RELAY_BINARY } = require("./support/relay");
const { uniqueRoom, client, connect, connectError, collect, emitAck, nextEvent, closeAll } = require("./support/clients");
const { Bystanders } = require("./support/bystander");
const { RawSocket } = require("./support/raw");
const { TestCa } = require("./support/certificates");

const ca = new TestCa();
test.after(() => ca.remove());
const first = ca.issue("first");
const second = ca.issue("second");
const trusted = { ca: ca.caPem() };

/** Transport keys serving `files` (copies, so a test may overwrite them). */
function tlsKeys(dir, files) {
  const cert = path.join(dir, "server.pem");
  const key = path.join(dir, "server.key");
  fs.copyFileSync(files.cert, cert);
  fs.copyFileSync(files.key, key);
  return { keys: `tls_cert: ${cert}, tls_key: ${key}`, cert, key };
}

/** A relay whose transport serves `files` over TLS; `url` is its https URL. */
async function tlsRelay(t, files = first, more = {}) {
  const dir = fs.mkdtempSync(path.join(ca.dir, "relay-"));
  const served = tlsKeys(dir, files);
  const relay = await relayFor(t, { ...more, transport: served.keys });
  return { ...relay, url: `https://127.0.0.1:${relay.port}`, served };
}

/** The serial number of the certificate a new TLS handshake with `port` sees. */
function peerSerial(port) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: ca.caPem(), servername: undefined }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.setTimeout(5000, () => socket.destroy(new Error("no TLS handshake within 5 s")));
    socket.on("error", reject);
  });
}

/** One request with node:http or node:https; resolves with {status, body} or rejects. */
function request(module, url, options = {}) {
  return new Promise((resolve, reject) => {
    const req = module.get(url, { ...options, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5 s")));
    req.on("error", reject);
  });
}

/** Two clients chat: each one's message is acked and reaches the other. */
async function chatBetween(a, b, text) {
  const atB = nextEvent(b, "message");
  const ackA = await emitAck(a, "message", { text: `${text} from a` });
  assert.equal(typeof ackA.id, "string", JSON.stringify(ackA));
  const [gotB] = await atB;
  assert.equal(gotB.id, ackA.id);
  assert.equal(gotB.text, `${text} from a`);
  const atA = nextEvent(a, "message");
  const ackB = await emitAck(b, "message", { text: `${text} from b` });
  const [gotA] = await atA;
  assert.equal(gotA.id, ackB.id);
  return [ackA.id, ackB.id];
}

test("wss, https polling and the upgrade between them chat, with acks and history", async (t) => {
  const relay = await tlsRelay(t);
  await withRelayLog(relay, async () => {
    assert.match(relay.log(), /Socket\.IO on 127\.0\.0\.1:\d+\/socket\.io\/ over TLS/);
    const room = uniqueRoom("tls");
    const ws = await connect(relay.url, { ...trusted, transports: ["websocket"], auth: { room, user: "ws" } });
    const polling = await connect(relay.url, { ...trusted, transports: ["polling"], auth: { room, user: "poll" } });
    t.after(() => closeAll(ws, polling));
    assert.equal(ws.io.engine.transport.name, "websocket");
    assert.equal(polling.io.engine.transport.name, "polling");
    const ids = await chatBetween(ws, polling, "hello");

    // socket.io-client's default: polling first, then the upgrade to wss.
    const upgraded = [];
    t.after(() => closeAll(upgraded));
    for (let i = 0; i < 2; i++) {
      const c = await connect(relay.url, { ...trusted, auth: { room, user: `up${i}` } });
      upgraded.push(c);
      await eventually(() => c.io.engine.transport.name === "websocket", 5000, `client ${i} upgraded`);
    }
    const atWs = collect(ws, "message");
    for (const [i, c] of upgraded.entries()) {
      const ack = await emitAck(c, "message", { text: `upgraded ${i}` });
      ids.push(ack.id);
    }
    await eventually(() => atWs.length === upgraded.length, 5000, "ws got every upgraded client's message");

    const history = await emitAck(polling, "history", { limit: 50 });
    assert.deepEqual(history.map((m) => m.id), ids);
  });
});

test("an upgrade whose connection lands on the other I/O thread than its session chats", async (t) => {
  // The relay runs two I/O threads and hands accepted connections to them in turn: the
  // handshake's connection and the upgrade's, made one after the other, land on
  // different ones, and a TLS stream cannot move to the session's thread.
  const relay = await tlsRelay(t);
  await withRelayLog(relay, async () => {
    const room = uniqueRoom("cross");
    const peer = await connect(relay.url, { ...trusted, transports: ["websocket"], auth: { room, user: "peer" } });
    t.after(() => peer.close());
    const open = await request(https, `${relay.url}/socket.io/?EIO=4&transport=polling`, { ...trusted, agent: false });
    assert.equal(open.status, 200, open.body);
    const { sid } = JSON.parse(open.body.slice(1));
    const raw = new RawSocket(relay.port, { query: `EIO=4&transport=websocket&sid=${sid}`, ca: ca.caPem() });
    t.after(() => raw.ws.terminate());
    await once(raw.ws, "open");
    raw.send("2probe");
    await raw.waitFor((f) => f.text === "3probe", 5000, "3probe");
    raw.send("5");
    raw.send(`40${JSON.stringify({ room, user: "raw" })}`);
    await raw.waitFor((f) => f.text && f.text.startsWith("40{"), 5000, "CONNECT");

    const atPeer = nextEvent(peer, "message");
    raw.send(`421["message",{"text":"from the other thread"}]`);
    const ack = JSON.parse((await raw.waitFor((f) => f.text && f.text.startsWith("431["), 5000, "ack")).text.slice(3));
    const [got] = await atPeer;
    assert.equal(got.id, ack[0].id);
    assert.equal(got.text, "from the other thread");

    const answer = await emitAck(peer, "message", { text: "back" });
    const frame = await raw.waitFor((f) => f.text && f.text.startsWith('42["message"'), 5000, "the peer's message");
    assert.equal(JSON.parse(frame.text.slice(2))[1].id, answer.id);
  });
});

test("a client that does not trust the certificate is refused", async (t) => {
  const relay = await tlsRelay(t);
  for (const transports of [["websocket"], ["polling"]]) {
    const socket = client(relay.url, { transports, auth: { room: uniqueRoom() } });
    t.after(() => socket.close());
    const err = await connectError(socket);
    assert.ok(err, `${transports}: connect_error`);
  }
  await assert.rejects(peerSerialUntrusted(relay.port), /unable to verify the first certificate/);
});

/** A handshake with Node's default trust store, which lacks the test CA. */
function peerSerialUntrusted(port) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      resolve();
    });
    socket.on("error", reject);
  });
}

test("plain HTTP on the TLS port fails, and the server keeps serving", async (t) => {
  const relay = await tlsRelay(t);
  await withRelayLog(relay, async () => {
    const bystanders = await Bystanders.start(relay.url, { client: trusted });
    t.after(() => bystanders.close());
    const plainUrl = `http://127.0.0.1:${relay.port}`;
    await assert.rejects(request(http, `${plainUrl}/socket.io/?EIO=4&transport=polling`));
    await assert.rejects(request(http, `${plainUrl}/`));
    const plain = client(plainUrl, { transports: ["websocket"], auth: { room: uniqueRoom() } });
    t.after(() => plain.close());
    await connectError(plain);
    await bystanders.finish();
  });
});

test("SIGHUP swaps the certificate: open connections stay, new handshakes get the new one", async (t) => {
  const relay = await tlsRelay(t, first, {
    extra: "admin: { listen: 127.0.0.1:0 }",
  });
  await withRelayLog(relay, async () => {
    const adminPort = Number(/admin: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(relay.log())[1]);
    const metric = async (name) => {
      const { body } = await request(http, `http://127.0.0.1:${adminPort}/metrics`);
      const line = body.split("\n").find((l) => l.startsWith(name + " "));
      return line === undefined ? undefined : Number(line.split(" ")[1]);
    };
    assert.equal(await peerSerial(relay.port), first.serial);
    const room = uniqueRoom("reload");
    const before = await connect(relay.url, { ...trusted, transports: ["websocket"], auth: { room, user: "before" } });
    const beforePolling = await connect(relay.url, { ...trusted, transports: ["polling"], auth: { room, user: "before-poll" } });
    t.after(() => closeAll(before, beforePolling));
    const dropped = [];
    for (const s of [before, beforePolling]) s.on("disconnect", (reason) => dropped.push(reason));

    fs.copyFileSync(second.cert, relay.served.cert);
    fs.copyFileSync(second.key, relay.served.key);
    process.kill(relay.proc.pid, "SIGHUP");
    await eventually(async () => (await peerSerial(relay.port)) === second.serial, 5000, "the new certificate served");
    assert.equal(await metric("relay_websocket_tls_reloads_total"), 1);
    assert.equal(before.connected && beforePolling.connected, true);
    assert.equal(before.io.engine.transport.name, "websocket");

    const after = await connect(relay.url, { ...trusted, transports: ["websocket"], auth: { room, user: "after" } });
    t.after(() => after.close());
    await chatBetween(before, after, "across the reload");
    await chatBetween(beforePolling, after, "polling across the reload");

    // A key that does not read: the reload keeps the certificate it has, and says why.
    fs.writeFileSync(relay.served.key, "not a key\n");
    process.kill(relay.proc.pid, "SIGHUP");
    await eventually(async () => (await metric("relay_websocket_tls_reload_failures_total")) === 1, 5000,
      "the failed reload counted");
    assert.ok(relay.log().includes(`TLS reload kept the previous certificate: tls_key: no private key in ${relay.served.key}: `),
      relay.log());
    assert.equal(await peerSerial(relay.port), second.serial);
    await chatBetween(before, after, "after a bad reload");
    assert.deepEqual(dropped, []);
  });
});

test("the admin endpoint serves https with its own certificate and reloads it", async (t) => {
  const dir = fs.mkdtempSync(path.join(ca.dir, "admin-"));
  const served = tlsKeys(dir, first);
  const relay = await relayFor(t, {
    extra: `admin: { listen: 127.0.0.1:0, tls_cert: ${served.cert}, tls_key: ${served.key} }`,
  });
  await withRelayLog(relay, async () => {
    const port = Number(/admin: https:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(relay.log())[1]);
    const ready = await request(https, `https://127.0.0.1:${port}/readyz`, trusted);
    assert.deepEqual(ready, { status: 200, body: "ready\n" });
    await assert.rejects(request(http, `http://127.0.0.1:${port}/readyz`));
    await assert.rejects(request(https, `https://127.0.0.1:${port}/readyz`), /unable to verify the first certificate/);
    assert.equal(await peerSerial(port), first.serial);

    fs.copyFileSync(second.cert, served.cert);
    fs.copyFileSync(second.key, served.key);
    process.kill(relay.proc.pid, "SIGHUP");
    await eventually(async () => (await peerSerial(port)) === second.serial, 5000, "the admin's new certificate");
    assert.equal((await request(https, `https://127.0.0.1:${port}/healthz`, trusted)).status, 200);
  });
});

test("the server API and the relay CLI speak https on a TLS admin listener, and the CLI checks the certificate", async (t) => {
  const dir = fs.mkdtempSync(path.join(ca.dir, "api-"));
  const served = tlsKeys(dir, first);
  const caFile = path.join(dir, "ca.pem");
  fs.writeFileSync(caFile, ca.caPem());
  const relay = await relayFor(t, {
    extra: `admin: { listen: 127.0.0.1:0, tls_cert: ${served.cert}, tls_key: ${served.key}, api_token: tls-api-token }`,
  });
  await withRelayLog(relay, async () => {
    const port = Number(/admin: https:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(relay.log())[1]);
    const admin = `https://127.0.0.1:${port}`;
    const cli = (args, more = []) => spawnSync(RELAY_BINARY, [...args, "--admin", admin, "--token", "tls-api-token", ...more],
      { encoding: "utf8", timeout: 20000 });
    const room = uniqueRoom("tls-api");
    const member = await connect(relay.url, { transports: ["websocket"], auth: { room, user: "ann" } });
    t.after(() => closeAll(member));
    const got = nextEvent(member, "message", 5000);

    const published = cli(["publish", room, '{"text":"over https"}'], ["--cacert", caFile]);
    assert.equal(published.status, 0, published.stderr);
    const [message] = await got;
    assert.equal(message.text, "over https");
    assert.equal(published.stdout.trim().includes(message.id), true, published.stdout);

    // The API answers only over https, with the token.
    const info = await request(https, `${admin}/api/v1/info`, { ...trusted, headers: { authorization: "Bearer tls-api-token" } });
    assert.equal(info.status, 200, info.body);
    assert.equal(JSON.parse(info.body).node, JSON.parse(cli(["info"], ["--cacert", caFile]).stdout).node);
    await assert.rejects(request(http, `http://127.0.0.1:${port}/api/v1/info`));

    // Without the issuer, the CLI refuses the certificate and says so; nothing is published.
    const untrusted = cli(["publish", room, '{"text":"never"}']);
    assert.notEqual(untrusted.status, 0);
    assert.match(untrusted.stderr, /certificate/i, untrusted.stderr);
    const history = JSON.parse(cli(["history", room], ["--cacert", caFile]).stdout);
    assert.deepEqual(history.messages.map((m) => m.text), ["over https"]);
  });
});

/** `relay check` on `pipeline`; resolves with {status, stderr, file}. */
function check(pipeline) {
  const dir = fs.mkdtempSync(path.join(ca.dir, "check-"));
  const file = path.join(dir, "pipeline.yaml");
  fs.writeFileSync(file, pipeline);
  const r = spawnSync(RELAY_BINARY, ["check", file], { encoding: "utf8", timeout: 20000 });
  return { status: r.status, stderr: r.stderr, file };
}

test("relay check: transport.tls_cert and tls_key go together, and must read and match", () => {
  let r = check(`transport:\n  use: websocket\n  tls_cert: ${first.cert}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:3:13: transport.tls_cert: tls_cert and tls_key go together: tls_key is not set\n`);

  r = check(`transport:\n  use: websocket\n  tls_cert: ${first.cert}\n  tls_key: ${second.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:4:12: transport.tls_key: ${second.key} is not the key of the certificate in ` +
    `${first.cert}: key values mismatch\n`);

  const missing = path.join(ca.dir, "missing.pem");
  r = check(`transport:\n  use: websocket\n  tls_cert: ${missing}\n  tls_key: ${first.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:3:13: transport.tls_cert: cannot read ${missing}: No such file or directory\n`);

  r = check(`transport:\n  use: websocket\n  tls_cert: ${first.key}\n  tls_key: ${first.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:3:13: transport.tls_cert: no certificate chain in ${first.key}: no start line\n`);

  r = check(`transport:\n  use: websocket\n  tls_cert: ${first.cert}\n  tls_key: ${first.key}\n  tls_min_version: "1.1"\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:5:20: transport.tls_min_version: expected one of 1.2, 1.3, got "1.1"; did you mean '1.2'?\n`);

  r = check(`transport:\n  use: websocket\n  tls_cert: ${first.cert}\n  tls_key: ${first.key}\n  tls_min_version: 1.3\n`);
  assert.equal(r.status, 0, r.stderr);
});

test("relay check: admin.tls_cert and admin.tls_key go together, and must read", () => {
  let r = check(`transport: { use: websocket }\nadmin:\n  listen: 127.0.0.1:0\n  tls_key: ${first.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:4:12: admin.tls_key: tls_cert and tls_key go together: tls_cert is not set\n`);

  r = check(`transport: { use: websocket }\nadmin:\n  listen: 127.0.0.1:0\n  tls_cert: ${first.cert}\n  tls_key: ${second.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:5:12: admin.tls_key: ${second.key} is not the key of the certificate in ` +
    `${first.cert}: key values mismatch\n`);
});
