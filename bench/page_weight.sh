#!/usr/bin/env bash
# Page weight (issue 16): builds the release site as CI does (`cargo leptos build --release
# --split`: wasm-opt from npm, no erased component types, one wasm chunk per lazy route) and
# runs bench/page_weight.py: every file under target/site/pkg raw and gzip -9, and the first
# load of each page (main module + its chunks). Target: <= 350 KB gzip for the first page.
#   bench/page_weight.sh
#   NO_BUILD=1 bench/page_weight.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "${NO_BUILD:-}" = 1 ] || env -u RUSTFLAGS cargo leptos build --release --split
python3 bench/page_weight.py target/site/pkg
