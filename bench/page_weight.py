#!/usr/bin/env python3
"""Page weight (issue 16): every file under the release site's pkg/ raw and gzip -9, and what
the first page a person loads fetches: the main module (JS glue, main wasm, CSS, the split
loader) plus the chunks of that page's lazy route, read from cargo-leptos's
`__wasm_split_manifest.json` (split point name -> chunk files). Without a manifest (a build
without --split) the first load is all of pkg/. Target: <= 350 KB gzip.

    python3 bench/page_weight.py [target/site/pkg]
Exits 1 when the heaviest first load is over the target.
"""
import gzip
import json
import os
import sys

TARGET_KB = 350


def sizes(path):
    with open(path, "rb") as f:
        raw = f.read()
    return len(raw), len(gzip.compress(raw, compresslevel=9))


def main():
    pkg = sys.argv[1] if len(sys.argv) > 1 else "target/site/pkg"
    files = sorted(os.listdir(pkg))
    weight = {name: sizes(os.path.join(pkg, name)) for name in files}
    print(f"{'file':<56} {'raw KB':>9} {'gzip KB':>9}")
    for name in files:
        raw, gz = weight[name]
        if not name.startswith("chunk_"):
            print(f"{name:<56} {raw / 1024:>9.1f} {gz / 1024:>9.1f}")
    chunk_files = [n for n in files if n.startswith("chunk_")]
    if chunk_files:
        raw = sum(weight[n][0] for n in chunk_files)
        gz = sum(weight[n][1] for n in chunk_files)
        print(f"{f'{len(chunk_files)} chunk_*.wasm files':<56} {raw / 1024:>9.1f} {gz / 1024:>9.1f}")

    manifest = next((n for n in files if n.startswith("__wasm_split_manifest")), None)
    if manifest is None:
        total = sum(gz for n, (_, gz) in weight.items() if not n.endswith(".d.ts"))
        print(f"\nno split manifest: the first load is all of pkg/: {total / 1024:.1f} KB gzip")
        return 0 if total <= TARGET_KB * 1024 else 1

    with open(os.path.join(pkg, manifest)) as f:
        # The manifest names chunks without their extension ("chunk_16" for chunk_16.wasm).
        prefetch = {
            name: [d if d in weight else f"{d}.wasm" for d in deps]
            for name, deps in json.load(f).items()
        }
    chunks = {c for deps in prefetch.values() for c in deps}
    chunks |= {f"split_{name}.wasm" for name in prefetch}
    # Everything the manifest does not list as a chunk is fetched on every first load.
    base = [
        n for n in files if n not in chunks and n != manifest and not n.endswith(".d.ts")
    ]
    base_gz = sum(weight[n][1] for n in base)
    print(f"\nloaded by every page: {', '.join(base)}: {base_gz / 1024:.1f} KB gzip")
    print(f"{'first load per split point':<56} {'chunks':>6} {'gzip KB':>9}")
    worst = base_gz
    for name, deps in sorted(prefetch.items()):
        # The split point's own module (split_<name>.wasm) and the chunks it shares.
        own = [f"split_{name}.wasm"]
        total = base_gz + sum(weight[d][1] for d in set(deps + own) if d in weight)
        worst = max(worst, total)
        print(f"{name:<56} {len(deps):>6} {total / 1024:>9.1f}")
    verdict = "met" if worst <= TARGET_KB * 1024 else "missed"
    print(f"\nheaviest first load: {worst / 1024:.1f} KB gzip (target <= {TARGET_KB} KB: {verdict})")
    return 0 if worst <= TARGET_KB * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
