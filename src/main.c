/* main.c - argv, start-up and teardown order, wiring of the modules.
 *
 * Modes: --check-config (validate), --once (one round, print, exit),
 * --headless (run without a screen, JSON lines), and the live table. All
 * run the same engine on the same loop. */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include "config.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "probe.h"
#include "report.h"
#include "sched.h"
#include "ui.h"
#include "util.h"

enum mode { MODE_TUI, MODE_ONCE, MODE_HEADLESS, MODE_CHECK };

struct opts {
	enum mode mode;
	const char *config;
	enum report_format format;
	int64_t duration_ms;
	const char *theme;
	bool ascii;
	bool no_bell;
	size_t max_concurrency;
	const char *dns;
	const char *debug_log;    /* NULL: off */
	const char *metrics;      /* --metrics ADDR:PORT; NULL: settings.metrics */
	unsigned shard_k, shard_n;   /* --shard K/N; 0/0: every target */
	char **urls;
	int nurls;
};

struct app {
	struct opts o;
	struct loop *loop;
	struct engine *engine;
	struct config *cfg;
	char *cfg_path;           /* NULL for URL lists */
	struct ui *ui;
	struct metrics *metrics;
	size_t unsharded;         /* targets in the config before --shard */
	struct loop_timer frame;
	int sig_pipe[2];
	bool quit;
	int64_t start_ms;
};

static volatile sig_atomic_t sig_seen[NSIG];

static void usage(FILE *f)
{
	fputs(
"Usage: uptop [OPTIONS] [-c FILE]\n"
"       uptop [OPTIONS] URL...\n"
"       uptop [OPTIONS] -            (one URL per line on standard input)\n"
"\n"
"Live terminal monitor for HTTP(S) endpoints: checks every target on its\n"
"interval, concurrently, and shows state, code, latency and the exact error.\n"
"\n"
"Modes:\n"
"      (default)              the live table (needs a terminal)\n"
"      --once                 check every target once, print, exit 0/1/2\n"
"      --headless             run without a screen; one JSON line per state\n"
"                             change, run statistics on exit\n"
"      --check-config         validate the config, print a summary and any\n"
"                             warnings, exit 0 or 3\n"
"\n"
"Options:\n"
"  -c, --config FILE          config file (default: $UPTOP_CONFIG, ./uptop.yaml,\n"
"                             $XDG_CONFIG_HOME/uptop/config.yaml); a Gatus\n"
"                             config's endpoints: and conditions work as they are\n"
"  -f, --format table|json    --once output (default table; json = JSON Lines)\n"
"  -d, --duration D           --headless: stop after D (e.g. 60s, 10m)\n"
"  -t, --theme NAME|PATH      colour theme (default, mono, high-contrast, or a file)\n"
"      --ascii                ASCII glyphs only\n"
"      --no-bell              no bell when a target goes down\n"
"  -j, --max-concurrency N    checks in flight at once (default: from the fd limit)\n"
"      --dns-server IP[:PORT][,...]  DNS servers (default: /etc/resolv.conf)\n"
"      --metrics ADDR:PORT    serve Prometheus metrics at /metrics (:PORT is\n"
"                             127.0.0.1; settings.metrics in the config)\n"
"      --shard K/N            check only shard K of N of the targets (by name)\n"
"  -v                         debug log to ./uptop-PID.log (see --debug-log)\n"
"      --debug-log FILE       debug log: the loop's decisions and the raw\n"
"                             libcurl/c-ares codes, to a regular file only\n"
"  -h, --help                 this help\n"
"      --help-config          every config key: kind, default, range, meaning\n"
"  -V, --version              version and library versions\n"
"\n"
"Exit codes: 0 all up, 1 some degraded and none down, 2 any down,\n"
"            3 config or usage error.\n"
"Keys in the live table: ? or F1.  Docs: README.md\n", f);
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

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_ONCE = 256, OPT_HEADLESS, OPT_CHECK, OPT_ASCII, OPT_NOBELL,
	       OPT_DNS, OPT_HELP_CONFIG, OPT_DEBUG_LOG, OPT_METRICS, OPT_SHARD };
	static const struct option longs[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "theme", required_argument, NULL, 't' },
		{ "max-concurrency", required_argument, NULL, 'j' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "headless", no_argument, NULL, OPT_HEADLESS },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "no-bell", no_argument, NULL, OPT_NOBELL },
		{ "dns-server", required_argument, NULL, OPT_DNS },
		{ "debug-log", required_argument, NULL, OPT_DEBUG_LOG },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "help", no_argument, NULL, 'h' },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 }
	};
	static char pid_log[64];
	struct listen_addr la;
	char err[160];
	int c;

	while ((c = getopt_long(argc, argv, "c:f:d:t:j:vhV", longs, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'f':
			if (strcmp(optarg, "table") == 0)
				o->format = REPORT_TABLE;
			else if (strcmp(optarg, "json") == 0)
				o->format = REPORT_JSON;
			else
				die_usage("--format must be 'table' or 'json', not '%s'", optarg);
			break;
		case 'd':
			if (config_parse_duration(optarg, &o->duration_ms, err, sizeof(err)) != 0)
				die_usage("--duration: %s", err);
			break;
		case 't': o->theme = optarg; break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 1000000)
				die_usage("--max-concurrency must be 1..1000000, not '%s'", optarg);
			o->max_concurrency = (size_t)n;
			break;
		}
		case OPT_ONCE: o->mode = MODE_ONCE; break;
		case OPT_HEADLESS: o->mode = MODE_HEADLESS; break;
		case OPT_CHECK: o->mode = MODE_CHECK; break;
		case OPT_ASCII: o->ascii = true; break;
		case OPT_NOBELL: o->no_bell = true; break;
		case OPT_DNS: o->dns = optarg; break;
		case OPT_DEBUG_LOG: o->debug_log = optarg; break;
		case OPT_METRICS:
			if (config_parse_listen(optarg, &la, err, sizeof(err)) != 0)
				die_usage("--metrics: %s", err);
			o->metrics = optarg;
			break;
		case OPT_SHARD:
			if (config_parse_shard(optarg, &o->shard_k, &o->shard_n, err,
					       sizeof(err)) != 0)
				die_usage("--shard: %s", err);
			break;
		case 'v':
			/* As tmux -v: a file named by the pid, here. */
			if (!o->debug_log) {
				snprintf(pid_log, sizeof(pid_log), "uptop-%ld.log",
					 (long)getpid());
				o->debug_log = pid_log;
			}
			break;
		case 'h': usage(stdout); exit(0);
		case OPT_HELP_CONFIG: config_help(stdout); exit(0);
		case 'V':
			printf("uptop %s\n%s\n%s\n", UPTOP_VERSION, probe_version(),
			       metrics_version());
			exit(0);
		default:
			fprintf(stderr, "Try 'uptop --help'.\n");
			exit(EXIT_USAGE);
		}
	}
	o->urls = argv + optind;
	o->nurls = argc - optind;
	if (o->nurls && o->config)
		die_usage("%s", "give either -c FILE or URLs, not both");
	if (o->metrics && (o->mode == MODE_ONCE || o->mode == MODE_CHECK))
		die_usage("%s", "--metrics serves the live table and --headless; --once "
			  "prints the same with --format prometheus");
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
	log_write("main: uptop %s, pid %ld, mode %s; %s", UPTOP_VERSION,
		  (long)getpid(), modes[o->mode], probe_version());
}

/* --- config --------------------------------------------------------- */

static char **read_url_lines(FILE *in, size_t *n)
{
	char **v = NULL, *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t len;

	*n = 0;
	while ((len = getline(&line, &lcap, in)) >= 0) {
		char *s = line, *e = line + len;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
				 e[-1] == '\t'))
			e--;
		if (s == e || *s == '#')
			continue;
		v = xreallocarray_grow(v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = xstrndup(s, (size_t)(e - s));
	}
	free(line);
	return v;
}

static int load_config(struct app *a, struct diag *errs)
{
	const struct opts *o = &a->o;

	if (o->nurls) {
		if (o->nurls == 1 && strcmp(o->urls[0], "-") == 0) {
			size_t n;
			char **v = read_url_lines(stdin, &n);
			int rc;

			if (!n)
				diag_addf(errs, "-: no URLs on standard input");
			rc = n ? config_from_urls(v, n, &a->cfg, errs) : -1;
			for (size_t i = 0; i < n; i++)
				free(v[i]);
			free(v);
			return rc;
		}
		return config_from_urls(o->urls, (size_t)o->nurls, &a->cfg, errs);
	}
	a->cfg_path = o->config ? xstrdup(o->config) : config_find();
	if (!a->cfg_path) {
		diag_addf(errs,
			  "uptop: no config: give -c FILE or URLs, or create ./uptop.yaml "
			  "(see config.example.yaml)");
		return -1;
	}
	return config_load(a->cfg_path, &a->cfg, errs);
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
		diag_addf(warns, "uptop: warning: shard %u/%u has none of the %zu target%s",
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
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		log_debug("main: sigaction(SIGPIPE, ignore): %s", strerror(errno));
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

static void reload(struct app *a)
{
	struct diag errs = { 0 };
	struct config *next = NULL;

	if (!a->cfg_path) {
		log_debug("main: reload: no config file (URLs were given)");
		if (a->ui)
			ui_message(a->ui, "reload: no config file (URLs were given)", true);
		return;
	}
	if (config_load(a->cfg_path, &next, &errs) != 0) {
		char *all = diag_join(&errs);
		char *msg;

		log_debug("main: reload of %s failed (%zu error%s), kept the "
			  "running config: %s", a->cfg_path, errs.n,
			  errs.n == 1 ? "" : "s",
			  errs.n ? errs.msgs[0] : "unknown error");
		msg = xasprintf("reload failed, kept the running config: %s%s",
				errs.n ? errs.msgs[0] : "unknown error",
				errs.n > 1 ? " (and more)" : "");
		if (a->ui)
			ui_message(a->ui, msg, true);
		else
			fprintf(stderr, "uptop: reload failed, kept the running config:\n%s\n", all);
		free(msg);
		free(all);
		diag_clear(&errs);
		return;
	}
	apply_shard(&a->o, next, NULL);
	engine_reload(a->engine, next);
	metrics_reload(a->metrics);
	config_free(a->cfg);
	a->cfg = next;
	log_debug("main: reloaded %s: %zu target%s", a->cfg_path,
		  next->ntargets, next->ntargets == 1 ? "" : "s");
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
}

/* --- subscribers (engine.h: no engine calls, no blocking) ----------- */

static void on_event_headless(void *arg, const struct event *ev)
{
	struct app *a = arg;

	report_event_json(stdout, engine_model(a->engine), ev);
}

static void on_event_tui(void *arg, const struct event *ev)
{
	struct app *a = arg;

	if (ev->kind == EV_STATE && ev->to == STATE_DOWN)
		ui_on_down(a->ui);
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
	v->checks_per_sec = s.checks_per_sec;
	v->lag_p99_ms = s.lag_p99_recent_ms;
	v->paused = engine_paused(a->engine);
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
	default: break;
	}
}

static void on_keys(int fd, short revents, void *arg)
{
	struct app *a = arg;
	struct ui_action acts[64];
	struct ui_view v;
	size_t n;

	(void)fd;
	(void)revents;
	ui_view_fill(a, &v);
	n = ui_input(a->ui, &v, acts, ARRAY_LEN(acts));
	for (size_t i = 0; i < n; i++)
		apply_action(a, &acts[i]);
}

static void on_frame(void *arg)
{
	struct app *a = arg;
	struct ui_view v;

	ui_view_fill(a, &v);
	ui_draw(a->ui, &v, mono_ms());
}

/* --- modes ---------------------------------------------------------- */

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
		handle_signals(a);
		log_flush();
		if (mono_ms() >= end)
			break;
	}
	return 0;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static bool locale_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && strcmp(cs, "UTF-8") == 0;
}

static int finish(struct app *a)
{
	const struct model *m = engine_model(a->engine);
	struct engine_stats s;

	switch (a->o.mode) {
	case MODE_ONCE:
		if (a->o.format == REPORT_JSON)
			report_json(stdout, m);
		else
			report_table(stdout, m, locale_utf8() && !a->o.ascii);
		return report_exit_code(m, true);
	case MODE_HEADLESS:
		engine_stats(a->engine, &s);
		report_stats_json(stdout, &s,
				  (double)(mono_ms() - a->start_ms) / 1000.0,
				  peak_rss_kb());
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
		diag_addf(errs, "uptop: metrics: %s", err);
		return -1;
	}
	a->metrics = metrics_new(a->loop, a->engine, &la,
				 a->o.metrics ? "--metrics" : "settings.metrics", errs, &w);
	for (size_t i = 0; i < w.n; i++) {
		if (warns)
			diag_addf(warns, "%s", w.msgs[i]);
		else
			fprintf(stderr, "%s\n", w.msgs[i]);
	}
	diag_clear(&w);
	return a->metrics ? 0 : -1;
}

static struct ui *start_ui(struct app *a, struct diag *errs)
{
	struct ui_opts uo;

	memset(&uo, 0, sizeof(uo));
	uo.theme = a->o.theme ? a->o.theme : a->cfg->settings.theme;
	uo.ascii = a->o.ascii;
	uo.bell = !a->o.no_bell && a->cfg->settings.bell;
	return ui_new(&uo, errs);
}

int main(int argc, char **argv)
{
	struct app a;
	struct diag errs = { 0 }, warns = { 0 };
	struct engine_opts eo;
	int rc;

	memset(&a, 0, sizeof(a));
	setlocale(LC_ALL, "");
	parse_args(argc, argv, &a.o);
	start_log(&a.o);
	if (load_config(&a, &errs) != 0) {
		diag_print(&errs, stderr);
		diag_clear(&errs);
		free(a.cfg_path);
		log_close();
		return EXIT_USAGE;
	}
	/* libyaml's document tree is gone: give its pages back for a process
	 * that runs for days. */
	malloc_trim(0);
	warn_config(a.cfg, &warns);
	a.unsharded = a.cfg->ntargets;
	apply_shard(&a.o, a.cfg, &warns);
	warn_secrets(&a, &warns);
	if (a.o.mode == MODE_CHECK) {
		diag_print(&warns, stderr);
		config_summary(a.cfg, a.cfg_path, &a.o, a.unsharded);
		diag_clear(&warns);
		config_free(a.cfg);
		free(a.cfg_path);
		log_close();
		return 0;
	}
	raise_nofile();
	a.loop = loop_new();
	/* Bound one turn: the keyboard never waits behind a flood of sockets. */
	loop_set_max_fds_per_turn(a.loop, 512);
	loop_set_turn_budget_ms(a.loop, 15);
	a.start_ms = mono_ms();
	signals_setup(&a);
	memset(&eo, 0, sizeof(eo));
	eo.once = a.o.mode == MODE_ONCE;
	eo.dns_servers = a.o.dns;
	eo.max_concurrency = a.o.max_concurrency;
	if (a.o.mode == MODE_TUI) {
		a.ui = start_ui(&a, &errs);
		if (!a.ui) {
			diag_print(&errs, stderr);
			rc = EXIT_USAGE;
			goto out;
		}
	} else {
		diag_print(&warns, stderr);
	}
	a.engine = engine_new(a.loop, a.cfg, &eo, &errs);
	if (!a.engine) {
		ui_free(a.ui);
		a.ui = NULL;
		diag_print(&errs, stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (start_metrics(&a, &errs, a.ui ? &warns : NULL) != 0) {
		ui_free(a.ui);
		a.ui = NULL;
		diag_print(&errs, stderr);
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
		engine_subscribe(a.engine, &(struct engine_sub){
			.on_event = on_event_headless, .arg = &a });
	}
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
	rc = finish(&a);
	log_debug("main: exit %d after %lld ms", rc,
		  (long long)(mono_ms() - a.start_ms));
out:
	metrics_free(a.metrics);
	engine_free(a.engine);
	if (a.loop)
		loop_fd_del(a.loop, a.sig_pipe[0]);
	loop_free(a.loop);
	close(a.sig_pipe[0]);
	close(a.sig_pipe[1]);
	config_free(a.cfg);
	free(a.cfg_path);
	diag_clear(&errs);
	diag_clear(&warns);
	log_close();
	return rc;
}
