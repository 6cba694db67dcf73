#!/usr/bin/env bash
# Shared by the bench/*.sh scripts (sourced): the release server build and one server on the
# embedded default (sandbox upstreams, demo seeded) on a loopback port.
#   build_release                       # unless NO_BUILD=1
#   start_server NAME DATABASE_URL      # sets $server (pid) and $base; log in $work/server-NAME.log
#   stop_server
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/dezky/target}"
work="$(mktemp -d)"
server=""
base=""

build_release() {
  # The same server build as `cargo leptos build --release --split` (no erased component types).
  [ "${NO_BUILD:-}" = 1 ] || env -u RUSTFLAGS cargo build --release -p server
}

start_server() {
  local name="$1" url="$2" port="${PORT:-3300}"
  DATABASE_URL="$url" \
  DEZKY_SANDBOX=true DATA_DIR="$work" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD \
  LOG_FORMAT=json RUST_LOG=warn LEPTOS_SITE_ROOT="$ROOT/target/site" \
    "$CARGO_TARGET_DIR/release/server" >"$work/server-$name.log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do
    curl -fs "$base/healthz" >/dev/null && return 0
    sleep 0.2
  done
  echo "the server did not start; its log: $work/server-$name.log" >&2
  return 1
}

stop_server() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
