#!/usr/bin/env bash
# Runs every unit test and --once rounds (JSON, table, JSON with the
# debug log) against the loopback fixture under valgrind: any error or
# definitely lost byte fails. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
passed=0 failed=0 fx=
vg() {
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--show-leak-kinds=definite "$@"
}
dir=$(mktemp -d)
trap '[ -n "$fx" ] && kill "$fx" 2>/dev/null; rm -rf "$dir"' EXIT
# The unit tests, JOBS at a time (each its own error file), told in order.
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
units=()
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	units+=("$t")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	n=$(basename "$t")
	(vg "$t" >/dev/null 2>"$dir/$n.err"; echo $? >"$dir/$n.rc") &
done
wait
for t in "${units[@]}"; do
	n=$(basename "$t")
	if [ "$(cat "$dir/$n.rc")" = 0 ]; then
		echo "ok - valgrind $n"; passed=$((passed + 1))
	else
		echo "not ok - valgrind $n"; sed 's/^/# /' "$dir/$n.err" | head -40
		failed=$((failed + 1))
	fi
done
python3 tests/fixture.py --ready-file "$dir/ready" >/dev/null 2>&1 &
fx=$!
for _ in $(seq 50); do [ -s "$dir/ready" ] && break; sleep 0.1; done
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$dir/ready")
cat >"$dir/c.yaml" <<YAML
defaults: {timeout: 2s}
targets:
  - {name: ok, url: "http://127.0.0.1:$port/ok", body_contains: ok}
  - {name: status, url: "http://127.0.0.1:$port/status/503"}
  - {name: hang, url: "http://127.0.0.1:$port/hang", timeout: 500ms}
  - {name: redir, url: "http://localhost:$port/redirect/2"}
  - {name: garbage, url: "http://127.0.0.1:$port/garbage"}
  - {name: nx, url: "http://nothing.invalid/"}
YAML
for args in "--format json" "--format table" "--format json --debug-log $dir/debug.log"; do
	# shellcheck disable=SC2086 # the words of $args are separate options
	vg "$B/uptop" --once $args -c "$dir/c.yaml" >/dev/null 2>"$B/vg.err"
	rc=$?
	if [ $rc -eq 2 ]; then
		echo "ok - valgrind uptop --once ${args/$dir\//}"; passed=$((passed + 1))
	else
		echo "not ok - valgrind uptop --once ${args/$dir\//} (exit $rc)"
		sed 's/^/# /' "$B/vg.err" | head -40; failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
