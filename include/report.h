/* report.h - headless output: the --once table and JSON Lines, the
 * --headless event and statistics lines, exit codes. */
#ifndef UPTOP_REPORT_H
#define UPTOP_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "target.h"

struct config;
struct engine_stats;

enum report_format { REPORT_TABLE, REPORT_JSON };

/* Exit codes, Nagios plugin convention. */
enum {
	EXIT_UP = 0,        /* all up */
	EXIT_DEGRADED = 1,  /* some degraded, none down */
	EXIT_DOWN = 2,      /* any down */
	EXIT_USAGE = 3      /* config or usage error */
};

/* --once: the state one check decides (failures_before_down ignored). */
enum state report_once_state(const struct target *t);

/* --once table: down first, then degraded, then up; aligned columns;
 * every outside string sanitised (UTF-8 glyphs when utf8). */
void report_table(FILE *f, const struct model *m, bool utf8);
/* --once JSON Lines, one object per target in config order. */
void report_json(FILE *f, const struct model *m);

/* --headless: one JSON line per event: "state" (with "outage":true while
 * a mass outage is open), "stall", "outage" (phase start or end); kinds
 * not known here are skipped. And one line of run statistics. */
void report_event_json(FILE *f, const struct model *m, const struct event *ev);
void report_stats_json(FILE *f, const struct engine_stats *s,
		       double elapsed_s, long peak_rss_kb);

/* Exit code from the states: 0 all up, 1 degraded or confirming (none
 * down), 2 any down. With once, states come from report_once_state. */
int report_exit_code(const struct model *m, bool once);

#endif
