#!/usr/bin/env bash
# Soak test: N targets (default 1,000) at a 1 s interval against the
# loopback fixture, headless, for D minutes (default 10). Samples uptop's
# RSS every minute and fails if it grew more than 5% after the first minute.
#   scripts/soak.sh [MINUTES] [TARGETS]
set -eu
cd "$(dirname "$0")/.."
min=${1:-10} n=${2:-1000}
dir=$(mktemp -d)
cleanup() { kill "$up" "$fx" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
python3 tests/fixture.py --ready-file "$dir/ready" >/dev/null 2>&1 &
fx=$!
for _ in $(seq 100); do [ -s "$dir/ready" ] && break; sleep 0.1; done
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$dir/ready")
{
	echo "defaults: {interval: 1s, timeout: 800ms}"
	echo "targets:"
	for i in $(seq 1 "$n"); do
		case $((i % 50)) in
		0) echo "  - {name: s$i, url: \"http://127.0.0.1:$port/status/500?i=$i\"}" ;;
		1) echo "  - {name: s$i, url: \"http://127.0.0.1:$port/flap/0.5?i=$i\"}" ;;
		*) echo "  - {name: s$i, url: \"http://127.0.0.1:$port/ok?i=$i\"}" ;;
		esac
	done
} >"$dir/soak.yaml"
./uptop --headless --duration "$((min * 60 + 20))s" -c "$dir/soak.yaml" >"$dir/out.jsonl" &
up=$!
echo "soak: $n targets at 1 s for $min min (pid $up)"
echo "minute  rss_kb"
samples=()
for m in $(seq 1 "$min"); do
	sleep 60
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$up/status" 2>/dev/null || echo 0)
	samples+=("$rss")
	printf '%6d  %6d\n' "$m" "$rss"
done
wait "$up" || true
tail -n 1 "$dir/out.jsonl"
first=${samples[0]} last=${samples[-1]} max=0
for s in "${samples[@]}"; do [ "$s" -gt "$max" ] && max=$s; done
growth=$(awk -v a="$first" -v b="$max" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
echo "RSS after minute 1: $first KB; peak later: $max KB; growth $growth%"
awk -v g="$growth" 'BEGIN { exit !(g <= 5) }' && echo "soak: PASS" || { echo "soak: FAIL (growth over 5%)"; exit 1; }
