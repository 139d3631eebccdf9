"""uptop report against a real history: two --headless runs with a gap
between them watch a server that goes down and comes back (we stop and
start it); the report must agree with the state lines to the millisecond
(incident starts, ends, durations), count the checks the stats lines
counted, report the gap as not watched (and inside the incident that
spans it), read while uptop runs and writes (an open incident, a live
run, no waiting), parse in every format, and refuse bad flags with exit
3. 127.0.0.1 only."""

import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Fixture, Running, json_lines, run_uptop, wait_until, write_config  # noqa: E402

import lib  # noqa: E402

INTERVAL_MS = 200
TIMEOUT_MS = 150
LONG = "a-target-whose-name-is-far-too-long-for-any-column-of-an-80-column-table"


def iso_ms(s):
    """'2026-11-30T14:00:05.250Z' -> ms since the epoch."""
    import calendar
    head, frac = s.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def states(p, name):
    return [o for o in p.json_out() if o.get("type") == "state" and o.get("name") == name]


def count(p, name, key, value):
    return sum(1 for o in states(p, name) if o.get(key) == value)


def report(args, **kw):
    return run_uptop(["report", *args], **kw)


def incidents_from_lines(runs, name):
    """[(start, end)] from the state lines of the runs, in order."""
    out, start = [], None
    for p in runs:
        for o in states(p, name):
            if o["old"] == "down" and start is not None:
                out.append((start, o["time"]))
                start = None
            if o["new"] == "down":
                start = o["time"]
    if start is not None:
        out.append((start, None))
    return out


def target(doc, name):
    return next((x for x in doc["targets"] if x["name"] == name), None)


def main(t):
    tmp = tempfile.mkdtemp(prefix="uptop-report-")
    db = os.path.join(tmp, "hist", "h.db")
    os.makedirs(os.path.dirname(db))
    with Fixture(tls=False) as fx, Fixture(tls=False) as fx2:
        cfg = write_config(tmp, f"""
            settings: {{history: {db}}}
            defaults: {{interval: {INTERVAL_MS}ms, timeout: {TIMEOUT_MS}ms}}
            targets:
              - {{name: flappy, group: edge, url: "{fx2.url('/ok')}"}}
              - {{name: steady, group: core, url: "{fx.url('/ok')}"}}
              - {{name: {LONG}, group: core, url: "{fx.url('/ok')}"}}
            """)
        run = ["--headless", "-c", cfg, "--stats-interval", "0"]

        # --- run 1: two incidents, and a third still open when it stops
        p1 = Running(run)
        t.ok(p1.wait_out(lambda o: o.get("name") == "flappy" and o.get("new") == "up"),
             "run 1: flappy is up", p1.err_lines)
        for i in (1, 2):
            fx2.stop()
            t.ok(wait_until(lambda: count(p1, "flappy", "new", "down") == i),
                 f"run 1: incident {i} starts", p1.err_lines)
            time.sleep(0.5)
            fx2.start()
            t.ok(wait_until(lambda: count(p1, "flappy", "old", "down") == i),
                 f"run 1: incident {i} ends", p1.err_lines)
        fx2.stop()
        t.ok(wait_until(lambda: count(p1, "flappy", "new", "down") == 3),
             "run 1: incident 3 starts", p1.err_lines)
        time.sleep(0.3)
        rc1 = p1.stop()
        stop1 = time.time() * 1000
        t.eq(rc1, 2, "run 1 stops cleanly (exit 2: a target is down)")

        # --- the gap: uptop is not running
        time.sleep(1.5)

        # --- run 2: incident 3 ends after the gap; a report while it runs
        start2 = time.time() * 1000
        p2 = Running(run)
        time.sleep(0.6)
        fx2.start()
        t.ok(p2.wait_out(lambda o: o.get("name") == "flappy" and o.get("old") == "down"),
             "run 2: incident 3 ends after the gap", (p2.out_lines[:5], p2.err_lines))
        fx2.stop()
        t.ok(p2.wait_out(lambda o: o.get("name") == "flappy" and o.get("new") == "down"),
             "run 2: incident 4 starts", p2.err_lines)
        down4 = states(p2, "flappy")[-1]["time"]

        def committed():
            rc, out, _, _ = report(["-c", cfg, "--format", "json"])
            return rc == 0 and target(json.loads(out), "flappy")["incidents"][-1]["start"] == down4
        t.ok(wait_until(committed, timeout=10), "the new incident reaches the file within 10 s")
        live_reports = []
        for _ in range(3):
            began = time.monotonic()
            rc, out, err, _ = report(["-c", cfg, "--format", "json"])
            live_reports.append((rc, time.monotonic() - began, out, err))
        t.ok(all(rc == 0 and took < 5 for rc, took, _, _ in live_reports),
             "report while uptop runs and writes: exit 0, no waiting "
             f"({', '.join(f'{took * 1000:.0f} ms' for _, took, _, _ in live_reports)})",
             [r[3] for r in live_reports])
        live = json.loads(live_reports[-1][2])
        inc = target(live, "flappy")["incidents"][-1]
        gen = iso_ms(live["generated"])
        t.ok(inc["open"] and inc["end"] is None
             and inc["start"] == states(p2, "flappy")[-1]["time"]
             and 0 <= gen - iso_ms(inc["start"]) - inc["duration_ms"] < 1000,
             "an incident still going: open, its start the state line's, watched until now",
             (inc, live["generated"]))
        t.ok(not any(g["end"] == live["to"] for g in live["not_watched"]),
             "the running uptop is watching: no gap up to now", live["not_watched"])
        fx2.start()
        t.ok(p2.wait_out(lambda o: o.get("name") == "flappy" and o.get("old") == "down"
                         and o.get("time") > inc["start"]), "run 2: incident 4 ends")
        time.sleep(0.3)
        t.eq(p2.stop(), 0, "run 2 stops cleanly")
        t.ok(not any("history" in ln for ln in p1.err_lines + p2.err_lines),
             "history stayed on in both runs", p1.err_lines + p2.err_lines)

        # --- the report agrees with the state lines, to the millisecond
        rc, out, err, _ = report(["-c", cfg, "--format", "json"])
        t.ok(rc == 0 and err == "", "report --format json: exit 0, nothing on stderr", err)
        doc = json.loads(out)
        flappy = target(doc, "flappy")
        want = incidents_from_lines((p1, p2), "flappy")
        got = [(i["start"], i["end"]) for i in flappy["incidents"]]
        t.eq(got, want, f"flappy's {len(want)} incidents start and end where the state lines say")
        gaps = doc["not_watched"]
        between = [g for g in gaps if stop1 - 3000 <= iso_ms(g["start"]) <= stop1
                   and start2 <= iso_ms(g["end"]) <= start2 + 3000]
        t.ok(len(between) == 1 and between[0]["duration_ms"] >= 1400,
             "the gap between the runs is not watched", gaps)
        gap_ms = between[0]["duration_ms"] if between else -1
        durations_ok = []
        for i, (s, e) in zip(flappy["incidents"], want):
            spans = iso_ms(e) - iso_ms(s)
            unwatched = gap_ms if i is flappy["incidents"][2] else 0
            durations_ok.append(i["duration_ms"] == spans - unwatched
                                and i["not_watched_ms"] == unwatched and not i["open"])
        t.ok(len(durations_ok) == 4 and all(durations_ok),
             "durations are end - start; the one across the gap leaves the gap out",
             [(i["duration_ms"], i["not_watched_ms"]) for i in flappy["incidents"]])
        ended = [i["duration_ms"] for i in flappy["incidents"]]
        t.ok(flappy["incident_count"] == 4 and flappy["mttr_ms"] == sum(ended) // 4
             and flappy["longest_ms"] == max(ended), "MTTR and the longest outage",
             {k: flappy[k] for k in ("incident_count", "mttr_ms", "longest_ms")})
        t.ok(all(i["error_class"] == "refused" for i in flappy["incidents"]),
             "each incident has the class of the check that began it", flappy["incidents"])
        stats = [o for p in (p1, p2) for o in p.json_out() if o.get("type") == "stats"]
        checks = sum(o["checks"] for o in stats)
        t.ok(len(stats) == 2 and sum(x["checks"] for x in doc["targets"]) == checks,
             f"the checks add up to what the stats lines counted ({checks})",
             [(x["name"], x["checks"]) for x in doc["targets"]])
        # the buckets' time down (spans from check to check) against the
        # incidents' (event to event): equal but for the edges of the gap
        slack = 2 * (INTERVAL_MS + TIMEOUT_MS) + 500
        t.ok(abs(flappy["down_ms"] - sum(ended)) <= slack
             and abs(flappy["uptime_pct"] - 100 * (1 - flappy["down_ms"] / flappy["watched_ms"]))
             < 1e-3, "uptime: the time down out of the time watched",
             (flappy["down_ms"], sum(ended), flappy["uptime_pct"]))
        steady = target(doc, "steady")
        t.ok(steady["uptime_pct"] == 100 and steady["incident_count"] == 0
             and 0 < steady["p50_ms"] <= steady["p95_ms"], "steady: 100%, p50 <= p95", steady)
        groups = {g["name"]: g for g in doc["groups"]}
        t.ok(set(groups) == {"edge", "core"} and groups["core"]["targets"] == 2
             and groups["core"]["checks"] == steady["checks"] + target(doc, LONG)["checks"]
             and groups["edge"]["incident_count"] == 4, "per group", doc["groups"])

        # --- every format
        rc, out, _, _ = report(["-c", cfg, "--format", "csv"])
        rows = list(csv.DictReader(io.StringIO(out, newline="")))
        inc_rows = [r for r in rows if r["row"] == "incident"]
        t.ok(rc == 0 and out.endswith("\r\n") and [r["name"] for r in rows if r["row"] == "target"]
             == ["flappy", "steady", LONG] and len(inc_rows) == 4
             and inc_rows[0]["start_utc"] == want[0][0].replace("T", " ").rstrip("Z")
             and round(float(inc_rows[0]["duration_s"]) * 1000) == flappy["incidents"][0]["duration_ms"],
             "csv: RFC 4180 with a header row; targets, incidents", out[:600])
        rc, out, _, _ = report(["-c", cfg, "--format", "md"])
        t.ok(rc == 0 and "| Target | Group | Checks | Uptime |" in out and "|---|" in out
             and out.count("- **flappy**") == 4 and "#### Not watched" in out,
             "md: a table with its header and an incident list", out[:600])
        rc, out, _, _ = report(["-c", cfg], env={"LC_ALL": "C.UTF-8"})
        wide = [ln for ln in out.splitlines() if len(ln) > 80]
        t.ok(rc == 0 and "INCIDENTS (4)" in out and "NOT WATCHED" in out and not wide
             and "flappy" in out, "table: fits 80 columns", out)

        # --- windows and filters
        s0, e0 = want[0]
        rc, out, _, _ = report(["-c", cfg, "--format", "json", "--from", s0, "--to", e0])
        one = json.loads(out)
        t.ok(rc == 0 and [(i["start"], i["end"]) for i in target(one, "flappy")["incidents"]]
             == [want[0]], "--from/--to (ISO 8601): just the incident inside", out[:300])
        rc, out, _, _ = report(["-c", cfg, "--format", "json", "--since", "1m"])
        t.ok(rc == 0 and len(target(json.loads(out), "flappy")["incidents"]) == 4,
             "--since 1m", out[:200])
        rc, out, _, _ = report(["-c", cfg, "--format", "json", "--target", "steady"])
        t.ok(rc == 0 and [x["name"] for x in json.loads(out)["targets"]] == ["steady"],
             "--target", out[:200])
        rc, out, _, _ = report(["-c", cfg, "--format", "json", "--group", "core"])
        t.ok(rc == 0 and [x["name"] for x in json.loads(out)["targets"]] == ["steady", LONG],
             "--group", out[:200])

        # --- without -c: the default path, every target the file knows
        state = os.path.join(tmp, "state")
        os.makedirs(os.path.join(state, "uptop"))
        shutil.copy(db, os.path.join(state, "uptop", "history.db"))
        rc, out, err, _ = report(["--format", "json"], env={"XDG_STATE_HOME": state})
        t.ok(rc == 0 and sorted(x["name"] for x in json.loads(out)["targets"])
             == sorted(["flappy", "steady", LONG]), "without -c: $XDG_STATE_HOME's file", err)

        # --- mistakes: exit 3, one line, and the file is never created
        missing = os.path.join(tmp, "nodir", "none.db")
        rc, out, err, _ = report(["--history", missing])
        t.ok(rc == 3 and out == "" and err.startswith(f"uptop: report: history {missing}: ")
             and len(err.splitlines()) == 1 and not os.path.exists(os.path.dirname(missing)),
             "a missing history: exit 3 naming the path; nothing created", err)
        rc, _, err, _ = report(["--history", cfg])
        t.ok(rc == 3 and "not a database" in err, "a file that is not a history", err)
        bad = [
            (["--format", "xml"], "--format must be table, json, md or csv"),
            (["--since", "7x"], "--since:"),
            (["--from", "yesterday"], "--from: 'yesterday' is neither a time"),
            (["--from", "2026-02-30"], "--from: '2026-02-30' is not a valid time"),
            (["--since", "1d", "--from", "2026-01-01"], "--since and --from"),
            (["--from", "1h", "--to", "2h"], "the window is empty"),
            (["--theme", "mono"], "--theme has no effect with report"),
            (["--no-history"], "--no-history has no effect with report"),
            (["--once"], "--once and report cannot be used together"),
            (["now"], "report takes options only, not 'now'"),
            (["-c", cfg, "--target", "nope"], "no target named 'nope'"),
            (["-c", cfg, "--group", "nope"], "no group named 'nope'"),
        ]
        wrong = []
        for args, msg in bad:
            rc, out, err, _ = report(args, env={"XDG_STATE_HOME": state})
            if rc != 3 or msg not in err or not err.startswith("uptop: ") or out:
                wrong.append((args, rc, err))
        t.eq(wrong, [], f"bad flags: exit 3 with a clear message ({len(bad)} tried)")
        rc, _, err, _ = run_uptop(["--since", "7d", fx.url("/ok")])
        t.ok(rc == 3 and "--since has no effect in the live table" in err
             and "(it applies to report)" in err,
             "--since outside report: a usage error", err)
    shutil.rmtree(tmp, ignore_errors=True)


lib.main(main)
