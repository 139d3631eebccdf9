/* maint.h - maintenance windows on the wall clock: which are open now,
 * until when, and when the next one opens or closes.
 *
 * A window is "from HH:MM, for D, on these weekdays, in zone Z" (struct
 * maint_window, config.h). Local times become instants once, when a plan
 * is built (at start and on a reload): for each distinct (zone, start)
 * the instant of that start on every day from a week ago to
 * MAINT_HORIZON_DAYS ahead, with timegm for UTC, localtime for "Local",
 * and mktime under TZ=zone for a named zone (the only place uptop
 * switches TZ; the zone's file is read then, like the config file).
 * Asking afterwards is a binary search and a few additions: no time
 * library, no disk. A plan past its horizon less a week says so
 * (maint_plan_stale) and is rebuilt: about once a year for a process
 * that runs that long.
 *
 * Daylight saving time follows mktime: a start that does not exist on
 * the day the clocks go forward (02:30) is the instant after the gap; one
 * that exists twice is the first. Libc and the config vocabulary only. */
#ifndef UPTOP_MAINT_H
#define UPTOP_MAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct maint_window;
struct maint_plan;

#define MAINT_HORIZON_DAYS 400
#define MAINT_GLOBAL UINT32_MAX   /* the owner of a top-level window */

/* A window that opened or closed (maint_plan_step). */
struct maint_change {
	uint32_t owner;                  /* a target's index, or MAINT_GLOBAL */
	const struct maint_window *w;
	bool open;
	int64_t until_wall;              /* open: when it closes */
};

/* Every window of cfg: the top-level ones and each target's. None is
 * open until the first step. O(windows + distinct (zone, start) *
 * MAINT_HORIZON_DAYS) time; memory O(the same) plus 4 bytes a target
 * when any target has windows of its own. */
struct maint_plan *maint_plan_new(const struct config *cfg, int64_t now_wall);
void maint_plan_free(struct maint_plan *p);
/* No windows at all: nothing to step. */
bool maint_plan_empty(const struct maint_plan *p);
/* Its horizon ends within a week of now_wall: build a new one. */
bool maint_plan_stale(const struct maint_plan *p, int64_t now_wall);

/* Evaluates every window at now_wall; for each one that opened or closed
 * since the last step, calls change (may be NULL). Returns the next wall
 * instant at which some window opens or closes (INT64_MAX: none within
 * the horizon). O(windows * log horizon). */
int64_t maint_plan_step(struct maint_plan *p, int64_t now_wall,
			void (*change)(void *arg, const struct maint_change *c),
			void *arg);

/* Closes every open window (a reload replaces the plan): change is called
 * for each, as by a step. */
void maint_plan_close_all(struct maint_plan *p,
			  void (*change)(void *arg, const struct maint_change *c),
			  void *arg);

/* After a step: the latest close of the windows open for target id (its
 * own and the top-level ones), 0 when none is. O(its windows + the
 * top-level ones). */
int64_t maint_plan_until(const struct maint_plan *p, uint32_t id);

/* "23:00 for 1h on Monday, Thursday (Europe/Berlin)". */
void maint_window_text(const struct maint_window *w, char *buf, size_t len);

#endif
