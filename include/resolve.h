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

/* "c-ares/1.18.1", for --version. */
const char *resolve_version(void);

#endif
