"""libtorrent announces to ccbt's embedded tracker and finds its peers through it.

A libtorrent seeder and a libtorrent downloader (python3-libtorrent, two processes) are given only
a .torrent whose tracker is ccbt's embedded tracker (ccbt_tracker_tool serve), once over HTTP and
once over UDP: the downloader must find the seeder through the tracker and complete the transfer.
ccbt's own tracker client then announces to the same tracker and must be handed both libtorrent
peers. (Once the session exists, a ccbt seeder found the same way replaces the libtorrent one.)

Run by CTest with Debian's /usr/bin/python3; CCBT_TRACKER_TOOL is tests/tools' ccbt_tracker_tool.
Loopback only; every process is bounded in time.
"""
import json
import os
import subprocess
import time
import unittest

from fixtures import Child, TempDir, lt_downloader, lt_seeder, make_torrent, tree_digest, write_random_file

TOOL = os.environ.get("CCBT_TRACKER_TOOL")
SIZE = 3 * 1024 * 1024 + 12345


class LibtorrentThroughEmbeddedTracker(unittest.TestCase):
    def setUp(self):
        if not TOOL:
            raise unittest.SkipTest("CCBT_TRACKER_TOOL is not set")
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()
        self.tracker = Child([TOOL, "serve", "--http-port", "0", "--udp-port", "0", "--interval", "10"], 150,
                             name="ccbt-tracker")
        self.ports = self.tracker.wait_json("listening", 10)

    def tearDown(self):
        self.tracker.stop()
        self.tmp.__exit__(None, None, None)

    def swarm(self, url, name):
        content = os.path.join(self.dir, "seed", name)
        write_random_file(content, SIZE, seed=len(name))
        data, info = make_torrent(content, 64 * 1024, "v1", trackers=[url])
        torrent = os.path.join(self.dir, name + ".torrent")
        with open(torrent, "wb") as f:
            f.write(data)
        out = os.path.join(self.dir, "out-" + name)
        os.makedirs(out)
        with lt_seeder(torrent, os.path.join(self.dir, "seed"), seconds=90) as seeder:
            # Let the seeder finish checking and announce first (either order works: a seed is
            # handed the leechers, a leecher the seeds).
            while "seeding" not in seeder.wait_json("status", 20)["state"]:
                pass
            # The downloader stays after it finishes, so it is still in the swarm for the check.
            os.environ["LT_PEER_STAY"] = "1"
            with lt_downloader(torrent, out, seconds=90) as downloader:
                done = downloader.wait_json("finished", 80)
                self.assertGreater(done["total_download"], 0)
                self.assertEqual(tree_digest(out), tree_digest(os.path.join(self.dir, "seed")))
                # ccbt's client, announcing to the same tracker, is given both libtorrent peers (the
                # downloader's "completed" announce may still be on its way: retry for a while).
                deadline = time.time() + 15
                while True:
                    proc = subprocess.run([TOOL, "announce", "--url", url, "--info-hash", str(info.info_hash()),
                                           "--peer-id", "-CC0001-zzzzzzzzzzzz", "--port", "1", "--left", "1",
                                           "--udp-timeout-ms", "500"],
                                          capture_output=True, text=True, timeout=30)
                    reply = json.loads(proc.stdout.splitlines()[-1])
                    self.assertTrue(reply["ok"], reply)
                    ports = {p.rsplit(":", 1)[1] for p in reply["peers"]}
                    if reply["complete"] == 2 or time.time() > deadline:
                        break
                    time.sleep(0.2)
                self.assertIn(str(seeder.port), ports)
                self.assertIn(str(downloader.port), ports)
                self.assertEqual(reply["complete"], 2)  # the downloader seeds now

    def test_http_tracker(self):
        self.swarm(self.ports["http_url"], "http-content.bin")
        self.stop_and_check()

    def test_udp_tracker(self):
        self.swarm(self.ports["udp_url"], "udp-content.bin")
        self.stop_and_check()

    def stop_and_check(self):
        self.tracker.stop()
        stats = self.tracker.wait_json("stopped", 10)
        self.assertGreaterEqual(stats["announces"], 3)
        self.assertEqual(stats["torrents"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
