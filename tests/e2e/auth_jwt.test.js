// The jwt auth plugin through the real binary, with stock socket.io clients and tokens
// made here by an independent JWT implementation (npm `jose`): a valid token joins the
// rooms its claim grants, under the name the token gives; every refusal reaches the
// client as a connect_error with its reason, over WebSocket and polling; an action the
// token does not grant is acked `forbidden` and leaves nothing behind; an expired
// token disconnects its client, and a `refresh` before the expiry keeps it.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const jose = require("jose");
const { relayFor, eventually } = require("./support/relay");
const { bystandersFor } = require("./support/bystander");
const { client, connect, connectError, uniqueRoom, collect, emitAck, nextEvent } = require("./support/clients");

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const ISSUER = "https://login.example";
const AUDIENCE = "relay-e2e";
// A token is honoured until exp + leeway (clock skew between issuer and relay).
const LEEWAY_S = 1;

/** Keys for every algorithm the plugin verifies, written where the pipeline reads them. */
async function makeKeys(dir) {
  const rsa = await jose.generateKeyPair("RS256", { modulusLength: 2048 });
  const ec = await jose.generateKeyPair("ES256");
  const ed = await jose.generateKeyPair("EdDSA", { crv: "Ed25519" });
  fs.writeFileSync(path.join(dir, "rsa.pem"), await jose.exportSPKI(rsa.publicKey));
  fs.writeFileSync(path.join(dir, "ec.pem"), await jose.exportSPKI(ec.publicKey));
  const jwk = { ...(await jose.exportJWK(ed.publicKey)), kid: "ed-1", alg: "EdDSA" };
  fs.writeFileSync(path.join(dir, "keys.jwks"), JSON.stringify({ keys: [jwk] }));
  return { rsa, ec, ed };
}

function pipelineExtra(dir) {
  return [
    "auth:",
    "  use: jwt",
    `  secret: "${SECRET}"`,
    `  public_keys: [${path.join(dir, "rsa.pem")}, ${path.join(dir, "ec.pem")}]`,
    `  jwks_file: ${path.join(dir, "keys.jwks")}`,
    `  issuer: "${ISSUER}"`,
    `  audience: ${AUDIENCE}`,
    `  leeway: ${LEEWAY_S}s`,
  ].join("\n");
}

/** A token signed with `key` by `alg`; `claims` override the defaults. */
async function token(key, alg, claims = {}, header = {}) {
  const now = Math.floor(Date.now() / 1000);
  const body = {
    sub: "u-1",
    name: "Ada",
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 600,
    rooms: { "e2e-auth-*": ["join", "publish", "history", "presence"] },
    ...claims,
  };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  return new jose.SignJWT(body).setProtectedHeader({ alg, ...header }).sign(key);
}

const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");

async function startAuthRelay(t) {
  const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "relay-jwt-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const keys = await makeKeys(dir);
  const relay = await relayFor(t, { extra: pipelineExtra(dir) });
  return { relay, keys, dir, secret: new TextEncoder().encode(SECRET) };
}

test("a valid token of each algorithm joins its room under the token's name, whatever user the client claims", async (t) => {
  const { relay, keys, secret } = await startAuthRelay(t);
  const room = uniqueRoom("e2e-auth-ok");
  const tokens = {
    HS256: await token(secret, "HS256", { sub: "u-hs", name: "Hs" }),
    RS256: await token(keys.rsa.privateKey, "RS256", { sub: "u-rs", name: "Rs" }),
    ES256: await token(keys.ec.privateKey, "ES256", { sub: "u-es", name: "Es" }),
    EdDSA: await token(keys.ed.privateKey, "EdDSA", { sub: "u-ed", name: "Ed" }, { kid: "ed-1" }),
  };
  const watcher = await connect(relay.url, { auth: { room, token: tokens.HS256 }, transports: ["websocket"] });
  t.after(() => watcher.close());
  const messages = collect(watcher, "message");
  for (const [alg, jwt] of Object.entries(tokens)) {
    for (const transports of [["websocket"], ["polling"]]) {
      const socket = await connect(relay.url, { auth: { room, token: jwt, user: "mallory" }, transports });
      const ack = await emitAck(socket, "message", { text: `${alg} ${transports}` });
      assert.ok(ack.id, `${alg} ${transports}: ${JSON.stringify(ack)}`);
      socket.close();
    }
  }
  await eventually(() => messages.length === 8, 5000, "eight messages");
  assert.deepEqual(
    messages.map(([m]) => m.user),
    ["Hs", "Hs", "Rs", "Rs", "Es", "Es", "Ed", "Ed"],
    "the name is the token's, never the client's claim",
  );
  // The others closed; their leaves may still be on the way.
  await eventually(async () => {
    const members = await emitAck(watcher, "presence");
    return members.length === 1 && members[0].user === "Hs";
  }, 5000, "only the watcher left in presence");
});

test("every refusal is a connect_error with its reason, over WebSocket and polling, and the room sees nothing", async (t) => {
  const { relay, keys, secret } = await startAuthRelay(t);
  const bystanders = await bystandersFor(t, relay.url, {
    transports: [["websocket"], ["polling"]],
    auth: { token: await token(secret, "HS256", { sub: "bystander", rooms: ["*"] }) },
  });
  const room = uniqueRoom("e2e-auth-refused");
  const watcher = await connect(relay.url, { auth: { room, token: await token(secret, "HS256") }, transports: ["websocket"] });
  t.after(() => watcher.close());
  const joins = collect(watcher, "join");
  const now = Math.floor(Date.now() / 1000);
  const rsaPublicPem = await jose.exportSPKI(keys.rsa.publicKey);
  const confusion = await new jose.SignJWT({ sub: "u-1", iss: ISSUER, aud: AUDIENCE, exp: now + 600, rooms: ["*"] })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(rsaPublicPem));
  const validHs = await token(secret, "HS256");
  const [h, p] = validHs.split(".");
  const cases = [
    ["no token", {}, "token missing"],
    ["garbage", { token: "not.a.jwt" }, "token malformed"],
    ["expired", { token: await token(secret, "HS256", { exp: now - 120 }) }, "token expired"],
    ["not yet valid", { token: await token(secret, "HS256", { nbf: now + 120 }) }, "token not yet valid"],
    ["wrong audience", { token: await token(secret, "HS256", { aud: "someone-else" }) }, "invalid audience"],
    ["wrong issuer", { token: await token(secret, "HS256", { iss: "https://evil.example" }) }, "invalid issuer"],
    ["bad signature", { token: `${h}.${p}.${Buffer.from("x".repeat(32)).toString("base64url")}` }, "invalid signature"],
    ["alg none", { token: `${b64({ alg: "none", typ: "JWT" })}.${p}.` }, "algorithm not allowed"],
    ["HS/RS confusion", { token: confusion }, "invalid signature"],
    ["unknown kid", { token: await token(keys.ed.privateKey, "EdDSA", {}, { kid: "ed-9" }) }, "unknown key id"],
    ["room outside the claim", { token: await token(secret, "HS256", { rooms: { "other/*": ["join"] } }) },
      "Forbidden: not allowed to join this room"],
  ];
  for (const transports of [["websocket"], ["polling"]]) {
    for (const [what, auth, reason] of cases) {
      const socket = client(relay.url, { auth: { room, ...auth }, transports });
      const err = await connectError(socket);
      socket.close();
      assert.equal(err.message, reason, `${what} over ${transports}`);
    }
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(joins.length, 0, "no refused client joined");
  await bystanders.finish();
});

test("an action the token does not grant is acked forbidden and leaves nothing behind", async (t) => {
  const { relay, secret } = await startAuthRelay(t);
  const room = uniqueRoom("e2e-auth-perm");
  const reader = await connect(relay.url, {
    auth: { room, token: await token(secret, "HS256", { sub: "reader", rooms: { [room]: ["join"] } }) },
    transports: ["websocket"],
  });
  t.after(() => reader.close());
  const writer = await connect(relay.url, { auth: { room, token: await token(secret, "HS256", { sub: "writer" }) }, transports: ["websocket"] });
  t.after(() => writer.close());
  const seen = collect(writer, "message");
  assert.deepEqual(await emitAck(reader, "message", { text: "sneaky" }), { error: "forbidden" });
  assert.deepEqual(await emitAck(reader, "history", { limit: 10 }), { error: "forbidden" });
  assert.deepEqual(await emitAck(reader, "presence"), { error: "forbidden" });
  // The reader still receives what the room says.
  const got = collect(reader, "message");
  const ack = await emitAck(writer, "message", { text: "hello" });
  assert.ok(ack.id);
  await eventually(() => got.length === 1, 5000, "the reader's delivery");
  const history = await emitAck(writer, "history", { limit: 10 });
  assert.deepEqual(history.map((m) => m.text), ["hello"], "the forbidden message was not stored");
  assert.equal(seen.length, 0, "nothing was broadcast for the forbidden publish");
});

test("an expired token disconnects its client; a refresh before the expiry keeps it connected", async (t) => {
  const { relay, secret } = await startAuthRelay(t);
  const room = uniqueRoom("e2e-auth-exp");
  const soon = () => Math.floor(Date.now() / 1000) + 2;
  const expiring = await connect(relay.url, { auth: { room, token: await token(secret, "HS256", { sub: "a", exp: soon() }) }, transports: ["websocket"] });
  const refreshed = await connect(relay.url, { auth: { room, token: await token(secret, "HS256", { sub: "b", exp: soon() }) }, transports: ["polling"] });
  t.after(() => { expiring.close(); refreshed.close(); });
  const expired = nextEvent(expiring, "expired", 8000);
  const gone = nextEvent(expiring, "disconnect", 8000);
  // A refresh for another user, or with a bad token, changes nothing.
  assert.deepEqual(await emitAck(refreshed, "refresh", { token: await token(secret, "HS256", { sub: "a" }) }),
    { error: "refresh must be for the same user" });
  assert.deepEqual(await emitAck(refreshed, "refresh", { token: "x.y.z" }), { error: "token malformed" });
  const later = Math.floor(Date.now() / 1000) + 600;
  const answer = await emitAck(refreshed, "refresh", { token: await token(secret, "HS256", { sub: "b", exp: later }) });
  assert.deepEqual(answer, { ok: true, expires_at: (later + LEEWAY_S) * 1000 });
  const [reason] = await expired;
  assert.deepEqual(reason, { reason: "token expired" });
  assert.equal((await gone)[0], "io server disconnect");
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(refreshed.connected, "the refreshed client is still connected after the first token's expiry");
  const ack = await emitAck(refreshed, "message", { text: "still here" });
  assert.ok(ack.id, JSON.stringify(ack));
});
