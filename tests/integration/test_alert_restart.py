"""Alerts keep their memory across a restart (issues 12 and 13): what the
alerts told before uptop stopped comes back from the history, so the
person paged sees no difference. Run, stop (SIGTERM), run again with the
same --history: no second "down" for a down already told; "resolved"
when the target answers again; reminders go on from the last one sent
(the ones missed while uptop was not running come once, not as a burst);
a down held back by a silence or a maintenance window is told when the
quiet ends; a down whose alert never went out (uptop stopped while its
command ran) is told at the next failure; a mass outage left open at
the stop is ended and resolved at the next start. Real binary, real history
file, a command that appends its stdin JSON line to a file, the loopback
fixture, tmux for the silence. Network: 127.0.0.1 only."""

import json
import os
import shutil
import signal
import sqlite3
import stat
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import run_script, Fixture, Running, Tap, free_port, wait_until, write_config  # noqa: E402
import test_tui  # noqa: E402
from test_tui import Run, Tmux  # noqa: E402

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1
WAIT = 10.0 * SLOW
SILENCE = 15 * SLOW


def recorder(tmp, name):
    """A command that appends the JSON line it reads to NAME.jsonl."""
    log = os.path.join(tmp, name + ".jsonl")
    path = os.path.join(tmp, name + ".sh")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nline=$(cat)\nprintf "%s\\n" "$line" >> {log}\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path, log


def calls(log, **want):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        out = [json.loads(line) for line in f if line.strip()]
    return [c for c in out if all(c.get(k) == v for k, v in want.items())]


def ts(iso):
    """"2024-01-31T12:00:00.250Z" -> seconds since the epoch."""
    return time.mktime(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + \
        float(iso[19:-1] or 0)


def headless(cfg, hist, *more):
    return Running(["--headless", "-c", cfg, "--history", hist, "--stats-interval", "200ms",
                    *more])


def checked(p, n):
    """Waits until p has done n checks (its stats lines say)."""
    return p.wait_out(lambda o: o.get("type") == "stats" and o.get("checks", 0) >= n, WAIT)


def check_resolved(tmp):
    """Down and paged, restart: no second down; it answers: one resolved."""
    rec, log = recorder(tmp, "resolved")
    hist = os.path.join(tmp, "resolved.db")
    with Fixture(tls=False) as fx:
        cfg = write_config(tmp, f"""\
            alerts:
              - {{name: pager, command: ["{rec}"]}}
            settings: {{alert_wait: 0s}}
            targets:
              - {{name: api, url: "{fx.url('/ok')}", interval: 300ms, timeout: 200ms}}
            """, name="resolved.yaml")
        p = headless(cfg, hist)
        try:
            t.ok(p.wait_out(lambda o: o.get("new") == "up", WAIT), "run 1: api is up")
            fx.stop()
            t.ok(p.wait_out(lambda o: o.get("type") == "alert" and o.get("ok"), WAIT),
                 "run 1: api goes down and pager is told")
        finally:
            t.eq(p.stop(), 2, "run 1 stops on SIGTERM (2: a target is down)")
        downs = calls(log, transition="down")
        t.eq(len(downs), 1, "run 1: one down alert")

        p = headless(cfg, hist)
        try:
            t.ok(checked(p, 5), "run 2: api fails again and again")
            time.sleep(0.5)
            t.eq(len(calls(log, transition="down")), 1,
                 "run 2: no second down alert for the down already told")
            fx.start()
            t.ok(wait_until(lambda: calls(log, transition="up"), WAIT),
                 "run 2: api answers again: resolved goes out")
            time.sleep(1.0)
        finally:
            t.eq(p.stop(), 0, "run 2 stops (0: all up)")
    ups = calls(log, transition="up")
    t.eq(len(ups), 1, "exactly one resolved alert")
    if ups and downs:
        u, d = ups[0], downs[0]
        t.ok(u["alert"] == "pager" and u["name"] == "api" and u["old"] == "down" and
             u["new"] == "up" and u["resolved"] is True, "it says api: down -> up, resolved", u)
        t.eq(u["since"], d["since"], "and the incident began when run 1 saw it go down")
    t.eq([o for o in p.json_out() if o.get("type") == "alert" and o.get("transition") == "down"],
         [], "run 2 sent no down alert")


def check_reminders(tmp):
    """repeat: 2s goes on after a restart; after a long stop, the missed
    reminders are one reminder at start, not a burst."""
    rec, log = recorder(tmp, "remind")
    hist = os.path.join(tmp, "remind.db")
    cfg = write_config(tmp, f"""\
        alerts:
          - {{name: pager, command: ["{rec}"], repeat: 2s}}
        settings: {{alert_wait: 0s}}
        targets:
          - {{name: api, url: "http://127.0.0.1:{free_port()}/", interval: 500ms,
              timeout: 300ms}}
        """, name="remind.yaml")
    p = headless(cfg, hist)
    try:
        t.ok(wait_until(lambda: len(calls(log)) >= 2, WAIT), "run 1: down, then a reminder")
    finally:
        p.stop()
    n1 = len(calls(log))
    t.ok(calls(log)[0]["repeat"] is False and all(c["repeat"] for c in calls(log)[1:]),
         "run 1: one down alert, then reminders", calls(log))

    p = headless(cfg, hist)
    try:
        t.ok(wait_until(lambda: len(calls(log)) >= n1 + 2, WAIT),
             "run 2: the reminders go on")
    finally:
        p.stop()
    run2 = calls(log)[n1:]
    t.ok(run2 and all(c["repeat"] and c["transition"] == "down" for c in run2),
         "run 2: reminders only, no second down alert", run2)
    n2 = len(calls(log))

    time.sleep(5.0)                     # two reminders fall due meanwhile
    p = headless(cfg, hist)
    try:
        t.ok(wait_until(lambda: len(calls(log)) > n2, WAIT), "run 3: a reminder comes")
        time.sleep(1.0)
        burst = len(calls(log)) - n2
        t.ok(wait_until(lambda: len(calls(log)) > n2 + 1, WAIT), "run 3: and the next")
    finally:
        p.stop()
    t.eq(burst, 1, "run 3: the reminders missed while stopped come once, not as a burst")
    run3 = calls(log)[n2:]
    with sqlite3.connect(f"file:{hist}?mode=ro", uri=True) as db:
        started = db.execute("SELECT max(start) FROM runs").fetchone()[0] / 1000.0
    if run3:
        after = ts(run3[0]["time"]) - started
        t.ok(after < 1.0, f"run 3: that one at start, not a repeat (2 s) later ({after:.2f} s "
             "after run 3 began, by uptop's clock)")
    t.ok(all(c["repeat"] for c in run3), "run 3: reminders only", run3)
    times = [ts(c["time"]) for c in run3]
    gaps = [b - a for a, b in zip(times, times[1:])]
    t.ok(gaps and all(g > 1.0 for g in gaps),
         f"run 3: then every repeat ({', '.join(f'{g:.2f}' for g in gaps)} s)")


def row(screen, name):
    for line in test_tui.lines(screen):
        cells = line.split()
        if len(cells) > 1 and cells[1] == name:
            return line
    return ""


def check_silence(tmux, tmp):
    """Silenced in the live table, down while silenced, q; run 2: the
    silence runs out and the down is told then."""
    rec, log = recorder(tmp, "silence")
    hist = os.path.join(tmp, "silence.db")
    with Fixture(tls=False) as fx:
        cfg = write_config(tmp, f"""\
            alerts:
              - {{name: pager, command: ["{rec}"]}}
            settings: {{alert_wait: 0s}}
            targets:
              - {{name: api, url: "{fx.url('/ok')}", interval: 300ms, timeout: 200ms}}
            """, name="silence.yaml")
        r = Run(tmux, tmp, "silence1", ["-c", cfg, "--history", hist])
        try:
            ok, s = r.wait_for(lambda s: row(s, "api").startswith("UP"), timeout=WAIT)
            t.ok(ok, "run 1 (tmux): api is up", s)
            r.keys("m")
            ok, s = r.wait_for("silence api for", timeout=WAIT)
            r.text(f"{SILENCE}s")
            r.keys("Enter")
            ok, s = r.wait_for(lambda s: "MUTED" in row(s, "api"), timeout=WAIT)
            t.ok(ok, f"m: api silenced for {SILENCE} s", s)
            muted_at = time.time()
            fx.stop()
            ok, s = r.wait_for(lambda s: row(s, "api").startswith("DOWN"), timeout=WAIT)
            t.ok(ok, "api goes down while silenced", s)
            time.sleep(1.5)             # a commit
            r.keys("q")
            t.eq(r.wait_exit(), 0, "q ends run 1")
        finally:
            r.close()
    t.eq(calls(log), [], "run 1: no alert (silenced)")
    if time.time() - muted_at > SILENCE - 3:
        t.skip("run 2 while the silence lasts", "run 1 took too long")
        return
    p = headless(cfg, hist)
    try:
        t.ok(p.wait_out(lambda o: o.get("type") == "silence" and o.get("phase") == "expired",
                        SILENCE + WAIT), "run 2: the restored silence runs out")
        expired = [o for o in p.json_out() if o.get("type") == "silence"][-1]
        t.ok(wait_until(lambda: calls(log), WAIT), "and the down held back is told")
        time.sleep(1.0)
    finally:
        p.stop()
    downs = calls(log, transition="down")
    t.ok(len(downs) == 1 and len(calls(log)) == 1 and downs[0]["name"] == "api" and
         downs[0]["repeat"] is False, "one down alert", calls(log))
    t.ok(downs and ts(downs[0]["time"]) >= ts(expired["time"]),
         "not before the silence ran out", (downs, expired))


def check_window(tmp):
    """Down inside a maintenance window; run 2 still in it says nothing; a
    reload without the window tells the down."""
    rec, log = recorder(tmp, "window")
    hist = os.path.join(tmp, "window.db")
    path = os.path.join(tmp, "window.yaml")
    head = f'alerts:\n  - {{name: pager, command: ["{rec}"]}}\nsettings: {{alert_wait: 0s}}\n'
    target = (f'targets:\n  - {{name: api, url: "http://127.0.0.1:{free_port()}/", '
              f'interval: 300ms, timeout: 200ms}}\n')
    window = ('maintenance: {start: "%s", duration: 3h}\n' %
              time.strftime("%H:%M", time.gmtime(time.time() - 60)))
    with open(path, "w") as f:
        f.write(head + window + target)
    p = headless(path, hist)
    try:
        t.ok(p.wait_out(lambda o: o.get("new") == "down", WAIT), "run 1: api down in a window")
        time.sleep(1.5)
    finally:
        p.stop()
    t.eq(calls(log), [], "run 1: no alert in the window")
    p = headless(path, hist)
    try:
        t.ok(p.wait_out(lambda o: o.get("type") == "maintenance" and o["phase"] == "start",
                        WAIT), "run 2: the window is open")
        t.ok(checked(p, 5), "run 2: api fails again and again")
        time.sleep(0.5)
        t.eq(calls(log), [], "run 2: still nothing while it is open")
        with open(path, "w") as f:
            f.write(head + target)
        p.send(signal.SIGUSR1)
        t.ok(wait_until(lambda: calls(log), WAIT), "a reload without the window: told now")
        time.sleep(1.0)
    finally:
        p.stop()
    t.eq([(c["name"], c["transition"], c["repeat"]) for c in calls(log)],
         [("api", "down", False)], "one down alert")


def check_untold(tmp):
    """uptop stops while the down alert's command runs (it is killed, the
    alert never said it went out): run 2 tells the down."""
    rec, log = recorder(tmp, "untold")
    slow = os.path.join(tmp, "slow.sh")
    with open(slow, "w") as f:
        f.write(f"#!/bin/sh\necho started > {tmp}/slow.started\nexec sleep 30\n")
    os.chmod(slow, 0o755)
    hist = os.path.join(tmp, "untold.db")
    port = free_port()

    def cfg(cmd, name):
        return write_config(tmp, f"""\
            alerts:
              - {{name: pager, command: ["{cmd}"], timeout: 1m}}
            settings: {{alert_wait: 0s}}
            targets:
              - {{name: api, url: "http://127.0.0.1:{port}/", interval: 300ms,
                  timeout: 200ms}}
            """, name=name)
    p = headless(cfg(slow, "untold1.yaml"), hist)
    try:
        t.ok(wait_until(lambda: os.path.exists(f"{tmp}/slow.started"), WAIT),
             "run 1: api down, the alert's command runs")
        time.sleep(1.5)
    finally:
        p.stop()
    t.eq([o for o in p.json_out() if o.get("type") == "alert"], [],
         "run 1 stopped before the alert went out")
    p = headless(cfg(rec, "untold2.yaml"), hist)
    try:
        t.ok(wait_until(lambda: calls(log), WAIT), "run 2: the down is told")
        time.sleep(1.5)
    finally:
        p.stop()
    t.eq([(c["name"], c["transition"], c["repeat"], c["old"]) for c in calls(log)],
         [("api", "down", False, "pending")], "once, as the down it was")


def check_outage_left(tmp):
    """uptop stops while a mass outage it paged about is open: run 2 ends
    it at start (resolved, saying why) instead of leaving the page open
    for good; run 3 finds nothing left open."""
    rec, log = recorder(tmp, "outage")
    hist = os.path.join(tmp, "outage.db")
    fxs = [Fixture(tls=False, host=f"127.0.0.{k}") for k in (2, 3, 4)]
    for fx in fxs:
        fx.start()
    try:
        rows = "".join(f'  - {{name: h{k}-{i}, url: "{fx.url(f"/ok?i={i}")}"}}\n'
                       for k, fx in enumerate(fxs) for i in range(3))
        cfg = write_config(tmp, f"alerts:\n  - {{name: pager, command: [\"{rec}\"]}}\n"
                                "defaults: {interval: 300ms, timeout: 200ms}\n"
                                f"targets:\n{rows}", name="outage.yaml")
        p = headless(cfg, hist)
        try:
            t.ok(wait_until(lambda: sum(1 for o in p.json_out() if o.get("new") == "up") == 9,
                            WAIT), "run 1: 9 targets on 3 hosts are up")
            for fx in fxs:
                fx.stop()
            t.ok(wait_until(lambda: calls(log, name="mass outage"), WAIT),
                 "run 1: the servers go: one alert for the mass outage")
        finally:
            p.stop()
        t.eq([o.get("phase") for o in p.json_out() if o.get("type") == "outage"], ["start"],
             "run 1 stopped with the outage open")
        for fx in fxs:
            fx.start()
        p = headless(cfg, hist)
        try:
            t.ok(wait_until(lambda: len(calls(log, name="mass outage")) == 2, WAIT),
                 "run 2: the outage left open is resolved at start")
            t.ok(checked(p, 18), "run 2: every target checked twice")
            time.sleep(0.5)
        finally:
            t.eq(p.stop(), 0, "run 2 stops (0: all up)")
        ends = [o for o in p.json_out() if o.get("type") == "outage"]
        t.ok(len(ends) == 1 and ends[0].get("phase") == "end" and
             "uptop stopped at" in ends[0].get("reason", "") and
             "did not see it end" in ends[0].get("reason", ""),
             "run 2 says the outage ended, and why", ends)
        out = calls(log, name="mass outage")
        if len(out) == 2:
            d, u = out
            t.ok(u["transition"] == "up" and u["resolved"] is True and
                 u["since"] == d["since"] and "did not see it end" in u["description"] and
                 u["outage"] is None,
                 "the resolved: the same incident, its start time, why it ends now, and no "
                 "number (numbers count within a run)", u)
        t.eq(len(calls(log)), 2, "no target alerted on its own (they were the outage's)")
        p = headless(cfg, hist)
        try:
            t.ok(checked(p, 9), "run 3: every target checked")
            time.sleep(0.5)
        finally:
            p.stop()
        t.eq([o for o in p.json_out() if o.get("type") == "outage"], [],
             "run 3: no outage left open to end")
        t.eq(len(calls(log)), 2, "and no alert")
        with sqlite3.connect(hist) as db:
            t.eq([r[0] for r in db.execute("SELECT phase FROM events WHERE kind = 'outage'"
                                           " ORDER BY id")], ["start", "end"],
                 "the history holds the outage's start and its end")
    finally:
        for fx in fxs:
            fx.stop()


def check_no_history(tmp):
    """--no-history: nothing is remembered, as before."""
    rec, log = recorder(tmp, "nohist")
    cfg = write_config(tmp, f"""\
        alerts:
          - {{name: pager, command: ["{rec}"]}}
        settings: {{alert_wait: 0s}}
        targets:
          - {{name: api, url: "http://127.0.0.1:{free_port()}/", interval: 300ms,
              timeout: 200ms}}
        """, name="nohist.yaml")
    for run in (1, 2):
        p = Running(["--headless", "-c", cfg, "--no-history"])
        try:
            wait_until(lambda: len(calls(log)) >= run, WAIT)
            time.sleep(0.5)
        finally:
            p.stop()
    t.eq([(c["old"], c["new"]) for c in calls(log)], [("pending", "down")] * 2,
         "--no-history: each run starts afresh and tells its own down")


def main():
    tmp = tempfile.mkdtemp(prefix="uptop-restart-")
    tmux = Tmux()
    try:
        check_resolved(tmp)
        check_reminders(tmp)
        check_untold(tmp)
        check_window(tmp)
        check_outage_left(tmp)
        check_no_history(tmp)
        if shutil.which("tmux"):
            tmux.start()
            check_silence(tmux, tmp)
        else:
            t.skip("a silence across a restart in tmux", "tmux is not installed")
    finally:
        tmux.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_script(main, t)
