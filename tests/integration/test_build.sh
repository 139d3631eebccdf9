#!/usr/bin/env bash
# uptop-test: build (it tests the build, not the binary: not run again under the sanitizers)
# The build's identity includes its flags: after a plain build, the same
# build with WERROR=1 (or other CFLAGS) recompiles every object instead of
# reusing ones built without -Werror. Uses its own build directory.
set -u
# Under `make WERROR=1 check` the parent's command-line variables reach
# every sub-make through MAKEFLAGS: the "plain" builds here must not get them.
unset MAKEFLAGS MFLAGS MAKELEVEL
cd "$(dirname "$0")/../.."
# Under `make WERROR=1 check` the outer make hands WERROR=1 down through
# MAKEFLAGS: the "plain" builds below must be plain.
unset MAKEFLAGS MFLAGS MAKELEVEL WERROR
n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
b="$tmp/b"
nsrc=$(ls src/*.c | wc -l)

make --no-print-directory -j2 B="$b" "$b/uptop" >"$tmp/log1" 2>&1
ok $? "a plain build in a fresh directory succeeds"
make --no-print-directory -n B="$b" "$b/uptop" >"$tmp/log2" 2>&1
ok "$(grep -c -- ' -c -o ' "$tmp/log2")" "a second plain build compiles nothing"
make --no-print-directory -n B="$b" WERROR=1 "$b/uptop" >"$tmp/log3" 2>&1
c=$(grep -- ' -c -o ' "$tmp/log3" | grep -c -- '-Werror')
[ "$c" -eq "$nsrc" ]; ok $? "WERROR=1 after a plain build recompiles all $nsrc sources with -Werror (got $c)"
grep -q -- '-Werror' "$b/.flags"; ok $? "the flags stamp records -Werror"
make --no-print-directory -j2 B="$b" WERROR=1 "$b/uptop" >"$tmp/log4" 2>&1
ok $? "the -Werror build succeeds"
make --no-print-directory -n B="$b" "$b/uptop" >"$tmp/log5" 2>&1
c=$(grep -c -- ' -c -o ' "$tmp/log5")
[ "$c" -eq "$nsrc" ]; ok $? "dropping WERROR rebuilds again (got $c of $nsrc)"
# The fuzz harness links only the sources FUZZ_SRCS names: a new call
# from one of them into another module breaks it, and only CI's fuzz
# suite would see it.
if command -v clang >/dev/null; then
	make --no-print-directory -B build-fuzz/fuzz_config >"$tmp/log6" 2>&1
	rc=$?
	ok $rc "the fuzz harness (make fuzz) builds and links"
	[ $rc -eq 0 ] || grep -m 5 -E 'error|undefined' "$tmp/log6" | sed 's/^/# /'
else
	n=$((n + 1)); echo "ok $n - the fuzz harness builds # SKIP clang not installed"
fi
[ -f LICENSE ] && grep -q 'MIT License' LICENSE && grep -q 'MIT' README.md
ok $? "LICENSE is MIT and the README says so"
echo "1..$n"
[ "$failed" -eq 0 ]
