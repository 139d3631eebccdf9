/* ui_stats.c - the header's stats line as pieces (see ui_tables.h): the
 * counts per state, checks/s, uptop's own stalls, in flight, queued,
 * overdue and the loop's lag, and which of them fit a width. No curses:
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

static size_t stats_build(const struct ui_view *v, bool shortn,
			  struct ui_stat *st)
{
	static const int order[] = { STATE_UP, STATE_DEGRADED, STATE_CONFIRMING,
				     STATE_DOWN, STATE_PENDING };
	static const char *const short_name[STATE__COUNT] = {
		[STATE_UP] = "up", [STATE_DEGRADED] = "degr",
		[STATE_DOWN] = "down", [STATE_PENDING] = "pend",
		[STATE_CONFIRMING] = "conf",
	};
	const struct sched_stats *s = v->sched;
	bool lag_bad = v->lag_p99_ms > LAG_BAD_MS;
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(order); i++) {
		size_t c = v->model ? v->model->count[order[i]] : 0;

		st[n] = (struct ui_stat){ .lead = i ? " " : "", .prio = 0,
					  .role = c ? ui_state_role(order[i]) : ROLE_DIM };
		snprintf(st[n++].text, sizeof(st->text), "%zu %s", c,
			 shortn ? short_name[order[i]] : state_name(order[i]));
	}
	st[n] = (struct ui_stat){ .lead = "   ", .role = ROLE_HEADER, .prio = 3 };
	snprintf(st[n++].text, sizeof(st->text),
		 v->checks_per_sec < 100 ? "%.1f checks/s" : "%.0f checks/s",
		 v->checks_per_sec);
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
