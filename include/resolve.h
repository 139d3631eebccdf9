/* resolve.h - name -> addresses, on the loop's own fds (c-ares), with a
 * TTL cache. The only module that includes ares.h.
 *
 * libcurl's own resolver (threaded, in Debian's 7.88) joins its thread
 * when a lookup outlives the transfer, freezing the loop; so every name is
 * resolved here and handed to curl as CURLOPT_RESOLVE. Concurrent lookups
 * of one name share one query. Names under .invalid (RFC 6761) fail at
 * once without a query. */
#ifndef UPTOP_RESOLVE_H
#define UPTOP_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>
#include "diag.h"

struct loop;
struct resolve;

#define RESOLVE_ADDRS_LEN 256

/* Outcome of a lookup. On success `addrs` is a comma-separated address
 * list ("127.0.0.1,::1") ready for CURLOPT_RESOLVE; otherwise `err` says
 * what failed ("no such name", "server failure", "timed out after 2000
 * ms", ...). */
struct resolve_answer {
	bool ok;
	bool timed_out;
	char addrs[RESOLVE_ADDRS_LEN];
	char err[160];
};

typedef void (*resolve_cb)(const struct resolve_answer *a, void *arg);

/* `servers`: NULL for /etc/resolv.conf, or "IP[:PORT],..." */
struct resolve *resolve_new(struct loop *l, const char *servers,
			    struct diag *errs);
/* Cancels every waiter without calling back, then frees. */
void resolve_free(struct resolve *r);

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
