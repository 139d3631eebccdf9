/* test_sched.c - the scheduler on a fake clock: fixed rate, no overlap,
 * overdue counting, coalescing after a stall, jitter, the cap, FIFO
 * order, rechecks, pause/resume, --once, and the cost at 10,000 targets. */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "sched.h"
#include "tap.h"

#define ONCE (INT64_MAX / 4)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pops one ready target; UINT32_MAX when none. */
static uint32_t pop(struct sched *s)
{
	uint32_t id;

	return sched_pop_ready(s, &id) ? id : UINT32_MAX;
}

static void test_first_due(void)
{
	bool inside = true, same = true;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	unsigned used[10] = { 0 }, filled = 0;

	for (uint32_t id = 0; id < 10000; id++) {
		int64_t d = sched_first_due(id, 5000, 30000, 10);

		if (d < 5000 || d >= 5000 + 3000)
			inside = false;
		if (d != sched_first_due(id, 5000, 30000, 10))
			same = false;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
		used[(d - 5000) / 300 % 10]++;
	}
	for (int i = 0; i < 10; i++)
		filled += used[i] > 800;
	OK(inside, "first slot within now + 10%% of the interval");
	OK(same, "first slot is deterministic per id");
	OK(lo < 5000 + 100 && hi > 5000 + 2900, "spread covers the 10%% window");
	IS_INT(filled, 10, "spread is even (each tenth holds > 8%%)");
	IS_INT(sched_first_due(7, 5000, 30000, 0), 5000, "0%%: now");
	IS_INT(sched_first_due(7, 5000, 5, 10), 5000,
	       "interval too short to spread: now");
	OK(sched_first_due(7, 5000, 1000, 100) < 6000, "100%%: under one interval");
	{
		int64_t d = sched_first_due(12345, 1000, ONCE, 10);

		OK(d >= 1000 && d < 1000 + ONCE / 10,
		   "huge interval: no overflow, within 10%%");
	}
	OK(sched_first_due(3, 0, INT64_MAX, 100) >= 0,
	   "INT64_MAX interval: no overflow");
}

static void test_fixed_rate(void)
{
	struct sched *s = sched_new(1, 10);

	sched_add(s, 0, 0, 1000);
	IS_INT(sched_next_due(s), 0, "first slot");
	IS_INT(sched_tick(s, 0), 1, "tick at the slot queues it");
	IS_INT(pop(s), 0, "pop target 0");
	IS_INT(sched_next_due(s), 1000, "next = slot + interval");
	sched_done(s, 0);   /* finished at 350 ms */
	IS_INT(sched_next_due(s), 1000, "completion time does not move the grid");
	IS_INT(sched_tick(s, 999), 0, "not due at 999");
	IS_INT(sched_tick(s, 1003), 1, "due at 1003 (3 ms late)");
	IS_INT(sched_next_due(s), 2000, "lateness does not drift the grid");
	pop(s);
	sched_done(s, 0);
	for (int64_t t = 2000; t <= 10000; t += 1000) {
		sched_tick(s, t + 7);
		pop(s);
		sched_done(s, 0);
	}
	IS_INT(sched_next_due(s), 11000, "ten rounds later still on the grid");
	IS_INT(sched_stats(s)->started, 11, "started counts every check");
	IS_INT(sched_stats(s)->overdue, 0, "nothing overdue");
	IS_INT(sched_stats(s)->in_flight, 0, "nothing in flight");
	sched_free(s);
}

static void test_no_overlap(void)
{
	struct sched *s = sched_new(2, 1);
	const struct sched_stats *st = sched_stats(s);

	sched_add(s, 0, 0, 1000);
	sched_tick(s, 0);
	IS_INT(pop(s), 0, "check of 0 starts");
	IS_INT(sched_tick(s, 1000), 0, "slot while running: not queued");
	IS_INT(st->overdue, 1, "counted overdue");
	IS_INT(sched_tick(s, 2000), 0, "second slot while running");
	IS_INT(st->overdue, 2, "overdue 2");
	OK(!sched_has_ready(s), "never queued twice");
	IS_INT(pop(s), UINT32_MAX, "nothing to pop");
	sched_done(s, 0);
	IS_INT(sched_tick(s, 2500), 0, "done: no catch-up check");
	IS_INT(sched_next_due(s), 3000, "next slot on the grid");
	IS_INT(sched_tick(s, 3000), 1, "next slot runs");
	IS_INT(st->started, 1, "one started so far");
	sched_free(s);

	/* Queued but not started (cap reached) is busy too. */
	s = sched_new(2, 1);
	st = sched_stats(s);
	sched_add(s, 0, 0, 1000);
	sched_add(s, 1, 0, 1000);
	IS_INT(sched_tick(s, 0), 2, "both queued");
	IS_INT(pop(s), 0, "0 runs");
	IS_INT(pop(s), UINT32_MAX, "cap 1: 1 waits");
	IS_INT(sched_tick(s, 1000), 0, "slots of a running and a queued target");
	IS_INT(st->overdue, 2, "both overdue");
	IS_INT(st->queued, 1, "1 is queued once, not twice");
	sched_done(s, 0);
	IS_INT(pop(s), 1, "1 runs when 0 is done");
	IS_INT(pop(s), UINT32_MAX, "and nothing else");
	sched_done(s, 0);
	IS_INT(st->in_flight, 1, "a stray done is ignored");
	sched_free(s);
}

static void test_coalesce(void)
{
	struct sched *s = sched_new(1, 4);
	const struct sched_stats *st = sched_stats(s);

	sched_add(s, 0, 0, 1000);
	sched_tick(s, 0);
	pop(s);
	sched_done(s, 0);
	/* SIGSTOP for 30.5 s: slots 1000 .. 30000 (30 of them) passed. */
	IS_INT(sched_tick(s, 30500), 1, "after a stall: one check");
	IS_INT(st->overdue, 29, "the other 29 slots counted overdue");
	IS_INT(sched_next_due(s), 31000, "next slot: first after now on the grid");
	IS_INT(pop(s), 0, "it runs");
	IS_INT(pop(s), UINT32_MAX, "only once");
	sched_done(s, 0);
	IS_INT(sched_tick(s, 31000), 1, "back to normal");
	IS_INT(st->overdue, 29, "no more overdue");
	pop(s);
	sched_done(s, 0);
	/* Stall landing exactly on a slot: that slot is the one that runs. */
	IS_INT(sched_tick(s, 35000), 1, "stall to exactly 35000");
	IS_INT(st->overdue, 29 + 3, "32000..34000 overdue");
	IS_INT(sched_next_due(s), 36000, "next after 35000");
	sched_free(s);
}

/* interval_down: a failing target on its own period, then back on its
 * grid. Interval 10 s, interval_down 2 s. */
static void test_retry(void)
{
	struct sched *s = sched_new(2, 4);
	const struct sched_stats *st = sched_stats(s);

	sched_add(s, 0, 0, 10000);
	sched_add(s, 1, 500, 10000);
	sched_tick(s, 0);
	IS_INT(pop(s), 0, "0 runs at 0");
	sched_done(s, 0);              /* it failed */
	sched_retry(s, 0, 2000, 0);
	IS_INT(sched_next_due(s), 500, "1's grid slot first");
	sched_tick(s, 500);
	pop(s);
	sched_done(s, 1);
	IS_INT(sched_next_due(s), 2000, "0 retries 2 s after its start");
	IS_INT(sched_tick(s, 2000), 1, "the retry is queued");
	IS_INT(pop(s), 0, "and runs");
	IS_INT(sched_next_due(s), 4000, "a retry that is not renewed keeps the period");
	sched_done(s, 0);
	sched_retry(s, 0, 2000, 2010);   /* still failing; it started at 2010 */
	IS_INT(sched_next_due(s), 4010, "renewed from the last start");
	for (int64_t t = 4010; t <= 10010; t += 2000) {
		sched_tick(s, t);
		pop(s);
		sched_done(s, 0);
		sched_retry(s, 0, 2000, t);
	}
	IS_INT(st->overdue, 0, "grid slot 10000 passed while retrying: not overdue");
	IS_INT(st->started, 1 + 1 + 1 + 4, "4 retries between 4 s and 10 s");
	sched_grid(s, 0, 10050);         /* it answered at 10050 */
	IS_INT(sched_tick(s, 11999), 1, "only 1's grid slot (10500) once 0 is back");
	IS_INT(pop(s), 1, "that is 1");
	sched_done(s, 1);
	IS_INT(sched_tick(s, 19999), 0, "no retry of 0 once back");
	IS_INT(sched_stats(s)->queued, 0, "0 waits for its grid");
	IS_INT(sched_tick(s, 20000), 1, "the grid resumes at 20000");
	IS_INT(pop(s), 0, "0 on its grid");
	sched_done(s, 0);
	IS_INT(st->overdue, 0, "and nothing was overdue");
	sched_grid(s, 0, 20100);
	IS_INT(sched_next_due(s), 20500, "sched_grid on the grid: no-op (1 at 20500)");

	/* A retry period longer than the interval (backing off) works too. */
	sched_retry(s, 1, 60000, 20500);
	sched_tick(s, 20500);
	IS_INT(pop(s), UINT32_MAX, "1 backs off: not at its grid slot");
	IS_INT(sched_next_due(s), 30000, "0's grid is next");
	sched_free(s);
}

static void test_jitter_grid(void)
{
	struct sched *s = sched_new(100, 1000);
	bool grid = true;

	for (uint32_t id = 0; id < 100; id++)
		sched_add(s, id, sched_first_due(id, 0, 1000, 10), 1000);
	for (int64_t t = 0; t < 10000; t++) {
		uint32_t id;

		sched_tick(s, t);
		while (sched_pop_ready(s, &id)) {
			int64_t first = sched_first_due(id, 0, 1000, 10);

			if ((t - first) % 1000 != 0)
				grid = false;
			sched_done(s, id);
		}
	}
	OK(grid, "each target runs exactly on first + k * interval");
	IS_INT(sched_stats(s)->started, 1000, "100 targets x 10 rounds");
	sched_free(s);
}

static void test_cap_fifo(void)
{
	struct sched *s = sched_new(10, 3);
	const struct sched_stats *st = sched_stats(s);

	for (uint32_t id = 0; id < 10; id++)
		sched_add(s, id, 0, 1000);
	IS_INT(sched_tick(s, 0), 10, "ten due");
	IS_INT(pop(s), 0, "fifo 0");
	IS_INT(pop(s), 1, "fifo 1");
	IS_INT(pop(s), 2, "fifo 2");
	IS_INT(pop(s), UINT32_MAX, "cap 3 reached");
	OK(sched_has_ready(s), "still has ready work");
	IS_INT(st->in_flight, 3, "in flight 3");
	IS_INT(st->queued, 7, "queued 7");
	IS_INT(st->queued_peak, 10, "peak 10");
	sched_done(s, 1);
	IS_INT(pop(s), 3, "a free slot takes the oldest queued");
	sched_set_cap(s, 5);
	IS_INT(pop(s), 4, "a raised cap admits more: 4");
	IS_INT(pop(s), 5, "and 5");
	IS_INT(pop(s), UINT32_MAX, "cap 5 reached");
	IS_INT(st->started, 6, "started 6");
	sched_free(s);

	/* Order is by slot, ties by id, and earlier ticks stay ahead. */
	s = sched_new(10, 1);
	sched_add(s, 5, 10, 1000);
	sched_add(s, 2, 20, 1000);
	sched_add(s, 7, 5, 1000);
	sched_add(s, 3, 20, 1000);
	sched_add(s, 9, 40, 1000);
	sched_add(s, 0, 50, 1000);
	IS_INT(sched_tick(s, 30), 4, "four due by 30");
	IS_INT(pop(s), 7, "slot 5 first");
	sched_tick(s, 50);
	sched_done(s, 7);
	IS_INT(pop(s), 5, "then slot 10");
	sched_done(s, 5);
	IS_INT(pop(s), 2, "slot 20, lower id first");
	sched_done(s, 2);
	IS_INT(pop(s), 3, "slot 20, then id 3");
	sched_done(s, 3);
	IS_INT(pop(s), 9, "later tick: slot 40");
	sched_done(s, 9);
	IS_INT(pop(s), 0, "slot 50");
	sched_free(s);
}

static void test_now(void)
{
	struct sched *s = sched_new(2, 4);
	const struct sched_stats *st = sched_stats(s);

	sched_add(s, 0, 1000, 1000);
	OK(!sched_busy(s, 0), "busy: not before the recheck");
	OK(sched_now(s, 0), "recheck of an idle target queues it");
	OK(sched_busy(s, 0) && !sched_busy(s, 1), "busy: queued (that one only)");
	OK(!sched_now(s, 0), "not twice while queued");
	IS_INT(sched_next_due(s), 1000, "the grid is unchanged");
	IS_INT(pop(s), 0, "recheck runs");
	OK(sched_busy(s, 0), "busy: running");
	OK(!sched_now(s, 0), "not while running");
	IS_INT(sched_tick(s, 1000), 0, "slot during the recheck");
	IS_INT(st->overdue, 1, "counted overdue");
	sched_done(s, 0);
	OK(!sched_busy(s, 0) && !sched_busy(s, 7), "busy: not once done, nor an "
	   "unknown id");
	OK(sched_now(s, 0), "again once done");
	OK(!sched_now(s, 2), "unknown id refused");
	OK(sched_now(s, 1), "a target without a slot can be rechecked");
	IS_INT(pop(s), 0, "fifo: 0");
	IS_INT(pop(s), 1, "fifo: 1");
	sched_free(s);
}

static void test_pause(void)
{
	struct sched *s = sched_new(3, 1);
	const struct sched_stats *st = sched_stats(s);

	sched_add(s, 0, 1000, 1000);
	sched_add(s, 1, 1000, 1000);
	sched_add(s, 2, 5000, 1000);
	sched_tick(s, 1000);
	IS_INT(pop(s), 0, "0 running");
	IS_INT(st->queued, 1, "1 queued");
	sched_pause(s, 1500);
	OK(sched_paused(s), "paused");
	OK(!sched_has_ready(s), "pause drops the queued slot");
	IS_INT(st->queued, 0, "queue empty");
	IS_INT(sched_next_due(s), INT64_MAX, "no deadline while paused");
	IS_INT(sched_tick(s, 4000), 0, "nothing collected while paused");
	IS_INT(st->overdue, 0, "and nothing overdue");
	sched_done(s, 0);
	IS_INT(st->in_flight, 0, "a running check finishes while paused");
	OK(sched_now(s, 1), "a recheck works while paused");
	IS_INT(pop(s), 1, "and runs");
	sched_done(s, 1);
	sched_resume(s, 3500);
	OK(!sched_paused(s), "resumed");
	IS_INT(sched_next_due(s), 4000, "passed slots move after now (3500)");
	IS_INT(st->overdue, 0, "resume counts nothing overdue");
	IS_INT(sched_tick(s, 3999), 0, "no burst at resume");
	IS_INT(sched_tick(s, 4000), 2, "both at 4000, on the old grid");
	pop(s);
	IS_INT(sched_tick(s, 5000), 1, "target 2's later slot untouched");
	sched_resume(s, 9999);
	IS_INT(sched_next_due(s), 6000, "resume when not paused is a no-op");
	sched_free(s);
}

static void test_once(void)
{
	struct sched *s = sched_new(2, 4);

	sched_add(s, 0, 100, ONCE);
	sched_add(s, 1, 100, INT64_MAX);   /* clamped, not overflowing */
	IS_INT(sched_tick(s, 100), 2, "--once: both run");
	IS_INT(sched_next_due(s), 100 + ONCE, "next slot far away");
	pop(s);
	pop(s);
	sched_done(s, 0);
	sched_done(s, 1);
	IS_INT(sched_tick(s, 1000000000000LL), 0, "never again");
	IS_INT(sched_stats(s)->overdue, 0, "and nothing overdue");
	sched_pause(s, 5);
	sched_resume(s, 1000000000000LL);
	IS_INT(sched_next_due(s), 100 + ONCE, "resume keeps the far slot");
	sched_free(s);

	s = sched_new(1, 1);
	sched_add(s, 0, 0, 1000);
	sched_tick(s, 0);
	IS_INT(sched_tick(s, INT64_MAX / 2), 0, "a clock jump far ahead");
	OK(sched_next_due(s) > INT64_MAX / 2, "lands after now, no overflow");
	sched_free(s);
}

/* Random slots and intervals: next_due always equals the minimum of a
 * shadow array kept by the documented rule. */
static void test_heap_property(void)
{
	enum { N = 500 };
	struct sched *s = sched_new(N, N);
	int64_t due[N], iv[N];
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	bool agree = true;

	for (uint32_t i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		due[i] = (int64_t)(x % 5000);
		iv[i] = 50 + (int64_t)(x >> 32) % 3000;
		sched_add(s, i, due[i], iv[i]);
	}
	for (int64_t t = 0; t < 60000; t += 37) {
		int64_t min = INT64_MAX;
		uint32_t id;

		sched_tick(s, t);
		while (sched_pop_ready(s, &id))
			sched_done(s, id);
		for (uint32_t i = 0; i < N; i++) {
			while (due[i] <= t)
				due[i] += iv[i];
		}
		/* Now and then a target is re-added with a new slot, earlier or
		 * later than its old one: its entry moves up or down. */
		if (t % 5 == 0) {
			uint32_t i;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			i = (uint32_t)(x % N);
			due[i] = t + 1 + (int64_t)(x >> 40) % 5000;
			iv[i] = 50 + (int64_t)(x >> 20) % 3000;
			sched_add(s, i, due[i], iv[i]);
		}
		for (uint32_t i = 0; i < N; i++)
			min = due[i] < min ? due[i] : min;
		if (sched_next_due(s) != min)
			agree = false;
	}
	OK(agree, "heap minimum matches a brute-force model (re-adds included)");
	sched_free(s);
}

static void test_scale(void)
{
	enum { N = 10000 };
	const int64_t interval = 30000;
	struct sched *s = sched_new(N, 500);
	const struct sched_stats *st = sched_stats(s);
	double t0, t_run, t_idle;
	uint64_t started;

	for (uint32_t id = 0; id < N; id++)
		sched_add(s, id, sched_first_due(id, 0, interval, 10), interval);
	/* Ten minutes at 10 ms per loop turn, every check done in-turn. */
	t0 = now_s();
	for (int64_t t = 0; t < 600000; t += 10) {
		uint32_t id;

		sched_tick(s, t);
		while (sched_pop_ready(s, &id))
			sched_done(s, id);
	}
	t_run = now_s() - t0;
	IS_INT(st->started, (uint64_t)N * 20, "10,000 targets x 20 rounds");
	IS_INT(st->overdue, 0, "none overdue");
	OK(st->queued_peak < 100, "spread keeps each turn small (peak %zu)",
	   st->queued_peak);
	OK(t_run < 2.0, "60,000 turns with 200,000 checks: %.3f s", t_run);

	/* Idle turns must not scan the targets. */
	started = st->started;
	t0 = now_s();
	for (int i = 0; i < 1000000; i++)
		sched_tick(s, 599995 + (i & 1));
	t_idle = now_s() - t0;
	OK(t_idle < 0.5, "1,000,000 idle ticks: %.3f s (O(1) each)", t_idle);
	IS_INT(st->started, started, "no work when nothing is due");
	IS_INT(st->queued, 0, "nothing queued by idle ticks");

	/* Every target due at once: queued under the cap, FIFO, no loss. */
	for (uint32_t id = 0; id < N; id++)
		sched_add(s, id, 700000, interval);
	IS_INT(sched_tick(s, 700000), N, "all 10,000 due at once");
	{
		uint32_t id, expect = 0, popped = 0;
		bool order = true;

		while (sched_pop_ready(s, &id)) {
			order = order && id == expect++;
			popped++;
		}
		IS_INT(popped, 500, "only cap-many start");
		OK(order, "in id order");
	}
	sched_free(s);
}

int main(void)
{
	test_first_due();
	test_fixed_rate();
	test_no_overlap();
	test_coalesce();
	test_retry();
	test_jitter_grid();
	test_cap_fifo();
	test_now();
	test_pause();
	test_once();
	test_heap_property();
	test_scale();
	return tap_done();
}
