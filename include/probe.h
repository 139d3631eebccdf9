/* probe.h - HTTP(S) checks on libcurl's multi_socket API, driven by the
 * loop. The only module that includes curl.h.
 *
 * Each probe_start() adds one transfer; its sockets and curl's timer are
 * registered with the loop (CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION), and
 * curl_multi_socket_action touches only the sockets that fired. Every
 * transfer ends in exactly one callback with a filled struct result whose
 * cls is the transport outcome (verdict_apply adds status/body/latency).
 * Easy handles are pooled and reused, keeping the options every check
 * shares (a check's rare ones never reach the next: probe.c set_options);
 * connections are reused across rounds through the multi handle's cache
 * unless fresh_connection. */
#ifndef UPTOP_PROBE_H
#define UPTOP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"
#include "diag.h"

struct loop;
struct probe;
struct target_conf;

struct probe_req {
	const struct target_conf *conf;
	const char *url;          /* this hop (a redirect changes it) */
	const char *method;       /* this hop's method */
	bool send_body;           /* send conf->body */
	const char *host;         /* this hop's host as in the URL ([v6]) */
	int port;                 /* and its port */
	const char *addrs;        /* our resolver's "addr,addr", or NULL for
				   * an IP literal */
	int64_t timeout_ms;       /* what is left of the check's timeout */
	bool one_shot;            /* no next round: neither look for nor keep
				   * a connection to reuse */
	bool capture_body;        /* keep the body (up to max_body) for
				   * conditions and body regexes */
	const char *const *headers;   /* response header names to keep
				       * (lower-case), for [HEADER] */
	size_t nheaders;
};

/* Called once per finished transfer. `r` holds timings of this hop in
 * ms (dns_ms 0: DNS is the caller's), redirect_url is the absolute
 * Location of a 3xx answer ("" otherwise), and v what was captured
 * (capture_body, headers), valid during the call only. */
typedef void (*probe_done_cb)(void *arg, struct result *r,
			      const char *redirect_url,
			      const struct resp_view *v, void *user);

struct probe *probe_new(struct loop *l, size_t max_connections,
			probe_done_cb done, void *arg, struct diag *errs);
/* Aborts every transfer (no callbacks), then frees. */
void probe_free(struct probe *p);

/* Starts a transfer; `user` comes back in the callback. Returns a handle
 * for probe_cancel, or NULL with r filled (failed to start: EC_LOCAL).
 *
 * The addresses reach curl as the connection's "connect to" host: an
 * address list is part of the connection's identity, so when a name moves
 * the next check opens a new connection to the new address instead of
 * reusing one to the old (and curl's DNS cache only holds transient
 * entries, pruned after a minute).
 *
 * An https transfer's first steps (connect, TLS ClientHello: ~0.3 ms of
 * CPU on a new connection) run inside this call, and plain ones every 16
 * starts, so a caller that starts checks under a time budget pays for
 * them there instead of in one unbounded curl timer turn later. The
 * callback never runs inside it. */
struct xfer *probe_start(struct probe *p, const struct probe_req *q,
			 void *user, struct result *r);
/* Aborts one transfer without a callback. */
void probe_cancel(struct probe *p, struct xfer *x);

/* --- requests that are not checks (webhooks) -------------------------
 * The same multi handle, sockets and loop as the checks: never blocking.
 * A request ends in exactly one callback, from the loop (never from
 * inside probe_http). The response's status and first bytes are kept;
 * the rest of its body is read and dropped (at most 64 KiB). */
struct probe_http {
	const char *url;
	const char *method;               /* "POST", "GET", ... */
	const char *const *headers;       /* "Name: value" lines */
	size_t nheaders;
	const char *body;                 /* NULL: none */
	size_t body_len;
	int64_t timeout_ms;               /* the whole request */
	const char *host;                 /* the URL's host ([v6]) */
	int port;                         /* and its port */
	const char *addrs;                /* our resolver's "addr,addr", or
					   * NULL for an IP literal */
};

#define PROBE_HTTP_BODY_KEEP 200

struct probe_http_result {
	int http_status;                  /* 0: no HTTP answer */
	enum eclass cls;                  /* EC_NONE: an answer came (any status) */
	char msg[RESULT_MSG_LEN];         /* what failed, as a check's */
	char body[PROBE_HTTP_BODY_KEEP + 1];   /* the answer's first bytes, raw */
	double ms;
};

typedef void (*probe_http_cb)(void *arg, const struct probe_http_result *r);

/* Starts a request; a handle for probe_cancel, or NULL with *fail filled
 * (it could not start; no callback). */
struct xfer *probe_http(struct probe *p, const struct probe_http *q, probe_http_cb done,
			void *arg, struct probe_http_result *fail);

/* https transfers started in the last 50 ms whose connection is not up
 * yet (TCP + TLS): each is ~1 ms of CPU still to come, when the server's
 * reply arrives. Older ones are to slow or distant servers, whose replies
 * do not come in a burst. O(1) amortised. */
size_t probe_handshakes(struct probe *p);

/* Closes connections idle longer than `ms` (curl's MAXAGE_CONN; its
 * default is 118 s). The engine passes its longest interval plus timeout:
 * no connection a scheduled check could reuse is closed, and those to
 * names that change on every check (CDN edges) do not pile up. */
void probe_set_idle_limit(struct probe *p, int64_t ms);

/* Loads the CA store most of `targets` verify with (a ca_file, or the
 * system bundle) into the multi handle's cache now, before any check's
 * clock runs, instead of inside the first TLS check while every other
 * check on the loop waits (Debian's bundle: ~30 ms of CPU). Transfers that
 * verify with this CA source share the cached store until the next call;
 * the others load theirs per connection without evicting it. A handshake
 * to a listener of our own on 127.0.0.1 that goes no further does it.
 * Blocks for that long: call it at start-up and on reload (which so
 * re-reads the CA bundle) only. No-op when no target verifies https. */
void probe_warm_tls(struct probe *p, const struct target_conf *targets,
		    size_t n);

/* URL parts as curl parses them. host keeps IPv6 brackets. Returns 0, or
 * -1 with a message in err. */
int probe_url_parts(const char *url, char *scheme, size_t slen, char *host,
		    size_t hlen, int *port, char *err, size_t elen);

/* "libcurl/7.88.1 OpenSSL/3.0.19": libcurl and its TLS library, for
 * --version and the debug log. */
const char *probe_version(void);

#endif
