#!/usr/bin/env bash
# Fuzzes the config loader for $1 seconds (default 60) with libFuzzer and
# reports one TAP line: a crash, leak, hang or sanitizer report fails.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-60}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if make --no-print-directory fuzz FUZZ_SECONDS="$secs" >"$log" 2>&1; then
	runs=$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n 1)
	echo "ok 1 - fuzz_config: ${runs:-no report} in ${secs}s, no crash"
	echo "1 passed, 0 failed"
else
	echo "not ok 1 - fuzz_config found a problem"
	grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20 | sed 's/^/# /'
	tail -n 30 "$log" | sed 's/^/# /'
	echo "0 passed, 1 failed"
	exit 1
fi
