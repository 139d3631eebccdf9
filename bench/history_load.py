#!/usr/bin/env python3
"""uptop's loop with the history on and off at 1,000 checks/s (issue 13):
1,000 targets every 1 s over four loopback fixture servers, --headless for
D seconds each way; prints the final stats line's loop lag p99 and overdue
count, and uptop's CPU time (user + sys).

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
        for name, extra in (("history off", ["--no-history"]),
                            ("history on", ["--history", os.path.join(tmp, "h.db")])):
            s, cpu, err = run(cfg, extra, a.seconds)
            print(f"{name}: {s['checks_per_sec']:.0f} checks/s, lag p99 {s['lag_p99_ms']:.2f} ms,"
                  f" overdue {s['overdue']}, stalls {s['stalls']}, CPU {cpu:.2f} s"
                  f" ({100 * cpu / a.seconds:.1f}%){' stderr: ' + err if err else ''}")
    finally:
        for f in fxs:
            f.__exit__(None, None, None)


main()
