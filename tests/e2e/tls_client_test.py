#!/usr/bin/python3
"""End-to-end: python-socketio over TLS (wss and https polling) against a real `relay`
whose websocket transport has tls_cert and tls_key.

A throwaway CA and a server certificate for 127.0.0.1 are made with the openssl CLI;
the client trusts the CA through a requests.Session's `verify`, which python-engineio
hands to both transports (requests for polling, websocket-client's ca_certs for the
WebSocket). The relay is started as python_client_test.py starts it.

Run: /usr/bin/python3 tests/e2e/tls_client_test.py  (env RELAY_BINARY).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_client_test import (  # noqa: E402  (the path above comes first)
    RELAY_BINARY,
    TIMEOUT,
    ChatClient,
    Relay,
    eventually,
    requests,
    socketio,
)

# EC P-256: made in milliseconds.
KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def openssl(directory, *args):
    result = subprocess.run(["openssl", *args], cwd=directory, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), result.stderr))


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 it signed; returns (ca, cert, key)."""
    ca, ca_key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
    openssl(directory, "req", "-x509", *KEY, "-keyout", ca_key, "-out", ca, "-days", "2",
            "-subj", "/CN=Relay test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    cert, key = os.path.join(directory, "server.pem"), os.path.join(directory, "server.key")
    csr, ext = os.path.join(directory, "server.csr"), os.path.join(directory, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    openssl(directory, "req", *KEY, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    openssl(directory, "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
            "-set_serial", "0x2001", "-days", "2", "-extfile", ext, "-out", cert)
    return ca, cert, key


class TlsClientTest(unittest.TestCase):
    relay = None
    certificates = None

    @classmethod
    def setUpClass(cls):
        if not os.access(RELAY_BINARY, os.X_OK):
            raise RuntimeError("RELAY_BINARY is not an executable: %s" % RELAY_BINARY)
        cls.certificates = tempfile.mkdtemp(prefix="relay-tls-py-")
        cls.ca, cert, key = make_certificates(cls.certificates)
        cls.relay = Relay(transport="tls_cert: %s, tls_key: %s" % (cert, key), scheme="https")

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.relay is not None:
                code = cls.relay.stop()
                if code != 0:
                    raise AssertionError(
                        "relay exited with %s on SIGTERM:\n%s" % (code, cls.relay.log())
                    )
        finally:
            shutil.rmtree(cls.certificates, ignore_errors=True)

    def setUp(self):
        self.clients = []
        self.room = "py-tls-%s-%d" % (self._testMethodName, os.getpid())

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:  # a failed test may leave a half-closed client
                pass

    def client(self, user, transports):
        session = requests.Session()
        session.verify = self.ca
        # Otherwise REQUESTS_CA_BUNDLE, when the environment sets it, wins over `verify`.
        session.trust_env = False
        c = ChatClient(self.relay.url, self.room, user, transports, http_session=session)
        self.clients.append(c)
        return c

    def assert_ack_id(self, ack):
        self.assertIsInstance(ack, dict, "ack is not an object: %r" % (ack,))
        self.assertNotIn("error", ack)
        self.assertIsInstance(ack.get("id"), str)
        return ack["id"]

    def test_wss_and_https_polling_chat_with_acks(self):
        ws = self.client("ws", ["websocket"])
        polling = self.client("poll", ["polling"])
        self.assertEqual(ws.sio.transport(), "websocket")
        self.assertEqual(polling.sio.transport(), "polling")

        sent = self.assert_ack_id(ws.call("message", {"text": "over wss"}))
        got = polling.messages.get(timeout=TIMEOUT)[0]
        self.assertEqual((got["id"], got["text"], got["user"]), (sent, "over wss", "ws"))

        answer = self.assert_ack_id(polling.call("message", {"text": "over https"}))
        got = ws.messages.get(timeout=TIMEOUT)[0]
        self.assertEqual((got["id"], got["text"], got["user"]), (answer, "over https", "poll"))

        history = eventually(
            lambda: (lambda h: h if [m["id"] for m in h] == [sent, answer] else None)(
                ws.call("history", {"limit": 10})),
            "history with both messages")
        self.assertEqual([m["text"] for m in history], ["over wss", "over https"])

    def test_upgrade_from_https_polling_to_wss(self):
        c = self.client("upgrader", None)
        eventually(lambda: c.sio.transport() == "websocket", "upgrade to websocket")
        self.assert_ack_id(c.call("message", {"text": "after the upgrade"}))

    def test_without_the_ca_the_connection_fails(self):
        sio = socketio.Client(reconnection=False)
        with self.assertRaises(socketio.exceptions.ConnectionError):
            sio.connect(self.relay.url, auth={"room": self.room}, transports=["websocket"],
                        wait_timeout=TIMEOUT)
        self.assertFalse(sio.connected)


if __name__ == "__main__":
    unittest.main(verbosity=2)
