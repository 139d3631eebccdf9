"""The C sources keep the style .editorconfig states, so no formatter run
is needed and none can drift: indentation by tabs (spaces only to align
after them, fewer than a tab's worth), lines at most 100 columns with tabs
at 8, no trailing whitespace, a final newline. The project keeps no
.clang-format: its hand layout (aligned continuations, tables) is the
style, and this test is what holds it."""

import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
WIDTH = 100
LEAD = re.compile(r"^(\t*)( *)(\t?)")


def sources():
    pats = ["src/*.c", "src/*.h", "include/*.h", "tests/unit/*.c", "tests/unit/*.h",
            "tests/fuzz/*.c", "bench/*.c"]
    return sorted(f for p in pats for f in glob.glob(os.path.join(ROOT, p)))


def problems(path):
    """-> ["FILE:LINE: what", ...]"""
    out = []
    rel = os.path.relpath(path, ROOT)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text and not text.endswith("\n"):
        out.append(f"{rel}: no newline at the end")
    for n, line in enumerate(text.split("\n"), 1):
        m = LEAD.match(line)
        if m.group(3) or len(m.group(2)) >= 8:
            out.append(f"{rel}:{n}: indented with spaces (tabs indent, spaces only align)")
        if line != line.rstrip():
            out.append(f"{rel}:{n}: trailing whitespace")
        w = len(line.expandtabs(8))
        if w > WIDTH:
            out.append(f"{rel}:{n}: {w} columns (at most {WIDTH})")
    return out


def main():
    t = Tap()
    files = sources()
    t.ok(len(files) > 50, f"the sources are found ({len(files)} files)")
    bad = [p for f in files for p in problems(f)]
    t.ok(not bad, f"every C source keeps the style ({len(bad)} problems)", "\n".join(bad[:40]))
    ec = open(os.path.join(ROOT, ".editorconfig")).read()
    t.ok(f"max_line_length = {WIDTH}" in ec, ".editorconfig states the same width")
    t.ok(not os.path.exists(os.path.join(ROOT, ".clang-format")),
         "no .clang-format that the tree does not follow")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
