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


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_first_failure_not_pending(tmp)
        check_confirm_retry_recover(tmp)
        check_exit_confirming(tmp)
        with Fixture(tls=False) as fx:
            check_quantiles(fx, tmp)
    return t.done()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
