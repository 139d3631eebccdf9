/* test_engine.c - the engine's fan-out on a real loop: every subscriber
 * hears every result and every event, in order (results first); events
 * carry their kind; a subscriber that re-enters the engine is stopped
 * with a message; engine_free leaves nothing registered in the loop; a
 * stall voids the check in flight (to a loopback listener that never
 * answers), at most twice in a row.
 * Targets under .invalid fail in the resolver without a query, so no
 * packet leaves the process. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "loop.h"
#include "sched.h"
#include "tap.h"
#include "util.h"

static char trace[256];   /* "1r0 2r0 1e0 3e0 ..." : subscriber, kind, target */
static int events_state, events_from_pending;

static void note(int sub, char what, uint32_t id)
{
	size_t n = strlen(trace);

	snprintf(trace + n, sizeof(trace) - n, "%s%d%c%u", n ? " " : "", sub,
		 what, (unsigned)id);
}

static void r1(void *arg, uint32_t id, const struct result *r)
{
	(void)r;
	note(*(int *)arg, 'r', id);
}

static void e1(void *arg, const struct event *ev)
{
	note(*(int *)arg, 'e', ev->target);
	events_state += ev->kind == EV_STATE;
	events_from_pending += ev->from == STATE_PENDING && ev->to == STATE_DOWN;
}

static struct engine *start(struct loop *l, struct config **cfg, size_t n)
{
	static const struct url_arg urls[] = { { "http://a.invalid/", 1, 0 },
					       { "http://b.invalid/", 2, 0 } };
	struct diag errs = { 0 };
	struct engine_opts o;
	struct engine *e;

	memset(&o, 0, sizeof(o));
	o.once = true;
	o.dns_servers = "127.0.0.1:9";   /* never asked: .invalid needs no query */
	if (config_from_urls(urls, n, NULL, cfg, &errs, &errs) != 0)
		abort();
	e = engine_new(l, *cfg, &o, &errs);
	if (!e) {
		diag_print(&errs, stderr);
		abort();
	}
	return e;
}

static void run(struct loop *l, struct engine *e)
{
	for (int i = 0; i < 100 && !engine_all_checked(e); i++)
		loop_turn(l, 100);
}

static void test_fanout(void)
{
	struct loop *l = loop_new();
	struct config *cfg;
	struct engine *e = start(l, &cfg, 2);
	static int one = 1, two = 2, three = 3;

	engine_subscribe(e, &(struct engine_sub){ .on_result = r1,
		.on_event = e1, .arg = &one });
	engine_subscribe(e, &(struct engine_sub){ .on_result = r1, .arg = &two });
	engine_subscribe(e, &(struct engine_sub){ .on_event = e1, .arg = &three });
	run(l, e);
	OK(engine_all_checked(e), "both targets checked");
	IS_STR(trace, "1r0 2r0 1e0 3e0 1r1 2r1 1e1 3e1",
	       "each result to every subscriber, then its event, in subscription order");
	IS_INT(events_state, 4, "every event is a state change (EV_STATE)");
	IS_INT(events_from_pending, 4, "pending -> down, as the model recorded it");
	IS_INT(engine_model(e)->log_n, 2, "the model's timeline holds both events");
	engine_free(e);
	IS_INT(loop_timer_count(l), 0,
	       "engine_free removes its timers and those of probe and resolve");
	IS_INT(loop_fd_count(l), 0, "engine_free leaves no fd in the loop");
	loop_free(l);
	config_free(cfg);
}

static struct engine *reentrant;

static void r_recheck(void *arg, uint32_t id, const struct result *r)
{
	(void)arg;
	(void)r;
	engine_recheck(reentrant, id);
}

/* In a child: the subscriber calls engine_recheck from on_result. */
static void test_reentry(void)
{
	int pipefd[2], status = 0;
	char err[512] = "";
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	fflush(stdout);
	if (pipe(pipefd) != 0 || (pid = fork()) < 0)
		abort();
	if (pid == 0) {
		struct loop *l = loop_new();
		struct config *cfg;

		dup2(pipefd[1], 2);
		close(pipefd[0]);
		reentrant = start(l, &cfg, 1);
		engine_subscribe(reentrant, &(struct engine_sub){
			.on_result = r_recheck });
		run(l, reentrant);
		_exit(0);   /* not reached when the guard works */
	}
	close(pipefd[1]);
	/* stderr is unbuffered: the message comes in pieces, until EOF. */
	while (len < sizeof(err) - 1 &&
	       (got = read(pipefd[0], err + len, sizeof(err) - 1 - len)) > 0)
		len += (size_t)got;
	err[len] = '\0';
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	OK(WIFEXITED(status) && WEXITSTATUS(status) == 70,
	   "a subscriber calling engine_recheck stops the program (exit 70)");
	HAS_STR(err, "engine_recheck() called by a subscriber",
		"the message names the call and the contract");
}

/* --- stalls --------------------------------------------------------------- */

static int stall_events, results;
static uint32_t voided[8];
static enum eclass last_cls;

static void r_count(void *arg, uint32_t id, const struct result *r)
{
	(void)arg;
	(void)id;
	results++;
	last_cls = r->cls;
}

static void e_stall(void *arg, const struct event *ev)
{
	(void)arg;
	if (ev->kind != EV_STALL)
		return;
	if (stall_events < 8)
		voided[stall_events] = ev->u.stall.voided;
	stall_events++;
}

static void on_slow(void *arg)
{
	struct timespec ts = { 0, (LOOP_STALL_MS + 80) * 1000000L };

	(void)arg;
	while (nanosleep(&ts, &ts) != 0)
		;
}

static bool turn_until_in_flight(struct loop *l, struct engine *e)
{
	for (int i = 0; i < 200 && !engine_sched_stats(e)->in_flight; i++)
		loop_turn(l, 10);
	return engine_sched_stats(e)->in_flight == 1;
}

/* A check in flight to a loopback listener that never answers. A stall
 * voids it and runs it again (no result); twice in a row at most: the
 * third stall lets it run to its verdict (here its 1 s timeout), so a
 * machine that stalls all the time still gets results. */
static void test_stall_voids(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	struct url_arg arg = { url, 1, 0 };
	struct diag errs = { 0 };
	struct engine_opts o = { .once = true, .dns_servers = "127.0.0.1:9" };
	struct loop_timer slow = { 0 };
	struct loop *l = loop_new();
	struct config *cfg;
	struct engine *e;
	struct engine_stats st;
	bool in_flight = true;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(ls, 8) != 0 || getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
		abort();
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sa.sin_port));
	if (config_from_urls(&arg, 1, NULL, &cfg, &errs, &errs) != 0)
		abort();
	cfg->targets[0].timeout_ms = 1000;
	e = engine_new(l, cfg, &o, &errs);
	engine_subscribe(e, &(struct engine_sub){ .on_result = r_count,
		.on_event = e_stall });
	loop_timer_add(l, &slow, on_slow, NULL);
	for (int k = 0; k < 3; k++) {
		in_flight = turn_until_in_flight(l, e) && in_flight;
		loop_timer_arm(&slow, mono_ms());
		loop_turn(l, 0);
	}
	OK(in_flight, "the check was in flight at each stall");
	IS_INT(stall_events, 3, "three stalls, three EV_STALL events");
	OK(voided[0] == 1 && voided[1] == 1, "the first two void the check (%u, %u)",
	   voided[0], voided[1]);
	IS_INT(voided[2], 0, "the third keeps it: voided twice in a row already");
	IS_INT(results, 0, "no result so far: voided checks have none");
	run(l, e);
	IS_INT(results, 1, "then exactly one result");
	IS_INT(last_cls, EC_TIMEOUT, "its own verdict: timed out (nothing answers)");
	engine_stats(e, &st);
	OK(st.stalls == 3 && st.checks_voided == 2, "stats: 3 stalls, 2 checks voided");
	loop_timer_del(l, &slow);
	engine_free(e);
	loop_free(l);
	config_free(cfg);
	close(ls);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_fanout();
	test_reentry();
	test_stall_voids();
	return tap_done();
}
