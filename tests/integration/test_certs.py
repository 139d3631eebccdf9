"""Certificate expiry, against certificates made at test time (certs.py):
a leaf that expires in 3 days, one in 30 days, one that expired
yesterday, and a chain whose intermediate expires before its leaf.

cert_expiry makes a target degraded (class cert_expiry) with the days, the
date and the CN; an expired certificate is down (tls) when verified; the
earliest notAfter of the chain as presented counts, and [CERTIFICATE_
EXPIRATION] is the leaf's, as in Gatus. The dates reach --once (table,
JSON), --headless, the Prometheus page and the live table, and a check on
a kept-alive connection still knows its certificate (read once per
connection, no new handshake)."""

import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from certs import Certs  # noqa: E402
from lib import (Fixture, Running, Screen, json_lines, run_uptop, wait_until,  # noqa: E402
                 write_config)

DAY = 86400


def day(cert):
    return cert.not_after.strftime("%Y-%m-%d")


def by_name(records):
    return {r["name"]: r for r in records}


def make(tmp):
    c = Certs(tmp)
    root = c.ca("root", "uptop test root")
    inter = c.ca("inter", "uptop test intermediate", root, days=2)
    certs = {
        "soon": c.leaf("soon", "soon.uptop.test", root, days=3),
        "month": c.leaf("month", "month.uptop.test", root, days=30),
        "expired": c.leaf("expired", "expired.uptop.test", root, days=-1, start_days=-10),
        "chained": c.leaf("chained", "chained.uptop.test", inter, days=60),
    }
    return c, root, inter, certs


def config(fx, tmp, root):
    p = fx.cert_ports
    u = lambda name: f"https://127.0.0.1:{p[name]}/ok"  # noqa: E731
    return write_config(tmp, f"""
        defaults:
          ca_file: {root.path}
          timeout: 3s
        targets:
          - {{name: soon, url: "{u('soon')}"}}
          - {{name: soon-off, url: "{u('soon')}", cert_expiry: 0}}
          - {{name: month, url: "{u('month')}"}}
          - {{name: month-45d, url: "{u('month')}", cert_expiry: 45d}}
          - {{name: expired, url: "{u('expired')}"}}
          - {{name: expired-unverified, url: "{u('expired')}", verify_tls: false}}
          - {{name: chained, url: "{u('chained')}"}}
          - name: chained-leaf
            url: "{u('chained')}"
            cert_expiry: off
            conditions: ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 720h"]
          - name: chained-leaf-soon
            url: "{u('chained')}"
            cert_expiry: off
            conditions: ["[CERTIFICATE_EXPIRATION] < 48h"]
          - {{name: plain, url: "{fx.url('/ok')}"}}
        """)


def check_once(t, fx, tmp, root, inter, certs):
    cfg = config(fx, tmp, root)
    rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    r = by_name(json_lines(out))
    t.eq(rc, 2, "exit 2: the expired certificate is down")
    s = r["soon"]
    t.ok(s["state"] == "degraded" and s["error_class"] == "cert_expiry", "3 days left, "
         "cert_expiry 14d (the default): degraded, class cert_expiry", s)
    t.eq(s["error"], f"certificate expires in 2 days ({day(certs['soon'])}), CN=soon.uptop.test",
         "the message: whole days left, the date, the CN")
    t.ok(s["http_status"] == 200 and s["latency_ms"] is not None, "still an answer: status "
         "and latency kept", s)
    t.eq(s["cert_not_after"], certs["soon"].not_after.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
         "cert_not_after: the certificate's notAfter")
    t.ok(2.9 < s["cert_days_left"] <= 3.0, f"cert_days_left: {s['cert_days_left']}")
    t.ok(r["soon-off"]["state"] == "up" and r["soon-off"]["cert_days_left"] is not None,
         "cert_expiry: 0 checks nothing (the date is still known)", r["soon-off"])
    t.ok(r["month"]["state"] == "up", "30 days left, cert_expiry 14d: up", r["month"])
    m = r["month-45d"]
    t.ok(m["error_class"] == "cert_expiry" and m["error"].startswith(
        f"certificate expires in 29 days ({day(certs['month'])})"), "cert_expiry: 45d: "
        "30 days left is degraded", m)
    e = r["expired"]
    t.ok(e["state"] == "down" and e["error_class"] == "tls"
         and "certificate expired" in e["error"], "expired yesterday, verified: down (tls)", e)
    e = r["expired-unverified"]
    t.eq((e["state"], e["error_class"], e["error"]),
         ("degraded", "cert_expiry",
          f"certificate expired 1 day ago ({day(certs['expired'])}), CN=expired.uptop.test"),
         "expired, verify_tls off: said, degraded")
    c = r["chained"]
    t.eq(c["error"], f"intermediate certificate expires in 1 day ({day(inter)}), "
         "CN=uptop test intermediate", "the chain's earliest notAfter is the intermediate's")
    t.eq(c["cert_not_after"], inter.not_after.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
         "cert_not_after: the intermediate's, not the leaf's")
    t.ok(r["chained-leaf"]["state"] == "up", "[CERTIFICATE_EXPIRATION] is the leaf's (60 "
         "days), as Gatus reads it", r["chained-leaf"])
    c = r["chained-leaf-soon"]
    t.ok(c["error_class"] == "condition" and re.match(
        r"\[CERTIFICATE_EXPIRATION\] \(14\d\dh\d+m[\d.]+s\) < 48h$", c["error"] or ""),
        "... and a condition on it says the leaf's time left", c)
    p = r["plain"]
    t.ok(p["state"] == "up" and p["cert_not_after"] is None and p["cert_days_left"] is None,
         "plain http: no certificate, nulls", p)

    rc, out, err, _ = run_uptop(["--once", "-c", cfg])
    t.ok(re.search(r"^degraded\s+soon\s.*\s200\s.*cert_expiry: certificate expires in 2 days",
                   out, re.M), "--once table: degraded with its class and message", out)
    rc, out, err, _ = run_uptop(["--once", "--format", "prometheus", "-c", cfg])
    want = {"chained": inter.not_after, "soon": certs["soon"].not_after,
            "month": certs["month"].not_after}
    for name, when in want.items():
        m = re.search(rf'^probe_ssl_earliest_cert_expiry\{{target="{name}",[^}}]*\}} (\S+)$',
                      out, re.M)
        t.ok(m and float(m.group(1)) == when.timestamp(),
             f"probe_ssl_earliest_cert_expiry of {name}: the chain's earliest notAfter",
             m.group(0) if m else out[:800])
    t.ok(not re.search(r'^probe_ssl_earliest_cert_expiry\{target="plain"', out, re.M),
         "no certificate expiry for plain http")
    if shutil.which("promtool"):
        pr = subprocess.run(["promtool", "check", "metrics"], input=out, text=True,
                            capture_output=True)
        t.ok(pr.returncode == 0, "promtool check metrics: clean", pr.stdout + pr.stderr)
    else:
        t.skip("promtool check metrics", "promtool not installed")


def scrape(url):
    """The /metrics text, or "" while uptop is not listening yet."""
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
                url, timeout=5) as f:
            return f.read().decode()
    except OSError:
        return ""


def metric(url, name, target, labels=""):
    m = re.search(rf'^{name}\{{target="{target}",[^}}]*{labels}\}} (\S+)$', scrape(url), re.M)
    return float(m.group(1)) if m else None


def checks_of(url, target, result):
    return metric(url, "uptop_checks_total", target, f'result="{result}"') or 0


def check_keepalive(t, fx, tmp, root, certs):
    """Every check on a kept-alive connection knows the chain: one TLS
    connection, many checks, each classed by its certificate."""
    port = lib.free_port()
    cfg = write_config(tmp, f"""
        targets:
          - name: soon
            url: "https://127.0.0.1:{fx.cert_ports['soon']}/ok"
            ca_file: {root.path}
            interval: 200ms
            timeout: 150ms
        """, name="keepalive.yaml")
    conns0 = int(fx.get("/__conns")[1])
    p = Running(["--headless", "--metrics", f"127.0.0.1:{port}", "-c", cfg])
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        ok = wait_until(lambda: checks_of(url, "soon", "cert_expiry") >= 8, timeout=20)
        n = checks_of(url, "soon", "cert_expiry")
        conns = int(fx.get("/__conns")[1]) - conns0 - 1   # less our own request
        t.ok(ok and checks_of(url, "soon", "ok") == 0, f"{n:.0f} checks, every one "
             "cert_expiry: the certificate is known on a reused connection too")
        t.eq(conns, 1, "one TLS connection for all of them (no new handshake)")
        t.eq(metric(url, "probe_ssl_earliest_cert_expiry", "soon"),
             certs["soon"].not_after.timestamp(), "/metrics: the notAfter, from the cache")
    finally:
        p.stop()
    st = [o for o in p.json_out() if o.get("type") == "state"]
    t.ok(st and st[0]["new"] == "degraded" and st[0]["error_class"] == "cert_expiry"
         and st[0]["cert_not_after"] and 2.9 < st[0]["cert_days_left"] <= 3,
         "--headless state line: degraded, with the certificate's date", st[:1])


def check_screen(t, fx, tmp, root, inter):
    """The live table's CERT column (days left) and the detail view's
    certificate: expiry, the intermediate that comes first, subject, issuer."""
    p = fx.cert_ports
    cfg = write_config(tmp, f"""
        defaults: {{ca_file: {root.path}}}
        targets:
          - {{name: month, url: "https://127.0.0.1:{p['month']}/ok"}}
          - {{name: chained, url: "https://127.0.0.1:{p['chained']}/ok"}}
          - {{name: plain, url: "{fx.url('/ok')}"}}
        """, name="screen.yaml")
    with Screen(["-c", cfg]) as s:
        ok, text = s.wait_for(lambda x: re.search(r"^UP\s+month\s.*\s29d\s", x, re.M)
                              and re.search(r"^DEGR\w*\s+chained\s.*\s1d\s", x, re.M)
                              and re.search(r"^UP\s+plain\s.*\s-\s", x, re.M))
        t.ok(ok and re.search(r"^STATE.*\sCERT\s", text, re.M), "CERT column: whole days left "
             "(the earliest of the chain), - without a certificate", text)
        s.keys("/chained", "Enter", "Enter")
        ok, text = s.wait_for(lambda x: "Issuer" in x)
        when = inter.not_after.strftime("%Y-%m-%d %H:%M UTC")
        t.ok(ok and re.search(rf"Cert\s+expires {when} \(in 1 day\)  first: intermediate "
                              r"CN=uptop test intermediate", text)
             and re.search(r"Subject\s+CN=chained\.uptop\.test", text)
             and re.search(r"Issuer\s+CN=uptop test intermediate", text),
             "detail: when the chain expires, the intermediate first, subject, issuer", text)


def main(t):
    if not shutil.which("openssl"):
        t.skip("certificate expiry", "openssl not installed (scripts/deps.sh installs it)")
        return
    with tempfile.TemporaryDirectory(prefix="uptop-certs-") as tmp:
        c, root, inter, certs = make(tmp)
        chains = {name: c.chain(cert) for name, cert in certs.items()}
        with Fixture(tls=False, tls_certs=chains) as fx:
            check_once(t, fx, tmp, root, inter, certs)
            check_keepalive(t, fx, tmp, root, certs)
            check_screen(t, fx, tmp, root, inter)


lib.main(main)
