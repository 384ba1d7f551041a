"""MSE/PE (Message Stream Encryption) against libtorrent (python3-libtorrent 2.0), Transmission
(transmission-cli 3.00) and ccbt itself, on loopback:

- libtorrent forced to encrypt with RC4 only downloads from `ccbt seed` (incoming MSE, RC4 payload;
  v1, v2-only, and a seeder in disk.read_mode = "mmap");
- ccbt downloads from a libtorrent seeder that requires RC4 (outgoing MSE, RC4 payload);
- libtorrent with its default settings (tries MSE first, plaintext payload preferred) gets an
  encrypted connection to a ccbt seeder on its first attempt — without MSE in ccbt its first attempt
  fails and it reconnects in plaintext about a second later;
- ccbt falls back to plaintext once when the peer does not speak MSE (libtorrent with encryption
  disabled), and does not when network.encryption = "required"; a fake plaintext-only peer counts
  ccbt's attempts: one MSE attempt, then plaintext only, also when ccbt dials it again later;
- network.encryption = "disabled" refuses a libtorrent that insists on encryption;
- Transmission with encryption required seeds to ccbt;
- ccbt to ccbt with RC4.

Downloads are compared byte for byte. Every process is bounded in time. Run through ctest (CCBT_BIN).
"""
import os
import shutil
import signal
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

PIECE = 64 * 1024
SIZE = 6_000_001
FORCED_RC4 = ["--enc-policy", "forced", "--enc-level", "rc4"]


class PlaintextOnlyPeer:
    """A fake peer that does not speak MSE: it closes a connection whose first bytes are not a
    BitTorrent handshake (counting it in .mse), answers a plaintext handshake with its own and
    hangs up half a second later (counting it in .plain). Bounded: accepts for at most 40 s."""

    def __init__(self, info_hash):
        self.info_hash = info_hash
        self.mse = self.plain = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = time.monotonic() + 40
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while time.monotonic() < self.stop:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    head = b""
                    while len(head) < 20:
                        chunk = conn.recv(20 - len(head))
                        if not chunk:
                            break
                        head += chunk
                    if head != b"\x13BitTorrent protocol":
                        self.mse += 1
                        continue
                    self.plain += 1
                    conn.sendall(b"\x13BitTorrent protocol" + bytes(8) + self.info_hash + b"-FK0001-000000000001")
                    time.sleep(0.5)
                except OSError:
                    pass

    def close(self):
        self.stop = 0
        self.sock.close()
        self.thread.join(5)


class MseInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = fixtures.TempDir(prefix="ccbt-engine-mse-")
        cls.dir = cls.tmp.path
        cls.src = os.path.join(cls.dir, "src")
        os.makedirs(cls.src)
        cls.file = os.path.join(cls.src, "data.bin")
        fixtures.write_random_file(cls.file, SIZE, 5)
        data, cls.ti = fixtures.make_torrent(cls.file, PIECE, "v1")
        cls.torrent = os.path.join(cls.dir, "data.torrent")
        with open(cls.torrent, "wb") as f:
            f.write(data)
        # v2-only: the MSE key (SKEY) is the truncated v2 info-hash.
        data2, cls.ti2 = fixtures.make_torrent(cls.file, PIECE, "v2")
        cls.torrent2 = os.path.join(cls.dir, "data-v2.torrent")
        with open(cls.torrent2, "wb") as f:
            f.write(data2)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def out_dir(self, name):
        out = os.path.join(self.dir, name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        return out

    def lt_downloads_from_ccbt(self, name, lt_extra, ccbt_extra=(), torrent=None):
        """libtorrent downloads from `ccbt seed`; returns the seeder's peer_connected alerts."""
        torrent = torrent or self.torrent
        out = self.out_dir(name)
        with fixtures.ccbt_seed(torrent, self.src, seconds=40, extra=["--no-resume"] + list(ccbt_extra)) as seeder:
            with fixtures.lt_downloader(torrent, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=30,
                                        extra=lt_extra) as lt:
                lt.wait_json("finished", 30)
            seeder.send_signal(signal.SIGINT)
            self.assertEqual(seeder.drain(15), 0, seeder.stderr_lines[-10:])
        fixtures.assert_same_file(self, self.file, os.path.join(out, "data.bin"))
        return seeder

    def ccbt_downloads(self, name, peer_port, extra=(), seconds=30, torrent=None):
        out = self.out_dir(name)
        with fixtures.ccbt_download(torrent or self.torrent, out, peers=[f"127.0.0.1:{peer_port}"], seconds=seconds,
                                    extra=["--no-resume"] + list(extra)) as dl:
            rc = dl.drain(seconds + 10)
        return dl, rc, out

    def assert_finished(self, dl, rc, out):
        self.assertEqual(rc, 0, f"ccbt exit code; stderr: {dl.stderr_lines[-10:]}; alerts: {dl.alerts()[-5:]}")
        self.assertEqual(dl.events[-1].get("event"), "finished")
        self.assertEqual(dl.events[-1]["failed_bytes"], 0)
        fixtures.assert_same_file(self, self.file, os.path.join(out, "data.bin"))

    # ---- incoming ----------------------------------------------------------------------------

    def test_libtorrent_forced_rc4_downloads_from_ccbt(self):
        seeder = self.lt_downloads_from_ccbt("out-lt-rc4", FORCED_RC4)
        connected = [a["message"] for a in seeder.alerts("peer_connected")]
        self.assertTrue(connected)
        self.assertTrue(all("(encrypted handshake, RC4 payload)" in m for m in connected), connected)
        self.assertGreaterEqual(seeder.events[-1]["total_upload"], SIZE)

    def test_libtorrent_forced_rc4_from_mmap_seeder(self):
        # RC4 connections read their uploads with pread even in mmap mode (encryption reads the bytes).
        seeder = self.lt_downloads_from_ccbt("out-lt-rc4-mmap", FORCED_RC4, ccbt_extra=["--set", "disk.read_mode=mmap"])
        self.assertIn("RC4 payload", seeder.alerts("peer_connected")[0]["message"])
        self.assertGreaterEqual(seeder.events[-1]["total_upload"], SIZE)

    def test_libtorrent_forced_rc4_v2_only_torrent(self):
        seeder = self.lt_downloads_from_ccbt("out-lt-rc4-v2", FORCED_RC4, torrent=self.torrent2)
        self.assertIn("RC4 payload", seeder.alerts("peer_connected")[0]["message"])

    def test_libtorrent_defaults_connect_encrypted_on_the_first_attempt(self):
        seeder = self.lt_downloads_from_ccbt("out-lt-default", [])
        peer_events = [a for a in seeder.events if a.get("event") == "alert" and a.get("kind", "").startswith("peer_")]
        # The very first thing that happened with a peer is an encrypted connection: no failed
        # attempt (libtorrent's MSE handshake refused) before it.
        self.assertTrue(peer_events)
        self.assertEqual(peer_events[0]["kind"], "peer_connected", peer_events[:3])
        self.assertIn("(encrypted handshake, plaintext payload)", peer_events[0]["message"])
        self.assertFalse(seeder.alerts("peer_error"), seeder.alerts("peer_error"))

    def assert_libtorrent_refused(self, name, ccbt_setting, lt_extra, reason):
        """A ccbt seeder with `ccbt_setting` refuses a libtorrent downloader run with `lt_extra`: no
        byte moves in 6 s, no peer_connected, and a peer_disconnected alert containing `reason`."""
        out = self.out_dir(name)
        with fixtures.ccbt_seed(self.torrent, self.src, seconds=30,
                                extra=["--no-resume", "--set", ccbt_setting]) as seeder:
            with fixtures.lt_downloader(self.torrent, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=20,
                                        extra=lt_extra) as lt:
                deadline = time.time() + 6
                while time.time() < deadline:
                    st = lt.wait_json("status", 5)
                    self.assertEqual(st["total_download"], 0, st)
            seeder.send_signal(signal.SIGINT)
            self.assertEqual(seeder.drain(15), 0)
        self.assertFalse(seeder.alerts("peer_connected"))
        self.assertEqual(seeder.events[-1]["total_upload"], 0)
        refused = [a["message"] for a in seeder.alerts("peer_disconnected")]
        self.assertTrue(any(reason in m for m in refused), refused)

    def test_encryption_disabled_refuses_forced_libtorrent(self):
        self.assert_libtorrent_refused("out-lt-refused", "network.encryption=disabled", FORCED_RC4,
                                       'network.encryption = "disabled"')

    def test_encryption_required_refuses_plaintext_libtorrent(self):
        self.assert_libtorrent_refused("out-lt-plain-refused", "network.encryption=required",
                                       ["--enc-policy", "disabled"], "plaintext handshake refused")

    # ---- outgoing ----------------------------------------------------------------------------

    def test_ccbt_downloads_from_libtorrent_requiring_rc4(self):
        with fixtures.lt_seeder(self.torrent, self.src, seconds=40, extra=FORCED_RC4) as seeder:
            dl, rc, out = self.ccbt_downloads("out-ccbt-rc4", seeder.port)
        self.assert_finished(dl, rc, out)
        connected = [a["message"] for a in dl.alerts("peer_connected")]
        self.assertTrue(connected)
        self.assertIn("(encrypted handshake, RC4 payload)", connected[0])

    def test_ccbt_prefers_rc4_when_asked(self):
        # libtorrent offers both; ccbt (initiator) offers only RC4.
        with fixtures.lt_seeder(self.torrent, self.src, seconds=40) as seeder:
            dl, rc, out = self.ccbt_downloads("out-ccbt-rc4-only", seeder.port,
                                              extra=["--set", "network.encryption_payload=rc4_only"])
        self.assert_finished(dl, rc, out)
        self.assertIn("RC4 payload", dl.alerts("peer_connected")[0]["message"])

    def test_ccbt_falls_back_to_plaintext_once(self):
        # A peer that does not speak MSE closes on our key exchange: one plaintext retry.
        with fixtures.lt_seeder(self.torrent, self.src, seconds=40, extra=["--enc-policy", "disabled"]) as seeder:
            dl, rc, out = self.ccbt_downloads("out-ccbt-fallback", seeder.port)
        self.assert_finished(dl, rc, out)
        connected = [a["message"] for a in dl.alerts("peer_connected")]
        self.assertTrue(connected)
        self.assertNotIn("encrypted", connected[0])

    def test_ccbt_remembers_a_peer_without_mse(self):
        # A plaintext-only peer that answers the BitTorrent handshake and hangs up: ccbt dials it
        # again ~10 s later (back-off after a good connection) and must not try MSE a second time.
        server = PlaintextOnlyPeer(bytes.fromhex(str(self.ti.info_hashes().v1)))
        try:
            out = self.out_dir("out-ccbt-no-mse-memory")
            with fixtures.ccbt_download(self.torrent, out, peers=[f"127.0.0.1:{server.port}"], seconds=40,
                                        extra=["--no-resume"]) as dl:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and server.plain < 2:
                    time.sleep(0.1)
                dl.stop(signal.SIGINT)
        finally:
            server.close()
        self.assertGreaterEqual(server.plain, 2, f"ccbt did not dial again (mse {server.mse}, plain {server.plain})")
        self.assertEqual(server.mse, 1, "exactly one encrypted attempt, then plaintext")

    def test_ccbt_requiring_encryption_does_not_fall_back(self):
        with fixtures.lt_seeder(self.torrent, self.src, seconds=30, extra=["--enc-policy", "disabled"]) as seeder:
            dl, rc, out = self.ccbt_downloads("out-ccbt-no-fallback", seeder.port, seconds=6,
                                              extra=["--set", "network.encryption=required"])
        self.assertEqual(rc, 3, "ccbt ran out of time without the data")
        self.assertFalse(dl.alerts("peer_connected"))
        failures = [a["message"] for a in dl.alerts("peer_disconnected")]
        self.assertTrue(any("encrypted handshake (outgoing)" in m for m in failures), failures)

    # ---- Transmission and ccbt ---------------------------------------------------------------

    @unittest.skipUnless(shutil.which("transmission-cli"), "transmission-cli is not installed")
    def test_transmission_requiring_encryption_seeds_to_ccbt(self):
        tr = fixtures.transmission_seeder(self.torrent, self.src, os.path.join(self.dir, "tr-config"), seconds=60,
                                          encryption="required")
        try:
            dl, rc, out = self.ccbt_downloads("out-ccbt-tr", tr.port, seconds=45)
        finally:
            tr.stop(signal.SIGINT)
        self.assert_finished(dl, rc, out)
        connected = [a["message"] for a in dl.alerts("peer_connected")]
        self.assertTrue(connected)
        self.assertIn("(encrypted handshake, RC4 payload)", connected[0])

    def test_ccbt_to_ccbt_rc4(self):
        with fixtures.ccbt_seed(self.torrent, self.src, seconds=40,
                                extra=["--no-resume", "--set", "network.encryption_payload=rc4_only"]) as seeder:
            dl, rc, out = self.ccbt_downloads("out-ccbt-ccbt", seeder.port)
            seeder.send_signal(signal.SIGINT)
            seeder.drain(15)
        self.assert_finished(dl, rc, out)
        self.assertIn("(encrypted handshake, RC4 payload)", dl.alerts("peer_connected")[0]["message"])
        self.assertIn("(encrypted handshake, RC4 payload)", seeder.alerts("peer_connected")[0]["message"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
