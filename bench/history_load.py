#!/usr/bin/env python3
"""uptop's loop with the history on and off at 1,000 checks/s (issue 13):
1,000 targets every 1 s over four loopback fixture servers, --headless for
D seconds each way, in the order off, on, on, off (the fixture servers
share the machine: the order alone moves CPU by more than the history's
cost); prints each run's final stats line's loop lag p99 and overdue
count and uptop's CPU time (user + sys), then the totals each way.

    python3 bench/history_load.py [--seconds 30]
Network: 127.0.0.1 only."""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import lib  # noqa: E402


def run(cfg, extra, secs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc, out, err, wall = lib.run_uptop(["--headless", "-c", cfg, "-d", f"{secs}s",
                                        "--stats-interval", "0", *extra], timeout=secs + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stats = [o for o in lib.json_lines(out) if o.get("type") == "stats"][-1]
    return stats, cpu, err.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    a = ap.parse_args()
    lib.raise_fd_limit()
    tmp = tempfile.mkdtemp(prefix="uptop-hload-")
    fxs = [lib.Fixture(tls=False, host=f"127.0.0.{i + 2}") for i in range(4)]
    for f in fxs:
        f.__enter__()
    try:
        lines = ["defaults: {interval: 1s, timeout: 900ms}", "targets:"]
        for i in range(1000):
            lines.append(f"  - {{name: t{i}, url: \"{fxs[i % 4].url('/ok')}?{i}\"}}")
        cfg = lib.write_config(tmp, "\n".join(lines) + "\n", dedent=False)
        total = {"off": 0.0, "on": 0.0}
        for k, name in enumerate(("off", "on", "on", "off")):
            extra = (["--no-history"] if name == "off" else
                     ["--history", os.path.join(tmp, f"h{k}.db")])
            s, cpu, err = run(cfg, extra, a.seconds)
            total[name] += cpu
            print(f"history {name}: {s['checks_per_sec']:.0f} checks/s, lag p99"
                  f" {s['lag_p99_ms']:.2f} ms, overdue {s['overdue']}, stalls {s['stalls']},"
                  f" CPU {cpu:.2f} s ({100 * cpu / a.seconds:.1f}%)"
                  f"{' stderr: ' + err if err else ''}")
        print(f"CPU on / off: {total['on']:.2f} / {total['off']:.2f} s"
              f" ({total['on'] / total['off']:.2f}x)")
    finally:
        for f in fxs:
            f.__exit__(None, None, None)


main()
