"""Runs one command and writes its rusage as JSON: meter.py OUT CMD [ARG...]

Why a helper: Linux keeps the pre-exec peak RSS of a process in its
ru_maxrss (exec_mmap folds the old mm's high-water mark into
signal->maxrss), and a child forked from the benchmark driver starts with
the driver's whole RSS, which holds 10,000-URL lists. A small tool would
then "peak" at the driver's size. Forked from this small interpreter
(python3 -S, ~10 MB), the floor lies below every tool measured. The wall
time is taken here, around fork and wait4 only.

OUT gets {"wall", "user", "sys", "rss_kb", "status"}; exit status 127 and
status -1 if the command could not be started.
"""
import json
import os
import sys
import time


def main():
    out, argv = sys.argv[1], sys.argv[2:]
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    with open(out, "w") as f:
        json.dump({"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
                   "rss_kb": ru.ru_maxrss, "status": status}, f)


if __name__ == "__main__":
    main()
