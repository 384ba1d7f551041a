"""The daemon's HTTP/JSON API under bad requests: every one gets its JSON error with the right HTTP
status, and the daemon keeps answering afterwards.

missing / wrong token -> 401, malformed JSON -> 400, unknown torrent -> 404, malformed id -> 400,
oversized body (declared or sent) -> 413, invalid .torrent -> 422, unknown path -> 404, wrong
method -> 405, oversized header -> 431, too many connections -> 503, garbage bytes -> connection
closed. Loopback only, bounded in time.
"""
import base64
import http.client
import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
from daemon_util import Daemon  # noqa: E402

MAX_BODY = 64 * 1024
MAX_CONN = 4


class ApiRobustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-daemon-api-")
        cls.daemon = Daemon(os.path.join(cls.tmp.path, "state"), seconds=120,
                            extra_env={"CCBT_DAEMON__API_MAX_BODY": "64 KiB",
                                       "CCBT_DAEMON__API_MAX_CONNECTIONS": str(MAX_CONN)}).start()
        cls.token = cls.daemon.token()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.daemon.stop()
        finally:
            cls.tmp.__exit__(None, None, None)

    def request(self, method, path, body=None, token=True, headers=None):
        c = http.client.HTTPConnection(self.daemon.host, self.daemon.port, timeout=10)
        h = dict(headers or {})
        if token is True:
            h["Authorization"] = "Bearer " + self.token
        elif token:
            h["Authorization"] = token
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, json.loads(data) if data else None

    def assert_error(self, status, body, want_status, want_code):
        self.assertEqual(status, want_status, body)
        self.assertIsInstance(body, dict)
        self.assertEqual(body["error"]["code"], want_code, body)
        self.assertTrue(body["error"]["message"])

    def assert_alive(self):
        status, body = self.request("GET", "/api/v1/session")
        self.assertEqual(status, 200, body)
        self.assertIn("pid", body)

    def test_token(self):
        self.assert_error(*self.request("GET", "/api/v1/torrents", token=None), 401, "unauthorized")
        self.assert_error(*self.request("GET", "/api/v1/torrents", token="Bearer " + "0" * 64), 401, "unauthorized")
        self.assert_error(*self.request("GET", "/api/v1/torrents", token=self.token), 401, "unauthorized")  # no "Bearer"
        # a body is not read before the token is checked
        self.assert_error(*self.request("POST", "/api/v1/torrents", body={"torrent": "AAAA"}, token=None), 401, "unauthorized")
        self.assertEqual(os.stat(os.path.join(self.daemon.state_dir, "api.token")).st_mode & 0o777, 0o600)
        self.assert_alive()

    def test_bad_requests(self):
        self.assert_error(*self.request("POST", "/api/v1/torrents", body="{not json"), 400, "bad_request")
        self.assert_error(*self.request("POST", "/api/v1/torrents", body="[]"), 400, "bad_request")
        self.assert_error(*self.request("POST", "/api/v1/torrents", body="[" * 60000), 400, "bad_request")
        self.assert_error(*self.request("POST", "/api/v1/torrents", body={"torrent": "!!", "save_path": "/tmp"}), 400, "bad_request")
        self.assert_error(*self.request("POST", "/api/v1/torrents", body={"torrent": "AAAA", "save_path": "rel"}), 400, "bad_request")
        self.assert_error(*self.request("POST", "/api/v1/torrents", body={"torrent": "AAAA", "save_path": "/tmp", "bogus": 1}), 400, "bad_request")
        bad_torrent = base64.b64encode(b"d4:infod4:name1:xee").decode()
        self.assert_error(*self.request("POST", "/api/v1/torrents", body={"torrent": bad_torrent, "save_path": "/tmp"}), 422, "invalid_torrent")
        self.assert_error(*self.request("GET", "/api/v1/torrents/" + "0" * 40), 404, "not_found")
        self.assert_error(*self.request("POST", "/api/v1/torrents/" + "ab" * 20 + "/pause"), 404, "not_found")
        self.assert_error(*self.request("DELETE", "/api/v1/torrents/" + "cd" * 20 + "?delete_data=true"), 404, "not_found")
        self.assert_error(*self.request("GET", "/api/v1/torrents/xyz"), 400, "bad_request")
        self.assert_error(*self.request("GET", "/api/v1/nothing"), 404, "not_found")
        self.assert_error(*self.request("GET", "/"), 404, "not_found")
        self.assert_error(*self.request("PUT", "/api/v1/torrents"), 405, "method_not_allowed")
        self.assert_error(*self.request("GET", "/api/v1/config/no.such_key"), 404, "not_found")
        self.assert_alive()

    def test_oversized(self):
        big = {"torrent": "A" * (MAX_BODY + 10), "save_path": "/tmp"}
        self.assert_error(*self.request("POST", "/api/v1/torrents", body=big), 413, "payload_too_large")
        # declared larger than the limit, body never sent: refused from the header alone
        s = socket.create_connection((self.daemon.host, self.daemon.port), timeout=10)
        s.sendall(f"POST /api/v1/torrents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.token}\r\n"
                  f"Content-Length: {1 << 40}\r\n\r\n".encode())
        reply = recv_all(s)
        s.close()
        self.assertIn(b" 413 ", reply.split(b"\r\n")[0])
        self.assertIn(b"payload_too_large", reply)
        status, body = self.request("GET", "/api/v1/torrents", headers={"X-Big": "x" * 20000})
        self.assert_error(status, body, 431, "header_too_large")
        self.assert_alive()

    def test_expect_continue(self):
        # what curl does before a large upload: the body is sent only after "100 Continue"
        body = json.dumps({"torrent": "AAAA", "save_path": "relative"}).encode()
        s = socket.create_connection((self.daemon.host, self.daemon.port), timeout=10)
        s.sendall(f"POST /api/v1/torrents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.token}\r\n"
                  f"Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode())
        first = s.recv(4096)
        self.assertTrue(first.startswith(b"HTTP/1.1 100 Continue"), first)
        s.sendall(body)
        reply = recv_all(s)
        s.close()
        self.assertIn(b" 400 ", reply.split(b"\r\n")[0], reply)
        self.assertIn(b"absolute", reply)

    def test_too_many_connections_and_garbage(self):
        idle = [socket.create_connection((self.daemon.host, self.daemon.port), timeout=10) for _ in range(MAX_CONN)]
        try:
            time.sleep(0.3)
            s = socket.create_connection((self.daemon.host, self.daemon.port), timeout=10)
            reply = recv_all(s)
            s.close()
            self.assertIn(b" 503 ", reply.split(b"\r\n")[0], reply)
            self.assertIn(b"too_many_connections", reply)
        finally:
            for s in idle:
                s.close()
        time.sleep(0.3)
        s = socket.create_connection((self.daemon.host, self.daemon.port), timeout=10)
        s.sendall(bytes(range(256)) * 64)
        recv_all(s)  # the daemon closes the connection (whatever it answers first)
        s.close()
        self.assert_alive()
        # and btbt still works against it
        self.assertEqual(self.daemon.list(), [])


def recv_all(s, limit=1 << 20):
    out = b""
    try:
        while len(out) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return out


if __name__ == "__main__":
    unittest.main(verbosity=2)
