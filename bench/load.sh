#!/usr/bin/env bash
# Builds the release server, starts it on the embedded default (SQLite + sandbox upstreams,
# demo seeded) on a free loopback port, runs bench/load.py against it, and stops it.
#   SESSIONS=64 DURATION=60 bench/load.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dezky/target}"
# The same server build as `cargo leptos build --release` (no erased component types).
env -u RUSTFLAGS cargo build --release -p server
work="$(mktemp -d)"
port="${PORT:-3300}"
DATABASE_URL="${DATABASE_URL:-sqlite://$work/console.db}" \
DEZKY_SANDBOX=true DATA_DIR="$work" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD LOG_FORMAT=json RUST_LOG=warn \
LEPTOS_SITE_ROOT="$ROOT/target/site" \
  "$CARGO_TARGET_DIR/release/server" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
python3 bench/load.py --url "http://127.0.0.1:$port" \
  --sessions "${SESSIONS:-64}" --seconds "${DURATION:-60}"
echo "server log: $work/server.log"
