"""Seeding reads (disk.read_mode) against libtorrent (python3-libtorrent 2.0), on loopback:

- libtorrent downloads from a `ccbt seed` with disk.read_mode = mmap and = pread: a tree with
  straddling pieces and empty files (v1), the same with pad files (hybrid), a single file (v2);
  the data is compared byte for byte, ccbt reports no storage error;
- a file is truncated under a seeding session that serves it through file mappings (upload limit,
  so blocks wait in the send queue): ccbt reports a storage_error alert ("read failed"), closes the
  connection with a logged reason, and keeps running (it still answers SIGINT and exits 0). With
  mmap the pages of a truncated file are never touched by ccbt itself, so there is no SIGBUS.

Run through ctest (CCBT_BIN is set there). Every process is bounded in time.
"""
import os
import shutil
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

PIECE = 64 * 1024
TREE = {
    "a.bin": 100_001,
    "empty": 0,
    "sub/b.bin": 1_234_567,
    "sub/deeper/c.bin": 700_003,
    "z/exact.bin": 3 * PIECE,
    "z/tail.bin": 5,
}
SINGLE_SIZE = 2_000_001


class ReadModes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-read-modes-")
        cls.dir = cls.tmp.path
        cls.src = os.path.join(cls.dir, "src")
        cls.tree = os.path.join(cls.src, "tree")
        fixtures.write_tree(cls.tree, TREE, seed=11)
        cls.single = os.path.join(cls.src, "single.bin")
        fixtures.write_random_file(cls.single, SINGLE_SIZE, 12)
        cls.torrents = {}
        for shape, path, kind in (("tree", cls.tree, "v1"), ("tree", cls.tree, "hybrid"),
                                  ("single", cls.single, "v2")):
            data, ti = fixtures.make_torrent(path, PIECE, kind)
            tpath = os.path.join(cls.dir, f"{shape}-{kind}.torrent")
            with open(tpath, "wb") as f:
                f.write(data)
            cls.torrents[(shape, kind)] = (tpath, ti)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def upload(self, shape, kind, mode):
        tpath, ti = self.torrents[(shape, kind)]
        out = os.path.join(self.dir, f"out-{shape}-{kind}-{mode}")
        shutil.rmtree(out, ignore_errors=True)
        extra = ("--no-resume", "--set", f"disk.read_mode={mode}")
        with fixtures.ccbt_seed(tpath, self.src, seconds=40, extra=extra) as seeder:
            with fixtures.lt_downloader(tpath, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=30) as dl:
                done = dl.wait_json("finished", 30)
                self.assertEqual(dl.wait(10), 0)
                self.assertEqual(done["pieces"], ti.num_pieces())
                self.assertFalse([e for e in dl.events if e["event"] in ("error", "peer_banned")])
            seeder.send_signal(signal.SIGINT)
            self.assertEqual(seeder.drain(15), 0, seeder.stderr_lines[-10:])
            self.assertGreaterEqual(seeder.events[-1]["total_upload"], fixtures.content_size(ti))
            self.assertFalse(seeder.alerts("storage_error"))
        if shape == "tree":
            fixtures.assert_same_tree(self, self.tree, os.path.join(out, "tree"))
        else:
            fixtures.assert_same_file(self, self.single, os.path.join(out, "single.bin"))

    def test_every_kind_in_both_modes(self):
        for mode in ("mmap", "pread"):
            for shape, kind in self.torrents:
                with self.subTest(mode=mode, shape=shape, kind=kind):
                    self.upload(shape, kind, mode)

    def test_truncated_file_under_a_mmap_seeder(self):
        data = os.path.join(self.dir, "trunc-src")
        shutil.rmtree(data, ignore_errors=True)
        os.makedirs(data)
        path = os.path.join(data, "big.bin")
        size = 8 * 1024 * 1024
        fixtures.write_random_file(path, size, 13)
        tdata, _ = fixtures.make_torrent(path, PIECE, "v1")
        tpath = os.path.join(self.dir, "big.torrent")
        with open(tpath, "wb") as f:
            f.write(tdata)
        out = os.path.join(self.dir, "out-trunc")
        shutil.rmtree(out, ignore_errors=True)
        # 1 MiB/s: the transfer takes ~8 s, and about a second of blocks (read from the mapping)
        # waits in the send queue when the file is cut.
        extra = ("--no-resume", "--set", "disk.read_mode=mmap", "--set", "limits.upload_rate=1MiB")
        with fixtures.ccbt_seed(tpath, data, seconds=60, extra=extra) as seeder:
            with fixtures.lt_downloader(tpath, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=40) as dl:
                # Some data went out through the mapping first.
                dl.wait_for(lambda o: o.get("event") == "status" and o.get("total_download", 0) >= 1024 * 1024,
                            20, what="1 MiB downloaded")
                os.truncate(path, 3 * 1024 * 1024 + 12345)
                err = seeder.wait_for(lambda o: o.get("event") == "alert" and o.get("kind") == "storage_error",
                                      20, what="storage_error alert")
                self.assertIn("read failed", err.get("message", ""), err)
                dl.stop()
            # The session survived: it still runs and stops cleanly.
            self.assertIsNone(seeder.proc.poll(), "the seeder died")
            seeder.send_signal(signal.SIGINT)
            self.assertEqual(seeder.drain(15), 0, seeder.stderr_lines[-10:])
            final = seeder.events[-1]
            self.assertIn(final["event"], ("finished", "stopped"))


if __name__ == "__main__":
    unittest.main()
