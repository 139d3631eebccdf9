"""Conditions (Gatus' language), [HEADER], body_matches / body_not_matches and
Gatus' endpoints: through the real binary against the loopback fixture:
--once JSON, --headless lines, --check-config, config errors with line:col,
warnings, and the example configurations of Gatus' README as they are."""

import os
import re
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from lib import run_script, Tap, Fixture, free_port, run_uptop, json_lines, write_config  # noqa: E402

t = Tap()
GATUS = Path(__file__).resolve().parents[1] / "configs" / "gatus"


def by_name(lines):
    return {o["name"]: o for o in lines}


def respond(fx, **q):
    """A fixture URL answering with the given status, body, type, headers."""
    pairs = []
    for k, v in q.items():
        for item in v if isinstance(v, list) else [v]:
            pairs.append((k, item))
    return fx.url("/respond?" + urllib.parse.urlencode(pairs))


def check_once(fx, tmp):
    """Gatus' condition scenarios replayed over HTTP: same verdicts, same messages."""
    dead = free_port()
    cases = [
        # name, url, conditions, extra keys, want state, class, message
        ("status-ok", fx.url("/ok"), ["[STATUS] == 200"], {}, "up", None, None),
        ("status-fail", fx.url("/status/500"), ["[STATUS] == 200"], {}, "down",
         "condition", "[STATUS] (500) == 200"),
        ("status-lt", fx.url("/status/404"), ["[STATUS] < 300"], {}, "down", "condition",
         "[STATUS] (404) < 300"),
        ("replaces-default-status", fx.url("/status/503"), ["[STATUS] == 503"], {}, "up",
         None, None),
        ("explicit-expect-still-applies", fx.url("/status/503"), ["[STATUS] == 503"],
         {"expect_status": [200]}, "down", "status", "got 503, expected 200"),
        ("json-path", fx.url("/json/health"), ["[BODY].status == UP", "[BODY].data.id == 1",
                                               "[BODY].data.users[1].name == bob"],
         {}, "up", None, None),
        ("json-invalid", fx.url("/json/health"), ["[BODY].data.uid == 1"], {}, "down",
         "condition", "[BODY].data.uid (INVALID) == 1"),
        ("json-len", fx.url("/json/health"), ["len([BODY].data.users) == 3"], {}, "down",
         "condition", "len([BODY].data.users) (2) == 3"),
        ("json-array-root", fx.url("/json/array"), ["[BODY][0].name == first",
                                                    "len([BODY]) == 2"], {}, "up", None, None),
        ("json-float-as-go", fx.url("/json/users"), ["[BODY].count == 1000000"], {}, "down",
         "condition", "[BODY].count (1e+06) == 1000000"),
        ("json-null", fx.url("/json/nested"), ["[BODY].n == x"], {}, "down", "condition",
         "[BODY].n (INVALID) == x"),
        ("json-object", fx.url("/json/nested"), ["[BODY].a == x"], {}, "down", "condition",
         '[BODY].a ({"b":[{"c":"deep"}]}) == x'),
        ("has", fx.url("/json/down"), ["has([BODY].errors) == false"], {}, "down",
         "condition", "has([BODY].errors) (true) == false"),
        ("all-failures-named", fx.url("/json/health"),
         ["[STATUS] == 201", "[BODY].status == DOWN", "[RESPONSE_TIME] < 60000"], {},
         "down", "condition", "[STATUS] (200) == 201; [BODY].status (UP) == DOWN"),
        ("any", fx.url("/status/429"), ["[STATUS] == any(200, 429)"], {}, "up", None, None),
        ("pat-body", respond(fx, body="<html><h1>Example Domain</h1></html>"),
         ["[BODY] == pat(*<h1>Example Domain</h1>*)"], {}, "up", None, None),
        ("pat-fail", respond(fx, body="<html><h1>Other Domain!</h1></html>"),
         ["[BODY] == pat(*<h1>Example Domain</h1>*)"], {}, "down", "condition",
         "[BODY] (<html><h1>Other Domain!</...(truncated)) == pat(*<h1>Example Domain</h1>*)"),
        ("ip-connected-time", fx.url("/ok"),
         ["[IP] == 127.0.0.1", "[CONNECTED] == true", "[RESPONSE_TIME] < 30s"], {}, "up",
         None, None),
        ("header", respond(fx, header=["X-Version: 1.2.3", "Cache-Control: no-store"]),
         ["[HEADER].x-version == 1.2.3", "[HEADER].Cache-Control == pat(no-*)"], {}, "up",
         None, None),
        ("header-json", fx.url("/json/health"), ["[HEADER].Content-Type == application/json",
                                                 "[BODY].status == UP"], {}, "up", None, None),
        ("header-repeated", respond(fx, header=["Vary: Accept", "Vary: Origin"]),
         ["[HEADER].vary == x"], {}, "down", "condition", "[HEADER].vary (Accept, Origin) == x"),
        ("header-missing", fx.url("/ok"), ["[HEADER].X-Version == 1.2.3"], {}, "down",
         "condition", "[HEADER].X-Version (INVALID) == 1.2.3"),
        ("refused-keeps-class", f"http://127.0.0.1:{dead}/", ["[STATUS] == 200"], {},
         "down", "refused", None),
        ("closed-port-is-up", f"http://127.0.0.1:{dead}/", ["[CONNECTED] == false"], {},
         "up", None, None),
        # The status line arrived, then the answer broke: holding conditions
        # do not make it whole.
        ("reset-after-status-stays-down", fx.url("/reset-mid"), ["[STATUS] == 200"], {},
         "down", "reset", "connection reset after 200 and 100 of 1,000 body bytes"),
        ("reset-after-status-failing", fx.url("/reset-mid"), ["[STATUS] == 201"], {},
         "down", "reset", "connection reset after 200 and 100 of 1,000 body bytes"),
        ("max-body-bounds-body", fx.url("/size/100000"), ["len([BODY]) == 1000"],
         {"max_body": 1000}, "up", None, None),
        ("get-with-a-body", fx.url("/method"), ["[BODY] == GET"], {"body": "q=1"}, "up",
         None, None),
        ("put-with-a-body", fx.url("/method"), ["[BODY] == PUT"],
         {"body": "q=1", "method": "PUT"}, "up", None, None),
        ("post-with-a-body", fx.url("/method"), ["[BODY] == POST"],
         {"body": "q=1", "method": "POST"}, "up", None, None),
        ("body-matches", fx.url("/json/health"), [], {"body_matches": '"status": ?"UP"'},
         "up", None, None),
        ("body-matches-fails", fx.url("/json/down"), [], {"body_matches": '"status": ?"UP"'},
         "down", "body", None),
        ("body-not-matches", fx.url("/json/down"), [], {"body_not_matches": "disk (full|gone)"},
         "down", "body", None),
    ]
    lines = ["defaults: {timeout: 3s, interval: 10s}", "targets:"]
    for name, url, conds, extra, *_ in cases:
        lines.append(f"  - name: {name}")
        lines.append(f"    url: '{url}'")
        if conds:
            lines.append("    conditions:")
            lines += [f"      - '{c}'" for c in conds]
        for k, v in extra.items():
            lines.append(f"    {k}: {v!r}" if isinstance(v, str) else f"    {k}: {v}")
    cfg = write_config(tmp, "\n".join(lines) + "\n", dedent=False)
    rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    r = by_name(json_lines(out))
    t.eq(rc, 2, "--once exits 2: some are down")
    t.eq(err, "", "no warnings for these conditions")
    for name, url, conds, extra, state, cls, msg in cases:
        o = r.get(name, {})
        t.ok(o.get("state") == state and o.get("error_class") == cls,
             f"{name}: {state}, class {cls}", o)
        if msg is not None:
            t.eq(o.get("error"), msg, f"{name}: Gatus' message")
    t.ok(r["body-matches-fails"]["error"].startswith('body does not match /"status": ?"UP"/ ('),
         "body_matches: names the regex", r["body-matches-fails"])
    t.ok(r["body-not-matches"]["error"] == 'body matches /disk (full|gone)/ at byte 31: '
         '"disk full"', "body_not_matches: names the regex, where and what",
         r["body-not-matches"])
    t.eq(r["refused-keeps-class"]["error"], f"127.0.0.1:{dead}",
         "a transport failure keeps its own message")
    cut = r["reset-after-status-stays-down"]
    t.ok(cut["http_status"] == 200 and cut["latency_ms"] is None,
         "a broken answer: its status kept, no latency", cut)


def check_headless(fx, tmp):
    cfg = write_config(tmp, f"""
        web: {{port: 8080}}
        targets:
          - name: api
            url: "{fx.url('/json/down')}"
            interval: 1s
            timeout: 900ms
            conditions: ["[STATUS] == 200", "[BODY].status == UP"]
        """)
    rc, out, err, _ = run_uptop(["--headless", "--duration", "2500ms", "-c", cfg], timeout=30)
    states = [o for o in json_lines(out) if o.get("type") == "state"]
    t.eq(rc, 2, "--headless exits 2: a target is down")
    t.ok(len(states) == 1 and states[0]["new"] == "down"
         and states[0]["error_class"] == "condition"
         and states[0]["error"] == "[BODY].status (DOWN) == UP",
         "--headless: one state line, class condition, Gatus' message", states)
    t.ok("warning: uptop does not act on this key: web (line 2)" in err,
         "--headless prints the config's warnings on stderr", err)


def check_errors(tmp):
    cfg = write_config(tmp, """\
targets:
  - url: http://127.0.0.1:1/
    conditions:
      - "[STATUS] == 200"
      - "[STATUS]==200"
    body_not_matches: "a(b"
  - url: http://127.0.0.1:2/
    conditions: ["[DOMAIN_EXPIRATION] > 720h", "[HEADER] == x"]
  - url: http://127.0.0.1:3/
    conditions: []
""", dedent=False)
    rc, out, err, _ = run_uptop(["--check-config", "-c", cfg])
    t.eq(rc, 3, "bad conditions: exit 3")
    t.ok(f"{cfg}:5:9: condition '[STATUS]==200': invalid condition: no operator" in err,
         "[STATUS]==200 is an error at its line:col", err)
    t.ok(f"{cfg}:6:23: body_not_matches: bad regular expression 'a(b'" in err,
         "a bad regex is an error at its line:col", err)
    t.ok(f"{cfg}:8:18: condition '[DOMAIN_EXPIRATION] > 720h': [DOMAIN_EXPIRATION] is not "
         "supported" in err, "[DOMAIN_EXPIRATION] is refused, not ignored", err)
    t.ok(f"{cfg}:8:48: condition '[HEADER] == x': write [HEADER].Name" in err,
         "[HEADER] needs a name", err)
    t.ok(f"{cfg}:10:17: conditions: list at least one condition" in err,
         "an empty list is an error", err)


def check_warnings(fx, tmp):
    cfg = write_config(tmp, f"""\
storage:
  type: sqlite
x-anchor: &c ["[STATUS] == 200"]
endpoints:
  - name: api
    url: "{fx.url('/ok')}"
    conditions: ["[STAUTS] == 200", "[STATUS] == 200"]
    alerts:
      - type: slack
    ui:
      hide-url: true
  - name: off
    url: "{fx.url('/ok')}"
    enabled: false
    conditions: *c
""", dedent=False)
    rc, out, err, _ = run_uptop(["--check-config", "-c", cfg])
    t.eq(rc, 0, "warnings do not fail --check-config")
    t.ok(f"{cfg}:1:1: warning: uptop does not act on these keys: storage (line 1), alerts "
         "(line 8), hide-url (line 11)" in err, "one warning names every key not acted on", err)
    t.ok(f"{cfg}:7:18: warning: condition '[STAUTS] == 200': [STAUTS] is not a placeholder"
         in err, "an unknown placeholder is warned about at its line:col", err)
    t.ok("OK, 1 target in 1 group" in out + err, "enabled: false is not monitored", out + err)
    rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    r = json_lines(out)
    t.ok(rc == 2 and len(r) == 1 and r[0]["error"] == "[STAUTS] == 200",
         "--once: the typo fails as in Gatus", r)
    t.ok("warning: uptop does not act on these keys: storage" in err,
         "--once prints the warnings on stderr", err)


def check_gatus_readme(fx, tmp):
    """Gatus' README examples, loaded as they are."""
    ok = {
        "readme-01.yaml": (2, []), "readme-09.yaml": (1, []), "readme-11.yaml": (1, ["oauth2"]),
        "readme-13.yaml": (1, ["tls"]), "readme-14.yaml": (1, ["tunneling", "tunnel"]),
        "readme-17.yaml": (1, ["alerting", "alerts"]), "readme-21.yaml": (2, ["alerting"]),
        "readme-64.yaml": (2, ["alerts"]), "readme-73.yaml": (1, ["extra-labels"]),
        "readme-91.yaml": (5, []), "readme-95.yaml": (3, ["default-endpoint"]),
        "readme-96.yaml": (1, ["proxy-url"]), "readme-98.yaml": (1, ["badge"]),
        "readme-10.yaml": (1, []), "readme-77.yaml": (1, []), "readme-84.yaml": (1, []),
    }
    bad = {
        "readme-57.yaml": "2:5: this endpoint has no conditions (Gatus requires at least one",
        "readme-76.yaml": "5:14: graphql: true is not supported",
        "readme-89.yaml": "6:9: condition '[DOMAIN_EXPIRATION] > 720h': [DOMAIN_EXPIRATION] "
                          "is not supported",
    }
    t.eq(sorted(p.name for p in GATUS.glob("readme-*.yaml")), sorted(list(ok) + list(bad)),
         "every README example is checked")
    for name, (n, keys) in sorted(ok.items()):
        path = GATUS / name
        rc, out, err, _ = run_uptop(["--check-config", "-c", path])
        t.ok(rc == 0 and re.search(rf": OK, {n} targets? in ", out), f"{name}: loads, {n} "
             "targets", out + err)
        for k in keys:
            t.ok(re.search(rf"warning: uptop does not act on .*\b{re.escape(k)} \(line", err),
                 f"{name}: '{k}' named in the warning", err)
        if not keys:
            t.eq(err, "", f"{name}: no warning")
    for name, msg in sorted(bad.items()):
        path = GATUS / name
        rc, out, err, _ = run_uptop(["--check-config", "-c", path])
        t.ok(rc == 3 and f"{path}:{msg}" in err, f"{name}: {msg.split(': ', 1)[1][:50]}",
             err)
    # readme-01 pointed at the fixture: both endpoints up, as Gatus says.
    text = (GATUS / "run-readme-01.yaml").read_text().replace("{HTTP}", str(fx.http))
    cfg = write_config(tmp, text, name="gatus.yaml", dedent=False)
    rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    r = by_name(json_lines(out))
    t.ok(rc == 0 and r.get("website", {}).get("state") == "up"
         and r.get("make-sure-header-is-rendered", {}).get("state") == "up",
         "Gatus' first README example, on the fixture: both up", out + err)


def main():
    with Fixture(tls=False) as fx, tempfile.TemporaryDirectory() as tmp:
        check_once(fx, tmp)
        check_headless(fx, tmp)
        check_errors(tmp)
        check_warnings(fx, tmp)
        check_gatus_readme(fx, tmp)


if __name__ == "__main__":
    run_script(main, t)
