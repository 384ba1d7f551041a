"""Shared helpers for interop tests: temporary data, torrents made by libtorrent, and child processes
(libtorrent peers, ccbt, transmission, opentracker) that are always bounded in time and always stopped.

Only loopback addresses are used. Every child is started by us, under `timeout`, and only our own
children are signalled.
"""
import filecmp
import fnmatch
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
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


def write_tree(root, files, seed=0):
    """Creates root/<relative path> for each {relative path: size} (random bytes, empty files too)."""
    for i, (rel, size) in enumerate(sorted(files.items())):
        path = os.path.join(root, rel)
        if size == 0:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "wb").close()
        else:
            write_random_file(path, size, seed * 1000 + i)


def make_torrent(content_path, piece_size, kind="v1", trackers=()):
    """Creates a torrent of `content_path` (file or folder) with libtorrent; returns (bytes, info)."""
    # "v1-pad": a v1 torrent with BEP 47 pad files aligning every file to a piece (canonical_files).
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0,
             "v1-pad": lt.create_torrent.v1_only | lt.create_torrent.canonical_files}[kind]
    fs = lt.file_storage()
    lt.add_files(fs, content_path)
    ct = lt.create_torrent(fs, piece_size, flags=flags)
    for tier, url in enumerate(trackers):
        ct.add_tracker(url, tier)
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(content_path)))
    data = lt.bencode(ct.generate())
    return data, lt.torrent_info(lt.bdecode(data))


# ccbt's fast-resume database (and its SQLite journal files) in a download directory.
RESUME_FILES = (".ccbt-resume.sqlite*",)


def tree_digest(root, exclude=()):
    """{relative path: sha1} of every regular file under root (pad dirs excluded, and files whose
    name matches one of the `exclude` glob patterns, e.g. RESUME_FILES)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if any(fnmatch.fnmatch(f, pat) for pat in exclude):
                continue
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


def content_files(root, exclude=RESUME_FILES):
    """Sorted relative paths of the regular files under root, pad dirs and `exclude` patterns left out."""
    return sorted(tree_digest(root, exclude))


def assert_same_tree(tc, expected_root, actual_root, exclude=RESUME_FILES):
    """unittest assertion: the same files (empty ones included) under both roots, byte for byte."""
    want = content_files(expected_root, exclude)
    got = content_files(actual_root, exclude)
    tc.assertEqual(want, got, f"files under {actual_root}")
    for rel in want:
        a, b = os.path.join(expected_root, rel), os.path.join(actual_root, rel)
        tc.assertEqual(os.path.getsize(a), os.path.getsize(b), f"size of {rel}")
        tc.assertTrue(filecmp.cmp(a, b, shallow=False), f"{rel} differs from the original")


def assert_same_file(tc, expected, actual):
    tc.assertTrue(os.path.isfile(actual), f"{actual} missing")
    tc.assertEqual(os.path.getsize(expected), os.path.getsize(actual), f"size of {actual}")
    tc.assertTrue(filecmp.cmp(expected, actual, shallow=False), f"{actual} differs from {expected}")


def content_size(ti):
    """Bytes of a torrent's real files (pad files left out)."""
    fs = ti.files()
    return sum(fs.file_size(i) for i in range(fs.num_files())
               if not fs.file_flags(i) & lt.file_storage.flag_pad_file)


def pad_size(ti):
    fs = ti.files()
    return sum(fs.file_size(i) for i in range(fs.num_files()) if fs.file_flags(i) & lt.file_storage.flag_pad_file)


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
        self.events = []        # every JSON object read from stdout so far, in order
        self.eof = False
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    def _pump(self, stream, q):
        for line in stream:
            q.put(line.rstrip("\n"))
        stream.close()
        q.put(None)

    def _pump_err(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))
        self.proc.stderr.close()

    def _next_line(self, deadline):
        """(line, JSON object or None) for the next stdout line, (None, None) at EOF; raises
        queue.Empty at the deadline. JSON objects are kept in self.events."""
        if self.eof:
            return None, None
        line = self.lines.get(timeout=max(0.01, deadline - time.time()))
        if line is None:
            self.eof = True
            return None, None
        obj = None
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                self.events.append(obj)
            else:
                obj = None
        return line, obj

    def _stderr_tail(self):
        return "\n".join(self.stderr_lines[-20:])

    def wait_for(self, pred, timeout, what="event"):
        """Waits for a JSON line for which pred(obj) is true; returns it (raises on timeout or exit).
        Every JSON line read on the way is kept in self.events."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line, obj = self._next_line(deadline)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self.proc.wait()}) before {what}: "
                                   + self._stderr_tail())
            if obj is not None and pred(obj):
                return obj
        raise TimeoutError(f"{self.name}: no {what} within {timeout}s; stderr: " + self._stderr_tail())

    def wait_json(self, event, timeout):
        """Waits for a JSON line {"event": event}; returns it (raises on timeout or exit)."""
        return self.wait_for(lambda o: o.get("event") == event, timeout, what=f"'{event}'")

    def wait_line(self, pattern, timeout):
        """Waits for a stdout line matching the regular expression; returns the match."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line, _ = self._next_line(deadline)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"{self.name} exited ({self.proc.wait()}) before /{pattern}/: "
                                   + self._stderr_tail())
            m = rx.search(line)
            if m:
                return m
        raise TimeoutError(f"{self.name}: no line /{pattern}/ within {timeout}s; stderr: " + self._stderr_tail())

    def wait_stderr(self, pattern, timeout):
        """Waits for a stderr line matching the regular expression; returns the match."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        seen = 0
        while True:
            lines = self.stderr_lines[seen:]
            seen += len(lines)
            for line in lines:
                m = rx.search(line)
                if m:
                    return m
            if time.time() >= deadline:
                raise TimeoutError(f"{self.name}: no stderr line /{pattern}/ within {timeout}s; stderr: "
                                   + self._stderr_tail())
            if self.proc.poll() is not None and seen == len(self.stderr_lines):
                time.sleep(0.2)  # let the reader thread take the last lines
                if seen == len(self.stderr_lines):
                    raise RuntimeError(f"{self.name} exited ({self.proc.returncode}) before /{pattern}/: "
                                       + self._stderr_tail())
            time.sleep(0.05)

    def drain(self, timeout):
        """Reads stdout to its end and waits for the exit; returns the exit code (raises on timeout)."""
        deadline = time.time() + timeout
        while not self.eof:
            try:
                self._next_line(deadline)
            except queue.Empty:
                raise TimeoutError(f"{self.name}: still running after {timeout}s; stderr: "
                                   + self._stderr_tail()) from None
        return self.proc.wait(timeout=max(1, deadline - time.time()))

    def alerts(self, kind=None):
        """The {"event": "alert"} lines read so far (of this kind)."""
        return [e for e in self.events if e.get("event") == "alert" and (kind is None or e.get("kind") == kind)]

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


def lt_seeder(torrent_path, data_dir, seconds=120, port=0, upload_limit=0, corrupt_pieces=None, name="lt-seeder",
              extra=()):
    """A libtorrent seeder, returned once it has checked its data and accepts peers (.port, .ready).
    upload_limit: bytes/s for this torrent (loopback peers included). corrupt_pieces ("0,2,5-9"):
    flips bytes of these pieces in data_dir after the check, so it serves corrupt data (use a copy).
    extra: more lt_peer.py options (e.g. ["--enc-policy", "forced"])."""
    argv = [PYTHON, LT_PEER, "seed", "--torrent", torrent_path, "--data", data_dir,
            "--port", str(port), "--seconds", str(seconds)] + list(extra)
    if upload_limit:
        argv += ["--upload-limit", str(int(upload_limit))]
    if corrupt_pieces is not None:
        argv += ["--corrupt-pieces", corrupt_pieces]
    c = Child(argv, seconds, name=name)
    try:
        c.port = c.wait_json("listening", 20)["port"]
        c.ready = c.wait_json("ready", 30)
    except BaseException:
        c.stop()
        raise
    return c


def lt_downloader(torrent_path, out_dir, peers=(), seconds=120, port=0, have_pieces=None, data_dir=None,
                  stay=False, name="lt-downloader", extra=()):
    """A libtorrent downloader, returned once its check of existing data is done (.port, .ready).
    have_pieces ("0,2,5-9") with data_dir: starts with only those pieces. stay: keeps running (seeding)
    after {"event": "finished"} until --seconds elapse or it is stopped. extra: more lt_peer.py options."""
    argv = [PYTHON, LT_PEER, "download", "--torrent", torrent_path, "--out", out_dir,
            "--port", str(port), "--seconds", str(seconds)] + list(extra)
    for p in peers:
        argv += ["--peer", p]
    if have_pieces is not None:
        argv += ["--have-pieces", have_pieces, "--data", data_dir]
    if stay:
        argv += ["--stay"]
    c = Child(argv, seconds, name=name)
    try:
        c.port = c.wait_json("listening", 20)["port"]
        c.ready = c.wait_json("ready", 30)
    except BaseException:
        c.stop()
        raise
    return c


def ccbt_download(torrent_path, out_dir, peers=(), seconds=60, extra=(), name="ccbt"):
    """`ccbt download` with --status-json on an ephemeral loopback port, bounded by --seconds (exit 3
    when it runs out); returned once it listens (.port). Add "--no-resume" etc. through extra."""
    argv = [binary("ccbt"), "download", torrent_path, "-o", out_dir, "--listen", "127.0.0.1:0",
            "--status-json", "--seconds", str(seconds)]
    for p in peers:
        argv += ["--peer", p]
    argv += list(extra)
    c = Child(argv, seconds + 10, name=name)
    try:
        c.port = c.wait_json("listening", 20)["port"]
    except BaseException:
        c.stop()
        raise
    return c


def ccbt_seed(torrent_path, data_dir, seconds=60, extra=("--no-resume",), name="ccbt-seeder"):
    """`ccbt seed` on an ephemeral loopback port; returned once its check of the data is done (.port,
    .checked = the torrent_checked alert). Stop it with stop(signal.SIGINT)."""
    argv = [binary("ccbt"), "seed", torrent_path, "--data", data_dir, "--listen", "127.0.0.1:0",
            "--status-json", "--seconds", str(seconds)] + list(extra)
    c = Child(argv, seconds + 10, name=name)
    try:
        c.port = c.wait_json("listening", 20)["port"]
        c.checked = c.wait_for(lambda o: o.get("event") == "alert" and o.get("kind") == "torrent_checked", 30,
                               what="torrent_checked")
    except BaseException:
        c.stop()
        raise
    return c


TRANSMISSION_SETTINGS = {
    # Loopback only, nothing else: these are switched off only here, not by command-line flags.
    "dht-enabled": False, "lpd-enabled": False, "pex-enabled": False, "utp-enabled": False,
    "port-forwarding-enabled": False, "blocklist-enabled": False,
    "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
    "encryption": 0,                              # prefer plaintext (accepts both)
    "speed-limit-up-enabled": False, "speed-limit-down-enabled": False, "alt-speed-enabled": False,
    "ratio-limit-enabled": False, "idle-seeding-limit-enabled": False,
    "peer-limit-global": 50, "peer-limit-per-torrent": 50,
    "message-level": 3,                           # debug: "Verification is done" on stderr
    "start-added-torrents": True,
}


def transmission_cli(torrent_path, download_dir, config_dir, seconds=60, port=None, verified=True,
                     encryption="tolerated"):
    """transmission-cli on torrent_path with download_dir (its data: it seeds what is complete there,
    downloads the rest), DHT/LPD/PEX/uTP/port mapping off through settings.json in config_dir, on a
    fixed loopback port (.port). Returned once it listens and, with `verified`, once its check of the
    existing data is done. Stop it with stop(signal.SIGINT) (SIGTERM loses its write cache).
    Transmission drops loopback peers learnt from trackers but accepts incoming loopback connections:
    dial it. Its stdout status line is \r-terminated and block-buffered in a pipe, so everything is
    read from its debug log on stderr (wait_stderr). encryption: "tolerated" (plaintext preferred,
    MSE accepted) or "required" (MSE only: -er)."""
    port = port or free_port()
    os.makedirs(config_dir, exist_ok=True)
    settings = dict(TRANSMISSION_SETTINGS, **{"peer-port": port, "download-dir": download_dir,
                                              "encryption": 2 if encryption == "required" else 0})
    with open(os.path.join(config_dir, "settings.json"), "w") as f:
        json.dump(settings, f, indent=1)
    argv = ["transmission-cli", "-g", config_dir, "-p", str(port), "-w", download_dir,
            "-er" if encryption == "required" else "-et", "-M", "-U", torrent_path]
    c = Child(argv, seconds, name="transmission-cli")
    c.port = port
    try:
        c.wait_stderr(r"Bound socket \d+ to port %d on 127\.0\.0\.1" % port, 20)
        if verified:
            c.wait_stderr(r"Verification is done", 30)
    except BaseException:
        c.stop(signal.SIGINT)
        raise
    return c


def transmission_seeder(torrent_path, data_dir, config_dir, seconds=60, port=None, encryption="tolerated"):
    """transmission_cli() over complete data: returned once it has verified it and seeds."""
    return transmission_cli(torrent_path, data_dir, config_dir, seconds, port, verified=True, encryption=encryption)


# transmission-cli's log line when a download completes.
TRANSMISSION_COMPLETE = r'State changed from "Incomplete" to "Complete"'


class TempDir:
    def __init__(self, prefix="ccbt-interop-"):
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.path = tempfile.mkdtemp(prefix=prefix, dir=base)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)
