"""States that tell the truth (issue 8 §4, issue 10 §2), on the real
binary with --headless against the loopback fixture:

- a target that fails is visibly "confirming" until failures_before_down,
  never "pending" (pending means never checked) nor silently "up";
- interval_down re-checks a failing target sooner, and the fixed-rate
  grid resumes once it is back;
- successes_before_up: a down target needs that many answers in a row;
- a confirming target at exit is exit code 1, not 0;
- the stats line's quantiles never exceed its maximum.
Network: 127.0.0.1 only."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, Fixture, LagMeter, Running, free_port, json_lines, run_uptop, wait_until, write_config  # noqa: E402

t = Tap()

SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1


def changes(lines, name=None):
    return [(o["old"], o["new"]) for o in lines
            if o.get("type") == "state" and (name is None or o["name"] == name)]


def check_first_failure_not_pending(tmp):
    """A first check that fails: confirming (failures_before_down 3), or
    down (1); never a pending target with a failure on it."""
    port = free_port()
    cfg = write_config(tmp, f"""\
        defaults: {{interval: 500ms, timeout: 300ms}}
        targets:
          - {{name: three, url: "http://127.0.0.1:{port}/", failures_before_down: 3}}
          - {{name: one, url: "http://127.0.0.1:{port}/x"}}
        """, name="first.yaml")
    p = Running(["--headless", "-c", cfg])
    try:
        t.ok(p.wait_out(lambda o: o.get("name") == "three" and o.get("new") == "down",
                        timeout=10 * SLOW), "three goes down after its third failure")
    finally:
        p.stop()
    lines = p.json_out()
    t.eq(changes(lines, "three")[:2], [("pending", "confirming"), ("confirming", "down")],
         "failures_before_down 3: pending -> confirming -> down")
    t.eq(changes(lines, "one")[:1], [("pending", "down")], "failures_before_down 1: pending -> down")
    conf = [o for o in lines if o.get("new") == "confirming"]
    t.ok(conf and conf[0]["error_class"] == "refused",
         "the confirming line carries the failure's class", conf[:1])


def check_confirm_retry_recover(tmp):
    """interval 4 s, interval_down 400 ms, failures_before_down 3,
    successes_before_up 2: the server dies, then comes back."""
    with Fixture(tls=False) as fx:
        cfg = write_config(tmp, f"""\
            targets:
              - name: svc
                url: "{fx.url('/ok')}"
                interval: 4s
                timeout: 300ms
                interval_down: 400ms
                failures_before_down: 3
                successes_before_up: 2
            """, name="retry.yaml")
        p = Running(["--headless", "-c", cfg])
        try:
            t.ok(p.wait_out(lambda o: o.get("new") == "up", timeout=10 * SLOW), "svc is up")
            fx.stop()
            t.ok(p.wait_out(lambda o: o.get("new") == "confirming", timeout=10 * SLOW),
                 "the next check fails: confirming")
            t_conf = time.monotonic()
            t.ok(p.wait_out(lambda o: o.get("new") == "down", timeout=10 * SLOW),
                 "two more failures: down")
            t_down = time.monotonic()
            fx.start()
            t.ok(p.wait_out(lambda o: o.get("old") == "down" and o.get("new") == "up",
                            timeout=10 * SLOW), "back up")
            hits_at_up = fx.hits("/ok")
            time.sleep(2.5)
            hits_after = fx.hits("/ok")
        finally:
            p.stop()
    lines = p.json_out()
    t.eq(changes(lines), [("pending", "up"), ("up", "confirming"), ("confirming", "down"),
                          ("down", "up")], "up -> confirming -> down -> up, nothing else")
    # Two retries at 400 ms, against two at the 4 s interval.
    took = t_down - t_conf
    t.ok(took < 2.5 * SLOW, f"confirmed down within {took:.2f} s: checked every 400 ms, not 4 s")
    t.eq(hits_at_up, 2, "successes_before_up 2: the second answer in a row made it up")
    t.ok(hits_after - hits_at_up <= 1,
         f"back up: the 4 s grid resumes ({hits_after - hits_at_up} checks in 2.5 s)")


def check_exit_confirming(tmp):
    port = free_port()
    cfg = write_config(tmp, f"""\
        targets:
          - {{name: c, url: "http://127.0.0.1:{port}/", interval: 10s, timeout: 300ms,
              failures_before_down: 100}}
        """, name="exit.yaml")
    rc, out, err, _ = run_uptop(["--headless", "--duration", "1500ms", "-c", cfg], timeout=30)
    lines = json_lines(out)
    t.eq(changes(lines), [("pending", "confirming")], "a failing target is confirming at exit")
    t.eq(rc, 1, "--headless exit 1 (not 0) while a target is confirming")


def check_quantiles(fx, tmp):
    rows = "\n".join(f'  - {{name: q{i}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(20))
    cfg = write_config(tmp, "defaults: {interval: 300ms, timeout: 200ms}\ntargets:\n" + rows + "\n",
                       name="q.yaml")
    bad = []
    for _ in range(3):
        rc, out, _, _ = run_uptop(["--headless", "--duration", "1500ms", "-c", cfg], timeout=30)
        st = [o for o in json_lines(out) if o.get("type") == "stats"][-1]
        if not st["lag_p50_ms"] <= st["lag_p99_ms"] <= st["lag_max_ms"]:
            bad.append(st)
    t.eq(bad, [], "three runs: lag_p50_ms <= lag_p99_ms <= lag_max_ms in each")


def check_tui(fx, tmp):
    """The live table: a failing target not yet down is CONF and counted
    in the header; a refused connection has no latency ("-"), its phase
    bar ends in the connect phase it failed in, labels whole; a flapping
    target rings the bell at most once every 5 s, not once a frame."""
    if not shutil.which("tmux"):
        t.skip("confirming and latency in the live table", "tmux is not installed")
        return
    import test_tui as tui
    tmux = tui.Tmux().start()
    count = tmux.bell_counter(os.path.join(tmp, "bells"))
    port = free_port()
    cfg = write_config(tmp, f"""\
        defaults: {{interval: 1s, timeout: 500ms}}
        targets:
          - {{name: conf, url: "http://127.0.0.1:{port}/", failures_before_down: 1000}}
          - {{name: refused, url: "http://127.0.0.1:{port}/r"}}
          - {{name: flap, url: "{fx.url('/flap/0.5')}", interval: 200ms, timeout: 150ms}}
          - {{name: ok, url: "{fx.url('/ok')}"}}
        """, name="tui.yaml")
    r = tui.Run(tmux, tmp, "states", ["-c", cfg], size=(120, 40))
    try:
        ok, s = r.wait_for(lambda s: ("conf", "CONF") in [(n, b) for b, n in row_badges(s)],
                           timeout=10 * SLOW)
        t.ok(ok and "1 confirming" in tui.lines(s)[1],
             "a failing target below failures_before_down: CONF, and 1 confirming in the header", s)
        t.ok(re.search(r"^CONF\s+conf\s+-\s+-\s", s, re.M),
             "its LAST latency is '-': a refusal is not an answer", s)
        t0 = time.monotonic()
        n0 = count()
        time.sleep(6.2)
        rang = count() - n0
        flips = fx.hits("/flap/0.5")
        t.ok(rang <= 2, f"flapping ({flips} checks in all): {rang} bell(s) in 6.2 s, at most "
             "one every 5 s", time.monotonic() - t0)
        tui.set_filter(r, "refused")
        r.keys("Enter")
        ok, s = r.wait_for("Reproduce with curl", timeout=5 * SLOW)
        ls = tui.lines(s)
        i = next((k for k, ln in enumerate(ls) if "Phases of the last check" in ln), None)
        legend = " ".join(ls[i + 2:i + 4]) if i is not None else ""
        t.ok(ok and re.search(r"^ Last\s+\d\d:\d\d:\d\d  -  failed after [\d.]+m?s", s, re.M),
             "detail: a failure says how long it took, not a latency", s)
        t.ok(re.search(r"DNS [\d.]+ms \| connect ✗ [\d.]+ms\s+failed in connect after", legend)
             and "transfer" not in legend and "TTFB" not in legend,
             "detail: the phases stop at connect, where it failed; no transfer", legend)
        r.keys("Escape")
        r.keys("Escape")
        r.wait_for(lambda s: "filter:" not in s, timeout=5 * SLOW)
        # An answer's bar: five phases, most a cell or two wide.
        tui.set_filter(r, "ok")
        r.keys("Enter")
        ok, s = r.wait_for("Reproduce with curl", timeout=5 * SLOW)
        ls = tui.lines(s)
        i = next((k for k, ln in enumerate(ls) if "Phases of the last check" in ln), None)
        bar = ls[i + 1].split() if i is not None else ["?"]
        t.ok(ok and all(w in ("DNS", "connect", "TLS", "TTFB", "transfer") for w in bar),
             "the bar holds whole labels only, never cut or run together", ls[i + 1:i + 3])
        r.keys("Escape")
        r.keys("Escape")
        r.wait_for(lambda s: "filter:" not in s, timeout=5 * SLOW)
        r.keys("q")
        t.eq(r.wait_exit(), 0, "q: exit 0")
    finally:
        r.close()
        tmux.kill()


def row_badges(screen):
    import test_tui as tui
    out = []
    for line in tui.lines(screen):
        f = line.split()
        if len(f) >= 2 and f[0] in ("DOWN", "CONF", "DEGR", "PEND", "UP"):
            out.append((f[0], f[1]))
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_first_failure_not_pending(tmp)
        check_confirm_retry_recover(tmp)
        check_exit_confirming(tmp)
        with Fixture(tls=False) as fx:
            check_quantiles(fx, tmp)
            check_tui(fx, tmp)
    return t.done()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
