# bash completion for uptop(1)                                 -*- shell-script -*-
#
# Installed by `make install` as $(PREFIX)/share/bash-completion/completions/uptop;
# or: source completions/uptop.bash. Needs nothing from bash-completion.
# Themes are the built-in ones plus *.yaml in $UPTOP_THEME_DIR, ./themes and
# the installed share/uptop/themes beside the uptop found on $PATH.

_uptop_themes()
{
	local dir bin names="default mono high-contrast"
	bin=$(command -v uptop 2>/dev/null)
	for dir in "${UPTOP_THEME_DIR:-}" ./themes \
		"${bin:+${bin%/*}/../share/uptop/themes}" "${bin:+${bin%/*}/themes}"; do
		[ -n "$dir" ] && [ -d "$dir" ] || continue
		local f
		for f in "$dir"/*.yaml; do
			[ -e "$f" ] || continue
			f=${f##*/}
			names="$names ${f%.yaml}"
		done
	done
	printf '%s\n' $names | sort -u
}

_uptop()
{
	local cur prev
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()

	case $prev in
	-c|--config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))
		return ;;
	--debug-log|--event-log|--history)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-f|--format)
		COMPREPLY=($(compgen -W 'table json prometheus nagios md csv' -- "$cur"))
		return ;;
	-t|--theme)
		if [[ $cur == */* || $cur == .* ]]; then
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -d -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_uptop_themes)" -- "$cur"))
		fi
		return ;;
	-d|--duration|--stats-interval|--interval|--timeout)
		COMPREPLY=($(compgen -W '5s 30s 1m 5m 10m 1h' -- "$cur"))
		return ;;
	--expect)
		COMPREPLY=($(compgen -W '200 2xx 200-399 200,204' -- "$cur"))
		return ;;
	--metrics)
		COMPREPLY=($(compgen -W ':9301 127.0.0.1:9301' -- "$cur"))
		return ;;
	--shard)
		COMPREPLY=($(compgen -W '1/2 2/2 1/3 2/3 3/3' -- "$cur"))
		return ;;
	--since)
		COMPREPLY=($(compgen -W '24h 7d 30d' -- "$cur"))
		return ;;
	-j|--max-concurrency|--dns-server|--from|--to|--target|--group)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--once --headless --check-config
			-c --config -f --format -d --duration --stats-interval -t --theme
			--ascii --no-bell --no-alerts --event-log --history --no-history -j --max-concurrency --dns-server --metrics --shard
			--interval --timeout --expect --insecure -v --verbose --debug-log
			--since --from --to --target --group
			-h --help --help-config -V --version' -- "$cur"))
		return
	fi
	# Arguments are URLs (or - for standard input): typed, not completed;
	# the first word may be the report subcommand.
	[ "$COMP_CWORD" -eq 1 ] && COMPREPLY=($(compgen -W 'report' -- "$cur"))
}

complete -F _uptop uptop
