"""IPv6: a ccbt seeder listening on [::1] and a ccbt downloader dialling [::1]:PORT (loopback only).

Skipped, with the reason, on a machine whose loopback has no IPv6 address.
"""
import os
import signal
import socket
import unittest

import fixtures


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(ipv6_loopback_available(), "no IPv6 on the loopback interface (::1 cannot be bound)")
class Ipv6Transfer(unittest.TestCase):
    def test_download_over_ipv6(self):
        with fixtures.TempDir() as d:
            src = os.path.join(d, "src")
            fixtures.write_tree(src, {"v6/a.bin": 1_500_000, "v6/sub/b.bin": 70_001, "v6/empty": 0}, seed=6)
            data, _ = fixtures.make_torrent(os.path.join(src, "v6"), 32768, "hybrid")
            tpath = os.path.join(d, "v6.torrent")
            with open(tpath, "wb") as f:
                f.write(data)
            seeder = fixtures.Child([fixtures.binary("ccbt"), "seed", tpath, "--data", src, "--listen", "[::1]:0",
                                     "--status-json", "--no-resume", "--seconds", "40"], 40, name="ccbt-seed-v6")
            with seeder:
                port = seeder.wait_json("listening", 20)["port"]
                seeder.wait_for(lambda o: o.get("kind") == "torrent_checked", 30, what="torrent_checked")
                out = os.path.join(d, "out")
                dl = fixtures.Child([fixtures.binary("ccbt"), "download", tpath, "-o", out, "--listen", "[::1]:0",
                                     "--peer", f"[::1]:{port}", "--status-json", "--no-resume", "--seconds", "30"],
                                    30, name="ccbt-dl-v6")
                with dl:
                    final = dl.wait_json("finished", 35)
                    self.assertEqual(dl.wait(10), 0)
                    connected = [a for a in dl.alerts() if a.get("kind") == "peer_connected"]
                    self.assertTrue(any(a.get("peer", "").startswith("[::1]:") for a in connected),
                                    f"the downloader's peer was not [::1]: {connected}")
                self.assertEqual(final["progress"], 1.0)
                fixtures.assert_same_tree(self, os.path.join(src, "v6"), os.path.join(out, "v6"))
                seeder.stop(signal.SIGINT)


if __name__ == "__main__":
    unittest.main(verbosity=2)
