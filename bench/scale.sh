#!/usr/bin/env bash
# Cost as work grows (issue 16): builds the release server, starts it on SQLite (sandbox
# upstreams, demo seeded) and runs bench/scale.py: the dashboard, members page and partner
# overview timed with 10, 1,000 and 10,000 members and tenants seeded into the database.
#   bench/scale.sh
#   NO_BUILD=1 SIZES=10,1000 REQUESTS=10 bench/scale.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_server EXIT
build_release
start_server scale "sqlite://$work/console.db"
python3 bench/scale.py --url "$base" --database "sqlite://$work/console.db" \
  --sizes "${SIZES:-10,1000,10000}" --requests "${REQUESTS:-30}"
echo "server log: $work/server-scale.log"
