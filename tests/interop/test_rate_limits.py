"""Rate limits of the engine against libtorrent (python3-libtorrent 2.0), on loopback:

- a per-torrent download limit (`ccbt --download-limit 2MiB`) holds within ±10 % between t=5 s and
  t=25 s of a download from an unthrottled libtorrent seeder;
- a global upload limit (`--set limits.upload_rate=1MiB`) holds within ±10 % while libtorrent
  downloads from a `ccbt seed`;
- a low upload limit does not collapse the download: ccbt downloads from one libtorrent peer while
  uploading to another under a 100 KiB/s upload limit, and still downloads at the (throttled)
  seeder's rate, tens of times the upload limit;
- a per-peer limit (`limits.peer_download_rate`) applies to each of two seeders;
- hot reload: `ccbt --config FILE` runs at the file's download limit; the limit changed in the file
  applies while running; a broken edit keeps the running configuration; a restart-only key is
  reported, not applied.

Rates are measured from ccbt's (or libtorrent's) --status-json lines: total payload bytes, time-stamped
as they arrive (the lines come once a second). Every process is bounded in time.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

MIB = 1 << 20
PIECE = 256 * 1024
SIZE = 96 * MIB  # more than 25 s at 2 MiB/s, and the hot-reload test's phases


def collect(child, key, until, stop_when=None):
    """Reads `child`'s status lines until time `until` (or stop_when(obj)); returns [(time, key value)]."""
    samples = []
    while time.time() < until:
        try:
            obj = child.wait_for(lambda o: o.get("event") in ("status", "finished", "config"),
                                 max(0.1, until - time.time()), what="status")
        except TimeoutError:
            break
        if obj.get("event") == "status" and key in obj:
            samples.append((time.time(), obj[key]))
        if obj.get("event") == "finished" or (stop_when and stop_when(obj)):
            break
    return samples


def rate_between(samples, t0, t1, what=""):
    """Bytes/s between the samples nearest to times t0 and t1 (printed on stderr for the record)."""
    a = min(samples, key=lambda s: abs(s[0] - t0))
    b = min(samples, key=lambda s: abs(s[0] - t1))
    if b[0] - a[0] < 1:
        raise AssertionError(f"not enough samples between {t0} and {t1}: {samples}")
    rate = (b[1] - a[1]) / (b[0] - a[0])
    print(f"  {what}: {rate / MIB:.3f} MiB/s over {b[0] - a[0]:.1f} s", file=sys.stderr)
    return rate


class RateLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-rates-")
        cls.dir = cls.tmp.path
        cls.src = os.path.join(cls.dir, "src")
        cls.file = os.path.join(cls.src, "big.bin")
        fixtures.write_random_file(cls.file, SIZE, 5)
        data, cls.ti = fixtures.make_torrent(cls.file, PIECE)
        cls.torrent = os.path.join(cls.dir, "big.torrent")
        with open(cls.torrent, "wb") as f:
            f.write(data)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def out_dir(self, name):
        return os.path.join(self.dir, "out-" + name)

    def test_download_limit_per_torrent(self):
        limit = 2 * MIB
        with fixtures.lt_seeder(self.torrent, self.src, seconds=60) as seeder, \
             fixtures.ccbt_download(self.torrent, self.out_dir("dl"), peers=[f"127.0.0.1:{seeder.port}"], seconds=40,
                                    extra=("--no-resume", "--download-limit", "2MiB")) as dl:
            start = time.time()
            samples = collect(dl, "total_download", start + 27)
            rate = rate_between(samples, start + 5, start + 25, "per-torrent download limit 2 MiB/s")
            self.assertAlmostEqual(rate / limit, 1.0, delta=0.10, msg=f"download rate {rate:.0f} B/s, limit {limit}")

    def test_upload_limit_global(self):
        limit = 1 * MIB
        with fixtures.ccbt_seed(self.torrent, self.src, seconds=60,
                                extra=("--no-resume", "--set", "limits.upload_rate=1MiB")) as seed, \
             fixtures.lt_downloader(self.torrent, self.out_dir("lt-up"), peers=[f"127.0.0.1:{seed.port}"],
                                    seconds=40) as lt:
            start = time.time()
            samples = collect(lt, "total_download", start + 27)
            rate = rate_between(samples, start + 5, start + 25, "global upload limit 1 MiB/s")
            self.assertAlmostEqual(rate / limit, 1.0, delta=0.10, msg=f"upload rate {rate:.0f} B/s, limit {limit}")

    def test_upload_limit_does_not_collapse_download(self):
        up_limit = 100 * 1024
        seeder_rate = 8 * MIB
        with fixtures.lt_seeder(self.torrent, self.src, seconds=60, upload_limit=seeder_rate) as seeder, \
             fixtures.ccbt_download(self.torrent, self.out_dir("both"), peers=[f"127.0.0.1:{seeder.port}"],
                                    seconds=40, extra=("--no-resume", "--seed", "--set",
                                                       "limits.upload_rate=100KiB")) as dl, \
             fixtures.lt_downloader(self.torrent, self.out_dir("lt-leech"), peers=[f"127.0.0.1:{dl.port}"],
                                    seconds=40) as leech:
            start = time.time()
            samples = collect(dl, "total_download", start + 10)
            rate = rate_between(samples, start + 2, start + 9, "download under a 100 KiB/s upload limit")
            # ccbt really uploaded to the other libtorrent peer meanwhile, within its limit.
            t = time.time()
            up = collect(dl, "total_upload", t + 6)
            self.assertGreater(up[-1][1], 0, "ccbt uploaded to the libtorrent leecher")
            up_rate = rate_between(up, t, t + 6, "upload meanwhile (limit 100 KiB/s)")
            self.assertLess(up_rate, 1.3 * up_limit, f"upload {up_rate:.0f} B/s, limit {up_limit}")
            self.assertGreater(rate, 20 * up_limit, f"download {rate:.0f} B/s under a {up_limit} B/s upload limit")
            self.assertGreater(rate, 0.5 * seeder_rate, f"download {rate:.0f} B/s, seeder gives {seeder_rate}")
            leech.stop()

    def test_peer_download_limit(self):
        limit = 1 * MIB
        with fixtures.lt_seeder(self.torrent, self.src, seconds=60, name="seed-a") as a, \
             fixtures.lt_seeder(self.torrent, self.src, seconds=60, name="seed-b") as b, \
             fixtures.ccbt_download(self.torrent, self.out_dir("peer"),
                                    peers=[f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"], seconds=30,
                                    extra=("--no-resume", "--set", "limits.peer_download_rate=1MiB")) as dl:
            start = time.time()
            samples = collect(dl, "total_download", start + 17)
            rate = rate_between(samples, start + 5, start + 16, "two peers at 1 MiB/s each")
            # Two peers, each limited: twice the per-peer limit.
            self.assertAlmostEqual(rate / (2 * limit), 1.0, delta=0.12, msg=f"download rate {rate:.0f} B/s")
            self.assertEqual(len([x for x in dl.alerts("peer_connected")]), 2)

    def test_hot_reload(self):
        conf = os.path.join(self.dir, "hot.toml")
        with open(conf, "w") as f:
            f.write('[limits]\ndownload_rate = "1 MiB"\n')
        with fixtures.lt_seeder(self.torrent, self.src, seconds=60) as seeder, \
             fixtures.ccbt_download(self.torrent, self.out_dir("hot"), peers=[f"127.0.0.1:{seeder.port}"], seconds=45,
                                    extra=("--no-resume", "--config", conf)) as dl:
            start = time.time()
            samples = collect(dl, "total_download", start + 9)
            first = rate_between(samples, start + 3, start + 9, "config 1 MiB/s")
            self.assertAlmostEqual(first / MIB, 1.0, delta=0.15, msg=f"rate {first:.0f} B/s at 1 MiB/s")

            # The edit applies while running (an editor-like replace by rename).
            with open(conf + ".tmp", "w") as f:
                f.write('[limits]\ndownload_rate = "3 MiB"\n')
            os.replace(conf + ".tmp", conf)
            ev = dl.wait_for(lambda o: o.get("event") == "config", 10, what="config reload")
            self.assertTrue(ev["ok"], ev)
            self.assertIn("limits.download_rate", ev["applied"])
            self.assertEqual(ev["download_rate_limit"], 3 * MIB)
            t = time.time()
            samples = collect(dl, "total_download", t + 8)
            second = rate_between(samples, t + 2, t + 8, "reloaded 3 MiB/s")
            self.assertAlmostEqual(second / (3 * MIB), 1.0, delta=0.15, msg=f"rate {second:.0f} B/s at 3 MiB/s")

            # A broken edit: reported, the running configuration stays.
            with open(conf, "w") as f:
                f.write('[limits]\ndownload_rate = "fast"\n')
            ev = dl.wait_for(lambda o: o.get("event") == "config", 10, what="config error")
            self.assertFalse(ev["ok"], ev)
            self.assertIn("limits.download_rate", ev["error"])
            self.assertEqual(ev["download_rate_limit"], 3 * MIB)
            dl.wait_stderr(r"configuration not reloaded, the running one is kept", 5)

            # A restart-only key: reported, not applied; the live key next to it is.
            with open(conf, "w") as f:
                f.write('[limits]\ndownload_rate = "2 MiB"\n[disk]\nio_threads = 3\n')
            ev = dl.wait_for(lambda o: o.get("event") == "config", 10, what="config reload")
            self.assertTrue(ev["ok"], ev)
            self.assertIn("disk.io_threads", ev["restart"])
            self.assertEqual(ev["download_rate_limit"], 2 * MIB)
            dl.wait_stderr(r"takes effect at the next start: .*disk\.io_threads", 5)

    def test_stream_fetches_the_position_first(self):
        # Streaming from the middle of the file under a 2 MiB/s limit: after ~8 s (about 14 MiB of the
        # 96 MiB) the file's first and last piece and 6 MiB from the stream position are on disk.
        out = self.out_dir("stream")
        pos = 48 * MIB
        with fixtures.lt_seeder(self.torrent, self.src, seconds=60) as seeder, \
             fixtures.ccbt_download(self.torrent, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=8,
                                    extra=("--no-resume", "--download-limit", "2MiB", "--stream", f"0:{pos}")) as dl:
            self.assertEqual(dl.drain(30), 3, "stopped by --seconds before completion")
            final = dl.events[-1]
        self.assertLess(final["total_download"], SIZE // 4, final)
        with open(self.file, "rb") as f:
            src = f.read()
        with open(os.path.join(out, "big.bin"), "rb") as f:
            got = f.read()
        for lo, hi, what in ((0, PIECE, "first piece"), (SIZE - PIECE, SIZE, "last piece"),
                             (pos, pos + 6 * MIB, "6 MiB from the stream position")):
            self.assertTrue(got[lo:hi] == src[lo:hi], what)

    def test_stream_rejects_a_missing_file(self):
        with fixtures.lt_seeder(self.torrent, self.src, seconds=30) as seeder:
            argv = [fixtures.binary("ccbt"), "download", self.torrent, "-o", self.out_dir("stream-bad"), "--listen",
                    "127.0.0.1:0", "--no-resume", "--seconds", "10", "--stream", "5", "--peer",
                    f"127.0.0.1:{seeder.port}"]
            with fixtures.Child(argv, 15, name="ccbt-bad-stream") as c:
                self.assertEqual(c.drain(20), 2)
                c.wait_stderr(r"--stream 5: the torrent has no file 5", 5)


if __name__ == "__main__":
    unittest.main()
