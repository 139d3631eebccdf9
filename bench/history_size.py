#!/usr/bin/env python3
"""The history database's size and start-up cost, by simulation (issue 13):
1,000 targets checked every 30 s for 30 days.

    python3 bench/history_size.py [--uptop build/uptop] [--targets 1000] [--days 30]

uptop creates the file (its own schema), then this script writes what 30
days of running would leave after pruning: an hour bucket per target and
hour for the whole span, a minute bucket per target and minute for the last
48 h, the last result of each target, and the events of a target that fails
twice a day (4 state changes a day). Each bucket's histogram is the real
stored form (bucket.h) of 2 checks a minute / 120 an hour spread over a few
latency buckets. It prints the file's size, then starts uptop --headless on
the file and prints how long the restore took (from its debug log) and the
whole start to the first check. Network: 127.0.0.1 only (the targets point
at a closed port)."""

import argparse
import os
import random
import re
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def hist(rnd, n, spread):
    counts = {}
    for _ in range(n):
        k = 20 + rnd.randrange(spread)
        counts[k] = counts.get(k, 0) + 1
    return b"".join(bytes([k]) + varint(c) for k, c in sorted(counts.items()))


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uptop", default="build/uptop")
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--days", type=int, default=30)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="uptop-hsize-")
    db = os.path.join(tmp, "history.db")
    port = closed_port()
    cfg = os.path.join(tmp, "c.yaml")
    with open(cfg, "w") as f:
        f.write("defaults: {interval: 30s, timeout: 5s}\ntargets:\n")
        for i in range(a.targets):
            f.write(f"  - {{name: target-{i:05d}, url: \"http://127.0.0.1:{port}/{i}\"}}\n")
    subprocess.run([a.uptop, "--headless", "-c", cfg, "--history", db, "-d", "500ms"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    rnd = random.Random(13)
    now = int(time.time())
    span = a.days * 86400
    c = sqlite3.connect(db)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=NORMAL")
    ids = [r[0] for r in c.execute("SELECT id FROM targets ORDER BY id")]
    # hour buckets, oldest first (as uptop writes them)
    for h in range(now - span, now, 3600):
        t = h - h % 3600
        rows = [(t, tid, 120, 1, 3590000, 0, 5000, 5000, 120, 250.5, hist(rnd, 120, 6))
                for tid in ids]
        c.executemany("INSERT OR REPLACE INTO buckets_1h VALUES(?,?,?,?,?,?,?,?,?,?,?)", rows)
    c.commit()
    for m in range(now - 48 * 3600, now, 60):
        t = m - m % 60
        rows = [(t, tid, 2, 0, 60000, 0, 0, 0, 2, 80.25, hist(rnd, 2, 3)) for tid in ids]
        c.executemany("INSERT OR REPLACE INTO buckets_1m VALUES(?,?,?,?,?,?,?,?,?,?,?)", rows)
    c.commit()
    ev = []
    for tid in ids:
        for d in range(a.days):
            for k in range(2):
                t0 = (now - span + d * 86400 + rnd.randrange(86000)) * 1000
                ev.append((t0, 1, tid, "state", "up", "down", "timeout",
                           "timeout: timed out after 5000 ms waiting for the response",
                           None, None, 0, None))
                ev.append((t0 + 120000, 1, tid, "state", "down", "up", None, "ok",
                           None, None, 0, None))
    ev.sort()
    c.executemany("INSERT INTO events(time, run, target, kind, from_state, to_state, class,"
                  " message, who, until, value, phase) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", ev)
    recent = b"".join(struct.pack("<ifhBB", 30 * (31 - i), 80.0, 200, 0, 0)
                      for i in range(32))
    c.executemany("INSERT OR REPLACE INTO last VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                  [(tid, now * 1000, "up", (now - 3600) * 1000, 200, None, None, 80.0,
                    80.0, 0, 1, recent) for tid in ids])
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()
    size = os.path.getsize(db)
    print(f"{a.targets} targets, {a.days} days at 30 s: {size / 1e6:.1f} MB "
          f"({len(ev)} events)")
    log = os.path.join(tmp, "debug.log")
    t0 = time.monotonic()
    p = subprocess.run([a.uptop, "--headless", "-c", cfg, "--history", db, "-d", "1s",
                        "--debug-log", log], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=False)
    wall = time.monotonic() - t0
    got = re.search(r"history: (\d+) targets? restored in ([\d.]+) ms", open(log).read())
    print(f"restore at start: {got.group(2) if got else '?'} ms for "
          f"{got.group(1) if got else '?'} targets; the whole 1 s run took {wall:.2f} s"
          f"{' (stderr: ' + p.stderr.strip() + ')' if p.stderr.strip() else ''}")
    print(f"file: {db}")


main()
