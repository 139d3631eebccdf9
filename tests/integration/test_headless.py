"""uptop --headless: state-change lines, run statistics, fixed-rate
scheduling, signals (SIGTERM exit, SIGUSR1 reload), and faults: every
target failing at once then recovering, SIGSTOP/SIGCONT, a tiny fd limit."""

import re
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, Fixture, LagMeter, Running, run_uptop, json_lines, wait_until, write_config, uptop_bin  # noqa: E402

t = Tap()


def states(p):
    """(name, old, new) of every state line so far."""
    return [(o["name"], o["old"], o["new"]) for o in p.json_out() if o.get("type") == "state"]


def stats_of(lines):
    s = [o for o in lines if o.get("type") == "stats"]
    return s[-1] if s else {}


def check_duration_and_rate(fx, tmp):
    # The timeout leaves 600 ms of each 1 s slot free: an overdue slot
    # needs a check (or the loop) late by that much, not by a hiccup.
    rows = "\n".join(f'  - {{name: r{i}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(20))
    cfg = write_config(tmp, "defaults: {interval: 1s, timeout: 400ms}\ntargets:\n" + rows + "\n",
                       name="rate.yaml")
    with LagMeter(fx) as lag:
        rc, out, err, wall = run_uptop(["--headless", "--duration", "6s", "-c", cfg], lag=lag)
    lines = json_lines(out)
    ev = [o for o in lines if o.get("type") == "state"]
    st = stats_of(lines)
    t.eq(rc, 0, "--headless exits 0 when everything is up")
    t.ok(5.9 < wall < 7 + lag.slack(), f"--duration 6s stops after 6 s ({wall:.2f}s, {lag})")
    t.eq(len(ev), 20, "one state line per change (pending -> up for each)")
    t.ok(all(set(e) >= {"time", "name", "old", "new", "error_class", "error"} for e in ev),
         "state lines carry name, time, old, new, error_class, error", ev[:1])
    t.ok(all(e["old"] == "pending" and e["new"] == "up" for e in ev), "pending -> up")
    # fixed rate: 6 s / 1 s = 6 slots each (first spread over 10%)
    t.ok(110 <= st.get("checks", 0) <= 140, f"fixed rate: ~6 checks per target ({st.get('checks')})")
    t.eq(st.get("overdue"), 0, "no overdue slot when checks are quick")
    for k in ("checks_per_sec", "queued_peak", "lag_p50_ms", "lag_p99_ms", "lag_max_ms", "peak_rss_kb"):
        t.ok(k in st, f"stats line has {k}")
    # uptop's own lag, against what the machine did to every process here.
    t.ok(st.get("lag_p99_ms", 99) < 50 + lag.slack_ms(2),
         f"loop lag p99 small ({st.get('lag_p99_ms')} ms, {lag})")


def check_signals_and_reload(fx, tmp):
    """Each step waits for the line that proves the previous one landed."""
    cfg = write_config(tmp, f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 1s, timeout: 500ms}}\n',
                       name="reload.yaml")
    p = Running(["--headless", "-c", cfg])
    try:
        p.wait_out(lambda o: o.get("name") == "a" and o.get("new") == "up")   # handlers are in place
        with open(cfg, "w") as f:
            f.write("targets:\n  - name: a\n    url: [broken\n")
        p.send(signal.SIGUSR1)
        p.wait_err("kept the running config")
        t.ok(p.proc.poll() is None, "an invalid reload keeps uptop running")
        with open(cfg, "w") as f:
            f.write(f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 1s, timeout: 500ms}}\n'
                    f'  - {{name: b, url: "{fx.url("/status/500")}", interval: 1s, timeout: 500ms}}\n')
        p.send(signal.SIGUSR1)
        p.wait_out(lambda o: o.get("name") == "b" and o.get("new") == "down")
    finally:
        rc = p.stop()
    lines, err = p.json_out(), "\n".join(p.err_lines)
    t.ok(re.search(re.escape(cfg) + r":\d+:\d+: ", err) and "kept the running config" in err,
         "the reload error is reported with line:col", err)
    ev = states(p)
    t.ok(("b", "pending", "down") in ev, "a valid reload adds the new target", ev)
    t.eq(ev.count(("a", "pending", "up")), 1, "a kept its state across the reload")
    t.eq(rc, 2, "SIGTERM: clean exit with the code of the last states (b down)")
    t.ok(stats_of(lines).get("checks", 0) > 0, "SIGTERM still prints the statistics")


def check_outage_and_recovery(tmp):
    """Every step waits for its outcome (bounded), not for a guessed time."""
    with Fixture() as fx:
        rows = "\n".join(f'  - {{name: o{i}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(50))
        cfg = write_config(tmp, "defaults: {interval: 500ms, timeout: 300ms}\ntargets:\n" + rows + "\n",
                           name="outage.yaml")
        p = Running(["--headless", "-c", cfg])
        try:
            count = lambda old, new: sum(1 for _, o, n in states(p) if (o, n) == (old, new))  # noqa: E731
            wait_until(lambda: count("pending", "up") == 50)
            fx.stop()
            wait_until(lambda: count("up", "down") == 50)
            fx.restart()
            wait_until(lambda: count("down", "up") == 50)
        finally:
            p.stop()
    ev = [o for o in p.json_out() if o.get("type") == "state"]
    downs = [o for o in ev if o["new"] == "down"]
    ups = [o for o in ev if o["old"] == "down" and o["new"] == "up"]
    t.eq(len(downs), 50, "fixture killed: every target goes down")
    t.ok(all(o["error_class"] in ("refused", "reset") for o in downs),
         "down with the right class", sorted({o["error_class"] for o in downs}))
    t.eq(len(ups), 50, "fixture restarted: every target comes back up")


def check_sigstop(fx, tmp):
    """A burst after SIGCONT would be the 15 slots missed in 3 s at once;
    the bound is what the rate allows over the time actually measured."""
    cfg = write_config(tmp, f'targets:\n  - {{name: s, url: "{fx.url("/ok")}", interval: 200ms, timeout: 100ms}}\n',
                       name="stop.yaml")
    p = Running(["--headless", "-c", cfg])
    try:
        p.wait_out(lambda o: o.get("name") == "s")
        p.send(signal.SIGSTOP)
        time.sleep(3.0)
        before = fx.stats().get("/ok", 0)
        t_cont = time.monotonic()
        p.send(signal.SIGCONT)
        time.sleep(0.5)
        after = fx.stats().get("/ok", 0)
        elapsed = time.monotonic() - t_cont
    finally:
        p.stop()
    st = stats_of(p.json_out())
    # The coalesced slot, then the rate (4 in the nominal 0.5 s).
    allowed = 1 + int(elapsed / 0.2 + 0.999)
    t.ok(after - before <= allowed,
         f"SIGCONT: no burst of missed checks ({after - before} in {elapsed:.2f} s, at most {allowed})")
    t.ok(st.get("overdue", 0) >= 10, f"missed slots are counted as overdue ({st.get('overdue')})")


def check_fd_limit(fx, tmp):
    rows = "\n".join(f'  - {{name: f{i:04d}, url: "{fx.url(f"/delay/0.05?i={i}")}"}}' for i in range(1000))
    cfg = write_config(tmp, "defaults: {timeout: 5s}\ntargets:\n" + rows + "\n", name="fd.yaml")
    cmd = f"ulimit -n 64 && exec {uptop_bin()} --once --format json -c {cfg}"
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    r = json_lines(p.stdout)
    t.eq(len(r), 1000, "ulimit -n 64: every one of 1,000 targets gets a result")
    t.ok(p.returncode == 0 and all(o["state"] == "up" for o in r),
         "ulimit -n 64: all checked (queued), none lost, no false failure",
         sorted({o["error_class"] for o in r if o["error_class"]}))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        with Fixture() as fx:
            check_duration_and_rate(fx, tmp)
            check_signals_and_reload(fx, tmp)
            check_sigstop(fx, tmp)
            check_fd_limit(fx, tmp)
        check_outage_and_recovery(tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
