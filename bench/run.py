#!/usr/bin/env python3
"""uptop side by side with its peers, on the same URL lists, in one run.

    python3 bench/run.py [--reps N] [--only a,b,...] [--quick] [--smoke]
                         [--uptop PATH] [--rawcurl PATH] [--out FILE]

Workloads (see WORKLOADS below; every URL is on 127.0.0.0/8):
  blocking  20 x 1 s: the seed's blocking call inside async def, for scale
  a         1,000 URLs that answer after 1 s, once
  b         10,000 URLs that answer after 1 s, once
  c         scenario: 900 answer after 0-1 s, 50 hang, 50 refused; timeout 5 s
  tls       1,000 HTTPS URLs that answer after 1 s, a new TLS session each
  d         steady state: 10,000 targets every 10 s for 120 s (1,000 checks/s)
  g         (d) with a JSON condition on every target ("[BODY].status == UP")
  e         HTTPS steady state, keep-alive vs fresh_connection: CPU per check
  f         the TUI under (d) in tmux: keypress-to-screen latency, TUI CPU

Each repetition runs every tool of a workload once, in turn, starting one
tool later each time (A B C, B C A, C A B, ...), so slow drift of the
machine hits them alike and no tool always runs first after the fixture
starts or always right after the same neighbour. Reported: medians of
wall time (process start to exit), client CPU (user+sys of the process),
peak RSS (ru_maxrss), the worst false-DOWN count, and the failures each tool
reported for URLs that do fail. The markdown goes to stdout and to --out.
A ratio to raw libcurl (the floor) counts only its sound runs: none
killed, none with an overdue or failed check. libcurl 7.88 can fall into
walking a pool of thousands of connections per transfer (the README), and
a ratio against that would flatter uptop; the report names the runs it
left out, and gives no verdict when none is left.

--smoke (used by `make check`): tiny workloads, one repetition, TAP lines,
nginx if installed else tests/fixture.py; < 30 s.
"""

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixtures  # noqa: E402
import report  # noqa: E402
import tools  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "ALL_PROXY", "no_proxy", "NO_PROXY")


# ------------------------------------------------------------ workloads

@dataclass
class Workload:
    key: str
    title: str
    kind: str                      # "once", "steady" or "tui"
    urls: list = field(default_factory=list)
    expect: list = field(default_factory=list)   # per URL: "ok", "hang", "refused"
    timeout_s: float = 5
    tls: bool = False
    ca: str = None
    tools: list = field(default_factory=list)    # tool keys, in run order
    interval_s: float = 10
    duration_s: float = 60
    timeout_kill_s: float = 120    # the whole run is killed after this
    conditions: list = field(default_factory=list)   # uptop: on every target


ONCE_TOOLS = ["uptop", "rawcurl", "aiohttp0", "aiohttp100", "curl-Z"]


def build_workloads(fx, quick):
    """The URL lists, generated against fixture fx. Sizes shrink with
    quick; the shapes stay the same."""
    q = quick
    rnd = random.Random(42)     # the same scenario every run
    wls = {}

    def delay_urls(n, secs, tls=False):
        return [fx.url(f"/delay/{secs}?i={i}", i, tls) for i in range(n)]

    n = 3 if q else 20
    wls["blocking"] = Workload("blocking", f"{n} x {0.2 if q else 1} s, blocking call in async",
                               "once", delay_urls(n, 0.2 if q else 1), ["ok"] * n,
                               tools=["blocking", "aiohttp0", "uptop", "rawcurl"],
                               timeout_kill_s=60)
    n = 50 if q else 1000
    wls["a"] = Workload("a", f"{n:,} x {0.3 if q else 1} s", "once", delay_urls(n, 0.3 if q else 1),
                        ["ok"] * n, tools=ONCE_TOOLS)
    n = 500 if q else 10000
    wls["b"] = Workload("b", f"{n:,} x 1 s", "once", delay_urls(n, 1), ["ok"] * n,
                        tools=ONCE_TOOLS, timeout_kill_s=180)

    nok, nhang, nref = (30, 5, 5) if q else (900, 50, 50)
    items = ([("ok", i) for i in range(nok)] + [("hang", i) for i in range(nhang)] +
             [("refused", i) for i in range(nref)])
    rnd.shuffle(items)
    urls, expect = [], []
    for k, (kind, i) in enumerate(items):
        if kind == "ok":
            secs = rnd.randint(0, 300 if q else 1000) / 1000
            urls.append(fx.url(f"/delay/{secs}?i={k}", k))
        elif kind == "hang":
            urls.append(fx.url(f"/hang?i={k}", k))
        else:
            urls.append(fx.refused_url(k) + f"?i={k}")
        expect.append(kind)
    wls["c"] = Workload("c", f"scenario: {nok} ok after 0-{0.3 if q else 1} s, {nhang} hang, "
                             f"{nref} refused, timeout {1 if q else 5} s",
                        "once", urls, expect, timeout_s=1 if q else 5, tools=ONCE_TOOLS)

    n = 50 if q else 1000
    if fx.tls_port:
        wls["tls"] = Workload("tls", f"{n:,} HTTPS x {0.5 if q else 1} s, new TLS each", "once",
                              delay_urls(n, 0.5 if q else 1, tls=True), ["ok"] * n,
                              tls=True, ca=fx.ca, tools=ONCE_TOOLS)

    n = 200 if q else 10000
    # 120 s: the steady window (40 s to the end) holds eight rounds, so
    # one slow minute of this shared machine weighs an eighth, not half
    dur = 3 if q else 120
    wls["d"] = Workload("d", f"steady: {n:,} targets every {2 if q else 10} s for {dur} s",
                        "steady", [fx.url(f"/ok?i={i}", i) for i in range(n)], ["ok"] * n,
                        interval_s=2 if q else 10, timeout_s=1 if q else 5, duration_s=dur,
                        tools=["uptop", "uptop-nohist", "rawcurl"], timeout_kill_s=dur + 60)
    wls["g"] = Workload("g", f"steady with a JSON condition: {n:,} targets every "
                             f"{2 if q else 10} s for {dur} s",
                        "steady", [fx.url(f"/json/health?i={i}", i) for i in range(n)],
                        ["ok"] * n, interval_s=2 if q else 10, timeout_s=1 if q else 5,
                        duration_s=dur, tools=["uptop", "uptop-nohist", "rawcurl"],
                        timeout_kill_s=dur + 60,
                        conditions=["[STATUS] == 200", "[BODY].status == UP"])
    if fx.tls_port:
        n = 100 if q else 2000
        dur = 4 if q else 30
        wls["e"] = Workload("e", f"HTTPS steady: {n:,} targets every {2 if q else 10} s "
                                 f"for {dur} s, keep-alive vs fresh",
                            "steady", [fx.url(f"/ok?i={i}", i, tls=True) for i in range(n)],
                            ["ok"] * n, tls=True, ca=fx.ca, interval_s=2 if q else 10,
                            timeout_s=1 if q else 5, duration_s=dur,
                            tools=["uptop", "rawcurl", "uptop-fresh", "rawcurl-fresh"],
                            timeout_kill_s=dur + 60)
    n = 200 if q else 10000
    dur = 8 if q else 60
    wls["f"] = Workload("f", f"TUI under steady load: {n:,} targets every "
                             f"{2 if q else 10} s, {dur} s", "tui",
                        [fx.url(f"/ok?i={i}", i) for i in range(n)], ["ok"] * n,
                        interval_s=2 if q else 10, timeout_s=1 if q else 5, duration_s=dur,
                        tools=["uptop"], timeout_kill_s=dur + 60)
    return wls


# ------------------------------------------------------------ measuring

def child_env():
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env["LC_ALL"] = "C.UTF-8"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def measure(argv, out_path, err_path, timeout_s, cwd=None):
    """Runs argv to completion -> {wall, cpu, user, sys, rss_kb, rc, killed}.

    The command runs under bench/meter.py, which forks it from a small
    process and reports its rusage (see there why ru_maxrss needs that).
    A thread does the blocking wait so the main thread can enforce
    timeout_s; then the whole process group is killed."""
    meter_out = out_path + ".rusage"
    done = {}
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen([sys.executable, "-S", str(BENCH / "meter.py"), meter_out, *argv],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                             env=child_env(), cwd=cwd, start_new_session=True)

        def reap():
            _, status, _ = os.wait4(p.pid, 0)
            done.update(t1=time.monotonic(), status=status)

        th = threading.Thread(target=reap, daemon=True)
        th.start()
        th.join(timeout_s)
        killed = th.is_alive()
        if killed:
            os.killpg(p.pid, signal.SIGKILL)
            th.join()
    p.returncode = os.waitstatus_to_exitcode(done["status"])   # reaped already
    try:
        with open(meter_out) as f:
            m = json.load(f)
    except (OSError, ValueError):    # killed before the meter wrote it
        m = {"wall": done["t1"] - t0, "user": 0.0, "sys": 0.0, "rss_kb": 0, "status": -1}
    rc = os.waitstatus_to_exitcode(m["status"]) if m["status"] >= 0 else None
    return {"wall": m["wall"], "cpu": m["user"] + m["sys"], "user": m["user"],
            "sys": m["sys"], "rss_kb": m["rss_kb"], "rc": rc, "killed": killed}


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Sysctls:
    """Loopback burst settings for the run, restored on exit: 10,000
    simultaneous connects overflow the default SYN and accept queues (the
    kernel then drops SYNs and the client retries 1 s later: a false slow
    answer that is the fixture's fault, not the client's)."""

    WANT = {"net.core.somaxconn": "32768", "net.ipv4.tcp_max_syn_backlog": "32768"}

    def __init__(self, enabled):
        self.enabled = enabled and os.geteuid() == 0
        self.saved = {}

    @staticmethod
    def _path(key):
        return "/proc/sys/" + key.replace(".", "/")

    def __enter__(self):
        if not self.enabled:
            return self
        for k, v in self.WANT.items():
            try:
                with open(self._path(k)) as f:
                    old = f.read().strip()
                if int(old.split()[0]) < int(v):
                    with open(self._path(k), "w") as f:
                        f.write(v)
                    self.saved[k] = old
            except (OSError, ValueError):
                pass    # not allowed here: run with the defaults
        return self

    def __exit__(self, *exc):
        for k, old in self.saved.items():
            try:
                with open(self._path(k), "w") as f:
                    f.write(old)
            except OSError as e:
                print(f"bench: could not restore {k}={old}: {e}", file=sys.stderr)


def load1():
    return os.getloadavg()[0]


def steal_s():
    """CPU time the hypervisor gave to others, all CPUs, since boot
    (/proc/stat's 8th field): a run that lost much of it ran slow for a
    reason outside both tools."""
    try:
        with open("/proc/stat") as f:
            return int(f.readline().split()[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# -------------------------------------------------------------- running

def score_once(wl, res):
    """false DOWN, missed failures and reported failures of one run."""
    false_down = missing = missed = reported = with_msg = 0
    classes = Counter()
    for exp, r in zip(wl.expect, res):
        if r is None:
            missing += 1
            if exp == "ok":
                false_down += 1
            continue
        if exp == "ok":
            false_down += not r["ok"]
        elif r["ok"]:
            missed += 1
        else:
            reported += 1
            with_msg += bool(r["error"])
            classes[(exp, r["class"] or "-")] += 1
    failed_total = sum(1 for r in res if r and not r["ok"])
    msgs = Counter(r["error"] for r in res if r and not r["ok"] and r["error"])
    return {"false_down": false_down, "missing": missing, "missed_failures": missed,
            "failures_reported": reported, "failures_with_msg": with_msg,
            "failures_total": failed_total, "distinct_msgs": len(msgs),
            "classes": {f"{k[0]}->{k[1]}": v for k, v in sorted(classes.items())}}


def make_tools(args):
    py = tools.python_with_aiohttp()
    return {
        "uptop": tools.Uptop(args.uptop),
        "uptop-fresh": tools.Uptop(args.uptop, fresh=True),
        "uptop-nohist": tools.Uptop(args.uptop, history=False),
        "rawcurl": tools.RawCurl(args.rawcurl),
        "rawcurl-fresh": tools.RawCurl(args.rawcurl, fresh=True),
        "aiohttp0": tools.Aiohttp(py, 0),
        "aiohttp100": tools.Aiohttp(py, 100),
        "curl-Z": tools.CurlZ(),
        "blocking": tools.Blocking(py),
    }


SETTLE_S = 0.3


def in_turn(keys, rep):
    """The tools of repetition rep: keys rotated by rep (see the docstring)."""
    k = rep % len(keys) if keys else 0
    return keys[k:] + keys[:k]


def settle():
    """Lets the fixture drop the last run's connections before the next."""
    time.sleep(SETTLE_S)


def run_once_workload(wl, toolset, reps, workdir, log):
    runs = []
    for rep in range(reps):
        for key in in_turn(wl.tools, rep):
            t = toolset[key]
            if not t.available():
                continue
            d = tempfile.mkdtemp(prefix=f"{wl.key}-{key}-", dir=workdir)
            argv = t.once_argv(wl, d)
            before = load1()
            m = measure(argv, os.path.join(d, "out"), os.path.join(d, "err"), wl.timeout_kill_s)
            res, stats = t.parse_once(wl, os.path.join(d, "out"), os.path.join(d, "err"))
            s = score_once(wl, res)
            run = {"workload": wl.key, "tool": key, "rep": rep, "load1": before, **m, **s}
            if stats:
                run["longest_turn_ms"] = stats.get("longest_turn_ms")
                run["lag_p99_ms"] = stats.get("lag_p99_ms")
            runs.append(run)
            log(f"{wl.key:8} rep {rep + 1}/{reps} {key:14} wall {m['wall']:7.3f} s  "
                f"cpu {m['cpu']:6.2f} s  rss {m['rss_kb'] / 1024:6.1f} MB  "
                f"false-down {s['false_down']}  failures {s['failures_total']}"
                f"{'  KILLED' if m['killed'] else ''}  (load {before:.2f})")
            settle()
    return runs


def run_steady_workload(wl, toolset, reps, workdir, log):
    runs = []
    for rep in range(reps):
        for key in in_turn(wl.tools, rep):
            t = toolset[key]
            if not t.available():
                continue
            d = tempfile.mkdtemp(prefix=f"{wl.key}-{key}-", dir=workdir)
            before, steal0 = load1(), steal_s()
            m = measure(t.steady_argv(wl, d), os.path.join(d, "out"), os.path.join(d, "err"),
                        wl.timeout_kill_s)
            steal1 = steal_s()
            m["steal_s"] = steal1 - steal0 if steal0 is not None and steal1 is not None else None
            s = t.parse_steady(wl, os.path.join(d, "out"), os.path.join(d, "err")) or {}
            checks = s.get("checks") or 0
            run = {"workload": wl.key, "tool": key, "rep": rep, "load1": before, **m, **s,
                   "cpu_pct": 100 * m["cpu"] / m["wall"] if m["wall"] else None,
                   "cpu_us_per_check": 1e6 * m["cpu"] / checks if checks else None,
                   "checks_per_s": checks / m["wall"] if m["wall"] else None}
            runs.append(run)
            log(f"{wl.key:8} rep {rep + 1}/{reps} {key:14} checks {checks}  "
                f"cpu {run['cpu_pct'] or 0:5.1f}%  "
                f"{run['cpu_us_per_check'] or 0:6.1f} us/check  "
                f"steady {run.get('steady_us_per_check') or 0:6.1f}  rss {m['rss_kb'] / 1024:6.1f} MB  "
                f"lag p99 {s.get('lag_p99_ms', '-')}  overdue {s.get('overdue', '-')}  "
                f"false-down {s.get('false_down', '-')}  (load {before:.2f}, "
                f"steal {fmt_steal(m['steal_s'])})")
            settle()
    return runs


def fmt_steal(v):
    return "-" if v is None else f"{v:.1f} s"


# ----------------------------------------------------------------- smoke

class Tap:
    def __init__(self, start=1):
        self.n = start - 1
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {desc}", flush=True)
        if not cond:
            self.failed += 1
            for line in str(diag or "").splitlines():
                print(f"# {line}", flush=True)
        return cond

    def skip(self, desc, why):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {why}", flush=True)


def smoke_checks(tap, wls, available, runs, table):
    """What must hold even at toy sizes: every tool ran, was parsed, and
    told the slow-but-fine URLs from the failing ones. available: tool key
    -> whether it could run (taken before the run's temp dir went away)."""
    for wl in wls:
        for key in wl.tools:
            mine = [r for r in runs if r["workload"] == wl.key and r["tool"] == key]
            name = f"{wl.key}: {key}"
            if not available[key]:
                tap.skip(name, "not available here")
                continue
            if not mine:
                tap.ok(False, f"{name} ran")
                continue
            r = mine[0]
            if wl.kind == "once":
                must_fail = sum(e != "ok" for e in wl.expect)
                # aiohttp's default connector and curl -Z queue on purpose:
                # only their parsing is checked, not their verdicts.
                strict = key in ("uptop", "rawcurl", "aiohttp0", "blocking")
                good = (not r["killed"] and r["missing"] == 0 and
                        (not strict or (r["false_down"] == 0 and
                                        r["failures_reported"] == must_fail)))
                if key == "uptop" and must_fail:
                    cls = r["classes"]
                    good = good and cls.get("hang->timeout", 0) == wl.expect.count("hang") \
                        and cls.get("refused->refused", 0) == wl.expect.count("refused")
                tap.ok(good, f"{name}: {len(wl.urls)} results parsed, "
                             f"{r['false_down']} false DOWN, {r['failures_reported']}/"
                             f"{must_fail} failures reported",
                       json.dumps(r, default=str))
            else:
                good = (not r["killed"] and (r.get("checks") or 0) > 0 and
                        r.get("false_down") == 0)
                tap.ok(good, f"{name}: {r.get('checks')} checks, "
                             f"false DOWN {r.get('false_down')}", json.dumps(r, default=str))
    tap.ok("| workload |" in table and "| tool" in table, "markdown table printed")


# ------------------------------------------------------------------ main

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=3, help="runs per tool and workload (3)")
    p.add_argument("--only", help="comma-separated workloads (default: all)")
    p.add_argument("--quick", action="store_true", help="small sizes, 1 repetition")
    p.add_argument("--smoke", action="store_true", help="--quick plus TAP checks")
    p.add_argument("--tap-start", type=int, default=1, help="first TAP test number")
    p.add_argument("--fixture", choices=("auto", "nginx", "python"), default="auto")
    p.add_argument("--uptop", default=os.environ.get("UPTOP_BIN") or str(REPO / "build" / "uptop"))
    p.add_argument("--rawcurl", default=str(REPO / "build" / "bench" / "rawcurl"))
    p.add_argument("--out", help="also write the markdown report here")
    p.add_argument("--json", help="write every run's raw figures here")
    p.add_argument("--presses", type=int, default=40, help="(f) keypresses to time")
    p.add_argument("--no-sysctl", action="store_true",
                   help="leave somaxconn / tcp_max_syn_backlog alone")
    a = p.parse_args()
    if a.smoke:
        a.quick = True
        a.no_sysctl = True      # toy sizes need no kernel tuning
    if a.quick:
        a.reps = 1
        global SETTLE_S
        SETTLE_S = 0.05
    return a


def snapshot_uptop(args, workdir):
    """Copies the uptop binary into the run's temp dir, so a rebuild while
    the benchmark runs (make in another shell) cannot mix two builds in one
    table; args.uptop_built records which build was measured."""
    args.uptop_built = None
    if not os.access(args.uptop, os.X_OK):
        return
    args.uptop_built = datetime.datetime.fromtimestamp(
        os.stat(args.uptop).st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    copy = os.path.join(workdir, "uptop")
    shutil.copy2(args.uptop, copy)
    args.uptop = copy


def pick_fixture(args, workdir):
    want_nginx = args.fixture == "nginx" or (args.fixture == "auto" and fixtures.Nginx.available())
    if want_nginx:
        if not fixtures.Nginx.available():
            sys.exit("bench: nginx with the echo module is not installed "
                     "(EXTRA=\"nginx-light libnginx-mod-http-echo\" scripts/deps.sh ensure)")
        cert, key = fixtures.make_cert(workdir)
        return lambda: fixtures.Nginx(workdir, cert, key)
    return lambda: fixtures.PyFixture(workdir, tls=not args.smoke)


def main():
    args = parse_args()
    log = (lambda m: print(f"# {m}", flush=True)) if args.smoke else \
        (lambda m: print(m, file=sys.stderr, flush=True))
    raise_nofile()
    workdir = tempfile.mkdtemp(prefix="uptop-bench-")
    if args.only:
        order = args.only.split(",")
    elif args.smoke:
        order = ["blocking", "a", "c", "d"]
    else:
        order = ["blocking", "a", "b", "c", "tls", "d", "g", "e", "f"]
    snapshot_uptop(args, workdir)
    toolset = make_tools(args)
    available = {k: t.available() for k, t in toolset.items()}
    new_fixture = pick_fixture(args, workdir)
    runs, used, tui = [], [], None
    fixture_name = fixture_version = "none"
    started = time.time()
    try:
        with Sysctls(not args.no_sysctl):
            for key in order:
                # A fresh server per workload: no hung or idle connections
                # from the last one linger into this one.
                with new_fixture() as fx:
                    wls = build_workloads(fx, args.quick)
                    if key not in wls:
                        log(f"{key}: skipped (not available with {fx.name})")
                        continue
                    wl = wls[key]
                    used.append(wl)
                    log(f"== {key}: {wl.title} ({fx.name}, load {load1():.2f})")
                    if wl.kind == "once":
                        runs += run_once_workload(wl, toolset, args.reps, workdir, log)
                    elif wl.kind == "steady":
                        runs += run_steady_workload(wl, toolset, args.reps, workdir, log)
                    else:
                        import tui as tuimod
                        tui = tuimod.run_tui(wl, toolset["uptop"], workdir, args.presses, log)
                fixture_name, fixture_version = fx.name, fx.version()
        env = report.environment(args, toolset, fixture_version, started, time.time())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    md = report.markdown(used, runs, tui, toolset, env, args)
    print(md)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": env, "runs": runs, "tui": tui}, f, indent=1, default=str)
    if args.smoke:
        tap = Tap(args.tap_start)
        tap.ok(True, f"fixture: {fixture_name}")
        smoke_checks(tap, used, available, runs, md)
        print(f"1..{tap.n}")
        return 1 if tap.failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
