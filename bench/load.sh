#!/usr/bin/env bash
# Builds the release server, starts it on the embedded default (SQLite + sandbox upstreams,
# demo seeded) on a free loopback port, runs bench/load.py against it, and stops it.
#   SESSIONS=64 DURATION=60 bench/load.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_server EXIT
build_release
start_server load "${DATABASE_URL:-sqlite://$work/console.db}"
python3 bench/load.py --url "$base" \
  --sessions "${SESSIONS:-64}" --seconds "${DURATION:-60}"
echo "server log: $work/server-load.log"
