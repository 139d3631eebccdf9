/* digest.c - `uptop report`'s arithmetic: times on the command line,
 * the not-watched gaps, incidents, per-target and per-group figures
 * (see digest.h; the formats are in digest_print.c). */
#include "digest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "util.h"

int digest_format_of(const char *s, enum digest_format *out)
{
	static const char *const names[] = {
		[DIGEST_TABLE] = "table", [DIGEST_JSON] = "json", [DIGEST_MD] = "md",
		[DIGEST_CSV] = "csv",
	};

	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum digest_format)i;
			return 0;
		}
	return -1;
}

/* --- times on the command line ------------------------------------------- */

static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool lit(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* "+01:00", "-0530", "Z" -> minutes east of UTC; false: malformed. */
static bool zone_of(const char **p, int *mins)
{
	int sign, h, m = 0;

	if (lit(p, 'Z') || lit(p, 'z')) {
		*mins = 0;
		return true;
	}
	sign = **p == '-' ? -1 : 1;
	if (!lit(p, '+') && !lit(p, '-'))
		return false;
	if (!digits(p, 2, &h))
		return false;
	if (lit(p, ':') ? !digits(p, 2, &m) : isdigit((unsigned char)**p) && !digits(p, 2, &m))
		return false;
	if (h > 14 || m > 59)
		return false;
	*mins = sign * (h * 60 + m);
	return true;
}

/* "2026-11-30[( |T)14:00[:05[.250]]][Z|+01:00]"; no zone: local time. */
static int parse_abs(const char *s, int64_t *out)
{
	const char *p = s;
	struct tm tm;
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, zone = 0;
	bool has_zone = false;
	time_t t;

	if (!digits(&p, 4, &y) || !lit(&p, '-') || !digits(&p, 2, &mo) || !lit(&p, '-') ||
	    !digits(&p, 2, &d))
		return -1;
	if (lit(&p, ' ') || lit(&p, 'T') || lit(&p, 't')) {
		if (!digits(&p, 2, &h) || !lit(&p, ':') || !digits(&p, 2, &mi))
			return -1;
		if (lit(&p, ':')) {
			if (!digits(&p, 2, &sec))
				return -1;
			if (lit(&p, '.')) {
				int n = 0;

				for (; isdigit((unsigned char)*p); p++, n++)
					if (n < 3)
						ms = ms * 10 + (*p - '0');
				if (n == 0)
					return -1;
				for (; n < 3; n++)
					ms *= 10;
			}
		}
		if (*p) {
			if (!zone_of(&p, &zone))
				return -1;
			has_zone = true;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = has_zone ? timegm(&tm) : mktime(&tm);
	/* 2026-02-30 comes back as March: not a date */
	if (t == (time_t)-1 || tm.tm_mon != mo - 1 || tm.tm_mday != d)
		return -1;
	*out = ((int64_t)t - (int64_t)zone * 60) * 1000 + ms;
	return 0;
}

int digest_parse_time(const char *s, int64_t now, int64_t *out, char *err, size_t elen)
{
	int64_t ms;
	char why[160];

	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (isdigit((unsigned char)s[0]) && strlen(s) >= 5 && s[4] == '-') {
		if (parse_abs(s, out) == 0)
			return 0;
		snprintf(err, elen, "'%s' is not a valid time (write 2026-11-30 14:00 in local "
			 "time, 2026-11-30T14:00:00Z, or a duration back from now: 7d, 36h)", s);
		return -1;
	}
	if (config_parse_duration(s, &ms, why, sizeof(why)) != 0) {
		snprintf(err, elen, "'%s' is neither a time (2026-11-30 14:00, "
			 "2026-11-30T14:00:00Z) nor a duration back from now (7d, 36h)", s);
		return -1;
	}
	*out = now - ms;
	return 0;
}

/* --- the input ------------------------------------------------------------ */

struct digest_target *digest_input_target(struct digest_input *in, const char *name,
					  const char *group)
{
	struct digest_target *t;

	in->t = xreallocarray_grow(in->t, &in->cap_t, in->nt + 1, sizeof(*in->t));
	t = &in->t[in->nt++];
	memset(t, 0, sizeof(*t));
	t->name = xstrdup(name);
	t->group = xstrdup(group ? group : "");
	return t;
}

void digest_input_change(struct digest_target *t, int64_t time, bool from_down,
			 bool to_down, const char *cls, const char *msg)
{
	struct digest_change *c;

	t->ch = xreallocarray_grow(t->ch, &t->cap, t->nch + 1, sizeof(*t->ch));
	c = &t->ch[t->nch++];
	c->time = time;
	c->from_down = from_down;
	c->to_down = to_down;
	c->cls = cls ? xstrdup(cls) : NULL;
	c->msg = msg ? xstrdup(msg) : NULL;
}

void digest_input_run(struct digest_input *in, int64_t start, int64_t stop)
{
	in->runs = xreallocarray_grow(in->runs, &in->cap_runs, in->nruns + 1, sizeof(*in->runs));
	in->runs[in->nruns++] = (struct digest_run){ start, stop > start ? stop : start };
}

void digest_input_free(struct digest_input *in)
{
	for (size_t i = 0; i < in->nt; i++) {
		struct digest_target *t = &in->t[i];

		for (size_t k = 0; k < t->nch; k++) {
			free(t->ch[k].cls);
			free(t->ch[k].msg);
		}
		free(t->ch);
		free(t->name);
		free(t->group);
	}
	free(in->t);
	free(in->runs);
	free(in->history);
	memset(in, 0, sizeof(*in));
}

/* --- the arithmetic ------------------------------------------------------- */

/* The time uptop watched: the runs, sorted and merged. */
struct cover {
	struct digest_run *v;
	size_t n;
};

static int run_cmp(const void *a, const void *b)
{
	const struct digest_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void cover_build(struct cover *c, const struct digest_input *in)
{
	c->v = xcalloc(in->nruns ? in->nruns : 1, sizeof(*c->v));
	c->n = 0;
	memcpy(c->v, in->runs, in->nruns * sizeof(*c->v));
	qsort(c->v, in->nruns, sizeof(*c->v), run_cmp);
	for (size_t i = 0; i < in->nruns; i++) {
		if (c->n && c->v[i].start <= c->v[c->n - 1].stop) {
			if (c->v[i].stop > c->v[c->n - 1].stop)
				c->v[c->n - 1].stop = c->v[i].stop;
			continue;
		}
		c->v[c->n++] = c->v[i];
	}
}

/* How much of [a, b) no run covers. */
static int64_t cover_outside(const struct cover *c, int64_t a, int64_t b)
{
	int64_t inside = 0;

	if (b <= a)
		return 0;
	for (size_t i = 0; i < c->n; i++) {
		int64_t lo = c->v[i].start > a ? c->v[i].start : a;
		int64_t hi = c->v[i].stop < b ? c->v[i].stop : b;

		if (hi > lo)
			inside += hi - lo;
	}
	return b - a - inside;
}

/* The end of the run that holds t; 0 when none does. */
static int64_t cover_stop_at(const struct cover *c, int64_t t)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].start <= t && t <= c->v[i].stop)
			return c->v[i].stop;
	return 0;
}

static void gaps_build(struct digest *d, const struct cover *c)
{
	int64_t at = d->from;
	size_t cap = 0;

	for (size_t i = 0; i <= c->n && at < d->to; i++) {
		int64_t next = i < c->n ? c->v[i].start : d->to;

		if (next > d->to)
			next = d->to;
		if (next > at) {
			d->gaps = xreallocarray_grow(d->gaps, &cap, d->ngaps + 1, sizeof(*d->gaps));
			d->gaps[d->ngaps++] = (struct digest_gap){ at, next };
			d->unwatched_ms += next - at;
		}
		if (i < c->n && c->v[i].stop > at)
			at = c->v[i].stop;
	}
}

/* The reason without the class it starts with: "timeout: x" -> "x". */
static const char *msg_of(const char *cls, const char *msg)
{
	size_t n = cls ? strlen(cls) : 0;

	if (!msg)
		return "";
	if (n && strncmp(msg, cls, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static void incident_close(struct digest_row *r, size_t *cap, struct digest_incident *cur,
			   int64_t end, int64_t watched_end, const struct cover *c,
			   const struct digest *d)
{
	int64_t stop = end ? end : watched_end;

	if (stop < cur->start)
		stop = cur->start;
	if (!(end == 0 || end > d->from) || cur->start >= d->to)
		return;   /* outside the window */
	cur->end = end;
	cur->unwatched_ms = cover_outside(c, cur->start, stop);
	cur->down_ms = stop - cur->start - cur->unwatched_ms;
	r->inc = xreallocarray_grow(r->inc, cap, r->ninc + 1, sizeof(*r->inc));
	r->inc[r->ninc++] = *cur;
}

/* The incidents of one target from its changes (see digest.h). */
static void incidents_build(struct digest_row *r, const struct digest_target *t,
			    const struct cover *c, const struct digest *d)
{
	struct digest_incident cur;
	bool open = false;
	size_t cap = 0;
	int64_t watched_end;

	for (size_t i = 0; i < t->nch; i++) {
		const struct digest_change *ch = &t->ch[i];

		if (ch->time >= d->to && !open)
			break;   /* after the window, a change only ends one */
		if (ch->from_down && open) {
			incident_close(r, &cap, &cur, ch->time, 0, c, d);
			open = false;
		} else if (ch->from_down && ch->time >= d->from) {
			/* down since before what the history holds */
			memset(&cur, 0, sizeof(cur));
			cur.start = d->from;
			cur.before = true;
			cur.msg = "";
			incident_close(r, &cap, &cur, ch->time, 0, c, d);
		}
		if (ch->to_down && ch->time < d->to) {
			memset(&cur, 0, sizeof(cur));
			cur.start = ch->time;
			cur.cls = ch->cls;
			cur.msg = msg_of(ch->cls, ch->msg);
			open = true;
		}
	}
	if (!open)
		return;
	/* still down where the history ends: watched until the run that last
	 * checked it stopped (now, for a run still going) */
	watched_end = cover_stop_at(c, t->last_check);
	if (watched_end < t->last_check)
		watched_end = t->last_check;
	/* a check the running uptop wrote after the report took its time */
	if (d->now && watched_end > d->now)
		watched_end = d->now;
	incident_close(r, &cap, &cur, 0, watched_end, c, d);
}

static void stats_finish(struct digest_stats *s)
{
	s->watched_ms = 0;
	for (int k = 0; k < SPAN__COUNT; k++)
		s->watched_ms += s->sum.ms[k];
	s->down_ms = s->sum.ms[SPAN_DOWN];
	s->uptime_pct = s->watched_ms > 0 ?
		100.0 * (1.0 - (double)s->down_ms / (double)s->watched_ms) : -1;
	s->p50_ms = hbucket_quantile(s->sum.lat, s->sum.lat_max_ms, 0.50);
	s->p95_ms = hbucket_quantile(s->sum.lat, s->sum.lat_max_ms, 0.95);
	s->mttr_ms = s->ended ? s->ended_ms / (int64_t)s->ended : -1;
}

static void stats_add_incidents(struct digest_stats *s, const struct digest_incident *v,
				size_t n)
{
	for (size_t i = 0; i < n; i++) {
		s->incidents++;
		if (v[i].down_ms > s->longest_ms)
			s->longest_ms = v[i].down_ms;
		if (v[i].end) {
			s->ended++;
			s->ended_ms += v[i].down_ms;
		}
	}
}

static void groups_build(struct digest *d)
{
	size_t cap = 0;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];
		struct digest_row *g = NULL;

		for (size_t k = 0; k < d->ngroups && !g; k++)
			if (strcmp(d->groups[k].group, r->group) == 0)
				g = &d->groups[k];
		if (!g) {
			d->groups = xreallocarray_grow(d->groups, &cap, d->ngroups + 1,
						       sizeof(*d->groups));
			g = &d->groups[d->ngroups++];
			memset(g, 0, sizeof(*g));
			g->name = g->group = r->group;
			g->s.longest_ms = -1;
		}
		g->members++;
		g->in_history |= r->in_history;
		hbucket_merge(&g->s.sum, &r->s.sum);
		stats_add_incidents(&g->s, r->inc, r->ninc);
	}
	for (size_t k = 0; k < d->ngroups; k++)
		stats_finish(&d->groups[k].s);
}

void digest_build(struct digest *d, const struct digest_input *in)
{
	struct cover c;

	memset(d, 0, sizeof(*d));
	d->from = in->from;
	d->to = in->to;
	d->now = in->now;
	d->history = in->history;
	cover_build(&c, in);
	for (size_t i = 0; i < c.n; i++)
		d->runs += c.v[i].start < d->to && c.v[i].stop > d->from;
	gaps_build(d, &c);
	d->rows = xcalloc(in->nt ? in->nt : 1, sizeof(*d->rows));
	d->nrows = in->nt;
	for (size_t i = 0; i < in->nt; i++) {
		const struct digest_target *t = &in->t[i];
		struct digest_row *r = &d->rows[i];

		r->name = t->name;
		r->group = t->group;
		r->in_history = t->in_history;
		r->members = 1;
		r->s.sum = t->sum;
		r->s.longest_ms = -1;
		incidents_build(r, t, &c, d);
		stats_add_incidents(&r->s, r->inc, r->ninc);
		stats_finish(&r->s);
	}
	groups_build(d);
	free(c.v);
}

void digest_free(struct digest *d)
{
	for (size_t i = 0; i < d->nrows; i++)
		free(d->rows[i].inc);
	free(d->rows);
	free(d->groups);
	free(d->gaps);
	memset(d, 0, sizeof(*d));
}
