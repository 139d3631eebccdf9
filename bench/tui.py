"""Workload (f): the live table under the steady load, in tmux.

Keypress-to-screen latency: send a key that changes the screen in a known
way (`?` opens the help, Esc closes it), then poll `tmux capture-pane` until
the change is there. The table itself changes all the time under load, so
the change is recognised by a line of the help screen, learnt once at the
start (a line present with the help open and absent without it).
CPU and peak RSS of the TUI come from /proc/PID of the pane's process.
"""

import os
import random
import shlex
import shutil
import statistics
import subprocess
import tempfile
import time

import tools

COLS, ROWS = 160, 50
POLL_S = 0.004            # between captures while waiting for a change
PRESS_TIMEOUT_S = 3.0     # a press with no visible change by then counts as lost
WARMUP_S = 12             # first round spreads over 10 % of the interval


class Tmux:
    def __init__(self):
        self.sock = f"uptop-bench-{os.getpid()}"
        self.base = ["tmux", "-L", self.sock, "-f", "/dev/null"]

    def run(self, *args, check=True):
        r = subprocess.run(self.base + list(args), capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def capture(self):
        return self.run("capture-pane", "-p", "-t", "bench")

    def keys(self, *keys):
        self.run("send-keys", "-t", "bench", *keys)

    def kill(self):
        self.run("kill-server", check=False)


def proc_cpu_s(pid):
    """user+sys seconds of pid so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def wait_for(tm, pred, timeout):
    """Polls the screen until pred(text) -> seconds it took, or None."""
    t0 = time.monotonic()
    while True:
        text = tm.capture()
        if pred(text):
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            return None
        time.sleep(POLL_S)


def learn_marker(tm, open_key, close_keys):
    """-> (marker line, close key): a help line that the table never shows."""
    before = tm.capture()
    tm.keys(open_key)
    time.sleep(1.0)
    shown = tm.capture()
    seen = set(ln.strip() for ln in before.splitlines())
    candidates = [ln.strip() for ln in shown.splitlines()
                  if len(ln.strip()) >= 10 and ln.strip() not in seen]
    # Prefer lines that look like key help: they do not change with the load.
    candidates.sort(key=lambda ln: (not any(w in ln.lower() for w in ("quit", "help", "key")),
                                    any(ch.isdigit() for ch in ln)))
    if not candidates:
        raise RuntimeError(f"`{open_key}` changed nothing recognisable:\n{shown}")
    marker = candidates[0]
    for ck in close_keys:
        tm.keys(ck)
        time.sleep(1.5)    # longer than a default ESCDELAY of 1 s
        if marker not in tm.capture():
            return marker, ck
    raise RuntimeError(f"none of {close_keys} closed the help screen")


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, max(0, round(p / 100 * (len(v) - 1))))]


def summary(lat, timeouts):
    ms = [x * 1000 for x in lat]
    return {"n": len(lat) + timeouts, "timeouts": timeouts, "p50": pct(ms, 50),
            "p95": pct(ms, 95), "max": max(ms) if ms else None,
            "mean": statistics.mean(ms) if ms else None}


def run_tui(wl, uptop, workdir, presses, log):
    if not shutil.which("tmux"):
        return {"error": "tmux is not installed"}
    if not uptop.available():
        return {"error": "uptop is not built"}
    d = tempfile.mkdtemp(prefix="tui-", dir=workdir)
    cfg = tools.uptop_config(os.path.join(d, "uptop.yaml"), wl.urls, wl.interval_s,
                             wl.timeout_s, wl.ca)
    tm = Tmux()
    env = dict(os.environ, LC_ALL="C.UTF-8", TERM="xterm-256color")
    cmd = f"exec {shlex.quote(uptop.bin)} -c {shlex.quote(cfg)} 2>{shlex.quote(d)}/stderr"
    try:
        subprocess.run(tm.base + ["new-session", "-d", "-s", "bench", "-x", str(COLS),
                                  "-y", str(ROWS), cmd], env=env, check=True)
        start = time.monotonic()
        pid = int(tm.run("display-message", "-p", "-t", "bench", "#{pane_pid}").strip())
        server = int(tm.run("display-message", "-p", "#{pid}").strip())
        if wait_for(tm, lambda s: "t0000" in s, 15) is None:
            raise RuntimeError(f"the table did not appear:\n{tm.capture()}")
        warm = max(0.0, min(WARMUP_S, wl.duration_s / 4) - (time.monotonic() - start))
        time.sleep(warm)
        cpu0, srv0, t0 = proc_cpu_s(pid), proc_cpu_s(server), time.monotonic()
        marker, close_key = learn_marker(tm, "?", ["Escape", "?"])
        log(f"f        help marker: {marker!r}, closed by {close_key}")
        lat = {"open": [], "close": []}
        lost = {"open": 0, "close": 0}
        rnd = random.Random(7)
        for i in range(presses):
            for kind, key, pred in (("open", "?", lambda s: marker in s),
                                    ("close", close_key, lambda s: marker not in s)):
                t = time.monotonic()
                tm.keys(key)
                took = wait_for(tm, pred, PRESS_TIMEOUT_S)
                if took is None:
                    lost[kind] += 1
                else:
                    lat[kind].append(time.monotonic() - t)
                # Off the frame grid, so presses do not all land just after a frame.
                time.sleep(0.15 + rnd.random() * 0.2)
        rest = wl.duration_s - (time.monotonic() - start)
        if rest > 0:
            time.sleep(rest)
        cpu1, srv1, t1 = proc_cpu_s(pid), proc_cpu_s(server), time.monotonic()
        rss = proc_hwm_kb(pid)
        tm.keys("q")
        time.sleep(0.5)
        res = {"open_key": "?", "close_key": close_key, "marker": marker,
               "window_s": t1 - t0, "cpu_pct": 100 * (cpu1 - cpu0) / (t1 - t0),
               "tmux_cpu_pct": 100 * (srv1 - srv0) / (t1 - t0), "rss_kb": rss,
               "lat": {"open": summary(lat["open"], lost["open"]),
                       "close": summary(lat["close"], lost["close"]),
                       "all": summary(lat["open"] + lat["close"],
                                      lost["open"] + lost["close"])},
               "raw_ms": {k: [round(x * 1000, 1) for x in v] for k, v in lat.items()}}
        log(f"f        open p50/p95 {res['lat']['open']['p50']}/{res['lat']['open']['p95']} ms, "
            f"close p50/p95 {res['lat']['close']['p50']}/{res['lat']['close']['p95']} ms, "
            f"cpu {res['cpu_pct']:.1f}%, rss {rss} kB")
        return res
    except (RuntimeError, OSError, ValueError, subprocess.CalledProcessError) as e:
        return {"error": str(e)[:2000]}
    finally:
        tm.kill()
