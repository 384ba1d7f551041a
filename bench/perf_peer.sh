#!/bin/bash
# perf_peer.sh — run a perf command on one ccbt process transferring 1 GiB with libtorrent on loopback:
# where the CPU of a ccbt downloader or seeder goes (docs/performance.md quotes its output).
#
#   bench/perf_peer.sh download|seed [PERF ARGS...]
#   bench/perf_peer.sh download record -F 2000 -g -o /tmp/dl.data      # then: perf report -i /tmp/dl.data
#   bench/perf_peer.sh seed stat -e task-clock,context-switches,page-faults
#
# download: ccbt downloads from a libtorrent seeder, perf runs the whole ccbt process.
# seed: ccbt seeds to a libtorrent downloader; perf attaches (-p) once ccbt has checked its data,
# so only the transfer is measured. Data: 1 GiB of random bytes and its v1 torrent (1 MiB pieces),
# made once in /dev/shm/ccbt-perf (remove it when done). CCBT_BIN overrides the ccbt binary.
set -euo pipefail
role=${1:?usage: perf_peer.sh download|seed [PERF ARGS...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CCBT_BIN:-$here/build/default/apps/ccbt/ccbt}
py=/usr/bin/python3
lt="$here/tests/interop/lt_peer.py"
w=/dev/shm/ccbt-perf
mkdir -p "$w/data"
if [ ! -f "$w/blob.torrent" ]; then
  "$py" - "$here/tests/interop" "$w" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import fixtures
w = sys.argv[2]
fixtures.write_random_file(os.path.join(w, "data", "blob.bin"), 1 << 30, 7)
data, _ = fixtures.make_torrent(os.path.join(w, "data", "blob.bin"), 1 << 20, kind="v1")
open(os.path.join(w, "blob.torrent"), "wb").write(data)
PY
fi
rm -rf "$w/out"; mkdir -p "$w/out"
port_of() { grep -o '"port": *[0-9]*' "$1" | head -1 | grep -o '[0-9]*$'; }
wait_for() { for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "timed out waiting for $2 in $1" >&2; exit 1; }
case "$role" in
  download)
    timeout 120 "$py" "$lt" seed --torrent "$w/blob.torrent" --data "$w/data" --port 0 --seconds 100 > "$w/peer.log" 2>&1 &
    peer=$!
    wait_for "$w/peer.log" '"ready"'
    perf "$@" -- "$bin" download "$w/blob.torrent" -o "$w/out" --listen 127.0.0.1:0 --status-json --no-resume \
      --seconds 60 --peer "127.0.0.1:$(port_of "$w/peer.log")" > "$w/ccbt.log"
    kill "$peer" 2>/dev/null || true
    ;;
  seed)  # ccbt started directly (not under timeout) so that $! is its pid; --seconds bounds it
    "$bin" seed "$w/blob.torrent" --data "$w/data" --listen 127.0.0.1:0 --status-json --no-resume \
      --seconds 100 > "$w/ccbt.log" 2>&1 &
    ccbt=$!
    wait_for "$w/ccbt.log" '"state":"seeding"'
    perf "$@" -p "$ccbt" &
    perfpid=$!
    sleep 0.3
    "$py" "$lt" download --torrent "$w/blob.torrent" --out "$w/out" --port 0 --seconds 60 \
      --peer "127.0.0.1:$(port_of "$w/ccbt.log")" > "$w/peer.log" 2>&1
    kill -INT "$perfpid"; wait "$perfpid" || true
    kill -INT "$ccbt"; wait "$ccbt" || true
    ;;
  *) echo "role: download or seed" >&2; exit 2 ;;
esac
rm -rf "$w/out"
grep -h '"finished"' "$w/ccbt.log" "$w/peer.log" | tail -1 | cut -c1-160
