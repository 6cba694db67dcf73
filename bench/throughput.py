#!/usr/bin/env python3
"""Throughput and memory against the console's own ceiling (issue 16). For each target,
wrk (Debian's) runs --connections connections for --seconds; one signed-in session (the demo
owner) is shared by all connections. Reported side by side from one run: requests per second,
p50/p99 latency (ms), non-2xx answers, each page's ratio to `GET /api/me` (the same session and
database work without rendering) and to `GET /healthz` (the ceiling), and the server's resident
memory idle and after the load (VmRSS, and the peak VmHWM, from /proc).

    bench/throughput.py --url http://127.0.0.1:3300 --server-pid 1234 --seconds 30

Targets: each page >= 50 % of /api/me and >= 10 % of /healthz requests per second, p99 <= 50 ms;
<= 60 MB resident idle and <= 200 MB under load. Exit 1 when a request failed; a missed target
is printed, not an error (it is a measurement). Standard library only, plus wrk on PATH.
"""

import argparse
import re
import subprocess
import sys

from load import sign_in, loopback_only  # bench/load.py, beside this file


def session_cookie(op):
    """The `Cookie:` header value of a signed-in opener (its jar holds the session cookie)."""
    for h in op.handlers:
        jar = getattr(h, "cookiejar", None)
        if jar is not None:
            return "; ".join(f"{c.name}={c.value}" for c in jar)
    raise AssertionError("no cookie jar")


def rss_kib(pid):
    """(VmRSS, VmHWM) of a process in KiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def unit_ms(value):
    """wrk's latency ('812.00us', '3.41ms', '1.20s') in milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    n, u = float(m.group(1)), m.group(2)
    return {"us": n / 1000, "ms": n, "s": n * 1000, "m": n * 60000}[u]


def wrk(url, cookie, connections, seconds, threads):
    """One wrk run: dict(rps, p50, p99, errors, requests)."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = unit_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = unit_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(int(g) for g in socket.groups()) if socket else 0
    )
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors, "requests": requests}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:3300")
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--seconds", type=int, default=30)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tenant", default="acme")
    p.add_argument("--username", default="olivia@acme.example")
    p.add_argument("--password", default="demo-owner-2026")
    a = p.parse_args()
    loopback_only(a.url)

    idle = rss_kib(a.server_pid)
    cookie = session_cookie(sign_in(a.url, a.username, a.password))
    targets = [
        ("/healthz", None, "ceiling"),
        ("/api/me", cookie, "session and database, no rendering"),
        (f"/admin/{a.tenant}", cookie, "dashboard"),
        (f"/admin/{a.tenant}/members", cookie, "members"),
        (f"/admin/{a.tenant}/domains", cookie, "domains"),
        ("/signed-out", None, "anonymous page"),
    ]
    results = {}
    for path, c, what in targets:
        r = wrk(a.url + path, c, a.connections, a.seconds, a.threads)
        results[path] = r
        print(
            f"{path:<24} {r['rps']:>9.0f} req/s  p50 {r['p50']:>6.1f} ms  p99 {r['p99']:>6.1f} ms"
            f"  errors {r['errors']}  ({what})",
            flush=True,
        )
    after, peak = rss_kib(a.server_pid)

    ceiling, me = results["/healthz"]["rps"], results["/api/me"]["rps"]
    print()
    print(f"{'page':<24} {'/api/me':>8} {'/healthz':>9} {'p99':>8}  targets (>=50 %, >=10 %, <=50 ms)")
    missed = []
    for path, _, _ in targets[2:]:
        r = results[path]
        to_me, to_ceiling = r["rps"] / me, r["rps"] / ceiling
        ok = to_me >= 0.5 and to_ceiling >= 0.10 and r["p99"] <= 50
        if not ok:
            missed.append(path)
        print(
            f"{path:<24} {to_me:>7.0%} {to_ceiling:>9.1%} {r['p99']:>6.1f}ms  {'met' if ok else 'MISSED'}"
        )
    print()
    mib = lambda k: k / 1024  # noqa: E731
    print(
        f"resident memory: idle {mib(idle[0]):.1f} MiB (target <= 60), after the load "
        f"{mib(after):.1f} MiB, peak {mib(peak):.1f} MiB (target <= 200)"
    )
    if mib(idle[0]) > 60 or mib(peak) > 200:
        missed.append("memory")
    print("all targets met" if not missed else f"targets missed: {', '.join(missed)}")
    sys.exit(1 if any(r["errors"] for r in results.values()) else 0)


if __name__ == "__main__":
    main()
