#!/usr/bin/python3
"""End-to-end: python-socketio (Debian's python3-socketio, a Socket.IO v5 client)
against a real `relay` process.

Starts relay as tests/e2e/support/relay.js does: a fresh temp directory, a pipeline
with the websocket transport on 127.0.0.1:0 (the port is read back from the log),
the memory queue, local presence and a sqlite store in that directory; stops it by
its pid (SIGTERM, SIGKILL fallback).

Run: /usr/bin/python3 tests/e2e/python_client_test.py  (env RELAY_BINARY).
A missing client module is a failure, never a skip.
"""
import faulthandler
import os
import queue
import shutil
import sys
import tempfile
import time
import unittest

# Everything below is bounded, but a wedged client thread must not hold ctest for
# its whole timeout: dump every stack and exit non-zero well before it.
faulthandler.dump_traceback_later(240, exit=True)

try:
    import socketio  # python3-socketio
    import engineio  # python3-engineio (a dependency of python3-socketio)
    # engineio imports both of these optionally and degrades silently without them
    # (no websocket transport / no polling transport): require them here.
    import websocket  # python3-websocket: the websocket transport
    import requests  # python3-requests: the polling transport
except ImportError as exc:  # fail loudly: a missing client is not a reason to skip
    sys.stderr.write(
        "FAIL: python client module missing: %s\n"
        "install: apt-get install python3-socketio python3-websocket python3-requests "
        "(run this test with /usr/bin/python3)\n" % exc
    )
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
RELAY_BINARY = os.environ.get("RELAY_BINARY") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "relay")
)
TIMEOUT = 10.0  # seconds: every wait in this file is bounded by this

sys.path.insert(0, os.path.join(HERE, "..", "support"))
from eventually import eventually as wait_for  # noqa: E402  (the path above comes first)
from watched_process import WatchedProcess  # noqa: E402


class Relay:
    """A relay process serving Socket.IO on a free loopback port; `transport`: more keys
    of its transport section ("tls_cert: ..., tls_key: ..."), `scheme` its URL's."""

    def __init__(self, transport="", scheme="http"):
        self.dir = tempfile.mkdtemp(prefix="relay-e2e-py-")
        pipeline = "\n".join(
            [
                "node: { id: e2e-py, threads: 2 }",
                "transport: { use: websocket, listen: 127.0.0.1:0%s }"
                % (", " + transport if transport else ""),
                "queue: { use: memory }",
                "presence: { use: local }",
                "store: { use: sqlite, path: %s }" % os.path.join(self.dir, "relay.db"),
            ]
        )
        self.file = os.path.join(self.dir, "pipeline.yaml")
        with open(self.file, "w") as f:
            f.write(pipeline + "\n")
        self.process = WatchedProcess([RELAY_BINARY, "run", self.file], self.dir,
                                      r"Socket\.IO on [^:\s]+:(\d+)/", TIMEOUT)
        self.proc = self.process.proc
        self.port = int(self.process.match.group(1))
        self.url = "%s://127.0.0.1:%d" % (scheme, self.port)

    def log(self):
        return self.process.log()

    def stop(self):
        """SIGTERM, then SIGKILL after 15 s; returns the exit code."""
        code = self.process.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return code

    def kill(self):
        self.process.kill()


def eventually(condition, what, timeout=TIMEOUT):
    return wait_for(condition, what, timeout)


class ChatClient:
    """A socketio.Client that records what it receives in queues; `http_session`: the
    requests.Session both transports take their TLS settings from."""

    def __init__(self, url, room, user, transports=None, http_session=None):
        self.sio = socketio.Client(reconnection=False, http_session=http_session)
        self.messages = queue.Queue()
        self.joins = queue.Queue()
        self.leaves = queue.Queue()

        def on_message(*args):
            self.messages.put(args)

        self.sio.on("message", on_message)
        self.sio.on("join", lambda m: self.joins.put(m))
        self.sio.on("leave", lambda m: self.leaves.put(m))
        self.sio.connect(
            url,
            auth={"room": room, "user": user},
            transports=transports,
            wait_timeout=TIMEOUT,
        )

    @property
    def sid(self):
        return self.sio.get_sid()

    def call(self, event, data=None):
        return self.sio.call(event, data, timeout=TIMEOUT)

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()
        http = getattr(self.sio.eio, "http", None)  # the polling transport's requests.Session
        if http is not None:
            http.close()


class PythonClientTest(unittest.TestCase):
    relay = None

    @classmethod
    def setUpClass(cls):
        if not os.access(RELAY_BINARY, os.X_OK):
            raise RuntimeError("RELAY_BINARY is not an executable: %s" % RELAY_BINARY)
        cls.relay = Relay()

    @classmethod
    def tearDownClass(cls):
        if cls.relay is not None:
            code = cls.relay.stop()
            if code != 0:
                raise AssertionError(
                    "relay exited with %s on SIGTERM:\n%s" % (code, cls.relay.log())
                )

    def setUp(self):
        self.clients = []
        self.room = "py-%s-%d" % (self._testMethodName, os.getpid())

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:  # a failed test may leave a half-closed client
                pass

    def client(self, user, room=None, transports=None):
        c = ChatClient(self.relay.url, room or self.room, user, transports)
        self.clients.append(c)
        return c

    def assert_ack_id(self, ack):
        self.assertIsInstance(ack, dict, "ack is not an object: %r" % (ack,))
        self.assertNotIn("error", ack)
        self.assertIsInstance(ack.get("id"), str)
        self.assertTrue(ack["id"])
        return ack["id"]

    # --- connecting ---------------------------------------------------------

    def test_connect_websocket_only(self):
        c = self.client("ws-only", transports=["websocket"])
        self.assertTrue(c.sio.connected)
        self.assertEqual(c.sio.transport(), "websocket")
        self.assertTrue(c.sid)
        self.assert_ack_id(c.call("message", {"text": "over websocket"}))

    def test_connect_default_transports_polling_then_upgrade(self):
        c = self.client("default")
        self.assertTrue(c.sio.connected)
        self.assertTrue(c.sid)
        self.assert_ack_id(c.call("message", {"text": "over polling or websocket"}))
        # engineio starts on polling and upgrades to websocket when the server offers it.
        eventually(lambda: c.sio.transport() == "websocket", "upgrade to websocket")
        self.assert_ack_id(c.call("message", {"text": "after the upgrade"}))

    def test_polling_only(self):
        c = self.client("poller", transports=["polling"])
        self.assertEqual(c.sio.transport(), "polling")
        self.assert_ack_id(c.call("message", {"text": "long-polled"}))
        self.assertIsInstance(c.call("presence"), list)

    def test_connect_without_room_is_refused(self):
        sio = socketio.Client(reconnection=False)
        errors = queue.Queue()
        sio.on("connect_error", lambda data=None: errors.put(data))
        # python-socketio keeps waiting out wait_timeout after a CONNECT_ERROR, so keep
        # it short; the refusal itself is asserted through the connect_error handler.
        with self.assertRaises(socketio.exceptions.ConnectionError):
            sio.connect(
                self.relay.url,
                auth={"user": "nobody"},
                transports=["websocket"],
                wait_timeout=1,
            )
        self.assertFalse(sio.connected)
        error = errors.get(timeout=TIMEOUT)
        self.assertIsInstance(error, dict, "CONNECT_ERROR data: %r" % (error,))
        self.assertIn("room", error.get("message", ""))
        sio.disconnect()

    # --- chatting -------------------------------------------------------------

    def test_message_reaches_other_member_with_server_fields(self):
        alice = self.client("alice", transports=["websocket"])
        bob = self.client("bob")  # default transports
        elsewhere = self.client("carol", room=self.room + "-other", transports=["websocket"])
        before = int(time.time() * 1000)
        ack = alice.call("message", {"text": "hello bob", "n": 1, "room": self.room + "-other"})
        msg_id = self.assert_ack_id(ack)

        args = bob.messages.get(timeout=TIMEOUT)
        self.assertGreaterEqual(len(args), 1)
        m = args[0]
        self.assertEqual(m["text"], "hello bob")
        self.assertEqual(m["n"], 1)  # the client's own fields are kept
        self.assertEqual(m["id"], msg_id)
        # The room comes from the session: a "room" field in the payload never redirects.
        self.assertEqual(m["room"], self.room)
        self.assertEqual(m["sender"], alice.sid)
        self.assertEqual(m["user"], "alice")
        self.assertIsInstance(m["ts"], int)
        self.assertLessEqual(before - 1000, m["ts"])
        self.assertLessEqual(m["ts"], int(time.time() * 1000) + 1000)
        self.assertEqual(len(args), 2, "message has an offset argument: %r" % (args,))
        self.assertTrue(args[1])

        # Bob answers; per-sender order holds.
        for i in range(5):
            self.assert_ack_id(bob.call("message", {"text": "reply %d" % i}))
        got = [alice.messages.get(timeout=TIMEOUT)[0] for _ in range(5)]
        self.assertEqual([g["text"] for g in got], ["reply %d" % i for i in range(5)])
        self.assertTrue(all(g["user"] == "bob" and g["sender"] == bob.sid for g in got))

        # Nobody hears their own message echoed, and other rooms hear nothing.
        time.sleep(0.3)
        self.assertTrue(alice.messages.empty(), "alice got her own message back")
        self.assertTrue(bob.messages.empty())
        self.assertTrue(elsewhere.messages.empty(), "a message leaked into another room")

    def test_non_object_message_gets_error_ack(self):
        c = self.client("bad", transports=["websocket"])
        ack = c.call("message", "just a string")
        self.assertIsInstance(ack, dict)
        self.assertIn("error", ack)
        ack = c.call("no-such-event", {})
        self.assertIsInstance(ack, dict)
        self.assertIn("error", ack)
        # The connection survives both.
        self.assert_ack_id(c.call("message", {"text": "still here"}))

    def test_history_with_callback(self):
        c = self.client("historian", transports=["websocket"])
        ids = [self.assert_ack_id(c.call("message", {"text": "h%d" % i})) for i in range(4)]

        # The store subscription stores asynchronously after the ack: poll.
        def last_two():
            h = c.call("history", {"limit": 2})
            return h if isinstance(h, list) and [m.get("id") for m in h] == ids[2:] else None

        history = eventually(last_two, "history {limit: 2} returning the last two")
        self.assertEqual([m["text"] for m in history], ["h2", "h3"])  # oldest first
        for m in history:
            self.assertEqual(m["room"], self.room)
            self.assertEqual(m["user"], "historian")
            self.assertEqual(m["sender"], c.sid)
            self.assertIsInstance(m["ts"], int)

        before = c.call("history", {"limit": 10, "before": ids[2]})
        self.assertEqual([m["id"] for m in before], ids[:2])

        # The callback form (python-socketio's emit with a callback) works too.
        got = queue.Queue()
        c.sio.emit("history", {"limit": 50}, callback=lambda *a: got.put(a))
        args = got.get(timeout=TIMEOUT)
        self.assertEqual([m["id"] for m in args[0]], ids)

        # A newcomer sees the same history.
        late = self.client("late")
        self.assertEqual([m["id"] for m in late.call("history", {"limit": 50})], ids)

    def test_presence_and_join_leave_events(self):
        alice = self.client("alice", transports=["websocket"])
        members = alice.call("presence")
        self.assertEqual(members, [{"sid": alice.sid, "user": "alice", "room": self.room}])

        bob = self.client("bob")
        bob_sid = bob.sid
        joined = alice.joins.get(timeout=TIMEOUT)
        self.assertEqual(joined, {"sid": bob_sid, "user": "bob", "room": self.room})

        got = queue.Queue()
        bob.sio.emit("presence", callback=lambda *a: got.put(a))
        members = got.get(timeout=TIMEOUT)[0]
        self.assertEqual(
            sorted((m["sid"], m["user"], m["room"]) for m in members),
            sorted([(alice.sid, "alice", self.room), (bob_sid, "bob", self.room)]),
        )

        bob.close()
        left = alice.leaves.get(timeout=TIMEOUT)
        self.assertEqual(left, {"sid": bob_sid, "user": "bob", "room": self.room})
        eventually(lambda: [m["sid"] for m in alice.call("presence")] == [alice.sid],
                   "presence without bob")
        self.assertTrue(alice.joins.empty(), "alice got a join event for herself")


if __name__ == "__main__":
    unittest.main(verbosity=2)
