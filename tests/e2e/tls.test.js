// TLS: the admin endpoint serves https with its own certificate (admin.tls_cert,
// admin.tls_key) and reloads it on SIGHUP, and `relay check` says what is wrong with
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
const { relayFor, eventually, withRelayLog, RELAY_BINARY } = require("./support/relay");
const { TestCa } = require("./support/certificates");

const ca = new TestCa();
test.after(() => ca.remove());
const first = ca.issue("first");
const second = ca.issue("second");
const trusted = { ca: ca.caPem() };

/** Copies of `files` in `dir`, so a test may overwrite them. */
function tlsKeys(dir, files) {
  const cert = path.join(dir, "server.pem");
  const key = path.join(dir, "server.key");
  fs.copyFileSync(files.cert, cert);
  fs.copyFileSync(files.key, key);
  return { keys: `tls_cert: ${cert}, tls_key: ${key}`, cert, key };
}

/** The serial number of the certificate a new TLS handshake with `port` sees. */
function peerSerial(port) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: ca.caPem() }, () => {
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

/** `relay check` on `pipeline`; resolves with {status, stderr, file}. */
function check(pipeline) {
  const dir = fs.mkdtempSync(path.join(ca.dir, "check-"));
  const file = path.join(dir, "pipeline.yaml");
  fs.writeFileSync(file, pipeline);
  const r = spawnSync(RELAY_BINARY, ["check", file], { encoding: "utf8", timeout: 20000 });
  return { status: r.status, stderr: r.stderr, file };
}

test("relay check: admin.tls_cert and admin.tls_key go together, and must read", () => {
  let r = check(`transport: { use: websocket }\nadmin:\n  listen: 127.0.0.1:0\n  tls_key: ${first.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:4:12: admin.tls_key: tls_cert and tls_key go together: tls_cert is not set\n`);

  r = check(`transport: { use: websocket }\nadmin:\n  listen: 127.0.0.1:0\n  tls_cert: ${first.cert}\n  tls_key: ${second.key}\n`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, `${r.file}:5:12: admin.tls_key: ${second.key} is not the key of the certificate in ` +
    `${first.cert}: key values mismatch\n`);
});
