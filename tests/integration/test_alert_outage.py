"""A mass outage fires one alert, not one per target (issue 12 §1, issue 8
§3): 300 targets on three hosts (a fixture each on 127.0.0.2, .3, .4)
whose servers are killed at once -> exactly one alert command run, for
the outage. Two servers come back: the outage ends (one resolved alert)
and the 100 targets still down alert on their own; the third comes back:
each of them is resolved. Every state change is still printed.
Network: 127.x loopback only."""

import json
import os
import shutil
import stat
import sys
import tempfile
import time
from contextlib import ExitStack

sys.path.insert(0, os.path.dirname(__file__))
from lib import run_script, Fixture, Running, Tap, wait_until, write_config  # noqa: E402

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1


def calls(path):
    """One JSON object per alert command run (the script appends its stdin).
    A line without its newline is still being written: read next time."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n") and line.strip()]


def main():
    tmp = tempfile.mkdtemp(prefix="uptop-aoutage-")
    log = os.path.join(tmp, "calls.jsonl")
    rec = os.path.join(tmp, "rec.sh")
    with open(rec, "w") as f:
        # one write of one line: O_APPEND keeps concurrent runs whole
        f.write(f'#!/bin/sh\nline=$(cat)\nprintf "%s\\n" "$line" >> {log}\n')
    os.chmod(rec, os.stat(rec).st_mode | stat.S_IXUSR)
    try:
        with ExitStack() as stack:
            fxs = [stack.enter_context(Fixture(tls=False, host=f"127.0.0.{k}")) for k in (2, 3, 4)]
            rows = [f'  - {{name: h{k}-{i:03d}, url: "{fx.url(f"/ok?i={i}")}"}}'
                    for k, fx in enumerate(fxs) for i in range(100)]
            cfg = write_config(tmp, f'alerts:\n  - {{name: pager, command: ["{rec}"]}}\n'
                               "defaults: {interval: 2s, timeout: 1s}\ntargets:\n" +
                               "\n".join(rows) + "\n", name="mass.yaml")
            p = Running(["--headless", "-c", cfg])
            states = lambda: [o for o in p.json_out() if o.get("type") == "state"]  # noqa: E731
            count = lambda a, b: sum(1 for o in states() if (o["old"], o["new"]) == (a, b))  # noqa: E731
            try:
                t.ok(wait_until(lambda: count("pending", "up") == 300, timeout=30 * SLOW),
                     "300 targets on 3 hosts come up")
                for fx in fxs:
                    fx.stop()
                t.ok(wait_until(lambda: count("up", "down") == 300, timeout=30 * SLOW),
                     "servers killed: all 300 go down")
                t.ok(p.wait_out(lambda o: o.get("type") == "alert", timeout=15 * SLOW),
                     "an alert goes out")
                time.sleep(6.0)      # past alert_wait (5s): nothing else may come
                during = calls(log)
                t.eq(len(during), 1, "exactly one alert command ran for 300 targets down")
                if during:
                    c = during[0]
                    t.ok(c["name"] == "mass outage" and c["outage"] == 1 and
                         c["transition"] == "down" and "targets" in c["description"] and
                         c["error_class"] in ("refused", "reset", "connect", "timeout"),
                         "it tells of the outage: how many, which class", c)
                fxs[0].start()
                fxs[1].start()
                t.ok(p.wait_out(lambda o: o.get("type") == "outage" and o.get("phase") == "end",
                                timeout=20 * SLOW), "two servers back: the outage ends")
                t.ok(wait_until(lambda: sum(1 for c in calls(log) if c["name"].startswith("h2-"))
                                == 100, timeout=20 * SLOW),
                     "the 100 targets still down alert on their own")
                fxs[2].start()
                t.ok(wait_until(lambda: sum(1 for c in calls(log) if c["name"].startswith("h2-")
                                            and c["transition"] == "up") == 100,
                                timeout=20 * SLOW), "and are resolved when they come back")
                time.sleep(2.5)
            finally:
                p.stop()
        all_calls = calls(log)
        outage = [c for c in all_calls if c["name"] == "mass outage"]
        t.eq([(c["old"], c["new"]) for c in outage], [("up", "down"), ("down", "up")],
             "the outage: one alert when it starts, one resolved when it ends")
        others = [c for c in all_calls if c["name"] != "mass outage"]
        t.ok(all(c["name"].startswith("h2-") for c in others),
             "no target of the two hosts that came back alerted", [c["name"] for c in others][:5])
        downs = [c for c in others if c["transition"] == "down"]
        t.ok(len(downs) == 100 and all(c["outage"] == 1 for c in downs),
             "the 100 downs name the outage they were part of (UPTOP_OUTAGE)")
        t.eq(len(all_calls), 202, "202 alerts in all: 2 for the outage, 100 + 100 for h2")
        lines = p.json_out()
        t.eq(sum(1 for o in lines if o.get("type") == "state" and o["new"] == "down"), 300,
             "every one of the 300 down changes is still printed")
        t.eq(sum(1 for o in lines if o.get("type") == "alert_failed"), 0, "no alert failed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_script(main, t)
