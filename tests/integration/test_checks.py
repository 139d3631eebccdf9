"""TCP and DNS checks and ip_version, against the real binary, the fixture's
banner and silent ports, a Redis-like listener in this test, a listener
whose backlog is full, and the fake DNS server (dnsfake.py):

- tcp://: open, refused, a connect that never completes, a banner that
  matches expect: or not, send: + expect: that match or not, a silent
  server; latency is the connect time; [CONNECTED] in conditions;
- DNS: NOERROR / NXDOMAIN / SERVFAIL, [DNS_RCODE] and [BODY] (A through a
  CNAME, MX, SRV, NS, TXT, PTR of an address) in Gatus' words, a server
  that never answers, one that is not there;
- ip_version 4/6 picks the address family of a name (::1 only when this
  machine has it), and an IP literal of the other family is a config error;
- a Gatus config with a dns: endpoint and a dns-resolver loads and runs;
- the table and --headless show the new kinds (CODE open / NOERROR).

Network: 127.0.0.1 (and ::1 when present) only."""

import os
import re
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from dnsfake import FakeDNS  # noqa: E402
from lib import (Fixture, Running, Screen, free_port, json_lines, run_uptop,  # noqa: E402
                 write_config)

BANNER = "SSH-2.0-OpenSSH_9.2p1 Debian-2"   # what the fixture's banner port says


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Redisish:
    """A listener that answers "PING\\r\\n" with "+PONG\\r\\n" and keeps the
    connection open until the client leaves, on 127.0.0.1 (and on the
    same port on ::1 with v6)."""

    def __init__(self, v6=False):
        self.socks = [socket.create_server(("127.0.0.1", 0))]
        self.port = self.socks[0].getsockname()[1]
        if v6:
            self.socks.append(socket.create_server(("::1", self.port),
                                                   family=socket.AF_INET6))
        self.accepted = {"127.0.0.1": 0, "::1": 0}
        for s in self.socks:
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, s):
        while True:
            try:
                c, peer = s.accept()
            except OSError:
                return
            self.accepted[peer[0]] = self.accepted.get(peer[0], 0) + 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    @staticmethod
    def _serve(c):
        with c:
            buf = b""
            while True:
                try:
                    d = c.recv(4096)
                except OSError:
                    return
                if not d:
                    return
                buf += d
                while b"\r\n" in buf:
                    line, buf = buf.split(b"\r\n", 1)
                    c.sendall(b"+PONG\r\n" if line == b"PING" else b"-ERR unknown\r\n")

    def close(self):
        for s in self.socks:
            s.close()


def by_name(out):
    return {r["name"]: r for r in json_lines(out)}


def check_tcp(t, fx, tmp):
    redis = Redisish()
    closed = free_port()
    # A full accept queue: the one connection below fills a backlog of 0,
    # so the kernel drops uptop's SYNs and its connect never completes.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    filler = socket.create_connection(full.getsockname())
    fp = full.getsockname()[1]
    rp, bp, sp = redis.port, fx.banner, fx.silent
    cfg = write_config(tmp, f"""
        defaults: {{timeout: 1500ms}}
        targets:
          - {{name: open, url: "tcp://127.0.0.1:{rp}"}}
          - {{name: connected, url: "tcp://127.0.0.1:{rp}",
              conditions: ["[CONNECTED] == true", "[RESPONSE_TIME] < 1000"]}}
          - {{name: refused, url: "tcp://127.0.0.1:{closed}"}}
          - {{name: no-connect, url: "tcp://127.0.0.1:{fp}", timeout: 1s}}
          - {{name: banner, url: "tcp://127.0.0.1:{bp}", expect: "SSH-2.0"}}
          - {{name: banner-smtp, url: "tcp://127.0.0.1:{bp}", expect: "220 "}}
          - {{name: ping, url: "tcp://127.0.0.1:{rp}", send: "PING\\r\\n", expect: "+PONG"}}
          - {{name: ping-ok, url: "tcp://127.0.0.1:{rp}", send: "PING\\r\\n", expect: "+OK",
              timeout: 1s}}
          - {{name: ping-body, url: "tcp://127.0.0.1:{rp}", send: "PING\\r\\n",
              conditions: ["[BODY] == pat(+PONG*)"]}}
          - {{name: silent, url: "tcp://127.0.0.1:{sp}"}}
          - {{name: silent-expect, url: "tcp://127.0.0.1:{sp}", expect: "hello", timeout: 1s}}
        """, name="tcp.yaml")
    try:
        rc, out, err, wall = run_uptop(["--once", "--format", "json", "-c", cfg])
    finally:
        filler.close()
        full.close()
    r = by_name(out)
    t.eq(rc, 2, "exit 2: some TCP targets are down")
    o = r["open"]
    t.ok(o["kind"] == "tcp" and o["state"] == "up" and o["error_class"] is None
         and o["remote_ip"] == "127.0.0.1" and o["http_status"] is None, "open port: up", o)
    tm = o["timings"]
    t.ok(o["latency_ms"] == tm["total_ms"] and 0 < tm["connect_ms"] <= tm["total_ms"]
         and tm["ttfb_ms"] == 0 and tm["tls_ms"] == 0,
         "latency: the lookup and the connect (connect_ms), nothing after", tm)
    t.ok(r["connected"]["state"] == "up", "[CONNECTED] == true holds on a connect",
         r["connected"])
    x = r["refused"]
    t.eq((x["state"], x["error_class"], x["error"], x["latency_ms"]),
         ("down", "refused", f"127.0.0.1:{closed}", None), "closed port: refused, no latency")
    x = r["no-connect"]
    t.ok(x["state"] == "down" and x["error_class"] == "connect_timeout"
         and re.fullmatch(rf"timed out after (9\d\d|1\d\d\d) ms connecting to 127\.0\.0\.1:{fp}",
                         x["error"] or ""),
         "a SYN nobody answers: connect_timeout, naming the address", x)
    t.ok(r["banner"]["state"] == "up" and r["banner"]["answer"] == BANNER,
         "a banner with the expected text: up, the first line kept", r["banner"])
    x = r["banner-smtp"]
    t.eq((x["state"], x["error_class"], x["error"]),
         ("down", "body", f'"220 " not found in the reply ({len(BANNER) + 2} bytes read: '
          f'"{BANNER}")'), "a banner without it, the peer closed: class body, what was read")
    t.ok(r["ping"]["state"] == "up" and r["ping"]["answer"] == "+PONG",
         "send: PING, expect: +PONG: up", r["ping"])
    x = r["ping-ok"]
    t.ok(x["state"] == "down" and x["error_class"] == "timeout" and re.fullmatch(
        r'timed out after (9\d\d|1\d\d\d) ms waiting for "\+OK" \(7 bytes read: "\+PONG"\)',
        x["error"] or ""), "send: PING, expect: +OK, the peer keeps the connection: "
        "timeout, what was read", x)
    t.ok(r["ping-body"]["state"] == "up", "send: alone, [BODY] is the reply",
         r["ping-body"])
    t.ok(r["silent"]["state"] == "up", "a silent port with no send/expect: up (connected)",
         r["silent"])
    x = r["silent-expect"]
    t.ok(x["error_class"] == "timeout" and re.fullmatch(
        r'timed out after (9\d\d|1\d\d\d) ms waiting for "hello" \(no reply\)', x["error"] or ""),
        "a silent port with expect: timeout, no reply", x)

    rc, out, err, _ = run_uptop(["--once", "-c", cfg])
    t.ok(re.search(r"^up\s+ping\s+open\s+[\d.]+ms\s*$", out, re.M)
         and re.search(r"^down\s+refused\s+-\s+-\s+refused: 127\.0\.0\.1:", out, re.M),
         "--once table: CODE open, the refusal with its class", out)
    redis.close()


DNS_RECORDS = {
    ("www.test", "A"): [("CNAME", "edge.test"), "127.0.0.9"],
    ("www.test", "CNAME"): ["edge.test"],
    ("mx.test", "MX"): [(10, "mail.test"), (20, "backup.test")],
    ("_sip._udp.test", "SRV"): [(10, 5, 5060, "sip.test")],
    ("zone.test", "NS"): ["ns1.zone.test"],
    ("txt.test", "TXT"): [["v=spf1", " -all"], ["second"]],
    ("9.0.0.127.in-addr.arpa", "PTR"): ["nine.test"],
}


def dns_targets(server):
    rows = [
        ("a", "svc.test", "A", ["[BODY] == 127.0.0.2", "[DNS_RCODE] == NOERROR"]),
        ("a-default", "svc.test", None, None),
        ("nxdomain", "nope.test", "A", None),
        ("servfail", "servfail.test", "A", None),
        ("refused-rcode", "refused.test", "A", None),
        ("nx-expected", "nope.test", "A", ["[DNS_RCODE] == NXDOMAIN"]),
        ("rcode-cond", "servfail.test", "A", ["[DNS_RCODE] == NOERROR"]),
        ("any-rcode", "servfail.test", "A", ["[DNS_RCODE] == any(NOERROR, SERVFAIL)"]),
        ("cname-a", "www.test", "A", ["[BODY] == 127.0.0.9"]),
        ("cname", "www.test", "CNAME", ["[BODY] == edge.test."]),
        ("mx", "mx.test", "MX", ["[BODY] == backup.test."]),
        ("srv", "_sip._udp.test", "SRV", ["[BODY] == sip.test.:5060"]),
        ("ns", "zone.test", "NS", ["[BODY] == ns1.zone.test."]),
        ("txt", "txt.test", "TXT", ["len([BODY]) == 0"]),
        ("ptr", "127.0.0.9", "PTR", ["[BODY] == nine.test."]),
        ("nodata", "svc.test", "AAAA", ["[DNS_RCODE] == NOERROR", "[BODY] == "]),
        ("silent", "slow.test", "A", None),
    ]
    text = ""
    for name, q, qt, conds in rows:
        text += f"  - name: {name}\n    url: \"{server}\"\n    dns: {{query_name: \"{q}\""
        text += f", query_type: {qt}}}\n" if qt else "}\n"
        if conds:
            text += "    conditions: [" + ", ".join(f'"{c}"' for c in conds) + "]\n"
    return text


def check_dns(t, tmp):
    with FakeDNS(answers={"svc.test": "127.0.0.2"}, records=DNS_RECORDS,
                 rcodes={"servfail.test": 2, "refused.test": 5}, silent={"slow.test"}) as dns:
        dead = free_port()
        cfg = write_config(tmp, "defaults: {timeout: 1s}\ntargets:\n"
                           + dns_targets(dns.server)
                           + f"  - name: no-server\n    url: \"127.0.0.1:{dead}\"\n"
                             "    dns: {query_name: svc.test}\n", name="dns.yaml",
                           dedent=False)
        rc, out, err, wall = run_uptop(["--once", "--format", "json", "-c", cfg])
        queries = dict(dns.queries)
        rc2, table, _, _ = run_uptop(["--once", "-c", cfg])
    r = by_name(out)
    t.ok(rc == 2, "exit 2: some DNS targets are down", err)
    a = r["a"]
    t.ok(a["kind"] == "dns" and a["state"] == "up" and a["dns_rcode"] == "NOERROR"
         and a["answer"] == "127.0.0.2" and a["remote_ip"] == "127.0.0.1"
         and a["latency_ms"] is not None, "A: NOERROR, [BODY] the address, latency known", a)
    t.ok(r["a-default"]["state"] == "up" and r["a-default"]["answer"] == "127.0.0.2",
         "query_type defaults to A; no conditions: NOERROR is up", r["a-default"])
    for name, rcode in (("nxdomain", "NXDOMAIN"), ("servfail", "SERVFAIL"),
                        ("refused-rcode", "REFUSED")):
        x = r[name]
        t.eq((x["state"], x["error_class"], x["error"], x["dns_rcode"]),
             ("down", "status", f"got {rcode}, expected NOERROR", rcode),
             f"{rcode} without conditions: down (status), the rcode said")
        t.ok(x["latency_ms"] is not None, f"{rcode} is an answer: its latency is known")
    t.ok(r["nx-expected"]["state"] == "up", "[DNS_RCODE] == NXDOMAIN holds on NXDOMAIN: up",
         r["nx-expected"])
    x = r["rcode-cond"]
    t.eq((x["state"], x["error_class"], x["error"]),
         ("down", "condition", "[DNS_RCODE] (SERVFAIL) == NOERROR"),
         "a failing [DNS_RCODE] condition: Gatus' resolved form")
    t.ok(r["any-rcode"]["state"] == "up", "[DNS_RCODE] == any(NOERROR, SERVFAIL)",
         r["any-rcode"])
    for name in ("cname-a", "cname", "mx", "srv", "ns", "ptr"):
        t.ok(r[name]["state"] == "up", f"{name}: [BODY] as Gatus writes it", r[name])
    t.eq(r["mx"]["answer"], "backup.test.", "MX: the last record's exchange, final dot "
         "(Gatus keeps the last)")
    x = r["txt"]
    t.eq(x["error"], "len([BODY]) (18) == 0", "TXT: every record, joined by a newline "
         "(v=spf1 -all\\nsecond is 18 bytes)")
    t.eq(queries.get("9.0.0.127.in-addr.arpa"), 1, "PTR of an address asks for its "
         "reverse name")
    t.ok(r["nodata"]["state"] == "up" and r["nodata"]["answer"] is None,
         "NOERROR without records: [BODY] is empty", r["nodata"])
    x = r["silent"]
    t.ok(x["state"] == "down" and x["error_class"] == "timeout" and re.fullmatch(
        r"no answer from 127\.0\.0\.1:\d+ after (9\d\d|1\d\d\d) ms", x["error"] or ""),
        "a server that never answers: timeout, naming it", x)
    x = r["no-server"]
    t.ok(x["state"] == "down" and x["error_class"] in ("refused", "timeout")
         and f"127.0.0.1:{dead}" in (x["error"] or ""),
         "no server on the port: down, naming it", x)

    t.ok(re.search(r"^down\s+servfail\s+SERVFAIL\s+[\d.]+ms\s+status: got SERVFAIL", table,
                   re.M) and re.search(r"^up\s+nx-expected\s+NXDOMAIN\s", table, re.M),
         "--once table: CODE is the rcode", table)


def check_ip_version(t, fx, tmp):
    v6 = has_ipv6_loopback()
    redis = Redisish(v6=v6)
    rp = redis.port
    records = {("dual.test", "A"): ["127.0.0.1"], ("four.test", "A"): ["127.0.0.1"]}
    if v6:
        records[("dual.test", "AAAA")] = ["::1"]
    with FakeDNS(records=records) as dns:
        cfg = write_config(tmp, f"""
            defaults: {{timeout: 2s}}
            targets:
              - {{name: tcp4, url: "tcp://dual.test:{rp}", ip_version: 4}}
              - {{name: tcp6, url: "tcp://dual.test:{rp}", ip_version: 6}}
              - {{name: only4-as-6, url: "tcp://four.test:{rp}", ip_version: 6}}
              - {{name: http4, url: "http://dual.test:{fx.http}/ok", ip_version: 4}}
            """, name="ipv.yaml")
        rc, out, err, _ = run_uptop(["--once", "--format", "json", "--dns-server", dns.server,
                                     "-c", cfg])
    r = by_name(out)
    t.ok(r["tcp4"]["state"] == "up" and r["tcp4"]["remote_ip"] == "127.0.0.1",
         "ip_version 4: the IPv4 address", r["tcp4"])
    if v6:
        t.ok(r["tcp6"]["state"] == "up" and r["tcp6"]["remote_ip"] == "::1"
             and redis.accepted["::1"] == 1, "ip_version 6: the IPv6 address (::1)", r["tcp6"])
    else:
        t.skip("ip_version 6 connects to ::1", "no IPv6 loopback here")
    x = r["only4-as-6"]
    t.eq((x["state"], x["error_class"], x["error"]),
         ("down", "dns", "'four.test' has no IPv6 address (ip_version: 6); it has 127.0.0.1"),
         "ip_version 6 on a name with only IPv4 addresses: a dns failure that says so")
    t.ok(r["http4"]["state"] == "up" and r["http4"]["remote_ip"] == "127.0.0.1",
         "ip_version 4 on an HTTP target", r["http4"])
    redis.close()

    bad = write_config(tmp, "targets:\n  - {name: x, url: \"tcp://[::1]:22\", ip_version: 4}\n",
                       name="ipv-bad.yaml", dedent=False)
    rc, out, err, _ = run_uptop(["--check", "-c", bad])
    t.ok(rc != 0 and re.search(r"ipv-bad\.yaml:2:\d+: ip_version 4: \[::1\] is an IPv6 address",
                               err), "an IPv6 literal with ip_version 4: a config error", err)
    bad = write_config(tmp, "targets:\n  - {name: x, url: \"tcp://127.0.0.1:22\", "
                       "ip_version: 5}\n", name="ipv-bad5.yaml", dedent=False)
    rc, out, err, _ = run_uptop(["--check", "-c", bad])
    t.ok(rc != 0 and "ipv-bad5.yaml:2:" in err and "ip_version" in err,
         "ip_version 5: a config error at its line", err)


def check_gatus(t, fx, tmp):
    with FakeDNS(answers={"svc.test": "127.0.0.2", "app.test": "127.0.0.1"}) as dns:
        cfg = write_config(tmp, f"""
            endpoints:
              - name: example-dns-query
                url: "{dns.server}"
                interval: 5m
                dns:
                  query-name: "svc.test"
                  query-type: "A"
                conditions:
                  - "[BODY] == 127.0.0.2"
                  - "[DNS_RCODE] == NOERROR"
              - name: wrong-answer
                url: "{dns.server}"
                dns: {{query-name: "svc.test", query-type: "A"}}
                conditions: ["[BODY] == 127.0.0.3"]
              - name: via-resolver
                url: "http://app.test:{fx.http}/ok"
                client: {{dns-resolver: "udp://{dns.server}"}}
                conditions: ["[STATUS] == 200", "[IP] == 127.0.0.1"]
              - name: redis
                url: "tcp://127.0.0.1:{fx.banner}"
                conditions: ["[CONNECTED] == true"]
            """, name="gatus.yaml")
        rc, out, err, _ = run_uptop(["--check", "-c", cfg])
        t.eq((rc, err), (0, ""), "a Gatus config with dns:, dns-resolver and tcp:// loads, "
             "without a warning")
        rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
        asked = dns.queries.get("app.test", 0)
    r = by_name(out)
    t.ok(r["example-dns-query"]["state"] == "up", "Gatus' DNS example: up",
         r["example-dns-query"])
    t.eq(r["wrong-answer"]["error"], "[BODY] (127.0.0.2) == 127.0.0.3",
         "a wrong answer: Gatus' message")
    t.ok(r["via-resolver"]["state"] == "up" and asked >= 1,
         "client.dns-resolver: the name is looked up there", r["via-resolver"])
    t.ok(r["redis"]["state"] == "up", "tcp:// with [CONNECTED]", r["redis"])


def check_headless(t, fx, tmp):
    with FakeDNS(answers={"svc.test": "127.0.0.2"}) as dns:
        cfg = write_config(tmp, f"""
            targets:
              - {{name: d, url: "{dns.server}", dns: {{query_name: nope.test}}}}
              - {{name: c, url: "tcp://127.0.0.1:{free_port()}"}}
            """, name="headless.yaml")
        p = Running(["--headless", "-c", cfg])
        try:
            ok = p.wait_out(lambda o: o.get("type") == "state" and o.get("name") == "c"
                            and o.get("new") == "down") \
                and p.wait_out(lambda o: o.get("type") == "state" and o.get("name") == "d"
                               and o.get("new") == "down")
        finally:
            p.stop()
    st = {o["name"]: o for o in p.json_out() if o.get("type") == "state"}
    t.ok(ok and st["d"]["error"] == "got NXDOMAIN, expected NOERROR"
         and st["c"]["error_class"] == "refused", "--headless: DNS and TCP failures with "
         "their classes", st)


def check_screen(t, fx, tmp):
    """The live table's CODE and the detail view's answer and command that
    reproduces the check (nc, dig)."""
    redis = Redisish()
    with FakeDNS(answers={"svc.test": "127.0.0.2"}) as dns:
        cfg = write_config(tmp, f"""
            targets:
              - {{name: ping, url: "tcp://127.0.0.1:{redis.port}", send: "PING\\r\\n",
                  expect: "+PONG", ip_version: 4, timeout: 2s}}
              - {{name: svc, url: "{dns.server}", dns: {{query_name: svc.test}}, timeout: 2s}}
            """, name="screen.yaml")
        with Screen(["-c", cfg]) as s:
            ok, text = s.wait_for(lambda x: re.search(r"^UP\s+ping\s+open\s", x, re.M)
                                  and re.search(r"^UP\s+svc\s+NOERROR\s", x, re.M))
            t.ok(ok, "the live table: CODE open for TCP, the rcode for DNS", text)
            s.keys("/ping", "Enter", "Enter")
            ok, text = s.wait_for(lambda x: "Reproduce with nc" in x)
            t.ok(ok and "Answer" in text and "+PONG" in text and
                 f"printf 'PING\\r\\n' | nc -v -4 -w 2 127.0.0.1 {redis.port}" in text,
                 "TCP detail: the answer, and nc with what is sent", text)
            s.keys("Escape", "Escape")
            s.wait_for(lambda x: "Reproduce with" not in x)
            s.keys("/svc", "Enter", "Enter")
            port = dns.server.split(":")[1]
            ok, text = s.wait_for(lambda x: "Reproduce with dig" in x)
            t.ok(ok and "127.0.0.2" in text
                 and f"dig @127.0.0.1 -p {port} svc.test A +time=2" in text,
                 "DNS detail: the answer, and dig", text)
    redis.close()


def main(t):
    with tempfile.TemporaryDirectory(prefix="uptop-checks-") as tmp, Fixture(tls=False) as fx:
        check_tcp(t, fx, tmp)
        check_dns(t, tmp)
        check_ip_version(t, fx, tmp)
        check_gatus(t, fx, tmp)
        check_headless(t, fx, tmp)
        check_screen(t, fx, tmp)


lib.main(main)
