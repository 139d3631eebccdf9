#!/usr/bin/env bash
# Runs every unit test binary and integration script, counts TAP lines,
# and ends with "N passed, N failed, N skipped" (a "# SKIP" line is shown
# with its reason and is not a pass). Exits non-zero on any failure.
#   B=build tests/run.sh [pattern]    only tests whose name matches pattern
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export UPTOP_BIN=${UPTOP_BIN:-$PWD/$B/uptop}
pattern=${1:-}
passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_one() {
	local name=$1; shift
	[ -n "$pattern" ] && [[ "$name" != *"$pattern"* ]] && return
	local out="$log/out" rc p f s
	# every test file its own history database (uptop keeps one by
	# default): never the user's, never shared between tests
	rm -rf "$log/state" && mkdir "$log/state"
	XDG_STATE_HOME="$log/state" timeout "${TEST_TIMEOUT:-300}" "$@" >"$out" 2>"$log/err" </dev/null
	rc=$?
	s=$(grep -Eci '^ok .*# *SKIP' "$out")
	p=$(($(grep -c '^ok ' "$out") - s))
	f=$(grep -c '^not ok ' "$out")
	grep -Ei '^(not ok|#)|^ok .*# *SKIP' "$out" | sed "s|^|[$name] |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# a crash or a harness error is a failure even without "not ok"
		echo "[$name] exited with status $rc"
		tail -n 20 "$log/err" | sed "s|^|[$name] stderr: |"
		f=1
	fi
	printf '%-28s %4d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

for t in "$B"/tests/test_*; do
	[ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
for t in tests/integration/test_*.py; do
	[ -f "$t" ] && run_one "$(basename "$t" .py)" python3 "$t"
done
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] && run_one "$(basename "$t" .sh)" bash "$t"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
