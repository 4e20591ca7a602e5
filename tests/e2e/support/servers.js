// Backing servers for cluster e2e tests, started as real processes on free loopback
// ports and stopped by their pids: redis-server (Valkey's protocol), a throwaway
// PostgreSQL cluster and tools/mock-kafka, as tests/support/{valkey_server,
// postgres_server,mock_kafka}.hpp do for the C++ tests. A missing binary fails with the
// command that failed.
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

/** Resolves to whether 127.0.0.1:`port` (0: any) can be listened on now, with the port. */
function tryListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(0));
    server.listen(port, "127.0.0.1", () => {
      const bound = server.address().port;
      server.close(() => resolve(bound));
    });
  });
}

/** The first port the kernel hands out for outgoing connections (32768 by default). */
function ephemeralLow() {
  try {
    return Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0]);
  } catch {
    return 32768;
  }
}

/**
 * A port free on 127.0.0.1 just now (the server that binds it may still lose a race),
 * chosen at random below the ephemeral range: a port from listen(0) is one the kernel
 * also gives the client side of outgoing connections, which took it first when many
 * tests connected at once (as tests/support/free_port.hpp explains).
 */
async function freePort() {
  const lowest = 15000;
  const high = ephemeralLow() - 1;
  for (let attempt = 0; high > lowest + 1000 && attempt < 100; attempt++) {
    const port = lowest + Math.floor(Math.random() * (high - lowest + 1));
    if ((await tryListen(port)) === port) return port;
  }
  const port = await tryListen(0);
  if (!port) throw new Error("cannot find a free loopback port");
  return port;
}

/** Resolves once a TCP connection to 127.0.0.1:`port` succeeds; rejects after `ms`. */
async function waitForPort(port, ms, what, proc) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Spawns `argv`, keeping its output; `exited` resolves with the exit code. */
function spawnLogged(argv, options = {}) {
  const proc = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], ...options });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve(code ?? 128 + os.constants.signals[signal])));
  proc.on("error", (err) => (output += `spawn ${argv[0]} failed: ${err.message}\n`));
  return { proc, exited, log: () => output };
}

/** Stops `proc` by pid: `signal`, then SIGKILL after `ms`. Resolves when it is gone. */
async function stopProcess(proc, exited, signal = "SIGTERM", ms = 10000) {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  const timer = setTimeout(() => proc.kill("SIGKILL"), ms);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/**
 * redis-server on a free loopback port, nothing persisted.
 * @returns {Promise<{port: number, url: string, stop: () => Promise<number>, log: () => string}>}
 */
async function startRedis() {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const { proc, exited, log } = spawnLogged([
      "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
    ]);
    try {
      await waitForPort(port, 10000, "redis-server", proc);
    } catch (err) {
      await stopProcess(proc, exited, "SIGKILL");
      if (attempt < 2 && /Address already in use/.test(log())) continue;
      throw new Error(`redis-server --port ${port}: ${err.message}\n${log()}`);
    }
    return { port, url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(proc, exited), log };
  }
}

/** Debian's newest /usr/lib/postgresql/<v>/bin, or $RELAY_POSTGRES_BINDIR. */
function postgresBinDir() {
  if (process.env.RELAY_POSTGRES_BINDIR) return process.env.RELAY_POSTGRES_BINDIR;
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "postgres")))
    : [];
  if (versions.length === 0) throw new Error("no PostgreSQL server in /usr/lib/postgresql (apt-get install postgresql)");
  versions.sort((a, b) => Number(a) - Number(b));
  return path.join(root, versions[versions.length - 1], "bin");
}

/**
 * A throwaway PostgreSQL cluster (initdb in a temp dir) on a free loopback port, user
 * `relay`, trust authentication. initdb refuses root: as root the server runs as the
 * `postgres` user (or `nobody`) through setpriv, which execs in place, so the pid held
 * is the postmaster's. fsync is off: a test's data need not survive the machine.
 * @returns {Promise<{port: number, dsn: string, stop: () => Promise<number>, log: () => string}>}
 */
async function startPostgres() {
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-e2e-pg-"));
  let wrap = (argv) => argv;
  if (process.getuid() === 0) {
    let user = "postgres";
    try {
      execFileSync("id", ["-u", user], { stdio: "ignore" });
    } catch {
      user = "nobody";
    }
    const uid = execFileSync("id", ["-u", user]).toString().trim();
    const gid = execFileSync("id", ["-g", user]).toString().trim();
    fs.chownSync(dir, Number(uid), Number(gid));
    wrap = (argv) => ["/usr/bin/setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--", ...argv];
  }
  const data = path.join(dir, "data");
  const initdb = wrap([path.join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "relay", "-E", "UTF8",
    "--locale=C.UTF-8", "--no-sync", "--no-instructions"]);
  try {
    execFileSync(initdb[0], initdb.slice(1), { cwd: dir, stdio: "pipe", timeout: 120000 });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`\`${initdb.join(" ")}\` failed: ${err.stderr || err.message}`);
  }
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const argv = wrap([path.join(bin, "postgres"), "-D", data, "-p", String(port), "-k", dir, "-h", "127.0.0.1",
      "-c", "fsync=off", "-c", "max_connections=200"]);
    const { proc, exited, log } = spawnLogged(argv, { cwd: dir });
    try {
      await waitForPort(port, 60000, "postgres", proc);
      // Listening is not accepting yet: wait for the end of start-up.
      const deadline = Date.now() + 60000;
      while (!/ready to accept connections/.test(log())) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error("not ready");
        await new Promise((r) => setTimeout(r, 10));
      }
    } catch (err) {
      await stopProcess(proc, exited, "SIGKILL");
      if (attempt < 2 && /could not bind/.test(log())) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`\`${argv.join(" ")}\`: ${err.message}\n${log()}`);
    }
    return {
      port,
      dsn: `host=127.0.0.1 port=${port} user=relay dbname=postgres`,
      log,
      /**
       * Runs `sql` with psql (its `:'name'` variables from `vars`, quoted by psql) and
       * returns the rows, one line each, columns separated by `|`.
       */
      query: (sql, vars = {}) => {
        const args = ["-h", "127.0.0.1", "-p", String(port), "-U", "relay", "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1"];
        for (const [name, value] of Object.entries(vars)) args.push("-v", `${name}=${value}`);
        const out = execFileSync(path.join(bin, "psql"), args, { input: sql, encoding: "utf8" });
        return out.split("\n").filter((line) => line !== "");
      },
      // SIGINT: PostgreSQL's fast shutdown.
      stop: async () => {
        const code = await stopProcess(proc, exited, "SIGINT", 30000);
        fs.rmSync(dir, { recursive: true, force: true });
        return code;
      },
    };
  }
}

/**
 * tools/mock-kafka (librdkafka's mock cluster in a process of its own, real Kafka
 * protocol over TCP): `brokers` brokers and the topics given as "NAME:PARTITIONS". The
 * binary is $RELAY_MOCK_KAFKA, else mock-kafka beside the relay binary.
 * @returns {Promise<{brokers: string, stop: () => Promise<number>, log: () => string}>}
 */
async function startMockKafka({ brokers = 3, topics = [] } = {}) {
  const { RELAY_BINARY } = require("./relay");
  const binary = process.env.RELAY_MOCK_KAFKA || path.join(path.dirname(RELAY_BINARY), "mock-kafka");
  const argv = [binary, "--brokers", String(brokers), "--exit-with-parent"];
  for (const topic of topics) argv.push("--topic", topic);
  const { proc, exited, log } = spawnLogged(argv);
  const deadline = Date.now() + 20000;
  let bootstrap;
  while (!(bootstrap = /^(127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*)$/m.exec(log()))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stopProcess(proc, exited, "SIGKILL");
      throw new Error(`\`${argv.join(" ")}\` printed no bootstrap list (build the relay_mock_kafka target):\n${log()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { brokers: bootstrap[1], stop: () => stopProcess(proc, exited), log };
}

module.exports = { freePort, waitForPort, spawnLogged, stopProcess, startRedis, startPostgres, startMockKafka };
