/* outage.c - mass outage detection. The rule is in outage.h.
 *
 * Per target: the second its network-failure streak began and the second
 * of its latest answer (each or neither). Per second of the window: how
 * many streaks began in it and how many targets' latest answer falls in
 * it, so "since s" is a suffix sum over at most OUTAGE_WINDOW_S buckets.
 * A target's contribution moves when its next result comes; a bucket
 * reused a window later starts from zero, so old seconds fall out on
 * their own. Distinct hosts: the OUTAGE_MIN_HOSTS hosts that most
 * recently began a streak, with when (enough to tell "at least that many
 * since s"). */
#include "outage.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

#define NONE INT64_MIN
#define NO_CANARY UINT32_MAX

struct otarget {
	int64_t fail_sec;      /* its network-failure streak began; NONE */
	int64_t ans_sec;       /* its latest result, an answer; NONE */
	uint32_t host;
	uint32_t outage;       /* the outage that affected it (status number) */
	uint8_t cls;           /* its latest result's network class, 0: none */
	bool back;             /* affected, and answering again */
};

struct obucket {
	int64_t sec;
	uint32_t fails;        /* streaks that began in this second */
	uint32_t answers;      /* targets whose latest answer is in it */
};

struct recent_host {
	uint32_t host;
	int64_t ms;            /* when it last began a streak; NONE: empty */
};

struct outage {
	const struct target_conf *conf;
	struct otarget *t;
	size_t n;
	uint32_t nhosts;
	uint32_t *host_mark;   /* per host: the outage number that counted it */
	struct obucket b[OUTAGE_WINDOW_S];
	struct recent_host recent[OUTAGE_MIN_HOSTS];
	uint32_t netcls[EC__COUNT];   /* targets by their latest network class */
	uint32_t canary;
	int canary_need, canary_fails;
	struct outage_status st;
};

bool outage_is_network(enum eclass c)
{
	switch (c) {
	case EC_DNS:
	case EC_REFUSED:
	case EC_CONNECT:
	case EC_CONNECT_TIMEOUT:
	case EC_TIMEOUT:
	case EC_RESET:
		return true;
	default:
		return false;
	}
}

/* --- hosts ------------------------------------------------------------ */

void outage_url_host(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url, "://"), *end, *at = NULL, *h, *he;
	size_t k = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (!p)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	h = at ? at + 1 : p;
	if (*h == '[') {
		he = memchr(h, ']', (size_t)(end - h));
		he = he ? he + 1 : end;
	} else {
		he = memchr(h, ':', (size_t)(end - h));
		he = he ? he : end;
	}
	for (const char *q = h; q < he && k + 1 < len; q++)
		buf[k++] = (char)tolower((unsigned char)*q);
	buf[k] = '\0';
}

/* Host names -> small ids: open addressing over FNV-1a, built once. */
static void hosts_intern(struct outage *o, const struct target_conf *t, size_t n)
{
	size_t size = 16, mask;
	char **names;
	uint32_t *slot;

	while (size < 2 * n)
		size *= 2;
	mask = size - 1;
	slot = xcalloc(size, sizeof(*slot));   /* host id + 1; 0: empty */
	names = xcalloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		char host[256];
		size_t h;

		outage_url_host(t[i].url ? t[i].url : "", host, sizeof(host));
		h = (size_t)hash_fnv1a(host) & mask;
		while (slot[h] && strcmp(names[slot[h] - 1], host) != 0)
			h = (h + 1) & mask;
		if (!slot[h]) {
			names[o->nhosts] = xstrdup(host);
			slot[h] = ++o->nhosts;
		}
		o->t[i].host = slot[h] - 1;
	}
	for (uint32_t i = 0; i < o->nhosts; i++)
		free(names[i]);
	free(names);
	free(slot);
}

/* The OUTAGE_MIN_HOSTS hosts that began a streak last: a host already
 * there moves its time, a new one replaces the oldest. Results come in
 * time order, so these are exactly the most recent distinct hosts. */
static void recent_note(struct outage *o, uint32_t host, int64_t now_ms)
{
	size_t oldest = 0;

	for (size_t i = 0; i < OUTAGE_MIN_HOSTS; i++) {
		if (o->recent[i].ms != NONE && o->recent[i].host == host) {
			o->recent[i].ms = now_ms;
			return;
		}
		if (o->recent[i].ms < o->recent[oldest].ms)
			oldest = i;
	}
	o->recent[oldest].host = host;
	o->recent[oldest].ms = now_ms;
}

static unsigned recent_since(const struct outage *o, int64_t since_ms)
{
	unsigned k = 0;

	for (size_t i = 0; i < OUTAGE_MIN_HOSTS; i++)
		k += o->recent[i].ms != NONE && o->recent[i].ms >= since_ms;
	return k;
}

/* --- buckets ---------------------------------------------------------- */

static struct obucket *bucket(struct outage *o, int64_t sec)
{
	struct obucket *b = &o->b[(uint64_t)sec % OUTAGE_WINDOW_S];

	if (b->sec != sec) {
		b->sec = sec;
		b->fails = b->answers = 0;
	}
	return b;
}

/* Takes a contribution back, if its second is still in the window. */
static void unbucket(struct outage *o, int64_t sec, bool fail)
{
	struct obucket *b = &o->b[(uint64_t)sec % OUTAGE_WINDOW_S];

	if (b->sec != sec)
		return;
	if (fail && b->fails)
		b->fails--;
	else if (!fail && b->answers)
		b->answers--;
}

/* --- setup ------------------------------------------------------------ */

struct outage *outage_new(const struct target_conf *t, size_t n,
			  const char *canary)
{
	struct outage *o = xcalloc(1, sizeof(*o));

	o->conf = t;
	o->n = n;
	o->t = xcalloc(n ? n : 1, sizeof(*o->t));
	for (size_t i = 0; i < n; i++)
		o->t[i].fail_sec = o->t[i].ans_sec = NONE;
	for (size_t i = 0; i < OUTAGE_WINDOW_S; i++)
		o->b[i].sec = NONE;
	for (size_t i = 0; i < OUTAGE_MIN_HOSTS; i++)
		o->recent[i].ms = NONE;
	hosts_intern(o, t, n);
	o->host_mark = xcalloc(o->nhosts ? o->nhosts : 1, sizeof(*o->host_mark));
	o->canary = NO_CANARY;
	for (size_t i = 0; canary && i < n; i++) {
		if (t[i].name && strcmp(t[i].name, canary) == 0) {
			o->canary = (uint32_t)i;
			o->canary_need = t[i].failures_before_down > 0 ?
					 t[i].failures_before_down : 1;
			break;
		}
	}
	return o;
}

void outage_free(struct outage *o)
{
	if (!o)
		return;
	free(o->t);
	free(o->host_mark);
	free(o);
}

const struct outage_status *outage_status(const struct outage *o)
{
	return &o->st;
}

/* --- the rule --------------------------------------------------------- */

static uint8_t common_class(const struct outage *o)
{
	uint8_t best = 0;

	for (uint8_t c = 1; c < EC__COUNT; c++)
		if (o->netcls[c] > o->netcls[best])
			best = c;
	return o->netcls[best] ? best : 0;
}

/* The latest moment s (a whole second) since which the share rule holds,
 * or NONE. O(OUTAGE_WINDOW_S). */
static int64_t share_rule(const struct outage *o, int64_t now_ms)
{
	int64_t sec = now_ms / 1000;
	uint64_t fails = 0, answers = 0;

	for (int64_t s = sec; s > sec - OUTAGE_WINDOW_S; s--) {
		const struct obucket *b = &o->b[(uint64_t)s % OUTAGE_WINDOW_S];

		if (b->sec != s)
			continue;
		fails += b->fails;
		answers += b->answers;
		if (fails >= OUTAGE_MIN_TARGETS &&
		    fails * 100 >= OUTAGE_SHARE_PCT * (fails + answers) &&
		    recent_since(o, s * 1000) >= OUTAGE_MIN_HOSTS)
			return s;
	}
	return NONE;
}

/* Marks every target whose streak began at `from_sec` or later as
 * affected, and counts them and their hosts. O(n), once per outage. */
static void start(struct outage *o, int64_t now_ms, int64_t from_sec,
		  bool by_canary)
{
	struct outage_status *st = &o->st;

	st->number++;
	st->open = true;
	st->by_canary = by_canary;
	st->since_ms = now_ms;
	st->ended_ms = 0;
	st->targets = st->back = st->hosts = 0;
	st->span_s = (unsigned)(now_ms / 1000 - from_sec + 1);
	for (size_t i = 0; i < o->n; i++) {
		struct otarget *t = &o->t[i];

		if (t->fail_sec == NONE || t->fail_sec < from_sec)
			continue;
		t->outage = st->number;
		t->back = false;
		st->targets++;
		if (o->host_mark[t->host] != st->number) {
			o->host_mark[t->host] = st->number;
			st->hosts++;
		}
	}
	st->cls = common_class(o);
}

static bool canary_down(const struct outage *o)
{
	return o->canary != NO_CANARY && o->canary_fails >= o->canary_need;
}

static bool over(const struct outage *o)
{
	return 2 * (uint64_t)o->st.back > o->st.targets &&
	       (o->canary == NO_CANARY || o->canary_fails == 0);
}

static void on_failure(struct outage *o, struct otarget *t, enum eclass cls,
		       int64_t now_ms)
{
	int64_t sec = now_ms / 1000;

	if (t->ans_sec != NONE) {
		unbucket(o, t->ans_sec, false);
		t->ans_sec = NONE;
	}
	if (t->fail_sec == NONE) {
		t->fail_sec = sec;
		bucket(o, sec)->fails++;
		recent_note(o, t->host, now_ms);
	}
	if (t->cls)
		o->netcls[t->cls]--;
	t->cls = (uint8_t)cls;
	o->netcls[cls]++;
	if (!o->st.open)
		return;
	if (t->outage != o->st.number) {
		t->outage = o->st.number;
		o->st.targets++;
	} else if (t->back) {
		o->st.back--;
	}
	t->back = false;
}

static void on_answer(struct outage *o, struct otarget *t, int64_t now_ms)
{
	int64_t sec = now_ms / 1000;

	if (t->fail_sec != NONE) {
		unbucket(o, t->fail_sec, true);
		t->fail_sec = NONE;
	}
	if (t->ans_sec != NONE)
		unbucket(o, t->ans_sec, false);
	t->ans_sec = sec;
	bucket(o, sec)->answers++;
	if (t->cls) {
		o->netcls[t->cls]--;
		t->cls = 0;
	}
	if (o->st.open && t->outage == o->st.number && !t->back) {
		t->back = true;
		o->st.back++;
	}
}

enum outage_change outage_feed(struct outage *o, uint32_t id, enum eclass cls,
			       int64_t now_ms)
{
	bool net = outage_is_network(cls);
	int64_t from;

	if (id >= o->n || cls == EC_LOCAL || now_ms < 0)
		return OUTAGE_SAME;
	if (net)
		on_failure(o, &o->t[id], cls, now_ms);
	else
		on_answer(o, &o->t[id], now_ms);
	if (id == o->canary)
		o->canary_fails = net ? o->canary_fails + 1 : 0;

	if (o->st.open) {
		o->st.cls = common_class(o);
		if (!over(o))
			return OUTAGE_SAME;
		o->st.open = false;
		o->st.ended_ms = now_ms;
		return OUTAGE_ENDED;
	}
	if (!net)
		return OUTAGE_SAME;
	if (canary_down(o)) {
		start(o, now_ms, now_ms / 1000 - OUTAGE_WINDOW_S + 1, true);
		return OUTAGE_STARTED;
	}
	from = share_rule(o, now_ms);
	if (from == NONE)
		return OUTAGE_SAME;
	start(o, now_ms, from, false);
	return OUTAGE_STARTED;
}

/* --- words ------------------------------------------------------------ */

void outage_reason(const struct outage *o, char *buf, size_t len)
{
	const struct outage_status *st = &o->st;
	const char *cls = eclass_name((enum eclass)st->cls);

	if (!st->number) {
		snprintf(buf, len, "no outage");
	} else if (!st->open) {
		snprintf(buf, len, "%u of %u targets answer again after %.1f s",
			 st->back, st->targets,
			 (double)(st->ended_ms - st->since_ms) / 1000.0);
	} else if (st->by_canary) {
		snprintf(buf, len, "canary '%s' failed %d times in a row (%s): "
			 "uptop's own network or resolver is likely down; "
			 "%u targets failing on %u hosts",
			 o->conf[o->canary].name, o->canary_fails, cls ? cls : "?",
			 st->targets, st->hosts);
	} else {
		snprintf(buf, len, "%u targets on %u hosts began failing within "
			 "%u s (mostly %s): uptop's own network or resolver is "
			 "likely down", st->targets, st->hosts, st->span_s,
			 cls ? cls : "?");
	}
}
