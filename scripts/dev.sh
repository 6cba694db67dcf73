#!/usr/bin/env bash
# Runs the console on the embedded default: SQLite under data/ and the sandbox upstreams,
# with the demo workspace seeded. Prints the URL and the demo sign-ins.
source "$(dirname "$0")/lib.sh"

ensure_rust_tools
ensure_node_packages
say "building (cargo leptos build)"
cargo leptos build
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
# The embedded default: stand-ins for the upstreams, the demo workspace (never without this).
export DEZKY_SANDBOX="${DEZKY_SANDBOX:-true}"
exec "$CARGO_TARGET_DIR/debug/server" "$@"
