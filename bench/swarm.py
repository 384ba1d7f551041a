#!/usr/bin/python3
"""Loopback swarm benchmark: ccbt against libtorrent (Debian python3-libtorrent) on tmpfs, in one run.

    /usr/bin/python3 bench/swarm.py [--ccbt PATH] [--size 1GiB] [--piece-size 1MiB] [--runs 3]
                                    [--timeout 300] [--idle-seconds 5] [--no-verify] [--json] [--save F]

One data file of random bytes and its v1 torrent (made by libtorrent) are written once to a work
folder under /dev/shm (tmpfs: the data is always in memory, so no disk is measured). Every transfer
has a fresh seeder process and a fresh download folder on tmpfs, deleted afterwards. Scenarios:

    A  libtorrent seeder -> ccbt downloader
    B  libtorrent seeder -> libtorrent downloader
    C  ccbt seeder       -> libtorrent downloader

A against B compares the downloaders (same seeder); C against B compares the seeders (same
downloader). Each scenario runs --runs times; the order alternates (A B C, then C B A, ...) so a
drift in the machine's load does not favour one side. Medians are reported with min and max.

Per process:
  - transfer time: from the downloader's {"event":"listening"} line (printed once the torrent is
    added and the peer is being dialled) to its {"event":"finished"} line; MiB/s = size / that time.
  - downloader CPU: user + sys of the whole process (os.wait4 rusage): start-up, transfer, exit.
  - seeder CPU: user + sys read from /proc/PID/stat when the downloader starts and when it has
    finished (the seeder's start-up check of its data is left out), per GiB sent.
  - peak RSS: VmHWM of /proc/PID/status (the process's peak RSS since its exec), sampled every
    50 ms and once more just before the process is signalled (the last < 50 ms before a downloader
    exits by itself are not seen). Not ru_maxrss from wait4: the child of this script inherits its
    memory image until exec, and Linux counts that image in ru_maxrss. Also the sampled peaks of
    RssAnon (heap) and RssFile + RssShmem (mapped files; on tmpfs a mapped file is shmem).
    libtorrent 2.0 memory-maps the torrent's files, so its peak RSS counts page-cache pages of the
    data (up to the torrent's size): that is reported as measured, and the anon column shows its
    heap.
  - The libtorrent peers are lt_peer.py processes: a Python interpreter + the libtorrent module.
    The interpreter's own cost is shown by an idle baseline (a peer started with no one to talk
    to, kept --idle-seconds, then stopped) for libtorrent and for ccbt.

Everything started is run under `timeout` and stopped at the end; only loopback addresses are used.
Progress goes to stderr; the table (or with --json one JSON document) to stdout. Exit status: 0 when
every transfer completed (goals met or not), 1 when one failed or timed out.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "interop"))
import fixtures  # noqa: E402  (shared test fixtures: random data, libtorrent torrents, lt_peer.py)

import libtorrent as lt  # noqa: E402

MIB = float(1 << 20)
GIB = float(1 << 30)
CLK_TCK = os.sysconf("SC_CLK_TCK")
RSS_GOAL_MIB = 64.0


def log(msg):
    sys.stderr.write(f"[swarm {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def parse_size(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B?)\s*", text, re.IGNORECASE)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size '{text}' (examples: 1GiB, 256MiB, 1048576)")
    mult = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m.group(2).upper()]
    return int(float(m.group(1)) * mult)


# ---------------------------------------------------------------------------------------------
# Child processes


def _read_status(pid):
    """{key: kB} of /proc/PID/status memory lines, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        if k in ("VmHWM", "RssAnon", "RssFile", "RssShmem"):
            out[k] = int(v.split()[0])
    return out


class Proc:
    """A child (under `timeout`, in its own process group) whose stdout JSON lines are timestamped on
    a reader thread, whose memory is sampled on another, and which is reaped with os.wait4 so its
    rusage (CPU, peak RSS) is known. `pid` is the measured process (the child of `timeout`)."""

    live = []  # every Proc not yet reaped, for the final clean-up

    def __init__(self, name, argv, seconds):
        self.name = name
        self.popen = subprocess.Popen(["timeout", "-s", "KILL", str(int(seconds) + 10)] + list(argv),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      start_new_session=True)
        self.t_start = time.perf_counter()
        Proc.live.append(self)
        self.lines = queue.Queue()
        self.stderr_tail = []
        self.rusage = None
        self.status = None
        self.t_exit = None
        self.peak = {"VmHWM": 0, "RssAnon": 0, "RssFileShmem": 0}
        self._lock = threading.Lock()
        self._reaped = threading.Event()
        threading.Thread(target=self._pump_out, daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()
        self.pid = self._find_child()
        threading.Thread(target=self._sample, daemon=True).start()

    def _find_child(self):
        tp = self.popen.pid
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(f"/proc/{tp}/task/{tp}/children") as f:
                    kids = f.read().split()
                if kids:
                    return int(kids[0])
            except OSError:
                pass
            if self.reap(0):
                break
            time.sleep(0.002)
        raise RuntimeError(f"{self.name}: could not find the process started by timeout: "
                           + "\n".join(self.stderr_tail[-10:]))

    def _pump_out(self):
        for line in self.popen.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))
        self.lines.put((time.perf_counter(), None))

    def _pump_err(self):
        for line in self.popen.stderr:
            self.stderr_tail = (self.stderr_tail + [line.rstrip("\n")])[-40:]

    def sample(self):
        """Reads the process's memory figures once; VmHWM is its peak RSS since exec."""
        st = _read_status(self.pid)
        if st is None:
            return False
        with self._lock:
            self.peak["VmHWM"] = max(self.peak["VmHWM"], st.get("VmHWM", 0))
            self.peak["RssAnon"] = max(self.peak["RssAnon"], st.get("RssAnon", 0))
            self.peak["RssFileShmem"] = max(self.peak["RssFileShmem"],
                                            st.get("RssFile", 0) + st.get("RssShmem", 0))
        return True

    def _sample(self):
        while not self._reaped.is_set() and self.sample():
            time.sleep(0.05)

    def cpu(self):
        """(user, sys) seconds of the measured process so far, from /proc/PID/stat."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        # fields[0] is field 3 (state); utime and stime are fields 14 and 15
        return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK

    def wait_event(self, want, timeout):
        """Waits for a JSON line for which want(obj) is true; returns (obj, perf_counter time)."""
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError(f"{self.name}: nothing expected within {timeout:.0f} s; stderr: "
                                   + " | ".join(self.stderr_tail[-10:]))
            try:
                t, line = self.lines.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            if line is None:
                time.sleep(0.2)  # let the stderr reader finish
                self.reap(5)
                raise RuntimeError(f"{self.name} exited (status {self.status}) early; stderr: "
                                   + " | ".join(self.stderr_tail[-10:]))
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and want(obj):
                return obj, t

    def reap(self, timeout):
        """Waits up to `timeout` s for the process to exit; returns True when it was reaped."""
        if self._reaped.is_set():
            return True
        deadline = time.time() + timeout
        while True:
            try:
                pid, status, ru = os.wait4(self.popen.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: nothing can be measured any more
                pid, status, ru = self.popen.pid, 0xff00, None
            if pid:
                self.t_exit = time.perf_counter()
                self.rusage = ru
                self.status = os.waitstatus_to_exitcode(status) if ru is not None else None
                self.popen.returncode = self.status  # so Popen never waits for it again
                self._reaped.set()
                if self in Proc.live:
                    Proc.live.remove(self)
                return True
            if time.time() >= deadline:
                return False
            time.sleep(0.01)

    def stop(self, sig=signal.SIGTERM, grace=10):
        """Signals the process group (`timeout` forwards to its child too) and reaps; SIGKILL after
        `grace` seconds."""
        if not self._reaped.is_set():
            self.sample()
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            if not self.reap(grace):
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.reap(10)
        return self.rusage

    def result(self):
        """Figures of a reaped process: CPU (user, sys) and peak memory in MiB."""
        ru = self.rusage
        if ru is None:
            raise RuntimeError(f"{self.name}: no resource usage (not reaped by this benchmark)")
        return {
            "exit_status": self.status,
            "cpu_user": ru.ru_utime, "cpu_sys": ru.ru_stime, "cpu": ru.ru_utime + ru.ru_stime,
            # VmHWM, sampled every 50 ms and just before we signal the process. Not ru_maxrss: that
            # also counts this benchmark's own memory image, which `timeout` had before its exec.
            "peak_rss_mib": self.peak["VmHWM"] / 1024.0,
            "peak_anon_mib": self.peak["RssAnon"] / 1024.0,
            "peak_file_shmem_mib": self.peak["RssFileShmem"] / 1024.0,
            "process_seconds": self.t_exit - self.t_start,
        }

    @classmethod
    def stop_all(cls):
        for p in list(cls.live):
            try:
                p.stop(signal.SIGKILL, grace=5)
            except OSError as e:
                log(f"could not stop {p.name} (pid {p.pid}): {e}")


# ---------------------------------------------------------------------------------------------
# Peers


class Peers:
    def __init__(self, args, torrent, data_dir):
        self.args = args
        self.torrent = torrent
        self.data_dir = data_dir

    def pinned(self, role, argv):
        """With --pin: seeders on CPU 0 and downloaders on CPU 1 (taskset execs the program, so the
        measured pid is unchanged), the same for both clients, so that the loopback receive work is
        charged the same way in every run instead of following the scheduler's placement."""
        if not self.args.pin:
            return argv
        return ["taskset", "-c", "0" if role == "seed" else "1"] + list(argv)

    def lt_seeder(self):
        return Proc("lt-seeder", self.pinned("seed", [fixtures.PYTHON, fixtures.LT_PEER, "seed", "--torrent", self.torrent,
                                  "--data", self.data_dir, "--port", "0",
                                  "--seconds", str(self.args.timeout * 2)]), self.args.timeout * 2)

    def ccbt_seeder(self):
        return Proc("ccbt-seeder", self.pinned("seed", [self.args.ccbt, "seed", self.torrent, "--data", self.data_dir,
                                    "--listen", "127.0.0.1:0", "--status-json", "--no-resume",
                                    "--seconds", str(self.args.timeout * 2)]), self.args.timeout * 2)

    def lt_downloader(self, out, peer):
        argv = [fixtures.PYTHON, fixtures.LT_PEER, "download", "--torrent", self.torrent, "--out", out,
                "--port", "0", "--seconds", str(self.args.timeout)]
        if peer:
            argv += ["--peer", peer]
        return Proc("lt-downloader", self.pinned("download", argv), self.args.timeout)

    def ccbt_downloader(self, out, peer):
        argv = [self.args.ccbt, "download", self.torrent, "-o", out, "--listen", "127.0.0.1:0",
                "--status-json", "--no-resume", "--seconds", str(self.args.timeout)]
        if peer:
            argv += ["--peer", peer]
        return Proc("ccbt-downloader", self.pinned("download", argv), self.args.timeout)


SCENARIOS = {
    "A": ("lt", "ccbt"),   # seeder, downloader
    "B": ("lt", "lt"),
    "C": ("ccbt", "lt"),
}


def is_seeding(obj):
    return obj.get("event") == "status" and str(obj.get("state", "")).endswith("seeding")


def file_sha1(path):
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_transfer(peers, scenario, run, work, size, data_name, data_sha1, args):
    seed_kind, dl_kind = SCENARIOS[scenario]
    rec = {"scenario": scenario, "run": run, "seeder": seed_kind, "downloader": dl_kind,
           "loadavg_1m": os.getloadavg()[0], "ok": False}
    out = tempfile.mkdtemp(prefix="dl-", dir=work)
    seeder = downloader = None
    try:
        seeder = peers.lt_seeder() if seed_kind == "lt" else peers.ccbt_seeder()
        port = seeder.wait_event(lambda o: o.get("event") == "listening", 30)[0]["port"]
        seeder.wait_event(is_seeding, args.timeout)  # its own check of the data is done
        s_cpu0 = seeder.cpu()
        peer = f"127.0.0.1:{port}"
        downloader = (peers.lt_downloader(out, peer) if dl_kind == "lt"
                      else peers.ccbt_downloader(out, peer))
        _, t_listen = downloader.wait_event(lambda o: o.get("event") == "listening", 30)
        fin, t_fin = downloader.wait_event(lambda o: o.get("event") in ("finished", "stopped"),
                                           args.timeout + 15)
        downloader.sample()
        if fin["event"] != "finished":
            raise RuntimeError(f"{downloader.name} stopped before finishing: {fin}")
        s_cpu1 = seeder.cpu()
        if not downloader.reap(30):
            raise RuntimeError(f"{downloader.name} did not exit within 30 s of finishing")
        seeder.stop(signal.SIGTERM)
        secs = t_fin - t_listen
        d = downloader.result()
        s = seeder.result()
        d.update(transfer_seconds=secs, mib_s=size / MIB / secs, cpu_per_gib=d["cpu"] / (size / GIB),
                 total_download=fin.get("total_download"))
        s_user, s_sys = s_cpu1[0] - s_cpu0[0], s_cpu1[1] - s_cpu0[1]
        s.update(transfer_cpu_user=s_user, transfer_cpu_sys=s_sys, transfer_cpu=s_user + s_sys,
                 cpu_per_gib=(s_user + s_sys) / (size / GIB))
        rec["download"], rec["seed"] = d, s
        if d["exit_status"] != 0:
            raise RuntimeError(f"{downloader.name} exit status {d['exit_status']}: "
                               + " | ".join(downloader.stderr_tail[-5:]))
        if args.verify:
            got = file_sha1(os.path.join(out, data_name))
            if got != data_sha1:
                raise RuntimeError(f"downloaded data differs (sha1 {got} != {data_sha1})")
        rec["ok"] = True
    except (RuntimeError, TimeoutError, OSError) as e:
        rec["error"] = str(e)
        log(f"  {scenario} run {run}: FAILED: {e}")
    finally:
        for p in (downloader, seeder):
            if p is not None:
                p.stop(signal.SIGTERM)
        shutil.rmtree(out, ignore_errors=True)
    if rec["ok"]:
        d, s = rec["download"], rec["seed"]
        log(f"  {scenario} run {run}: {seed_kind} -> {dl_kind}: {d['mib_s']:.0f} MiB/s, downloader "
            f"{d['cpu']:.2f} CPU-s, {d['peak_rss_mib']:.0f} MiB RSS; seeder {s['transfer_cpu']:.2f} "
            f"CPU-s, {s['peak_rss_mib']:.0f} MiB RSS (load {rec['loadavg_1m']:.2f})")
    return rec


def idle_baseline(peers, kind, work, args):
    """A downloader with no peer, kept args.idle_seconds and stopped: the process's fixed cost."""
    out = tempfile.mkdtemp(prefix="idle-", dir=work)
    p = None
    try:
        p = peers.lt_downloader(out, None) if kind == "lt" else peers.ccbt_downloader(out, None)
        p.wait_event(lambda o: o.get("event") == "listening", 30)
        time.sleep(args.idle_seconds)
        p.stop(signal.SIGTERM)
        r = p.result()
        r["seconds"] = r["process_seconds"]
        return r
    finally:
        if p is not None:
            p.stop(signal.SIGKILL)
        shutil.rmtree(out, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Report


def stats(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarise(records):
    ok = [r for r in records if r["ok"]]
    rows = {}

    def add(key, recs, role, field):
        rows.setdefault(key, {})[field] = stats([r[role][field] for r in recs])

    for sc, (seed_kind, dl_kind) in SCENARIOS.items():
        if not any(r["scenario"] == sc for r in records):
            continue
        recs = [r for r in ok if r["scenario"] == sc]
        dkey = f"download {dl_kind:4} <- {seed_kind} seeder"
        skey = f"seed     {seed_kind:4} -> {dl_kind} downloader"
        for f in ("mib_s", "cpu", "cpu_per_gib", "peak_rss_mib", "peak_anon_mib", "peak_file_shmem_mib"):
            add(dkey, recs, "download", f)
        for f in ("transfer_cpu", "cpu_per_gib", "peak_rss_mib", "peak_anon_mib", "peak_file_shmem_mib"):
            add(skey, recs, "seed", f)
        rows[skey]["mib_s"] = rows[dkey]["mib_s"]
    return rows


def med(rows, key, field):
    s = rows.get(key, {}).get(field)
    return s["median"] if s else None


def goals(rows):
    dl_ccbt, dl_lt = "download ccbt <- lt seeder", "download lt   <- lt seeder"
    sd_ccbt, sd_lt = "seed     ccbt -> lt downloader", "seed     lt   -> lt downloader"
    out = []

    def ratio(a, b):
        return a / b if a is not None and b else None

    r = ratio(med(rows, dl_ccbt, "mib_s"), med(rows, dl_lt, "mib_s"))
    out.append({"goal": "download speed: ccbt >= libtorrent", "ratio": r, "target": ">= 1.00",
                "met": None if r is None else r >= 1.0})
    r = ratio(med(rows, dl_ccbt, "cpu_per_gib"), med(rows, dl_lt, "cpu_per_gib"))
    out.append({"goal": "downloader CPU-s/GiB: ccbt <= 1/2 libtorrent", "ratio": r, "target": "<= 0.50",
                "met": None if r is None else r <= 0.5})
    r = ratio(med(rows, sd_ccbt, "cpu_per_gib"), med(rows, sd_lt, "cpu_per_gib"))
    out.append({"goal": "seeder CPU-s/GiB: ccbt <= 1/3 libtorrent", "ratio": r, "target": "<= 0.33",
                "met": None if r is None else r <= 1.0 / 3.0})
    peaks = [rows[k]["peak_rss_mib"]["max"] for k in (dl_ccbt, sd_ccbt)
             if rows.get(k, {}).get("peak_rss_mib")]
    worst = max(peaks) if peaks else None
    out.append({"goal": "ccbt peak RSS (downloader and seeder) < 64 MiB", "value_mib": worst,
                "target": "< 64 MiB", "met": None if worst is None else worst < RSS_GOAL_MIB})
    r = ratio(med(rows, "download lt   <- ccbt seeder", "mib_s"), med(rows, dl_lt, "mib_s"))
    out.append({"goal": "(info) libtorrent download speed from ccbt seeder / from libtorrent seeder",
                "ratio": r, "target": "-", "met": None})
    # On loopback, TCP work moves between the two processes of a transfer (see docs/performance.md):
    # both together, C against B, show whether a seeder change saved work or moved it.
    c_sum = [med(rows, k, "cpu_per_gib") for k in (sd_ccbt, "download lt   <- ccbt seeder")]
    b_sum = [med(rows, k, "cpu_per_gib") for k in (sd_lt, dl_lt)]
    r = ratio(sum(c_sum), sum(b_sum)) if None not in c_sum + b_sum else None
    out.append({"goal": "(info) CPU-s/GiB of seeder + libtorrent downloader, C / B",
                "ratio": r, "target": "-", "met": None})
    return out


def fmt_stat(s, fmt="{:.1f}"):
    if not s:
        return "-"
    if s["n"] == 1 or s["min"] == s["max"]:
        return fmt.format(s["median"])
    return f"{fmt.format(s['median'])} [{fmt.format(s['min'])}-{fmt.format(s['max'])}]"


def print_table(doc):
    m = doc["meta"]
    print(f"ccbt loopback swarm benchmark — {m['date']}, {m['size_mib']:.0f} MiB, {m['piece_size'] // 1024} KiB "
          f"pieces, {m['runs']} run(s) per scenario, {m['cpus']} CPUs, load average "
          f"{m['loadavg_start'][0]:.2f} at start / {m['loadavg_end'][0]:.2f} at end")
    print(f"ccbt: {m['ccbt']} ({m['ccbt_version']}); libtorrent {m['libtorrent']} via {fixtures.PYTHON} lt_peer.py")
    print("median [min-max]; downloader CPU = whole process; seeder CPU = during the transfer only; "
          "peak RSS = VmHWM in MiB; anon = heap, file = mapped files/shmem (sampled peaks)")
    head = ("role", "MiB/s", "CPU-s", "CPU-s/GiB", "peak RSS", "anon", "file")
    rows = [head]
    for key, r in doc["summary"].items():
        cpu = r.get("cpu") or r.get("transfer_cpu")
        rows.append((key, fmt_stat(r.get("mib_s"), "{:.0f}"), fmt_stat(cpu, "{:.2f}"),
                     fmt_stat(r.get("cpu_per_gib"), "{:.2f}"), fmt_stat(r.get("peak_rss_mib"), "{:.0f}"),
                     fmt_stat(r.get("peak_anon_mib"), "{:.0f}"), fmt_stat(r.get("peak_file_shmem_mib"), "{:.0f}")))
    for kind, b in doc["idle"].items():
        if b:
            rows.append((f"idle     {kind:4} ({b['seconds']:.0f} s, no peer)", "-", f"{b['cpu']:.2f}", "-",
                         f"{b['peak_rss_mib']:.0f}", f"{b['peak_anon_mib']:.0f}",
                         f"{b['peak_file_shmem_mib']:.0f}"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    for i, r in enumerate(rows):
        print("  ".join(str(c).ljust(w) if j == 0 else str(c).rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for g in doc["goals"]:
        if "value_mib" in g:
            val = "-" if g["value_mib"] is None else f"{g['value_mib']:.1f} MiB"
        else:
            val = "-" if g["ratio"] is None else f"ratio {g['ratio']:.2f}"
        verdict = {True: "met", False: "NOT MET", None: "-"}[g["met"]]
        print(f"  {g['goal']:<72} {val:>14}  goal {g['target']:<9} {verdict}")
    failed = [r for r in doc["records"] if not r["ok"]]
    if failed:
        print(f"\n{len(failed)} transfer(s) failed:")
        for r in failed:
            print(f"  {r['scenario']} run {r['run']}: {r.get('error')}")


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ccbt", default=os.environ.get("CCBT_BIN",
                                                     os.path.join(ROOT, "build", "default", "apps", "ccbt", "ccbt")),
                    help="the ccbt binary (default $CCBT_BIN or build/default/apps/ccbt/ccbt)")
    ap.add_argument("--size", type=parse_size, default=1 << 30, help="torrent size (default 1GiB)")
    ap.add_argument("--piece-size", type=parse_size, default=1 << 20, help="piece size (default 1MiB)")
    ap.add_argument("--runs", type=int, default=3, help="runs of each scenario (default 3)")
    ap.add_argument("--scenarios", default="ABC", help="subset of A, B, C (default ABC)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds allowed for one transfer (default 300)")
    ap.add_argument("--idle-seconds", type=float, default=5.0,
                    help="how long the idle baselines run (default 5; 0 = skip them)")
    ap.add_argument("--no-verify", dest="verify", action="store_false",
                    help="do not compare the downloaded file with the original (SHA-1)")
    ap.add_argument("--workdir", default="/dev/shm", help="where the work folder is made (default /dev/shm)")
    ap.add_argument("--pin", action="store_true",
                    help="run seeders on CPU 0 and downloaders on CPU 1 (taskset), both clients alike")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    ap.add_argument("--save", metavar="FILE", help="also write the JSON document to FILE")
    args = ap.parse_args()
    if not os.access(args.ccbt, os.X_OK):
        ap.error(f"ccbt binary not found: {args.ccbt} (build the ccbt_cli target, or pass --ccbt)")
    if args.runs < 1 or args.size <= 0 or args.piece_size < 16384:
        ap.error("need --runs >= 1, --size > 0, --piece-size >= 16KiB")
    args.ccbt = os.path.abspath(args.ccbt)
    scenarios = [s for s in "ABC" if s in args.scenarios.upper()]

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started in the background (SIGINT ignored)

    work = tempfile.mkdtemp(prefix="ccbt-swarm-bench-", dir=args.workdir)
    records = []
    try:
        data_dir = os.path.join(work, "data")
        name = f"swarm-{args.size}.bin"
        log(f"writing {args.size / MIB:.0f} MiB of random data and its v1 torrent in {work}")
        fixtures.write_random_file(os.path.join(data_dir, name), args.size, seed=20240601)
        data_sha1 = file_sha1(os.path.join(data_dir, name)) if args.verify else None
        tbytes, _ = fixtures.make_torrent(os.path.join(data_dir, name), args.piece_size, kind="v1")
        torrent = os.path.join(work, "swarm.torrent")
        with open(torrent, "wb") as f:
            f.write(tbytes)
        peers = Peers(args, torrent, data_dir)
        version = subprocess.run([args.ccbt, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        meta = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "size": args.size, "size_mib": args.size / MIB, "piece_size": args.piece_size,
                "runs": args.runs, "cpus": os.cpu_count(), "kernel": platform.release(),
                "loadavg_start": os.getloadavg(), "ccbt": args.ccbt, "ccbt_version": version,
                "libtorrent": lt.__version__, "command": " ".join([fixtures.PYTHON] + sys.argv)}

        idle = {}
        if args.idle_seconds > 0:
            for kind in ("lt", "ccbt"):
                log(f"idle baseline: {kind}")
                try:
                    idle[kind] = idle_baseline(peers, kind, work, args)
                except (RuntimeError, TimeoutError, OSError) as e:
                    log(f"  idle baseline {kind} failed: {e}")
                    idle[kind] = None

        for run in range(args.runs):
            order = scenarios if run % 2 == 0 else list(reversed(scenarios))
            for sc in order:
                log(f"run {run + 1}/{args.runs}: scenario {sc} ({SCENARIOS[sc][0]} seeder -> "
                    f"{SCENARIOS[sc][1]} downloader)")
                records.append(run_transfer(peers, sc, run + 1, work, args.size, name, data_sha1, args))
        meta["loadavg_end"] = os.getloadavg()
        summary = summarise(records)
        doc = {"meta": meta, "idle": idle, "summary": summary, "goals": goals(summary), "records": records}
        if args.save:
            with open(args.save, "w") as f:
                json.dump(doc, f, indent=1)
        if args.json:
            json.dump(doc, sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            print_table(doc)
        return 0 if all(r["ok"] for r in records) else 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        Proc.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
