/* engine.c - one check from "due" to "recorded", for every target.
 *
 * A check: (our queue) -> DNS (resolve, cached) -> transfer (probe) ->
 * [redirect: back to DNS for the next hop] -> verdict -> model; a TCP
 * check connects through conn instead of probe, a DNS check is one query
 * through resolve to its server. The
 * check's timeout covers every phase from the moment it leaves our queue;
 * time spent queued never counts. Starting checks happens in one place,
 * the tick timer, at most start_per_turn per loop turn, so a round of
 * 10,000 never holds one turn long. */
#include "engine.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "cond.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "loop.h"
#include "maint.h"
#include "outage.h"
#include "probe.h"
#include "resolve.h"
#include "sched.h"
#include "util.h"

#define START_PER_TURN 200
#define START_BUDGET_US 10000
#define TICK_LOG_CHECKS 100
#define HANDSHAKES_MAX 32      /* ~one turn budget of TLS work to come */
#define RATE_SLOTS 8
#define RATE_WINDOW 5
#define HOST_MAX 256
/* While checks are in flight the tick comes at least this often, so a
 * stall (loop.h) shows as a late wake-up even when answers wait on their
 * sockets: a stop of LOOP_STALL_MS + this is always seen. */
#define HEARTBEAT_MS 100
/* A check voided this many times in a row by stalls runs to its verdict
 * the next time: a machine that stalls all the time still gets results
 * (and says so in its stall lines), never a target that is never judged. */
#define MAX_VOIDS 2

struct check {
	struct engine *e;
	uint32_t id;
	bool active;
	bool dns_wait;            /* a lookup or a DNS check's query */
	uint64_t waiter;
	struct xfer *x;
	struct tcpx *tx;          /* a TCP check's connection */
	struct resolve_server *srv;   /* its own DNS server: a DNS check's, or the
				       * target's dns_resolver; NULL: none */
	int64_t start_us;         /* left our queue */
	int64_t start_wall_ms;
	int64_t deadline_ms;
	int64_t dns_start_us;
	double dns_ms;            /* summed over hops */
	int32_t stale_s;          /* a hop used a DNS answer this far past its TTL */
	uint64_t chain;           /* hosts of this check's redirect hops */
	uint64_t last_chain;      /* ... and of the previous check's */
	bool churn;               /* they differed: redirect hops keep no
				   * connection (it would never be reused) */
	int hops;
	int voids;                /* voided by stalls in a row (MAX_VOIDS) */
	const char *url;          /* this hop: the target's, or redir_url */
	char *redir_url;          /* owned: the Location being followed */
	const char *method;
	bool send_body;
	char *host;               /* this hop's host: owned when host_own, else
				   * host0 (the first hop's, every check) */
	bool host_own;
	int port;
	bool literal;
	/* The target's own URL parsed once (its first hop every check; the
	 * URL lives as long as this config): parsing it each time cost about
	 * 5% of a keep-alive check's CPU. host0 NULL: not parsed yet. */
	char *host0;
	int port0;
	bool literal0;
	struct cond_memo *memo;   /* its conditions' values from its last body */
};

struct engine {
	struct loop *loop;
	const struct config *cfg;
	struct engine_opts opts;
	struct probe *probe;
	struct conn *conn;
	struct resolve *res;
	struct sched *sched;
	struct model model;
	struct check *checks;
	struct loop_timer tick;
	size_t cap;
	bool paused;
	struct engine_sub *subs;
	size_t nsubs, subs_cap;
	const char *notifying;       /* set while subscribers run: why */
	uint64_t checked_once;       /* targets with at least one result */
	unsigned finished_since_tick;   /* for the debug log */
	bool tls_held;               /* starts held for young handshakes */
	bool *has_result;
	uint32_t rate[RATE_SLOTS];
	int64_t rate_sec[RATE_SLOTS];
	struct outage *outage;
	uint64_t stalls, voided;     /* uptop's own stalls, the checks they voided */
	struct maint_plan *maint;    /* the config's maintenance windows */
	struct loop_timer quiet;     /* silences running out, windows opening */
	size_t silenced;             /* targets with a silence (0: no scan) */
	bool reloading;              /* EV_MAINT of a reload say so */
	struct engine_req *reqs;     /* requests that are not checks */
};

static void check_hop(struct check *c);
static void check_abort(struct engine *e, struct check *c);
static void tick_arm(struct engine *e);
static void quiet_build(struct engine *e);
static void quiet_teardown(struct engine *e, const char *why);

/* --- subscribers ---------------------------------------------------- */

static void notify_result(struct engine *e, uint32_t id, const struct result *r)
{
	e->notifying = "a result";
	for (size_t i = 0; i < e->nsubs; i++)
		if (e->subs[i].on_result)
			e->subs[i].on_result(e->subs[i].arg, id, r);
	e->notifying = NULL;
}

static void notify_event(struct engine *e, const struct event *ev)
{
	e->notifying = "an event";
	for (size_t i = 0; i < e->nsubs; i++)
		if (e->subs[i].on_event)
			e->subs[i].on_event(e->subs[i].arg, ev);
	e->notifying = NULL;
}

/* The contract in engine.h, kept: a subscriber that re-enters the engine
 * is a bug that would corrupt the check it is being told about. */
static void not_from_subscriber(const struct engine *e, const char *fn)
{
	if (e->notifying)
		fatal("internal error: %s() called by a subscriber while it was "
		      "being told about %s (see engine.h)", fn, e->notifying);
}

void engine_subscribe(struct engine *e, const struct engine_sub *sub)
{
	not_from_subscriber(e, "engine_subscribe");
	e->subs = xreallocarray_grow(e->subs, &e->subs_cap, e->nsubs + 1,
				     sizeof(*e->subs));
	e->subs[e->nsubs++] = *sub;
}

/* --- results -------------------------------------------------------- */

static void rate_add(struct engine *e, int64_t now_ms)
{
	int64_t sec = now_ms / 1000;
	size_t i = (size_t)(sec % RATE_SLOTS);

	if (e->rate_sec[i] != sec) {
		e->rate_sec[i] = sec;
		e->rate[i] = 0;
	}
	e->rate[i]++;
}

/* The hop's host, freed if the check owned it. */
static void host_drop(struct check *c)
{
	if (c->host_own)
		free(c->host);
	c->host = NULL;
	c->host_own = false;
}

/* Frees what one check owned; the slot is idle again. */
static void check_release(struct check *c)
{
	free(c->redir_url);
	host_drop(c);
	c->redir_url = NULL;
	c->url = NULL;
	c->active = c->dns_wait = false;
	c->x = NULL;
	c->tx = NULL;
}

/* --- outages ------------------------------------------------------- */

/* The outage event for what outage_feed (or a reload) just said; the
 * model stamps the open outage's number on the state changes that follow
 * and keeps the event on its timeline. */
static void outage_note(struct engine *e, enum outage_phase phase,
			const char *why, struct event *ev)
{
	const struct outage_status *st = outage_status(e->outage);
	char buf[RESULT_MSG_LEN];

	if (!why) {
		outage_reason(e->outage, buf, sizeof(buf));
		why = buf;
	}
	memset(ev, 0, sizeof(*ev));
	ev->wall_ms = wall_ms();
	ev->target = EVENT_NO_TARGET;
	ev->kind = EV_OUTAGE;
	ev->cls = st->cls;
	ev->u.out.targets = st->targets;
	ev->u.out.hosts = (uint16_t)(st->hosts > UINT16_MAX ? UINT16_MAX : st->hosts);
	ev->u.out.phase = (uint8_t)phase;
	ev->u.out.canary = st->by_canary;
	ev->reason = xstrdup(why);
	e->model.outage = phase == OUTAGE_START ? st->number : 0;
	model_note(&e->model, ev);
	log_debug("engine: outage %u %s: %s", st->number,
		  phase == OUTAGE_START ? "starts" : "ends", why);
}

/* Where the target's next check goes: its interval_down while it fails,
 * its grid otherwise. `changed`: its state just changed (worth a line in
 * the debug log when the cadence changes with it). */
static void next_slot(struct engine *e, uint32_t id, int64_t start_ms, int64_t now,
		      bool changed)
{
	const struct target_conf *t = &e->cfg->targets[id];
	enum state st = e->model.v[id].state;
	bool retry = (st == STATE_DOWN || st == STATE_CONFIRMING) &&
		     t->interval_down_ms > 0 && t->interval_down_ms != t->interval_ms;

	if (e->opts.once)
		return;
	if (retry)
		sched_retry(e->sched, id, t->interval_down_ms, start_ms);
	else
		sched_grid(e->sched, id, now);
	if (changed && t->interval_down_ms > 0 && t->interval_down_ms != t->interval_ms)
		log_debug("engine: %s is %s: checked every %lld ms (%s)", t->name,
			  state_name(st), (long long)(retry ? t->interval_down_ms :
						    t->interval_ms),
			  retry ? "interval_down" : "back on its interval grid");
}

/* --- stalls --------------------------------------------------------- */

/* The loop did not run for `ms` (loop.h): every check in flight lived
 * through it, so its clock measured uptop's absence as well as the
 * target. Each is voided (aborted, no result) and queued again at once;
 * its grid is unchanged. O(targets), once per stall. */
static void on_stall(void *arg, int64_t ms)
{
	struct engine *e = arg;
	struct event ev;
	uint32_t voided = 0, kept = 0;

	for (uint32_t i = 0; i < e->cfg->ntargets; i++) {
		struct check *c = &e->checks[i];

		if (!c->active)
			continue;
		if (c->voids >= MAX_VOIDS) {
			kept++;
			continue;
		}
		check_abort(e, c);
		c->voids++;
		sched_done(e->sched, i);
		sched_now(e->sched, i);
		voided++;
	}
	e->stalls++;
	e->voided += voided;
	memset(&ev, 0, sizeof(ev));
	ev.wall_ms = wall_ms();
	ev.target = EVENT_NO_TARGET;
	ev.kind = EV_STALL;
	ev.u.stall.ms = (uint32_t)(ms > UINT32_MAX ? UINT32_MAX : ms);
	ev.u.stall.voided = voided;
	ev.reason = xasprintf("uptop did not run for %lld ms (stopped, or "
			      "starved of CPU): %u check%s in flight voided and "
			      "run again%s", (long long)ms, voided, voided == 1 ? "" : "s",
			      kept ? "; checks voided twice in a row run to their verdict" : "");
	model_note(&e->model, &ev);
	log_debug("engine: stall of %lld ms: %u checks in flight voided and "
		  "queued again, %u voided %d times already kept", (long long)ms,
		  voided, kept, MAX_VOIDS);
	notify_event(e, &ev);
	tick_arm(e);
}

/* --- results -------------------------------------------------------- */

static void check_finish(struct check *c, struct result *r, const struct resp_view *v)
{
	struct engine *e = c->e;
	int64_t now, start_ms = c->start_us / 1000;
	struct event ev, oev;
	enum outage_change oc;
	bool changed;

	/* A stall inside the callback that brought this result voids it
	 * (with every other check in flight) before it is judged. */
	if (loop_stall_check(e->loop) && !c->active)
		return;
	now = mono_ms();
	r->start_mono_ms = start_ms;
	r->start_wall_ms = c->start_wall_ms;
	r->redirects = c->hops;
	r->t.dns_ms = c->dns_ms;
	if (c->stale_s) {
		size_t at = strlen(r->detail);

		r->dns_stale = true;
		snprintf(r->detail + at, sizeof(r->detail) - at,
			 "%sDNS: stale answer, %d s past its TTL (RFC 8767 serve-stale: "
			 "the refresh failed or was slow)", at ? "; " : "",
			 (int)c->stale_s);
	}
	/* The whole check, every hop and DNS included, on our clock. */
	r->t.total_ms = (double)(mono_us() - c->start_us) / 1000.0;
	if (!r->effective_url[0])
		snprintf(r->effective_url, sizeof(r->effective_url), "%s", c->url);
	verdict_apply(&e->cfg->targets[c->id], r);
	cond_apply(&e->cfg->targets[c->id], r, v, &c->memo);
	c->churn = c->last_chain && c->chain != c->last_chain;
	c->last_chain = c->chain;
	check_release(c);
	c->x = NULL;
	c->dns_wait = false;
	c->voids = 0;
	sched_done(e->sched, c->id);
	if (!e->has_result[c->id]) {
		e->has_result[c->id] = true;
		e->checked_once++;
	}
	rate_add(e, now);
	e->finished_since_tick++;
	oc = outage_feed(e->outage, c->id, r->cls, now);
	if (oc != OUTAGE_SAME)
		outage_note(e, oc == OUTAGE_STARTED ? OUTAGE_START : OUTAGE_END,
			    NULL, &oev);
	changed = model_record(&e->model, c->id, r, now, &ev);
	next_slot(e, c->id, start_ms, now, changed);
	/* The cause before what it caused: the result, then the outage it
	 * opened or closed, then the target's own change. */
	notify_result(e, c->id, r);
	if (oc != OUTAGE_SAME)
		notify_event(e, &oev);
	if (changed)
		notify_event(e, &ev);
	tick_arm(e);
}

static void check_fail(struct check *c, enum eclass cls, const char *msg,
		       const char *detail)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.cls = cls;
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	snprintf(r.detail, sizeof(r.detail), "%s", detail ? detail : "");
	check_finish(c, &r, NULL);
}

static bool scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 ||
	       strncasecmp(url, "https://", 8) == 0;
}

/* A 3xx with a Location: follow it ourselves (at most 5 hops, http and
 * https only), each hop through our resolver. */
static bool follow_redirect(struct check *c, struct result *r,
			    const char *location)
{
	const struct target_conf *t = &c->e->cfg->targets[c->id];
	char msg[RESULT_MSG_LEN];

	if (!t->follow_redirects || !location[0])
		return false;
	if (c->hops >= CONFIG_MAX_REDIRECTS) {
		snprintf(msg, sizeof(msg), "more than %d redirects (last: %d to %s)",
			 CONFIG_MAX_REDIRECTS, r->http_status, location);
		check_fail(c, EC_TOO_MANY_REDIRECTS, msg, NULL);
		return true;
	}
	if (!scheme_ok(location)) {
		snprintf(msg, sizeof(msg),
			 "redirect (%d) to '%s' not followed: only http and https",
			 r->http_status, location);
		check_fail(c, EC_REDIRECT, msg, NULL);
		return true;
	}
	c->hops++;
	free(c->redir_url);
	c->redir_url = xstrdup(location);
	c->url = c->redir_url;
	/* 303 always, and 301/302 after a POST, turn into GET (as browsers). */
	if (r->http_status == 303 ||
	    ((r->http_status == 301 || r->http_status == 302) &&
	     strcmp(c->method, "POST") == 0)) {
		c->method = "GET";
		c->send_body = false;
	}
	check_hop(c);
	return true;
}

static void on_probe_done(void *arg, struct result *r, const char *redirect,
			  const struct resp_view *v, void *user)
{
	struct check *c = user;

	(void)arg;
	c->x = NULL;
	if (r->cls == EC_NONE && follow_redirect(c, r, redirect))
		return;
	check_finish(c, r, v);
}

/* --- one hop: DNS, then the transfer -------------------------------- */

static void on_conn_done(void *arg, struct result *r, const struct resp_view *v, void *user)
{
	struct check *c = user;

	(void)arg;
	c->tx = NULL;
	check_finish(c, r, v);
}

/* A TCP check's connect (and exchange) to the addresses found. */
static void hop_connect(struct check *c, const char *addrs, int64_t left)
{
	const struct target_conf *t = &c->e->cfg->targets[c->id];
	struct conn_req q;
	struct result r;

	memset(&q, 0, sizeof(q));
	q.host = c->host;
	q.port = c->port;
	q.addrs = addrs;
	q.timeout_ms = left;
	q.send = t->tcp_send;
	q.expect = t->tcp_expect;
	q.max_read = (size_t)(t->max_body > 0 ? t->max_body : CONFIG_DEFAULT_MAX_BODY);
	q.capture = cond_needs_body(t);
	memset(&r, 0, sizeof(r));
	c->tx = conn_start(c->e->conn, &q, c, &r);
	if (!c->tx)
		check_finish(c, &r, NULL);
}

static void hop_transfer(struct check *c, const char *addrs)
{
	struct engine *e = c->e;
	struct probe_req q;
	struct result r;
	int64_t left = c->deadline_ms - mono_ms();

	if (left <= 0) {
		char msg[RESULT_MSG_LEN];

		snprintf(msg, sizeof(msg), "timed out after %lld ms before connecting",
			 (long long)(e->cfg->targets[c->id].timeout_ms - left));
		check_fail(c, EC_TIMEOUT, msg, NULL);
		return;
	}
	if (e->cfg->targets[c->id].kind == CHECK_TCP) {
		hop_connect(c, addrs, left);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.conf = &e->cfg->targets[c->id];
	q.url = c->url;
	q.method = c->method;
	q.send_body = c->send_body;
	q.timeout_ms = left;
	/* A redirect to a new host on every check (CDN edges) would leave an
	 * idle connection behind each time; libcurl 7.88 prunes a cache full
	 * of those in quadratic time (seconds of a frozen loop). */
	q.one_shot = e->opts.once || (c->hops > 0 && c->churn);
	q.host = c->host;
	q.port = c->port;
	q.addrs = c->literal ? NULL : addrs;
	q.capture_body = cond_needs_body(q.conf);
	q.headers = cond_list_headers(q.conf->conditions, &q.nheaders);
	memset(&r, 0, sizeof(r));
	c->x = probe_start(e->probe, &q, c, &r);
	if (!c->x)
		check_finish(c, &r, NULL);
}

/* The addresses of one family (4 or 6) of resolve's "a,[b]" list; false
 * when there is none. */
static bool addrs_of_family(const char *addrs, int family, char *out, size_t len)
{
	size_t at = 0;

	out[0] = '\0';
	for (const char *p = addrs; *p;) {
		size_t n = strcspn(p, ",");

		if ((p[0] == '[') == (family == 6) && at + n + 2 <= len) {
			at += (size_t)snprintf(out + at, len - at, "%s%.*s", at ? "," : "",
					       (int)n, p);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return at > 0;
}

static void on_resolved(const struct resolve_answer *a, void *arg)
{
	struct check *c = arg;
	int ipv = c->e->cfg->targets[c->id].ip_version == IPV_4 ? 4 :
		  c->e->cfg->targets[c->id].ip_version == IPV_6 ? 6 : 0;

	c->dns_wait = false;
	c->dns_ms += (double)(mono_us() - c->dns_start_us) / 1000.0;
	if (!a->ok) {
		char msg[RESULT_MSG_LEN];

		if (a->timed_out)
			snprintf(msg, sizeof(msg),
				 "lookup of '%.100s' timed out after %.0f ms (the check's timeout)",
				 c->host, c->dns_ms);
		else
			snprintf(msg, sizeof(msg), "%s", a->err);
		check_fail(c, EC_DNS, msg, a->detail);
		return;
	}
	if (a->stale && c->stale_s == 0)
		c->stale_s = (int32_t)(a->stale_ms / 1000 + 1);
	if (ipv && !c->literal) {
		char only[RESOLVE_ADDRS_LEN], msg[RESULT_MSG_LEN];

		if (!addrs_of_family(a->addrs, ipv, only, sizeof(only))) {
			snprintf(msg, sizeof(msg), "'%.100s' has no IPv%d address "
				 "(ip_version: %d); it has %.80s", c->host, ipv, ipv, a->addrs);
			check_fail(c, EC_DNS, msg, NULL);
			return;
		}
		hop_transfer(c, only);
		return;
	}
	hop_transfer(c, a->addrs);
}

/* "host:port" folded into the chain so far (order counts). */
static uint64_t chain_add(uint64_t h, const char *host, int port)
{
	return (h * 31 + hash_fnv1a(host)) * 31 + (uint64_t)port;
}

static bool host_is_literal(const char *host)
{
	unsigned char buf[16];

	return host[0] == '[' || inet_pton(AF_INET, host, buf) == 1;
}

static void lookup(struct check *c);

static void check_hop(struct check *c)
{
	char scheme[16], err[128], host[HOST_MAX];

	host_drop(c);
	if (!c->hops && c->host0) {
		c->host = c->host0;
		c->port = c->port0;
		c->literal = c->literal0;
	} else if (probe_url_parts(c->url, scheme, sizeof(scheme), host, sizeof(host),
				   &c->port, err, sizeof(err)) != 0) {
		char msg[RESULT_MSG_LEN];

		snprintf(msg, sizeof(msg), "%.80s: %.160s", err, c->url);
		check_fail(c, c->hops ? EC_REDIRECT : EC_PROTOCOL, msg, NULL);
		return;
	} else {
		c->host = xstrdup(host);
		c->host_own = true;
		c->literal = host_is_literal(c->host);
		if (!c->hops) {
			c->host0 = xstrdup(host);
			c->port0 = c->port;
			c->literal0 = c->literal;
		}
	}
	if (c->hops)
		c->chain = chain_add(c->chain, c->host, c->port);
	lookup(c);
}

/* The hop's name to addresses, through the target's own resolver if it
 * names one. */
static void lookup(struct check *c)
{
	struct resolve_answer a;

	c->dns_start_us = mono_us();
	if (resolve_lookup_at(c->e->res, c->srv, c->host, c->deadline_ms, on_resolved, c, &a,
			      &c->waiter)) {
		on_resolved(&a, c);
		return;
	}
	c->dns_wait = true;
}

/* A TCP check: its host's addresses, then conn. */
static void tcp_check(struct check *c)
{
	const struct target_conf *t = &c->e->cfg->targets[c->id];

	host_drop(c);
	c->host = xstrdup(t->host);
	c->host_own = true;
	c->port = t->port;
	c->literal = host_is_literal(c->host);
	lookup(c);
}

/* A DNS check's answer: connected when the server answered, whatever
 * its rcode; the answers are [BODY]. */
static void on_reply(const struct resolve_reply *a, void *arg)
{
	struct check *c = arg;
	const struct target_conf *t = &c->e->cfg->targets[c->id];
	struct resp_view v = { 0 };
	struct result r;
	size_t n = strcspn(t->host, "]");

	c->dns_wait = false;
	c->dns_ms = (double)(mono_us() - c->dns_start_us) / 1000.0;
	memset(&r, 0, sizeof(r));
	snprintf(r.remote_ip, sizeof(r.remote_ip), "%.*s",
		 (int)(t->host[0] == '[' ? n - 1 : n), t->host + (t->host[0] == '['));
	if (a->answered) {
		r.connected = true;
		snprintf(r.dns_rcode, sizeof(r.dns_rcode), "%s", result_rcode_name(a->rcode));
		result_quote(r.answer, sizeof(r.answer), (const unsigned char *)a->body,
			     a->body_len, sizeof(r.answer) - 4);
		v.body = a->body;
		v.body_len = a->body_len;
		r.bytes = a->body_len;
		if (!a->answers)
			snprintf(r.detail, sizeof(r.detail), "no records in the answer");
		check_finish(c, &r, &v);
		return;
	}
	r.cls = a->refused ? EC_REFUSED : a->timed_out ? EC_TIMEOUT :
		a->malformed ? EC_PROTOCOL : EC_CONNECT;
	snprintf(r.msg, sizeof(r.msg), "%s", a->err);
	snprintf(r.detail, sizeof(r.detail), "%s", a->detail);
	check_finish(c, &r, NULL);
}

static void dns_check(struct check *c)
{
	const struct target_conf *t = &c->e->cfg->targets[c->id];
	struct resolve_reply now;

	c->dns_start_us = mono_us();
	if (!c->srv) {
		check_fail(c, EC_INTERNAL, "no DNS server to ask", t->url);
		return;
	}
	if (resolve_query(c->e->res, c->srv, t->dns_query_name, t->dns_query_type,
			  c->deadline_ms, on_reply, c, &now, &c->waiter)) {
		on_reply(&now, c);
		return;
	}
	c->dns_wait = true;
}

static void check_start(struct engine *e, uint32_t id)
{
	struct check *c = &e->checks[id];
	const struct target_conf *t = &e->cfg->targets[id];

	c->active = true;
	c->start_us = mono_us();
	c->start_wall_ms = wall_ms();
	c->deadline_ms = c->start_us / 1000 + t->timeout_ms;
	c->dns_ms = 0;
	c->stale_s = 0;
	c->chain = 0;
	c->hops = 0;
	c->method = t->method;
	c->send_body = t->body != NULL;
	c->url = t->url;
	if (t->kind == CHECK_TCP)
		tcp_check(c);
	else if (t->kind == CHECK_DNS)
		dns_check(c);
	else
		check_hop(c);
}

static void check_abort(struct engine *e, struct check *c)
{
	if (!c->active)
		return;
	if (c->x)
		probe_cancel(e->probe, c->x);
	if (c->tx)
		conn_cancel(e->conn, c->tx);
	if (c->dns_wait)
		resolve_cancel(e->res, c->waiter);
	check_release(c);
}

/* --- the tick: collect due slots, start what fits ------------------- */

static bool work_ready(const struct engine *e)
{
	const struct sched_stats *s = sched_stats(e->sched);

	return sched_has_ready(e->sched) && s->in_flight < e->cap;
}

static void tick_arm(struct engine *e)
{
	int64_t due = sched_next_due(e->sched);

	if (work_ready(e)) {
		due = mono_ms();
		loop_wake(e->loop);
	} else if (sched_stats(e->sched)->in_flight) {
		int64_t beat = mono_ms() + HEARTBEAT_MS;

		if (beat < due)
			due = beat;
	}
	loop_timer_arm(&e->tick, due);
}

/* The debug log hears of a tick when a budget cut the starts short or
 * many checks came and went: the turns an operator asks about. */
static void tick_log(struct engine *e, unsigned started, unsigned limit,
		     bool backlog)
{
	const struct sched_stats *s = sched_stats(e->sched);
	bool cut = work_ready(e);

	if (!cut && started + e->finished_since_tick < TICK_LOG_CHECKS)
		return;
	log_debug("engine: tick: started %u%s, finished %u since the last "
		  "tick; %zu in flight (cap %zu), %zu queued",
		  started, !cut ? "" : backlog ?
			" (one start: the loop has ready sockets waiting)" :
			started >= limit ? " (stopped by the count budget)" :
			" (stopped by the time budget)",
		  e->finished_since_tick, s->in_flight, e->cap, s->queued);
}

static void on_tick(void *arg)
{
	struct engine *e = arg;
	unsigned limit = e->opts.start_per_turn ? e->opts.start_per_turn :
						  START_PER_TURN;
	unsigned started = 0;
	int64_t until = mono_us() + START_BUDGET_US;
	uint32_t id;
	bool backlog = false;

	sched_tick(e->sched, mono_ms());
	/* Bounded by count and by time: a turn never holds the keyboard.
	 * New checks stay in our queue, where waiting is not counted against
	 * them, while the checks in flight already fill the loop's turns
	 * (ready sockets left waiting) or while enough TLS handshakes are
	 * under way to fill one: their replies cost ~1 ms of CPU each, and
	 * every check in flight would wait behind them (and show it in its
	 * latency). */
	if (probe_handshakes(e->probe) >= HANDSHAKES_MAX) {
		if (!e->tls_held)
			log_debug("engine: tick: %d TLS handshakes under way, new "
				  "checks wait", HANDSHAKES_MAX);
		e->tls_held = true;
		loop_timer_arm(&e->tick, mono_ms() + 1);
		return;
	}
	e->tls_held = false;
	if (loop_backlog(e->loop)) {
		limit = 1;
		backlog = true;
	}
	while (started < limit && mono_us() < until &&
	       sched_pop_ready(e->sched, &id)) {
		check_start(e, id);
		started++;
	}
	if (log_enabled())
		tick_log(e, started, limit, backlog);
	e->finished_since_tick = 0;
	tick_arm(e);
}

/* --- setup ---------------------------------------------------------- */

/* The descriptors connections may use: RLIMIT_NOFILE less room for
 * stdio, DNS, the tty and the history; 0: no limit known. */
static size_t fd_budget(void)
{
	struct rlimit rl;
	size_t n, reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	n = (size_t)rl.rlim_cur;
	reserve = 32 + n / 16;
	return n > reserve ? n - reserve : 1;
}

size_t engine_auto_cap(bool once)
{
	/* Each check holds one socket; between rounds the connection cache
	 * may hold an idle one per target as well (not in --once, which keeps
	 * none). */
	size_t fds = fd_budget(), cap;

	if (!fds)
		return 1024;
	cap = fds / (once ? 1 : 2);
	if (cap < 1)
		cap = 1;
	return cap > 32768 ? 32768 : cap;
}

/* The connections libcurl may keep, in use and idle together. When a
 * check ends with one too many, libcurl walks them all and closes the
 * one idle longest: with checks in a fixed order, a target due soon.
 * That target then connects anew and closes the next one's in turn, so a
 * pool k short of the targets makes k new connections and k walks of the
 * whole pool every round, for ever. Hence the whole descriptor budget,
 * not the in-flight cap (10,000 targets on 20,000 descriptors exceed it). */
static size_t pool_cap(size_t cap, bool once)
{
	size_t fds = fd_budget();

	return once || !fds || fds < cap ? cap : fds;
}

static void engine_schedule(struct engine *e)
{
	int64_t now = mono_ms();

	for (uint32_t i = 0; i < e->cfg->ntargets; i++) {
		const struct target_conf *t = &e->cfg->targets[i];

		if (e->opts.once)
			sched_add(e->sched, i, now, INT64_MAX / 4);
		else
			sched_add(e->sched, i,
				  sched_first_due(i, now, t->interval_ms, 10),
				  t->interval_ms);
	}
}

/* The longest a connection or a cached name sits unused between two
 * scheduled checks that could use it: the longest interval plus the
 * longest timeout, and some slack. */
static int64_t idle_limit(const struct config *cfg)
{
	int64_t longest = 0;

	for (size_t i = 0; i < cfg->ntargets; i++) {
		const struct target_conf *t = &cfg->targets[i];

		if (t->interval_ms + t->timeout_ms > longest)
			longest = t->interval_ms + t->timeout_ms;
	}
	return longest + 5000;
}

/* The DNS server a target asks itself: a DNS check's, or the resolver
 * its names are looked up at (Gatus' dns-resolver). The config checked
 * both; a server resolve still refuses fails the target's checks. */
static struct resolve_server *target_server(struct engine *e, const struct target_conf *t)
{
	const char *spec = t->kind == CHECK_DNS ? t->url : t->dns_resolver;
	struct resolve_server *s;
	char err[160];

	if (!spec)
		return NULL;
	if (!(s = resolve_server(e->res, spec, err, sizeof(err))))
		log_debug("engine: %s: %s", t->name, err);
	return s;
}

static void engine_build(struct engine *e, const struct config *cfg)
{
	int64_t idle = idle_limit(cfg);

	probe_set_idle_limit(e->probe, idle);
	resolve_set_idle_limit(e->res, idle);
	e->cfg = cfg;
	e->outage = outage_new(cfg->targets, cfg->ntargets, cfg->settings.canary);
	e->sched = sched_new(cfg->ntargets, e->cap);
	e->checks = xcalloc(cfg->ntargets, sizeof(*e->checks));
	e->has_result = xcalloc(cfg->ntargets, sizeof(*e->has_result));
	e->checked_once = 0;
	for (uint32_t i = 0; i < cfg->ntargets; i++) {
		e->checks[i].e = e;
		e->checks[i].id = i;
		e->checks[i].srv = target_server(e, &cfg->targets[i]);
	}
	engine_schedule(e);
	if (e->paused)
		sched_pause(e->sched, mono_ms());
	quiet_build(e);
}

struct engine *engine_new(struct loop *l, const struct config *cfg,
			  const struct engine_opts *o, struct diag *errs)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->loop = l;
	e->opts = *o;
	e->cap = o->max_concurrency ? o->max_concurrency :
		 cfg->settings.max_concurrency > 0 ?
					      (size_t)cfg->settings.max_concurrency :
					      engine_auto_cap(o->once);
	e->res = resolve_new(l, o->dns_servers, errs);
	if (!e->res) {
		free(e);
		return NULL;
	}
	e->probe = probe_new(l, pool_cap(e->cap, o->once), on_probe_done, e, errs);
	if (!e->probe) {
		resolve_free(e->res);
		free(e);
		return NULL;
	}
	e->conn = conn_new(l, on_conn_done, e);
	/* Before any check starts: never on a check's clock. */
	probe_warm_tls(e->probe, cfg->targets, cfg->ntargets);
	model_init(&e->model, cfg->targets, cfg->ntargets, mono_ms());
	loop_timer_add(l, &e->tick, on_tick, e);
	loop_on_stall(l, on_stall, e);
	engine_build(e, cfg);
	log_debug("engine: %zu target%s, in-flight cap %zu%s", cfg->ntargets,
		  cfg->ntargets == 1 ? "" : "s", e->cap, o->once ? ", once" : "");
	tick_arm(e);
	return e;
}

static void engine_teardown_checks(struct engine *e)
{
	for (size_t i = 0; i < e->cfg->ntargets; i++) {
		check_abort(e, &e->checks[i]);
		free(e->checks[i].host0);
		cond_memo_free(e->checks[i].memo);
	}
	free(e->checks);
	free(e->has_result);
	sched_free(e->sched);
	outage_free(e->outage);
	e->outage = NULL;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	not_from_subscriber(e, "engine_free");
	while (e->reqs)
		engine_request_cancel(e, e->reqs);
	engine_teardown_checks(e);
	maint_plan_free(e->maint);
	probe_free(e->probe);
	conn_free(e->conn);
	resolve_free(e->res);
	model_free(&e->model);
	loop_timer_del(e->loop, &e->tick);
	loop_timer_del(e->loop, &e->quiet);
	loop_on_stall(e->loop, NULL, NULL);
	free(e->subs);
	free(e);
}

void engine_outage_closed(struct engine *e, const char *why)
{
	struct event ev;

	not_from_subscriber(e, "engine_outage_closed");
	outage_note(e, OUTAGE_END, why, &ev);
	notify_event(e, &ev);
}

void engine_reload(struct engine *e, const struct config *cfg)
{
	struct model old;
	struct event oev;

	not_from_subscriber(e, "engine_reload");
	/* The new config's outage watch starts from nothing: an open outage
	 * is closed here, said, rather than left without an end. */
	if (outage_status(e->outage)->open) {
		outage_note(e, OUTAGE_END, "the config was reloaded: outage "
			    "detection starts again", &oev);
		notify_event(e, &oev);
	}
	/* the old windows close here and the new config's open at the end,
	 * said again (EV_MAINT's reload flag tells both apart) */
	e->reloading = true;
	quiet_teardown(e, "the config was reloaded");
	old = e->model;
	log_debug("engine: reload: %zu targets -> %zu, %zu checks in flight "
		  "aborted (no result: the old config is gone)",
		  e->cfg->ntargets, cfg->ntargets,
		  sched_stats(e->sched)->in_flight);
	engine_teardown_checks(e);
	probe_warm_tls(e->probe, cfg->targets, cfg->ntargets);
	model_init(&e->model, cfg->targets, cfg->ntargets, mono_ms());
	model_adopt(&e->model, &old);
	model_free(&old);
	engine_build(e, cfg);
	e->reloading = false;
	tick_arm(e);
}

static void quiet_arm(struct engine *e);

void engine_restore(struct engine *e, void (*fn)(void *arg, struct model *m), void *arg)
{
	not_from_subscriber(e, "engine_restore");
	fn(arg, &e->model);
	e->silenced = 0;
	for (size_t i = 0; i < e->model.n; i++)
		e->silenced += e->model.v[i].q.mute_until_mono != 0;
	quiet_arm(e);
}

const struct model *engine_model(const struct engine *e)
{
	return &e->model;
}

const struct sched_stats *engine_sched_stats(const struct engine *e)
{
	return sched_stats(e->sched);
}

const struct sched *engine_sched(const struct engine *e)
{
	return e->sched;
}

static double rate_get(const struct engine *e, int64_t now_ms)
{
	int64_t sec = now_ms / 1000;
	uint64_t sum = 0;

	/* The last RATE_WINDOW whole seconds (the current one is partial). */
	for (int64_t s = sec - RATE_WINDOW; s < sec; s++) {
		size_t i = (size_t)(s % RATE_SLOTS);

		if (e->rate_sec[i] == s)
			sum += e->rate[i];
	}
	return (double)sum / RATE_WINDOW;
}

void engine_stats(const struct engine *e, struct engine_stats *out)
{
	const struct sched_stats *s = sched_stats(e->sched);
	const struct lagstat *lag = loop_lag(e->loop);
	int64_t now = mono_ms();

	memset(out, 0, sizeof(*out));
	out->checks = e->model.checks_done;
	out->checks_per_sec = rate_get(e, now);
	out->in_flight = s->in_flight;
	out->queued = s->queued;
	out->queued_peak = s->queued_peak;
	out->overdue = s->overdue;
	out->cap = e->cap;
	out->lag_p50_ms = lagstat_quantile(lag, 0.50, now, 0);
	out->lag_p99_ms = lagstat_quantile(lag, 0.99, now, 0);
	out->lag_p99_recent_ms = lagstat_quantile(lag, 0.99, now, 1);
	out->lag_max_ms = lag->max_ms;
	out->longest_turn_ms = loop_longest_turn_ms(e->loop);
	out->stalls = e->stalls;
	out->checks_voided = e->voided;
}

const struct outage_status *engine_outage(const struct engine *e)
{
	return outage_status(e->outage);
}

bool engine_all_checked(const struct engine *e)
{
	return e->checked_once >= e->cfg->ntargets;
}

void engine_recheck(struct engine *e, uint32_t id)
{
	not_from_subscriber(e, "engine_recheck");
	if (id < e->cfg->ntargets && sched_now(e->sched, id))
		tick_arm(e);
}

void engine_recheck_all(struct engine *e)
{
	not_from_subscriber(e, "engine_recheck_all");
	for (uint32_t i = 0; i < e->cfg->ntargets; i++)
		sched_now(e->sched, i);
	tick_arm(e);
}

void engine_set_paused(struct engine *e, bool paused)
{
	not_from_subscriber(e, "engine_set_paused");
	if (paused == e->paused)
		return;
	e->paused = paused;
	if (paused)
		sched_pause(e->sched, mono_ms());
	else
		sched_resume(e->sched, mono_ms());
	tick_arm(e);
}

bool engine_paused(const struct engine *e)
{
	return e->paused;
}

/* --- keeping quiet: acks, silences, maintenance --------------------- */

bool engine_ack(struct engine *e, uint32_t id, const char *by)
{
	struct event ev;

	not_from_subscriber(e, "engine_ack");
	if (!model_ack(&e->model, id, by, wall_ms(), &ev))
		return false;
	log_debug("engine: %s acknowledged by %s", e->cfg->targets[id].name, by);
	notify_event(e, &ev);
	return true;
}

size_t engine_ack_all(struct engine *e, const char *by)
{
	size_t n = 0;

	for (uint32_t i = 0; i < e->cfg->ntargets; i++)
		n += engine_ack(e, i, by);
	return n;
}

static void quiet_arm(struct engine *e);

bool engine_silence(struct engine *e, uint32_t id, int64_t ms, const char *by)
{
	struct event ev;
	int64_t now = mono_ms(), wall = wall_ms();
	bool had;

	not_from_subscriber(e, "engine_silence");
	if (id >= e->cfg->ntargets || ms <= 0)
		return false;
	had = e->model.v[id].q.mute_until_mono != 0;
	model_silence(&e->model, id, now + ms, wall + ms, by, wall, &ev);
	e->silenced += !had;
	log_debug("engine: %s silenced for %lld ms by %s", e->cfg->targets[id].name,
		  (long long)ms, by);
	notify_event(e, &ev);
	quiet_arm(e);
	return true;
}

bool engine_unsilence(struct engine *e, uint32_t id, const char *by)
{
	struct event ev;

	not_from_subscriber(e, "engine_unsilence");
	if (!model_unsilence(&e->model, id, SILENCE_LIFTED, by, wall_ms(), &ev))
		return false;
	e->silenced--;
	log_debug("engine: %s: silence lifted by %s", e->cfg->targets[id].name, by);
	notify_event(e, &ev);
	quiet_arm(e);
	return true;
}

void engine_note(struct engine *e, struct event *ev)
{
	not_from_subscriber(e, "engine_note");
	model_note(&e->model, ev);
	notify_event(e, ev);
}

/* Silences that ran out: said, and gone. O(targets) when any is set. */
static int64_t silences_expire(struct engine *e, int64_t now)
{
	int64_t next = INT64_MAX;

	for (uint32_t i = 0; e->silenced && i < e->cfg->ntargets; i++) {
		int64_t until = e->model.v[i].q.mute_until_mono;
		struct event ev;

		if (!until)
			continue;
		if (until > now) {
			if (until < next)
				next = until;
			continue;
		}
		model_unsilence(&e->model, i, SILENCE_EXPIRED, "", wall_ms(), &ev);
		e->silenced--;
		log_debug("engine: %s: silence ran out", e->cfg->targets[i].name);
		notify_event(e, &ev);
	}
	return next;
}

static void maint_set(struct engine *e, uint32_t id)
{
	e->model.v[id].q.maint_until_wall = maint_plan_until(e->maint, id);
}

/* A window opened or closed: the targets it covers, and an EV_MAINT. */
static void on_maint_change(void *arg, const struct maint_change *c)
{
	struct engine *e = arg;
	struct event ev;
	char what[160];
	int64_t wall = wall_ms();
	bool global = c->owner == MAINT_GLOBAL;

	if (global)
		for (uint32_t i = 0; i < e->cfg->ntargets; i++)
			maint_set(e, i);
	else if (c->owner < e->cfg->ntargets)
		maint_set(e, c->owner);
	maint_window_text(c->w, what, sizeof(what));
	memset(&ev, 0, sizeof(ev));
	ev.wall_ms = wall;
	ev.target = global ? EVENT_NO_TARGET : c->owner;
	ev.kind = EV_MAINT;
	ev.u.maint.phase = c->open ? MAINT_START : MAINT_END;
	ev.u.maint.reload = e->reloading;
	ev.u.maint.targets = global ? (uint32_t)e->cfg->ntargets : 1;
	if (c->open) {
		int64_t mins = (c->until_wall - wall + 59999) / 60000;

		ev.u.maint.mins = (uint16_t)(mins < 0 ? 0 : mins > UINT16_MAX ? UINT16_MAX : mins);
	}
	ev.reason = xstrdup(what);
	model_note(&e->model, &ev);
	log_debug("engine: maintenance window %s %s (%s)", what, c->open ? "opens" : "closes",
		  global ? "every target" : e->cfg->targets[c->owner].name);
	notify_event(e, &ev);
}

/* When the timer is next due: a silence running out, a window opening
 * or closing (wall clock, looked at again every minute in case the clock
 * is set). */
static void quiet_arm_at(struct engine *e, int64_t next_mono, int64_t next_wall)
{
	int64_t now = mono_ms();

	if (next_wall != INT64_MAX) {
		int64_t in = next_wall - wall_ms();
		int64_t at = now + (in < 0 ? 0 : in > 60000 ? 60000 : in);

		if (at < next_mono)
			next_mono = at;
	}
	loop_timer_arm(&e->quiet, next_mono);
}

static void on_quiet(void *arg)
{
	struct engine *e = arg;
	int64_t now = mono_ms(), wall = wall_ms(), next_wall = INT64_MAX;
	int64_t next = silences_expire(e, now);

	if (e->maint && maint_plan_stale(e->maint, wall)) {
		/* a year on: instants for the next one (reads zone files) */
		log_debug("engine: maintenance plan past its horizon: rebuilt");
		maint_plan_close_all(e->maint, on_maint_change, e);
		maint_plan_free(e->maint);
		e->maint = maint_plan_new(e->cfg, wall);
	}
	if (e->maint && !maint_plan_empty(e->maint))
		next_wall = maint_plan_step(e->maint, wall, on_maint_change, e);
	quiet_arm_at(e, next, next_wall);
}

static void quiet_arm(struct engine *e)
{
	/* the next step finds what is due; now is cheap enough for a
	 * person's key */
	loop_timer_arm(&e->quiet, mono_ms());
}

/* A new config: its windows. At start the first step comes from the
 * loop, after the subscribers are there to hear of windows already open;
 * on a reload it comes at once, so that no target looks unmuted between
 * the old windows closing and the new ones opening. */
static void quiet_build(struct engine *e)
{
	e->silenced = 0;
	for (uint32_t i = 0; i < e->cfg->ntargets; i++)
		e->silenced += e->model.v[i].q.mute_until_mono != 0;
	e->maint = maint_plan_new(e->cfg, wall_ms());
	loop_timer_add(e->loop, &e->quiet, on_quiet, e);
	if (e->reloading)
		on_quiet(e);
	else
		quiet_arm(e);
}

static void quiet_teardown(struct engine *e, const char *why)
{
	if (!e->maint)
		return;
	log_debug("engine: %s: open maintenance windows close", why);
	maint_plan_close_all(e->maint, on_maint_change, e);
	maint_plan_free(e->maint);
	e->maint = NULL;
}

/* --- requests that are not checks (webhooks) ------------------------ */

struct engine_req {
	struct engine *e;
	struct probe_http q;
	char *url, *method, *body, **headers;
	void (*done)(void *arg, const struct probe_http_result *r);
	void *arg;
	char host[HOST_MAX];
	int port;
	uint64_t waiter;
	bool dns_wait;
	struct xfer *x;
	int64_t deadline_ms;
	struct engine_req *prev, *next;   /* e->reqs: freed with the engine */
};

static void req_unlink(struct engine_req *r)
{
	struct engine *e = r->e;

	if (r->prev)
		r->prev->next = r->next;
	else
		e->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
}

static void req_free(struct engine_req *r)
{
	req_unlink(r);
	for (size_t i = 0; i < r->q.nheaders; i++)
		free(r->headers[i]);
	free(r->headers);
	free(r->url);
	free(r->method);
	free(r->body);
	free(r);
}

static void req_end(struct engine_req *r, const struct probe_http_result *res)
{
	void (*done)(void *, const struct probe_http_result *) = r->done;
	void *arg = r->arg;

	req_free(r);
	done(arg, res);
}

static void req_fail(struct engine_req *r, enum eclass cls, const char *msg)
{
	struct probe_http_result res;

	memset(&res, 0, sizeof(res));
	res.cls = cls;
	snprintf(res.msg, sizeof(res.msg), "%s", msg);
	req_end(r, &res);
}

static void req_done(void *arg, const struct probe_http_result *res)
{
	struct engine_req *r = arg;

	r->x = NULL;
	req_end(r, res);
}

/* True while the request is in flight; false once done was called. */
static bool req_send(struct engine_req *r, const char *addrs)
{
	struct probe_http_result fail;
	int64_t left = r->deadline_ms - mono_ms();

	if (left <= 0) {
		req_fail(r, EC_TIMEOUT, "timed out before connecting (the name took too long)");
		return false;
	}
	r->q.timeout_ms = left;
	r->q.host = r->host;
	r->q.port = r->port;
	/* the addresses outlive this call: curl reads them in probe_http */
	r->q.addrs = addrs;
	r->x = probe_http(r->e->probe, &r->q, req_done, r, &fail);
	if (!r->x) {
		req_end(r, &fail);
		return false;
	}
	return true;
}

static bool req_answered(struct engine_req *r, const struct resolve_answer *a)
{
	r->dns_wait = false;
	if (!a->ok) {
		char msg[RESULT_MSG_LEN];

		snprintf(msg, sizeof(msg), "%.80s: %.150s", r->host, a->err);
		req_fail(r, EC_DNS, msg);
		return false;
	}
	return req_send(r, a->addrs);
}

static void req_resolved(const struct resolve_answer *a, void *arg)
{
	req_answered(arg, a);
}

struct engine_req *engine_request(struct engine *e, const struct probe_http *q,
				  void (*done)(void *arg, const struct probe_http_result *r),
				  void *arg)
{
	struct engine_req *r = xcalloc(1, sizeof(*r));
	struct resolve_answer a;
	char scheme[16], err[128];

	r->e = e;
	r->q = *q;
	r->url = xstrdup(q->url);
	r->method = xstrdup(q->method);
	r->body = q->body ? xmalloc(q->body_len + 1) : NULL;
	if (r->body) {
		memcpy(r->body, q->body, q->body_len);
		r->body[q->body_len] = '\0';
	}
	r->headers = xcalloc(q->nheaders + 1, sizeof(*r->headers));
	for (size_t i = 0; i < q->nheaders; i++)
		r->headers[i] = xstrdup(q->headers[i]);
	r->q.url = r->url;
	r->q.method = r->method;
	r->q.body = r->body;
	r->q.headers = (const char *const *)r->headers;
	r->done = done;
	r->arg = arg;
	r->deadline_ms = mono_ms() + (q->timeout_ms > 0 ? q->timeout_ms : 1);
	r->next = e->reqs;
	if (e->reqs)
		e->reqs->prev = r;
	e->reqs = r;
	if (probe_url_parts(r->url, scheme, sizeof(scheme), r->host, sizeof(r->host), &r->port,
			    err, sizeof(err)) != 0) {
		req_fail(r, EC_PROTOCOL, err);
		return NULL;
	}
	if (host_is_literal(r->host))
		return req_send(r, NULL) ? r : NULL;
	if (resolve_lookup(e->res, r->host, r->deadline_ms, req_resolved, r, &a, &r->waiter))
		return req_answered(r, &a) ? r : NULL;
	r->dns_wait = true;
	return r;
}

void engine_request_cancel(struct engine *e, struct engine_req *r)
{
	if (!r)
		return;
	if (r->dns_wait)
		resolve_cancel(e->res, r->waiter);
	if (r->x)
		probe_cancel(e->probe, r->x);
	req_free(r);
}
