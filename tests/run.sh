#!/usr/bin/env bash
# Runs every unit test binary and integration script, counts TAP lines,
# and ends with "N passed, N failed, N skipped" (a "# SKIP" line is shown
# with its reason and is not a pass). Exits non-zero on any failure.
#   B=build tests/run.sh [pattern]    only tests whose name matches pattern
#   JOBS=N  tests run N at a time (default: the number of cores). A test
#           whose file says "uptop-test: alone" (those that measure loop lag,
#           CPU or throughput) runs afterwards with nothing beside it (not
#           under UPTOP_SANITIZED, where those bounds are relaxed).
# Each test's line gives its wall time; the slowest are listed at the end.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
export UPTOP_BIN=${UPTOP_BIN:-$PWD/$B/uptop}
pattern=${1:-}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# run I CMD...: runs test number I into $log/I.{out,err,rc,sec} (a unit test
# and a script may share a name)
run() {
	local i=$1; shift
	local t0=$SECONDS
	# each test its own history database (uptop keeps one by default):
	# never the user's, never shared with a test running beside it
	mkdir -p "$log/$i.state"
	XDG_STATE_HOME="$log/$i.state" timeout "${TEST_TIMEOUT:-300}" "$@" \
		>"$log/$i.out" 2>"$log/$i.err" </dev/null
	echo $? >"$log/$i.rc"
	echo $((SECONDS - t0)) >"$log/$i.sec"
}

# tally I: prints what test number I said and adds it to the totals
tally() {
	local i=$1 name=${names[$1]} out="$log/$1.out" rc p f s
	rc=$(cat "$log/$i.rc")
	s=$(grep -Eci '^ok .*# *SKIP' "$out")
	p=$(($(grep -c '^ok ' "$out") - s))
	f=$(grep -c '^not ok ' "$out")
	grep -Ei '^(not ok|#)|^ok .*# *SKIP' "$out" | sed "s|^|[$name] |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# a crash or a harness error is a failure even without "not ok"
		echo "[$name] exited with status $rc"
		tail -n 20 "$log/$i.err" | sed "s|^|[$name] stderr: |"
		f=1
	fi
	printf '%-28s %4d passed, %d failed, %d skipped  %4ss\n' "$name" "$p" "$f" "$s" \
		"$(cat "$log/$i.sec")"
	echo "$(cat "$log/$i.sec") $name" >>"$log/times"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

names=() cmds=() alone=() notrun=()
add() {
	local name=$1 file=$2; shift 2
	[ -n "$pattern" ] && [[ "$name" != *"$pattern"* ]] && return
	if [ -n "${UPTOP_SANITIZED:-}" ] && [ -n "$file" ] &&
	   head -n 40 "$file" | grep -q 'uptop-test: build'; then
		notrun+=("$name")
		return
	fi
	names+=("$name"); cmds+=("$*")
	# Under the sanitizers their timing bounds are relaxed or skipped, and
	# what is left (no false DOWN, no lost line) must hold on a busy
	# machine too: they join the pool.
	if [ -n "$file" ] && [ -z "${UPTOP_SANITIZED:-}" ] &&
	   head -n 40 "$file" | grep -q 'uptop-test: alone'; then
		alone+=(1)
	else
		alone+=(0)
	fi
}
for t in "$B"/tests/test_*; do
	[ -x "$t" ] && add "$(basename "$t")" "" "$t"
done
for t in tests/integration/test_*.py; do
	[ -f "$t" ] && add "$(basename "$t" .py)" "$t" python3 "$t"
done
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] && add "$(basename "$t" .sh)" "$t" bash "$t"
done

# flush: tallies, in order, the shared tests that are done so far
next=0
flush() {
	while [ "$next" -lt "${#names[@]}" ]; do
		if [ "${alone[$next]}" = 0 ]; then
			[ -f "$log/$next.sec" ] || return 0
			tally "$next"
		fi
		next=$((next + 1))
	done
}
# The shared ones, JOBS at a time.
for i in "${!names[@]}"; do
	[ "${alone[$i]}" = 1 ] && continue
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; flush; done
	# shellcheck disable=SC2086  # the command is words we built
	run "$i" ${cmds[$i]} &
done
wait
flush
# The ones that measure the machine, one by one.
for i in "${!names[@]}"; do
	[ "${alone[$i]}" = 1 ] || continue
	# shellcheck disable=SC2086
	run "$i" ${cmds[$i]}
	tally "$i"
done
[ "${#notrun[@]}" -gt 0 ] &&
	echo "# not run under the sanitizers (they test the build): ${notrun[*]}"
if [ -f "$log/times" ]; then
	echo "# slowest: $(sort -rn "$log/times" | head -n 5 | awk '{printf "%s %ss  ", $2, $1}')"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
