/* main.c - argv, start-up and teardown order, wiring of the modules.
 *
 * Modes: --check-config (validate), --once (one round, print, exit),
 * --headless (run without a screen, JSON lines), and the live table. All
 * run the same engine on the same loop. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
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
#include "loop.h"
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
"      --check-config         validate the config, print a summary, exit 0 or 3\n"
"\n"
"Options:\n"
"  -c, --config FILE          config file (default: $UPTOP_CONFIG, ./uptop.yaml,\n"
"                             $XDG_CONFIG_HOME/uptop/config.yaml)\n"
"  -f, --format table|json    --once output (default table; json = JSON Lines)\n"
"  -d, --duration D           --headless: stop after D (e.g. 60s, 10m)\n"
"  -t, --theme NAME|PATH      colour theme (default, mono, high-contrast, or a file)\n"
"      --ascii                ASCII glyphs only\n"
"      --no-bell              no bell when a target goes down\n"
"  -j, --max-concurrency N    checks in flight at once (default: from the fd limit)\n"
"      --dns-server ADDR[,...]  DNS servers by address: IP, IP:PORT, [IPv6]:PORT\n"
"                             (default: /etc/resolv.conf)\n"
"  -h, --help                 this help\n"
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
	       OPT_DNS };
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0, 0, 0, 0 }
	};
	char err[128];
	int c;

	while ((c = getopt_long(argc, argv, "c:f:d:t:j:hV", longs, NULL)) != -1) {
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
		case 'h': usage(stdout); exit(0);
		case 'V':
			printf("uptop %s\n%s\n", UPTOP_VERSION, probe_version());
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

static void config_summary(const struct config *c, const char *path)
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
	printf("%s: OK, %zu target%s in %zu group%s\n", path ? path : "-",
	       c->ntargets, c->ntargets == 1 ? "" : "s", groups,
	       groups == 1 ? "" : "s");
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
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	loop_fd_set(a->loop, a->sig_pipe[0], POLLIN, on_sig_pipe, a);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --- reload --------------------------------------------------------- */

static void reload(struct app *a)
{
	struct diag errs = { 0 };
	struct config *next = NULL;

	if (!a->cfg_path) {
		if (a->ui)
			ui_message(a->ui, "reload: no config file (URLs were given)", true);
		return;
	}
	if (config_load(a->cfg_path, &next, &errs) != 0) {
		char *all = diag_join(&errs);
		char *msg = xasprintf("reload failed, kept the running config: %s%s",
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
	engine_reload(a->engine, next);
	config_free(a->cfg);
	a->cfg = next;
	if (a->ui) {
		char *msg = xasprintf("reloaded %s: %zu targets", a->cfg_path,
				      next->ntargets);

		ui_model_changed(a->ui);
		ui_message(a->ui, msg, false);
		free(msg);
	}
}

static void handle_signals(struct app *a)
{
	if (sig_seen[SIGINT] || sig_seen[SIGTERM] || sig_seen[SIGHUP])
		a->quit = true;
	if (sig_seen[SIGUSR1]) {
		sig_seen[SIGUSR1] = 0;
		reload(a);
	}
}

/* --- callbacks ------------------------------------------------------ */

static void on_event_headless(void *arg, const struct event *ev)
{
	struct app *a = arg;

	report_event_json(stdout, engine_model(a->engine), ev);
}

static void on_event_tui(void *arg, const struct event *ev)
{
	struct app *a = arg;

	if (ev->to == STATE_DOWN)
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
	case UI_RELOAD: reload(a); break;
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

		if (a->ui)
			loop_timer_arm(&a->frame, ui_next_frame(a->ui));
		if (loop_turn(a->loop, wait) != 0)
			fatal("poll: %s", strerror(errno));
		handle_signals(a);
		if (a->o.mode == MODE_ONCE && engine_all_checked(a->engine))
			break;
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
	if (load_config(&a, &errs) != 0) {
		diag_print(&errs, stderr);
		diag_clear(&errs);
		free(a.cfg_path);
		return EXIT_USAGE;
	}
	/* libyaml's document tree is gone: give its pages back for a process
	 * that runs for days. */
	malloc_trim(0);
	warn_secrets(&a, &warns);
	if (a.o.mode == MODE_CHECK) {
		diag_print(&warns, stderr);
		config_summary(a.cfg, a.cfg_path);
		diag_clear(&warns);
		config_free(a.cfg);
		free(a.cfg_path);
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
	if (a.ui) {
		engine_on_event(a.engine, on_event_tui, &a);
		engine_on_result(a.engine, on_result_tui, &a);
		loop_fd_set(a.loop, ui_input_fd(a.ui), POLLIN, on_keys, &a);
		loop_timer_add(a.loop, &a.frame, on_frame, &a);
		if (warns.n)
			ui_message(a.ui, warns.msgs[0], true);
	} else if (a.o.mode == MODE_HEADLESS) {
		engine_on_event(a.engine, on_event_headless, &a);
	}
	run_loop(&a);
	ui_free(a.ui);
	a.ui = NULL;
	rc = finish(&a);
out:
	engine_free(a.engine);
	loop_free(a.loop);
	close(a.sig_pipe[0]);
	close(a.sig_pipe[1]);
	config_free(a.cfg);
	free(a.cfg_path);
	diag_clear(&errs);
	diag_clear(&warns);
	return rc;
}
