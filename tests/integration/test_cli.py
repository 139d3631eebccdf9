"""The command line a newcomer meets: one mode at a time, every option
either has an effect in the chosen mode or is a usage error (the whole
flag/mode table, tried), ad-hoc URL flags and their messages, --version,
--check-config refusing what the run would refuse, and the complete
machine output (state, stats, reload lines; --once time and summary).
The real binary against the loopback fixture; 127.0.0.1 only."""

import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import (PROXY_VARS, Fixture, Running, Tap, free_port, json_lines,  # noqa: E402
                 run_uptop, uptop_bin, write_config)

t = Tap()
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

MODES = {
    "the live table": [],
    "--once": ["--once"],
    "--once --format json": ["--once", "--format", "json"],
    "--headless": ["--headless"],
    "--check-config": ["--check-config"],
}
RUN = {"the live table", "--once", "--once --format json", "--headless"}
ALL = set(MODES)

# The flag/mode table as documented (README, --help): where each option
# has an effect. Everywhere else it must be a usage error.
OPTIONS = [
    (["--duration", "1s"], {"--headless"}),
    (["--stats-interval", "5s"], {"--headless"}),
    (["--theme", "mono"], {"the live table"}),
    (["--ascii"], {"the live table", "--once"}),
    (["--no-bell"], {"the live table"}),
    (["--max-concurrency", "4"], RUN),
    (["--dns-server", "127.0.0.1"], RUN),
    (["--interval", "2s"], {"the live table", "--headless", "--check-config"}),
    (["--timeout", "1s"], ALL),
    (["--expect", "200,3xx"], ALL),
    (["--insecure"], ALL),
    (["-v"], ALL),
]


def usage_error(rc, err, flag):
    return rc == 3 and f"uptop: {flag} has no effect" in err


def try_mode(args, mode, tmp):
    """-> (rc, stderr) of uptop with args in mode; a run that would go on
    (the table, --headless) is stopped once it is past argument checks."""
    argv = [*args, *MODES[mode]]
    if mode == "--headless":
        p = Running(argv, cwd=tmp)
        time.sleep(0.3)
        rc = p.stop()
        return rc, "\n".join(p.err_lines)
    rc, _, err, _ = run_uptop(argv, timeout=30)
    return rc, err


def check_table(fx, tmp):
    dead = free_port()
    url = f"http://127.0.0.1:{dead}/"
    wrong, right = [], []
    for opt, where in OPTIONS:
        for mode in MODES:
            rc, err = try_mode([*opt, url], mode, tmp)
            refused = usage_error(rc, err, opt[0])
            if mode in where:
                (right if not refused and "has no effect" not in err else wrong).append(
                    (opt[0], mode, rc, err[:120]))
            else:
                ok = refused and "(it applies to " in err and len(err.strip().splitlines()) == 2
                (right if ok else wrong).append((opt[0], mode, rc, err[:160]))
    t.eq(wrong, [], f"every option in every mode: an effect or a usage error ({len(right)} tried)")
    rc, _, err, _ = run_uptop([*MODES["--headless"], "--ascii", url])
    t.ok(rc == 3 and err.startswith("uptop: --ascii has no effect with --headless (it applies to "
                                    "the live table, the --once table)"),
         "the message says what the option applies to", err)
    for fmt_mode in ("the live table", "--headless", "--check-config"):
        rc, err = try_mode(["--format", "table", url], fmt_mode, tmp)
        t.ok(usage_error(rc, err, "--format"), f"--format in {fmt_mode}: usage error", err)


def check_modes(fx, tmp):
    cfg = write_config(tmp, f'targets:\n  - {{name: a, url: "{fx.url("/ok")}"}}\n', name="m.yaml")
    flags = ["--once", "--headless", "--check-config"]
    for i, a in enumerate(flags):
        for b in flags[i + 1:]:
            start = time.monotonic()
            rc, out, err, _ = run_uptop([a, b, "-c", cfg], timeout=20)
            first = err.splitlines()[0] if err else ""
            t.ok(rc == 3 and a in first and b in first and out == ""
                 and time.monotonic() - start < 5,
                 f"{a} {b}: exit 3 at once, one line naming both", err)
    rc, out, _, _ = run_uptop(["--once", "--once", "-c", cfg])
    t.eq(rc, 0, "the same mode twice is fine")


def check_url_flags(fx, tmp):
    cfg = write_config(tmp, f'targets:\n  - {{name: a, url: "{fx.url("/ok")}"}}\n', name="u.yaml")
    for opt, key in ((["--interval", "2s"], "interval:"), (["--timeout", "1s"], "timeout:"),
                     (["--expect", "200"], "expect_status:"), (["--insecure"], "verify_tls: false")):
        rc, _, err, _ = run_uptop(["--check-config", *opt, "-c", cfg])
        t.ok(rc == 3 and f"uptop: {opt[0]} applies to URLs" in err and key in err,
             f"{opt[0]} with -c: usage error naming the key to set", err)
    # --interval and --timeout act: 300 ms apart for 2 s -> ~7 checks
    p = Running(["--headless", "--duration", "2s", "--interval", "300ms", "--timeout", "200ms",
                 fx.url("/ok?every=300ms")])
    rc = p.stop(sig=None)
    hits = fx.hits("/ok")
    t.ok(rc == 0 and 5 <= hits <= 9, f"--interval 300ms: ~7 checks in 2 s ({hits}, rc {rc})")
    rc, out, _, _ = run_uptop(["--once", "--format", "json", "--timeout", "300ms", fx.url("/hang")])
    r = json_lines(out)
    t.ok(rc == 2 and r and r[0]["error_class"] == "timeout" and r[0]["timings"]["total_ms"] < 900,
         "--timeout 300ms: the check times out at 300 ms", r)
    rc, out, _, _ = run_uptop(["--once", "--format", "json", "--expect", "404,5xx",
                               fx.url("/status/404"), fx.url("/status/503")])
    t.ok(rc == 0 and all(o["state"] == "up" for o in json_lines(out)), "--expect 404,5xx", out)
    rc, _, err, _ = run_uptop(["--once", "--expect", "200,99", fx.url("/ok")])
    t.ok(rc == 3 and "uptop: --expect: '99' is outside 100-599" in err, "--expect checked", err)
    tls = fx.url("/ok", tls=True)
    rc1, out1, _, _ = run_uptop(["--once", "--format", "json", tls])
    rc2, out2, _, _ = run_uptop(["--once", "--format", "json", "--insecure", tls])
    t.ok(rc1 == 2 and json_lines(out1)[0]["error_class"] == "tls" and rc2 == 0,
         "--insecure: a self-signed certificate is accepted (verify_tls false)", (out1, out2))
    rc, _, err, _ = run_uptop(["--once", "--timeout", "40s", fx.url("/ok")])
    t.ok(rc == 3 and "uptop: --timeout 40s must be below the interval 30s" in err,
         "--timeout must be below the interval", err)


def check_url_messages(fx, tmp):
    port = fx.http
    rc, _, err, _ = run_uptop(["--once", fx.url("/ok"), f"127.0.0.1:{port}"])
    t.ok(rc == 3 and f"uptop: argument 3: '127.0.0.1:{port}': the URL has no scheme" in err
         and f"did you mean http://127.0.0.1:{port}/?" in err,
         "a bare host:port: a hint naming the argument", err)
    rc, _, err, _ = run_uptop(["--once", "-"], stdin=f"# list\n{fx.url('/ok')}\n\n127.0.0.1:{port}\n")
    t.ok(rc == 3 and f"uptop: stdin line 4: '127.0.0.1:{port}'" in err and "did you mean" in err,
         "from stdin: the line number", err)
    before = fx.hits("/ok")
    rc, out, err, _ = run_uptop(["--once", "--format", "json", fx.url("/ok"), fx.url("/ok?x"),
                                 fx.url("/ok")])
    t.ok(rc == 0 and len(json_lines(out)) == 2 and fx.hits("/ok") - before == 2
         and "uptop: warning: argument 6:" in err and "same URL as argument 4; checked once" in err,
         "the same URL twice: checked once, with a warning", (out, err))


def check_documented():
    """Every option is in --help (one screen) and in the README's table."""
    rc, out, _, _ = run_uptop(["--help"])
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    names = ["--config", "--once", "--headless", "--check-config", "--format", "--duration",
             "--stats-interval", "--theme", "--ascii", "--no-bell", "--max-concurrency",
             "--dns-server", "--interval", "--timeout", "--expect", "--insecure", "--verbose",
             "--debug-log", "--help", "--help-config", "--version", "--metrics", "--shard",
             "--no-alerts", "--event-log", "--history", "--no-history"]
    missing = [n for n in names if n not in out or f"`{n}" not in readme and f", {n}" not in readme]
    t.ok(rc == 0 and not missing, "every option is in --help and the README", missing)
    t.ok(len(out.splitlines()) <= 45, f"--help fits one screen ({len(out.splitlines())} lines)")
    wide = [l for l in out.splitlines() if len(l) > 80]
    t.ok(not wide, "--help fits 80 columns", wide)


def check_version():
    rc, out, _, _ = run_uptop(["--version"])
    lines = out.splitlines()
    t.ok(rc == 0 and lines and lines[0].startswith("uptop "), "--version: uptop's own first", out)
    for name, pkg in (("libcurl", "libcurl"), ("c-ares", "libcares"), ("libyaml", "yaml-0.1"),
                      ("ncurses", "ncursesw"), ("libmicrohttpd", "libmicrohttpd"),
                      ("json-c", "json-c")):
        want = subprocess.run(["pkg-config", "--modversion", pkg], capture_output=True,
                              text=True).stdout.strip()
        line = next((ln for ln in lines if ln.startswith(name + "/")), "")
        t.ok(want and line.startswith(f"{name}/{want}"), f"--version: {name} {want}", out)
    t.ok(re.search(r"^libcurl/\S+ OpenSSL/\d", out, re.M), "--version: libcurl's TLS library", out)


def check_config_checks_theme(tmp):
    cfg = write_config(tmp, "settings: {theme: nope}\ntargets:\n  - url: http://127.0.0.1:1/\n",
                       name="theme.yaml")
    rc, out, err, _ = run_uptop(["--check-config", "-c", cfg])
    t.ok(rc == 3 and err.startswith(f"uptop: {cfg}:1:19: theme: unknown theme 'nope'") and out == "",
         "--check-config refuses the theme the table would refuse, at its line:col", err)
    rc, _, err, _ = run_uptop(["--once", "-c", cfg])
    t.ok(rc == 3 and f"{cfg}:1:19:" in err, "so does every mode, at load", err)
    good = write_config(tmp, "settings: {theme: high-contrast}\ntargets:\n  - url: http://127.0.0.1:1/\n",
                        name="theme2.yaml")
    rc, out, _, _ = run_uptop(["--check-config", "-c", good])
    t.ok(rc == 0 and "OK" in out, "a built-in theme passes", out)
    rc, _, err, _ = run_uptop(["--check-config", "-c", os.path.join(tmp, "missing.yaml")])
    t.ok(rc == 3 and err.startswith("uptop: ") and "missing.yaml:1:1:" in err,
         "config errors carry the program's name and the position", err)


def check_theme_flag_in_tui(tmp):
    """--theme nope in a real terminal: uptop: --theme: ..., exit 3."""
    cfg = write_config(tmp, "targets:\n  - url: http://127.0.0.1:1/\n", name="tt.yaml")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(TERM="xterm-256color")
    p = subprocess.Popen([uptop_bin(), "--theme", "nope", "-c", cfg], stdin=slave,
                         stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    rc = p.wait(timeout=20)
    data = b""
    try:
        while True:
            d = os.read(master, 4096)
            if not d:
                break
            data += d
    except OSError:
        pass
    os.close(master)
    text = data.decode(errors="replace")
    t.ok(rc == 3 and "uptop: --theme: unknown theme 'nope'" in text,
         "--theme nope in the live table: uptop: --theme: ..., exit 3", text)


def check_headless_lines(fx, tmp):
    cfg = write_config(tmp, f"""targets:
  - {{name: ok, group: web, url: "http://user:hunter2@127.0.0.1:{fx.http}/ok", interval: 1s, timeout: 500ms}}
  - {{name: bad, url: "{fx.url('/status/503')}", interval: 1s, timeout: 500ms}}
  - {{name: dead, url: "http://127.0.0.1:{free_port()}/", interval: 1s, timeout: 500ms}}
  - {{name: cut, url: "{fx.url('/reset-mid')}", interval: 1s, timeout: 500ms}}
""", name="lines.yaml")
    p = Running(["--headless", "--stats-interval", "1s", "-c", cfg])
    try:
        p.wait_out(lambda o: o.get("type") == "stats")
        with open(cfg, "a") as f:
            f.write("  - name: broken\n    url: [\n")
        p.send(signal.SIGUSR1)
        p.wait_out(lambda o: o.get("type") == "reload")
        with open(cfg) as f:
            text = f.read().replace("  - name: broken\n    url: [\n", "")
        with open(cfg, "w") as f:
            f.write(text)
        p.send(signal.SIGUSR1)
        p.wait_out(lambda o: o.get("type") == "reload" and o.get("ok"))
        p.wait_out(lambda o: o.get("type") == "stats" and o.get("elapsed_s", 0) > 2.5)
    finally:
        rc = p.stop()
    lines = p.json_out()
    st = {o["name"]: o for o in lines if o.get("type") == "state"}
    keys = {"type", "time", "name", "group", "url", "old", "new", "http_status", "latency_ms",
            "error_class", "error", "error_detail", "cert_not_after", "cert_days_left"}
    t.ok(st and all(set(o) == keys for o in st.values()),
         "state lines: exactly the documented fields", list(st.values())[:1])
    ok, bad, dead, cut = st.get("ok", {}), st.get("bad", {}), st.get("dead", {}), st.get("cut", {})
    t.ok(ok.get("url", "").startswith("http://***@127.0.0.1") and "hunter2" not in "\n".join(p.out_lines)
         and ok.get("group") == "web", "url redacted, group given", ok)
    t.ok(ok.get("http_status") == 200 and 0 < ok.get("latency_ms", -1) < 500 and ISO.match(ok.get("time", "")),
         "an answer: http_status and latency_ms", ok)
    t.ok(bad.get("http_status") == 503 and bad.get("latency_ms") is not None and bad.get("new") == "down",
         "a wrong status: its code and latency", bad)
    t.ok(dead.get("http_status") is None and dead.get("latency_ms") is None
         and dead.get("error_class") == "refused", "no answer: null code, null latency", dead)
    t.ok(cut.get("http_status") == 200 and cut.get("latency_ms") is None
         and cut.get("error_class") == "reset" and "Connection reset" in (cut.get("error_detail") or ""),
         "an answer that broke: its status kept, null latency, libcurl's text in error_detail", cut)
    t.ok(ok.get("error_detail") is None, "no failure: error_detail null", ok)
    rl = [o for o in lines if o.get("type") == "reload"]
    t.ok(len(rl) == 2 and rl[0]["ok"] is False and rl[0]["config"] == cfg
         and any(re.match(re.escape(cfg) + r":\d+:\d+: ", e) for e in rl[0]["errors"])
         and ISO.match(rl[0]["time"]), "a failed reload: a line with FILE:LINE:COL errors", rl[:1])
    t.ok(len(rl) == 2 and rl[1] == {"type": "reload", "time": rl[1]["time"], "ok": True,
                                   "config": cfg, "targets": 4}, "a good reload: ok and targets", rl[1:])
    stats = [o for o in lines if o.get("type") == "stats"]
    t.ok(len(stats) >= 4 and all(o["final"] is False for o in stats[:-1]) and stats[-1]["final"] is True
         and lines[-1] is stats[-1], f"--stats-interval 1s: periodic stats lines, the final last "
         f"({len(stats)})", [o.get("elapsed_s") for o in stats])
    t.ok(all({"time", "output_dropped", "checks", "lag_p99_ms"} <= set(o) for o in stats),
         "stats lines carry time and output_dropped", stats[-1:])
    t.eq(rc, 2, "SIGTERM: the exit code of the states")
    p = Running(["--headless", "--duration", "2500ms", "--stats-interval", "0", "-c", cfg])
    p.stop(sig=None)
    t.eq(len([o for o in p.json_out() if o.get("type") == "stats"]), 1,
         "--stats-interval 0: only the final stats line")


def check_once_output(fx, tmp):
    cfg = write_config(tmp, f"""targets:
  - {{name: a, url: "{fx.url('/ok')}"}}
  - {{name: b, url: "{fx.url('/ok?b')}"}}
  - {{name: slow, url: "{fx.url('/delay/0.2')}", max_latency: 50ms}}
  - {{name: down, url: "{fx.url('/status/500')}"}}
""", name="once.yaml")
    before = time.time()
    rc, out, _, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    after = time.time()
    rows = json_lines(out)

    def epoch(s):
        return time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + float(s[19:23])

    t.ok(rows and all(ISO.match(o["time"] or "") and before - 1 <= epoch(o["time"]) <= after
                      for o in rows), "--once JSON rows carry the check's wall-clock time", rows[:1])
    rc, out, err, _ = run_uptop(["--once", "-c", cfg])
    last = out.splitlines()[-1] if out else ""
    t.ok(re.fullmatch(r"2 up, 1 degraded, 1 down in \d+(\.\d)? (s|ms)", last) and rc == 2,
         "--once table: the last line sums it up", out)
    rc, out, _, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    t.ok(all(ln.startswith("{") for ln in out.splitlines()), "--once JSON: no summary line")


def main():
    with tempfile.TemporaryDirectory() as tmp, Fixture() as fx:
        os.chdir(tmp)              # -v writes ./uptop-PID.log
        check_table(fx, tmp)
        check_modes(fx, tmp)
        check_url_flags(fx, tmp)
        check_url_messages(fx, tmp)
        check_version()
        check_documented()
        check_config_checks_theme(tmp)
        check_theme_flag_in_tui(tmp)
        check_headless_lines(fx, tmp)
        check_once_output(fx, tmp)
    return t.done()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
