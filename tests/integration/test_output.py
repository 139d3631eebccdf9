# uptop-test: alone (it measures loop lag under load; tests/run.sh runs it with nothing beside it)
"""Output that never holds the loop, survives pipes and is complete: the
real binary writing to a real pipe nobody reads, a pipe closed by its
reader (`| head -1`), a socket, a slow terminal (a pty drained at 10 KB/s),
and SIGTERM while the reader is stalled. Network: 127.0.0.1 only."""

import fcntl
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import (Fixture, LagMeter, Tap, free_port, json_lines,  # noqa: E402
                 raise_fd_limit, uptop_bin, wait_until, write_config)

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1


def env():
    return lib.base_env()


def read_all(f):
    """Everything left on a pipe, as text."""
    return f.read().decode(errors="replace")


def check_unread_pipe(fx, tmp):
    """The issue's case: 2,000 dead + 200 live targets, stdout unread for
    6 s. A loop blocked in write() (5.9 s before) times the live targets
    out; with the output queue none goes down and every line arrives."""
    dead = free_port()
    rows = [f'  - {{name: d{i:04d}, url: "http://127.0.0.1:{dead}/{i}"}}' for i in range(2000)]
    rows += [f'  - {{name: l{i:03d}, url: "{fx.url(f"/ok?i={i}")}"}}' for i in range(200)]
    cfg = write_config(tmp, "defaults: {interval: 1s, timeout: 500ms}\ntargets:\n"
                       + "\n".join(rows) + "\n", name="unread.yaml")
    with LagMeter(fx) as lag:
        p = subprocess.Popen([uptop_bin(), "--headless", "--duration", "10s", "-c", cfg],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
        lag.watch(p)
        time.sleep(6)
        out, err = p.communicate(timeout=60 * SLOW)
    lines = json_lines(out.decode())
    states = [o for o in lines if o.get("type") == "state"]
    stats = [o for o in lines if o.get("type") == "stats"]
    live_down = sorted({o["name"] for o in states if o["name"][0] == "l" and o["new"] == "down"})
    t.eq(live_down, [], "stdout unread for 6 s: no live target goes down")
    t.eq(sorted(o["name"] for o in states if o["new"] == "down"),
         [f"d{i:04d}" for i in range(2000)], "every dead target's line arrived, once each")
    t.eq(len([o for o in states if o["new"] == "up"]), 200, "every live target's line arrived")
    t.ok(stats and lines[-1] is stats[-1] and stats[-1].get("final") is True,
         "the final stats line arrives last", lines[-1:])
    st = stats[-1] if stats else {}
    t.eq(st.get("output_dropped"), 0, "nothing dropped under the cap")
    t.ok(st.get("lag_max_ms", 1e9) < 1000 + lag.slack_ms(),
         f"the loop never waited for the reader (lag max {st.get('lag_max_ms')} ms, {lag})")
    t.eq(err.decode(), "", "nothing on stderr")


def check_head(fx, tmp):
    """`uptop --headless | head -1`: the reader leaves after one line; the
    run ends at once (nothing else would ever be written) and uptop dies of
    SIGPIPE like any filter, silently. Also in a shell pipeline."""
    cfg = write_config(tmp, f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 1s, timeout: 500ms}}\n'
                       f'  - {{name: b, url: "{fx.url("/ok?b")}", interval: 1s, timeout: 500ms}}\n', name="head.yaml")
    p = subprocess.Popen([uptop_bin(), "--headless", "--duration", "60s", "-c", cfg],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
    first = p.stdout.readline()
    t0 = time.monotonic()
    p.stdout.close()
    try:
        rc = p.wait(timeout=10 * SLOW)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    took = time.monotonic() - t0
    err = p.stderr.read().decode()
    t.ok(b'"type":"state"' in first, "the first line came", first)
    t.eq(rc, -signal.SIGPIPE, f"the reader closed: uptop ends, killed by SIGPIPE ({took:.1f} s)")
    t.ok(took < 5 * SLOW, f"at once, not at the next line or the end of --duration ({took:.1f} s)")
    t.eq(err, "", "and says nothing (a closed pipe is how filters end)")
    # timeout: an uptop that ignores the closed pipe is killed (137), not waited for
    r = subprocess.run(["bash", "-c", f"set -o pipefail; timeout -s KILL {20 * SLOW} "
                        f"{uptop_bin()} --headless -c {cfg} | head -1"],
                       capture_output=True, text=True, timeout=60 * SLOW, env=env())
    t.ok(r.returncode == 141 and r.stdout.count("\n") == 1,
         f"uptop --headless | head -1: one line, pipefail status 141 ({r.returncode})", r.stderr)


def check_once_closed(fx, tmp):
    """--once writes after its round; a reader that leaves mid-way ends it
    the same way (before: exit 0, every write after it an ignored EPIPE)."""
    # rows wide enough that the table (like the JSON) is twice what a pipe holds
    pad = "x" * 36
    rows = "\n".join(f'  - {{name: o{i:03d}{pad}, group: g{pad}, url: "{fx.url(f"/ok?i={i}")}"}}'
                     for i in range(1000))
    cfg = write_config(tmp, "targets:\n" + rows + "\n", name="once.yaml")
    for fmt in ("json", "table"):
        p = subprocess.Popen([uptop_bin(), "--once", "--format", fmt, "-c", cfg],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env())
        first = p.stdout.readline()
        p.stdout.close()
        rc = p.wait(timeout=30 * SLOW)
        err = p.stderr.read().decode()
        t.ok(first and rc == -signal.SIGPIPE and err == "",
             f"--once --format {fmt} into a pipe closed after one line: SIGPIPE, silent "
             f"(rc {rc})", err)


def check_sigterm_stalled_reader(fx, tmp):
    """SIGTERM while nobody reads: the last lines (the final stats) still
    arrive once the reader comes back; a second SIGTERM gives up and says
    how much was lost."""
    dead = free_port()
    rows = "\n".join(f'  - {{name: d{i:04d}, url: "http://127.0.0.1:{dead}/{i}"}}' for i in range(1500))
    cfg = write_config(tmp, "defaults: {interval: 2s, timeout: 1s}\ntargets:\n" + rows + "\n",
                       name="term.yaml")
    for second in (False, True):
        p = subprocess.Popen([uptop_bin(), "--headless", "-c", cfg], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env())
        time.sleep(2 * SLOW)                   # the first round's 1,500 lines fill the pipe
        p.send_signal(signal.SIGTERM)
        time.sleep(1)
        waiting = p.poll() is None
        if second:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=10 * SLOW)
            out, err = read_all(p.stdout), read_all(p.stderr)
            t.ok(waiting and rc == 2 and "stopped waiting for the reader of stdout" in err
                 and "bytes of output lost" in err,
                 f"a second SIGTERM gives up waiting and says what was lost (rc {rc})", err)
        else:
            out, err = p.communicate(timeout=30 * SLOW)
            out, err, rc = out.decode(), err.decode(), p.returncode
            lines = json_lines(out)
            t.ok(waiting, "SIGTERM with a stalled reader: uptop waits for it (nothing is lost)")
            n = len([o for o in lines if o.get("type") == "state"])
            t.ok(rc == 2 and n == 1500 and lines[-1].get("type") == "stats"
                 and lines[-1].get("final") is True,
                 f"the reader came back: all 1,500 lines and the final stats (rc {rc}, {n} lines)",
                 err + repr(lines[-1:]))


def check_shared_description(fx, tmp):
    """stdout is a pipe and a socket this test shares with uptop: their
    file status flags stay blocking (others writing to them must not get
    EAGAIN), and the lines arrive."""
    cfg = write_config(tmp, f'targets:\n  - {{name: a, url: "{fx.url("/ok")}", interval: 1s, timeout: 500ms}}\n',
                       name="shared.yaml")
    r, w = os.pipe()
    a, b = socket.socketpair()
    try:
        for name, fd, rd in (("pipe", w, r), ("socket", b.fileno(), a.fileno())):
            p = subprocess.Popen([uptop_bin(), "--headless", "--duration", "3s",
                                  "--stats-interval", "1s", "-c", cfg],
                                 stdout=fd, stderr=subprocess.DEVNULL, env=env())
            flags = []
            data = b""
            end = time.monotonic() + 20 * SLOW
            while p.poll() is None and time.monotonic() < end:
                flags.append(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
                if select.select([rd], [], [], 0.1)[0]:
                    data += os.read(rd, 65536)
            p.wait(timeout=10)
            while select.select([rd], [], [], 0.2)[0]:
                chunk = os.read(rd, 65536)
                if not chunk:
                    break
                data += chunk
            lines = json_lines(data.decode())
            t.ok(flags and not any(flags), f"stdout a {name}: its shared description never "
                 "turns non-blocking")
            t.ok(any(o.get("type") == "state" for o in lines)
                 and len([o for o in lines if o.get("type") == "stats"]) >= 3,
                 f"stdout a {name}: state and periodic stats lines arrive", lines[-2:])
    finally:
        os.close(r)
        os.close(w)
        a.close()
        b.close()


class SlowPty:
    """uptop's live table on a pty whose master this test reads at `rate`
    bytes a second, like a slow ssh link; `fast()` drains it at once."""

    def __init__(self, args, size=(100, 250), rate=10000, stderr=None):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        self.modes = termios.tcgetattr(slave)
        e = env()
        e.update(TERM="xterm-256color", LC_ALL="C.UTF-8")
        e.pop("NO_COLOR", None)

        def child():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen([uptop_bin(), *args], stdin=slave, stdout=slave,
                                     stderr=stderr if stderr is not None else slave, env=e,
                                     preexec_fn=child, close_fds=True)
        os.close(slave)
        self.rate = rate
        self.bytes = 0
        self.data = bytearray()
        self._fast = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while True:
            try:
                d = os.read(self.master, 65536 if self._fast.is_set() else self.rate // 10)
            except OSError:
                return
            if not d:
                return
            self.bytes += len(d)
            self.data += d[-4096:]
            del self.data[:-8192]
            if not self._fast.is_set():
                time.sleep(0.1)

    def fast(self):
        self._fast.set()

    def key(self, b):
        os.write(self.master, b)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._thread.join(timeout=5)
        os.close(self.master)


def check_slow_terminal(fx, tmp):
    """300 targets every 250 ms on a 250x100 terminal draw ~12 KB/s; the
    terminal takes 10 KB/s. Before: frames blocked the loop for ~2 s at a
    time and 60% of the checks never ran. After: frames are skipped, no
    turn stalls, every check runs, 'q' still answers."""
    rows = "\n".join(f'  - {{name: j{i:03d}, url: "{fx.url(f"/jitter/0/0.05?i={i}")}"}}'
                     for i in range(300))
    cfg = write_config(tmp, "defaults: {interval: 250ms, timeout: 240ms}\ntargets:\n" + rows + "\n",
                       name="pty.yaml")
    log = os.path.join(tmp, "pty.log")
    errf = open(os.path.join(tmp, "pty.err"), "w+")
    with LagMeter(fx) as lag:
        # stderr elsewhere (2>file): curses still gets the terminal's modes
        s = SlowPty(["--debug-log", log, "-c", cfg], stderr=errf)
        lag.watch(s.proc)
        try:
            t0 = time.monotonic()
            time.sleep(10)
            slow_for = time.monotonic() - t0
            slow_bytes = s.bytes
            t1 = time.monotonic()
            s.key(b"q")
            s.fast()
            rc = s.proc.wait(timeout=30 * SLOW)
            quit_s = time.monotonic() - t1
            modes_after = termios.tcgetattr(s.master)
        finally:
            s.close()
    text = open(log, errors="replace").read()
    stalls = [float(m.group(1)) + float(m.group(2)) for m in
              re.finditer(r"loop: stall: this turn started (\d+) ms late and ran (\d+) ms", text)]
    fails = re.findall(r"probe: .* -> \w+", text)
    hits = sum(v for k, v in fx.stats().items() if k.startswith("/jitter"))
    want = 300 * 4 * slow_for
    t.ok(slow_bytes < 12000 * slow_for, f"the terminal took at most ~10 KB/s ({slow_bytes} bytes "
         f"in {slow_for:.1f} s)")
    worst = max(stalls, default=0)
    t.ok(worst < 250 + lag.slack_ms(), f"no loop turn waited for the terminal (worst "
         f"{worst:.0f} ms, {len(stalls)} turns over 100 ms; {lag})")
    t.ok(hits >= 0.85 * want - lag.slack() * 1200,
         f"every check ran ({hits} of ~{want:.0f}; {lag})")
    # A timeout is the fixture's when the machine held it (or uptop) off
    # a CPU: a Python server answering 1,200 checks a second within
    # 240 ms cannot while it waits. So: no failure but timeouts, and no
    # more of those than the checks of the time the machine kept them
    # waiting, and 1% at most (none when it kept them waiting under 0.1 s).
    other = [f for f in fails if not f.endswith("-> timeout")]
    allowed = min(int(1200 * lag.waited()), hits // 100) if lag.waited() >= 0.1 else 0
    t.ok(not other and len(fails) <= allowed,
         f"no check failed but for timeouts the machine's wait explains ({len(fails)} "
         f"timeouts, {allowed} allowed; {lag})", fails[:5])
    t.ok(rc == 0 and quit_s < 5 * SLOW + lag.slack(),
         f"'q' answered through the backlog ({quit_s:.1f} s), exit 0")
    t.ok(b"\x1b[?1049l" in bytes(s.data), "the terminal got endwin's reset (main screen back)")
    t.eq(modes_after, s.modes, "the terminal's modes are restored (stderr was a file)")
    errf.seek(0)
    t.eq(errf.read(), "", "and the file got nothing of the screen")
    errf.close()


def main():
    raise_fd_limit()
    with tempfile.TemporaryDirectory() as tmp:
        with Fixture(tls=False) as fx:
            check_unread_pipe(fx, tmp)
            check_head(fx, tmp)
            check_once_closed(fx, tmp)
            check_sigterm_stalled_reader(fx, tmp)
            check_shared_description(fx, tmp)
            check_slow_terminal(fx, tmp)
    return t.done()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
