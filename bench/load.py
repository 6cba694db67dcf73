#!/usr/bin/env python3
"""Load test: N signed-in sessions walk the dashboard, members and domains pages of one
console server for a fixed time, and the script reports requests, errors, p50/p99 and the
slowest request. A benchmark, not a test: it prints figures and exits 1 only when a request
failed or took longer than --max-ms.

    bench/load.py --url http://127.0.0.1:3000 --sessions 64 --seconds 60

The server must run in sandbox mode (the demo sign-ins); bench/load.sh builds and starts a
release server for it. Only loopback addresses are accepted. Standard library only.
"""

import argparse
import http.cookiejar
import ipaddress
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def fetch(op, url, data=None, timeout=30):
    """One request without following redirects: (status, location, body)."""
    req = urllib.request.Request(url, data=data)
    try:
        with op.open(req, timeout=timeout) as r:
            return r.status, r.headers.get("location"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("location"), e.read()


def sign_in(base, username, password):
    """The browser's sign-in: console -> sandbox IdP form -> callback. Returns the opener."""
    op = opener()
    status, loc, _ = fetch(op, f"{base}/login?next=/")
    assert status == 303, f"/login answered {status}"
    url = loc
    for _ in range(10):
        status, loc, _ = fetch(op, url)
        if status in (301, 302, 303, 307) and "/if/flow/" in loc:
            form = urllib.parse.urljoin(url, loc)
            nxt = urllib.parse.parse_qs(urllib.parse.urlparse(form).query)["next"][0]
            origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlparse(form))
            body = urllib.parse.urlencode(
                {"uid_field": username, "password": password, "next": nxt}
            ).encode()
            status, loc, _ = fetch(op, f"{origin}/if/flow/default-authentication-flow/", body)
            assert status == 303, f"the IdP refused the sign-in ({status})"
            url = urllib.parse.urljoin(origin, loc)
            continue
        if status in (301, 302, 303, 307):
            url = urllib.parse.urljoin(url, loc)
            continue
        assert status == 200, f"sign-in ended with {status} at {url}"
        return op
    raise AssertionError("too many redirects during sign-in")


def loopback_only(url):
    """Exits unless the URL is on this machine: the bench scripts load a local server only."""
    host = urllib.parse.urlparse(url).hostname
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        sys.exit("only loopback targets: this script loads a server on this machine")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:3000")
    p.add_argument("--sessions", type=int, default=64)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--tenant", default="acme")
    p.add_argument("--username", default="olivia@acme.example")
    p.add_argument("--password", default="demo-owner-2026")
    p.add_argument("--max-ms", type=float, default=2000)
    a = p.parse_args()
    loopback_only(a.url)

    pages = [f"/admin/{a.tenant}", f"/admin/{a.tenant}/members", f"/admin/{a.tenant}/domains"]
    sessions = [sign_in(a.url, a.username, a.password) for _ in range(a.sessions)]
    results = []  # (ms, path, status)
    lock = threading.Lock()
    deadline = time.monotonic() + a.seconds

    def walk(op, offset):
        i = offset
        mine = []
        while time.monotonic() < deadline:
            path = pages[i % len(pages)]
            i += 1
            started = time.perf_counter()
            try:
                status, _, body = fetch(op, a.url + path)
                if status == 200 and b"id=\"error\"" in body:
                    status = -1  # an error page with 200 would be a bug of its own
            except Exception as e:  # a timeout or reset counts as an error
                status = f"{type(e).__name__}"
            mine.append(((time.perf_counter() - started) * 1000, path, status))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=walk, args=(op, n)) for n, op in enumerate(sessions)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0

    times = sorted(r[0] for r in results)
    errors = [r for r in results if r[2] != 200]
    slowest = max(results, key=lambda r: r[0])
    q = statistics.quantiles(times, n=100)
    print(f"sessions {a.sessions}, {wall:.1f} s, requests {len(results)} ({len(results) / wall:.0f}/s)")
    print(f"errors {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    print(f"p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, slowest {slowest[0]:.1f} ms ({slowest[1]})")
    for path in pages:
        ts = sorted(r[0] for r in results if r[1] == path)
        print(f"  {path}: {len(ts)} requests, p50 {statistics.median(ts):.1f} ms, max {ts[-1]:.1f} ms")
    sys.exit(1 if errors or slowest[0] > a.max_ms else 0)


if __name__ == "__main__":
    main()
