"""`btbt create` against libtorrent's create_torrent (python3-libtorrent 2.0): for v1, v2 and hybrid,
single files and folders (nested, empty files, odd sizes so pad files appear, an executable file, a
symlink, names that sort differently per component than as whole strings), several piece sizes and
the automatic one, the info dict must be byte-for-byte libtorrent's, and so the info-hashes. With
the same trackers, web seeds, comment and creator the whole .torrent must be equal too (libtorrent
always writes a creation date; it is removed from its output and `--no-date` is given to btbt).

Run through ctest (BTBT_BIN is set there). Everything is local; bounded well under 60 s.
"""
import hashlib
import json
import os
import stat
import subprocess
import sys
import time
import unittest

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

FLAGS = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}


def lt_create(path, piece_size, kind, trackers=(), web_seeds=(), comment=None, creator=None, private=False):
    """libtorrent's torrent for `path`, as a dict entry without 'creation date'."""
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, piece_size, flags=FLAGS[kind])
    for tier, urls in enumerate(trackers):
        for url in urls:
            ct.add_tracker(url, tier)
    for url in web_seeds:
        ct.add_url_seed(url)
    if comment:
        ct.set_comment(comment)
    if creator:
        ct.set_creator(creator)
    if private:
        ct.set_priv(True)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(path)))
    entry = ct.generate()
    entry.pop(b"creation date", None)
    return entry


def btbt_create(path, out, piece_size, kind, extra=()):
    argv = [fixtures.binary("btbt"), "create", path, "-o", out, "--force", "--no-date", "--json", "--" + kind]
    if "--created-by" not in extra:
        argv += ["--created-by", ""]
    if piece_size:
        argv += ["--piece-size", str(piece_size)]
    argv += list(extra)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"btbt create failed ({r.returncode}): {r.stderr.strip()}")
    with open(out, "rb") as f:
        data = f.read()
    return data, json.loads(r.stdout)


class CreateMatchesLibtorrent(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-create-")
        root = cls.tmp.path
        w = fixtures.write_random_file
        # A single file of an odd size, executable (libtorrent writes attr "x").
        cls.single = os.path.join(root, "single.bin")
        w(cls.single, 300_001, 1)
        os.chmod(cls.single, 0o755)
        # A folder: nested directories, empty files, odd sizes, an exact piece, a file of many pieces,
        # an executable, a hidden file, a file symlink, and names whose order differs between a
        # component-wise and a whole-string sort ("a-b" vs "a/z").
        tree = os.path.join(root, "tree")
        cls.tree = tree
        w(os.path.join(tree, "a-b"), 5, 2)
        w(os.path.join(tree, "a", "z"), 70_000, 3)
        w(os.path.join(tree, "a", "deeper", "x.dat"), 16_384, 4)
        w(os.path.join(tree, "B.txt"), 1, 5)
        w(os.path.join(tree, "big", "many-pieces.bin"), 1_000_003, 6)
        w(os.path.join(tree, ".hidden"), 333, 7)
        w(os.path.join(tree, "\u00e9t\u00e9.txt"), 65_536, 8)
        os.makedirs(os.path.join(tree, "empty-dir"))
        open(os.path.join(tree, "empty"), "wb").close()
        open(os.path.join(tree, "a", "deeper", "empty2"), "wb").close()
        open(os.path.join(tree, "empty-exec"), "wb").close()
        os.chmod(os.path.join(tree, "empty-exec"), 0o755)
        # A name that is not UTF-8: both keep the raw bytes.
        with open(os.path.join(tree.encode(), b"raw\xff\xfename"), "wb") as f:
            f.write(b"x" * 100)
        w(os.path.join(tree, "run.sh"), 4_097, 9)
        os.chmod(os.path.join(tree, "run.sh"), 0o755)
        os.symlink("B.txt", os.path.join(tree, "link-to-B"))
        w(os.path.join(tree, "zzz-last.bin"), 12_345, 10)
        # A folder holding one file (a multi-file torrent without pad files).
        cls.one = os.path.join(root, "one")
        w(os.path.join(cls.one, "only.bin"), 99_999, 11)
        cls.out = os.path.join(root, "out.torrent")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def check(self, path, piece_size, kind, extra=(), **lt_kwargs):
        entry = lt_create(path, piece_size, kind, **lt_kwargs)
        ours, summary = btbt_create(path, self.out, piece_size, kind, extra)
        theirs_info = lt.bencode(entry[b"info"])
        ours_info = lt.bencode(lt.bdecode(ours)[b"info"])
        label = f"{os.path.basename(path)} {kind} piece={piece_size or 'auto'}"
        self.assertEqual(ours_info, theirs_info, f"info dict differs: {label}")
        if kind != "v2":
            self.assertEqual(summary["info_hash_v1"], hashlib.sha1(theirs_info).hexdigest(), label)
        else:
            self.assertIsNone(summary["info_hash_v1"], label)
        if kind != "v1":
            self.assertEqual(summary["info_hash_v2"], hashlib.sha256(theirs_info).hexdigest(), label)
        else:
            self.assertIsNone(summary["info_hash_v2"], label)
        # The whole file (piece layers, trackers, ...) too.
        self.assertEqual(ours, lt.bencode(entry), f"torrent differs: {label}")
        # And libtorrent loads ours with the same hashes.
        ti = lt.torrent_info(lt.bdecode(ours))
        ih = ti.info_hashes()
        if kind != "v2":
            self.assertEqual(str(ih.v1), summary["info_hash_v1"])
        if kind != "v1":
            self.assertEqual(str(ih.v2), summary["info_hash_v2"])

    def test_single_file(self):
        for kind in ("v1", "v2", "hybrid"):
            for ps in (16384, 65536, 0):
                with self.subTest(kind=kind, piece_size=ps):
                    self.check(self.single, ps, kind)

    def test_folder(self):
        for kind in ("v1", "v2", "hybrid"):
            for ps in (16384, 32768, 262144, 0):
                with self.subTest(kind=kind, piece_size=ps):
                    self.check(self.tree, ps, kind)

    def test_folder_with_one_file(self):
        for kind in ("v1", "v2", "hybrid"):
            with self.subTest(kind=kind):
                self.check(self.one, 16384, kind)

    def test_v1_piece_size_not_a_power_of_two(self):
        # v1 accepts any multiple of 16 KiB (libtorrent does too).
        self.check(self.tree, 49152, "v1")

    def test_trackers_web_seeds_comment_private(self):
        trackers = [["http://127.0.0.1:1/a", "http://127.0.0.1:2/b"], ["udp://127.0.0.1:3"]]
        seeds = ["http://127.0.0.1:4/s1/", "http://127.0.0.1:5/s2/"]
        extra = ["-t", ",".join(trackers[0]), "-t", trackers[1][0], "-w", seeds[0], "-w", seeds[1],
                 "--comment", "made by the interop test", "--created-by", "ccbt test", "--private"]
        for kind in ("v1", "hybrid"):
            with self.subTest(kind=kind):
                self.check(self.tree, 32768, kind, extra, trackers=trackers, web_seeds=seeds,
                           comment="made by the interop test", creator="ccbt test", private=True)
        # One tracker and one web seed: no announce-list, url-list is a string.
        self.check(self.single, 32768, "v2", ["-t", trackers[0][0], "-w", seeds[0]],
                   trackers=[trackers[0][:1]], web_seeds=seeds[:1])

    def test_errors(self):
        btbt = fixtures.binary("btbt")
        empty = os.path.join(self.tmp.path, "nothing")
        os.makedirs(os.path.join(empty, "sub"), exist_ok=True)
        open(os.path.join(empty, "sub", "zero"), "wb").close()
        cases = [
            ([empty, "-o", self.out, "--force"], "nothing to hash"),
            ([os.path.join(self.tmp.path, "missing"), "-o", self.out, "--force"], "no such file"),
            ([self.tree, "-o", self.out, "--force", "--v2", "--piece-size", "48KiB"], "invalid piece length"),
            ([self.tree, "-o", self.out, "--force", "--piece-size", "12 parsecs"], "--piece-size"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                r = subprocess.run([btbt, "create"] + args, capture_output=True, text=True, timeout=30)
                self.assertEqual(r.returncode, 1, r.stderr)
                lines = r.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("btbt: "), r.stderr)
                self.assertIn(message, lines[0])
        # An existing output is not overwritten without --force.
        with open(self.out, "wb") as f:
            f.write(b"keep")
        r = subprocess.run([btbt, "create", self.single, "-o", self.out], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), b"keep")


if __name__ == "__main__":
    start = time.time()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"elapsed {time.time() - start:.1f}s")
    sys.exit(0 if result.wasSuccessful() else 1)
