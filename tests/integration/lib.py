"""Helpers for uptop's integration tests: TAP output, the loopback fixture
server, running the binary.

    import lib
    def main(t):
        with lib.Fixture() as fx:
            rc, out, err, wall = lib.run_uptop(["--once", fx.url("/ok")])
            t.eq(rc, 0, "exit status")
    lib.main(main)          # runs it, prints the plan, exits with the result

Timing bounds are robust by construction, never by retries: a bound sits
well between what a correct and what a broken uptop would show, and its
upper side widens with the machine's measured scheduling lag (LagMeter).
Where a test waits for something to happen it polls for it (Running,
wait_until) instead of sleeping a fixed time.

Everything talks to 127.0.0.1 only.
"""

import atexit
import inspect
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixture.py"
HOST = "127.0.0.1"


def uptop_bin():
    """The binary under test: $UPTOP_BIN, else build/uptop in this checkout."""
    return os.environ.get("UPTOP_BIN") or str(REPO / "build" / "uptop")


# --------------------------------------------------------------------- TAP

class Tap:
    """Prints TAP lines as results come in; the plan goes last.

    Failures carry ' # at file:line' like tests/unit/tap.h, plus '# ' diagnostic
    lines (tests/run.sh shows those, so passing checks stay silent)."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        desc = " ".join(str(desc).split())      # one line, whatever desc holds
        if cond:
            print(f"ok {self.n} - {desc}", flush=True)
            return True
        self.failed += 1
        caller = inspect.stack()[1]
        if caller.function == "eq":
            caller = inspect.stack()[2]
        print(f"not ok {self.n} - {desc} # at {Path(caller.filename).name}:{caller.lineno}",
              flush=True)
        if diag is not None:
            self.diag(diag)
        return False

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, f"got {got!r}, want {want!r}")

    def skip(self, desc, reason):
        self.n += 1
        print(f"ok {self.n} - {desc} # SKIP {reason}", flush=True)

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}", flush=True)

    def done(self):
        """Prints the plan; returns the exit code (1 when anything failed)."""
        print(f"1..{self.n}", flush=True)
        return 1 if self.failed or self.n == 0 else 0


def main(test):
    """Runs test(tap), turning an uncaught exception into a failure, and exits."""
    t = Tap()
    run_script(lambda: test(t), t)


def run_script(body, t):
    """lib.main for a script whose Tap t is its own: runs body(), an
    uncaught exception a failure of t, and exits with t's verdict."""
    # tests/run.sh's timeout sends SIGTERM: unwind so fixtures and temp dirs go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        body()
    except Exception:
        t.ok(False, "test script raised", traceback.format_exc())
    sys.exit(t.done())


# ------------------------------------------------------------------ timing

class LagMeter:
    """What the machine, not uptop, did to a test's timing while it ran.

    Three measures, all of the environment:
    - worst: how late a thread of this test woke from a short sleep (the
      scheduler's wake-up delay at that moment);
    - waited(): for each watched process (uptop, the fixture), the time
      it was ready to run but waiting for a CPU, from the kernel's
      /proc/PID/task/*/schedstat. uptop is one thread: every such
      millisecond lands on its critical path;
    - stolen(): the time the hypervisor ran another machine instead of
      this one (/proc/stat's steal, the most any one CPU lost), which no
      run queue of ours shows.
    A timing bound adds slack() on its upper side, so it widens exactly as
    much as the machine was loaded (a 2-core box shared by several test
    runs) and stays tight on an idle one. uptop's own slowness shows in
    neither measure: a bug still fails the bound.

        with LagMeter(fx) as lag:
            rc, out, err, wall = run_uptop([...], lag=lag)
        t.ok(wall < 2.5 + lag.slack(), f"... ({lag})")
    """

    TICK = 0.002

    def __init__(self, *watch):
        self.worst = 0.0          # seconds
        self.samples = 0
        self._runq = {}           # pid -> [first, last] run-queue ns
        self._steal = [None, None]  # per-CPU steal ticks at enter, exit
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        for w in watch:
            self.watch(w)

    def __enter__(self):
        self._steal[0] = self._steal_ticks()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._steal[1] = self._steal_ticks()

    @staticmethod
    def _steal_ticks():
        """Each CPU's steal time so far, in USER_HZ ticks (8th field)."""
        out = []
        try:
            with open("/proc/stat") as f:
                for line in f:
                    w = line.split()
                    if w[0].startswith("cpu") and w[0] != "cpu" and len(w) > 8:
                        out.append(int(w[8]))
        except (OSError, ValueError):
            pass
        return out

    def stolen(self):
        """Seconds the hypervisor took from the busiest-robbed CPU."""
        a, b = self._steal[0], self._steal[1] or self._steal_ticks()
        if not a or len(a) != len(b):
            return 0.0
        return max(y - x for x, y in zip(a, b)) / os.sysconf("SC_CLK_TCK")

    def watch(self, proc):
        """Counts the run-queue wait of proc (a pid, or anything with .pid)."""
        pid = getattr(proc, "pid", proc)
        if pid:
            self._sample(pid)

    @staticmethod
    def _runq_ns(pid):
        total, seen = 0, False
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return None
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[1])
                    seen = True
            except (OSError, IndexError, ValueError):
                pass
        return total if seen else None

    def _sample(self, pid):
        v = self._runq_ns(pid)
        if v is None:
            return
        with self._lock:
            first_last = self._runq.setdefault(pid, [v, v])
            first_last[1] = max(first_last[1], v)

    def _run(self):
        while not self._stop.is_set():
            t0 = time.monotonic()
            time.sleep(self.TICK)
            late = time.monotonic() - t0 - self.TICK
            self.samples += 1
            if late > self.worst:
                self.worst = late
            for pid in list(self._runq):
                self._sample(pid)

    def waited(self):
        """Seconds the watched processes spent ready but not running."""
        with self._lock:
            return sum(last - first for first, last in self._runq.values()) / 1e9

    def slack(self, k=4):
        """Seconds to add to an upper bound: the watched processes' wait
        for a CPU and the hypervisor's steal, plus k times the worst
        wake-up delay (a run's critical path has a few wake-ups in a row)."""
        return self.waited() + self.stolen() + k * self.worst

    def slack_ms(self, k=4):
        return 1000.0 * self.slack(k)

    def __str__(self):
        return (f"machine: wake-ups up to {1000 * self.worst:.0f} ms late, "
                f"{1000 * self.waited():.0f} ms waiting for a CPU, "
                f"{1000 * self.stolen():.0f} ms stolen by the hypervisor")


def wait_until(pred, timeout=20.0, every=0.05):
    """Polls pred() until it is true or timeout seconds pass -> its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(every)


# ----------------------------------------------------------------- fixture

class Fixture:
    """tests/fixture.py in a subprocess, in its own temp dir.

    tls=True adds the good HTTPS port and the three broken TLS ports
    (.https_wrong_host, .https_expired, .tls_close); .ca is the certificate to
    trust. tls_certs={name: (chain.pem, key.pem)} adds an HTTPS port per
    chain (.cert_ports[name]; restart() gives new ones). .banner speaks SSH instead of HTTP; .silent accepts and never
    answers. host picks another 127.x address (fixtures on 127.0.0.2, .3,
    ... are distinct hosts to uptop), http_ports=N N more HTTP ports
    (.http_ports; new ones on restart), port a fixed HTTP port (the same port
    on two addresses: one name, two servers), all_status a server that
    answers every path with that status. stop() and restart() keep the
    ports, so a test can kill the server under uptop and bring it back. The
    process is killed on exit."""

    READY_TIMEOUT = 10.0

    def __init__(self, tls=True, host=HOST, port=0, all_status=None, tls_certs=None,
                 http_ports=0):
        self.tls = tls
        self.nhttp_ports = http_ports
        self.tls_certs = tls_certs or {}
        self.host = host
        self.all_status = all_status
        self.dir = tempfile.mkdtemp(prefix="uptop-fx-")
        self.proc = None
        self.info = {}
        self._ports = None      # set after the first start, reused by restart()
        self._http_port = port

    # The ports and paths from the ready line; None for listeners not asked for.
    http = property(lambda self: self.info.get("http"))
    https = property(lambda self: self.info.get("https"))
    https_wrong_host = property(lambda self: self.info.get("https_wrong_host"))
    https_expired = property(lambda self: self.info.get("https_expired"))
    tls_close = property(lambda self: self.info.get("tls_close"))
    banner = property(lambda self: self.info.get("banner"))
    silent = property(lambda self: self.info.get("silent"))
    ca = property(lambda self: self.info.get("ca"))
    cert_ports = property(lambda self: self.info.get("tls_certs") or {})
    pid = property(lambda self: self.info.get("pid"))
    http_ports = property(lambda self: self.info.get("http_ports") or [])

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def _argv(self, ready):
        ports = self._ports or {"http": self._http_port, "https": 0, "https_wrong_host": 0,
                                "https_expired": 0, "tls_close": 0, "banner": 0, "silent": 0}
        argv = [sys.executable, str(FIXTURE), "--host", self.host, "--port", str(ports["http"]),
                "--banner-port", str(ports["banner"]), "--silent-port", str(ports["silent"]),
                "--ready-file", ready, "--exit-with-parent"]
        if self.all_status:
            argv += ["--all-status", str(self.all_status)]
        if self.nhttp_ports:
            argv += ["--http-ports", str(self.nhttp_ports)]
        for name, (chain, key) in self.tls_certs.items():
            argv += ["--tls-cert", f"{name}={chain}:{key}"]
        if self.tls:
            argv += ["--tls-port", str(ports["https"]),
                     "--tls-wrong-host-port", str(ports["https_wrong_host"]),
                     "--tls-expired-port", str(ports["https_expired"]),
                     "--tls-close-port", str(ports["tls_close"]),
                     "--cert-dir", os.path.join(self.dir, "certs")]
        return argv

    def start(self):
        ready = os.path.join(self.dir, "ready.json")
        if os.path.exists(ready):
            os.unlink(ready)
        self.log = open(os.path.join(self.dir, "fixture.log"), "ab")
        self.proc = subprocess.Popen(self._argv(ready), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + self.READY_TIMEOUT
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"fixture did not start: {self.log_tail()}")
            time.sleep(0.02)
        with open(ready) as f:
            self.info = json.load(f)
        self._ports = {k: self.info[k] for k in
                       ("http", "https", "https_wrong_host", "https_expired", "tls_close",
                        "banner", "silent")}
        return self

    def stop(self):
        """Kills the server (SIGKILL: like a crash); the ports stay remembered."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()
            self.log.close()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "fixture.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def url(self, path, tls=False, port=None):
        """http(s)://127.0.0.1:PORT/path; port picks e.g. fx.https_expired."""
        if port is None:
            port = self.https if tls else self.http
        scheme = "https" if tls or port in (self.https, self.https_wrong_host,
                                            self.https_expired, self.tls_close) else "http"
        return f"{scheme}://{self.host}:{port}/{path.lstrip('/')}"

    def get(self, path, timeout=5):
        """(status, body bytes) of a plain GET, without any proxy."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.url(path), timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stats(self):
        """Hits per path (query stripped) since this server process started."""
        return json.loads(self.get("/__stats")[1])

    def hits(self, path):
        return self.stats().get(path, 0)

    def records(self):
        """The requests /record/... kept, oldest first: dicts of method,
        path, query, headers ([name, value] pairs as sent) and body."""
        return json.loads(self.get("/__records")[1])


def raise_fd_limit():
    """Soft RLIMIT_NOFILE up to the hard limit, for tests that open many sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    """A 127.0.0.1 port where nothing listens (connections get refused)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------- uptop

PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
              "ALL_PROXY", "no_proxy", "NO_PROXY")


_STATE_DIRS = []
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _STATE_DIRS])


def base_env(env=None):
    """The inherited environment without proxy variables, plus env (a value
    None removes the variable). Each run gets a history directory of its own
    (XDG_STATE_HOME) unless env names one: two uptops of one test never share
    a history database by accident, and the user's is never touched."""
    full_env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    full_env["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="uptop-state-")
    _STATE_DIRS.append(full_env["XDG_STATE_HOME"])
    for k, v in (env or {}).items():
        if v is None:
            full_env.pop(k, None)
        else:
            full_env[k] = v
    return full_env


def run_uptop(args, env=None, timeout=60, stdin=None, bin=None, prefix=(), lag=None):
    """Runs uptop to completion -> (rc, stdout, stderr, wall_seconds).

    lag: a running LagMeter that should watch this process.

    env adds to (or, with value None, removes from) the inherited environment;
    proxy variables are dropped so curl can only reach 127.0.0.1. stdin is
    str/bytes input (default /dev/null). bin and prefix run it through a
    wrapper (bin="nice", prefix=["-n", "-10", uptop_bin()]). On timeout the
    process is killed and rc is None. Output is text; invalid UTF-8 shows as
    U+FFFD."""
    full_env = base_env(env)
    if isinstance(stdin, str):
        stdin = stdin.encode()
    start = time.monotonic()
    proc = subprocess.Popen([bin or uptop_bin(), *prefix, *map(str, args)], env=full_env,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if lag:
        lag.watch(proc)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        rc = None
    wall = time.monotonic() - start
    return rc, out.decode(errors="replace"), err.decode(errors="replace"), wall


class Running:
    """uptop in the background. Its stdout and stderr are read line by line
    as they come (two threads), so a test waits for what it expects
    (wait_out / wait_err) instead of sleeping and hoping.

        p = Running(["--headless", "-c", cfg])
        p.wait_out(lambda o: o.get("new") == "up")
        rc = p.stop()               # SIGTERM, then the exit status
        p.out_lines, p.err_lines    # everything, in order
    """

    def __init__(self, args, env=None, **kw):
        full_env = base_env(env)
        self.proc = subprocess.Popen([uptop_bin(), *map(str, args)], env=full_env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, errors="replace", **kw)
        self.pid = self.proc.pid
        self.out_lines, self.err_lines = [], []
        self._readers = [threading.Thread(target=self._read, args=(f, dst), daemon=True)
                         for f, dst in ((self.proc.stdout, self.out_lines),
                                        (self.proc.stderr, self.err_lines))]
        for r in self._readers:
            r.start()

    @staticmethod
    def _read(f, dst):
        for line in f:
            dst.append(line.rstrip("\n"))

    def json_out(self):
        """stdout's lines so far, parsed (see json_lines)."""
        return json_lines("\n".join(self.out_lines))

    def wait_out(self, pred, timeout=20.0):
        """Waits until pred(record) holds for some JSON line of stdout."""
        return wait_until(lambda: any(pred(o) for o in self.json_out()), timeout)

    def wait_err(self, text, timeout=20.0):
        return wait_until(lambda: any(text in ln for ln in self.err_lines), timeout)

    def send(self, sig):
        """Sends a signal (SIGUSR1, SIGSTOP, ...)."""
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Sends sig (None: just wait) -> exit status (None if it had to be killed)."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        for r in self._readers:
            r.join()
        return rc


def tmux(sock, *args):
    """Runs a tmux command on the private server -L sock (no config file,
    fixed TERM and LC_ALL, no proxy variables) -> its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.pop("TMUX", None)
    env.update(LC_ALL="C.UTF-8", TERM="tmux-256color")
    return subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", *args], env=env,
                          capture_output=True, text=True, timeout=10).stdout


class Screen:
    """uptop's live table in a private tmux server (-L), for tests that
    read what it shows:

        with Screen(["-c", cfg], size=(160, 40)) as s:
            ok, text = s.wait_for(lambda text: "UP" in text)
            s.keys("/name", "Enter", "Enter")     # the detail view of name
    """

    def __init__(self, args, size=(160, 40)):
        self.sock = f"uptop-screen-{os.getpid()}-{id(self)}"
        cmd = " ".join(shlex.quote(str(a)) for a in [uptop_bin(), *args])
        tmux(self.sock, "new-session", "-d", "-x", str(size[0]), "-y", str(size[1]), cmd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        tmux(self.sock, "kill-server")

    def text(self):
        return tmux(self.sock, "capture-pane", "-p")

    def keys(self, *keys):
        tmux(self.sock, "send-keys", *keys)

    def wait_for(self, pred, timeout=20.0):
        """-> (pred held, the last screen)."""
        return wait_screen(self.text, pred, timeout)


def wait_screen(capture, pred, timeout, ended=lambda: False):
    """Polls capture() until pred holds of a settled screen -> (held, the
    last screen). A screen that satisfies pred counts once a second
    capture 0.1 s later does too, and that second one is returned: tmux
    can be caught mid-frame (a tall frame drawn in several writes), and a
    test must read what uptop drew, not half of it. Gives up at once when
    ended() (nothing will change)."""
    end = time.monotonic() + timeout
    while True:
        over = ended()
        s = capture()
        if pred(s):
            time.sleep(0.1)
            s = capture()
            if pred(s):
                return True, s
        if over or time.monotonic() > end:
            return pred(s), s
        time.sleep(0.05)


def json_lines(stdout):
    """Each non-blank line parsed as JSON; a bad line raises ValueError naming it."""
    records = []
    for n, line in enumerate(stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError as e:
            raise ValueError(f"line {n} is not JSON ({e}): {line[:200]!r}") from None
    return records


def write_config(tmpdir, text, name="uptop.yaml", dedent=True):
    """Writes text (dedented, so tests can indent inline YAML) -> its path."""
    path = os.path.join(str(tmpdir), name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text) if dedent else text)
    return path
