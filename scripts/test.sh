#!/usr/bin/env bash
# Runs every test: unit and integration tests (each database test on SQLite and PostgreSQL),
# then the Playwright journeys in Debian's Chromium, once on SQLite and once on PostgreSQL.
source "$(dirname "$0")/lib.sh"

ensure_rust_tools
ensure_node_packages
ensure_chromium
ensure_postgres
ensure_localstripe
pg_admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
cleanup() {
  [ -n "${LOCALSTRIPE_PID:-}" ] && kill "$LOCALSTRIPE_PID" 2>/dev/null
  [ -n "${pg_db:-}" ] && psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1
  true
}
trap cleanup EXIT

log="$(mktemp)"
say "unit and integration tests (SQLite and PostgreSQL)"
# In parallel: each integration test starts its own console app in the test process.
cargo test --workspace --exclude frontend 2>&1 | tee -a "$log"

say "building the site for the end-to-end tests"
cargo leptos build --split

run_e2e() {
  say "end-to-end tests on $1"
  (cd end2end && E2E_DATABASE_URL="$2" E2E_OUTPUT_DIR="test-results/$1" npx playwright test) 2>&1 | tee -a "$log"
}

run_e2e SQLite "sqlite://$(mktemp -d)/console.db"

pg_db="dezky_e2e_$(date +%s)_$$"
psql "$pg_admin" -qc "CREATE DATABASE $pg_db"
run_e2e PostgreSQL "${pg_admin%/*}/$pg_db"

rust=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
e2e=$(sed -n 's/^ *\([0-9]*\) passed (.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
say "all tests passed"
echo "tests: $((rust + e2e)) passed, 0 failed"
