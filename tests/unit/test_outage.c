/* test_outage.c - mass outage detection with synthetic results: the
 * network going away (one start, one end), a single service down (never),
 * unrelated failures among answers (never), old failures, the window, the
 * canary, uptop's own limits, and URL hosts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "outage.h"
#include "tap.h"
#include "util.h"

/* n targets; target i lives on host "10.0.0.(i % hosts)" (hosts 0: all
 * on one host "single.example"). */
static struct target_conf *confs(size_t n, unsigned hosts)
{
	struct target_conf *c = xcalloc(n, sizeof(*c));

	for (size_t i = 0; i < n; i++) {
		c[i].name = xasprintf("t%zu", i);
		c[i].url = hosts ? xasprintf("http://10.0.0.%zu:%zu/p", i % hosts, 8000 + i)
				 : xasprintf("https://single.example:%zu/", 8000 + i);
		c[i].failures_before_down = 1;
	}
	return c;
}

static void confs_free(struct target_conf *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].url);
	}
	free(c);
}

struct tally {
	int started, ended;
};

static void feed(struct outage *o, uint32_t id, enum eclass cls, int64_t ms,
		 struct tally *k)
{
	switch (outage_feed(o, id, cls, ms)) {
	case OUTAGE_STARTED: k->started++; break;
	case OUTAGE_ENDED: k->ended++; break;
	default: break;
	}
}

/* Every target answers once in [t, t + 30 s), one every 100 ms. */
static void round_of(struct outage *o, size_t n, enum eclass cls, int64_t t,
		     struct tally *k)
{
	for (size_t i = 0; i < n; i++)
		feed(o, (uint32_t)i, cls, t + (int64_t)i * 30000 / (int64_t)n, k);
}

static void test_hosts(void)
{
	char h[64];

	outage_url_host("http://user:pw@Example.COM:8080/x?y=1", h, sizeof(h));
	IS_STR(h, "example.com", "user info and port dropped, lower case");
	outage_url_host("https://[::1]:443/", h, sizeof(h));
	IS_STR(h, "[::1]", "IPv6 literal kept with its brackets");
	outage_url_host("http://127.0.0.2", h, sizeof(h));
	IS_STR(h, "127.0.0.2", "no path, no port");
	outage_url_host("http://a@b@c.example/#frag", h, sizeof(h));
	IS_STR(h, "c.example", "the last @ ends the user info");
	outage_url_host("no-scheme", h, sizeof(h));
	IS_STR(h, "", "no scheme: no host");
	outage_url_host("http://averylonghostname.example/", h, 8);
	IS_STR(h, "averylo", "cut to the buffer");
	OK(outage_is_network(EC_CONNECT_TIMEOUT) && outage_is_network(EC_DNS) &&
	   outage_is_network(EC_RESET) && outage_is_network(EC_TIMEOUT) &&
	   outage_is_network(EC_REFUSED) && outage_is_network(EC_CONNECT),
	   "network classes");
	OK(!outage_is_network(EC_TLS) && !outage_is_network(EC_STATUS) &&
	   !outage_is_network(EC_NONE) && !outage_is_network(EC_LOCAL),
	   "an answer, a TLS error or our own limit is not");
}

/* The jump box loses its network: 300 targets on 3 hosts fail within a
 * second or two, then come back. One start, one end. */
static void test_network_loss(void)
{
	struct target_conf *c = confs(300, 3);
	struct outage *o = outage_new(c, 300, NULL);
	const struct outage_status *st = outage_status(o);
	struct tally k = { 0, 0 };
	char why[256];

	round_of(o, 300, EC_NONE, 1000, &k);
	round_of(o, 300, EC_NONE, 31000, &k);
	IS_INT(k.started, 0, "two healthy rounds: no outage");
	for (uint32_t i = 0; i < 300; i++)
		feed(o, i, i % 2 ? EC_REFUSED : EC_RESET, 61000 + i * 5, &k);
	IS_INT(k.started, 1, "300 failures on 3 hosts: one start");
	IS_INT(k.ended, 0, "not over");
	OK(st->open && !st->by_canary && st->number == 1, "open, by the share rule");
	IS_INT(st->targets, 300, "every failing target is affected");
	IS_INT(st->hosts, 3, "on 3 hosts");
	OK(st->cls == EC_REFUSED || st->cls == EC_RESET, "the common class");
	outage_reason(o, why, sizeof(why));
	HAS_STR(why, "300 targets on 3 hosts began failing within", "reason says how many");
	/* Still down a round later: no second start. */
	for (uint32_t i = 0; i < 300; i++)
		feed(o, i, EC_REFUSED, 64000 + i * 5, &k);
	IS_INT(k.started, 1, "still one start");
	IS_INT(st->cls, EC_REFUSED, "the class most fail with now");
	/* The network comes back. */
	for (uint32_t i = 0; i < 150; i++)
		feed(o, i, EC_NONE, 70000 + i * 5, &k);
	IS_INT(k.ended, 0, "half back: not yet over");
	feed(o, 150, EC_NONE, 71000, &k);
	IS_INT(k.ended, 1, "more than half back: over");
	OK(!st->open && st->ended_ms == 71000, "closed at that result");
	outage_reason(o, why, sizeof(why));
	HAS_STR(why, "151 of 300 targets answer again after", "the end's reason");
	for (uint32_t i = 151; i < 300; i++)
		feed(o, i, EC_NONE, 72000 + i * 5, &k);
	IS_INT(k.started, 1, "the rest come back: nothing new");
	IS_INT(k.ended, 1, "one end");
	outage_free(o);
	confs_free(c, 300);
}

/* A real single-service outage: its 10 targets on one host. Never an
 * outage, alone or among others. */
static void test_single_service(void)
{
	struct target_conf *c = confs(10, 0);
	struct outage *o = outage_new(c, 10, NULL);
	struct tally k = { 0, 0 };

	round_of(o, 10, EC_NONE, 1000, &k);
	for (int r = 0; r < 5; r++)
		round_of(o, 10, EC_CONNECT_TIMEOUT, 31000 + r * 30000, &k);
	IS_INT(k.started, 0, "10 targets on one host down: no outage");
	outage_free(o);
	confs_free(c, 10);

	/* 10 of 100 targets down, on 3 hosts, the 90 others answering. */
	c = confs(100, 10);
	o = outage_new(c, 100, NULL);
	round_of(o, 100, EC_NONE, 1000, &k);
	for (int r = 0; r < 3; r++)
		for (uint32_t i = 0; i < 100; i++)
			feed(o, i, i % 10 < 3 && i < 40 ? EC_REFUSED : EC_NONE,
			     31000 + r * 30000 + i * 300, &k);
	IS_INT(k.started, 0, "a tenth failing among answers: no outage");
	outage_free(o);
	confs_free(c, 100);
}

/* Failing since long before, on many hosts: not news. A new burst of
 * fewer than OUTAGE_MIN_TARGETS is not an outage either. */
static void test_old_and_few(void)
{
	struct target_conf *c = confs(40, 8);
	struct outage *o = outage_new(c, 40, NULL);
	struct tally k = { 0, 0 };

	for (uint32_t i = 0; i < 20; i++)     /* 20 dead from the start */
		feed(o, i, EC_REFUSED, 1000 + i, &k);
	IS_INT(k.started, 1, "20 targets on 8 hosts dead at start: an outage");
	for (uint32_t i = 20; i < 40; i++)
		feed(o, i, EC_NONE, 2000 + i, &k);
	IS_INT(k.ended, 0, "the others answering does not end it");
	outage_free(o);

	o = outage_new(c, 40, NULL);
	k.started = k.ended = 0;
	round_of(o, 40, EC_NONE, 1000, &k);
	/* Every other target fails from the second round on, in between
	 * answers: half of what is checked, never 80%. */
	for (int r = 0; r < 4; r++)
		for (uint32_t i = 0; i < 40; i++)
			feed(o, i, i % 2 ? EC_NONE : EC_REFUSED,
			     31000 + r * 30000 + (int64_t)i * 750, &k);
	IS_INT(k.started, 0, "20 failing among 20 answering (50%%): no outage");
	/* Well after, the answering ones fail too: the old 20 are not
	 * counted, the new ones are all that was checked since. */
	for (uint32_t i = 1; i < 9; i += 2)
		feed(o, i, EC_TIMEOUT, 200000 + i * 1000, &k);
	IS_INT(k.started, 0, "4 new failures: fewer than the minimum");
	feed(o, 9, EC_TIMEOUT, 209500, &k);
	IS_INT(k.started, 1, "the 5th (with no answer since): an outage");
	IS_INT(outage_status(o)->targets, 5, "only the new streaks are affected");
	outage_free(o);
	confs_free(c, 40);
}

/* Failures spread thinner than the window never add up. */
static void test_window(void)
{
	struct target_conf *c = confs(10, 5);
	struct outage *o = outage_new(c, 10, NULL);
	struct tally k = { 0, 0 };

	for (uint32_t i = 0; i < 10; i++)
		feed(o, i, EC_DNS, 1000 + (int64_t)i * 40000, &k);
	IS_INT(k.started, 0, "one new failure every 40 s: never 5 in a minute");
	outage_free(o);
	confs_free(c, 10);
}

/* The canary: its own failures_before_down, then the outage; it ends
 * when the canary answers and most affected targets do. */
static void test_canary(void)
{
	struct target_conf *c = confs(4, 1);
	struct outage *o;
	const struct outage_status *st;
	struct tally k = { 0, 0 };
	char why[256];

	c[0].failures_before_down = 2;
	o = outage_new(c, 4, "t0");
	st = outage_status(o);
	round_of(o, 4, EC_NONE, 1000, &k);
	feed(o, 0, EC_CONNECT_TIMEOUT, 40000, &k);
	IS_INT(k.started, 0, "the canary's first failure: not yet");
	feed(o, 1, EC_CONNECT_TIMEOUT, 40100, &k);
	feed(o, 0, EC_CONNECT_TIMEOUT, 45000, &k);
	IS_INT(k.started, 1, "its second (failures_before_down 2): an outage");
	OK(st->by_canary, "by the canary");
	IS_INT(st->targets, 2, "the canary and t1 are affected");
	outage_reason(o, why, sizeof(why));
	HAS_STR(why, "canary 't0' failed 2 times in a row (connect_timeout)", "reason names it");
	feed(o, 1, EC_NONE, 46000, &k);
	IS_INT(k.ended, 0, "t1 answers, the canary does not: still open");
	feed(o, 0, EC_NONE, 47000, &k);
	IS_INT(k.ended, 1, "the canary answers: over");
	feed(o, 0, EC_STATUS, 48000, &k);
	IS_INT(k.started, 1, "a canary answering 503 is an answer, not an outage");
	outage_free(o);
	confs_free(c, 4);
}

/* EC_LOCAL (out of fds, memory) is uptop's, not the network's. */
static void test_local(void)
{
	struct target_conf *c = confs(50, 5);
	struct outage *o = outage_new(c, 50, NULL);
	struct tally k = { 0, 0 };

	for (uint32_t i = 0; i < 50; i++)
		feed(o, i, EC_LOCAL, 1000 + i, &k);
	IS_INT(k.started, 0, "50 local failures: no outage");
	OK(outage_feed(o, 99, EC_REFUSED, 2000) == OUTAGE_SAME, "out of range: ignored");
	outage_free(o);
	confs_free(c, 50);
}

int main(void)
{
	test_hosts();
	test_network_loss();
	test_single_service();
	test_old_and_few();
	test_window();
	test_canary();
	test_local();
	return tap_done();
}
