// Starts a real `relay` process for a test: a fresh directory, a pipeline with the
// websocket transport on a free loopback port (port 0, read back from the log), the
// embedded memory queue, local presence and a sqlite store in that directory.
// Stops it by its pid. Used by the Node e2e and browser tests.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const RELAY_BINARY = process.env.RELAY_BINARY || path.resolve(__dirname, "../../../build/relay");

/**
 * @param {object} [options]
 * @param {string} [options.transport]  extra YAML keys for the transport section, e.g. "max_payload: 2048"
 * @param {string} [options.extra]      extra top-level YAML (processors, ...)
 * @param {boolean} [options.store]     false: no store section
 * @param {number} [options.nofile]     run under this open-files limit (prlimit)
 * @param {string} [options.queue]      extra YAML keys for the memory queue, e.g. "retain: 0"
 * @param {string} [options.dir]        run in this directory (made if missing) and keep it on
 *                                      stop, so a second relay can reuse its sqlite file
 * @param {string} [options.pipeline]   the whole pipeline YAML instead of the one above
 *                                      (its transport must listen on 127.0.0.1:0)
 * @param {object} [options.env]        extra environment variables
 * @returns {Promise<{url: string, port: number, dir: string, proc: import("node:child_process").ChildProcess, log: () => string, stop: () => Promise<number>, kill: () => void}>}
 */
async function startRelay(options = {}) {
  const ownDir = !options.dir;
  const dir = options.dir || fs.mkdtempSync(path.join(os.tmpdir(), "relay-e2e-"));
  fs.mkdirSync(dir, { recursive: true });
  const transportExtra = options.transport ? ", " + options.transport : "";
  let pipeline = [
    "node: { id: e2e, threads: 2 }",
    `transport: { use: websocket, listen: 127.0.0.1:0${transportExtra} }`,
    `queue: { use: memory${options.queue ? ", " + options.queue : ""} }`,
    "presence: { use: local }",
    options.store === false ? "" : `store: { use: sqlite, path: ${path.join(dir, "relay.db")} }`,
    options.extra || "",
  ].join("\n");
  if (options.pipeline) pipeline = options.pipeline;
  const file = path.join(dir, "pipeline.yaml");
  fs.writeFileSync(file, pipeline + "\n");
  const command = options.nofile
    ? ["/usr/bin/prlimit", `--nofile=${options.nofile}:${options.nofile}`, "--", RELAY_BINARY, "run", file]
    : [RELAY_BINARY, "run", file];
  const proc = spawn(command[0], command.slice(1), {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const port = await new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
      reject(err);
    };
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      fail(new Error("relay did not start in 10 s:\n" + output));
    }, 10000);
    const check = () => {
      const m = /Socket\.IO on [^:\s]+:(\d+)\//.exec(output);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout.on("data", check);
    proc.stderr.on("data", check);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`relay exited with ${code} before serving:\n${output}`));
    });
  });
  const exited = new Promise((resolve) => {
    const settle = () => resolve(proc.exitCode ?? 128 + os.constants.signals[proc.signalCode]);
    if (proc.exitCode !== null || proc.signalCode !== null) settle();
    else proc.on("exit", settle);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    proc,
    log: () => output,
    /** Resolves with the exit code (128 + signal number when killed by a signal). */
    exited,
    /** SIGTERM, then the exit code (SIGKILL after 15 s). Idempotent. */
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 15000);
      const code = await exited;
      clearTimeout(timer);
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
    kill: () => proc.kill("SIGKILL"),
  };
}

/**
 * startRelay() for one node:test test: the relay is stopped when the test ends, pass or
 * fail (`t.after`).
 */
async function relayFor(t, options = {}) {
  const relay = await startRelay(options);
  t.after(() => relay.stop());
  return relay;
}

/** Resolves when `emitter` emits `event` (first argument), rejects after `ms`. */
function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Resolves as `promise` does; rejects if it has not settled after `ms`. */
async function within(promise, ms, what = "operation") {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` until it holds; rejects after `ms`. */
async function eventually(condition, ms = 10000, what = "condition") {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Runs `body`; when it throws, the error carries the relay's output (its last 4 KiB),
 * so a failure that happened inside the relay (a stop that hangs) says what it logged.
 */
async function withRelayLog(relay, body) {
  try {
    return await body();
  } catch (e) {
    const log = relay.log();
    e.message += `\n--- relay output (last 4 KiB) ---\n${log.slice(-4096)}`;
    throw e;
  }
}

module.exports = { startRelay, relayFor, once, eventually, within, withRelayLog, RELAY_BINARY };
