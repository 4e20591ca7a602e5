// One client floods a room nobody reads with messages just under max_payload. The
// memory queue bounds what waits for the store in bytes (`max_bytes`), the retained
// window (`retain_bytes`) and the recovery buffer too: the flooder gets `queue is full`
// error acks, the relay's RSS stays under those bounds plus a fixed overhead, and a
// bystander pair in another room loses nothing.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const { relayFor } = require("./support/relay");
const { connect, uniqueRoom, closeAll } = require("./support/clients");
const { bystandersFor } = require("./support/bystander");

const MiB = 1024 * 1024;

function rssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

test("a flood of large messages is bounded in bytes; the flooder hears `queue is full`", async (t) => {
  // Small bounds, so the flood reaches them in a few seconds.
  const bounds = { maxBytes: 8 * MiB, retainBytes: 8 * MiB, recoveryBuffer: 8 * MiB };
  const relay = await relayFor(t, {
    queue: `max_bytes: ${bounds.maxBytes}, retain_bytes: ${bounds.retainBytes}`,
    transport: `recovery_buffer: ${bounds.recoveryBuffer}`,
    // Under AddressSanitizer (tools/test --sanitize) freed memory waits in a 256 MiB
    // quarantine before reuse: that is the sanitizer's memory, not the relay's. (Other
    // builds ignore the variable.)
    env: { ASAN_OPTIONS: [process.env.ASAN_OPTIONS, "quarantine_size_mb=16"].filter(Boolean).join(":") },
  });
  const bystanders = await bystandersFor(t, relay.url);
  const flooder = await connect(relay.url, {
    auth: { room: uniqueRoom("flood"), user: "flooder" },
    transports: ["websocket"],
  });
  t.after(() => closeAll(flooder));
  const baseline = rssBytes(relay.proc.pid);

  const payload = { text: "x".repeat(990 * 1000) };
  const counts = { ok: 0, full: 0, other: [] };
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(relay.proc.pid))), 200);
  const until = Date.now() + 20000;
  const inFlight = 32;
  async function sender() {
    while (Date.now() < until) {
      const ack = await flooder.timeout(30000).emitWithAck("message", payload);
      if (ack && typeof ack.id === "string") counts.ok++;
      else if (ack && ack.error === "queue is full") counts.full++;
      else if (counts.other.length < 5) counts.other.push(JSON.stringify(ack));
    }
  }
  try {
    await Promise.all(Array.from({ length: inFlight }, sender));
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssBytes(relay.proc.pid));

  assert.deepEqual(counts.other, [], "every ack is an id or `queue is full`");
  assert.ok(counts.ok > 0, "some messages were stored");
  assert.ok(counts.full > 0, `the flooder was told the queue is full (${counts.ok} stored)`);
  // What the queue, the retained window, the read-your-writes merge (16 MiB) and the
  // recovery buffer may hold, plus the messages in flight through the transport and
  // the flow (two copies each), plus a fixed overhead for sqlite and the allocator.
  const held = bounds.maxBytes + bounds.retainBytes + 16 * MiB + bounds.recoveryBuffer;
  const inTransit = 2 * inFlight * MiB;
  const overhead = 64 * MiB;
  const limit = baseline + held + inTransit + overhead;
  t.diagnostic(
    `stored ${counts.ok}, refused ${counts.full}; RSS ${(baseline / MiB).toFixed(0)} MiB at ` +
      `start, peak ${(peak / MiB).toFixed(0)} MiB, limit ${(limit / MiB).toFixed(0)} MiB`,
  );
  assert.ok(peak < limit, `peak RSS ${peak} over ${limit}`);
  await bystanders.finish();
});
