# uptop-test: build (it tests make install, not the binary: not run again under the sanitizers)
"""make install / make uninstall, as a new user would run them: into a
temporary DESTDIR (the files land under DESTDIR/PREFIX, the binary runs:
--version, --once against the fixture), and with a temporary PREFIX (the
binary finds its themes in PREFIX/share/uptop/themes by name, from any
directory); uninstall leaves nothing. The bash and zsh completions offer
the options, modes, --format values and themes (bash through its
completion function, zsh in a real interactive shell in tmux)."""

import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import REPO, Fixture, run_uptop  # noqa: E402

EXPECTED = ["bin/uptop", "share/man/man1/uptop.1", "share/man/man5/uptop.yaml.5",
            "share/uptop/themes/default.yaml", "share/uptop/themes/mono.yaml",
            "share/uptop/themes/high-contrast.yaml", "share/doc/uptop/config.example.yaml",
            "share/doc/uptop/README.md", "share/doc/uptop/LICENSE",
            "share/bash-completion/completions/uptop", "share/zsh/site-functions/_uptop"]


def make(tmp, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "WERROR")}
    r = subprocess.run(["make", "--no-print-directory", "-j2", f"B={tmp}/build", *args],
                       cwd=REPO, capture_output=True, text=True, env=env)
    return r.returncode, r.stdout + r.stderr


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def test_destdir(t, tmp, fx):
    dest = os.path.join(tmp, "dest")
    rc, out = make(tmp, "install", f"DESTDIR={dest}", "PREFIX=/usr/local")
    t.eq(rc, 0, "make install DESTDIR=... PREFIX=/usr/local", )
    if rc:
        t.diag(out[-2000:])
    got = files_under(dest)
    t.eq(got, sorted("usr/local/" + f for f in EXPECTED), "every file in its place under DESTDIR")
    binary = os.path.join(dest, "usr/local/bin/uptop")
    t.ok(os.access(binary, os.X_OK), "the binary is executable")
    t.eq(oct(os.stat(os.path.join(dest, "usr/local/share/man/man1/uptop.1")).st_mode & 0o777),
         "0o644", "the man page is 0644")
    rc, out, _, _ = run_uptop(["--version"], bin=binary)
    t.ok(rc == 0 and out.startswith("uptop ") and "libmicrohttpd/" in out,
         "the installed binary: --version", out)
    rc, out, err, _ = run_uptop(["--once", fx.url("/ok")], bin=binary)
    t.ok(rc == 0 and "up" in out, "the installed binary: --once against the fixture", out + err)
    rc, out = make(tmp, "uninstall", f"DESTDIR={dest}", "PREFIX=/usr/local")
    t.eq(rc, 0, "make uninstall")
    t.eq(files_under(dest), [], "uninstall leaves no file")
    for d in ("usr/local/share/uptop", "usr/local/share/doc/uptop"):
        t.ok(not os.path.exists(os.path.join(dest, d)), f"...and no {d}/")


def in_pty(argv, cwd, env, timeout=10):
    """Runs argv on a pseudo-terminal -> (exit status, what it printed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    out, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            b = os.read(fd, 4096)
        except OSError:
            break
        if not b:
            break
        out += b
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_prefix(t, tmp):
    prefix = os.path.join(tmp, "prefix")
    rc, out = make(tmp, "install", f"PREFIX={prefix}")
    t.eq(rc, 0, "make install PREFIX=<temp dir>")
    binary = os.path.join(prefix, "bin", "uptop")
    themes = os.path.join(prefix, "share", "uptop", "themes")
    # A theme only the installed directory has, and a broken one to prove
    # which file was read: found by name from an unrelated directory.
    shutil.copy(os.path.join(themes, "mono.yaml"), os.path.join(themes, "ocean.yaml"))
    with open(os.path.join(themes, "broken.yaml"), "w") as f:
        f.write("colors: [\n")
    elsewhere = tempfile.mkdtemp(dir=tmp)
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm", "HOME": elsewhere, "LANG": "C.UTF-8"}
    rc, out = in_pty([binary, "--theme", "broken", "http://127.0.0.1:1/"], elsewhere, env)
    t.ok(rc == 3 and f"{themes}/broken.yaml:" in out,
         "a theme name is looked up in PREFIX/share/uptop/themes", out[-500:])
    rc, out = in_pty([binary, "--theme", "nosuch", "http://127.0.0.1:1/"], elsewhere, env)
    t.ok(rc == 3 and f"{prefix}/share/uptop/themes" in out,
         "an unknown theme names the installed directory", out[-500:])
    return prefix, themes


def complete_bash(script, words, env):
    """COMPREPLY of the bash function for the words typed (the last one is
    being completed)."""
    line = " ".join(words)
    prog = (f'source "{script}"; COMP_WORDS=({" ".join(repr(w) for w in words)}); '
            f'COMP_CWORD={len(words) - 1}; COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; '
            f'_uptop; printf "%s\\n" "${{COMPREPLY[@]}}"')
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog], capture_output=True,
                       text=True, env=env)
    return set(r.stdout.split())


def test_bash(t, prefix):
    script = os.path.join(prefix, "share/bash-completion/completions/uptop")
    env = {"PATH": f"{prefix}/bin:/usr/bin:/bin", "HOME": prefix}
    got = complete_bash(script, ["uptop", "--"], env)
    t.ok({"--once", "--headless", "--check-config", "--format", "--metrics", "--shard",
          "--theme", "--config", "--version"} <= got, "bash: options and modes", sorted(got))
    t.eq(complete_bash(script, ["uptop", "--format", ""], env),
         {"table", "json", "prometheus", "nagios", "md", "csv"},
         "bash: --format values (--once's and report's)")
    t.eq(complete_bash(script, ["uptop", "re"], env), {"report"}, "bash: the report subcommand")
    t.eq(complete_bash(script, ["uptop", "--format", "p"], env), {"prometheus"},
         "bash: --format p completes to prometheus")
    got = complete_bash(script, ["uptop", "-t", ""], env)
    t.ok({"default", "mono", "high-contrast", "ocean"} <= got,
         "bash: themes, built in and installed (found beside the uptop on PATH)", sorted(got))
    _, helptext, _, _ = run_uptop(["--help"])
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", helptext))
    text = open(script).read() + open(os.path.join(prefix, "share/zsh/site-functions/_uptop")).read()
    t.eq(sorted(o for o in opts if o not in text), [], "every --option of --help is in both")


def test_zsh(t, prefix):
    if not shutil.which("zsh") or not shutil.which("tmux"):
        t.skip("zsh completes in a real shell", "zsh or tmux not installed")
        return
    sock = f"uptop-zsh-{os.getpid()}"
    zdot = os.path.join(prefix, "zdot")
    os.makedirs(zdot, exist_ok=True)
    with open(os.path.join(zdot, ".zshrc"), "w") as f:
        f.write(f"fpath=({prefix}/share/zsh/site-functions $fpath)\n"
                f"path=({prefix}/bin $path)\nautoload -Uz compinit && compinit -u\n"
                "zstyle ':completion:*' list-prompt ''\nPROMPT='%% '\n")
    tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
    subprocess.run(tmux + ["new-session", "-d", "-x", "200", "-y", "40", "env",
                           f"ZDOTDIR={zdot}", "TERM=xterm", "zsh", "-i"], check=True)
    try:
        def screen():
            return subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True,
                                  text=True).stdout
        t.ok(lib.wait_until(lambda: "%" in screen(), 10), "zsh started")
        subprocess.run(tmux + ["send-keys", "uptop --format ", "Tab"])
        got = lib.wait_until(lambda: "prometheus" in screen() and screen(), 10) or screen()
        t.ok(all(w in got for w in ("table", "json", "prometheus", "nagios")),
             "zsh: --format <Tab> lists the formats", got[-600:])
        subprocess.run(tmux + ["send-keys", "C-u", "uptop --sh", "Tab"])
        got = lib.wait_until(lambda: "--shard" in screen() and screen(), 10) or screen()
        t.ok("--shard" in got and "shard K of N" in got,
             "zsh: --sh<Tab> offers --shard with its description", got[-600:])
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)


def main(t):
    tmp = tempfile.mkdtemp(prefix="uptop-install-")
    try:
        with Fixture(tls=False) as fx:
            test_destdir(t, tmp, fx)
        prefix, _ = test_prefix(t, tmp)
        test_bash(t, prefix)
        test_zsh(t, prefix)
        rc, _ = make(tmp, "uninstall", f"PREFIX={prefix}")
        for extra in ("ocean.yaml", "broken.yaml"):
            os.unlink(os.path.join(prefix, "share/uptop/themes", extra))
        shutil.rmtree(os.path.join(prefix, "zdot"), ignore_errors=True)
        rc, _ = make(tmp, "uninstall", f"PREFIX={prefix}")
        t.eq(files_under(prefix), [], "uninstall with PREFIX leaves no file")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


lib.main(main)
