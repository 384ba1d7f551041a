"""Helper of bench/create_vs_libtorrent.sh: times OpenSSL, `btbt create` and libtorrent on one data set.

Wall time is the best of --runs runs (other load on the machine only makes runs slower); CPU time is
user + system of the same run. libtorrent runs in this process (set_piece_hashes uses its default
hashing thread count: hardware_concurrency / 2); btbt uses all cores by default.
"""
import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import time

import libtorrent as lt

GIB = float(1 << 30)


def openssl_speed(alg, multi):
    argv = ["openssl", "speed", "-evp", alg, "-bytes", "1048576", "-seconds", "3"]
    if multi > 1:
        argv[2:2] = ["-multi", str(multi)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120).stdout
    for line in out.splitlines():
        m = re.match(r"^\s*(sha1|sha256)\s+([\d.]+)k\s*$", line)
        if m:
            return float(m.group(2)) * 1000 / GIB  # openssl prints 1000-byte units
    raise RuntimeError("cannot parse openssl speed output:\n" + out)


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_self():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_btbt(btbt, data, kind, piece, out):
    best = None
    for _ in range(ARGS.runs):
        c0, t0 = cpu_children(), time.perf_counter()
        r = subprocess.run([btbt, "create", data, "-o", out, "--force", "--no-date", "--json", "--" + kind,
                            "--piece-size", str(piece)], capture_output=True, text=True, timeout=600)
        wall, cpu = time.perf_counter() - t0, cpu_children() - c0
        if r.returncode != 0:
            raise RuntimeError(r.stderr)
        res = json.loads(r.stdout)
        if best is None or wall < best[0]:
            best = (wall, cpu, res)
    return best


def run_lt(data, kind, piece):
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[kind]
    best = None
    for _ in range(ARGS.runs):
        c0, t0 = cpu_self(), time.perf_counter()
        fs = lt.file_storage()
        lt.add_files(fs, data)
        ct = lt.create_torrent(fs, piece, flags=flags)
        lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(data)))
        info = lt.bencode(ct.generate()[b"info"])
        wall, cpu = time.perf_counter() - t0, cpu_self() - c0
        hashes = {"v1": hashlib.sha1(info).hexdigest() if kind != "v2" else None,
                  "v2": hashlib.sha256(info).hexdigest() if kind != "v1" else None}
        if best is None or wall < best[0]:
            best = (wall, cpu, hashes)
    return best


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--btbt", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--piece", type=int, default=1 << 20)
    p.add_argument("--out", required=True)
    ARGS = p.parse_args()
    global LOAD0
    LOAD0 = f"{os.getloadavg()[0]:.2f}"
    cores = os.cpu_count() or 1
    size = sum(os.path.getsize(os.path.join(ARGS.data, f)) for f in os.listdir(ARGS.data))
    gib = size / GIB

    print(f"== OpenSSL speed (1 MiB blocks, 3 s), {cores} cores")
    sha1_1, sha256_1 = openssl_speed("sha1", 1), openssl_speed("sha256", 1)
    sha1_n, sha256_n = openssl_speed("sha1", cores), openssl_speed("sha256", cores)
    print(f"  sha1   {sha1_1:.2f} GiB/s per core, {sha1_n:.2f} GiB/s on {cores} cores")
    print(f"  sha256 {sha256_1:.2f} GiB/s per core, {sha256_n:.2f} GiB/s on {cores} cores")

    rows = []
    for kind in ("v1", "hybrid", "v2"):
        print(f"== {kind}: btbt create, then libtorrent ({ARGS.runs} runs each, {gib:.2f} GiB, piece {ARGS.piece})")
        bw, bc, bres = run_btbt(ARGS.btbt, ARGS.data, kind, ARGS.piece, os.path.join(ARGS.out, "b.torrent"))
        lw, lc, lres = run_lt(ARGS.data, kind, ARGS.piece)
        same = (bres["info_hash_v1"] == lres["v1"]) and (bres["info_hash_v2"] == lres["v2"])
        rows.append((kind, gib / bw, bc / gib, gib / lw, lc / gib, same))

    # Raw-hash ceiling for each kind: cores x the one-core OpenSSL speed (v1 SHA-1, v2 SHA-256, hybrid
    # both per byte).
    c1, c256 = cores * sha1_1, cores * sha256_1
    ceiling = {"v1": c1, "v2": c256, "hybrid": 1.0 / (1.0 / c1 + 1.0 / c256)}
    # Per core: GiB hashed per CPU-second against one core of OpenSSL (insensitive to other load).
    per_core = {k: v / cores for k, v in ceiling.items()}
    print()
    print(f"data {gib:.2f} GiB in the page cache ({ARGS.data}), piece {ARGS.piece} B, {cores} cores, "
          f"best of {ARGS.runs}, load average {LOAD0} -> {os.getloadavg()[0]:.2f}")
    print("| kind | btbt GiB/s | vs cores x OpenSSL | btbt CPU-s/GiB | CPU efficiency vs OpenSSL "
          "| libtorrent GiB/s | libtorrent CPU-s/GiB | btbt / libtorrent (wall) | CPU libtorrent / btbt "
          "| same info-hash |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, bt, bcpu, ltr, lcpu, same in rows:
        print(f"| {kind} | {bt:.2f} | {100 * bt / ceiling[kind]:.0f} % | {bcpu:.3f} "
              f"| {100 / bcpu / per_core[kind]:.0f} % | {ltr:.2f} | {lcpu:.3f} | {bt / ltr:.2f}x "
              f"| {lcpu / bcpu:.2f}x | {'yes' if same else 'NO'} |")
    print(f"OpenSSL: sha1 {sha1_1:.2f} GiB/s/core ({sha1_n:.2f} on {cores}), sha256 {sha256_1:.2f} GiB/s/core "
          f"({sha256_n:.2f} on {cores})")


ARGS = None
LOAD0 = None
if __name__ == "__main__":
    main()
