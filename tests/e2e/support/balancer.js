// A small TCP load balancer for cluster tests (node:net): each client connection goes
// to the next backend, round-robin, among those whose /readyz answered 200 at the last
// health check (every `checkEvery` ms), as a real balancer in front of relay nodes
// would. A backend that refuses the connection is skipped for that connection. No
// stickiness: fine for WebSocket clients, whose session is one TCP connection.
"use strict";
const http = require("node:http");
const net = require("node:net");

/**
 * @param {{port: number, adminPort: number}[]} backends  Socket.IO and admin ports; read
 *   at each connection, so a restarted backend's new port may be written in
 * @param {{checkEvery?: number}} [options]
 * @returns {Promise<{port: number, url: string, routed: number[], ready: boolean[], close: () => Promise<void>}>}
 */
async function startBalancer(backends, options = {}) {
  const checkEvery = options.checkEvery ?? 20;
  const ready = backends.map(() => false);
  const routed = backends.map(() => 0); // connections sent to each backend
  const sockets = new Set();
  let next = 0;
  let closed = false;

  const check = (i) =>
    new Promise((resolve) => {
      const req = http.get({ host: "127.0.0.1", port: backends[i].adminPort, path: "/readyz", timeout: 500 }, (res) => {
        res.resume();
        ready[i] = res.statusCode === 200;
        resolve();
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => {
        ready[i] = false;
        resolve();
      });
    });
  const checks = async () => {
    while (!closed) {
      await Promise.all(backends.map((_, i) => check(i)));
      await new Promise((r) => setTimeout(r, checkEvery));
    }
  };

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    client.pause();
    const tried = new Set();
    const attempt = () => {
      const candidates = backends.map((_, i) => (next + i) % backends.length).filter((i) => ready[i] && !tried.has(i));
      if (candidates.length === 0 || client.destroyed) {
        client.destroy();
        return;
      }
      const i = candidates[0];
      next = (i + 1) % backends.length;
      tried.add(i);
      const upstream = net.connect(backends[i].port, "127.0.0.1");
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream));
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        routed[i]++;
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on("error", () => {
        if (!connected) {
          ready[i] = false;
          attempt();
          return;
        }
        client.destroy();
      });
      // A close on either side closes the other, as a proxy's would (half-closes too:
      // a WebSocket close frame is followed by the server's FIN).
      upstream.on("close", () => connected && client.destroy());
      client.on("close", () => upstream.destroy());
    };
    attempt();
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  await Promise.all(backends.map((_, i) => check(i)));
  const loop = checks();
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    routed,
    ready,
    close: async () => {
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      await loop;
    },
  };
}

module.exports = { startBalancer };
