/* engine.h - runs the checks: scheduler -> resolver -> probe -> verdict
 * -> model, all on the loop. Shared by --once, --headless and the TUI.
 *
 * (DESIGN.md lists this wiring under main; it lives in its own module so
 * the three front ends share one path from "due" to "recorded".) */
#ifndef UPTOP_ENGINE_H
#define UPTOP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "target.h"

struct loop;
struct config;
struct engine;
struct sched_stats;

struct engine_opts {
	bool once;                 /* every target checked once, all at once */
	const char *dns_servers;   /* NULL: /etc/resolv.conf */
	size_t max_concurrency;    /* 0: from config, else auto */
	unsigned start_per_turn;   /* 0: default (bounds one loop turn) */
};

struct engine_stats {
	uint64_t checks;           /* completed since start */
	double checks_per_sec;     /* over the last few seconds */
	size_t in_flight, queued, queued_peak, cap;
	uint64_t overdue;
	double lag_p50_ms, lag_p99_ms, lag_max_ms;   /* since start */
	double lag_p99_recent_ms;                    /* last minute */
	double longest_turn_ms;
};

/* Called for every state change (after the model recorded it). */
typedef void (*engine_event_cb)(void *arg, const struct event *ev);
/* Called for every finished check (after the model recorded it). */
typedef void (*engine_result_cb)(void *arg, uint32_t id,
				 const struct result *r);

struct engine *engine_new(struct loop *l, const struct config *cfg,
			  const struct engine_opts *o, struct diag *errs);
void engine_free(struct engine *e);
void engine_on_event(struct engine *e, engine_event_cb cb, void *arg);
void engine_on_result(struct engine *e, engine_result_cb cb, void *arg);

const struct model *engine_model(const struct engine *e);
const struct sched_stats *engine_sched_stats(const struct engine *e);
void engine_stats(const struct engine *e, struct engine_stats *out);

/* --once: every target has one result. */
bool engine_all_checked(const struct engine *e);

void engine_recheck(struct engine *e, uint32_t id);
void engine_recheck_all(struct engine *e);
void engine_set_paused(struct engine *e, bool paused);
bool engine_paused(const struct engine *e);

/* Switches to a new config (the caller keeps ownership of both and frees
 * the old one after). In-flight checks are aborted; targets whose name is
 * unchanged keep their state and history. */
void engine_reload(struct engine *e, const struct config *cfg);

/* The in-flight cap derived from RLIMIT_NOFILE (after raising the soft
 * limit to the hard one at start); `once` keeps no idle connections. */
size_t engine_auto_cap(bool once);

#endif
