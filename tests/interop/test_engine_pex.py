"""Peer exchange (BEP 11) and the connection manager, on loopback:

- ccbt learns a peer through PEX from libtorrent: libtorrent peers A and B are connected to each
  other; ccbt is given only A; A's ut_pex message names B; ccbt connects to B.
- libtorrent learns peers through ccbt's PEX: a libtorrent peer C that knows only ccbt gets A and B
  from ccbt's ut_pex message and connects to them.
- a malformed ut_pex message (python fake peer) ends that connection only; a valid one from another
  fake peer makes ccbt dial the address it names.
- duplicate connections (python fake peer with a fixed peer id, connected both ways): ccbt closes
  exactly one, the one libtorrent's rule closes (the connection initiated by the greater peer id stays).
- one listening socket serves a hybrid torrent under its v1 hash and its truncated v2 hash.

Run through ctest (CCBT_BIN is set there). Every process and socket is bounded in time.
"""
import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
import libtorrent as lt  # noqa: E402

PIECE = 64 * 1024
PSTR = b"\x13BitTorrent protocol"
EXT_RESERVED = bytes([0, 0, 0, 0, 0, 0x10, 0, 0x04])  # extension protocol + fast
# The python fake peers speak no MSE and read ccbt's plain handshake themselves: ccbt must not start
# its outgoing connections to them with an encrypted handshake (tests/interop/test_engine_mse.py
# covers the fallback a real plaintext-only client gets).
PLAIN = ["--no-resume", "--set", "network.encryption=disabled"]


def write_torrent(path, content, kind="v1"):
    data, ti = fixtures.make_torrent(content, PIECE, kind)
    with open(path, "wb") as f:
        f.write(data)
    return ti


def is_alert(kind, peer=None):
    return lambda o: o.get("event") == "alert" and o.get("kind") == kind and (peer is None or o.get("peer") == peer)


def wait_event(child, pred, timeout, what):
    """Like child.wait_for, but also looks at the events already read (wait_for skips past others)."""
    for e in child.events:
        if pred(e):
            return e
    return child.wait_for(pred, timeout, what=what)


def msg(msg_id, payload=b""):
    return struct.pack(">IB", 1 + len(payload), msg_id) + payload


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed")
        buf += chunk
    return buf


def read_message(conn):
    """(id, payload) of the next message; (None, b"") for a keep-alive. Raises EOFError when closed."""
    n = struct.unpack(">I", recv_exact(conn, 4))[0]
    if n == 0:
        return None, b""
    body = recv_exact(conn, n)
    return body[0], body[1:]


def handshake(info_hash, peer_id):
    return PSTR + EXT_RESERVED + info_hash + peer_id


def read_ext_handshake(conn, seconds=10):
    """Reads messages until ccbt's BEP 10 handshake; returns its decoded dictionary."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        mid, payload = read_message(conn)
        if mid == 20 and payload[:1] == b"\x00":
            return lt.bdecode(payload[1:])
    raise TimeoutError("no extension handshake")


def closed_within(conn, seconds):
    """True if the other side closes (or resets) conn within `seconds`; reads and drops whatever comes."""
    conn.settimeout(0.2)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if not conn.recv(65536):
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def compact(port, ip=b"\x7f\x00\x00\x01"):
    return ip + struct.pack(">H", port)


def bstr(b):
    return str(len(b)).encode() + b":" + b


def pex_payload(added_ports):
    added = b"".join(compact(p) for p in added_ports)
    return (b"d" + bstr(b"added") + bstr(added) + bstr(b"added.f") + bstr(b"\x10" * len(added_ports)) +
            bstr(b"dropped") + bstr(b"") + b"e")


class Listener:
    """A loopback listening socket that accepts connections on a thread and keeps them (bounded).
    With answer_info_hash it also answers each connection's handshake (recording the peer ids)."""

    def __init__(self, seconds=60, answer_info_hash=None):
        self.answer = answer_info_hash
        self.peer_ids = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(seconds)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.accepted = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            self.accepted.set()
            if self.answer:
                threading.Thread(target=self._answer, args=(c,), daemon=True).start()

    def _answer(self, c):
        try:
            c.settimeout(10)
            hs = recv_exact(c, 68)
            self.peer_ids.append(hs[48:68])
            c.sendall(handshake(self.answer, b"-FK0001-listener%04d" % len(self.peer_ids)))
            c.settimeout(60)
            while c.recv(65536):
                pass
        except (OSError, EOFError):
            pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class PexWithLibtorrent(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-pex-")
        self.addCleanup(self.tmp.__exit__, None, None, None)
        d = self.tmp.path
        self.src = os.path.join(d, "src")
        fixtures.write_tree(os.path.join(self.src, "data"), {"a.bin": 6_000_001, "b.bin": 2_000_003}, seed=21)
        self.tpath = os.path.join(d, "v1.torrent")
        write_torrent(self.tpath, os.path.join(self.src, "data"))

    def test_ccbt_learns_peer_from_libtorrent_pex(self):
        d = self.tmp.path
        # Slow uploads (50 kB/s) so nobody completes (and drops seed-to-seed links) during the test.
        with fixtures.lt_seeder(self.tpath, self.src, seconds=90, upload_limit=50_000, name="lt-A") as a:
            a_ep = f"127.0.0.1:{a.port}"
            with fixtures.lt_downloader(self.tpath, os.path.join(d, "b"), peers=[a_ep], seconds=90,
                                        name="lt-B") as b:
                b_ep = f"127.0.0.1:{b.port}"
                a.wait_for(lambda o: o.get("event") == "status" and o.get("peers", 0) >= 1, 20, what="A sees B")
                with fixtures.ccbt_download(self.tpath, os.path.join(d, "out"), peers=[a_ep], seconds=80,
                                            extra=["--no-resume"]) as dl:
                    wait_event(dl, is_alert("peer_connected", a_ep), 20, "ccbt connected to A")
                    t0 = time.time()
                    # libtorrent sends its first ut_pex message on its first tick after the
                    # handshake, then one a minute: B is known within seconds.
                    wait_event(dl, is_alert("peer_connected", b_ep), 75, "ccbt connected to B (learnt from PEX)")
                    print(f"ccbt connected to B {time.time() - t0:.1f} s after A", file=sys.stderr)

    def test_libtorrent_learns_peers_from_ccbt_pex(self):
        # A is a python peer that answers handshakes and records who dialled it (two libtorrent
        # peers that learn of each other at once dial each other at once, and libtorrent's duplicate
        # rule then closes both connections: a fake A makes the result deterministic).
        d = self.tmp.path
        ti = lt.torrent_info(self.tpath)
        ih = bytes.fromhex(str(ti.info_hashes().v1))
        a = Listener(answer_info_hash=ih)
        self.addCleanup(a.close)
        with fixtures.lt_downloader(self.tpath, os.path.join(d, "c"), seconds=60, name="lt-C") as c:
            a_ep, c_ep = f"127.0.0.1:{a.port}", f"127.0.0.1:{c.port}"
            with fixtures.ccbt_download(self.tpath, os.path.join(d, "out"), peers=[a_ep, c_ep], seconds=50,
                                        extra=PLAIN) as dl:
                wait_event(dl, is_alert("peer_connected", a_ep), 20, "ccbt connected to A")
                wait_event(dl, is_alert("peer_connected", c_ep), 20, "ccbt connected to C")
                # C knows only ccbt (no tracker, DHT or LSD): it can dial A only after ccbt's PEX.
                deadline = time.time() + 30
                while time.time() < deadline and not any(pid.startswith(b"-LT") for pid in a.peer_ids):
                    time.sleep(0.2)
                self.assertTrue(any(pid.startswith(b"-LT") for pid in a.peer_ids),
                                f"libtorrent C did not dial A; A saw {a.peer_ids}")


class PexFakePeers(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-engine-pexfake-")
        self.addCleanup(self.tmp.__exit__, None, None, None)

    def make(self, kind="v1"):
        d = self.tmp.path
        tree = os.path.join(d, "src", "data")
        fixtures.write_tree(tree, {"x.bin": 300_001, "y.bin": 200_003}, seed=7)
        tpath = os.path.join(d, f"{kind}.torrent")
        ti = write_torrent(tpath, tree, kind)
        return tpath, os.path.join(d, "src"), ti

    def test_malformed_pex_ends_that_connection_only(self):
        tpath, src, ti = self.make()
        ih = bytes.fromhex(str(ti.info_hashes().v1))
        target = Listener()
        self.addCleanup(target.close)
        with fixtures.ccbt_seed(tpath, src, seconds=40, extra=PLAIN) as seed:
            conns = []
            for i in range(2):
                c = socket.create_connection(("127.0.0.1", seed.port), timeout=10)
                self.addCleanup(c.close)
                c.sendall(handshake(ih, b"-FK0001-%012d" % i))
                hs = recv_exact(c, 68)
                self.assertEqual(hs[28:48], ih)
                ext = read_ext_handshake(c)
                pex_id = ext[b"m"][b"ut_pex"]
                self.assertGreater(pex_id, 0, "ccbt advertises ut_pex")
                c.sendall(msg(20, b"\x00" + b"d1:md6:ut_pexi1eee"))
                conns.append((c, pex_id))
            (good, good_id), (bad, bad_id) = conns
            # A list of 5 bytes is not a whole number of 6-byte entries.
            bad.sendall(msg(20, bytes([bad_id]) + b"d5:added5:abcdee"))
            self.assertTrue(closed_within(bad, 10), "ccbt closed the connection that sent a malformed ut_pex")
            wait_event(seed, lambda o: o.get("event") == "alert" and o.get("kind") == "peer_error"
                       and "ut_pex" in o.get("message", ""), 10, "peer_error naming ut_pex")
            # The other connection lives on: a valid message is taken and ccbt dials the peer it names.
            # It names ccbt's own listen address too: never dialled (no connection to ourselves).
            good.sendall(msg(20, bytes([good_id]) + pex_payload([seed.port, target.port])))
            self.assertTrue(target.accepted.wait(15), "ccbt connected to the peer named in a valid ut_pex")
            tc = target.conns[0]
            tc.settimeout(10)
            hs = recv_exact(tc, 68)
            self.assertEqual(hs[:20], PSTR)
            self.assertEqual(hs[28:48], ih)
            good.sendall(msg(2))  # interested -> a free slot unchokes us at once
            good.settimeout(10)
            deadline = time.time() + 10
            got_unchoke = False
            while time.time() < deadline and not got_unchoke:
                mid, _ = read_message(good)
                got_unchoke = mid == 1
            self.assertTrue(got_unchoke, "the well-behaved connection still works")
            own = f"127.0.0.1:{seed.port}"
            try:
                seed.wait_for(lambda o: False, 1.5, what="(reading pending lines)")
            except TimeoutError:
                pass
            self.assertFalse([e for e in seed.events if e.get("event") == "alert" and e.get("peer") == own],
                             "ccbt dialled its own listen address")

    def test_private_torrent_has_no_pex(self):
        d = self.tmp.path
        tree = os.path.join(d, "src", "data")
        fixtures.write_tree(tree, {"x.bin": 300_001}, seed=8)
        fs = lt.file_storage()
        lt.add_files(fs, tree)
        ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
        ct.set_priv(True)
        lt.set_piece_hashes(ct, os.path.join(d, "src"))
        tpath = os.path.join(d, "private.torrent")
        with open(tpath, "wb") as f:
            f.write(lt.bencode(ct.generate()))
        ih = bytes.fromhex(str(lt.torrent_info(tpath).info_hashes().v1))
        target = Listener()
        self.addCleanup(target.close)
        with fixtures.ccbt_seed(tpath, os.path.join(d, "src"), seconds=30, extra=PLAIN) as seed:
            with socket.create_connection(("127.0.0.1", seed.port), timeout=10) as c:
                c.sendall(handshake(ih, b"-FK0001-private00001"))
                self.assertEqual(recv_exact(c, 68)[28:48], ih)
                ext = read_ext_handshake(c)
                self.assertNotIn(b"ut_pex", ext.get(b"m", {}), "no ut_pex for a private torrent (BEP 27)")
                c.sendall(msg(20, b"\x00" + b"d1:md6:ut_pexi1eee"))
                # Sent anyway under the id ccbt uses elsewhere: not read, the connection stays.
                c.sendall(msg(20, b"\x01" + pex_payload([target.port])))
                self.assertFalse(target.accepted.wait(4), "ccbt dialled a peer from PEX on a private torrent")
                self.assertFalse(closed_within(c, 1))

    def test_pex_switched_off(self):
        tpath, src, ti = self.make()
        ih = bytes.fromhex(str(ti.info_hashes().v1))
        with fixtures.ccbt_seed(tpath, src, seconds=30, extra=PLAIN + ["--set", "discovery.pex=false"]) as seed:
            with socket.create_connection(("127.0.0.1", seed.port), timeout=10) as c:
                c.sendall(handshake(ih, b"-FK0001-pexoff000001"))
                self.assertEqual(recv_exact(c, 68)[28:48], ih)
                ext = read_ext_handshake(c)
                self.assertNotIn(b"ut_pex", ext.get(b"m", {}), "discovery.pex = false: no ut_pex")

    def duplicate_case(self, fake_id):
        tpath, src, ti = self.make()
        ih = bytes.fromhex(str(ti.info_hashes().v1))
        lis = Listener()
        self.addCleanup(lis.close)
        out = os.path.join(self.tmp.path, "out")
        with fixtures.ccbt_download(tpath, out, peers=[f"127.0.0.1:{lis.port}"], seconds=40,
                                    extra=PLAIN) as dl:
            self.assertTrue(lis.accepted.wait(20), "ccbt dialled the fake peer")
            outgoing = lis.conns[0]  # ccbt's outgoing connection
            outgoing.settimeout(10)
            hs = recv_exact(outgoing, 68)
            ccbt_id = hs[48:68]
            outgoing.sendall(handshake(ih, fake_id))
            wait_event(dl, is_alert("peer_connected", f"127.0.0.1:{lis.port}"), 10, "outgoing handshake done")
            incoming = socket.create_connection(("127.0.0.1", dl.port), timeout=10)
            self.addCleanup(incoming.close)
            incoming.sendall(handshake(ih, fake_id))
            hs2 = recv_exact(incoming, 68)
            self.assertEqual(hs2[48:68], ccbt_id)
            # libtorrent's rule: the connection initiated by the greater peer id stays.
            keep_incoming = fake_id > ccbt_id  # the fake dialled `incoming`
            loser, winner = (outgoing, incoming) if keep_incoming else (incoming, outgoing)
            self.assertTrue(closed_within(loser, 10), "ccbt closed the duplicate")
            self.assertFalse(closed_within(winner, 3), "ccbt kept the other connection")
            def is_dup(o):
                return o.get("event") == "alert" and "duplicate" in o.get("message", "")
            wait_event(dl, is_dup, 10, "an alert about the duplicate")
            time.sleep(1)
            try:
                dl.wait_for(lambda o: False, 1, what="nothing")  # read what is pending
            except TimeoutError:
                pass
            dups = [a for a in dl.events if is_dup(a)]
            self.assertEqual(len(dups), 1, dups)

    def test_duplicate_greater_peer_id_keeps_its_connection(self):
        self.duplicate_case(b"\xff" * 20)

    def test_duplicate_lower_peer_id_keeps_ccbt_connection(self):
        self.duplicate_case(b"\x01" * 20)

    def test_hybrid_routed_by_v1_and_truncated_v2(self):
        tpath, src, ti = self.make("hybrid")
        v1 = bytes.fromhex(str(ti.info_hashes().v1))
        v2 = bytes.fromhex(str(ti.info_hashes().v2))[:20]
        with fixtures.ccbt_seed(tpath, src, seconds=30, extra=PLAIN) as seed:
            for ih in (v1, v2):
                with socket.create_connection(("127.0.0.1", seed.port), timeout=10) as c:
                    c.sendall(handshake(ih, b"-FK0001-hybridtest01"))
                    hs = recv_exact(c, 68)
                    self.assertEqual(hs[28:48], ih, "answered under the hash it was asked for")
                    self.assertTrue(hs[27] & 0x10, "v2 bit set for a hybrid torrent")
            with socket.create_connection(("127.0.0.1", seed.port), timeout=10) as c:
                c.sendall(handshake(b"\x42" * 20, b"-FK0001-hybridtest02"))
                self.assertTrue(closed_within(c, 10), "an unknown info-hash is refused")


if __name__ == "__main__":
    unittest.main(verbosity=2)
