/* metrics_http.c - GET /metrics from the loop, on libmicrohttpd (the only
 * includer of microhttpd.h), and the one-shot writer for --once.
 *
 * libmicrohttpd runs in its external epoll mode (MHD_USE_EPOLL without a
 * thread): it keeps its listening and client sockets in an epoll set of
 * its own, and that one epoll fd joins our poll(). We chose epoll over
 * MHD_get_fdset2 + select-style fd sets because uptop raises its fd limit
 * to tens of thousands and curl's sockets take the low numbers: a scrape
 * arriving while 10,000 checks run gets an fd far above FD_SETSIZE (1024),
 * which an fd_set cannot hold. One fd also means nothing to add or remove
 * per connection.
 *
 * When the epoll fd is readable, or MHD's own deadline comes (a loop
 * timer armed from MHD_get_timeout), we call MHD_run until MHD has nothing
 * ready or 2 ms are spent; MHD_get_timeout says 0 while a client can take
 * more, and the timer brings us back next turn. Each MHD_run sends at
 * most one buffer per connection, and the body comes from
 * metrics_expo_fill a buffer at a time, so a scrape of any size is spread
 * over turns and never holds the loop. Sockets are non-blocking; MHD
 * never waits. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alert.h"
#include "config.h"
#include "engine.h"
#include "log.h"
#include "loop.h"
#include "sched.h"
#include "stats.h"
#include "target.h"
#include "util.h"

#define RUN_BUDGET_US 2000        /* MHD_run calls per turn, at most */
#define BLOCK_SIZE (64 * 1024)    /* body bytes per write */
#define CONN_MEMORY (256 * 1024)  /* per connection, the write buffer in it */
#define MAX_CONNECTIONS 32
#define MAX_SCRAPES 4             /* bodies being written at once */
#define IDLE_TIMEOUT_S 30

struct metrics {
	struct loop *loop;
	struct engine *engine;
	const struct alert *alert;  /* NULL: no alerts (--no-alerts) */
	struct MHD_Daemon *d;
	int epfd;
	int port;
	struct loop_timer timer;
	unsigned gen;             /* bumped by a reload */
	unsigned scrapes;         /* responses being written */
	char where[80];           /* "127.0.0.1:9100", for the log */
};

/* One response being written. */
struct scrape {
	struct metrics *m;
	struct metrics_expo *x;
	unsigned gen;
	int64_t start_us;
	uint64_t bytes;
	bool done;
};

/* ---- what a scrape shows -------------------------------------------------- */

static void global_fill(const struct engine *e, const struct loop *l,
			const struct alert *a, struct metrics_global *g)
{
	static const double q[3] = { 0.5, 0.9, 0.99 };
	const struct lagstat *lag = loop_lag(l);
	const struct sched_stats *s = engine_sched_stats(e);
	int64_t now = mono_ms();

	memset(g, 0, sizeof(*g));
	for (int k = 0; k < 3; k++)
		g->lag_q[k] = lagstat_quantile(lag, q[k], now, 1) / 1000.0;
	g->lag_sum_s = lag->sum_ms / 1000.0;
	g->lag_count = lag->n;
	g->now_wall = wall_ms();
	g->overdue = s->overdue;
	g->in_flight = s->in_flight;
	g->queued = s->queued;
	/* The engine keeps the open outage's number in the model, set and
	 * cleared where it sends EV_OUTAGE start and end. */
	g->outage_active = engine_model(e)->outage != 0;
	if (a) {
		struct alert_stats as;

		alert_stats(a, &as);
		g->alerts_sent = as.sent;
		g->alerts_failed = as.failed;
		g->alerts_dropped = as.dropped;
	}
}

int metrics_write(FILE *f, const struct engine *e, const struct loop *l)
{
	struct metrics_global g;
	struct metrics_expo *x;
	char buf[BLOCK_SIZE];
	size_t n;
	int rc = 0;

	global_fill(e, l, NULL, &g);
	g.once = true;
	x = metrics_expo_new(engine_model(e), &g);
	while (rc == 0 && (n = metrics_expo_fill(x, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, f) != n)
			rc = -1;
	metrics_expo_free(x);
	if (fflush(f) != 0)
		rc = -1;
	return rc;
}

const char *metrics_version(void)
{
	static char v[64];

	if (!v[0])
		snprintf(v, sizeof(v), "libmicrohttpd/%s", MHD_get_version());
	return v;
}

/* ---- the HTTP side --------------------------------------------------------- */

static ssize_t scrape_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct scrape *s = cls;
	size_t n;

	(void)pos;
	/* A reload freed the targets this scrape was reading. */
	if (s->gen != s->m->gen)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = metrics_expo_fill(s->x, buf, max);
	if (!n) {
		s->done = true;
		return MHD_CONTENT_READER_END_OF_STREAM;
	}
	s->bytes += n;
	return (ssize_t)n;
}

static void scrape_free(void *cls)
{
	struct scrape *s = cls;

	log_debug("metrics: scrape %s after %llu bytes, %.1f ms",
		  s->done ? "sent" : "cut", (unsigned long long)s->bytes,
		  (double)(mono_us() - s->start_us) / 1000.0);
	s->m->scrapes--;
	metrics_expo_free(s->x);
	free(s);
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
				  const char *text, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply_metrics(struct metrics *m, struct MHD_Connection *c)
{
	struct metrics_global g;
	struct scrape *s;
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (m->scrapes >= MAX_SCRAPES)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "uptop: too many scrapes at once; try again\n", NULL);
	s = xcalloc(1, sizeof(*s));
	s->m = m;
	s->gen = m->gen;
	s->start_us = mono_us();
	global_fill(m->engine, m->loop, m->alert, &g);
	s->x = metrics_expo_new(engine_model(m->engine), &g);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK_SIZE, scrape_read, s,
					      scrape_free);
	if (!r) {
		metrics_expo_free(s->x);
		free(s);
		return MHD_NO;
	}
	m->scrapes++;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **state)
{
	static int seen;
	struct metrics *m = cls;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;

	(void)version;
	(void)upload;
	if (!get && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "uptop: only GET and HEAD\n", "GET, HEAD");
	/* The headers have come; a GET's body (if any) is read and dropped. */
	if (!*state) {
		*state = &seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return reply_metrics(m, c);
	if (strcmp(url, "/") == 0)
		return reply_text(c, MHD_HTTP_OK, "uptop: metrics at /metrics\n", NULL);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "uptop: not found; metrics at /metrics\n", NULL);
}

/* MHD's own messages go to the debug log: never the terminal. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	if (!log_enabled())
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_write("metrics: libmicrohttpd: %s", msg);
}

/* ---- the loop -------------------------------------------------------------- */

static void service(struct metrics *m)
{
	int64_t until = mono_us() + RUN_BUDGET_US;
	MHD_UNSIGNED_LONG_LONG to = 0;
	bool pending;

	do {
		if (MHD_run(m->d) != MHD_YES)
			log_debug("metrics: MHD_run failed");
		pending = MHD_get_timeout(m->d, &to) == MHD_YES;
	} while (pending && to == 0 && mono_us() < until);
	if (!pending)
		loop_timer_disarm(&m->timer);
	else
		loop_timer_arm(&m->timer, mono_ms() + (int64_t)(to > 86400000 ? 86400000 : to));
}

static void on_epoll(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	service(arg);
}

static void on_timer(void *arg)
{
	service(arg);
}

static int listen_on(const struct listen_addr *at, char *err, size_t elen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;

	memset(&ss, 0, sizeof(ss));
	if (at->v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)at->port);
		inet_pton(AF_INET6, at->host, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)at->port);
		inet_pton(AF_INET, at->host, &a->sin_addr);
		len = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, elen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 64) != 0) {
		snprintf(err, elen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct metrics *metrics_new(struct loop *l, struct engine *e,
			    const struct listen_addr *at, const char *origin,
			    struct diag *errs, struct diag *warns)
{
	struct metrics *m = xcalloc(1, sizeof(*m));
	const union MHD_DaemonInfo *info;
	char err[160];
	int fd;

	m->loop = l;
	m->engine = e;
	m->port = at->port;
	snprintf(m->where, sizeof(m->where), at->v6 ? "[%s]:%d" : "%s:%d", at->host, at->port);
	fd = listen_on(at, err, sizeof(err));
	if (fd < 0) {
		diag_addf(errs, "uptop: %s %s: cannot listen: %s", origin, m->where, err);
		free(m);
		return NULL;
	}
	m->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				on_request, m,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				MHD_OPTION_END);
	info = m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		diag_addf(errs, "uptop: %s %s: libmicrohttpd could not start (its epoll "
				"mode is needed)", origin, m->where);
		if (m->d)
			MHD_stop_daemon(m->d);
		else
			close(fd);
		free(m);
		return NULL;
	}
	m->epfd = info->epoll_fd;
	if (!at->loopback)
		diag_addf(warns, "uptop: warning: %s %s: /metrics is reachable from other "
				 "machines, and shows every target's name and URL (credentials "
				 "removed); :PORT listens on 127.0.0.1 only", origin, m->where);
	loop_fd_set(l, m->epfd, POLLIN, on_epoll, m);
	loop_timer_add(l, &m->timer, on_timer, m);
	service(m);
	log_debug("metrics: serving http://%s/metrics (libmicrohttpd %s, epoll fd %d)",
		  m->where, MHD_get_version(), m->epfd);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	loop_fd_del(m->loop, m->epfd);
	loop_timer_del(m->loop, &m->timer);
	/* Closes the connections (freeing their scrapes), the listening
	 * socket and the epoll fd. */
	MHD_stop_daemon(m->d);
	free(m);
}

void metrics_reload(struct metrics *m)
{
	if (!m)
		return;
	m->gen++;
	log_debug("metrics: reload: %u scrape%s in progress cut", m->scrapes,
		  m->scrapes == 1 ? "" : "s");
}

void metrics_set_alert(struct metrics *m, const struct alert *a)
{
	m->alert = a;
}

int metrics_port(const struct metrics *m)
{
	return m->port;
}
