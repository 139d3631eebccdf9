/* main.c - argv, start-up and teardown order, wiring of the modules.
 *
 * Modes: --check-config (validate), --once (one round, print, exit),
 * --headless (run without a screen, JSON lines), and the live table. All
 * run the same engine on the same loop; `report` runs none of it: it
 * reads the history and prints (digest.h). One mode at a time, and every
 * option has an effect in the mode chosen (the table `optrows`) or is a
 * usage error: nothing given on the command line is silently ignored.
 *
 * Output: --headless lines go through an output queue (outq) so a reader
 * that stops reading never holds the loop; a reader that goes away
 * (EPIPE) ends the run, and uptop then dies of SIGPIPE like any filter.
 * --once prints after its round, when nothing is left to hold. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <pwd.h>

#include "alert.h"
#include "cond.h"
#include "config.h"
#include "digest.h"
#include "engine.h"
#include "evlog.h"
#include "fmt.h"
#include "heap.h"
#include "history.h"
#include "history_read.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "probe.h"
#include "report.h"
#include "sched.h"
#include "outq.h"
#include "resolve.h"
#include "ui.h"
#include "util.h"
#include "writer.h"
#include "yamldoc.h"

enum mode { MODE_TUI, MODE_ONCE, MODE_HEADLESS, MODE_CHECK, MODE_REPORT };

#define REPORT_SINCE_DEFAULT_MS (7LL * 86400 * 1000)

#define STATS_INTERVAL_DEFAULT_MS 60000
/* Writing our output failed (not EPIPE): EX_IOERR of sysexits.h. */
#define EXIT_OUTPUT 74
#define EXIT_WRITE_MS 5000          /* the writer's last records at exit */

struct opts {
	enum mode mode;
	const char *mode_flag;    /* the flag that chose it; NULL: the table */
	const char *config;
	const char *format_arg;   /* -f: read once the mode is known */
	enum report_format format;
	int64_t duration_ms;
	int64_t stats_interval_ms;  /* 0: only at exit */
	const char *theme;
	bool ascii;
	bool no_bell;
	bool no_alerts;
	const char *event_log;    /* --event-log; NULL: settings.event_log */
	const char *history;      /* --history; NULL: settings.history */
	bool no_history;          /* --no-history */
	size_t max_concurrency;
	const char *dns;
	const char *debug_log;    /* NULL: off */
	const char *metrics;      /* --metrics ADDR:PORT; NULL: settings.metrics */
	unsigned shard_k, shard_n;   /* --shard K/N; 0/0: every target */
	struct url_opts url;      /* --interval, --timeout, --expect, --insecure */
	struct status_range *expect;
	char **urls;
	int nurls;
	int *url_argn;            /* each URL's position in argv as given */
	struct report_opts {      /* `uptop report` */
		enum digest_format format;
		int64_t now;          /* the one "now" of the command line */
		int64_t since_ms;     /* --since; 0: not given */
		int64_t from, to;     /* --from, --to; has_*: given */
		bool has_from, has_to;
		const char **targets, **groups;   /* --target, --group */
		size_t ntargets, ngroups, cap_targets, cap_groups;
	} rep;
};

struct app {
	struct opts o;
	struct loop *loop;
	struct engine *engine;
	struct config *cfg;
	char *cfg_path;           /* NULL for URL lists */
	struct ui *ui;
	struct metrics *metrics;  /* GET /metrics; NULL: not served */
	size_t unsharded;         /* targets in the config before --shard */
	struct loop_timer frame;
	struct outq *out;         /* --headless: stdout */
	FILE *out_f;              /* its line stream */
	struct loop_timer stats;
	int64_t stats_due;
	int sig_pipe[2];
	bool quit;
	int64_t start_ms;
	struct alert *alert;      /* NULL: --once, --no-alerts */
	struct writer *writer;    /* the disk thread: the event log */
	struct evlog *evlog;
	struct history *history;  /* NULL: off (--no-history, --once, or it
				   * could not be opened) */
	struct history_outage left;   /* the outage the last run left open */
	char user[64];            /* who acknowledges and silences */
};

static volatile sig_atomic_t sig_seen[NSIG];

static void usage(FILE *f)
{
	fputs(
"Usage: uptop [OPTIONS] [-c FILE]\n"
"       uptop [OPTIONS] URL...\n"
"       uptop [OPTIONS] -            (one URL per line on standard input)\n"
"       uptop report [-c FILE] [--since D | --from T [--to T]] [--format F]\n"
"\n"
"Live terminal monitor for HTTP(S) endpoints: state, latency, exact errors.\n"
"\n"
"Modes (one at a time):\n"
"      (default)              the live table (needs a terminal)\n"
"      --once                 check every target once, print, exit 0/1/2\n"
"      --headless             run without a screen: JSON lines on stdout\n"
"      --check-config         validate the config, print a summary, exit 0 or 3\n"
"      report                 incidents, uptime from history: table|json|md|csv\n"
"\n"
"Options (an option that does nothing in the chosen mode is an error):\n"
"  -c, --config FILE          config file (default: $UPTOP_CONFIG, ./uptop.yaml,\n"
"                             $XDG_CONFIG_HOME/uptop/config.yaml; Gatus' too)\n"
"  -f, --format FMT           --once: table|json|prometheus|nagios, or report's\n"
"  -d, --duration D           --headless: stop after D (e.g. 60s, 10m)\n"
"      --stats-interval D     --headless: stats every D (default 60s; 0: at exit)\n"
"  -t, --theme NAME|PATH      live table: theme default|mono|high-contrast|FILE\n"
"      --ascii                live table, --once table: ASCII glyphs only\n"
"      --no-bell              live table: no bell (a target down, an outage)\n"
"      --no-alerts            live table, --headless: send no alerts\n"
"      --event-log FILE       append every event to FILE as a JSON line\n"
"      --history FILE|--no-history  history (default ~/.local/state/uptop/)\n"
"      --since D|--from T --to T  report: the window (default 7d up to now)\n"
"      --target NAME, --group G     report: only these (each may repeat)\n"
"  -j, --max-concurrency N    checks in flight at once (default: from fd limit)\n"
"      --dns-server ADDR,...  DNS servers: IP, IP:PORT, [IPv6]:PORT (resolv.conf)\n"
"      --metrics ADDR:PORT    live table, --headless: Prometheus /metrics (:PORT)\n"
"      --shard K/N            check only shard K of N of the targets (by name)\n"
"  URL lists only (not -c):\n"
"      --interval D           check every D (default 30s; not with --once)\n"
"      --timeout D            per check (default 5s; below the interval)\n"
"      --expect LIST          good status codes (default 200-399), e.g. 200,3xx\n"
"      --insecure             do not verify TLS certificates\n"
"  -v, --verbose or --debug-log FILE  debug log to ./uptop-PID.log or FILE\n"
"  -h, --help                 this help\n"
"      --help-config          every config key: kind, default, range, meaning\n"
"  -V, --version              version and library versions\n"
"\n"
"Exit codes: 0 all up, 1 some degraded or confirming and none down, 2 any down,\n"
"            3 config or usage error, 74 writing the output failed.\n"
"Keys in the live table: ? or F1.  Docs: man uptop, README.md\n", f);
}

static NORETURN void die_usage(const char *fmt, ...) PRINTF_LIKE(1, 2);

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "uptop: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'uptop --help'.\n");
	exit(EXIT_USAGE);
}

/* Where an option has an effect: one bit per mode, --once split by its
 * format (--ascii shapes the table, not JSON). */
enum {
	IN_TUI = 1 << 0,
	IN_TABLE = 1 << 1,        /* --once, the table */
	IN_JSON = 1 << 2,         /* --once --format json */
	IN_HEADLESS = 1 << 3,
	IN_CHECK = 1 << 4,
	IN_PROM = 1 << 5,         /* --once --format prometheus */
	IN_NAGIOS = 1 << 6,       /* --once --format nagios */
	IN_REPORT = 1 << 7,       /* `uptop report` */
	IN_ONCE = IN_TABLE | IN_JSON | IN_PROM | IN_NAGIOS,
	IN_RUN = IN_TUI | IN_ONCE | IN_HEADLESS,
	IN_ALL = IN_RUN | IN_CHECK,
};

enum {
	O_ONCE = 256, O_HEADLESS, O_CHECK, O_ASCII, O_NOBELL, O_DNS, O_HELP_CONFIG,
	O_DEBUG_LOG, O_STATS, O_INTERVAL, O_TIMEOUT, O_EXPECT, O_INSECURE, O_METRICS, O_SHARD,
	O_NOALERTS, O_EVENTLOG, O_HISTORY, O_NOHISTORY, O_SINCE, O_FROM, O_TO, O_TARGET,
	O_GROUP,
};

/* The flag/mode table: one row per option. `in` is where the option has
 * an effect; anywhere else it is a usage error. `key` marks the options
 * for ad-hoc URL lists (arguments or stdin): with a config file they are
 * an error that names the key to set in the file instead. */
static const struct optrow {
	const char *name;
	int id;               /* getopt's value; below 256 also the short option */
	int has_arg;
	unsigned in;
	enum mode sets;       /* a mode flag: the mode it selects */
	const char *key;      /* URL lists only: the config key it stands for */
} optrows[] = {
	{ "config",          'c',         1, IN_ALL | IN_REPORT, MODE_TUI, NULL },
	{ "once",            O_ONCE,      0, IN_ALL,      MODE_ONCE,     NULL },
	{ "headless",        O_HEADLESS,  0, IN_ALL,      MODE_HEADLESS, NULL },
	{ "check-config",    O_CHECK,     0, IN_ALL,      MODE_CHECK,    NULL },
	{ "format",          'f',         1, IN_ONCE | IN_REPORT, MODE_TUI, NULL },
	{ "duration",        'd',         1, IN_HEADLESS, MODE_TUI,      NULL },
	{ "stats-interval",  O_STATS,     1, IN_HEADLESS, MODE_TUI,      NULL },
	{ "theme",           't',         1, IN_TUI,      MODE_TUI,      NULL },
	{ "ascii",           O_ASCII,     0, IN_TUI | IN_TABLE, MODE_TUI, NULL },
	{ "no-bell",         O_NOBELL,    0, IN_TUI,      MODE_TUI,      NULL },
	{ "no-alerts",       O_NOALERTS,  0, IN_TUI | IN_HEADLESS, MODE_TUI, NULL },
	{ "event-log",       O_EVENTLOG,  1, IN_RUN,      MODE_TUI,      NULL },
	{ "history",         O_HISTORY,   1, IN_TUI | IN_HEADLESS | IN_REPORT, MODE_TUI, NULL },
	{ "no-history",      O_NOHISTORY, 0, IN_TUI | IN_HEADLESS, MODE_TUI, NULL },
	{ "max-concurrency", 'j',         1, IN_RUN,      MODE_TUI,      NULL },
	{ "dns-server",      O_DNS,       1, IN_RUN,      MODE_TUI,      NULL },
	{ "metrics",         O_METRICS,   1, IN_TUI | IN_HEADLESS, MODE_TUI, NULL },
	{ "shard",           O_SHARD,     1, IN_ALL,      MODE_TUI,      NULL },
	{ "since",           O_SINCE,     1, IN_REPORT,   MODE_TUI,      NULL },
	{ "from",            O_FROM,      1, IN_REPORT,   MODE_TUI,      NULL },
	{ "to",              O_TO,        1, IN_REPORT,   MODE_TUI,      NULL },
	{ "target",          O_TARGET,    1, IN_REPORT,   MODE_TUI,      NULL },
	{ "group",           O_GROUP,     1, IN_REPORT,   MODE_TUI,      NULL },
	{ "interval",        O_INTERVAL,  1, IN_TUI | IN_HEADLESS | IN_CHECK, MODE_TUI,
	  "interval:" },
	{ "timeout",         O_TIMEOUT,   1, IN_ALL,      MODE_TUI,      "timeout:" },
	{ "expect",          O_EXPECT,    1, IN_ALL,      MODE_TUI,      "expect_status:" },
	{ "insecure",        O_INSECURE,  0, IN_ALL,      MODE_TUI,      "verify_tls: false" },
	{ "debug-log",       O_DEBUG_LOG, 1, IN_ALL,      MODE_TUI,      NULL },
	{ "verbose",         'v',         0, IN_ALL,      MODE_TUI,      NULL },
	{ "help",            'h',         0, IN_ALL,      MODE_TUI,      NULL },
	{ "help-config",     O_HELP_CONFIG, 0, IN_ALL,    MODE_TUI,      NULL },
	{ "version",         'V',         0, IN_ALL,      MODE_TUI,      NULL },
};

static bool is_mode_flag(const struct optrow *r)
{
	return r->id == O_ONCE || r->id == O_HEADLESS || r->id == O_CHECK;
}

/* "-c" or "--config", as the user would have typed it. */
static const char *opt_shown(const struct optrow *r, char *buf, size_t len)
{
	snprintf(buf, len, "--%s", r->name);
	return buf;
}

static unsigned mode_bit(const struct opts *o)
{
	switch (o->mode) {
	case MODE_ONCE:
		switch (o->format) {
		case REPORT_JSON: return IN_JSON;
		case REPORT_PROMETHEUS: return IN_PROM;
		case REPORT_NAGIOS: return IN_NAGIOS;
		default: return IN_TABLE;
		}
	case MODE_HEADLESS: return IN_HEADLESS;
	case MODE_CHECK: return IN_CHECK;
	case MODE_REPORT: return IN_REPORT;
	default: return IN_TUI;
	}
}

/* "the live table, --headless": where an option would have an effect. */
static void where_text(unsigned in, char *buf, size_t len)
{
	static const struct { unsigned bits; const char *name; } parts[] = {
		{ IN_TUI, "the live table" }, { IN_ONCE, "--once" },
		{ IN_TABLE, "the --once table" }, { IN_JSON, "--once --format json" },
		{ IN_PROM, "--once --format prometheus" }, { IN_NAGIOS, "--once --format nagios" },
		{ IN_HEADLESS, "--headless" }, { IN_CHECK, "--check-config" },
		{ IN_REPORT, "report" },
	};
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
		if ((in & parts[i].bits) != parts[i].bits)
			continue;
		in &= ~parts[i].bits;
		at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", parts[i].name);
		if (at >= len)
			break;
	}
}

static const char *mode_text(const struct opts *o)
{
	switch (mode_bit(o)) {
	case IN_TABLE: return "with --once";
	case IN_JSON: return "with --once --format json";
	case IN_PROM: return "with --once --format prometheus";
	case IN_NAGIOS: return "with --once --format nagios";
	case IN_HEADLESS: return "with --headless";
	case IN_CHECK: return "with --check-config";
	case IN_REPORT: return "with report";
	default: return "in the live table (no mode flag)";
	}
}

/* Every option given must do something in the mode chosen. */
static void check_applies(const struct opts *o, const bool *seen)
{
	char name[40], where[160];

	for (size_t i = 0; i < ARRAY_LEN(optrows); i++) {
		const struct optrow *r = &optrows[i];

		if (!seen[i])
			continue;
		opt_shown(r, name, sizeof(name));
		if (!(r->in & mode_bit(o))) {
			where_text(r->in, where, sizeof(where));
			die_usage("%s has no effect %s (it applies to %s)", name, mode_text(o),
				  where);
		}
		if (r->key && !o->nurls)
			die_usage("%s applies to URLs given as arguments or on standard input; "
				  "with a config file set '%s' in the file", name, r->key);
	}
}

static void parse_duration_opt(const char *name, const char *arg, int64_t *ms, bool zero_ok)
{
	char err[128];

	if (zero_ok && strcmp(arg, "0") == 0) {
		*ms = 0;
		return;
	}
	if (config_parse_duration(arg, ms, err, sizeof(err)) != 0)
		die_usage("--%s: %s", name, err);
	if (*ms <= 0)
		die_usage("--%s must be longer than 0%s", name, zero_ok ? " (or 0: off)" : "");
}

static void print_version(void)
{
	printf("uptop %s\n%s\n%s\n%s\n%s\n%s\n%s\n", UPTOP_VERSION, probe_version(),
	       resolve_version(), yamldoc_version(), ui_version(), metrics_version(),
	       cond_version());
}

static void parse_one(struct opts *o, const struct optrow *r)
{
	static char pid_log[64];
	struct listen_addr la;
	char err[256];

	switch (r->id) {
	case 'c': o->config = optarg; break;
	case 'f': o->format_arg = optarg; break;
	case O_METRICS:
		if (config_parse_listen(optarg, &la, err, sizeof(err)) != 0)
			die_usage("--metrics: %s", err);
		o->metrics = optarg;
		break;
	case O_SHARD:
		if (config_parse_shard(optarg, &o->shard_k, &o->shard_n, err, sizeof(err)) != 0)
			die_usage("--shard: %s", err);
		break;
	case 'd': parse_duration_opt(r->name, optarg, &o->duration_ms, false); break;
	case O_STATS: parse_duration_opt(r->name, optarg, &o->stats_interval_ms, true); break;
	case O_INTERVAL: parse_duration_opt(r->name, optarg, &o->url.interval_ms, false); break;
	case O_TIMEOUT: parse_duration_opt(r->name, optarg, &o->url.timeout_ms, false); break;
	case O_EXPECT:
		free(o->expect);
		if (config_parse_expect(optarg, &o->expect, &o->url.nexpect, err, sizeof(err)))
			die_usage("--expect: %s", err);
		o->url.expect = o->expect;
		break;
	case O_INSECURE: o->url.insecure = true; break;
	case 't': o->theme = optarg; break;
	case 'j': {
		char *end;
		long n = strtol(optarg, &end, 10);

		if (*end || n < 1 || n > 1000000)
			die_usage("--max-concurrency must be 1..1000000, not '%s'", optarg);
		o->max_concurrency = (size_t)n;
		break;
	}
	case O_ASCII: o->ascii = true; break;
	case O_NOBELL: o->no_bell = true; break;
	case O_NOALERTS: o->no_alerts = true; break;
	case O_EVENTLOG: o->event_log = optarg; break;
	case O_HISTORY: o->history = optarg; break;
	case O_NOHISTORY: o->no_history = true; break;
	case O_DNS: o->dns = optarg; break;
	case O_SINCE: parse_duration_opt(r->name, optarg, &o->rep.since_ms, false); break;
	case O_FROM:
	case O_TO:
		if (digest_parse_time(optarg, o->rep.now, r->id == O_FROM ? &o->rep.from :
				      &o->rep.to, err, sizeof(err)) != 0)
			die_usage("--%s: %s", r->name, err);
		*(r->id == O_FROM ? &o->rep.has_from : &o->rep.has_to) = true;
		break;
	case O_TARGET:
		o->rep.targets = xreallocarray_grow(o->rep.targets, &o->rep.cap_targets,
						    o->rep.ntargets + 1, sizeof(*o->rep.targets));
		o->rep.targets[o->rep.ntargets++] = optarg;
		break;
	case O_GROUP:
		o->rep.groups = xreallocarray_grow(o->rep.groups, &o->rep.cap_groups,
						   o->rep.ngroups + 1, sizeof(*o->rep.groups));
		o->rep.groups[o->rep.ngroups++] = optarg;
		break;
	case O_DEBUG_LOG: o->debug_log = optarg; break;
	case 'v':
		/* As tmux -v: a file named by the pid, here. */
		if (!o->debug_log) {
			snprintf(pid_log, sizeof(pid_log), "uptop-%ld.log", (long)getpid());
			o->debug_log = pid_log;
		}
		break;
	case 'h': usage(stdout); exit(0);
	case O_HELP_CONFIG: config_help(stdout); exit(0);
	case 'V': print_version(); exit(0);
	default: break;
	}
}

/* `uptop report`: the first word that is not an option (getopt moved the
 * words after the options). */
static void subcommand(struct opts *o)
{
	if (!o->nurls || strcmp(o->urls[0], "report") != 0)
		return;
	if (o->mode_flag)
		die_usage("--%s and report cannot be used together: one mode at a time",
			  o->mode_flag);
	if (o->nurls > 1)
		die_usage("report takes options only, not '%s' (a window is --since D or "
			  "--from T --to T)", o->urls[1]);
	o->mode = MODE_REPORT;
	o->mode_flag = NULL;
	o->nurls = 0;
}

static const char *const once_formats[] = {
	[REPORT_TABLE] = "table", [REPORT_JSON] = "json",
	[REPORT_PROMETHEUS] = "prometheus", [REPORT_NAGIOS] = "nagios",
};

static void parse_format(struct opts *o)
{
	const char *f = o->format_arg;

	if (!f)
		return;
	if (o->mode == MODE_REPORT) {
		if (digest_format_of(f, &o->rep.format) != 0)
			die_usage("--format must be table, json, md or csv, not '%s'", f);
	} else {
		size_t i;

		for (i = 0; i < ARRAY_LEN(once_formats) && strcmp(f, once_formats[i]); i++)
			;
		if (i == ARRAY_LEN(once_formats))
			die_usage("--format must be table, json, prometheus or nagios, "
				  "not '%s'", f);
		o->format = (enum report_format)i;
	}
}

/* The window [from, to): --to (default and at most now) and --from, or
 * --since D back from --to (default 7 days). */
static void report_window(struct opts *o)
{
	struct report_opts *r = &o->rep;
	char a[40], b[40];

	if (r->since_ms && r->has_from)
		die_usage("%s", "--since and --from cannot be used together (--since D "
			  "counts back from --to, or from now)");
	/* the future is not a gap: nothing was there to watch yet */
	if (!r->has_to || r->to > r->now)
		r->to = r->now;
	if (!r->has_from)
		r->from = r->to - (r->since_ms ? r->since_ms : REPORT_SINCE_DEFAULT_MS);
	if (r->from >= r->to) {
		fmt_iso_time(a, sizeof(a), r->from);
		fmt_iso_time(b, sizeof(b), r->to);
		die_usage("the window is empty: --from %s is not before --to %s", a, b);
	}
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	struct option longs[ARRAY_LEN(optrows) + 1];
	char shorts[2 * ARRAY_LEN(optrows) + 1] = "", name[40];
	char **orig = xmalloc((size_t)argc * sizeof(*orig));
	bool seen[ARRAY_LEN(optrows)] = { false };
	size_t ns = strlen(shorts);
	int c;

	/* getopt moves the URLs after the options, in their order: keep the
	 * positions they were given at, for messages. */
	memcpy(orig, argv, (size_t)argc * sizeof(*orig));
	memset(longs, 0, sizeof(longs));
	for (size_t i = 0; i < ARRAY_LEN(optrows); i++) {
		longs[i] = (struct option){ optrows[i].name, optrows[i].has_arg, NULL,
					    optrows[i].id };
		if (optrows[i].id < 256) {
			shorts[ns++] = (char)optrows[i].id;
			if (optrows[i].has_arg)
				shorts[ns++] = ':';
		}
	}
	shorts[ns] = '\0';
	o->stats_interval_ms = STATS_INTERVAL_DEFAULT_MS;
	o->rep.now = wall_ms();
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		size_t i;

		for (i = 0; i < ARRAY_LEN(optrows) && optrows[i].id != c; i++)
			;
		if (i == ARRAY_LEN(optrows)) {
			fprintf(stderr, "Try 'uptop --help'.\n");
			exit(EXIT_USAGE);
		}
		seen[i] = true;
		if (is_mode_flag(&optrows[i])) {
			opt_shown(&optrows[i], name, sizeof(name));
			if (o->mode_flag && strcmp(o->mode_flag, optrows[i].name) != 0)
				die_usage("--%s and %s cannot be used together: one mode at a time",
					  o->mode_flag, name);
			o->mode = optrows[i].sets;
			o->mode_flag = optrows[i].name;
			continue;
		}
		parse_one(o, &optrows[i]);
	}
	o->urls = argv + optind;
	o->nurls = argc - optind;
	o->url_argn = xcalloc((size_t)o->nurls + 1, sizeof(*o->url_argn));
	for (int i = 1, k = 0; i < argc && k < o->nurls; i++)
		if (orig[i] == o->urls[k])
			o->url_argn[k++] = i;
	free(orig);
	subcommand(o);
	parse_format(o);
	if (o->mode == MODE_REPORT)
		report_window(o);
	if (o->nurls && o->config)
		die_usage("%s", "give either -c FILE or URLs, not both");
	if (o->history && o->no_history)
		die_usage("%s", "--history and --no-history cannot be used together");
	check_applies(o, seen);
}

/* Opens the debug log before anything worth logging happens; a log that
 * cannot be opened is a usage error (the user asked for it). */
static void start_log(const struct opts *o)
{
	static const char *const modes[] = {
		[MODE_TUI] = "live table", [MODE_ONCE] = "once",
		[MODE_HEADLESS] = "headless", [MODE_CHECK] = "check-config",
	};
	char err[PATH_MAX + 128];

	if (!o->debug_log)
		return;
	if (log_open(o->debug_log, err, sizeof(err)) != 0)
		die_usage("--debug-log: %s", err);
	log_write("main: uptop %s, pid %ld, mode %s; %s, %s, %s, %s, %s", UPTOP_VERSION,
		  (long)getpid(), modes[o->mode], probe_version(), resolve_version(),
		  yamldoc_version(), ui_version(), metrics_version());
}

/* --- config --------------------------------------------------------- */

/* One URL per line; blank lines and # comments skipped. Each keeps its
 * line number for messages. */
static struct url_arg *read_url_lines(FILE *in, size_t *n)
{
	struct url_arg *v = NULL;
	char *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t len;
	int lineno = 0;

	*n = 0;
	while ((len = getline(&line, &lcap, in)) >= 0) {
		char *s = line, *e = line + len;

		lineno++;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
				 e[-1] == '\t'))
			e--;
		if (s == e || *s == '#')
			continue;
		v = xreallocarray_grow(v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = (struct url_arg){ xstrndup(s, (size_t)(e - s)), 0, lineno };
	}
	free(line);
	return v;
}

static int load_urls(struct app *a, struct diag *errs, struct diag *warns)
{
	const struct opts *o = &a->o;
	struct url_arg *v;
	size_t n = (size_t)o->nurls;
	int rc;

	if (o->nurls == 1 && strcmp(o->urls[0], "-") == 0) {
		v = read_url_lines(stdin, &n);
		if (!n) {
			diag_addf(errs, "no URLs on standard input");
			free(v);
			return -1;
		}
		rc = config_from_urls(v, n, &o->url, &a->cfg, errs, warns);
		for (size_t i = 0; i < n; i++)
			free((char *)v[i].url);
		free(v);
		return rc;
	}
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = (struct url_arg){ o->urls[i], o->url_argn[i], 0 };
	rc = config_from_urls(v, n, &o->url, &a->cfg, errs, warns);
	free(v);
	return rc;
}

static int load_config(struct app *a, struct diag *errs, struct diag *warns)
{
	const struct opts *o = &a->o;

	if (o->nurls)
		return load_urls(a, errs, warns);
	a->cfg_path = o->config ? xstrdup(o->config) : config_find();
	if (!a->cfg_path) {
		diag_addf(errs,
			  "no config: give -c FILE or URLs, or create ./uptop.yaml "
			  "(see config.example.yaml)");
		return -1;
	}
	return config_load(a->cfg_path, &a->cfg, errs);
}

/* Every message of ours starts with the program's name. */
static void print_msgs(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "%s%s\n", strncmp(d->msgs[i], "uptop: ", 7) ? "uptop: " : "",
			d->msgs[i]);
}

/* --shard: this instance keeps its share of the targets (again after a
 * reload). A shard with none is not an error: it runs idle. */
static void apply_shard(const struct opts *o, struct config *c, struct diag *warns)
{
	size_t all = c->ntargets, kept;

	if (!o->shard_n)
		return;
	kept = config_shard(c, o->shard_k, o->shard_n);
	log_debug("main: shard %u/%u: %zu of %zu targets", o->shard_k, o->shard_n, kept, all);
	if (!kept && warns)
		diag_addf(warns, "warning: shard %u/%u has none of the %zu target%s",
			  o->shard_k, o->shard_n, all, all == 1 ? "" : "s");
}

/* The config's own warnings (keys uptop does not act on, doubtful
 * conditions) come first: they are about the file. */
static void warn_config(const struct config *c, struct diag *warns)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		diag_addf(warns, "%s", c->warnings.msgs[i]);
}

/* The footer has room for one: the first, and how many more. */
static void ui_warn(struct ui *ui, const struct diag *warns)
{
	char *msg;

	if (!warns->n)
		return;
	msg = warns->n == 1 ? xstrdup(warns->msgs[0]) :
		xasprintf("%s (and %zu more: uptop --check-config)", warns->msgs[0], warns->n - 1);
	ui_message(ui, msg, true);
	free(msg);
}

/* Secrets in a file others can read deserve a word (not a refusal). */
static void warn_secrets(const struct app *a, struct diag *warns)
{
	struct stat st;

	if (!a->cfg_path || !a->cfg->has_secrets || stat(a->cfg_path, &st) != 0)
		return;
	if (st.st_mode & (S_IRGRP | S_IROTH))
		diag_addf(warns,
			  "warning: %s contains secrets and is readable by %s "
			  "(chmod 600 %s)", a->cfg_path,
			  st.st_mode & S_IROTH ? "others" : "its group", a->cfg_path);
}

static void config_summary(const struct config *c, const char *path,
			   const struct opts *o, size_t unsharded)
{
	size_t groups = 0;

	for (size_t i = 0; i < c->ntargets; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(c->targets[j].group, c->targets[i].group) == 0)
				break;
		if (j == i)
			groups++;
	}
	printf("%s: OK, %zu target%s in %zu group%s", path ? path : "-",
	       c->ntargets, c->ntargets == 1 ? "" : "s", groups,
	       groups == 1 ? "" : "s");
	if (o->shard_n)
		printf(" (shard %u/%u of %zu)", o->shard_k, o->shard_n, unsharded);
	putchar('\n');
}

/* --- signals -------------------------------------------------------- */

static int sig_write_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	sig_seen[sig] = 1;
	if (sig_write_fd >= 0 && write(sig_write_fd, &c, 1) < 0) {
		/* the pipe is full: the flag is enough */
	}
	errno = saved;
}

static void on_sig_pipe(int fd, short revents, void *arg)
{
	char buf[64];

	(void)revents;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void signals_setup(struct app *a)
{
	struct sigaction sa;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };

	if (pipe2(a->sig_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe: %s", strerror(errno));
	sig_write_fd = a->sig_pipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			log_debug("main: sigaction(SIG%s): %s", sigabbrev_np(sigs[i]),
				  strerror(errno));
	/* alert commands end: reaped on the loop (child.h), never waited for */
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) != 0)
		log_debug("main: sigaction(SIGCHLD): %s", strerror(errno));
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		log_debug("main: sigaction(SIGPIPE, ignore): %s", strerror(errno));
	/* a file over RLIMIT_FSIZE is a write that fails (EFBIG), said by
	 * the writer like a full disk, not a death */
	if (sigaction(SIGXFSZ, &sa, NULL) != 0)
		log_debug("main: sigaction(SIGXFSZ, ignore): %s", strerror(errno));
	loop_fd_set(a->loop, a->sig_pipe[0], POLLIN, on_sig_pipe, a);
}

/* A failure only leaves the cap lower (engine_auto_cap reads the limit
 * that holds): worth a line in the debug log, not a refusal. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_debug("main: getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t soft = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_debug("main: setrlimit(RLIMIT_NOFILE, %llu): %s; the "
				  "soft limit stays %llu", (unsigned long long)rl.rlim_max,
				  strerror(errno), (unsigned long long)soft);
	}
	log_debug("main: fd limit %llu", (unsigned long long)
		  (getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 0));
}

/* --- reload --------------------------------------------------------- */

static void say(struct app *a, bool error, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* A message for a person: the footer in the live table, else stderr. */
static void say(struct app *a, bool error, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("main: %s", msg);
	if (a->ui)
		ui_message(a->ui, msg, error);
	else
		fprintf(stderr, "uptop: %s\n", msg);
	free(msg);
}

/* The event log is opened once, at start: a reload that names another
 * file says so rather than silently keeping the old one. */
static void event_log_moved(struct app *a, const struct config *next)
{
	const char *want = a->o.event_log ? a->o.event_log : next->settings.event_log;

	if (!a->o.event_log && (want ? !a->evlog || strcmp(want, evlog_path(a->evlog)) :
			       a->evlog != NULL))
		say(a, false, "settings.event_log changed: it takes effect when uptop "
		    "restarts (the log stays %s)", a->evlog ? evlog_path(a->evlog) : "off");
}

static void reload_failed(struct app *a, struct diag *errs)
{
	char *msg = xasprintf("reload failed, kept the running config: %s%s",
			      errs->msgs[0], errs->n > 1 ? " (and more)" : "");

	log_debug("main: reload of %s failed (%zu error%s), kept the running config: %s",
		  a->cfg_path ? a->cfg_path : "-", errs->n, errs->n == 1 ? "" : "s",
		  errs->msgs[0]);
	if (a->ui) {
		ui_message(a->ui, msg, true);
	} else {
		fprintf(stderr, "uptop: reload failed, kept the running config:\n");
		print_msgs(errs);
	}
	if (a->out_f)
		report_reload_json(a->out_f, wall_ms(), a->cfg_path, NULL, errs);
	free(msg);
}

static void reload(struct app *a)
{
	struct diag errs = { 0 };
	struct config *next = NULL;

	if (!a->cfg_path)
		diag_addf(&errs, "no config file to reload (URLs were given)");
	else if (config_load(a->cfg_path, &next, &errs) != 0 && !errs.n)
		diag_addf(&errs, "%s: unknown error", a->cfg_path);
	if (errs.n) {
		reload_failed(a, &errs);
		diag_clear(&errs);
		return;
	}
	apply_shard(&a->o, next, NULL);
	engine_reload(a->engine, next);
	history_targets(a->history, engine_model(a->engine));
	if (a->alert)
		alert_reload(a->alert, next);
	metrics_reload(a->metrics);
	config_free(a->cfg);
	a->cfg = next;
	log_debug("main: reloaded %s: %zu target%s", a->cfg_path,
		  next->ntargets, next->ntargets == 1 ? "" : "s");
	if (a->out_f)
		report_reload_json(a->out_f, wall_ms(), a->cfg_path, next, NULL);
	event_log_moved(a, next);
	if (a->ui) {
		char *msg = xasprintf("reloaded %s: %zu targets", a->cfg_path,
				      next->ntargets);

		ui_model_changed(a->ui);
		ui_message(a->ui, msg, false);
		free(msg);
		ui_warn(a->ui, &next->warnings);
	} else {
		diag_print(&next->warnings, stderr);
	}
}

static void handle_signals(struct app *a)
{
	static const int quits[] = { SIGINT, SIGTERM, SIGHUP };

	for (size_t i = 0; i < ARRAY_LEN(quits); i++) {
		if (!sig_seen[quits[i]] || a->quit)
			continue;
		log_debug("main: SIG%s: quitting", sigabbrev_np(quits[i]));
		a->quit = true;
	}
	if (sig_seen[SIGUSR1]) {
		sig_seen[SIGUSR1] = 0;
		log_debug("main: SIG%s: reloading", sigabbrev_np(SIGUSR1));
		reload(a);
	}
	if (sig_seen[SIGCHLD]) {
		/* cleared first: a child that ends meanwhile signals again */
		sig_seen[SIGCHLD] = 0;
		if (a->alert)
			alert_reap(a->alert);
	}
}

/* --- subscribers (engine.h: no engine calls, no blocking) ----------- */

static void on_event_headless(void *arg, const struct event *ev)
{
	struct app *a = arg;

	report_event_json(a->out_f, engine_model(a->engine), ev);
}

/* An alert that failed is news in the footer (the header counts them). */
static void on_alert_tui(struct app *a, const struct event *ev)
{
	const struct model *m = engine_model(a->engine);
	char name[80];
	const char *why = event_alert_name(ev, name, sizeof(name));

	if (ev->u.alert.flags & ALERT_F_OK)
		return;
	{
		char *msg = xasprintf("alert %s failed for %s: %s", name,
				      ev->target < m->n ? m->v[ev->target].conf->name :
							  "the mass outage",
				      why);

		ui_message(a->ui, msg, true);
		free(msg);
	}
}

static void on_event_tui(void *arg, const struct event *ev)
{
	struct app *a = arg;

	/* One bell for a mass outage, none for each target it takes down. */
	if (ev->kind == EV_STATE && ev->to == STATE_DOWN && !ev->u.outage)
		ui_bell(a->ui, false);
	if (ev->kind == EV_OUTAGE && ev->u.out.phase == OUTAGE_START)
		ui_bell(a->ui, true);
	if (ev->kind == EV_ALERT)
		on_alert_tui(a, ev);
	/* The banner goes; say why, for a while. */
	if (ev->kind == EV_OUTAGE && ev->u.out.phase == OUTAGE_END) {
		char *msg = xasprintf("outage over: %s", ev->reason);

		ui_message(a->ui, msg, false);
		free(msg);
	}
	ui_mark_dirty(a->ui);
}

static void on_result_tui(void *arg, uint32_t id, const struct result *r)
{
	struct app *a = arg;

	(void)id;
	(void)r;
	ui_mark_dirty(a->ui);
}

static void ui_view_fill(const struct app *a, struct ui_view *v)
{
	struct engine_stats s;

	engine_stats(a->engine, &s);
	memset(v, 0, sizeof(*v));
	v->config_path = a->cfg_path ? a->cfg_path : "-";
	v->cfg = a->cfg;
	v->model = engine_model(a->engine);
	v->sched = engine_sched_stats(a->engine);
	v->queue = engine_sched(a->engine);
	v->checks_per_sec = s.checks_per_sec;
	v->lag_p99_ms = s.lag_p99_recent_ms;
	v->paused = engine_paused(a->engine);
	v->stalls = s.stalls;
	v->outage = engine_outage(a->engine);
	if (a->alert) {
		struct alert_stats as;

		alert_stats(a->alert, &as);
		v->alerts_sent = as.sent;
		v->alerts_failed = as.failed;
		v->alerts_dropped = as.dropped;
	}
	v->alerts_off = !a->alert;
	v->user = a->user;
}

static void apply_action(struct app *a, const struct ui_action *act)
{
	switch (act->kind) {
	case UI_QUIT: a->quit = true; break;
	case UI_RECHECK: engine_recheck(a->engine, act->target); break;
	case UI_RECHECK_ALL: engine_recheck_all(a->engine); break;
	case UI_PAUSE_TOGGLE:
		engine_set_paused(a->engine, !engine_paused(a->engine));
		ui_mark_dirty(a->ui);
		break;
	case UI_RELOAD:
		log_debug("main: reload key: reloading");
		reload(a);
		break;
	case UI_ACK:
		if (!engine_ack(a->engine, act->target, a->user))
			ui_message(a->ui, "only a DOWN target can be acknowledged (once)", false);
		break;
	case UI_ACK_ALL: {
		size_t n = engine_ack_all(a->engine, a->user);
		char *msg = xasprintf("acknowledged %zu down target%s", n, n == 1 ? "" : "s");

		ui_message(a->ui, msg, false);
		free(msg);
		break;
	}
	case UI_SILENCE:
	case UI_UNSILENCE: {
		/* one target, or the list a key chose (m with a filter, U) */
		size_t n = act->ntargets ? act->ntargets : 1;

		for (size_t i = 0; i < n; i++) {
			uint32_t id = act->ntargets ? act->targets[i] : act->target;

			if (act->kind == UI_SILENCE)
				engine_silence(a->engine, id, act->ms, a->user);
			else
				engine_unsilence(a->engine, id, a->user);
		}
		break;
	}
	default: break;
	}
}

static void on_keys(int fd, short revents, void *arg)
{
	struct app *a = arg;
	struct ui_action acts[64];
	struct ui_view v;
	size_t n;

	/* The terminal went away (ssh dropped, tmux killed) and no SIGHUP
	 * came (a parent such as make took it, or left it blocked): end as
	 * SIGHUP would, rather than spin on a tty that reads end-of-file
	 * forever. The handler is called, not raise(): a blocked SIGHUP
	 * would never arrive. */
	if (revents & (POLLHUP | POLLERR)) {
		loop_fd_del(a->loop, fd);
		on_signal(SIGHUP);
		return;
	}
	ui_view_fill(a, &v);
	n = ui_input(a->ui, &v, acts, ARRAY_LEN(acts));
	for (size_t i = 0; i < n; i++) {
		apply_action(a, &acts[i]);
		free(acts[i].targets);
	}
}

static void on_frame(void *arg)
{
	struct app *a = arg;
	struct ui_view v;

	ui_view_fill(a, &v);
	ui_draw(a->ui, &v, mono_ms());
}

/* --- modes ---------------------------------------------------------- */

/* The process's peak RSS and CPU (every thread's) for the stats line. */
static void usage_now(struct report_run *run)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	run->peak_rss_kb = ru.ru_maxrss;
	run->cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		     (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void write_stats(struct app *a, bool final)
{
	struct engine_stats s;
	struct report_run run = {
		.wall_ms = wall_ms(),
		.elapsed_s = (double)(mono_ms() - a->start_ms) / 1000.0,
		.final = final,
		.output_dropped = outq_dropped(a->out),
		.event_log_dropped = a->evlog ? evlog_dropped(a->evlog) : 0,
	};

	if (a->alert) {
		struct alert_stats as;

		alert_stats(a->alert, &as);
		run.alerts_sent = as.sent;
		run.alerts_failed = as.failed;
		run.alerts_dropped = as.dropped;
	}
	run.history_off = true;
	if (a->history) {
		struct history_stats hs;

		history_stats(a->history, &hs);
		run.history_dropped = hs.dropped;
		run.history_off = hs.off;
	}
	usage_now(&run);
	engine_stats(a->engine, &s);
	report_stats_json(a->out_f, &s, &run);
}

/* --stats-interval: on a fixed grid from the start, like the checks. */
static void on_stats(void *arg)
{
	struct app *a = arg;

	write_stats(a, false);
	a->stats_due += a->o.stats_interval_ms;
	if (a->stats_due <= mono_ms())
		a->stats_due = mono_ms() + a->o.stats_interval_ms;
	loop_timer_arm(&a->stats, a->stats_due);
}

static int run_loop(struct app *a)
{
	int64_t end = a->o.mode == MODE_HEADLESS && a->o.duration_ms ?
			      a->start_ms + a->o.duration_ms : INT64_MAX;

	while (!a->quit) {
		int64_t now = mono_ms();
		int wait = end == INT64_MAX ? -1 :
			   end > now ? (int)(end - now) : 0;

		/* Before the first wait too: a shard with no targets is done. */
		if (a->o.mode == MODE_ONCE && engine_all_checked(a->engine))
			break;
		if (a->ui)
			loop_timer_arm(&a->frame, ui_next_frame(a->ui));
		if (loop_turn(a->loop, wait) != 0)
			fatal("poll: %s", strerror(errno));
		heap_advise();
		handle_signals(a);
		log_flush();
		/* Nobody reads our lines any more: the run has no purpose. */
		if (a->out && outq_error(a->out)) {
			log_debug("main: stdout: %s: ending the run",
				  strerror(outq_error(a->out)));
			break;
		}
		if (mono_ms() >= end)
			break;
	}
	return 0;
}

static bool locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && strcmp(cs, "UTF-8") == 0;
}

/* While the last lines drain at exit: a new quit signal gives up. */
static bool drain_stop(void *arg)
{
	struct app *a = arg;
	char buf[64];

	(void)a;
	while (read(a->sig_pipe[0], buf, sizeof(buf)) > 0)
		;
	return sig_seen[SIGINT] || sig_seen[SIGTERM] || sig_seen[SIGHUP];
}

/* EPIPE: the reader is gone. Like a filter without a SIGPIPE handler,
 * uptop dies of it (status 141 in a shell), silently. Called last. */
static NORETURN void exit_sigpipe(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	raise(SIGPIPE);
	_exit(128 + SIGPIPE);
}

/* What became of stdout: 0 fine, EPIPE, or another errno (reported). */
static int stdout_result(void)
{
	int err = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		err = errno ? errno : EIO;
	if (err && err != EPIPE)
		fprintf(stderr, "uptop: writing to stdout: %s\n", strerror(err));
	return err;
}

static int finish(struct app *a, int *out_err)
{
	const struct model *m = engine_model(a->engine);

	switch (a->o.mode) {
	case MODE_ONCE:
		errno = 0;
		if (a->o.format == REPORT_JSON) {
			report_json(stdout, m);
		} else if (a->o.format == REPORT_PROMETHEUS) {
			metrics_write(stdout, a->engine, a->loop);
		} else if (a->o.format == REPORT_NAGIOS) {
			report_nagios(stdout, m);
		} else {
			report_table(stdout, m, locale_utf8() && !a->o.ascii);
			report_summary(stdout, m, (double)(mono_ms() - a->start_ms) / 1000.0);
		}
		*out_err = stdout_result();
		return report_exit_code(m, true);
	case MODE_HEADLESS:
		if (!outq_error(a->out)) {
			write_stats(a, true);
			sig_seen[SIGINT] = sig_seen[SIGTERM] = sig_seen[SIGHUP] = 0;
			if (!outq_drain(a->out, -1, a->sig_pipe[0], drain_stop, a) &&
			    !outq_error(a->out))
				fprintf(stderr, "uptop: stopped waiting for the reader of "
						"stdout: %zu bytes of output lost\n",
					outq_pending(a->out));
		}
		*out_err = outq_error(a->out);
		if (*out_err && *out_err != EPIPE)
			fprintf(stderr, "uptop: writing to stdout: %s\n", strerror(*out_err));
		return report_exit_code(m, false);
	default:
		/* Quitting the live table (q, SIGINT, SIGTERM, SIGHUP) is a success. */
		return 0;
	}
}

/* --metrics, else settings.metrics, for the modes that keep running.
 * Warnings go to warns, or straight to stderr when it is NULL (headless:
 * the others were printed already). */
static int start_metrics(struct app *a, struct diag *errs, struct diag *warns)
{
	const char *spec = a->o.metrics ? a->o.metrics : a->cfg->settings.metrics;
	struct diag w = { 0 };
	struct listen_addr la;
	char err[160];

	if (!spec || (a->o.mode != MODE_TUI && a->o.mode != MODE_HEADLESS))
		return 0;
	if (config_parse_listen(spec, &la, err, sizeof(err)) != 0) {
		diag_addf(errs, "metrics: %s", err);
		return -1;
	}
	a->metrics = metrics_new(a->loop, a->engine, &la,
				 a->o.metrics ? "--metrics" : "settings.metrics", errs, &w);
	if (warns)
		for (size_t i = 0; i < w.n; i++)
			diag_addf(warns, "%s", w.msgs[i]);
	else
		print_msgs(&w);
	diag_clear(&w);
	if (a->metrics)
		metrics_set_alert(a->metrics, a->alert);
	return a->metrics ? 0 : -1;
}

static struct ui *start_ui(struct app *a, struct diag *errs)
{
	struct ui_opts uo;

	memset(&uo, 0, sizeof(uo));
	uo.loop = a->loop;
	uo.theme = a->o.theme ? a->o.theme : a->cfg->settings.theme;
	uo.theme_from = a->o.theme ? "--theme" : "settings.theme";
	uo.ascii = a->o.ascii;
	uo.bell = !a->o.no_bell && a->cfg->settings.bell;
	return ui_new(&uo, errs);
}

/* --headless: lines to stdout through the output queue; stats on a timer. */
static void start_headless(struct app *a)
{
	a->out = outq_new(a->loop, STDOUT_FILENO, &(struct outq_opts){
		.what = "stdout", .lines = true, .cap = OUTQ_CAP_DEFAULT });
	a->out_f = outq_stream(a->out);
	engine_subscribe(a->engine, &(struct engine_sub){
		.on_event = on_event_headless, .arg = a });
	loop_timer_add(a->loop, &a->stats, on_stats, a);
	if (a->o.stats_interval_ms) {
		a->stats_due = a->start_ms + a->o.stats_interval_ms;
		loop_timer_arm(&a->stats, a->stats_due);
	}
}

static void stop_headless(struct app *a)
{
	if (!a->out)
		return;
	loop_timer_del(a->loop, &a->stats);
	outq_free(a->out);
	a->out = NULL;
	a->out_f = NULL;
}

static int check_config(struct app *a, struct diag *warns, int *out_err)
{
	print_msgs(warns);
	config_summary(a->cfg, a->cfg_path, &a->o, a->unsharded);
	*out_err = stdout_result();
	return *out_err && *out_err != EPIPE ? EXIT_OUTPUT : 0;
}

/* --- the event log and alerts -------------------------------------- */

static void on_event_log(void *arg, const struct event *ev)
{
	struct app *a = arg;
	size_t len;
	char *line = report_event_text(engine_model(a->engine), ev, &len);

	if (line)
		evlog_put(a->evlog, line, len);
	free(line);
}

static void on_writer_notice(void *arg, const char *sink, const char *msg, bool error)
{
	say(arg, error, "%s: %s", sink, msg);
}

/* Before the UI: a log that cannot be opened is said plainly, at start. */
static int open_event_log(struct app *a, struct diag *errs)
{
	const char *path = a->o.event_log ? a->o.event_log : a->cfg->settings.event_log;
	char err[PATH_MAX + 128];

	if (!path)
		return 0;
	if (!a->writer)
		a->writer = writer_new(a->loop, 0, on_writer_notice, a);
	a->evlog = evlog_open(a->writer, path, err, sizeof(err));
	if (!a->evlog) {
		diag_addf(errs, "%s%s", err, a->o.event_log ? " (--event-log)" :
					      " (settings.event_log)");
		return -1;
	}
	return 0;
}

static void on_result_history(void *arg, uint32_t id, const struct result *r)
{
	struct app *a = arg;

	history_result(a->history, engine_model(a->engine), id, r);
}

static void on_event_history(void *arg, const struct event *ev)
{
	struct app *a = arg;

	history_event(a->history, engine_model(a->engine), ev);
}

static void restore_model(void *arg, struct model *m)
{
	struct app *a = arg;
	char err[PATH_MAX + 256];
	int64_t t0 = mono_us();
	size_t n = history_restore(a->history, m, wall_ms(), mono_ms(), err, sizeof(err));

	log_debug("main: history: %zu target%s restored in %.1f ms", n, n == 1 ? "" : "s",
		  (double)(mono_us() - t0) / 1000.0);
	if (err[0])
		say(a, true, "%s", err);
}

/* The history file: --history, else settings.history (~/ expanded),
 * else the default; NULL when neither XDG_STATE_HOME nor HOME is set.
 * "off" comes back as it is. */
static const char *history_file(const struct app *a, char *buf, size_t len)
{
	const char *path = a->o.history ? a->o.history :
			   a->cfg ? a->cfg->settings.history : NULL;

	if (path && strncmp(path, "~/", 2) == 0 && getenv("HOME")) {
		snprintf(buf, len, "%s%s", getenv("HOME"), path + 1);
		return buf;
	}
	if (path)
		return path;
	return history_default_path(buf, len) ? buf : NULL;
}

/* The history (the live table and --headless): opened, read back into
 * the model and handed to the writer before the first check; *told:
 * what the alerts told, for alert_restore (the caller frees it); *out:
 * the outage the last run left open. A file that cannot be used is a
 * warning, never a reason to stop checking. */
static void start_history(struct app *a, struct diag *warns, struct history_told **told,
			  size_t *ntold, struct history_outage *out)
{
	char def[PATH_MAX], err[PATH_MAX + 256];
	const char *path = history_file(a, def, sizeof(def));
	int64_t t0;

	if (a->o.no_history || (a->o.mode != MODE_TUI && a->o.mode != MODE_HEADLESS) ||
	    (!a->o.history && path && strcmp(path, "off") == 0))
		return;
	if (!path) {
		log_debug("main: history: neither XDG_STATE_HOME nor HOME is set: off");
		return;
	}
	a->history = history_open(path, a->cfg->settings.retention_ms, err, sizeof(err));
	if (!a->history) {
		if (a->ui)
			diag_addf(warns, "%s", err);
		else
			fprintf(stderr, "uptop: %s\n", err);
		return;
	}
	engine_restore(a->engine, restore_model, a);
	t0 = mono_us();
	*ntold = history_told(a->history, engine_model(a->engine), told, err, sizeof(err));
	log_debug("main: history: what the alerts told: %zu row%s in %.1f ms", *ntold,
		  *ntold == 1 ? "" : "s", (double)(mono_us() - t0) / 1000.0);
	if (err[0])
		say(a, true, "%s", err);
	if (!history_open_outage(a->history, out, err, sizeof(err)))
		say(a, true, "%s", err);
	if (!a->writer)
		a->writer = writer_new(a->loop, 0, on_writer_notice, a);
	history_attach(a->history, a->writer, engine_model(a->engine));
	engine_subscribe(a->engine, &(struct engine_sub){
		.on_result = on_result_history, .on_event = on_event_history, .arg = a });
}

/* Who acknowledges and silences: the user name, looked up once now (NSS
 * may be LDAP: never on the loop). */
static void user_name(struct app *a)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	const char *env = getenv("USER");

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name)
		snprintf(a->user, sizeof(a->user), "%s", res->pw_name);
	else if (env && *env)
		snprintf(a->user, sizeof(a->user), "%s", env);
	else
		snprintf(a->user, sizeof(a->user), "uid %ld", (long)getuid());
}

/* The outage the last run left open ends now: nobody saw it end, and a
 * page for it must not stay open for good (nor the timeline's outage). */
static void close_left_outage(struct app *a, const struct history_outage *o)
{
	char at[32], why[128];

	if (!o->since)
		return;
	if (o->stopped) {
		fmt_stamp(at, sizeof(at), o->stopped, fmt_day(o->stopped) != fmt_day(wall_ms()));
		snprintf(why, sizeof(why), "uptop stopped at %s while it was open and did not see "
			 "it end", at);
	} else {
		snprintf(why, sizeof(why), "uptop stopped while it was open and did not see "
			 "it end");
	}
	if (a->alert)
		alert_restore_outage(a->alert, o);
	engine_outage_closed(a->engine, why);
}

/* The event log first (it records what the others do), then alerts. */
static int start_outputs(struct app *a, struct diag *errs, struct diag *warns)
{
	char err[256];
	struct history_told *told = NULL;
	size_t ntold = 0;

	if (a->evlog)
		engine_subscribe(a->engine, &(struct engine_sub){
			.on_event = on_event_log, .arg = a });
	start_history(a, warns, &told, &ntold, &a->left);
	if ((a->o.mode == MODE_TUI || a->o.mode == MODE_HEADLESS) && !a->o.no_alerts) {
		a->alert = alert_new(a->loop, a->engine, a->cfg);
		if (a->history)
			alert_restore(a->alert, told, ntold);
	}
	free(told);
	if (a->writer && writer_start(a->writer, err, sizeof(err)) != 0) {
		diag_addf(errs, "%s", err);
		return -1;
	}
	return 0;
}

/* until: mono_ms by which the writer must be done (a disk that hangs
 * holds the exit EXIT_WRITE_MS at most, the history's last rows and the
 * queue's drain together). */
static void stop_outputs(struct app *a, int64_t until)
{
	uint64_t lost = 0;
	int64_t left = until - mono_ms();

	alert_free(a->alert);
	a->alert = NULL;
	if (!a->writer)
		return;
	if (writer_free(a->writer, left > 0 ? (int)left : 0, &lost)) {
		evlog_free(a->evlog);
		history_free(a->history);
	} else {
		fprintf(stderr, "uptop: %s: the disk did not take the last %llu "
			"record%s in %d s: they are lost\n",
			a->evlog && a->history ? "event log and history" :
			a->evlog ? "event log" : "history", (unsigned long long)lost,
			lost == 1 ? "" : "s", EXIT_WRITE_MS / 1000);
	}
	a->writer = NULL;
	a->evlog = NULL;
	a->history = NULL;
}

/* --- uptop report ------------------------------------------------------ */

struct report_filter {
	const struct report_opts *r;
	bool *hit_target, *hit_group;    /* which --target / --group matched */
};

static bool report_keep(void *arg, const char *name, const char *group)
{
	struct report_filter *f = arg;
	bool keep = !f->r->ntargets && !f->r->ngroups;

	for (size_t i = 0; i < f->r->ntargets; i++)
		if (strcmp(name, f->r->targets[i]) == 0)
			keep = f->hit_target[i] = true;
	for (size_t i = 0; i < f->r->ngroups; i++)
		if (strcmp(group, f->r->groups[i]) == 0)
			keep = f->hit_group[i] = true;
	return keep;
}

/* A --target or --group that matched nothing is a mistake worth a word. */
static int report_unmatched(const struct app *a, const struct report_filter *f,
			    const char *path)
{
	const char *where = a->cfg_path ? a->cfg_path : path;

	for (size_t i = 0; i < f->r->ntargets; i++)
		if (!f->hit_target[i]) {
			fprintf(stderr, "uptop: report: no target named '%s' in %s\n",
				f->r->targets[i], where);
			return -1;
		}
	for (size_t i = 0; i < f->r->ngroups; i++)
		if (!f->hit_group[i]) {
			fprintf(stderr, "uptop: report: no group named '%s' in %s\n",
				f->r->groups[i], where);
			return -1;
		}
	return 0;
}

static int terminal_width(void)
{
	struct winsize ws;

	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
		return ws.ws_col;
	return 80;
}

/* Reads the history (read-only, never created) and prints the digest
 * of the window: 0, 3 (a usage or config mistake, a file that is missing
 * or not a history), or 74 when stdout failed. */
static int run_report(struct app *a, int *out_err)
{
	const struct report_opts *r = &a->o.rep;
	struct report_filter f = { r, xcalloc(r->ntargets + 1, 1), xcalloc(r->ngroups + 1, 1) };
	struct history_query q;
	struct digest_input in;
	struct digest d;
	char buf[PATH_MAX], err[PATH_MAX + 512];
	const char *path = history_file(a, buf, sizeof(buf));
	const char **names = NULL, **groups = NULL;
	int rc = EXIT_USAGE;

	memset(&in, 0, sizeof(in));
	if (!path || (!a->o.history && strcmp(path, "off") == 0)) {
		fprintf(stderr, "uptop: report: %s: give --history FILE\n", path ?
			"the config turns history off (settings.history: off)" :
			"no history file (neither XDG_STATE_HOME nor HOME is set)");
		goto out;
	}
	memset(&q, 0, sizeof(q));
	q.path = path;
	q.from = r->from;
	q.to = r->to;
	q.now = r->now;
	q.keep = report_keep;
	q.arg = &f;
	if (a->cfg) {
		q.n = a->cfg->ntargets;
		names = xcalloc(q.n + 1, sizeof(*names));
		groups = xcalloc(q.n + 1, sizeof(*groups));
		for (size_t i = 0; i < q.n; i++) {
			names[i] = a->cfg->targets[i].name;
			groups[i] = a->cfg->targets[i].group;
		}
		q.names = names;
		q.groups = groups;
	}
	if (history_read(&q, &in, err, sizeof(err)) != 0) {
		fprintf(stderr, "uptop: report: %s\n", err);
		goto out;
	}
	if (report_unmatched(a, &f, path) != 0)
		goto out;
	digest_build(&d, &in);
	errno = 0;
	digest_print(stdout, &d, r->format, terminal_width(), locale_utf8());
	digest_free(&d);
	*out_err = stdout_result();
	rc = *out_err && *out_err != EPIPE ? EXIT_OUTPUT : 0;
out:
	digest_input_free(&in);
	free(names);
	free(groups);
	free(f.hit_target);
	free(f.hit_group);
	return rc;
}

int main(int argc, char **argv)
{
	struct app a;
	struct diag errs = { 0 }, warns = { 0 };
	struct engine_opts eo;
	int rc, out_err = 0;
	int64_t until;

	heap_init();
	memset(&a, 0, sizeof(a));
	setlocale(LC_ALL, "");
	/* Numbers in every output are read by programs: "1.5", never "1,5". */
	setlocale(LC_NUMERIC, "C");
	parse_args(argc, argv, &a.o);
	start_log(&a.o);
	if (a.o.mode == MODE_REPORT && !a.o.config) {
		/* without -c: every target the history knows */
		rc = run_report(&a, &out_err);
		goto out;
	}
	if (load_config(&a, &errs, &warns) != 0) {
		print_msgs(&errs);
		rc = EXIT_USAGE;
		goto out;
	}
	/* libyaml's document tree is gone: give its pages back for a process
	 * that runs for days. */
	malloc_trim(0);
	warn_config(a.cfg, &warns);
	a.unsharded = a.cfg->ntargets;
	apply_shard(&a.o, a.cfg, &warns);
	warn_secrets(&a, &warns);
	if (a.o.mode == MODE_CHECK) {
		rc = check_config(&a, &warns, &out_err);
		goto out;
	}
	if (a.o.mode == MODE_REPORT) {
		rc = run_report(&a, &out_err);
		goto out;
	}
	raise_nofile();
	a.loop = loop_new();
	/* Bound one turn: the keyboard never waits behind a flood of sockets. */
	loop_set_max_fds_per_turn(a.loop, 512);
	loop_set_turn_budget_ms(a.loop, 15);
	a.start_ms = mono_ms();
	signals_setup(&a);
	user_name(&a);
	if (open_event_log(&a, &errs) != 0) {
		print_msgs(&errs);
		rc = EXIT_USAGE;
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.once = a.o.mode == MODE_ONCE;
	eo.dns_servers = a.o.dns;
	eo.max_concurrency = a.o.max_concurrency;
	if (a.o.mode == MODE_TUI) {
		a.ui = start_ui(&a, &errs);
		if (!a.ui) {
			print_msgs(&errs);
			rc = EXIT_USAGE;
			goto out;
		}
	} else {
		print_msgs(&warns);
	}
	a.engine = engine_new(a.loop, a.cfg, &eo, &errs);
	if (!a.engine) {
		ui_free(a.ui);
		a.ui = NULL;
		print_msgs(&errs);
		rc = EXIT_USAGE;
		goto out;
	}
	if (start_outputs(&a, &errs, &warns) != 0 ||
	    start_metrics(&a, &errs, a.ui ? &warns : NULL) != 0) {
		ui_free(a.ui);
		a.ui = NULL;
		print_msgs(&errs);
		rc = EXIT_USAGE;
		goto out;
	}
	if (a.ui) {
		engine_subscribe(a.engine, &(struct engine_sub){
			.on_result = on_result_tui, .on_event = on_event_tui,
			.arg = &a });
		loop_fd_set(a.loop, ui_input_fd(a.ui), POLLIN, on_keys, &a);
		loop_timer_add(a.loop, &a.frame, on_frame, &a);
		ui_warn(a.ui, &warns);
	} else if (a.o.mode == MODE_HEADLESS) {
		start_headless(&a);
	}
	/* after every subscriber: the live table and --headless say it too */
	close_left_outage(&a, &a.left);
	run_loop(&a);
	if (a.ui) {
		loop_fd_del(a.loop, ui_input_fd(a.ui));
		loop_timer_del(a.loop, &a.frame);
	}
	ui_free(a.ui);
	a.ui = NULL;
	/* Scrapes end before the model they read goes. */
	metrics_free(a.metrics);
	a.metrics = NULL;
	rc = finish(&a, &out_err);
	if (out_err && out_err != EPIPE)
		rc = EXIT_OUTPUT;
	log_debug("main: exit %d after %lld ms%s", rc,
		  (long long)(mono_ms() - a.start_ms),
		  out_err == EPIPE ? " (stdout closed: dying of SIGPIPE)" : "");
out:
	metrics_free(a.metrics);
	stop_headless(&a);
	alert_free(a.alert);
	a.alert = NULL;
	until = mono_ms() + EXIT_WRITE_MS;
	if (a.engine)   /* the rows of `last` that are behind, from the model */
		history_stop(a.history, engine_model(a.engine), until);
	engine_free(a.engine);
	stop_outputs(&a, until);
	if (a.loop) {
		loop_fd_del(a.loop, a.sig_pipe[0]);
		close(a.sig_pipe[0]);
		close(a.sig_pipe[1]);
	}
	loop_free(a.loop);
	config_free(a.cfg);
	free(a.cfg_path);
	free(a.o.expect);
	free(a.o.url_argn);
	free(a.o.rep.targets);
	free(a.o.rep.groups);
	diag_clear(&errs);
	diag_clear(&warns);
	log_close();
	if (out_err == EPIPE)
		exit_sigpipe();
	return rc;
}
