"""The session announces to trackers and finds its peers through them (no --peer anywhere).

  - ccbt seeder + ccbt downloader through opentracker (the Debian package), over HTTP and over UDP;
  - a libtorrent downloader through ccbt's embedded tracker (`btbt tracker`) from a ccbt seeder;
  - broken trackers in the first tiers (a garbage body, a "failure reason") give a tracker_error
    alert each, naming it, and the download still completes through the tracker of the last tier.

Run by CTest with Debian's /usr/bin/python3 (CCBT_BIN, BTBT_BIN). Loopback only; every process
and wait is bounded in time.
"""
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest

from fixtures import (Child, TempDir, assert_same_tree, binary, ccbt_download, ccbt_seed, free_port,
                      lt_downloader, make_torrent, tree_digest, write_random_file)

SIZE = 3 * 1024 * 1024 + 4321


def write_torrent(directory, name, trackers, kind="v1"):
    """Random content directory/seed/<name> and a torrent of it announcing to `trackers` (one tier
    each, a list inside the list = one tier of several); returns (torrent path, info)."""
    content = os.path.join(directory, "seed", name)
    write_random_file(content, SIZE, seed=len(name) + 7)
    flat = [t if isinstance(t, str) else t[0] for t in trackers]
    data, info = make_torrent(content, 64 * 1024, kind, trackers=flat)
    path = os.path.join(directory, name + ".torrent")
    with open(path, "wb") as f:
        f.write(data)
    return path, info


def scrape(url, info_hash):
    """The good tracker's scrape entry for the torrent, through ccbt_tracker_tool."""
    tool = os.environ.get("CCBT_TRACKER_TOOL")
    proc = subprocess.run([tool, "scrape", "--url", url, "--info-hash", info_hash], capture_output=True, text=True,
                          timeout=20)
    return json.loads([l for l in proc.stdout.splitlines() if l.startswith("{")][-1])["files"][0]


class ThroughOpentracker(unittest.TestCase):
    """opentracker only serves whitelisted info-hashes and reads the whitelist after chrooting
    into -d and dropping privileges: directory 0755, file 0644, path relative to the directory."""

    def setUp(self):
        if not shutil.which("opentracker"):
            raise unittest.SkipTest("opentracker is not installed")
        self.tmp = TempDir()
        self.dir = self.tmp.__enter__()
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}/announce"
        self.udp = f"udp://127.0.0.1:{self.port}/announce"
        self.torrents = {}
        for proto, url in (("http", self.http), ("udp", self.udp)):
            self.torrents[proto] = write_torrent(self.dir, "ot-" + proto, [url])
        with open(os.path.join(self.dir, "whitelist.txt"), "w") as f:
            for _, info in self.torrents.values():
                f.write(str(info.info_hash()) + "\n")
        os.chmod(self.dir, 0o755)
        os.chmod(os.path.join(self.dir, "whitelist.txt"), 0o644)
        self.ot = Child(["opentracker", "-i", "127.0.0.1", "-p", str(self.port), "-P", str(self.port),
                         "-d", self.dir, "-w", "whitelist.txt"], 150, name="opentracker")
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.ot.proc.poll() is not None:
                    self.ot.stop()
                    raise RuntimeError("opentracker did not start: " + "\n".join(self.ot.stderr_lines))
                time.sleep(0.05)
        # opentracker loads the whitelist on a thread of its own, after it starts listening; ccbt's
        # retries (15 s, 30 s, ...) would cover that but slow the test: give it a moment.
        time.sleep(1.0)

    def tearDown(self):
        self.ot.stop()
        self.tmp.__exit__(None, None, None)

    def swarm(self, proto, url):
        torrent, _ = self.torrents[proto]
        out = os.path.join(self.dir, "out-" + proto)
        with ccbt_seed(torrent, os.path.join(self.dir, "seed"), seconds=100, name="ccbt-seeder-" + proto) as seeder:
            seeder.wait_for(lambda o: o.get("kind") == "tracker_reply", 40, what="the seeder's tracker_reply")
            with ccbt_download(torrent, out, seconds=90, extra=("--no-resume",), name="ccbt-" + proto) as dl:
                done = dl.wait_json("finished", 90)
                self.assertEqual(dl.drain(20), 0)
                replies = [a for a in dl.alerts("tracker_reply") if a.get("tracker") == url]
                self.assertTrue(replies, "no tracker_reply from " + url)
                self.assertGreaterEqual(max(a["num_peers"] for a in replies), 1)
                self.assertEqual(dl.alerts("tracker_error"), [])
                self.assertGreater(done["total_download"], 0)
                # "updating": the "completed" announce may be on its way.
                self.assertIn(done["trackers"][0]["state"], ("working", "updating"))
                self.assertEqual(len(done["trackers"]), 1)
                self.assertEqual(done["trackers"][0]["url"], url)
            assert_same_tree(self, os.path.join(self.dir, "seed", "ot-" + proto), os.path.join(out, "ot-" + proto))
            # The seeder was told about the downloader too, or accepted it: it uploaded.
            st = seeder.wait_json("status", 10)
            self.assertGreater(st["total_upload"], 0)

    def test_http(self):
        self.swarm("http", self.http)

    def test_udp(self):
        self.swarm("udp", self.udp)


class LibtorrentThroughBtbtTracker(unittest.TestCase):
    def test_libtorrent_downloads_from_ccbt_found_via_embedded_tracker(self):
        with TempDir() as d:
            with Child([binary("btbt"), "tracker", "--http-port", "0", "--udp-port", "0", "--interval", "10"], 150,
                       name="btbt-tracker") as tracker:
                url = tracker.wait_line(r"http announce: (\S+)", 10).group(1)
                torrent, _ = write_torrent(d, "via-btbt", [url])
                out = os.path.join(d, "out")
                os.makedirs(out)
                with ccbt_seed(torrent, os.path.join(d, "seed"), seconds=100) as seeder:
                    seeder.wait_for(lambda o: o.get("kind") == "tracker_reply", 30, what="the seeder's tracker_reply")
                    with lt_downloader(torrent, out, seconds=90) as lt:
                        done = lt.wait_json("finished", 80)
                        self.assertGreater(done["total_download"], 0)
                    self.assertEqual(tree_digest(out), tree_digest(os.path.join(d, "seed")))
                    st = seeder.wait_json("status", 10)
                    self.assertGreater(st["total_upload"], 0)
                    seeder.stop(signal.SIGINT)


class BrokenHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/garbage/"):
            body = b"<html>this is not a tracker</html>"
        else:
            body = b"d14:failure reason19:torrent not allowede"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class BrokenTrackerTier(unittest.TestCase):
    def test_errors_stay_with_their_tracker_and_the_next_tier_is_used(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BrokenHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{server.server_address[1]}"
            garbage, failing = base + "/garbage/announce", base + "/fail/announce"
            with TempDir() as d, Child([binary("btbt"), "tracker", "--http-port", "0", "--udp-port", "-1"], 150,
                                       name="btbt-tracker") as tracker:
                good = tracker.wait_line(r"http announce: (\S+)", 10).group(1)
                # Tiers: 0 = the .torrent's (garbage), then --tracker tiers 1 = failing, 2 = good.
                torrent, info = write_torrent(d, "tiers", [garbage])
                extra_tiers = ("--tracker", failing, "--tracker", good)
                out = os.path.join(d, "out")
                with ccbt_seed(torrent, os.path.join(d, "seed"), seconds=100,
                               extra=("--no-resume",) + extra_tiers) as seeder:
                    seeder.wait_for(lambda o: o.get("kind") == "tracker_reply" and o.get("tracker") == good, 60,
                                    what="the seeder's reply from the good tracker")
                    with ccbt_download(torrent, out, seconds=90, extra=("--no-resume",) + extra_tiers) as dl:
                        done = dl.wait_json("finished", 90)
                        self.assertEqual(dl.drain(20), 0)
                    errors = dl.alerts("tracker_error")
                    by_url = {a["tracker"]: a for a in errors}
                    self.assertIn(garbage, by_url)
                    self.assertIn(failing, by_url)
                    self.assertNotIn(good, by_url)
                    self.assertIn(garbage, by_url[garbage]["message"])
                    self.assertIn("torrent not allowed", by_url[failing]["message"])
                    self.assertTrue([a for a in dl.alerts("tracker_reply") if a["tracker"] == good])
                    states = {t["url"]: t for t in done["trackers"]}
                    self.assertIn(states[good]["state"], ("working", "updating"))  # "completed" in flight
                    self.assertEqual(states[garbage]["state"], "failing")
                    self.assertIn("torrent not allowed", states[failing]["error"])
                    assert_same_tree(self, os.path.join(d, "seed", "tiers"), os.path.join(out, "tiers"))
                    # The downloader's "completed" event was counted by the tracker.
                    if os.environ.get("CCBT_TRACKER_TOOL"):
                        deadline = time.time() + 10
                        while scrape(good, str(info.info_hash()))["downloaded"] < 1 and time.time() < deadline:
                            time.sleep(0.2)
                        self.assertEqual(scrape(good, str(info.info_hash()))["downloaded"], 1)
        finally:
            server.shutdown()
            server.server_close()


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(ipv6_loopback_available(), "no IPv6 on the loopback interface (::1 cannot be bound)")
class Ipv6ThroughTracker(unittest.TestCase):
    def test_peers6_from_the_tracker_lead_to_an_ipv6_transfer(self):
        # The tracker on [::1] sees both sessions as IPv6 senders and answers with compact peers6.
        with TempDir() as d, Child([binary("btbt"), "tracker", "--bind", "::1", "--http-port", "0",
                                    "--udp-port", "0"], 150, name="btbt-tracker6") as tracker:
            http6 = tracker.wait_line(r"http announce: (\S+)", 10).group(1)
            udp6 = tracker.wait_line(r"udp announce: +(\S+)", 10).group(1)
            self.assertIn("[::1]", http6)
            for proto, url in (("http", http6), ("udp", udp6)):
                torrent, _ = write_torrent(d, "six-" + proto, [url])
                out = os.path.join(d, "out-" + proto)
                seeder = Child([binary("ccbt"), "seed", torrent, "--data", os.path.join(d, "seed"), "--listen",
                                "[::1]:0", "--status-json", "--no-resume", "--seconds", "60"], 60, name="seed6-" + proto)
                with seeder:
                    seeder.wait_for(lambda o: o.get("kind") == "tracker_reply", 30, what="the seeder's tracker_reply")
                    dl = Child([binary("ccbt"), "download", torrent, "-o", out, "--listen", "[::1]:0",
                                "--status-json", "--no-resume", "--seconds", "50"], 50, name="dl6-" + proto)
                    with dl:
                        dl.wait_json("finished", 50)
                        self.assertEqual(dl.drain(20), 0)
                    replies = dl.alerts("tracker_reply")
                    self.assertTrue(replies and max(a["num_peers"] for a in replies) >= 1, replies)
                    connected = dl.alerts("peer_connected")
                    self.assertTrue(connected and all(a["peer"].startswith("[::1]:") for a in connected), connected)
                    assert_same_tree(self, os.path.join(d, "seed", "six-" + proto), os.path.join(out, "six-" + proto))


class StoppedOnExit(unittest.TestCase):
    def test_stopped_reaches_the_tracker_and_a_silent_tracker_does_not_hold_up_the_exit(self):
        tool = os.environ.get("CCBT_TRACKER_TOOL")
        if not tool:
            raise unittest.SkipTest("CCBT_TRACKER_TOOL is not set")
        # A tracker that accepts connections and never answers (the kernel completes the handshake).
        silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        silent_url = f"http://127.0.0.1:{silent.getsockname()[1]}/announce"
        try:
            with TempDir() as d, Child([binary("btbt"), "tracker", "--http-port", "0", "--udp-port", "-1"], 150,
                                       name="btbt-tracker") as tracker:
                good = tracker.wait_line(r"http announce: (\S+)", 10).group(1)
                torrent, info = write_torrent(d, "exit", [good, silent_url])

                def seeds():
                    return scrape(good, str(info.info_hash()))["complete"]

                seeder = ccbt_seed(torrent, os.path.join(d, "seed"), seconds=100,
                                   extra=("--no-resume", "--set", "discovery.announce_to_all_tiers=true"))
                with seeder:
                    seeder.wait_for(lambda o: o.get("kind") == "tracker_reply" and o.get("tracker") == good, 30,
                                    what="the reply of the good tracker")
                    self.assertEqual(seeds(), 1)
                    st = seeder.wait_json("status", 10)
                    states = {t["url"]: t["state"] for t in st["trackers"]}
                    self.assertEqual(states, {good: "working", silent_url: "updating"})
                    t0 = time.time()
                    seeder.send_signal(signal.SIGINT)
                    self.assertEqual(seeder.drain(20), 0)
                    # At most ~2 s for the "stopped" announces (the silent one never answers).
                    self.assertLess(time.time() - t0, 6.0)
                self.assertEqual(seeds(), 0)
        finally:
            silent.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
