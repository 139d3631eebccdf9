#!/bin/sh
# deps.sh - the Debian packages uptop needs to build and test.
#   scripts/deps.sh check     exit 0 when everything is present
#   scripts/deps.sh ensure    install what is missing (no-op when complete)
#   scripts/deps.sh install   install everything (apt-get as root; otherwise
#                             print the exact command and fail)
#   EXTRA="pkg ..." adds packages (make bench uses it).
set -eu

# To build: the compiler and the libraries uptop links.
BUILD_PKGS="build-essential pkg-config libncurses-dev libyaml-dev libcurl4-openssl-dev libssl-dev libc-ares-dev libjson-c-dev libmicrohttpd-dev libsqlite3-dev"
# Only the tests use these: the fixture (python3), the live table (tmux),
# Prometheus' own promtool and server (the exposition, the alert rules, a
# real scrape), the man page linters (mandoc, groff), zsh (completion) and
# tzdata (maintenance windows in named time zones).
TEST_PKGS="python3 openssl tmux tzdata prometheus mandoc groff zsh"
PKGS="$BUILD_PKGS $TEST_PKGS ${EXTRA:-}"

missing() {
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || printf '%s ' "$p"
	done
}

install() {
	pk=$1
	[ -n "$pk" ] || return 0
	if [ "$(id -u)" -eq 0 ]; then
		echo "deps: installing $pk" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pk >&2
	else
		echo "deps: missing packages: $pk" >&2
		echo "deps: run: sudo apt-get install -y $pk" >&2
		exit 1
	fi
}

case "${1:-ensure}" in
check)   m=$(missing); [ -z "$m" ] || { echo "deps: missing: $m" >&2; exit 1; } ;;
ensure)  install "$(missing)" ;;
install) install "$PKGS" ;;
*)       echo "usage: $0 check|ensure|install" >&2; exit 2 ;;
esac
