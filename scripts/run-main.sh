#!/usr/bin/env bash
# The main job of `make run`: a complete local swarm on loopback, with nothing from the internet.
#   1. make sample content and a hybrid (v1+v2) torrent of it with `btbt create`, show it with `ccbt info`;
#   2. seed it with one ccbt process (`ccbt seed`), download it with another (`ccbt download --peer`);
#   3. compare the downloaded files with the originals, byte for byte.
# (The discovery issue turns this into `ccbt demo` with an embedded tracker.)
set -euo pipefail
build=${1:-build/default}
ccbt="$build/apps/ccbt/ccbt"
btbt="$build/apps/btbt/btbt"
size_mib=${CCBT_RUN_MIB:-64}
work=$(mktemp -d /tmp/ccbt-run.XXXXXX)
seed_pid=
cleanup() {
  [ -n "$seed_pid" ] && kill -INT "$seed_pid" 2>/dev/null && wait "$seed_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== sample content: ${size_mib} MiB in $work/seed/sample"
mkdir -p "$work/seed/sample/docs" "$work/seed/sample/media"
printf 'ccbt sample content\n' > "$work/seed/sample/README.txt"
: > "$work/seed/sample/docs/empty.txt"
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/seed/sample/media/clip.bin"
head -c 777777 /dev/urandom > "$work/seed/sample/docs/paper.pdf"

echo "== btbt create (hybrid v1+v2)"
"$btbt" create "$work/seed/sample" -o "$work/sample.torrent" --quiet --comment "ccbt make run"
echo
echo "== ccbt info"
"$ccbt" info "$work/sample.torrent"
echo

echo "== ccbt seed (listening on 127.0.0.1, any free port)"
"$ccbt" seed "$work/sample.torrent" --data "$work/seed" --listen 127.0.0.1:0 --status-json --no-resume \
  > "$work/seed.log" 2> "$work/seed.err" &
seed_pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -m1 -o '"port":[0-9]*' "$work/seed.log" 2>/dev/null | cut -d: -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "the seeder did not start:"; cat "$work/seed.err"; exit 1; }
echo "   seeder on 127.0.0.1:$port"

echo "== ccbt download from it"
timeout 300 "$ccbt" "$work/sample.torrent" -o "$work/download" --peer "127.0.0.1:$port" --listen 127.0.0.1:0

echo "== verify"
if diff -r "$work/seed/sample" "$work/download/sample" >/dev/null; then
  echo "   the downloaded files are identical to the originals"
else
  echo "   MISMATCH between $work/seed/sample and $work/download/sample"
  exit 1
fi
