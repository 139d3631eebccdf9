"""Faults that are not a server's doing: allocation failure with the live
table up (the terminal is restored before the message), a config holding
secrets that others can read (a warning), and monotonic time everywhere."""

import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, run_uptop, write_config, uptop_bin, free_port  # noqa: E402

t = Tap()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def check_alloc_failure(tmp):
    """100,000 targets under a 240 MB address-space limit (loading needs ~190 MB, the model ~190 MB more): the config fits,
    the model does not, so the failure comes with the table on screen."""
    if os.environ.get("UPTOP_SANITIZED"):
        t.skip("allocation failure under ulimit -v", "ASan reserves terabytes of address space")
        return
    dead = free_port()
    cfg = os.path.join(tmp, "big.yaml")
    with open(cfg, "w") as f:
        f.write("targets:\n")
        for i in range(100000):
            f.write(f'  - {{name: t{i}, url: "http://127.0.0.1:{dead}/{i}"}}\n')
    script = os.path.join(tmp, "alloc.sh")
    with open(script, "w") as f:
        f.write(f"""stty -g > {tmp}/before
( ulimit -v 240000; exec {uptop_bin()} -c {cfg} 2>{tmp}/err ); echo $? > {tmp}/rc
stty -g > {tmp}/after
""")
    sock = f"uptop-faults-{os.getpid()}"
    try:
        subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30",
                        f"env TERM=tmux-256color LC_ALL=C.UTF-8 bash {script}; sleep 30"], check=True)
        deadline = time.monotonic() + 20
        while not os.path.exists(f"{tmp}/after") and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.2)
        pane = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p"], capture_output=True, text=True).stdout
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True)
    read = lambda n: open(f"{tmp}/{n}").read().strip() if os.path.exists(f"{tmp}/{n}") else None  # noqa: E731
    t.eq(read("rc"), "70", "allocation failure: exit 70")
    t.ok("out of memory" in (read("err") or ""), "allocation failure: a message a person can read", read("err"))
    t.ok(read("before") and read("before") == read("after"), "allocation failure: stty -g identical after")
    t.ok("STATE" not in pane, "allocation failure: the alternate screen was left", pane[:200])


def check_secret_warning(tmp):
    os.environ["UPTOP_TEST_TOKEN"] = "s3cret-value"
    cfg = write_config(tmp, 'targets:\n  - name: a\n    url: "http://127.0.0.1:9/"\n'
                       '    headers: {Authorization: "Bearer ${UPTOP_TEST_TOKEN}"}\n', name="secret.yaml")
    os.chmod(cfg, 0o644)
    rc, out, err, _ = run_uptop(["--check-config", "-c", cfg])
    t.ok(rc == 0 and "readable by others" in err and "chmod 600" in err,
         "a config with secrets readable by others gets a warning", err)
    os.chmod(cfg, 0o600)
    rc, out, err, _ = run_uptop(["--check-config", "-c", cfg])
    t.ok(rc == 0 and "warning" not in err, "chmod 600: no warning", err)
    rc, out, err, _ = run_uptop(["--once", "--format", "json", "-c", cfg])
    rc2, out2, err2, _ = run_uptop(["--once", "-c", cfg])
    t.ok("s3cret" not in out + err + out2 + err2, "the secret never appears in --once output")
    plain = write_config(tmp, 'targets:\n  - {name: a, url: "http://127.0.0.1:9/"}\n', name="plain.yaml")
    os.chmod(plain, 0o644)
    rc, out, err, _ = run_uptop(["--check-config", "-c", plain])
    t.ok("warning" not in err, "no secrets: no warning", err)


def check_monotonic():
    """Wall-clock jumps cannot change intervals or latencies: the realtime
    clock is read in exactly one place (wall_ms, for what people read)."""
    hits = []
    for name in sorted(os.listdir(os.path.join(ROOT, "src"))):
        text = open(os.path.join(ROOT, "src", name)).read()
        for m in re.finditer(r"CLOCK_REALTIME|gettimeofday\s*\(|\btime\s*\(\s*(NULL|0|&)", text):
            hits.append(f"{name}: {m.group(0)}")
    t.eq(hits, ["util.c: CLOCK_REALTIME"], "the wall clock is read only by wall_ms()")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check_alloc_failure(tmp)
        check_secret_warning(tmp)
        check_monotonic()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
