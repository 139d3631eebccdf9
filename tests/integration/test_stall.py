# uptop-test: alone (it measures loop lag under load; tests/run.sh runs it with nothing beside it)
"""uptop's own stalls are never blamed on targets (issue 8 §1).

50 targets answer in 0.5 s (interval 4 s, timeout 3 s). uptop is stopped
for 5 s while a round of them is in flight: with SIGSTOP/SIGCONT under
--headless, and with Ctrl-Z and SIGCONT ("fg") in the live table. Before
the fix 38-40 of 50 went DOWN "timed out after 5193 ms waiting for the
response". Now: no target leaves UP, the checks in flight are voided and
run again, and the stall is said: a "stall" line with its length and the
checks voided, the stats counter, the TUI's event timeline and header.
Network: 127.0.0.1 only."""

import os
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, Fixture, Running, wait_until, write_config  # noqa: E402

t = Tap()

TARGETS = 50
STOP_S = 5.0
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1


def config(fx, tmp, name="stall.yaml"):
    rows = "\n".join(f'  - {{name: s{i:02d}, url: "{fx.url(f"/delay/0.5?i={i}")}"}}'
                     for i in range(TARGETS))
    return write_config(tmp, "defaults: {interval: 4s, timeout: 3s}\ntargets:\n" + rows + "\n",
                        name=name)


def hits(fx):
    return fx.stats().get("/delay/0.5", 0)


def stop_in_flight(fx, stop, cont):
    """Waits until half of a new round's requests have reached the
    fixture, then stops uptop at once: the round's 50 checks start within
    0.4 s (10% of the interval) and each takes 0.5 s, so from there on
    some are in flight for 0.5 s or more, far longer than this takes."""
    base = hits(fx)
    wait_until(lambda: hits(fx) >= base + TARGETS // 2, timeout=10, every=0.005)
    stop()
    time.sleep(STOP_S)
    cont()
    return base


def check_headless(fx, tmp):
    cfg = config(fx, tmp)
    p = Running(["--headless", "-c", cfg])
    try:
        up = lambda: sum(1 for o in p.json_out() if o.get("new") == "up")  # noqa: E731
        t.ok(wait_until(lambda: up() == TARGETS, timeout=20 * SLOW),
             "all 50 targets come up first", p.out_lines[-3:])
        stop_in_flight(fx, lambda: p.send(signal.SIGSTOP), lambda: p.send(signal.SIGCONT))
        t.ok(p.wait_out(lambda o: o.get("type") == "stall", timeout=10 * SLOW),
             "SIGCONT: a stall line")
        # Two more rounds: the voided checks ran again and the grid goes on.
        base = hits(fx)
        wait_until(lambda: hits(fx) >= base + 2 * TARGETS, timeout=20 * SLOW)
    finally:
        rc = p.stop()
    lines = p.json_out()
    downs = [o for o in lines if o.get("type") == "state" and o.get("new") != "up"]
    stalls = [o for o in lines if o.get("type") == "stall"]
    stats = [o for o in lines if o.get("type") == "stats"]
    t.eq(len(downs), 0, "stopped 5 s with 50 checks in flight: no target leaves UP")
    t.eq(rc, 0, "exit 0: every target up")
    big = [o for o in stalls if o.get("ms", 0) >= 1000]
    t.ok(len(big) == 1, "one stall line for the stop", stalls)
    if big:
        s = big[0]
        t.ok(set(s) >= {"type", "time", "ms", "checks_voided", "reason"},
             "it carries time, ms, checks_voided and a reason", s)
        t.ok(STOP_S * 1000 - 1000 <= s["ms"] <= STOP_S * 1000 + 3000,
             f"its length is the stop's ({s['ms']} ms for a {STOP_S:.0f} s stop)")
        t.ok(1 <= s["checks_voided"] <= TARGETS,
             f"the checks in flight were voided ({s['checks_voided']})")
        t.ok(str(s.get("time", "")).endswith("Z"), "with a UTC time", s.get("time"))
    st = stats[-1] if stats else {}
    t.ok(st.get("stalls", 0) >= 1 and st.get("checks_voided", 0) >= 1,
         "the stats line counts stalls and voided checks", st)


class Shell:
    """An interactive bash in a tmux pane: job control, so Ctrl-Z stops
    the foreground job and `fg` continues it, as on a jump box. (A
    program run straight in a pane is an orphaned process group, for
    which the kernel drops the terminal's stop signals.)"""

    def __init__(self, tmux, tmp, name):
        self.tmux, self.name, self.dir = tmux, name, os.path.join(tmp, name)
        os.makedirs(self.dir)
        tmux.run("new-session", "-d", "-s", name, "-x", "140", "-y", "40",
                 "env PS1='$ ' bash --norc --noprofile -i")

    def keys(self, *k):
        self.tmux.run("send-keys", "-t", self.name, *k)

    def line(self, text):
        self.tmux.run("send-keys", "-t", self.name, "-l", text)
        self.keys("Enter")

    def screen(self):
        return self.tmux.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, test, timeout):
        ok = wait_until(lambda: test(self.screen()), timeout=timeout)
        return bool(ok), self.screen()

    def pid(self):
        path = os.path.join(self.dir, "pid")
        wait_until(lambda: os.path.exists(path), timeout=10)
        with open(path) as f:
            return int(f.read().strip())

    def state(self, pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "?"

    def close(self):
        self.tmux.run("kill-session", "-t", self.name, check=False)


def check_tui(fx, tmp):
    """Ctrl-Z in the live table, 5 s later `fg`: the same promise."""
    if not shutil.which("tmux") or not shutil.which("bash"):
        t.skip("Ctrl-Z in the live table", "tmux or bash is not installed")
        return
    import test_tui as tui
    tmux = tui.Tmux().start()
    sh = None
    try:
        cfg = config(fx, tmp, "stall-tui.yaml")
        sh = Shell(tmux, tmp, "ctrlz")
        sh.line(f"sh -c 'echo $$ > {sh.dir}/pid; exec env -u NO_COLOR TERM={tui.TERMINAL} "
                f"LC_ALL={tui.UTF8} {tui.uptop_bin()} -c {cfg}'")
        pid = sh.pid()
        header = lambda s: tui.lines(s)[1] if len(tui.lines(s)) > 1 else ""  # noqa: E731
        ok, s = sh.wait_for(lambda s: f"{TARGETS} up" in header(s), timeout=20 * SLOW)
        t.ok(ok, "live table: the targets come up", s)
        stopped = []

        def ctrl_z():
            sh.keys("C-z")
            stopped.append(wait_until(lambda: sh.state(pid) == "T", timeout=2))

        stop_in_flight(fx, ctrl_z, lambda: sh.line("fg"))
        t.ok(stopped == [True], "Ctrl-Z stopped uptop (process state T), fg continued it")
        ok, s = sh.wait_for(lambda s: re.search(r"\b1 stall\b", header(s)), timeout=10 * SLOW)
        t.ok(ok, "after fg: the header counts the stall", s)
        base = hits(fx)
        wait_until(lambda: hits(fx) >= base + TARGETS, timeout=20 * SLOW)
        sh.keys("e")
        sh.wait_for(lambda s: "newest first" in s, timeout=5 * SLOW)
        ok, s = sh.wait_for(lambda s: re.search(r"\(uptop\)\s+stall \d+ ms\s+uptop did not run for", s),
                            timeout=2 * SLOW)
        t.ok(ok, "the event timeline has a line for the stall", s)
        t.ok("newest first" in s and not re.search(r"→ (down|confirming)", s),
             "and no target went down or confirming, a round later", s)
        sh.keys("Escape")
        sh.keys("q")
        t.ok(wait_until(lambda: sh.state(pid) == "?", timeout=10 * SLOW), "q: uptop ends")
    except Exception:
        t.ok(False, "TUI part raised", traceback.format_exc())
    finally:
        if sh:
            sh.close()
        tmux.kill()


def main():
    tmp = tempfile.mkdtemp(prefix="uptop-stall-")
    try:
        with Fixture(tls=False) as fx:
            check_headless(fx, tmp)
            check_tui(fx, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
