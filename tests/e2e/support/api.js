// The server API (docs/api.md) from the Node tests: the admin port a relay logged,
// and requests over one keep-alive connection per agent, as a backend would send them.
"use strict";
const http = require("node:http");

/** The admin listener's port, from the relay's log line `admin: http://host:PORT/...`. */
function adminPort(relay) {
  const m = /admin: https?:\/\/[^\s]+:(\d+)\/metrics/.exec(relay.log());
  if (!m) throw new Error("the relay logged no admin listener:\n" + relay.log());
  return Number(m[1]);
}

/**
 * One API request. `body`: an object (sent as JSON) or a string (sent as it is).
 * Resolves with {status, headers, body (parsed JSON, or the text when it is not JSON)}.
 */
function apiCall(port, { method = "GET", path, token, body, headers = {}, agent } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        agent,
        timeout: 10000,
        headers: {
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: the test sees the text
          }
          resolve({ status: res.statusCode, headers: res.headers, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** An API client bound to one node and token, over a keep-alive agent. */
function apiClient(port, token) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const call = (method, path, body) => apiCall(port, { method, path, token, body, agent });
  return {
    port,
    agent,
    call,
    publish: (room, message, user) =>
      call("POST", `/api/v1/rooms/${encodeURIComponent(room)}/messages`, user === undefined ? { message } : { message, user }),
    history: (room, query = "") => call("GET", `/api/v1/rooms/${encodeURIComponent(room)}/messages${query}`),
    presence: (room) => call("GET", `/api/v1/rooms/${encodeURIComponent(room)}/presence`),
    rooms: (query = "") => call("GET", `/api/v1/rooms${query}`),
    disconnect: (target) => call("POST", "/api/v1/disconnect", target),
    info: () => call("GET", "/api/v1/info"),
    nodes: () => call("GET", "/api/v1/nodes"),
    close: () => agent.destroy(),
  };
}

module.exports = { adminPort, apiCall, apiClient };
