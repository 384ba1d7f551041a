"""ccbt's tracker client against opentracker (the Debian package), over HTTP and over UDP.

Two announces with different peer ids for the same torrent must get each other; scrape must count
them; a stopped event must remove the peer. opentracker only serves whitelisted info-hashes, and
reads the whitelist after chrooting into its -d directory (so the path is relative to it).

Run by CTest with Debian's /usr/bin/python3; CCBT_TRACKER_TOOL is tests/tools' ccbt_tracker_tool.
Loopback only; every process is bounded in time.
"""
import json
import os
import shutil
import socket
import subprocess
import time
import unittest

from fixtures import Child, TempDir, free_port

TOOL = os.environ.get("CCBT_TRACKER_TOOL")
HASH_HTTP = "0123456789abcdef0123456789abcdef01234567"
HASH_UDP = "89abcdef0123456789abcdef0123456789abcdef"
HASH_UNKNOWN = "ffffffffffffffffffffffffffffffffffffffff"


def tool(*args, timeout=30):
    """Runs the tool once; returns (exit status, its JSON line)."""
    proc = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=timeout)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise AssertionError(f"no JSON from {args}: {proc.stdout} {proc.stderr}")
    return proc.returncode, json.loads(lines[-1])


def announce(url, info_hash, peer_id, port, event="", left=100):
    return tool("announce", "--url", url, "--info-hash", info_hash, "--peer-id", peer_id, "--port", str(port),
                "--event", event, "--left", str(left), "--udp-timeout-ms", "500")


class OpentrackerInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TOOL:
            raise unittest.SkipTest("CCBT_TRACKER_TOOL is not set")
        if not shutil.which("opentracker"):
            raise unittest.SkipTest("opentracker is not installed")
        cls.tmp = TempDir()
        cls.dir = cls.tmp.__enter__()
        with open(os.path.join(cls.dir, "whitelist.txt"), "w") as f:
            f.write(HASH_HTTP + "\n" + HASH_UDP + "\n")
        # Started as root, opentracker chroots into the directory and drops to an unprivileged
        # user before it reads the whitelist: both must be readable by others.
        os.chmod(cls.dir, 0o755)
        os.chmod(os.path.join(cls.dir, "whitelist.txt"), 0o644)
        cls.port = free_port()
        cls.ot = Child(["opentracker", "-i", "127.0.0.1", "-p", str(cls.port), "-P", str(cls.port),
                        "-d", cls.dir, "-w", "whitelist.txt"], 120, name="opentracker")
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or cls.ot.proc.poll() is not None:
                    cls.ot.stop()
                    raise RuntimeError("opentracker did not start: " + "\n".join(cls.ot.stderr_lines))
                time.sleep(0.05)
        cls.http = f"http://127.0.0.1:{cls.port}/announce"
        cls.udp = f"udp://127.0.0.1:{cls.port}/announce"
        # opentracker loads the whitelist on a thread of its own, after it starts listening.
        deadline = time.time() + 10
        while announce(cls.http, HASH_HTTP, "-CC0001-000000000000", 40000, "started")[0] != 0:
            if time.time() > deadline:
                cls.tearDownClass()
                raise RuntimeError("opentracker never accepted the whitelisted info-hash")
            time.sleep(0.1)
        announce(cls.http, HASH_HTTP, "-CC0001-000000000000", 40000, "stopped")

    @classmethod
    def tearDownClass(cls):
        cls.ot.stop()
        cls.tmp.__exit__(None, None, None)

    def swarm(self, url, info_hash):
        rc, a = announce(url, info_hash, "-CC0001-aaaaaaaaaaaa", 40001, "started")
        self.assertEqual(rc, 0, a)
        self.assertTrue(a["ok"], a)
        self.assertGreater(a["interval"], 0)
        rc, b = announce(url, info_hash, "-CC0001-bbbbbbbbbbbb", 40002, "started")
        self.assertEqual(rc, 0, b)
        self.assertIn("127.0.0.1:40001", b["peers"])
        self.assertEqual(b["incomplete"], 2)
        rc, a2 = announce(url, info_hash, "-CC0001-aaaaaaaaaaaa", 40001)
        self.assertIn("127.0.0.1:40002", a2["peers"])
        rc, s = tool("scrape", "--url", url, "--info-hash", info_hash, "--udp-timeout-ms", "500")
        self.assertEqual(rc, 0, s)
        self.assertEqual(len(s["files"]), 1)
        self.assertEqual(s["files"][0]["info_hash"], info_hash)
        self.assertEqual(s["files"][0]["incomplete"], 2)
        rc, stop = announce(url, info_hash, "-CC0001-aaaaaaaaaaaa", 40001, "stopped")
        self.assertEqual(rc, 0, stop)
        rc, b2 = announce(url, info_hash, "-CC0001-bbbbbbbbbbbb", 40002, left=0)
        self.assertNotIn("127.0.0.1:40001", b2["peers"])

    def test_http(self):
        self.swarm(self.http, HASH_HTTP)

    def test_udp(self):
        self.swarm(self.udp, HASH_UDP)

    def test_unlisted_torrent_is_an_error_on_both(self):
        # HTTP: a failure reason; UDP: opentracker answers with a bare 8-byte announce header,
        # which BEP 15 does not allow (packet too short).
        for url in (self.http, self.udp):
            rc, r = announce(url, HASH_UNKNOWN, "-CC0001-cccccccccccc", 40003, "started")
            self.assertEqual(rc, 1, r)
            self.assertFalse(r["ok"])
            self.assertTrue(r["error"].startswith("tracker: "), r)


if __name__ == "__main__":
    unittest.main(verbosity=2)
