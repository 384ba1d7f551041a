#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a bounded time each.
#
#   scripts/run-fuzzers.sh BUILD_DIR SECONDS
#
# Each BUILD_DIR/tests/fuzz/fuzz_<name> runs for SECONDS (-max_total_time) on a temporary copy of its
# checked-in seed corpus tests/fuzz/corpus/<name>/ (the repository is never written), with
# tests/fuzz/<name>.dict as its dictionary when there is one. One line per target says how many
# inputs ran. A target that crashes, leaks, times out on an input or runs out of memory fails the
# run; its reproducer is kept in BUILD_DIR/fuzz-artifacts/<name>/. Exit status: 0 all clean, 1 a
# target failed, 2 usage error or no target found. Temporary directories are removed on any exit.
set -euo pipefail

if [ $# -ne 2 ] || ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
BUILD_DIR=$1
SECONDS_EACH=$2
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FUZZ_DIR="$BUILD_DIR/tests/fuzz"

shopt -s nullglob
targets=()
for exe in "$FUZZ_DIR"/fuzz_*; do
  [ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "run-fuzzers: no fuzz_* executable in $FUZZ_DIR (configure with -DCCBT_FUZZ=ON and build)" >&2
  exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ccbt-fuzz.XXXXXX")
child=
cleanup() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=0
for exe in "${targets[@]}"; do
  base=$(basename "$exe")
  name=${base#fuzz_}
  corpus="$WORK/$name/corpus"
  artifacts="$WORK/$name/artifacts"
  log="$WORK/$name/log"
  mkdir -p "$corpus" "$artifacts"
  seeds=0
  if [ -d "$ROOT/tests/fuzz/corpus/$name" ]; then
    cp -R "$ROOT/tests/fuzz/corpus/$name/." "$corpus/"
    seeds=$(find "$corpus" -type f | wc -l)
  fi
  args=(-max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  if [ -f "$ROOT/tests/fuzz/$name.dict" ]; then
    args+=(-dict="$ROOT/tests/fuzz/$name.dict")
  fi

  # libFuzzer stops itself after -max_total_time; the outer timeout only guards against a hang
  # outside its control (loading the corpus, a stuck exit).
  status=0
  timeout --kill-after=10 $((SECONDS_EACH + 120)) "$exe" "${args[@]}" "$corpus" >"$log" 2>&1 &
  child=$!
  wait "$child" || status=$?
  child=

  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [ -z "$runs" ]; then
    runs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)
  fi
  runs=${runs:-0}
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | awk '{print $2}' || true)

  if [ "$status" -eq 0 ]; then
    printf '%-24s ok     %10s runs in %ss (%s seeds, coverage %s)\n' \
      "$base" "$runs" "$SECONDS_EACH" "$seeds" "${cov:-?}"
  else
    failed=1
    keep="$BUILD_DIR/fuzz-artifacts/$name"
    mkdir -p "$keep"
    cp -R "$artifacts/." "$keep/" 2>/dev/null || true
    cp "$log" "$keep/fuzz.log"
    what="exit $status"
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then what="hung (killed by timeout)"; fi
    printf '%-24s FAILED %10s runs (%s); reproducers and log in %s\n' "$base" "$runs" "$what" "$keep"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*check failed|artifact_prefix|Test unit written)' "$log" \
      | head -n 10 | sed 's/^/    /' || true
  fi
done

exit "$failed"
