/* resolve.c - c-ares driven by the loop, answers cached by TTL.
 *
 * Costs: a lookup is O(1) on a cache hit (hash on the name); a miss starts
 * at most one query per name however many checks wait for it. Waiters'
 * deadlines live in a min-heap, so expiring them is O(log w). */
#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "log.h"
#include "loop.h"
#include "util.h"

#define TTL_MIN_MS 10000
#define TTL_MAX_MS 3600000
#define NEG_TTL_MS 5000

struct wref {
	uint32_t idx, gen;
};

struct name {
	struct resolve *owner;
	char *host;
	int64_t expires_ms;         /* cached answer valid until; 0: none */
	struct resolve_answer ans;
	bool querying;
	int64_t query_start_ms;
	struct wref *waiters;
	size_t nw, capw;
};

struct waiter {
	uint32_t gen;
	bool live;
	int64_t deadline_ms;
	resolve_cb cb;
	void *arg;
	struct name *name;
};

struct heapent {
	int64_t deadline_ms;
	struct wref w;
};

struct resolve {
	struct loop *loop;
	ares_channel ch;
	struct loop_timer timer;
	struct name **tab;          /* open addressing, power-of-two size */
	size_t tab_cap, tab_n;
	struct waiter *w;           /* slab; free slots chained via free_ */
	uint32_t *free_;
	size_t wcap, nfree;
	struct heapent *heap;
	size_t heap_n, heap_cap;
	bool closing;
};

static void rearm(struct resolve *r);

/* --- name table ---------------------------------------------------- */

static struct name **tab_slot(struct resolve *r, const char *host)
{
	size_t mask = r->tab_cap - 1, i = hash_fnv1a(host) & mask;

	while (r->tab[i] && strcmp(r->tab[i]->host, host) != 0)
		i = (i + 1) & mask;
	return &r->tab[i];
}

static void tab_grow(struct resolve *r)
{
	struct name **old = r->tab;
	size_t oldcap = r->tab_cap;

	r->tab_cap = oldcap ? oldcap * 2 : 256;
	r->tab = xcalloc(r->tab_cap, sizeof(*r->tab));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*tab_slot(r, old[i]->host) = old[i];
	free(old);
}

static struct name *name_get(struct resolve *r, const char *host)
{
	struct name **slot;

	if ((r->tab_n + 1) * 2 > r->tab_cap)
		tab_grow(r);
	slot = tab_slot(r, host);
	if (!*slot) {
		*slot = xcalloc(1, sizeof(**slot));
		(*slot)->host = xstrdup(host);
		(*slot)->owner = r;
		r->tab_n++;
	}
	return *slot;
}

/* --- waiters and their deadline heap ------------------------------ */

static bool heap_less(const struct heapent *a, const struct heapent *b)
{
	return a->deadline_ms < b->deadline_ms;
}

static void heap_push(struct resolve *r, struct heapent e)
{
	size_t i;

	r->heap = xreallocarray_grow(r->heap, &r->heap_cap, r->heap_n + 1,
				     sizeof(*r->heap));
	i = r->heap_n++;
	while (i > 0 && heap_less(&e, &r->heap[(i - 1) / 2])) {
		r->heap[i] = r->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	r->heap[i] = e;
}

static void heap_pop(struct resolve *r)
{
	struct heapent last = r->heap[--r->heap_n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= r->heap_n)
			break;
		if (c + 1 < r->heap_n && heap_less(&r->heap[c + 1], &r->heap[c]))
			c++;
		if (!heap_less(&r->heap[c], &last))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (r->heap_n)
		r->heap[i] = last;
}

static struct waiter *waiter_get(struct resolve *r, struct wref w)
{
	if (w.idx >= r->wcap || r->w[w.idx].gen != w.gen || !r->w[w.idx].live)
		return NULL;
	return &r->w[w.idx];
}

static struct wref waiter_new(struct resolve *r)
{
	struct wref ref;

	if (!r->nfree) {
		size_t old = r->wcap, cap = old ? old * 2 : 64;

		r->w = xrealloc(r->w, cap * sizeof(*r->w));
		r->free_ = xrealloc(r->free_, cap * sizeof(*r->free_));
		memset(r->w + old, 0, (cap - old) * sizeof(*r->w));
		for (size_t i = cap; i > old; i--)
			r->free_[r->nfree++] = (uint32_t)(i - 1);
		r->wcap = cap;
	}
	ref.idx = r->free_[--r->nfree];
	ref.gen = ++r->w[ref.idx].gen;
	r->w[ref.idx].live = true;
	return ref;
}

static void waiter_release(struct resolve *r, struct waiter *w)
{
	w->live = false;
	w->gen++;
	r->free_[r->nfree++] = (uint32_t)(w - r->w);
}

static uint64_t wref_pack(struct wref w)
{
	return (uint64_t)w.gen << 32 | w.idx;
}

void resolve_cancel(struct resolve *r, uint64_t waiter)
{
	struct wref ref = { (uint32_t)waiter, (uint32_t)(waiter >> 32) };
	struct waiter *w = waiter_get(r, ref);

	if (w)
		waiter_release(r, w);
}

/* --- answers ------------------------------------------------------- */

static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			  ip, sizeof(ip));
		snprintf(buf, len, "[%s]", ip);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  ip, sizeof(ip));
		snprintf(buf, len, "%s", ip);
	}
}

static const char *ares_reason(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		return "no such name";
	case ARES_ESERVFAIL:
		return "server failure";
	case ARES_EREFUSED:
		return "query refused by the DNS server";
	case ARES_ETIMEOUT:
		return "no answer from the DNS servers";
	case ARES_ECONNREFUSED:
		return "could not contact the DNS servers";
	default:
		return ares_strerror(status);
	}
}

/* Fills the answer from c-ares' result; returns its TTL in ms. */
static int64_t answer_fill(struct resolve_answer *a, const char *host,
			   int status, struct ares_addrinfo *res)
{
	int64_t ttl = TTL_MAX_MS;
	size_t at = 0;

	memset(a, 0, sizeof(*a));
	if (status != ARES_SUCCESS || !res || !res->nodes) {
		snprintf(a->err, sizeof(a->err), "cannot resolve '%s': %s", host,
			 status == ARES_SUCCESS ? "no addresses" :
						  ares_reason(status));
		return status == ARES_ENOTFOUND || status == ARES_ENODATA ?
			       NEG_TTL_MS : 0;
	}
	for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
		char one[INET6_ADDRSTRLEN + 3];
		size_t l;

		format_addr(n->ai_addr, one, sizeof(one));
		l = strlen(one);
		if (at + l + 2 > sizeof(a->addrs))
			break;
		if (at)
			a->addrs[at++] = ',';
		memcpy(a->addrs + at, one, l + 1);
		at += l;
		if ((int64_t)n->ai_ttl * 1000 < ttl)
			ttl = (int64_t)n->ai_ttl * 1000;
	}
	a->ok = true;
	return ttl < TTL_MIN_MS ? TTL_MIN_MS : ttl;
}

static void name_finish(struct resolve *r, struct name *nm)
{
	struct wref *ws = nm->waiters;
	size_t n = nm->nw;

	nm->waiters = NULL;
	nm->nw = nm->capw = 0;
	for (size_t i = 0; i < n; i++) {
		struct waiter *w = waiter_get(r, ws[i]);
		resolve_cb cb;
		void *arg;

		if (!w)
			continue;
		cb = w->cb;
		arg = w->arg;
		waiter_release(r, w);
		cb(&nm->ans, arg);
	}
	free(ws);
}

static void on_answer(void *arg, int status, int timeouts,
		      struct ares_addrinfo *res)
{
	struct name *nm = arg;
	int64_t ttl;

	if (nm->owner->closing) {
		if (res)
			ares_freeaddrinfo(res);
		return;
	}
	if (status != ARES_SUCCESS)
		log_debug("resolve: %s: c-ares %d (%s) after %d timeouts",
			  nm->host, status, ares_strerror(status), timeouts);
	ttl = answer_fill(&nm->ans, nm->host, status, res);
	if (res)
		ares_freeaddrinfo(res);
	nm->querying = false;
	nm->expires_ms = ttl ? mono_ms() + ttl : 0;
	name_finish(nm->owner, nm);
}

/* --- the loop's side ----------------------------------------------- */

static void on_sock_state(void *data, ares_socket_t fd, int readable,
			  int writable);

static void on_fd(int fd, short revents, void *arg)
{
	struct resolve *r = arg;
	bool rd = revents & (POLLIN | POLLERR | POLLHUP);
	bool wr = revents & POLLOUT;

	ares_process_fd(r->ch, rd ? fd : ARES_SOCKET_BAD,
			wr ? fd : ARES_SOCKET_BAD);
	rearm(r);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct resolve *r = data;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));

	if (ev)
		loop_fd_set(r->loop, fd, ev, on_fd, r);
	else
		loop_fd_del(r->loop, fd);
}

static void expire_waiters(struct resolve *r, int64_t now)
{
	while (r->heap_n && r->heap[0].deadline_ms <= now) {
		struct heapent e = r->heap[0];
		struct waiter *w = waiter_get(r, e.w);
		struct resolve_answer a;
		resolve_cb cb;
		void *arg;

		heap_pop(r);
		if (!w)
			continue;
		log_debug("resolve: %s: a check's deadline passed after %lld ms "
			  "of waiting; the query goes on", w->name->host,
			  (long long)(now - w->name->query_start_ms));
		memset(&a, 0, sizeof(a));
		a.timed_out = true;
		snprintf(a.err, sizeof(a.err),
			 "lookup of '%s' timed out after %lld ms", w->name->host,
			 (long long)(now - w->name->query_start_ms));
		cb = w->cb;
		arg = w->arg;
		waiter_release(r, w);
		cb(&a, arg);
	}
	/* Drop cancelled entries at the top so the timer is not armed for them. */
	while (r->heap_n && !waiter_get(r, r->heap[0].w))
		heap_pop(r);
}

static void on_timer(void *arg)
{
	struct resolve *r = arg;

	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	expire_waiters(r, mono_ms());
	rearm(r);
}

static void rearm(struct resolve *r)
{
	struct timeval tv, *t = ares_timeout(r->ch, NULL, &tv);
	int64_t due = INT64_MAX;

	if (t)
		due = mono_ms() + (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000;
	if (r->heap_n && r->heap[0].deadline_ms < due)
		due = r->heap[0].deadline_ms;
	loop_timer_arm(&r->timer, due);
}

/* --- public -------------------------------------------------------- */

struct resolve *resolve_new(struct loop *l, const char *servers,
			    struct diag *errs)
{
	struct resolve *r = xcalloc(1, sizeof(*r));
	struct ares_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = r;
	o.timeout = 2000;
	o.tries = 3;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc == ARES_SUCCESS)
		rc = ares_init_options(&r->ch, &o,
				       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
					       ARES_OPT_TRIES);
	if (rc != ARES_SUCCESS) {
		diag_addf(errs, "cannot start the DNS resolver: %s",
			  ares_strerror(rc));
		free(r);
		return NULL;
	}
	if (servers && *servers) {
		rc = ares_set_servers_ports_csv(r->ch, servers);
		if (rc != ARES_SUCCESS) {
			diag_addf(errs, "bad DNS server list '%s': %s", servers,
				  ares_strerror(rc));
			ares_destroy(r->ch);
			free(r);
			return NULL;
		}
	}
	r->loop = l;
	loop_timer_add(l, &r->timer, on_timer, r);
	return r;
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	r->closing = true;
	ares_destroy(r->ch);
	ares_library_cleanup();
	loop_timer_del(r->loop, &r->timer);
	for (size_t i = 0; i < r->tab_cap; i++) {
		if (!r->tab[i])
			continue;
		free(r->tab[i]->host);
		free(r->tab[i]->waiters);
		free(r->tab[i]);
	}
	free(r->tab);
	free(r->w);
	free(r->free_);
	free(r->heap);
	free(r);
}

static bool ends_with_label(const char *host, const char *label)
{
	size_t h = strlen(host), l = strlen(label);

	if (h && host[h - 1] == '.')
		h--;
	if (h < l || strncasecmp(host + h - l, label, l) != 0)
		return false;
	return h == l || host[h - l - 1] == '.';
}

/* Answers that need no query: IP literals, and the RFC 6761 special
 * names (localhost is loopback, .invalid never exists). */
static bool answer_special(const char *host, struct resolve_answer *a)
{
	unsigned char buf[sizeof(struct in6_addr)];
	size_t n = strlen(host);

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, host, buf) == 1) {
		a->ok = true;
		snprintf(a->addrs, sizeof(a->addrs), "%s", host);
		return true;
	}
	if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		char inner[INET6_ADDRSTRLEN];

		snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), host + 1);
		if (inet_pton(AF_INET6, inner, buf) == 1) {
			a->ok = true;
			snprintf(a->addrs, sizeof(a->addrs), "%s", host);
			return true;
		}
	}
	if (ends_with_label(host, "localhost")) {
		a->ok = true;
		snprintf(a->addrs, sizeof(a->addrs), "127.0.0.1,[::1]");
		return true;
	}
	if (ends_with_label(host, "invalid")) {
		snprintf(a->err, sizeof(a->err),
			 "cannot resolve '%s': no such name (.invalid never "
			 "resolves, RFC 6761)", host);
		return true;
	}
	return false;
}

bool resolve_lookup(struct resolve *r, const char *host, int64_t deadline_ms,
		    resolve_cb cb, void *arg, struct resolve_answer *now_answer,
		    uint64_t *waiter)
{
	struct name *nm;
	struct wref ref;
	struct waiter *w;
	int64_t now;

	if (answer_special(host, now_answer))
		return true;
	now = mono_ms();
	nm = name_get(r, host);
	if (!nm->querying && nm->expires_ms > now) {
		*now_answer = nm->ans;
		return true;
	}
	if (!nm->querying) {
		struct ares_addrinfo_hints hints;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = ARES_AI_NOSORT;
		nm->querying = true;
		nm->query_start_ms = now;
		ares_getaddrinfo(r->ch, host, NULL, &hints, on_answer, nm);
		/* The hosts file answers inside the call: no wait then. */
		if (!nm->querying) {
			*now_answer = nm->ans;
			return true;
		}
	}
	ref = waiter_new(r);
	w = &r->w[ref.idx];
	w->deadline_ms = deadline_ms;
	w->cb = cb;
	w->arg = arg;
	w->name = nm;
	nm->waiters = xreallocarray_grow(nm->waiters, &nm->capw, nm->nw + 1,
					 sizeof(*nm->waiters));
	nm->waiters[nm->nw++] = ref;
	heap_push(r, (struct heapent){ deadline_ms, ref });
	*waiter = wref_pack(ref);
	rearm(r);
	return false;
}

const char *resolve_version(void)
{
	static char buf[48];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "c-ares/%s", ares_version(NULL));
	return buf;
}
