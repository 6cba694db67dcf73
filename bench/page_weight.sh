#!/usr/bin/env bash
# Page weight (issue 16): builds the release site as CI does (`cargo leptos build --release`:
# wasm-opt from npm, no erased component types) and prints every file under target/site/pkg
# raw and gzip -9 compressed, and the total a first page load fetches (wasm + JS + CSS).
# Target: <= 350 KB gzip for the first page.
#   bench/page_weight.sh
#   NO_BUILD=1 bench/page_weight.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "${NO_BUILD:-}" = 1 ] || env -u RUSTFLAGS cargo leptos build --release
printf '%-40s %10s %10s\n' file raw gzip
first=0
for f in target/site/pkg/*; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  awk -v f="${f#target/site/}" -v r="$raw" -v g="$gz" 'BEGIN { printf "%-40s %8.1fKB %8.1fKB\n", f, r / 1024, g / 1024 }'
  first=$((first + gz))
done
awk -v g="$first" 'BEGIN { printf "first page load (all of pkg/, gzip): %.1f KB (target <= 350 KB)\n", g / 1024 }'
