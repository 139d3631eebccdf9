"""docs/ARCHITECTURE.md matches the code: every #include in src/ and
include/ is allowed by the document's include table, each library has its
one owner, every module is in the table (and every row is a module), and
neither the README nor docs/ points outside the repository."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Tap, REPO  # noqa: E402

t = Tap()
DOC = REPO / "docs" / "ARCHITECTURE.md"
# Library headers -> the library's name in the table. A header not listed
# here and included with <...> is libc or the system.
LIBRARIES = {"curl/curl.h": "curl", "ares.h": "c-ares", "yaml.h": "libyaml",
             "curses.h": "curses", "ncurses.h": "curses", "json-c/json.h": "json-c",
             "sqlite3.h": "sqlite3", "microhttpd.h": "libmicrohttpd",
             "openssl/ssl.h": "openssl", "openssl/x509.h": "openssl",
             "openssl/asn1.h": "openssl", "openssl/bio.h": "openssl"}


def table():
    """{module: (set of project headers, set of libraries)} from the doc."""
    text = DOC.read_text()
    m = re.search(r"<!-- include-table.*?-->(.*?)<!-- end include-table -->", text, re.S)
    rows = {}
    for line in (m.group(1) if m else "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("module", "") or set(cells[0]) <= set("-"):
            continue
        split = lambda c: {x.strip() for x in c.split(",") if x.strip()}  # noqa: E731
        rows[cells[0]] = (split(cells[1]), split(cells[2]))
    return rows


def module_of(path, modules):
    """ui_table.c -> ui, config_keys.h -> config; else the stem."""
    stem = path.stem
    if stem in modules:
        return stem
    head = stem.split("_")[0]
    return head if head in modules else stem


def main():
    rows = table()
    t.ok(len(rows) >= 15, f"the include table parses ({len(rows)} modules)")
    files = sorted(list((REPO / "src").glob("*.[ch]")) + list((REPO / "include").glob("*.h")))
    seen, bad, owners = set(), [], {}
    for f in files:
        mod = module_of(f, rows)
        seen.add(mod)
        if mod not in rows:
            bad.append(f"{f.relative_to(REPO)}: module '{mod}' is not in the table")
            continue
        headers, libs = rows[mod]
        for quote, name in re.findall(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', f.read_text(), re.M):
            if quote == '"':
                dep = module_of(REPO / "include" / name, rows)
                if dep != mod and dep not in headers:
                    bad.append(f"{f.relative_to(REPO)}: includes {name} ({dep}), not allowed for {mod}")
            elif name in LIBRARIES:
                lib = LIBRARIES[name]
                owners.setdefault(lib, set()).add(mod)
                if lib not in libs:
                    bad.append(f"{f.relative_to(REPO)}: includes <{name}> ({lib}), not allowed for {mod}")
    t.ok(not bad, "every include in src/ and include/ is allowed by docs/ARCHITECTURE.md", "\n".join(bad))
    t.eq(sorted(set(rows) - seen), [], "every module in the table exists")
    multi = {lib: sorted(m) for lib, m in owners.items() if len(m) > 1}
    t.eq(multi, {}, "each library has one owner module")
    listed = sorted({lib for _, libs in rows.values() for lib in libs})
    t.eq(sorted(owners), listed, "the libraries in use are the ones the table names")
    docs = [REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
    outside = [f"{d.name}: {m}" for d in docs for m in re.findall(r"\.\./shared\S*|/work/shared\S*", d.read_text())]
    t.eq(outside, [], "README and docs/ point only inside the repository")
    readme = (REPO / "README.md").read_text()
    t.ok("docs/ARCHITECTURE.md" in readme, "the README points to docs/ARCHITECTURE.md")
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
