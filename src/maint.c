/* maint.c - maintenance windows: local times to instants, once; then
 * which windows are open, by arithmetic (see maint.h). */
#include "maint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "util.h"

#define DAY_MS 86400000LL
#define BACK_DAYS 8                    /* a week of durations, and a day */
#define NDAYS (BACK_DAYS + MAINT_HORIZON_DAYS)

/* The starts of one (zone, start time): starts[k] is the instant of the
 * start on local day k, day 0 being BACK_DAYS before the build. */
struct starts {
	const char *tz;                /* borrowed from the config; NULL: UTC */
	int start_min;
	int wday0;                     /* weekday of day 0 (0 Sunday) */
	int64_t at[NDAYS];
};

struct entry {
	uint32_t owner;
	const struct maint_window *w;
	const struct starts *s;
	bool open;
	int64_t until;
};

struct maint_plan {
	struct starts **keys;
	size_t nkeys;
	struct entry *v;               /* global first, then by owner */
	size_t n, nglobal;
	uint32_t *first;               /* target id -> its first entry; [n] end */
	size_t ntargets;
	int64_t horizon;               /* the last start computed */
};

static bool tz_utc(const char *tz)
{
	return !tz || strcasecmp(tz, "UTC") == 0;
}

static bool tz_local(const char *tz)
{
	return tz && strcmp(tz, "Local") == 0;
}

/* The instants of one (zone, start): TZ switched for a named zone only,
 * and put back as it was. */
static void starts_fill(struct starts *s, int64_t now_wall)
{
	time_t now = (time_t)(now_wall / 1000);
	char *saved = NULL;
	struct tm today;
	bool named = !tz_utc(s->tz) && !tz_local(s->tz);

	if (named) {
		const char *old = getenv("TZ");
		char *zone = xasprintf(":%s", s->tz);

		saved = old ? xstrdup(old) : NULL;
		setenv("TZ", zone, 1);
		free(zone);
		tzset();
	}
	if (tz_utc(s->tz))
		gmtime_r(&now, &today);
	else
		localtime_r(&now, &today);
	for (int k = 0; k < NDAYS; k++) {
		struct tm tm;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = today.tm_year;
		tm.tm_mon = today.tm_mon;
		tm.tm_mday = today.tm_mday - BACK_DAYS + k;
		tm.tm_hour = s->start_min / 60;
		tm.tm_min = s->start_min % 60;
		tm.tm_isdst = -1;
		t = tz_utc(s->tz) ? timegm(&tm) : mktime(&tm);
		s->at[k] = (int64_t)t * 1000;
		if (k == 0)
			s->wday0 = tm.tm_wday;
	}
	if (named) {
		if (saved)
			setenv("TZ", saved, 1);
		else
			unsetenv("TZ");
		free(saved);
		tzset();
	}
}

static bool same_tz(const char *a, const char *b)
{
	if (tz_utc(a) || tz_utc(b))
		return tz_utc(a) && tz_utc(b);
	return strcmp(a, b) == 0;
}

static const struct starts *key_get(struct maint_plan *p, const struct maint_window *w,
				    int64_t now_wall, size_t *cap)
{
	struct starts *s;

	for (size_t i = 0; i < p->nkeys; i++)
		if (p->keys[i]->start_min == w->start_min && same_tz(p->keys[i]->tz, w->timezone))
			return p->keys[i];
	s = xcalloc(1, sizeof(*s));
	s->tz = w->timezone;
	s->start_min = w->start_min;
	starts_fill(s, now_wall);
	p->keys = xreallocarray_grow(p->keys, cap, p->nkeys + 1, sizeof(*p->keys));
	p->keys[p->nkeys++] = s;
	return s;
}

static void add_list(struct maint_plan *p, uint32_t owner, const struct maint_list *l,
		     int64_t now_wall, size_t *kcap)
{
	for (size_t i = 0; i < l->n; i++)
		p->v[p->n++] = (struct entry){ owner, &l->v[i],
					       key_get(p, &l->v[i], now_wall, kcap), false, 0 };
}

struct maint_plan *maint_plan_new(const struct config *cfg, int64_t now_wall)
{
	struct maint_plan *p = xcalloc(1, sizeof(*p));
	size_t total = cfg->maint.n, kcap = 0;
	bool own = false;

	for (size_t i = 0; i < cfg->ntargets; i++) {
		total += cfg->targets[i].maint.n;
		own |= cfg->targets[i].maint.n > 0;
	}
	p->v = xcalloc(total ? total : 1, sizeof(*p->v));
	p->ntargets = cfg->ntargets;
	add_list(p, MAINT_GLOBAL, &cfg->maint, now_wall, &kcap);
	p->nglobal = p->n;
	if (own) {
		p->first = xcalloc(cfg->ntargets + 1, sizeof(*p->first));
		for (size_t i = 0; i < cfg->ntargets; i++) {
			p->first[i] = (uint32_t)p->n;
			add_list(p, (uint32_t)i, &cfg->targets[i].maint, now_wall, &kcap);
		}
		p->first[cfg->ntargets] = (uint32_t)p->n;
	}
	p->horizon = INT64_MAX;
	for (size_t i = 0; i < p->nkeys; i++)
		if (p->keys[i]->at[NDAYS - 1] < p->horizon)
			p->horizon = p->keys[i]->at[NDAYS - 1];
	return p;
}

void maint_plan_free(struct maint_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nkeys; i++)
		free(p->keys[i]);
	free(p->keys);
	free(p->v);
	free(p->first);
	free(p);
}

bool maint_plan_empty(const struct maint_plan *p)
{
	return p->n == 0;
}

bool maint_plan_stale(const struct maint_plan *p, int64_t now_wall)
{
	return p->n && p->horizon != INT64_MAX && now_wall > p->horizon - 7 * DAY_MS;
}

static bool day_on(const struct entry *e, int k)
{
	return e->w->days & (1u << ((e->s->wday0 + k) % 7));
}

/* The last day whose start is at or before now (-1: none). */
static int day_at(const struct starts *s, int64_t now)
{
	int lo = 0, hi = NDAYS - 1;

	if (s->at[0] > now)
		return -1;
	while (lo < hi) {
		int mid = (lo + hi + 1) / 2;

		if (s->at[mid] <= now)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Whether e is open at now, until when (occurrences that overlap run on
 * as one), and the next instant its state changes. */
static bool entry_eval(const struct entry *e, int64_t now, int64_t *until, int64_t *next)
{
	const struct starts *s = e->s;
	int64_t dur = e->w->duration_ms;
	int i = day_at(s, now);
	bool open = false;

	*until = 0;
	*next = INT64_MAX;
	if (!e->w->enabled)
		return false;
	for (int k = i; k >= 0 && k > i - BACK_DAYS; k--) {
		if (day_on(e, k) && s->at[k] + dur > now) {
			open = true;
			if (s->at[k] + dur > *until)
				*until = s->at[k] + dur;
		}
	}
	if (open) {
		for (int k = i + 1; k < NDAYS && s->at[k] <= *until; k++)
			if (day_on(e, k) && s->at[k] + dur > *until)
				*until = s->at[k] + dur;
		*next = *until;
		return true;
	}
	for (int k = i + 1; k < NDAYS; k++) {
		if (day_on(e, k)) {
			*next = s->at[k];
			break;
		}
	}
	return false;
}

int64_t maint_plan_step(struct maint_plan *p, int64_t now_wall,
			void (*change)(void *arg, const struct maint_change *c), void *arg)
{
	int64_t soonest = INT64_MAX;

	for (size_t i = 0; i < p->n; i++) {
		struct entry *e = &p->v[i];
		int64_t until, next;
		bool open = entry_eval(e, now_wall, &until, &next);

		if (next < soonest)
			soonest = next;
		if (open == e->open) {
			e->until = until;
			continue;
		}
		e->open = open;
		e->until = until;
		if (change) {
			struct maint_change c = { e->owner, e->w, open, until };

			change(arg, &c);
		}
	}
	return soonest;
}

void maint_plan_close_all(struct maint_plan *p,
			  void (*change)(void *arg, const struct maint_change *c), void *arg)
{
	for (size_t i = 0; i < p->n; i++) {
		struct entry *e = &p->v[i];
		struct maint_change c = { e->owner, e->w, false, 0 };

		if (!e->open)
			continue;
		e->open = false;
		e->until = 0;
		if (change)
			change(arg, &c);
	}
}

int64_t maint_plan_until(const struct maint_plan *p, uint32_t id)
{
	int64_t until = 0;

	for (size_t i = 0; i < p->nglobal; i++)
		if (p->v[i].open && p->v[i].until > until)
			until = p->v[i].until;
	if (p->first && id < p->ntargets)
		for (uint32_t i = p->first[id]; i < p->first[id + 1]; i++)
			if (p->v[i].open && p->v[i].until > until)
				until = p->v[i].until;
	return until;
}

void maint_window_text(const struct maint_window *w, char *buf, size_t len)
{
	static const char *const names[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
					      "Thursday", "Friday", "Saturday" };
	char days[80] = "", dur[32];
	size_t at = 0;
	int64_t m = w->duration_ms / 60000;

	if ((w->days & 0x7f) == 0x7f) {
		snprintf(days, sizeof(days), "every day");
	} else {
		at = (size_t)snprintf(days, sizeof(days), "on ");
		/* Monday first, as people write weeks */
		for (int i = 1; i <= 7; i++) {
			int d = i % 7;

			if (w->days & (1u << d))
				at += (size_t)snprintf(days + at, sizeof(days) - at, "%s%s",
						       at > 3 ? ", " : "", names[d]);
		}
	}
	if (m < 60)
		snprintf(dur, sizeof(dur), "%lldm", (long long)m);
	else if (m % 60)
		snprintf(dur, sizeof(dur), "%lldh%02lldm", (long long)(m / 60),
			 (long long)(m % 60));
	else
		snprintf(dur, sizeof(dur), "%lldh", (long long)(m / 60));
	snprintf(buf, len, "%02d:%02d for %s %s (%s)%s", w->start_min / 60, w->start_min % 60,
		 dur, days, tz_utc(w->timezone) ? "UTC" : w->timezone,
		 w->enabled ? "" : ", disabled");
}
