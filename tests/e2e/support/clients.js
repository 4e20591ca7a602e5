// socket.io-client helpers for the Node e2e tests: connect with a deadline, collect
// events, emit with an ack deadline, unique room names. Every wait has a deadline.
"use strict";
const crypto = require("node:crypto");
const { io } = require("socket.io-client");

/** A room name no other test uses. */
function uniqueRoom(prefix = "room") {
  return `${prefix}-${crypto.randomBytes(6).toString("hex")}`;
}

/**
 * A socket.io-client socket that never shares a Manager with another (forceNew) and,
 * unless told otherwise, does not reconnect (a test says when it wants reconnection).
 */
function client(url, options = {}) {
  return io(url, { forceNew: true, reconnection: false, timeout: 5000, ...options });
}

/** Resolves with the socket once it is connected; rejects on connect_error or after `ms`. */
function connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not connected within ${ms} ms`));
    }, ms);
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (err) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/** client() + connected(). */
async function connect(url, options = {}, ms = 5000) {
  const socket = client(url, options);
  try {
    return await connected(socket, ms);
  } catch (err) {
    socket.close();
    throw err;
  }
}

/** Resolves with the connect_error the socket gets; rejects if it connects instead. */
function connectError(socket, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect_error within ${ms} ms`)), ms);
    socket.once("connect", () => {
      clearTimeout(timer);
      reject(new Error("connected, but a connect_error was expected"));
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}

/** Every emission of `event` on `socket`, as arrays of its arguments. */
function collect(socket, event) {
  const received = [];
  socket.on(event, (...args) => received.push(args));
  return received;
}

/** Emits and resolves with the ack's argument; rejects after `ms`. */
function emitAck(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** Resolves with the next emission's arguments of `event`; rejects after `ms`. */
function nextEvent(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Closes every socket given (ignores the already closed). */
function closeAll(...sockets) {
  for (const s of sockets.flat()) if (s) s.close();
}

/**
 * Asserts the host still serves: two fresh clients in a fresh room connect and one
 * message goes from one to the other.
 */
async function assertServing(url, transports = ["websocket"]) {
  const room = uniqueRoom("alive");
  const a = await connect(url, { auth: { room, user: "alive-a" }, transports });
  const b = await connect(url, { auth: { room, user: "alive-b" }, transports });
  try {
    const got = nextEvent(b, "message");
    const ack = await emitAck(a, "message", { text: "still here" });
    if (!ack || typeof ack.id !== "string") throw new Error(`bad ack ${JSON.stringify(ack)}`);
    const [msg] = await got;
    if (msg.text !== "still here" || msg.id !== ack.id) {
      throw new Error(`bad delivery ${JSON.stringify(msg)}`);
    }
  } finally {
    closeAll(a, b);
  }
}

module.exports = {
  uniqueRoom,
  client,
  connected,
  connect,
  connectError,
  collect,
  emitAck,
  nextEvent,
  closeAll,
  assertServing,
};
