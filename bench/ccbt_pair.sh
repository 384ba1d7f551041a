#!/bin/bash
# ccbt_pair.sh — CPU of a ccbt seeder and a ccbt downloader transferring SIZE MiB over loopback with
# the same extra settings on both sides: what a setting costs ccbt itself (docs/design/mse.md quotes
# it for network.encryption_payload).
#
#   bench/ccbt_pair.sh SIZE_MIB [--set KEY=VALUE ...]
#   bench/ccbt_pair.sh 256 --set network.encryption=disabled
#   bench/ccbt_pair.sh 256 --set network.encryption_payload=rc4_only
#
# Prints "downloader U+S CPU-s, seeder U+S CPU-s" (user + system from /proc/PID/stat; the seeder's
# is counted from the moment the downloader starts, so its check of the data is left out). Data: SIZE
# MiB of random bytes and a v1 torrent (1 MiB pieces) in /dev/shm/ccbt-pair, removed at the end.
# CCBT_BIN overrides the ccbt binary.
set -euo pipefail
size=${1:?usage: ccbt_pair.sh SIZE_MIB [--set KEY=VALUE ...]}
shift
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CCBT_BIN:-$here/build/default/apps/ccbt/ccbt}
w=/dev/shm/ccbt-pair
rm -rf "$w"; mkdir -p "$w/data" "$w/out"
trap 'rm -rf "$w"' EXIT
/usr/bin/python3 - "$here/tests/interop" "$w" "$size" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import fixtures
w, size = sys.argv[2], int(sys.argv[3])
fixtures.write_random_file(os.path.join(w, "data", "blob.bin"), size << 20, 11)
data, _ = fixtures.make_torrent(os.path.join(w, "data", "blob.bin"), 1 << 20, kind="v1")
open(os.path.join(w, "blob.torrent"), "wb").write(data)
PY
cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
port_of() { grep -o '"port": *[0-9]*' "$1" | head -1 | grep -o '[0-9]*$'; }
"$bin" seed "$w/blob.torrent" --data "$w/data" --listen 127.0.0.1:0 --status-json --no-resume --seconds 120 "$@" \
  > "$w/seed.log" 2>&1 &
seeder=$!
for _ in $(seq 600); do grep -q '"state":"seeding"' "$w/seed.log" && break; sleep 0.1; done
s0=$(cpu "$seeder")
TIMEFORMAT="%U %S"  # bash's own `time`: user and system seconds of the downloader
{ time "$bin" download "$w/blob.torrent" -o "$w/out" --listen 127.0.0.1:0 --status-json --no-resume --seconds 60 \
    --peer "127.0.0.1:$(port_of "$w/seed.log")" "$@" > "$w/dl.log" 2>&1; } 2> "$w/time"
s1=$(cpu "$seeder")
kill -INT "$seeder"; wait "$seeder" || true
cmp -s "$w/data/blob.bin" "$w/out/blob.bin" || { echo "downloaded data differs" >&2; exit 1; }
read -r u s < "$w/time"
awk -v u="$u" -v s="$s" -v a="$s0" -v b="$s1" -v n="$size" -v x="$*" \
  'BEGIN { printf "downloader %.2f CPU-s, seeder %.2f CPU-s (%d MiB, %s)\n", u + s, b - a, n, x }'
