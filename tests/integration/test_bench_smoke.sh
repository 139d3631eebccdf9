#!/usr/bin/env bash
# uptop-test: alone (it measures throughput; tests/run.sh runs it with nothing beside it)
# uptop-test: build (it tests the benchmark's harness and rawcurl: not run again under the
# sanitizers, where its timings say nothing)
# The benchmark's smoke test (make check): builds bench/rawcurl and runs
# bench/run.py --smoke, tiny workloads against nginx if installed, else
# tests/fixture.py, so `make bench` cannot rot unnoticed. TAP on stdout.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
UPTOP_BIN=${UPTOP_BIN:-$PWD/$B/uptop}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The same flags as bench/Makefile.inc, warnings as errors: the floor
# program must stay clean.
if cc -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wwrite-strings -Werror -O2 $(pkg-config --cflags libcurl) \
	-o "$tmp/rawcurl" bench/rawcurl.c $(pkg-config --libs libcurl) 2>"$tmp/cc.log"; then
	echo "ok 1 - bench/rawcurl.c builds without warnings"
else
	echo "not ok 1 - bench/rawcurl.c builds without warnings"
	sed 's/^/# /' "$tmp/cc.log"
fi

timeout 60 python3 bench/run.py --smoke --tap-start 2 --uptop "$UPTOP_BIN" \
	--rawcurl "$tmp/rawcurl" ${BENCH_SMOKE_ARGS:-} 2>"$tmp/err.log" >"$tmp/out.log"
rc=$?
# Only the TAP lines go to the test runner; the table stays in the log.
grep -E '^(ok|not ok|1\.\.)' "$tmp/out.log"
if [ "$rc" -ne 0 ]; then
	echo "# bench/run.py exited with $rc"
	tail -n 30 "$tmp/err.log" | sed 's/^/# /'
	grep '^# ' "$tmp/out.log" | tail -n 20
fi
exit "$rc"
