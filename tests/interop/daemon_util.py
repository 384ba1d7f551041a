"""Helpers for the daemon tests: a ccbt daemon in a temporary state directory, driven through btbt.

The daemon runs in the foreground under `timeout` (fixtures.Child), on loopback, with the API on a
free port (daemon.api_port = 0; the bound address is read from <state_dir>/api.endpoint). Every
btbt call is bounded in time.
"""
import json
import os
import signal
import subprocess
import time
import unittest

import fixtures


def env_for(state_dir, extra_env=None):
    env = dict(os.environ)
    env["CCBT_DAEMON__API_PORT"] = "0"
    env["CCBT_NETWORK__LISTEN_INTERFACES"] = "127.0.0.1:0"
    env["CCBT_DAEMON__STATE_DIR"] = state_dir
    env["XDG_CONFIG_HOME"] = os.path.join(state_dir, "no-config")  # never read the user's ccbt.toml
    if extra_env:
        env.update(extra_env)
    return env


class Daemon:
    def __init__(self, state_dir, seconds=240, extra_env=None):
        self.state_dir = state_dir
        self.seconds = seconds
        self.extra_env = extra_env
        self.child = None

    # ---- lifecycle
    def start(self):
        endpoint = os.path.join(self.state_dir, "api.endpoint")
        if os.path.exists(endpoint):
            os.unlink(endpoint)
        self.child = fixtures.Child([fixtures.binary("btbt"), "daemon", "start", "--foreground"], self.seconds,
                                    env=env_for(self.state_dir, self.extra_env), cwd=os.path.dirname(self.state_dir), name="daemon")
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(endpoint):
                with open(endpoint) as f:
                    self.endpoint = f.read().strip()
                if self.endpoint:
                    host, port = self.endpoint.rsplit(":", 1)
                    self.host, self.port = host.strip("[]"), int(port)
                    return self
            if self.child.proc.poll() is not None:
                raise AssertionError(f"daemon exited: {self.child.stderr_lines[-10:]}")
            time.sleep(0.05)
        raise AssertionError(f"no api.endpoint after 30 s: {self.child.stderr_lines[-10:]}")

    def pid(self):
        with open(os.path.join(self.state_dir, "daemon.lock")) as f:
            return int(f.read().strip())

    def kill9(self):
        os.kill(self.pid(), signal.SIGKILL)
        self.child.drain(15)

    def stop(self):
        if self.child is not None and self.child.proc.poll() is None:
            r = self.btbt("daemon", "stop", check=False, timeout=90)
            if r.returncode != 0:
                self.child.stop(signal.SIGKILL)
            self.child.drain(30)

    def token(self):
        with open(os.path.join(self.state_dir, "api.token")) as f:
            return f.read().strip()

    # ---- btbt
    def btbt(self, *args, check=True, timeout=60):
        r = subprocess.run(["timeout", "-s", "KILL", str(timeout), fixtures.binary("btbt"), *args],
                           env=env_for(self.state_dir, self.extra_env), cwd=os.path.dirname(self.state_dir),
                           capture_output=True, text=True, timeout=timeout + 10)
        if check and r.returncode != 0:
            raise AssertionError(f"btbt {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    def list(self):
        return json.loads(self.btbt("list", "--json").stdout)["torrents"]

    def status(self, name):
        return json.loads(self.btbt("status", name, "--json").stdout)

    def wait_until(self, pred, timeout, what):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.list()
            if pred(last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"{what}: not reached in {timeout} s; list: {last}")


class DaemonTestCase(unittest.TestCase):
    """A temporary folder (self.tmp.path) with out/ (self.out) and a Daemon on state/ (self.daemon,
    not started). Subclasses write their content and torrents in make_content(d) and name the folder
    with `prefix`. tearDown stops the daemon and removes the folder."""

    prefix = "ccbt-daemon-"

    def make_content(self, d):
        pass

    def single_file_torrent(self, d, name, size, seed, piece):
        """Writes d/src/<name> (random, `size` bytes) and its v1 torrent d/<stem>.torrent: sets
        self.src, self.torrent and self.info."""
        self.src = os.path.join(d, "src")
        os.makedirs(self.src, exist_ok=True)
        fixtures.write_random_file(os.path.join(self.src, name), size, seed=seed)
        self.torrent = os.path.join(d, os.path.splitext(name)[0] + ".torrent")
        data, self.info = fixtures.make_torrent(os.path.join(self.src, name), piece, kind="v1")
        with open(self.torrent, "wb") as f:
            f.write(data)

    def setUp(self):
        self.tmp = fixtures.TempDir(prefix=self.prefix)
        d = self.tmp.path
        self.make_content(d)
        self.state = os.path.join(d, "state")
        self.out = os.path.join(d, "out")
        os.makedirs(self.out)
        self.daemon = Daemon(self.state)

    def tearDown(self):
        try:
            self.daemon.stop()
        finally:
            self.tmp.__exit__(None, None, None)
