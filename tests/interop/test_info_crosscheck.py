"""`ccbt info --json` against libtorrent's torrent_info for torrents libtorrent creates.

About 20 torrents with seeded random layouts (single file, many files, nested directories, empty
files, odd sizes, several piece sizes; v1, v2 and hybrid) are created with python3-libtorrent in a
temporary directory. For each, ccbt must report the same info-hashes, piece length, piece count,
total size and file list (path, size, offset, pad flag) as lt.torrent_info — pad files included, so
this also pins down the v2 layout libtorrent synthesises (a pad file after every non-aligned file).

Run by CTest with Debian's /usr/bin/python3; CCBT_BIN is the ccbt executable.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest

import libtorrent as lt

CCBT = os.environ.get("CCBT_BIN")
SEED = 0xCCB7
NUM_TORRENTS = 21
KIB = 1024


def random_layout(rng, index):
    """A list of (relative path, size) for one torrent; index picks the kind of layout."""
    kind = index % 7
    if kind == 0:  # one file
        return [("single_%d.bin" % index, rng.choice([1, 5, 16 * KIB, 16 * KIB + 1, rng.randrange(1, 300 * KIB)]))]
    files = []
    count = {1: 2, 2: rng.randrange(3, 9), 3: rng.randrange(10, 40), 4: rng.randrange(2, 6),
             5: rng.randrange(4, 12), 6: rng.randrange(2, 5)}[kind]
    used = set()
    for n in range(count):
        depth = rng.randrange(0, 4) if kind in (3, 5) else rng.randrange(0, 2)
        parts = ["d%d" % rng.randrange(0, 3) for _ in range(depth)]
        name = "f%d_%d%s" % (n, rng.randrange(1000), rng.choice(["", ".txt", ".bin", ".tar.gz"]))
        path = "/".join(parts + [name])
        if path.lower() in used:
            continue
        used.add(path.lower())
        if kind == 4 or rng.random() < 0.15:
            size = 0  # empty files
        elif kind == 6:
            size = rng.choice([16 * KIB, 32 * KIB, 64 * KIB])  # piece-aligned sizes
        else:
            size = rng.choice([1, 3, 1000, 16 * KIB - 1, 16 * KIB + 1, rng.randrange(1, 200 * KIB),
                               rng.randrange(200 * KIB, 700 * KIB)])
        files.append((path, size))
    if all(size == 0 for _, size in files):
        files.append(("nonempty.bin", 12345))
    # Directory names must not collide with file names (libtorrent would rename; tested elsewhere).
    dirs = {"/".join(p.split("/")[:i]) for p, _ in files for i in range(1, p.count("/") + 1)}
    return [(p, s) for p, s in files if p not in dirs]


def write_tree(root, layout, rng):
    for path, size in layout:
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(rng.randbytes(size))


def lt_files(ti):
    fs = ti.files()
    out = []
    for i in range(fs.num_files()):
        out.append({
            "path": fs.file_path(i),
            "size": fs.file_size(i),
            "offset": fs.file_offset(i),
            "pad": bool(fs.file_flags(i) & lt.file_storage.flag_pad_file),
        })
    return out


def hex_or_none(h, width):
    s = str(h)
    return None if s == "0" * width else s


class InfoCrossCheck(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not CCBT:
            raise unittest.SkipTest("CCBT_BIN is not set")
        cls.tmp = tempfile.TemporaryDirectory(prefix="ccbt-info-")
        cls.cases = []
        rng = random.Random(SEED)
        kinds = [("v1", lt.create_torrent.v1_only), ("v2", lt.create_torrent.v2_only), ("hybrid", 0)]
        for i in range(NUM_TORRENTS):
            version, flags = kinds[i % 3]
            layout = random_layout(rng, i)
            content = os.path.join(cls.tmp.name, "content%d" % i)
            if len(layout) == 1 and i % 7 == 0:
                os.makedirs(content)
                write_tree(content, layout, rng)
                target = os.path.join(content, layout[0][0])
            else:
                target = os.path.join(content, "torrent_%d" % i)
                os.makedirs(target)
                write_tree(target, layout, rng)
            fs = lt.file_storage()
            lt.add_files(fs, target)
            piece_size = rng.choice([16 * KIB, 32 * KIB, 64 * KIB]) if version != "v1" else \
                rng.choice([16 * KIB, 32 * KIB, 48 * KIB, 64 * KIB])
            ct = lt.create_torrent(fs, piece_size, flags=flags)
            ct.add_tracker("http://127.0.0.1:6969/announce", 0)
            lt.set_piece_hashes(ct, os.path.dirname(target))
            data = lt.bencode(ct.generate())
            path = os.path.join(cls.tmp.name, "t%02d_%s.torrent" % (i, version))
            with open(path, "wb") as f:
                f.write(data)
            cls.cases.append((path, version, lt.torrent_info(data)))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def ccbt_info(self, path):
        proc = subprocess.run([CCBT, "info", "--json", path], capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
        return json.loads(proc.stdout)

    def test_all_versions_present(self):
        self.assertEqual({v for _, v, _ in self.cases}, {"v1", "v2", "hybrid"})
        self.assertGreaterEqual(len(self.cases), 20)

    def test_matches_libtorrent(self):
        started = time.monotonic()
        for path, version, ti in self.cases:
            with self.subTest(torrent=os.path.basename(path)):
                got = self.ccbt_info(path)
                ih = ti.info_hashes()
                self.assertEqual(got["info_hash_v1"], hex_or_none(ih.v1, 40))
                self.assertEqual(got["info_hash_v2"], hex_or_none(ih.v2, 64))
                self.assertEqual(got["info_hash_v1"] is not None, version in ("v1", "hybrid"))
                self.assertEqual(got["info_hash_v2"] is not None, version in ("v2", "hybrid"))
                self.assertEqual(got["name"], ti.name())
                self.assertEqual(got["piece_length"], ti.piece_length())
                self.assertEqual(got["num_pieces"], ti.num_pieces())
                self.assertEqual(got["total_size"], ti.total_size())
                mine = [{k: f[k] for k in ("path", "size", "offset", "pad")} for f in got["files"]]
                self.assertEqual(mine, lt_files(ti))
                self.assertEqual(got["trackers"], [["http://127.0.0.1:6969/announce"]])
        self.assertLess(time.monotonic() - started, 60)

    def test_corpus_paths_match_libtorrent(self):
        """The hand-made good corpus (odd paths, duplicates, pad files, symlinks, v2, hybrid): same
        sanitised paths, renames, sizes, offsets and pad flags as libtorrent."""
        corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "torrents", "good")
        names = sorted(n for n in os.listdir(corpus) if n.endswith(".torrent"))
        self.assertGreaterEqual(len(names), 15)
        for name in names:
            with self.subTest(torrent=name):
                path = os.path.join(corpus, name)
                ti = lt.torrent_info(path)
                got = self.ccbt_info(path)
                ih = ti.info_hashes()
                self.assertEqual(got["info_hash_v1"], hex_or_none(ih.v1, 40))
                self.assertEqual(got["info_hash_v2"], hex_or_none(ih.v2, 64))
                self.assertEqual(got["num_pieces"], ti.num_pieces())
                self.assertEqual(got["total_size"], ti.total_size())
                mine = [{k: f[k] for k in ("path", "size", "offset", "pad")} for f in got["files"]]
                self.assertEqual(mine, lt_files(ti))
                fs = ti.files()
                for i, f in enumerate(got["files"]):
                    is_link = bool(fs.file_flags(i) & lt.file_storage.flag_symlink)
                    self.assertEqual(f["symlink"], is_link, f["path"])
                    self.assertEqual(f["executable"], bool(fs.file_flags(i) & lt.file_storage.flag_executable))
                    self.assertEqual(f["hidden"], bool(fs.file_flags(i) & lt.file_storage.flag_hidden))
                    if is_link:
                        self.assertEqual(f["symlink_target"], fs.symlink(i), f["path"])

    def test_bad_input_is_one_line(self):
        bad = os.path.join(self.tmp.name, "bad.torrent")
        with open(bad, "wb") as f:
            f.write(b"d4:infod4:name1:xee")
        proc = subprocess.run([CCBT, "info", bad], capture_output=True, timeout=30)
        self.assertEqual(proc.returncode, 1)
        lines = proc.stderr.decode().strip().split("\n")
        self.assertEqual(len(lines), 1, lines)
        self.assertTrue(lines[0].startswith("ccbt: %s: " % bad), lines[0])
        missing = subprocess.run([CCBT, "info", os.path.join(self.tmp.name, "nope.torrent")],
                                 capture_output=True, timeout=30)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("cannot open", missing.stderr.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
