"""The live table, driven for real: uptop runs in a private tmux server
(-L socket, no config file, fixed TERM and LC_ALL) against the loopback
fixture; keys go in with send-keys, the screen comes back with
capture-pane.

Each run goes through a small wrapper in the pane that records `stty -g`
before and after, uptop's pid and exit status, sets a known pane title and
prints a marker line before and after, so a test can tell the terminal
modes, the title and the main screen came back. Checks poll the screen
until what they expect appears instead of sleeping a fixed time; timeouts
grow under the sanitizers (UPTOP_SANITIZED=1). Network: 127.0.0.1 only."""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(__file__))
from lib import (HOST, PROXY_VARS, Fixture, Tap, free_port, run_uptop, uptop_bin,  # noqa: E402
                 wait_screen)

t = Tap()

SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1
WAIT = 5.0 * SLOW                 # for something expected to show up
TERMINAL = "tmux-256color"
UTF8 = "C.UTF-8"
TITLE = "uptop-tui-title"         # the pane title the wrapper sets
BADGES = ("DOWN", "DEGR", "PEND", "UP")
SGR = re.compile(r"\x1b\[[0-9;:]*m")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Runs in the pane. The trap keeps the wrapper alive through Ctrl-C (a
# trapped signal is reset to the default in children, so uptop still gets
# it); `exec` in the inner sh makes the recorded pid uptop's own. The pane
# stays alive at the end (tmux's remain-on-exit loses the top lines when
# it marks a pane dead), until the session is killed.
WRAPPER = """\
trap ':' INT
cd {dir}
stty -g > stty.before
printf '\\033]2;%s\\033\\\\' {title}
echo BEFORE-UPTOP
sh -c 'echo $$ > pid.tmp && mv pid.tmp pid; exec "$@"' sh {argv}
rc=$?
stty -g > stty.after
echo "AFTER-UPTOP rc=$rc"
echo $rc > rc.tmp && mv rc.tmp rc
exec sleep 600
"""


# ------------------------------------------------------------------- tmux

class Tmux:
    """A private tmux server for this test file; a session that sleeps
    keeps it up between runs."""

    def __init__(self):
        self.sock = f"uptop-test-{os.getpid()}"
        self.path = None
        self.env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        self.env.pop("TMUX", None)
        self.env.update(LC_ALL=UTF8, TERM=TERMINAL)

    def run(self, *args, check=True):
        r = subprocess.run(["tmux", "-u", "-L", self.sock, "-f", "/dev/null", *args],
                           env=self.env, capture_output=True, timeout=10)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.decode(errors='replace')}")
        return r.stdout.decode("utf-8", errors="replace")

    def start(self):
        self.run("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep 3600")
        self.path = self.run("display-message", "-p", "#{socket_path}").strip()
        return self

    def bell_counter(self, path):
        """Counts the bells any pane rings, from now on (tmux's alert-bell
        hook appends a line to path) -> a function giving the count."""
        self.run("set-option", "-g", "monitor-bell", "on")
        self.run("set-option", "-g", "bell-action", "any")
        self.run("set-hook", "-g", "alert-bell", f"run-shell 'echo bell >> {path}'")
        return lambda: sum(1 for _ in open(path)) if os.path.exists(path) else 0

    def kill(self):
        self.run("kill-server", check=False)
        if self.path:        # tmux leaves the socket file behind
            try:
                os.unlink(self.path)
            except OSError:
                pass


class Run:
    """uptop in its own tmux session, started through WRAPPER."""

    def __init__(self, tmux, tmp, name, args, term=TERMINAL, lc_all=UTF8, size=(120, 40),
                 env=()):
        self.tmux = tmux
        self.name = name
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        # a history of its own: one run never restores another's states
        argv = ["env", "-u", "NO_COLOR", f"TERM={term}", f"LC_ALL={lc_all}",
                f"XDG_STATE_HOME={os.path.join(self.dir, 'state')}", *env,
                uptop_bin(), *map(str, args)]
        script = os.path.join(self.dir, "run.sh")
        with open(script, "w") as f:
            f.write(WRAPPER.format(dir=shlex.quote(self.dir), title=shlex.quote(TITLE),
                                   argv=" ".join(map(shlex.quote, argv))))
        tmux.run("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]),
                 f"sh {shlex.quote(script)}")

    # -- reading
    def screen(self):
        return self.tmux.run("capture-pane", "-p", "-t", self.name)

    def screen_escapes(self):
        """The screen with tmux's own attribute sequences (capture-pane -e)."""
        return self.tmux.run("capture-pane", "-p", "-e", "-t", self.name)

    def fmt(self, spec):
        return self.tmux.run("display-message", "-p", "-t", self.name, spec).strip()

    def wait_for(self, cond, timeout=WAIT):
        """Polls the screen until cond (a text, or a function of the screen)
        holds of a settled screen (lib.wait_screen) -> (held, last screen).
        Gives up at once when uptop has ended: nothing will change."""
        test = (lambda s: cond in s) if isinstance(cond, str) else cond
        return wait_screen(self.screen, test, timeout, self.ended)

    # -- writing
    def keys(self, *keys):
        """Key names (Enter, Escape, F1, C-c) or text, in one send-keys."""
        self.tmux.run("send-keys", "-t", self.name, *keys)

    def text(self, s):
        self.tmux.run("send-keys", "-t", self.name, "-l", s)

    def resize(self, w, h):
        self.tmux.run("resize-window", "-t", self.name, "-x", str(w), "-y", str(h))

    # -- the process
    def _file(self, name, timeout):
        path = os.path.join(self.dir, name)
        end = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > end:
                return None
            time.sleep(0.05)
        with open(path) as f:
            return f.read().strip()

    def pid(self):
        p = self._file("pid", WAIT)
        return int(p) if p else None

    def signal(self, sig):
        """Signals uptop while it runs (never a pid it may have left)."""
        pid = self.pid()
        if not pid or self.ended():
            return False
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return False
        return True

    def ended(self):
        return os.path.exists(os.path.join(self.dir, "rc"))

    def wait_exit(self, timeout=WAIT):
        """uptop's exit status, or None when it did not end in time."""
        rc = self._file("rc", timeout)
        return int(rc) if rc else None

    def stty(self):
        return self._file("stty.before", 1), self._file("stty.after", 1)

    def close(self):
        self.tmux.run("kill-session", "-t", self.name, check=False)


# ---------------------------------------------------------------- screens

def lines(screen):
    """One entry per pane line (capture-pane ends each with a newline)."""
    return (screen[:-1] if screen.endswith("\n") else screen).split("\n")


def rows(screen):
    """Table rows as (badge, name), top to bottom."""
    out = []
    for line in lines(screen):
        f = line.split()
        if len(f) >= 2 and f[0] in BADGES:
            out.append((f[0], f[1]))
    return out


def names(screen):
    return [n for _, n in rows(screen)]


def footer_status(screen):
    """The message / prompt line above the key hints."""
    ls = lines(screen)
    return ls[-2] if len(ls) >= 2 else ""


def failures(screen, name):
    """Total failures of a row (FAILS column: consecutive/total), else -1."""
    for line in lines(screen):
        f = line.split()
        if len(f) >= 2 and f[0] in BADGES and f[1] == name:
            m = re.search(r"\s\d+/(\d+)\s", line)
            return int(m.group(1)) if m else -1
    return -1


def state_order(screen):
    rank = {b: i for i, b in enumerate(BADGES)}
    return [(rank[b], n) for b, n in rows(screen)]


def non_ascii(screen):
    return sorted({c for c in screen if ord(c) >= 0x80})


def raw_leftovers(screen_e):
    """What remains of the -e capture once tmux's own SGR sequences go:
    any ESC or control character there came from the application."""
    return CONTROLS.findall(SGR.sub("", screen_e).replace("\n", ""))


def write_file(path, text):
    """Atomically, mode 0600 (a config with a password in a URL)."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def wait_until(pred, timeout=WAIT):
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def check_exit(r, how):
    """uptop ended with 0, the terminal modes are as before, the main
    screen is back (alternate screen left, the wrapper's lines visible)."""
    rc = r.wait_exit()
    before, after = r.stty()
    _, s = r.wait_for("AFTER-UPTOP")
    t.eq(rc, 0, f"{how}: exit status 0")
    t.ok(before is not None and before == after, f"{how}: terminal modes restored (stty -g)",
         f"before {before!r}\nafter  {after!r}")
    t.ok(r.fmt("#{alternate_on}") == "0" and "BEFORE-UPTOP" in s and "AFTER-UPTOP" in s
         and "checks/s" not in s, f"{how}: alternate screen left, the shell's lines are back", s)


# ----------------------------------------------------------- main session

MAIN_NAMES = ["ok", "down503", "slow", "pend", "secret", "tick", "counter"]


def main_config(fx, extra=(), broken=False):
    """-> (text, line of the broken key or None)."""
    ls = [
        "defaults: {interval: 2s, timeout: 1s}",
        "targets:",
        f'  - {{name: ok, url: "{fx.url("/ok")}", group: web}}',
        f'  - {{name: down503, url: "{fx.url("/status/503")}"}}',
        f'  - {{name: slow, url: "{fx.url("/delay/0.3")}", max_latency: 100ms}}',
        f'  - {{name: pend, url: "{fx.url("/hang")}", interval: 1h, timeout: 50s}}',
        f'  - {{name: secret, url: "http://user:hunter2@{HOST}:{fx.http}/ok"}}',
        f'  - {{name: tick, url: "{fx.url("/body/tick")}", interval: 300ms, timeout: 250ms}}',
        f'  - {{name: counter, url: "{fx.url("/count")}", interval: 1h, timeout: 5s}}',
    ]
    ls += [f'  - {{name: {n}, url: "{fx.url("/ok")}"}}' for n in extra]
    bad_line = None
    if broken:
        ls += ["  - name: broken", f'    url: "{fx.url("/ok")}"', "    intervall: 5s"]
        bad_line = len(ls)
    return "\n".join(ls) + "\n", bad_line


def all_rows(s):
    return sorted(names(s)) == sorted(MAIN_NAMES)


def check_rows_and_states(r):
    want = lambda s: all_rows(s) and {b for b, _ in rows(s)} == set(BADGES)  # noqa: E731
    ok, s = r.wait_for(want)
    if not t.ok(ok, "every target has a row; up, degraded, down and pending all show", s):
        return False
    head = lines(s)
    t.ok(head[0].startswith("uptop ") and "uptop.yaml" in head[0] and "checks/s" in head[1],
         "header: title, config file, counts and checks/s", "\n".join(head[:2]))
    t.ok(state_order(s) == sorted(state_order(s)), "default order: down, degraded, pending, up; "
         "by name within a state", rows(s))
    t.ok("7/7  all  sort state" in footer_status(s) and lines(s)[-1].startswith("?Help"),
         "footer: row counts, view, sort and key hints", s)
    return ok


def set_filter(r, text):
    """/text Enter, waiting until the table shows the kept filter."""
    r.keys("/")
    r.wait_for(lambda s: footer_status(s).startswith("/"))
    r.text(text)
    r.wait_for(lambda s: footer_status(s).startswith("/" + text))
    r.keys("Enter")
    return r.wait_for(lambda s: f"filter: {text}" in s)


def clear_filter(r):
    r.keys("Escape")
    return r.wait_for(lambda s: "filter:" not in s and all_rows(s))


def check_filter_live(r, fx):
    """/ is a prompt inside the loop: checks go on while someone types."""
    r.keys("/")
    r.wait_for(lambda s: footer_status(s).startswith("/"))
    h0, t0 = fx.hits("/body/tick"), time.monotonic()
    for ch in "down503":
        r.text(ch)
        time.sleep(0.25)
    ok, s = r.wait_for(lambda s: names(s) == ["down503"] and "/down503" in footer_status(s))
    h1, dt = fx.hits("/body/tick"), time.monotonic() - t0
    t.ok(ok, "the filter narrows the table as you type", s)
    t.ok(h1 - h0 >= 2, f"checks go on while typing in the prompt ({h1 - h0} checks of a 300 ms "
         f"target in {dt:.1f} s)")
    r.keys("Enter")
    ok, s = r.wait_for(lambda s: "filter: down503" in s and names(s) == ["down503"])
    t.ok(ok, "Enter keeps the filter", s)
    ok, s = clear_filter(r)
    t.ok(ok, "Esc clears the kept filter: every row is back", s)


def check_filter_inverted(r):
    ok, s = set_filter(r, "!down503")
    t.ok(ok and sorted(names(s)) == sorted(n for n in MAIN_NAMES if n != "down503"),
         "a leading ! inverts the filter", s)
    r.keys("/")
    r.wait_for(lambda s: footer_status(s).startswith("/!down503"))
    r.keys("Escape")
    ok, s = r.wait_for(lambda s: "filter:" not in s and all_rows(s)
                       and not footer_status(s).startswith("/"))
    t.ok(ok, "Esc in the prompt clears the filter and leaves the prompt", s)


def check_filter_redacted(r):
    ok, s = set_filter(r, "hunter2")
    t.ok(ok and "no target matches the filter" in s and not rows(s),
         "the filter does not search the password in a URL", s)
    ok, s = clear_filter(r)
    t.ok(ok, "Esc clears it again", s)


def check_view_cycle(r):
    r.keys("f")
    ok, s = r.wait_for(lambda s: "  problems  " in s and rows(s)
                       and {b for b, _ in rows(s)} <= {"DOWN", "DEGR"})
    t.ok(ok and {"down503", "slow"} <= set(names(s)), "f: problems only (down and degraded)", s)
    r.keys("f")
    ok, s = r.wait_for(lambda s: "  down only  " in s and rows(s)
                       and {b for b, _ in rows(s)} == {"DOWN"})
    t.ok(ok and "down503" in names(s), "f again: down only", s)
    r.keys("f")
    ok, s = r.wait_for(lambda s: "  all  " in s and all_rows(s))
    t.ok(ok, "f a third time: all again", s)


def check_sort(r):
    r.keys("s")
    ok, s = r.wait_for(lambda s: "sort name" in s and names(s) == sorted(MAIN_NAMES))
    t.ok(ok and "NAME↑" in s, "s: sorted by name, the column marked (↑: a..z)", s)
    r.keys("S")
    ok, s = r.wait_for(lambda s: "sort name (rev)" in s
                       and names(s) == sorted(MAIN_NAMES, reverse=True))
    t.ok(ok, "S: reversed", s)
    r.keys("S", *["s"] * 10)  # s cycles through 11 columns (no https: no CERT): back to state
    ok, s = r.wait_for(lambda s: "sort state" in s and "(rev)" not in s and all_rows(s)
                       and state_order(s) == sorted(state_order(s)))
    t.ok(ok, "s through every column comes back to state", s)


def check_detail(r, fx):
    set_filter(r, "secret")
    r.keys("Enter")
    ok, s = r.wait_for("Reproduce with curl")
    url = f"http://***@{HOST}:{fx.http}/ok"
    t.ok(ok and re.search(r"^ secret\s+UP", s, re.M), "Enter opens the selected target's detail", s)
    t.ok(re.search(r"^ URL\s+" + re.escape(url), s, re.M) and "hunter2" not in s,
         "detail: the URL with its credentials redacted", s)
    t.ok(re.search(r"^ Remote\s+127\.0\.0\.1\s*$", s, re.M), "detail: the remote IP", s)
    ls = lines(s)
    i = next((k for k, ln in enumerate(ls) if "Phases of the last check" in ln), None)
    bar = ls[i + 1].strip() if i is not None and i + 1 < len(ls) else ""
    legend = ls[i + 2] if i is not None and i + 2 < len(ls) else ""
    t.ok(bar and re.search(r"DNS [\d.]+ms \| connect [\d.]+ms \| TLS [\d.]+ms \| TTFB [\d.]+ms"
                           r" \| transfer [\d.]+ms\s+total [\d.]+ms", legend),
         "detail: the phase bar with DNS, connect, TLS, TTFB and transfer", s)
    t.ok("Last 20 checks (newest first)" in s and "State changes (newest first)" in s,
         "detail: the last checks and the state changes", s)
    t.ok("curl -sS -o /dev/null" in s and f"'{url}'" in s,
         "detail: the curl command, credentials redacted", s)
    r.keys("Escape")
    ok, s = r.wait_for(lambda s: "filter: secret" in s and names(s) == ["secret"])
    t.ok(ok, "Esc goes back to the table", s)
    clear_filter(r)


def check_footer_and_backspace(r):
    """Each view's footer offers only keys that work there, and Backspace
    (which the terminal sends as its kbs, KEY_BACKSPACE to curses) goes
    back from a view as the help says."""
    r.keys("Enter")
    ok, s = r.wait_for("Reproduce with curl")
    t.ok(ok and lines(s)[-1].startswith("EscBack") and "rRecheck" in lines(s)[-1],
         "detail: the footer offers Back and Recheck", s)
    r.keys("BSpace")
    ok, s = r.wait_for(lambda s: all_rows(s) and "Reproduce with curl" not in s)
    t.ok(ok, "Backspace leaves the detail view", s)
    r.keys("?")
    ok, s = r.wait_for(" - keys")
    t.ok(ok and lines(s)[-1].startswith("EscBack") and "rRecheck" not in lines(s)[-1],
         "help: no Recheck in the footer (r does nothing there)", s)
    r.keys("BSpace")
    ok, s = r.wait_for(lambda s: all_rows(s) and " - keys" not in s)
    t.ok(ok, "Backspace leaves the help", s)


def check_detail_typeahead(r):
    """Keys typed ahead (or pasted) land in one read: Enter right after the
    filter must open the row the filter selects, not the one selected
    before it."""
    r.keys("/secret", "Enter", "Enter")
    ok, s = r.wait_for("Reproduce with curl")
    t.ok(ok and re.search(r"^ secret\s+UP", s, re.M),
         "'/secret Enter Enter' typed at once opens secret's detail", s)
    r.keys("Escape")
    r.wait_for("STATE")
    clear_filter(r)


def check_help(r):
    r.keys("?")
    ok, s = r.wait_for(" - keys")
    t.ok(ok and all(k in s for k in ("Moving", "filter by name", "pause / resume",
                                        "reload the config file", "q  F10  Ctrl-C",
                                        "event timeline", "recheck the selected")),
         "?: help lists the keys", s)
    r.keys("Escape")
    ok, s = r.wait_for(lambda s: all_rows(s))
    t.ok(ok, "Esc leaves the help", s)
    r.keys("F1")
    ok1, _ = r.wait_for(" - keys")
    r.keys("F1")
    ok2, s = r.wait_for(lambda s: all_rows(s))
    t.ok(ok1 and ok2, "F1 opens and closes the help", s)


def check_events(r):
    r.keys("e")
    ok, s = r.wait_for(lambda s: "Events, newest first" in s
                       and re.search(r"down503\s+pending → down\s+status: got 503", s))
    t.ok(ok and re.search(r"ok\s+pending → up", s), "e: the event timeline shows the state "
         "changes with their reasons", s)
    r.keys("Escape")
    ok, s = r.wait_for(lambda s: all_rows(s))
    t.ok(ok, "Esc leaves the timeline", s)


def settle(value, quiet, timeout=10.0):
    """value() once it has not changed for `quiet` seconds (or at timeout)."""
    v, since, end = value(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() - since < quiet and time.monotonic() < end:
        time.sleep(0.05)
        nv = value()
        if nv != v:
            v, since = nv, time.monotonic()
    return v


def check_pause(r, fx):
    r.keys("p")
    ok, s = r.wait_for(lambda s: "PAUSED" in lines(s)[0])
    t.ok(ok, "p: the header shows PAUSED", s)
    # A check in flight at the pause may still land: wait until the count
    # holds still for twice the target's timeout (250 ms). Were checks
    # still starting (every 300 ms) it would never hold still that long.
    h0 = settle(lambda: fx.hits("/body/tick"), quiet=0.5 * SLOW)
    time.sleep(1.5)
    h1 = fx.hits("/body/tick")
    t.eq(h1 - h0, 0, "no checks start while paused (a 300 ms target, 1.5 s)")
    r.keys("p")
    ok, s = r.wait_for(lambda s: "PAUSED" not in s)
    t.ok(ok and wait_until(lambda: fx.hits("/body/tick") > h1),
         "p again: PAUSED goes and checks resume", s)


def check_recheck(r, fx):
    # interval 1h: its first check is spread over 6 min, so another hit
    # during this check is most unlikely
    before = fx.hits("/count")
    ok, s = set_filter(r, "counter")
    ok = ok and r.wait_for(lambda s: names(s) == ["counter"])[0]
    r.keys("r")
    t.ok(ok and wait_until(lambda: fx.hits("/count") > before),
         f"r rechecks the selected target at once (/count hits {before} -> "
         f"{fx.hits('/count')}, interval 1h)", s)
    clear_filter(r)


def fits(s, w, h):
    ls = lines(s)
    return len(ls) == h and all(len(ln) <= w for ln in ls)


def check_resize(r):
    r.resize(40, 12)
    ok, s = r.wait_for(lambda s: fits(s, 40, 12) and lines(s)[0].startswith("uptop")
                       and "STATE" in s and rows(s) and lines(s)[11].startswith("?Help"))
    t.ok(ok, "40x12: header, column titles, rows and key hints fit", s)
    r.resize(20, 5)
    ok, s = r.wait_for(lambda s: fits(s, 20, 5) and lines(s)[0].startswith("uptop")
                       and rows(s) and lines(s)[4].startswith("?Help"))
    t.ok(ok and "too small" not in s, "20x5: title, a row and the hints still draw", s)
    r.resize(120, 40)
    ok, s = r.wait_for(lambda s: fits(s, 120, 40) and "checks/s" in lines(s)[1]
                       and all_rows(s) and "qQuit" in lines(s)[39])
    t.ok(ok, "back to 120x40: the full table again", s)


def check_reload(r, fx, cfg):
    text, bad_line = main_config(fx, broken=True)
    write_file(cfg, text)
    r.keys("L")
    where = f"{cfg}:{bad_line}:5:"
    ok, s = r.wait_for(lambda s: "reload failed" in footer_status(s))
    t.ok(ok and where in footer_status(s) and "intervall" in footer_status(s),
         f"L with an invalid file: the footer shows the error at line:col ({where})", s)
    h0 = fx.hits("/body/tick")
    ok, s = r.wait_for(lambda s: all_rows(s))
    t.ok(ok and wait_until(lambda: fx.hits("/body/tick") > h0),
         "the running config stays and keeps being checked", s)
    write_file(cfg, main_config(fx, extra=["added1"])[0])
    r.keys("L")
    ok, s = r.wait_for(lambda s: "added1" in names(s))
    t.ok(ok and "reloaded" in footer_status(s) and "8 targets" in footer_status(s),
         "L with a valid file adds the new target", s)
    write_file(cfg, main_config(fx, extra=["added1", "added2"])[0])
    r.signal(signal.SIGUSR1)
    ok, s = r.wait_for(lambda s: "added2" in names(s))
    t.ok(ok and "9 targets" in footer_status(s), "SIGUSR1 reloads too", s)


def main_session(tmux, tmp, fx):
    os.makedirs(os.path.join(tmp, "cfg"))
    cfg = write_file(os.path.join(tmp, "cfg", "uptop.yaml"), main_config(fx)[0])
    r = Run(tmux, tmp, "main", ["-c", cfg])
    try:
        if not check_rows_and_states(r):
            return
        check_filter_live(r, fx)
        check_filter_inverted(r)
        check_filter_redacted(r)
        check_view_cycle(r)
        check_sort(r)
        check_detail(r, fx)
        check_footer_and_backspace(r)
        check_help(r)
        check_events(r)
        check_pause(r, fx)
        check_recheck(r, fx)
        check_resize(r)
        check_detail_typeahead(r)
        check_reload(r, fx, cfg)
        r.keys("q")
        check_exit(r, "q")
    finally:
        r.close()


# ---------------------------------------------------------------- hostile

def hostile_config(fx):
    esc_url = fx.url("/redirect-to?url=/x%1B]0;PWNED%07%1B[2J%1B[H%07")
    return (
        "defaults: {interval: 1s, timeout: 900ms}\n"
        "targets:\n"
        f'  - {{name: hstatus, url: "{fx.url("/hostile-status")}"}}\n'
        f'  - {{name: hbody, url: "{fx.url("/hostile")}", body_contains: absent}}\n'
        f'  - {{name: hredir, url: "{esc_url}"}}\n'
        # a name with an OSC title, BEL, clear screen and cursor home
        f'  - {{name: "evil\\e]0;PWNED\\a\\e[2J\\e[H", url: "{fx.url("/ok")}"}}\n'
        f'  - {{name: fine, url: "{fx.url("/ok")}"}}\n'
    )


HOSTILE_NAMES = {"hstatus", "hbody", "hredir", "fine"}


def hostile_ready(s):
    return HOSTILE_NAMES <= set(names(s)) and len(rows(s)) == 5 and "PEND" not in s


def screen_intact(r, s, what):
    """The title is still the wrapper's, the header was not cleared away,
    no raw escape or control reached the pane."""
    t.eq(r.fmt("#{pane_title}"), TITLE, f"{what}: the pane title is unchanged")
    ls = lines(s)
    t.ok(ls[0].startswith("uptop ") and "checks/s" in ls[1]
         and ls[-1].startswith(("?Help", "EscBack")),
         f"{what}: the header and footer are still on screen", s)
    left = raw_leftovers(r.screen_escapes())
    t.ok(not left, f"{what}: nothing but tmux's colour sequences in capture-pane -e", left)


def hostile_session(tmux, tmp, fx):
    cfg = write_file(os.path.join(tmp, "hostile.yaml"), hostile_config(fx))
    r = Run(tmux, tmp, "hostile", ["-c", cfg])
    try:
        ok, s = r.wait_for(hostile_ready)
        if not t.ok(ok, "hostile targets: every row shows", s):
            return
        t.eq(r.fmt("#{pane_title}"), TITLE, "control: the wrapper's OSC 2 set the pane title")
        # a few rounds of hostile answers, each redrawn
        wait_until(lambda: fx.hits("/hostile-status") >= 3 and fx.hits("/redirect-to") >= 3,
                   timeout=WAIT + 3)
        ok, s = r.wait_for(lambda s: failures(s, "hstatus") >= 3)
        t.ok(ok and "evil␛]0;PWNED␇␛[2J␛[H" in s, "a name's escapes show as placeholders (␛ ␇)", s)
        screen_intact(r, s, "table")
        r.keys("e")
        ok, s = r.wait_for("Events, newest first")
        t.ok("'/x␛]0;PWNED␇␛[2J␛[H␇'" in s,
             "the server's bytes in an error show as placeholders (events)", s)
        screen_intact(r, s, "events")
        r.keys("Escape")
        set_filter(r, "hredir")
        r.wait_for(lambda s: names(s) == ["hredir"])
        r.keys("Enter")
        ok, s = r.wait_for("Reproduce with curl")
        t.ok(ok and "␛[2J" in s and "not followed" in s,
             "the detail view wraps the whole hostile error, sanitised", s)
        screen_intact(r, s, "detail")
        r.keys("Escape")
        r.wait_for("filter: hredir")
        r.keys("q")
        check_exit(r, "hostile: q")
        t.eq(r.fmt("#{pane_title}"), TITLE, "hostile: the title is still ours after exit")
    finally:
        r.close()


# ------------------------------------------------------------ ASCII only

def check_ascii_views(r, how):
    """Table, events, help and detail: not one byte >= 0x80 on screen."""
    ok, s = r.wait_for(lambda s: hostile_ready(s) and failures(s, "hstatus") >= 2)
    if not t.ok(ok, f"{how}: every row shows", s):
        return
    t.ok("evil^[]0;PWNED^G^[[2J^[[H" in s, f"{how}: placeholders are ASCII (^[ ^G)", s)
    t.eq(non_ascii(s), [], f"{how}: the table is ASCII only")
    r.keys("e")
    ok, s = r.wait_for("pending -> down")
    t.ok(ok and not non_ascii(s), f"{how}: the event timeline is ASCII only", non_ascii(s) or s)
    r.keys("?")
    ok, s = r.wait_for(" - keys")
    t.ok(ok and not non_ascii(s) and "Up/Dn" in s, f"{how}: help and hints are ASCII only",
         non_ascii(s) or s)
    r.keys("Escape")
    r.wait_for("STATE")
    r.keys("Enter")
    ok, s = r.wait_for("Reproduce with curl")
    t.ok(ok and not non_ascii(s), f"{how}: the detail view (phase bar) is ASCII only",
         non_ascii(s) or s)
    r.keys("q")
    r.wait_for("STATE")
    r.keys("q")
    t.eq(r.wait_exit(), 0, f"{how}: q exits 0")


def ascii_sessions(tmux, tmp, fx):
    cfg = write_file(os.path.join(tmp, "ascii.yaml"), hostile_config(fx))
    runs = [(Run(tmux, tmp, "ascii", ["--ascii", "-c", cfg]), "--ascii"),
            (Run(tmux, tmp, "clocale", ["-c", cfg], lc_all="C"), "LC_ALL=C")]
    try:
        for r, how in runs:
            check_ascii_views(r, how)
    finally:
        for r, _ in runs:
            r.close()


# ---------------------------------------------------------------- signals

def small_config(fx, tmp):
    return write_file(os.path.join(tmp, "small.yaml"),
                      f'targets:\n  - {{name: only, url: "{fx.url("/ok")}"}}\n')


def signal_sessions(tmux, tmp, fx):
    """SIGTERM, SIGHUP and Ctrl-C, three runs side by side."""
    cfg = small_config(fx, tmp)
    ways = [("SIGTERM", lambda r: r.signal(signal.SIGTERM)),
            ("SIGHUP", lambda r: r.signal(signal.SIGHUP)),
            ("Ctrl-C", lambda r: r.keys("C-c"))]
    runs = [Run(tmux, tmp, name.lower().replace("-", ""), ["-c", cfg]) for name, _ in ways]
    try:
        for r, (name, stop) in zip(runs, ways):
            ok, s = r.wait_for(lambda s: names(s) == ["only"] and "UP" in s)
            if not t.ok(ok, f"{name}: the table is up", s):
                continue
            stop(r)
            check_exit(r, name)
    finally:
        for r in runs:
            r.close()


def hangup_session(tmp, fx):
    """The terminal goes away (its tmux server is killed) while SIGHUP is
    blocked, as a parent may leave it: uptop sees its keyboard hang up
    and ends as SIGHUP would, instead of spinning or staying forever."""
    own = Tmux()
    own.sock += "-hangup"
    pidfile = os.path.join(tmp, "hangup.pid")
    code = ("import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP}); "
            "open(sys.argv[1], 'w').write(str(os.getpid())); os.execv(sys.argv[2], sys.argv[2:])")
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-c", code, pidfile, uptop_bin(),
                                            "-c", small_config(fx, tmp)])
    try:
        own.run("new-session", "-d", "-s", "hup", "-x", "80", "-y", "24", cmd)
        own.path = own.run("display-message", "-p", "#{socket_path}").strip()
        end = time.monotonic() + WAIT
        s = ""
        while time.monotonic() < end:
            s = own.run("capture-pane", "-p", "-t", "hup", check=False)
            if "only" in s and "UP" in s:
                break
            time.sleep(0.1)
        if not t.ok("only" in s and "UP" in s and os.path.exists(pidfile),
                    "hangup: the table is up (SIGHUP blocked)", s):
            return
        pid = int(open(pidfile).read())
        own.kill()
        end = time.monotonic() + WAIT
        while time.monotonic() < end and alive(pid):
            time.sleep(0.1)
        t.ok(not alive(pid), "hangup: uptop ends when its terminal goes away, SIGHUP or not",
             f"pid {pid} still runs: {proc_state(pid)}")
    finally:
        own.kill()
        if os.path.exists(pidfile):
            pid = int(open(pidfile).read() or 0)
            if pid and alive(pid):
                os.kill(pid, signal.SIGKILL)


def alive(pid):
    """Running (a zombie waiting for its reaper has ended)."""
    return proc_state(pid) not in (None, "Z", "X")


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def suspend_session(tmux, tmp, fx):
    """Ctrl-Z and fg in a real job-control shell (an interactive bash in
    the pane): Ctrl-Z gives the main screen back and the shell's prompt
    shows; fg repaints the table and keys work; q exits cleanly."""
    cfg = small_config(fx, tmp)
    name = "suspend"
    tmux.run("new-session", "-d", "-s", name, "-x", "120", "-y", "40",
             "env PS1='PROMPT$ ' HISTFILE=/dev/null bash --norc --noprofile -i")

    def screen():
        return tmux.run("capture-pane", "-p", "-t", name)

    def wait(pred):
        end = time.monotonic() + WAIT
        while time.monotonic() < end:
            s = screen()
            if pred(s):
                return True, s
            time.sleep(0.05)
        return False, screen()

    def alt():
        return tmux.run("display-message", "-p", "-t", name, "#{alternate_on}").strip()

    try:
        wait(lambda s: "PROMPT$" in s)
        cmd = " ".join(map(shlex.quote, ["env", "-u", "NO_COLOR", f"TERM={TERMINAL}",
                                         f"LC_ALL={UTF8}", uptop_bin(), "-c", cfg]))
        tmux.run("send-keys", "-t", name, "-l", cmd)
        tmux.run("send-keys", "-t", name, "Enter")
        ok, s = wait(lambda s: names(s) == ["only"] and "UP" in s)
        if not t.ok(ok, "Ctrl-Z: the table is up in an interactive shell", s):
            return
        tmux.run("send-keys", "-t", name, "C-z")
        ok, s = wait(lambda s: "Stopped" in s and "checks/s" not in s)
        t.ok(ok and alt() == "0", "Ctrl-Z: uptop stops, the main screen and the prompt are back", s)
        tmux.run("send-keys", "-t", name, "-l", "fg")
        tmux.run("send-keys", "-t", name, "Enter")
        ok, s = wait(lambda s: names(s) == ["only"] and "checks/s" in s)
        t.ok(ok and alt() == "1", "fg: the table is repainted", s)
        tmux.run("send-keys", "-t", name, "?")
        ok, s = wait(lambda s: " - keys" in s)
        t.ok(ok, "fg: keys work again (? opens the help)", s)
        tmux.run("send-keys", "-t", name, "Escape")
        wait(lambda s: names(s) == ["only"])
        tmux.run("send-keys", "-t", name, "q")
        wait(lambda s: "checks/s" not in s and s.rstrip().endswith("PROMPT$"))
        tmux.run("send-keys", "-t", name, "-l", "echo EXIT=$?")
        tmux.run("send-keys", "-t", name, "Enter")
        ok, s = wait(lambda s: "EXIT=0" in s)
        t.ok(ok and alt() == "0" and "checks/s" not in s, "q after fg: exit 0, main screen back", s)
    finally:
        tmux.run("kill-session", "-t", name, check=False)


def refusal_sessions(tmux, tmp, fx):
    cfg = small_config(fx, tmp)
    r = Run(tmux, tmp, "dumb", ["-c", cfg], term="dumb")
    try:
        rc = r.wait_exit()
        _, s = r.wait_for("AFTER-UPTOP")
        t.eq(rc, 3, "TERM=dumb: exit 3")
        t.ok("--once" in s and "TERM=dumb" in s, "TERM=dumb: the message points to --once", s)
        before, after = r.stty()
        t.ok(before == after, "TERM=dumb: terminal modes untouched")
    finally:
        r.close()
    rc, out, err, _ = run_uptop(["-c", cfg], env={"TERM": TERMINAL}, timeout=10 * SLOW)
    t.ok(rc == 3 and "--once" in err and "tty" in err,
         "stdout not a terminal: exit 3, pointing to --once", err)


# ------------------------------------------------------------ conditions

def conditions_session(tmux, tmp, fx):
    """A pasted Gatus endpoint: its warning in the footer, its failing
    condition in Gatus' words in the table and the detail view."""
    cfg = write_file(os.path.join(tmp, "gatus.yaml"),
                     "storage: {type: memory}\n"
                     "endpoints:\n"
                     f'  - {{name: gapi, url: "{fx.url("/status/500")}", interval: 1s, '
                     'body: "q=1", client: {timeout: 900ms}, '
                     'conditions: ["[STATUS] == 200"]}\n')
    r = Run(tmux, tmp, "conditions", ["-c", cfg])
    try:
        ok, s = r.wait_for(lambda s: "[STATUS] (500) == 200" in s)
        t.ok(ok and "condition: [STATUS] (500) == 200" in s,
             "the table shows the failing condition as 'condition: <Gatus' message>'", s)
        t.ok("warning: uptop does not act on this key: storage" in footer_status(s),
             "the footer shows the config warning", s)
        r.keys("Enter")
        ok, s = r.wait_for("Reproduce with curl")
        t.ok(ok and "[STATUS] (500) == 200" in s, "the detail view shows it too", s)
        t.ok("-X 'GET' --data-raw 'q=1'" in s,
             "a GET with a body reproduces as curl -X GET --data-raw (curl would POST)", s)
        r.keys("Escape", "q")
        check_exit(r, "conditions: q")
    finally:
        r.close()


# ------------------------------------------------- small terminals (issue 10)

TITLES = ("STATE", "NAME", "GROUP", "CODE", "LAST", "P95", "HISTORY", "UPTIME", "FAILS",
          "SINCE", "ERROR")
ARROWS = "↑↓"
# the pieces of the stats line (line 1), each whole
STAT_PIECE = re.compile(r"(\d+ up \d+ (degraded|degr) \d+ (confirming|conf) \d+ down "
                        r"\d+ (pending|pend)|[\d.]+ checks/s|\d+ stalls?|\d+ in flight|"
                        r"\d+ queued|\d+ overdue|lag p99 \d+ms)")
LONG_ERROR = "status: got 503, expected 200-399"
SORT_TITLE = {"state": "STATE", "name": "NAME", "group": "GROUP", "code": "CODE",
              "latency": "LAST", "p95": "P95", "uptime": "UPTIME", "up24h": "UP24H",
              "up7d": "UP7D", "failures": "FAILS", "since": "SINCE"}


def config80(fx, tmp, refused_port):
    return write_file(os.path.join(tmp, "small80.yaml"), "\n".join([
        "defaults: {interval: 1s, timeout: 900ms}",
        "targets:",
        f'  - {{name: checkout-api-production-eu, url: "{fx.url("/ok")}", group: shop}}',
        f'  - {{name: down503, url: "{fx.url("/status/503")}"}}',
        f'  - {{name: refused, url: "http://{HOST}:{refused_port}/"}}',
        f'  - {{name: slow, url: "{fx.url("/delay/0.3")}", max_latency: 100ms}}',
        f'  - {{name: pend, url: "{fx.url("/hang")}", interval: 1h, timeout: 50s}}',
        ""]))


def headings(s):
    """The column headings line: the first line that starts with STATE."""
    return next((ln for ln in lines(s) if ln.startswith("STATE")), "")


def heading_cols(s):
    """{title: (x, arrow)} from the headings line."""
    out = {}
    for m in re.finditer(r"[A-Z0-9]+[" + ARROWS + r"^v]?", headings(s)):
        word = m.group(0)
        arrow = word[-1] if word[-1] in ARROWS or word[-1] in "^v" and word[:-1] in TITLES else ""
        out[word[:-1] if arrow else word] = (m.start(), arrow)
    return out


def check_frame(s, w, h, how):
    """A whole frame at w x h: h lines none wider than w, the header on
    top, whole pieces in the stats line, known headings, ?Help and qQuit
    at the bottom."""
    ls = lines(s)
    t.ok(len(ls) == h and all(len(ln) <= w for ln in ls),
         f"{how}: {h} lines of at most {w} columns (no wrap, nothing past the edge)", s)
    t.ok(ls[0].startswith("uptop ") and re.search(r"\d\d:\d\d:\d\d$", ls[0].rstrip()),
         f"{how}: the title line with the clock at the right", s)
    pieces = [p for p in re.split(r"\s{2,}", ls[1].strip()) if p]
    t.ok(pieces and all(STAT_PIECE.fullmatch(p) for p in pieces)
         and ls[1].startswith(tuple("0123456789")),
         f"{how}: the stats line has only whole pieces, the counts first", ls[1])
    cols = heading_cols(s)
    t.ok(set(cols) <= set(TITLES) and "STATE" in cols and "NAME" in cols
         and list(cols) == [c for c in TITLES if c in cols],
         f"{how}: the headings are whole column titles, in order (no overlap)", headings(s))
    t.ok(ls[-1].startswith("?Help") and ls[-1].rstrip().endswith("qQuit"),
         f"{how}: the footer shows ?Help and qQuit", ls[-1])


def check_small_sizes(r):
    """80x24 (and 100x30, 60x20, 40x10): the error keeps 30 columns."""
    for w, h in ((80, 24), (100, 30), (60, 20), (40, 10)):
        r.resize(w, h)
        # tmux keeps the old frame on resize (cut at the new width when it
        # shrinks), so wait for uptop's own redraw: a whole footer, from
        # ?Help to qQuit, on the new last line
        ok, s = r.wait_for(lambda s: fits(s, w, h) and lines(s)[0].startswith("uptop ")
                           and headings(s) and LONG_ERROR[:8] in s
                           and lines(s)[-1].startswith("?Help")
                           and lines(s)[-1].rstrip().endswith("qQuit"))
        if not t.ok(ok, f"{w}x{h}: the table redraws at the new size", s):
            continue
        check_frame(s, w, h, f"{w}x{h}")
        x = heading_cols(s).get("ERROR", (w, ""))[0]
        if w >= 60:
            t.ok(w - x >= 30 and LONG_ERROR[:29] in s,
                 f"{w}x{h}: the error column keeps {w - x} >= 30 columns", s)
        else:
            t.ok(w - x >= 10, f"{w}x{h}: the error column still shows ({w - x})", s)
    r.resize(80, 24)
    return r.wait_for(lambda s: fits(s, 80, 24) and "HISTORY" in s
                      and lines(s)[-1].startswith("?Help"))


def arrow_of(s):
    """[(title, arrow)] of the headings that carry an arrow."""
    return [(k, a) for k, (_, a) in heading_cols(s).items() if a]


def check_sort_arrows(r):
    """s through every sortable column at 80x24: the column sorted by is
    on screen with its arrow; S flips it."""
    seen = []
    for _ in range(len(SORT_TITLE)):
        before = re.search(r"sort (\w+)", footer_status(r.screen()))
        r.keys("s")
        ok, s = r.wait_for(lambda s: (m := re.search(r"sort (\w+)", footer_status(s)))
                           and (not before or m.group(1) != before.group(1))
                           and arrow_of(s))
        key = re.search(r"sort (\w+)", footer_status(s)).group(1) if ok else "?"
        seen.append(key)
        t.ok(ok and arrow_of(s) and arrow_of(s)[0][0] == SORT_TITLE.get(key)
             and len(arrow_of(s)) == 1,
             f"80x24, sort {key}: its column is on screen with the arrow", headings(s))
    t.eq(sorted(seen), sorted(SORT_TITLE), "s went through every sortable column")
    ok, s = r.wait_for(lambda s: "sort state" in footer_status(s) and arrow_of(s) == [("STATE", "↓")])
    t.ok(ok, "back to state: STATE↓ (the worst first)", headings(s))
    r.keys("S")
    ok, s = r.wait_for(lambda s: "sort state (rev)" in footer_status(s)
                       and arrow_of(s) == [("STATE", "↑")])
    t.ok(ok, "S: the arrow turns (STATE↑) and the footer says (rev)", headings(s))
    r.keys("S")
    r.wait_for(lambda s: "(rev)" not in footer_status(s))


def sort_to(r, key):
    for _ in range(len(SORT_TITLE) + 1):
        if f"sort {key}" in footer_status(r.screen()):
            return True
        prev = footer_status(r.screen())
        r.keys("s")
        r.wait_for(lambda s: footer_status(s) != prev)
    return f"sort {key}" in footer_status(r.screen())


def check_worst_first(r):
    """code and latency put the worst first: no answer, then failing
    answers (code) or the slowest (latency); never checked last."""
    sort_to(r, "code")
    ok, s = r.wait_for(lambda s: names(s)[:2] == ["refused", "down503"] and names(s)[-1] == "pend")
    t.ok(ok, "sort code: refused (no answer), the 503, then the 200s, pending last", names(s))
    sort_to(r, "latency")
    ok, s = r.wait_for(lambda s: names(s)[:2] == ["refused", "slow"] and names(s)[-1] == "pend")
    t.ok(ok, "sort latency: refused (no answer), the slowest answer next, pending last",
         names(s))
    sort_to(r, "state")


def check_help80(r):
    """? at 80x24: a long help line wraps under itself, nothing is cut."""
    r.keys("?")
    ok, s = r.wait_for(" - keys")
    text = " ".join(ln.strip() for ln in lines(s))
    t.ok(ok and fits(s, 80, 24) and "…" not in s
         and re.search(r"sort by the next column \(state, name, group, code, latency,\s+"
                       r"p95, uptime, up24h, up7d, cert, failures, since\)", text)
         and re.search(r"^ {21}p95, uptime", s, re.M),
         "80x24 help: the sort line wraps whole under its text", s)
    r.keys("Escape")
    r.wait_for(lambda s: headings(s))


def small_session(tmux, tmp, fx):
    cfg = config80(fx, tmp, free_port())
    r = Run(tmux, tmp, "small80", ["-c", cfg], size=(80, 24))
    try:
        ok, s = r.wait_for(lambda s: {"down503", "refused", "slow", "pend"} <= set(names(s))
                           and LONG_ERROR[:8] in s and "DEGR" in s)
        if not t.ok(ok, "80x24: every row shows", s):
            return
        check_small_sizes(r)
        check_sort_arrows(r)
        check_worst_first(r)
        check_help80(r)
        r.keys("q")
        check_exit(r, "80x24: q")
    finally:
        r.close()


# ------------------------------------------------- r, R: checking... (issue 10)

def checking_config(fx, tmp):
    # interval 1h: only r and R check them (the first round is spread
    # over 6 minutes)
    return write_file(os.path.join(tmp, "checking.yaml"), "\n".join([
        "defaults: {interval: 1h, timeout: 5s}",
        "targets:",
        f'  - {{name: slowone, url: "{fx.url("/delay/1.5")}"}}',
        f'  - {{name: quick, url: "{fx.url("/ok")}"}}',
        ""]))


def row_of(s, name):
    return next((ln for ln in lines(s) if ln.split()[1:2] == [name]
                 and ln.split()[0] in BADGES), "")


def check_checking(r, fx, glyph):
    """r on a target whose answer takes 1.5 s: its row says checking from
    the key until the answer is in; R too; the detail view as well."""
    set_filter(r, "slowone")
    r.wait_for(lambda s: names(s) == ["slowone"])
    h0 = fx.hits("/delay/1.5")
    r.keys("r")
    ok, s = r.wait_for(lambda s: glyph in row_of(s, "slowone"), timeout=1.5)
    answered = fx.hits("/delay/1.5") > h0 and "UP" in row_of(s, "slowone")
    t.ok(ok and not answered, f"r: the row says {glyph} while the check runs", s)
    ok, s = r.wait_for(lambda s: row_of(s, "slowone").startswith("UP")
                       and glyph not in row_of(s, "slowone"))
    t.ok(ok and fx.hits("/delay/1.5") > h0, f"the answer replaces {glyph} (UP)", s)
    clear_filter(r)
    r.keys("R")
    ok, s = r.wait_for(lambda s: glyph in row_of(s, "slowone"), timeout=1.5)
    t.ok(ok, f"R: {glyph} on the rows being checked", s)
    ok, s = r.wait_for(lambda s: glyph not in s and len(rows(s)) == 2
                       and all(b == "UP" for b, _ in rows(s)))
    t.ok(ok, f"R: every {glyph} goes when the answers are in", s)
    set_filter(r, "slowone")
    r.keys("Enter")
    done = lambda s: int(m.group(1)) if (m := re.search(r"Checks\s+(\d+) done", s)) else -1  # noqa
    _, s = r.wait_for(lambda s: done(s) >= 0)
    before = done(s)
    r.keys("r")
    ok, s = r.wait_for(lambda s: re.search(r"^ slowone\s+UP since [^(]+\(\S+\)\s+" + re.escape(glyph),
                                           s, re.M),
                       timeout=1.5)
    t.ok(ok, f"r in the detail view: {glyph} beside the state", s)
    ok, s = r.wait_for(lambda s: re.search(r"^ slowone\s+UP since", s, re.M) and glyph not in s)
    t.ok(ok and done(s) > before, "and it goes with the answer", s)
    r.keys("Escape")
    clear_filter(r)


def checking_sessions(tmux, tmp, fx):
    cfg = checking_config(fx, tmp)
    for name, args, glyph in (("checking", ["-c", cfg], "checking…"),
                              ("checkascii", ["--ascii", "-c", cfg], "checking...")):
        r = Run(tmux, tmp, name, args, size=(80, 24))
        try:
            ok, s = r.wait_for(lambda s: sorted(names(s)) == ["quick", "slowone"])
            if t.ok(ok, f"{name}: the table is up", s):
                check_checking(r, fx, glyph)
            r.keys("q")
            t.eq(r.wait_exit(), 0, f"{name}: q exits 0")
        finally:
            r.close()


# ------------------------------------------- the timeline at midnight (issue 10)

def tz_midnight_in(seconds):
    """A POSIX TZ whose local midnight comes about `seconds` from now ->
    (TZ, offset: local time = UTC + offset, the midnight's epoch time)."""
    now = time.time()
    offset = int(86400 - seconds - now % 86400) % 86400
    h, m, sec = offset // 3600, offset // 60 % 60, offset % 60
    midnight = (int(now + offset) // 86400 + 1) * 86400 - offset
    return f"UPT-{h:02d}:{m:02d}:{sec:02d}", offset, midnight


def local_stamp(ts, offset):
    """"May 14 23:59:58" for epoch seconds ts in that zone."""
    tm = time.gmtime(ts + offset)
    return time.strftime("%b", tm) + f" {tm.tm_mday:2d} " + time.strftime("%H:%M:%S", tm)


def timeline_session(tmux, tmp, fx):
    """Midnight comes 5 s after the start (a TZ made for it): the events
    before it and after it carry their dates; a target down, then up
    again, says for how long it was down."""
    door = Fixture(tls=False)
    door.start()
    door.stop()           # its port refuses until it starts again
    try:
        cfg = write_file(os.path.join(tmp, "midnight.yaml"), "\n".join([
            "defaults: {interval: 1s, timeout: 500ms}",
            "targets:",
            f'  - {{name: door, url: "{door.url("/ok")}"}}',
            f'  - {{name: steady, url: "{fx.url("/ok")}"}}',
            ""]))
        until = 5.0 * SLOW
        tz, offset, midnight = tz_midnight_in(until)
        r = Run(tmux, tmp, "midnight", ["-c", cfg], size=(80, 24), env=[f"TZ={tz}"])
        try:
            ok, s = r.wait_for(lambda s: ("DOWN", "door") in rows(s) and ("UP", "steady") in rows(s))
            seen_down = time.monotonic()
            if not t.ok(ok and time.time() < midnight, "before midnight: door down, steady up", s):
                return
            time.sleep(max(0.0, midnight - time.time()) + 1.0)
            restarted = time.monotonic()
            door.start()
            ok, s = r.wait_for(lambda s: ("UP", "door") in rows(s))
            seen_up = time.monotonic()
            t.ok(ok, "after midnight: door answers again", s)
            r.keys("e")
            ok, s = r.wait_for(lambda s: re.search(r"door\s+down → up", s))
            today = local_stamp(time.time(), offset)[:6]
            yesterday = local_stamp(time.time() - 86400, offset)[:6]
            t.ok(ok and re.search(rf"^  {re.escape(today)} 00:00:\d\d  door\s+down → up", s, re.M)
                 and re.search(rf"^  {re.escape(yesterday)} 23:59:\d\d  door\s+pending → down",
                               s, re.M)
                 and re.search(rf"^  {re.escape(yesterday)} 23:59:\d\d  steady\s+pending → up",
                               s, re.M),
                 f"e: events across midnight carry their dates ({yesterday} 23:59, {today} 00:00)",
                 s)
            m = re.search(r"door\s+down → up \(down (\d+)s\)", s)
            low, high = restarted - seen_down - 1, seen_up - seen_down + 2 * SLOW
            t.ok(m and low <= int(m.group(1)) <= high,
                 f"the way back up says how long it was down ({m and m.group(1)} s, "
                 f"between {low:.0f} and {high:.0f})", s)
            t.ok(fits(s, 80, 24) and lines(s)[-1].startswith("EscBack"),
                 "the timeline fits 80x24", s)
            r.keys("Escape", "q")
            t.eq(r.wait_exit(), 0, "midnight: q exits 0")
        finally:
            r.close()
    finally:
        door.close()


# ----------------------------------------------------- an outage at 80x24 (issue 10)

def outage_session(tmux, tmp):
    """Three hosts go away at once: the banner says all of it on two
    lines at 80 columns, and the timeline's outage lines wrap whole."""
    from contextlib import ExitStack
    import test_outage
    with ExitStack() as stack:
        fxs, cfg = test_outage.three_hosts(stack, tmp, 5, "{interval: 1s, timeout: 500ms}",
                                           "out80.yaml")
        r = Run(tmux, tmp, "out80", ["-c", cfg], size=(80, 24))
        try:
            ok, s = r.wait_for(lambda s: re.search(r"\b15 up\b", lines(s)[1]), timeout=20 * SLOW)
            if not t.ok(ok, "80x24: 15 targets on 3 hosts up", s):
                return
            for f in fxs:
                f.stop()
            ok, s = r.wait_for(lambda s: "OUTAGE since" in s and re.search(r"\b15 down\b", s),
                               timeout=20 * SLOW)
            ls = lines(s)
            banner = " ".join(ln.strip() for ln in ls[2:4])
            t.ok(ok and ls[2].startswith(" OUTAGE since") and fits(s, 80, 24)
                 and banner.endswith("Likely uptop's own network or resolver.")
                 and re.search(r"\d+ targets failing on 3 hosts, mostly \w+; \d+ back\.", banner)
                 and "…" not in banner,
                 "80x24: the outage banner says all of it on two lines", s)
            t.ok(lines(s)[4].startswith("STATE") and lines(s)[-1].startswith("?Help"),
                 "the table goes on under the banner", s)
            r.keys("e")
            ok, s = r.wait_for(lambda s: re.search(r"\(uptop\)\s+OUTAGE", s))
            ls = lines(s)
            i = next((k for k, ln in enumerate(ls) if re.search(r"\(uptop\)\s+OUTAGE", ln)), 0)
            text = " ".join(ln.strip() for ln in ls[i:i + 3])
            t.ok(ok and fits(s, 80, 24) and "…" not in text
                 and re.search(r"OUTAGE\s+\d+ targets on 3 hosts began failing within \d+ s "
                               r"\(mostly \w+\): uptop's own network or resolver is likely down",
                               text)
                 and ls[i + 1].startswith(" " * 12),
                 "e at 80x24: the outage's sentence wraps whole under the name column", s)
            r.keys("Escape")
            for f in fxs:
                f.start()
            ok, s = r.wait_for(lambda s: "OUTAGE since" not in s and re.search(r"\b15 up\b", s),
                               timeout=20 * SLOW)
            t.ok(ok and lines(s)[2].startswith("STATE"), "back: the banner goes", s)
            r.keys("q")
            t.eq(r.wait_exit(), 0, "out80: q exits 0")
        finally:
            r.close()


# ------------------------------------------------------------------- main

def main():
    if not shutil.which("tmux"):
        t.skip("TUI tests", "tmux is not installed")
        return t.done()
    tmp = tempfile.mkdtemp(prefix="uptop-tui-")
    tmux = Tmux()
    try:
        with Fixture(tls=False) as fx:
            tmux.start()
            main_session(tmux, tmp, fx)
            small_session(tmux, tmp, fx)
            checking_sessions(tmux, tmp, fx)
            timeline_session(tmux, tmp, fx)
            outage_session(tmux, tmp)
            hostile_session(tmux, tmp, fx)
            conditions_session(tmux, tmp, fx)
            ascii_sessions(tmux, tmp, fx)
            signal_sessions(tmux, tmp, fx)
            hangup_session(tmp, fx)
            suspend_session(tmux, tmp, fx)
            refusal_sessions(tmux, tmp, fx)
    except Exception:
        t.ok(False, "test script raised", traceback.format_exc())
    finally:
        tmux.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    # tests/run.sh's timeout sends SIGTERM: unwind so tmux and the fixture go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
