// SIGHUP reloads the pipeline file under load: a processor added and a limit changed
// apply to new messages while 100 clients stay connected and every acked message
// reaches every one of them; a broken file changes nothing and its every error is
// logged with file:line:col; a change that needs a restart is named and ignored.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { relayFor, eventually, withRelayLog } = require("./support/relay");
const { connect, uniqueRoom, closeAll } = require("./support/clients");

const RECEIVERS = 100;
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const TEST_PLUGIN_DIR = process.env.RELAY_TEST_PLUGIN_DIR;
const REJECT_THIRD = "every third message is rejected";

// The file: websocket on the port relay runs on (0 at start: a reload that names
// another listen address needs a restart), memory queue, the given processors.
function pipeline(listen, processors) {
  return [
    "node: { id: e2e, threads: 2 }",
    `plugins: { path: [${JSON.stringify(TEST_PLUGIN_DIR)}] }`,
    `transport: { use: websocket, listen: ${listen} }`,
    "queue: { use: memory }",
    "presence: { use: local }",
    "processors:",
    ...processors.map((p) => `  - ${p}`),
    "",
  ].join("\n");
}

const BEFORE = ["{ use: rate_limit, per_connection: 1000/s, per_connection_burst: 1000 }"];
// rejectthird joins in front (a third of all messages rejected) and the limit drops to
// 10/s (burst 5): both show in the acks.
const AFTER = ["{ use: rejectthird }", "{ use: rate_limit, per_connection: 10/s, per_connection_burst: 5 }"];
// Acks each phase waits for (a count, not a time: a loaded machine sends slower).
const PER_PHASE = 150;

test("SIGHUP reloads processors under load without dropping a client or an acked message", async (t) => {
  assert.ok(TEST_PLUGIN_DIR, "RELAY_TEST_PLUGIN_DIR must name the test plugins' directory");
  assert.ok(
    fs.existsSync(path.join(TEST_PLUGIN_DIR, "librelay_rejectthird.so")),
    `no librelay_rejectthird.so in ${TEST_PLUGIN_DIR}`,
  );
  const relay = await relayFor(t, { pipeline: pipeline("127.0.0.1:0", BEFORE) });
  const file = path.join(relay.dir, "pipeline.yaml");
  const room = uniqueRoom("reload");

  const receivers = [];
  const disconnects = [];
  t.after(() => closeAll(...receivers.map((r) => r.socket)));
  for (let i = 0; i < RECEIVERS; i++) {
    const socket = await connect(relay.url, { auth: { room, user: `r${i}` }, transports: ["websocket"] });
    const receiver = { socket, ids: new Set() };
    socket.on("message", (msg) => receiver.ids.add(msg.id));
    socket.on("disconnect", (reason) => disconnects.push(`r${i}: ${reason}`));
    receivers.push(receiver);
  }
  const sender = await connect(relay.url, { auth: { room, user: "sender" }, transports: ["websocket"] });
  sender.on("disconnect", (reason) => disconnects.push(`sender: ${reason}`));
  t.after(() => closeAll(sender));

  // Steady sending, three messages every 10 ms (a rate well over 10/s however loaded
  // the machine is), each ack recorded in the phase it was sent in.
  let phase = "before";
  const results = { before: [], after: [], broken: [], restart: [] };
  const acked = [];
  const pending = [];
  let seq = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 3; i++) send();
  }, 10);
  const send = () => {
    const mine = phase;
    const n = seq++;
    pending.push(
      sender
        .timeout(30000)
        .emitWithAck("message", { seq: n })
        .then((reply) => {
          if (reply && typeof reply.id === "string") {
            acked.push(reply.id);
            results[mine].push("ok");
          } else {
            results[mine].push(reply && reply.error);
          }
        }),
    );
  };
  t.after(() => clearInterval(timer));

  const hangup = async (contents, logged) => {
    fs.writeFileSync(file, contents);
    const before = relay.log().length;
    process.kill(relay.proc.pid, "SIGHUP");
    await eventually(() => logged.test(relay.log().slice(before)), 10000, `log matching ${logged}`);
    return relay.log().slice(before);
  };
  const sendFor = (name) => eventually(() => results[name].length >= PER_PHASE, 60000, `${PER_PHASE} acks in ${name}`);
  const count = (list, what) => list.filter((x) => (what instanceof RegExp ? what.test(x) : x === what)).length;

  await withRelayLog(relay, async () => {
    await sendFor("before");
    phase = "after";
    const applied = await hangup(pipeline("127.0.0.1:0", AFTER), /reload of .*: processors/);
    assert.match(applied, /reload of \S+pipeline\.yaml: processors \[rate_limit\] → \[rejectthird, rate_limit\]/);
    await sendFor("after");

    // A broken file: every error, located; nothing changes.
    phase = "broken";
    const broken = [
      "node: { id: e2e, threads: 2 }",
      `plugins: { path: [${JSON.stringify(TEST_PLUGIN_DIR)}] }`,
      "transport: { use: websocket, listen: 127.0.0.1:0 }",
      "queue: { use: memory }",
      "processors:",
      "  - { use: rate_limit, per_connection: fast }",
      "  - { use: rejectthird, colour: blue }",
      "  - { use: no_such_processor }",
      "",
    ].join("\n");
    const refused = await hangup(broken, /kept the running pipeline/);
    // Each error as `relay check` prints it: file:line:col: key.path: message.
    const errors = refused.split("\n").filter((line) => / error /.test(line));
    const located = (line, key) =>
      errors.some((e) => new RegExp(`${escape(file)}:${line}:\\d+: ${escape(key)}: `).test(e));
    assert.ok(located(6, "processors[0].per_connection"), `per_connection error in:\n${errors.join("\n")}`);
    assert.ok(located(7, "processors[1].colour"), `colour error in:\n${errors.join("\n")}`);
    assert.ok(located(8, "processors[2].use"), `use error in:\n${errors.join("\n")}`);
    assert.match(refused, /reload: \S+pipeline\.yaml has 3 error\(s\); kept the running pipeline/);
    await sendFor("broken");

    // A listen address needs a restart: named, kept; the processors still apply.
    phase = "restart";
    const kept = await hangup(pipeline("127.0.0.1:1", AFTER), /reload of /);
    assert.match(
      kept,
      /reload: transport\.listen changed \(127\.0\.0\.1:0 → 127\.0\.0\.1:1\): needs a restart; kept the running value/,
    );
    assert.match(kept, /reload of \S+: nothing to change live \(1 change\(s\) need a restart\)/);
    await sendFor("restart");
    clearInterval(timer);
    await Promise.all(pending);

    t.diagnostic(
      Object.entries(results)
        .map(([k, v]) => `${k}: ${v.length} sent, ${count(v, "ok")} acked, ${count(v, "rate limited")} limited, ` +
          `${count(v, new RegExp(REJECT_THIRD))} third`)
        .join("; "),
    );
    // Before: the generous limit, no rejectthird: everything acked.
    assert.equal(count(results.before, "ok"), results.before.length, `before: ${results.before}`);
    // After, and still after the broken file and the restart-only change: both new behaviours.
    for (const name of ["after", "broken", "restart"]) {
      const r = results[name];
      assert.ok(count(r, "rate limited") >= 3, `${name}: the new limit: ${r}`);
      assert.ok(count(r, new RegExp(REJECT_THIRD)) >= r.length / 4, `${name}: rejectthird: ${r}`);
      assert.ok(count(r, "ok") >= 3, `${name}: some still acked: ${r}`);
      assert.equal(count(r, "ok") + count(r, "rate limited") + count(r, new RegExp(REJECT_THIRD)), r.length, `${name}: ${r}`);
    }

    // Every acked message reached every receiver; nobody was dropped.
    await eventually(
      () => receivers.every((r) => acked.every((id) => r.ids.has(id))),
      15000,
      "every receiver got every acked message",
    );
    assert.deepEqual(disconnects, []);
    assert.ok(receivers.every((r) => r.socket.connected) && sender.connected);
  });
});
