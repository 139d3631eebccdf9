"""--shard K/N: two uptop processes at once cover one config exactly once
(the fixture counts every request), every N from 1 to 5 splits 300 names
so each is checked by exactly one shard, --check-config says what a shard
gets, a shard with no targets runs idle with a warning, a reload keeps the
shard, and bad values are usage errors."""

import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import Fixture, Running, json_lines, run_uptop, write_config  # noqa: E402


def test_two_processes(t, fx, tmp):
    names = [f"svc-{i:03d}" for i in range(60)]
    body = "".join(f'  - {{name: {n}, url: "{fx.url("/count/" + n)}"}}\n' for n in names)
    cfg = write_config(tmp, f"targets:\n{body}", name="two.yaml")
    procs = [Running(["--once", "--format", "json", "--shard", f"{k}/2", "-c", cfg])
             for k in (1, 2)]
    rcs = [p.stop(sig=None, timeout=60) for p in procs]
    t.eq(rcs, [0, 0], "both shards run --once at the same time and exit 0")
    got = [[o["name"] for o in p.json_out()] for p in procs]
    t.eq(sorted(got[0] + got[1]), names, "together they report every target exactly once")
    t.ok(got[0] and got[1], f"each shard has some ({len(got[0])} and {len(got[1])})")
    stats = fx.stats()
    hits = [stats.get(f"/count/{n}", 0) for n in names]
    t.ok(all(h == 1 for h in hits), "the fixture saw exactly one request per target",
         {n: h for n, h in zip(names, hits) if h != 1})


def test_every_n(t, tmp):
    names = [f"host-{i:03d}.example" for i in range(300)]
    body = "".join(f'  - {{name: "{n}", url: "http://{n[:8]}.invalid/"}}\n' for n in names)
    cfg = write_config(tmp, f"targets:\n{body}", name="many.yaml")
    for n in range(1, 6):
        seen = []
        for k in range(1, n + 1):
            rc, out, err, _ = run_uptop(["--once", "--format", "json", "--shard", f"{k}/{n}",
                                         "-c", cfg])
            seen += [o["name"] for o in json_lines(out)]
            if k == 1:
                _, summary, _, _ = run_uptop(["--check-config", "--shard", f"{k}/{n}", "-c", cfg])
                count = len([o for o in json_lines(out)])
        t.eq(sorted(seen), sorted(names), f"N={n}: each of 300 names in exactly one shard")
        t.ok(f"{count} target" in summary and f"(shard 1/{n} of 300)" in summary,
             f"N={n}: --check-config tells shard 1's share", summary)


def test_empty_shard(t, fx, tmp):
    cfg = write_config(tmp, f'targets:\n  - {{name: solo, url: "{fx.url("/ok")}"}}\n',
                       name="one.yaml")
    empty = next(k for k in range(1, 4)
                 if run_uptop(["--check-config", "--shard", f"{k}/3", "-c", cfg])[1]
                 .startswith(f"{cfg}: OK, 0 targets"))
    rc, out, err, _ = run_uptop(["--once", "--shard", f"{empty}/3", "-c", cfg])
    t.ok(rc == 0 and f"warning: shard {empty}/3 has none of the 1 target" in err,
         "a shard with no targets: a warning, exit 0", (rc, err))
    rc, out, err, _ = run_uptop(["--headless", "-d", "300ms", "--shard", f"{empty}/3",
                                 "-c", cfg])
    t.ok(rc == 0 and '"checks":0' in out, "...and --headless runs idle", (rc, out, err))


def test_reload(t, fx, tmp):
    names = [f"r-{i:02d}" for i in range(20)]
    path = os.path.join(tmp, "reload.yaml")

    def write(extra):
        body = "".join(f'  - {{name: {n}, url: "{fx.url("/ok")}?{n}"}}\n' for n in names + extra)
        write_config(tmp, f"defaults: {{interval: 1h}}\ntargets:\n{body}", name="reload.yaml")
    write([])
    before = {o["name"] for o in json_lines(run_uptop(["--once", "--format", "json",
                                                        "--shard", "1/2", "-c", path])[1])}
    write(["r-new-1", "r-new-2", "r-new-3", "r-new-4"])
    after = {o["name"] for o in json_lines(run_uptop(["--once", "--format", "json",
                                                       "--shard", "1/2", "-c", path])[1])}
    t.ok(before <= after, "adding targets moves none of the old ones to another shard")
    logpath = os.path.join(tmp, "reload.log")

    def log():
        try:
            with open(logpath) as f:
                return f.read()
        except OSError:
            return ""
    p = Running(["--headless", "--shard", "1/2", "-c", path, "--debug-log", logpath])
    try:
        t.ok(lib.wait_until(lambda: "engine: " in log(), 20), "uptop started")
        write(["r-new-5", "r-new-6", "r-new-7", "r-new-8"])
        p.send(signal.SIGUSR1)
        ok = lib.wait_until(lambda: "main: reloaded" in log(), 20)
        want = len({n for n in names + [f"r-new-{i}" for i in range(5, 9)]} &
                   {o["name"] for o in json_lines(run_uptop(
                       ["--once", "--format", "json", "--shard", "1/2", "-c", path])[1])})
        t.ok(ok and f"main: reloaded {path}: {want} targets" in log(),
             f"a reload keeps the shard ({want} of 24 targets)", log()[-500:])
    finally:
        p.stop()


def test_usage(t, fx):
    for bad in ("0/2", "3/2", "2", "x/y", "1/1001"):
        rc, _, err, _ = run_uptop(["--once", "--shard", bad, fx.url("/ok")])
        t.ok(rc == 3 and "--shard" in err, f"--shard {bad}: usage error", err)


def main(t):
    with tempfile.TemporaryDirectory(prefix="uptop-shard-") as tmp, Fixture(tls=False) as fx:
        test_two_processes(t, fx, tmp)
        test_every_n(t, tmp)
        test_empty_shard(t, fx, tmp)
        test_reload(t, fx, tmp)
        test_usage(t, fx)


lib.main(main)
