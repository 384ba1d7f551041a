"""Magnet links (BEP 9 ut_metadata) on loopback, with libtorrent (python3-libtorrent 2.0) as the
honest peers:

- `ccbt <magnet>` fetches the metadata (an info dictionary of several 16 KiB pieces) from two
  libtorrent seeders in parallel (the metadata_received alert names both and what each sent), then
  downloads the data; v1 and hybrid (both hashes checked);
- a peer that sends metadata of the right size but wrong bytes (a small fake peer written here) is
  detected (metadata_failed), banned, and the download completes from an honest seeder;
- a peer that sends a malformed ut_metadata message loses its connection (peer_error naming it) and
  nothing else: the download completes from an honest seeder;
- libtorrent fetches the metadata by magnet link from a ccbt seeder (ccbt serves ut_metadata) and
  downloads the data; ccbt advertises ut_metadata and metadata_size for public torrents only;
- so= (BEP 53) selects files; v2-only links download, the piece layers of files larger than a piece
  fetched from the peers with BEP 52 hash requests (from libtorrent and from a ccbt seeder), and
  libtorrent fetches them from a ccbt seeder the same way;
- availability sent before the metadata (a bitfield) is checked once the piece count is known.

Run through ctest (CCBT_BIN is set there). Every process and socket is bounded in time.
"""
import os
import random
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402

import libtorrent as lt  # noqa: E402

PIECE = 32 * 1024


def many_files_torrent(d, kind, files=900):
    """A torrent whose info dictionary spans several metadata pieces (many small files, long names)."""
    tree = os.path.join(d, "seed", "data")
    layout = {f"dir-{i % 7}/file-with-a-rather-long-name-number-{i:05d}.bin": 100 + (i * 37) % 700
              for i in range(files)}
    fixtures.write_tree(tree, layout, seed=11)
    data, ti = fixtures.make_torrent(tree, PIECE, kind)
    tpath = os.path.join(d, f"{kind}.torrent")
    with open(tpath, "wb") as f:
        f.write(data)
    info = lt.bencode(lt.bdecode(data)[b"info"])
    return tpath, tree, ti, info


def is_alert(kind, peer=None):
    return lambda o: o.get("event") == "alert" and o.get("kind") == kind and (peer is None or o.get("peer") == peer)


# ---- a fake peer that serves bad metadata ----------------------------------------------------------

PSTR = b"\x13BitTorrent protocol"
FAKE_UT_METADATA = 3  # the id we ask ccbt to use for messages to us


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise OSError("closed")
        buf += chunk
    return buf


def frame(msg_id, payload=b""):
    return struct.pack(">IB", 1 + len(payload), msg_id) + payload


class FakeMetadataPeer:
    """Listens on loopback. To each connection: answers the handshake (extension bit set), sends an
    extension handshake with ut_metadata and the true metadata_size, then answers every ut_metadata
    request with a data message. mode "wrong": the right length, wrong bytes. mode "malformed": a data
    message whose payload is one byte short (a protocol violation). mode "bad-bitfield": the right
    metadata, but a bitfield of 3 bytes sent before it (checked once the piece count is known)."""

    def __init__(self, info_hash, metadata, mode, seconds=40):
        self.info_hash, self.metadata, self.mode = info_hash, metadata, mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(1)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self.closed_by_peer = False
        self.deadline = time.time() + seconds
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while time.time() < self.deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                if self.sock.fileno() < 0:
                    return
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with conn:
            conn.settimeout(max(0.1, self.deadline - time.time()))
            try:
                hs = recv_exact(conn, 68)
                if hs[28:48] != self.info_hash:
                    return
                reserved = bytearray(8)
                reserved[5] |= 0x10  # BEP 10
                conn.sendall(PSTR + bytes(reserved) + self.info_hash + b"-FK0001-" + random.Random(2).randbytes(12))
                ext = lt.bencode({"m": {"ut_metadata": FAKE_UT_METADATA}, "metadata_size": len(self.metadata),
                                  "v": "fake-metadata-peer"})
                conn.sendall(frame(20, b"\x00" + ext))
                if self.mode == "bad-bitfield":
                    conn.sendall(frame(5, b"\xff\xff\xff"))
                their_id = None
                while time.time() < self.deadline:
                    (length,) = struct.unpack(">I", recv_exact(conn, 4))
                    if length == 0:
                        continue
                    body = recv_exact(conn, length)
                    if body[0] != 20:
                        continue
                    if body[1] == 0:
                        their_id = lt.bdecode(body[2:])[b"m"].get(b"ut_metadata")
                        continue
                    if body[1] != FAKE_UT_METADATA or their_id is None:
                        continue
                    req = lt.bdecode(body[2:])
                    if req.get(b"msg_type") != 0:
                        continue
                    self.requests += 1
                    piece = req[b"piece"]
                    chunk = self.metadata[piece * 16384:(piece + 1) * 16384]
                    if self.mode == "wrong":
                        chunk = bytes(b ^ 0x5A for b in chunk)
                    elif self.mode == "malformed":
                        chunk = chunk[:-1]
                    head = lt.bencode({"msg_type": 1, "piece": piece, "total_size": len(self.metadata)})
                    conn.sendall(frame(20, bytes([their_id]) + head + chunk))
            except OSError:
                self.closed_by_peer = True

    def close(self):
        self.deadline = 0
        self.sock.close()
        self.thread.join(5)


# ---- tests -----------------------------------------------------------------------------------------

class MagnetFromLibtorrent(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-magnet-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def run_case(self, kind, files, upload_limit, both):
        d = self.tmp.path
        tpath, tree, ti, info = many_files_torrent(d, kind, files=files)
        self.assertGreater(len(info), 10 * 16384, "the metadata must span several pieces")
        uri = lt.make_magnet_uri(ti)
        out = os.path.join(d, "out")
        with fixtures.lt_seeder(tpath, os.path.dirname(tree), seconds=60, upload_limit=upload_limit, name="lt-a") as a, \
                fixtures.lt_seeder(tpath, os.path.dirname(tree), seconds=60, upload_limit=upload_limit, name="lt-b") as b:
            eps = [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]
            with fixtures.ccbt_download(uri, out, peers=eps, seconds=40, extra=["--no-resume"]) as dl:
                got = dl.wait_for(is_alert("metadata_received"), 30, what="metadata_received")
                rc = dl.drain(50)
        if os.environ.get("MAGNET_DEBUG"):
            for e in dl.events:
                if e.get("event") != "status":
                    print(e)
        self.assertEqual(rc, 0, f"ccbt exit code; stderr {dl.stderr_lines[-10:]}")
        # "... from 127.0.0.1:A (n), 127.0.0.1:B (m)": who delivered how many metadata pieces.
        self.assertTrue(any(ep + " (" in got["message"] for ep in eps), got["message"])
        if both:
            for ep in eps:
                self.assertIn(ep + " (", got["message"], "metadata pieces came from both seeders")
        self.assertFalse(dl.alerts("metadata_failed"))
        self.assertEqual(dl.events[-1]["event"], "finished")
        self.assertEqual(dl.events[-1]["pieces"], ti.num_pieces())
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))

    def test_magnet_two_seeders_v1(self):
        # ~15 metadata pieces; both seeders are rate limited (libtorrent counts ut_metadata messages
        # too), so the fetch takes long enough (~1 s) for both connections to be up whatever the order
        # of their handshakes: the pieces must come from both.
        self.run_case("v1", files=3000, upload_limit=200_000, both=True)

    def test_magnet_two_seeders_hybrid(self):
        # Both hashes are checked. Unthrottled: a hybrid pads every small file to a piece (~50 MB).
        self.run_case("hybrid", files=3000, upload_limit=0, both=False)


class SelectOnly(unittest.TestCase):
    def test_so_downloads_only_the_selected_file(self):
        # BEP 53: so=1 selects the second file; the others get priority 0 once the metadata is known.
        with fixtures.TempDir(prefix="ccbt-magnet-so-") as d:
            tree = os.path.join(d, "seed", "data")
            fixtures.write_tree(tree, {"a.bin": 2 * PIECE, "b.bin": 3 * PIECE, "c.bin": PIECE}, seed=4)
            data, ti = fixtures.make_torrent(tree, PIECE, "v1")
            tpath = os.path.join(d, "v1.torrent")
            with open(tpath, "wb") as f:
                f.write(data)
            self.assertEqual(ti.files().file_path(1), os.path.join("data", "b.bin"))
            uri = lt.make_magnet_uri(ti) + "&so=1"
            out = os.path.join(d, "out")
            with fixtures.lt_seeder(tpath, os.path.dirname(tree), seconds=40, name="lt-so") as a:
                with fixtures.ccbt_download(uri, out, peers=[f"127.0.0.1:{a.port}"], seconds=30,
                                            extra=["--no-resume"]) as dl:
                    rc = dl.drain(40)
            self.assertEqual(rc, 0, dl.stderr_lines[-10:])
            final = dl.events[-1]
            self.assertEqual(final["event"], "finished")
            self.assertEqual(final["pieces"], 3, "only b.bin's three pieces")
            self.assertEqual(final["num_pieces"], 6)
            fixtures.assert_same_file(self, os.path.join(tree, "b.bin"), os.path.join(out, "data", "b.bin"))
            for other in ("a.bin", "c.bin"):
                p = os.path.join(out, "data", other)
                self.assertFalse(os.path.exists(p) and os.path.getsize(p) > 0 and
                                 open(p, "rb").read() == open(os.path.join(tree, other), "rb").read(), other)


class V2OnlyMagnet(unittest.TestCase):
    def run_v2(self, files):
        with fixtures.TempDir(prefix="ccbt-magnet-v2-") as d:
            tree = os.path.join(d, "seed", "data")
            fixtures.write_tree(tree, files, seed=3)
            data, ti = fixtures.make_torrent(tree, PIECE, "v2")
            tpath = os.path.join(d, "v2.torrent")
            with open(tpath, "wb") as f:
                f.write(data)
            uri = lt.make_magnet_uri(ti)
            self.assertIn("btmh", uri)
            self.assertNotIn("btih", uri)
            out = os.path.join(d, "out")
            with fixtures.lt_seeder(tpath, os.path.dirname(tree), seconds=40, name="lt-v2") as a:
                with fixtures.ccbt_download(uri, out, peers=[f"127.0.0.1:{a.port}"], seconds=30,
                                            extra=["--no-resume"]) as dl:
                    rc = dl.drain(40)
            return rc, dl, tree, out

    def test_v2_only_magnet_fetches_piece_layers(self):
        # Files larger than a piece need their piece layers: ccbt asks libtorrent for them with BEP 52
        # hash requests (big.bin: 520 pieces, two 512-piece buckets, the second padded), checks each
        # answer against the file's pieces root, then downloads and checks every piece with them.
        rc, dl, tree, out = self.run_v2({"big.bin": 520 * PIECE + 123, "mid/five.bin": 5 * PIECE - 1,
                                         "small.bin": 1000})
        self.assertEqual(rc, 0, dl.stderr_lines[-10:])
        got = dl.alerts("metadata_received")
        self.assertTrue(got and "piece layers of 2 files" in got[0]["message"], got)
        self.assertFalse(dl.alerts("metadata_failed"))
        self.assertEqual(dl.events[-1]["event"], "finished")
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))

    def test_v2_only_magnet_from_a_ccbt_seeder(self):
        # Both ends ccbt: the seeder answers the hash requests from the piece layers of its .torrent.
        with fixtures.TempDir(prefix="ccbt-magnet-v2-ccbt-") as d:
            tree = os.path.join(d, "seed", "data")
            fixtures.write_tree(tree, {"big.bin": 40 * PIECE + 1, "b/two.bin": 2 * PIECE}, seed=9)
            data, ti = fixtures.make_torrent(tree, PIECE, "v2")
            tpath = os.path.join(d, "v2.torrent")
            with open(tpath, "wb") as f:
                f.write(data)
            uri = lt.make_magnet_uri(ti)
            out = os.path.join(d, "out")
            with fixtures.ccbt_seed(tpath, os.path.dirname(tree), seconds=40) as seeder:
                with fixtures.ccbt_download(uri, out, peers=[f"127.0.0.1:{seeder.port}"], seconds=30,
                                            extra=["--no-resume"]) as dl:
                    rc = dl.drain(40)
            self.assertEqual(rc, 0, dl.stderr_lines[-10:])
            self.assertTrue(dl.alerts("metadata_received"))
            fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))

    def test_v2_only_magnet_without_piece_layers_downloads(self):
        # Files of at most one piece need no piece layer (the pieces root is the piece hash).
        rc, dl, tree, out = self.run_v2({"a.bin": PIECE, "b/c.bin": 1000, "b/d.bin": 20_000})
        self.assertEqual(rc, 0, dl.stderr_lines[-10:])
        self.assertEqual(dl.events[-1]["event"], "finished")
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))


class BadMetadataPeers(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-magnet-bad-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def run_case(self, mode):
        d = self.tmp.path
        tpath, tree, ti, info = many_files_torrent(d, "v1", files=300)
        uri = lt.make_magnet_uri(ti)
        info_hash = bytes.fromhex(str(ti.info_hashes().v1))
        out = os.path.join(d, "out")
        fake = FakeMetadataPeer(info_hash, info, mode)
        self.addCleanup(fake.close)
        honest_port = fixtures.free_port()  # the honest seeder starts only after the fake was dealt with
        fake_ep, honest_ep = f"127.0.0.1:{fake.port}", f"127.0.0.1:{honest_port}"
        with fixtures.ccbt_download(uri, out, peers=[fake_ep, honest_ep], seconds=45, extra=["--no-resume"]) as dl:
            if mode == "wrong":
                dl.wait_for(is_alert("metadata_failed"), 20, what="metadata_failed")
                dl.wait_for(is_alert("peer_banned", fake_ep), 10, what="peer_banned for the fake peer")
            elif mode == "bad-bitfield":
                got = dl.wait_for(is_alert("metadata_received"), 20, what="metadata_received")
                self.assertIn(fake_ep, got["message"])
                err = dl.wait_for(is_alert("peer_error", fake_ep), 20, what="peer_error for the fake peer")
                self.assertIn("bitfield of 3 bytes", err["message"])
            else:
                err = dl.wait_for(is_alert("peer_error", fake_ep), 20, what="peer_error for the fake peer")
                self.assertIn("ut_metadata", err["message"])
            with fixtures.lt_seeder(tpath, os.path.dirname(tree), seconds=60, port=honest_port, name="lt-honest"):
                if mode != "bad-bitfield":
                    got = dl.wait_for(is_alert("metadata_received"), 30, what="metadata_received")
                    self.assertIn(honest_ep, got["message"])
                    self.assertNotIn(fake_ep, got["message"])
                rc = dl.drain(50)
        self.assertGreater(fake.requests, 0)
        self.assertEqual(rc, 0, f"ccbt exit code; stderr {dl.stderr_lines[-10:]}")
        self.assertEqual(dl.events[-1]["event"], "finished")
        fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))

    def test_wrong_metadata_peer_is_banned(self):
        self.run_case("wrong")

    def test_malformed_ut_metadata_closes_that_connection_only(self):
        self.run_case("malformed")

    def test_bitfield_before_metadata_is_checked_when_it_arrives(self):
        # Availability sent before the metadata is kept and checked against the piece count later: a
        # wrong-sized bitfield then ends that connection (the metadata it sent is still good).
        self.run_case("bad-bitfield")


def ccbt_extension_handshake(port, info_hash, seconds=10):
    """Connects to ccbt, handshakes with the extension bit, returns its decoded extension handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds) as s:
        reserved = bytearray(8)
        reserved[5] |= 0x10
        s.sendall(PSTR + bytes(reserved) + info_hash + b"-FK0001-" + random.Random(3).randbytes(12))
        recv_exact(s, 68)
        deadline = time.time() + seconds
        while time.time() < deadline:
            (length,) = struct.unpack(">I", recv_exact(s, 4))
            body = recv_exact(s, length) if length else b""
            if body[:2] == b"\x14\x00":
                return lt.bdecode(body[2:])
    raise AssertionError("no extension handshake")


class ServingPolicy(unittest.TestCase):
    def test_metadata_advertised_for_public_not_private(self):
        with fixtures.TempDir(prefix="ccbt-magnet-priv-") as d:
            tree = os.path.join(d, "seed", "data")
            fixtures.write_tree(tree, {"a.bin": 100_000}, seed=6)
            for private in (False, True):
                fs = lt.file_storage()
                lt.add_files(fs, tree)
                ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
                ct.set_priv(private)
                lt.set_piece_hashes(ct, os.path.dirname(tree))
                data = lt.bencode(ct.generate())
                info = lt.bencode(lt.bdecode(data)[b"info"])
                tpath = os.path.join(d, f"priv-{private}.torrent")
                with open(tpath, "wb") as f:
                    f.write(data)
                info_hash = bytes.fromhex(str(lt.torrent_info(lt.bdecode(data)).info_hashes().v1))
                with fixtures.ccbt_seed(tpath, os.path.dirname(tree), seconds=30) as seeder:
                    ext = ccbt_extension_handshake(seeder.port, info_hash)
                if private:
                    self.assertNotIn(b"ut_metadata", ext[b"m"])
                    self.assertNotIn(b"metadata_size", ext)
                else:
                    self.assertEqual(ext[b"m"][b"ut_metadata"], 2)
                    self.assertEqual(ext[b"metadata_size"], len(info))


class LibtorrentFetchesFromCcbt(unittest.TestCase):
    def test_libtorrent_magnet_from_ccbt_seeder(self):
        with fixtures.TempDir(prefix="ccbt-magnet-serve-") as d:
            tpath, tree, ti, info = many_files_torrent(d, "v1", files=600)
            uri = lt.make_magnet_uri(ti)
            out = os.path.join(d, "lt-out")
            with fixtures.ccbt_seed(tpath, os.path.dirname(tree), seconds=60) as seeder:
                argv = [fixtures.PYTHON, fixtures.LT_PEER, "download", "--magnet", uri, "--out", out,
                        "--peer", f"127.0.0.1:{seeder.port}", "--seconds", "40"]
                with fixtures.Child(argv, 40, name="lt-magnet") as lt_dl:
                    lt_dl.wait_json("metadata_received", 20)
                    lt_dl.wait_json("finished", 30)
            fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))

    def test_libtorrent_v2_only_magnet_from_ccbt_seeder(self):
        # A v2-only magnet carries no piece layers: libtorrent asks ccbt for them (BEP 52 hash
        # requests, 512-piece buckets with the uncle hashes up to each file's pieces root) and checks
        # every piece against them. big.bin has 520 pieces (a second, padded bucket).
        with fixtures.TempDir(prefix="ccbt-magnet-serve-v2-") as d:
            tree = os.path.join(d, "seed", "data")
            fixtures.write_tree(tree, {"big.bin": 520 * PIECE + 7, "mid/five.bin": 5 * PIECE - 1,
                                       "mid/two.bin": 2 * PIECE, "small.bin": 1000}, seed=5)
            data, ti = fixtures.make_torrent(tree, PIECE, "v2")
            tpath = os.path.join(d, "v2.torrent")
            with open(tpath, "wb") as f:
                f.write(data)
            uri = lt.make_magnet_uri(ti)
            self.assertNotIn("btih", uri)
            out = os.path.join(d, "lt-out")
            with fixtures.ccbt_seed(tpath, os.path.dirname(tree), seconds=60) as seeder:
                argv = [fixtures.PYTHON, fixtures.LT_PEER, "download", "--magnet", uri, "--out", out,
                        "--peer", f"127.0.0.1:{seeder.port}", "--seconds", "45"]
                with fixtures.Child(argv, 45, name="lt-magnet-v2") as lt_dl:
                    lt_dl.wait_json("metadata_received", 20)
                    lt_dl.wait_json("finished", 40)
            fixtures.assert_same_tree(self, tree, os.path.join(out, "data"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
