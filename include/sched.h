/* sched.h - when each target is due, and how many checks run at once.
 * Pure logic, libc only; the caller passes the (monotonic) time in.
 *
 * A min-heap of (next_due, target) gives the next deadline in O(1) and each
 * due slot in O(log n). Due targets wait in a FIFO ready queue until a slot
 * under the in-flight cap frees up: time waiting there is ours, never the
 * target's (its timeout starts when the check starts). Fixed rate: the next
 * slot is previous slot + interval. A slot that comes while the target's
 * previous check is still queued or running is counted as overdue and
 * skipped (coalesced), never started twice. */
#ifndef UPTOP_SCHED_H
#define UPTOP_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sched;

struct sched_stats {
	size_t in_flight;
	size_t queued;
	size_t queued_peak;
	uint64_t overdue;      /* slots skipped because the target was busy or late */
	uint64_t started;
};

struct sched *sched_new(size_t ntargets, size_t cap);
void sched_free(struct sched *s);
void sched_set_cap(struct sched *s, size_t cap);

/* Schedules target id every interval_ms from first_due_ms on. */
void sched_add(struct sched *s, uint32_t id, int64_t first_due_ms,
	       int64_t interval_ms);

/* The first slot of a target: now + a deterministic spread over up to
 * `spread_pct` percent of the interval (0: now). */
int64_t sched_first_due(uint32_t id, int64_t now_ms, int64_t interval_ms,
			unsigned spread_pct);

/* Earliest due slot in the heap; INT64_MAX when none or paused. */
int64_t sched_next_due(const struct sched *s);

/* Moves every target whose slot is <= now to the ready queue (or counts an
 * overdue slot if it is busy). Returns how many were queued. Costs
 * O(k log n) for k due slots. */
size_t sched_tick(struct sched *s, int64_t now_ms);

/* Pops the next ready target if in_flight < cap; marks it running. */
bool sched_pop_ready(struct sched *s, uint32_t *id);
bool sched_has_ready(const struct sched *s);

/* The check of `id` finished (whatever its result). */
void sched_done(struct sched *s, uint32_t id);

/* A check of id is queued (waiting for a slot under the cap) or running.
 * O(1), read-only: the UI asks it for the rows it shows. */
bool sched_busy(const struct sched *s, uint32_t id);

/* Queues an extra check of id now (a recheck key) unless it is busy.
 * The fixed-rate grid is unchanged. Returns false if busy. */
bool sched_now(struct sched *s, uint32_t id);

/* A failing target (confirming or down) may be checked on its own period
 * (interval_down, as Uptime Kuma's retry interval): sched_retry puts id
 * on that period, its next slot `every_ms` after `from_ms` (the start of
 * its last check), and skips the grid's slots meanwhile without counting
 * them overdue. sched_grid puts it back on its fixed-rate grid, at the
 * grid's first slot after now (no-op when it is on the grid). Both
 * O(log n). */
void sched_retry(struct sched *s, uint32_t id, int64_t every_ms,
		 int64_t from_ms);
void sched_grid(struct sched *s, uint32_t id, int64_t now_ms);

/* While paused no slot is collected; resume moves every slot that passed
 * to the next one after now without counting it overdue. Pausing also
 * drops the targets already queued (back to idle, not overdue) so nothing
 * new starts; running checks finish, and sched_now still queues a
 * recheck while paused. */
void sched_pause(struct sched *s, int64_t now_ms);
void sched_resume(struct sched *s, int64_t now_ms);
bool sched_paused(const struct sched *s);

const struct sched_stats *sched_stats(const struct sched *s);

#endif
