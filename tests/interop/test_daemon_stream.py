"""Streaming as a per-torrent setting of the daemon, driven through btbt on loopback against a
libtorrent seeder:

- `btbt add --paused --stream 0:8MiB` stores the setting; `btbt stream` changes it, `--off` clears
  it; `status` reports it; a file index or offset the torrent does not have is refused (422 naming
  the field) and malformed FILE[:OFFSET] is refused by btbt;
- the setting survives `btbt daemon stop` / start and a kill -9 restart (daemon.db);
- after those restarts, resumed against a rate-limited seeder, the pieces at the stream position
  complete before the pieces far before it (observed through the status' piece map), and the
  download completes with the right data.

Every process and wait is bounded in time.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
from daemon_util import DaemonTestCase  # noqa: E402

PIECE = 64 * 1024
SIZE = 16 * 1024 * 1024
OFFSET = 8 * 1024 * 1024  # the middle: piece 128 of 256


def have(pieces_hex, i):
    if i // 4 >= len(pieces_hex):  # empty while the torrent is checking
        return False
    return (int(pieces_hex[i // 4], 16) >> (3 - i % 4)) & 1 == 1


class DaemonStreamTest(DaemonTestCase):
    prefix = "ccbt-daemon-stream-"

    def make_content(self, d):
        self.single_file_torrent(d, "movie.bin", SIZE, 21, PIECE)

    def stream_of(self, dm):
        return dm.status("0")["stream"]

    def test_stream_setting_persists_and_orders_pieces(self):
        dm = self.daemon.start()
        with fixtures.lt_seeder(self.torrent, self.src, seconds=300, upload_limit=1536 * 1024, name="seed-stream") as s:
            r = dm.btbt("add", self.torrent, "-o", self.out, "--paused", "--stream", "0:8MiB",
                        "--peer", f"127.0.0.1:{s.port}")
            self.assertIn("added #0", r.stdout)
            self.assertEqual(self.stream_of(dm), {"file": 0, "offset": OFFSET})
            self.assertIn(f"streaming:  file 0 from byte {OFFSET}", dm.btbt("status", "0").stdout)

            r = dm.btbt("stream", "0", "0:1MiB")
            self.assertIn("streaming file 0 from byte 1048576", r.stdout)
            self.assertEqual(self.stream_of(dm), {"file": 0, "offset": 1048576})
            r = dm.btbt("stream", "0", "--off")
            self.assertIn("streaming off", r.stdout)
            self.assertIsNone(self.stream_of(dm))
            # refused: by the daemon (422, the field named) and by btbt (malformed)
            bad = dm.btbt("stream", "0", "1", check=False)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("stream.file", bad.stderr)
            bad = dm.btbt("stream", "0", "0:16MiB", check=False)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("stream.offset", bad.stderr)
            bad = dm.btbt("stream", "0", "zero:1", check=False)
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("FILE[:OFFSET]", bad.stderr)
            self.assertIsNone(self.stream_of(dm), "a refused change changes nothing")
            dm.btbt("stream", "0", f"0:{OFFSET}")

            # clean restart, then kill -9 restart: the setting is still there
            dm.btbt("daemon", "stop")
            self.assertEqual(dm.child.drain(30), 0, dm.child.stderr_lines[-10:])
            dm = self.daemon.start()
            self.assertEqual(self.stream_of(dm), {"file": 0, "offset": OFFSET})
            dm.kill9()
            dm = self.daemon.start()
            st = dm.status("0")
            self.assertEqual(st["stream"], {"file": 0, "offset": OFFSET})
            self.assertTrue(st["paused"])

            # resumed: the restored setting drives the download order
            dm.btbt("resume", "0")
            pos = OFFSET // PIECE
            window = range(pos, pos + 16)
            before = range(8, pos - 8)  # far from the position (not the file's first pieces)
            deadline = time.time() + 90
            sample = None
            while time.time() < deadline:
                st = dm.status("0")
                if all(have(st["pieces"], i) for i in window):
                    sample = st
                    break
                time.sleep(0.1)
            self.assertIsNotNone(sample, "the stream window did not complete in 90 s")
            done_before = sum(have(sample["pieces"], i) for i in before)
            self.assertLess(sample["pieces_done"], 200, f"sampled too late to tell: {sample['pieces_done']} pieces done")
            self.assertLessEqual(done_before, len(before) // 10,
                                 f"{done_before} of {len(before)} far pieces done before the stream window")

            lst = dm.wait_until(lambda l: l[0]["state"] == "seeding", 120, "download complete")
            self.assertEqual(lst[0]["progress"], 1.0)
            fixtures.assert_same_file(self, os.path.join(self.src, "movie.bin"), os.path.join(self.out, "movie.bin"))
            self.assertEqual(dm.status("0")["pieces"], "f" * 64)

        dm.btbt("stream", "0", "--off")
        dm.kill9()
        dm = self.daemon.start()
        self.assertIsNone(self.stream_of(dm))


if __name__ == "__main__":
    unittest.main()
