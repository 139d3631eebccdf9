/* resolve.c - c-ares driven by the loop, answers cached by TTL.
 *
 * Costs: a lookup is O(1) on a cache hit (hash on the name); a miss starts
 * at most one query per name and rung however many checks wait for it.
 * Waiters' deadlines live in a min-heap, so expiring them is O(log w).
 * Idle names are swept a few table slots per lookup: O(1) amortised. */
#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
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
#include "resolve_priv.h"
#include "util.h"

#define TTL_MIN_MS 1000
#define TTL_MAX_MS 3600000
#define NEG_TTL_MS 5000
#define STALE_WAIT_MAX_MS 1000
#define IDLE_DEFAULT_MS (5 * 60 * 1000)
#define SWEEP_PER_LOOKUP 2
#define HOST_KEY_LEN 400            /* "name@server" */

/* Per-try timeouts, one c-ares channel each. c-ares doubles a query's
 * per-try timeout on every round over the server list; `tries` rounds
 * cover any time a check of that rung can have left (the top rung serves
 * long timeouts). */
#define RUNGS 6
static const int rung_ms[RUNGS] = { 50, 100, 200, 400, 800, 1600 };

struct wref {
	uint32_t idx, gen;
};

struct rung {
	struct resolve *r;
	ares_channel ch;
	int try_ms;
};

/* A server a target names (a DNS check's, Gatus' dns-resolver): its own
 * channels, made when first used, for the queries of DNS checks (every
 * rcode an answer: ARES_FLAG_NOCHECKRESP) and for lookups apart. */
struct resolve_server {
	struct resolve *r;
	char *spec;                 /* as given: the handle's key */
	struct ares_addr_port_node node;
	bool tcp;                   /* tcp:// */
	char name[INET6_ADDRSTRLEN + 10];   /* "127.0.0.1:5353" */
	char ip[INET6_ADDRSTRLEN];
	struct rung q[RUNGS], l[RUNGS];
	struct resolve_server *next;
};

struct name {
	struct resolve *owner;
	char *host;                 /* the table's key: the name, "@server" added
				     * for a server's own lookups */
	char *qname;                /* the name asked for */
	struct resolve_server *srv; /* NULL: the configured servers */
	uint64_t hash;
	char *addrs;                /* last good answer; NULL: none */
	int64_t expires_ms;         /* ... fresh until */
	int64_t neg_until_ms;       /* "no such name" cached until */
	int64_t recheck_ms;         /* a refresh failed: serve stale until */
	int64_t last_used_ms;
	int64_t query_start_ms;
	int fail_status;            /* c-ares status of the last failure */
	int inflight;               /* queries not answered yet */
	int try_ms;                 /* shortest per-try timeout among them */
	struct wref *waiters;
	size_t nw, capw;
};

struct waiter {
	uint32_t gen;
	bool live;
	bool stale_ok;              /* its heap entry is the stale wait */
	int64_t deadline_ms;        /* the check's */
	resolve_cb cb;
	void *arg;
	struct name *name;          /* a lookup's; NULL for a query */
	resolve_reply_cb qcb;       /* a query's */
	struct resolve_server *qsrv;
	int64_t sent_ms;
	int try_ms;
};

struct heapent {
	int64_t due_ms;
	struct wref w;
};

struct resolve {
	struct loop *loop;
	struct rung rungs[RUNGS];
	int nservers;
	struct loop_timer timer;
	struct name **tab;          /* open addressing, power-of-two size */
	size_t tab_cap, tab_n, sweep_at;
	int64_t idle_ms;
	struct waiter *w;           /* slab; free slots chained via free_ */
	uint32_t *free_;
	size_t wcap, nfree;
	struct heapent *heap;
	size_t heap_n, heap_cap;
	bool closing;
	struct resolve_server *servers;
	bool sending;               /* inside ares_send: an end waits in sync */
	bool sync_done;
	struct resolve_reply sync;
};

static void rearm(struct resolve *r);

/* --- name table ---------------------------------------------------- */

static size_t tab_find(const struct resolve *r, const char *host, uint64_t h)
{
	size_t mask = r->tab_cap - 1, i = h & mask;

	while (r->tab[i] && strcmp(r->tab[i]->host, host) != 0)
		i = (i + 1) & mask;
	return i;
}

static void tab_grow(struct resolve *r)
{
	struct name **old = r->tab;
	size_t oldcap = r->tab_cap;

	r->tab_cap = oldcap ? oldcap * 2 : 256;
	r->tab = xcalloc(r->tab_cap, sizeof(*r->tab));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			r->tab[tab_find(r, old[i]->host, old[i]->hash)] = old[i];
	free(old);
}

/* key: the name, with "@server" for a server's own lookups of qname. */
static struct name *name_get(struct resolve *r, const char *key, const char *qname,
			     struct resolve_server *srv)
{
	const char *host = key;
	uint64_t h = hash_fnv1a(host);
	size_t i;

	if ((r->tab_n + 1) * 2 > r->tab_cap)
		tab_grow(r);
	i = tab_find(r, host, h);
	if (!r->tab[i]) {
		struct name *nm = xcalloc(1, sizeof(*nm));

		nm->host = xstrdup(host);
		nm->qname = srv ? xstrdup(qname) : nm->host;
		nm->srv = srv;
		nm->hash = h;
		nm->owner = r;
		r->tab[i] = nm;
		r->tab_n++;
	}
	return r->tab[i];
}

static void name_free(struct name *nm)
{
	if (nm->qname != nm->host)
		free(nm->qname);
	free(nm->host);
	free(nm->addrs);
	free(nm->waiters);
	free(nm);
}

/* Linear probing's deletion: later entries of the probe run move back
 * into the hole when their home slot allows it (no tombstones). */
static void tab_delete(struct resolve *r, size_t i)
{
	size_t mask = r->tab_cap - 1, j = i;

	name_free(r->tab[i]);
	r->tab[i] = NULL;
	r->tab_n--;
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!r->tab[j])
			return;
		k = r->tab[j]->hash & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		r->tab[i] = r->tab[j];
		r->tab[j] = NULL;
		i = j;
	}
}

static bool stale_usable(const struct name *nm, int64_t now)
{
	return nm->addrs && now >= nm->expires_ms &&
	       now < nm->expires_ms + RESOLVE_STALE_MAX_MS;
}

/* A few slots per lookup: a name nobody looked up for the idle limit,
 * with no query and nobody waiting, is forgotten. */
static void sweep(struct resolve *r, int64_t now)
{
	for (int k = 0; k < SWEEP_PER_LOOKUP && r->tab_cap; k++) {
		size_t i = r->sweep_at++ & (r->tab_cap - 1);
		struct name *nm = r->tab[i];

		if (nm && !nm->inflight && !nm->nw &&
		    now - nm->last_used_ms > r->idle_ms) {
			log_debug("resolve: %s: not looked up for %lld ms, "
				  "forgotten", nm->host,
				  (long long)(now - nm->last_used_ms));
			tab_delete(r, i);
		}
	}
}

/* --- waiters and their deadline heap ------------------------------ */

static bool heap_less(const struct heapent *a, const struct heapent *b)
{
	return a->due_ms < b->due_ms;
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
		return "lookup failed";
	}
}

static bool authoritative_no(int status)
{
	return status == ARES_ENOTFOUND || status == ARES_ENODATA;
}

/* Keeps the address list of a good answer; returns its TTL in ms. */
static int64_t name_store(struct name *nm, struct ares_addrinfo *res)
{
	char list[RESOLVE_ADDRS_LEN];
	int64_t ttl = TTL_MAX_MS;
	size_t at = 0;

	for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
		char one[INET6_ADDRSTRLEN + 3];
		size_t l;

		format_addr(n->ai_addr, one, sizeof(one));
		l = strlen(one);
		if (at + l + 2 > sizeof(list))
			break;
		if (at)
			list[at++] = ',';
		memcpy(list + at, one, l + 1);
		at += l;
		if ((int64_t)n->ai_ttl * 1000 < ttl)
			ttl = (int64_t)n->ai_ttl * 1000;
	}
	free(nm->addrs);
	nm->addrs = xstrdup(list);
	return ttl < TTL_MIN_MS ? TTL_MIN_MS : ttl;
}

/* What a waiter of nm gets now: the fresh answer, the stale one, or the
 * failure. */
static void answer_of(const struct resolve *r, const struct name *nm,
		      int64_t now, struct resolve_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (nm->addrs && now < nm->expires_ms) {
		a->ok = true;
		str_copy(a->addrs, sizeof(a->addrs), nm->addrs);
		return;
	}
	if (stale_usable(nm, now)) {
		log_debug("resolve: %s: serving the answer expired %lld ms ago "
			  "(%s)", nm->host, (long long)(now - nm->expires_ms),
			  nm->inflight ? "refresh pending" : "refresh failed");
		a->ok = a->stale = true;
		a->stale_ms = now - nm->expires_ms;
		str_copy(a->addrs, sizeof(a->addrs), nm->addrs);
		if (nm->inflight)
			snprintf(a->detail, sizeof(a->detail),
				 "the refresh had not answered yet");
		else
			snprintf(a->detail, sizeof(a->detail), "the refresh failed: %s",
				 ares_reason(nm->fail_status));
		return;
	}
	snprintf(a->err, sizeof(a->err), "cannot resolve '%.100s': %s", nm->qname,
		 ares_reason(nm->fail_status));
	if (nm->srv)
		snprintf(a->detail, sizeof(a->detail), "c-ares: %s (server %s)",
			 ares_strerror(nm->fail_status), nm->srv->name);
	else
		snprintf(a->detail, sizeof(a->detail), "c-ares: %s (%d server%s)",
			 ares_strerror(nm->fail_status), r->nservers,
			 r->nservers == 1 ? "" : "s");
}

static void name_finish(struct resolve *r, struct name *nm, int64_t now)
{
	struct wref *ws = nm->waiters;
	size_t n = nm->nw;
	struct resolve_answer a;

	nm->waiters = NULL;
	nm->nw = nm->capw = 0;
	answer_of(r, nm, now, &a);
	for (size_t i = 0; i < n; i++) {
		struct waiter *w = waiter_get(r, ws[i]);
		resolve_cb cb;
		void *arg;

		if (!w)
			continue;
		cb = w->cb;
		arg = w->arg;
		waiter_release(r, w);
		cb(&a, arg);
	}
	free(ws);
}

static void on_answer(void *arg, int status, int timeouts,
		      struct ares_addrinfo *res)
{
	struct name *nm = arg;
	struct resolve *r = nm->owner;
	int64_t now;

	if (r->closing) {
		if (res)
			ares_freeaddrinfo(res);
		return;
	}
	if (status != ARES_SUCCESS)
		log_debug("resolve: %s: c-ares %d (%s) after %d timeouts "
			  "(per-try %d ms)", nm->host, status,
			  ares_strerror(status), timeouts, nm->try_ms);
	now = mono_ms();
	nm->inflight--;
	if (status == ARES_SUCCESS && res && res->nodes) {
		nm->expires_ms = now + name_store(nm, res);
		nm->neg_until_ms = nm->recheck_ms = 0;
		ares_freeaddrinfo(res);
		name_finish(r, nm, now);
		return;
	}
	if (res)
		ares_freeaddrinfo(res);
	if (status == ARES_SUCCESS)
		status = ARES_ENODATA;
	nm->fail_status = status;
	if (authoritative_no(status)) {
		/* Never served stale: the name is gone. */
		free(nm->addrs);
		nm->addrs = NULL;
		nm->expires_ms = 0;
		nm->neg_until_ms = now + NEG_TTL_MS;
		name_finish(r, nm, now);
		return;
	}
	if (nm->inflight > 0)
		return;    /* a query on a shorter rung may still answer */
	if (stale_usable(nm, now))
		nm->recheck_ms = now + RESOLVE_STALE_RECHECK_MS;
	name_finish(r, nm, now);
}

/* --- the loop's side ----------------------------------------------- */

static void on_fd(int fd, short revents, void *arg)
{
	struct rung *g = arg;
	bool rd = revents & (POLLIN | POLLERR | POLLHUP);
	bool wr = revents & POLLOUT;

	ares_process_fd(g->ch, rd ? fd : ARES_SOCKET_BAD,
			wr ? fd : ARES_SOCKET_BAD);
	rearm(g->r);
}

static void on_sock_state(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	struct rung *g = data;
	short ev = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));

	if (ev)
		loop_fd_set(g->r->loop, fd, ev, on_fd, g);
	else
		loop_fd_del(g->r->loop, fd);
}

static void query_expired(struct resolve *r, struct waiter *w, int64_t now);

static void expire_waiters(struct resolve *r, int64_t now)
{
	while (r->heap_n && r->heap[0].due_ms <= now) {
		struct heapent e = r->heap[0];
		struct waiter *w = waiter_get(r, e.w);
		struct resolve_answer a;
		resolve_cb cb;
		void *arg;

		heap_pop(r);
		if (!w)
			continue;
		if (!w->name) {
			query_expired(r, w, now);
			continue;
		}
		if (w->stale_ok) {
			/* The refresh is slow: serve the expired answer if it is
			 * still within bounds, else wait on to the deadline. */
			w->stale_ok = false;
			if (!stale_usable(w->name, now)) {
				heap_push(r, (struct heapent){ w->deadline_ms, e.w });
				continue;
			}
			answer_of(r, w->name, now, &a);
		} else {
			log_debug("resolve: %s: a check's deadline passed after "
				  "%lld ms of waiting; the query goes on",
				  w->name->host,
				  (long long)(now - w->name->query_start_ms));
			memset(&a, 0, sizeof(a));
			a.timed_out = true;
			snprintf(a.err, sizeof(a.err),
				 "lookup of '%.100s' timed out after %lld ms",
				 w->name->qname,
				 (long long)(now - w->name->query_start_ms));
			snprintf(a.detail, sizeof(a.detail),
				 "no answer yet; per-try timeout %d ms over %d server%s",
				 w->name->try_ms, r->nservers,
				 r->nservers == 1 ? "" : "s");
		}
		cb = w->cb;
		arg = w->arg;
		waiter_release(r, w);
		cb(&a, arg);
	}
	/* Drop cancelled entries at the top so the timer is not armed for them. */
	while (r->heap_n && !waiter_get(r, r->heap[0].w))
		heap_pop(r);
}

/* Every channel there is: the configured servers' rungs, then each
 * server's own (those made so far). O(servers); a target names few. */
static void channels_each(struct resolve *r, void (*fn)(ares_channel ch, void *arg), void *arg)
{
	for (int i = 0; i < RUNGS; i++)
		fn(r->rungs[i].ch, arg);
	for (struct resolve_server *s = r->servers; s; s = s->next)
		for (int i = 0; i < RUNGS; i++) {
			if (s->q[i].ch)
				fn(s->q[i].ch, arg);
			if (s->l[i].ch)
				fn(s->l[i].ch, arg);
		}
}

static void channel_process(ares_channel ch, void *arg)
{
	(void)arg;
	ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static void channel_due(ares_channel ch, void *arg)
{
	int64_t *due = arg, now = mono_ms();
	struct timeval tv, *t = ares_timeout(ch, NULL, &tv);

	if (t && now + (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000 < *due)
		*due = now + (int64_t)t->tv_sec * 1000 + t->tv_usec / 1000;
}

static void on_timer(void *arg)
{
	struct resolve *r = arg;

	channels_each(r, channel_process, NULL);
	expire_waiters(r, mono_ms());
	rearm(r);
}

static void rearm(struct resolve *r)
{
	int64_t due = INT64_MAX;

	channels_each(r, channel_due, &due);
	if (r->heap_n && r->heap[0].due_ms < due)
		due = r->heap[0].due_ms;
	loop_timer_arm(&r->timer, due);
}

/* --- servers ------------------------------------------------------- */

/* One --dns-server entry: "IPv4", "IPv4:port", "[IPv6]", "[IPv6]:port"
 * or a bare IPv6 address. Returns NULL, or why it is wrong. */
static const char *server_parse(const char *s, struct ares_addr_port_node *n)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *end;
	size_t len;

	memset(n, 0, sizeof(*n));
	if (!*s)
		return "is empty";
	if (s[0] == '[') {
		if (!(end = strchr(s, ']')))
			return "has no closing ']'";
		len = (size_t)(end - s - 1);
		s++;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return "has text after ']' (write [IPv6]:PORT)";
	} else {
		const char *colon = strchr(s, ':');

		/* One colon: IPv4:port; more: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			len = (size_t)(colon - s);
			port = colon + 1;
		} else {
			len = strlen(s);
		}
	}
	if (len == 0 || len >= sizeof(ip))
		return "is not an IP address";
	memcpy(ip, s, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, &n->addr.addr4) == 1) {
		n->family = AF_INET;
	} else if (inet_pton(AF_INET6, ip, &n->addr.addr6) == 1) {
		n->family = AF_INET6;
	} else {
		for (size_t i = 0; i < len; i++)
			if (isalpha((unsigned char)ip[i]) && !isxdigit((unsigned char)ip[i]))
				return "is a name, not an IP address "
				       "(a DNS server is given by address)";
		return "is not an IPv4 or IPv6 address";
	}
	if (port) {
		char *e;
		long p = strtol(port, &e, 10);

		if (!*port || *e || p < 1 || p > 65535)
			return "has a bad port (1-65535)";
		n->udp_port = n->tcp_port = (int)p;
	}
	return NULL;
}

/* Parses the whole list, naming the first bad entry. Returns the nodes
 * (caller frees) or NULL with a message in errs. */
static struct ares_addr_port_node *servers_parse(const char *csv,
						 struct diag *errs)
{
	struct ares_addr_port_node *head = NULL, **tail = &head;
	char *copy = xstrdup(csv), *save = NULL, *tok;
	int k = 0;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct ares_addr_port_node *n = xcalloc(1, sizeof(*n));
		const char *why;

		k++;
		while (*tok == ' ')
			tok++;
		if ((why = server_parse(tok, n))) {
			diag_addf(errs, "uptop: --dns-server: entry %d '%s' %s", k, tok, why);
			free(n);
			goto fail;
		}
		*tail = n;
		tail = &n->next;
	}
	if (!head) {
		diag_addf(errs, "uptop: --dns-server: no server given");
		goto fail;
	}
	free(copy);
	return head;
fail:
	free(copy);
	while (head) {
		struct ares_addr_port_node *next = head->next;

		free(head);
		head = next;
	}
	return NULL;
}

static int count_servers(ares_channel ch)
{
	struct ares_addr_port_node *list = NULL;
	int n = 0;

	if (ares_get_servers_ports(ch, &list) == ARES_SUCCESS)
		for (struct ares_addr_port_node *s = list; s; s = s->next)
			n++;
	ares_free_data(list);
	return n > 0 ? n : 1;
}

/* --- public -------------------------------------------------------- */

static int rung_init(struct resolve *r, int i, struct ares_addr_port_node *servers)
{
	struct rung *g = &r->rungs[i];
	struct ares_options o;
	int rc;

	memset(&o, 0, sizeof(o));
	g->r = r;
	g->try_ms = rung_ms[i];
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = g;
	o.timeout = rung_ms[i];
	o.tries = i == RUNGS - 1 ? 5 : 3;
	rc = ares_init_options(&g->ch, &o,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
				       ARES_OPT_TRIES);
	if (rc == ARES_SUCCESS && servers)
		rc = ares_set_servers_ports(g->ch, servers);
	if (rc != ARES_SUCCESS && g->ch) {
		ares_destroy(g->ch);
		g->ch = NULL;
	}
	return rc;
}

struct resolve *resolve_new(struct loop *l, const char *servers,
			    struct diag *errs)
{
	struct resolve *r;
	struct ares_addr_port_node *list = NULL;
	int rc;

	if (servers && !(list = servers_parse(servers, errs)))
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->loop = l;
	r->idle_ms = IDLE_DEFAULT_MS;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	for (int i = 0; i < RUNGS && rc == ARES_SUCCESS; i++)
		rc = rung_init(r, i, list);
	while (list) {
		struct ares_addr_port_node *next = list->next;

		free(list);
		list = next;
	}
	if (rc != ARES_SUCCESS) {
		diag_addf(errs, "uptop: cannot start the DNS resolver: %s",
			  ares_strerror(rc));
		for (int i = 0; i < RUNGS; i++)
			if (r->rungs[i].ch)
				ares_destroy(r->rungs[i].ch);
		ares_library_cleanup();
		free(r);
		return NULL;
	}
	r->nservers = count_servers(r->rungs[0].ch);
	loop_timer_add(l, &r->timer, on_timer, r);
	return r;
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	r->closing = true;
	for (int i = 0; i < RUNGS; i++)
		ares_destroy(r->rungs[i].ch);
	while (r->servers) {
		struct resolve_server *s = r->servers;

		r->servers = s->next;
		for (int i = 0; i < RUNGS; i++) {
			if (s->q[i].ch)
				ares_destroy(s->q[i].ch);
			if (s->l[i].ch)
				ares_destroy(s->l[i].ch);
		}
		free(s->spec);
		free(s);
	}
	ares_library_cleanup();
	loop_timer_del(r->loop, &r->timer);
	for (size_t i = 0; i < r->tab_cap; i++)
		if (r->tab[i])
			name_free(r->tab[i]);
	free(r->tab);
	free(r->w);
	free(r->free_);
	free(r->heap);
	free(r);
}

void resolve_set_idle_limit(struct resolve *r, int64_t ms)
{
	r->idle_ms = ms > 0 ? ms : IDLE_DEFAULT_MS;
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
		/* every check of an IPv4 target comes here: no printf */
		a->ok = true;
		str_copy(a->addrs, sizeof(a->addrs), host);
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
			 "cannot resolve '%.80s': no such name (.invalid never "
			 "resolves, RFC 6761)", host);
		return true;
	}
	return false;
}

/* The longest per-try timeout that leaves room, in `left` ms, for every
 * server once plus one retry (c-ares doubles the second round's). */
static int rung_for(int nservers, int64_t left)
{
	int64_t fit = left / (nservers + 2);
	int i = RUNGS - 1;

	while (i > 0 && rung_ms[i] > fit)
		i--;
	return i;
}

static ares_channel server_channel(struct resolve_server *s, bool query, int rung);

static void query_start(struct resolve *r, struct name *nm, int rung,
			int64_t now)
{
	struct ares_addrinfo_hints hints;
	ares_channel ch;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = ARES_AI_NOSORT;
	if (!nm->inflight) {
		nm->query_start_ms = now;
		nm->try_ms = rung_ms[rung];
	} else if (rung_ms[rung] < nm->try_ms) {
		nm->try_ms = rung_ms[rung];
	}
	ch = nm->srv ? server_channel(nm->srv, false, rung) : r->rungs[rung].ch;
	if (!ch) {
		nm->fail_status = ARES_ENOMEM;
		return;
	}
	nm->inflight++;
	log_debug("resolve: %s: query, per-try timeout %d ms (%d in flight)",
		  nm->host, rung_ms[rung], nm->inflight);
	ares_getaddrinfo(ch, nm->qname, NULL, &hints, on_answer, nm);
	rearm(r);
}

bool resolve_lookup(struct resolve *r, const char *host, int64_t deadline_ms,
		    resolve_cb cb, void *arg, struct resolve_answer *now_answer,
		    uint64_t *waiter)
{
	return resolve_lookup_at(r, NULL, host, deadline_ms, cb, arg, now_answer, waiter);
}

bool resolve_lookup_at(struct resolve *r, struct resolve_server *srv, const char *host,
		       int64_t deadline_ms, resolve_cb cb, void *arg,
		       struct resolve_answer *now_answer, uint64_t *waiter)
{
	struct name *nm;
	struct wref ref;
	struct waiter *w;
	int64_t now, left, due;
	int rung;
	bool stale;
	char key[HOST_KEY_LEN];

	if (answer_special(host, now_answer))
		return true;
	now = mono_ms();
	sweep(r, now);
	if (srv)
		snprintf(key, sizeof(key), "%.300s@%s", host, srv->spec);
	nm = name_get(r, srv ? key : host, host, srv);
	nm->last_used_ms = now;
	if ((nm->addrs && now < nm->expires_ms) || now < nm->neg_until_ms) {
		answer_of(r, nm, now, now_answer);
		return true;
	}
	stale = stale_usable(nm, now);
	left = deadline_ms - now;
	rung = rung_for(srv ? 1 : r->nservers, left);
	if (stale && now < nm->recheck_ms) {
		/* A refresh failed lately: serve stale without waiting, and ask
		 * again behind it, so a recovery or an NXDOMAIN is seen by the
		 * next check. */
		if (!nm->inflight)
			query_start(r, nm, rung, now);
		answer_of(r, nm, now, now_answer);
		return true;
	}
	if (!nm->inflight || rung_ms[rung] < nm->try_ms) {
		query_start(r, nm, rung, now);
		/* The hosts file (or an immediate error) answers inside the call. */
		if (!nm->inflight || (nm->addrs && now < nm->expires_ms) ||
		    now < nm->neg_until_ms) {
			answer_of(r, nm, now, now_answer);
			return true;
		}
	}
	ref = waiter_new(r);
	w = &r->w[ref.idx];
	w->deadline_ms = deadline_ms;
	w->stale_ok = stale;
	w->cb = cb;
	w->arg = arg;
	w->name = nm;
	w->qcb = NULL;
	nm->waiters = xreallocarray_grow(nm->waiters, &nm->capw, nm->nw + 1,
					 sizeof(*nm->waiters));
	nm->waiters[nm->nw++] = ref;
	due = deadline_ms;
	if (stale) {
		int64_t wait = left / 2 < STALE_WAIT_MAX_MS ? left / 2 : STALE_WAIT_MAX_MS;

		due = now + wait;
	}
	heap_push(r, (struct heapent){ due, ref });
	*waiter = wref_pack(ref);
	rearm(r);
	return false;
}

/* --- servers a target names ---------------------------------------- */

/* A channel of s for one rung, made the first time it is needed, with
 * every option given so c-ares reads no resolv.conf or hosts file. */
static ares_channel server_channel(struct resolve_server *s, bool query, int rung)
{
	struct rung *g = query ? &s->q[rung] : &s->l[rung];
	struct ares_options o;
	char lookups[] = "b";
	int rc;

	if (g->ch)
		return g->ch;
	memset(&o, 0, sizeof(o));
	g->r = s->r;
	g->try_ms = rung_ms[rung];
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = g;
	o.timeout = rung_ms[rung];
	o.tries = rung == RUNGS - 1 ? 5 : 3;
	o.flags = (query ? ARES_FLAG_NOCHECKRESP : 0) | (s->tcp ? ARES_FLAG_USEVC : 0);
	o.lookups = lookups;
	o.ndots = 1;
	rc = ares_init_options(&g->ch, &o,
			       ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
				       ARES_OPT_FLAGS | ARES_OPT_LOOKUPS | ARES_OPT_NDOTS |
				       ARES_OPT_SERVERS | ARES_OPT_DOMAINS | ARES_OPT_SORTLIST);
	if (rc == ARES_SUCCESS)
		rc = ares_set_servers_ports(g->ch, &s->node);
	if (rc != ARES_SUCCESS) {
		log_debug("resolve: %s: cannot make a channel: %s", s->name, ares_strerror(rc));
		if (g->ch)
			ares_destroy(g->ch);
		g->ch = NULL;
	}
	return g->ch;
}

struct resolve_server *resolve_server(struct resolve *r, const char *spec, char *err,
				      size_t elen)
{
	struct resolve_server *s;
	struct ares_addr_port_node n;
	const char *addr = spec, *why;
	bool tcp = false;

	for (s = r->servers; s; s = s->next)
		if (strcmp(s->spec, spec) == 0)
			return s;
	if (strncmp(spec, "udp://", 6) == 0 || strncmp(spec, "tcp://", 6) == 0) {
		tcp = spec[0] == 't';
		addr = spec + 6;
	}
	if ((why = server_parse(addr, &n))) {
		snprintf(err, elen, "DNS server '%s' %s", spec, why);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->r = r;
	s->spec = xstrdup(spec);
	s->node = n;
	s->node.next = NULL;
	s->tcp = tcp;
	if (n.family == AF_INET6)
		inet_ntop(AF_INET6, &n.addr.addr6, s->ip, sizeof(s->ip));
	else
		inet_ntop(AF_INET, &n.addr.addr4, s->ip, sizeof(s->ip));
	snprintf(s->name, sizeof(s->name), n.family == AF_INET6 ? "[%s]:%d" : "%s:%d", s->ip,
		 n.udp_port ? n.udp_port : 53);
	s->next = r->servers;
	r->servers = s;
	return s;
}

const char *resolve_server_name(const struct resolve_server *s)
{
	return s->name;
}

/* --- queries: DNS checks -------------------------------------------- */

static const struct {
	const char *name;
	int type;
} qtypes[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },
};

struct qctx {
	struct resolve *r;
	uint64_t ref;
};

static void query_deliver(struct resolve *r, struct waiter *w, struct resolve_reply *a)
{
	resolve_reply_cb cb = w->qcb;
	void *arg = w->arg;

	waiter_release(r, w);
	if (r->sending) {
		r->sync = *a;
		r->sync.body = "";
		r->sync.body_len = 0;
		r->sync_done = true;
		return;
	}
	cb(a, arg);
}

static void on_query(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct qctx *q = arg;
	struct resolve *r = q->r;
	struct wref ref = { (uint32_t)q->ref, (uint32_t)(q->ref >> 32) };
	struct waiter *w;
	struct resolve_reply a;
	char *body = NULL;
	size_t blen = 0;

	free(q);
	if (r->closing || !(w = waiter_get(r, ref)))
		return;
	memset(&a, 0, sizeof(a));
	if (status == ARES_SUCCESS) {
		if (resolve_answers(abuf, alen, &a.rcode, &a.answers, &body, &blen)) {
			a.answered = true;
			a.body = body;
			a.body_len = blen;
		} else {
			a.malformed = true;
			snprintf(a.err, sizeof(a.err), "malformed DNS answer from %s",
				 w->qsrv->name);
			snprintf(a.detail, sizeof(a.detail), "%d bytes that do not parse", alen);
		}
	} else {
		a.refused = status == ARES_ECONNREFUSED;
		a.timed_out = status == ARES_ETIMEOUT;
		if (a.timed_out)
			snprintf(a.err, sizeof(a.err), "no answer from %s after %lld ms (%d tries)",
				 w->qsrv->name, (long long)(mono_ms() - w->sent_ms), timeouts);
		else
			snprintf(a.err, sizeof(a.err), "%s", w->qsrv->name);
		snprintf(a.detail, sizeof(a.detail), "c-ares: %s (per-try timeout %d ms)",
			 ares_strerror(status), w->try_ms);
	}
	log_debug("resolve: query to %s: c-ares %d, rcode %d, %u answers", w->qsrv->name,
		  status, a.rcode, a.answers);
	query_deliver(r, w, &a);
	free(body);
}

static void query_expired(struct resolve *r, struct waiter *w, int64_t now)
{
	struct resolve_reply a;

	memset(&a, 0, sizeof(a));
	a.timed_out = true;
	snprintf(a.err, sizeof(a.err), "no answer from %s after %lld ms", w->qsrv->name,
		 (long long)(now - w->sent_ms));
	snprintf(a.detail, sizeof(a.detail), "the check's timeout; per-try timeout %d ms",
		 w->try_ms);
	query_deliver(r, w, &a);
}

bool resolve_query(struct resolve *r, struct resolve_server *s, const char *name,
		   const char *type, int64_t deadline_ms, resolve_reply_cb cb, void *arg,
		   struct resolve_reply *now, uint64_t *waiter)
{
	int64_t t0 = mono_ms();
	int rung = rung_for(1, deadline_ms - t0), qtype = 0, qlen = 0, rc;
	unsigned char *qbuf = NULL;
	ares_channel ch = server_channel(s, true, rung);
	struct qctx *q;
	struct wref ref;
	struct waiter *w;

	memset(now, 0, sizeof(*now));
	now->body = "";
	for (size_t i = 0; i < ARRAY_LEN(qtypes); i++)
		if (strcmp(qtypes[i].name, type) == 0)
			qtype = qtypes[i].type;
	rc = ch ? ares_create_query(name, 1, qtype, 0, 1, &qbuf, &qlen, 0) : ARES_ENOMEM;
	if (rc != ARES_SUCCESS || !qtype) {
		snprintf(now->err, sizeof(now->err), "cannot ask %s for '%.60s' %s", s->name, name,
			 type);
		snprintf(now->detail, sizeof(now->detail), "c-ares: %s", ares_strerror(rc));
		return true;
	}
	ref = waiter_new(r);
	w = &r->w[ref.idx];
	w->deadline_ms = deadline_ms;
	w->stale_ok = false;
	w->cb = NULL;
	w->qcb = cb;
	w->arg = arg;
	w->name = NULL;
	w->qsrv = s;
	w->sent_ms = t0;
	w->try_ms = rung_ms[rung];
	q = xmalloc(sizeof(*q));
	q->r = r;
	q->ref = wref_pack(ref);
	r->sending = true;
	r->sync_done = false;
	ares_send(ch, qbuf, qlen, on_query, q);
	r->sending = false;
	ares_free_string(qbuf);
	if (r->sync_done) {
		*now = r->sync;
		return true;
	}
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
