/* rawcurl.c - the floor for `make bench`: what libcurl alone costs.
 *
 * One thread, one poll(), curl_multi_socket_action: the same transport
 * uptop uses, without the scheduler, model, DNS, UI or output. If uptop's
 * CPU per check is close to this program's, the rest of uptop is cheap.
 *
 *   rawcurl [-t TIMEOUT_MS] [-j MAX_PARALLEL] [--cacert FILE] [--fresh]
 *           [--keep] [--interval MS --duration MS [--spread PCT]
 *           [--progress MS]] URLFILE
 *
 * One-shot (default): every URL once, at most MAX_PARALLEL at a time; one
 * JSON line per URL ({"url","ok","code","error"}), then a summary line
 * {"type":"summary","checks","ok","failed","wall_s"}.
 * Steady (--interval and --duration): URL i is due at
 * i/N * interval * PCT/100 + k*interval: PCT 100 (default) spreads the
 * targets evenly; uptop spreads its first round over 10 % of the interval,
 * and the benchmark passes --spread 10 so both programs see the same
 * bursts. Only the summary line is printed (plus "overdue": checks skipped
 * because the previous one of the same URL, or the parallel cap, held
 * them back), and with --progress a line
 * {"type":"progress","elapsed_s","checks","cpu_s"} every MS: the benchmark
 * takes CPU per check in steady state from two such lines (uptop's stats
 * lines carry the same numbers), so neither program's start counts.
 *
 * One-shot opens a new connection per URL and closes it when the
 * transfer ends (FRESH_CONNECT + FORBID_REUSE): there is no next round to
 * reuse it for, and libcurl 7.88 otherwise walks its connection cache
 * twice per transfer (looking for a reusable connection when it starts,
 * and in curl_multi_remove_handle() after it went back to the cache), which
 * is O(open connections) each: 10,000 at once then cost about 6 s of
 * CPU instead of 0.9 s (perf: 66 % in curl_multi_remove_handle). --keep
 * shows that.
 *
 * Like uptop: CURLOPT_CAPATH is NULL (Debian's default CAPATH disables
 * OpenSSL's CA-store cache), no proxy, CURLOPT_NOSIGNAL, the multi handle's
 * connection cache is sized for every URL so keep-alive spans rounds.
 * Easy handles are pooled: reusing one costs less than creating one, and
 * a floor should be the cheapest honest way to do the job. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct opts {
	long timeout_ms;
	size_t max_parallel;
	const char *cacert;
	bool fresh;
	bool keep;             /* one-shot: reuse and cache connections */
	int64_t interval_ms;   /* 0: one-shot */
	int64_t duration_ms;
	int64_t spread_pct;    /* steady: first round over this % of interval */
	int64_t progress_ms;   /* steady: a progress line this often; 0: none */
	const char *url_file;
};

/* One transfer slot: an easy handle kept for reuse. */
struct xfer {
	CURL *easy;
	size_t url;                    /* index into the URL list */
	char err[CURL_ERROR_SIZE];
	struct xfer *next_free;
	struct xfer *next_all;         /* every handle, for teardown */
};

/* The poll set: curl's sockets plus what each wants. fd -> slot is an
 * array indexed by fd (fds are below RLIMIT_NOFILE), so add, change and
 * remove are O(1) (remove swaps the last slot in). */
struct fdset {
	struct pollfd *pfd;
	size_t n;
	int *slot_of;                  /* fd -> index in pfd, -1 if absent */
	size_t fd_cap;
};

struct app {
	struct opts o;
	CURLM *multi;
	char **urls;
	size_t nurls;
	struct fdset fds;
	int64_t curl_deadline;         /* monotonic ms; -1: none */
	struct xfer *free_list;
	struct xfer *all;
	size_t in_flight;
	bool *busy;                    /* steady: URL i has a check in flight */
	/* results */
	uint64_t checks, ok, failed, overdue;
	bool per_url;                  /* one-shot prints a line per URL */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *msg)
{
	fprintf(stderr, "rawcurl: %s\n", msg);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* --- URL list -------------------------------------------------------- */

static char **read_urls(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t len;

	if (!f)
		die("cannot open the URL file");
	*n = 0;
	while ((len = getline(&line, &lcap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				die("out of memory");
		}
		v[(*n)++] = strdup(line);
	}
	free(line);
	fclose(f);
	return v;
}

/* --- the poll set ---------------------------------------------------- */

static void fdset_init(struct fdset *s, size_t fd_cap)
{
	s->pfd = xcalloc(fd_cap, sizeof(*s->pfd));
	s->slot_of = xcalloc(fd_cap, sizeof(*s->slot_of));
	for (size_t i = 0; i < fd_cap; i++)
		s->slot_of[i] = -1;
	s->fd_cap = fd_cap;
	s->n = 0;
}

static void fdset_put(struct fdset *s, int fd, short events)
{
	if (fd < 0 || (size_t)fd >= s->fd_cap)
		die("socket beyond the fd limit");
	if (s->slot_of[fd] < 0) {
		s->slot_of[fd] = (int)s->n;
		s->pfd[s->n].fd = fd;
		s->n++;
	}
	s->pfd[s->slot_of[fd]].events = events;
}

static void fdset_del(struct fdset *s, int fd)
{
	int i;

	if (fd < 0 || (size_t)fd >= s->fd_cap || (i = s->slot_of[fd]) < 0)
		return;
	s->pfd[i] = s->pfd[--s->n];
	s->slot_of[s->pfd[i].fd] = i;
	s->slot_of[fd] = -1;
}

/* --- curl callbacks ---------------------------------------------------- */

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct app *a = userp;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE)
		fdset_del(&a->fds, fd);
	else
		fdset_put(&a->fds, fd,
			  (short)((what & CURL_POLL_IN ? POLLIN : 0) |
				  (what & CURL_POLL_OUT ? POLLOUT : 0)));
	return 0;
}

/* User + system CPU of the process so far, in seconds. */
static double cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct app *a = userp;

	(void)multi;
	a->curl_deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *userp)
{
	(void)p;
	(void)userp;
	return size * n;   /* read and dropped: only the status matters */
}

/* --- transfers --------------------------------------------------------- */

static struct xfer *xfer_get(struct app *a)
{
	struct xfer *x = a->free_list;

	if (x) {
		a->free_list = x->next_free;
		return x;
	}
	x = xcalloc(1, sizeof(*x));
	x->next_all = a->all;
	a->all = x;
	x->easy = curl_easy_init();
	if (!x->easy)
		die("curl_easy_init failed");
	/* Options that never change go on once per handle. */
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->err);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, a->o.timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT_MS, a->o.timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(x->easy, CURLOPT_CAPATH, NULL);
	if (a->o.cacert)
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, a->o.cacert);
	if (a->o.fresh || (!a->o.interval_ms && !a->o.keep)) {
		curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(x->easy, CURLOPT_FORBID_REUSE, 1L);
	} else if (a->o.interval_ms) {
		/* uptop's bound on an idle connection (engine.c idle_limit:
		 * interval + timeout + 5 s), so both pools age out alike and
		 * neither keeps connections the other would have closed */
		curl_easy_setopt(x->easy, CURLOPT_MAXAGE_CONN,
				 (long)((a->o.interval_ms + a->o.timeout_ms + 5000 + 999) / 1000));
	}
	return x;
}

static void xfer_start(struct app *a, size_t url)
{
	struct xfer *x = xfer_get(a);

	x->url = url;
	x->err[0] = '\0';
	curl_easy_setopt(x->easy, CURLOPT_URL, a->urls[url]);
	if (curl_multi_add_handle(a->multi, x->easy) != CURLM_OK)
		die("curl_multi_add_handle failed");
	a->in_flight++;
	if (a->busy)
		a->busy[url] = true;
}

static void put_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void xfer_done(struct app *a, struct xfer *x, CURLcode rc)
{
	long code = 0;
	bool ok;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	ok = rc == CURLE_OK && code >= 200 && code <= 399;
	a->checks++;
	if (ok)
		a->ok++;
	else
		a->failed++;
	if (a->per_url) {
		fputs("{\"url\":", stdout);
		put_json_string(a->urls[x->url]);
		printf(",\"ok\":%s,\"code\":%ld,\"error\":", ok ? "true" : "false",
		       code);
		if (ok)
			fputs("null", stdout);
		else
			put_json_string(x->err[0] ? x->err :
					rc == CURLE_OK ? "unexpected status" :
					curl_easy_strerror(rc));
		fputs("}\n", stdout);
	}
	curl_multi_remove_handle(a->multi, x->easy);
	if (a->busy)
		a->busy[x->url] = false;
	a->in_flight--;
	x->next_free = a->free_list;
	a->free_list = x;
}

static void drain_done(struct app *a)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(a->multi, &left))) {
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		xfer_done(a, (struct xfer *)priv, m->data.result);
	}
}

/* --- the loop ---------------------------------------------------------- */

/* Waits for the nearest of: a socket, curl's deadline, `due` (ms, -1 for
 * none); then serves what fired. The fired set is copied first because
 * socket_action may add or remove fds while we walk it. */
static void loop_turn(struct app *a, int64_t due, struct pollfd *fired)
{
	int64_t now = now_ms(), until = -1;
	int timeout, n, running;
	size_t nf = 0;

	if (a->curl_deadline >= 0)
		until = a->curl_deadline;
	if (due >= 0 && (until < 0 || due < until))
		until = due;
	timeout = until < 0 ? -1 : until <= now ? 0 : (int)(until - now);
	n = poll(a->fds.pfd, a->fds.n, timeout);
	if (n < 0) {
		if (errno == EINTR)
			return;
		die("poll failed");
	}
	for (size_t i = 0; i < a->fds.n && nf < (size_t)n; i++)
		if (a->fds.pfd[i].revents)
			fired[nf++] = a->fds.pfd[i];
	for (size_t i = 0; i < nf; i++) {
		short r = fired[i].revents;
		int ev = (r & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) |
			 (r & POLLOUT ? CURL_CSELECT_OUT : 0) |
			 (r & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);

		curl_multi_socket_action(a->multi, fired[i].fd, ev, &running);
	}
	if (a->curl_deadline >= 0 && now_ms() >= a->curl_deadline) {
		a->curl_deadline = -1;
		curl_multi_socket_action(a->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	drain_done(a);
}

static void run_once(struct app *a, struct pollfd *fired)
{
	size_t next = 0;

	a->per_url = true;
	while (next < a->nurls || a->in_flight) {
		while (next < a->nurls && a->in_flight < a->o.max_parallel)
			xfer_start(a, next++);
		loop_turn(a, -1, fired);
	}
}

/* Steady state: check k of URL i is due at start + k*interval +
 * i*span/N (span = interval * spread%). A cursor walks (k, i) in due
 * order, so finding the next due check is O(1) without a heap. */
static void run_steady(struct app *a, struct pollfd *fired)
{
	int64_t start = now_ms(), end = start + a->o.duration_ms;
	int64_t span = a->o.interval_ms * a->o.spread_pct / 100;
	int64_t tell = a->o.progress_ms ? start + a->o.progress_ms : -1;
	uint64_t k = 0;
	size_t i = 0;

	a->busy = xcalloc(a->nurls, sizeof(*a->busy));
	for (;;) {
		int64_t now = now_ms(), due;

		for (;;) {
			due = start + (int64_t)k * a->o.interval_ms +
			      (int64_t)i * span / (int64_t)a->nurls;
			if (due > now || due >= end)
				break;
			if (a->busy[i] || a->in_flight >= a->o.max_parallel)
				a->overdue++;   /* skipped: a monitor would report it late */
			else
				xfer_start(a, i);
			if (++i == a->nurls) {
				i = 0;
				k++;
			}
		}
		if (now >= end)
			break;
		if (tell >= 0 && now >= tell) {
			printf("{\"type\":\"progress\",\"elapsed_s\":%.3f,\"checks\":%llu,"
			       "\"cpu_s\":%.3f}\n", (double)(now - start) / 1000.0,
			       (unsigned long long)a->checks, cpu_s());
			tell += a->o.progress_ms;
		}
		if (tell >= 0 && tell < due)
			due = tell;
		loop_turn(a, due < end ? due : end, fired);
	}
}

/* --- main -------------------------------------------------------------- */

static void usage(void)
{
	fputs("usage: rawcurl [-t TIMEOUT_MS] [-j MAX_PARALLEL] [--cacert FILE] "
	      "[--fresh] [--keep]\n               [--interval MS --duration MS "
	      "[--spread PCT] [--progress MS]] URLFILE\n",
	      stderr);
	exit(2);
}

static long parse_num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 0)
		usage();
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_CACERT = 256, OPT_FRESH, OPT_KEEP, OPT_INTERVAL, OPT_DURATION,
	       OPT_SPREAD, OPT_PROGRESS };
	static const struct option longs[] = {
		{ "cacert", required_argument, NULL, OPT_CACERT },
		{ "fresh", no_argument, NULL, OPT_FRESH },
		{ "keep", no_argument, NULL, OPT_KEEP },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "spread", required_argument, NULL, OPT_SPREAD },
		{ "progress", required_argument, NULL, OPT_PROGRESS },
		{ 0, 0, 0, 0 }
	};
	int c;

	o->timeout_ms = 5000;
	o->max_parallel = 0;
	o->spread_pct = 100;
	while ((c = getopt_long(argc, argv, "t:j:", longs, NULL)) != -1) {
		switch (c) {
		case 't': o->timeout_ms = parse_num(optarg); break;
		case 'j': o->max_parallel = (size_t)parse_num(optarg); break;
		case OPT_CACERT: o->cacert = optarg; break;
		case OPT_FRESH: o->fresh = true; break;
		case OPT_KEEP: o->keep = true; break;
		case OPT_INTERVAL: o->interval_ms = parse_num(optarg); break;
		case OPT_DURATION: o->duration_ms = parse_num(optarg); break;
		case OPT_SPREAD: o->spread_pct = parse_num(optarg); break;
		case OPT_PROGRESS: o->progress_ms = parse_num(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || (!o->interval_ms != !o->duration_ms) ||
	    o->spread_pct > 100 || (o->progress_ms && !o->interval_ms))
		usage();
	o->url_file = argv[optind];
}

/* Raises the soft fd limit to the hard one, as uptop does; returns it. */
static size_t raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : (size_t)rl.rlim_cur;
}

int main(int argc, char **argv)
{
	struct app a;
	struct pollfd *fired;
	size_t nofile;
	int64_t t0;

	memset(&a, 0, sizeof(a));
	parse_args(argc, argv, &a.o);
	nofile = raise_nofile();
	/* Leave room for stdio and curl's internal fds below the limit. */
	if (!a.o.max_parallel || a.o.max_parallel > nofile - 64)
		a.o.max_parallel = nofile - 64;
	a.urls = read_urls(a.o.url_file, &a.nurls);
	if (!a.nurls)
		die("no URLs");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die("curl_global_init failed");
	a.multi = curl_multi_init();
	a.curl_deadline = -1;
	fdset_init(&a.fds, nofile);
	fired = xcalloc(nofile, sizeof(*fired));
	curl_multi_setopt(a.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(a.multi, CURLMOPT_SOCKETDATA, &a);
	curl_multi_setopt(a.multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(a.multi, CURLMOPT_TIMERDATA, &a);
	/* One idle connection per URL may stay cached for the next round. */
	curl_multi_setopt(a.multi, CURLMOPT_MAXCONNECTS,
			  (long)(a.nurls < a.o.max_parallel ? a.nurls :
				 a.o.max_parallel));

	t0 = now_ms();
	if (a.o.interval_ms)
		run_steady(&a, fired);
	else
		run_once(&a, fired);
	printf("{\"type\":\"summary\",\"checks\":%llu,\"ok\":%llu,\"failed\":%llu,"
	       "\"overdue\":%llu,\"wall_s\":%.3f,\"cpu_s\":%.3f}\n",
	       (unsigned long long)a.checks, (unsigned long long)a.ok,
	       (unsigned long long)a.failed, (unsigned long long)a.overdue,
	       (double)(now_ms() - t0) / 1000.0, cpu_s());
	fflush(stdout);

	/* Teardown order: detach every transfer (steady mode stops with some
	 * in flight), clean up the multi (its socket callback may still fire
	 * in there, so the poll set lives until after), then the handles. */
	for (struct xfer *x = a.all; x; x = x->next_all)
		curl_multi_remove_handle(a.multi, x->easy);
	curl_multi_cleanup(a.multi);
	while (a.all) {
		struct xfer *x = a.all;

		a.all = x->next_all;
		curl_easy_cleanup(x->easy);
		free(x);
	}
	curl_global_cleanup();
	for (size_t i = 0; i < a.nurls; i++)
		free(a.urls[i]);
	free(a.urls);
	free(a.busy);
	free(a.fds.pfd);
	free(a.fds.slot_of);
	free(fired);
	return 0;
}
