#!/usr/bin/python3
"""End-to-end: python-socketio (Debian's python3-socketio 5.7) fails over like
socket.io-client when a node of a cluster stops (SIGTERM) or dies (SIGKILL).

The cluster is tests/e2e/support/cluster.js run as a program (three relay nodes
sharing a valkey_streams queue and a postgres store, behind a round-robin balancer
that follows /readyz); this test drives it over stdin ("term N", "kill N").

python-socketio 5.7 reconnects on its own after a transport close, but it has no
connection state recovery of its own: it neither keeps the pid of the CONNECT reply
nor the offsets of events. The few lines of RecoveringClient add both, as
socket.io-client does (auth {pid, offset, ...}, recovered = the same pid came back),
through the client's public `auth` callable.

Run: /usr/bin/python3 tests/e2e/failover_test.py  (env RELAY_BINARY).
"""
import faulthandler
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import unittest

faulthandler.dump_traceback_later(240, exit=True)

try:
    import socketio  # python3-socketio
    import websocket  # noqa: F401  python3-websocket: the websocket transport
except ImportError as exc:  # a missing client fails, never skips
    sys.stderr.write(
        "FAIL: python client module missing: %s\n"
        "install: apt-get install python3-socketio python3-websocket "
        "(run this test with /usr/bin/python3)\n" % exc
    )
    sys.exit(1)

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 20.0


def eventually(condition, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("%s did not hold within %s s" % (what, timeout))
        time.sleep(0.01)


class Cluster:
    """tests/e2e/support/cluster.js as a child process, stopped on close()."""

    def __init__(self):
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node not found: install nodejs (tools/install-deps test)")
        self.proc = subprocess.Popen(
            [node, os.path.join(HERE, "support", "cluster.js")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.info = self._next(120)  # postgres' initdb takes a while on a busy machine
        self.url = self.info["url"]

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(json.loads(line))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def _next(self, timeout=TIMEOUT):
        with self.cond:
            if not self.cond.wait_for(lambda: self.lines, timeout):
                raise AssertionError("no answer from cluster.js within %s s" % timeout)
            line = self.lines.pop(0)
        if line is None:
            raise AssertionError("cluster.js exited (code %s)" % self.proc.poll())
        return line

    def command(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self._next()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(60)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.reader.join(10)
        self.proc.stdin.close()
        self.proc.stdout.close()


class RecoveringClient:
    """A python-socketio client with socket.io-client's connection state recovery."""

    def __init__(self, url, room, user):
        self.sio = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
            randomization_factor=0.1,
        )
        self.pid = None
        self.offset = None
        self.sid = None
        self.received = []  # message ids, in arrival order
        self.connects = []  # (time, recovered, sid) per CONNECT reply
        self.disconnects = 0
        self.lock = threading.Lock()
        client = self

        # The CONNECT reply's data carries {sid, pid}; python-socketio reads only sid.
        original = self.sio._handle_connect

        def handle_connect(namespace, data):
            data = data or {}
            with client.lock:
                recovered = client.pid is not None and data.get("pid") == client.pid
                client.pid = data.get("pid")
                client.connects.append((time.monotonic(), recovered, data.get("sid")))
            original(namespace, data)

        self.sio._handle_connect = handle_connect

        @self.sio.on("message")
        def on_message(msg, offset=None):
            with client.lock:
                client.received.append(msg["id"])
                if offset is not None:
                    client.offset = offset

        @self.sio.on("disconnect")
        def on_disconnect():
            with client.lock:
                client.disconnects += 1

        def auth():
            with client.lock:
                if client.pid is None:
                    return {"room": room, "user": user}
                return {"room": room, "user": user, "pid": client.pid, "offset": client.offset}

        self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
        self.sid = self.sio.get_sid("/")

    def close(self):
        self.sio.disconnect()


class PythonFailover(unittest.TestCase):
    def test_clients_fail_over_on_their_own_and_recover(self):
        cluster = Cluster()
        self.addCleanup(cluster.close)
        room = "py-failover-%d" % os.getpid()
        # The balancer goes round-robin: client i lands on node i.
        clients = [RecoveringClient(cluster.url, room, "py%d" % i) for i in range(3)]
        for c in clients:
            self.addCleanup(c.close)
        sender = clients[2]
        acked = []
        running = threading.Event()
        running.set()

        def send():
            seq = 0
            while running.is_set():
                try:
                    ack = sender.sio.call("message", {"text": "p%d" % seq, "seq": seq}, timeout=5)
                    if isinstance(ack, dict) and "id" in ack:
                        acked.append(ack["id"])
                except socketio.exceptions.TimeoutError:
                    pass
                seq += 1
                time.sleep(0.01)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        eventually(lambda: len(acked) >= 20, "20 acked before the stop")

        gone = time.monotonic()
        self.assertEqual(cluster.command("term 0"), {"ok": "term", "code": 0})
        eventually(lambda: len(clients[0].connects) >= 2, "client 0 reconnected")
        stop_failover = clients[0].connects[1][0] - gone

        n = len(acked)
        eventually(lambda: len(acked) >= n + 20, "20 more acked")
        gone = time.monotonic()
        self.assertEqual(cluster.command("kill 1"), {"ok": "kill", "code": 137})
        eventually(lambda: len(clients[1].connects) >= 2, "client 1 reconnected")
        kill_failover = clients[1].connects[1][0] - gone
        n = len(acked)
        eventually(lambda: len(acked) >= n + 20, "20 more acked")
        running.clear()
        thread.join(10)

        for i in (0, 1):
            c = clients[i]
            # Client 0 may have landed on node 1 and so failed over twice.
            self.assertEqual(c.disconnects, len(c.connects) - 1, "client %d" % i)
            for _, recovered, sid in c.connects[1:]:
                self.assertTrue(recovered, "client %d recovered its session" % i)
                self.assertEqual(sid, c.sid, "client %d kept its sid" % i)
        self.assertEqual(clients[2].disconnects, 0, "the sender on node 2 never noticed")
        # Clients 0 and 1 got every acked message of the sender, once, in order (a
        # message unacked when a node died may arrive too: then it is stored as well).
        for i in (0, 1):
            c = clients[i]
            eventually(lambda: set(acked) <= set(c.received), "client %d got every acked message" % i)
            self.assertEqual(len(set(c.received)), len(c.received), "client %d: nothing twice" % i)
            positions = [c.received.index(a) for a in acked]
            self.assertEqual(positions, sorted(positions), "client %d: in order" % i)
        sys.stderr.write(
            "python-socketio failover: SIGTERM %.0f ms, kill -9 %.0f ms, %d acked\n"
            % (stop_failover * 1000, kill_failover * 1000, len(acked))
        )


if __name__ == "__main__":
    unittest.main(verbosity=2)
