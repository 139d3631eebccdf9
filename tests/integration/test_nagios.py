"""--once --format nagios: one line in the Nagios plugin guidelines'
format, the status word and the exit status agreeing (0 OK, 1 WARNING,
2 CRITICAL, 3 on a usage or config error), performance data every item
of which parses as 'label'=value[UOM];[warn];[crit];[min];[max], and
hostile names that cannot break the line or the labels."""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import Fixture, free_port, run_uptop, write_config  # noqa: E402

# One performance data item, as the guidelines define it.
PERF = re.compile(r"'((?:[^'=]|'')+)'=(-?[0-9.]+)(s|B|%|us|ms|KB|MB|TB|c)?"
                  r"(?:;(-?[0-9.]*)(?:;(-?[0-9.]*)(?:;(-?[0-9.]*)(?:;(-?[0-9.]*))?)?)?)?")


def parse(out):
    """-> (word, text, {label: (value, uom, warn, crit, min, max)}); asserts one line."""
    lines = out.splitlines()
    line = lines[0] if lines else ""
    head, _, perf = line.partition(" | ")
    m = re.match(r"UPTOP (OK|WARNING|CRITICAL|UNKNOWN) - (.*)$", head)
    items, rest = {}, perf
    while rest:
        p = PERF.match(rest)
        if not p:
            return (m.group(1) if m else None), (m.group(2) if m else None), None
        items[p.group(1)] = p.groups()[1:]
        rest = rest[p.end():].lstrip(" ")
    return (m.group(1) if m else None), (m.group(2) if m else None), items


def main(t):
    with tempfile.TemporaryDirectory(prefix="uptop-nagios-") as tmp, Fixture(tls=False) as fx:
        rc, out, err, _ = run_uptop(["--once", "--format", "nagios", fx.url("/ok")])
        word, text, perf = parse(out)
        t.ok(rc == 0 and word == "OK" and len(out.splitlines()) == 1,
             "one target up: exit 0, UPTOP OK, one line", out)
        t.ok(text and re.match(r".*/ok: 200 in \d+\.\d{3} s$", text), "the text: its status and time",
             text)
        t.ok(perf is not None and set(perf) == {"time", "size"},
             "perfdata: 'time' and 'size', each as the guidelines say", out)
        if perf:
            t.eq(perf["time"][1:5], ("s", "", "5", "0"), "time: seconds; warn none, crit the timeout (5 s), min 0")
            t.eq(perf["size"], ("2", "B", "", "", "0", None), "size: bytes, min 0")
        cfg = write_config(tmp, f"""
targets:
  - {{name: slow, url: "{fx.url('/delay/0.2')}", max_latency: 50ms, timeout: 2s}}
""", name="slow.yaml")
        rc, out, _, _ = run_uptop(["--once", "--format", "nagios", "-c", cfg])
        word, text, perf = parse(out)
        t.ok(rc == 1 and word == "WARNING" and text.startswith("slow: slow: "),
             "degraded: exit 1, UPTOP WARNING, the class and message", out)
        t.ok(perf and perf["time"][2:4] == ("0.05", "2"),
             "warn is max_latency, crit the timeout, in seconds", perf)
        rc, out, _, _ = run_uptop(["--once", "--format", "nagios", fx.url("/status/503")])
        word, text, _ = parse(out)
        t.ok(rc == 2 and word == "CRITICAL" and "status: got 503, expected 200-399" in text,
             "down: exit 2, UPTOP CRITICAL, the exact error", out)
        dead = free_port()
        cfg = write_config(tmp, f"""
targets:
  - {{name: a-ok, url: "{fx.url('/ok')}"}}
  - {{name: b-ok, url: "{fx.url('/ok')}?b"}}
  - {{name: "it's = a | pipe\\nand a newline", url: "http://127.0.0.1:{dead}/"}}
  - {{name: slow, url: "{fx.url('/delay/0.2')}", max_latency: 50ms}}
  - {{name: gone, url: "http://gone.invalid/"}}
""", name="many.yaml")
        rc, out, err, _ = run_uptop(["--once", "--format", "nagios", "-c", cfg])
        word, text, perf = parse(out)
        t.ok(rc == 2 and word == "CRITICAL" and len(out.splitlines()) == 1,
             "several targets: one line, the worst state decides", out)
        t.ok(text and text.startswith("2 down, 1 degraded, 2 up of 5: "),
             "the text counts the states", text)
        t.ok(text and text.index("refused") < text.index("gone: dns") < text.index("slow: slow"),
             "then names the problems, down first", text)
        t.ok(perf is not None, "every perfdata item parses (hostile names too)", out)
        perf = perf or {}
        t.eq([perf.get(k, (None,))[0] for k in ("down", "degraded", "up", "pending")],
             ["2", "1", "2", "0"], "'down', 'degraded', 'up', 'pending' counts")
        t.eq(perf.get("up", ())[4:], ("0", "5"), "counts: min 0, max the number of targets")
        t.ok({"a-ok time", "a-ok size", "gone time", "slow time"} <= set(perf),
             "'NAME time' and 'NAME size' for each target", sorted(perf))
        hostile = [k for k in perf if k.startswith("it")]
        t.ok(hostile and all("'" not in k and "=" not in k and "|" not in k and "\n" not in k
                             for k in hostile),
             "a name with ', =, | and a newline becomes a safe label", hostile)
        t.ok(out.count("|") == 1, "only one '|' on the line: the perfdata separator", out)
        rc, out, err, _ = run_uptop(["--once", "--format", "nagios", "-c",
                                     os.path.join(tmp, "missing.yaml")])
        t.ok(rc == 3 and "missing.yaml" in err, "a config error: exit 3 (UNKNOWN), why on stderr",
             err)
        rc, out, err, _ = run_uptop(["--once", "--format", "nagios", "--ascii", fx.url("/ok")])
        t.ok(rc == 3 and "--ascii has no effect with --once --format nagios" in err,
             "--ascii with nagios: a usage error", err)


lib.main(main)
