/* metrics.c - the model as Prometheus text exposition (format 0.0.4),
 * a chunk at a time.
 *
 * The exposition is a list of families (the table `families`), each a
 * HELP and a TYPE line then its samples, every sample of a family
 * together as the format requires. A per-target family writes one
 * target's lines at a time into a pending buffer; metrics_expo_fill
 * copies pending bytes out until the caller's buffer is full, so the work
 * of one call is bounded by the buffer, not by the number of targets.
 *
 * Consistency: the first family (uptop_target_state, which has lines for
 * every target) visits the targets in order and takes each one's snapshot
 * (state, last result, escaped labels) right before writing it; every
 * later family reads the snapshot, so probe_success and
 * probe_http_status_code of one target always come from the same check.
 * Counters (uptop_checks_total) are read live: a counter that moved on is
 * still true. Pure: libc, the model and the formatters. */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fmt.h"
#include "report.h"
#include "result.h"
#include "target.h"
#include "util.h"

/* Targets skipped (no lines) before fill may return what it has. */
#define SKIP_MAX 4096

/* One target as it was when the cursor reached it. */
struct snap {
	size_t lab_off;           /* into x->labels: target="..",group="..",url=".." */
	uint32_t lab_len;
	uint8_t state;
	bool has_last;
	uint8_t cls;
	uint8_t ip;               /* 4, 6, or 0 when it never connected */
	int32_t status;
	int32_t redirects;
	float dns_ms, connect_ms, tls_ms, ttfb_ms, total_ms;
	uint64_t bytes;
	int64_t cert_ms;          /* notAfter, wall ms; 0: unknown */
	float up24h, up7d;        /* uptime windows in percent; < 0: unwatched */
};

/* A growable byte buffer. */
struct sbuf {
	char *p;
	size_t n, cap;
};

struct metrics_expo;

struct family {
	const char *name, *type, *help;
	/* one target's samples (NULL for a family that is not per target) */
	void (*target)(struct metrics_expo *x, const struct snap *s, uint32_t i);
	void (*global)(struct metrics_expo *x);
};

struct metrics_expo {
	const struct model *m;
	struct metrics_global g;
	struct snap *snap;
	size_t nsnap;             /* targets snapshotted so far (in order) */
	struct sbuf labels;       /* every snapshot's label text */
	struct sbuf out;          /* the pending unit: header or one target */
	size_t out_off;           /* bytes of it already handed out */
	size_t fam;               /* the family being written */
	uint32_t next;            /* its next target */
	bool header_done;
};

/* ---- small writers ------------------------------------------------------ */

static void sb_need(struct sbuf *b, size_t k)
{
	if (b->n + k <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 4096;
	while (b->n + k > b->cap)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

static void sb_put(struct sbuf *b, const char *s, size_t k)
{
	sb_need(b, k);
	memcpy(b->p + b->n, s, k);
	b->n += k;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* Digits of v, most significant first, into dst (at least 20 bytes). */
static size_t u64_text(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

static void sb_i64(struct sbuf *b, int64_t v)
{
	char d[21];
	size_t n = 0;

	if (v < 0) {
		d[n++] = '-';
		n += u64_text(d + n, (uint64_t)0 - (uint64_t)v);
	} else {
		n = u64_text(d, (uint64_t)v);
	}
	sb_put(b, d, n);
}

/* Milliseconds as seconds with up to 6 decimals ("0.0123", "5", "1.5"):
 * what Prometheus parses as a float, without printf's cost on 200,000
 * samples. Negative, NaN and absurd values (over 10^12 s) are 0. */
static void sb_ms_as_s(struct sbuf *b, double ms)
{
	char d[48];
	uint64_t us, sec, frac;
	size_t n;
	int digits = 6;

	if (!(ms > 0) || ms > 1e15)
		ms = 0;
	us = (uint64_t)llround(ms * 1000.0);
	sec = us / 1000000;
	frac = us % 1000000;
	n = u64_text(d, sec);
	if (frac) {
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		d[n++] = '.';
		for (int i = digits - 1; i >= 0; i--) {
			d[n + (size_t)i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		n += (size_t)digits;
	}
	sb_put(b, d, n);
}

/* name{LABELS[,extra]} */
static void sample_start(struct metrics_expo *x, const char *name, const struct snap *s,
			 const char *extra)
{
	struct sbuf *b = &x->out;

	sb_need(b, strlen(name) + s->lab_len + 64 + (extra ? strlen(extra) : 0));
	sb_str(b, name);
	sb_put(b, "{", 1);
	sb_put(b, x->labels.p + s->lab_off, s->lab_len);
	if (extra) {
		sb_put(b, ",", 1);
		sb_str(b, extra);
	}
	sb_put(b, "} ", 2);
}

static void sample_int(struct metrics_expo *x, const char *name, const struct snap *s,
		       const char *extra, int64_t v)
{
	sample_start(x, name, s, extra);
	sb_i64(&x->out, v);
	sb_put(&x->out, "\n", 1);
}

static void sample_secs(struct metrics_expo *x, const char *name, const struct snap *s,
			const char *extra, double ms)
{
	sample_start(x, name, s, extra);
	sb_ms_as_s(&x->out, ms);
	sb_put(&x->out, "\n", 1);
}

/* ---- the snapshot ------------------------------------------------------- */

static void label_pair(struct sbuf *b, const char *key, const char *raw, bool first)
{
	size_t cap = 3 * strlen(raw) + 1;

	sb_need(b, cap + strlen(key) + 4);
	if (!first)
		sb_put(b, ",", 1);
	sb_str(b, key);
	sb_put(b, "=\"", 2);
	b->n += fmt_prom_label(b->p + b->n, cap, raw);
	sb_put(b, "\"", 1);
}

static uint8_t ip_protocol(const char *ip)
{
	if (!ip[0])
		return 0;
	return strchr(ip, ':') ? 6 : 4;
}

static void snap_take(struct metrics_expo *x, uint32_t i)
{
	const struct target *t = &x->m->v[i];
	const struct last_result *r = &t->last;
	struct snap *s = &x->snap[i];
	char *url;
	size_t ulen = strlen(t->conf->url) + 8;

	memset(s, 0, sizeof(*s));
	s->lab_off = x->labels.n;
	url = xmalloc(ulen);
	fmt_redact_url(url, ulen, t->conf->url);
	label_pair(&x->labels, "target", t->conf->name, true);
	label_pair(&x->labels, "group", t->conf->group ? t->conf->group : "", false);
	label_pair(&x->labels, "url", url, false);
	free(url);
	s->lab_len = (uint32_t)(x->labels.n - s->lab_off);
	s->state = (uint8_t)(x->g.once ? report_once_state(t) : t->state);
	s->up24h = (float)target_uptime_hours(t, x->g.now_wall, 24);
	s->up7d = (float)target_uptime_hours(t, x->g.now_wall, 7 * 24);
	s->has_last = t->has_last;
	if (!t->has_last)
		return;
	s->cls = (uint8_t)r->cls;
	s->ip = ip_protocol(r->remote_ip);
	s->status = r->http_status;
	s->redirects = r->redirects;
	s->dns_ms = (float)r->t.dns_ms;
	s->connect_ms = (float)r->t.connect_ms;
	s->tls_ms = (float)r->t.tls_ms;
	s->ttfb_ms = (float)r->t.ttfb_ms;
	s->total_ms = (float)r->t.total_ms;
	s->bytes = r->bytes;
	s->cert_ms = r->cert_not_after_ms;
}

/* ---- the families ------------------------------------------------------- */

static void f_success(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_int(x, "probe_success", s, NULL, !eclass_is_failure(s->cls));
}

static void f_duration(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_secs(x, "probe_duration_seconds", s, NULL, s->total_ms);
}

static void f_status(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_int(x, "probe_http_status_code", s, NULL, s->status);
}

/* blackbox's phases. Ours are per phase already; transfer is the rest of
 * the check (the body, and earlier redirect hops), so the five add up to
 * probe_duration_seconds. */
static void f_phases(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	static const char *const name = "probe_http_duration_seconds";
	double rest;

	(void)i;
	if (!s->has_last)
		return;
	rest = (double)s->total_ms - s->dns_ms - s->connect_ms - s->tls_ms - s->ttfb_ms;
	sample_secs(x, name, s, "phase=\"resolve\"", s->dns_ms);
	sample_secs(x, name, s, "phase=\"connect\"", s->connect_ms);
	sample_secs(x, name, s, "phase=\"tls\"", s->tls_ms);
	sample_secs(x, name, s, "phase=\"processing\"", s->ttfb_ms);
	sample_secs(x, name, s, "phase=\"transfer\"", rest > 0 ? rest : 0);
}

static void f_dns(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_secs(x, "probe_dns_lookup_time_seconds", s, NULL, s->dns_ms);
}

/* Only when known: a made-up 0 would read as "expired in 1970". */
static void f_cert(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last && s->cert_ms > 0)
		sample_secs(x, "probe_ssl_earliest_cert_expiry", s, NULL, (double)s->cert_ms);
}

static void f_length(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_int(x, "probe_http_content_length", s, NULL, (int64_t)s->bytes);
}

static void f_redirects(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_int(x, "probe_http_redirects", s, NULL, s->redirects);
}

static void f_ip(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	if (s->has_last)
		sample_int(x, "probe_ip_protocol", s, NULL, s->ip);
}

static void f_state(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	char extra[48];

	(void)i;
	for (int k = 0; k < STATE__COUNT; k++) {
		snprintf(extra, sizeof(extra), "state=\"%s\"", state_name((enum state)k));
		sample_int(x, "uptop_target_state", s, extra, s->state == k);
	}
}

/* ok always (so a target has a series from the start), each error class
 * once it has happened: 17 series per target would be mostly zeros. */
static void f_checks(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	const uint64_t *by = x->m->v[i].by_class;
	char extra[48];

	for (int c = 0; c < EC__COUNT; c++) {
		const char *name = eclass_name((enum eclass)c);

		if (c != EC_NONE && !by[c])
			continue;
		snprintf(extra, sizeof(extra), "result=\"%s\"", name ? name : "ok");
		sample_int(x, "uptop_checks_total", s, extra, (int64_t)by[c]);
	}
}

/* Up share over the windows the history keeps (bucket.h: time not DOWN
 * out of the time uptop watched), as a ratio with up to 6 decimals; no
 * sample for a window uptop watched none of. */
static void f_up_ratio(struct metrics_expo *x, const struct snap *s, uint32_t i)
{
	(void)i;
	/* sb_ms_as_s: a value/1000 with 6 decimals, so percent * 10 is the ratio */
	if (s->up24h >= 0)
		sample_secs(x, "uptop_target_up_ratio", s, "window=\"24h\"", s->up24h * 10.0);
	if (s->up7d >= 0)
		sample_secs(x, "uptop_target_up_ratio", s, "window=\"7d\"", s->up7d * 10.0);
}

static void global_line(struct metrics_expo *x, const char *name, const char *labels)
{
	sb_str(&x->out, name);
	if (labels)
		sb_str(&x->out, labels);
	sb_put(&x->out, " ", 1);
}

static void g_lag(struct metrics_expo *x)
{
	static const char *const q[3] = { "{quantile=\"0.5\"}", "{quantile=\"0.9\"}",
					  "{quantile=\"0.99\"}" };

	for (int k = 0; k < 3; k++) {
		global_line(x, "uptop_loop_lag_seconds", q[k]);
		sb_ms_as_s(&x->out, x->g.lag_q[k] * 1000.0);
		sb_put(&x->out, "\n", 1);
	}
	global_line(x, "uptop_loop_lag_seconds_sum", NULL);
	sb_ms_as_s(&x->out, x->g.lag_sum_s * 1000.0);
	sb_put(&x->out, "\n", 1);
	global_line(x, "uptop_loop_lag_seconds_count", NULL);
	sb_i64(&x->out, (int64_t)x->g.lag_count);
	sb_put(&x->out, "\n", 1);
}

static void g_number(struct metrics_expo *x, const char *name, uint64_t v)
{
	global_line(x, name, NULL);
	sb_i64(&x->out, (int64_t)v);
	sb_put(&x->out, "\n", 1);
}

static void g_overdue(struct metrics_expo *x)
{
	g_number(x, "uptop_overdue_total", x->g.overdue);
}

static void g_in_flight(struct metrics_expo *x)
{
	g_number(x, "uptop_in_flight", x->g.in_flight);
}

static void g_queued(struct metrics_expo *x)
{
	g_number(x, "uptop_queued", x->g.queued);
}

static void g_outage(struct metrics_expo *x)
{
	g_number(x, "uptop_outage_active", x->g.outage_active);
}

static void g_alerts(struct metrics_expo *x)
{
	static const char *const res[3] = { "{result=\"sent\"}", "{result=\"failed\"}",
					    "{result=\"dropped\"}" };
	const uint64_t v[3] = { x->g.alerts_sent, x->g.alerts_failed, x->g.alerts_dropped };

	for (int k = 0; k < 3; k++) {
		global_line(x, "uptop_alerts_total", res[k]);
		sb_i64(&x->out, (int64_t)v[k]);
		sb_put(&x->out, "\n", 1);
	}
}

static void g_build(struct metrics_expo *x)
{
	global_line(x, "uptop_build_info", "{version=\"" UPTOP_VERSION "\"}");
	sb_str(&x->out, "1\n");
}

static const struct family families[] = {
	/* The first writes lines for every target (pending ones too) and
	 * takes the snapshots: its work per call is bounded by the buffer. */
	{ "uptop_target_state", "gauge",
	  "The target's state: 1 for the one it is in, 0 for the others", f_state, NULL },
	{ "probe_success", "gauge", "Displays whether or not the probe was a success",
	  f_success, NULL },
	{ "probe_duration_seconds", "gauge",
	  "Returns how long the probe took to complete in seconds", f_duration, NULL },
	{ "probe_http_status_code", "gauge", "Response HTTP status code", f_status, NULL },
	{ "probe_http_duration_seconds", "gauge",
	  "Duration of http request by phase, summed over all redirects", f_phases, NULL },
	{ "probe_dns_lookup_time_seconds", "gauge",
	  "Returns the time taken for probe dns lookup in seconds", f_dns, NULL },
	{ "probe_ssl_earliest_cert_expiry", "gauge",
	  "Returns last SSL chain expiry in unixtime", f_cert, NULL },
	{ "probe_http_content_length", "gauge",
	  "Length of http content response (body bytes read, at most max_body)", f_length, NULL },
	{ "probe_http_redirects", "gauge", "The number of redirects", f_redirects, NULL },
	{ "probe_ip_protocol", "gauge", "Specifies whether probe ip protocol is IP4 or IP6",
	  f_ip, NULL },
	{ "uptop_checks_total", "counter",
	  "Checks finished since uptop started, by result: ok or the error class",
	  f_checks, NULL },
	{ "uptop_target_up_ratio", "gauge",
	  "Share of the time uptop watched the target that it was not down, over the "
	  "last 24h or 7d (kept across restarts by the history)", f_up_ratio, NULL },
	{ "uptop_loop_lag_seconds", "summary",
	  "How late each loop turn started plus how long it ran; quantiles over the "
	  "last minute", NULL, g_lag },
	{ "uptop_overdue_total", "counter",
	  "Check slots skipped because the target's previous check was still queued "
	  "or running", NULL, g_overdue },
	{ "uptop_in_flight", "gauge", "Checks running now", NULL, g_in_flight },
	{ "uptop_queued", "gauge", "Checks due and waiting under the in-flight cap",
	  NULL, g_queued },
	{ "uptop_outage_active", "gauge",
	  "1 while a mass outage is open (many targets failing at once, or the canary), else 0",
	  NULL, g_outage },
	{ "uptop_alerts_total", "counter",
	  "Alerts since uptop started, by result: sent, failed (a webhook: after its "
	  "retries), dropped (the command queue was full)", NULL, g_alerts },
	{ "uptop_build_info", "gauge", "uptop's version; always 1", NULL, g_build },
};

/* ---- the cursor --------------------------------------------------------- */

struct metrics_expo *metrics_expo_new(const struct model *m, const struct metrics_global *g)
{
	struct metrics_expo *x = xcalloc(1, sizeof(*x));

	x->m = m;
	x->g = *g;
	x->snap = xmalloc((m->n ? m->n : 1) * sizeof(*x->snap));
	return x;
}

void metrics_expo_free(struct metrics_expo *x)
{
	if (!x)
		return;
	free(x->snap);
	free(x->labels.p);
	free(x->out.p);
	free(x);
}

/* Writes the next unit into x->out: a family's header, one target's
 * samples, or a global family's; or nothing after SKIP_MAX targets that
 * had no lines. False at the end. */
static bool next_unit(struct metrics_expo *x)
{
	const struct family *f;
	unsigned skipped = 0;

	x->out.n = x->out_off = 0;
	while (x->fam < ARRAY_LEN(families)) {
		f = &families[x->fam];
		if (!x->header_done) {
			x->header_done = true;
			sb_str(&x->out, "# HELP ");
			sb_str(&x->out, f->name);
			sb_put(&x->out, " ", 1);
			sb_str(&x->out, f->help);
			sb_str(&x->out, "\n# TYPE ");
			sb_str(&x->out, f->name);
			sb_put(&x->out, " ", 1);
			sb_str(&x->out, f->type);
			sb_put(&x->out, "\n", 1);
			return true;
		}
		if (f->target && x->next < x->m->n) {
			uint32_t i = x->next++;

			if (i >= x->nsnap) {
				snap_take(x, i);
				x->nsnap = i + 1;
			}
			f->target(x, &x->snap[i], i);
			/* Targets without a result have no probe_* lines: hand
			 * back an empty unit now and then to bound the skipping. */
			if (x->out.n || ++skipped >= SKIP_MAX)
				return true;
			continue;
		}
		if (f->global)
			f->global(x);
		x->fam++;
		x->next = 0;
		x->header_done = false;
		if (x->out.n)
			return true;
	}
	return false;
}

size_t metrics_expo_fill(struct metrics_expo *x, char *buf, size_t max)
{
	size_t n = 0;

	while (n < max) {
		size_t k;

		if (x->out_off == x->out.n) {
			if (!next_unit(x))
				break;
			if (!x->out.n && n)
				break;
		}
		k = x->out.n - x->out_off;
		if (k > max - n) {
			/* End on a line if one fits; else split the unit. */
			const char *nl = memrchr(x->out.p + x->out_off, '\n', max - n);

			if (nl)
				k = (size_t)(nl - (x->out.p + x->out_off)) + 1;
			else if (n)
				break;
			else
				k = max;
		}
		memcpy(buf + n, x->out.p + x->out_off, k);
		x->out_off += k;
		n += k;
	}
	return n;
}
