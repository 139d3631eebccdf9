/* resolve.h - name -> addresses, on the loop's own fds (c-ares), with a
 * TTL cache. The only module that includes ares.h.
 *
 * libcurl's own resolver (threaded, in Debian's 7.88) joins its thread
 * when a lookup outlives the transfer, freezing the loop; so every name is
 * resolved here and handed to curl. Concurrent lookups of one name share
 * one query. Names under .invalid (RFC 6761) fail at once without a query.
 *
 * What a lookup may cost is derived from the time the check has left:
 * c-ares 1.18 has one per-try timeout per channel, so there is a channel
 * per rung of a ladder of per-try timeouts (50 ms .. 1.6 s) and a query
 * goes to the longest one that still leaves room for every server once
 * plus one retry. A lost UDP packet costs a retry, not the check; a dead
 * first server with a live second one fits in a 1 s timeout.
 *
 * Answers are cached for their TTL (at least 1 s, at most 1 h). When a
 * cached answer has expired and the refresh fails or has not answered
 * within half the time left (at most 1 s), the expired answer is served
 * for up to RESOLVE_STALE_MAX_MS past its TTL (RFC 8767), flagged stale;
 * a refresh that failed is not retried for RESOLVE_STALE_RECHECK_MS. An
 * NXDOMAIN is never covered up: it fails at once and drops the old
 * answer. Names not looked up for the idle limit are forgotten, so a new
 * name on every check (CDN edges) does not grow memory. */
#ifndef UPTOP_RESOLVE_H
#define UPTOP_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include "diag.h"

struct loop;
struct resolve;

#define RESOLVE_ADDRS_LEN 256
#define RESOLVE_STALE_MAX_MS (5 * 60 * 1000)
#define RESOLVE_STALE_RECHECK_MS (30 * 1000)

/* Outcome of a lookup. On success `addrs` is a comma-separated address
 * list ("127.0.0.1,[::1]"); otherwise `err` says what failed ("no such
 * name", "server failure", ...). */
struct resolve_answer {
	bool ok;
	bool timed_out;
	bool stale;            /* ok, but from an answer past its TTL */
	int64_t stale_ms;      /* how far past */
	char addrs[RESOLVE_ADDRS_LEN];
	char err[160];
	char detail[128];      /* what c-ares said, or how we waited */
};

typedef void (*resolve_cb)(const struct resolve_answer *a, void *arg);

/* `servers`: NULL for /etc/resolv.conf, or "IP[:PORT],[IPv6]:PORT,...".
 * A bad entry is reported by position and reason; returns NULL then. */
struct resolve *resolve_new(struct loop *l, const char *servers,
			    struct diag *errs);
/* Cancels every waiter without calling back, then frees. */
void resolve_free(struct resolve *r);

/* Names not looked up for this long are dropped (default: 5 min). The
 * engine passes its longest interval plus timeout: a name a scheduled
 * check uses is never dropped between its checks. */
void resolve_set_idle_limit(struct resolve *r, int64_t ms);

/* Looks `host` up. When the answer is cached (or the host is an IP
 * literal, or under .invalid) fills *now_answer and returns true: no
 * callback. Otherwise returns false and calls cb exactly once later: with
 * the answer, or timed_out when deadline_ms (monotonic) passes first.
 * *waiter identifies the wait for resolve_cancel. */
bool resolve_lookup(struct resolve *r, const char *host, int64_t deadline_ms,
		    resolve_cb cb, void *arg, struct resolve_answer *now_answer,
		    uint64_t *waiter);
/* Forgets a wait: its callback will not run. */
void resolve_cancel(struct resolve *r, uint64_t waiter);

/* ---- servers asked directly: DNS checks, Gatus' dns-resolver ---------- */

/* A DNS server given by a target rather than by --dns-server or
 * /etc/resolv.conf: "IP", "IP:PORT", "[IPv6]:PORT" (port 53 by default),
 * optionally "udp://" or "tcp://" (then over TCP). Its c-ares channels
 * (one per per-try timeout, for lookups and for checks apart) are made
 * when first used; c-ares reads no file for them. The same text gives the
 * same handle, which lives as long as r. NULL with the reason in err. */
struct resolve_server;
struct resolve_server *resolve_server(struct resolve *r, const char *spec, char *err,
				      size_t elen);
/* "127.0.0.1:5353", for messages. */
const char *resolve_server_name(const struct resolve_server *s);

/* resolve_lookup through s (NULL: the configured servers); answers are
 * cached apart per server. The hosts file is not read for s (it was asked
 * for by name). */
bool resolve_lookup_at(struct resolve *r, struct resolve_server *s, const char *host,
		       int64_t deadline_ms, resolve_cb cb, void *arg,
		       struct resolve_answer *now_answer, uint64_t *waiter);

/* The outcome of one query. */
struct resolve_reply {
	bool answered;         /* the server answered: rcode and body hold */
	bool timed_out;        /* the deadline came first, or every try was lost */
	bool refused;          /* nothing listens there (ICMP port unreachable,
				* a TCP reset) */
	bool malformed;        /* an answer that does not parse */
	int rcode;             /* the answer header's (0..15) */
	unsigned answers;      /* records in the answer section */
	const char *body;      /* the answers as Gatus' [BODY] has them (valid
				* during the callback): the last record's data,
				* TXT records joined by newlines, names with
				* their final dot; "" when none */
	size_t body_len;
	char err[160];         /* when not answered: what went wrong */
	char detail[128];      /* what c-ares said, or how we waited */
};

typedef void (*resolve_reply_cb)(const struct resolve_reply *a, void *arg);

/* Sends one query for `name` of `type` (A, AAAA, CNAME, MX, NS, TXT, SOA,
 * PTR, SRV) to s, recursion desired, as Gatus sends it: never cached. A
 * lost datagram is retried within the time left (the ladder above, with
 * one server); SERVFAIL, NXDOMAIN, REFUSED... are answers. Returns true
 * with *now filled when it ended inside the call (a bad name, no socket);
 * otherwise calls cb exactly once, later, with the answer, or timed_out
 * when deadline_ms passes first. *waiter is for resolve_cancel. O(answer
 * size) to format the body. */
bool resolve_query(struct resolve *r, struct resolve_server *s, const char *name,
		   const char *type, int64_t deadline_ms, resolve_reply_cb cb, void *arg,
		   struct resolve_reply *now, uint64_t *waiter);

/* "c-ares/1.18.1", for --version. */
const char *resolve_version(void);

#endif
