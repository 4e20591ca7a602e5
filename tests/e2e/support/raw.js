// Raw Engine.IO/Socket.IO over the `ws` package, HTTP polling requests over node:http,
// and bare TCP: for tests that must send what socket.io-client never would.
"use strict";
const http = require("node:http");
const net = require("node:net");
const WebSocket = require("ws");
const { within } = require("./relay");

/**
 * A raw WebSocket to the Engine.IO endpoint that records every frame it receives and
 * how it ended. `open()` resolves after the Engine.IO open packet.
 */
class RawSocket {
  /** `ca`: speak wss, trusting this CA. */
  constructor(port, { query = "EIO=4&transport=websocket", headers = {}, maxPayload, ca } = {}) {
    this.frames = []; // {text} or {binary: Buffer}
    this.closed = false;
    this.closeCode = null;
    this.error = null;
    const scheme = ca ? "wss" : "ws";
    this.ws = new WebSocket(`${scheme}://127.0.0.1:${port}/socket.io/?${query}`, { headers, maxPayload, ca });
    this.ws.on("message", (data, isBinary) => {
      this.frames.push(isBinary ? { binary: Buffer.from(data) } : { text: data.toString() });
      if (!isBinary && data.toString() === "2") this.ws.send("3"); // answer pings
    });
    this.ws.on("error", (err) => (this.error = err));
    this.ended = new Promise((resolve) => {
      this.ws.on("close", (code) => {
        this.closed = true;
        this.closeCode = code;
        resolve(code);
      });
    });
  }

  /** Resolves with the Engine.IO open packet's data once it arrived. */
  async open(ms = 5000) {
    const frame = await this.waitFor((f) => f.text && f.text.startsWith("0"), ms);
    return JSON.parse(frame.text.slice(1));
  }

  /** Opens, sends CONNECT with `auth`, resolves with the CONNECT reply's data. */
  async connect(auth, ms = 5000) {
    await this.open(ms);
    this.send("40" + JSON.stringify(auth));
    const frame = await this.waitFor((f) => f.text && (f.text.startsWith("40") || f.text.startsWith("44")), ms);
    return JSON.parse(frame.text.slice(2));
  }

  send(data, options) {
    this.ws.send(data, options);
  }

  /** The first received frame (past or future) that satisfies `predicate`. */
  async waitFor(predicate, ms = 5000, what = "frame") {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed before the ${what} (frames: ${JSON.stringify(this.frames)})`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms (frames: ${JSON.stringify(this.frames)})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Resolves with the close code once the server closed the socket; rejects after `ms`. */
  closedByServer(ms = 5000) {
    return within(this.ended, ms, `closing the socket (frames: ${JSON.stringify(this.frames).slice(0, 2000)})`);
  }

  close() {
    if (!this.closed) this.ws.terminate();
  }
}

/** One HTTP request to the relay; resolves with {status, headers, body} (body as text). */
function request(port, { method = "GET", path, headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A polling handshake; resolves with the open packet's data (sid, ...). */
async function pollingHandshake(port) {
  const res = await request(port, { path: "/socket.io/?EIO=4&transport=polling" });
  if (res.status !== 200 || !res.body.startsWith("0")) throw new Error(`bad handshake: ${res.status} ${res.body}`);
  return JSON.parse(res.body.slice(1));
}

/**
 * A bare TCP connection; resolves once connected. `ended` resolves when the peer
 * closes it (or it errors), with the bytes received.
 */
function tcp(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.received = "";
    socket.on("data", (d) => (socket.received += d.toString("latin1")));
    socket.ended = new Promise((r) => socket.on("close", () => r(socket.received)));
    socket.on("error", () => {});
    socket.once("error", reject);
  });
}

module.exports = { RawSocket, request, pollingHandshake, tcp };
