#!/usr/bin/env bash
# Runs the console on the embedded default: SQLite under data/ and the sandbox upstreams,
# with the demo workspace seeded. Prints the URL and the demo sign-ins. Billing runs on
# localstripe (started here unless LOCALSTRIPE_URL is set; STRIPE_ENABLED=false skips it),
# seeded with a demo plan, subscription and paid invoice.
source "$(dirname "$0")/lib.sh"

ensure_rust_tools
ensure_node_packages
say "building (cargo leptos build --split)"
cargo leptos build --split
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
# The embedded default: stand-ins for the upstreams, the demo workspace (never without this).
export DEZKY_SANDBOX="${DEZKY_SANDBOX:-true}"
if [ "${STRIPE_ENABLED:-true}" = true ] && [ -z "${STRIPE_SECRET_KEY:-}" ]; then
  ensure_localstripe
  export_localstripe_settings
fi
exec "$CARGO_TARGET_DIR/debug/server" "$@"
