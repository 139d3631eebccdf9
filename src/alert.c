/* alert.c - when to alert: the engine's events in, alerts out (the rules
 * are in alert.h; alert_send.c runs them).
 *
 * Everything here is O(1) per event except what is once per rare thing:
 * an outage's start or end and a global maintenance window's end look at
 * every target (O(n)), a reload maps the state by name (O(n log n)).
 * Targets waiting out alert_wait and targets owed reminders sit in two
 * small lists the timer walks. */
#include "alert_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "config.h"
#include "engine.h"
#include "fmt.h"
#include "history.h"
#include "log.h"
#include "outage.h"
#include "util.h"

static void timer_arm(struct alert *a);

/* --- masks ------------------------------------------------------------ */

static void masks(struct alert *a)
{
	const struct config *c = a->cfg;

	a->down_mask = a->up_mask = a->degraded_mask = a->repeat_mask = a->used_mask = 0;
	for (size_t i = 0; i < c->nalerts; i++) {
		uint64_t bit = (uint64_t)1 << i;

		if (c->alerts[i].on & ALERT_ON_DOWN)
			a->down_mask |= bit;
		if (c->alerts[i].on & ALERT_ON_UP)
			a->up_mask |= bit;
		if (c->alerts[i].on & ALERT_ON_DEGRADED)
			a->degraded_mask |= bit;
		if (c->alerts[i].repeat_ms > 0)
			a->repeat_mask |= bit;
	}
	for (size_t i = 0; i < c->ntargets; i++)
		a->used_mask |= c->targets[i].alerts;
}

/* --- the two lists ---------------------------------------------------- */

static void list_add(uint32_t **v, size_t *n, size_t *cap, int32_t *at, uint32_t id)
{
	if (*at >= 0)
		return;
	*v = xreallocarray_grow(*v, cap, *n + 1, sizeof(**v));
	*at = (int32_t)*n;
	(*v)[(*n)++] = id;
}

static void hold_del(struct alert *a, uint32_t id)
{
	struct tstate *t = &a->ts[id];

	if (t->hold_at < 0)
		return;
	a->holds[t->hold_at] = a->holds[--a->nholds];
	if ((size_t)t->hold_at < a->nholds)
		a->ts[a->holds[t->hold_at]].hold_at = t->hold_at;
	t->hold_at = -1;
	t->hold_until = 0;
}

static void rem_del(struct alert *a, uint32_t id)
{
	struct tstate *t = &a->ts[id];

	if (t->rem_at < 0)
		return;
	a->rem[t->rem_at] = a->rem[--a->nrem];
	if ((size_t)t->rem_at < a->nrem)
		a->ts[a->rem[t->rem_at]].rem_at = t->rem_at;
	t->rem_at = -1;
}

/* --- what an alert says ----------------------------------------------- */

struct texts {
	char url[RESULT_URL_LEN];
	char desc[RESULT_MSG_LEN + 256];
};

static const struct target *target_of(const struct alert *a, uint32_t id)
{
	return &engine_model(a->e)->v[id];
}

static void ctx_target(struct alert *a, uint32_t id, int from, int to, bool repeat,
		       struct alert_ctx *c, struct texts *tx)
{
	const struct target *t = target_of(a, id);
	const struct tstate *s = &a->ts[id];
	bool failing = to != STATE_UP && t->has_last && t->last.cls != EC_NONE;
	const char *cls = failing ? eclass_name(t->last.cls) : NULL;
	char dur[32];

	memset(c, 0, sizeof(*c));
	fmt_redact_url(tx->url, sizeof(tx->url), t->conf->url);
	c->name = t->conf->name;
	c->group = t->conf->group ? t->conf->group : "";
	c->url = tx->url;
	c->from = from;
	c->to = to;
	c->error_class = cls ? cls : "";
	c->error = failing ? t->last.msg : "";
	c->error_detail = failing ? t->last.detail : "";
	c->time_wall = wall_ms();
	c->since_wall = s->since_wall;
	c->outage = s->outage;
	c->repeat = repeat;
	c->resolved = to == STATE_UP || (to == STATE_DEGRADED && from == STATE_DOWN);
	fmt_duration(dur, sizeof(dur),
		     c->time_wall > s->since_wall ? c->time_wall - s->since_wall : 0);
	if (c->resolved)
		snprintf(tx->desc, sizeof(tx->desc), "%s is %s again after %s", c->name,
			 to == STATE_UP ? "up" : "answering (degraded)", dur);
	else if (repeat)
		snprintf(tx->desc, sizeof(tx->desc), "%s is still %s after %s: %s%s%s", c->name,
			 state_name((enum state)to), dur, c->error_class, *c->error ? ": " : "",
			 c->error);
	else
		snprintf(tx->desc, sizeof(tx->desc), "%s is %s: %s%s%s", c->name,
			 state_name((enum state)to), c->error_class, *c->error ? ": " : "",
			 c->error);
	c->description = tx->desc;
}

static void send_mask(struct alert *a, uint64_t mask, const struct alert_ctx *proto,
		      uint32_t target, uint8_t flags, uint8_t cls)
{
	for (size_t i = 0; i < a->cfg->nalerts; i++) {
		struct alert_ctx c = *proto;

		if (!(mask & ((uint64_t)1 << i)))
			continue;
		c.alert = a->cfg->alerts[i].name;
		alert_send(a, (int)i, &c, target, flags, cls);
	}
}

/* Alerts in mask tell of target id's from -> to, now. */
static void tell(struct alert *a, uint32_t id, int from, int to, uint64_t mask, bool repeat)
{
	struct alert_ctx c;
	struct texts tx;
	const struct target *t = target_of(a, id);

	if (!mask)
		return;
	ctx_target(a, id, from, to, repeat, &c, &tx);
	log_debug("alert: %s %s%s: %llx", t->conf->name, state_name((enum state)to),
		  repeat ? " (reminder)" : "", (unsigned long long)mask);
	send_mask(a, mask, &c, id, repeat ? ALERT_F_REPEAT : 0,
		  (uint8_t)(t->has_last ? t->last.cls : EC_NONE));
}

/* Its down, by every alert that has not told of it yet (before a
 * restart, say). */
static void tell_down(struct alert *a, uint32_t id)
{
	struct tstate *s = &a->ts[id];
	uint64_t alerts = target_of(a, id)->conf->alerts, mask = alerts & a->down_mask & ~s->downs;

	s->owed = false;
	/* an alert with up but not down says only "resolved": of a down that
	 * was told (not a quiet one, not an outage's) */
	s->fired |= alerts & a->up_mask & ~a->down_mask;
	if (!mask)
		return;
	tell(a, id, s->from, STATE_DOWN, mask, false);
	s->fired |= mask;
	s->downs |= mask;
	s->sent_mono = s->scanned_mono = mono_ms();
	if (mask & a->repeat_mask) {
		int64_t first = INT64_MAX;

		list_add(&a->rem, &a->nrem, &a->rem_cap, &s->rem_at, id);
		for (size_t i = 0; i < a->cfg->nalerts; i++)
			if ((mask & a->repeat_mask & ((uint64_t)1 << i)) &&
			    a->cfg->alerts[i].repeat_ms < first)
				first = a->cfg->alerts[i].repeat_ms;
		alert_wake_at(a, s->sent_mono + first);
	}
}

static bool quiet(const struct alert *a, uint32_t id)
{
	return target_muted(target_of(a, id), mono_ms());
}

/* --- the events -------------------------------------------------------- */

/* A down to tell now, of a failure of class cls: quiet, it is owed; a
 * network failure waits alert_wait for an outage to tell of it. */
static void down_now(struct alert *a, uint32_t id, enum eclass cls)
{
	struct tstate *s = &a->ts[id];

	if (quiet(a, id)) {
		s->owed = true;
		return;
	}
	if (a->cfg->settings.alert_wait_ms > 0 && outage_is_network(cls) &&
	    (target_of(a, id)->conf->alerts & a->down_mask)) {
		s->hold_until = mono_ms() + a->cfg->settings.alert_wait_ms;
		list_add(&a->holds, &a->nholds, &a->holds_cap, &s->hold_at, id);
		alert_wake_at(a, s->hold_until);
		return;
	}
	tell_down(a, id);
}

static void on_down(struct alert *a, const struct event *ev)
{
	uint32_t id = ev->target;
	struct tstate *s = &a->ts[id];

	if (!s->fired)
		s->since_wall = ev->wall_ms;
	s->from = ev->from;
	s->downs = 0;
	if (ev->u.outage) {
		/* the outage's one alert tells of it */
		s->owed = true;
		s->outage = ev->u.outage;
		return;
	}
	down_now(a, id, (enum eclass)ev->cls);
}

/* Out of DOWN or DEGRADED into an answer: resolved for the alerts that
 * told of it; a new DEGRADED is told too. */
static void on_answer(struct alert *a, const struct event *ev)
{
	uint32_t id = ev->target;
	struct tstate *s = &a->ts[id];
	const struct target *t = target_of(a, id);
	uint64_t resolved = s->fired & a->up_mask & t->conf->alerts;
	bool hush = quiet(a, id);

	hold_del(a, id);
	rem_del(a, id);
	s->owed = false;
	s->await_result = AWAIT_NONE;
	s->outage = 0;
	if (resolved && !hush && (ev->from == STATE_DOWN || ev->from == STATE_DEGRADED))
		tell(a, id, ev->from, ev->to, resolved, false);
	s->fired = s->downs = 0;
	if (ev->to == STATE_DEGRADED) {
		/* an alert that just said "resolved" says no more */
		uint64_t mask = t->conf->alerts & a->degraded_mask &
				~(ev->from == STATE_DOWN ? resolved : 0);

		s->since_wall = ev->wall_ms;
		s->from = ev->from;
		if (mask && !hush) {
			tell(a, id, ev->from, STATE_DEGRADED, mask, false);
			s->fired = mask;
		}
	}
}

static void on_state(struct alert *a, const struct event *ev)
{
	if (ev->target >= a->n)
		return;
	if (ev->to == STATE_DOWN)
		on_down(a, ev);
	else if (ev->to == STATE_UP || ev->to == STATE_DEGRADED)
		on_answer(a, ev);
}

static bool all_quiet(const struct alert *a)
{
	int64_t now = mono_ms();

	for (size_t i = 0; i < a->n; i++)
		if (!target_muted(target_of(a, (uint32_t)i), now))
			return false;
	return a->n > 0;
}

static void tell_outage(struct alert *a, const struct event *ev, bool start, uint64_t mask)
{
	const struct outage_status *st = engine_outage(a->e);
	struct alert_ctx c;
	char desc[RESULT_MSG_LEN + 64], dur[32];
	const char *cls = eclass_name((enum eclass)ev->cls);

	memset(&c, 0, sizeof(c));
	c.name = "mass outage";
	c.group = c.url = "";
	c.from = start ? STATE_UP : STATE_DOWN;
	c.to = start ? STATE_DOWN : STATE_UP;
	c.error_class = start && cls ? cls : "";
	c.error = start ? ev->reason : "";
	c.error_detail = "";
	c.time_wall = ev->wall_ms;
	c.since_wall = a->outage_since;
	c.outage = st->number;
	c.resolved = !start;
	fmt_duration(dur, sizeof(dur), ev->wall_ms - a->outage_since);
	if (start)
		snprintf(desc, sizeof(desc), "mass outage: %s", ev->reason);
	else
		snprintf(desc, sizeof(desc), "mass outage over after %s: %s", dur, ev->reason);
	c.description = desc;
	log_debug("alert: mass outage %u %s: %llx", st->number, start ? "starts" : "ends",
		  (unsigned long long)mask);
	send_mask(a, mask, &c, EVENT_NO_TARGET, ALERT_F_OUTAGE, ev->cls);
}

static void on_outage(struct alert *a, const struct event *ev)
{
	if (ev->u.out.phase == OUTAGE_START) {
		a->outage = engine_outage(a->e)->number;
		a->outage_since = ev->wall_ms;
		/* downs waiting for an outage: this is it */
		while (a->nholds) {
			uint32_t id = a->holds[0];

			hold_del(a, id);
			a->ts[id].owed = true;
			a->ts[id].outage = a->outage;
		}
		a->outage_fired = 0;
		if (!all_quiet(a)) {
			tell_outage(a, ev, true, a->used_mask & a->down_mask);
			a->outage_fired = a->used_mask & (a->down_mask | a->up_mask);
		}
		return;
	}
	if (a->outage_fired & a->up_mask)
		tell_outage(a, ev, false, a->outage_fired & a->up_mask);
	/* what stays down is its own news: each target's next result says
	 * (most are not checked again yet when the outage ends) */
	for (uint32_t id = 0; id < a->n; id++) {
		struct tstate *s = &a->ts[id];

		if (!s->outage || s->outage != a->outage)
			continue;
		if (target_of(a, id)->state == STATE_DOWN && s->owed) {
			s->await_result = AWAIT_OUTAGE;
		} else {
			s->outage = 0;
			s->owed = false;
		}
	}
	a->outage_fired = 0;
	a->outage = 0;
}

/* After an outage, or a restart: the first failure of a target still
 * down whose down nobody was told of tells of it. */
static void on_result(void *arg, uint32_t id, const struct result *r)
{
	struct alert *a = arg;
	struct tstate *s;
	const struct target *t;
	uint8_t why;

	if (id >= a->n || !a->ts[id].await_result || !eclass_is_failure(r->cls))
		return;
	s = &a->ts[id];
	t = target_of(a, id);
	why = s->await_result;
	s->await_result = AWAIT_NONE;
	if (t->state != STATE_DOWN || !s->owed || t->q.ack_wall_ms)
		return;
	if (why == AWAIT_RESTART && a->outage) {
		/* as a down while an outage is open: the outage's */
		s->outage = a->outage;
	} else if (why == AWAIT_RESTART) {
		down_now(a, id, r->cls);
	} else if (!quiet(a, id)) {
		tell_down(a, id);
	}
}

/* A silence lifted or run out, a window closed: a down nobody was told
 * of is told now, unless someone acknowledged it. */
static void quiet_ended(struct alert *a, uint32_t id)
{
	const struct target *t;
	struct tstate *s;

	if (id >= a->n)
		return;
	t = target_of(a, id);
	s = &a->ts[id];
	if (t->state == STATE_DOWN && s->owed && !(s->outage && s->outage == a->outage) &&
	    !s->await_result && !quiet(a, id) && !t->q.ack_wall_ms)
		tell_down(a, id);
}

static void on_event(void *arg, const struct event *ev)
{
	struct alert *a = arg;

	switch (ev->kind) {
	case EV_STATE:
		on_state(a, ev);
		break;
	case EV_OUTAGE:
		on_outage(a, ev);
		break;
	case EV_SILENCE:
		if (ev->u.silence.phase != SILENCE_SET)
			quiet_ended(a, ev->target);
		break;
	case EV_MAINT:
		/* a reload closes the old windows and opens the new at once:
		 * alert_reload looks at what is owed after both */
		if (ev->u.maint.phase != MAINT_END || ev->u.maint.reload)
			break;
		if (ev->target != EVENT_NO_TARGET)
			quiet_ended(a, ev->target);
		else
			for (uint32_t id = 0; id < a->n; id++)
				quiet_ended(a, id);
		break;
	default:
		break;
	}
}

/* --- the timer: outcomes, waits, reminders, retries -------------------- */

/* Reminders due for target id at now; the next one's time. */
static int64_t remind(struct alert *a, uint32_t id, int64_t now)
{
	struct tstate *s = &a->ts[id];
	const struct target *t = target_of(a, id);
	uint64_t due = 0, mask = s->fired & a->repeat_mask & t->conf->alerts;
	int64_t next = INT64_MAX;

	if (t->state != STATE_DOWN || !mask) {
		rem_del(a, id);
		return INT64_MAX;
	}
	for (size_t i = 0; i < a->cfg->nalerts; i++) {
		int64_t rep = a->cfg->alerts[i].repeat_ms, k_now, k_then;

		if (!(mask & ((uint64_t)1 << i)))
			continue;
		k_now = (now - s->sent_mono) / rep;
		k_then = (s->scanned_mono - s->sent_mono) / rep;
		if (k_now > k_then)
			due |= (uint64_t)1 << i;
		if (s->sent_mono + (k_now + 1) * rep < next)
			next = s->sent_mono + (k_now + 1) * rep;
	}
	s->scanned_mono = now;
	/* acknowledged or quiet: the reminder is skipped, not postponed */
	if (due && !t->q.ack_wall_ms && !quiet(a, id))
		tell(a, id, s->from, STATE_DOWN, due, true);
	return next;
}

static void on_timer(void *arg)
{
	struct alert *a = arg;
	int64_t now = mono_ms();

	/* outcomes first: said in the order they happened */
	for (size_t i = 0; i < a->npend; i++)
		alert_outcome(a, &a->pend[i]);
	a->npend = 0;
	for (size_t i = 0; i < a->nholds;) {
		uint32_t id = a->holds[i];
		const struct target *t = target_of(a, id);

		if (a->ts[id].hold_until > now) {
			i++;
			continue;
		}
		hold_del(a, id);
		if (t->state != STATE_DOWN)
			continue;
		if (quiet(a, id))
			a->ts[id].owed = true;
		else
			tell_down(a, id);
	}
	for (size_t i = 0; i < a->nrem;) {
		size_t before = a->nrem;

		remind(a, a->rem[i], now);
		if (a->nrem == before)
			i++;
	}
	alert_hooks_due(a, now);
	timer_arm(a);
}

static void timer_arm(struct alert *a)
{
	int64_t now = mono_ms(), due = INT64_MAX;

	if (a->npend)
		due = now;
	for (size_t i = 0; i < a->nholds; i++)
		if (a->ts[a->holds[i]].hold_until < due)
			due = a->ts[a->holds[i]].hold_until;
	for (size_t i = 0; i < a->nrem; i++) {
		const struct tstate *s = &a->ts[a->rem[i]];

		for (size_t k = 0; k < a->cfg->nalerts; k++) {
			int64_t rep = a->cfg->alerts[k].repeat_ms, at;

			if (!(s->fired & ((uint64_t)1 << k)) || rep <= 0)
				continue;
			at = s->sent_mono + ((s->scanned_mono - s->sent_mono) / rep + 1) * rep;
			if (at < due)
				due = at;
		}
	}
	{
		int64_t h = alert_hooks_due(a, INT64_MIN);

		if (h < due)
			due = h;
	}
	loop_timer_arm(&a->timer, due);
}

void alert_defer(struct alert *a, struct event *ev)
{
	a->pend = xreallocarray_grow(a->pend, &a->pend_cap, a->npend + 1, sizeof(*a->pend));
	a->pend[a->npend++] = *ev;
	alert_wake_at(a, mono_ms());
}

/* --- life ---------------------------------------------------------------- */

static void states_new(struct alert *a, size_t n)
{
	a->ts = xcalloc(n ? n : 1, sizeof(*a->ts));
	a->n = n;
	for (size_t i = 0; i < n; i++)
		a->ts[i].hold_at = a->ts[i].rem_at = -1;
}

struct alert *alert_new(struct loop *l, struct engine *e, const struct config *cfg)
{
	struct alert *a = xcalloc(1, sizeof(*a));

	a->loop = l;
	a->e = e;
	a->cfg = cfg;
	states_new(a, cfg->ntargets);
	masks(a);
	loop_timer_add(l, &a->timer, on_timer, a);
	alert_send_init(a);
	engine_subscribe(e, &(struct engine_sub){ .on_result = on_result, .on_event = on_event,
						  .arg = a });
	log_debug("alert: %zu alert%s, %zu targets", cfg->nalerts, cfg->nalerts == 1 ? "" : "s",
		  cfg->ntargets);
	return a;
}

/* An old alert's bit -> the new config's bit of the same name. */
static uint64_t remap(uint64_t mask, const struct config *from, const struct config *to)
{
	uint64_t out = 0;

	for (size_t i = 0; i < from->nalerts; i++) {
		int j;

		if ((mask & ((uint64_t)1 << i)) &&
		    (j = config_alert_index(to, from->alerts[i].name)) >= 0)
			out |= (uint64_t)1 << j;
	}
	return out;
}

struct by_name {
	const char *name;
	uint32_t id;
};

static int by_name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct by_name *)x)->name, ((const struct by_name *)y)->name);
}

void alert_reload(struct alert *a, const struct config *cfg)
{
	const struct config *old = a->cfg;
	struct tstate *ots = a->ts;
	size_t on = a->n;
	struct by_name *ix = xcalloc(on ? on : 1, sizeof(*ix));

	for (size_t i = 0; i < on; i++)
		ix[i] = (struct by_name){ old->targets[i].name, (uint32_t)i };
	qsort(ix, on, sizeof(*ix), by_name_cmp);
	a->nholds = a->nrem = 0;
	states_new(a, cfg->ntargets);
	a->cfg = cfg;
	masks(a);
	a->gen++;
	for (size_t i = 0; i < cfg->ntargets; i++) {
		struct by_name key = { cfg->targets[i].name, 0 }, *hit;
		struct tstate *s = &a->ts[i];

		hit = bsearch(&key, ix, on, sizeof(*ix), by_name_cmp);
		if (!hit)
			continue;
		*s = ots[hit->id];
		s->fired = remap(s->fired, old, cfg);
		s->downs = remap(s->downs, old, cfg);
		s->hold_at = s->rem_at = -1;
		if (s->hold_until)
			list_add(&a->holds, &a->nholds, &a->holds_cap, &s->hold_at, (uint32_t)i);
		if (s->fired & a->repeat_mask)
			list_add(&a->rem, &a->nrem, &a->rem_cap, &s->rem_at, (uint32_t)i);
	}
	a->outage_fired = remap(a->outage_fired, old, cfg);
	free(ix);
	free(ots);
	/* a window the new config no longer has: what it held back goes out */
	for (uint32_t id = 0; id < a->n; id++)
		quiet_ended(a, id);
	timer_arm(a);
	log_debug("alert: reloaded: %zu alert%s", cfg->nalerts, cfg->nalerts == 1 ? "" : "s");
}

/* --- after a restart: what was told ------------------------------------ */

void alert_recall(const struct config *cfg, uint64_t alerts, const struct history_told *v,
		  size_t n, struct alert_recall *out)
{
	uint64_t before = 0;   /* fired when it last left DOWN for DEGRADED */

	memset(out, 0, sizeof(*out));
	out->from = STATE_UP;
	for (size_t i = 0; i < n; i++) {
		const struct history_told *r = &v[i];
		uint64_t bit;
		int k;

		if (!r->alert[0]) {
			/* a state change, as on_down and on_answer take it */
			if (r->to == STATE_DOWN) {
				if (!out->fired)
					out->since_wall = r->time;
				out->from = r->from;
				out->downs = 0;
			} else {
				before = r->from == STATE_DOWN ? out->fired : 0;
				out->fired = out->downs = 0;
				out->sent_wall = 0;
				out->since_wall = r->to == STATE_DEGRADED ? r->time : 0;
			}
			continue;
		}
		k = config_alert_index(cfg, r->alert);
		if (k < 0 || !(alerts & ((uint64_t)1 << k)))
			continue;
		bit = (uint64_t)1 << k;
		if (r->to == STATE_DOWN) {
			/* the down, or a reminder */
			out->fired |= bit;
			out->downs |= bit;
			out->from = r->from;
			if (cfg->alerts[k].repeat_ms > 0 && r->time > out->sent_wall)
				out->sent_wall = r->time;
		} else if (r->to == STATE_UP ||
			   (r->from == STATE_DOWN && (before & bit) &&
			    (cfg->alerts[k].on & ALERT_ON_UP))) {
			/* resolved (DOWN -> DEGRADED: an alert that told of the
			 * down says that, not "degraded") */
			out->fired &= ~bit;
			out->downs &= ~bit;
		} else if (r->to == STATE_DEGRADED) {
			out->fired |= bit;
		}
	}
}

/* Reminders of target id go on from `sent` (wall), the last one; one
 * that fell due while uptop was not running comes at once, once. */
static void restore_reminders(struct alert *a, uint32_t id, int64_t sent_wall, int64_t now,
			      int64_t wall)
{
	struct tstate *s = &a->ts[id];
	uint64_t mask = s->downs & a->repeat_mask;
	int64_t first = INT64_MAX, sent = now - (wall - sent_wall);

	if (!mask || !sent_wall)
		return;
	for (size_t k = 0; k < a->cfg->nalerts; k++)
		if ((mask & ((uint64_t)1 << k)) && a->cfg->alerts[k].repeat_ms < first)
			first = a->cfg->alerts[k].repeat_ms;
	if (sent > now)
		sent = now;     /* the wall clock went back */
	if (sent + first <= now)
		sent = now - first;
	s->sent_mono = s->scanned_mono = sent;
	list_add(&a->rem, &a->nrem, &a->rem_cap, &s->rem_at, id);
}

/* Target id, restored DOWN or DEGRADED, from its rows v (maybe none). */
static void restore_target(struct alert *a, uint32_t id, const struct history_told *v, size_t n,
			   int64_t now, int64_t wall)
{
	const struct target *t = target_of(a, id);
	struct tstate *s = &a->ts[id];
	uint64_t alerts = t->conf->alerts, up_only = alerts & a->up_mask & ~a->down_mask;
	struct alert_recall rc;

	alert_recall(a->cfg, alerts, v, n, &rc);
	s->fired = rc.fired;
	s->downs = rc.downs;
	s->from = rc.from;
	s->since_wall = rc.since_wall ? rc.since_wall : wall - (now - t->since_mono_ms);
	if (t->state != STATE_DOWN)
		return;
	/* told: an alert with up but not down says "resolved" too (tell_down) */
	if (s->downs)
		s->fired |= up_only;
	if ((alerts & a->down_mask & ~s->downs) || (!s->downs && up_only)) {
		s->owed = true;
		s->await_result = AWAIT_RESTART;
	}
	restore_reminders(a, id, rc.sent_wall, now, wall);
	log_debug("alert: %s restored: told %llx, owed: %s", t->conf->name,
		  (unsigned long long)s->downs, s->owed ? "yes" : "no");
}

void alert_restore(struct alert *a, const struct history_told *v, size_t n)
{
	int64_t now = mono_ms(), wall = wall_ms();
	size_t at = 0;

	for (uint32_t id = 0; id < a->n; id++) {
		enum state st = target_of(a, id)->state;
		size_t from;

		while (at < n && v[at].target < id)
			at++;
		for (from = at; at < n && v[at].target == id; at++)
			;
		if (st == STATE_DOWN || st == STATE_DEGRADED)
			restore_target(a, id, v + from, at - from, now, wall);
	}
	timer_arm(a);
}

void alert_restore_outage(struct alert *a, const struct history_outage *o)
{
	uint64_t told = 0;

	if (!o->since)
		return;
	for (size_t i = 0; i < o->nalerts; i++) {
		int k = config_alert_index(a->cfg, o->alerts[i]);

		if (k >= 0)
			told |= (uint64_t)1 << k;
	}
	if (!told)
		return;
	/* as on_outage marked them when it told of the start */
	a->outage_fired = (told | (a->used_mask & a->up_mask & ~a->down_mask)) & a->up_mask;
	a->outage_since = o->since;
	log_debug("alert: the outage left open since %lld: resolved goes to %llx",
		  (long long)o->since, (unsigned long long)a->outage_fired);
}

void alert_stats(const struct alert *a, struct alert_stats *out)
{
	struct child_stats cs;

	memset(out, 0, sizeof(*out));
	out->sent = a->sent;
	out->failed = a->failed;
	out->dropped = a->dropped;
	if (a->child) {
		child_stats(a->child, &cs);
		out->running = cs.running;
		out->queued = cs.queued;
	}
	out->running += a->nhooks;
}

void alert_free(struct alert *a)
{
	if (!a)
		return;
	alert_send_free(a);
	loop_timer_del(a->loop, &a->timer);
	for (size_t i = 0; i < a->npend; i++)
		free(a->pend[i].reason);
	free(a->pend);
	free(a->holds);
	free(a->rem);
	free(a->ts);
	free(a);
}
