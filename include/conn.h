/* conn.h - TCP checks (tcp://HOST:PORT): a non-blocking connect on the
 * loop, and optionally bytes sent and a reply read, beside probe (which
 * stays the only curl user). Addresses come from resolve, through the
 * engine.
 *
 * A check connects to its addresses in order (the next after a refusal
 * or an unreachable one) within the time it has left. Connected, it is
 * up, unless it sends (send:) or expects (expect:): then it reads the
 * reply, bounded like a body (max_read), until the expected text is in
 * it (with expect:), or the first bytes came (send: alone, as Gatus reads
 * one reply), or the peer closed, or time ran out. Every check ends in
 * exactly one callback, never inside conn_start, with a struct result:
 *   refused, connect (unreachable...), connect_timeout, local (our fds):
 *     the connect failed ("127.0.0.1:22", as probe says it);
 *   timeout: connected, but no reply (or not the expected text) in time;
 *   reset: the peer closed or reset the connection before replying;
 *   body: the peer replied and closed (or max_read was read) without the
 *     expected text: `"SSH-2.0" not found in the reply (22 bytes read:
 *     "220 smtp.example ESMTP")`;
 *   none: up. connected is true when the connect (and the reply, if one
 *     was awaited) succeeded, as Gatus' [CONNECTED] reads it.
 * Timings: connect_ms (start to connected, every address tried), ttfb_ms
 * (request sent, or connected, to the first byte). remote_ip: the address
 * connected to, or the last one tried.
 *
 * Costs: one socket per check, O(log n) per deadline (a heap); reads are
 * bounded by max_read, the search for the expected text is O(bytes). */
#ifndef UPTOP_CONN_H
#define UPTOP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"

struct loop;
struct conn;
struct tcpx;

struct conn_req {
	const char *host;          /* as in the url, for messages ([v6] bracketed) */
	int port;
	const char *addrs;         /* resolve's "127.0.0.1,[::1]", tried in order */
	int64_t timeout_ms;        /* what is left of the check */
	const char *send;          /* sent once connected; NULL: nothing */
	const char *expect;        /* the reply must contain it; NULL: none */
	size_t max_read;           /* bytes of the reply read at most */
	bool capture;              /* keep the reply for conditions ([BODY]) */
};

/* Called once per check, on the loop; v holds the reply read (when
 * captured), valid during the call only. */
typedef void (*conn_done_cb)(void *arg, struct result *r, const struct resp_view *v,
			     void *user);

struct conn *conn_new(struct loop *l, conn_done_cb done, void *arg);
/* Closes every check in flight without a callback, then frees. */
void conn_free(struct conn *c);

/* Starts a check; `user` comes back in the callback. Returns a handle for
 * conn_cancel, or NULL with r filled when it could not start (local: no
 * address to try). */
struct tcpx *conn_start(struct conn *c, const struct conn_req *q, void *user,
			struct result *r);
/* Forgets a check without a callback and closes its socket. */
void conn_cancel(struct conn *c, struct tcpx *x);

#endif
