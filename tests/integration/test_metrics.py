# uptop-test: alone (it measures loop lag under load; tests/run.sh runs it with nothing beside it)
"""GET /metrics: Prometheus' own promtool accepts the exposition for every
kind of target (hostile names and URLs too), the HTTP side (paths,
methods, HEAD, keep-alive, the address), errors at start, a reload that
cuts a scrape in progress rather than mixing two configs, and the load
case: 10,000 targets, 1,000 checks a second, scrapes under 100 ms and
loop lag p99 under 10 ms.

Everything listens on and talks to 127.0.0.1 only."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import Fixture, LagMeter, Running, free_port, run_uptop, wait_until, write_config  # noqa: E402

PROMTOOL = shutil.which("promtool")


def request(port, path="/metrics", method="GET", conn=None, timeout=30):
    """-> (status, headers dict (lower-case names), body bytes)."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    if not conn:
        c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body


def raw_scrape(port, timeout=30):
    """HTTP/1.0 (no chunking: the body ends with the connection) -> (seconds, bytes)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        parts = []
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            parts.append(b)
    data = b"".join(parts)
    return time.monotonic() - t0, data.split(b"\r\n\r\n", 1)[1]


def samples(text, name):
    """{labels text: value} of every sample of one metric name."""
    out = {}
    for m in re.finditer(r"^" + re.escape(name) + r"(\{.*\})? (\S+)$", text, re.M):
        out[m.group(1) or ""] = float(m.group(2))
    return out


def promtool(t, text, what):
    """promtool check metrics on text: exit 0 and no complaint."""
    if not PROMTOOL:
        t.skip(what, "promtool not installed (scripts/deps.sh installs prometheus)")
        return
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True)
    t.ok(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), what,
         (r.stdout + r.stderr).decode(errors="replace")[:2000])


def scrape_text(port):
    status, headers, body = request(port)
    return status, headers, body.decode()


def scrape_or_cut(port):
    """The text of a scrape, or "" when a reload cut it (as it must: a
    scrape that started on the old config never ends cleanly)."""
    try:
        return scrape_text(port)[2]
    except http.client.HTTPException:
        return ""


def all_checked(port, n, proc=None, t=None):
    """Waits until n targets have a result in /metrics -> its text (None
    after 30 s; with t, says why, with the process's stderr)."""
    def ready():
        try:
            status, _, text = scrape_text(port)
        except OSError:
            return None      # not listening yet
        return text if status == 200 and len(samples(text, "probe_success")) >= n else None
    text = wait_until(ready, timeout=30, every=0.1)
    if not text and t:
        t.diag("stderr: " + "\n".join(proc.err_lines[-10:]) if proc else "")
    return text


def kinds_config(tmp, fx, port):
    """A target of every kind the fixture can produce, and hostile names."""
    return write_config(tmp, f"""
defaults:
  timeout: 1s
  interval: 30s
targets:
  - {{name: ok, url: "{fx.url('/ok')}", group: web}}
  - {{name: status, url: "{fx.url('/status/503')}", group: web}}
  - {{name: hang, url: "{fx.url('/hang')}"}}
  - {{name: refused, url: "http://127.0.0.1:{free_port()}/"}}
  - {{name: nxdomain, url: "http://no-such-host.invalid/"}}
  - {{name: body, url: "{fx.url('/body/hello')}", body_contains: bye}}
  - {{name: slow, url: "{fx.url('/delay/0.2')}", max_latency: 50ms}}
  - {{name: redirect, url: "{fx.url('/redirect/2')}"}}
  - {{name: loop, url: "{fx.url('/redirect-loop')}"}}
  - {{name: garbage, url: "{fx.url('/garbage')}"}}
  - {{name: reset, url: "{fx.url('/reset')}"}}
  - {{name: tls, url: "{fx.url('/ok', tls=True)}", ca_file: "{fx.ca}"}}
  - {{name: selfsigned, url: "{fx.url('/ok', tls=True)}"}}
  - {{name: expired, url: "{fx.url('/ok', port=fx.https_expired)}", ca_file: "{fx.ca}"}}
  - {{name: condition, url: "{fx.url('/ok')}", conditions: ["[STATUS] == 201"]}}
  - name: "quote\\" back\\\\slash \\n newline \\t tab \\u001b[2J esc \\u00e9 \\u202e bidi"
    group: "g\\"r\\\\oup\\n"
    url: "http://user:hunter2@127.0.0.1:{fx.http}/ok?q=%22\\"x\\"&b=\\\\"
  - {{name: "{{{{braces}}}} = , ; # not a comment", url: "{fx.url('/ok')}?a=1#frag"}}
settings:
  metrics: "127.0.0.1:{port}"
""")


def test_kinds(t, fx, tmp):
    port = free_port()
    cfg = kinds_config(tmp, fx, port)
    p = Running(["--headless", "-c", cfg])
    try:
        text = all_checked(port, 17, p, t)
        t.ok(text, "settings.metrics serves /metrics with every target checked")
        text = text or ""
        promtool(t, text, "promtool check metrics: clean for every kind of target and hostile labels")
        succ = samples(text, "probe_success")
        t.eq(succ.get('{target="ok",group="web",url="' + fx.url('/ok') + '"}'), 1.0,
             "probe_success 1 for the good target")
        down = [k for k, v in succ.items() if v == 0]
        t.eq(len(down), 11, "probe_success 0 for the 11 failing targets")
        t.ok("hunter2" not in text, "the password never reaches /metrics")
        t.ok('target="quote\\" back\\\\slash \\n newline' in text,
             "quote, backslash and newline escaped in a name")
        t.ok('group="g\\"r\\\\oup\\n"' in text, "...and in a group")
        t.ok('url="http://***@127.0.0.1:' in text, "credentials redacted from the url label")
        codes = samples(text, "probe_http_status_code")
        t.ok(any(v == 503 for v in codes.values()), "probe_http_status_code 503")
        checks = samples(text, "uptop_checks_total")
        t.ok(any('result="timeout"' in k for k in checks), "checks counted by class (timeout)")
        t.ok(any('result="tls"' in k for k in checks), "checks counted by class (tls)")
        state = samples(text, "uptop_target_state")
        t.eq(sum(1 for v in state.values() if v == 1), 17, "one state per target")
        t.ok(samples(text, "uptop_loop_lag_seconds_count").get("", 0) > 0, "loop lag counted")
    finally:
        t.eq(p.stop(), 2, "headless exits 2 (targets down) on SIGTERM")


def test_once(t, fx, tmp):
    """--once --format prometheus: the same page, once, for the textfile
    collector; states as --once decides them (one check)."""
    cfg = kinds_config(tmp, fx, free_port())
    rc, out, err, _ = run_uptop(["--once", "--format", "prometheus", "-c", cfg])
    t.eq(rc, 2, "--once --format prometheus: exit 2 (targets down)")
    promtool(t, out, "promtool check metrics: --once --format prometheus is clean")
    t.eq(len(samples(out, "probe_success")), 17, "every target has its probe_* lines")
    t.ok(out.startswith("# HELP uptop_target_state") and "uptop_build_info{" in out,
         "the same families as /metrics", out[:200])
    slow = next((v for k, v in samples(out, "uptop_target_state").items()
                 if 'target="slow"' in k and 'state="degraded"' in k), None)
    t.eq(slow, 1.0, "slow is degraded in --once's page")
    two = write_config(tmp, f"""
targets:
  - {{name: flaky, url: "{fx.url('/status/500')}", failures_before_down: 3}}
""", name="once.yaml")
    rc, out, _, _ = run_uptop(["--once", "--format", "prometheus", "-c", two])
    down = samples(out, "uptop_target_state").get(
        f'{{target="flaky",group="",url="{fx.url("/status/500")}",state="down"}}')
    t.ok(rc == 2 and down == 1.0, "one failure is down in --once, as its exit status says "
         "(failures_before_down does not apply)", out[-600:])
    t.eq(samples(out, "uptop_outage_active").get(""), 0.0, "no outage: uptop_outage_active 0")
    canary = write_config(tmp, f"""
settings: {{canary: gateway}}
targets:
  - {{name: gateway, url: "http://127.0.0.1:{free_port()}/"}}
  - {{name: shop, url: "{fx.url('/ok')}"}}
""", name="canary.yaml")
    rc, out, _, _ = run_uptop(["--once", "--format", "prometheus", "-c", canary])
    t.eq(samples(out, "uptop_outage_active").get(""), 1.0,
         "the canary fails: the outage is open, uptop_outage_active 1")
    t.ok('state="confirming"' in out, "the states include confirming")


def test_url_list(t, fx):
    """Names from URLs given as arguments may hold any byte: invalid UTF-8
    becomes U+FFFD, which Prometheus accepts."""
    port = free_port()
    bad = b"http://127.0.0.1:%d/ok?\xff\xfe=\"\\" % fx.http
    p = subprocess.Popen([lib.uptop_bin().encode(), b"--headless", b"--metrics",
                          b":%d" % port, bad, fx.url("/ok").encode()],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        text = all_checked(port, 2) or ""
        t.ok("\ufffd" in text, "invalid UTF-8 in a URL shows as U+FFFD")
        promtool(t, text, "promtool check metrics: clean for raw bytes from the command line")
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        p.stderr.close()


def test_http(t, fx):
    port = free_port()
    p = Running(["--headless", "--metrics", f":{port}", fx.url("/ok")])
    try:
        t.ok(all_checked(port, 1), "--metrics :PORT serves on 127.0.0.1")
        status, headers, body = request(port)
        t.eq(status, 200, "GET /metrics: 200")
        t.eq(headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8",
             "the exposition's content type")
        status, headers, body = request(port, method="HEAD")
        t.ok(status == 200 and body == b"", "HEAD /metrics: 200, no body")
        status, _, body = request(port, "/")
        t.ok(status == 200 and b"/metrics" in body, "GET /: points to /metrics")
        status, _, _ = request(port, "/nope")
        t.eq(status, 404, "another path: 404")
        status, headers, _ = request(port, method="POST")
        t.ok(status == 405 and headers.get("allow") == "GET, HEAD", "POST: 405 with Allow",
             (status, headers))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        a = request(port, conn=c)
        b = request(port, conn=c)
        c.close()
        t.ok(a[0] == b[0] == 200 and b[2].startswith(b"# HELP"), "two scrapes on one connection")
        # Many clients at once: none holds the loop, every one answered.
        results = []

        def one():
            try:
                results.append(request(port, timeout=20)[0])
            except OSError as e:
                results.append(repr(e))
        threads = [threading.Thread(target=one) for _ in range(12)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        t.ok(all(r in (200, 503) for r in results) and results.count(200) >= 4,
             f"12 clients at once: each gets 200 or 503 (busy), never hangs ({results})")
    finally:
        t.eq(p.stop(), 0, "exit 0 on SIGTERM with the target up")


def test_errors(t, fx, tmp):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        rc, out, err, _ = run_uptop(["--headless", "-d", "5s", "--metrics", f"127.0.0.1:{taken}",
                                     fx.url("/ok")])
    t.eq(rc, 3, "a port in use: exit 3")
    t.ok(f"--metrics 127.0.0.1:{taken}: cannot listen: Address already in use" in err,
         "...saying which address and why", err)
    rc, _, err, _ = run_uptop(["--headless", "-d", "5s", "--metrics", "192.0.2.1:9100",
                               fx.url("/ok")])
    t.ok(rc == 3 and "cannot listen: Cannot assign requested address" in err,
         "an address this machine does not have: exit 3", err)
    for bad, msg in (("9100", "expected ADDR:PORT or :PORT"), (":0", "1..65535"),
                     ("example.com:9100", "not looked up")):
        rc, _, err, _ = run_uptop(["--headless", "--metrics", bad, fx.url("/ok")])
        t.ok(rc == 3 and msg in err, f"--metrics {bad}: usage error", err)
    rc, _, err, _ = run_uptop(["--once", "--metrics", ":9100", fx.url("/ok")])
    t.ok(rc == 3 and "--metrics has no effect with --once (it applies to the live table, "
         "--headless)" in err, "--metrics with --once: a usage error that says where it applies",
         err)
    port = free_port()
    cfg = write_config(tmp, f"""
targets:
  - {{name: ok, url: "{fx.url('/ok')}"}}
settings:
  metrics: "127.0.0.1:{free_port()}"
""", name="flag.yaml")
    p = Running(["--headless", "-c", cfg, "--metrics", f"127.0.0.1:{port}"])
    try:
        t.ok(all_checked(port, 1), "--metrics wins over settings.metrics")
    finally:
        p.stop()


def test_alerts(t, fx, tmp):
    """uptop_alerts_total counts what alerts did: one command that works,
    one that exits 1; --no-alerts sends none and counts none."""
    port = free_port()
    cfg = write_config(tmp, f"""
alerts:
  - {{name: works, command: ["/bin/true"]}}
  - {{name: fails, command: ["/bin/false"]}}
targets:
  - {{name: down, url: "{fx.url('/status/503')}"}}
settings:
  alert_wait: 0s
""", name="alerts.yaml")

    def counts():
        try:
            return samples(scrape_text(port)[2], "uptop_alerts_total")
        except OSError:
            return {}       # not listening yet

    p = Running(["--headless", "-c", cfg, "--metrics", f":{port}"])
    try:
        want = {'{result="sent"}': 1.0, '{result="failed"}': 1.0, '{result="dropped"}': 0.0}
        t.ok(wait_until(lambda: counts() == want, timeout=30),
             "uptop_alerts_total: the down's two alerts, one sent and one failed", counts())
    finally:
        p.stop()
    p = Running(["--headless", "--no-alerts", "-c", cfg, "--metrics", f":{port}"])
    try:
        t.ok(all_checked(port, 1), "--no-alerts: the target checked")
        t.eq(set(counts().values()), {0.0}, "--no-alerts: uptop_alerts_total all 0")
    finally:
        p.stop()


def test_reload(t, fx, tmp):
    """A reload during a scrape cuts it (the body never ends cleanly), and
    the next scrape shows the new config: never half of each."""
    n = 10000       # 17 MB of exposition: more than the socket buffers hold
    port = free_port()
    body = "".join(f'  - {{name: "t{i:05d}", url: "http://t{i}.invalid/"}}\n' for i in range(n))
    cfg = write_config(tmp, f"defaults: {{interval: 20s}}\ntargets:\n{body}", name="reload.yaml")
    p = Running(["--headless", "--metrics", f":{port}", "-c", cfg])
    try:
        t.ok(all_checked(port, n, p, t), f"{n:,} targets checked")
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        # A tiny receive buffer: the server fills the socket and waits.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = s.recv(4096)
        write_config(tmp, "targets:\n  - {name: only, url: \"http://only.invalid/\"}\n",
                     name="reload.yaml")
        p.send(signal.SIGUSR1)
        t.ok(wait_until(lambda: 'target="only"' in scrape_or_cut(port), timeout=20),
             "after the reload /metrics shows the new config")
        rest = [first]
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            rest.append(b)
        s.close()
        data = b"".join(rest)
        t.ok(data.startswith(b"HTTP/1.1 200") and not data.endswith(b"\r\n0\r\n\r\n"),
             "the scrape in progress was cut: its chunked body never ends")
        t.ok(b'target="only"' not in data, "...and it never mixed in the new config")
    finally:
        p.stop()


# --------------------------------------------------------------------- load

class Wakeups:
    """The machine's own scheduling delay: how late a thread wakes from a
    2 ms sleep, sampled all along. Its p99 is the slack of a p99 bound."""

    def __init__(self):
        self.late = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            t0 = time.monotonic()
            time.sleep(0.002)
            self.late.append(time.monotonic() - t0 - 0.002)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()

    def quantile(self, q):
        v = sorted(self.late)
        return v[min(len(v) - 1, int(q * len(v)))] if v else 0.0


def test_load(t, fx, tmp):
    """10,000 targets at intervals that drift apart (7-13 s, 1,000 checks a
    second once the first round has spread), scraped every 2 s for over a
    minute: a scrape under 100 ms, and the loop's lag p99 over that
    minute (uptop's own uptop_loop_lag_seconds) under 10 ms. Each bound
    widens only by what the machine did (LagMeter, wake-up delays)."""
    n = 10000
    lib.raise_fd_limit()
    port = free_port()
    body = "".join(f'  - {{name: "t{i:05d}", url: "{fx.url("/ok")}?n={i}", group: g{i % 7}, '
                   f'interval: {7000 + (i * 7919) % 6000}ms}}\n' for i in range(n))
    cfg = write_config(tmp, f"defaults: {{timeout: 5s}}\ntargets:\n{body}", name="load.yaml")
    p = Running(["--headless", "--metrics", f":{port}", "-c", cfg])
    worst, times, size = [], [], 0
    try:
        t.ok(all_checked(port, n), "10,000 targets checked")
        # The first round (10,000 new connections in a second) leaves the
        # one-minute window of the lag quantiles before we read them.
        end = time.monotonic() + 62
        with Wakeups() as wake:
            while time.monotonic() < end:
                with LagMeter(p.pid, os.getpid()) as lag:
                    secs, data = raw_scrape(port)
                times.append(secs)
                size = len(data)
                worst.append((secs - 0.1 - lag.slack(), secs, str(lag)))
                time.sleep(2)
            _, _, text = scrape_text(port)
        p99 = samples(text, "uptop_loop_lag_seconds").get('{quantile="0.99"}', 99)
        rate = sum(samples(text, "uptop_checks_total").values())
        wp99 = wake.quantile(0.99)
        t.ok(size > 10_000_000, f"a scrape of 10,000 targets: {size / 1e6:.1f} MB")
        # The scrape takes under 100 ms: its median, each scrape against
        # its own slack. A shared VM also loses the CPU in ways no meter
        # here catches in time (a stall of the whole guest), so one scrape
        # in 30 may pass 250 ms by that; a scrape that held the loop or
        # waited on it would do so every time, and none may pass 1 s.
        ranked = sorted(worst)
        mid, second, over = ranked[len(ranked) // 2], ranked[-2], ranked[-1]
        t.ok(mid[0] <= 0 and second[0] <= 0.150 and over[0] <= 0.900,
             f"a scrape takes under 100 ms (+ the machine's slack; all but one under 250 ms, "
             f"none over 1 s): {len(times)} scrapes, median "
             f"{1000 * sorted(times)[len(times) // 2]:.0f} ms, max {1000 * max(times):.0f} ms; "
             f"worst against its bound {1000 * over[1]:.0f} ms ({over[2]}), next "
             f"{1000 * second[1]:.0f} ms ({second[2]})")
        t.ok(p99 <= 0.010 + wp99, f"loop lag p99 over the last minute {1000 * p99:.1f} ms "
             f"<= 10 ms + the machine's p99 wake-up delay {1000 * wp99:.1f} ms")
        t.ok(rate > 60 * 800, f"checks kept running meanwhile ({rate:.0f} in all)")
        overdue = samples(text, "uptop_overdue_total").get("", -1)
        t.eq(overdue, 0.0, "no check slot was skipped while scraping")
    finally:
        p.stop()


def main(t):
    tmp = tempfile.mkdtemp(prefix="uptop-metrics-")
    try:
        with Fixture() as fx:
            test_kinds(t, fx, tmp)
            test_once(t, fx, tmp)
            test_url_list(t, fx)
            test_http(t, fx)
            test_errors(t, fx, tmp)
            test_alerts(t, fx, tmp)
            test_reload(t, fx, tmp)
        with Fixture(tls=False) as fx:
            if os.environ.get("UPTOP_SANITIZED"):
                t.skip("10,000 targets under load", "sanitized build: timings do not apply")
            else:
                test_load(t, fx, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


lib.main(main)
