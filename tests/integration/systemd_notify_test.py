#!/usr/bin/python3
"""relay under a service manager (deploy/systemd/relay.service, Type=notify), seen
from this test's own NOTIFY_SOCKET: READY=1 once the transport accepts connections,
WATCHDOG=1 again and again when WATCHDOG_USEC asks for it (and never when it does
not), STOPPING=1 when SIGTERM begins the drain, then exit 0.

Run: /usr/bin/python3 tests/integration/systemd_notify_test.py  (env RELAY_BINARY,
RELAY_PLUGIN_DIR).
"""
import faulthandler
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

faulthandler.dump_traceback_later(120, exit=True)

TIMEOUT = 20.0


class NotifiedRelay:
    """relay run on the embedded pipeline (websocket on a free port, memory queue,
    sqlite in a fresh directory), with NOTIFY_SOCKET on a datagram socket of ours."""

    def __init__(self, watchdog_usec=None, watchdog_pid=None, journal=False, threads=2):
        self.dir = tempfile.mkdtemp(prefix="relay-notify-")
        self.socket_path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.socket_path)
        pipeline = os.path.join(self.dir, "pipeline.yaml")
        with open(pipeline, "w") as f:
            f.write(
                "plugins: { path: [%s] }\n"
                "node: { id: notify, threads: %d }\n"
                "transport: { use: websocket, listen: 127.0.0.1:0 }\n"
                "store: { use: sqlite, path: %s }\n"
                % (os.environ["RELAY_PLUGIN_DIR"], threads, os.path.join(self.dir, "relay.db"))
            )
        env = dict(os.environ, NOTIFY_SOCKET=self.socket_path)
        env.pop("WATCHDOG_USEC", None)
        env.pop("WATCHDOG_PID", None)
        if watchdog_usec is not None:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        if watchdog_pid is not None:
            env["WATCHDOG_PID"] = str(watchdog_pid)
        self.log = open(os.path.join(self.dir, "relay.log"), "w+")
        if journal:  # what systemd sets when stderr is its journal stream
            st = os.fstat(self.log.fileno())
            env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
        else:
            env.pop("JOURNAL_STREAM", None)
        self.proc = subprocess.Popen(
            [os.environ["RELAY_BINARY"], "run", pipeline], cwd=self.dir, env=env,
            stdout=self.log, stderr=self.log,
        )

    def receive(self, timeout=TIMEOUT):
        """The next datagram as a dict of its assignments, or None after `timeout`."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except socket.timeout:
            return None
        return dict(line.split("=", 1) for line in data.splitlines() if "=" in line)

    def receive_until(self, key, timeout=TIMEOUT):
        """Datagrams up to and including the first that sets `key`."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            message = self.receive(max(deadline - time.monotonic(), 0.01))
            if message is None:
                break
            seen.append(message)
            if key in message:
                return seen
        raise AssertionError("no %s within %s s; got %s; log:\n%s" % (key, timeout, seen, self.output()))

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def port(self):
        found = re.search(r"Socket\.IO on [^:\s]+:(\d+)/", self.output())
        if not found:
            raise AssertionError("no listening port in the log:\n" + self.output())
        return int(found.group(1))

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.log.close()
        shutil.rmtree(self.dir)


class SystemdNotify(unittest.TestCase):
    def start(self, **kwargs):
        relay = NotifiedRelay(**kwargs)
        self.addCleanup(relay.close)
        return relay

    def test_ready_once_the_listener_accepts_then_stopping_on_sigterm(self):
        relay = self.start()
        ready = relay.receive_until("READY")[-1]
        self.assertEqual(ready["READY"], "1")
        self.assertIn("serving", ready.get("STATUS", ""))
        # At READY=1 the transport already serves: no retry, no wait.
        with urllib.request.urlopen("http://127.0.0.1:%d/" % relay.port(), timeout=TIMEOUT) as answer:
            self.assertEqual(answer.status, 200)
        relay.proc.send_signal(signal.SIGTERM)
        stopping = relay.receive_until("STOPPING")[-1]
        self.assertEqual(stopping["STOPPING"], "1")
        self.assertEqual(relay.proc.wait(timeout=TIMEOUT), 0)

    def test_watchdog_pings_repeat_at_half_the_interval(self):
        relay = self.start(watchdog_usec=200_000)  # asks for a ping every 100 ms
        relay.receive_until("READY")
        times = []
        while len(times) < 9:
            message = relay.receive(timeout=2.0)
            self.assertIsNotNone(message, "the watchdog pings stopped after %d" % len(times))
            if message.get("WATCHDOG") == "1":
                times.append(time.monotonic())
        # One every 100 ms on average: neither one per WATCHDOG_USEC (200 ms, too late
        # for systemd) nor a burst.
        mean = (times[-1] - times[0]) / (len(times) - 1)
        self.assertGreater(mean, 0.07, mean)
        self.assertLess(mean, 0.17, mean)
        relay.proc.send_signal(signal.SIGTERM)
        relay.receive_until("STOPPING")
        self.assertEqual(relay.proc.wait(timeout=TIMEOUT), 0)

    def test_no_watchdog_pings_unless_asked(self):
        relay = self.start()
        relay.receive_until("READY")
        # Nothing more until the stop: no WATCHDOG=1 in half a second, then STOPPING.
        self.assertIsNone(relay.receive(timeout=0.5))
        relay.proc.send_signal(signal.SIGTERM)
        messages = relay.receive_until("STOPPING")
        self.assertEqual([m for m in messages if "WATCHDOG" in m], [])
        self.assertEqual(relay.proc.wait(timeout=TIMEOUT), 0)

    def test_no_watchdog_pings_when_systemd_watches_another_pid(self):
        relay = self.start(watchdog_usec=200_000, watchdog_pid=1)
        relay.receive_until("READY")
        self.assertIsNone(relay.receive(timeout=0.5))
        relay.proc.send_signal(signal.SIGTERM)
        self.assertEqual(relay.proc.wait(timeout=TIMEOUT), 0)

    def test_log_lines_carry_their_priority_for_the_journal(self):
        relay = self.start(journal=True)
        relay.receive_until("READY")
        lines = relay.output().splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertRegex(line, r"^<[0-7]>[a-z]+ ")
        self.assertTrue(any(line.startswith("<6>info ") for line in lines), lines)
        relay.proc.send_signal(signal.SIGTERM)
        self.assertEqual(relay.proc.wait(timeout=TIMEOUT), 0)

    def test_log_lines_carry_their_time_elsewhere(self):
        relay = self.start()
        relay.receive_until("READY")
        for line in relay.output().splitlines():
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT")
        relay.proc.send_signal(signal.SIGTERM)
        self.assertEqual(relay.proc.wait(timeout=TIMEOUT), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
