#!/usr/bin/env python3
"""Audit log benchmark (issue 11): seeds a large audit log into the database of a running
console server, then times the searches of `GET /api/tenants/acme/audit` and the CSV export
`GET /api/tenants/acme/audit.csv`. A benchmark, not a test: it prints figures (and whether
the targets are met) and exits 1 only when a request failed (a status other than 200).

    bench/audit.sh                       # SQLite, then PostgreSQL (starts the servers)
    bench/audit.py --url http://127.0.0.1:3400 --database-url sqlite:///tmp/x/console.db \\
        --server-pid 1234

What it does, on the server's own database (SQLite file in WAL mode, or PostgreSQL through
`psql`, which must be on PATH):
  * seeds --events audit events (default 1,000,000) over --tenants tenant ids (default 50),
    spread over the last 365 days, in time order with time-ordered (UUID v7) ids: acme gets
    exactly --acme-events of them (default 100,000, counting any it already had), the rest
    go to random tenant ids that need not exist as tenants. About 1% of the targets contain
    the word `zephyr` (the free-text case). Then ANALYZE (both backends; the app itself
    never runs it).
  * signs in as acme's admin through the sandbox IdP (bench/load.py's sign_in), and times,
    sequentially with one client, --requests requests per case after --warmup untimed ones:
      (a) no filter, (b) q=zephyr, (c) action=member., (d) keyset pages deep in the list
      (next_cursor walked --deep-pages pages of 50 first, then the walk goes on timed),
      (e) outcome=denied&action=member., and three more free-text words: (f) a rare one
      (zephyr12, about 0.02% of the log), (g) one in 2% of the log but in none of acme's
      events (tenant07, another tenant's slug), (h) one in no event.
    Target: p95 <= 20 ms for the filtered searches (b-h).
  * times the export of acme's whole log (exactly --acme-events rows), counting bytes and
    CSV rows (csv module), while a thread samples the server's VmRSS (/proc/<pid>/status)
    every 10 ms: growth = peak minus the value just before the request (target < 20 MB).

The server must run in sandbox mode (the demo sign-ins); only loopback addresses are
accepted. Standard library only (plus `psql` for PostgreSQL).
"""

import argparse
import csv
import io
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load import fetch, loopback_only, sign_in  # noqa: E402  (bench/load.py: the sandbox sign-in)

DAY_MS = 86_400_000
BATCH = 50_000  # rows per seeding transaction (SQLite) / progress step
NEEDLE = "zephyr"  # the free-text word: in about 1% of the targets
TARGET_P95_MS = 20.0
TARGET_RSS_MB = 20.0

COLUMNS = (
    "id, tenant_id, actor_user_id, actor_email, actor_partner_staff, action, target, outcome, "
    "ip, user_agent, request_id, details, created_at, search, action_family"
)
# (action, weight): sign-ins and admin opens dominate, as in a real log.
ACTIONS = [
    ("auth.sign_in", 30),
    ("admin.open", 15),
    ("member.create", 10),
    ("member.suspend", 4),
    ("member.resume", 3),
    ("member.set_role", 5),
    ("member.remove", 3),
    ("member.reset_password", 5),
    ("domain.add", 6),
    ("domain.verify", 8),
    ("tenant.reconcile", 6),
    ("security.policy_update", 5),
]
USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    "curl/8.5.0",
]


# ---------------------------------------------------------------------------------------------
# Seeding


def uuid7(ms, rng):
    """A UUID v7 string for `ms` (the app's ids are v7: time-ordered)."""
    n = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=n))


def events(acme_id, acme_n, total, tenants, now_ms, seed=11):
    """`total` event rows (tuples in COLUMNS order), oldest first: `acme_n` of them acme's,
    the rest spread over `tenants - 1` other random tenant ids."""
    rng = random.Random(seed)
    others = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(tenants - 1)]
    slugs = {acme_id: "acme", **{t: f"tenant{i:02}" for i, t in enumerate(others, 1)}}
    start = now_ms - 365 * DAY_MS
    times = sorted(rng.randrange(start, now_ms - 60_000) for _ in range(total))
    acme_rows = set(rng.sample(range(total), acme_n))
    names, weights = zip(*ACTIONS)
    actor_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(200)]
    for i, created_at in enumerate(times):
        tenant = acme_id if i in acme_rows else others[rng.randrange(len(others))]
        slug = slugs[tenant]
        action = rng.choices(names, weights)[0]
        family = action.split(".", 1)[0]
        actor_n = rng.randrange(200)
        partner = rng.random() < 0.02
        if partner:
            actor_email, actor_user_id = f"staff{actor_n % 10}@partner.example", None
        else:
            actor_email, actor_user_id = f"user{actor_n}@{slug}.example", actor_ids[actor_n]
        r = rng.random()
        outcome = "success" if r < 0.90 else ("failure" if r < 0.96 else "denied")
        name = NEEDLE if rng.random() < 0.01 else "person"
        if family == "member":
            target = f"{name}{rng.randrange(5000)}@{slug}.example"
            details = dumps({"steps": ["authentik", "ocis", "stalwart"], "role": "member"})
        elif family == "domain":
            target = f"{name}-{rng.randrange(500)}.{slug}.example"
            details = dumps({"records": rng.randrange(1, 6)})
        elif family == "auth":
            target = f"{name}{actor_n}@{slug}.example" if name == NEEDLE else actor_email
            details = "{}"
        else:  # tenant.*, security.*, admin.*: the tenant itself
            target = f"{slug}-{NEEDLE}" if name == NEEDLE else slug
            details = dumps({"changed": ["mfa_mode"]}) if family == "security" else "{}"
        if outcome == "denied":
            details = dumps({"reason": "not an admin of this tenant"})
        elif outcome == "failure":
            details = dumps({"reason": "upstream timed out", "upstream": "stalwart"})
        ip = f"{rng.choice(('198.51.100', '203.0.113', '192.0.2'))}.{rng.randrange(1, 255)}"
        search = f"{actor_email} {action} {target} {details} {ip}".lower()
        yield (
            uuid7(created_at, rng), tenant, actor_user_id, actor_email, int(partner), action,
            target, outcome, ip, rng.choice(USER_AGENTS), f"{rng.getrandbits(64):016x}",
            details, created_at, search, family,
        )


def dumps(value):
    """JSON as the app stores details (serde_json: compact)."""
    return json.dumps(value, separators=(",", ":"))


class Sqlite:
    name = "SQLite"

    def __init__(self, url):
        path = url.removeprefix("sqlite://").removeprefix("sqlite:").split("?")[0]
        self.conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 60000")

    def scalar(self, sql):
        return self.conn.execute(sql).fetchone()[0]

    def seed(self, rows, total):
        sql = f"INSERT INTO audit_events ({COLUMNS}) VALUES ({', '.join(['?'] * 15)})"
        done = 0
        while done < total:
            chunk = [row for _, row in zip(range(BATCH), rows)]
            if not chunk:
                break
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(sql, chunk)
            self.conn.execute("COMMIT")
            done += len(chunk)
            progress(done, total)
        return done

    def analyze(self):
        self.conn.execute("ANALYZE")


class Postgres:
    name = "PostgreSQL"

    def __init__(self, url):
        self.url = url

    def scalar(self, sql):
        out = subprocess.run(
            ["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        return out

    def seed(self, rows, total):
        """Streams CSV into `\\copy … FROM pstdin` (one psql, one transaction)."""
        p = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c",
             f"\\copy audit_events ({COLUMNS}) FROM pstdin WITH (FORMAT csv, NULL '')"],
            stdin=subprocess.PIPE, text=True,
        )
        w = csv.writer(p.stdin, lineterminator="\n")
        done = 0
        for row in rows:
            w.writerow(row)  # None (actor_user_id) is written unquoted-empty: NULL
            done += 1
            if done % BATCH == 0:
                progress(done, total)
        p.stdin.close()
        if p.wait() != 0:
            raise SystemExit("psql \\copy failed")
        return done

    def analyze(self):
        self.scalar("ANALYZE audit_events")


def progress(done, total):
    print(f"\r  seeding: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Measuring


class Failed(Exception):
    pass


def get_json(op, url):
    """(ms, page) of one GET; Failed on any status but 200."""
    started = time.perf_counter()
    status, _, body = fetch(op, url)
    ms = (time.perf_counter() - started) * 1000
    if status != 200:
        raise Failed(f"GET {url} answered {status}: {body[:300]!r}")
    return ms, json.loads(body)


def stats(times):
    q = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), q[94], max(times)


def run_case(op, base, query, warmup, requests, check=None):
    """Same query `warmup + requests` times; (times, mean events per page)."""
    url = f"{base}/api/tenants/acme/audit?{query}"
    times, sizes = [], []
    for n in range(warmup + requests):
        ms, page = get_json(op, url)
        if check:
            bad = [e for e in page["events"] if not check(e)]
            if bad:
                raise Failed(f"{query}: an event does not match the filter: {bad[0]}")
        if n >= warmup:
            times.append(ms)
            sizes.append(len(page["events"]))
    return times, statistics.mean(sizes)


def run_deep(op, base, deep_pages, warmup, requests):
    """Walks `deep_pages` pages of 50 along next_cursor (untimed), then goes on for
    `warmup + requests` pages, timing the last `requests`. (walk seconds, times, first
    timed page number)."""
    url = f"{base}/api/tenants/acme/audit?limit=50"
    t0 = time.perf_counter()
    cursor = None
    for _ in range(deep_pages):
        _, page = get_json(op, url + (f"&cursor={cursor}" if cursor else ""))
        cursor = page["next_cursor"]
        if not cursor:
            raise Failed(f"the log ended before page {deep_pages}")
    walk_s = time.perf_counter() - t0
    times = []
    for n in range(warmup + requests):
        ms, page = get_json(op, f"{url}&cursor={cursor}")
        if len(page["events"]) != 50 or not page["next_cursor"]:
            raise Failed(f"page {deep_pages + n + 1}: {len(page['events'])} events, no next")
        cursor = page["next_cursor"]
        if n >= warmup:
            times.append(ms)
    return walk_s, times, deep_pages + warmup + 1


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def run_export(op, base, pid):
    """(seconds, bytes, data rows, header, RSS before kB, peak growth kB) of the full export."""
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(rss_kb(pid))
            time.sleep(0.01)

    before = rss_kb(pid)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    url = f"{base}/api/tenants/acme/audit.csv"
    started = time.perf_counter()
    chunks = []
    try:
        with op.open(urllib.request.Request(url), timeout=120) as r:
            if r.status != 200:
                raise Failed(f"GET {url} answered {r.status}")
            while chunk := r.read(65536):
                chunks.append(chunk)
    except urllib.error.HTTPError as e:
        raise Failed(f"GET {url} answered {e.code}: {e.read()[:300]!r}") from None
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    body = b"".join(chunks)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    header, data = (rows[0] if rows else []), rows[1:]
    peak = max(samples + [before])
    return seconds, len(body), len(data), header, before, peak - before


# ---------------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:3000")
    p.add_argument("--database-url", required=True, help="the server's DATABASE_URL")
    p.add_argument("--server-pid", type=int, required=True, help="for VmRSS sampling")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--tenants", type=int, default=50)
    p.add_argument("--acme-events", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--deep-pages", type=int, default=200)
    p.add_argument("--no-analyze", action="store_true", help="skip ANALYZE after seeding")
    p.add_argument("--username", default="adam@acme.example")
    p.add_argument("--password", default="demo-admin-2026")
    a = p.parse_args()
    loopback_only(a.url)
    db = Sqlite(a.database_url) if a.database_url.startswith("sqlite:") else Postgres(a.database_url)

    acme_id = db.scalar("SELECT id FROM tenants WHERE slug = 'acme'")
    had = int(db.scalar(f"SELECT COUNT(*) FROM audit_events WHERE tenant_id = '{acme_id}'"))
    acme_new = a.acme_events - had
    total = a.events - had
    t0 = time.perf_counter()
    seeded = db.seed(events(acme_id, acme_new, total, a.tenants, int(time.time() * 1000)), total)
    seed_s = time.perf_counter() - t0
    print(file=sys.stderr)
    t0 = time.perf_counter()
    if not a.no_analyze:
        db.analyze()
    analyze_s = time.perf_counter() - t0
    in_table = int(db.scalar("SELECT COUNT(*) FROM audit_events"))
    acme_has = int(db.scalar(f"SELECT COUNT(*) FROM audit_events WHERE tenant_id = '{acme_id}'"))

    print(f"== {db.name} ==")
    print(
        f"seeded {seeded:,} events in {seed_s:.0f} s ({seeded / seed_s:,.0f}/s); table "
        f"{in_table:,} events, acme {acme_has:,} ({had} already there), "
        f"{a.tenants - 1} other tenant ids; "
        + ("ANALYZE not run" if a.no_analyze else f"ANALYZE run ({analyze_s:.1f} s)")
    )
    print(f"{a.requests} sequential requests per case after {a.warmup} warm-ups, one client, "
          f"a new connection per request")

    op = sign_in(a.url, a.username, a.password)
    failed = None
    rows = []  # (label, times, events per page, filtered)
    walk_s = None
    try:
        member = lambda e: e["action"].startswith("member.")  # noqa: E731
        cases = [
            ("(a) no filter", "limit=50", None, False),
            (f"(b) q={NEEDLE}", f"q={NEEDLE}", lambda e: NEEDLE in e["target"], True),
            ("(c) action=member.", "action=member.", member, True),
            ("(e) outcome=denied&action=member.", "outcome=denied&action=member.",
             lambda e: member(e) and e["outcome"] == "denied", True),
            # The free text again, where the backends choose differently: a rare word, a word
            # in none of acme's events but in 2% of the log (another tenant's slug: the worst
            # case of a tenant-first scan), and a word in no event at all.
            (f"(f) q={NEEDLE}12 (rare)", f"q={NEEDLE}12", lambda e: f"{NEEDLE}12" in e["target"], True),
            ("(g) q=tenant07 (not in acme)", "q=tenant07", lambda e: False, True),
            ("(h) q=nosuchword", "q=nosuchword", lambda e: False, True),
        ]
        for label, query, check, filtered in cases:
            times, size = run_case(op, a.url, query, a.warmup, a.requests, check)
            rows.append((label, times, size, filtered))
        walk_s, times, first = run_deep(op, a.url, a.deep_pages, a.warmup, a.requests)
        rows.insert(3, (f"(d) cursor, pages {first}-{first + a.requests - 1}", times, 50, True))
    except Failed as e:
        failed = str(e)

    print(f"{'case':<40} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'ev/page':>7}  target")
    for label, times, size, filtered in rows:
        p50, p95, mx = stats(times)
        verdict = ("met" if p95 <= TARGET_P95_MS else "MISSED") if filtered else "-"
        target = f"p95 <= {TARGET_P95_MS:.0f} ms: {verdict}" if filtered else "-"
        print(f"{label:<40} {p50:7.1f} {p95:7.1f} {mx:7.1f} {size:7.0f}  {target}")
    if walk_s is not None:
        print(f"    (the untimed walk to page {a.deep_pages}: {walk_s:.1f} s, "
              f"{walk_s * 1000 / a.deep_pages:.1f} ms a page)")

    if not failed:
        try:
            secs, size, n, header, before, growth = run_export(op, a.url, a.server_pid)
            verdict = "met" if growth / 1024 < TARGET_RSS_MB else "MISSED"
            print(
                f"export audit.csv: {n:,} rows + header ({len(header)} columns), "
                f"{size / 1e6:.1f} MB in {secs:.2f} s ({n / secs:,.0f} rows/s); server RSS "
                f"{before / 1024:.1f} MB before, peak growth {growth / 1024:.1f} MB "
                f"(target < {TARGET_RSS_MB:.0f} MB: {verdict})"
            )
            if n != a.acme_events:
                print(f"  NOTE: expected {a.acme_events:,} rows, got {n:,}")
        except Failed as e:
            failed = str(e)
    if failed:
        print(f"FAILED: {failed}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
