"""The daemon reloads its configuration file on edit (config::watcher): a live key changed in the
file shows in `btbt config get`; a broken edit keeps the running value and is logged; a restart-only
key is reported as waiting for a restart. Every wait is bounded.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402
from daemon_util import Daemon  # noqa: E402


class DaemonReloadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = fixtures.TempDir(prefix="ccbt-daemon-reload-")
        d = self.tmp.path
        self.xdg = os.path.join(d, "xdg")
        os.makedirs(os.path.join(self.xdg, "ccbt"))
        self.file = os.path.join(self.xdg, "ccbt", "ccbt.toml")
        self.write("[limits]\ndownload_rate = 100000\n")
        self.daemon = Daemon(os.path.join(d, "state"), extra_env={"XDG_CONFIG_HOME": self.xdg})

    def tearDown(self):
        try:
            self.daemon.stop()
        finally:
            self.tmp.__exit__(None, None, None)

    def write(self, text):
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.file)

    def get(self, key):
        # --state-dir: btbt itself then does not read the (possibly broken) file
        return self.daemon.btbt("--state-dir", self.daemon.state_dir, "config", "get", key).stdout.strip()

    def wait_value(self, key, value, timeout=10):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.get(key)
            if last == value:
                return last
            time.sleep(0.1)
        raise AssertionError(f"{key}: {last} after {timeout} s, wanted {value}")

    def wait_log(self, needle, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(needle in line for line in self.daemon.child.stderr_lines):
                return
            time.sleep(0.1)
        raise AssertionError(f"no log line with {needle!r}: {self.daemon.child.stderr_lines[-10:]}")

    def test_edit_applies_live_keys(self):
        self.daemon.start()
        self.assertEqual(self.get("limits.download_rate"), "100000")
        self.write("[limits]\ndownload_rate = 250000\n")
        self.wait_value("limits.download_rate", "250000")
        self.wait_log("applied limits.download_rate")
        # a broken edit: logged, the running value stays
        self.write("[limits]\ndownload_rate = \"fast\"\n")
        self.wait_log("the running configuration stays")
        self.assertEqual(self.get("limits.download_rate"), "250000")
        # a restart-only key: reported, not applied
        before = self.get("disk.io_threads")
        self.write("[limits]\ndownload_rate = 250000\n[disk]\nio_threads = 7\n")
        self.wait_log("takes effect at the next start")
        self.assertEqual(self.get("disk.io_threads"), before)
        show = self.daemon.btbt("--state-dir", self.daemon.state_dir, "config", "show").stdout
        line = [x for x in show.splitlines() if "disk.io_threads" in x]
        self.assertIn("applies at the next start", line[0] if line else show)

    def test_reload_command(self):
        """`btbt config reload` reads the file now: once it answers, the edit is in effect (no wait);
        it names the restart-only keys; a broken file is an error and the running values stay."""
        import json
        self.daemon.start()
        cli = ("--state-dir", self.daemon.state_dir)
        self.write("[limits]\ndownload_rate = 300000\n[disk]\nio_threads = 7\n")
        r = json.loads(self.daemon.btbt(*cli, "config", "reload", "--json").stdout)
        self.assertEqual(self.get("limits.download_rate"), "300000", "applied when the reload answers")
        self.assertEqual(r["file"], self.file)
        # the watcher may have applied the edit first: then nothing is left to apply here
        self.assertIn(r["applied"], (["limits.download_rate"], []))
        self.assertEqual(r["restart"], ["disk.io_threads"])
        text = self.daemon.btbt(*cli, "config", "reload").stdout
        self.assertIn("disk.io_threads changed: applies at the next daemon start", text)
        self.write("[limits]\ndownload_rate = \"fast\"\n")
        bad = self.daemon.btbt(*cli, "config", "reload", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("limits.download_rate", bad.stderr)
        self.assertIn("the running configuration stays", bad.stderr)
        self.assertEqual(self.get("limits.download_rate"), "300000")


if __name__ == "__main__":
    unittest.main()
