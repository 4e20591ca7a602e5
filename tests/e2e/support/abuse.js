// Helpers for tests that abuse the server on purpose (floods, connection storms): a
// free port for the admin server, and its metrics. (The bystanders who must not notice
// the abuse are in bystander.js.)
"use strict";
// freePort is servers.js's, here for the tests that also read metrics.
const { freePort } = require("./servers");

/** Every sample of the admin server's /metrics, by series name (labels included). */
async function metrics(adminPort) {
  const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
  const samples = {};
  for (const line of (await res.text()).split("\n")) {
    const m = /^([a-z_]+(?:\{[^}]*\})?) (-?\d+)$/.exec(line);
    if (m) samples[m[1]] = Number(m[2]);
  }
  return samples;
}

/** One sample of /metrics (`name` with its labels, if any); undefined when absent. */
async function metric(adminPort, name) {
  return (await metrics(adminPort))[name];
}

module.exports = { freePort, metrics, metric };
