/* probe.c - libcurl multi_socket transfers on the loop. */
#include "probe.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "util.h"

#define NEEDLE_MAX 1024
#define PROBE_BUFFER 2048
/* Captured response headers ([HEADER] conditions): bytes kept at most. */
#define HEADERS_MAX 8192
/* A pooled transfer gives back a capture buffer larger than this. */
#define CAPTURE_KEEP (64 * 1024)

struct xfer {
	struct probe *p;
	CURL *easy;
	void *user;
	struct xfer *next_free;
	struct curl_slist *headers;
	struct curl_slist *resolve;
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
	bool found, capped, active;
	bool https;
	char errbuf[CURL_ERROR_SIZE];
	probe_http_cb http_done;  /* a request that is not a check */
	void *http_arg;
};

struct probe {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer;
	probe_done_cb done;
	void *arg;
	struct xfer *free_list;
	struct xfer **all;        /* every xfer ever made, for teardown */
	size_t nall, capall;
};

static void drain_done(struct probe *p);

/* curl_multi_socket_action fails only on our misuse or its own trouble
 * (a socket it no longer knows, out of memory): nothing a target did, so
 * it goes to the debug log; the transfers concerned still end through
 * their own timeouts. */
static void socket_action(struct probe *p, curl_socket_t fd, int flags)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(p->multi, fd, flags, &running);

	if (mc != CURLM_OK)
		log_debug("probe: curl_multi_socket_action(fd %d, flags %d): %d %s",
			  (int)fd, flags, (int)mc, curl_multi_strerror(mc));
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

	(void)e;
	(void)socketp;
	/* REMOVE may also mean "not now": curl re-adds when it wants it. */
	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(p->loop, s);
		return 0;
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

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb, room;

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
			x->hdrs = xreallocarray_grow(x->hdrs, &x->hdrs_cap, x->hdrs_len + len + 2, 1);
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

static double us_to_ms(curl_off_t us)
{
	return (double)us / 1000.0;
}

static void fill_timings(CURL *e, struct result *r)
{
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
}

/* Which phase a timed-out transfer was in, from curl's phase clocks. */
static enum eclass timeout_phase(CURL *e, bool https, const char **phase)
{
	curl_off_t co = 0, ap = 0, pre = 0, st = 0;

	curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &co);
	curl_easy_getinfo(e, CURLINFO_APPCONNECT_TIME_T, &ap);
	curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(e, CURLINFO_STARTTRANSFER_TIME_T, &st);
	if (st > 0) {
		*phase = "receiving the body";
		return EC_TIMEOUT;
	}
	if (pre > 0) {
		*phase = "waiting for the response";
		return EC_TIMEOUT;
	}
	if (co > 0 && https && ap == 0) {
		*phase = "during the TLS handshake";
		return EC_TIMEOUT;
	}
	*phase = "connecting";
	return EC_CONNECT_TIMEOUT;
}

static enum eclass connect_class(long os_errno, const char **what)
{
	switch (os_errno) {
	case ECONNREFUSED:
		*what = "connection refused";
		return EC_REFUSED;
	case ETIMEDOUT:
		*what = "connect timed out";
		return EC_CONNECT_TIMEOUT;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Our limits, not the target's: never "refused". */
		*what = "local resource limit (out of file descriptors or memory)";
		return EC_LOCAL;
	case ENETUNREACH:
		*what = "network unreachable";
		return EC_CONNECT;
	case EHOSTUNREACH:
		*what = "host unreachable";
		return EC_CONNECT;
	default:
		*what = "cannot connect";
		return EC_CONNECT;
	}
}

static enum eclass classify(CURLcode rc, long os_errno, const char **what)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return connect_class(os_errno, what);
	case CURLE_COULDNT_RESOLVE_HOST:
		*what = "cannot resolve";
		return EC_DNS;
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
		*what = NULL;   /* curl's text names the reason */
		return EC_TLS;
	case CURLE_GOT_NOTHING:
		*what = "connection closed without a reply";
		return EC_RESET;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		if (os_errno == ECONNRESET || os_errno == EPIPE) {
			*what = "connection reset";
			return EC_RESET;
		}
		*what = rc == CURLE_RECV_ERROR ? "receive failed" : "send failed";
		return EC_PROTOCOL;
	case CURLE_TOO_MANY_REDIRECTS:
		*what = "too many redirects";
		return EC_TOO_MANY_REDIRECTS;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_RANGE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		*what = "protocol error";
		return EC_PROTOCOL;
	case CURLE_OUT_OF_MEMORY:
		*what = "out of memory";
		return EC_LOCAL;
	case CURLE_URL_MALFORMAT:
		*what = "bad URL";
		return EC_PROTOCOL;
	default:
		*what = "transfer failed";
		return EC_INTERNAL;
	}
}

/* libcurl 7.88 reports a header line over its 100 KiB limit as "out of
 * memory". Once a status line has arrived that is the server's doing: a
 * real allocation failure of ours would have ended uptop already. */
static bool headers_too_large(CURL *e)
{
	long code = 0;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	return code > 0;
}

static void fill_result(struct xfer *x, CURLcode rc, struct result *r)
{
	CURL *e = x->easy;
	long code = 0, os_errno = 0;
	char *ip = NULL, *eff = NULL;
	const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(e, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
	fill_timings(e, r);
	r->bytes = x->bytes;
	r->body_found = x->found;
	r->body_truncated = x->capped;
	snprintf(r->remote_ip, sizeof(r->remote_ip), "%s", ip ? ip : "");
	snprintf(r->effective_url, sizeof(r->effective_url), "%s",
		 eff ? eff : "");
	/* Stopping at max_body is ours, not a failure. */
	if (rc == CURLE_WRITE_ERROR && x->capped)
		rc = CURLE_OK;
	if (rc == CURLE_OK) {
		r->http_status = (int)code;
		r->cls = EC_NONE;
		return;
	}
	r->http_status = 0;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		const char *phase;

		r->cls = timeout_phase(e, x->https, &phase);
		snprintf(r->msg, sizeof(r->msg), "timed out after %.0f ms %s (%s)",
			 r->t.total_ms, phase, detail);
		return;
	} else {
		const char *what;

		r->cls = classify(rc, os_errno, &what);
		if (rc == CURLE_OUT_OF_MEMORY && headers_too_large(e)) {
			r->cls = EC_PROTOCOL;
			what = "response headers too large";
		}
		if (!what)
			snprintf(r->msg, sizeof(r->msg), "%s", detail);
		else if (os_errno && (r->cls == EC_CONNECT || r->cls == EC_LOCAL))
			snprintf(r->msg, sizeof(r->msg), "%s: %s (%s)", what,
				 detail, strerror((int)os_errno));
		else
			snprintf(r->msg, sizeof(r->msg), "%s: %s", what, detail);
	}
}

/* --- transfers ----------------------------------------------------- */

static void xfer_release(struct probe *p, struct xfer *x)
{
	/* A pooled transfer keeps a small capture buffer, not a big one. */
	if (x->body_cap > CAPTURE_KEEP) {
		free(x->body);
		x->body = NULL;
		x->body_cap = 0;
	}
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->resolve);
	x->headers = x->resolve = NULL;
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
		snprintf(hr.body, sizeof(hr.body), "%.*s", (int)(x->body_len < PROBE_HTTP_BODY_KEEP ?
								x->body_len : PROBE_HTTP_BODY_KEEP),
			 x->body);
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
		 * may start transfers, but never on this inactive one). */
		x->active = false;
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
		curl_easy_reset(x->easy);
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
	x->found = x->capped = false;
	x->tail_len = 0;
	x->body_len = x->hdrs_len = 0;
	x->errbuf[0] = '\0';
	return x;
}

static void set_headers(struct xfer *x, const struct target_conf *c)
{
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
	if (x->headers)
		curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
}

static void set_method(struct xfer *x, const struct probe_req *q)
{
	const struct target_conf *c = q->conf;
	CURL *e = x->easy;
	bool posting = q->send_body && c->body;

	if (strcmp(q->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
		return;
	}
	if (posting) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(c->body));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	}
	/* A body makes curl send POST: any other method (a GET with a body,
	 * as Gatus sends one) is named. */
	if (strcmp(q->method, posting ? "POST" : "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
}

static void set_options(struct xfer *x, const struct probe_req *q)
{
	const struct target_conf *c = q->conf;
	CURL *e = x->easy;
	long tmo = q->timeout_ms > 0 ? (long)q->timeout_ms : 1;

	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	/* 10,000 transfers at once: a small receive buffer each keeps RSS
	 * down (curl's default is 16 KiB, its minimum 1 KiB); checks read
	 * little. */
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)PROBE_BUFFER);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (x->nwant) {
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	}
	curl_easy_setopt(e, CURLOPT_USERAGENT, "uptop/" UPTOP_VERSION);
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
	/* Checks go to the target itself, never through an env proxy. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, c->verify_tls ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, c->verify_tls ? 2L : 0L);
	/* A CA directory disables libcurl's CA-store cache: every new TLS
	 * connection would re-parse the whole store (~16 ms of CPU). */
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (c->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	/* libcurl 7.88 walks every open connection of the host when a
	 * transfer starts and again when it is removed: with nothing to
	 * reuse (--once) that is O(n^2) for nothing. */
	if (c->fresh_connection || q->one_shot) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	if (q->resolve) {
		x->resolve = curl_slist_append(NULL, q->resolve);
		curl_easy_setopt(e, CURLOPT_RESOLVE, x->resolve);
	}
	set_headers(x, c);
	set_method(x, q);
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
	set_options(x, q);
	mc = curl_multi_add_handle(p->multi, x->easy);
	if (mc != CURLM_OK) {
		r->cls = EC_LOCAL;
		snprintf(r->msg, sizeof(r->msg), "cannot start the transfer: %s",
			 curl_multi_strerror(mc));
		xfer_release(p, x);
		return NULL;
	}
	x->active = true;
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
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "uptop/" UPTOP_VERSION);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* a webhook goes out through the same door as the checks: no env proxy */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	if (q->resolve) {
		x->resolve = curl_slist_append(NULL, q->resolve);
		curl_easy_setopt(e, CURLOPT_RESOLVE, x->resolve);
	}
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
	p->multi = curl_multi_init();
	if (!p->multi) {
		diag_addf(errs, "cannot create a libcurl multi handle");
		free(p);
		return NULL;
	}
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p);
	/* Idle connections kept for reuse across rounds; our scheduler caps
	 * transfers, so curl's own pending queue is never used. */
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)max_connections);
	loop_timer_add(l, &p->timer, on_timer, p);
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
	free(p);
	curl_global_cleanup();
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
