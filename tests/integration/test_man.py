"""The man pages: uptop.1 and uptop.yaml.5 lint clean (mandoc -T lint,
groff -ww), `man ./uptop.1` renders, and they cannot drift from the code:
every option of --help, every key binding of src/ui_keys.c, every error
class of src/result.c, every exit status, every environment variable the
program reads, every signal it handles (uptop.1) and every key of the
config table (uptop --help-config, in uptop.yaml.5) is in them."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import REPO, run_uptop  # noqa: E402

PAGES = [REPO / "uptop.1", REPO / "uptop.yaml.5"]


def render(page):
    """The page as plain text, one long line per paragraph line."""
    r = subprocess.run(["mandoc", "-T", "ascii", "-O", "width=400", str(page)],
                       capture_output=True, text=True)
    return re.sub(r".\x08", "", r.stdout)


def sections(text):
    """{SECTION NAME: its text} of a rendered page."""
    out, name = {}, None
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z .]+$", line) and not line.startswith(("UPTOP",)):
            name = line.strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def words(text):
    """Every token, also without a sentence's trailing period."""
    toks = re.findall(r"[A-Za-z0-9_./?!-]+", text)
    return set(toks) | {w.rstrip(".") for w in toks if len(w) > 1}


def test_lint(t):
    for page in PAGES:
        r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", str(page)],
                           capture_output=True, text=True)
        t.ok(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
             f"mandoc -T lint: {page.name} has no warning or error", r.stdout + r.stderr)
        r = subprocess.run(["mandoc", "-T", "lint", str(page)], capture_output=True, text=True)
        # Style notes are fine only for pages this machine has not
        # installed (uptop.yaml(5) is in this tree, not in the man path)
        # and for mandoc's own outdated index.
        rest = [ln for ln in (r.stdout + r.stderr).splitlines()
                if "referenced manual not found: Xr uptop" not in ln
                and "outdated mandoc.db" not in ln]
        t.eq(rest, [], f"mandoc -T lint -W style: {page.name} is clean")
        r = subprocess.run(["groff", "-ww", "-z", "-mandoc", str(page)],
                           capture_output=True, text=True)
        t.ok(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
             f"groff -ww -z -mandoc: {page.name} renders without warnings", r.stderr)
    if shutil.which("man"):
        r = subprocess.run(["man", "./uptop.1"], cwd=REPO, capture_output=True, text=True,
                           env={**os.environ, "MANPAGER": "cat", "PAGER": "cat",
                                "MANWIDTH": "80"})
        t.ok(r.returncode == 0 and "live terminal monitor" in r.stdout and "SYNOPSIS" in r.stdout,
             "man ./uptop.1 renders", r.stderr[-500:])
    else:
        t.skip("man ./uptop.1 renders", "man is not installed")


def test_uptop_1(t):
    text = render(REPO / "uptop.1")
    sec = sections(text)
    t.ok({"OPTIONS", "ERROR CLASSES", "EXIT STATUS", "ENVIRONMENT", "FILES", "SIGNALS",
          "THE LIVE TABLE", "PROMETHEUS", "NAGIOS AND ICINGA"} <= set(sec),
         "uptop.1 has its sections", sorted(sec))
    _, helptext, _, _ = run_uptop(["--help"])
    opts = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][a-zA-Z-]*)", helptext))
    opts -= {"-"}
    body = sec.get("OPTIONS", "") + sec.get("DESCRIPTION", "") + sec.get("SYNOPSIS", "")
    missing = sorted(o for o in opts if o not in words(body))
    t.ok(len(opts) > 20 and not missing, f"every option of --help is in OPTIONS ({len(opts)})",
         missing)
    for fmt in ("table", "json", "prometheus", "nagios"):
        t.ok(re.search(rf"^\s+{fmt}\b", sec.get("OPTIONS", ""), re.M),
             f"--format {fmt} is described")
    src = (REPO / "src" / "ui_keys.c").read_text()
    table = src[src.index("ui_bindings[] = {"):]
    keys = {k for row in re.findall(r'\.keys = "([^"]+)"', table) for k in row.split()}
    keytext = sec.get("THE LIVE TABLE", "")
    missing = sorted(k for k in keys if k not in words(keytext))
    t.ok(len(keys) > 20 and not missing, f"every key binding of ui_keys.c ({len(keys)})", missing)
    result = (REPO / "src" / "result.c").read_text()
    classes = set(re.findall(r'\[EC_[A-Z_]+\] = "([a-z_]+)"', result))
    missing = sorted(c for c in classes if not re.search(rf"^\s+{c}\b", sec.get("ERROR CLASSES", ""), re.M))
    t.ok(len(classes) >= 15 and not missing, f"every error class of result.c ({len(classes)})",
         missing)
    report = (REPO / "include" / "report.h").read_text()
    main_c = (REPO / "src" / "main.c").read_text()
    codes = (set(re.findall(r"EXIT_[A-Z]+ = (\d+)", report)) | {"70"} |
             set(re.findall(r"#define EXIT_[A-Z]+ (\d+)", main_c)))
    missing = sorted(c for c in codes if not re.search(rf"^\s+{c}\b|status {c}\b",
                                                        sec.get("EXIT STATUS", ""), re.M))
    t.ok(len(codes) >= 5 and not missing, f"every exit status {sorted(codes)}", missing)
    env = set()
    for f in (REPO / "src").glob("*.c"):
        env |= set(re.findall(r'getenv\("([A-Z_]+)"\)', f.read_text()))
    missing = sorted(e for e in env if e not in words(sec.get("ENVIRONMENT", "")))
    t.ok(len(env) >= 5 and not missing, f"every environment variable read ({sorted(env)})",
         missing)
    sigs = set()
    for f in (REPO / "src").glob("*.c"):
        code = f.read_text()
        sigs |= set(re.findall(r"\b(SIG(?:INT|TERM|HUP|USR1|USR2|PIPE|WINCH|TSTP|CONT|CHLD|ALRM|QUIT))\b",
                               code))
    missing = sorted(s for s in sigs if s not in words(sec.get("SIGNALS", "")))
    t.ok(len(sigs) >= 5 and not missing, f"every signal handled ({sorted(sigs)})", missing)


def test_uptop_yaml_5(t):
    text = render(REPO / "uptop.yaml.5")
    rc, helptext, _, _ = run_uptop(["--help-config"])
    keys = set(re.findall(r"^  ([a-z][a-z_-]+) ", helptext, re.M))
    missing = sorted(k for k in keys if k not in words(text))
    t.ok(rc == 0 and len(keys) > 60 and not missing,
         f"every key of --help-config is in uptop.yaml.5 ({len(keys)})", missing)


def main(t):
    if not shutil.which("mandoc") or not shutil.which("groff"):
        t.skip("the man pages", "mandoc or groff not installed (scripts/deps.sh installs them)")
        return
    test_lint(t)
    test_uptop_1(t)
    test_uptop_yaml_5(t)


lib.main(main)
