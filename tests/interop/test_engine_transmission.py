"""The peer engine against Transmission (transmission-cli 3.00), on loopback: ccbt downloads v1
torrents seeded by transmission-cli — a folder whose pieces straddle files (nested directories, empty
files, odd sizes) and a v1 folder with BEP 47 pad files (Transmission 3.00 knows nothing of them and
serves them as ordinary files of zeros) — and transmission-cli downloads a v1 folder from `ccbt seed`.
The data is compared byte for byte.

Transmission 3.00 reads no v2 (it refuses hybrid torrents), so only v1 is tested. DHT, LPD, PEX, uTP
and port mapping are off through its settings.json; it accepts incoming loopback connections, so ccbt
dials it. It unchokes a new peer only at its next rechoke (about 10 s), so each case takes ~15 s.
Run through ctest (CCBT_BIN is set there).
"""
import os
import shutil
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

PIECE = 32 * 1024
TREE = {
    "readme.txt": 1_001,
    "empty": 0,
    "media/clip.bin": 1_500_007,
    "media/deep/more.bin": 900_001,
    "media/deep/empty-too": 0,
    "z.bin": 64 * 1024,
}


@unittest.skipUnless(shutil.which("transmission-cli"), "transmission-cli is not installed")
class TransmissionInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-engine-tr-")
        cls.dir = cls.tmp.path
        cls.src = os.path.join(cls.dir, "src")
        cls.tree = os.path.join(cls.src, "tree")
        fixtures.write_tree(cls.tree, TREE, seed=11)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def run_case(self, kind):
        data, ti = fixtures.make_torrent(self.tree, PIECE, kind)
        tpath = os.path.join(self.dir, f"{kind}.torrent")
        with open(tpath, "wb") as f:
            f.write(data)
        # Transmission's download dir is a copy of the source.
        seed_dir = os.path.join(self.dir, f"seed-{kind}")
        shutil.copytree(self.src, seed_dir)
        # Transmission 3.00 treats pad files as ordinary files: give it them (zeros), as a
        # Transmission that downloaded this torrent would have them.
        fs = ti.files()
        for i in range(fs.num_files()):
            if fs.file_flags(i) & fs.flag_pad_file:
                path = os.path.join(seed_dir, fs.file_path(i))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.truncate(fs.file_size(i))
        out = os.path.join(self.dir, f"out-{kind}")
        tr = fixtures.transmission_seeder(tpath, seed_dir, os.path.join(self.dir, f"tr-config-{kind}"), seconds=60)
        try:
            with fixtures.ccbt_download(tpath, out, peers=[f"127.0.0.1:{tr.port}"], seconds=45) as dl:
                rc = dl.drain(55)
                self.assertEqual(rc, 0, f"ccbt exit code; stderr: {dl.stderr_lines[-10:]}; "
                                        f"transmission: {tr.stderr_lines[-10:]}")
                final = dl.events[-1]
                self.assertEqual(final["event"], "finished")
                self.assertEqual(final["pieces"], ti.num_pieces())
                self.assertEqual(final["failed_bytes"], 0)
                self.assertFalse(dl.alerts("hash_failed"))
                self.assertIn(f"127.0.0.1:{tr.port}", {a["peer"] for a in dl.alerts("peer_connected")})
        finally:
            tr.stop(signal.SIGINT)
        fixtures.assert_same_tree(self, self.tree, os.path.join(out, "tree"))
        return final, ti

    def test_v1_pieces_straddle_files(self):
        _, ti = self.run_case("v1")
        self.assertEqual(fixtures.pad_size(ti), 0)

    def test_v1_with_pad_files(self):
        _, ti = self.run_case("v1-pad")
        self.assertGreater(fixtures.pad_size(ti), 0)

    def test_transmission_downloads_from_ccbt(self):
        data, ti = fixtures.make_torrent(self.tree, PIECE, "v1")
        tpath = os.path.join(self.dir, "up-v1.torrent")
        with open(tpath, "wb") as f:
            f.write(data)
        dl_dir = os.path.join(self.dir, "tr-download")
        os.makedirs(dl_dir)
        tr = fixtures.transmission_cli(tpath, dl_dir, os.path.join(self.dir, "tr-config-up"), seconds=60,
                                       verified=False)
        try:
            # ccbt dials Transmission (which ignores loopback peers it would learn elsewhere).
            with fixtures.ccbt_seed(tpath, self.src, seconds=55,
                                    extra=["--no-resume", "--peer", f"127.0.0.1:{tr.port}"]) as seeder:
                tr.wait_stderr(fixtures.TRANSMISSION_COMPLETE, 45)
                seeder.send_signal(signal.SIGINT)
                self.assertEqual(seeder.drain(15), 0, seeder.stderr_lines[-10:])
                self.assertIn(f"127.0.0.1:{tr.port}", {a["peer"] for a in seeder.alerts("peer_connected")})
                self.assertGreaterEqual(seeder.events[-1]["total_upload"], fixtures.content_size(ti))
                self.assertFalse(seeder.alerts("peer_error"))
        finally:
            tr.stop(signal.SIGINT)
        self.assertEqual(tr.proc.returncode, 0)
        # Transmission 3.00 does not create empty files: compare every non-empty file.
        for rel, size in TREE.items():
            path = os.path.join(dl_dir, "tree", rel)
            if size:
                fixtures.assert_same_file(self, os.path.join(self.tree, rel), path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
