/* loop.h - the one poll() loop: fd registry, timers, lag accounting.
 * Knows nothing of curl, curses or yaml.
 *
 * fds live in a dense array (fd -> slot index, swap-remove) so add, modify
 * and remove are O(1). A handler may add or remove fds while the loop
 * dispatches: the loop copies the fired set first and re-checks that an fd
 * is still registered (with the same generation) before calling it.
 * Timers are a handful of owned slots (curl, c-ares, scheduler, redraw,
 * ...), scanned linearly: the per-target deadlines live in sched's heap. */
#ifndef UPTOP_LOOP_H
#define UPTOP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stats.h"

struct loop;

typedef void (*loop_fd_cb)(int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(void *arg);

struct loop_timer {
	int64_t due_ms;        /* absolute CLOCK_MONOTONIC; INT64_MAX: off */
	loop_timer_cb cb;
	void *arg;
	bool registered;
	uint64_t ran_turn;     /* the turn it last ran in (loop.c) */
};

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches fd for `events` (POLLIN/POLLOUT); replaces an earlier watch. */
void loop_fd_set(struct loop *l, int fd, short events, loop_fd_cb cb,
		 void *arg);
void loop_fd_del(struct loop *l, int fd);

/* Timers are caller-owned structs, registered once with loop_timer_add
 * (again: only cb and arg change) and removed with loop_timer_del before
 * the owner frees them, as redis ae.c deletes its time events: the loop
 * never touches a timer after del. Del is O(timers) and safe from inside
 * any callback, the timer's own included; arming or disarming a removed
 * timer only sets its due time. */
void loop_timer_add(struct loop *l, struct loop_timer *t, loop_timer_cb cb,
		    void *arg);
void loop_timer_del(struct loop *l, struct loop_timer *t);
void loop_timer_arm(struct loop_timer *t, int64_t due_ms);
void loop_timer_disarm(struct loop_timer *t);

/* Bounds how many ready fds are served in one turn (the rest next turn). */
void loop_set_max_fds_per_turn(struct loop *l, int n);
/* Bounds the time one turn spends serving fds (the rest go next turn). */
void loop_set_turn_budget_ms(struct loop *l, int ms);
/* Ask the next turn not to sleep (more work is waiting). */
void loop_wake(struct loop *l);
/* True when this turn stopped serving ready fds at its budget: the work
 * in flight already fills a turn, so starting more now would only delay
 * it (and show in its latency). */
bool loop_backlog(const struct loop *l);

/* One turn: poll() until the nearest timer (or at most max_wait_ms; -1 no
 * limit), dispatch ready fds, then due timers. A signal (EINTR) cuts the
 * wait short: the turn still runs due timers and counts its lag, then
 * returns so the caller can read signal flags. Returns 0, or -1 with
 * errno. */
int loop_turn(struct loop *l, int max_wait_ms);

/* Stalls: stretches in which the loop did not run when it should have
 * (SIGSTOP or Ctrl-Z, a starved or suspended VM, or a runaway callback of
 * our own). Every deadline that passed meanwhile was judged by uptop's
 * absence, not by what the network did. The loop checks at every point
 * it controls: when poll() returns LOOP_STALL_MS or more after the time
 * it was asked to return by, before each fd or timer callback that comes
 * LOOP_STALL_MS or more after the previous one started, and between two
 * turns. There it calls the handler at once, before any other callback
 * runs, with the stall's length.
 *
 * 250 ms: a loaded VM's scheduling jitter is tens of ms (our own turns
 * are bounded to ~15 ms of fds and ~10 ms of starts), so a late start of
 * a quarter second is not jitter; and a stall below it can only tip a
 * check that was already within 250 ms of its timeout. */
#define LOOP_STALL_MS 250

typedef void (*loop_stall_cb)(void *arg, int64_t ms);

/* One handler (the engine); NULL removes it. */
void loop_on_stall(struct loop *l, loop_stall_cb cb, void *arg);
/* From inside a callback: has the callback now running been going for
 * LOOP_STALL_MS or more (a stall inside it)? If so the handler is called
 * (once for this stall) and the answer is true. One clock read. */
bool loop_stall_check(struct loop *l);
/* Stalls seen since loop_new. */
uint64_t loop_stall_count(const struct loop *l);

/* Lag: how late each turn started work against its deadline plus how
 * long the turn ran, in ms. */
const struct lagstat *loop_lag(const struct loop *l);
double loop_longest_turn_ms(const struct loop *l);

/* What is still registered: loop_free expects 0 and 0 (an owner that
 * forgot its fd or timer is logged to the debug log). */
size_t loop_fd_count(const struct loop *l);
size_t loop_timer_count(const struct loop *l);

#endif
