"""Markdown for the benchmark: medians, ratios, and the goals met or not."""

import datetime
import os
import platform
import shlex
import statistics
import subprocess
import sys


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def worst(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return max(vals) if vals else None


def sound(runs):
    """The runs of a floor (raw libcurl) that did the job: none killed,
    none skipped a check or failed one. A floor that fell behind (libcurl
    7.88 walking a pool grown to thousands of connections: the README)
    burns CPU a healthy one does not, and a ratio against it would flatter
    uptop; such runs are left out, and said to be."""
    return [r for r in runs if not r.get("killed") and not r.get("overdue") and
            not r.get("false_down")]


def unsound_note(runs):
    """'' or why some floor runs were left out of its median."""
    ok = sound(runs)
    bad = [r for r in runs if r not in ok]
    if not bad:
        return ""
    why = "; ".join(f"rep {r['rep'] + 1}: " + ("killed" if r.get("killed") else
                    f"{r.get('overdue') or 0:,} overdue, {r.get('false_down') or 0} failed")
                    for r in bad)
    return f"raw libcurl: {len(bad)} of {len(runs)} runs left out, it fell behind ({why})"


def fmt(v, nd=2, suffix=""):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}{suffix}"
    return f"{v:,}{suffix}"


def ratio(a, b):
    return a / b if a is not None and b else None


def rtxt(v):
    return "–" if v is None else f"{v:.2f}×"


def _cmd(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def environment(args, toolset, fixture_version, started, ended):
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        pass
    py = toolset["aiohttp0"].py
    aio = _cmd([py, "-c", "import aiohttp,sys; print('Python', sys.version.split()[0] + ', aiohttp',"
                    " aiohttp.__version__)"]) if py else ""
    up = toolset["uptop"]
    return {
        "date": datetime.datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M"),
        "minutes": round((ended - started) / 60, 1),
        "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
        "uptop": (_cmd([up.bin, "-V"]).split("\n")[0] + f" (built {args.uptop_built})")
        if up.available() else "not built",
        "libcurl": (_cmd([up.bin, "-V"]).split("\n") + [""])[1].split(" ")[0] if up.available() else "",
        "curl": _cmd(["curl", "--version"]).splitlines()[0] if _cmd(["curl", "--version"]) else "",
        "python_aiohttp": aio, "fixture": fixture_version,
        "command": "python3 bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "reps": args.reps,
    }


def once_table(wls, runs, toolset):
    out = ["| workload | tool | wall s | CPU s | peak RSS MB | false DOWN | failures reported "
           "(with text) | wall × aiohttp0 | CPU × aiohttp0 | RSS × aiohttp0 | wall × raw | "
           "CPU × raw | RSS × raw |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for wl in wls:
        if wl.kind != "once":
            continue
        by = {k: [r for r in runs if r["workload"] == wl.key and r["tool"] == k] for k in wl.tools}
        base = {k: {m: med(by.get(k, []), m) for m in ("wall", "cpu", "rss_kb")}
                for k in ("aiohttp0", "rawcurl")}
        must_fail = sum(e != "ok" for e in wl.expect)
        for k in wl.tools:
            rs = by[k]
            if not rs:
                continue
            w, c, m = med(rs, "wall"), med(rs, "cpu"), med(rs, "rss_kb")
            rep = f"{fmt(med(rs, 'failures_reported'), 0)}/{must_fail} " \
                  f"({fmt(med(rs, 'failures_with_msg'), 0)})" if must_fail else "–"
            killed = " (killed)" if any(r["killed"] for r in rs) else ""
            a0, rw = base["aiohttp0"], base["rawcurl"]
            out.append(
                f"| {wl.key}: {wl.title} | {toolset[k].label}{killed} | {fmt(w)} | {fmt(c)} | "
                f"{fmt(m / 1024 if m else None, 1)} | {fmt(worst(rs, 'false_down'))} | {rep} | "
                f"{rtxt(ratio(w, a0['wall']))} | {rtxt(ratio(c, a0['cpu']))} | "
                f"{rtxt(ratio(m, a0['rss_kb']))} | {rtxt(ratio(w, rw['wall']))} | "
                f"{rtxt(ratio(c, rw['cpu']))} | {rtxt(ratio(m, rw['rss_kb']))} |")
    return out


def steady_table(wls, runs, toolset):
    out = ["| workload | tool | checks | checks/s | CPU % of a core | CPU µs/check | "
           "× raw | steady µs/check | × raw | peak RSS MB | loop lag p99 ms | lag max ms | "
           "longest turn ms | overdue | false DOWN | steal s (max) |",
           "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for wl in wls:
        if wl.kind != "steady":
            continue
        for k in wl.tools:
            rs = [r for r in runs if r["workload"] == wl.key and r["tool"] == k]
            if not rs:
                continue
            raw_key = "rawcurl-fresh" if k.endswith("-fresh") else "rawcurl"
            raw = sound([r for r in runs if r["workload"] == wl.key and r["tool"] == raw_key])
            per = med(rs, "cpu_us_per_check")
            st = med(rs, "steady_us_per_check")
            out.append(
                f"| {wl.key}: {wl.title} | {toolset[k].label} | {fmt(med(rs, 'checks'), 0)} | "
                f"{fmt(med(rs, 'checks_per_s'), 0)} | {fmt(med(rs, 'cpu_pct'), 1)} | "
                f"{fmt(per, 1)} | {rtxt(ratio(per, med(raw, 'cpu_us_per_check')))} | "
                f"{fmt(st, 1)} | {rtxt(ratio(st, med(raw, 'steady_us_per_check')))} | "
                f"{fmt(med(rs, 'rss_kb') / 1024, 1)} | {fmt(med(rs, 'lag_p99_ms'))} | "
                f"{fmt(med(rs, 'lag_max_ms'))} | {fmt(med(rs, 'longest_turn_ms'))} | "
                f"{fmt(worst(rs, 'overdue'))} | {fmt(worst(rs, 'false_down'))} | "
                f"{fmt(worst(rs, 'steal_s'), 1)} |")
    return out


def tui_table(tui):
    if not tui:
        return []
    if tui.get("error"):
        return [f"TUI measurement failed: {tui['error']}"]
    out = ["| what | p50 ms | p95 ms | max ms | presses (timed out) |", "|---|--:|--:|--:|--:|"]
    for k, label in (("open", f"`{tui['open_key']}` opens help"),
                     ("close", f"`{tui['close_key']}` closes it"), ("all", "all presses")):
        s = tui["lat"][k]
        out.append(f"| {label} | {fmt(s['p50'], 1)} | {fmt(s['p95'], 1)} | {fmt(s['max'], 1)} | "
                   f"{s['n']} ({s['timeouts']}) |")
    out += ["", f"TUI process over {fmt(tui['window_s'], 0)} s of load: "
                f"**{fmt(tui['cpu_pct'], 1)} % of a core**, peak RSS {fmt(tui['rss_kb'] / 1024, 1)} MB; "
                f"tmux server (drawing the terminal) {fmt(tui['tmux_cpu_pct'], 1)} %. "
                f"Help screen detected by the line: `{tui['marker']}`."]
    return out


def goal_rows(wls, runs, tui):
    """(goal, measured, met) for every goal in the issue; met is None when
    it could not be measured."""
    keys = {wl.key for wl in wls}

    def sel(w, t):
        return [r for r in runs if r["workload"] == w and r["tool"] == t]

    rows = []

    def add(goal, measured, met):
        rows.append((goal, measured, met))

    if "a" in keys:
        u = sel("a", "uptop")
        w, fd = med(u, "wall"), worst(u, "false_down")
        add("a: 1,000 × 1 s wall ≤ 1.15 s", f"{fmt(w, 3)} s", w is not None and w <= 1.15)
        add("a: 0 false DOWN", fmt(fd), fd == 0)
    for wk, limits in (("b", (("wall", 0.4), ("cpu", 0.3), ("rss_kb", 0.75))),
                       ("tls", (("wall", 0.9), ("rss_kb", 0.3)))):
        if wk not in keys:
            continue
        u, a0 = sel(wk, "uptop"), sel(wk, "aiohttp0")
        for m, lim in limits:
            r = ratio(med(u, m), med(a0, m))
            name = {"wall": "wall", "cpu": "CPU", "rss_kb": "RSS"}[m]
            add(f"{wk}: {name} ≤ {lim}× aiohttp limit=0", rtxt(r), r is not None and r <= lim)
        fd = worst(u, "false_down")
        add(f"{wk}: 0 false DOWN", fmt(fd), fd == 0)
    if "c" in keys:
        wl = next(w for w in wls if w.key == "c")
        u = sel("c", "uptop")
        w = med(u, "wall")
        lim = wl.timeout_s + 0.15
        add(f"c: scenario wall ≤ {lim:.2f} s", f"{fmt(w, 3)} s", w is not None and w <= lim)
        must = sum(e != "ok" for e in wl.expect)
        good = bool(u)
        detail = []
        for r in u:
            cls = r["classes"]
            right = (r["failures_total"] == must and r["failures_with_msg"] == must and
                     cls.get("hang->timeout", 0) == wl.expect.count("hang") and
                     cls.get("refused->refused", 0) == wl.expect.count("refused"))
            good = good and right
            detail.append(f"{r['failures_total']} failed, {r['failures_with_msg']} with text, "
                          f"{', '.join(f'{k} ×{v}' for k, v in cls.items())}")
        add(f"c: exactly the {must} failures, each with its class and message",
            "; ".join(sorted(set(detail))) or "–", good)
    turns = [(r["workload"], r.get("longest_turn_ms")) for r in runs
             if r["tool"].startswith("uptop")]
    known = [t for _, t in turns if t is not None]
    unknown = sorted({w for w, t in turns if t is None})
    mx = max(known) if known else None
    # Met only when every workload reported it; a known excess is a miss.
    met = None if mx is None else False if mx > 50 else None if unknown else True
    add("longest loop turn ≤ 50 ms at every workload",
        f"max {fmt(mx)} ms" + (f" (not reported for: {', '.join(unknown)})" if unknown else ""),
        met)
    def per_check(w, t, rt):
        """(× the floor in steady state, × the floor over the whole run,
        why floor runs were left out) of tool t; the floor (rt) counts
        only its sound runs (a tool against itself: all of them)."""
        fl = sel(w, rt)
        fl, note = (sound(fl), unsound_note(fl)) if rt.startswith("rawcurl") else (fl, "")
        return (ratio(med(sel(w, t), "steady_us_per_check"), med(fl, "steady_us_per_check")),
                ratio(med(sel(w, t), "cpu_us_per_check"), med(fl, "cpu_us_per_check")), note)

    def add_ratio(goal, pair, lim):
        st, whole, note = pair
        # no sound floor: nothing to compare with, so no verdict
        add(goal, f"{rtxt(st)} (whole run with its start: {rtxt(whole)})" +
            (f"; {note}" if note else ""), None if st is None else st <= lim)

    if "d" in keys:
        u, raw = sel("d", "uptop"), sel("d", "rawcurl")
        c, rss = med(u, "cpu_pct"), med(u, "rss_kb")
        lag, od = med(u, "lag_p99_ms"), worst(u, "overdue")
        add("d: ≤ 15 % of one core headless", f"{fmt(c, 1)} %", c is not None and c <= 15)
        add("d: RSS ≤ 64 MB", f"{fmt(rss / 1024 if rss else None, 1)} MB",
            rss is not None and rss <= 64 * 1024)
        add("d: loop lag p99 ≤ 10 ms", f"{fmt(lag)} ms", lag is not None and lag <= 10)
        add("d: 0 overdue", fmt(od), od == 0)
        add_ratio("d: steady CPU per check ≤ 1.3× raw libcurl", per_check("d", "uptop", "rawcurl"),
                  1.3)
        nh = sel("d", "uptop-nohist")
        if nh:
            add_ratio("d, history off: steady CPU per check ≤ 1.3× raw libcurl",
                      per_check("d", "uptop-nohist", "rawcurl"), 1.3)
            add_ratio("d: the history's cost, steady CPU on vs off ≤ 1.2×",
                      per_check("d", "uptop", "uptop-nohist"), 1.2)
    if "g" in keys:
        add_ratio("g: with a JSON condition, steady CPU per check ≤ 1.3× raw libcurl",
                  per_check("g", "uptop", "rawcurl"), 1.3)
        if sel("g", "uptop-nohist"):
            add_ratio("g, history off: with a JSON condition, steady CPU per check ≤ 1.3× "
                      "raw libcurl", per_check("g", "uptop-nohist", "rawcurl"), 1.3)
        r = ratio(med(sel("g", "uptop"), "steady_us_per_check"),
                  med(sel("d", "uptop"), "steady_us_per_check"))
        if r is not None:
            add("g: the condition's cost, steady CPU per check vs (d)", rtxt(r), None)
    if "e" in keys:
        for k, rk in (("uptop", "rawcurl"), ("uptop-fresh", "rawcurl-fresh")):
            add_ratio(f"e: {'fresh TLS' if 'fresh' in k else 'keep-alive TLS'}: steady CPU per "
                      f"check ≤ 1.3× raw libcurl", per_check("e", k, rk), 1.3)
    if "f" in keys:
        ok = tui and not tui.get("error")
        c = tui["cpu_pct"] if ok else None
        p95 = tui["lat"]["all"]["p95"] if ok else None
        add("f: TUI under (d) ≤ 25 % of one core", f"{fmt(c, 1)} %", None if c is None else c <= 25)
        add("f: keypress-to-screen p95 ≤ 100 ms", f"{fmt(p95, 1)} ms",
            None if p95 is None else p95 <= 100)
        rss = tui["rss_kb"] if ok else None
        add("f: TUI RSS ≤ 64 MB", f"{fmt(rss / 1024 if rss else None, 1)} MB",
            None if rss is None else rss <= 64 * 1024)
    return rows


def markdown(wls, runs, tui, toolset, env, args):
    lines = ["## Performance", "",
             f"Measured {env['date']} with `{env['command']}` ({env['minutes']} min): "
             f"{env['cores']} cores ({env['cpu']}), Linux {env['kernel']}.",
             f"uptop: {env['uptop']}, {env['libcurl']}. Peers: {env['curl'].split(' (')[0]}; "
             f""
             f"{env['python_aiohttp'] or 'aiohttp not installed'}. Server: {env['fixture']} "
             "(one worker, echo module) on 127.0.0.1–127.0.0.4, same machine.",
             "",
             f"Medians of {env['reps']} runs; in each run every tool takes its turn on the same "
             "URL list. *wall*: process start to exit. *CPU*: user+sys of the client process. "
             "*RSS*: its peak (ru_maxrss). *false DOWN*: URLs that answer correctly but were "
             "reported failed (worst run). *failures reported*: of the URLs that do fail, how "
             "many the tool reported failed (and how many of those with a non-empty message). "
             "Ratios compare medians.", ""]
    t = once_table(wls, runs, toolset)
    if len(t) > 2:
        lines += ["### One round: every URL checked once", ""] + t + [""]
    c = next((w for w in wls if w.key == "c"), None)
    if c:
        for r in (r for r in runs if r["workload"] == "c" and r["tool"] == "uptop"):
            lines.append(f"Scenario, uptop run {r['rep'] + 1}: {r['failures_total']} failed; "
                         f"classes {', '.join(f'{k} ×{v}' for k, v in r['classes'].items())}; "
                         f"{r['distinct_msgs']} distinct messages.")
        lines.append("")
    t = steady_table(wls, runs, toolset)
    if len(t) > 2:
        lines += ["### Steady state (headless)", "",
                  "CPU % = client CPU / wall. µs/check = client CPU / completed checks. "
                  "Lag, longest turn and overdue come from uptop's own statistics line. "
                  "*steal*: CPU time the hypervisor gave to other guests during the run "
                  "(/proc/stat, all CPUs; the worst run): a run with much of it was slowed "
                  "from outside.", ""] \
            + t + [""]
    if tui is not None:
        lines += ["### The TUI under the steady load, in tmux", "",
                  "Keypress-to-screen: from `tmux send-keys` until `tmux capture-pane` "
                  "shows the change (polled every few ms).", ""] + tui_table(tui) + [""]
    rows = goal_rows(wls, runs, tui)
    lines += ["### Goals", "", "| goal | measured | |", "|---|---|---|"]
    for goal, measured, met in rows:
        mark = "met" if met else "n/a" if met is None else "**missed**"
        lines.append(f"| {goal} | {measured} | {mark} |")
    lines += ["", "Reproduce: `make bench` (installs nginx-light, libnginx-mod-http-echo and "
                  "python3-aiohttp through scripts/deps.sh, builds uptop and bench/rawcurl, "
                  "runs `python3 bench/run.py`). One workload: "
                  "`python3 bench/run.py --only c`.", ""]
    return "\n".join(lines)
