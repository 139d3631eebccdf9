"""The debug log (-v, --debug-log FILE) on hostile runs: a refused port, a
server that never answers, a DNS server that says NXDOMAIN and one that
never answers, more due checks than one turn may start, a SIGSTOP, good
and broken reloads. Its lines show each decision and each raw code; it
never reaches the terminal; it is off by default; it refuses anything
but a regular file."""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, Fixture, free_port, json_lines, run_uptop, uptop_bin, wait_until, write_config  # noqa: E402
from dnsfake import FakeDNS  # noqa: E402

t = Tap()
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S")


def read(path):
    """The file's text; "" before it exists."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def check_once(fx, tmp):
    dead = free_port()
    with FakeDNS(answers={"svc.test": "127.0.0.1"}, silent={"silent.test"}) as dns:
        rows = [f'  - {{name: refused, url: "http://127.0.0.1:{dead}/"}}',
                f'  - {{name: hang, url: "{fx.url("/hang")}", timeout: 500ms}}',
                '  - {name: missing, url: "http://missing.test/"}',
                '  - {name: silent, url: "http://silent.test/", timeout: 500ms}',
                f'  - {{name: svc, url: "http://svc.test:{fx.http}/ok"}}',
                f'  - {{name: secret, url: "http://user:hunter2@127.0.0.1:{dead}/private-path"}}']
        rows += [f'  - {{name: ok{i}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(300)]
        cfg = write_config(tmp, "defaults: {timeout: 5s}\ntargets:\n" + "\n".join(rows) + "\n",
                           name="once.yaml")
        log = os.path.join(tmp, "once.log")
        rc, out, err, _ = run_uptop(["--once", "--format", "json", "--dns-server", dns.server,
                                     "--debug-log", log, "-c", cfg])
    text = read(log)
    r = {o["name"]: o for o in json_lines(out)}
    t.ok(rc == 2 and len(r) == 306, f"--once with a debug log runs as without (exit {rc})", err)
    t.ok(text and all(STAMP.match(ln) for ln in text.splitlines()),
         "every line starts with a UTC time and says something", text[:300])
    t.ok(re.search(r"main: uptop \S+, pid \d+, .*mode once; libcurl/", text), "the start line", text[:300])
    t.ok(re.search(r"main: fd limit \d+\n", text), "the fd limit after raising it")
    t.ok(re.search(r"engine: 306 targets, in-flight cap \d+, once", text), "the engine's cap")
    t.ok(re.search(r"engine: tick: started \d+ \(stopped by the (count|time) budget\)", text),
         "306 due at once: a start budget cut the turn short, and says which", text[:2000])
    t.ok(f"probe: 127.0.0.1:{dead}: curl code 7 (Couldn't connect to server), os errno 111 -> refused"
         in text, "a refused port: curl's code and errno, and the class it became")
    t.ok(re.search(rf"probe: 127\.0\.0\.1:{fx.http}: curl code 28 \(Timeout was reached\).* -> timeout", text),
         "a hanging server: curl code 28 -> timeout")
    t.ok(re.search(r"resolve: missing\.test: c-ares 4 \(Domain name not found\) after 0 timeouts", text),
         "NXDOMAIN: c-ares' own code")
    t.ok(re.search(r"resolve: silent\.test: a check's deadline passed after \d+ ms", text),
         "a DNS server that never answers: the check's deadline, not c-ares', ended the wait")
    t.ok(re.search(r"main: exit 2 after \d+ ms", text), "the exit code, last")
    t.ok("curl code" not in err and "engine:" not in err and "loop:" not in err,
         "nothing of the log reaches stderr", err[-300:])
    t.ok("hunter2" not in text and "private-path" not in text,
         "host:port only: no credentials, no paths")


def check_headless(fx, tmp):
    good = f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 200ms, timeout: 100ms}}\n'
    cfg = write_config(tmp, good, name="h.yaml")
    log = os.path.join(tmp, "h.log")
    p = subprocess.Popen([uptop_bin(), "--headless", "--debug-log", log, "-c", cfg],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        t.ok(wait_until(lambda: "engine: 1 target," in read(log)),
             "the log is written while uptop runs (flushed every turn)")
        p.send_signal(signal.SIGSTOP)
        time.sleep(0.5)
        p.send_signal(signal.SIGCONT)
        p.send_signal(signal.SIGUSR1)
        wait_until(lambda: "reloaded" in read(log))
        with open(cfg, "w") as f:
            f.write("targets:\n  - name: a\n    url: [broken\n")
        p.send_signal(signal.SIGUSR1)
        wait_until(lambda: "failed" in read(log))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    text = read(log)
    m = re.search(r"loop: stall: this turn started (\d+) ms late and ran (\d+) ms", text)
    t.ok(m and int(m.group(1)) + int(m.group(2)) >= 100,
         "SIGSTOP for 0.5 s: the stall, with how late the turn started", text[-1500:])
    t.ok("main: SIGUSR1: reloading" in text and f"main: reloaded {cfg}: 1 target" in text,
         "a reload: the signal and the outcome")
    t.ok(re.search(r"engine: reload: 1 targets -> 1, \d+ checks in flight aborted", text),
         "the engine says what a reload aborted")
    t.ok(re.search(rf"main: reload of {re.escape(cfg)} failed \(1 error\), kept the running config: "
                   rf"{re.escape(cfg)}:\d+:\d+: ", text), "a broken reload: the first error with line:col")
    t.ok("main: SIGTERM: quitting" in text and "main: exit 0" in text, "SIGTERM and the exit code")
    t.ok(all(ln.startswith("{") for ln in out.splitlines()), "stdout keeps only JSON lines")


def check_default_name_and_off(fx, tmp):
    d = os.path.join(tmp, "cwd")
    os.mkdir(d)
    p = subprocess.Popen([uptop_bin(), "--once", fx.url("/ok")], cwd=d,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.wait(timeout=30)
    t.eq(os.listdir(d), [], "off by default: no file is written")
    p = subprocess.Popen([uptop_bin(), "-v", "--once", fx.url("/ok")], cwd=d,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=30)
    name = f"uptop-{p.pid}.log"
    t.eq(os.listdir(d), [name], "-v alone: ./uptop-PID.log, as tmux -v")
    t.ok(os.path.exists(os.path.join(d, name)) and f"pid {p.pid}" in read(os.path.join(d, name))
         and err == "", "it holds the run's log; the terminal gets none of it", err)
    t.eq(os.stat(os.path.join(d, name)).st_mode & 0o777, 0o600, "the log is private (0600)")


def check_refusals(fx, tmp):
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    rc, out, err, wall = run_uptop(["--once", "--debug-log", fifo, fx.url("/ok")], timeout=20)
    t.ok(rc == 3 and "not a regular file" in err and wall < 10,
         "a FIFO is refused at once (a slow reader would block the loop)", err)
    rc, out, err, _ = run_uptop(["--once", "--debug-log", "/dev/tty", fx.url("/ok")])
    t.ok(rc == 3 and "--debug-log" in err, "a terminal is refused: the log never goes there", err)
    rc, out, err, _ = run_uptop(["--once", "--debug-log", os.path.join(tmp, "no/such/dir.log"), fx.url("/ok")])
    t.ok(rc == 3 and "No such file or directory" in err and "Try 'uptop --help'" in err,
         "an unwritable path: usage error naming the reason", err)
    rc, out, _, _ = run_uptop(["--help"])
    t.ok("--debug-log FILE" in out and "-v, --verbose " in out, "--help lists -v and --debug-log")


def main():
    with tempfile.TemporaryDirectory() as tmp, Fixture(tls=False) as fx:
        check_once(fx, tmp)
        check_headless(fx, tmp)
        check_default_name_and_off(fx, tmp)
        check_refusals(fx, tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
