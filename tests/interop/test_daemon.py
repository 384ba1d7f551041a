"""The ccbt daemon end to end, driven through btbt on loopback:

- add two torrents served by a libtorrent seeder (one paused), watch one finish via `list --json`,
  compare the data byte for byte; resume the paused one, pause the other;
- stop and start the daemon: the same torrents, in the same order, with the same paused flags and
  their data found complete again; then the same after `kill -9` of the daemon;
- remove a torrent with its data: the files are gone, and it stays gone after a restart;
- `btbt daemon start` in the background, a second start refused, status, stop.

Every process is bounded in time (fixtures.Child / timeout).
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
from daemon_util import Daemon, DaemonTestCase  # noqa: E402

PIECE = 64 * 1024
TREE = {"a.bin": 1_000_003, "sub/b.bin": 2_345_678, "sub/empty": 0}
SINGLE = 1_500_001


def gone_or_zombie(pid, timeout=10):
    """True once pid has exited (a zombie waiting for init to reap it counts as exited)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


class DaemonTest(DaemonTestCase):
    prefix = "ccbt-daemon-"

    def make_content(self, d):
        self.src = os.path.join(d, "src")
        fixtures.write_tree(os.path.join(self.src, "tree"), TREE, seed=5)
        fixtures.write_random_file(os.path.join(self.src, "single.bin"), SINGLE, 11)
        self.tree_torrent = os.path.join(d, "tree.torrent")
        self.single_torrent = os.path.join(d, "single.torrent")
        for path, content in ((self.tree_torrent, "tree"), (self.single_torrent, "single.bin")):
            data, _ = fixtures.make_torrent(os.path.join(self.src, content), PIECE, kind="v1")
            with open(path, "wb") as f:
                f.write(data)

    def restart(self, kill):
        if kill:
            self.daemon.kill9()
        else:
            r = self.daemon.btbt("daemon", "stop")
            self.assertIn("stopped", r.stdout)
            self.assertEqual(self.daemon.child.drain(30), 0, self.daemon.child.stderr_lines[-10:])
            self.assertEqual(self.daemon.btbt("daemon", "status", check=False).returncode, 3)
        self.daemon.start()

    def test_lifecycle_and_persistence(self):
        dm = self.daemon.start()
        st = dm.btbt("daemon", "status")
        self.assertIn("running", st.stdout)
        token = os.path.join(self.state, "api.token")
        self.assertEqual(os.stat(token).st_mode & 0o777, 0o600, "the token file is private")

        # the tree's seeder is rate-limited so that its peer can be seen while the download runs
        with fixtures.lt_seeder(self.tree_torrent, self.src, seconds=200, upload_limit=1_000_000, name="seed-tree") as s1, \
             fixtures.lt_seeder(self.single_torrent, self.src, seconds=200, name="seed-single") as s2:
            r = dm.btbt("add", self.tree_torrent, "-o", self.out, "--peer", f"127.0.0.1:{s1.port}")
            self.assertIn("added #0", r.stdout)
            r = dm.btbt("add", self.single_torrent, "-o", self.out, "--paused", "--peer", f"127.0.0.1:{s2.port}")
            self.assertIn("added #1", r.stdout)
            deadline = time.time() + 20
            peers = []
            while time.time() < deadline and not (peers and peers[0]["seed"]):
                peers = json.loads(dm.btbt("peers", "0", "--json").stdout)["peers"]
            self.assertEqual([p["endpoint"] for p in peers], [f"127.0.0.1:{s1.port}"], "the seeder, while downloading")
            self.assertTrue(peers[0]["seed"])
            # ccbt dials with an MSE handshake; libtorrent (defaults) picks the plaintext payload
            self.assertEqual(peers[0]["encryption"], "handshake")
            table = dm.btbt("peers", "0").stdout
            row = next(l for l in table.splitlines() if l.startswith(f"127.0.0.1:{s1.port}"))
            self.assertIn("e", row.split()[-1], f"flags of {row!r}")
            r = dm.btbt("files", "1", "--priority", "0=7", "--json")
            self.assertEqual(json.loads(r.stdout)["files"][0]["priority"], 7)
            dup = dm.btbt("add", self.single_torrent, "-o", self.out, check=False)
            self.assertNotEqual(dup.returncode, 0)
            self.assertIn("already", dup.stderr)

            lst = dm.wait_until(lambda l: l[0]["progress"] == 1.0 and l[0]["state"] == "seeding", 90, "tree complete")
            self.assertEqual([t["index"] for t in lst], [0, 1])
            self.assertEqual(lst[1]["state"], "paused")
            self.assertTrue(lst[1]["paused"])
            self.assertEqual(lst[1]["total_wanted_done"], 0, "a paused torrent downloads nothing")
            fixtures.assert_same_tree(self, os.path.join(self.src, "tree"), os.path.join(self.out, "tree"))
            tree_id, single_id = lst[0]["id"], lst[1]["id"]

            # status / files / peers of the finished one
            st = dm.status("0")
            self.assertEqual(st["id"], tree_id)
            self.assertEqual(st["pieces_done"], st["num_pieces"])
            files = json.loads(dm.btbt("files", tree_id[:8], "--json").stdout)["files"]
            self.assertEqual(sorted(f["path"] for f in files), sorted("tree/" + p for p in TREE))
            self.assertTrue(all(f["progress"] == 1.0 for f in files), files)

            # resume the paused one by an id prefix; pause the finished one by index
            dm.btbt("resume", single_id[:6])
            dm.btbt("pause", "0")
            lst = dm.wait_until(lambda l: l[1]["progress"] == 1.0, 90, "single complete")
            self.assertEqual(lst[0]["state"], "paused")
            fixtures.assert_same_file(self, os.path.join(self.src, "single.bin"), os.path.join(self.out, "single.bin"))

        # clean restart: same torrents, same order and flags, data found complete
        self.restart(kill=False)
        lst = self.daemon.wait_until(lambda l: len(l) == 2 and l[1]["state"] == "seeding", 60, "restored after stop")
        self.assertEqual([t["id"] for t in lst], [tree_id, single_id])
        self.assertTrue(lst[0]["paused"])
        self.assertEqual(lst[0]["state"], "paused")
        self.assertFalse(lst[1]["paused"])
        self.assertEqual(lst[1]["progress"], 1.0)
        self.assertEqual(lst[0]["save_path"], self.out)
        files = json.loads(self.daemon.btbt("files", "1", "--json").stdout)["files"]
        self.assertEqual(files[0]["priority"], 7, "file priorities are kept")
        self.daemon.btbt("recheck", "1")
        lst = self.daemon.wait_until(lambda l: l[1]["state"] == "seeding" and l[1]["progress"] == 1.0, 60, "recheck")

        # settings changed through the API: live ones at once, all of them kept across restarts
        r = self.daemon.btbt("config", "set", "limits.upload_rate", "3 MiB")
        self.assertIn('limits.upload_rate = "3 MiB"', r.stdout)
        r = self.daemon.btbt("config", "set", "daemon.api_max_connections", "7")
        self.assertIn("next daemon start", r.stdout)
        bad = self.daemon.btbt("config", "set", "network.max_connections", "zero", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("network.max_connections", bad.stderr)
        self.assertEqual(self.daemon.btbt("config", "get", "limits.upload_rate").stdout.strip(), '"3 MiB"')
        # the session's limits through `btbt limits --global`: the same settings as `config set`
        g = json.loads(self.daemon.btbt("limits", "--global", "--download", "2MiB", "--json").stdout)
        self.assertEqual(g["download_rate"]["value"], '"2 MiB"')
        self.assertEqual(g["upload_rate"]["value"], '"3 MiB"')
        self.assertEqual(self.daemon.btbt("config", "get", "limits.download_rate").stdout.strip(), '"2 MiB"')
        self.assertIn("per torrent", self.daemon.btbt("limits", "--global", "--slots", "3", check=False).stderr)
        self.assertIn("--global", self.daemon.btbt("limits", check=False).stderr)

        # change state, then kill -9: the change was committed before the answer
        self.daemon.btbt("resume", "0")
        self.daemon.btbt("pause", "1")
        self.restart(kill=True)
        lst = self.daemon.wait_until(lambda l: len(l) == 2 and l[0]["state"] == "seeding", 60, "restored after kill -9")
        self.assertEqual([t["id"] for t in lst], [tree_id, single_id])
        self.assertEqual(lst[0]["progress"], 1.0)
        self.assertFalse(lst[0]["paused"])
        self.assertTrue(lst[1]["paused"])
        self.assertEqual(lst[1]["state"], "paused")
        self.assertEqual(self.daemon.btbt("config", "get", "limits.upload_rate").stdout.strip(), '"3 MiB"')
        self.assertEqual(self.daemon.btbt("config", "get", "daemon.api_max_connections").stdout.strip(), "7")
        self.assertIn('"2 MiB"', self.daemon.btbt("limits", "--global").stdout, "the global limit is kept")
        g = json.loads(self.daemon.btbt("limits", "--global", "--download", "none", "--json").stdout)
        self.assertEqual(g["download_rate"]["value"], "0")
        self.daemon.btbt("config", "unset", "limits.upload_rate")
        self.assertEqual(self.daemon.btbt("config", "get", "limits.upload_rate").stdout.strip(), "0")

        # remove with data
        r = self.daemon.btbt("remove", single_id[:10], "--delete-data")
        self.assertIn("removed", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.out, "single.bin")), "data deleted")
        self.assertTrue(os.path.exists(os.path.join(self.out, "tree", "a.bin")), "other torrent's data kept")
        self.assertEqual([t["id"] for t in self.daemon.list()], [tree_id])
        gone = self.daemon.btbt("status", single_id[:10], check=False)
        self.assertNotEqual(gone.returncode, 0)
        self.restart(kill=True)
        self.assertEqual([t["id"] for t in self.daemon.list()], [tree_id])

    def test_trackers_and_limits(self):
        dead = "http://127.0.0.1:9/announce"  # nothing listens there: the tracker fails, harmlessly
        data, _ = fixtures.make_torrent(os.path.join(self.src, "single.bin"), PIECE, kind="v1", trackers=(dead,))
        tpath = os.path.join(self.tmp.path, "tracked.torrent")
        with open(tpath, "wb") as f:
            f.write(data)
        dm = self.daemon.start()
        bad = dm.btbt("add", tpath, "-o", self.out, "--down-limit", "fast", check=False)
        self.assertIn("--down-limit", bad.stderr)
        dm.btbt("add", tpath, "-o", self.out, "--paused", "--sequential", "--down-limit", "512KiB", "--up-limit", "256KiB/s")
        ov = json.loads(dm.btbt("limits", "0", "--json").stdout)
        self.assertEqual((ov["download_rate_limit"], ov["upload_rate_limit"]), (512 << 10, 256 << 10), "limits given at add")
        self.assertEqual(json.loads(dm.btbt("status", "0", "--json").stdout)["strategy"], "sequential")
        urls = lambda: [(t["tier"], t["url"]) for t in json.loads(dm.btbt("trackers", "0", "--json").stdout)["trackers"]]
        self.assertEqual(urls(), [(0, dead)])
        extra = "udp://127.0.0.1:9/announce"
        dm.btbt("trackers", "0", "--add", extra, "--tier", "1")
        self.assertEqual(urls(), [(0, dead), (1, extra)])
        dup = dm.btbt("trackers", "0", "--add", extra, check=False)
        self.assertIn("already", dup.stderr)
        dm.btbt("trackers", "0", "--remove", dead)
        self.assertEqual(urls(), [(0, extra)] if urls() and urls()[0][0] == 0 else [(1, extra)])
        missing = dm.btbt("trackers", "0", "--remove", dead, check=False)
        self.assertNotEqual(missing.returncode, 0)
        dm.btbt("trackers", "0", "--announce")

        ov = json.loads(dm.btbt("limits", "0", "--download", "1MiB", "--max-peers", "5", "--json").stdout)
        self.assertEqual(ov["download_rate_limit"], 1 << 20)
        self.assertEqual(ov["max_connections"], 5)
        self.assertEqual(ov["upload_rate_limit"], 256 << 10, "the add's upload limit is unchanged")
        bad = dm.btbt("limits", "0", "--max-peers", "0", check=False)
        self.assertIn("max_connections", bad.stderr)

        self.restart(kill=False)
        self.assertEqual([u for _, u in urls()], [extra], "tracker changes are kept")
        ov = json.loads(self.daemon.btbt("limits", "0", "--json").stdout)
        self.assertEqual(ov["download_rate_limit"], 1 << 20, "limits are kept")
        self.assertEqual(ov["upload_rate_limit"], 256 << 10, "the add's limit is kept")
        self.assertEqual(ov["max_connections"], 5)
        self.assertEqual(json.loads(self.daemon.btbt("status", "0", "--json").stdout)["strategy"], "sequential")
        ov = json.loads(self.daemon.btbt("limits", "0", "--download", "none", "--json").stdout)
        self.assertIsNone(ov["download_rate_limit"])

    def test_background_start_stop(self):
        dm = self.daemon
        r = dm.btbt("daemon", "start", timeout=60)
        try:
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("daemon started", r.stdout)
            pid = dm.pid()
            again = dm.btbt("daemon", "start", check=False)
            self.assertEqual(again.returncode, 1)
            self.assertIn("already running", again.stderr)
            st = dm.btbt("daemon", "status")
            self.assertIn(f"pid {pid}", st.stdout)
            self.assertEqual(dm.list(), [])
            # another state directory, the same API port: a clear error, no half-started daemon
            port = int(open(os.path.join(self.state, "api.endpoint")).read().strip().rsplit(":", 1)[1])
            other = Daemon(os.path.join(self.tmp.path, "state2"), extra_env={"CCBT_DAEMON__API_PORT": str(port)})
            busy = other.btbt("daemon", "start", "--foreground", check=False, timeout=30)
            self.assertEqual(busy.returncode, 1, busy.stderr)
            self.assertIn("cannot listen for the API", busy.stderr)
            self.assertEqual(other.btbt("daemon", "status", check=False).returncode, 3)
            r = dm.btbt("daemon", "stop", timeout=90)
            self.assertIn("stopped", r.stdout)
            self.assertEqual(dm.btbt("daemon", "status", check=False).returncode, 3)
            self.assertTrue(gone_or_zombie(pid), f"daemon {pid} still running after stop")
        finally:
            try:
                os.kill(dm.pid(), 9)
            except (ProcessLookupError, OSError, ValueError):
                pass


if __name__ == "__main__":
    unittest.main(verbosity=2)
