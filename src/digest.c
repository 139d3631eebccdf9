/* digest.c - `uptop report`'s arithmetic and its four formats (see
 * digest.h). */
#include "digest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fmt.h"
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

/* --- formatting helpers ------------------------------------------------------ */

/* To the second: "850ms", "45s", "4m05s", "3h12m05s", "2d03h12m05s". */
static void duration_exact(char *dst, size_t len, int64_t ms)
{
	long long s = (long long)((ms + 500) / 1000);

	if (ms < 0)
		snprintf(dst, len, "-");
	else if (ms < 1000)
		snprintf(dst, len, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(dst, len, "%llds", s);
	else if (s < 3600)
		snprintf(dst, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(dst, len, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(dst, len, "%lldd%02lldh%02lldm%02llds", s / 86400, s / 3600 % 24,
			 s / 60 % 60, s % 60);
}

/* Compact, for the summary's columns: fmt_duration, "-" for none. */
static void duration_short(char *dst, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(dst, len, "-");
	else
		fmt_duration(dst, len, ms);
}

/* "2026-11-30 14:00:05" local time; with_zone appends " CET". */
static void local_time(char *dst, size_t len, int64_t ms, bool with_zone)
{
	time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	localtime_r(&s, &tm);
	if (!strftime(dst, len, with_zone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(dst, len, "?");
}

/* "2026-11-30 14:00:05.250" UTC: what spreadsheets read as a time. */
static void utc_time(char *dst, size_t len, int64_t ms)
{
	char iso[40];

	fmt_iso_time(iso, sizeof(iso), ms);
	iso[10] = ' ';
	iso[strlen(iso) - 1] = '\0';   /* the Z: the header says UTC */
	snprintf(dst, len, "%s", iso);
}

/* The zone's name and offset at `ms`: "CET, UTC+01:00". */
static void zone_text(char *dst, size_t len, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char name[16], off[8];

	localtime_r(&s, &tm);
	strftime(name, sizeof(name), "%Z", &tm);
	strftime(off, sizeof(off), "%z", &tm);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "GMT") == 0)
		snprintf(dst, len, "UTC");
	else
		snprintf(dst, len, "%s, UTC%.3s:%s", name, off, off + 3);
}

static void put_json_str(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char stack[512], *buf = n * 6 + 3 <= sizeof(stack) ? stack : xmalloc(n * 6 + 3);

	fmt_json_string(buf, n * 6 + 3, s ? s : "");
	fputs(buf, f);
	if (buf != stack)
		free(buf);
}

static void put_json_ms_or_null(FILE *f, const char *key, int64_t ms)
{
	if (ms < 0)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%lld", key, (long long)ms);
}

/* v with `decimals` digits after the point; null when < 0. */
static void put_json_num_or_null(FILE *f, const char *key, double v, int decimals)
{
	fprintf(f, ",\"%s\":", key);
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%.*f", decimals, v);
}

static void put_json_time(FILE *f, int64_t ms)
{
	char iso[40];

	fmt_iso_time(iso, sizeof(iso), ms);
	fprintf(f, "\"%s\"", iso);
}

/* Outside text as one safe line, malloc'd. */
static char *clean(const char *s, bool utf8)
{
	size_t n = s ? strlen(s) : 0, cap = n * 3 + 1;
	char *out = xmalloc(cap);

	fmt_sanitize(out, cap, s ? s : "", n, utf8);
	return out;
}

/* --- JSON -------------------------------------------------------------------- */

static void json_stats(FILE *f, const struct digest_stats *s)
{
	fprintf(f, ",\"checks\":%u,\"failures\":%u", s->sum.checks, s->sum.failures);
	put_json_num_or_null(f, "uptime_pct", s->uptime_pct, 4);
	fprintf(f, ",\"watched_ms\":%lld,\"down_ms\":%lld", (long long)s->watched_ms,
		(long long)s->down_ms);
	put_json_num_or_null(f, "p50_ms", s->p50_ms, 3);
	put_json_num_or_null(f, "p95_ms", s->p95_ms, 3);
	fprintf(f, ",\"incident_count\":%zu", s->incidents);
	put_json_ms_or_null(f, "mttr_ms", s->mttr_ms);
	put_json_ms_or_null(f, "longest_ms", s->longest_ms);
}

static void json_incident(FILE *f, const struct digest_incident *v)
{
	fputs("{\"start\":", f);
	put_json_time(f, v->start);
	fputs(",\"end\":", f);
	if (v->end)
		put_json_time(f, v->end);
	else
		fputs("null", f);
	fprintf(f, ",\"duration_ms\":%lld,\"not_watched_ms\":%lld,\"open\":%s,"
		"\"start_known\":%s,\"error_class\":", (long long)v->down_ms,
		(long long)v->unwatched_ms, v->end ? "false" : "true",
		v->before ? "false" : "true");
	if (v->cls)
		put_json_str(f, v->cls);
	else
		fputs("null", f);
	fputs(",\"message\":", f);
	put_json_str(f, v->msg);
	fputc('}', f);
}

static void print_json(FILE *f, const struct digest *d)
{
	fputs("{\"from\":", f);
	put_json_time(f, d->from);
	fputs(",\"to\":", f);
	put_json_time(f, d->to);
	fputs(",\"generated\":", f);
	put_json_time(f, d->now);
	fputs(",\"history\":", f);
	put_json_str(f, d->history);
	fprintf(f, ",\"runs\":%zu,\"not_watched_ms\":%lld,\"not_watched\":[", d->runs,
		(long long)d->unwatched_ms);
	for (size_t i = 0; i < d->ngaps; i++) {
		fputs(i ? ",{\"start\":" : "{\"start\":", f);
		put_json_time(f, d->gaps[i].start);
		fputs(",\"end\":", f);
		put_json_time(f, d->gaps[i].end);
		fprintf(f, ",\"duration_ms\":%lld}", (long long)(d->gaps[i].end - d->gaps[i].start));
	}
	fputs("],\"targets\":[", f);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		put_json_str(f, r->name);
		fputs(",\"group\":", f);
		put_json_str(f, r->group);
		fprintf(f, ",\"in_history\":%s", r->in_history ? "true" : "false");
		json_stats(f, &r->s);
		fputs(",\"incidents\":[", f);
		for (size_t k = 0; k < r->ninc; k++) {
			if (k)
				fputc(',', f);
			json_incident(f, &r->inc[k]);
		}
		fputs("]}", f);
	}
	fputs("],\"groups\":[", f);
	for (size_t i = 0; i < d->ngroups; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		put_json_str(f, d->groups[i].name);
		fprintf(f, ",\"targets\":%zu", d->groups[i].members);
		json_stats(f, &d->groups[i].s);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* --- CSV (RFC 4180) ------------------------------------------------------------ */

/* A field, quoted when it must be. Outside text that a spreadsheet would
 * run as a formula (=, +, -, @ first) gets a leading apostrophe. */
static void csv_field(FILE *f, const char *s, bool outside)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL || *s == ' ';

	fputc(',', f);
	if (quote)
		fputc('"', f);
	if (outside && *s && strchr("=+-@\t", *s))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

static void csv_seconds(FILE *f, int64_t ms)
{
	if (ms < 0)
		fputc(',', f);
	else
		fprintf(f, ",%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

static void csv_time(FILE *f, int64_t ms)
{
	char buf[40];

	utc_time(buf, sizeof(buf), ms);
	fprintf(f, ",%s", buf);
}

static void csv_stats_row(FILE *f, const char *kind, const char *name, const char *group,
			  const struct digest_stats *s)
{
	fputs(kind, f);
	csv_field(f, name, false);
	csv_field(f, group, false);
	fprintf(f, ",%u,%u", s->sum.checks, s->sum.failures);
	if (s->uptime_pct < 0)
		fputc(',', f);
	else
		fprintf(f, ",%.4f", s->uptime_pct);
	for (int q = 0; q < 2; q++) {
		double v = q ? s->p95_ms : s->p50_ms;

		if (v < 0)
			fputc(',', f);
		else
			fprintf(f, ",%.3f", v);
	}
	fprintf(f, ",%zu", s->incidents);
	csv_seconds(f, s->down_ms);
	csv_seconds(f, s->mttr_ms);
	csv_seconds(f, s->longest_ms);
	fputs(",,,,,,\r\n", f);
}

static void print_csv(FILE *f, const struct digest *d)
{
	fputs("row,name,group,checks,failures,uptime_pct,p50_ms,p95_ms,incidents,down_s,"
	      "mttr_s,longest_s,start_utc,end_utc,duration_s,not_watched_s,error_class,"
	      "message\r\n", f);
	fputs("window,,,,,,,,,,,", f);
	csv_time(f, d->from);
	csv_time(f, d->to);
	csv_seconds(f, d->to - d->from);
	csv_seconds(f, d->unwatched_ms);
	fputs(",,\r\n", f);
	for (size_t i = 0; i < d->nrows; i++)
		csv_stats_row(f, "target", d->rows[i].name, d->rows[i].group, &d->rows[i].s);
	for (size_t i = 0; i < d->ngroups; i++)
		csv_stats_row(f, "group", d->groups[i].name, d->groups[i].name, &d->groups[i].s);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];

		for (size_t k = 0; k < r->ninc; k++) {
			const struct digest_incident *v = &r->inc[k];
			char *msg = clean(v->msg, true);

			fputs("incident", f);
			csv_field(f, r->name, false);
			csv_field(f, r->group, false);
			fputs(",,,,,,,,,", f);
			csv_time(f, v->start);
			if (v->end)
				csv_time(f, v->end);
			else
				fputc(',', f);
			csv_seconds(f, v->down_ms);
			csv_seconds(f, v->unwatched_ms);
			csv_field(f, v->cls ? v->cls : "", false);
			csv_field(f, msg, true);
			fputs("\r\n", f);
			free(msg);
		}
	}
	for (size_t i = 0; i < d->ngaps; i++) {
		fputs("not_watched,,,,,,,,,,,", f);
		csv_time(f, d->gaps[i].start);
		csv_time(f, d->gaps[i].end);
		csv_seconds(f, d->gaps[i].end - d->gaps[i].start);
		csv_seconds(f, d->gaps[i].end - d->gaps[i].start);
		fputs(",,\r\n", f);
	}
}

/* --- Markdown ------------------------------------------------------------------ */

/* Outside text inside a table cell or list item: one line, and nothing
 * Markdown would read as markup (links, emphasis, HTML, a cell's end). */
static void md_text(FILE *f, const char *s)
{
	char *c = clean(s, true);

	for (const char *p = c; *p; p++) {
		if (strchr("\\`*_[]<>|~&#", *p))
			fputc('\\', f);
		fputc(*p, f);
	}
	free(c);
}

static void md_stats_row(FILE *f, const char *name, const char *group,
			 const struct digest_stats *s)
{
	char up[16], p50[16], p95[16], down[24], mttr[24], longest[24];

	fmt_percent(up, sizeof(up), s->uptime_pct);
	fmt_latency(p50, sizeof(p50), s->p50_ms);
	fmt_latency(p95, sizeof(p95), s->p95_ms);
	duration_exact(down, sizeof(down), s->down_ms);
	duration_exact(mttr, sizeof(mttr), s->mttr_ms);
	duration_exact(longest, sizeof(longest), s->longest_ms);
	fputs("| ", f);
	md_text(f, name);
	fputs(" | ", f);
	md_text(f, group);
	fprintf(f, " | %u | %s | %s | %s | %zu | %s | %s | %s |\n", s->sum.checks, up, p50, p95,
		s->incidents, down, mttr, longest);
}

static void print_md(FILE *f, const struct digest *d)
{
	char from[48], to[48], zone[48], len[32], gap[32];
	size_t ninc = 0;

	local_time(from, sizeof(from), d->from, false);
	local_time(to, sizeof(to), d->to, false);
	zone_text(zone, sizeof(zone), d->to);
	duration_exact(len, sizeof(len), d->to - d->from);
	duration_exact(gap, sizeof(gap), d->unwatched_ms);
	fprintf(f, "### uptop report: %s to %s (%s)\n\n", from, to, len);
	fprintf(f, "Times are local (%s). History: `", zone);
	md_text(f, d->history);
	fprintf(f, "`, %zu run%s of uptop; not watched: %s", d->runs, d->runs == 1 ? "" : "s",
		gap);
	if (d->to > d->from)
		fprintf(f, " (%.1f%% of the window)", 100.0 * (double)d->unwatched_ms /
			(double)(d->to - d->from));
	fputs(".\n\n| Target | Group | Checks | Uptime | p50 | p95 | Incidents | Down | MTTR "
	      "| Longest |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", f);
	for (size_t i = 0; i < d->nrows; i++)
		md_stats_row(f, d->rows[i].name, d->rows[i].group, &d->rows[i].s);
	for (size_t i = 0; d->ngroups > 1 && i < d->ngroups; i++)
		md_stats_row(f, "(all)", d->groups[i].name, &d->groups[i].s);
	for (size_t i = 0; i < d->nrows; i++)
		ninc += d->rows[i].ninc;
	fprintf(f, "\n#### Incidents (%zu)\n\n", ninc);
	if (!ninc)
		fputs("None.\n", f);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];

		for (size_t k = 0; k < r->ninc; k++) {
			const struct digest_incident *v = &r->inc[k];
			char a[48], b[48], dur[32], unw[32];

			local_time(a, sizeof(a), v->start, false);
			duration_exact(dur, sizeof(dur), v->down_ms);
			fputs("- **", f);
			md_text(f, r->name);
			if (v->end) {
				local_time(b, sizeof(b), v->end, false);
				fprintf(f, "** %s%s to %s, %s", v->before ? "before " : "", a, b, dur);
			} else {
				fprintf(f, "** %s%s, still down (%s so far)",
					v->before ? "before " : "since ", a, dur);
			}
			if (v->unwatched_ms > 0) {
				duration_exact(unw, sizeof(unw), v->unwatched_ms);
				fprintf(f, " (and %s not watched)", unw);
			}
			fputs(": ", f);
			if (v->cls) {
				fputc('`', f);
				md_text(f, v->cls);
				fputs("` ", f);
			}
			md_text(f, v->msg);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n#### Not watched (%zu)\n\n", d->ngaps);
	if (!d->ngaps)
		fputs("None: uptop ran the whole window.\n", f);
	for (size_t i = 0; i < d->ngaps; i++) {
		char a[48], b[48], dur[32];

		local_time(a, sizeof(a), d->gaps[i].start, false);
		local_time(b, sizeof(b), d->gaps[i].end, false);
		duration_exact(dur, sizeof(dur), d->gaps[i].end - d->gaps[i].start);
		fprintf(f, "- %s to %s, %s\n", a, b, dur);
	}
}

/* --- the table ------------------------------------------------------------------- */

/* The summary's columns after the name: CHECKS UPTIME P50 P95 INC MTTR
 * LONGEST (the time down is in the other formats). */
#define TABLE_FIXED 54
#define TABLE_NAME_MIN 8

static void table_row(FILE *f, const char *name, int indent, int namew,
		      const struct digest_stats *s, bool utf8)
{
	char *c = clean(*name ? name : "(no group)", utf8), cut[256], up[16], p50[16],
	     p95[16], mttr[24], longest[24];
	int w = fmt_fit(cut, sizeof(cut), c, namew - indent, utf8);

	fmt_percent(up, sizeof(up), s->uptime_pct);
	fmt_latency(p50, sizeof(p50), s->p50_ms);
	fmt_latency(p95, sizeof(p95), s->p95_ms);
	duration_short(mttr, sizeof(mttr), s->mttr_ms);
	duration_short(longest, sizeof(longest), s->longest_ms);
	fprintf(f, "%*s%s%*s %8u %7s %7s %7s %4zu %7s %7s\n", indent, "", cut,
		namew - indent - w, "", s->sum.checks, up, p50, p95, s->incidents, mttr,
		longest);
	free(c);
}

/* "HH:MM:SS" when b is on a's local day, else the whole time. */
static void end_text(char *dst, size_t len, int64_t a, int64_t b)
{
	char x[48], y[48];

	local_time(x, sizeof(x), a, false);
	local_time(y, sizeof(y), b, false);
	snprintf(dst, len, "%s", strncmp(x, y, 10) == 0 ? y + 11 : y);
}

/* "  2026-11-29 03:12:05 → 03:16:10  4m05s  timeout: connect ..." */
static void table_incident(FILE *f, const struct digest_incident *v, int width, bool utf8)
{
	char a[48], b[48], dur[32], unw[40] = "", fitted[1024], *line, *msg, *c;
	int room;

	local_time(a, sizeof(a), v->start, false);
	if (v->end)
		end_text(b, sizeof(b), v->start, v->end);
	else
		snprintf(b, sizeof(b), "open");
	duration_exact(dur, sizeof(dur), v->down_ms);
	if (v->unwatched_ms > 0) {
		unw[0] = ' ';
		unw[1] = '+';
		duration_exact(unw + 2, sizeof(unw) - 2, v->unwatched_ms);
		snprintf(unw + strlen(unw), sizeof(unw) - strlen(unw), " unwatched");
	}
	line = xasprintf("  %s%s %s %-8s %8s%s  ", v->before ? "<" : "", a, utf8 ? "→" : "->",
			 b, dur, unw);
	msg = xasprintf("%s%s%s", v->cls ? v->cls : "", v->cls && *v->msg ? ": " : "", v->msg);
	c = clean(msg, utf8);
	room = width - fmt_width(line);
	fmt_fit(fitted, sizeof(fitted), c, room > 12 ? room : 12, utf8);
	fprintf(f, "%s%s\n", line, fitted);
	free(c);
	free(msg);
	free(line);
}

static void table_incidents(FILE *f, const struct digest *d, int width, bool utf8)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nrows; i++)
		n += d->rows[i].ninc;
	fprintf(f, "\nINCIDENTS (%zu)\n", n);
	for (size_t i = 0; i < d->nrows; i++) {
		char *c, cut[1024];

		if (!d->rows[i].ninc)
			continue;
		c = clean(d->rows[i].name, utf8);
		fmt_fit(cut, sizeof(cut), c, width, utf8);
		fprintf(f, "%s\n", cut);
		for (size_t k = 0; k < d->rows[i].ninc; k++)
			table_incident(f, &d->rows[i].inc[k], width, utf8);
		free(c);
	}
}

static void print_table(FILE *f, const struct digest *d, int width, bool utf8)
{
	char from[48], to[48], zone[48], len[32], gap[32], *hist;
	int namew = width - TABLE_FIXED;
	bool groups = d->ngroups > 1;

	if (namew < TABLE_NAME_MIN)
		namew = TABLE_NAME_MIN;
	local_time(from, sizeof(from), d->from, false);
	local_time(to, sizeof(to), d->to, false);
	zone_text(zone, sizeof(zone), d->to);
	duration_short(len, sizeof(len), d->to - d->from);
	duration_exact(gap, sizeof(gap), d->unwatched_ms);
	hist = clean(d->history, utf8);
	fprintf(f, "%s %s %s (%s; %s)\n", from, utf8 ? "→" : "->", to, len, zone);
	fprintf(f, "history %s: %zu run%s, not watched %s\n\n", hist, d->runs,
		d->runs == 1 ? "" : "s", gap);
	free(hist);
	fprintf(f, "%-*s %8s %7s %7s %7s %4s %7s %7s\n", namew, groups ? "GROUP/TARGET" :
		"TARGET", "CHECKS", "UPTIME", "P50", "P95", "INC", "MTTR", "LONGEST");
	for (size_t g = 0; g < (groups ? d->ngroups : 1); g++) {
		if (groups)
			table_row(f, d->groups[g].name, 0, namew, &d->groups[g].s, utf8);
		for (size_t i = 0; i < d->nrows; i++)
			if (!groups || strcmp(d->rows[i].group, d->groups[g].name) == 0)
				table_row(f, d->rows[i].name, groups ? 2 : 0, namew,
					  &d->rows[i].s, utf8);
	}
	table_incidents(f, d, width, utf8);
	fprintf(f, "\nNOT WATCHED (%zu)\n", d->ngaps);
	for (size_t i = 0; i < d->ngaps; i++) {
		char a[48], b[48], dur[32];

		local_time(a, sizeof(a), d->gaps[i].start, false);
		end_text(b, sizeof(b), d->gaps[i].start, d->gaps[i].end);
		duration_exact(dur, sizeof(dur), d->gaps[i].end - d->gaps[i].start);
		fprintf(f, "  %s %s %-8s %8s\n", a, utf8 ? "→" : "->", b, dur);
	}
}

void digest_print(FILE *f, const struct digest *d, enum digest_format fmt, int width,
		  bool utf8)
{
	switch (fmt) {
	case DIGEST_JSON: print_json(f, d); break;
	case DIGEST_CSV: print_csv(f, d); break;
	case DIGEST_MD: print_md(f, d); break;
	default: print_table(f, d, width > 0 ? width : 80, utf8); break;
	}
}
