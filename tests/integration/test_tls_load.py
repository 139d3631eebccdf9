# uptop-test: alone (it measures loop lag under load; tests/run.sh runs it with nothing beside it)
"""uptop's own TLS work is never blamed on a target, against the real
binary and loopback fixture servers:

- the first round: one HTTP and one HTTPS target in --once; loading the
  system CA store (~30 ms of CPU) must not land in the HTTP check's
  latency (it is loaded before the first check starts);
- a flood of new TLS handshakes (2,000 fresh_connection HTTPS targets, the
  first round in the first 10% of the interval) never holds the loop for
  more than 50 ms in one turn, and no target goes falsely down;
- plain HTTP checks in the middle of that flood keep a latency close to
  the server's (measured and printed; bounded generously).

Timing margins grow with the scheduling lag a probe thread measures while
uptop runs: the machine is shared. Network: 127.0.0.1 only."""

import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Fixture, Tap, json_lines, raise_fd_limit, run_uptop, uptop_bin, write_config  # noqa: E402

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1
# A loop turn is measured in wall time: on a shared 2-core box other
# processes (the fixture servers among them) preempt it. What is measured
# here is uptop's own work, so uptop runs ahead of them where allowed
# (root; otherwise nice only warns and the lag margin has to do).
PRIORITY = ["nice", "-n", "-10", uptop_bin()]


class LagProbe:
    """Measures how late a 5 ms sleep wakes up while it runs: the machine's
    own scheduling noise, to widen timing margins by."""

    def __init__(self):
        self.worst = 0.0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop:
            t0 = time.monotonic()
            time.sleep(0.005)
            self.worst = max(self.worst, (time.monotonic() - t0 - 0.005) * 1000)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def http_latency(args):
    rc, out, err, _ = run_uptop(["--once", "--format", "json", *args])
    r = {o["name"]: o for o in json_lines(out)}
    return next(o["latency_ms"] for n, o in r.items() if n.startswith("http"))


def check_first_round(tmp):
    """The HTTP target's latency with an HTTPS target beside it (verified
    against the system store), against the same target alone: medians
    of several rounds. Separate servers, so the HTTPS server's handshake
    cannot delay the HTTP answer."""
    with Fixture(tls=False) as plain, Fixture(tls=True) as tls:
        alone = write_config(tmp, f"""
            targets:
              - {{name: http, url: "{plain.url('/ok')}"}}
            """, name="alone.yaml")
        both = write_config(tmp, f"""
            targets:
              - {{name: http, url: "{plain.url('/ok')}"}}
              - {{name: tls, url: "{tls.url('/ok', tls=True)}"}}
            """, name="both.yaml")
        with LagProbe() as lag:
            solo = [http_latency(["-c", alone]) for _ in range(7)]
            mixed = [http_latency(["-c", both]) for _ in range(7)]
        extra = statistics.median(mixed) - statistics.median(solo)
        t.diag(f"HTTP latency alone {sorted(solo)} ms; beside HTTPS {sorted(mixed)} ms; "
               f"probe lag {lag.worst:.1f} ms")
        t.ok(extra < 10 + lag.worst / 2,
             f"the CA store is not loaded on an HTTP check's clock "
             f"(median +{extra:.1f} ms beside an HTTPS target)")


def check_handshake_flood(tmp):
    """2,000 fresh_connection HTTPS targets every 10 s: the first round
    falls in the first second. The longest loop turn stays under 50 ms.
    The timeout is long (9 s): the Python server, on the same two cores,
    must not be what fails a check."""
    if os.environ.get("UPTOP_SANITIZED"):
        t.skip("a 2,000-handshake flood within 50 ms turns",
               "a performance bound: ASan slows uptop several times, not OpenSSL or the server")
        return
    raise_fd_limit()
    with Fixture(tls=True) as fx:
        rows = "\n".join(f'  - {{name: t{i}, url: "{fx.url(f"/ok?i={i}", tls=True)}"}}'
                         for i in range(2000))
        cfg = write_config(tmp, f'defaults: {{interval: 10s, timeout: 9s, fresh_connection: true, '
                                f'ca_file: "{fx.ca}"}}\ntargets:\n{rows}\n', name="flood.yaml")
        with LagProbe() as lag:
            rc, out, err, _ = run_uptop(["--headless", "-d", f"{12 * SLOW}s", "-c", cfg],
                                        timeout=60 * SLOW, bin=PRIORITY[0],
                                        prefix=PRIORITY[1:])
        lines = json_lines(out)
        stats = lines[-1] if lines and lines[-1].get("type") == "stats" else {}
        downs = [o for o in lines if o.get("new") == "down"]
        turn = stats.get("longest_turn_ms", 1e9)
        t.diag(f"flood: longest turn {turn} ms, lag p99 {stats.get('lag_p99_ms')} ms, "
               f"checks {stats.get('checks')}, probe lag {lag.worst:.1f} ms")
        # The turn is wall time: a preempted turn looks long. Only the
        # machine's lag beyond what a busy 2-core box always shows counts.
        t.ok(turn <= 50 * SLOW + max(0.0, lag.worst - 25),
             f"2,000 fresh TLS handshakes: longest loop turn {turn} ms (<= 50 ms)")
        t.ok(not downs, "no target goes falsely down under the handshake flood",
             sorted({(o.get("error_class"), o.get("error")) for o in downs})[:5])
        t.ok(stats.get("checks", 0) >= 2000, f"the first round completed ({stats.get('checks')})")


def check_latency_under_flood(tmp):
    """One --once round: 1,000 new TLS connections and 50 plain HTTP
    checks, each kind on its own server. The plain checks wait at most
    for a few loop turns of handshake work, not for the whole flood."""
    raise_fd_limit()
    with Fixture(tls=False) as plain, Fixture(tls=True) as tls:
        rows = []
        for i in range(1000):
            rows.append(f'  - {{name: t{i}, url: "{tls.url(f"/ok?i={i}", tls=True)}", '
                        f'ca_file: "{tls.ca}"}}')
            if i % 20 == 0:
                rows.append(f'  - {{name: h{i}, url: "{plain.url(f"/ok?i={i}")}"}}')
        cfg = write_config(tmp, "defaults: {timeout: 10s, interval: 20s}\ntargets:\n"
                           + "\n".join(rows) + "\n", name="mix.yaml")
        with LagProbe() as lag:
            rc, out, err, wall = run_uptop(["--once", "--format", "json", "-c", cfg],
                                           timeout=60 * SLOW, bin=PRIORITY[0],
                                           prefix=PRIORITY[1:])
        r = json_lines(out)
        h = sorted(o["latency_ms"] or 1e9 for o in r if o["name"].startswith("h"))
        t.eq((rc, len(r)), (0, 1050), "every check of the flood is up")
        if h:
            t.diag(f"plain HTTP latency under 1,000 new TLS handshakes: p50 {h[len(h) // 2]:.1f} "
                   f"ms, max {h[-1]:.1f} ms; round {wall:.2f} s; probe lag {lag.worst:.1f} ms")
            t.ok(h[len(h) // 2] < 400 * SLOW + lag.worst,
                 f"plain checks are not held behind the whole flood (p50 {h[len(h) // 2]:.0f} ms)")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_first_round(tmp)
        check_handshake_flood(tmp)
        check_latency_under_flood(tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
