/* sched.c - fixed-rate slots in a 4-ary min-heap, a FIFO ready ring and
 * an in-flight cap. Pure logic: the caller passes the monotonic time.
 *
 * Every added target sits in the heap exactly once, keyed by its next
 * slot on the grid first_due + k * interval, whether it is idle, queued or
 * running: the grid never drifts with check duration. A target's run
 * state (idle -> queued -> running -> idle) decides what a due slot does:
 * an idle target joins the ready ring, a busy one counts the slot overdue.
 * So a target is never in the ring twice and never runs twice at once. */
#include "sched.h"

#include <stdlib.h>

#include "util.h"

#define NOT_IN_HEAP UINT32_MAX
/* Intervals are clamped so due + interval never overflows; --once uses
 * INT64_MAX / 4 as "never again". */
#define MAX_INTERVAL (INT64_MAX / 4)

enum run { RUN_IDLE = 0, RUN_QUEUED, RUN_RUNNING };

struct slot {
	int64_t due;        /* next slot: on the grid, or the retry period's */
	int64_t interval;
	int64_t retry;      /* 0: on the grid; else the period while failing */
	int64_t grid;       /* while retrying: a grid slot to resume from */
	uint8_t run;        /* enum run */
};

/* A heap entry carries its slot's due time: comparisons read the heap
 * alone, not 10,000 targets' slots scattered in memory. 4-ary: half the
 * levels of a binary heap, and a node's children are 64 contiguous
 * bytes. Each pop sinks the root to the bottom (its next slot is the
 * latest), so the levels are what a check pays for. */
struct hent {
	int64_t due;        /* == t[id].due while it is in the heap */
	uint32_t id;
};

struct sched {
	struct slot *t;
	size_t n;
	struct hent *heap;  /* min (due, id) at heap[0] */
	size_t hn;
	/* By id: its index in heap, NOT_IN_HEAP before sched_add. Apart
	 * from the slots: a pop's sink moves one entry a level, and each
	 * move writes its target's place; here that is 4 bytes in 40 KB (at
	 * 10,000 targets) that stay cached, not a line of a 400 KB array. */
	uint32_t *pos;
	uint32_t *ring;     /* ready FIFO, capacity n: one place per target */
	size_t rhead, rn;
	size_t cap;
	bool paused;
	struct sched_stats st;
};

struct sched *sched_new(size_t ntargets, size_t cap)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	if (ntargets >= NOT_IN_HEAP)
		fatal("too many targets for the scheduler (%zu)", ntargets);
	s->n = ntargets;
	s->t = xcalloc(ntargets, sizeof(*s->t));
	s->heap = xcalloc(ntargets, sizeof(*s->heap));
	s->ring = xcalloc(ntargets, sizeof(*s->ring));
	s->pos = xcalloc(ntargets, sizeof(*s->pos));
	for (size_t i = 0; i < ntargets; i++)
		s->pos[i] = NOT_IN_HEAP;
	sched_set_cap(s, cap);
	return s;
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	free(s->t);
	free(s->heap);
	free(s->ring);
	free(s->pos);
	free(s);
}

/* A cap of 0 would never start anything: it means 1. */
void sched_set_cap(struct sched *s, size_t cap)
{
	s->cap = cap ? cap : 1;
}

/* --- the heap -------------------------------------------------------- */

#define ARITY 4

/* Ties break on id so equal slots come out in a deterministic order. */
static bool heap_less(const struct hent *a, const struct hent *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	return a->id < b->id;
}

static void heap_set(struct sched *s, size_t i, struct hent h)
{
	s->heap[i] = h;
	s->pos[h.id] = (uint32_t)i;
}

/* O(log n). */
static void heap_up(struct sched *s, size_t i)
{
	struct hent h = s->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / ARITY;

		if (!heap_less(&h, &s->heap[parent]))
			break;
		heap_set(s, i, s->heap[parent]);
		i = parent;
	}
	heap_set(s, i, h);
}

/* O(log n). */
static void heap_down(struct sched *s, size_t i)
{
	struct hent h = s->heap[i];

	for (;;) {
		size_t first = ARITY * i + 1, end = first + ARITY, c = first;

		if (first >= s->hn)
			break;
		if (end > s->hn)
			end = s->hn;
		for (size_t k = first + 1; k < end; k++)
			if (heap_less(&s->heap[k], &s->heap[c]))
				c = k;
		if (!heap_less(&s->heap[c], &h))
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, h);
}

/* --- the ready ring ---------------------------------------------------- */

static void ring_push(struct sched *s, uint32_t id)
{
	s->ring[(s->rhead + s->rn) % s->n] = id;
	s->rn++;
	s->t[id].run = RUN_QUEUED;
	s->st.queued = s->rn;
	if (s->rn > s->st.queued_peak)
		s->st.queued_peak = s->rn;
}

static uint32_t ring_pop(struct sched *s)
{
	uint32_t id = s->ring[s->rhead];

	s->rhead = (s->rhead + 1) % s->n;
	s->rn--;
	s->st.queued = s->rn;
	return id;
}

/* --- slots ------------------------------------------------------------- */

static int64_t clamp_interval(int64_t interval_ms)
{
	if (interval_ms < 1)
		return 1;
	return interval_ms > MAX_INTERVAL ? MAX_INTERVAL : interval_ms;
}

/* Number of slots of `period` in [*due, now] (>= 1 when *due <= now), and
 * moves *due to the first one after now. Saturates instead of
 * overflowing. */
static uint64_t advance(int64_t *due, int64_t period, int64_t now_ms)
{
	uint64_t k = (uint64_t)(now_ms - *due) / (uint64_t)period + 1;

	if (k > (uint64_t)(INT64_MAX - *due) / (uint64_t)period)
		*due = INT64_MAX;
	else
		*due += (int64_t)k * period;
	return k;
}

/* The same for a target's next slot, on the period it is on. */
static uint64_t slot_advance(struct slot *t, int64_t now_ms)
{
	return advance(&t->due, t->retry ? t->retry : t->interval, now_ms);
}

/* After t->due changed: its entry takes the new key, then moves up or
 * down. O(log n). */
static void reseat(struct sched *s, struct slot *t)
{
	uint32_t id = (uint32_t)(t - s->t);

	s->heap[s->pos[id]].due = t->due;
	heap_up(s, s->pos[id]);
	heap_down(s, s->pos[id]);
}

/* Adding a target twice re-seats its slot: O(log n). */
void sched_add(struct sched *s, uint32_t id, int64_t first_due_ms,
	       int64_t interval_ms)
{
	struct slot *t;

	if (id >= s->n)
		fatal("sched_add: target %u out of range (%zu)", id, s->n);
	t = &s->t[id];
	t->interval = clamp_interval(interval_ms);
	t->due = t->grid = first_due_ms;
	t->retry = 0;
	if (s->pos[id] == NOT_IN_HEAP) {
		heap_set(s, s->hn++, (struct hent){ .due = t->due, .id = id });
		heap_up(s, s->pos[id]);
	} else {
		reseat(s, t);
	}
}

/* splitmix64: a cheap, well-mixed hash so neighbouring ids spread out. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The offset lies in [0, interval * pct / 100), the same for an id on
 * every run, so a restart does not reshuffle the first round. */
int64_t sched_first_due(uint32_t id, int64_t now_ms, int64_t interval_ms,
			unsigned spread_pct)
{
	int64_t spread;

	if (spread_pct > 100)
		spread_pct = 100;
	interval_ms = clamp_interval(interval_ms);
	/* Split so interval * pct cannot overflow for a huge interval. */
	spread = interval_ms / 100 * spread_pct +
		 interval_ms % 100 * spread_pct / 100;
	if (spread <= 0)
		return now_ms;
	return now_ms + (int64_t)(mix64(id) % (uint64_t)spread);
}

/* The earliest slot, if it is due. A saturated slot (INT64_MAX) is never
 * due, so a clock at INT64_MAX cannot spin the tick loop. */
static bool top_due(const struct sched *s, int64_t now_ms)
{
	int64_t due;

	if (!s->hn)
		return false;
	due = s->heap[0].due;
	return due <= now_ms && due != INT64_MAX;
}

int64_t sched_next_due(const struct sched *s)
{
	if (s->paused || !s->hn)
		return INT64_MAX;
	return s->heap[0].due;
}

/* O(k log n) for k due slots: each due target is handled once however
 * many of its slots passed (a stall of 30 intervals is one check and 29
 * overdue slots, not 30 checks). */
size_t sched_tick(struct sched *s, int64_t now_ms)
{
	size_t queued = 0;

	if (s->paused)
		return 0;
	while (top_due(s, now_ms)) {
		uint32_t id = s->heap[0].id;
		struct slot *t = &s->t[id];
		uint64_t k = slot_advance(t, now_ms);

		if (t->run == RUN_IDLE) {
			ring_push(s, id);
			queued++;
			k--;
		}
		s->st.overdue += k;
		reseat(s, t);
	}
	return queued;
}

bool sched_has_ready(const struct sched *s)
{
	return s->rn > 0;
}

/* O(1). */
bool sched_pop_ready(struct sched *s, uint32_t *id)
{
	if (!s->rn || s->st.in_flight >= s->cap)
		return false;
	*id = ring_pop(s);
	s->t[*id].run = RUN_RUNNING;
	s->st.in_flight++;
	s->st.started++;
	return true;
}

/* A done for a target that is not running (a duplicate, or a check
 * started before a reload) is ignored rather than corrupting the count. */
void sched_done(struct sched *s, uint32_t id)
{
	if (id >= s->n || s->t[id].run != RUN_RUNNING)
		return;
	s->t[id].run = RUN_IDLE;
	s->st.in_flight--;
}

bool sched_busy(const struct sched *s, uint32_t id)
{
	return id < s->n && s->t[id].run != RUN_IDLE;
}

/* O(1). Works while paused: pausing stops the grid, not the user. */
bool sched_now(struct sched *s, uint32_t id)
{
	if (id >= s->n || s->t[id].run != RUN_IDLE)
		return false;
	ring_push(s, id);
	return true;
}

void sched_retry(struct sched *s, uint32_t id, int64_t every_ms,
		 int64_t from_ms)
{
	struct slot *t;

	if (id >= s->n || s->pos[id] == NOT_IN_HEAP)
		return;
	t = &s->t[id];
	if (!t->retry)
		t->grid = t->due;   /* the grid's next slot, to resume from */
	t->retry = clamp_interval(every_ms);
	t->due = from_ms > INT64_MAX - t->retry ? INT64_MAX : from_ms + t->retry;
	reseat(s, t);
}

/* The grid's slots that passed while retrying were covered by the
 * retries: skipped, not overdue. */
void sched_grid(struct sched *s, uint32_t id, int64_t now_ms)
{
	struct slot *t;

	if (id >= s->n || !s->t[id].retry || s->pos[id] == NOT_IN_HEAP)
		return;
	t = &s->t[id];
	t->retry = 0;
	t->due = t->grid;
	if (t->due <= now_ms)
		advance(&t->due, t->interval, now_ms);
	reseat(s, t);
}

/* O(q) for q queued targets: the queued slots are dropped (back to idle,
 * not overdue) so nothing new starts while paused; running checks finish
 * normally. */
void sched_pause(struct sched *s, int64_t now_ms)
{
	(void)now_ms;
	if (s->paused)
		return;
	s->paused = true;
	while (s->rn)
		s->t[ring_pop(s)].run = RUN_IDLE;
}

/* O(k log n) for the k targets whose slot passed during the pause: they
 * move to their first slot after now, so resuming does not start a burst
 * of every target at once. */
void sched_resume(struct sched *s, int64_t now_ms)
{
	if (!s->paused)
		return;
	s->paused = false;
	while (top_due(s, now_ms)) {
		struct slot *t = &s->t[s->heap[0].id];

		slot_advance(t, now_ms);
		reseat(s, t);
	}
}

bool sched_paused(const struct sched *s)
{
	return s->paused;
}

const struct sched_stats *sched_stats(const struct sched *s)
{
	return &s->st;
}
