/* probe.c - libcurl multi_socket transfers on the loop. */
#include "probe.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "probe_priv.h"
#include "util.h"

#define NEEDLE_MAX 1024
#define PROBE_BUFFER 2048
/* Captured response headers ([HEADER] conditions): bytes kept at most. */
#define HEADERS_MAX 8192
/* A pooled transfer gives back a capture buffer larger than this. */
#define CAPTURE_KEEP (64 * 1024)
#define FIRST_BYTES 64            /* kept from an answer that is not HTTP */
#define QUOTE_COLS 40             /* of which this much is quoted */
#define ADDR_HOST_LEN 64
#define DNS_CACHE_S 2L
#define URL_TTL_DEFAULT_MS 3600000   /* a parsed URL asked for within */
#define HANDSHAKE_YOUNG_US 50000
#define KICK_BATCH 16             /* plain starts run by curl per kick */
#define WHERE_LEN 176             /* "host:port (ip)", cut */
#define RESOLVE_LINE_LEN (ADDR_HOST_LEN + 512)
#define HET_DEFAULT_MS 200L       /* libcurl's CURLOPT_HAPPY_EYEBALLS_TIMEOUT_MS */
#define CA_CACHE_DEFAULT_S 86400L /* libcurl's CURLOPT_CA_CACHE_TIMEOUT */

struct xfer {
	struct probe *p;
	CURL *easy;
	void *user;
	struct xfer *next_free;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	struct curl_slist *connect_to;
	struct probe_url *url;    /* the target's URL, parsed once; held */
	const char *needle;       /* body_contains, or NULL */
	size_t needle_len;
	char *tail;               /* last needle_len-1 bytes seen; only with a needle */
	size_t tail_len, tail_cap;
	uint64_t bytes;
	int64_t max_body;
	bool capture;             /* keep the body in body[] */
	char *body;               /* only for targets whose conditions read it */
	size_t body_len, body_cap;
	const char *const *want;  /* header names to keep, lower-case */
	size_t nwant;
	char *hdrs;               /* "Name: value\n" lines, at most HEADERS_MAX */
	size_t hdrs_len, hdrs_cap;
	int64_t start_us;         /* handed to curl */
	int64_t tcp_us;           /* curl first waited to read: TCP is up */
	const char *host;         /* the caller's, valid until the callback */
	int port;
	bool found, capped, active;
	bool https;
	bool not_http;            /* the answer had no status line */
	bool handshaking;         /* in p's list of young handshakes */
	bool has_cert;            /* https: the connection's certificates */
	/* p->gen while easy holds set_base's options (see set_options);
	 * anything else: it is reset before its next check. */
	unsigned gen;
	unsigned undo;            /* UNDO_*: rare options its last check set */
	struct probe_cert cert;
	struct xfer *hs_prev, *hs_next;
	size_t nfirst;
	unsigned char first[FIRST_BYTES];
	char errbuf[CURL_ERROR_SIZE];
	probe_http_cb http_done;  /* a request that is not a check */
	void *http_arg;
};

struct probe {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer;
	struct loop_timer drain;  /* reports what a kick in probe_start ended */
	probe_done_cb done;
	void *arg;
	struct xfer *free_list;
	struct xfer **all;        /* every xfer ever made, for teardown */
	size_t nall, capall;
	long max_idle_s;          /* CURLOPT_MAXAGE_CONN; 0: curl's default */
	unsigned gen;             /* of set_base's options; never 0 */
	struct curl_slist *std_headers;   /* User-Agent, Accept-Encoding */
	size_t handshakes;        /* young https starts not past TLS yet */
	unsigned unkicked;        /* plain starts since the last kick */
	struct xfer *hs_head, *hs_tail;   /* ... oldest first */
	bool ca_warm;             /* probe_warm_tls ran: ca_cached is valid */
	char *ca_cached;          /* its CA file; NULL: the system bundle */
	/* curl's built-in CA file (NULL: none), what a target's ca_file is
	 * put back to; ca_undo: curl can say it (7.84 and later) */
	char *ca_default;
	bool ca_undo;
	struct probe_certs *certs;   /* per TLS connection, read once */
	struct probe_urls *urls;     /* per target URL, parsed once */
};

static void drain_done(struct probe *p);

/* curl_multi_socket_action fails only on our misuse or its own trouble
 * (a socket it no longer knows, out of memory): nothing a target did, so
 * it goes to the debug log; the transfers concerned still end through
 * their own timeouts. */
static void run_action(struct probe *p, curl_socket_t fd, int flags)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(p->multi, fd, flags, &running);

	if (mc != CURLM_OK)
		log_debug("probe: curl_multi_socket_action(fd %d, flags %d): %d %s",
			  (int)fd, flags, (int)mc, curl_multi_strerror(mc));
}

static void socket_action(struct probe *p, curl_socket_t fd, int flags)
{
	run_action(p, fd, flags);
	drain_done(p);
}

/* --- the loop's side ----------------------------------------------- */

static void on_sock(int fd, short revents, void *arg)
{
	struct probe *p = arg;
	int flags = 0;

	/* An error or hangup is handed to curl as readable and writable, not
	 * as CURL_CSELECT_ERR: its recv/send/connect then sees the socket's
	 * real errno (ECONNRESET, ECONNREFUSED, ...), which classifies the
	 * failure, instead of a bare "select/poll returned error". */
	if (revents & (POLLIN | POLLHUP | POLLERR))
		flags |= CURL_CSELECT_IN;
	if (revents & (POLLOUT | POLLERR))
		flags |= CURL_CSELECT_OUT;
	if (revents & POLLNVAL)
		flags |= CURL_CSELECT_ERR;
	socket_action(p, fd, flags);
}

static int on_curl_socket(CURL *e, curl_socket_t s, int what, void *userp,
			  void *socketp)
{
	struct probe *p = userp;

	(void)socketp;
	/* REMOVE may also mean "not now": curl re-adds when it wants it. */
	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(p->loop, s);
		return 0;
	}
	/* libcurl 7.88 reports CONNECT_TIME only once TLS is done too; the
	 * first time it waits to read, TCP is up (and the request or the
	 * ClientHello is out). That dates the connect of a check that then
	 * fails in the TLS handshake. */
	if (what & CURL_POLL_IN) {
		struct xfer *x = NULL;

		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		if (x && !x->tcp_us)
			x->tcp_us = mono_us();
	}
	loop_fd_set(p->loop, s,
		    (short)((what & CURL_POLL_IN ? POLLIN : 0) |
			    (what & CURL_POLL_OUT ? POLLOUT : 0)),
		    on_sock, p);
	return 0;
}

/* curl gives a delay relative to now: keep the absolute deadline, or a
 * loop that reuses the relative value fires timeouts late. */
static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct probe *p = userp;

	(void)m;
	if (timeout_ms < 0)
		loop_timer_disarm(&p->timer);
	else
		loop_timer_arm(&p->timer, mono_ms() + timeout_ms);
	return 0;
}

static void on_timer(void *arg)
{
	socket_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void on_drain(void *arg)
{
	drain_done(arg);
}

/* Handshakes under way, oldest first: O(1) to add and remove. */
static void handshake_begin(struct xfer *x)
{
	struct probe *p = x->p;

	x->handshaking = true;
	x->hs_next = NULL;
	x->hs_prev = p->hs_tail;
	if (p->hs_tail)
		p->hs_tail->hs_next = x;
	else
		p->hs_head = x;
	p->hs_tail = x;
	p->handshakes++;
}

static void handshake_over(struct xfer *x)
{
	struct probe *p = x->p;

	if (!x->handshaking)
		return;
	x->handshaking = false;
	if (x->hs_prev)
		x->hs_prev->hs_next = x->hs_next;
	else
		p->hs_head = x->hs_next;
	if (x->hs_next)
		x->hs_next->hs_prev = x->hs_prev;
	else
		p->hs_tail = x->hs_prev;
	p->handshakes--;
}

/* The connection is up (TLS done, or reused) and the request is about
 * to go: the CPU-heavy part of an https start is behind it, and its
 * certificates can be read (once per connection: probe_cert.c). */
static int on_prereq(void *clientp, char *ip, char *local_ip, int port,
		     int local_port)
{
	struct xfer *x = clientp;
	long fresh = 0;

	(void)ip;
	(void)local_ip;
	(void)port;
	handshake_over(x);
	if (x->https) {
		curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &fresh);
		x->has_cert = probe_certs_get(x->p->certs, x->easy, local_port, fresh > 0,
					      x->p->max_idle_s * 1000, &x->cert);
	}
	return CURL_PREREQFUNC_OK;
}

/* --- body ---------------------------------------------------------- */

/* Finds the needle across chunk boundaries: the last needle_len-1 bytes
 * of earlier chunks are joined with the head of this one. */
static void body_search(struct xfer *x, const char *data, size_t n)
{
	size_t k = x->needle_len, head, keep;
	char join[2 * NEEDLE_MAX];

	if (x->found || !x->needle)
		return;
	head = n < k - 1 ? n : k - 1;
	memcpy(join, x->tail, x->tail_len);
	memcpy(join + x->tail_len, data, head);
	if (memmem(join, x->tail_len + head, x->needle, k) ||
	    memmem(data, n, x->needle, k)) {
		x->found = true;
		return;
	}
	keep = k - 1;
	if (n >= keep) {
		memcpy(x->tail, data + n - keep, keep);
		x->tail_len = keep;
	} else {
		size_t drop = x->tail_len + n > keep ? x->tail_len + n - keep : 0;

		memmove(x->tail, x->tail + drop, x->tail_len - drop);
		x->tail_len -= drop;
		memcpy(x->tail + x->tail_len, data, n);
		x->tail_len += n;
	}
}

/* Bounded by max_body through on_body's room. */
static void body_keep(struct xfer *x, const char *data, size_t n)
{
	if (!x->capture || !n)
		return;
	x->body = xreallocarray_grow(x->body, &x->body_cap, x->body_len + n + 1, 1);
	memcpy(x->body + x->body_len, data, n);
	x->body_len += n;
	x->body[x->body_len] = '\0';
}

/* HTTP/0.9 is allowed so that an answer without a status line reaches
 * us as a body: its first bytes say which service answered ("SSH-2.0-").
 * Stop there; it is a failure (not_http). */
static bool stop_not_http(struct xfer *x, const char *data, size_t n)
{
	long code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 0)
		return false;
	x->not_http = true;
	x->nfirst = n < FIRST_BYTES ? n : FIRST_BYTES;
	memcpy(x->first, data, x->nfirst);
	return true;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb, room;

	if (x->bytes == 0 && stop_not_http(x, data, n))
		return 0;

	room = x->bytes < (uint64_t)x->max_body ?
		       (size_t)((uint64_t)x->max_body - x->bytes) : 0;
	if (n > room) {
		body_search(x, data, room);
		body_keep(x, data, room);
		x->bytes += room;
		x->capped = true;
		return 0;   /* stop reading: not an error unless a body check needed more */
	}
	body_search(x, data, n);
	body_keep(x, data, n);
	x->bytes += n;
	return n;
}

/* Keeps the lines of the wanted headers of the last response (a status
 * line starts a new one: 1xx answers come first). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb, len = n;

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		x->hdrs_len = 0;
		return n;
	}
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < x->nwant; i++) {
		size_t k = strlen(x->want[i]);

		if (len > k && data[k] == ':' && strncasecmp(data, x->want[i], k) == 0 &&
		    x->hdrs_len + len + 2 <= HEADERS_MAX) {
			x->hdrs = xreallocarray_grow(x->hdrs, &x->hdrs_cap,
						     x->hdrs_len + len + 2, 1);
			memcpy(x->hdrs + x->hdrs_len, data, len);
			x->hdrs_len += len;
			x->hdrs[x->hdrs_len++] = '\n';
			x->hdrs[x->hdrs_len] = '\0';
			break;
		}
	}
	return n;
}

/* --- classification ------------------------------------------------ */
/* One rule (result.h): r->msg is our phrasing of what happened and where,
 * r->detail what libcurl said. Messages name the place a check failed:
 * the address it could not reach, the phase it timed out in, how much of
 * the answer had arrived. */

static double us_to_ms(curl_off_t us)
{
	return (double)us / 1000.0;
}

/* curl's phase clocks, plus our own date for "TCP is up" when curl has
 * none (a new connection that failed before TLS completed). */
static void fill_timings(struct xfer *x, bool failed, struct result *r)
{
	CURL *e = x->easy;
	curl_off_t nl = 0, co = 0, ap = 0, pre = 0, st = 0, tot = 0;

	curl_easy_getinfo(e, CURLINFO_NAMELOOKUP_TIME_T, &nl);
	curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &co);
	curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &ap);
	curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &st);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &tot);
	r->t.connect_ms = co > nl ? us_to_ms(co - nl) : 0;
	r->t.tls_ms = ap > co ? us_to_ms(ap - co) : 0;
	r->t.ttfb_ms = st > pre ? us_to_ms(st - pre) : 0;
	r->t.total_ms = us_to_ms(tot);
	if (failed && co == 0 && x->tcp_us) {
		long fresh = 0;

		curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &fresh);
		if (fresh > 0) {
			r->t.connect_ms = (double)(x->tcp_us - x->start_us) / 1000.0;
			if (x->https && ap == 0 && r->t.total_ms > r->t.connect_ms)
				r->t.tls_ms = r->t.total_ms - r->t.connect_ms;
		}
	}
}

/* "127.0.0.1:8080", or "api.example.com:443 (10.0.0.7)" for a name. */
static void format_where(const struct xfer *x, const char *ip, char *buf,
			 size_t len)
{
	result_where(buf, len, x->host, x->port, ip);
}

/* Where in the answer a transfer stopped: "after 200 and 1,234 body
 * bytes", "after 200 and 20 of 100 body bytes", "before any answer". */
static void format_progress(const struct xfer *x, int code, char *buf,
			    size_t len)
{
	curl_off_t declared = -1;
	char got[32], of[40] = "";

	if (code <= 0) {
		snprintf(buf, len, "before any answer");
		return;
	}
	result_group_digits(got, sizeof(got), x->bytes);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &declared);
	if (declared >= 0 && (uint64_t)declared != x->bytes) {
		char d[32];

		result_group_digits(d, sizeof(d), (uint64_t)declared);
		snprintf(of, sizeof(of), " of %s", d);
	}
	snprintf(buf, len, "after %d and %s%s body byte%s", code, got, of,
		 declared == 1 || (declared < 0 && x->bytes == 1) ? "" : "s");
}

/* Which phase a timed-out transfer was in, from curl's phase clocks and
 * our own "TCP is up". */
static enum eclass timeout_phase(const struct xfer *x, const char **phase)
{
	curl_off_t co = 0, ap = 0, pre = 0, st = 0;

	curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &co);
	curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &ap);
	curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(x->easy, CURLINFO_STARTTRANSFER_TIME_T, &st);
	if (st > 0) {
		*phase = "receiving the body";
		return EC_TIMEOUT;
	}
	if (pre > 0) {
		*phase = "waiting for the response";
		return EC_TIMEOUT;
	}
	if (x->https && ap == 0 && (co > 0 || x->tcp_us)) {
		*phase = "during the TLS handshake";
		return EC_TIMEOUT;
	}
	*phase = "connecting to";
	return EC_CONNECT_TIMEOUT;
}

static void timeout_message(struct xfer *x, int code, const char *ip,
			    struct result *r)
{
	const char *phase;
	char where[WHERE_LEN], prog[96];

	r->cls = timeout_phase(x, &phase);
	if (r->cls == EC_CONNECT_TIMEOUT) {
		format_where(x, ip, where, sizeof(where));
		snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms %s %s",
			 r->t.total_ms, phase, where);
	} else if (code > 0) {
		format_progress(x, code, prog, sizeof(prog));
		snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms %s (%s)",
			 r->t.total_ms, phase, prog);
	} else {
		snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms %s",
			 r->t.total_ms, phase);
	}
}

static void connect_message(struct xfer *x, long os_errno, const char *ip,
			    struct result *r)
{
	char where[WHERE_LEN];

	format_where(x, ip, where, sizeof(where));
	result_connect_error(r, (int)os_errno, where);
}

static void tls_message(struct xfer *x, CURLcode rc, const char *text,
			struct result *r)
{
	long vr = 0;

	r->cls = EC_TLS;
	if (rc == CURLE_SSL_CACERT_BADFILE) {
		snprintf(r->msg, sizeof(r->msg), "cannot load the CA certificates");
		return;
	}
	if (rc == CURLE_PEER_FAILED_VERIFICATION)
		curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &vr);
	result_tls_words(r->msg, sizeof(r->msg), vr, text, x->host);
}

/* Cut or broken answers: say what broke and how far the answer got. */
static void answer_message(struct xfer *x, CURLcode rc, long os_errno,
			   int code, const char *text, struct result *r)
{
	char prog[96];

	format_progress(x, code, prog, sizeof(prog));
	switch (rc) {
	case CURLE_GOT_NOTHING:
		r->cls = EC_RESET;
		snprintf(r->msg, sizeof(r->msg), "connection closed without a reply");
		return;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (os_errno == ECONNRESET || os_errno == EPIPE) {
			r->cls = EC_RESET;
			snprintf(r->msg, sizeof(r->msg), "connection reset %s", prog);
		} else if (strstr(text, "chunk")) {
			r->cls = EC_PROTOCOL;
			snprintf(r->msg, sizeof(r->msg), "bad chunked encoding %s", prog);
		} else {
			r->cls = EC_PROTOCOL;
			snprintf(r->msg, sizeof(r->msg), "%s failed %s",
				 rc == CURLE_SEND_ERROR ? "sending" : "receiving", prog);
		}
		return;
	case CURLE_PARTIAL_FILE:
		r->cls = EC_PROTOCOL;
		snprintf(r->msg, sizeof(r->msg), "connection closed %s", prog);
		return;
	case CURLE_WEIRD_SERVER_REPLY:
		r->cls = EC_PROTOCOL;
		if (strstr(text, "Content-Length"))
			/* libcurl 7.88 rejects it before any callback sees the
			 * line: its value cannot be quoted. */
			snprintf(r->msg, sizeof(r->msg),
				 "invalid Content-Length (negative or not a number) after %d",
				 code);
		else
			snprintf(r->msg, sizeof(r->msg), "malformed HTTP answer %s", prog);
		return;
	case CURLE_BAD_CONTENT_ENCODING:
		r->cls = EC_PROTOCOL;
		snprintf(r->msg, sizeof(r->msg), "bad Content-Encoding %s", prog);
		return;
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		r->cls = EC_PROTOCOL;
		snprintf(r->msg, sizeof(r->msg), "HTTP/2 or HTTP/3 error %s", prog);
		return;
	case CURLE_OUT_OF_MEMORY:
		/* libcurl 7.88 reports a header line over its 100 KiB limit as
		 * "out of memory". Once a status line has arrived that is the
		 * server's doing: a real allocation failure of ours would have
		 * ended uptop already. */
		if (code > 0) {
			r->cls = EC_PROTOCOL;
			snprintf(r->msg, sizeof(r->msg),
				 "response headers too large (a line over 100 KiB) after %d",
				 code);
			r->detail[0] = '\0';
		} else {
			r->cls = EC_LOCAL;
			snprintf(r->msg, sizeof(r->msg), "uptop is out of memory");
		}
		return;
	default:
		r->cls = EC_PROTOCOL;
		snprintf(r->msg, sizeof(r->msg), "protocol error %s", prog);
		return;
	}
}

static void fill_result(struct xfer *x, CURLcode rc, struct result *r)
{
	CURL *e = x->easy;
	long code = 0, os_errno = 0;
	char *ip = NULL, *eff = NULL;
	const char *text;

	/* Stopping at max_body is ours, not a failure. */
	if (rc == CURLE_WRITE_ERROR && x->capped)
		rc = CURLE_OK;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
	fill_timings(x, rc != CURLE_OK || x->not_http, r);
	r->http_status = (int)code;     /* a status line that arrived stays */
	r->bytes = x->bytes;
	r->body_found = x->found;
	r->body_truncated = x->capped;
	str_copy(r->remote_ip, sizeof(r->remote_ip), ip);
	str_copy(r->effective_url, sizeof(r->effective_url), eff);
	if (x->has_cert)
		probe_cert_fill(&x->cert, r);
	if (x->not_http) {
		char q[QUOTE_COLS + 8];

		result_quote(q, sizeof(q), x->first, x->nfirst, QUOTE_COLS);
		r->cls = EC_PROTOCOL;
		r->bytes = 0;
		snprintf(r->msg, sizeof(r->msg), "not HTTP: got \"%s\"", q);
		snprintf(r->detail, sizeof(r->detail),
			 "the answer has no HTTP status line");
		return;
	}
	if (rc == CURLE_OK) {
		r->cls = EC_NONE;
		return;
	}
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
	text = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	if (os_errno && !strstr(text, strerror((int)os_errno)))
		snprintf(r->detail, sizeof(r->detail), "%.190s (%.60s)", text,
			 strerror((int)os_errno));
	else
		snprintf(r->detail, sizeof(r->detail), "%s", text);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		timeout_message(x, (int)code, ip, r);
		return;
	case CURLE_COULDNT_CONNECT:
		connect_message(x, os_errno, ip, r);
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		r->cls = EC_DNS;
		snprintf(r->msg, sizeof(r->msg), "cannot resolve '%s'",
			 x->host ? x->host : "?");
		return;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_INITFAILED:
		tls_message(x, rc, text, r);
		return;
	case CURLE_URL_MALFORMAT:
		r->cls = EC_PROTOCOL;
		snprintf(r->msg, sizeof(r->msg), "bad URL");
		return;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_RANGE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		answer_message(x, rc, os_errno, (int)code, text, r);
		return;
	default:
		r->cls = EC_INTERNAL;
		snprintf(r->msg, sizeof(r->msg), "transfer failed (libcurl error %d)",
			 (int)rc);
		return;
	}
}

/* --- transfers ----------------------------------------------------- */

static void xfer_release(struct probe *p, struct xfer *x)
{
	handshake_over(x);
	/* A pooled transfer keeps a small capture buffer, not a big one. */
	if (x->body_cap > CAPTURE_KEEP) {
		free(x->body);
		x->body = NULL;
		x->body_cap = 0;
	}
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->resolve);
	curl_slist_free_all(x->connect_to);
	x->headers = x->resolve = x->connect_to = NULL;
	probe_url_put(x->url);
	x->url = NULL;
	x->host = NULL;
	x->http_done = NULL;
	x->http_arg = NULL;
	x->active = false;
	x->user = NULL;
	x->next_free = p->free_list;
	p->free_list = x;
}

/* The raw codes behind a failed transfer, for the debug log (the result
 * keeps only their meaning). Host and port, not the URL: no credentials
 * in the log. */
static void log_failure(struct xfer *x, CURLcode rc, const struct result *r)
{
	char *url = NULL, scheme[16], host[256], err[64];
	long os_errno = 0;
	int port = 0;
	const char *cls = eclass_name(r->cls);

	curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &url);
	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (!url || probe_url_parts(url, scheme, sizeof(scheme), host,
				    sizeof(host), &port, err, sizeof(err)) != 0)
		snprintf(host, sizeof(host), "?");
	log_write("probe: %s:%d: curl code %d (%s), os errno %ld -> %s", host,
		  port, (int)rc, curl_easy_strerror(rc), os_errno,
		  cls ? cls : "ok");
}

/* A request that is not a check: its status and first bytes. */
static void http_finish(struct probe *p, struct xfer *x, CURLcode rc)
{
	struct probe_http_result hr;
	struct result r;
	probe_http_cb done = x->http_done;
	void *arg = x->http_arg;

	memset(&r, 0, sizeof(r));
	memset(&hr, 0, sizeof(hr));
	fill_result(x, rc, &r);
	hr.http_status = r.http_status;
	hr.cls = r.cls;
	hr.ms = r.t.total_ms;
	snprintf(hr.msg, sizeof(hr.msg), "%s", r.msg);
	if (x->body_len)
		snprintf(hr.body, sizeof(hr.body), "%.*s",
			 (int)(x->body_len < PROBE_HTTP_BODY_KEEP ?
			       x->body_len : PROBE_HTTP_BODY_KEEP), x->body);
	if (rc != CURLE_OK && log_enabled())
		log_failure(x, rc, &r);
	curl_multi_remove_handle(p->multi, x->easy);
	x->active = false;
	done(arg, &hr);
	xfer_release(p, x);
}

static void drain_done(struct probe *p)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(p->multi, &left))) {
		struct xfer *x = NULL;
		struct result r;
		struct resp_view v = { 0 };
		char *redir = NULL, *redirect = NULL;
		void *user;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (!x)
			continue;
		if (x->http_done) {
			http_finish(p, x, m->data.result);
			continue;
		}
		memset(&r, 0, sizeof(r));
		fill_result(x, m->data.result, &r);
		if (m->data.result != CURLE_OK && log_enabled())
			log_failure(x, m->data.result, &r);
		if (r.cls == EC_NONE && r.http_status >= 300 && r.http_status < 400 &&
		    curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &redir) ==
			    CURLE_OK && redir)
			redirect = xstrdup(redir);   /* whole: never follow a cut URL */
		curl_multi_remove_handle(p->multi, x->easy);
		user = x->user;
		if (x->capture) {
			v.body = x->body ? x->body : "";
			v.body_len = x->body_len;
		}
		if (x->nwant) {
			v.headers = x->hdrs ? x->hdrs : "";
			v.headers_len = x->hdrs_len;
		}
		/* The view points into x: release it after the callback (which
		 * may start transfers, but never on this inactive one). Its
		 * handshake, if still counted, is over: the callback's starts
		 * must not wait for it. */
		x->active = false;
		handshake_over(x);
		p->done(p->arg, &r, redirect ? redirect : "", &v, user);
		xfer_release(p, x);
		free(redirect);
	}
}

static struct xfer *xfer_get(struct probe *p)
{
	struct xfer *x = p->free_list;

	if (x) {
		p->free_list = x->next_free;
	} else {
		x = xcalloc(1, sizeof(*x));
		x->easy = curl_easy_init();
		if (!x->easy) {
			free(x);
			return NULL;
		}
		x->p = p;
		p->all = xreallocarray_grow(p->all, &p->capall, p->nall + 1,
					    sizeof(*p->all));
		p->all[p->nall++] = x;
	}
	x->next_free = NULL;
	x->bytes = 0;
	x->found = x->capped = x->not_http = false;
	x->tail_len = 0;
	x->body_len = x->hdrs_len = 0;
	x->tcp_us = 0;
	x->has_cert = false;
	x->nfirst = 0;
	x->errbuf[0] = '\0';
	return x;
}

/* The target's headers, then each of std_headers it does not set itself.
 * Returns whether it set a list: a rare option (set_options). */
static bool set_headers(struct xfer *x, const struct target_conf *c)
{
	if (!c->nheaders)
		return false;
	for (size_t i = 0; i < c->nheaders; i++) {
		char *h;

		/* "Name:" alone would remove a header; "Name;" sends it empty. */
		if (c->headers[i].value[0])
			h = xasprintf("%s: %s", c->headers[i].name,
				      c->headers[i].value);
		else
			h = xasprintf("%s;", c->headers[i].name);
		x->headers = curl_slist_append(x->headers, h);
		free(h);
	}
	for (const struct curl_slist *s = x->p->std_headers; s; s = s->next) {
		size_t n = strcspn(s->data, ":");
		bool own = false;

		for (size_t i = 0; i < c->nheaders && !own; i++)
			own = strlen(c->headers[i].name) == n &&
			      strncasecmp(s->data, c->headers[i].name, n) == 0;
		if (!own)
			x->headers = curl_slist_append(x->headers, s->data);
	}
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
	return true;
}

/* Returns whether it set anything: a plain GET sets nothing (set_options). */
static bool set_method(struct xfer *x, const struct probe_req *q)
{
	const struct target_conf *c = q->conf;
	CURL *e = x->easy;
	bool posting = q->send_body && c->body;

	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return true;
	}
	if (posting) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(c->body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	}
	/* A body makes curl send POST: any other method (a GET with a body,
	 * as Gatus sends one) is named. */
	if (strcmp(q->method, posting ? "POST" : "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
		return true;
	}
	return posting;
}

static bool same_ca(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* The store probe_warm_tls loaded stays cached for good (-1) for the
 * transfers that verify with the same CA source; the others load theirs
 * per connection (0) instead of evicting it: libcurl caches one store.
 * Set on every check (curl's default when neither): a reused handle
 * keeps what its last check set. */
static void set_ca_cache(struct xfer *x, const struct target_conf *c)
{
	long age = CA_CACHE_DEFAULT_S;

	if (x->p->ca_warm && c->verify_tls)
		age = same_ca(x->p->ca_cached, c->ca_file) ? -1L : 0L;
	curl_easy_setopt(x->easy, CURLOPT_CA_CACHE_TIMEOUT, age);
}

/* IPv6 and IPv4 in one list ("[::1],127.0.0.1"): happy eyeballs races them. */
static bool mixed_families(const char *addrs)
{
	bool v6 = false, v4 = false;

	for (const char *a = addrs; *a; a++) {
		if (a == addrs || a[-1] == ',') {
			if (*a == '[')
				v6 = true;
			else
				v4 = true;
		}
	}
	return v6 && v4;
}

/* Our resolver's answer reaches curl as the "connect to" host, which is
 * part of a connection's identity in curl's connection cache (a resolve
 * entry is not): a check after the name moved cannot reuse a connection
 * to the old address. The connect-to name stands for (host, addresses):
 * curl groups connections by it and walks the whole group looking for
 * one to reuse, polling each idle one, so one group per host keeps that
 * walk short. A transient CURLOPT_RESOLVE entry ("+") gives its addresses;
 * curl's DNS cache forgets it after DNS_CACHE_S (curl prunes the whole
 * cache after every transfer, so it must stay small). The Host header,
 * SNI and the certificate check still use the URL's host. Without
 * addresses (an IP literal) both lists are cleared: a reused handle may
 * still point at its last check's, freed by xfer_release. */
static void set_connect_to(struct xfer *x, const char *host, int port, const char *addrs)
{
	char buf[RESOLVE_LINE_LEN], name[ADDR_HOST_LEN];

	if (addrs) {
		snprintf(name, sizeof(name), "h%016llx.uptop.invalid",
			 (unsigned long long)(hash_fnv1a(host) ^ hash_fnv1a(addrs)));
		snprintf(buf, sizeof(buf), "+%s:%d:%s", name, port, addrs);
		x->resolve = curl_slist_append(NULL, buf);
		snprintf(buf, sizeof(buf), "::%s", name);
		x->connect_to = curl_slist_append(NULL, buf);
	}
	curl_easy_setopt(x->easy, CURLOPT_RESOLVE, x->resolve);
	curl_easy_setopt(x->easy, CURLOPT_CONNECT_TO, x->connect_to);
}

/* What every request of a handle sets: where, how long, and the address
 * curl connects to. */
static void set_request(struct xfer *x, const char *url, long tmo, const char *host,
			int port, const char *addrs)
{
	CURL *e = x->easy;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	set_connect_to(x, host, port, addrs);
	/* curl arms a happy-eyeballs timer (200 ms) on every new connection,
	 * even with one address family to try. When it fires, curl runs the
	 * handshake steps of every connection whose timer expired inside
	 * whichever socket_action call comes next: 200 ms after a burst of
	 * TLS checks started that is one unbounded turn (measured: 290 ms
	 * for 2,000 fresh handshakes). With one family there is nothing to
	 * race: push it past the transfer's timeout. With both, curl's own
	 * (set again: a reused handle keeps its last check's). */
	curl_easy_setopt(e, CURLOPT_HAPPY_EYEBALLS_TIMEOUT_MS,
			 addrs && mixed_families(addrs) ? HET_DEFAULT_MS : tmo);
}

/* The options checks and webhooks share, on a handle just reset. */
static void set_common(struct xfer *x)
{
	CURL *e = x->easy;

	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, x);
	/* We follow redirects ourselves: each hop's name goes through our
	 * resolver, and only http/https are ever followed. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* Checks and webhooks go to the target itself, never through an env
	 * proxy. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	/* A CA directory disables libcurl's CA-store cache: every new TLS
	 * connection would re-parse the whole store (~16 ms of CPU). */
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	/* Entries live from this transfer's start to its connect, within one
	 * call (time() has 1 s steps: 2 s is the safe minimum). */
	curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, DNS_CACHE_S);
}

/* The options every check of this probe shares, on a handle just reset:
 * set once per handle, not per check (a reset and these cost more CPU
 * than the rest of a keep-alive check's own work: the reset frees and
 * copies every default string again, ACCEPT_ENCODING "" formats curl's
 * list of encodings). */
static void set_base(struct xfer *x)
{
	CURL *e = x->easy;

	set_common(x);
	/* 10,000 transfers at once: a small receive buffer each keeps RSS
	 * down (curl's default is 16 KiB, its minimum 1 KiB); checks read
	 * little. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)PROBE_BUFFER);
	/* "" is what makes curl decode an answer in any encoding it knows;
	 * the header that asks for them is in std_headers. */
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->p->std_headers);
	/* An answer without a status line comes to on_body, which quotes it. */
	curl_easy_setopt(e, CURLOPT_HTTP09_ALLOWED, 1L);
	if (x->p->max_idle_s)
		curl_easy_setopt(e, CURLOPT_MAXAGE_CONN, x->p->max_idle_s);
}

/* The rare options a check may set, each put back to what set_base left
 * before the handle's next check (undo_rare). */
enum {
	UNDO_HEADER_FN = 1 << 0,  /* header capture */
	UNDO_FRESH = 1 << 1,      /* FRESH_CONNECT, FORBID_REUSE */
	UNDO_HEADERS = 1 << 2,    /* the target's headers list */
	UNDO_METHOD = 1 << 3,     /* HEAD, a body, a custom method */
	UNDO_CA = 1 << 4,         /* the target's ca_file */
};

/* Costs a few setopt calls, where curl_easy_reset and set_base cost about
 * 9,000 instructions: a target with headers (an Authorization in
 * `defaults:`) pays no more per check than one without. */
static void undo_rare(struct xfer *x)
{
	CURL *e = x->easy;

	if (x->undo & UNDO_HEADER_FN) {
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, NULL);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, NULL);
	}
	if (x->undo & UNDO_FRESH) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 0L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 0L);
	}
	if (x->undo & UNDO_HEADERS)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->p->std_headers);
	if (x->undo & UNDO_METHOD) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1);
		/* GET again, and no longer HEAD (NOBODY) or a POST */
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	if (x->undo & UNDO_CA)
		curl_easy_setopt(e, CURLOPT_CAINFO, x->p->ca_default);
	x->undo = 0;
}

/* A handle keeps its options from one check to the next. The common ones
 * (set_base) are set once; every check sets those that vary from target
 * to target. The rare ones (header capture, request headers, a method or
 * body, a fresh connection) are set only when wanted and put back before
 * the handle's next check (undo_rare), so none leaks into another
 * target's check. A CA file is put back to curl's built-in one; a libcurl
 * too old to say which (before 7.84) resets the handle instead. */
static void set_options(struct xfer *x, const struct probe_req *q)
{
	const struct target_conf *c = q->conf;
	CURL *e = x->easy;
	long tmo = q->timeout_ms > 0 ? (long)q->timeout_ms : 1;

	if (x->gen != x->p->gen) {
		curl_easy_reset(e);
		set_base(x);
		x->gen = x->p->gen;
		x->undo = 0;
	} else if (x->undo) {
		undo_rare(x);
	}
	set_request(x, q->url, tmo, q->host, q->port, q->addrs);
	/* The target's own URL (not a redirect's) comes parsed: see
	 * probe_url.c. NULL puts back the string alone. */
	x->url = q->url == c->url ? probe_url_get(x->p->urls, q->url, mono_ms(),
						   x->p->max_idle_s ? x->p->max_idle_s * 1000 :
						   URL_TTL_DEFAULT_MS) : NULL;
	curl_easy_setopt(e, CURLOPT_CURLU, x->url ? probe_url_handle(x->url) : NULL);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->verify_tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->verify_tls ? 2L : 0L);
	set_ca_cache(x, c);
	if (x->nwant) {
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
		x->undo |= UNDO_HEADER_FN;
	}
	if (c->ca_file) {
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
		if (x->p->ca_undo)
			x->undo |= UNDO_CA;
		else
			x->gen = 0;
	}
	/* libcurl 7.88 walks every open connection of the host when a
	 * transfer starts and again when it is removed: with nothing to
	 * reuse (--once) that is O(n^2) for nothing. */
	if (c->fresh_connection || q->one_shot) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
		x->undo |= UNDO_FRESH;
	}
	if (set_headers(x, c))
		x->undo |= UNDO_HEADERS;
	if (set_method(x, q))
		x->undo |= UNDO_METHOD;
}

/* Lets curl run the transfers just added (connect, ClientHello) now,
 * inside the caller's budget. Whatever that ended is reported by the
 * drain timer from the loop, never from inside probe_start. */
static void kick(struct probe *p)
{
	p->unkicked = 0;
	run_action(p, CURL_SOCKET_TIMEOUT, 0);
	loop_timer_arm(&p->drain, mono_ms());
}

struct xfer *probe_start(struct probe *p, const struct probe_req *q,
			 void *user, struct result *r)
{
	struct xfer *x = xfer_get(p);
	CURLMcode mc;

	if (!x) {
		r->cls = EC_LOCAL;
		snprintf(r->msg, sizeof(r->msg), "cannot create a transfer");
		return NULL;
	}
	x->user = user;
	x->max_body = q->conf->max_body > 0 ? q->conf->max_body : CONFIG_DEFAULT_MAX_BODY;
	x->needle = q->conf->body_contains;
	x->needle_len = x->needle ? strlen(x->needle) : 0;
	if (x->needle_len == 0 || x->needle_len > NEEDLE_MAX)
		x->needle = NULL;
	/* Most checks have no body condition: no tail buffer for them. */
	if (x->needle && x->tail_cap < x->needle_len) {
		x->tail = xrealloc(x->tail, x->needle_len);
		x->tail_cap = x->needle_len;
	}
	x->capture = q->capture_body;
	x->want = q->headers;
	x->nwant = q->headers ? q->nheaders : 0;
	x->https = strncasecmp(q->url, "https:", 6) == 0;
	x->host = q->host;
	x->port = q->port;
	set_options(x, q);
	x->start_us = mono_us();
	mc = curl_multi_add_handle(p->multi, x->easy);
	if (mc != CURLM_OK) {
		r->cls = EC_LOCAL;
		snprintf(r->msg, sizeof(r->msg), "cannot start the transfer");
		snprintf(r->detail, sizeof(r->detail), "%s",
			 curl_multi_strerror(mc));
		xfer_release(p, x);
		return NULL;
	}
	x->active = true;
	if (x->https)
		handshake_begin(x);
	if (x->https || ++p->unkicked >= KICK_BATCH)
		kick(p);
	return x;
}

struct xfer *probe_http(struct probe *p, const struct probe_http *q, probe_http_cb done,
			void *arg, struct probe_http_result *fail)
{
	struct xfer *x = xfer_get(p);
	CURL *e;
	CURLMcode mc;
	long tmo = q->timeout_ms > 0 ? (long)q->timeout_ms : 1;

	memset(fail, 0, sizeof(*fail));
	if (!x) {
		fail->cls = EC_LOCAL;
		snprintf(fail->msg, sizeof(fail->msg), "cannot create a transfer");
		return NULL;
	}
	e = x->easy;
	x->http_done = done;
	x->http_arg = arg;
	x->max_body = 64 * 1024;
	x->needle = NULL;
	x->capture = true;
	x->want = NULL;
	x->nwant = 0;
	x->https = strncasecmp(q->url, "https:", 6) == 0;
	x->host = q->host;
	x->port = q->port;
	/* From curl's defaults, whatever the handle did before; and the
	 * check that gets it next starts from them too. */
	curl_easy_reset(e);
	x->gen = 0;
	set_common(x);
	/* rare enough that curl's own header is cheap enough here */
	curl_easy_setopt(e, CURLOPT_USERAGENT, "uptop/" UPTOP_VERSION);
	set_request(x, q->url, tmo, q->host, q->port, q->addrs);
	/* a connection of its own, closed after: a webhook to a host the
	 * checks use never joins (or walks) their pool of idle connections */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	/* the warmed store when it is the system's; else one per connection,
	 * never evicting the checks' (set_ca_cache) */
	if (p->ca_warm)
		curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, p->ca_cached ? 0L : -1L);
	for (size_t i = 0; i < q->nheaders; i++)
		x->headers = curl_slist_append(x->headers, q->headers[i]);
	/* curl's "Expect: 100-continue" would hold a body for a second */
	x->headers = curl_slist_append(x->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	if (q->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, q->body);
	}
	if (strcmp(q->method, q->body ? "POST" : "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
	x->start_us = mono_us();
	mc = curl_multi_add_handle(p->multi, e);
	if (mc != CURLM_OK) {
		fail->cls = EC_LOCAL;
		snprintf(fail->msg, sizeof(fail->msg), "cannot start the request: %s",
			 curl_multi_strerror(mc));
		xfer_release(p, x);
		return NULL;
	}
	x->active = true;
	return x;
}

void probe_cancel(struct probe *p, struct xfer *x)
{
	if (!x || !x->active)
		return;
	curl_multi_remove_handle(p->multi, x->easy);
	xfer_release(p, x);
}

/* The two headers curl would add from CURLOPT_USERAGENT and
 * CURLOPT_ACCEPT_ENCODING "", as a list of our own: libcurl 7.88 formats
 * those options' headers with its own printf, a byte at a time, twice per
 * request (about 13,000 of a keep-alive check's ~100,000 instructions,
 * callgrind); a list's line goes out once. The encodings are the ones
 * curl lists for "" (those it can decode), in its order. */
static struct curl_slist *std_headers_new(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	struct curl_slist *l = curl_slist_append(NULL, "User-Agent: uptop/" UPTOP_VERSION);
	char ae[80] = "";

	if (v->features & CURL_VERSION_LIBZ)
		strcat(ae, ", deflate, gzip");
	if (v->features & CURL_VERSION_BROTLI)
		strcat(ae, ", br");
	if (v->features & CURL_VERSION_ZSTD)
		strcat(ae, ", zstd");
	if (ae[0]) {
		char h[100];

		snprintf(h, sizeof(h), "Accept-Encoding: %s", ae + 2);
		l = curl_slist_append(l, h);
	}
	return l;
}

/* curl's built-in CA file, which a reset or a new handle starts with. */
static void find_ca_default(struct probe *p)
{
#if LIBCURL_VERSION_NUM >= 0x075400
	CURL *e = curl_easy_init();
	char *ca = NULL;

	if (e && curl_easy_getinfo(e, CURLINFO_CAINFO, &ca) == CURLE_OK) {
		p->ca_default = ca ? xstrdup(ca) : NULL;
		p->ca_undo = true;
	}
	curl_easy_cleanup(e);
#else
	(void)p;
#endif
}

struct probe *probe_new(struct loop *l, size_t max_connections,
			probe_done_cb done, void *arg, struct diag *errs)
{
	struct probe *p;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		diag_addf(errs, "cannot initialise libcurl");
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->loop = l;
	p->done = done;
	p->arg = arg;
	p->gen = 1;
	p->std_headers = std_headers_new();
	find_ca_default(p);
	p->multi = curl_multi_init();
	if (!p->multi) {
		diag_addf(errs, "cannot create a libcurl multi handle");
		curl_slist_free_all(p->std_headers);
		free(p->ca_default);
		free(p);
		curl_global_cleanup();
		return NULL;
	}
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	/* Idle connections kept for reuse across rounds; our scheduler caps
	 * transfers, so curl's own pending queue is never used. */
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)max_connections);
	p->certs = probe_certs_new();
	p->urls = probe_urls_new();
	loop_timer_add(l, &p->timer, on_timer, p);
	loop_timer_add(l, &p->drain, on_drain, p);
	return p;
}

void probe_free(struct probe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nall; i++)
		if (p->all[i]->active)
			probe_cancel(p, p->all[i]);
	/* The socket callback can run inside cleanup: the loop still lives. */
	curl_multi_cleanup(p->multi);
	for (size_t i = 0; i < p->nall; i++) {
		curl_easy_cleanup(p->all[i]->easy);
		free(p->all[i]->tail);
		free(p->all[i]->body);
		free(p->all[i]->hdrs);
		free(p->all[i]);
	}
	free(p->all);
	/* After cleanup, which may still set curl's timer. */
	loop_timer_del(p->loop, &p->timer);
	loop_timer_del(p->loop, &p->drain);
	free(p->ca_cached);
	free(p->ca_default);
	curl_slist_free_all(p->std_headers);
	probe_certs_free(p->certs);
	probe_urls_free(p->urls);   /* after the handles that pointed in */
	free(p);
	curl_global_cleanup();
}

/* A handshake still waiting after HANDSHAKE_YOUNG_US is to a slow or
 * distant server: such replies come spread out, not in a burst, and must
 * not hold back every other start (a black-holed port would otherwise
 * stall a round for its whole timeout). */
size_t probe_handshakes(struct probe *p)
{
	int64_t old = mono_us() - HANDSHAKE_YOUNG_US;

	while (p->hs_head && p->hs_head->start_us < old)
		handshake_over(p->hs_head);
	return p->handshakes;
}

/* Each handle sets MAXAGE_CONN again (after a reset) before its next
 * check, only when the limit changed. */
void probe_set_idle_limit(struct probe *p, int64_t ms)
{
	long s = ms > 0 ? (long)((ms + 999) / 1000) : 0;

	if (s == p->max_idle_s)
		return;
	p->max_idle_s = s;
	if (++p->gen == 0)
		p->gen = 1;
}

/* --- the CA store, loaded before the first check ------------------- */

/* A listener of our own on 127.0.0.1 for the handshake that goes nowhere;
 * returns its fd and port, or -1. */
static int warm_listener(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* The CA source most verifying https targets use: a majority vote, O(n).
 * Returns false when no target verifies over https. */
static bool ca_majority(const struct target_conf *t, size_t n,
			const char **pick)
{
	size_t votes = 0;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (!t[i].verify_tls || strncasecmp(t[i].url, "https:", 6) != 0)
			continue;
		any = true;
		if (votes == 0)
			*pick = t[i].ca_file;
		if (same_ca(*pick, t[i].ca_file))
			votes++;
		else
			votes--;
	}
	return any;
}

/* curl (7.88, OpenSSL) loads the store right after SSL_connect has
 * written the ClientHello, in the same call: once those bytes reach our
 * listener the store is cached in the multi handle. (7.88 ignores
 * CURL_SOCKOPT_ALREADY_CONNECTED, so a socketpair cannot stand in for the
 * peer.) Bounded to 2 s whatever happens. */
void probe_warm_tls(struct probe *p, const struct target_conf *targets,
		    size_t n)
{
	int ls, as = -1, port = 0, running;
	const char *ca_file = NULL;
	CURL *e;
	char url[48], buf[2048];
	int64_t t0 = mono_ms();

	if (!ca_majority(targets, n, &ca_file))
		return;
	free(p->ca_cached);
	p->ca_cached = ca_file ? xstrdup(ca_file) : NULL;
	p->ca_warm = true;
	if ((ls = warm_listener(&port)) < 0)
		return;
	if (!(e = curl_easy_init())) {
		close(ls);
		return;
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", port);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
	/* Replaces a cached store older than a second: a reload re-reads it. */
	curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 1L);
	if (curl_multi_add_handle(p->multi, e) == CURLM_OK) {
		int64_t until = mono_ms() + 2000;

		/* The loop is not running (start-up, or a reload with every
		 * transfer aborted): curl's own wait drives this one handle. */
		do {
			struct curl_waitfd w = { as >= 0 ? as : ls, CURL_WAIT_POLLIN, 0 };

			curl_multi_perform(p->multi, &running);
			curl_multi_wait(p->multi, &w, 1, 10, NULL);
			if (!(w.revents & CURL_WAIT_POLLIN))
				continue;
			if (as < 0)
				as = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			else if (recv(as, buf, sizeof(buf), 0) > 0)
				break;
		} while (running && mono_ms() < until);
		curl_multi_remove_handle(p->multi, e);
	}
	curl_easy_cleanup(e);
	if (as >= 0)
		close(as);
	close(ls);
	log_debug("probe: CA store (%s) loaded in %lld ms, before any check",
		  ca_file ? ca_file : "the system bundle",
		  (long long)(mono_ms() - t0));
}

int probe_url_parts(const char *url, char *scheme, size_t slen, char *host,
		    size_t hlen, int *port, char *err, size_t elen)
{
	CURLU *u = curl_url();
	char *s = NULL, *h = NULL, *pt = NULL;
	CURLUcode uc;
	int rc = -1;

	if (!u) {
		snprintf(err, elen, "out of memory");
		return -1;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_SCHEME, &s, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &h, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_PORT, &pt, CURLU_DEFAULT_PORT);
	if (uc == CURLUE_OK) {
		snprintf(scheme, slen, "%s", s);
		snprintf(host, hlen, "%s", h);
		*port = atoi(pt);
		rc = 0;
	} else {
		snprintf(err, elen, "bad URL: %s", curl_url_strerror(uc));
	}
	curl_free(s);
	curl_free(h);
	curl_free(pt);
	curl_url_cleanup(u);
	return rc;
}

const char *probe_version(void)
{
	static char buf[128];
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (!buf[0])
		snprintf(buf, sizeof(buf), "libcurl/%s %s", v->version,
			 v->ssl_version ? v->ssl_version : "(no TLS library)");
	return buf;
}
