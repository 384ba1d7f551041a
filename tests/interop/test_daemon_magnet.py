"""The daemon with a magnet link, driven through btbt on loopback against a libtorrent seeder:

- `btbt add <magnet>` with no peer: listed at once under its dn= name in state downloading_metadata,
  `status` has no size yet, `files` is refused with a clear message;
- given the seeder (`peers --add`), it fetches the metadata (BEP 9), downloads, and the data matches;
- daemon.db then holds the metainfo instead of the link; after a clean stop, with the seeder gone,
  the restarted daemon has the torrent as a normal one, complete (nothing to download, no peer);
- a malformed magnet link is refused with the parser's message;
- the metadata reaches daemon.db as soon as it arrives, with no API call looking the torrent up:
  killed with -9 right after, the daemon restarts (seeder gone) with a normal torrent, not one
  still in downloading_metadata.

Every process is bounded in time (fixtures.Child / timeout).
"""
import json
import os
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
from daemon_util import DaemonTestCase  # noqa: E402

PIECE = 32 * 1024
TREE = {"m1.bin": 700_001, "d/m2.bin": 333_333}


class DaemonMagnetTest(DaemonTestCase):
    prefix = "ccbt-daemon-magnet-"

    def make_content(self, d):
        self.src = os.path.join(d, "src")
        fixtures.write_tree(os.path.join(self.src, "mtree"), TREE, seed=9)
        self.torrent = os.path.join(d, "mtree.torrent")
        data, self.info = fixtures.make_torrent(os.path.join(self.src, "mtree"), PIECE, kind="v1")
        with open(self.torrent, "wb") as f:
            f.write(data)

    def stored_torrent_column(self):
        db = sqlite3.connect(os.path.join(self.state, "daemon.db"), timeout=5)
        try:
            return db.execute("SELECT torrent FROM torrents").fetchall()
        finally:
            db.close()

    def test_magnet_add_download_restart(self):
        dm = self.daemon.start()
        ih = str(self.info.info_hash())
        link = f"magnet:?xt=urn:btih:{ih}&dn=shown-name"

        bad = dm.btbt("add", "magnet:?xt=urn:btih:1234", "-o", self.out, check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("not a valid magnet link", bad.stderr)

        r = dm.btbt("add", link, "-o", self.out)
        self.assertIn("added #0", r.stdout)
        self.assertIn("shown-name", r.stdout)
        lst = dm.list()
        self.assertEqual(lst[0]["id"], ih)
        self.assertEqual(lst[0]["name"], "shown-name")
        self.assertEqual(lst[0]["state"], "downloading_metadata")
        st = dm.status("0")
        self.assertIsNone(st["total_size"])
        self.assertTrue(st["magnet"])
        self.assertEqual(st["hashes"]["v1"], ih)
        f = dm.btbt("files", "0", check=False)
        self.assertNotEqual(f.returncode, 0)
        self.assertIn("metadata has not arrived", f.stderr)
        rows = self.stored_torrent_column()
        self.assertTrue(bytes(rows[0][0]).startswith(b"magnet:"), "the link is what daemon.db holds")

        with fixtures.lt_seeder(self.torrent, self.src, seconds=200, name="seed-magnet") as s:
            dm.btbt("peers", "0", "--add", f"127.0.0.1:{s.port}")
            lst = dm.wait_until(lambda l: l[0]["state"] == "seeding" and l[0]["progress"] == 1.0, 90, "magnet complete")
            self.assertEqual(lst[0]["name"], "mtree")
            fixtures.assert_same_tree(self, os.path.join(self.src, "mtree"), os.path.join(self.out, "mtree"))
            st = dm.status("0")
            self.assertEqual(st["total_size"], sum(TREE.values()))
            self.assertFalse(st["magnet"])
            files = json.loads(dm.btbt("files", "0", "--json").stdout)["files"]
            self.assertEqual(sorted(x["path"] for x in files), sorted("mtree/" + p for p in TREE))
        rows = self.stored_torrent_column()
        self.assertTrue(bytes(rows[0][0]).startswith(b"d4:info"), "daemon.db now holds the metainfo")

        # clean restart with the seeder gone: a normal torrent, found complete on disk
        r = dm.btbt("daemon", "stop")
        self.assertIn("stopped", r.stdout)
        self.assertEqual(dm.child.drain(30), 0, dm.child.stderr_lines[-10:])
        dm = self.daemon.start()
        lst = dm.wait_until(lambda l: len(l) == 1 and l[0]["state"] == "seeding", 60, "restored after stop")
        self.assertEqual(lst[0]["id"], ih)
        self.assertEqual(lst[0]["name"], "mtree")
        self.assertEqual(lst[0]["progress"], 1.0)
        self.assertEqual(lst[0]["total_downloaded"], 0, "nothing downloaded again")
        self.assertFalse(dm.status("0")["magnet"])

    def test_metadata_persisted_on_arrival(self):
        dm = self.daemon.start()
        ih = str(self.info.info_hash())
        # The seeder sends the metadata at once but the data slowly: the torrent is mid-download
        # when the metadata is stored. No btbt call after the add (a lookup would store it too).
        with fixtures.lt_seeder(self.torrent, self.src, seconds=200, upload_limit=64 * 1024, name="seed-meta") as s:
            dm.btbt("add", f"magnet:?xt=urn:btih:{ih}&dn=early", "-o", self.out, "--peer", f"127.0.0.1:{s.port}")
            deadline = time.time() + 60
            rows = self.stored_torrent_column()
            while time.time() < deadline and not bytes(rows[0][0]).startswith(b"d4:info"):
                time.sleep(0.1)
                rows = self.stored_torrent_column()
            self.assertTrue(bytes(rows[0][0]).startswith(b"d4:info"), "daemon.db holds the info dict without any lookup")
            dm.kill9()
        dm = self.daemon.start()
        lst = dm.wait_until(lambda l: len(l) == 1 and l[0]["state"] not in ("checking", "downloading_metadata"), 60,
                            "restored after kill -9")
        self.assertEqual(lst[0]["id"], ih)
        self.assertEqual(lst[0]["name"], "mtree")
        st = dm.status("0")
        self.assertFalse(st["magnet"])
        self.assertEqual(st["total_size"], sum(TREE.values()))
        self.assertLess(st["progress"], 1.0, "the seeder is gone: the download stays incomplete")


if __name__ == "__main__":
    unittest.main()
