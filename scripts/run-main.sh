#!/usr/bin/env bash
# The main job of `make run`: a complete local swarm on loopback, with nothing from the internet.
# `ccbt demo` does it all in one process: sample content in a temporary directory, the embedded
# tracker on free loopback ports, a hybrid torrent announcing to it, a seeding session and a
# downloading session that find each other through the tracker, and a byte-for-byte check.
set -euo pipefail
build=${1:-build/default}
ccbt="$build/apps/ccbt/ccbt"
size_mib=${CCBT_RUN_MIB:-64}

echo "== ccbt demo (${size_mib} MiB)"
"$ccbt" demo --size-mib "$size_mib" --timeout 300
