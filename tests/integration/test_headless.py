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
from lib import Tap, Fixture, run_uptop, json_lines, write_config, uptop_bin  # noqa: E402

t = Tap()


def start(args, **kw):
    return subprocess.Popen([uptop_bin()] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


def stop(p, sig=signal.SIGTERM, timeout=10):
    p.send_signal(sig)
    out, err = p.communicate(timeout=timeout)
    return p.returncode, json_lines(out), err


def stats_of(lines):
    s = [o for o in lines if o.get("type") == "stats"]
    return s[-1] if s else {}


def check_duration_and_rate(fx, tmp):
    rows = "\n".join(f'  - {{name: r{i}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(20))
    cfg = write_config(tmp, "defaults: {interval: 500ms, timeout: 400ms}\ntargets:\n" + rows + "\n",
                       name="rate.yaml")
    rc, out, err, wall = run_uptop(["--headless", "--duration", "3s", "-c", cfg])
    lines = json_lines(out)
    ev = [o for o in lines if o.get("type") == "state"]
    st = stats_of(lines)
    t.eq(rc, 0, "--headless exits 0 when everything is up")
    t.ok(2.9 < wall < 4, f"--duration 3s stops after 3 s ({wall:.2f}s)")
    t.eq(len(ev), 20, "one state line per change (pending -> up for each)")
    t.ok(all(set(e) >= {"time", "name", "old", "new", "error_class", "error"} for e in ev),
         "state lines carry name, time, old, new, error_class, error", ev[:1])
    t.ok(all(e["old"] == "pending" and e["new"] == "up" for e in ev), "pending -> up")
    # fixed rate: 3 s / 500 ms = 6 slots each (first spread over 10%)
    t.ok(110 <= st.get("checks", 0) <= 140, f"fixed rate: ~6 checks per target ({st.get('checks')})")
    t.eq(st.get("overdue"), 0, "no overdue slot when checks are quick")
    for k in ("checks_per_sec", "queued_peak", "lag_p50_ms", "lag_p99_ms", "lag_max_ms", "peak_rss_kb"):
        t.ok(k in st, f"stats line has {k}")
    t.ok(st.get("lag_p99_ms", 99) < 50, f"loop lag p99 small ({st.get('lag_p99_ms')} ms)")


def check_signals_and_reload(fx, tmp):
    cfg = write_config(tmp, f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 1s, timeout: 500ms}}\n',
                       name="reload.yaml")
    p = start(["--headless", "-c", cfg])
    time.sleep(1.0)
    with open(cfg, "w") as f:
        f.write("targets:\n  - name: a\n    url: [broken\n")
    p.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    t.ok(p.poll() is None, "an invalid reload keeps uptop running")
    with open(cfg, "w") as f:
        f.write(f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 1s, timeout: 500ms}}\n'
                f'  - {{name: b, url: "{fx.url("/status/500")}", interval: 1s, timeout: 500ms}}\n')
    p.send_signal(signal.SIGUSR1)
    time.sleep(1.5)
    rc, lines, err = stop(p)
    t.ok(re.search(re.escape(cfg) + r":\d+:\d+: ", err) and "kept the running config" in err,
         "the reload error is reported with line:col", err)
    ev = [(o["name"], o["old"], o["new"]) for o in lines if o.get("type") == "state"]
    t.ok(("b", "pending", "down") in ev, "a valid reload adds the new target", ev)
    t.eq(ev.count(("a", "pending", "up")), 1, "a kept its state across the reload")
    t.eq(rc, 2, "SIGTERM: clean exit with the code of the last states (b down)")
    t.ok(stats_of(lines).get("checks", 0) > 0, "SIGTERM still prints the statistics")


def check_outage_and_recovery(tmp):
    with Fixture() as fx:
        rows = "\n".join(f'  - {{name: o{i}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(50))
        cfg = write_config(tmp, "defaults: {interval: 500ms, timeout: 300ms}\ntargets:\n" + rows + "\n",
                           name="outage.yaml")
        p = start(["--headless", "-c", cfg])
        time.sleep(1.2)
        fx.stop()
        time.sleep(1.5)
        fx.restart()
        time.sleep(2.0)
        rc, lines, err = stop(p)
    ev = [o for o in lines if o.get("type") == "state"]
    downs = [o for o in ev if o["new"] == "down"]
    ups = [o for o in ev if o["old"] == "down" and o["new"] == "up"]
    t.eq(len(downs), 50, "fixture killed: every target goes down")
    t.ok(all(o["error_class"] in ("refused", "reset") for o in downs),
         "down with the right class", sorted({o["error_class"] for o in downs}))
    t.eq(len(ups), 50, "fixture restarted: every target comes back up")


def check_sigstop(fx, tmp):
    cfg = write_config(tmp, f'targets:\n  - {{name: s, url: "{fx.url("/ok")}", interval: 200ms, timeout: 100ms}}\n',
                       name="stop.yaml")
    p = start(["--headless", "-c", cfg])
    time.sleep(0.6)
    p.send_signal(signal.SIGSTOP)
    time.sleep(3.0)
    before = fx.stats().get("/ok", 0)
    p.send_signal(signal.SIGCONT)
    time.sleep(0.5)
    after = fx.stats().get("/ok", 0)
    rc, lines, err = stop(p)
    st = stats_of(lines)
    t.ok(after - before <= 4, f"SIGCONT: no burst of missed checks ({after - before} in 0.5 s)")
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
