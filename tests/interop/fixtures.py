"""Shared helpers for interop tests: temporary data, torrents made by libtorrent, and child processes
(libtorrent peers, ccbt, transmission, opentracker) that are always bounded in time and always stopped.

Only loopback addresses are used. Every child is started by us, under `timeout`, and only our own
children are signalled.
"""
import hashlib
import json
import os
import queue
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import libtorrent as lt

HERE = os.path.dirname(os.path.abspath(__file__))
LT_PEER = os.path.join(HERE, "lt_peer.py")
PYTHON = "/usr/bin/python3"


def binary(name):
    """Path of one of our programs, from the environment CTest sets (CCBT_BIN, BTBT_BIN)."""
    path = os.environ.get(name.upper() + "_BIN")
    if not path or not os.path.exists(path):
        raise RuntimeError(f"{name.upper()}_BIN is not set or does not exist (run through ctest)")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_random_file(path, size, seed):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n


def make_torrent(content_path, piece_size, kind="v1", trackers=()):
    """Creates a torrent of `content_path` (file or folder) with libtorrent; returns (bytes, info)."""
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[kind]
    fs = lt.file_storage()
    lt.add_files(fs, content_path)
    ct = lt.create_torrent(fs, piece_size, flags=flags)
    for tier, url in enumerate(trackers):
        ct.add_tracker(url, tier)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(content_path)))
    data = lt.bencode(ct.generate())
    return data, lt.torrent_info(lt.bdecode(data))


def tree_digest(root):
    """{relative path: sha1} of every regular file under root (pad dirs excluded)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)
            if rel.split(os.sep)[0] == ".pad" or f"{os.sep}.pad{os.sep}" in p:
                continue
            h = hashlib.sha1()
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            out[rel] = h.hexdigest()
    return out


class Child:
    """A child process with line-oriented stdout read on a thread; killed on stop() / context exit."""

    def __init__(self, argv, seconds, env=None, cwd=None, name=None):
        self.name = name or os.path.basename(argv[0])
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        # `timeout` bounds the child even if this test process dies.
        self.proc = subprocess.Popen(["timeout", "-s", "KILL", str(int(seconds) + 5)] + list(argv),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                                     cwd=cwd, text=True, start_new_session=True)
        self.lines = queue.Queue()
        self.stderr_lines = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    def _pump(self, stream, q):
        for line in stream:
            q.put(line.rstrip("\n"))
        q.put(None)

    def _pump_err(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def wait_json(self, event, timeout):
        """Waits for a JSON line {"event": event}; returns it (raises on timeout or exit)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self.proc.wait()}) before '{event}': "
                                   + "\n".join(self.stderr_lines[-20:]))
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if obj.get("event") == event:
                return obj
        raise TimeoutError(f"{self.name}: no '{event}' within {timeout}s; stderr: "
                           + "\n".join(self.stderr_lines[-20:]))

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)

    def send_signal(self, sig):
        if self.proc.poll() is None:
            # The process group we created (start_new_session): `timeout` and its child.
            os.killpg(self.proc.pid, sig)

    def stop(self, sig=signal.SIGTERM, grace=5):
        if self.proc.poll() is None:
            self.send_signal(sig)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def lt_seeder(torrent_path, data_dir, seconds=120, port=0):
    c = Child([PYTHON, LT_PEER, "seed", "--torrent", torrent_path, "--data", data_dir,
               "--port", str(port), "--seconds", str(seconds)], seconds, name="lt-seeder")
    c.port = c.wait_json("listening", 20)["port"]
    return c


def lt_downloader(torrent_path, out_dir, peers=(), seconds=120, port=0, have_pieces=None, data_dir=None):
    argv = [PYTHON, LT_PEER, "download", "--torrent", torrent_path, "--out", out_dir,
            "--port", str(port), "--seconds", str(seconds)]
    for p in peers:
        argv += ["--peer", p]
    if have_pieces is not None:
        argv += ["--have-pieces", have_pieces, "--data", data_dir]
    c = Child(argv, seconds, name="lt-downloader")
    c.port = c.wait_json("listening", 20)["port"]
    return c


class TempDir:
    def __init__(self, prefix="ccbt-interop-"):
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.path = tempfile.mkdtemp(prefix=prefix, dir=base)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
