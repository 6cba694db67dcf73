#!/usr/bin/env bash
# Throughput and memory benchmark (issue 16): builds the release server (and the release site,
# so pages load their real assets), starts it on the embedded default (SQLite + sandbox
# upstreams, demo seeded) and runs bench/throughput.py: wrk with 64 connections for 30 s on
# /healthz, /api/me, the dashboard, members and domains pages and the anonymous sign-out page,
# each page's ratio to /api/me and /healthz, and resident memory idle and after the load.
#   bench/throughput.sh
#   NO_BUILD=1 DURATION=10 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench bench/throughput.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
trap stop_server EXIT
build_release
start_server throughput "${DATABASE_URL:-sqlite://$work/console.db}"
python3 bench/throughput.py --url "$base" --server-pid "$server" \
  --seconds "${DURATION:-30}" --connections "${CONNECTIONS:-64}"
echo "server log: $work/server-throughput.log"
