/* ui_columns.c - the live table's columns: one row each (see ui_tables.h).
 *
 * A row says everything about a column: its key, heading, width rules and
 * priority when the terminal is narrow (layout.h), alignment, how one
 * target's cell reads (text and colour role) and what it sorts by. The
 * table (ui_table.c) only walks these rows. */
#include "ui_priv.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fmt.h"
#include "target.h"
#include "util.h"

enum role ui_state_role(int state)
{
	switch (state) {
	case STATE_UP: return ROLE_STATE_UP;
	case STATE_DEGRADED: return ROLE_STATE_DEGRADED;
	case STATE_DOWN: return ROLE_STATE_DOWN;
	case STATE_CONFIRMING: return ROLE_STATE_CONFIRMING;
	default: return ROLE_STATE_PENDING;
	}
}

const char *ui_state_badge(int state)
{
	switch (state) {
	case STATE_UP: return "UP";
	case STATE_DEGRADED: return "DEGR";
	case STATE_DOWN: return "DOWN";
	case STATE_CONFIRMING: return "CONF";
	default: return "PEND";
	}
}

void ui_error_text(char *dst, size_t len, enum eclass c, const char *msg)
{
	const char *cls = c != EC_NONE ? eclass_name(c) : NULL;

	if (!cls)
		snprintf(dst, len, "%s", "");
	else if (msg[0])
		snprintf(dst, len, "%s: %s", cls, msg);
	else
		snprintf(dst, len, "%s", cls);
}

static enum role latency_role(const struct target *t, double ms)
{
	double lim = t->conf->max_latency_ms > 0 ? (double)t->conf->max_latency_ms
						 : 1000.0;

	if (eclass_is_failure((enum eclass)t->last.cls) || ms >= lim)
		return ROLE_LATENCY_BAD;
	return ms >= lim / 2 ? ROLE_LATENCY_WARN : ROLE_LATENCY_OK;
}

static int state_rank(enum state s)
{
	switch (s) {
	case STATE_DOWN: return 0;
	case STATE_CONFIRMING: return 1;
	case STATE_DEGRADED: return 2;
	case STATE_PENDING: return 3;
	default: return 4;
	}
}

/* --- formatters and sort keys, in display order ------------------------
 * Numeric keys sort "worst first": slow, failing, recently changed at the
 * top; a missing value sorts last. */

/* In a maintenance window the badge says so, in the colour of the state
 * underneath (a DOWN in maintenance is still red). */
static void state_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	snprintf(c->text, sizeof(c->text), "%s",
		 t->q.maint_until_wall ? "MAINT" : ui_state_badge(t->state));
	c->role = ui_state_role(t->state);
	c->badge = true;
}

static void state_sort(struct ui_sortkey *k, const struct target *t)
{
	k->k = state_rank(t->state);
}

static void name_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	snprintf(c->text, sizeof(c->text), "%s", t->conf->name);
}

/* Sorting by name is the tie-break every key ends with. */
static void name_sort(struct ui_sortkey *k, const struct target *t)
{
	(void)k;
	(void)t;
}

/* As wide as the longest name, no wider. */
static bool name_size(const struct ui_fit *f, struct layout_col *fit)
{
	fit->max = f->name_w > fit->min ? f->name_w : fit->min;
	return true;
}

static void group_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	snprintf(c->text, sizeof(c->text), "%s",
		 t->conf->group ? t->conf->group : "");
	c->role = ROLE_DIM;
}

static void group_sort(struct ui_sortkey *k, const struct target *t)
{
	const char *g = t->conf->group;

	k->s = g && *g ? g : "\x7f";   /* ungrouped last */
}

/* Gone when no target has a group; else up to 16 cells of it. */
static bool group_size(const struct ui_fit *f, struct layout_col *fit)
{
	if (!f->group_w)
		return false;
	fit->pref = f->group_w < 16 ? f->group_w : 16;
	if (fit->pref < fit->min)
		fit->pref = fit->min;
	return true;
}

/* An HTTP status, a DNS check's rcode, "open" for a TCP check (result.h). */
static void code_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	if (t->has_last)
		result_code_text(c->text, sizeof(c->text), t->conf->kind, t->last.http_status,
				 t->last.answer_code);
	else
		snprintf(c->text, sizeof(c->text), "-");
	if (t->last.cls == EC_STATUS)
		c->role = ROLE_ERROR;
}

/* Worst first: no answer at all (refused, timed out, ...), then answers
 * that failed (5xx before 4xx before the rest), then passing answers
 * (highest code first); never checked last. */
static void code_sort(struct ui_sortkey *k, const struct target *t)
{
	int st = t->last.http_status > 0 && t->last.http_status < 1000
			 ? t->last.http_status : 0;
	/* a TCP or DNS answer: "open", then the rcodes, after HTTP codes */
	uint8_t a = t->has_last && !st ? t->last.answer_code : 0;
	int rank = !t->has_last ? 3
		   : !eclass_is_failure((enum eclass)t->last.cls) ? 2
		   : st || a ? 1 : 0;

	k->k = rank * 1000.0 + (999 - (st ? st : a ? 600 + a : 0));
}

/* Wide enough for "NXDOMAIN" when DNS checks are listed. */
static bool code_size(const struct ui_fit *f, struct layout_col *fit)
{
	if (f->any_dns)
		fit->min = fit->pref = 8;
	return true;
}

#define DAY_MS (24LL * 3600 * 1000)

/* Validity left of the chain's earliest certificate when the check ran:
 * "45d", "9h" (under a day), "-2d" (expired); "-" when not https. */
static void cert_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	const struct last_result *r = &t->last;
	int64_t left;

	(void)now;
	if (!t->has_last || !r->cert_not_after_ms) {
		snprintf(c->text, sizeof(c->text), "-");
		c->role = ROLE_DIM;
		return;
	}
	left = r->cert_not_after_ms - r->start_wall_ms - (int64_t)r->t.total_ms;
	if (left >= DAY_MS || left <= -DAY_MS)
		snprintf(c->text, sizeof(c->text), "%lldd", (long long)(left / DAY_MS));
	else
		snprintf(c->text, sizeof(c->text), "%s%lldh", left < 0 ? "-" : "",
			 (long long)((left < 0 ? -left : left) / 3600000));
	c->role = left < 0 ? ROLE_ERROR :
		  t->conf->cert_expiry_ms > 0 && left < t->conf->cert_expiry_ms ?
						  ROLE_LATENCY_WARN : ROLE_NORMAL;
}

/* The soonest to expire first; no certificate last. */
static void cert_sort(struct ui_sortkey *k, const struct target *t)
{
	k->k = t->has_last && t->last.cert_not_after_ms ? (double)t->last.cert_not_after_ms :
							   HUGE_VAL;
}

/* Only when some target is https. */
static bool cert_size(const struct ui_fit *f, struct layout_col *fit)
{
	(void)fit;
	return f->any_https;
}

/* A latency, coloured against the target's limit; "-" when < 0. */
static void ms_cell(struct ui_cell *c, const struct target *t, double ms)
{
	fmt_latency(c->text, sizeof(c->text), ms);
	if (ms >= 0)
		c->role = latency_role(t, ms);
}

/* An answer's latency (result_has_latency, via target_latency); "-" for
 * a check that got no complete answer. */
static void latency_cell(struct ui_cell *c, const struct target *t,
			 int64_t now)
{
	(void)now;
	ms_cell(c, t, target_latency(t));
}

/* Worst first: no answer at all, those that took longest to fail first
 * (a timeout before a refusal); then the answers, slowest first; never
 * checked last. */
static void latency_sort(struct ui_sortkey *k, const struct target *t)
{
	double ms = target_latency(t), took = t->last.t.total_ms;

	if (!t->has_last)
		k->k = HUGE_VAL;
	else if (ms < 0)
		k->k = -1e12 - (took > 0 && took < 1e11 ? took : 0);
	else
		k->k = -ms;
}

static void p95_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	ms_cell(c, t, target_p95(t));
}

static void p95_sort(struct ui_sortkey *k, const struct target *t)
{
	double p = target_p95(t);

	k->k = p >= 0 ? -p : HUGE_VAL;
}

static size_t utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return c >= 0xc0 ? 2 : 1;
}

/* Newest sample at the right edge; each failed check in its own colour,
 * which the selection bar does not paint over. */
static void spark_draw(struct ui *ui, int y, const struct layout_slot *s,
		       const struct target *t, bool sel)
{
	float lat[HIST_LEN] = { 0 };
	bool failed[HIST_LEN] = { false };
	char buf[HIST_LEN * 4 + 1];
	size_t n = s->w < HIST_LEN ? (size_t)s->w : HIST_LEN, at = 0;

	for (size_t i = 0; i < n; i++) {
		const struct hist_entry *h = target_hist(t, (unsigned)(n - 1 - i));

		lat[i] = h ? (float)hist_latency(h) : -1.0f;   /* none without an answer */
		failed[i] = h && eclass_is_failure((enum eclass)h->cls);
	}
	fmt_sparkline(buf, sizeof(buf), lat, failed, n, ui->utf8);
	for (size_t i = 0; i < n && buf[at]; i++) {
		size_t l = utf8_len((unsigned char)buf[at]);
		enum role r = failed[i] ? ROLE_SPARKLINE_FAIL : ROLE_SPARKLINE;

		ui_glyph(ui, y, s->x + s->w - (int)n + (int)i,
			 sel && !failed[i] ? ROLE_SELECTION : r, buf + at, l);
		at += l;
	}
}

/* An uptime in percent, coloured; "-" when < 0 (nothing to tell). */
static void window_cell(struct ui_cell *c, double v)
{
	fmt_percent(c->text, sizeof(c->text), v);
	c->role = v < 0 ? ROLE_DIM : v >= 99.9 ? ROLE_NORMAL
		  : v >= 95 ? ROLE_LATENCY_WARN : ROLE_LATENCY_BAD;
}

static void window_sort(struct ui_sortkey *k, double v)
{
	k->k = v >= 0 ? v : HUGE_VAL;   /* lowest first, unknown last */
}

static void uptime_cell(struct ui_cell *c, const struct target *t,
			int64_t now)
{
	(void)now;
	window_cell(c, target_uptime(t));
}

static void uptime_sort(struct ui_sortkey *k, const struct target *t)
{
	window_sort(k, target_uptime(t));
}

/* UP24H, UP7D: uptime over a window of the last hours (bucket.h: time
 * DOWN out of the time uptop watched, restored from the history at
 * start); "-" when uptop watched none of it. */

static void up24h_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	window_cell(c, target_uptime_hours(t, wall_ms(), 24));
}

static void up24h_sort(struct ui_sortkey *k, const struct target *t)
{
	window_sort(k, target_uptime_hours(t, wall_ms(), 24));
}

static void up7d_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	window_cell(c, target_uptime_hours(t, wall_ms(), 7 * 24));
}

static void up7d_sort(struct ui_sortkey *k, const struct target *t)
{
	window_sort(k, target_uptime_hours(t, wall_ms(), 7 * 24));
}

static void fails_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	snprintf(c->text, sizeof(c->text), "%d/%llu", t->consecutive_failures,
		 (unsigned long long)t->failures);
	c->role = t->consecutive_failures ? ROLE_ERROR : ROLE_DIM;
}

static void fails_sort(struct ui_sortkey *k, const struct target *t)
{
	k->k = -(double)t->consecutive_failures * 1e12 - (double)t->failures;
}

static void since_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	fmt_duration(c->text, sizeof(c->text),
		     now > t->since_mono_ms ? now - t->since_mono_ms : 0);
}

static void since_sort(struct ui_sortkey *k, const struct target *t)
{
	k->k = -(double)t->since_mono_ms;
}

/* "42m", "1h05m", "45s": time left, to the minute once it is minutes. */
static void left_text(char *dst, size_t len, int64_t ms)
{
	int64_t s = ms > 0 ? (ms + 999) / 1000 : 0;

	if (s >= 3600)
		snprintf(dst, len, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)((s % 3600 + 59) / 60 % 60));
	else if (s >= 60)
		snprintf(dst, len, "%lldm", (long long)((s + 59) / 60));
	else
		snprintf(dst, len, "%llds", (long long)s);
}

bool ui_quiet_text(char *dst, size_t len, const struct target *t, int64_t now_mono,
		   int64_t now_wall)
{
	char left[32], clk[16];

	if (t->q.maint_until_wall) {
		left_text(left, sizeof(left), t->q.maint_until_wall - now_wall);
		snprintf(dst, len, "MAINT %s", left);
	} else if (target_silenced(t, now_mono)) {
		left_text(left, sizeof(left), t->q.mute_until_mono - now_mono);
		snprintf(dst, len, "MUTED %s", left);
	} else if (t->q.ack_wall_ms) {
		fmt_clock(clk, sizeof(clk), t->q.ack_wall_ms);
		snprintf(dst, len, "ACK %s %.5s", t->q.ack_by ? t->q.ack_by : "", clk);
	} else {
		if (len)
			dst[0] = '\0';
		return false;
	}
	return true;
}

/* What the target's alerts are doing: acknowledged (someone is on it),
 * muted, in maintenance. */
static void quiet_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	if (!ui_quiet_text(c->text, sizeof(c->text), t, now, wall_ms()))
		return;
	c->role = t->q.maint_until_wall ? ROLE_DIM :
		  target_silenced(t, now) ? ROLE_LATENCY_WARN : ROLE_LATENCY_OK;
}

/* Shown once some target is acknowledged, muted or in maintenance. */
static bool quiet_size(const struct ui_fit *f, struct layout_col *fit)
{
	(void)fit;
	return f->quiet;
}

static void error_cell(struct ui_cell *c, const struct target *t, int64_t now)
{
	(void)now;
	if (c->checking) {
		snprintf(c->text, sizeof(c->text), "%s",
			 c->utf8 ? "checking\xe2\x80\xa6" : "checking...");
		c->role = ROLE_MESSAGE;
		return;
	}
	if (t->has_last)
		ui_error_text(c->text, sizeof(c->text), t->last.cls, t->last.msg);
	c->role = eclass_is_degraded(t->last.cls) ? ROLE_LATENCY_WARN : ROLE_ERROR;
}

/* --- the table ---------------------------------------------------------
 * Priorities say what a person on a narrow terminal needs most: which
 * target, its state, whether it answers, why it fails, since when (0:
 * never dropped; higher numbers drop first). The error keeps PREF_ERROR
 * cells before any column of lower priority comes in (at 80 columns the
 * sparkline shrinks and uptime, p95 and failures drop for it); the sort
 * column is as important as the error. The whole name (up to the
 * longest) comes before failures and group; 20 checks of history once
 * every column has its preferred width, before the error grows past 30.
 * `s` cycles through the sortable columns in this order. */
#define PRIO_ERROR 2
#define PREF_ERROR 30
#define PRIO_NAME_WHOLE 7
#define PRIO_LAST 9

const struct ui_column ui_columns[] = {
	{ "state", "STATE", { .min = 6, .pref = 6, .prio = 0 }, ALIGN_LEFT,
	  .desc = true, .cell = state_cell, .sort = state_sort },
	{ "name", "NAME", { .min = 6, .pref = 12, .prio = 0, .flex = true,
	  .full = PRIO_NAME_WHOLE }, ALIGN_LEFT, .cell = name_cell,
	  .sort = name_sort, .size = name_size },
	{ "group", "GROUP", { .min = 6, .pref = 8, .prio = 9 }, ALIGN_LEFT,
	  .cell = group_cell, .sort = group_sort, .size = group_size },
	{ "code", "CODE", { .min = 5, .pref = 5, .prio = 4 }, ALIGN_RIGHT,
	  .desc = true, .cell = code_cell, .sort = code_sort, .size = code_size },
	{ "latency", "LAST", { .min = 6, .pref = 6, .prio = 1 }, ALIGN_RIGHT,
	  .desc = true, .cell = latency_cell, .sort = latency_sort },
	{ "p95", "P95", { .min = 6, .pref = 6, .prio = 7 }, ALIGN_RIGHT,
	  .desc = true, .cell = p95_cell, .sort = p95_sort },
	{ "history", "HISTORY", { .min = 8, .pref = 12, .max = 20, .prio = 5,
	  .full = PRIO_LAST }, ALIGN_LEFT, .draw = spark_draw },
	{ "uptime", "UPTIME", { .min = 7, .pref = 7, .prio = 6 }, ALIGN_RIGHT,
	  .cell = uptime_cell, .sort = uptime_sort },
	{ "up24h", "UP24H", { .min = 6, .pref = 6, .prio = 10 }, ALIGN_RIGHT,
	  .cell = up24h_cell, .sort = up24h_sort },
	{ "up7d", "UP7D", { .min = 6, .pref = 6, .prio = 11 }, ALIGN_RIGHT,
	  .cell = up7d_cell, .sort = up7d_sort },
	{ "cert", "CERT", { .min = 5, .pref = 5, .prio = 12 }, ALIGN_RIGHT,
	  .cell = cert_cell, .sort = cert_sort, .size = cert_size },
	{ "failures", "FAILS", { .min = 6, .pref = 9, .prio = 8 }, ALIGN_RIGHT,
	  .desc = true, .cell = fails_cell, .sort = fails_sort },
	{ "since", "SINCE", { .min = 6, .pref = 6, .prio = 3 }, ALIGN_RIGHT,
	  .cell = since_cell, .sort = since_sort },
	{ "alerts", "ALERTS", { .min = 9, .pref = 15, .prio = 3 }, ALIGN_LEFT,
	  .cell = quiet_cell, .size = quiet_size },
	{ "error", "ERROR", { .min = 10, .pref = PREF_ERROR, .prio = PRIO_ERROR,
	  .flex = true }, ALIGN_LEFT, .cell = error_cell },
};

const size_t ui_ncolumns = ARRAY_LEN(ui_columns);

_Static_assert(ARRAY_LEN(ui_columns) <= UI_COLUMNS_MAX,
	       "raise UI_COLUMNS_MAX");

/* Can column c show for these targets (its size rule)? */
static bool column_rule(size_t c, const struct ui_fit *f, struct layout_col *fit)
{
	*fit = ui_columns[c].fit;
	return !ui_columns[c].size || ui_columns[c].size(f, fit);
}

size_t ui_columns_rules(const struct ui_fit *f, size_t *ids,
			struct layout_col *cols)
{
	size_t n = 0;

	for (size_t c = 0; c < ui_ncolumns; c++) {
		struct layout_col fit;

		if (!column_rule(c, f, &fit))
			continue;
		if (c == f->sort && fit.prio > PRIO_ERROR)
			fit.prio = PRIO_ERROR;
		ids[n] = c;
		cols[n++] = fit;
	}
	return n;
}

size_t ui_sort_next(size_t col, const struct ui_fit *f)
{
	for (size_t i = 1; i <= ui_ncolumns; i++) {
		size_t c = (col + i) % ui_ncolumns;
		struct layout_col fit;

		if (ui_columns[c].sort && column_rule(c, f, &fit))
			return c;
	}
	return col;
}

const char *ui_sort_arrow(size_t col, bool reverse, bool utf8)
{
	bool down = col < ui_ncolumns && ui_columns[col].desc != reverse;

	if (utf8)
		return down ? "\xe2\x86\x93" : "\xe2\x86\x91";
	return down ? "v" : "^";
}

const char *ui_sort_name(size_t col)
{
	return col < ui_ncolumns ? ui_columns[col].key : "?";
}
