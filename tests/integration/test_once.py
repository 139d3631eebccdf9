"""uptop --once against the loopback fixture: every field of every result
that matters, exit codes, the table, URL lists, and the two laws (nothing
blocks, no failure lost) on a small seed scenario."""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, Fixture, LagMeter, free_port, run_uptop, json_lines, write_config  # noqa: E402
from dnsfake import FakeDNS  # noqa: E402

t = Tap()


def by_name(lines):
    return {o["name"]: o for o in lines}


def check_fields(fx, tmp):
    dead = free_port()
    cfg = write_config(tmp, f"""
defaults:
  timeout: 1s
  interval: 10s
targets:
  - {{name: ok, url: "{fx.url('/ok')}", group: web, body_contains: ok}}
  - {{name: status, url: "{fx.url('/status/503')}"}}
  - {{name: expected503, url: "{fx.url('/status/503')}", expect_status: [503]}}
  - {{name: hang, url: "{fx.url('/hang')}"}}
  - {{name: refused, url: "http://127.0.0.1:{dead}/"}}
  - {{name: nxdomain, url: "http://no-such-host.invalid/"}}
  - {{name: body, url: "{fx.url('/body/hello')}", body_contains: "bye"}}
  - {{name: slow, url: "{fx.url('/delay/0.3')}", max_latency: 100ms}}
  - {{name: redir, url: "{fx.url('/redirect/2')}"}}
  - {{name: loop, url: "{fx.url('/redirect-loop')}"}}
  - {{name: noredir, url: "{fx.url('/redirect/1')}", follow_redirects: false, expect_status: [302]}}
  - {{name: file, url: "{fx.url('/redirect-to?url=file:///etc/passwd')}"}}
  - {{name: garbage, url: "{fx.url('/garbage')}"}}
  - {{name: close, url: "{fx.url('/close')}"}}
  - {{name: reset, url: "{fx.url('/reset')}"}}
  - {{name: secret, url: "http://user:hunter2@127.0.0.1:{fx.http}/ok"}}
""")
    with LagMeter(fx) as lag:
        rc, out, err, wall = run_uptop(["--once", "--format", "json", "-c", cfg], lag=lag)
    r = by_name(json_lines(out))
    t.eq(rc, 2, "exit code 2 when any target is down")
    t.eq(len(r), 16, "one JSON line per target")
    t.ok(wall < 2.5 + lag.slack(), f"a round takes about as long as the slowest check ({wall:.2f}s, {lag})")
    keys = {"name", "group", "url", "kind", "state", "time", "http_status", "latency_ms",
            "error_class", "error", "error_detail", "body_bytes", "truncated", "dns_stale",
            "timings", "remote_ip", "cert_not_after", "cert_days_left", "dns_rcode", "answer"}
    t.eq(set(r["ok"].keys()), keys, "exactly the documented fields")
    t.eq(set(r["ok"]["timings"].keys()), {"dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "total_ms"},
         "exactly the documented timings")
    o = r["ok"]
    t.ok(o["state"] == "up" and o["http_status"] == 200 and o["error_class"] is None
         and o["error"] is None and o["remote_ip"] == "127.0.0.1" and o["group"] == "web",
         "ok: up, 200, no error, remote ip", o)
    t.ok(o["latency_ms"] is not None and 0 <= o["latency_ms"] < 500, "ok: latency measured", o)
    s = r["status"]
    t.ok(s["state"] == "down" and s["http_status"] == 503 and s["error_class"] == "status"
         and "503" in s["error"] and "200-399" in s["error"], "status: got vs expected", s)
    t.eq(r["expected503"]["state"], "up", "expect_status [503] makes 503 up")
    h = r["hang"]
    t.ok(h["state"] == "down" and h["error_class"] == "timeout" and "waiting for the response" in h["error"],
         "hang: timeout naming the phase", h)
    t.ok(950 <= h["timings"]["total_ms"] <= 1100 + lag.slack_ms(),
         f"hang: timeout fires within 100 ms ({h['timings']['total_ms']}, {lag})")
    t.ok("1000 ms" in h["error"] or "100" in h["error"], "hang: message gives the milliseconds", h["error"])
    f = r["refused"]
    t.ok(f["error_class"] == "refused" and f["error"] == f"127.0.0.1:{dead}"
         and "Couldn't connect" in f["error_detail"], "refused port: the address; curl's text apart", f)
    n = r["nxdomain"]
    t.ok(n["error_class"] == "dns" and "no such name" in n["error"], "unresolvable name: dns", n)
    b = r["body"]
    t.ok(b["error_class"] == "body" and "bye" in b["error"], "body_contains not found", b)
    sl = r["slow"]
    t.ok(sl["state"] == "degraded" and sl["error_class"] == "slow" and "max_latency" in sl["error"],
         "over max_latency: degraded", sl)
    rd = r["redir"]
    t.ok(rd["state"] == "up" and rd["http_status"] == 200, "redirects followed", rd)
    lp = r["loop"]
    t.ok(lp["error_class"] == "too_many_redirects" and "5" in lp["error"], "redirect loop", lp)
    t.eq(r["noredir"]["http_status"], 302, "follow_redirects: false keeps the 3xx")
    fi = r["file"]
    t.ok(fi["error_class"] == "redirect" and "file:///etc/passwd" in fi["error"],
         "redirect to file:// is never followed", fi)
    t.ok(r["garbage"]["error_class"] == "protocol", "garbage: protocol", r["garbage"])
    t.ok(r["close"]["error_class"] == "reset", "close without reply: reset", r["close"])
    t.ok(r["reset"]["error_class"] == "reset", "RST: reset", r["reset"])
    sec = r["secret"]
    t.ok("hunter2" not in out and sec["url"].startswith("http://***@"), "credentials redacted", sec["url"])

    rc, out, err, _ = run_uptop(["--once", "-c", cfg])
    lines = out.splitlines()
    t.ok(lines and lines[0].split()[:3] == ["STATE", "NAME", "GROUP"], "table header", lines[:1])
    t.ok(lines and lines[-1].startswith("5 up, 1 degraded, 10 down in "),
         "the summary line closes the table", lines[-1:])
    lines = lines[:-1]
    states = [ln.split()[0] for ln in lines[1:]]
    order = {"down": 0, "degraded": 1, "up": 2}
    t.ok(states == sorted(states, key=lambda s: order[s]), "table: down, then degraded, then up", states)
    t.ok(any("hang" in ln and "timeout:" in ln for ln in lines), "table shows class: message")


def check_exit_codes(fx, tmp):
    rc, out, _, _ = run_uptop(["--once", fx.url("/ok"), fx.url("/body/x")])
    t.eq(rc, 0, "URLs on the command line, all up: exit 0")
    rc, out, _, _ = run_uptop(["--once", "--format", "json", "-"],
                              stdin=f"# comment\n{fx.url('/ok')}\n\n{fx.url('/status/500')}\n")
    t.eq((rc, len(json_lines(out))), (2, 2), "URLs on stdin: 2 results, exit 2")
    cfg = write_config(tmp, f"""
targets:
  - {{name: slow, url: "{fx.url('/delay/0.2')}", max_latency: 50ms}}
  - {{name: fast, url: "{fx.url('/ok')}"}}
""", name="degraded.yaml")
    rc, _, _, _ = run_uptop(["--once", "-c", cfg])
    t.eq(rc, 1, "degraded and none down: exit 1")
    rc, _, err, _ = run_uptop(["--once", "ftp://example.com/"])
    t.ok(rc == 3 and "http" in err, "an ftp URL is a usage error (exit 3)", err)
    rc, out, _, _ = run_uptop(["--check-config", "-c", cfg])
    t.ok(rc == 0 and "2 targets" in out, "--check-config summary", out)
    bad = write_config(tmp, "targets:\n  - name: a\n    url: http://127.0.0.1/\n    interval: 0s\n    timout: 1s\n",
                       name="bad.yaml")
    rc, _, err, _ = run_uptop(["--check-config", "-c", bad])
    t.ok(rc == 3 and f"{bad}:4:" in err and f"{bad}:5:" in err and "timeout" in err,
         "--check-config reports every mistake as FILE:LINE:COL", err)
    rc, _, err, _ = run_uptop(["--once", "--bogus"])
    t.eq(rc, 3, "unknown option: exit 3")
    rc, out, _, _ = run_uptop(["--help-config"])
    t.ok(rc == 0 and "\n  failures_before_down  int      1        1..1000 " in out
         and "\nsettings:\n  max_concurrency " in out, "--help-config prints the key table", out)


def check_seed_scenario(fx, tmp):
    """The seed, scaled down: 180 answer after 0-1 s, 10 hang, 10 refused."""
    dead = free_port()
    rows = []
    for i in range(200):
        if i % 20 == 5:
            url = fx.url(f"/hang?i={i}")
        elif i % 20 == 15:
            url = f"http://127.0.0.1:{dead}/{i}"
        else:
            url = fx.url(f"/jitter/0/1?i={i}")
        rows.append(f'  - {{name: t{i:03d}, url: "{url}"}}')
    cfg = write_config(tmp, "defaults: {timeout: 2s}\ntargets:\n" + "\n".join(rows) + "\n",
                       name="seed.yaml")
    with LagMeter(fx) as lag:
        rc, out, _, wall = run_uptop(["--once", "--format", "json", "-c", cfg], lag=lag)
    r = json_lines(out)
    up = [o for o in r if o["state"] == "up"]
    down = [o for o in r if o["state"] == "down"]
    t.eq(rc, 2, "seed: exit 2")
    t.eq((len(r), len(up), len(down)), (200, 180, 20), "seed: 180 up, 20 down, none lost")
    # Serially the seed's loop would take 10 x 2 s + 180 x 0.5 s.
    t.ok(wall < 2.4 + lag.slack(), f"seed: the round takes about the timeout ({wall:.2f}s, {lag})")
    classes = sorted({o["error_class"] for o in down})
    t.eq(classes, ["refused", "timeout"], "seed: each failure has its own class")
    t.ok(all(o["error"] for o in down), "seed: each failure has its message")


def check_queue_not_timeout(fx, tmp):
    """Checks over the in-flight cap wait in our queue; that wait never
    counts against their timeout. Built so that the two outcomes are far
    apart: each check needs 0.2 s of its 1 s timeout, and the last of 11
    rounds waits 2 s (twice the timeout) in the queue. Counting the wait
    would time out the last half of them; a correct uptop has 0.8 s of
    slack per check, four times the check itself."""
    rows = "\n".join(f'  - {{name: q{i}, url: "{fx.url(f"/delay/0.2?i={i}")}"}}' for i in range(44))
    cfg = write_config(tmp, "defaults: {timeout: 1s}\ntargets:\n" + rows + "\n", name="queue.yaml")
    with LagMeter(fx) as lag:
        rc, out, _, wall = run_uptop(["--once", "--format", "json", "--max-concurrency", "4", "-c", cfg], lag=lag)
    r = json_lines(out)
    t.ok(rc == 0 and all(o["state"] == "up" for o in r) and len(r) == 44,
         "queued checks are not falsely timed out",
         [(o["name"], o["error"], o["timings"]["total_ms"]) for o in r if o["error"]][:3])
    # 11 rounds of 0.2 s cannot take less than 2.2 s; all at once (no cap)
    # would take 0.2 s, one at a time 8.8 s.
    t.ok(2.1 < wall < 4.4 + lag.slack(), f"cap 4 with 44 x 0.2 s takes ~11 rounds ({wall:.2f}s, {lag})")


def check_dns(fx, tmp):
    with FakeDNS(answers={"svc.test": "127.0.0.1"}, silent={"slow.test"}) as dns:
        rows = [f'  - {{name: slow, url: "http://slow.test:{fx.http}/ok", timeout: 1s}}',
                f'  - {{name: svc1, url: "http://svc.test:{fx.http}/ok"}}',
                f'  - {{name: svc2, url: "http://svc.test:{fx.http}/status/200"}}',
                '  - {name: missing, url: "http://missing.test/"}']
        rows += [f'  - {{name: d{i}, url: "{fx.url(f"/delay/0.3?i={i}")}"}}' for i in range(20)]
        cfg = write_config(tmp, "targets:\n" + "\n".join(rows) + "\n", name="dns.yaml")
        with LagMeter(fx) as lag:
            rc, out, _, wall = run_uptop(["--once", "--format", "json", "--dns-server", dns.server,
                                          "-c", cfg], lag=lag)
        r = by_name(json_lines(out))
        s = r.get("slow", {})
        t.ok(s.get("error_class") == "dns" and "timed out" in (s.get("error") or ""),
             "a lookup slower than the timeout ends as dns", s)
        t.ok(950 <= s.get("timings", {}).get("total_ms", 0) <= 1100 + lag.slack_ms(),
             f"the DNS timeout fires at the check's timeout ({lag})", s.get("timings"))
        others = [r[f"d{i}"] for i in range(20)]
        # A loop held by the lookup would show >= 1000 ms: the bound widens
        # with the machine's lag but never reaches that.
        bound = min(700 + lag.slack_ms(), 950)
        t.ok(all(o["state"] == "up" and o["latency_ms"] < bound for o in others),
             f"other checks go on while a lookup hangs (< {bound:.0f} ms, {lag})",
             [o["latency_ms"] for o in others][:5])
        t.ok(r["svc1"]["state"] == "up" and r["svc1"]["remote_ip"] == "127.0.0.1",
             "a name from our resolver is handed to curl", r["svc1"])
        t.ok(dns.queries.get("svc.test", 0) <= 2, "two targets on one name share one lookup (A + AAAA)",
             dns.queries)
        t.ok(r["missing"]["error_class"] == "dns" and "no such name" in r["missing"]["error"],
             "NXDOMAIN: dns, no such name", r["missing"])
        t.ok(wall < 1.6 + lag.slack(), f"the round is not held by the slow lookup ({wall:.2f}s, {lag})")


def main():
    with tempfile.TemporaryDirectory() as tmp, Fixture() as fx:
        check_fields(fx, tmp)
        check_exit_codes(fx, tmp)
        check_seed_scenario(fx, tmp)
        check_queue_not_timeout(fx, tmp)
        check_dns(fx, tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
