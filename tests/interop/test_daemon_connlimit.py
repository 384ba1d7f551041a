"""Lowering a connection limit closes the excess connections at once (not only new ones), through
btbt on loopback against three libtorrent seeders:

- connected to all three seeders, `btbt config set network.max_connections 2` drops the torrent to
  2 peers within a few seconds, and `btbt limits 0 --max-peers 1` (the per-torrent override) to 1;
- it stays at 1 (no reconnect churn) and the download still completes with the right data.

Every process and wait is bounded in time.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
from daemon_util import DaemonTestCase  # noqa: E402

PIECE = 32 * 1024
SIZE = 6 * 1024 * 1024
RATE = 256 * 1024  # each seeder's upload limit: the download lasts long enough to watch


class DaemonConnLimitTest(DaemonTestCase):
    prefix = "ccbt-daemon-connlimit-"

    def make_content(self, d):
        self.single_file_torrent(d, "big.bin", SIZE, 33, PIECE)

    def peers(self, dm):
        return json.loads(dm.btbt("peers", "0", "--json").stdout)["peers"]

    def wait_peers(self, dm, pred, timeout, what):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.peers(dm)
            if pred(len(last)):
                return last
            time.sleep(0.1)
        raise AssertionError(f"{what}: not reached in {timeout} s; peers: {[p['endpoint'] for p in last]}")

    def test_lowered_limits_close_connections(self):
        dm = self.daemon.start()
        with fixtures.lt_seeder(self.torrent, self.src, seconds=200, upload_limit=RATE, name="seed-a") as a, \
                fixtures.lt_seeder(self.torrent, self.src, seconds=200, upload_limit=RATE, name="seed-b") as b, \
                fixtures.lt_seeder(self.torrent, self.src, seconds=200, upload_limit=RATE, name="seed-c") as c:
            args = ["add", self.torrent, "-o", self.out]
            for s in (a, b, c):
                args += ["--peer", f"127.0.0.1:{s.port}"]
            dm.btbt(*args)
            self.wait_peers(dm, lambda n: n == 3, 30, "three seeders connected")

            t0 = time.time()
            dm.btbt("config", "set", "network.max_connections", "2")
            self.wait_peers(dm, lambda n: n <= 2, 5, "global limit 2")
            dm.btbt("limits", "0", "--max-peers", "1")
            self.wait_peers(dm, lambda n: n <= 1, 5, "per-torrent limit 1")
            self.assertLess(time.time() - t0, 10)
            # It stays at one connection, which still downloads.
            deadline = time.time() + 3
            while time.time() < deadline:
                self.assertLessEqual(len(self.peers(dm)), 1)
                time.sleep(0.2)
            self.assertLess(dm.status("0")["progress"], 1.0, "the download outlasts the check (seeders too fast?)")
            lst = dm.wait_until(lambda l: l[0]["state"] == "seeding", 120, "download complete with one peer")
            self.assertEqual(lst[0]["progress"], 1.0)
            fixtures.assert_same_file(self, os.path.join(self.src, "big.bin"), os.path.join(self.out, "big.bin"))


if __name__ == "__main__":
    unittest.main()
