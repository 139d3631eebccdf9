/* ui_stats.c - the header's stats line as pieces (see ui_tables.h): the
 * counts per state, checks/s, alerts sent and failed, uptop's own stalls,
 * in flight, queued, overdue and the loop's lag, and which of them fit a width. No curses:
 * ui.c draws the pieces, the tests read them. */
#include "ui_tables.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "sched.h"
#include "target.h"
#include "util.h"

/* A stall, overdue slots and a lag over 100 ms are news: worth more than
 * the steady numbers. */
#define LAG_BAD_MS 100

enum counts_form { COUNTS_FULL = 0, COUNTS_SHORT, COUNTS_TINY };

/* The counts per state: "3 up 0 degraded ..." (full), "3 up 0 degr ..."
 * (short: the badges), or for a tiny terminal "1dn 0cf 0dg 0pd 3up",
 * the worst first so down survives a cut. */
static size_t counts_build(const struct ui_view *v, enum counts_form f,
			   struct ui_stat *st)
{
	static const int wide[] = { STATE_UP, STATE_DEGRADED, STATE_CONFIRMING,
				    STATE_DOWN, STATE_PENDING };
	static const int narrow[] = { STATE_DOWN, STATE_CONFIRMING, STATE_DEGRADED,
				      STATE_PENDING, STATE_UP };
	static const char *const names[][STATE__COUNT] = {
		[COUNTS_SHORT] = { [STATE_UP] = "up", [STATE_DEGRADED] = "degr",
				   [STATE_DOWN] = "down", [STATE_PENDING] = "pend",
				   [STATE_CONFIRMING] = "conf" },
		[COUNTS_TINY] = { [STATE_UP] = "up", [STATE_DEGRADED] = "dg",
				  [STATE_DOWN] = "dn", [STATE_PENDING] = "pd",
				  [STATE_CONFIRMING] = "cf" },
	};
	const int *order = f == COUNTS_TINY ? narrow : wide;

	for (size_t i = 0; i < ARRAY_LEN(wide); i++) {
		size_t c = v->model ? v->model->count[order[i]] : 0;

		st[i] = (struct ui_stat){ .lead = i ? " " : "", .prio = 0,
					  .role = c ? ui_state_role(order[i]) : ROLE_DIM };
		snprintf(st[i].text, sizeof(st->text),
			 f == COUNTS_TINY ? "%zu%s" : "%zu %s", c,
			 f == COUNTS_FULL ? state_name(order[i]) : names[f][order[i]]);
	}
	return ARRAY_LEN(wide);
}

static size_t stats_build(const struct ui_view *v, bool shortn,
			  struct ui_stat *st)
{
	const struct sched_stats *s = v->sched;
	bool lag_bad = v->lag_p99_ms > LAG_BAD_MS;
	size_t n = counts_build(v, shortn ? COUNTS_SHORT : COUNTS_FULL, st);

	st[n] = (struct ui_stat){ .lead = "   ", .role = ROLE_HEADER, .prio = 3 };
	snprintf(st[n++].text, sizeof(st->text),
		 v->checks_per_sec < 100 ? "%.1f checks/s" : "%.0f checks/s",
		 v->checks_per_sec);
	/* alerts, once one went out; a failed one is news */
	if (v->alerts_sent || v->alerts_failed || v->alerts_dropped) {
		uint64_t bad = v->alerts_failed + v->alerts_dropped;

		st[n] = (struct ui_stat){ .lead = "  ", .prio = bad ? 1 : 5,
					  .role = bad ? ROLE_LATENCY_BAD : ROLE_HEADER };
		if (bad)
			snprintf(st[n++].text, sizeof(st->text), "%llu alert%s, %llu failed",
				 (unsigned long long)v->alerts_sent, v->alerts_sent == 1 ? "" : "s",
				 (unsigned long long)bad);
		else
			snprintf(st[n++].text, sizeof(st->text), "%llu alert%s sent",
				 (unsigned long long)v->alerts_sent, v->alerts_sent == 1 ? "" : "s");
	}
	if (v->stalls) {
		st[n] = (struct ui_stat){ .lead = "  ", .role = ROLE_LATENCY_WARN,
					  .prio = 1 };
		snprintf(st[n++].text, sizeof(st->text), "%llu stall%s",
			 (unsigned long long)v->stalls, v->stalls == 1 ? "" : "s");
	}
	if (s) {
		st[n] = (struct ui_stat){ .lead = "  ", .role = ROLE_HEADER, .prio = 4 };
		snprintf(st[n++].text, sizeof(st->text), "%zu in flight",
			 s->in_flight);
		st[n] = (struct ui_stat){ .lead = "  ", .role = ROLE_HEADER, .prio = 5 };
		snprintf(st[n++].text, sizeof(st->text), "%zu queued", s->queued);
		st[n] = (struct ui_stat){ .lead = "  ", .prio = s->overdue ? 2 : 6,
					  .role = s->overdue ? ROLE_LATENCY_WARN
							     : ROLE_HEADER };
		snprintf(st[n++].text, sizeof(st->text), "%llu overdue",
			 (unsigned long long)s->overdue);
	}
	st[n] = (struct ui_stat){ .lead = "  ", .prio = lag_bad ? 2 : 7,
				  .role = lag_bad ? ROLE_LATENCY_BAD : ROLE_HEADER };
	snprintf(st[n++].text, sizeof(st->text), "lag p99 %.0fms", v->lag_p99_ms);
	return n;
}

/* Columns of the pieces of prio <= upto (all ASCII). */
static int stats_width(const struct ui_stat *st, size_t n, int upto)
{
	int w = 0;

	for (size_t i = 0; i < n; i++)
		if (st[i].prio <= upto)
			w += (int)(strlen(st[i].lead) + strlen(st[i].text));
	return w;
}

size_t ui_counts_fit(const struct ui_view *v, int width, struct ui_stat *out)
{
	size_t n = 0;

	for (int f = COUNTS_FULL; f <= COUNTS_TINY; f++) {
		n = counts_build(v, (enum counts_form)f, out);
		if (stats_width(out, n, 0) <= width)
			break;
	}
	return n;
}

size_t ui_stats_fit(const struct ui_view *v, int width, struct ui_stat *out)
{
	struct ui_stat st[UI_STATS_MAX];
	size_t n = stats_build(v, false, st), k = 0;
	int upto = INT_MAX;

	if (stats_width(st, n, upto) > width) {
		n = stats_build(v, true, st);
		for (upto = UI_STATS_PRIO_MAX;
		     upto > 0 && stats_width(st, n, upto) > width;)
			upto--;
	}
	for (size_t i = 0; i < n; i++)
		if (st[i].prio <= upto)
			out[k++] = st[i];
	return k;
}
