"""Hostile servers: every hostile answer becomes a precise per-target error
with its own class, nothing hangs past its timeout, nothing from outside
reaches the output raw, and every other target keeps being checked."""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, Fixture, LagMeter, run_uptop, json_lines, write_config  # noqa: E402

t = Tap()

# (name, path, extra yaml, expected class (None = up), text the message must carry)
HTTP_CASES = [
    ("never-answers", "/hang", "", "timeout", "waiting for the response"),
    ("closes-at-once", "/close", "", "reset", "closed without a reply"),
    ("rst-before-body", "/reset", "", "reset", "reset"),
    ("rst-mid-body", "/reset-mid", "", "reset", "reset"),
    ("endless-chunked", "/endless", "", None, None),
    ("drip", "/drip", "", "timeout", "receiving the body"),
    ("huge-header-line", "/hugeheader", "", "protocol", "headers too large"),
    ("10000-headers", "/manyheaders", "", None, None),
    ("garbage", "/garbage", "", "protocol", "not HTTP: got \"\\xde\\xad\\xbe\\xef\\x00garbage"),
    ("http09", "/http09", "", "protocol", "not HTTP: got \"hello from HTTP/0.9"),
    ("bad-chunking", "/badchunk", "", "protocol", "chunk"),
    ("content-length-short", "/cl-short", "", "protocol", "after 200 and 20 of 100 body bytes"),
    ("content-length-negative", "/cl-negative", "", "protocol", ""),
    ("redirect-loop", "/redirect-loop", "", "too_many_redirects", "more than 5"),
    ("redirect-file", "/redirect-to?url=file:///etc/passwd", "", "redirect", "file:///etc/passwd"),
    ("redirect-ftp", "/redirect-to?url=ftp://127.0.0.1/x", "", "redirect", "ftp://"),
    ("redirect-gopher", "/redirect-to?url=gopher://127.0.0.1/x", "", "redirect", "gopher://"),
    ("redirect-dict", "/redirect-to?url=dict://127.0.0.1/x", "", "redirect", "dict://"),
    ("gzip-bomb", "/gzipbomb", "", None, None),
    ("gzip-bomb-body", "/gzipbomb", ", body_contains: needle", "body", "not found"),
    ("hostile-status", "/hostile-status", "", "status", "got 500"),
    ("hostile-body", "/hostile", ", body_contains: absent-text", "body", "absent-text"),
    ("fine", "/ok", "", None, None),
    # decoded before it is searched: compressed, the text is not there
    ("gzip-decoded", "/gzip/needle-in-gzip", ", body_contains: needle-in-gzip", None, None),
]


def tls_cases(fx):
    return [
        ("tls-self-signed", fx.url("/ok", tls=True), "", "tls", "self-signed"),
        ("tls-self-signed-noverify", fx.url("/ok", tls=True), ", verify_tls: false", None, None),
        ("tls-trusted", f"https://localhost:{fx.https}/ok", f', ca_file: "{fx.ca}"', None, None),
        ("tls-wrong-host", f"https://localhost:{fx.https_wrong_host}/ok", f', ca_file: "{fx.ca}"',
         "tls", "not valid for 'localhost'"),
        ("tls-expired", f"https://localhost:{fx.https_expired}/ok", f', ca_file: "{fx.ca}"', "tls", "expired"),
        ("tls-close-in-handshake", f"https://localhost:{fx.tls_close}/ok", "", "tls", ""),
    ]


def main():
    with tempfile.TemporaryDirectory() as tmp, Fixture(tls=True) as fx:
        cases = [(n, fx.url(p), x, c, m) for n, p, x, c, m in HTTP_CASES] + tls_cases(fx)
        rows = "\n".join(f'  - {{name: {n}, url: "{u}"{x}}}' for n, u, x, _, _ in cases)
        # A name carrying an OSC title sequence, BEL and CSI (YAML escapes).
        rows += f'\n  - {{name: "evil\\e]0;PWNED\\a\\e[2J", url: "{fx.url("/ok")}"}}'
        cases.append(("evil\x1b]0;PWNED\x07\x1b[2J", "", "", None, None))
        cfg = write_config(tmp, "defaults: {timeout: 2s, interval: 10s}\ntargets:\n" + rows + "\n")
        with LagMeter(fx) as lag:
            rc, out, err, wall = run_uptop(["--once", "--format", "json", "-c", cfg], timeout=30, lag=lag)
        t.ok(rc == 2, f"--once finishes on hostile targets (exit {rc})", err[-500:])
        t.ok(wall < 4.0 + lag.slack(), f"every transfer is bounded by its timeout ({wall:.2f}s, {lag})")
        got = {o["name"]: o for o in json_lines(out)}
        t.eq(len(got), len(cases), "one result per target, none lost")
        for name, _, _, cls, text in cases:
            o = got.get(name, {})
            if cls is None:
                t.ok(o.get("state") == "up", f"{name}: up", o)
            else:
                t.ok(o.get("error_class") == cls and text.lower() in (o.get("error") or "").lower(),
                     f"{name}: {cls}" + (f" naming '{text}'" if text else ""), o)
        drip = got.get("drip", {}).get("timings", {}).get("total_ms", 0)
        t.ok(1900 <= drip <= 2200 + lag.slack_ms(),
             f"a 1-byte-per-second drip still ends at its timeout ({drip:.0f} ms, {lag})")
        t.eq(got.get("fine", {}).get("state"), "up", "a good target among hostile ones is up")
        t.ok("\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\x00" not in out,
             "JSON output carries no raw ESC, BEL, C1 or NUL")
        t.ok("\\u001b]0;PWNED\\u0007" in out and "evil\x1b]0;PWNED\x07\x1b[2J" in got,
             "JSON escapes control characters as \\u00XX and round-trips them")

        rc, table, err, _ = run_uptop(["--once", "-c", cfg], timeout=30)
        t.ok(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", table), "the --once table has no control characters")
        t.ok("hostile-status" in table and "tls-expired" in table, "the table lists hostile targets")
        rc, table, err, _ = run_uptop(["--once", "-c", cfg], timeout=30, env={"LC_ALL": "C"})
        t.ok(all(ord(c) < 128 for c in table), "with a non-UTF-8 locale the table is pure ASCII")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
