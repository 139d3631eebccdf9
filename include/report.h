/* report.h - headless output: the --once table and JSON Lines, the
 * --headless event and statistics lines, exit codes. */
#ifndef UPTOP_REPORT_H
#define UPTOP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "diag.h"
#include "target.h"

struct config;
struct engine_stats;

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_PROMETHEUS, REPORT_NAGIOS };

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

/* --once table: the closing line, "12 up, 1 degraded, 2 down in 1.3 s"
 * ("in 250 ms" under a second; pending only when a signal cut the round
 * short). */
void report_summary(FILE *f, const struct model *m, double seconds);

/* --headless and the event log: one JSON line per event: "state" (the
 * result that caused it gives http_status and latency_ms; "outage":true
 * while a mass outage is open), "stall", "outage" (phase start or end),
 * "ack", "silence" (phase set, lifted, expired), "maintenance" (phase
 * start or end), "alert" (sent) and "alert_failed"; kinds not known here
 * are skipped. Run statistics (periodic and final), and the outcome of
 * each reload. Each line is written whole and flushed. */
void report_event_json(FILE *f, const struct model *m, const struct event *ev);
/* The same line in a malloc'd buffer (its length in *len); NULL for a
 * kind that has none. */
char *report_event_text(const struct model *m, const struct event *ev, size_t *len);

/* What the stats line adds to engine_stats: the run, not the engine. */
struct report_run {
	int64_t wall_ms;            /* now, for "time" */
	double elapsed_s;           /* since start */
	bool final;                 /* the last line of the run */
	uint64_t output_dropped;    /* lines the output queue dropped */
	uint64_t alerts_sent, alerts_failed;
	uint64_t alerts_dropped;    /* never started: their queue was full */
	uint64_t event_log_dropped; /* lines the writer's queue had no room for */
	uint64_t history_dropped;   /* history records it had no room for */
	bool history_off;           /* the history is off (given up, or never on) */
	long peak_rss_kb;
	double cpu_s;               /* user + system CPU so far, all threads */
};
void report_stats_json(FILE *f, const struct engine_stats *s,
		       const struct report_run *run);
/* c: the new config (ok), or NULL and errs (every FILE:LINE:COL message). */
void report_reload_json(FILE *f, int64_t wall, const char *path,
			const struct config *c, const struct diag *errs);

/* --once --format nagios: one line in the Nagios plugin guidelines'
 * format, "UPTOP OK - text | perfdata", the word from report_exit_code.
 * One target: its result, 'time'=Ss;WARN;CRIT;0 (max_latency, timeout)
 * and 'size'=NB;;;0. Several: the counts and the first 5 problems, then
 * 'up', 'degraded', 'down', 'pending' and each target's 'NAME time' and
 * 'NAME size'. Names and messages are sanitised: one line, no '|', and
 * labels without ' or =. */
void report_nagios(FILE *f, const struct model *m);

/* Exit code from the states: 0 all up, 1 degraded or confirming (none
 * down), 2 any down. With once, states come from report_once_state. */
int report_exit_code(const struct model *m, bool once);

#endif
