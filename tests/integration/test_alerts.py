"""Alerts that reach people (issue 12), tried as a new user would, with
--headless: real commands (one that records its stdin, arguments and
environment; one that exits 1; one that hangs; one that does not exist),
reminders at `repeat`, resolved alerts, a real loopback webhook receiver
(the fixture's /record: method, headers, the substituted and escaped
body, a retry after a 500, a 404 not retried, the secret never shown),
and the event log (every event a JSON line; a file renamed mid-run is
noticed and opened again; nothing lost). Network: 127.0.0.1 only."""

import json
import os
import shutil
import stat
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import (run_script, Fixture, LagMeter, Running, Tap, free_port, json_lines,  # noqa: E402
                 wait_until, write_config)

t = Tap()

SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1
TOKEN = "sekret-4711-token"


def script(tmp, name, body):
    """An executable sh script in tmp -> its path."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


# Each run of the recorder leaves its stdin, arguments and UPTOP_*
# variables in DIR/rec/N.{stdin,args,env} (N: a counter, so two at once
# never share a file).
RECORDER = """\
d={dir}/rec
mkdir -p "$d"
n=$(mktemp "$d/XXXXXX")
cat > "$n.stdin"
for a in "$@"; do printf '%s\\n' "$a"; done > "$n.args"
env | grep '^UPTOP_' | sort > "$n.env"
mv "$n.stdin" "$n.done"
"""


def recorded(tmp):
    """Every run of the recorder, oldest first: dicts of stdin (parsed),
    args, env."""
    d = os.path.join(tmp, "rec")
    runs = []
    if not os.path.isdir(d):
        return runs
    for name in os.listdir(d):
        if not name.endswith(".done"):
            continue
        base = os.path.join(d, name[:-5])
        with open(base + ".done") as f:
            stdin = f.read()
        with open(base + ".args") as f:
            args = f.read().splitlines()
        with open(base + ".env") as f:
            env = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        runs.append({"stdin": stdin, "json": json.loads(stdin) if stdin.strip() else None,
                     "args": args, "env": env, "mtime": os.path.getmtime(base + ".done")})
    runs.sort(key=lambda r: (r["json"] or {}).get("time", ""))
    return runs


def alerts(lines, name=None, ok=None):
    out = [o for o in lines if o.get("type") in ("alert", "alert_failed")]
    if name is not None:
        out = [o for o in out if o.get("alert") == name]
    if ok is not None:
        out = [o for o in out if o.get("ok") is ok]
    return out


def ts(iso):
    """"2024-01-31T12:00:00.250Z" -> seconds since the epoch."""
    return time.mktime(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + \
        float(iso[19:-1] or 0)


def final_stats(lines):
    st = [o for o in lines if o.get("type") == "stats" and o.get("final")]
    return st[-1] if st else {}


# ------------------------------------------------------------ commands

def check_commands(tmp):
    rec = script(tmp, "rec.sh", RECORDER.format(dir=tmp))
    fail = script(tmp, "fail.sh", 'echo "paging web: no such team: web" >&2\nexit 1\n')
    hang = script(tmp, "hang.sh", f'echo $$ > {tmp}/hang.pid\nexec sleep 60\n')
    missing = os.path.join(tmp, "no-such-program")
    port = free_port()
    cfg = write_config(tmp, f"""\
        alerts:
          - name: pager
            command: ["{rec}", "--team", "web ops", "$HOME"]
            repeat: 2s
          - name: fails
            command: ["{fail}"]
          - name: hangs
            command: ["{hang}"]
            timeout: 1s
          - name: missing
            command: ["{missing}"]
        settings: {{alert_wait: 0s}}
        targets:
          - name: 'shop "eu"'
            group: web
            url: "http://127.0.0.1:{port}/health"
            interval: 1s
            timeout: 500ms
        """, name="commands.yaml")
    with LagMeter() as lag:
        p = Running(["--headless", "-c", cfg, "-d", f"{7 * SLOW}s"])
        lag.watch(p)
        rc = p.stop(sig=None, timeout=30 * SLOW)
    lines = p.json_out()
    runs = recorded(tmp)
    t.ok(rc == 2, f"exit 2: the target is down; failing alerts change nothing (rc {rc})")
    t.ok(any("command '" + missing + "': No such file or directory" in ln for ln in p.err_lines),
         "a command that does not exist is a warning at start", p.err_lines)
    states = [o for o in lines if o.get("type") == "state"]
    t.eq([(o["old"], o["new"]) for o in states], [("pending", "down")],
         "one state change; alerts that fail never touch the target's state")

    # the recorder: stdin, argv (never a shell), environment
    first = runs[0] if runs else {"json": {}, "args": [], "env": {}}
    j = first["json"] or {}
    t.eq(first["args"], ["--team", "web ops", "$HOME"],
         "argv as configured: no shell (no word splitting, no $ expansion)")
    t.ok(j.get("alert") == "pager" and j.get("name") == 'shop "eu"' and j.get("group") == "web",
         "stdin: one JSON line naming the alert and the target", j)
    down = states[0] if states else {}
    t.ok(j.get("transition") == "down" and j.get("old") == "pending" and j.get("new") == "down"
         and j.get("error_class") == "refused" and j.get("error") == down.get("error") and
         j.get("error_detail") == down.get("error_detail"),
         "stdin: the transition and the exact error (as the state line says it)", j)
    t.ok(j.get("repeat") is False and j.get("outage") is None and j.get("resolved") is False,
         "stdin: not a reminder, no outage", j)
    e = first["env"]
    t.ok(e.get("UPTOP_NAME") == 'shop "eu"' and e.get("UPTOP_GROUP") == "web" and
         e.get("UPTOP_URL") == f"http://127.0.0.1:{port}/health", "UPTOP_NAME, _GROUP, _URL", e)
    t.ok(e.get("UPTOP_OLD") == "pending" and e.get("UPTOP_NEW") == "down" and
         e.get("UPTOP_ERROR_CLASS") == "refused" and e.get("UPTOP_ERROR") == down.get("error")
         and e.get("UPTOP_ERROR_DETAIL") == (down.get("error_detail") or ""),
         "UPTOP_OLD, _NEW, _ERROR_CLASS, _ERROR, _ERROR_DETAIL", e)
    t.ok(e.get("UPTOP_TIME", "").endswith("Z") and e.get("UPTOP_SINCE") == j.get("since") and
         e.get("UPTOP_OUTAGE") == "" and e.get("UPTOP_ALERT") == "pager",
         "UPTOP_TIME, _SINCE, _OUTAGE (empty), _ALERT", e)

    # reminders at repeat
    sent = alerts(lines, "pager", ok=True)
    reminders = [o for o in sent if o["repeat"]]
    t.ok(len(sent) >= 3 and len(reminders) == len(sent) - 1,
         f"reminders while it stays down ({len(reminders)} in {7 * SLOW} s, repeat 2s)", sent)
    times = [ts(r["json"]["time"]) for r in runs if r["json"] and r["json"]["alert"] == "pager"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    t.ok(gaps and all(abs(g - 2.0) < 0.3 + lag.slack() for g in gaps),
         f"every 2 s ({', '.join(f'{g:.2f}' for g in gaps)} s; {lag})")
    t.ok(all(r["json"]["repeat"] for r in runs[1:] if r["json"]) and
         all(r["env"].get("UPTOP_REPEAT") == "1" for r in runs[1:]),
         "a reminder says so (repeat, UPTOP_REPEAT=1)")

    # the ones that fail
    f = alerts(lines, "fails")
    t.ok(f and f[0]["type"] == "alert_failed" and f[0]["ok"] is False and
         f[0]["error"] == "exited with status 1: paging web: no such team: web",
         "exit 1: alert_failed with its status and its last line of output", f[:1])
    h = alerts(lines, "hangs")
    t.ok(h and h[0]["ok"] is False and h[0]["error"].startswith("timed out after 1000 ms (killed)"),
         "a command that hangs is killed at its timeout: alert_failed", h[:1])
    if h:
        down_at = ts(states[0]["time"])
        took = ts(h[0]["time"]) - down_at
        t.ok(1.0 <= took < 1.5 + lag.slack(), f"after 1 s ({took:.2f} s; {lag})")
    try:
        with open(os.path.join(tmp, "hang.pid")) as pf:
            pid = int(pf.read())
        alive = os.path.exists(f"/proc/{pid}")
    except (OSError, ValueError):
        alive = None
    t.eq(alive, False, "and it is gone (killed and reaped)")
    m = alerts(lines, "missing")
    t.ok(m and m[0]["ok"] is False and
         m[0]["error"] == f"cannot run {missing}: No such file or directory",
         "a command that does not exist: alert_failed, why", m[:1])
    a = alerts(lines)
    t.ok(all(o.get("target") == 'shop "eu"' and o.get("transition") == "down" and
             o.get("kind") == "command" for o in a),
         '--headless: {"type":"alert","alert":...,"target":...,"transition":...,"ok":...}')
    st = final_stats(lines)
    t.ok(st.get("alerts_sent") == len(sent) and st.get("alerts_failed") == len(f) + len(h) + len(m),
         "the stats line counts alerts sent and failed", st)


def check_resolved(tmp):
    """Down, then up again: resolved for the alerts that told of it (and
    on: [down] says nothing)."""
    rec = script(tmp, "rec2.sh", RECORDER.format(dir=os.path.join(tmp, "r2")))
    with Fixture(tls=False) as fx:
        cfg = write_config(tmp, f"""\
            alerts:
              - {{name: pager, command: ["{rec}"]}}
              - {{name: downs, command: ["{rec}"], "on": [down]}}
              - {{name: recoveries, command: ["{rec}"], "on": [up]}}
            settings: {{alert_wait: 0s}}
            targets:
              - {{name: api, url: "{fx.url('/ok')}", interval: 500ms, timeout: 300ms}}
            """, name="resolved.yaml")
        p = Running(["--headless", "-c", cfg])
        try:
            p.wait_out(lambda o: o.get("new") == "up", timeout=10 * SLOW)
            fx.stop()
            t.ok(p.wait_out(lambda o: o.get("alert") == "downs", timeout=10 * SLOW),
                 "the server dies: down alerts")
            fx.start()
            t.ok(p.wait_out(lambda o: o.get("type") == "alert" and o.get("transition") == "up",
                            timeout=10 * SLOW), "it answers again: a resolved alert")
            time.sleep(1.0)
        finally:
            p.stop()
    lines = p.json_out()
    ups = [o for o in alerts(lines) if o["transition"] == "up"]
    t.eq(sorted((o["alert"], o["old"]) for o in ups), [("pager", "down"), ("recoveries", "down")],
         "resolved goes to the alerts whose on: has up (the default; on: [up] alone too), "
         "not to on: [down]")
    t.ok(not any(o["alert"] == "recoveries" and o["transition"] == "down" for o in alerts(lines)),
         "on: [up] says nothing when it goes down")
    runs = [r for r in recorded(os.path.join(tmp, "r2"))
            if r["json"]["resolved"] and r["json"]["alert"] == "pager"]
    t.ok(len(runs) == 1 and runs[0]["env"].get("UPTOP_NEW") == "up" and
         runs[0]["env"].get("UPTOP_OLD") == "down" and
         "up again after" in runs[0]["json"]["description"],
         "the command hears it: UPTOP_OLD=down, UPTOP_NEW=up", runs)
    first_up = [o for o in lines if o.get("type") == "state" and o["old"] == "pending"]
    t.ok(first_up and not any(o["transition"] == "up" and ts(o["time"]) < ts(first_up[0]["time"]) + 0.5
                              for o in alerts(lines)),
         "coming up at start is no news: nothing resolved then")


# ------------------------------------------------------------ webhooks

def check_webhooks(tmp, fx):
    port = free_port()
    name = 'shop "eu" \\ 1'
    cfg = write_config(tmp, f"""\
        alerts:
          - name: slack
            webhook:
              url: "{fx.url('/record/slack/${HOOK_TOKEN}')}?fail=1&who=[NAME]"
              method: POST
              headers: {{Content-Type: application/json, X-Token: "${{HOOK_TOKEN}}"}}
              body: '{{"text": "[NAME] is [STATE]: [ERROR]", "gatus": "[ALERT_TRIGGERED_OR_RESOLVED] [ENDPOINT_NAME] [ENDPOINT_GROUP] [RESULT_ERRORS]"}}'
          - name: ntfy
            webhook:
              url: "{fx.url('/record/ntfy')}"
              headers: {{Title: "[NAME] is [STATE]", Priority: high, Tags: warning}}
              body: "[NAME] is [STATE]: [ERROR]"
          - name: gone
            webhook: {{url: "{fx.url('/record/gone')}?status=404"}}
        settings: {{alert_wait: 0s}}
        targets:
          - name: '{name.replace("'", "''")}'
            group: shops
            url: "http://127.0.0.1:{port}/"
            interval: 1s
            timeout: 500ms
        """, name="hooks.yaml")
    os.chmod(cfg, 0o600)
    debug = os.path.join(tmp, "hooks.debug.log")
    evl = os.path.join(tmp, "hooks.events.jsonl")
    p = Running(["--headless", "-c", cfg, "--debug-log", debug, "--event-log", evl],
                env={"HOOK_TOKEN": TOKEN})
    try:
        t.ok(p.wait_out(lambda o: o.get("alert") == "slack", timeout=15 * SLOW),
             "the webhook's outcome comes")
        p.wait_out(lambda o: o.get("alert") == "gone", timeout=10 * SLOW)
    finally:
        p.stop()
    lines = p.json_out()
    down = next((o for o in lines if o.get("type") == "state"), {})
    err = down.get("error", "?")
    recs = fx.records()
    slack = [r for r in recs if r["path"].startswith("/record/slack")]
    t.eq(len(slack), 2, "the receiver answered 500, then 200: two requests")
    if len(slack) == 2:
        first, second = slack
        gap = second["time"] - first["time"]
        t.ok(0.5 <= gap < 2.0, f"the first retry within 2 s ({gap:.2f} s)")
        hdr = {k.lower(): v for k, v in second["headers"]}
        t.eq(second["method"], "POST", "method")
        t.eq(second["path"], f"/record/slack/{TOKEN}", "the URL's ${HOOK_TOKEN} is expanded")
        t.eq(second["query"].get("who"), name, "[NAME] in the URL is percent-encoded")
        t.eq(hdr.get("content-type"), "application/json", "Content-Type as configured")
        t.eq(hdr.get("x-token"), TOKEN, "a header's ${VAR}")
        try:
            body = json.loads(second["body"])
        except ValueError:
            body = {}
        t.eq(body.get("text"), f"{name} is down: {err}",
             "the body is valid JSON: quotes and backslashes in the name escaped")
        t.eq(body.get("gatus"), f"TRIGGERED {name} shops refused: {err}",
             "Gatus' placeholders: [ALERT_TRIGGERED_OR_RESOLVED] [ENDPOINT_NAME] "
             "[ENDPOINT_GROUP] [RESULT_ERRORS]")
    ntfy = [r for r in recs if r["path"] == "/record/ntfy"]
    if ntfy:
        hdr = {k.lower(): v for k, v in ntfy[0]["headers"]}
        t.eq(ntfy[0]["body"], f"{name} is down: {err}", "ntfy: a text body, not JSON-escaped")
        t.eq(hdr.get("title"), f"{name} is down", "ntfy: the Title header, substituted")
        t.ok(hdr.get("content-type", "").startswith("text/plain"),
             "a text body without a Content-Type goes as text/plain", hdr)
    else:
        t.ok(False, "ntfy: a request came")
    s = alerts(lines, "slack")
    t.ok(s and s[0]["ok"] is True and s[0]["attempts"] == 2 and s[0]["kind"] == "webhook" and
         s[0]["detail"].startswith("HTTP 200"), "--headless: sent after 2 attempts", s[:1])
    g = alerts(lines, "gone")
    t.ok(g and g[0]["ok"] is False and g[0]["attempts"] == 1 and
         g[0]["error"].startswith("HTTP 404"), "a 404 is not retried: alert_failed", g[:1])
    t.eq(len([r for r in recs if r["path"] == "/record/gone"]), 1, "one request for it")
    shown = "\n".join(p.out_lines + p.err_lines)
    for path in (debug, evl):
        try:
            with open(path, errors="replace") as f:
                shown += f.read()
        except OSError:
            pass
    t.ok(TOKEN not in shown, "the token is in no output, debug log or event log")
    t.ok("${HOOK_TOKEN}" in open(debug, errors="replace").read(),
         "the debug log names the webhook as written (${HOOK_TOKEN})")


# ------------------------------------------------------------ event log

def check_event_log(tmp):
    path = os.path.join(tmp, "events.jsonl")
    moved = path + ".1"
    with Fixture(tls=False) as fx:
        body = "\n".join(f'  - {{name: t{i}, url: "{fx.url(f"/ok?{i}")}"}}' for i in range(5))
        cfg = write_config(tmp, "defaults: {interval: 500ms, timeout: 300ms}\n"
                           f"settings: {{event_log: {path}}}\ntargets:\n{body}\n",
                           name="evlog.yaml")
        p = Running(["--headless", "-c", cfg])
        try:
            t.ok(wait_until(lambda: os.path.exists(path) and
                            sum(1 for _ in open(path)) >= 5, timeout=10 * SLOW),
                 "settings.event_log: the first state changes are appended")
            os.rename(path, moved)            # logrotate's default
            renamed = time.monotonic()
            t.ok(wait_until(lambda: os.path.exists(path), timeout=5 * SLOW),
                 "the renamed file is noticed and the path opened again")
            took = time.monotonic() - renamed
            t.ok(took < 3.0 * SLOW, f"within seconds ({took:.1f} s)")
            fx.stop()
            p.wait_out(lambda o: o.get("new") == "down", timeout=10 * SLOW)
            t.ok(wait_until(lambda: sum(1 for _ in open(path)) >= 5, timeout=10 * SLOW),
                 "events after the rename go to the new file")
        finally:
            p.stop()
    events = [o for o in p.json_out() if o.get("type") not in ("stats", "reload")]
    with open(moved) as f:
        old = json_lines(f.read())
    with open(path) as f:
        new = json_lines(f.read())
    t.ok(len(old) >= 5 and len(new) >= 5, f"both files have lines ({len(old)}, {len(new)})")
    t.eq(old + new, events, "every event, once, in order, as --headless prints it")
    t.eq(oct(os.stat(path).st_mode & 0o777), "0o600", "created 0600")


def check_event_log_refused(tmp):
    from lib import run_uptop
    rc, out, err, _ = run_uptop(["--headless", "-d", "1s", "--event-log",
                                 os.path.join(tmp, "no/such/dir/ev.jsonl"), "http://127.0.0.1:1/"])
    t.eq(rc, 3, "an event log that cannot be opened: exit 3")
    t.ok("event log " in err and "No such file or directory (--event-log)" in err,
         "and the message says where it came from", err)


def main(t_):
    tmp = tempfile.mkdtemp(prefix="uptop-alerts-")
    try:
        check_commands(tmp)
        check_resolved(tmp)
        with Fixture(tls=False) as fx:
            check_webhooks(tmp, fx)
        check_event_log(tmp)
        check_event_log_refused(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_script(lambda: main(t), t)
