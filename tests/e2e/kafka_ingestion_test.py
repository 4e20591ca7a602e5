#!/usr/bin/python3
"""End-to-end: another service produces records to Relay's Kafka topic
(docs/kafka-ingestion.md) with python3-kafka, while python3-socketio clients watch.

Starts tools/mock-kafka (librdkafka's mock cluster, real Kafka protocol over TCP) and a
relay on it (kafka queue, local presence, a sqlite store, the admin listener), then
produces, keyed by room as Relay does:
  - good records: with an id, without one, with "id": null, without "ts";
  - malformed ones: not JSON, an empty value, no room, a room of the wrong type, a ts
    of the wrong type, no id and no payload object, and one longer than
    message.max.bytes;
  - one good record after all of them, in the same partition, which reaching the
    clients shows the consumer read past every bad one.
Checks that the clients got the good ones with the server's fields (an id assigned
where there was none), that history holds them by those ids, that
relay_kafka_bad_records_total counts each bad record once, and that the node still
serves (a client's message is acked, /readyz answers 200).

Run: /usr/bin/python3 tests/e2e/kafka_ingestion_test.py  (env RELAY_BINARY,
RELAY_PLUGIN_DIR; RELAY_MOCK_KAFKA, else mock-kafka beside the relay binary).
A missing client module is a failure, never a skip.
"""
import faulthandler
import json
import os
import queue
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

# tests/support before the client modules below: a missing one fails with its own message.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from eventually import eventually as wait_for  # noqa: E402  (the path above comes first)
from watched_process import WatchedProcess  # noqa: E402

faulthandler.dump_traceback_later(240, exit=True)

try:
    import kafka  # python3-kafka
    import socketio  # python3-socketio
    import websocket  # noqa: F401  python3-websocket: socketio's websocket transport
except ImportError as exc:  # a missing client is a failure, not a reason to skip
    sys.stderr.write(
        "FAIL: python client module missing: %s\n"
        "install: apt-get install python3-kafka python3-socketio python3-websocket "
        "(run this test with /usr/bin/python3)\n" % exc
    )
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
RELAY_BINARY = os.environ.get("RELAY_BINARY") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "relay")
)
MOCK_KAFKA = os.environ.get("RELAY_MOCK_KAFKA") or os.path.join(
    os.path.dirname(RELAY_BINARY), "mock-kafka"
)
TIMEOUT = 20.0  # seconds: every wait in this file is bounded by this
TOPIC = "chats"
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(condition, what, timeout=TIMEOUT):
    return wait_for(condition, what, timeout)


class ChatClient:
    def __init__(self, url, room, user):
        self.sio = socketio.Client(reconnection=False)
        self.messages = queue.Queue()
        self.sio.on("message", lambda *args: self.messages.put(args[0]))
        self.sio.connect(url, auth={"room": room, "user": user}, transports=["websocket"],
                         wait_timeout=TIMEOUT)

    def call(self, event, data=None):
        return self.sio.call(event, data, timeout=TIMEOUT)

    def received(self, count):
        got = []
        deadline = time.monotonic() + TIMEOUT
        while len(got) < count:
            try:
                got.append(self.messages.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError("got %d of %d messages: %r" % (len(got), count, got))
        return got

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


class KafkaIngestionTest(unittest.TestCase):
    def setUp(self):
        for binary in (RELAY_BINARY, MOCK_KAFKA):
            if not os.access(binary, os.X_OK):
                raise RuntimeError("not an executable: %s (build relay and relay_mock_kafka)"
                                   % binary)
        self.dir = tempfile.mkdtemp(prefix="relay-kafka-ingest-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.kafka = WatchedProcess([MOCK_KAFKA, "--brokers", "1", "--topic", TOPIC + ":2",
                                     "--exit-with-parent"],
                                    self.dir, r"^(127\.0\.0\.1:\d+)\s*$", TIMEOUT)
        self.addCleanup(self.kafka.stop)
        self.brokers = self.kafka.match.group(1)
        self.admin_port = free_port()
        pipeline = "\n".join([
            "node: { id: ingest, threads: 2 }",
            "transport: { use: websocket, listen: 127.0.0.1:0 }",
            'queue: { use: kafka, brokers: "%s", topic: %s, partitions: 2, '
            "replication_factor: 1 }" % (self.brokers, TOPIC),
            "presence: { use: local }",
            "store: { use: sqlite, path: %s }" % os.path.join(self.dir, "relay.db"),
            "admin: { listen: 127.0.0.1:%d }" % self.admin_port,
        ])
        path = os.path.join(self.dir, "pipeline.yaml")
        with open(path, "w") as f:
            f.write(pipeline + "\n")
        argv = [RELAY_BINARY, "run", path]
        if os.environ.get("RELAY_PLUGIN_DIR"):
            argv[1:1] = ["--plugin-path", os.environ["RELAY_PLUGIN_DIR"]]
        self.relay = WatchedProcess(argv, self.dir, r"Socket\.IO on [^:\s]+:(\d+)/", TIMEOUT)
        self.addCleanup(self.stop_relay)
        self.url = "http://127.0.0.1:%s" % self.relay.match.group(1)
        eventually(lambda: self.admin("/readyz")[0] == 200, "relay ready")
        self.producer = kafka.KafkaProducer(bootstrap_servers=self.brokers,
                                            max_request_size=4 * 1024 * 1024)
        self.addCleanup(self.producer.close, 5)
        self.clients = []

    def stop_relay(self):
        for c in self.clients:
            c.close()
        code = self.relay.stop()
        if code != 0:
            raise AssertionError("relay exited with %s on SIGTERM:\n%s" % (code, self.relay.log()))

    def admin(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.admin_port, path),
                                        timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError:
            return 0, ""

    def metric(self, name):
        status, text = self.admin("/metrics")
        self.assertEqual(status, 200, text)
        m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
        return int(m.group(1)) if m else None

    def client(self, room, user):
        c = ChatClient(self.url, room, user)
        self.clients.append(c)
        return c

    def produce(self, room, value):
        """One record keyed by `room` (Relay's own key), `value` bytes, a dict (as JSON)
        or None; returns once the broker has it."""
        if isinstance(value, dict):
            value = json.dumps(value).encode()
        self.producer.send(TOPIC, key=room.encode(), value=value).get(timeout=TIMEOUT)

    def test_good_records_are_broadcast_and_stored_and_bad_ones_counted_and_skipped(self):
        room = "ingest-%d" % os.getpid()
        alice = self.client(room, "alice")
        bob = self.client(room, "bob")
        # The broadcast subscription starts at the log's end once the node is ready;
        # a client's own message reaching the other proves it reads.
        sent = alice.call("message", {"text": "hello"})
        self.assertIn("id", sent, sent)
        self.assertEqual(bob.received(1)[0]["id"], sent["id"])

        own_id = "01" + "J" * 24  # the producer's own id, kept as it is
        good = [
            {"id": own_id, "room": room, "ts": 1700000000000, "user": "billing",
             "payload": {"text": "invoice paid", "amount": 42}},
            {"room": room, "user": "system", "payload": {"text": "no id"}},
            {"id": None, "room": room, "payload": {"text": "null id", "nested": {"a": [1, 2]}}},
        ]
        for record in good:
            self.produce(room, record)
        bad = [
            b"not json at all",
            b"",
            None,  # a tombstone: no value at all
            {"id": "x", "payload": {"text": "no room"}},
            {"room": 5, "payload": {"text": "room is a number"}},
            {"room": "", "payload": {"text": "empty room"}},
            {"room": room, "ts": "yesterday", "payload": {"text": "ts is text"}},
            {"room": room, "user": ["a"], "payload": {"text": "user is a list"}},
            {"room": room, "payload": "a string, not an object"},
            {"room": room},
            {"room": room, "payload": {"text": "x" * 1_100_000}},  # > message.max.bytes
        ]
        for record in bad:
            self.produce(room, record)
        self.produce(room, {"room": room, "payload": {"text": "after the bad ones"}})

        for watcher in (alice, bob):
            got = watcher.received(4)
            self.assertEqual([m["text"] for m in got],
                             ["invoice paid", "no id", "null id", "after the bad ones"])
            for m in got:
                self.assertEqual(m["room"], room)
                self.assertTrue(ULID.match(m["id"]) or m["id"] == own_id, m)
                self.assertIsInstance(m["ts"], int)
            self.assertEqual(got[0]["id"], own_id)
            self.assertEqual(got[0]["ts"], 1700000000000)
            self.assertEqual(got[0]["user"], "billing")
            self.assertEqual(got[0]["amount"], 42)
            self.assertEqual(got[1]["user"], "system")
            self.assertEqual(got[2]["nested"], {"a": [1, 2]})
            # Without "ts", the record's timestamp (kafka-python sets it to now).
            self.assertLess(abs(got[1]["ts"] - time.time() * 1000), 60000, got[1])
            ids = [m["id"] for m in got]
            self.assertEqual(len(set(ids)), 4, ids)
        self.assertEqual(alice.messages.qsize(), 0, "nothing but the good records")

        # Stored (the store consumer decodes apart; same ids), served by history.
        wanted = set(ids) | {sent["id"]}

        def history_ids():
            answer = alice.call("history", {"limit": 100})
            return {m["id"] for m in answer} if isinstance(answer, list) else set()

        eventually(lambda: wanted <= history_ids(), "history holds every good record")

        # Each bad record is counted once by this node, and the consumer goes on.
        eventually(lambda: self.metric("relay_kafka_bad_records_total") == len(bad),
                   "relay_kafka_bad_records_total == %d (is %s)"
                   % (len(bad), self.metric("relay_kafka_bad_records_total")))
        # History above may come from what the node broadcast; the store has them once
        # the store consumer joined its group and committed (seconds on the mock).
        eventually(lambda: (self.metric("relay_messages_stored_total") or 0) >= len(wanted),
                   "the store confirmed every good record", timeout=30)
        stored = sqlite3.connect(os.path.join(self.dir, "relay.db"))
        self.addCleanup(stored.close)
        in_store = {row[0] for row in stored.execute("SELECT id FROM messages")}
        self.assertLessEqual(wanted, in_store)
        after = alice.call("message", {"text": "still serving"})
        self.assertIn("id", after, after)
        self.assertEqual(bob.received(1)[0]["text"], "still serving")
        self.assertEqual(self.admin("/readyz")[0], 200)
        self.assertIsNone(self.relay.proc.poll(), "relay still runs")


if __name__ == "__main__":
    unittest.main(verbosity=2)
