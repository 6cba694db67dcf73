#!/usr/bin/env bash
# Audit log benchmark (issue 11): builds the release server, then for SQLite and for
# PostgreSQL starts it (sandbox upstreams, demo seeded) on a fresh database on a free loopback
# port, runs bench/audit.py against it (seeds 1,000,000 audit events, times the searches and
# the CSV export) and stops it. PostgreSQL: a fresh database dezky_bench_<time> on
# $PG_URL (trust auth), dropped at the end; needs psql on PATH.
#   bench/audit.sh
#   NO_BUILD=1 BACKENDS=sqlite EVENTS=200000 ACME_EVENTS=20000 bench/audit.sh
#   KEEP_DB=1 bench/audit.sh   # keep the seeded SQLite file and PostgreSQL database
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
pg_db="dezky_bench_$(date +%Y%m%d%H%M%S)"
pg_created=""

cleanup() {
  stop_server
  if [ -n "$pg_created" ] && [ "${KEEP_DB:-}" != 1 ]; then
    psql -X -q -d "$pg_url/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" || true
  fi
  if [ "${KEEP_DB:-}" = 1 ]; then
    echo "kept: $work/console.db${pg_created:+ and $pg_url/$pg_db}"
  else
    rm -f "$work"/console.db*
  fi
}
trap cleanup EXIT
build_release

# run_backend NAME DATABASE_URL: one server on that database, audit.py against it.
run_backend() {
  local name="$1" url="$2"
  start_server "$name" "$url"
  local rc=0
  python3 bench/audit.py --url "$base" --database-url "$url" \
    --server-pid "$server" --events "${EVENTS:-1000000}" --acme-events "${ACME_EVENTS:-100000}" \
    --requests "${REQUESTS:-200}" || rc=$?
  stop_server
  echo "server log: $work/server-$name.log"
  echo
  return "$rc"
}

status=0
for backend in ${BACKENDS:-sqlite postgres}; do
  case "$backend" in
    sqlite) run_backend sqlite "sqlite://$work/console.db" || status=1 ;;
    postgres)
      psql -X -q -d "$pg_url/postgres" -c "CREATE DATABASE $pg_db"
      pg_created=1
      run_backend postgres "$pg_url/$pg_db" || status=1
      ;;
    *) echo "unknown backend $backend (sqlite, postgres)" >&2; status=1 ;;
  esac
done
exit "$status"
