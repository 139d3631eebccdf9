"""Keeping quiet on purpose (issue 12 §2), in a real terminal (tmux) and
with --headless: `a` acknowledges the selected DOWN target (no more
reminders, the row says ACK and who, it clears when the target
recovers), `A` every down target, `m` silences for a typed duration (the
selected target, or every shown one with a filter), `M` lists silences
and `u` lifts one; acks and silences survive a reload and go to the
event log; a target in a maintenance window shows MAINT; a maintenance
window that opens during the run mutes a target that goes down, and the
alert comes when it closes. Network: 127.0.0.1 only."""

import json
import os
import pwd
import shutil
import signal
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
WAIT = 5.0 * SLOW
USER = pwd.getpwuid(os.getuid()).pw_name


def recorder(tmp, name="rec.sh"):
    log = os.path.join(tmp, name + ".jsonl")
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nline=$(cat)\nprintf "%s\\n" "$line" >> {log}\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path, log


def calls(log, name=None, **want):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        out = [json.loads(line) for line in f if line.strip()]
    return [c for c in out if (name is None or c["name"] == name) and
            all(c.get(k) == v for k, v in want.items())]


def row(screen, name):
    for line in test_tui.lines(screen):
        cells = line.split()
        if len(cells) > 1 and cells[1] == name:
            return line
    return ""


def grows(log, name, seconds):
    """How many reminders name gets in the next `seconds`."""
    before = len(calls(log, name))
    time.sleep(seconds)
    return len(calls(log, name)) - before


def utc_hhmm(epoch):
    return time.strftime("%H:%M", time.gmtime(epoch))


def check_tui(tmux, tmp):
    rec, log = recorder(tmp)
    evlog = os.path.join(tmp, "events.jsonl")
    with Fixture(tls=False) as fx, Fixture(tls=False) as fx2:
        now_minute = utc_hhmm(time.time() - 60)
        cfg = write_config(tmp, f"""\
            alerts:
              - {{name: pager, command: ["{rec}"], repeat: 1s}}
            settings: {{alert_wait: 0s, event_log: {evlog}}}
            defaults: {{interval: 500ms, timeout: 300ms}}
            targets:
              - {{name: alpha, url: "http://127.0.0.1:{free_port()}/"}}
              - {{name: beta, url: "http://127.0.0.1:{free_port()}/"}}
              - {{name: gamma, url: "{fx2.url('/ok')}"}}
              - name: delta
                url: "{fx.url('/ok')}"
                maintenance: {{start: "{now_minute}", duration: 3h}}
            """, name="quiet.yaml")
        fx2.stop()
        r = Run(tmux, tmp, "quiet", ["-c", cfg])
        try:
            ok, s = r.wait_for(lambda s: row(s, "alpha").startswith("DOWN") and
                               row(s, "gamma").startswith("DOWN"), timeout=WAIT * 2)
            t.ok(ok, "alpha, beta, gamma go down", s)
            t.ok(row(s, "delta").startswith("MAINT"), "a target in a maintenance window: MAINT",
                 row(s, "delta"))
            t.ok("MAINT 2h" in row(s, "delta") or "MAINT 3h" in row(s, "delta"),
                 "and the ALERTS column says for how long", row(s, "delta"))
            t.ok(wait_until(lambda: len(calls(log, "alpha")) >= 2 and
                            len(calls(log, "beta")) >= 2, timeout=WAIT),
                 "reminders every second")
            t.ok(not calls(log, "delta"), "no alert for the target in maintenance")

            # a: the selected row (the top one, alpha)
            r.keys("a")
            ok, s = r.wait_for(lambda s: f"ACK {USER}" in row(s, "alpha"))
            t.ok(ok, "a: alpha's row says ACK and who", row(s, "alpha"))
            time.sleep(0.3)
            t.eq(grows(log, "alpha", 2.5), 0, "acknowledged: no more reminders")
            t.ok(len(calls(log, "beta")) >= 4, "the other target's go on")

            # m: beta, for 30m
            r.keys("j", "m")
            ok, s = r.wait_for("silence beta for")
            t.ok(ok, "m: a prompt for how long", s.splitlines()[-2:])
            r.text("30m")
            r.keys("Enter")
            ok, s = r.wait_for(lambda s: "MUTED 30m" in row(s, "beta") or
                               "MUTED 29m" in row(s, "beta"))
            t.ok(ok, "the row says MUTED 30m", row(s, "beta"))
            time.sleep(0.3)
            t.eq(grows(log, "beta", 2.5), 0, "silenced: no reminders")
            t.ok(row(s, "beta").startswith("DOWN"), "still checked and shown: DOWN")

            # a reload keeps both
            r.keys("L")
            ok, s = r.wait_for("reloaded")
            t.ok(ok and f"ACK {USER}" in row(s, "alpha") and "MUTED" in row(s, "beta"),
                 "a reload keeps the ack and the silence", s)

            # M: the list; u lifts
            r.keys("M")
            ok, s = r.wait_for(lambda s: "Silences" in s and "beta" in s and "by " + USER in s)
            t.ok(ok, "M lists the silence: the target, until when, who", s)
            r.keys("u")
            ok, s = r.wait_for("no silences")
            t.ok(ok, "u lifts it", s)
            r.keys("Escape")
            t.ok(grows(log, "beta", 2.5) >= 1, "lifted: reminders again")

            # A: every down target (beta and gamma)
            r.keys("A")
            ok, s = r.wait_for("acknowledged 2 down targets")
            t.ok(ok, "A acknowledges every DOWN target not yet acknowledged", s.splitlines()[-2:])
            fx2.start()
            ok, s = r.wait_for(lambda s: row(s, "gamma").startswith("UP"), timeout=WAIT * 2)
            t.ok(ok and "ACK" not in row(s, "gamma"), "gamma recovers: its ack clears itself",
                 row(s, "gamma"))
            t.ok(wait_until(lambda: calls(log, "gamma", transition="up"), timeout=WAIT),
                 "and the resolved alert still goes out (an ack stops reminders only)")

            # with a filter, m silences every shown target
            r.keys("/")
            r.text("!delta")
            r.keys("Enter", "m")
            ok, s = r.wait_for("silence 3 shown targets for")
            t.ok(ok, "with a filter: every shown target", s.splitlines()[-2:])
            r.text("1h")
            r.keys("Enter")
            ok, s = r.wait_for(lambda s: all("MUTED" in row(s, n) for n in ("alpha", "beta", "gamma")))
            t.ok(ok, "all three MUTED", s)

            # the timeline
            r.keys("Escape", "Escape", "e")
            ok, s = r.wait_for(lambda s: "ACK  acknowledged by " + USER in s and
                               "MUTED  silenced for 30m" in s)
            t.ok(ok, "the timeline shows the acks and silences", s)
            r.keys("q")
        finally:
            r.keys("q")
            r.close()
    with open(evlog) as f:
        ev = [json.loads(line) for line in f if line.strip()]
    acks = [(o["name"], o["by"]) for o in ev if o["type"] == "ack"]
    t.ok(("alpha", USER) in acks and ("beta", USER) in acks and ("gamma", USER) in acks,
         "the event log has each ack and who", acks)
    sil = [(o["name"], o["phase"], o.get("seconds")) for o in ev if o["type"] == "silence"]
    t.ok(("beta", "set", 1800) in sil and ("beta", "lifted", None) in sil and
         sum(1 for x in sil if x[1] == "set" and x[2] == 3600) == 3,
         "and each silence set and lifted", sil)
    t.ok(any(o["type"] == "maintenance" and o["phase"] == "start" and o["name"] == "delta"
             for o in ev), "and the maintenance window of delta")
    t.ok(any(o["type"] == "alert" and o["transition"] == "up" and o["name"] == "gamma"
             for o in ev), "and the alerts")


def check_window_opens(tmp):
    """A global window opens during the run: a target that goes down in it
    is not alerted; when it closes and the target is still down, it is."""
    rec, log = recorder(tmp, "maint.sh")
    start = (int(time.time()) // 60 + 1) * 60
    if start - time.time() < 8:
        start += 60
    with Fixture(tls=False) as fx:
        cfg = write_config(tmp, f"""\
            alerts:
              - {{name: pager, command: ["{rec}"]}}
            maintenance:
              start: "{utc_hhmm(start)}"
              duration: 1m
            settings: {{alert_wait: 0s}}
            targets:
              - {{name: api, url: "{fx.url('/ok')}", interval: 500ms, timeout: 300ms}}
            """, name="window.yaml")
        p = Running(["--headless", "-c", cfg])
        try:
            t.ok(p.wait_out(lambda o: o.get("new") == "up", timeout=10 * SLOW), "api is up")
            t.ok(p.wait_out(lambda o: o.get("type") == "maintenance" and o["phase"] == "start",
                            timeout=start - time.time() + 10 * SLOW),
                 f"the window opens at {utc_hhmm(start)} UTC")
            opened = [o for o in p.json_out() if o.get("type") == "maintenance"][0]
            t.ok(abs(time.time() - start) < 5 * SLOW and opened["targets"] == 1 and
                 opened["name"] is None and "for 1m every day (UTC)" in opened["window"],
                 "a global window: every target, its text, on time", opened)
            fx.stop()
            t.ok(p.wait_out(lambda o: o.get("new") == "down", timeout=10 * SLOW),
                 "api goes down inside the window")
            time.sleep(2)
            t.eq(calls(log), [], "no alert while the window is open")
            t.ok(p.wait_out(lambda o: o.get("type") == "maintenance" and o["phase"] == "end",
                            timeout=start + 60 - time.time() + 10 * SLOW),
                 "the window closes")
            t.ok(wait_until(lambda: calls(log, "api", transition="down"), timeout=5 * SLOW),
                 "api is still down: now it is alerted")
        finally:
            p.stop()


def check_reload_window(tmp):
    """A reload with the window still there sends nothing (its windows
    close and open again at once); a reload that removes the window lets
    the held-back alert go."""
    rec, log = recorder(tmp, "reload.sh")
    path = os.path.join(tmp, "reload-window.yaml")
    head = f'alerts:\n  - {{name: pager, command: ["{rec}"]}}\nsettings: {{alert_wait: 0s}}\n'
    target = (f'targets:\n  - {{name: api, url: "http://127.0.0.1:{free_port()}/", '
              f'interval: 500ms, timeout: 300ms}}\n')
    window = f'maintenance: {{start: "{utc_hhmm(time.time() - 60)}", duration: 3h}}\n'
    with open(path, "w") as f:
        f.write(head + window + target)
    p = Running(["--headless", "-c", path])
    try:
        t.ok(p.wait_out(lambda o: o.get("new") == "down", timeout=10 * SLOW),
             "api is down, inside a window")
        time.sleep(1)
        p.send(signal.SIGUSR1)
        t.ok(p.wait_out(lambda o: o.get("type") == "reload", timeout=10 * SLOW), "reloaded")
        time.sleep(1.5)
        t.eq(calls(log), [], "a reload that keeps the window sends nothing")
        mt = [o for o in p.json_out() if o.get("type") == "maintenance"]
        t.ok([(o["phase"], o.get("reload", False)) for o in mt] ==
             [("start", False), ("end", True), ("start", True)],
             "its window closes and opens again, marked reload", mt)
        with open(path, "w") as f:
            f.write(head + target)
        p.send(signal.SIGUSR1)
        t.ok(wait_until(lambda: calls(log, "api", transition="down"), timeout=5 * SLOW),
             "a reload without the window: the held-back alert goes out")
    finally:
        p.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="uptop-quiet-")
    tmux = Tmux()
    try:
        if shutil.which("tmux"):
            tmux.start()
            check_tui(tmux, tmp)
        else:
            t.skip("acknowledge and silence in tmux", "tmux is not installed")
        check_reload_window(tmp)
        check_window_opens(tmp)
    finally:
        tmux.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_script(main, t)
