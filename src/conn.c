/* conn.c - TCP checks on the loop: connect, send, read until the expected
 * text. See conn.h for the contract.
 *
 * Each check is a small state machine on one non-blocking socket (connect
 * -> send -> read), its deadline in a min-heap under one loop timer.
 * Checks are pooled; a finished one goes back to the pool after its
 * callback (the reply it hands out lives in it until then). */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#define ADDRS_MAX 16
#define READ_CHUNK 4096
#define QUOTE_COLS 40
#define WHERE_LEN 176

enum phase { PH_CONNECT, PH_SEND, PH_READ };

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct tcpx {
	struct conn *c;
	void *user;
	struct tcpx *next;        /* the pool, or the queue of ends to report */
	uint32_t gen;             /* bumped at each start: stale deadlines skip */
	bool active;
	bool starting;            /* inside conn_start: an end waits for the drain */
	bool queued;              /* ended; waits for the drain timer */
	enum phase phase;
	int fd;
	union addr addr[ADDRS_MAX];
	int naddr, at;            /* addresses, and the next one to try */
	int err;                  /* the last connect's errno */
	char ip[RESULT_IP_LEN];   /* the address tried last */
	const char *host;         /* the caller's, valid until the callback */
	int port;
	const char *send, *expect;
	size_t send_len, sent, expect_len, max_read;
	bool capture;
	char *buf;                /* the reply read so far, NUL-terminated */
	size_t len, cap;
	int64_t start_us, connected_us, sent_us, first_us;
	struct result r;          /* the outcome, built when it ends */
};

struct heapent {
	int64_t due_ms;
	struct tcpx *x;
	uint32_t gen;
};

struct conn {
	struct loop *loop;
	conn_done_cb done;
	void *arg;
	struct loop_timer timer;  /* the nearest deadline */
	struct loop_timer drain;  /* reports ends that happened inside conn_start */
	struct tcpx **all;        /* every check ever made, for teardown */
	size_t nall, capall;
	struct tcpx *free_list;
	struct tcpx *ended, *ended_tail;
	struct heapent *heap;
	size_t heap_n, heap_cap;
};

static void on_fd(int fd, short revents, void *arg);

/* ---- deadlines ------------------------------------------------------------ */

static void heap_push(struct conn *c, struct heapent e)
{
	size_t i;

	c->heap = xreallocarray_grow(c->heap, &c->heap_cap, c->heap_n + 1, sizeof(*c->heap));
	for (i = c->heap_n++; i > 0 && e.due_ms < c->heap[(i - 1) / 2].due_ms; i = (i - 1) / 2)
		c->heap[i] = c->heap[(i - 1) / 2];
	c->heap[i] = e;
}

static void heap_pop(struct conn *c)
{
	struct heapent last = c->heap[--c->heap_n];
	size_t i = 0, k;

	while ((k = 2 * i + 1) < c->heap_n) {
		if (k + 1 < c->heap_n && c->heap[k + 1].due_ms < c->heap[k].due_ms)
			k++;
		if (last.due_ms <= c->heap[k].due_ms)
			break;
		c->heap[i] = c->heap[k];
		i = k;
	}
	if (c->heap_n)
		c->heap[i] = last;
}

static bool heap_live(const struct heapent *e)
{
	return e->x->active && !e->x->queued && e->x->gen == e->gen;
}

/* The timer follows the nearest live deadline; stale tops are dropped. */
static void timer_rearm(struct conn *c)
{
	while (c->heap_n && !heap_live(&c->heap[0]))
		heap_pop(c);
	if (c->heap_n)
		loop_timer_arm(&c->timer, c->heap[0].due_ms);
	else
		loop_timer_disarm(&c->timer);
}

/* ---- ending a check ------------------------------------------------------- */

static void sock_close(struct tcpx *x)
{
	if (x->fd >= 0) {
		loop_fd_del(x->c->loop, x->fd);
		close(x->fd);
		x->fd = -1;
	}
}

static void release(struct tcpx *x)
{
	struct conn *c = x->c;

	if (x->cap > 64 * 1024) {
		free(x->buf);
		x->buf = NULL;
		x->cap = 0;
	}
	x->active = false;
	x->user = NULL;
	x->host = NULL;
	x->next = c->free_list;
	c->free_list = x;
}

static double ms_since(int64_t from_us, int64_t to_us)
{
	return from_us && to_us > from_us ? (double)(to_us - from_us) / 1000.0 : 0;
}

/* The outcome goes to the callback now, or from the drain timer when the
 * check ended inside conn_start. */
static void finish(struct tcpx *x)
{
	struct conn *c = x->c;
	struct result *r = &x->r;
	struct resp_view v = { 0 };
	size_t nl;

	sock_close(x);
	r->t.connect_ms = ms_since(x->start_us, x->connected_us);
	r->t.ttfb_ms = ms_since(x->sent_us ? x->sent_us : x->connected_us, x->first_us);
	r->bytes = x->len;
	snprintf(r->remote_ip, sizeof(r->remote_ip), "%s", x->ip);
	if (x->len) {
		nl = strcspn(x->buf, "\r\n");
		result_quote(r->answer, sizeof(r->answer), (const unsigned char *)x->buf,
			     nl < x->len ? nl : x->len, sizeof(r->answer) - 4);
	}
	if (x->starting) {
		x->queued = true;
		x->next = NULL;
		if (c->ended_tail)
			c->ended_tail->next = x;
		else
			c->ended = x;
		c->ended_tail = x;
		loop_timer_arm(&c->drain, mono_ms());
		return;
	}
	if (x->capture) {
		v.body = x->buf ? x->buf : "";
		v.body_len = x->len;
	}
	x->active = false;
	c->done(c->arg, r, &v, x->user);
	release(x);
}

static void on_drain(void *arg)
{
	struct conn *c = arg;

	while (c->ended) {
		struct tcpx *x = c->ended;

		c->ended = x->next;
		if (!c->ended)
			c->ended_tail = NULL;
		x->queued = false;
		finish(x);
	}
}

static void where_text(const struct tcpx *x, char *buf, size_t len)
{
	result_where(buf, len, x->host, x->port, x->ip);
}

/* "22 bytes read: \"220 smtp.example ESMTP\"" or "no reply". */
static void got_text(const struct tcpx *x, char *buf, size_t len)
{
	char q[QUOTE_COLS + 8], n[32];

	if (!x->len) {
		snprintf(buf, len, "no reply");
		return;
	}
	result_quote(q, sizeof(q), (const unsigned char *)x->buf, x->len, QUOTE_COLS);
	result_group_digits(n, sizeof(n), x->len);
	snprintf(buf, len, "%s byte%s read: \"%s\"", n, x->len == 1 ? "" : "s", q);
}

static void fail_timeout(struct tcpx *x)
{
	struct result *r = &x->r;
	double took = (double)(mono_us() - x->start_us) / 1000.0;
	char where[WHERE_LEN], got[96], want[80];

	if (x->phase == PH_CONNECT) {
		where_text(x, where, sizeof(where));
		r->cls = EC_CONNECT_TIMEOUT;
		snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms connecting to %s", took,
			 where);
	} else if (x->phase == PH_SEND) {
		r->cls = EC_TIMEOUT;
		snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms sending (%zu of %zu "
			 "bytes sent)", took, x->sent, x->send_len);
	} else {
		r->cls = EC_TIMEOUT;
		got_text(x, got, sizeof(got));
		if (x->expect) {
			result_quote(want, sizeof(want), (const unsigned char *)x->expect,
				     x->expect_len, 40);
			snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms waiting for "
				 "\"%s\" (%s)", took, want, got);
		} else {
			snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms waiting for a "
				 "reply", took);
		}
		r->connected = x->len > 0;
	}
	finish(x);
}

static void fail_reset(struct tcpx *x, int err, const char *when)
{
	struct result *r = &x->r;
	char n[32];

	r->cls = EC_RESET;
	r->connected = false;
	if (!err && !x->len) {
		snprintf(r->msg, sizeof(r->msg), "connection closed without a reply");
	} else if (x->len) {
		result_group_digits(n, sizeof(n), x->len);
		snprintf(r->msg, sizeof(r->msg), "connection reset after %s byte%s", n,
			 x->len == 1 ? "" : "s");
	} else {
		snprintf(r->msg, sizeof(r->msg), "connection reset %s", when);
	}
	if (err)
		snprintf(r->detail, sizeof(r->detail), "%s", strerror(err));
	finish(x);
}

/* The reply ended (closed, or max_read read) without the expected text. */
static void fail_mismatch(struct tcpx *x, bool capped)
{
	struct result *r = &x->r;
	char want[48], got[96];

	result_quote(want, sizeof(want), (const unsigned char *)x->expect, x->expect_len, 40);
	got_text(x, got, sizeof(got));
	r->cls = EC_BODY;
	r->connected = true;
	snprintf(r->msg, sizeof(r->msg), "\"%s\" not found in the reply (%s%s)", want, got,
		 capped ? ", stopped at max_body" : "");
	finish(x);
}

static void succeed(struct tcpx *x)
{
	x->r.cls = EC_NONE;
	x->r.connected = true;
	finish(x);
}

/* ---- the steps ------------------------------------------------------------ */

static void want(struct tcpx *x, short events)
{
	loop_fd_set(x->c->loop, x->fd, events, on_fd, x);
}

static void step_read(struct tcpx *x);

static void step_send(struct tcpx *x)
{
	while (x->sent < x->send_len) {
		ssize_t n = send(x->fd, x->send + x->sent, x->send_len - x->sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want(x, POLLOUT);
			return;
		}
		if (n < 0) {
			fail_reset(x, errno, "while sending");
			return;
		}
		x->sent += (size_t)n;
	}
	x->sent_us = mono_us();
	x->phase = PH_READ;
	step_read(x);
}

static void connected(struct tcpx *x)
{
	x->connected_us = mono_us();
	if (x->send) {
		x->phase = PH_SEND;
		step_send(x);
	} else if (x->expect) {
		x->phase = PH_READ;
		want(x, POLLIN);
	} else {
		succeed(x);
	}
}

/* Is the expected text in the reply? Only the bytes that came with the
 * last read, and the expect_len - 1 before them, can start a new match. */
static bool expect_found(const struct tcpx *x, size_t before)
{
	size_t from = before >= x->expect_len ? before - x->expect_len + 1 : 0;

	return memmem(x->buf + from, x->len - from, x->expect, x->expect_len) != NULL;
}

static void step_read(struct tcpx *x)
{
	for (;;) {
		size_t room = x->max_read - x->len, before = x->len;
		ssize_t n;

		if (x->cap < x->len + READ_CHUNK + 1 && x->cap < x->max_read + 1) {
			size_t cap = x->len + READ_CHUNK + 1;

			if (cap > x->max_read + 1)
				cap = x->max_read + 1;
			x->buf = xrealloc(x->buf, cap);
			x->cap = cap;
		}
		if (room > x->cap - 1 - x->len)
			room = x->cap - 1 - x->len;
		n = recv(x->fd, x->buf + x->len, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want(x, POLLIN);
			return;
		}
		if (n < 0) {
			fail_reset(x, errno, "before any reply");
			return;
		}
		if (n == 0) {
			if (!x->len)
				fail_reset(x, 0, "");
			else if (x->expect)
				fail_mismatch(x, false);
			else
				succeed(x);
			return;
		}
		if (!x->first_us)
			x->first_us = mono_us();
		x->len += (size_t)n;
		x->buf[x->len] = '\0';
		/* send: alone waits for the first bytes of a reply, as Gatus reads one */
		if (!x->expect || expect_found(x, before)) {
			succeed(x);
			return;
		}
		if (x->len >= x->max_read) {
			fail_mismatch(x, true);
			return;
		}
	}
}

static void addr_text(const union addr *a, char *buf, size_t len)
{
	if (a->sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &a->v6.sin6_addr, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &a->v4.sin_addr, buf, (socklen_t)len);
}

/* The next address, until one connects or none is left. */
static void try_next(struct tcpx *x)
{
	char where[WHERE_LEN];

	while (x->at < x->naddr) {
		union addr *a = &x->addr[x->at++];
		socklen_t alen = a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
		int fd;

		addr_text(a, x->ip, sizeof(x->ip));
		fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			x->err = errno;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				break;
			continue;
		}
		if (connect(fd, &a->sa, alen) == 0) {
			x->fd = fd;
			connected(x);
			return;
		}
		if (errno == EINPROGRESS) {
			x->fd = fd;
			want(x, POLLOUT);
			return;
		}
		x->err = errno;
		close(fd);
	}
	where_text(x, where, sizeof(where));
	result_connect_error(&x->r, x->err, where);
	if (log_enabled())
		log_write("conn: %s:%d: connect failed, errno %d (%s) -> %s", x->host, x->port,
			  x->err, strerror(x->err), eclass_name(x->r.cls));
	finish(x);
}

static void on_fd(int fd, short revents, void *arg)
{
	struct tcpx *x = arg;
	int err = 0;
	socklen_t elen = sizeof(err);

	if (!x->active || fd != x->fd)
		return;
	if (x->phase == PH_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (!err && !(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		if (err) {
			x->err = err;
			sock_close(x);
			try_next(x);
			return;
		}
		connected(x);
	} else if (x->phase == PH_SEND) {
		step_send(x);
	} else {
		step_read(x);
	}
}

static void on_timer(void *arg)
{
	struct conn *c = arg;
	int64_t now = mono_ms();

	while (c->heap_n && c->heap[0].due_ms <= now) {
		struct heapent e = c->heap[0];

		heap_pop(c);
		if (heap_live(&e))
			fail_timeout(e.x);
	}
	timer_rearm(c);
}

/* ---- public --------------------------------------------------------------- */

/* "127.0.0.1,[::1]" -> sockaddrs with the port; how many. */
static int addrs_parse(const char *list, int port, union addr *out)
{
	int n = 0;

	for (const char *p = list; *p && n < ADDRS_MAX;) {
		size_t len = strcspn(p, ",");
		char ip[64];
		union addr *a = &out[n];

		if (len && len < sizeof(ip)) {
			bool v6 = p[0] == '[';

			snprintf(ip, sizeof(ip), "%.*s", (int)(v6 ? len - 2 : len), v6 ? p + 1 : p);
			memset(a, 0, sizeof(*a));
			if (v6 && inet_pton(AF_INET6, ip, &a->v6.sin6_addr) == 1) {
				a->v6.sin6_family = AF_INET6;
				a->v6.sin6_port = htons((uint16_t)port);
				n++;
			} else if (!v6 && inet_pton(AF_INET, ip, &a->v4.sin_addr) == 1) {
				a->v4.sin_family = AF_INET;
				a->v4.sin_port = htons((uint16_t)port);
				n++;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return n;
}

static struct tcpx *xget(struct conn *c)
{
	struct tcpx *x = c->free_list;

	if (x) {
		c->free_list = x->next;
	} else {
		x = xcalloc(1, sizeof(*x));
		x->c = c;
		c->all = xreallocarray_grow(c->all, &c->capall, c->nall + 1, sizeof(*c->all));
		c->all[c->nall++] = x;
	}
	x->gen++;
	x->fd = -1;
	x->at = x->naddr = 0;
	x->err = 0;
	x->ip[0] = '\0';
	x->len = x->sent = 0;
	x->connected_us = x->sent_us = x->first_us = 0;
	x->phase = PH_CONNECT;
	memset(&x->r, 0, sizeof(x->r));
	return x;
}

struct tcpx *conn_start(struct conn *c, const struct conn_req *q, void *user,
			struct result *r)
{
	struct tcpx *x = xget(c);

	x->naddr = addrs_parse(q->addrs ? q->addrs : "", q->port, x->addr);
	if (!x->naddr) {
		r->cls = EC_LOCAL;
		snprintf(r->msg, sizeof(r->msg), "no address to connect to");
		x->next = c->free_list;
		c->free_list = x;
		return NULL;
	}
	x->user = user;
	x->host = q->host;
	x->port = q->port;
	x->send = q->send;
	x->send_len = q->send ? strlen(q->send) : 0;
	x->expect = q->expect;
	x->expect_len = q->expect ? strlen(q->expect) : 0;
	if (!x->expect_len)
		x->expect = NULL;
	x->max_read = q->max_read ? q->max_read : 1;
	x->capture = q->capture;
	x->active = true;
	x->start_us = mono_us();
	heap_push(c, (struct heapent){ x->start_us / 1000 + (q->timeout_ms > 0 ? q->timeout_ms : 1),
				       x, x->gen });
	timer_rearm(c);
	/* An end inside this call (refused at once, out of fds) is reported
	 * by the drain timer, never from here; the handle stays live till then. */
	x->starting = true;
	try_next(x);
	x->starting = false;
	return x;
}

void conn_cancel(struct conn *c, struct tcpx *x)
{
	if (!x || !x->active)
		return;
	sock_close(x);
	if (x->queued) {
		struct tcpx **pp = &c->ended, *prev = NULL;

		while (*pp != x) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		*pp = x->next;
		if (c->ended_tail == x)
			c->ended_tail = prev;
		x->queued = false;
	}
	release(x);
	timer_rearm(c);
}

struct conn *conn_new(struct loop *l, conn_done_cb done, void *arg)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->done = done;
	c->arg = arg;
	loop_timer_add(l, &c->timer, on_timer, c);
	loop_timer_add(l, &c->drain, on_drain, c);
	return c;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nall; i++) {
		sock_close(c->all[i]);
		free(c->all[i]->buf);
		free(c->all[i]);
	}
	free(c->all);
	free(c->heap);
	loop_timer_del(c->loop, &c->timer);
	loop_timer_del(c->loop, &c->drain);
	free(c);
}
