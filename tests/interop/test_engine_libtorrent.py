"""The peer engine against libtorrent (python3-libtorrent 2.0), on loopback:

- ccbt downloads v1, v1 with pad files, v2-only and hybrid torrents from a libtorrent seeder: a folder
  (nested directories, empty files, sizes that are not multiples of the piece size, so v1 pieces
  straddle files and v2/hybrid have pad files) and a single file;
- libtorrent downloads the same from a `ccbt seed`;
- a swarm of ccbt (starting empty) and three libtorrent peers that each start with a different part
  of the pieces: every node completes.

Downloaded data is compared byte for byte with the original. Run through ctest (CCBT_BIN is set
there). Every process is bounded in time; the whole file takes well under a minute.
"""
import os
import shutil
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

PIECE = 64 * 1024
# Odd sizes: v1 pieces straddle files; v2/hybrid add a pad file after every file that does not end
# on a piece boundary. Empty files at several depths; one file of exactly three pieces.
TREE = {
    "a.bin": 100_001,
    "empty-top": 0,
    "sub/b.bin": 1_234_567,
    "sub/small.txt": 777,
    "sub/deeper/c.bin": 2_000_003,
    "sub/deeper/empty-deep": 0,
    "z/exact.bin": 3 * PIECE,
    "z/tail.bin": 5,
}
SINGLE_SIZE = 3_000_001
KINDS = ("v1", "v1-pad", "v2", "hybrid")


def finished_ok(tc, child, rc, what):
    tc.assertEqual(rc, 0, f"{what}: ccbt exit code; stderr: {child.stderr_lines[-10:]}")
    final = child.events[-1] if child.events else {}
    tc.assertEqual(final.get("event"), "finished", f"{what}: last line {final}")
    tc.assertEqual(final["pieces"], final["num_pieces"], what)
    tc.assertEqual(final["failed_bytes"], 0, what)
    tc.assertFalse(child.alerts("hash_failed"), what)
    tc.assertFalse(child.alerts("storage_error"), what)
    return final


class Content:
    """The source data and the torrents of every kind, made once per test class."""

    def __init__(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-lt-")
        self.dir = self.tmp.path
        self.src = os.path.join(self.dir, "src")
        self.tree = os.path.join(self.src, "tree")
        fixtures.write_tree(self.tree, TREE, seed=7)
        self.single = os.path.join(self.src, "single.bin")
        fixtures.write_random_file(self.single, SINGLE_SIZE, 99)
        self.torrents = {}
        for kind in KINDS:
            for shape, path in (("tree", self.tree), ("single", self.single)):
                data, ti = fixtures.make_torrent(path, PIECE, kind)
                tpath = os.path.join(self.dir, f"{shape}-{kind}.torrent")
                with open(tpath, "wb") as f:
                    f.write(data)
                self.torrents[(shape, kind)] = (tpath, ti)

    def expected(self, shape):
        return self.tree if shape == "tree" else self.single

    def check_output(self, tc, shape, out_dir):
        if shape == "tree":
            fixtures.assert_same_tree(tc, self.tree, os.path.join(out_dir, "tree"))
        else:
            fixtures.assert_same_file(tc, self.single, os.path.join(out_dir, "single.bin"))
        # Nothing else in the download directory but ccbt's resume database.
        extra = sorted(set(os.listdir(out_dir)) - {"tree", "single.bin"})
        tc.assertTrue(all(n.startswith(".ccbt-resume.sqlite") for n in extra), f"unexpected files {extra}")

    def close(self):
        self.tmp.__exit__(None, None, None)


class CcbtDownloadsFromLibtorrent(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Content()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def download(self, shape, kind, extra=("--no-resume",)):
        """ccbt downloads (shape, kind) from a fresh libtorrent seeder; returns (final event, ti)."""
        tpath, ti = self.c.torrents[(shape, kind)]
        out = os.path.join(self.c.dir, f"out-ccbt-{shape}-{kind}")
        shutil.rmtree(out, ignore_errors=True)
        with fixtures.lt_seeder(tpath, self.c.src, seconds=40) as seeder:
            self.assertEqual(seeder.ready["pieces"], ti.num_pieces(), "the libtorrent seeder is complete")
            with fixtures.ccbt_download(tpath, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=30,
                                        extra=extra) as dl:
                rc = dl.drain(40)
                final = finished_ok(self, dl, rc, f"{shape} {kind}")
                self.assertTrue(dl.alerts("peer_connected"), "connected to the seeder")
        self.c.check_output(self, shape, out)
        return final, ti

    def test_fixture_has_pads_and_straddling_pieces(self):
        # The v1-pad/v2/hybrid torrents really have pad files; the v1 one has pieces across files.
        for kind in ("v1-pad", "v2", "hybrid"):
            self.assertGreater(fixtures.pad_size(self.c.torrents[("tree", kind)][1]), 0, kind)
        _, ti = self.c.torrents[("tree", "v1")]
        self.assertEqual(fixtures.pad_size(ti), 0)
        fs = ti.files()
        self.assertTrue(any(fs.file_offset(i) % PIECE for i in range(fs.num_files()) if fs.file_size(i)))

    def test_v1_tree(self):
        self.download("tree", "v1")

    def test_v1_pad_files_tree(self):
        self.download("tree", "v1-pad")

    def test_v2_tree(self):
        self.download("tree", "v2")

    def test_hybrid_tree(self):
        self.download("tree", "hybrid")

    def test_single_file_every_kind(self):
        for kind in ("v1", "v2", "hybrid"):
            with self.subTest(kind=kind):
                self.download("single", kind)

    def test_resume_db_default(self):
        # Without --no-resume ccbt keeps its resume database in the download directory.
        self.download("tree", "hybrid", extra=())
        out = os.path.join(self.c.dir, "out-ccbt-tree-hybrid")
        self.assertTrue(os.path.isfile(os.path.join(out, ".ccbt-resume.sqlite")))

    def test_pad_bytes_not_transferred(self):
        # BEP 47 / BEP 52: pad files are not data. With one seeder (no endgame duplicates) only the
        # 16 KiB blocks that hold at least one byte of a real file cross the wire: a block entirely
        # inside pad files is never requested (a v2 peer may rightly refuse requests past the end of a
        # file's last piece); a block that holds the end of a file and the start of its pad is
        # requested whole, as the protocol's unit is the block.
        for kind in ("v1-pad", "v2", "hybrid"):
            with self.subTest(kind=kind):
                final, ti = self.download("tree", kind)
                expected = data_block_bytes(ti)
                self.assertEqual(final["total_download"], expected,
                                 f"{kind}: downloaded {final['total_download']} bytes; blocks holding file "
                                 f"data: {expected}; files {fixtures.content_size(ti)}, pad {fixtures.pad_size(ti)}")
                self.assertLess(final["total_download"], fixtures.content_size(ti) + fixtures.pad_size(ti))


def data_block_bytes(ti, block=16384):
    """Bytes of the blocks that overlap at least one non-pad file (what must be requested)."""
    fs = ti.files()
    plen = ti.piece_length()
    total = ti.total_size()
    ranges = [(fs.file_offset(i), fs.file_offset(i) + fs.file_size(i)) for i in range(fs.num_files())
              if fs.file_size(i) > 0 and not fs.file_flags(i) & fs.flag_pad_file]
    out = 0
    for piece in range(ti.num_pieces()):
        start = piece * plen
        size = min(plen, total - start)
        for b in range(0, size, block):
            lo, hi = start + b, start + min(b + block, size)
            if any(r0 < hi and r1 > lo for r0, r1 in ranges):
                out += hi - lo
    return out


class LibtorrentDownloadsFromCcbt(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Content()

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def upload(self, shape, kind):
        tpath, ti = self.c.torrents[(shape, kind)]
        out = os.path.join(self.c.dir, f"out-lt-{shape}-{kind}")
        shutil.rmtree(out, ignore_errors=True)
        with fixtures.ccbt_seed(tpath, self.c.src, seconds=40) as seeder:
            self.assertIn(f"{ti.num_pieces()} of {ti.num_pieces()}", seeder.checked["message"],
                          "ccbt's check found every piece")
            with fixtures.lt_downloader(tpath, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=30) as dl:
                done = dl.wait_json("finished", 30)
                self.assertEqual(dl.wait(10), 0)
                self.assertEqual(done["pieces"], ti.num_pieces())
                self.assertFalse([e for e in dl.events if e["event"] in ("error", "peer_banned")])
            # ccbt stops cleanly on SIGINT and reports what it uploaded.
            seeder.send_signal(signal.SIGINT)
            self.assertEqual(seeder.drain(15), 0, seeder.stderr_lines[-10:])
            final = seeder.events[-1]
            self.assertIn(final["event"], ("finished", "stopped"))
            self.assertGreaterEqual(final["total_upload"], fixtures.content_size(ti))
            self.assertFalse(seeder.alerts("storage_error"))
        if shape == "tree":
            fixtures.assert_same_tree(self, self.c.tree, os.path.join(out, "tree"))
        else:
            fixtures.assert_same_file(self, self.c.single, os.path.join(out, "single.bin"))

    def test_v1_tree(self):
        self.upload("tree", "v1")

    def test_v1_pad_files_tree(self):
        self.upload("tree", "v1-pad")

    def test_v2_tree(self):
        self.upload("tree", "v2")

    def test_hybrid_tree(self):
        self.upload("tree", "hybrid")

    def test_single_file_every_kind(self):
        for kind in ("v1", "v2", "hybrid"):
            with self.subTest(kind=kind):
                self.upload("single", kind)


def ranges(pieces):
    return ",".join(str(p) for p in sorted(pieces))


class Swarm(unittest.TestCase):
    """ccbt (empty) + three libtorrent peers, each starting with a different part of the pieces."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-engine-swarm-")
        d = cls.tmp.path
        cls.src = os.path.join(d, "src")
        # ~5 MB in 80 pieces: a few files so pieces straddle files (pad files in hybrid).
        cls.tree = os.path.join(cls.src, "swarm")
        fixtures.write_tree(cls.tree, {"one.bin": 2_100_000, "two/two.bin": 1_700_001, "two/empty": 0,
                                       "three.bin": 1_400_003}, seed=3)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def run_swarm(self, kind):
        d = self.tmp.path
        data, ti = fixtures.make_torrent(self.tree, PIECE, kind)
        tpath = os.path.join(d, f"swarm-{kind}.torrent")
        with open(tpath, "wb") as f:
            f.write(data)
        n = ti.num_pieces()
        # Disjoint-ish: peer k has the pieces i % 3 == k, plus a few of its neighbour's; together
        # they hold everything, no one alone has more than ~40 %.
        have = [{i for i in range(n) if i % 3 == k} | {i for i in range(n) if i % 3 == (k + 1) % 3 and i % 10 == 0}
                for k in range(3)]
        self.assertEqual(set().union(*have), set(range(n)))
        peers = []
        try:
            for k in range(3):
                out = os.path.join(d, f"lt{k}-{kind}")
                shutil.rmtree(out, ignore_errors=True)
                # Each dials the ones already started: together a full mesh.
                p = fixtures.lt_downloader(tpath, out, peers=[f"127.0.0.1:{q.port}" for q in peers],
                                           seconds=60, have_pieces=ranges(have[k]), data_dir=self.src,
                                           stay=True, name=f"lt{k}")
                p.out = out
                self.assertEqual(p.ready["pieces"], len(have[k]), f"lt{k} starts with its share")
                peers.append(p)
            out = os.path.join(d, f"ccbt-{kind}")
            shutil.rmtree(out, ignore_errors=True)
            with fixtures.ccbt_download(tpath, out, peers=[f"127.0.0.1:{p.port}" for p in peers], seconds=50,
                                        extra=["--no-resume", "--seed"]) as cc:
                cc.wait_for(lambda o: o.get("event") == "alert" and o.get("kind") == "torrent_finished", 45,
                            what="ccbt torrent_finished")
                for p in peers:
                    p.wait_json("finished", 45)
                cc.send_signal(signal.SIGINT)
                self.assertEqual(cc.drain(15), 0, cc.stderr_lines[-10:])
                final = cc.events[-1]
                self.assertEqual(final["event"], "finished")
                self.assertEqual(final["pieces"], n)
                self.assertEqual(final["failed_bytes"], 0)
                self.assertGreaterEqual(len({a["peer"] for a in cc.alerts("peer_connected")}), 3)
                # ccbt took part: it served the libtorrent peers pieces they were missing.
                self.assertGreater(final["total_upload"], 0)
            for p in peers:
                p.stop()
                fixtures.assert_same_tree(self, self.tree, os.path.join(p.out, "swarm"))
            fixtures.assert_same_tree(self, self.tree, os.path.join(out, "swarm"))
            return final
        finally:
            for p in peers:
                p.stop()

    def test_swarm_v1(self):
        self.run_swarm("v1")

    def test_swarm_v2(self):
        self.run_swarm("v2")

    def test_swarm_hybrid(self):
        self.run_swarm("hybrid")


if __name__ == "__main__":
    unittest.main(verbosity=2)
