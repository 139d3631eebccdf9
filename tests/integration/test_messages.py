"""Precise classes and messages a person can read over ssh, against the
real binary and the loopback fixture's hostile servers:

- one rule for every class: `error` is uptop's own short phrasing of
  what happened and where; libcurl's text goes to `error_detail` (JSON)
  and under the message in the detail view; library codes never reach
  the message;
- https to a port that accepts TCP but never completes TLS is a timeout
  in the TLS handshake with the real connect time;
- a status line that arrived is kept when the answer breaks after it,
  and the message says how far it got;
- an answer that is not HTTP is quoted (sanitised, short);
- "response headers too large" without libcurl's stray "Out of memory";
- a body cut at max_body stays up and says so (body_bytes, truncated).

Network: 127.0.0.1 only."""

import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Fixture, Tap, free_port, json_lines, run_uptop, tmux, uptop_bin, write_config  # noqa: E402

t = Tap()
SLOW = 3 if os.environ.get("UPTOP_SANITIZED") else 1
LIBRARY_WORDS = re.compile(r"OpenSSL|error:[0-9A-F]{8}|routines::|Couldn't|Failed to|curl|"
                           r"Out of memory|Recv failure|SSL_", re.I)


def targets(fx, dead):
    """(name, url, extra yaml)."""
    wrong = f"https://localhost:{fx.https_wrong_host}/ok"
    return [
        ("refused", f"http://127.0.0.1:{dead}/", ""),
        ("tls-silent", f"https://127.0.0.1:{fx.silent}/", ", timeout: 1s"),
        ("reset-mid", fx.url("/reset-mid"), ""),
        ("badchunk", fx.url("/badchunk"), ""),
        ("cl-negative", fx.url("/cl-negative"), ""),
        ("cl-short", fx.url("/cl-short"), ""),
        ("ssh", f"http://127.0.0.1:{fx.banner}/", ""),
        ("ssh-tls", f"https://127.0.0.1:{fx.banner}/", ""),
        ("hugeheader", fx.url("/hugeheader"), ""),
        ("endless", fx.url("/endless"), ", max_body: 64KiB"),
        ("ok", fx.url("/ok"), ""),
        ("self-signed", fx.url("/ok", tls=True), ""),
        ("unknown-ca", wrong, ""),
        ("wrong-host", wrong, f', ca_file: "{fx.ca}"'),
        ("expired", f"https://localhost:{fx.https_expired}/ok", f', ca_file: "{fx.ca}"'),
        ("tls-close", f"https://localhost:{fx.tls_close}/ok", ""),
    ]


def check_json(fx, dead, tmp):
    rows = "\n".join(f'  - {{name: {n}, url: "{u}"{x}}}' for n, u, x in targets(fx, dead))
    cfg = write_config(tmp, "defaults: {timeout: 2s, interval: 10s}\ntargets:\n" + rows + "\n")
    rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg], timeout=30)
    r = {o["name"]: o for o in json_lines(out)}
    t.eq(len(r), len(targets(fx, dead)), "one result per target")

    o = r["refused"]
    t.ok(o["error_class"] == "refused" and o["error"] == f"127.0.0.1:{dead}",
         "refused: the message is the address, said once", o)
    t.ok("Couldn't connect" in (o.get("error_detail") or ""), "refused: libcurl's text in error_detail", o)

    o = r["tls-silent"]
    tm = o["timings"]
    t.ok(o["error_class"] == "timeout" and "during the TLS handshake" in o["error"],
         "TCP accepted, TLS never answered: a timeout in the TLS handshake", o)
    t.ok(0 < tm["connect_ms"] < 500 and tm["tls_ms"] > 500,
         f"... with the real connect time ({tm['connect_ms']} ms) and the TLS wait "
         f"({tm['tls_ms']} ms)", tm)

    o = r["reset-mid"]
    t.ok(o["http_status"] == 200 and o["error_class"] == "reset"
         and o["error"] == "connection reset after 200 and 100 of 1,000 body bytes"
         and o.get("body_bytes") == 100, "reset mid-body keeps 200 and says how far it got", o)
    o = r["badchunk"]
    t.ok(o["http_status"] == 200 and o["error_class"] == "protocol"
         and o["error"].startswith("bad chunked encoding after 200"),
         "bad chunking keeps 200 and names the fault", o)
    o = r["cl-negative"]
    t.ok(o["http_status"] == 200 and "invalid Content-Length" in o["error"],
         "a bad Content-Length keeps 200 and names the header", o)
    o = r["cl-short"]
    t.ok(o["http_status"] == 200 and o["error"] == "connection closed after 200 and 20 of 100 body bytes",
         "a short body against its Content-Length says both numbers", o)

    o = r["ssh"]
    t.ok(o["error_class"] == "protocol" and o["error"] == 'not HTTP: got "SSH-2.0-OpenSSH_9.2p1 Debian-2"',
         "an SSH server on an http URL is quoted", o)
    o = r["ssh-tls"]
    t.ok(o["error_class"] == "tls" and
         o["error"] == "the server does not speak TLS on this port (wrong version number)"
         and "0A00010B" in (o.get("error_detail") or ""),
         "TLS to a non-TLS port: in words, the library code in error_detail", o)

    o = r["hugeheader"]
    t.ok(o["error_class"] == "protocol" and "response headers too large" in o["error"]
         and "memory" not in (o["error"] + (o.get("error_detail") or "")).lower()
         and o["http_status"] == 200, "headers too large, without libcurl's 'Out of memory'", o)

    o = r["endless"]
    t.ok(o["state"] == "up" and o.get("truncated") is True and o.get("body_bytes") == 65536,
         "a body cut at max_body stays up: body_bytes and truncated", o)
    o = r["ok"]
    t.ok(o.get("truncated") is False and o.get("body_bytes") == 2 and o.get("error_detail") is None,
         "a whole body: not truncated, its size", o)

    tls_words = {
        "self-signed": "self-signed certificate (not trusted)",
        "unknown-ca": "certificate issued by an unknown CA",
        "wrong-host": "certificate is not valid for 'localhost'",
        "expired": "certificate expired",
        "tls-close": "connection closed during the TLS handshake",
    }
    for name, want in tls_words.items():
        o = r[name]
        t.ok(o["error_class"] == "tls" and o["error"] == want, f"{name}: '{want}'", o)

    failing = [o for o in r.values() if o["error_class"]]
    leaks = [(o["name"], o["error"]) for o in failing if LIBRARY_WORDS.search(o["error"])]
    t.eq(leaks, [], "no library text or code in any message")
    repeats = [(o["name"], o["error"]) for o in failing
               if o["error"].lower().startswith(o["error_class"])]
    t.eq(repeats, [], "no message starts by repeating its class")

    rc, table, _, _ = run_uptop(["--once", "-c", cfg], timeout=30)
    line = next((ln for ln in table.splitlines() if ln.split()[1:2] == ["refused"]), "")
    t.ok(line.rstrip().endswith(f"refused: 127.0.0.1:{dead}") and "Failed" not in line,
         "the table: 'refused: 127.0.0.1:PORT', once", line)
    # The latency rule (README, "Latency"): a complete answer's time, else "-".
    rows = {ln.split()[1]: ln.split() for ln in table.splitlines()[1:] if len(ln.split()) > 3}
    t.ok(rows.get("reset-mid", [])[2:4] == ["200", "-"],
         "the table: an answer that broke keeps its code, no latency", rows.get("reset-mid"))
    t.ok(rows.get("ok", [""] * 4)[2] == "200" and rows["ok"][3] != "-",
         "the table: a whole answer has its latency", rows.get("ok"))
    o = r["reset-mid"]
    t.ok(o["latency_ms"] is None and o["timings"]["total_ms"] > 0,
         "JSON: no latency for an answer that broke; its time in timings", o)
    t.ok(r["ok"]["latency_ms"] is not None, "JSON: a whole answer's latency", r["ok"])
    return cfg


def check_detail_view(fx, dead, tmp):
    """The detail view shows the message, and libcurl's text under it."""
    cfg = write_config(tmp, f"""
        targets:
          - {{name: refused, url: "http://127.0.0.1:{dead}/", interval: 10s}}
          - {{name: endless, url: "{fx.url('/endless')}", interval: 10s, max_body: 64KiB}}
        """, name="detail.yaml")
    sock = f"uptop-msg-{os.getpid()}"
    try:
        tmux(sock, "new-session", "-d", "-x", "120", "-y", "40", f"{uptop_bin()} -c {cfg}")
        end = time.monotonic() + 5 * SLOW
        screen = ""
        while time.monotonic() < end and not ("DOWN" in screen and "UP" in screen):
            time.sleep(0.1)
            screen = tmux(sock, "capture-pane", "-p")
        tmux(sock, "send-keys", "Enter")
        time.sleep(0.5 * SLOW)
        detail = tmux(sock, "capture-pane", "-p")
        lines = detail.splitlines()
        at = next((i for i, ln in enumerate(lines) if f"refused: 127.0.0.1:{dead}" in ln), None)
        t.ok(at is not None and any("Couldn't connect" in ln for ln in lines[at + 1:at + 4]),
             "detail view: the message, libcurl's text under it", detail)
        last = next((ln for ln in lines if ln.strip().startswith("Last ")), "")
        t.ok(re.search(r"\d\d:\d\d:\d\d\s+-\s+failed after [\d.]+m?s\s*$", last),
             "detail view: no answer, no code and no latency on the Last line "
             "(only the time it took to fail)", last)
        tmux(sock, "send-keys", "Escape")
        time.sleep(0.3 * SLOW)
        tmux(sock, "send-keys", "Down")
        time.sleep(0.2 * SLOW)
        tmux(sock, "send-keys", "Enter")
        time.sleep(0.5 * SLOW)
        detail = tmux(sock, "capture-pane", "-p")
        t.ok("body cut at max_body after 65536 bytes" in detail,
             "detail view: a body cut at max_body says so", detail)
    finally:
        tmux(sock, "kill-server")


def main():
    with tempfile.TemporaryDirectory() as tmp, Fixture(tls=True) as fx:
        dead = free_port()
        check_json(fx, dead, tmp)
        check_detail_view(fx, dead, tmp)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
