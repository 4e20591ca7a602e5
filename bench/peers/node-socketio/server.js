// The Node.js chat server Relay replaces, written the way its users write it, so that
// bench/compare measures Relay against the real thing (same clients, same loadgen).
//
//   MODE=direct  socket.io 4, the room taken from the handshake, `socket.to(room).emit`
//   MODE=kafka   kafkajs producer -> topic -> a consumer group per process ->
//                `io.local.to(room).except(sender).emit` (see README.md)
//
// Both modes use @socket.io/redis-adapter when REDIS_URL is set (how such a server is
// scaled to several processes); bench/compare starts a redis-server for it.
//
// Environment:
//   PORT (3000), HOST (127.0.0.1), MODE (direct | kafka), REDIS_URL (unset: no adapter),
//   KAFKA_BROKERS (127.0.0.1:9092, comma-separated), KAFKA_TOPIC (chats),
//   KAFKA_GROUP (chat-broadcast-<hostname>-<pid>), KAFKA_MAX_WAIT_MS (5: the consumer's
//   maxWaitTimeInMs, as Relay's fetch_wait_max), NODE_ID (hostname-pid), TUNED (1: the
//   performance guide's settings, below)
//
// Prints "listening on HOST:PORT" once it accepts clients (in kafka mode: after the
// producer connected and the consumer joined its group).
'use strict';

const http = require('node:http');
const os = require('node:os');
const { randomUUID } = require('node:crypto');
const { Server } = require('socket.io');

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const MODE = process.env.MODE || 'direct';
const NODE_ID = process.env.NODE_ID || `${os.hostname()}-${process.pid}`;

if (MODE !== 'direct' && MODE !== 'kafka') {
  console.error(`MODE must be direct or kafka, got ${MODE}`);
  process.exit(2);
}

const httpServer = http.createServer();
const io = new Server(httpServer, {
  // socket.io's defaults otherwise: pingInterval 25s, pingTimeout 20s, maxHttpBufferSize 1e6,
  // perMessageDeflate off.
  serveClient: false,
});

// TUNED=1: socket.io's performance guide, as far as stock clients keep working. The
// native `ws` add-ons (bufferutil, utf-8-validate) are dependencies here and `ws` loads
// them by itself; bench/compare turns them off for the plain run (WS_NO_BUFFER_UTIL,
// WS_NO_UTF_8_VALIDATE). The guide's other server-side step is to drop each
// connection's first HTTP request, which socket.io otherwise keeps for its lifetime.
// Its custom parsers (msgpack) change the wire format: stock clients would break.
const TUNED = process.env.TUNED === '1';
if (TUNED) {
  io.engine.on('connection', (rawSocket) => {
    rawSocket.request = null;
  });
}

// The room comes from the handshake (auth.room, else a `room` header), never from a
// message's payload.
io.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  const room = auth.room || socket.handshake.headers.room;
  if (typeof room !== 'string' || room === '') return next(new Error('Invalid room id'));
  socket.data.room = room;
  socket.data.user = typeof auth.user === 'string' ? auth.user : 'anonymous';
  next();
});

// What a client's message becomes: its fields, plus the server's (which win).
function envelope(socket, payload) {
  const body = payload !== null && typeof payload === 'object' ? payload : { text: payload };
  return {
    ...body,
    id: randomUUID(),
    room: socket.data.room,
    ts: Date.now(),
    sender: socket.id,
    user: socket.data.user,
  };
}

async function setupRedisAdapter() {
  if (!process.env.REDIS_URL) return null;
  const { createClient } = require('redis');
  const { createAdapter } = require('@socket.io/redis-adapter');
  const pubClient = createClient({ url: process.env.REDIS_URL });
  const subClient = pubClient.duplicate();
  pubClient.on('error', (err) => console.error('redis pub:', err.message));
  subClient.on('error', (err) => console.error('redis sub:', err.message));
  await Promise.all([pubClient.connect(), subClient.connect()]);
  io.adapter(createAdapter(pubClient, subClient));
  return [pubClient, subClient];
}

async function setupDirect() {
  io.on('connection', (socket) => {
    socket.join(socket.data.room);
    socket.on('message', (payload, ack) => {
      const msg = envelope(socket, payload);
      socket.to(socket.data.room).emit('message', msg);
      if (typeof ack === 'function') ack({ id: msg.id });
    });
  });
  return async () => {};
}

async function setupKafka() {
  const { Kafka, logLevel } = require('kafkajs');
  const topic = process.env.KAFKA_TOPIC || 'chats';
  const kafka = new Kafka({
    clientId: `chat-${NODE_ID}`,
    brokers: (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(','),
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer();
  const consumer = kafka.consumer({
    groupId: process.env.KAFKA_GROUP || `chat-broadcast-${NODE_ID}`,
    maxWaitTimeInMs: Number(process.env.KAFKA_MAX_WAIT_MS || 5),
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      let msg;
      try {
        msg = JSON.parse(message.value.toString());
      } catch {
        return;
      }
      // Every process consumes every message (a group per process), so each delivers
      // only to its own sockets: `io.to(room)` would make the redis adapter deliver it
      // once more through every other process.
      io.local.to(msg.room).except(msg.sender).emit('message', msg);
    },
  });
  await joined;

  io.on('connection', (socket) => {
    socket.join(socket.data.room);
    socket.on('message', async (payload, ack) => {
      const msg = envelope(socket, payload);
      try {
        await producer.send({
          topic,
          messages: [{ key: msg.room, value: JSON.stringify(msg) }],
        });
        if (typeof ack === 'function') ack({ id: msg.id });
      } catch (err) {
        if (typeof ack === 'function') ack({ error: err.message });
      }
    });
  });
  return async () => {
    await consumer.disconnect();
    await producer.disconnect();
  };
}

async function main() {
  const redis = await setupRedisAdapter();
  const stopMode = MODE === 'kafka' ? await setupKafka() : await setupDirect();
  httpServer.listen(PORT, HOST, () => {
    console.log(`listening on ${HOST}:${PORT} (mode ${MODE}${redis ? ', redis adapter' : ''}${TUNED ? ', tuned' : ''})`);
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) process.exit(1);
    stopping = true;
    io.close();
    await stopMode().catch(() => {});
    if (redis) await Promise.all(redis.map((c) => c.quit().catch(() => {})));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
