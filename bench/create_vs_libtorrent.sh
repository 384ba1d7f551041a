#!/usr/bin/env bash
# Torrent creation throughput: `btbt create` against OpenSSL's raw SHA-1/SHA-256 speed and against
# libtorrent's create_torrent + set_piece_hashes (Debian python3-libtorrent), on the same data in
# the page cache, in the same run. Prints a table; see docs/performance.md for recorded results.
#
#   bench/create_vs_libtorrent.sh [SIZE_MIB] [BTBT]
#     SIZE_MIB  data size (default 1024), written as 8 files under $BENCH_DIR (default $TMPDIR or /tmp:
#               a regular file system's page cache; tmpfs reads cost more CPU per byte, see
#               docs/performance.md)
#     BTBT      the btbt binary (default build/default/apps/btbt/btbt)
#   env: RUNS (default 3; the best run is reported), PIECE (default 1MiB), BENCH_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size_mib=${1:-1024}
btbt=${2:-$here/../build/default/apps/btbt/btbt}
runs=${RUNS:-3}
piece=${PIECE:-1048576}
base=${BENCH_DIR:-${TMPDIR:-/tmp}}
[ -x "$btbt" ] || { echo "btbt not found at $btbt (build it, or pass its path)" >&2; exit 1; }
/usr/bin/python3 -c 'import libtorrent' || { echo "python3-libtorrent is needed" >&2; exit 1; }

work=$(mktemp -d "$base/ccbt-create-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
echo "== writing ${size_mib} MiB of random data to $work/data"
per=$(( size_mib / 8 ))
for i in 0 1 2 3 4 5 6 7; do
  # the last file gets the remainder (and an odd tail so pad files exist in hybrid torrents)
  n=$(( i == 7 ? size_mib - 7 * per : per ))
  head -c $(( n * 1048576 + (i == 7 ? 12345 : 0) )) /dev/urandom > "$work/data/part$i.bin"
done
# Put the files in the page cache the way reading them from disk does (readahead, large folios):
# write them out, drop just these files from the cache, and read them back. Pages left over from
# small write() calls are slower to read (~10 % more CPU per byte here), which is not the case
# being measured.
/usr/bin/python3 - "$work"/data/* <<'PY'
import os, sys
for path in sys.argv[1:]:
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
PY
cat "$work"/data/* > /dev/null  # in the page cache for every run below

/usr/bin/python3 "$here/create_compare.py" --data "$work/data" --btbt "$btbt" --runs "$runs" \
  --piece "$piece" --out "$work"
