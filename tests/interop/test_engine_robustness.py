"""The peer engine under bad peers and crashes, on loopback, with libtorrent (python3-libtorrent 2.0)
as the honest peers:

- a peer that serves corrupt data (a libtorrent seeder whose files were changed after its check) is
  detected (hash_failed), banned (peer_banned naming it), and the download still completes from an
  honest seeder with correct data;
- `kill -9` in the middle of a download, then a restart on the same directory: the pieces verified
  before the kill are not downloaded again and the final data is correct;
- peers that break the protocol right after the handshake (an absurd message length, a bitfield of
  the wrong size, a `have` or a `request` for a piece that does not exist), outgoing and incoming, are
  each closed with a peer_error alert, and the download from an honest seeder completes;
- a peer that stops in the middle of its BitTorrent handshake is closed once
  network.handshake_timeout_ms has passed.

Run through ctest (CCBT_BIN is set there). Every process and socket is bounded in time.
"""
import itertools
import os
import random
import re
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

PIECE = 64 * 1024


def write_torrent(path, content, kind):
    data, ti = fixtures.make_torrent(content, PIECE, kind)
    with open(path, "wb") as f:
        f.write(data)
    return ti


def is_alert(kind, peer=None):
    return lambda o: o.get("event") == "alert" and o.get("kind") == kind and (peer is None or o.get("peer") == peer)


class CorruptPeer(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-corrupt-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def run_case(self, kind):
        d = self.tmp.path
        good = os.path.join(d, "good")
        tree = os.path.join(good, "data")
        fixtures.write_tree(tree, {"a.bin": 1_500_001, "b/c.bin": 1_700_003, "b/empty": 0}, seed=5)
        tpath = os.path.join(d, f"{kind}.torrent")
        ti = write_torrent(tpath, tree, kind)
        n = ti.num_pieces()
        bad = os.path.join(d, f"bad-{kind}")
        shutil.copytree(good, bad)
        out = os.path.join(d, f"out-{kind}")
        # The liar has every piece but two thirds of them are corrupt (a byte flipped in every block);
        # it answers first and fast. The honest seeder is slowed down so the liar is used a lot.
        corrupt = ",".join(str(i) for i in range(n) if i % 3 != 2)
        with fixtures.lt_seeder(tpath, bad, seconds=60, corrupt_pieces=corrupt, name="lt-liar") as liar, \
                fixtures.lt_seeder(tpath, good, seconds=60, upload_limit=1_000_000, name="lt-honest") as honest:
            self.assertGreater(liar.ready.get("corrupted", 0), n)
            liar_ep, honest_ep = f"127.0.0.1:{liar.port}", f"127.0.0.1:{honest.port}"
            with fixtures.ccbt_download(tpath, out, peers=[liar_ep, honest_ep], seconds=40,
                                        extra=["--no-resume"]) as dl:
                rc = dl.drain(50)
        self.assertEqual(rc, 0, f"ccbt exit code; stderr {dl.stderr_lines[-10:]}")
        final = dl.events[-1]
        self.assertEqual(final["event"], "finished")
        self.assertEqual(final["pieces"], n)
        self.assertGreater(final["failed_bytes"], 0)
        fails = [a["message"] for a in dl.alerts("hash_failed")]
        self.assertTrue(any(liar_ep in m for m in fails), f"no hash_failed naming the liar: {fails}")
        banned = dl.alerts("peer_banned")
        self.assertEqual([a["peer"] for a in banned], [liar_ep], "exactly the liar is banned")
        self.assertFalse([a for a in dl.alerts("peer_error") if a["peer"] == honest_ep], "the honest seeder stayed")
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))
        # The honest seeder never sent a bad byte: no failed piece may be put on it alone (a piece
        # completed by the honest seeder after the liar's ban still holds the liar's blocks).
        blamed_on_honest = [m for m in fails if re.search(r"\(from 127\.0\.0\.1:%d\)" % honest.port, m)]
        self.assertFalse(blamed_on_honest, f"failures blamed on the honest seeder {honest_ep} alone "
                                           f"(liar {liar_ep}): {fails}")

    def test_corrupt_peer_banned_v1(self):
        self.run_case("v1")

    def test_corrupt_peer_banned_hybrid(self):
        self.run_case("hybrid")


class KillNine(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-kill-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def run_case(self, kind):
        d = self.tmp.path
        src = os.path.join(d, "src")
        tree = os.path.join(src, "data")
        fixtures.write_tree(tree, {"big.bin": 5_000_011, "second.bin": 3_388_607, "empty": 0}, seed=9)
        tpath = os.path.join(d, f"{kind}.torrent")
        ti = write_torrent(tpath, tree, kind)
        n = ti.num_pieces()
        out = os.path.join(d, f"out-{kind}")
        # ~8 MB at 800 kB/s: ~10 s, so the kill lands in the middle.
        with fixtures.lt_seeder(tpath, src, seconds=60, upload_limit=800_000, name="lt-slow") as seeder:
            first = fixtures.ccbt_download(tpath, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=40,
                                           name="ccbt-1")
            with first:
                st = first.wait_for(lambda o: o.get("event") == "status" and o["pieces"] >= 0.3 * n, 30,
                                    what="30 % of the pieces")
                first.send_signal(signal.SIGKILL)
                first.wait(10)
            before = st["pieces"]
            self.assertLess(before, n, "the download was still under way at the kill")
            self.assertTrue(os.path.isfile(os.path.join(out, ".ccbt-resume.sqlite")))
        # The restart: a new seeder without a limit, the same directory and resume database. The
        # resume store commits every 100 ms; at 800 kB/s that is under two 64 KiB pieces that may be
        # verified but not yet recorded at the kill (they are then checked or fetched again).
        margin = 2
        with fixtures.lt_seeder(tpath, src, seconds=60, name="lt-fast") as seeder:
            with fixtures.ccbt_download(tpath, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=30,
                                        name="ccbt-2") as second:
                rc = second.drain(40)
                self.assertEqual(rc, 0, f"restart exit code; stderr {second.stderr_lines[-10:]}")
                final = second.events[-1]
                self.assertEqual(final["event"], "finished")
                self.assertEqual(final["pieces"], n)
                checked = second.alerts("torrent_checked")
                self.assertTrue(checked)
                m = re.search(r"(\d+) of (\d+) pieces", checked[0]["message"])
                self.assertIsNotNone(m, checked[0]["message"])
                kept = int(m.group(1))
                print(f"\n  {kind}: {before}/{n} pieces verified before kill -9, {kept} kept by the restart, "
                      f"which downloaded {final['total_download']} bytes (missing: {(n - before) * PIECE})",
                      file=sys.stderr)
                self.assertGreaterEqual(kept, before - margin,
                                        f"{before} pieces verified before the kill, {kept} kept after it")
                # The restart downloaded at most what was missing (plus the margin).
                self.assertLessEqual(final["total_download"], (n - before + margin) * PIECE,
                                     f"restart downloaded {final['total_download']} bytes with {before} of {n} "
                                     f"pieces verified before the kill")
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))

    def test_kill9_resume_v1(self):
        self.run_case("v1")

    def test_kill9_resume_hybrid(self):
        self.run_case("hybrid")


# ---- peers that break the protocol after the handshake ----------------------------------------------

PSTR = b"\x13BitTorrent protocol"


_peer_ids = itertools.count(1)


def handshake(info_hash):
    # A distinct peer id per connection: ccbt closes a second connection with the same peer id.
    return PSTR + bytes(8) + info_hash + b"-GB0001-" + b"%012d" % next(_peer_ids)


def msg(msg_id, payload=b""):
    return struct.pack(">IB", 1 + len(payload), msg_id) + payload


def garbage_payloads(num_pieces):
    """name -> bytes sent right after the handshake; each is a protocol violation."""
    bitfield_len = (num_pieces + 7) // 8
    return {
        "oversized-length": struct.pack(">I", 0x7FFFFFF0) + bytes(64),
        "bitfield-wrong-size": msg(5, b"\xff" * (bitfield_len + 3)),
        "have-out-of-range": msg(4, struct.pack(">I", num_pieces + 5)),
        "request-out-of-range": msg(2) + msg(6, struct.pack(">III", num_pieces + 1, 0, 16384)),
    }


class GarbageServer:
    """Listens on loopback; to each connection: reads the handshake, answers it, sends `payload`, then
    waits (bounded) for the other side to close. Records what happened."""

    def __init__(self, info_hash, payload, seconds=20):
        self.info_hash = info_hash
        self.payload = payload
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(seconds)
        self.port = self.sock.getsockname()[1]
        self.got_handshake = False
        self.closed_by_peer = False
        self.deadline = time.time() + seconds
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        # Like a client without MSE: a connection that does not start with a plain handshake (ccbt's
        # encrypted handshake comes first) is closed, and ccbt dials again in plaintext.
        while time.time() < self.deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self._serve(conn):
                return

    def _serve(self, conn):
        """True once a plain handshake was answered (whatever happened next)."""
        with conn:
            conn.settimeout(max(0.1, self.deadline - time.time()))
            try:
                hs = recv_exact(conn, 68)
                if not (hs[:20] == PSTR and hs[28:48] == self.info_hash):
                    return False
                self.got_handshake = True
                conn.sendall(handshake(self.info_hash) + self.payload)
                while time.time() < self.deadline:
                    if not conn.recv(65536):
                        self.closed_by_peer = True
                        return True
            except OSError:
                if not self.got_handshake:
                    return False
                self.closed_by_peer = True  # reset by the peer
            return True

    def close(self):
        self.sock.close()
        self.thread.join(5)


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise OSError("closed during the handshake")
        buf += chunk
    return buf


def garbage_client(port, info_hash, payload, seconds=15):
    """Connects to ccbt, handshakes, sends payload; returns (our local endpoint, closed by ccbt?)."""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        local = "%s:%d" % s.getsockname()
        s.sendall(handshake(info_hash))
        hs = recv_exact(s, 68)
        if hs[28:48] != info_hash:
            return local, False
        s.sendall(payload)
        deadline = time.time() + seconds
        try:
            while time.time() < deadline:
                if not s.recv(65536):
                    return local, True
        except OSError:
            return local, True
        return local, False


class GarbageAfterHandshake(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-garbage-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def test_protocol_violations_are_closed_and_download_completes(self):
        d = self.tmp.path
        src = os.path.join(d, "src")
        tree = os.path.join(src, "data")
        fixtures.write_tree(tree, {"x.bin": 2_000_001, "y/z.bin": 1_000_003}, seed=13)
        tpath = os.path.join(d, "v1.torrent")
        ti = write_torrent(tpath, tree, "v1")
        ih = bytes.fromhex(str(ti.info_hashes().v1))
        payloads = garbage_payloads(ti.num_pieces())
        servers = {name: GarbageServer(ih, p) for name, p in payloads.items()}
        try:
            # The honest seeder is slowed down (~3 s) so the bad peers are all dealt with meanwhile.
            with fixtures.lt_seeder(tpath, src, seconds=40, upload_limit=1_000_000) as seeder:
                peers = [f"127.0.0.1:{s.port}" for s in servers.values()] + [f"127.0.0.1:{seeder.port}"]
                out = os.path.join(d, "out")
                with fixtures.ccbt_download(tpath, out, peers=peers, seconds=30, extra=["--no-resume"]) as dl:
                    # Incoming bad peers too: they dial ccbt once it knows the torrent ("listening"
                    # comes before the torrent is added; an unknown info-hash is refused).
                    dl.wait_for(is_alert("torrent_checked"), 20, what="torrent_checked")
                    incoming = {}
                    for name in ("oversized-length", "bitfield-wrong-size"):
                        incoming[name] = garbage_client(dl.port, ih, payloads[name])
                    rc = dl.drain(40)
                    self.assertEqual(rc, 0, f"ccbt exit code; stderr {dl.stderr_lines[-10:]}")
                    self.assertEqual(dl.events[-1]["event"], "finished")
                    errors = {a["peer"]: a["message"] for a in dl.alerts("peer_error")}
                    for name, s in servers.items():
                        with self.subTest(outgoing=name):
                            self.assertTrue(s.got_handshake, "ccbt sent a valid handshake")
                            self.assertTrue(s.closed_by_peer, "ccbt closed the connection")
                            self.assertIn(f"127.0.0.1:{s.port}", errors, f"no peer_error for {name}: {errors}")
                    for name, (local, closed) in incoming.items():
                        with self.subTest(incoming=name):
                            self.assertTrue(closed, "ccbt closed the connection")
                            self.assertIn(local, errors, f"no peer_error for incoming {name}: {errors}")
        finally:
            for s in servers.values():
                s.close()
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))


class SilentInTheHandshake(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-silent-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def test_peer_silent_after_part_of_its_handshake_is_closed(self):
        d = self.tmp.path
        src = os.path.join(d, "src")
        tree = os.path.join(src, "data")
        fixtures.write_tree(tree, {"x.bin": 300_001}, seed=17)
        tpath = os.path.join(d, "v1.torrent")
        ti = write_torrent(tpath, tree, "v1")
        ih = bytes.fromhex(str(ti.info_hashes().v1))
        with mock.patch.dict(os.environ, {"CCBT_NETWORK__HANDSHAKE_TIMEOUT_MS": "1500"}):
            seeder = fixtures.ccbt_seed(tpath, src, seconds=30)
        with seeder, socket.create_connection(("127.0.0.1", seeder.port), timeout=10) as s:
            # Up to the info-hash: ccbt finds the torrent and answers, then waits for our peer id.
            s.sendall(handshake(ih)[:48])
            t0 = time.monotonic()
            got, closed = b"", False
            try:
                while True:
                    data = s.recv(65536)
                    if not data:
                        closed = True
                        break
                    got += data
            except socket.timeout:
                pass
            except OSError:
                closed = True
            elapsed = time.monotonic() - t0
            self.assertEqual(got[28:48], ih, "ccbt answered with its handshake")
            self.assertTrue(closed, "ccbt kept a peer that never finished its handshake (waited 10 s)")
            self.assertGreaterEqual(elapsed, 1.0, "closed before the handshake timeout")
            self.assertLess(elapsed, 6.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
