"""DNS that moves, drops and fails, against the real binary and a fake DNS
server on 127.0.0.1 (tests/integration/dnsfake.py):

- a name that moves to another address is followed within TTL + 2
  intervals, although the connection to the old address is still open;
- one lost UDP packet per name costs a retry, not the check (1 s timeout),
  and a dead first DNS server with a live second one fits in 1 s;
- an expired answer whose refresh fails or hangs is served stale (the
  target stays up, the detail view says so); NXDOMAIN fails at once;
- a new host name on every check (redirects to CDN edges) keeps memory
  flat: RSS slope over a run with thousands of distinct names;
- a bad --dns-server entry is named with its position and what is wrong.

Network: 127.0.0.x only."""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Fixture, base_env, Tap, json_lines, run_uptop, tmux, uptop_bin, write_config  # noqa: E402
from dnsfake import FakeDNS  # noqa: E402

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1


class Headless:
    """uptop --headless in the background; its JSON lines are collected
    with the monotonic time each arrived."""

    def __init__(self, args):
        env = base_env()
        self.proc = subprocess.Popen([uptop_bin(), "--headless", *map(str, args)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=env)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                self.lines.append((time.monotonic(), json.loads(raw)))
            except ValueError:
                self.lines.append((time.monotonic(), {"type": "garbage", "raw": raw}))

    def events(self, name=None):
        return [(ts, o) for ts, o in self.lines
                if o.get("type") == "state" and (name is None or o.get("name") == name)]

    def wait(self, cond, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            hit = cond()
            if hit:
                return hit
            time.sleep(0.05)
        return cond()

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def finish(self, timeout=30):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(5)
        return self.proc.stderr.read().decode(errors="replace")


def check_move(tmp):
    """svc.test moves from 127.0.0.2 (200) to 127.0.0.3 (503), TTL 1 s,
    interval 1 s: the next checks must reach the new server although the
    keep-alive connection to the old one is still open."""
    with Fixture(tls=False, host="127.0.0.2") as old, \
            Fixture(tls=False, host="127.0.0.3", port=old.http, all_status=503) as new, \
            FakeDNS(answers={"svc.test": "127.0.0.2"}, ttl=1) as dns:
        cfg = write_config(tmp, f"""
            targets:
              - {{name: svc, url: "http://svc.test:{old.http}/ok", interval: 1s, timeout: 800ms}}
            """, name="move.yaml")
        h = Headless(["--dns-server", dns.server, "-d", f"{12 * SLOW}s", "-c", cfg])
        up = h.wait(lambda: [e for e in h.events("svc") if e[1]["new"] == "up"], 5 * SLOW)
        t.ok(up, "the target is up on the first address", h.lines)
        time.sleep(1.5)                       # a few checks over one kept connection
        moved = time.monotonic()
        dns.set("svc.test", "127.0.0.3")
        down = h.wait(lambda: [e for e in h.events("svc") if e[1]["new"] == "down"], 8 * SLOW)
        err = h.finish()
        took = down[0][0] - moved if down else None
        t.ok(down and down[0][1]["error_class"] == "status" and "503" in down[0][1]["error"],
             "after the move the checks reach the new server (503)", (h.lines, err[-300:]))
        # TTL 1 s + 2 intervals of 1 s, plus the scheduling grain.
        t.ok(took is not None and took <= 3.0 + 1.0 * SLOW,
             f"the move is followed within TTL + 2 intervals ({took and round(took, 2)} s)")
        t.ok(new.hits("/ok") > 0, f"the new server got requests ({new.hits('/ok')})")
        rc, out, _, _ = run_uptop(["--once", "--format", "json", "--dns-server", dns.server,
                                   f"http://svc.test:{old.http}/ok"])
        r = json_lines(out)[0]
        t.ok(r["remote_ip"] == "127.0.0.3" and r["http_status"] == 503,
             "remote_ip shows the new address", r)


def check_lost_packet(tmp):
    """The resolver drops the first query for each name and type; checks
    have a 1 s timeout. A retry must come in time."""
    with Fixture(tls=False) as fx, \
            FakeDNS(answers={"*.lossy.test": "127.0.0.1"}, drop_first=True) as dns:
        rows = "\n".join(f'  - {{name: n{i}, url: "http://n{i}.lossy.test:{fx.http}/ok", '
                         f'timeout: 1s}}' for i in range(20))
        cfg = write_config(tmp, "targets:\n" + rows + "\n", name="lossy.yaml")
        rc, out, err, wall = run_uptop(["--once", "--format", "json", "--dns-server", dns.server,
                                        "-c", cfg])
        r = json_lines(out)
        up = [o for o in r if o["state"] == "up"]
        t.ok(dns.dropped >= 20, f"the server dropped the first query of each name ({dns.dropped})")
        t.eq((rc, len(r), len(up)), (0, 20, 20),
             "one lost packet per name: all 20 up with a 1 s timeout")
        slow = max((o["timings"]["dns_ms"] for o in r), default=0)
        t.ok(slow < 900, f"the retry came well inside the timeout (slowest lookup {slow:.0f} ms)")


def check_dead_first_server(tmp):
    """First server silent (dead), second one live: a 1 s timeout fits both."""
    with Fixture(tls=False) as fx, FakeDNS() as dead, \
            FakeDNS(answers={"*.two.test": "127.0.0.1"}) as live:
        dead.mode = "drop"
        rows = "\n".join(f'  - {{name: n{i}, url: "http://n{i}.two.test:{fx.http}/ok", '
                         f'timeout: 1s}}' for i in range(10))
        cfg = write_config(tmp, "targets:\n" + rows + "\n", name="two.yaml")
        rc, out, err, _ = run_uptop(["--once", "--format", "json", "--dns-server",
                                     f"{dead.server},{live.server}", "-c", cfg])
        r = json_lines(out)
        t.eq((rc, sum(o["state"] == "up" for o in r)), (0, 10),
             "a dead first DNS server and a live second one: all up in 1 s")
        t.ok(sum(dead.queries.values()) > 0, "the dead server was asked first", dead.queries)


def check_serve_stale(tmp):
    """TTL 1 s, interval 1 s. The server then fails (SERVFAIL), then stops
    answering: the target stays up on the stale answer for as long as that
    lasts (well past the 10 s uptop once cached answers for), the detail
    view says so; then NXDOMAIN makes it DOWN at once."""
    with Fixture(tls=False) as fx, FakeDNS(answers={"stale.test": "127.0.0.1"}, ttl=1) as dns:
        cfg = write_config(tmp, f"""
            targets:
              - {{name: st, url: "http://stale.test:{fx.http}/ok", interval: 1s, timeout: 900ms}}
            """, name="stale.yaml")
        sock = f"uptop-dns-{os.getpid()}"
        cmd = f"{uptop_bin()} --dns-server {dns.server} -c {cfg}"
        try:
            tmux(sock, "new-session", "-d", "-x", "160", "-y", "40", cmd)
            end = time.monotonic() + 5 * SLOW
            while time.monotonic() < end and not re.search(r"\bUP\b", tmux(sock, "capture-pane", "-p")):
                time.sleep(0.1)
            time.sleep(1.2)
            dns.mode = "servfail"
            time.sleep(6)
            table = tmux(sock, "capture-pane", "-p")
            t.ok(re.search(r"\bUP\b.*\bst\b", table) and "DOWN" not in table,
                 "refresh fails with SERVFAIL: still UP on the stale answer", table)
            dns.mode = "drop"
            time.sleep(6)
            table = tmux(sock, "capture-pane", "-p")
            t.ok(re.search(r"\bUP\b.*\bst\b", table) and "DOWN" not in table,
                 "the DNS server stops answering: still UP (12 s past the TTL)", table)
            tmux(sock, "send-keys", "Enter")
            time.sleep(0.5 * SLOW)
            detail = tmux(sock, "capture-pane", "-p")
            t.ok("DNS: stale answer" in detail and "past its TTL" in detail,
                 "the detail view says the answer is stale", detail)
            tmux(sock, "send-keys", "Escape")
            dns.mode = "nxdomain"
            # A refresh failed lately, so the check in flight got the stale
            # answer at once and asked behind it: the next one sees the
            # NXDOMAIN. Two intervals, and a query still retrying.
            end = time.monotonic() + 6 * SLOW
            table = ""
            while time.monotonic() < end and "DOWN" not in table:
                time.sleep(0.1)
                table = tmux(sock, "capture-pane", "-p")
            t.ok("DOWN" in table and "dns: cannot resolve" in table and "no such" in table,
                 "NXDOMAIN is a dns failure at once, never served stale", table)
        finally:
            tmux(sock, "kill-server")


def check_bounded_memory(tmp):
    """Every check redirects to a host name never seen before (uN.edge.test):
    200 targets at 1 s make 200 new names a second. After a warm-up, RSS
    must stay flat: the resolver forgets idle names, libcurl's DNS cache
    only holds transient entries, idle connections to old names close."""
    if os.environ.get("UPTOP_SANITIZED"):
        t.skip("RSS flat with a new name per check",
               "ASan's quarantine holds freed memory: RSS is not the program's")
        return
    duration = 60
    with Fixture(tls=False) as fx, FakeDNS(answers={"*.edge.test": "127.0.0.1"}, ttl=1) as dns:
        rows = "\n".join(f'  - {{name: e{i}, url: "{fx.url(f"/redirect-unique?zone=edge.test&i={i}")}"}}'
                         for i in range(200))
        cfg = write_config(tmp, "defaults: {interval: 1s, timeout: 900ms}\ntargets:\n" + rows + "\n",
                           name="edge.yaml")
        h = Headless(["--dns-server", dns.server, "-d", f"{duration}s", "-c", cfg])
        samples = []
        start = time.monotonic()
        while h.proc.poll() is None and time.monotonic() - start < duration - 1:
            time.sleep(2)
            try:
                samples.append((time.monotonic() - start, h.rss_kb()))
            except OSError:
                break
        h.finish(timeout=30)
        names = sum(1 for k in dns.queries if k.endswith(".edge.test"))
        t.ok(names >= 5000, f"thousands of distinct names were looked up ({names})")
        early = [kb for s, kb in samples if 15 <= s <= 25]
        late = [kb for s, kb in samples if s >= duration - 12]
        grow = (max(late) - min(early)) / 1024 if early and late else None
        t.ok(grow is not None and grow < 3.0,
             f"RSS flat from 20 s to {duration} s with a new name per check "
             f"(grew {grow if grow is None else round(grow, 2)} MB)", samples)
        downs = [o for _, o in h.events() if o["new"] == "down"]
        t.eq(len(downs), 0, "no target went down")


def check_server_list():
    rc, _, err, _ = run_uptop(["--once", "--dns-server", "127.0.0.1,999.1.1.1", "http://x.test/"])
    t.ok(rc == 3 and "uptop: --dns-server: entry 2 '999.1.1.1' is not an IPv4 or IPv6 address" in err,
         "a bad DNS server names its entry and why", err)
    rc, _, err, _ = run_uptop(["--once", "--dns-server", "dns.google", "http://x.test/"])
    t.ok(rc == 3 and "entry 1 'dns.google' is a name, not an IP address" in err,
         "a DNS server given by name is refused with the reason", err)
    rc, _, err, _ = run_uptop(["--once", "--dns-server", "127.0.0.1:99999", "http://x.test/"])
    t.ok(rc == 3 and "bad port" in err, "a bad DNS server port is named", err)
    rc, _, err, _ = run_uptop(["--once", "--dns-server", "[::1]:5353,127.0.0.1:53",
                               "http://127.0.0.1:9/"])
    t.ok(rc != 3, "[IPv6]:port and IPv4:port entries are accepted", err)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_server_list()
        check_lost_packet(tmp)
        check_dead_first_server(tmp)
        check_move(tmp)
        check_serve_stale(tmp)
        check_bounded_memory(tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
