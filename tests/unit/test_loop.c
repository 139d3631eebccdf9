/* test_loop.c - the loop's timers: removal (also from inside a callback,
 * the timer's own included), re-adding, what is left registered, stalls
 * (a slow callback, a gap between turns, a real SIGSTOP in poll), timers
 * armed for now while timers run (the same turn, once each), and the
 * one FNV-1a hash of util. No fds beyond a pipe, no network. */
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "tap.h"
#include "util.h"

struct ttimer {
	struct loop *l;
	struct loop_timer t;
	int fired;
	struct ttimer *victim;   /* deleted and freed when this fires */
	bool del_self;
};

static void on_fire(void *arg)
{
	struct ttimer *p = arg;

	p->fired++;
	if (p->victim) {
		loop_timer_del(p->l, &p->victim->t);
		free(p->victim);
		p->victim = NULL;
	}
	if (p->del_self)
		loop_timer_del(p->l, &p->t);
}

/* Arms `arm` for now when it fires (the tick adding a check, curl asking
 * for an immediate timeout), and itself again when `rearm_self`. */
struct chain {
	struct loop *l;
	struct loop_timer t;
	struct loop_timer *arm;
	bool rearm_self;
	int fired;
};

static void on_chain(void *arg)
{
	struct chain *c = arg;

	c->fired++;
	if (c->arm)
		loop_timer_arm(c->arm, mono_ms());
	if (c->rearm_self)
		loop_timer_arm(&c->t, mono_ms());
}

static struct ttimer *timer_new(struct loop *l)
{
	struct ttimer *p = xcalloc(1, sizeof(*p));

	p->l = l;
	loop_timer_add(l, &p->t, on_fire, p);
	return p;
}

static void test_del(void)
{
	struct loop *l = loop_new();
	struct ttimer *a = timer_new(l), *b = timer_new(l);
	int64_t now = mono_ms();

	IS_INT(loop_timer_count(l), 2, "two timers registered");
	loop_timer_add(l, &a->t, on_fire, a);
	IS_INT(loop_timer_count(l), 2, "adding a registered timer again does not list it twice");
	loop_timer_arm(&a->t, now);
	loop_timer_arm(&b->t, now);
	loop_timer_del(l, &b->t);
	IS_INT(loop_timer_count(l), 1, "del: one left");
	loop_turn(l, 1000);
	IS_INT(a->fired, 1, "the kept timer fires");
	IS_INT(b->fired, 0, "a deleted timer never fires, though it was armed");
	loop_timer_arm(&b->t, now);
	loop_timer_del(l, &b->t);
	IS_INT(loop_timer_count(l), 1, "del of a deleted timer is a no-op");
	free(b);
	/* An armed deleted timer does not shorten the poll: an unarmed loop
	 * with a 50 ms cap sleeps the 50 ms. */
	{
		struct ttimer *c = timer_new(l);
		int64_t t0;

		loop_timer_arm(&c->t, now);
		loop_timer_del(l, &c->t);
		loop_timer_arm(&c->t, now);   /* arming after del: only sets due */
		t0 = mono_ms();
		loop_turn(l, 50);
		OK(mono_ms() - t0 >= 45, "a deleted timer no longer sets the poll timeout");
		IS_INT(c->fired, 0, "arming a deleted timer does not bring it back");
		free(c);
	}
	loop_timer_del(l, &a->t);
	free(a);
	IS_INT(loop_timer_count(l), 0, "nothing left registered");
	loop_free(l);
}

/* Three timers due in one turn: the first deletes and frees the third
 * (the loop must not touch it: ASan and valgrind would see), the second
 * deletes itself; the list closes up afterwards. */
static void test_del_while_dispatching(void)
{
	struct loop *l = loop_new();
	struct ttimer *a = timer_new(l), *b = timer_new(l),
			   *c = timer_new(l), *d = timer_new(l);
	int64_t now = mono_ms();

	a->victim = c;
	b->del_self = true;
	loop_timer_arm(&a->t, now);
	loop_timer_arm(&b->t, now);
	loop_timer_arm(&c->t, now);
	loop_timer_arm(&d->t, now);
	loop_turn(l, 1000);
	IS_INT(a->fired, 1, "first timer fired");
	IS_INT(b->fired, 1, "a timer that deletes itself fired once");
	IS_INT(d->fired, 1, "a timer after the holes still fires in the same turn");
	IS_INT(loop_timer_count(l), 2, "deleted during dispatch: gone after the turn");
	loop_timer_arm(&a->t, now);
	loop_timer_arm(&b->t, now);
	loop_turn(l, 1000);
	IS_INT(a->fired, 2, "the list still works after compaction");
	IS_INT(b->fired, 1, "the self-deleted timer stays gone");
	loop_timer_del(l, &a->t);
	loop_timer_del(l, &d->t);
	free(a);
	free(b);
	free(d);
	loop_free(l);
}

static void on_readable(int fd, short revents, void *arg)
{
	char buf[8];

	(void)revents;
	if (read(fd, buf, sizeof(buf)) > 0)
		(*(int *)arg)++;
}

static void test_counts(void)
{
	struct loop *l = loop_new();
	int fds[2], hits = 0;

	if (pipe(fds) != 0)
		abort();
	loop_fd_set(l, fds[0], POLLIN, on_readable, &hits);
	IS_INT(loop_fd_count(l), 1, "one fd watched");
	if (write(fds[1], "x", 1) != 1)
		abort();
	loop_turn(l, 1000);
	IS_INT(hits, 1, "the fd was served");
	loop_fd_del(l, fds[0]);
	IS_INT(loop_fd_count(l), 0, "fd removed");
	loop_free(l);
	close(fds[0]);
	close(fds[1]);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Each served fd costs 3 ms: with a 1 ms budget one is served per turn. */
static void on_slow_fd(int fd, short revents, void *arg)
{
	char buf[8];

	(void)revents;
	(void)arg;
	if (read(fd, buf, sizeof(buf)) < 0)
		abort();
	sleep_ms(3);
}

static void on_stall(void *arg)
{
	(void)arg;
	sleep_ms(120);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = xcalloc(1, 65536);

	if (f) {
		size_t n = fread(buf, 1, 65535, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

/* The loop's decisions, each forced on purpose, reach the debug log:
 * the fd cap, the time budget, a stall. Nothing is written when off. */
static void test_debug_log(void)
{
	char path[] = "/tmp/uptop-test-loop-XXXXXX", err[256], *text;
	struct loop *l = loop_new();
	struct loop_timer stall = { 0 };
	int fds[3][2], fd = mkstemp(path);

	if (fd < 0)
		abort();
	close(fd);
	for (int i = 0; i < 3; i++) {
		if (pipe(fds[i]) != 0 || write(fds[i][1], "x", 1) != 1)
			abort();
		loop_fd_set(l, fds[i][0], POLLIN, on_slow_fd, NULL);
	}
	loop_turn(l, 0);                 /* logging off: nothing to see */
	for (int i = 0; i < 3; i++)
		if (write(fds[i][1], "x", 1) != 1)
			abort();
	OK(log_open(path, err, sizeof(err)) == 0, "log_open on a regular file");
	OK(log_enabled(), "the log is on");
	loop_set_max_fds_per_turn(l, 2);
	loop_set_turn_budget_ms(l, 1);
	loop_turn(l, 0);
	loop_timer_add(l, &stall, on_stall, NULL);
	loop_timer_arm(&stall, mono_ms());
	loop_set_max_fds_per_turn(l, 100);
	loop_turn(l, 0);
	loop_timer_del(l, &stall);
	log_close();
	OK(!log_enabled(), "log_close turns it off");
	text = slurp(path);
	HAS_STR(text, "loop: 3 fds ready, serving 2 this turn (cap 2)",
		"the fd cap per turn is logged");
	HAS_STR(text, "loop: turn budget 1 ms spent: served 1 of 2 ready fds",
		"the time budget is logged with what was served");
	HAS_STR(text, "loop: stall: this turn started", "a stall is logged");
	{
		const char *at = strstr(text, "stall: this turn started");
		double late = 0, ran = 0;

		OK(at && sscanf(at, "stall: this turn started %lf ms late and ran "
				"%lf ms", &late, &ran) == 2 && late + ran >= 100,
		   "with its lateness and length (a 120 ms callback)");
	}
	OK(strlen(text) > 0 && strstr(text, "\n") != NULL &&
	   text[4] == '-' && text[10] == 'T', "lines start with a UTC time");
	OK(log_open("/nonexistent-dir/x.log", err, sizeof(err)) != 0 &&
	   strstr(err, "No such file or directory") != NULL,
	   "an unwritable path is an error naming the reason");
	OK(log_open("/dev/null", err, sizeof(err)) != 0 &&
	   strstr(err, "not a regular file") != NULL,
	   "a device is refused: the log goes to a regular file only");
	free(text);
	for (int i = 0; i < 3; i++) {
		loop_fd_del(l, fds[i][0]);
		close(fds[i][0]);
		close(fds[i][1]);
	}
	loop_free(l);
	unlink(path);
}

/* --- stalls ------------------------------------------------------------- */

struct stallrec {
	struct loop *l;
	int calls;
	int64_t ms;
	bool inside;           /* what loop_stall_check said in the callback */
	bool second;           /* ... and when asked again right after */
	struct loop_timer *rearm;   /* the handler moves this timer on */
};

static void on_stall_seen(void *arg, int64_t ms)
{
	struct stallrec *r = arg;

	r->calls++;
	r->ms = ms;
	if (r->rearm)
		loop_timer_arm(r->rearm, mono_ms() + 60000);
}

static void on_slow_timer(void *arg)
{
	struct stallrec *r = arg;

	sleep_ms(LOOP_STALL_MS + 60);
	r->inside = loop_stall_check(r->l);
	r->second = loop_stall_check(r->l);
}

static int fired_after;

static void on_count(void *arg)
{
	(void)arg;
	fired_after++;
}

/* Each place a stall can hide is noticed once, with its length, before
 * the next callback runs; ordinary turns are not stalls. */
static void test_stalls(void)
{
	struct loop *l = loop_new();
	struct stallrec r = { .l = l };
	struct loop_timer slow = { 0 }, next = { 0 };
	int fds[2], done = 0;
	pid_t child;

	loop_on_stall(l, on_stall_seen, &r);
	for (int i = 0; i < 5; i++)
		loop_turn(l, 20);
	IS_INT(r.calls, 0, "five quiet 20 ms turns: no stall");

	/* A callback that runs too long: said from inside it, once. */
	loop_timer_add(l, &slow, on_slow_timer, &r);
	loop_timer_arm(&slow, mono_ms());
	loop_turn(l, 0);
	OK(r.inside, "loop_stall_check inside a %d ms callback: true", LOOP_STALL_MS + 60);
	IS_INT(r.calls, 1, "the handler ran once");
	OK(r.ms >= LOOP_STALL_MS + 50, "with its length (%lld ms)", (long long)r.ms);
	OK(!r.second, "asked again at once: no new stall");
	IS_INT(loop_stall_count(l), 1, "counted");

	/* Between two turns (stopped right after one). */
	sleep_ms(LOOP_STALL_MS + 60);
	loop_turn(l, 0);
	IS_INT(r.calls, 2, "a gap between turns is a stall");

	/* Before a timer that the stall judged: the handler may move it. */
	r.rearm = &next;
	loop_timer_add(l, &next, on_count, NULL);
	loop_timer_arm(&slow, mono_ms());
	loop_timer_arm(&next, mono_ms());
	fired_after = 0;
	loop_turn(l, 0);   /* slow's callback stalls; next comes after it */
	IS_INT(r.calls, 3, "the slow callback's stall");
	IS_INT(fired_after, 0, "the timer the handler moved on did not fire");
	r.rearm = NULL;

	/* A real SIGSTOP while the loop turns (mostly asleep in poll, waking
	 * every 100 ms), SIGCONT 400 ms later, then a byte on a pipe ends
	 * the run: exactly one stall, at least the stop less one wait. */
	if (pipe(fds) != 0)
		abort();
	fflush(stdout);
	child = fork();
	if (child == 0) {
		sleep_ms(50);
		kill(getppid(), SIGSTOP);
		sleep_ms(400);
		kill(getppid(), SIGCONT);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	loop_fd_set(l, fds[0], POLLIN, on_readable, &done);
	loop_timer_disarm(&next);
	while (!done) {
		if (next.due_ms == INT64_MAX)
			loop_timer_arm(&next, mono_ms() + 100);
		loop_turn(l, -1);
	}
	waitpid(child, NULL, 0);
	IS_INT(r.calls, 4, "SIGSTOP, SIGCONT 400 ms later: one stall");
	OK(r.ms >= 280, "as long as the stop less one 100 ms wait (%lld ms)", (long long)r.ms);
	IS_INT(loop_stall_count(l), 4, "four stalls in all");
	loop_fd_del(l, fds[0]);
	close(fds[0]);
	close(fds[1]);

	loop_timer_del(l, &slow);
	loop_timer_del(l, &next);
	loop_on_stall(l, NULL, NULL);
	loop_free(l);
}

/* The published FNV-1a 64 test vectors (the resolver had the offset
 * basis one digit short until both tables shared this one). */
/* A timer armed for now by another timer's callback runs in the same
 * turn, whichever was registered first; a timer runs at most once per
 * turn, so one that re-arms itself for now waits for the next. */
static void test_same_turn(void)
{
	struct loop *l = loop_new();
	struct chain first = {.l = l}, second = {.l = l};
	int64_t t0;

	/* `first` is registered before `second` and armed by it: the pass
	 * that ran `second` had already passed `first`. */
	loop_timer_add(l, &first.t, on_chain, &first);
	loop_timer_add(l, &second.t, on_chain, &second);
	second.arm = &first.t;
	loop_timer_arm(&second.t, mono_ms());
	loop_turn(l, 1000);
	IS_INT(second.fired, 1, "same turn: the due timer ran");
	IS_INT(first.fired, 1, "same turn: the timer it armed for now ran in that turn too");

	/* Each arms the other and itself for now: one run each per turn,
	 * then the next turn (at once: they are due) runs them again. */
	first.fired = second.fired = 0;
	first.arm = &second.t;
	first.rearm_self = second.rearm_self = true;
	loop_timer_arm(&second.t, mono_ms());
	t0 = mono_ms();
	loop_turn(l, 1000);
	IS_INT(second.fired, 1, "same turn: a timer re-armed for now runs once per turn");
	IS_INT(first.fired, 1, "same turn: ... and so does the one it armed");
	loop_turn(l, 1000);
	IS_INT(second.fired, 2, "same turn: the next turn runs it again");
	IS_INT(first.fired, 2, "same turn: ... both");
	OK(mono_ms() - t0 < 500, "same turn: due timers do not wait in poll()");
	loop_timer_del(l, &first.t);
	loop_timer_del(l, &second.t);
	loop_free(l);
}

static void test_fnv1a(void)
{
	OK(hash_fnv1a("") == 0xcbf29ce484222325ULL, "fnv1a(\"\") is the offset basis");
	OK(hash_fnv1a("a") == 0xaf63dc4c8601ec8cULL, "fnv1a(\"a\")");
	OK(hash_fnv1a("foobar") == 0x85944171f73967e8ULL, "fnv1a(\"foobar\")");
}

int main(void)
{
	test_del();
	test_del_while_dispatching();
	test_counts();
	test_debug_log();
	test_stalls();
	test_same_turn();
	test_fnv1a();
	return tap_done();
}
