"""The history database (issue 13 §1): run, stop, run again and the state,
events, acknowledgements and silences are back; kill -9 in a loop during
heavy writes leaves a file that passes PRAGMA integrity_check and a restart
that works; kill -9 just after a minute ended loses none of that minute's
counts (the stated bound) and leaves the hours equal to their minutes; a
second uptop on the same file says so in one line and runs
without history; a directory it cannot write, a full disk (RLIMIT_FSIZE)
and a corrupt file are one clear warning, and the checks go on.
Network: 127.0.0.1 only."""

import os
import random
import re
import resource
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Fixture, Running, Tap, free_port, wait_until, write_config  # noqa: E402
import test_tui  # noqa: E402
from test_tui import Run, Tmux  # noqa: E402

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1
WAIT = 10.0 * SLOW


def db(path):
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)


def q(path, sql, *args):
    with db(path) as c:
        return c.execute(sql, args).fetchall()


def config(tmp, fx, n_ok=2, n_down=1, interval="300ms", timeout="200ms", name="h.yaml"):
    lines = [f"defaults: {{interval: {interval}, timeout: {timeout}}}", "targets:"]
    for i in range(n_ok):
        lines.append(f"  - {{name: ok{i}, url: \"{fx.url('/ok')}\"}}")
    for i in range(n_down):
        lines.append(f"  - {{name: down{i}, url: \"http://127.0.0.1:{free_port()}/\"}}")
    return write_config(tmp, "\n".join(lines) + "\n", name=name, dedent=False)


def state_lines(p, name=None):
    return [o for o in p.json_out() if o.get("type") == "state" and
            (name is None or o.get("name") == name)]


def check_restart(tmp, fx):
    hist = os.path.join(tmp, "restart", "h.db")
    cfg = config(tmp, fx, name="restart.yaml")
    p = Running(["--headless", "-c", cfg, "--history", hist])
    t.ok(p.wait_out(lambda o: o.get("type") == "state" and o.get("name") == "down0" and
                    o.get("new") == "down", WAIT), "run 1: down0 goes down")
    time.sleep(1.5)
    t.eq(p.stop(), 2, "run 1 ends (2: a target is down)")
    t.eq([ln for ln in p.err_lines if "history" in ln], [], "run 1: no history warning")
    rows = q(hist, "SELECT t.name, e.kind, e.from_state, e.to_state, e.class FROM events e"
             " JOIN targets t ON t.id = e.target ORDER BY e.id")
    t.ok(("down0", "state", "pending", "down", "refused") in rows,
         "the down event is in the file with its class", rows)
    t.ok(("ok0", "state", "pending", "up", None) in rows, "and the up one", rows)
    last = dict((n, s) for n, s in q(hist, "SELECT t.name, l.state FROM last l JOIN targets t"
                                     " ON t.id = l.target"))
    t.eq(last, {"ok0": "up", "ok1": "up", "down0": "down"}, "the last state of each")
    runs = q(hist, "SELECT clean, stop >= start FROM runs")
    t.eq(runs, [(1, 1)], "one run, stopped cleanly")
    b = q(hist, "SELECT sum(checks), sum(failures), sum(down_ms) > 0, sum(up_ms) > 0"
          " FROM buckets_1m b JOIN targets t ON t.id = b.target WHERE t.name = 'down0'")[0]
    t.ok(b[0] >= 3 and b[0] == b[1] and b[2] == 1 and b[3] == 0,
         "down0's minute buckets: every check a failure, time down, none up", b)
    hb = q(hist, "SELECT sum(checks) FROM buckets_1h")[0][0]
    mb = q(hist, "SELECT sum(checks) FROM buckets_1m")[0][0]
    t.eq(hb, mb, "the hour buckets hold the same checks as the minutes")

    # run 2: the states come back, so no pending -> down or pending -> up again
    time.sleep(1.0)
    p = Running(["--headless", "-c", cfg, "--history", hist])
    time.sleep(2.0 * SLOW)
    t.eq(p.stop(), 2, "run 2 ends")
    t.ok(state_lines(p) == [], "run 2: no state change (the states were restored)",
         state_lines(p))
    runs = q(hist, "SELECT id, start, stop FROM runs ORDER BY id")
    t.eq(len(runs), 2, "two runs")
    t.ok(runs[1][1] - runs[0][2] >= 1000, "the gap between them is in the file",
         runs)


def check_tui_restore(tmux, tmp, fx):
    """acks and silences, in a real terminal, across a restart"""
    hist = os.path.join(tmp, "tui", "h.db")
    cfg = config(tmp, fx, n_ok=1, n_down=2, interval="500ms", timeout="300ms",
                 name="tui.yaml")
    r = Run(tmux, tmp, "tui1", ["-c", cfg, "--history", hist])
    try:
        ok, s = r.wait_for(lambda s: test_tui_row(s, "down0").startswith("DOWN") and
                           test_tui_row(s, "down1").startswith("DOWN"), timeout=WAIT)
        t.ok(ok, "tui run 1: down0 and down1 down", s)
        r.keys("a")                      # the top row: down0 (worst first)
        ok, s = r.wait_for(lambda s: "ACK" in test_tui_row(s, "down0"), timeout=WAIT)
        t.ok(ok, "a acknowledges down0", s)
        r.keys("j", "m")
        ok, s = r.wait_for("silence", timeout=WAIT)
        r.text("45m")
        r.keys("Enter")
        ok, s = r.wait_for(lambda s: "MUTED" in test_tui_row(s, "down1"), timeout=WAIT)
        t.ok(ok, "m silences down1", s)
        time.sleep(1.5)              # a commit
        r.keys("q")
        t.eq(r.wait_exit(), 0, "q ends run 1")
    finally:
        r.close()
    r = Run(tmux, tmp, "tui2", ["-c", cfg, "--history", hist])
    try:
        ok, s = r.wait_for(lambda s: "ACK" in test_tui_row(s, "down0") and
                           "MUTED 4" in test_tui_row(s, "down1"), timeout=WAIT)
        t.ok(ok, "run 2: the ack and the silence are back", s)
        t.ok(test_tui_row(s, "down0").startswith("DOWN"), "and the state", s)
        r.keys("q")
        r.wait_exit()
    finally:
        r.close()


def backdate(hist, now_ms, down_since_ms):
    """The file of a short run, made to look like days of history: down0
    went down at down_since_ms, had an incident two days ago (timeout,
    2h08m), the run stopped an hour ago, and ok0 was down 15 minutes of
    one hour three days ago."""
    c = sqlite3.connect(hist, timeout=5)
    with c:
        ids = dict(c.execute("SELECT name, id FROM targets"))
        d0, k0 = ids["down0"], ids["ok0"]
        c.execute("UPDATE last SET since = ? WHERE target = ?", (down_since_ms, d0))
        c.execute("UPDATE events SET time = ? WHERE target = ? AND kind = 'state'"
                  " AND to_state = 'down'", (down_since_ms, d0))
        t1 = now_ms - 2 * 86400000
        t2 = t1 + (2 * 60 + 8) * 60000
        for tm, f, to, cls in ((t1, "up", "down", "timeout"), (t2, "down", "up", None)):
            c.execute("INSERT INTO events(time, run, target, kind, from_state, to_state,"
                      " class, message) VALUES (?, 1, ?, 'state', ?, ?, ?, '')",
                      (tm, d0, f, to, cls))
        c.execute("UPDATE runs SET start = ?, stop = ?", (now_ms - 3700000, now_ms - 3600000))
        hour = (now_ms // 1000 - 3 * 86400) // 3600 * 3600
        c.execute("INSERT INTO buckets_1h(t, target, checks, failures, up_ms, degraded_ms,"
                  " confirming_ms, down_ms, lat_n, lat_max_ms, lat)"
                  " VALUES (?, ?, 100, 25, 2700000, 0, 0, 900000, 0, 0, x'')", (hour, k0))
    c.close()


def cell_after(line, title_line, title):
    """The text under a right-aligned column's heading: the word of the
    row that ends where the heading does."""
    at = title_line.find(title)
    end = at + len(title)
    return next((m.group() for m in re.finditer(r"\S+", line) if at >= 0 and m.end() == end), "")


def check_tui_history(tmux, tmp, fx):
    """what a restart shows: UP24H/UP7D, since when a target is down (its
    date: not today), the incidents of 7 days, uptime over 24 h, 7 d and
    30 d, the gap while uptop was not running"""
    import datetime
    hist = os.path.join(tmp, "tuih", "h.db")
    cfg = config(tmp, fx, n_ok=1, n_down=1, name="tuih.yaml")
    p = Running(["--headless", "-c", cfg, "--history", hist])
    t.ok(p.wait_out(lambda o: o.get("type") == "state" and o.get("name") == "down0" and
                    o.get("new") == "down", WAIT), "tuih run 1: down0 goes down")
    time.sleep(1.5)
    p.stop()
    now = time.time()
    yday = datetime.datetime.fromtimestamp(now) - datetime.timedelta(days=1)
    since = yday.replace(hour=3, minute=12, second=5, microsecond=0)
    backdate(hist, int(now * 1000), int(since.timestamp() * 1000))
    r = Run(tmux, tmp, "tuih2", ["-c", cfg, "--history", hist], size=(200, 70))
    try:
        ok, s = r.wait_for(lambda s: "UP7D" in s and test_tui_row(s, "ok0").startswith("UP"),
                           timeout=WAIT)
        head = next((ln for ln in test_tui.lines(s) if "UP24H" in ln), "")
        row = test_tui_row(s, "ok0")
        t.ok(ok and "UP24H" in head, "200 columns: UP24H and UP7D in the table", s)
        t.ok(cell_after(row, head, "UP7D").startswith("75.0") and
             cell_after(row, head, "UP24H") == "100%",
             "ok0: 7 days 75.0x% (the restored hour down 15 min), 24 h 100%", s)
        r.keys("Enter")                  # the top row: down0 (worst first)
        ok, s = r.wait_for("Incidents in the last 7 days", timeout=WAIT)
        want = f"DOWN since {since.strftime('%b')} {since.day:2d} 03:12"
        t.ok(ok and want in s, f"detail: '{want}' (a restored DOWN, not today)", s)
        inc = [ln for ln in test_tui.lines(s) if "timeout" in ln and "2h08m" in ln]
        t.ok(len(inc) == 1, "detail: the incident of two days ago, 2h08m, timeout", s)
        t.ok(any("down now" in ln and "refused" in ln and
                 "uptop was not running for part of it" in ln for ln in test_tui.lines(s)),
             "detail: the open incident, across the gap", s)
        t.ok(any(ln.split()[:1] == ["Uptime"] and "24 h" in ln and "7 d" in ln and "30 d" in ln
                 for ln in test_tui.lines(s)), "detail: uptime over 24 h, 7 d, 30 d", s)
        t.ok(any(" gap " in ln and "uptop was not running from" in ln
                 for ln in test_tui.lines(s)), "detail: the gap in the target's timeline", s)
        r.keys("Escape")
        r.keys("q")
        r.wait_exit()
    finally:
        r.close()


def test_tui_row(screen, name):
    for line in test_tui.lines(screen):
        cells = line.split()
        if len(cells) > 1 and cells[1] == name:
            return line
    return ""


def check_kill9(tmp, fx):
    hist = os.path.join(tmp, "kill", "h.db")
    lines = ["defaults: {interval: 100ms, timeout: 80ms}", "targets:"]
    for i in range(200):
        path = "/ok" if i % 3 else "/status/503"
        lines.append(f"  - {{name: t{i}, url: \"{fx.url(path)}?{i}\"}}")
    cfg = write_config(tmp, "\n".join(lines) + "\n", name="kill.yaml", dedent=False)
    rnd = random.Random(13)
    for k in range(6):
        p = Running(["--headless", "-c", cfg, "--history", hist])
        time.sleep(rnd.uniform(0.8, 2.5) * SLOW)
        p.send(signal.SIGKILL)
        p.stop(None)
    with sqlite3.connect(hist, timeout=5) as c:
        t.eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)],
             "after 6 kill -9 during heavy writes: integrity_check ok")
        n = c.execute("SELECT count(*) FROM runs").fetchone()[0]
        t.eq(n, 6, "six runs recorded")
        got = c.execute("SELECT count(*) FROM last").fetchone()[0]
        t.ok(got >= 150, "the last results of the targets are there", got)
    p = Running(["--headless", "-c", cfg, "--history", hist, "-d", "2s"])
    rc = p.stop(None, timeout=30)
    t.eq(rc, 2, "a restart after them works (2: some down)")
    t.eq([ln for ln in p.err_lines if "history" in ln], [], "with no history warning")


def iso_ms(s):
    """'2026-11-30T14:00:05.250Z' -> ms since the epoch."""
    import calendar
    head, frac = s.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def start_bound(tmp, fx):
    """kill -9 loses at most the stated bound: started first, checked last
    (it waits for a minute to end, while the other checks run)."""
    hist = os.path.join(tmp, "bound", "h.db")
    lines = ["defaults: {interval: 200ms, timeout: 150ms}", "targets:"]
    for i in range(3):
        lines.append(f"  - {{name: b{i}, url: \"{fx.url('/ok')}?{i}\"}}")
    cfg = write_config(tmp, "\n".join(lines) + "\n", name="bound.yaml", dedent=False)
    return hist, Running(["--headless", "-c", cfg, "--history", hist,
                          "--stats-interval", "500ms"])


def check_kill9_bound(hist, p):
    def stats():
        return [(iso_ms(o["time"]), o["checks"]) for o in p.json_out()
                if o.get("type") == "stats"]

    t.ok(wait_until(stats, WAIT), "bound: stats lines come", p.err_lines)
    boundary = (stats()[0][0] // 60000 + 1) * 60000
    # a target's minute is written when its next check ends in a later
    # minute (within 200 ms here), committed within about a second
    after = boundary + 5000 * SLOW
    t.ok(wait_until(lambda: stats()[-1][0] >= after, 70 + 5 * SLOW),
         "bound: the run goes past the end of a minute")
    p.send(signal.SIGKILL)
    p.stop(None)
    got = stats()
    before = max(c for tm, c in got if tm <= boundary)
    by = min(c for tm, c in got if tm >= boundary)
    written = q(hist, "SELECT sum(checks) FROM buckets_1m WHERE t < ?", boundary // 1000)[0][0]
    t.ok(written is not None and before <= written <= by,
         "kill -9 5 s after a minute ended: every check that ended before it is in the "
         "file (at most the current minute and the one before are lost)",
         (before, written, by))
    t.eq(q(hist, "SELECT (SELECT sum(checks) FROM buckets_1m) = (SELECT sum(checks)"
           " FROM buckets_1h)")[0][0], 1, "after kill -9 the hours hold what their minutes hold")
    t.eq(q(hist, "SELECT count(*) FROM last WHERE state = 'up'")[0][0], 3,
         "and every target's state is in the file")


def check_two(tmp, fx):
    hist = os.path.join(tmp, "two", "h.db")
    cfg = config(tmp, fx, name="two.yaml")
    a = Running(["--headless", "-c", cfg, "--history", hist])
    t.ok(a.wait_out(lambda o: o.get("type") == "state", WAIT), "the first uptop runs")
    b = Running(["--headless", "-c", cfg, "--history", hist])
    t.ok(b.wait_out(lambda o: o.get("type") == "state" and o.get("name") == "down0", WAIT),
         "the second checks anyway")
    b.stop()
    a.stop()
    said = [ln for ln in b.err_lines if "history" in ln]
    t.eq(len(said), 1, "the second says it in one line")
    t.ok(said and "in use by another uptop" in said[0] and hist in said[0] and
         "running without history" in said[0], "naming the file and what it does", said)
    t.eq([ln for ln in a.err_lines if "history" in ln], [], "the first is undisturbed")
    t.eq(q(hist, "PRAGMA integrity_check"), [("ok",)], "the file is fine")


def check_unwritable(tmp, fx):
    cfg = config(tmp, fx, name="ro.yaml")
    if os.geteuid() == 0:
        hist = "/proc/uptop-no-such-dir/h.db"       # root writes anywhere else
    else:
        ro = os.path.join(tmp, "ro")
        os.makedirs(ro)
        os.chmod(ro, 0o500)
        hist = os.path.join(ro, "sub", "h.db")
    p = Running(["--headless", "-c", cfg, "--history", hist, "-d", "2s"])
    rc = p.stop(None, timeout=30)
    said = [ln for ln in p.err_lines if "history" in ln]
    t.eq(len(said), 1, "a directory it cannot write: one line")
    t.ok(said and "running without history" in said[0], "saying what it does", said)
    t.eq(rc, 2, "and the checks ran (2: down0 down)")
    t.ok(state_lines(p, "down0"), "state lines came")


def check_full_disk(tmp, fx):
    hist = os.path.join(tmp, "full", "h.db")
    lines = ["defaults: {interval: 100ms, timeout: 80ms}", "targets:"]
    for i in range(150):
        # flapping: state changes (events, rows of `last`) every second
        lines.append(f"  - {{name: a-rather-long-target-name-{i}, url: \"{fx.url('/flap/0.5')}?{i}\"}}")
    lines.append(f"  - {{name: down0, url: \"http://127.0.0.1:{free_port()}/\"}}")
    cfg = write_config(tmp, "\n".join(lines) + "\n", name="full.yaml", dedent=False)
    limit = 256 * 1024

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    p = Running(["--headless", "-c", cfg, "--history", hist, "--stats-interval", "300ms"],
                preexec_fn=small_files)
    t.ok(p.wait_err("history", WAIT * 2), "a full disk (RLIMIT_FSIZE) is said", p.err_lines)

    def checks():
        return max([o["checks"] for o in p.json_out() if o.get("type") == "stats"] or [0])

    n = checks()
    t.ok(wait_until(lambda: checks() > n + 100, WAIT), "and the checks go on",
         (n, checks()))
    rc = p.stop()
    t.eq(rc, 2, "uptop ends normally (not killed by SIGXFSZ)")
    last = [o for o in p.json_out() if o.get("type") == "stats"][-1]
    t.eq(last.get("history"), False, "the stats line says the history is off")
    said = [ln for ln in p.err_lines if "history" in ln]
    t.eq(len(said), 1, "one warning")
    t.ok(said and "history is off" in said[0] and "the checks go on" in said[0],
         "saying history is off", said)
    with sqlite3.connect(hist, timeout=5) as c:
        t.eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)],
             "the file is not damaged")


def check_corrupt(tmp, fx):
    hist = os.path.join(tmp, "bad.db")
    with open(hist, "wb") as f:
        f.write(os.urandom(64 * 1024))
    before = open(hist, "rb").read()
    cfg = config(tmp, fx, name="bad.yaml")
    p = Running(["--headless", "-c", cfg, "--history", hist, "-d", "1500ms"])
    rc = p.stop(None, timeout=30)
    said = [ln for ln in p.err_lines if "history" in ln]
    t.eq(len(said), 1, "a corrupt file: one line")
    t.ok(said and hist in said[0] and "not a database" in said[0] and
         "running without history" in said[0], "that says what is wrong", said)
    t.eq(rc, 2, "no crash: the checks ran")
    t.ok(open(hist, "rb").read() == before, "the file is left as it was")

    other = os.path.join(tmp, "other.db")
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE mine(x)")
    p = Running(["--headless", "-c", cfg, "--history", other, "-d", "1s"])
    p.stop(None, timeout=30)
    said = [ln for ln in p.err_lines if "history" in ln]
    t.ok(len(said) == 1 and "not an uptop history" in said[0],
         "another program's database is refused, not written", p.err_lines)


def check_off(tmp, fx):
    state = os.path.join(tmp, "state-off")
    cfg = config(tmp, fx, name="off.yaml")
    p = Running(["--headless", "-c", cfg, "--no-history", "-d", "1s"],
                env={"XDG_STATE_HOME": state})
    p.stop(None, timeout=30)
    t.ok(not os.path.exists(state), "--no-history: no file")
    stats = [o for o in p.json_out() if o.get("type") == "stats"]
    t.ok(stats and stats[-1].get("history") is False, "... and the stats line says so", stats)
    p = Running(["--headless", "-c", cfg, "-d", "1s"], env={"XDG_STATE_HOME": state})
    p.stop(None, timeout=30)
    t.ok(os.path.exists(os.path.join(state, "uptop", "history.db")),
         "the default: $XDG_STATE_HOME/uptop/history.db")
    stats = [o for o in p.json_out() if o.get("type") == "stats"]
    t.ok(stats and stats[-1].get("history") is True and stats[-1].get("history_dropped") == 0,
         "the stats line: history on, nothing dropped", stats)
    p = Running(["--once", "-c", cfg], env={"XDG_STATE_HOME": state + "2"})
    p.stop(None, timeout=30)
    t.ok(not os.path.exists(state + "2"), "--once opens no history")
    off = write_config(tmp, open(cfg).read() + "settings: {history: off}\n", name="off2.yaml",
                       dedent=False)
    p = Running(["--headless", "-c", off, "-d", "1s"], env={"XDG_STATE_HOME": state + "3"})
    p.stop(None, timeout=30)
    t.ok(not os.path.exists(state + "3"), "settings.history: off")


def main():
    tmp = tempfile.mkdtemp(prefix="uptop-hist-")
    with Fixture(tls=False) as fx:
        bound = start_bound(tmp, fx)
        check_restart(tmp, fx)
        check_two(tmp, fx)
        check_unwritable(tmp, fx)
        check_corrupt(tmp, fx)
        check_off(tmp, fx)
        check_full_disk(tmp, fx)
        check_kill9(tmp, fx)
        check_kill9_bound(*bound)
        tmux = Tmux().start()
        try:
            check_tui_restore(tmux, tmp, fx)
            check_tui_history(tmux, tmp, fx)
        finally:
            tmux.kill()
    sys.exit(t.done())


main()
