/* loop.c - the one poll() loop. See loop.h for the contract. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

/* A turn whose lag (late start + its own run) reaches this is a stall
 * worth a line in the debug log: a SIGSTOP, a swapped-out process, a
 * loaded machine, or our own slow work. */
#define STALL_LOG_MS 100

struct fdent {
	loop_fd_cb cb;
	void *arg;
	uint32_t gen;          /* bumped on every (re)registration */
};

struct fired {
	int fd;
	short revents;
	uint32_t gen;
	size_t slot;           /* where it was when collected */
};

struct loop {
	struct pollfd *pfds;   /* dense: slots 0..n-1 */
	struct fdent *ents;    /* parallel to pfds */
	size_t n, cap;
	int *slot_of;          /* fd -> slot + 1 (0: not watched) */
	size_t slot_of_cap;
	uint32_t gen;
	struct fired *fired;
	size_t fired_cap;
	size_t rr;             /* where the next turn starts serving fds */
	int max_fds_per_turn;
	int64_t budget_us;     /* stop serving fds after this long in a turn */
	bool backlog;          /* this turn left ready fds unserved */
	struct loop_timer **timers;   /* NULL: deleted while dispatching */
	size_t ntimers, timers_cap;
	bool dispatching_timers;
	bool timer_holes;
	uint64_t turns;        /* loop_turn calls so far */
	bool wake;
	struct lagstat lag;
	double longest_ms;
	int64_t mark_us;       /* a stall is measured from here (INT64_MAX: not now) */
	loop_stall_cb on_stall;
	void *stall_arg;
	uint64_t stalls;
};

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->max_fds_per_turn = 1 << 30;
	l->budget_us = INT64_MAX;
	l->mark_us = INT64_MAX;
	lagstat_init(&l->lag);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	/* Not an error for the user, but a bug for us to find: an owner that
	 * kept a timer here would leave the loop a dangling pointer. */
	if (l->n || loop_timer_count(l))
		log_debug("loop: freed with %zu fds and %zu timers still registered",
			  l->n, loop_timer_count(l));
	free(l->pfds);
	free(l->ents);
	free(l->slot_of);
	free(l->fired);
	free(l->timers);
	free(l);
}

static int slot_get(const struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->slot_of_cap)
		return -1;
	return l->slot_of[fd] - 1;
}

void loop_fd_set(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg)
{
	int s = slot_get(l, fd);

	if (fd < 0)
		return;
	if (s < 0) {
		if ((size_t)fd >= l->slot_of_cap) {
			size_t old = l->slot_of_cap;

			l->slot_of = xreallocarray_grow(l->slot_of, &l->slot_of_cap,
							(size_t)fd + 1, sizeof(int));
			memset(l->slot_of + old, 0,
			       (l->slot_of_cap - old) * sizeof(int));
		}
		if (l->n == l->cap) {
			size_t c = l->cap;

			l->pfds = xreallocarray_grow(l->pfds, &c, l->n + 1,
						     sizeof(*l->pfds));
			l->ents = xrealloc(l->ents, c * sizeof(*l->ents));
			l->cap = c;
		}
		s = (int)l->n++;
		l->slot_of[fd] = s + 1;
		l->pfds[s].fd = fd;
	}
	l->pfds[s].events = events;
	l->pfds[s].revents = 0;
	l->ents[s].cb = cb;
	l->ents[s].arg = arg;
	l->ents[s].gen = ++l->gen;
}

/* O(1): the last slot moves into the hole. */
void loop_fd_del(struct loop *l, int fd)
{
	int s = slot_get(l, fd);
	size_t last;

	if (s < 0)
		return;
	last = l->n - 1;
	if ((size_t)s != last) {
		l->pfds[s] = l->pfds[last];
		l->ents[s] = l->ents[last];
		l->slot_of[l->pfds[s].fd] = s + 1;
	}
	l->slot_of[fd] = 0;
	l->n--;
}

void loop_timer_add(struct loop *l, struct loop_timer *t, loop_timer_cb cb,
		    void *arg)
{
	t->cb = cb;
	t->arg = arg;
	if (t->registered)
		return;
	t->due_ms = INT64_MAX;
	t->ran_turn = 0;
	t->registered = true;
	l->timers = xreallocarray_grow(l->timers, &l->timers_cap,
				       l->ntimers + 1, sizeof(*l->timers));
	l->timers[l->ntimers++] = t;
}

/* Squeezes out the holes left by deletes during dispatch, keeping the
 * order (timers fire in the order they were added). */
static void timers_compact(struct loop *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i])
			l->timers[k++] = l->timers[i];
	l->ntimers = k;
	l->timer_holes = false;
}

/* While timers are dispatched the slot becomes a hole (the dispatch
 * index stays valid); otherwise the list closes up at once. */
void loop_timer_del(struct loop *l, struct loop_timer *t)
{
	if (!t->registered)
		return;
	t->registered = false;
	t->due_ms = INT64_MAX;
	for (size_t i = 0; i < l->ntimers; i++) {
		if (l->timers[i] != t)
			continue;
		l->timers[i] = NULL;
		l->timer_holes = true;
		break;
	}
	if (!l->dispatching_timers)
		timers_compact(l);
}

void loop_timer_arm(struct loop_timer *t, int64_t due_ms)
{
	t->due_ms = due_ms;
}

void loop_timer_disarm(struct loop_timer *t)
{
	t->due_ms = INT64_MAX;
}

void loop_set_max_fds_per_turn(struct loop *l, int n)
{
	l->max_fds_per_turn = n > 0 ? n : 1;
}

void loop_set_turn_budget_ms(struct loop *l, int ms)
{
	l->budget_us = ms > 0 ? (int64_t)ms * 1000 : INT64_MAX;
}

void loop_wake(struct loop *l)
{
	l->wake = true;
}

void loop_on_stall(struct loop *l, loop_stall_cb cb, void *arg)
{
	l->on_stall = cb;
	l->stall_arg = arg;
}

uint64_t loop_stall_count(const struct loop *l)
{
	return l->stalls;
}

/* The loop ran again at now_us: a stall if it should have run by mark_us
 * and now is LOOP_STALL_MS or more past it. The mark moves to now either
 * way, so one stall is reported once. */
static bool stall_at(struct loop *l, int64_t now_us)
{
	int64_t gap_us = l->mark_us == INT64_MAX ? 0 : now_us - l->mark_us;

	l->mark_us = now_us;
	if (gap_us < (int64_t)LOOP_STALL_MS * 1000)
		return false;
	l->stalls++;
	log_debug("loop: stall: the loop did not run for %lld ms; every "
		  "deadline in it was ours, not the network's",
		  (long long)(gap_us / 1000));
	if (l->on_stall)
		l->on_stall(l->stall_arg, gap_us / 1000);
	return true;
}

bool loop_stall_check(struct loop *l)
{
	return stall_at(l, mono_us());
}

static int64_t next_deadline(const struct loop *l)
{
	int64_t d = INT64_MAX;

	for (size_t i = 0; i < l->ntimers; i++)
		if (l->timers[i] && l->timers[i]->due_ms < d)
			d = l->timers[i]->due_ms;
	return d;
}

static int poll_timeout(const struct loop *l, int64_t deadline, int64_t now,
			int max_wait_ms)
{
	int64_t t;

	if (l->wake)
		return 0;
	if (deadline == INT64_MAX)
		t = max_wait_ms;
	else
		t = deadline > now ? deadline - now : 0;
	if (max_wait_ms >= 0 && (t < 0 || t > max_wait_ms))
		t = max_wait_ms;
	return t > 1 << 30 ? 1 << 30 : (int)t;
}

/* Copies the fired (fd, revents) pairs first: handlers may add or remove
 * fds (curl does, from inside socket_action), which moves slots. At most
 * max_fds_per_turn are served, starting at a rotating slot so that a busy
 * prefix cannot starve the rest; poll is level-triggered, so what is left
 * fires again next turn. */
static size_t collect_fired(struct loop *l, int nready)
{
	size_t k = 0, lim = (size_t)l->max_fds_per_turn;

	if (nready <= 0 || l->n == 0)
		return 0;
	l->fired = xreallocarray_grow(l->fired, &l->fired_cap, l->n,
				      sizeof(*l->fired));
	for (size_t i = 0; i < l->n && k < lim; i++) {
		size_t s = (l->rr + i) % l->n;

		if (!l->pfds[s].revents)
			continue;
		l->fired[k].fd = l->pfds[s].fd;
		l->fired[k].revents = l->pfds[s].revents;
		l->fired[k].gen = l->ents[s].gen;
		l->fired[k].slot = s;
		k++;
	}
	/* Cut at the limit: the next turn starts after the last one taken. */
	if (k == lim)
		l->rr = (l->fired[k - 1].slot + 1) % l->n;
	else
		l->rr = (l->rr + 1) % l->n;
	if (log_enabled() && (size_t)nready > k)
		log_write("loop: %d fds ready, serving %zu this turn (cap %d)",
			  nready, k, l->max_fds_per_turn);
	return k;
}

/* Serves the fired fds until the turn's time budget is spent: one TLS
 * handshake step costs ~0.3 ms, so 500 of them would hold the keyboard
 * for 150 ms. What is left fires again next turn (poll is level-triggered),
 * starting with the first fd left unserved, so every ready fd waits at
 * most as many turns as it takes to serve the ones before it. */
static void dispatch_fds(struct loop *l, size_t k, int64_t start_us)
{
	for (size_t i = 0; i < k; i++) {
		int s = slot_get(l, l->fired[i].fd);
		int64_t now_us = i ? mono_us() : start_us;

		if (i)
			stall_at(l, now_us);
		if (i && now_us - start_us > l->budget_us) {
			l->wake = true;
			l->backlog = true;
			l->rr = l->n ? l->fired[i].slot % l->n : 0;
			log_debug("loop: turn budget %lld ms spent: served %zu of %zu "
				  "ready fds, the rest go next turn",
				  (long long)(l->budget_us / 1000), i, k);
			break;
		}

		/* Removed, or removed and re-added for another owner. */
		if (s < 0 || l->ents[s].gen != l->fired[i].gen)
			continue;
		l->ents[s].cb(l->fired[i].fd, l->fired[i].revents,
			      l->ents[s].arg);
	}
}

/* Runs the due timers. A callback may add timers (appended: seen this
 * pass if due) or delete any (a hole: skipped), its own included. A timer
 * that another one armed for now (curl asks for an immediate timeout when
 * a check is added) runs in this turn, not after a poll() of its own:
 * passes repeat while one ran, and a timer runs at most once per turn, so
 * one that re-arms itself for now (the tick, with more to start) waits for
 * the next turn like an fd does. */
static void dispatch_timers(struct loop *l, int64_t now)
{
	bool ran = true;

	l->dispatching_timers = true;
	for (int pass = 0; ran; pass++) {
		ran = false;
		if (pass)
			now = mono_us() / 1000;
		for (size_t i = 0; i < l->ntimers; i++) {
			struct loop_timer *t = l->timers[i];

			if (!t || t->due_ms > now || t->ran_turn == l->turns)
				continue;
			stall_at(l, mono_us());
			if (l->timers[i] != t || t->due_ms > now)
				continue;   /* the stall handler removed or moved it */
			t->due_ms = INT64_MAX;
			t->ran_turn = l->turns;
			t->cb(t->arg);
			ran = true;
		}
	}
	l->dispatching_timers = false;
	if (l->timer_holes)
		timers_compact(l);
}

int loop_turn(struct loop *l, int max_wait_ms)
{
	int64_t now_us = mono_us(), now, deadline, woke_us, end_us;
	int timeout, nready;
	double late_ms = 0, turn_ms;
	size_t k;

	l->turns++;
	/* Held between two turns (stopped right after the last one)? */
	stall_at(l, now_us);
	now = now_us / 1000;
	deadline = next_deadline(l);
	timeout = poll_timeout(l, deadline, now, max_wait_ms);
	l->wake = false;
	l->backlog = false;
	/* poll() should be back by then; a wait without a deadline has no
	 * "late". */
	l->mark_us = timeout < 0 ? INT64_MAX : now_us + (int64_t)timeout * 1000;
	nready = poll(l->pfds, (nfds_t)l->n, timeout);
	/* A signal ends the wait early, but the turn goes on: due timers
	 * run, and a stall that ended with a signal (SIGSTOP, then SIGCONT
	 * and SIGUSR1) is still measured from its deadline. */
	if (nready < 0 && errno != EINTR)
		return -1;
	if (nready < 0)
		nready = 0;
	woke_us = mono_us();
	/* First of all: a stall is said before any callback judges a
	 * deadline by it. */
	stall_at(l, woke_us);
	/* Lateness counts from the deadline, or from when we went to sleep
	 * if the deadline had already passed (a timer armed in the past is
	 * not the loop's lag). */
	if (deadline <= woke_us / 1000) {
		int64_t from_us = (deadline > now ? deadline : now) * 1000;

		if (woke_us > from_us)
			late_ms = (double)(woke_us - from_us) / 1000.0;
	}
	k = collect_fired(l, nready);
	dispatch_fds(l, k, woke_us);
	dispatch_timers(l, woke_us / 1000);
	end_us = mono_us();
	stall_at(l, end_us);
	turn_ms = (double)(end_us - woke_us) / 1000.0;
	if (turn_ms > l->longest_ms)
		l->longest_ms = turn_ms;
	if (log_enabled() && late_ms + turn_ms >= STALL_LOG_MS)
		log_write("loop: stall: this turn started %.0f ms late and ran "
			  "%.0f ms (%zu fds fired)", late_ms, turn_ms, k);
	lagstat_add(&l->lag, late_ms + turn_ms, end_us / 1000);
	return 0;
}

const struct lagstat *loop_lag(const struct loop *l)
{
	return &l->lag;
}

double loop_longest_turn_ms(const struct loop *l)
{
	return l->longest_ms;
}

size_t loop_fd_count(const struct loop *l)
{
	return l->n;
}

size_t loop_timer_count(const struct loop *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->ntimers; i++)
		n += l->timers[i] != NULL;
	return n;
}

bool loop_backlog(const struct loop *l)
{
	return l->backlog;
}
