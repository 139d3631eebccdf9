/* test_target.c - the model: state machine, counts, events, history,
 * p95, uptime, and model_adopt on reload. */
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "target.h"
#include "tap.h"
#include "util.h"

#define WALL0 1700000000000LL

/* Hand-built confs: config.c is not linked. */
static struct target_conf *confs_new(const char *const *names, size_t n,
				     int failures_before_down)
{
	struct target_conf *c = xcalloc(n, sizeof(*c));

	for (size_t i = 0; i < n; i++) {
		c[i].name = xstrdup(names[i]);
		c[i].failures_before_down = failures_before_down;
		c[i].interval_ms = 30000;
	}
	return c;
}

static void confs_free(struct target_conf *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

static struct result res(enum eclass cls, int status, double ms,
			 const char *msg)
{
	static int64_t wall = WALL0;
	struct result r;

	memset(&r, 0, sizeof(r));
	r.cls = cls;
	r.http_status = status;
	r.t.total_ms = ms;
	r.start_wall_ms = wall;
	wall += 1000;
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	return r;
}

/* Records and returns whether the state changed. */
static bool rec(struct model *m, uint32_t i, enum eclass cls, int64_t now,
		struct event *ev)
{
	struct result r;

	switch (cls) {
	case EC_NONE:
		r = res(cls, 200, 12, "");
		break;
	case EC_SLOW:
		r = res(cls, 200, 1250, "1250 ms, over max_latency 800 ms");
		break;
	case EC_STATUS:
		r = res(cls, 503, 20, "got 503, expected 200-399");
		break;
	default:
		r = res(cls, 0, 3, "connection refused");
		break;
	}
	return model_record(m, i, &r, now, ev);
}

static bool counts_ok(const struct model *m)
{
	size_t c[STATE__COUNT] = { 0 }, sum = 0;

	for (size_t i = 0; i < m->n; i++)
		c[m->v[i].state]++;
	for (int s = 0; s < STATE__COUNT; s++) {
		if (c[s] != m->count[s])
			return false;
		sum += m->count[s];
	}
	return sum == m->n;
}

static void test_names(void)
{
	IS_STR(state_name(STATE_PENDING), "pending", "state name pending");
	IS_STR(state_name(STATE_UP), "up", "state name up");
	IS_STR(state_name(STATE_DEGRADED), "degraded", "state name degraded");
	IS_STR(state_name(STATE_DOWN), "down", "state name down");
	IS_STR(state_name(STATE_CONFIRMING), "confirming", "state name confirming");
	IS_STR(state_name(STATE__COUNT), "unknown", "out of range");
}

static void test_single_failure(void)
{
	static const char *const names[] = { "a", "b", "c" };
	struct target_conf *c = confs_new(names, 3, 1);
	struct model m;
	struct event ev;
	struct result r;

	model_init(&m, c, 3, 100);
	IS_INT(m.count[STATE_PENDING], 3, "init: all pending");
	IS_INT(m.v[1].since_mono_ms, 100, "init: since now");
	OK(m.v[2].conf == &c[2], "init: conf wired");
	OK(!m.v[0].has_last, "init: no last result");

	r = res(EC_NONE, 200, 12.5, "");
	OK(model_record(&m, 0, &r, 200, &ev), "first success changes state");
	IS_INT(m.v[0].state, STATE_UP, "pending -> up");
	IS_INT(ev.from, STATE_PENDING, "event from pending");
	IS_INT(ev.to, STATE_UP, "event to up");
	IS_INT(ev.cls, EC_NONE, "event class none");
	IS_INT(ev.target, 0, "event target index");
	IS_STR(ev.reason, "ok", "event reason ok");
	IS_INT(ev.wall_ms, r.start_wall_ms + 13, "event time: end of the check");
	IS_INT(m.v[0].since_mono_ms, 200, "since moves on change");
	IS_INT(m.count[STATE_UP], 1, "count up 1");
	IS_INT(m.count[STATE_PENDING], 2, "count pending 2");
	OK(m.v[0].has_last && m.v[0].last.t.total_ms == 12.5, "last result kept");

	OK(!rec(&m, 0, EC_NONE, 300, &ev), "second success: no change");
	IS_INT(m.v[0].since_mono_ms, 200, "since unchanged");

	OK(rec(&m, 0, EC_REFUSED, 400, &ev), "failure with limit 1: down");
	IS_INT(m.v[0].state, STATE_DOWN, "up -> down");
	IS_STR(ev.reason, "refused: connection refused", "reason class: message");
	IS_INT(ev.cls, EC_REFUSED, "event class refused");
	IS_INT(m.v[0].consecutive_failures, 1, "one consecutive failure");
	OK(rec(&m, 2, EC_STATUS, 400, &ev), "pending target fails: down");
	IS_STR(ev.reason, "status: got 503, expected 200-399", "status reason");
	IS_INT(m.count[STATE_DOWN], 2, "count down 2");
	OK(counts_ok(&m), "counts match the targets");
	IS_INT(m.checks_done, 4, "checks done 4");
	OK(!model_record(&m, 9, &r, 500, &ev), "out-of-range index ignored");
	model_free(&m);
	confs_free(c, 3);
}

static void test_two_failures(void)
{
	static const char *const names[] = { "api", "web" };
	struct target_conf *c = confs_new(names, 2, 2);
	struct model m;
	struct event ev;
	bool counts = true;

	model_init(&m, c, 2, 0);
	/* Issue 10: pending means never checked; a failed first check is
	 * visibly confirming (or down), never "pending, 1/2 fails". */
	OK(rec(&m, 0, EC_TIMEOUT, 1, &ev), "pending, 1st failure: a change");
	IS_INT(m.v[0].state, STATE_CONFIRMING, "pending -> confirming");
	IS_INT(ev.from, STATE_PENDING, "event from pending");
	IS_INT(ev.to, STATE_CONFIRMING, "event to confirming");
	IS_INT(m.count[STATE_PENDING], 1, "header: one pending left");
	IS_INT(m.count[STATE_CONFIRMING], 1, "header: one confirming");
	IS_INT(m.v[0].consecutive_failures, 1, "1 failure counted");
	OK(rec(&m, 0, EC_TIMEOUT, 2, &ev), "2nd failure: down");
	IS_INT(ev.from, STATE_CONFIRMING, "confirming -> down");
	IS_INT(ev.to, STATE_DOWN, "to down");
	OK(rec(&m, 0, EC_NONE, 3, &ev), "success: up");
	IS_INT(m.v[0].consecutive_failures, 0, "success resets failures");
	OK(rec(&m, 0, EC_DNS, 4, &ev), "up, 1st failure: confirming");
	IS_INT(ev.from, STATE_UP, "from up");
	IS_INT(m.v[0].state, STATE_CONFIRMING, "not read as healthy");
	OK(rec(&m, 0, EC_NONE, 5, &ev), "an answer ends confirming");
	IS_INT(ev.to, STATE_UP, "confirming -> up");
	OK(rec(&m, 0, EC_SLOW, 6, &ev), "slow: degraded");
	IS_INT(ev.to, STATE_DEGRADED, "up -> degraded");
	IS_STR(ev.reason, "slow: 1250 ms, over max_latency 800 ms",
	       "slow reason");
	IS_INT(m.v[0].consecutive_failures, 0, "slow resets failures");
	OK(rec(&m, 0, EC_DNS, 7, &ev), "degraded, 1st failure: confirming");
	IS_INT(ev.from, STATE_DEGRADED, "from degraded");
	OK(rec(&m, 0, EC_DNS, 8, &ev), "2nd failure: down");
	IS_INT(ev.from, STATE_CONFIRMING, "confirming -> down");
	OK(!rec(&m, 0, EC_DNS, 9, &ev), "3rd failure: stays down");
	IS_INT(m.v[0].consecutive_failures, 3, "3 consecutive");
	OK(rec(&m, 0, EC_SLOW, 10, &ev), "slow from down: degraded");
	IS_INT(ev.from, STATE_DOWN, "down -> degraded");

	/* A failure interleaved with successes never reaches the limit, but
	 * each one shows. */
	for (int i = 0; i < 10; i++) {
		rec(&m, 1, EC_RESET, 20 + i, &ev);
		counts = counts && m.v[1].state == STATE_CONFIRMING;
		rec(&m, 1, EC_NONE, 20 + i, &ev);
		counts = counts && counts_ok(&m);
	}
	IS_INT(m.v[1].state, STATE_UP, "flapping single failures end up");
	OK(counts, "each single failure confirming; counts consistent");

	/* Events: per target and global, newest first. */
	IS_INT(m.v[0].tev_n, 9, "target 0 has 9 events");
	IS_INT(target_event(&m.v[0], 0)->to, STATE_DEGRADED, "newest event");
	IS_INT(target_event(&m.v[0], 8)->from, STATE_PENDING,
	       "oldest: from pending");
	OK(target_event(&m.v[0], 9) == NULL, "past the end: NULL");
	IS_INT(m.log_n, 29, "model log: 9 + 20 events");
	IS_INT(model_event(&m, 0)->target, 1, "newest global event: web");
	IS_INT(model_event(&m, 20)->target, 0, "then api");
	IS_STR(model_event(&m, 20)->reason, "slow: 1250 ms, over max_latency 800 ms",
	       "api's newest reason");
	OK(model_event(&m, 29) == NULL, "model log past the end");
	OK(target_event(&m.v[0], 0)->reason != model_event(&m, 20)->reason,
	   "each ring owns its reason");
	model_free(&m);
	confs_free(c, 2);
}

static void test_successes_before_up(void)
{
	static const char *const names[] = { "s" };
	struct target_conf *c = confs_new(names, 1, 1);
	struct model m;
	struct event ev;

	c[0].successes_before_up = 3;
	model_init(&m, c, 1, 0);
	OK(rec(&m, 0, EC_NONE, 1, &ev), "pending: the first answer is up");
	IS_INT(ev.to, STATE_UP, "nothing to recover from");
	OK(rec(&m, 0, EC_REFUSED, 2, &ev), "a failure: down");
	OK(!rec(&m, 0, EC_NONE, 3, &ev), "1 answer of 3: still down");
	OK(!rec(&m, 0, EC_SLOW, 4, &ev), "2 of 3 (slow counts): still down");
	IS_INT(m.v[0].state, STATE_DOWN, "down while recovering");
	OK(!rec(&m, 0, EC_REFUSED, 5, &ev), "a failure restarts the count");
	IS_INT(m.v[0].consecutive_successes, 0, "count reset");
	rec(&m, 0, EC_NONE, 6, &ev);
	rec(&m, 0, EC_NONE, 7, &ev);
	IS_INT(m.v[0].state, STATE_DOWN, "2 of 3 again: down");
	OK(rec(&m, 0, EC_NONE, 8, &ev), "3rd answer in a row: up");
	IS_INT(ev.from, STATE_DOWN, "down -> up");

	/* Failing with limit 2 while recovering stays down (it never came
	 * back), it does not become confirming. */
	c[0].failures_before_down = 2;
	rec(&m, 0, EC_REFUSED, 9, &ev);
	rec(&m, 0, EC_REFUSED, 10, &ev);
	IS_INT(m.v[0].state, STATE_DOWN, "down again");
	rec(&m, 0, EC_NONE, 11, &ev);
	OK(!rec(&m, 0, EC_REFUSED, 12, &ev), "recovering, one failure: stays down");
	IS_INT(m.v[0].state, STATE_DOWN, "not confirming");
	model_free(&m);
	confs_free(c, 1);
}

static void test_notes(void)
{
	static const char *const names[] = { "n0", "n1" };
	struct target_conf *c = confs_new(names, 2, 1);
	struct model m, next;
	struct event ev;

	model_init(&m, c, 2, 0);
	rec(&m, 0, EC_NONE, 1, &ev);
	IS_INT(ev.u.outage, 0, "no outage open: 0");
	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_STALL;
	ev.target = EVENT_NO_TARGET;
	ev.u.stall.ms = 5000;
	ev.u.stall.voided = 7;
	ev.reason = xstrdup("stopped");
	model_note(&m, &ev);
	IS_INT(model_event(&m, 0)->kind, EV_STALL, "noted on the timeline");
	OK(model_event(&m, 0)->reason == ev.reason, "the model owns the reason");
	IS_INT(model_event(&m, 0)->u.stall.voided, 7, "its numbers kept");
	m.outage = 3;
	OK(rec(&m, 1, EC_REFUSED, 2, &ev), "a change during an outage");
	IS_INT(ev.u.outage, 3, "carries the open outage's number");
	IS_INT(model_event(&m, 0)->u.outage, 3, "the timeline's copy too");

	/* A reload keeps uptop's own events on the timeline. */
	model_init(&next, c + 1, 1, 0);
	model_adopt(&next, &m);
	IS_INT(next.log_n, 2, "n1's change and the stall adopted (n0 is gone)");
	IS_INT(model_event(&next, 1)->kind, EV_STALL, "the stall kept");
	IS_INT(model_event(&next, 1)->target, EVENT_NO_TARGET, "no target");
	IS_INT(model_event(&next, 0)->target, 0, "n1 re-indexed");
	model_free(&next);
	model_free(&m);
	confs_free(c, 2);
}

static void test_history(void)
{
	static const char *const names[] = { "h" };
	struct target_conf *c = confs_new(names, 1, 1);
	struct model m;
	const struct hist_entry *h;
	struct result r;
	struct event ev;
	bool wrap = true;

	model_init(&m, c, 1, 0);
	OK(target_hist(&m.v[0], 0) == NULL, "no history yet");
	IS_INT(target_p95(&m.v[0]) < 0, 1, "p95 < 0 without samples");
	IS_INT(target_uptime(&m.v[0]) < 0, 1, "uptime < 0 before a check");

	r = res(EC_NONE, 204, 7.5, "");
	model_record(&m, 0, &r, 1, NULL);
	h = target_hist(&m.v[0], 0);
	OK(h && h->latency_ms == 7.5f && h->http_status == 204 &&
	   h->cls == EC_NONE && h->wall_ms == r.start_wall_ms,
	   "entry holds latency, status, class, time");
	OK(h && h->msg == NULL, "success: no message allocated");
	IS_INT(target_p95(&m.v[0]), 7.5, "p95 of one sample");

	r = res(EC_TLS, 0, 40, "certificate has expired");
	model_record(&m, 0, &r, 2, &ev);
	h = target_hist(&m.v[0], 0);
	IS_STR(h ? h->msg : NULL, "certificate has expired", "failure message");
	OK(h && h->msg != r.msg, "message is a copy");
	IS_INT(target_hist(&m.v[0], 1)->http_status, 204, "k = 1 is older");
	IS_INT(target_p95(&m.v[0]), 7.5, "failures are not in p95");

	/* 40 more: the ring keeps the newest 32, freeing what it drops. */
	for (int i = 1; i <= 40; i++) {
		r = res(i % 5 ? EC_NONE : EC_TIMEOUT, 200, i, "slow read");
		model_record(&m, 0, &r, 10 + i, NULL);
	}
	IS_INT(m.v[0].hist_n, HIST_LEN, "ring full at HIST_LEN");
	for (unsigned k = 0; k < HIST_LEN; k++) {
		h = target_hist(&m.v[0], k);
		if (!h || h->latency_ms != (float)(40 - (int)k) ||
		    (h->msg != NULL) != ((40 - k) % 5 == 0))
			wrap = false;
	}
	OK(wrap, "newest first, messages only on failures");
	OK(target_hist(&m.v[0], HIST_LEN) == NULL, "past the ring: NULL");
	/* Successes in the ring: 9..40 minus multiples of 5 -> 25 samples;
	 * nearest rank ceil(0.95 * 25) = 24th smallest = 38. */
	IS_INT(target_p95(&m.v[0]), 38, "p95 nearest rank over successes");
	IS_INT(m.v[0].checks, 42, "42 checks");
	IS_INT(m.v[0].failures, 9, "9 failures (tls + 8 timeouts)");
	OK(target_uptime(&m.v[0]) > 78.57 && target_uptime(&m.v[0]) < 78.58,
	   "uptime = 100 * 33 / 42");
	model_free(&m);
	confs_free(c, 1);
}

/* target_latency and hist_latency are result.c's rule (result_has_latency)
 * read from the last result and the history, for every class, with and
 * without a status line: one rule, one implementation. */
static void test_latency_rule(void)
{
	static const char *const names[] = { "l" };
	struct target_conf *c = confs_new(names, 1, 3);
	struct model m;
	bool same = true;
	int with = 0;

	model_init(&m, c, 1, 0);
	IS_INT(target_latency(&m.v[0]) < 0, 1, "never checked: no latency");
	for (int cls = EC_NONE; cls < EC__COUNT; cls++) {
		for (int status = 0; status <= 400; status += 200) {
			/* 0, 200, and 400 standing for a TCP connect */
			struct result r = res((enum eclass)cls, status == 400 ? 0 : status,
					      42, "x");
			bool has;
			const struct hist_entry *h;

			r.connected = status == 400;
			has = result_has_latency(&r);
			model_record(&m, 0, &r, 1 + cls, NULL);
			h = target_hist(&m.v[0], 0);
			with += has;
			if ((target_latency(&m.v[0]) >= 0) != has ||
			    (hist_latency(h) >= 0) != has ||
			    (has && (target_latency(&m.v[0]) != 42 ||
				     hist_latency(h) != 42)))
				same = false;
		}
	}
	OK(same, "target_latency and hist_latency follow result_has_latency "
	   "for every class, with and without a status line or a connection");
	IS_INT(with, 12, "a latency only for a status line or a TCP/DNS answer with none, "
	       "slow, cert_expiry, status, body or condition");
	model_free(&m);

	/* p95 takes only latencies: conditions that hold on a failed
	 * connect ("up" without an answer) add no sample. */
	model_init(&m, c, 1, 0);
	{
		struct result a = res(EC_NONE, 200, 10, "");
		struct result b = res(EC_NONE, 0, 5000, "");

		model_record(&m, 0, &a, 1, NULL);
		model_record(&m, 0, &b, 2, NULL);
	}
	IS_INT(target_p95(&m.v[0]), 10, "p95: an up without an answer is no sample");
	model_free(&m);
	confs_free(c, 1);
}

static void test_p95_slow_uptime(void)
{
	static const char *const names[] = { "p" };
	struct target_conf *c = confs_new(names, 1, 3);
	struct model m;
	struct result r;

	model_init(&m, c, 1, 0);
	for (int i = 20; i >= 1; i--) {
		r = res(i == 20 ? EC_SLOW : EC_NONE, 200, i * 10, "slow");
		model_record(&m, 0, &r, 0, NULL);
	}
	/* ceil(0.95 * 20) = 19th smallest of 10..200 = 190. */
	IS_INT(target_p95(&m.v[0]), 190, "p95 over 20, slow ones included");
	IS_INT(target_uptime(&m.v[0]), 100, "slow is not a failure for uptime");
	r = res(EC_BODY, 200, 5000, "\"ok\" not found");
	model_record(&m, 0, &r, 0, NULL);
	IS_INT(target_p95(&m.v[0]), 190, "wrong answers are not in p95");
	model_free(&m);
	confs_free(c, 1);
}

static void test_rings_wrap(void)
{
	static const char *const names[] = { "flap", "other" };
	struct target_conf *c = confs_new(names, 2, 1);
	struct model m;
	struct event ev;
	bool alt = true;

	model_init(&m, c, 2, 0);
	for (int i = 0; i < 1100; i++)
		rec(&m, 0, i % 2 ? EC_REFUSED : EC_NONE, i, &ev);
	IS_INT(m.v[0].tev_n, TEVENT_LEN, "target events capped");
	IS_INT(m.log_n, EVENTLOG_LEN, "model log capped");
	IS_INT(target_event(&m.v[0], 0)->to, STATE_DOWN, "newest event: down");
	for (unsigned k = 0; k < EVENTLOG_LEN; k++)
		if (model_event(&m, k)->to != (k % 2 ? STATE_UP : STATE_DOWN))
			alt = false;
	OK(alt, "the log alternates, newest first");
	IS_STR(model_event(&m, 0)->reason, ev.reason, "returned event = newest");
	OK(model_event(&m, 0)->reason == ev.reason,
	   "returned reason is the model's own (borrowed)");
	model_free(&m);
	confs_free(c, 2);
}

static void test_adopt(void)
{
	static const char *const old_names[] = { "a", "b", "c" };
	static const char *const new_names[] = { "c", "d", "a" };
	struct target_conf *oc = confs_new(old_names, 3, 1);
	struct target_conf *nc = confs_new(new_names, 3, 1);
	struct model old, m;
	struct event ev;
	bool ids = true;

	model_init(&old, oc, 3, 0);
	rec(&old, 0, EC_NONE, 10, &ev);      /* a up */
	rec(&old, 1, EC_REFUSED, 11, &ev);   /* b down */
	rec(&old, 2, EC_NONE, 12, &ev);      /* c up */
	rec(&old, 2, EC_SLOW, 13, &ev);      /* c degraded */
	rec(&old, 0, EC_DNS, 14, &ev);       /* a down */
	rec(&old, 0, EC_NONE, 15, &ev);      /* a up */

	model_init(&m, nc, 3, 100);
	model_adopt(&m, &old);
	IS_INT(m.v[0].state, STATE_DEGRADED, "c keeps degraded");
	IS_INT(m.v[0].since_mono_ms, 13, "c keeps its since");
	IS_INT(m.v[0].checks, 2, "c keeps its counters");
	IS_INT(m.v[0].hist_n, 2, "c keeps its history");
	IS_STR(target_hist(&m.v[0], 0)->msg, "1250 ms, over max_latency 800 ms",
	       "c's history messages moved");
	OK(m.v[0].conf == &nc[0], "conf is the new one");
	IS_INT(m.v[1].state, STATE_PENDING, "d is new: pending");
	IS_INT(m.v[1].hist_n, 0, "d has no history");
	IS_INT(m.v[2].state, STATE_UP, "a keeps up");
	IS_INT(m.v[2].checks, 3, "a keeps 3 checks");
	IS_INT(m.v[2].failures, 1, "a keeps 1 failure");
	IS_INT(m.v[2].by_class[EC_NONE], 2, "a keeps its 2 ok checks by class");
	IS_INT(m.v[2].by_class[EC_DNS], 1, "a keeps its dns failure by class");
	IS_INT(m.v[0].by_class[EC_SLOW], 1, "c keeps its slow check by class");
	IS_INT(m.v[1].by_class[EC_REFUSED], 0, "d starts with no counts");
	OK(m.v[2].has_last && m.v[2].last.cls == EC_NONE, "a keeps last");
	IS_INT(m.v[2].tev_n, 3, "a keeps its 3 events");
	IS_INT(target_event(&m.v[2], 0)->target, 2, "a's events point at 2");
	IS_INT(target_event(&m.v[0], 1)->target, 0, "c's events point at 0");
	IS_INT(m.count[STATE_UP], 1, "count up 1 (a)");
	IS_INT(m.count[STATE_DEGRADED], 1, "count degraded 1 (c)");
	IS_INT(m.count[STATE_PENDING], 1, "count pending 1 (d)");
	IS_INT(m.count[STATE_DOWN], 0, "count down 0 (b gone)");
	OK(counts_ok(&m), "counts match");
	IS_INT(m.log_n, 5, "global log: b's event dropped");
	for (unsigned k = 0; k < m.log_n; k++) {
		const struct event *e = model_event(&m, k);

		if (e->target != 0 && e->target != 2)
			ids = false;
	}
	OK(ids, "global log indices rewritten");
	IS_INT(model_event(&m, 0)->target, 2, "newest: a up");
	IS_INT(model_event(&m, 0)->to, STATE_UP, "newest is up");
	IS_INT(model_event(&m, 4)->target, 2, "oldest: a pending -> up");
	IS_INT(model_event(&m, 4)->from, STATE_PENDING, "oldest from pending");
	IS_INT(m.checks_done, 6, "checks_done carried over");
	IS_INT(old.v[0].hist_n, 0, "old a left without history");
	IS_INT(old.v[2].tev_n, 0, "old c left without events");
	IS_INT(old.v[1].hist_n, 1, "old b (dropped) keeps its own");

	/* New results keep flowing after the reload. */
	OK(rec(&m, 0, EC_NONE, 200, &ev), "c: degraded -> up after reload");
	IS_INT(ev.target, 0, "event has the new index");
	model_free(&old);
	model_free(&m);
	confs_free(oc, 3);
	confs_free(nc, 3);
}

static void test_adopt_scale(void)
{
	enum { N = 10000 };
	struct target_conf *oc = xcalloc(N, sizeof(*oc));
	struct target_conf *nc = xcalloc(N, sizeof(*nc));
	struct model old, m;
	struct timespec t0, t1;
	bool moved = true;
	double secs;

	for (int i = 0; i < N; i++) {
		oc[i].name = xasprintf("target-%05d", i);
		nc[i].name = xasprintf("target-%05d", N - 1 - i);
		oc[i].failures_before_down = nc[i].failures_before_down = 1;
	}
	model_init(&old, oc, N, 0);
	for (uint32_t i = 0; i < N; i++)
		rec(&old, i, i % 3 ? EC_NONE : EC_RESET, 1, NULL);
	model_init(&m, nc, N, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	model_adopt(&m, &old);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	for (int i = 0; i < N; i++) {
		int was = N - 1 - i;

		if (m.v[i].state != (was % 3 ? STATE_UP : STATE_DOWN) ||
		    m.v[i].checks != 1)
			moved = false;
	}
	OK(moved, "10,000 reversed targets adopted by name");
	IS_INT(m.count[STATE_DOWN], (N + 2) / 3, "down count recomputed");
	OK(secs < 0.5, "adopt of 10,000 is fast: %.3f s", secs);
	OK(sizeof(struct target) < 4096, "struct target is %zu bytes",
	   sizeof(struct target));
	model_free(&old);
	model_free(&m);
	for (int i = 0; i < N; i++) {
		free(oc[i].name);
		free(nc[i].name);
	}
	free(oc);
	free(nc);
}

/* What a target keeps of its last result: target_last gives back the
 * whole struct result; the text only some checks have is kept apart, and
 * only once a result had any; a model starts without rings or that text. */
static void test_last_result(void)
{
	static const char *const names[] = { "plain", "tls", "dns" };
	struct target_conf *c = confs_new(names, 3, 1);
	struct model m, m2;
	struct result r = res(EC_NONE, 200, 12, ""), full, back;
	bool same;

	c[0].url = xstrdup("http://127.0.0.1:8080/ok");
	c[1].url = xstrdup("https://127.0.0.1:8443/");
	c[2].url = xstrdup("127.0.0.1:5353");
	model_init(&m, c, 3, 1000);
	OK(!m.v[0].tev && !m.v[0].more && !m.v[1].tev, "a new model has no rings and no text");
	OK(sizeof(struct target) < 2000, "struct target is %zu bytes (under 2,000)",
	   sizeof(struct target));

	snprintf(r.effective_url, sizeof(r.effective_url), "%s", c[0].url);
	snprintf(r.remote_ip, sizeof(r.remote_ip), "127.0.0.1");
	r.t.dns_ms = 1.5;
	r.bytes = 42;
	r.body_truncated = true;
	model_record(&m, 0, &r, 2000, NULL);
	OK(m.v[0].tev && m.v[0].tev_n == 1, "the first event makes the ring");
	OK(!m.v[0].more, "a plain HTTP result keeps no extra text");
	target_last(&m.v[0], &back);
	OK(memcmp(&back, &r, sizeof(r)) == 0, "plain: target_last gives the result back whole");

	full = res(EC_CERT_EXPIRY, 200, 30, "certificate expires in 6 days");
	snprintf(full.effective_url, sizeof(full.effective_url), "https://127.0.0.1:8443/next");
	full.redirects = 1;
	snprintf(full.cert_first_cn, sizeof(full.cert_first_cn), "Test CA");
	snprintf(full.cert_subject, sizeof(full.cert_subject), "CN=localhost");
	snprintf(full.cert_issuer, sizeof(full.cert_issuer), "CN=Test CA");
	full.cert_depth = 1;
	full.cert_not_after_ms = WALL0 + 6 * 86400000LL;
	full.cert_leaf_not_after_ms = WALL0 + 9 * 86400000LL;
	snprintf(full.detail, sizeof(full.detail), "a note");
	model_record(&m, 1, &full, 2000, NULL);
	OK(m.v[1].more != NULL, "an HTTPS result keeps its certificate's names");
	target_last(&m.v[1], &back);
	OK(memcmp(&back, &full, sizeof(full)) == 0, "https: the result back whole");

	r = res(EC_NONE, 200, 12, "");
	snprintf(r.effective_url, sizeof(r.effective_url), "%s", c[1].url);
	model_record(&m, 1, &r, 3000, NULL);
	target_last(&m.v[1], &back);
	OK(!back.cert_subject[0] && !back.cert_first_cn[0] && !back.answer[0],
	   "a later result without that text leaves none of the earlier");
	IS_STR(back.effective_url, c[1].url, "its URL is the target's own");
	OK(memcmp(&back, &r, sizeof(r)) == 0, "the later result back whole");

	full = res(EC_NONE, 0, 3, "");
	full.connected = true;
	snprintf(full.dns_rcode, sizeof(full.dns_rcode), "NXDOMAIN");
	snprintf(full.answer, sizeof(full.answer), "example.org. 300 IN A 127.0.0.9");
	model_record(&m, 2, &full, 2000, NULL);
	IS_INT(m.v[2].last.answer_code, result_answer_code(&full), "the answer code is kept");
	target_last(&m.v[2], &back);
	IS_STR(back.dns_rcode, "NXDOMAIN", "dns: the rcode");
	IS_STR(back.answer, full.answer, "dns: the answer");
	IS_STR(back.effective_url, c[2].url, "dns: no URL of its own: the target's");
	IS_INT(target_latency(&m.v[2]) >= 0, 1, "dns: an answer has a latency");

	/* a reload moves the text with the target */
	model_init(&m2, c, 3, 4000);
	model_adopt(&m2, &m);
	target_last(&m2.v[2], &back);
	same = strcmp(back.answer, full.answer) == 0 && !m.v[2].more;
	OK(same, "model_adopt moves the kept text");
	model_free(&m);
	model_free(&m2);
	for (size_t i = 0; i < 3; i++)
		free(c[i].url);
	confs_free(c, 3);
}

int main(void)
{
	test_names();
	test_single_failure();
	test_two_failures();
	test_successes_before_up();
	test_notes();
	test_history();
	test_latency_rule();
	test_p95_slow_uptime();
	test_rings_wrap();
	test_adopt();
	test_adopt_scale();
	test_last_result();
	return tap_done();
}
