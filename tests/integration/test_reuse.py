"""A pooled transfer keeps its libcurl options from one check to the next
(probe.c sets the common ones once per handle): nothing one target asked
for may reach another target's check. Against the real binary and the
loopback fixture, for a few seconds at short intervals, so every handle
goes from target to target many times:

- a plain GET never carries another check's method (HEAD, POST, PUT), body
  or request headers, nor a webhook's;
- the other checks keep theirs on every round (a reused handle still
  gets what its target asks for);
- an https target that trusts only the system's CAs never verifies with
  another target's ca_file (it stays down, never up);
- with more targets than the in-flight cap (a low RLIMIT_NOFILE), each
  target keeps its one connection from round to round: libcurl's pool is
  sized by the descriptors, not by the cap.

Network: 127.0.0.1 only."""

import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import Fixture, Running, write_config  # noqa: E402

RUN_S = 6


def by_path(records, path):
    return [r for r in records if r["path"] == path]


def header(rec, name):
    return [v for k, v in rec["headers"] if k.lower() == name.lower()]


def main(t):
    tmp = tempfile.mkdtemp(prefix="uptop-reuse-")
    with Fixture() as fx:
        cfg = write_config(tmp, f"""
            alerts:
              - name: hook
                webhook:
                  url: '{fx.url("/record/hook")}'
                  method: PATCH
                  headers: {{ X-Hook: hook-header }}
                  body: "hook-body [NAME]"
                on: [down, up]
            defaults: {{ interval: 250ms, timeout: 200ms, alerts: [] }}
            targets:
              - name: plain
                url: '{fx.url("/record/plain")}'
              - name: plain-2
                url: '{fx.url("/record/plain")}'
              - name: post
                url: '{fx.url("/record/post")}'
                method: POST
                body: post-body
                headers: {{ X-Leak: post-header }}
                conditions: ["[STATUS] == 200", "[HEADER].Content-Type == pat(text/*)"]
              - name: head
                url: '{fx.url("/record/head")}'
                method: HEAD
                fresh_connection: true
              - name: put
                url: '{fx.url("/record/put")}'
                method: PUT
              - name: own-agent
                url: '{fx.url("/record/ownua")}'
                headers: {{ user-agent: mine/1 }}
              - name: flapping
                url: '{fx.url("/flap/0.5")}'
                alerts: [hook]
              - name: tls-private-ca
                url: '{fx.url("/ok", tls=True)}'
                ca_file: '{fx.ca}'
              # a handshake that loads the system's CA store per
              # connection: ~0.5 s under the sanitizers on a loaded machine
              - name: tls-system-ca
                url: '{fx.url("/ok", tls=True)}'
                interval: 2s
                timeout: 1500ms
            """)
        p = Running(["--headless", "--no-history", "--stats-interval", "0", "-c", cfg])
        time.sleep(RUN_S)
        rc = p.stop()
        t.eq(rc, 2, "uptop ran and stopped: exit status 2, a target is down")
        t.eq(p.err_lines, [], "no warnings")
        recs = fx.records()
        states = p.json_out()

    plain = by_path(recs, "/record/plain")
    t.ok(len(plain) >= 2 * RUN_S, f"the plain targets were checked many times ({len(plain)})")
    bad = [r for r in plain if r["method"] != "GET" or r["body"] or
           header(r, "X-Leak") or header(r, "X-Hook") or header(r, "Content-Length") or
           header(r, "Content-Type")]
    t.ok(not bad, "a plain GET never carries another check's method, body or headers",
         bad[:3])
    for path, method, body, leak in (("/record/post", "POST", "post-body", "post-header"),
                                     ("/record/head", "HEAD", "", None),
                                     ("/record/put", "PUT", "", None)):
        got = by_path(recs, path)
        wrong = [r for r in got if r["method"] != method or r["body"] != body or
                 header(r, "X-Leak") != ([leak] if leak else []) or header(r, "X-Hook")]
        t.ok(len(got) >= RUN_S and not wrong,
             f"{method} {path}: its own method, body and headers on every check ({len(got)})",
             wrong[:3])
    # The User-Agent and Accept-Encoding every check sends come from a
    # list of the probe's (std_headers): once each, and a target's own
    # User-Agent replaces ours.
    ua = "uptop/"
    checks = [r for r in recs if r["path"] in ("/record/plain", "/record/post", "/record/put",
                                               "/record/head")]
    bad = [r for r in checks if len(header(r, "User-Agent")) != 1 or
           not header(r, "User-Agent")[0].startswith(ua) or
           len(header(r, "Accept-Encoding")) != 1 or "gzip" not in header(r, "Accept-Encoding")[0]]
    t.ok(checks and not bad, f"every check sends one User-Agent {ua}... and one "
         f"Accept-Encoding with gzip ({len(checks)})", bad[:3])
    own = by_path(recs, "/record/ownua")
    t.ok(own and all(header(r, "User-Agent") == ["mine/1"] and
                     len(header(r, "Accept-Encoding")) == 1 for r in own),
         f"a target's own User-Agent replaces uptop's, on every check ({len(own)})", own[:2])
    hooks = by_path(recs, "/record/hook")
    t.ok(hooks and all(r["method"] == "PATCH" and r["body"].startswith("hook-body ") and
                       header(r, "X-Hook") == ["hook-header"] for r in hooks),
         f"the webhooks went out as configured ({len(hooks)}), on handles checks also use",
         hooks[:2])

    names = {s.get("name"): s for s in states if s.get("type") == "state"}
    t.ok(all(s.get("new") != "up" for s in states if s.get("name") == "tls-system-ca"),
         "an https target that trusts the system's CAs never verified with another's ca_file",
         [s for s in states if s.get("name") == "tls-system-ca"])
    t.eq(names.get("tls-system-ca", {}).get("error_class"), "tls",
         "... it failed verification: the fixture's CA is not the system's")
    t.ok(all(names.get(n, {}).get("new") == "up" for n in ("plain", "post", "head", "put",
                                                              "own-agent", "tls-private-ca")),
         "the other targets are up", names)


POOL_TARGETS = 60
POOL_NOFILE = 128      # descriptors 88 (engine.c fd_budget), in-flight cap 44


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (POOL_NOFILE, POOL_NOFILE))


def pool(t):
    tmp = tempfile.mkdtemp(prefix="uptop-pool-")
    with Fixture(tls=False, http_ports=POOL_TARGETS) as fx:
        # a port each: libcurl pools by host and port, so each target
        # needs a connection of its own, as 10,000 domains would
        targets = "".join(f"  - {{name: t{i}, url: '{fx.url('/ok', port=port)}'}}\n"
                          for i, port in enumerate(fx.http_ports))
        cfg = write_config(tmp, "defaults: { interval: 250ms, timeout: 200ms }\ntargets:\n" +
                           targets)
        conns0 = int(fx.get("/__conns")[1])
        p = Running(["--headless", "--no-history", "--stats-interval", "0", "-c", cfg],
                    preexec_fn=low_nofile)
        time.sleep(RUN_S)
        rc = p.stop()
        conns = int(fx.get("/__conns")[1]) - conns0 - 1   # less our own request
        checks = fx.hits("/ok")
    states = p.json_out()
    t.eq(rc, 0, f"{POOL_TARGETS} targets on {POOL_NOFILE} descriptors: all up, exit 0")
    t.ok(checks >= POOL_TARGETS * RUN_S * 2,
         f"... checked round after round ({checks} checks)")
    t.ok(conns <= POOL_TARGETS + 5,
         f"... over {conns} connections: one per target, kept from round to round "
         f"(a pool the size of the in-flight cap reconnects every round)")
    t.ok(not any(s.get("error_class") for s in states), "... no check failed",
         [s for s in states if s.get("error_class")][:3])


def both(t):
    main(t)
    pool(t)


lib.main(both)
