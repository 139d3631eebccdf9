/* target.c - the model: per-target state machine, history, events.
 * Pure logic, libc only; time comes in as arguments.
 *
 * State rules, per classified result:
 *   EC_NONE           -> up,       consecutive failures reset
 *   EC_SLOW, EC_CERT_EXPIRY
 *                     -> degraded, consecutive failures reset (slow is an
 *                        answer, not a failure)
 *                        ... but a down target stays down until
 *                        successes_before_up answers in a row
 *   any failure class -> consecutive failures + 1; down once they reach
 *                        failures_before_down, confirming before that
 *                        (a down target stays down)
 * So pending means exactly "no result yet": a first check that fails
 * makes the target confirming or down, never leaves it pending. Every
 * change is an event (EV_STATE), kept in the target's ring and the
 * model's timeline. */
#include "target.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

static const char *const state_names[STATE__COUNT] = {
	[STATE_PENDING] = "pending",
	[STATE_UP] = "up",
	[STATE_DEGRADED] = "degraded",
	[STATE_DOWN] = "down",
	[STATE_CONFIRMING] = "confirming",
};

/* The union keeps an event at 32 bytes: each target holds TEVENT_LEN. */
_Static_assert(sizeof(struct event) <= 32, "struct event grew");

const char *state_name(enum state s)
{
	if ((unsigned)s >= STATE__COUNT)
		return "unknown";
	return state_names[s];
}

/* Index of the k-th newest element of a ring whose next write goes to
 * `head`. */
static unsigned ring_at(unsigned head, unsigned k, unsigned cap)
{
	return (head + cap - 1 - k % cap) % cap;
}

void model_init(struct model *m, const struct target_conf *confs, size_t n,
		int64_t now_mono)
{
	memset(m, 0, sizeof(*m));
	if (n > UINT32_MAX)
		fatal("too many targets (%zu)", n);
	m->v = xcalloc(n, sizeof(*m->v));
	prefault(m->v, n * sizeof(*m->v));   /* written all over just below */
	m->n = n;
	for (size_t i = 0; i < n; i++) {
		m->v[i].conf = &confs[i];
		m->v[i].state = STATE_PENDING;
		m->v[i].since_mono_ms = now_mono;
	}
	m->count[STATE_PENDING] = n;
}

static void quiet_clear(struct quiet *q)
{
	free(q->ack_by);
	free(q->mute_by);
	memset(q, 0, sizeof(*q));
}

/* O(entries kept + EVENTLOG_LEN). */
void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct target *t = &m->v[i];

		/* a ring fills from 0: past n it was never written */
		for (unsigned k = 0; k < t->hist_n; k++)
			free(t->hist[k].msg);
		for (unsigned k = 0; k < t->tev_n; k++)
			free(t->tev[k].reason);
		free(t->tev);
		free(t->more);
		quiet_clear(&t->q);
		free(t->up);
		free(t->inc);
	}
	for (unsigned k = 0; k < EVENTLOG_LEN; k++)
		free(m->log[k].reason);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Stores ev (taking its reason) in a ring, freeing what it overwrites. */
static void event_push(struct event *ring, unsigned cap, unsigned *head,
		       unsigned *n, const struct event *ev)
{
	free(ring[*head].reason);
	ring[*head] = *ev;
	*head = (*head + 1) % cap;
	if (*n < cap)
		(*n)++;
}

/* The target's own ring, made at its first event. */
static void target_push(struct target *t, const struct event *ev)
{
	if (!t->tev)
		t->tev = xcalloc(TEVENT_LEN, sizeof(*t->tev));
	event_push(t->tev, TEVENT_LEN, &t->tev_head, &t->tev_n, ev);
}

static void hist_push(struct target *t, const struct result *r)
{
	struct hist_entry *h = &t->hist[t->hist_head];

	free(h->msg);
	h->wall_ms = r->start_wall_ms;
	h->latency_ms = (float)r->t.total_ms;
	h->http_status = (int16_t)(r->http_status > INT16_MAX ? INT16_MAX :
				   r->http_status < 0 ? 0 : r->http_status);
	h->cls = (uint8_t)r->cls;
	h->answer = result_answer_code(r);
	/* Successes are most entries: keep them allocation-free. */
	h->msg = r->cls == EC_NONE ? NULL : xstrdup(r->msg);
	t->hist_head = (t->hist_head + 1) % HIST_LEN;
	if (t->hist_n < HIST_LEN)
		t->hist_n++;
}

/* A change into DOWN opens an incident, a change out of DOWN ends the
 * open one (one that began before the restored history: start 0). O(1);
 * one allocation per target, at its first incident. */
static void incident_change(struct target *t, int64_t wall, enum state from, enum state to,
			    uint8_t cls, bool gap)
{
	struct incidents *in;
	struct incident *last;

	if ((from == STATE_DOWN) == (to == STATE_DOWN))
		return;   /* not an edge of DOWN */
	if (!t->inc)
		t->inc = xcalloc(1, sizeof(*t->inc));
	in = t->inc;
	last = in->n ? &in->v[ring_at(in->head, 0, INCIDENT_LEN)] : NULL;
	if (from == STATE_DOWN && last && !last->end_ms) {
		last->end_ms = wall > last->start_ms ? wall : last->start_ms;
		return;
	}
	in->v[in->head] = (struct incident){
		.start_ms = to == STATE_DOWN ? wall : 0,
		.end_ms = to == STATE_DOWN ? 0 : wall,
		.cls = cls, .gap = gap,
	};
	in->head = (in->head + 1) % INCIDENT_LEN;
	if (in->n < INCIDENT_LEN)
		in->n++;
}

const struct incident *target_incident(const struct target *t, unsigned k)
{
	if (!t->inc || k >= t->inc->n)
		return NULL;
	return &t->inc->v[ring_at(t->inc->head, k, INCIDENT_LEN)];
}

void target_restore_change(struct target *t, int64_t wall, enum state from, enum state to,
			   uint8_t cls, bool gap)
{
	const struct incident *last = target_incident(t, 0);

	if (from == STATE_DOWN && to == STATE_DOWN) {
		if (!last || last->end_ms)
			incident_change(t, wall, STATE_PENDING, STATE_DOWN, cls, gap);
		else
			t->inc->v[ring_at(t->inc->head, 0, INCIDENT_LEN)].gap |= gap;
		return;
	}
	incident_change(t, wall, from, to, cls, false);
}

static int at_least_1(int v)
{
	return v > 0 ? v : 1;
}

static enum state next_state(struct target *t, enum eclass cls)
{
	int down_at = at_least_1(t->conf ? t->conf->failures_before_down : 1);
	int up_at = at_least_1(t->conf ? t->conf->successes_before_up : 1);

	if (cls == EC_NONE || eclass_is_degraded(cls)) {
		t->consecutive_failures = 0;
		if (t->consecutive_successes < INT_MAX)
			t->consecutive_successes++;
		if (t->state == STATE_DOWN && t->consecutive_successes < up_at)
			return STATE_DOWN;
		return cls == EC_NONE ? STATE_UP : STATE_DEGRADED;
	}
	t->consecutive_successes = 0;
	if (t->consecutive_failures < INT_MAX)
		t->consecutive_failures++;
	if (t->state == STATE_DOWN || t->consecutive_failures >= down_at)
		return STATE_DOWN;
	return STATE_CONFIRMING;
}

static char *event_reason(const struct result *r)
{
	const char *cls = eclass_name(r->cls);

	if (!cls)
		return xstrdup("ok");
	if (!r->msg[0])
		return xstrdup(cls);
	return xasprintf("%s: %.*s", cls, RESULT_MSG_LEN, r->msg);
}

/* A latency as whole ms; anything absurd (NaN, negative, > a day) is 0
 * rather than undefined behaviour in the conversion. */
static int64_t ms_round(double ms)
{
	return ms >= 0 && ms < 86400000.0 ? (int64_t)(ms + 0.5) : 0;
}

static enum span_kind span_of(enum state s)
{
	switch (s) {
	case STATE_DOWN: return SPAN_DOWN;
	case STATE_DEGRADED: return SPAN_DEGRADED;
	case STATE_CONFIRMING: return SPAN_CONFIRMING;
	default: return SPAN_UP;
	}
}

int64_t target_span_limit(const struct target *t)
{
	const struct target_conf *c = t->conf;
	int64_t iv;

	if (!c)
		return INT64_MAX;
	iv = c->interval_down_ms > c->interval_ms ? c->interval_down_ms : c->interval_ms;
	return 2 * iv + c->timeout_ms;
}

/* Closes the span the result ends (see target.h). */
static void account(struct target *t, enum state held, int64_t end)
{
	int64_t from = t->acct_wall_ms;

	t->span_from_wall_ms = 0;
	t->acct_wall_ms = end;
	if (!from || held == STATE_PENDING || end <= from || end - from > target_span_limit(t))
		return;
	t->span_from_wall_ms = from;
	t->span_kind = (uint8_t)span_of(held);
	if (!t->up) {
		t->up = xmalloc(sizeof(*t->up));
		uptime_init(t->up);
	}
	uptime_add(t->up, from, end, span_of(held));
}

/* The fields struct last_result and struct result_more share with
 * struct result, by name. LAST_WHOLE and MORE_FIELDS are copied whole
 * (arrays too); the last result's msg and detail up to their NUL. */
#define LAST_WHOLE(X) X(start_mono_ms) X(start_wall_ms) X(http_status) X(t) X(bytes) \
	X(body_found) X(body_truncated) X(dns_stale) X(connected) X(cert_depth) \
	X(redirects) X(remote_ip) X(cert_not_after_ms) X(cert_leaf_not_after_ms) X(cls)
#define LAST_FIELDS(X) LAST_WHOLE(X) X(msg) X(detail)
#define MORE_FIELDS(X) X(cert_first_cn) X(cert_subject) X(cert_issuer) X(dns_rcode) \
	X(answer) X(effective_url)
#define COPY_FIELD(f) memcpy(&dst->f, &src->f, sizeof(dst->f));
#define SAME_LAST(f) _Static_assert(sizeof(((struct last_result *)0)->f) == \
				    sizeof(((struct result *)0)->f), #f);
#define SAME_MORE(f) _Static_assert(sizeof(((struct result_more *)0)->f) == \
				    sizeof(((struct result *)0)->f), #f);
LAST_FIELDS(SAME_LAST)
MORE_FIELDS(SAME_MORE)

/* The effective URL is kept only when it is not the target's own. */
static bool url_is_own(const struct target *t, const char *url)
{
	return !url[0] || (t->conf && t->conf->url &&
			   strncmp(url, t->conf->url, RESULT_URL_LEN - 1) == 0);
}

static bool has_more(const struct result *r, bool own_url)
{
	return !own_url || r->cert_first_cn[0] || r->cert_subject[0] || r->cert_issuer[0] ||
	       r->dns_rcode[0] || r->answer[0];
}

static void more_store(struct result_more *dst, const struct result *src, bool own_url)
{
	MORE_FIELDS(COPY_FIELD)
	if (own_url)
		memset(dst->effective_url, 0, sizeof(dst->effective_url));
}

/* A string up to its NUL: a success's empty message and detail write one
 * byte each, not 512 (a cache line instead of eight, every check). */
#define COPY_STR(f) str_copy(dst->f, sizeof(dst->f), src->f);

/* Copies r into t->last and, when r has any of it, t->more (allocated
 * once, then reused: no allocation per check). */
static void last_store(struct target *t, const struct result *src)
{
	bool own_url = url_is_own(t, src->effective_url);
	struct last_result *dst = &t->last;

	LAST_WHOLE(COPY_FIELD)
	COPY_STR(msg)
	COPY_STR(detail)
	dst->answer_code = result_answer_code(src);
	if (!t->more && !has_more(src, own_url))
		return;
	if (!t->more)
		t->more = xmalloc(sizeof(*t->more));
	more_store(t->more, src, own_url);
}

static void more_load(struct result *dst, const struct result_more *src)
{
	MORE_FIELDS(COPY_FIELD)
}

void target_last(const struct target *t, struct result *dst)
{
	const struct last_result *src = &t->last;

	memset(dst, 0, sizeof(*dst));
	LAST_WHOLE(COPY_FIELD)
	COPY_STR(msg)      /* up to the NUL: what follows it is stale */
	COPY_STR(detail)
	if (t->more)
		more_load(dst, t->more);
	if (!dst->effective_url[0] && t->conf && t->conf->url)
		snprintf(dst->effective_url, sizeof(dst->effective_url), "%s", t->conf->url);
}

/* O(1) plus two small allocations per state change (one per ring) and
 * one per non-success result (its history message). */
bool model_record(struct model *m, uint32_t i, const struct result *r,
		  int64_t now_mono, struct event *ev)
{
	struct target *t;
	enum state from, to;
	struct event e;

	if (i >= m->n)
		return false;
	t = &m->v[i];
	from = t->state;
	to = next_state(t, r->cls);
	t->checks++;
	m->checks_done++;
	if (eclass_is_failure(r->cls))
		t->failures++;
	if ((unsigned)r->cls < EC__COUNT)
		t->by_class[r->cls]++;
	hist_push(t, r);
	account(t, from, r->start_wall_ms + ms_round(r->t.total_ms));
	last_store(t, r);
	t->has_last = true;
	if (to == from)
		return false;

	t->state = to;
	t->since_mono_ms = now_mono;
	/* An acknowledgement is of one incident: it ends when DOWN does. */
	if (from == STATE_DOWN && t->q.ack_wall_ms) {
		free(t->q.ack_by);
		t->q.ack_by = NULL;
		t->q.ack_wall_ms = 0;
	}
	m->count[from]--;
	m->count[to]++;
	memset(&e, 0, sizeof(e));
	e.wall_ms = r->start_wall_ms + ms_round(r->t.total_ms);
	e.target = i;
	e.kind = EV_STATE;
	e.from = (uint8_t)from;
	e.to = (uint8_t)to;
	e.cls = (uint8_t)r->cls;
	e.u.outage = m->outage;
	e.reason = event_reason(r);
	incident_change(t, e.wall_ms, from, to, e.cls, false);
	event_push(m->log, EVENTLOG_LEN, &m->log_head, &m->log_n, &e);
	if (ev)
		*ev = e;   /* reason borrowed from the model's log */
	e.reason = xstrdup(e.reason);
	target_push(t, &e);
	return true;
}

void model_note(struct model *m, struct event *ev)
{
	event_push(m->log, EVENTLOG_LEN, &m->log_head, &m->log_n, ev);
}

/* A target's own event (ack, silence): the timeline and its ring, like a
 * state change; *ev gets the copy whose reason is the log's. */
static void target_note(struct model *m, struct target *t, struct event *e,
			struct event *ev)
{
	event_push(m->log, EVENTLOG_LEN, &m->log_head, &m->log_n, e);
	if (ev)
		*ev = *e;
	e->reason = xstrdup(e->reason);
	target_push(t, e);
}

static void event_init(struct event *e, uint32_t i, const struct target *t,
		       enum event_kind kind, int64_t wall, const char *by)
{
	memset(e, 0, sizeof(*e));
	e->wall_ms = wall;
	e->target = i;
	e->kind = (uint8_t)kind;
	e->from = e->to = (uint8_t)t->state;
	e->cls = (uint8_t)(t->has_last ? t->last.cls : EC_NONE);
	e->reason = xstrdup(by ? by : "");
}

bool model_ack(struct model *m, uint32_t i, const char *by, int64_t wall,
	       struct event *ev)
{
	struct target *t;
	struct event e;

	if (i >= m->n || m->v[i].state != STATE_DOWN || m->v[i].q.ack_wall_ms)
		return false;
	t = &m->v[i];
	t->q.ack_wall_ms = wall > 0 ? wall : 1;
	free(t->q.ack_by);
	t->q.ack_by = xstrdup(by ? by : "");
	event_init(&e, i, t, EV_ACK, wall, by);
	target_note(m, t, &e, ev);
	return true;
}

bool model_silence(struct model *m, uint32_t i, int64_t until_mono,
		   int64_t until_wall, const char *by, int64_t wall,
		   struct event *ev)
{
	struct target *t;
	struct event e;
	int64_t secs = (until_wall - wall + 999) / 1000;

	if (i >= m->n)
		return false;
	t = &m->v[i];
	t->q.mute_until_mono = until_mono;
	t->q.mute_until_wall = until_wall;
	free(t->q.mute_by);
	t->q.mute_by = xstrdup(by ? by : "");
	event_init(&e, i, t, EV_SILENCE, wall, by);
	e.u.silence.phase = SILENCE_SET;
	e.u.silence.secs = (uint32_t)(secs < 0 ? 0 : secs > UINT32_MAX ? UINT32_MAX : secs);
	target_note(m, t, &e, ev);
	return true;
}

bool model_unsilence(struct model *m, uint32_t i, enum silence_phase why,
		     const char *by, int64_t wall, struct event *ev)
{
	struct target *t;
	struct event e;

	if (i >= m->n || !m->v[i].q.mute_until_mono)
		return false;
	t = &m->v[i];
	t->q.mute_until_mono = t->q.mute_until_wall = 0;
	free(t->q.mute_by);
	t->q.mute_by = NULL;
	event_init(&e, i, t, EV_SILENCE, wall, by);
	e.u.silence.phase = (uint8_t)why;
	target_note(m, t, &e, ev);
	return true;
}

bool target_silenced(const struct target *t, int64_t now_mono)
{
	return t->q.mute_until_mono && now_mono < t->q.mute_until_mono;
}

bool target_muted(const struct target *t, int64_t now_mono)
{
	return target_silenced(t, now_mono) || t->q.maint_until_wall;
}

const char *event_alert_name(const struct event *ev, char *buf, size_t len)
{
	const char *r = ev->reason ? ev->reason : "";
	const char *sep = strstr(r, ": ");
	size_t n = sep ? (size_t)(sep - r) : strlen(r);

	if (len) {
		if (n >= len)
			n = len - 1;
		memcpy(buf, r, n);
		buf[n] = '\0';
	}
	return sep ? sep + 2 : "";
}

const struct hist_entry *target_hist(const struct target *t, unsigned k)
{
	if (k >= t->hist_n)
		return NULL;
	return &t->hist[ring_at(t->hist_head, k, HIST_LEN)];
}

const struct event *target_event(const struct target *t, unsigned k)
{
	if (k >= t->tev_n)
		return NULL;
	return &t->tev[ring_at(t->tev_head, k, TEVENT_LEN)];
}

const struct event *model_event(const struct model *m, unsigned k)
{
	if (k >= m->log_n)
		return NULL;
	return &m->log[ring_at(m->log_head, k, EVENTLOG_LEN)];
}

/* The latency rule is result.c's (result_has_latency), the one source for
 * every output; these read it from a target's last result and from a
 * history entry. */
double target_latency(const struct target *t)
{
	return t->has_last && result_latency_known(t->last.http_status, t->last.answer_code,
						    t->last.cls) ? t->last.t.total_ms
							   : -1;
}

double hist_latency(const struct hist_entry *h)
{
	return result_latency_known(h->http_status, h->answer, (enum eclass)h->cls) ?
		       h->latency_ms : -1;
}

/* Nearest rank (the ceil(0.95 n)-th smallest) over at most HIST_LEN
 * samples: an insertion sort of 32 floats, cheaper than anything clever. */
double target_p95(const struct target *t)
{
	float v[HIST_LEN];
	unsigned n = 0, rank;

	for (unsigned k = 0; k < t->hist_n; k++) {
		const struct hist_entry *h = target_hist(t, k);
		float x;
		unsigned j;

		if (eclass_is_failure((enum eclass)h->cls) || hist_latency(h) < 0)
			continue;
		x = h->latency_ms;
		for (j = n++; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	if (!n)
		return -1;
	rank = (95 * n + 99) / 100;
	return v[rank - 1];
}

double target_uptime_hours(const struct target *t, int64_t now_wall, int hours)
{
	return t->up ? uptime_hours(t->up, now_wall, hours) : -1;
}

double target_uptime_days(const struct target *t, int64_t now_wall, int days)
{
	return t->up ? uptime_days(t->up, now_wall, days) : -1;
}

void model_restore_state(struct model *m, uint32_t i, enum state s, int64_t since_mono)
{
	struct target *t = &m->v[i];

	m->count[t->state]--;
	m->count[s]++;
	t->state = s;
	t->since_mono_ms = since_mono;
}

void target_restore_hist(struct target *t, const struct hist_entry *h)
{
	free(t->hist[t->hist_head].msg);
	t->hist[t->hist_head] = *h;
	t->hist_head = (t->hist_head + 1) % HIST_LEN;
	if (t->hist_n < HIST_LEN)
		t->hist_n++;
}

void target_restore_event(struct target *t, struct event *ev)
{
	target_push(t, ev);
}

double target_uptime(const struct target *t)
{
	if (!t->checks)
		return -1;
	return 100.0 * (double)(t->checks - t->failures) / (double)t->checks;
}

/* --- reload -------------------------------------------------------------- */

static const char *target_name(const struct target *t)
{
	return t->conf && t->conf->name ? t->conf->name : "";
}

/* An open-addressing table of old indices + 1 (0: empty), size a power
 * of two at least twice the count. */
struct name_index {
	uint32_t *slot;
	size_t mask;
};

static void index_build(struct name_index *ix, const struct model *old)
{
	size_t size = 16;

	while (size < 2 * old->n)
		size *= 2;
	ix->slot = xcalloc(size, sizeof(*ix->slot));
	ix->mask = size - 1;
	for (size_t i = 0; i < old->n; i++) {
		size_t h = (size_t)hash_fnv1a(target_name(&old->v[i])) & ix->mask;

		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = (uint32_t)i + 1;
	}
}

/* The first old target of that name not yet adopted, or UINT32_MAX
 * (duplicate names pair up in order). */
static uint32_t index_take(const struct name_index *ix, const struct model *old,
			   const bool *taken, const char *name)
{
	size_t h = (size_t)hash_fnv1a(name) & ix->mask;

	for (; ix->slot[h]; h = (h + 1) & ix->mask) {
		uint32_t j = ix->slot[h] - 1;

		if (!taken[j] && strcmp(target_name(&old->v[j]), name) == 0)
			return j;
	}
	return UINT32_MAX;
}

/* Moves everything but the conf from o to t (the new target i); o keeps
 * no owned memory afterwards. */
static void target_move(struct target *t, uint32_t i, struct target *o)
{
	t->state = o->state;
	t->since_mono_ms = o->since_mono_ms;
	t->consecutive_failures = o->consecutive_failures;
	t->consecutive_successes = o->consecutive_successes;
	t->checks = o->checks;
	t->failures = o->failures;
	memcpy(t->by_class, o->by_class, sizeof(t->by_class));
	t->last = o->last;
	t->more = o->more;
	o->more = NULL;
	t->has_last = o->has_last;
	memcpy(t->hist, o->hist, sizeof(t->hist));
	t->hist_head = o->hist_head;
	t->hist_n = o->hist_n;
	t->tev = o->tev;
	o->tev = NULL;
	t->tev_head = o->tev_head;
	t->tev_n = o->tev_n;
	/* acks and silences survive a reload; maintenance is the new
	 * config's to say */
	t->q = o->q;
	t->q.maint_until_wall = 0;
	memset(&o->q, 0, sizeof(o->q));
	t->acct_wall_ms = o->acct_wall_ms;
	t->up = o->up;
	o->up = NULL;
	t->inc = o->inc;
	o->inc = NULL;
	for (unsigned k = 0; k < t->tev_n; k++)
		t->tev[k].target = i;
	memset(o->hist, 0, sizeof(o->hist));
	o->hist_head = o->hist_n = o->tev_head = o->tev_n = 0;
}

/* O(n + old->n + EVENTLOG_LEN) expected. Meant for a freshly initialised
 * `m`: the old model's log (of the targets that stay) is appended to m's,
 * oldest first, with target indices rewritten. */
void model_adopt(struct model *m, struct model *old)
{
	uint32_t *map = xcalloc(old->n, sizeof(*map));
	bool *taken = xcalloc(old->n, sizeof(*taken));
	struct name_index ix;

	index_build(&ix, old);
	for (size_t j = 0; j < old->n; j++)
		map[j] = UINT32_MAX;
	for (size_t i = 0; i < m->n; i++) {
		uint32_t j = index_take(&ix, old, taken, target_name(&m->v[i]));

		if (j == UINT32_MAX)
			continue;
		taken[j] = true;
		map[j] = (uint32_t)i;
		target_move(&m->v[i], (uint32_t)i, &old->v[j]);
	}
	for (unsigned k = old->log_n; k-- > 0;) {
		struct event *e = &old->log[ring_at(old->log_head, k,
						    EVENTLOG_LEN)];
		struct event moved;

		/* uptop's own events (stalls, outages) stay on the timeline. */
		if (e->target != EVENT_NO_TARGET &&
		    (e->target >= old->n || map[e->target] == UINT32_MAX))
			continue;
		moved = *e;
		if (e->target != EVENT_NO_TARGET)
			moved.target = map[e->target];
		e->reason = NULL;
		event_push(m->log, EVENTLOG_LEN, &m->log_head, &m->log_n,
			   &moved);
	}
	memset(m->count, 0, sizeof(m->count));
	for (size_t i = 0; i < m->n; i++)
		m->count[m->v[i].state]++;
	m->checks_done += old->checks_done;
	free(ix.slot);
	free(taken);
	free(map);
}
