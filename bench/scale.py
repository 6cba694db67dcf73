#!/usr/bin/env python3
"""Cost as work grows (issue 16): the dashboard, the members page and the partner overview
with 10, 1,000 and 10,000 members (in acme) and tenants (looked after by the demo partner).
The rows are written straight into the console's SQLite database (what a long-lived workspace
would hold; nothing upstream), then each page is fetched --requests times, one after another,
by one signed-in session; the script prints the median and p90 time per request, the size of
the answer and the time per KB, side by side for each size.

    bench/scale.py --url http://127.0.0.1:3300 --database sqlite:///tmp/x/console.db

Expectation: time per request grows no faster than the page's own output, and a listing page's
output is bounded (one page of members), so it stays flat. Standard library only.
"""

import argparse
import sqlite3
import statistics
import sys
import time
import uuid

from load import fetch, loopback_only, sign_in  # bench/load.py, beside this file

UPSTREAMS = ["authentik", "ocis", "stalwart", "stripe"]


def seed_members(db, tenant_id, upto):
    """Adds members to `tenant_id` until it has `upto` (each with its three steps done)."""
    have = db.execute("SELECT COUNT(*) FROM members WHERE tenant_id = ?", (tenant_id,)).fetchone()[0]
    now = int(time.time() * 1000)
    members, steps = [], []
    for i in range(have, upto):
        mid = str(uuid.uuid4())
        members.append((mid, tenant_id, f"bench{i:05}@acme.example", f"Bench{i:05}", "Person", "member", "active", now))
        steps.extend((mid, u, "ok", "", f"{u}-{mid}", now) for u in ("authentik", "stalwart", "ocis"))
    db.executemany(
        "INSERT INTO members (id, tenant_id, address, first_name, last_name, role, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        members,
    )
    db.executemany(
        "INSERT INTO member_steps (member_id, upstream, state, message, upstream_id, last_run_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        steps,
    )
    db.commit()


def seed_tenants(db, partner_id, upto):
    """Adds active tenants looked after by `partner_id` until it has `upto`."""
    have = db.execute("SELECT COUNT(*) FROM partner_tenants WHERE partner_id = ?", (partner_id,)).fetchone()[0]
    now = int(time.time() * 1000)
    tenants, links, steps = [], [], []
    for i in range(have, upto):
        tid = str(uuid.uuid4())
        tenants.append((tid, f"bench-{i:05}", f"Bench Workspace {i:05}", "active", now))
        links.append((partner_id, tid))
        steps.extend((tid, u, "ok", "", f"{u}-{tid}", now) for u in UPSTREAMS)
    db.executemany("INSERT INTO tenants (id, slug, name, status, created_at) VALUES (?, ?, ?, ?, ?)", tenants)
    db.executemany("INSERT INTO partner_tenants (partner_id, tenant_id) VALUES (?, ?)", links)
    db.executemany(
        "INSERT INTO provisioning_steps (tenant_id, upstream, state, message, upstream_id, last_run_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        steps,
    )
    db.commit()


def timed(op, url, n):
    """n sequential GETs: (median ms, p90 ms, bytes of the last answer)."""
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        status, _, body = fetch(op, url)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200 or b'id="error"' in body:
            sys.exit(f"{url} answered {status}")
        size = len(body)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], size


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:3300")
    p.add_argument("--database", required=True, help="sqlite:///path/console.db")
    p.add_argument("--sizes", default="10,1000,10000")
    p.add_argument("--requests", type=int, default=30)
    a = p.parse_args()
    loopback_only(a.url)
    if not a.database.startswith("sqlite://"):
        sys.exit("the scale benchmark seeds SQLite only")
    db = sqlite3.connect(a.database.removeprefix("sqlite://").split("?")[0])
    owner = sign_in(a.url, "olivia@acme.example", "demo-owner-2026")
    pat = sign_in(a.url, "pat@northwind.example", "demo-partner-2026")
    acme = db.execute("SELECT id FROM tenants WHERE slug = 'acme'").fetchone()[0]
    partner = db.execute(
        "SELECT p.id FROM partners p JOIN partner_staff s ON s.partner_id = p.id"
        " JOIN users u ON u.id = s.user_id WHERE u.email = 'pat@northwind.example'"
    ).fetchone()
    if partner is None:
        sys.exit("the demo partner has no staff record")
    pages = [("dashboard", owner, "/admin/acme"), ("members", owner, "/admin/acme/members"),
             ("partner overview", pat, "/partner")]

    print(f"{'rows':>6}  {'page':<17} {'median':>9} {'p90':>9} {'answer':>9} {'ms per 10 KB':>12}")
    seen = {}  # page -> [(median ms, bytes)] per size
    for n in [int(s) for s in a.sizes.split(",")]:
        seed_members(db, acme, n)
        seed_tenants(db, partner[0], n)
        for name, op, path in pages:
            fetch(op, a.url + path)  # warm
            med, p90, size = timed(op, a.url + path, a.requests)
            seen.setdefault(name, []).append((med, size))
            per = med / (size / 10240)
            print(f"{n:>6}  {name:<17} {med:>7.1f}ms {p90:>7.1f}ms {size / 1024:>7.0f}KB {per:>12.2f}", flush=True)
    print()
    print("from the smallest to the largest size (time grows x, output grows x):")
    for name, runs in seen.items():
        (t0, s0), (t1, s1) = runs[0], runs[-1]
        verdict = "no faster than its output" if t1 / t0 <= max(s1 / s0, 1) * 1.25 else "FASTER than its output"
        print(f"  {name:<17} time x{t1 / t0:.1f}, output x{s1 / s0:.1f}: {verdict}")


if __name__ == "__main__":
    main()
