/* result.h - the outcome of one check. Pure types, libc only.
 *
 * Every check ends in exactly one struct result: the transport outcome
 * filled by probe (or resolve for DNS), then classified by verdict_apply()
 * (status, body, latency). Nothing is dropped or merged. */
#ifndef UPTOP_RESULT_H
#define UPTOP_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct target_conf;

enum eclass {
	EC_NONE = 0,          /* success */
	EC_DNS,               /* no such name, server failure, timed out */
	EC_REFUSED,           /* connection refused */
	EC_CONNECT_TIMEOUT,   /* TCP connect did not finish in time */
	EC_CONNECT,           /* other connect failure: unreachable, ... */
	EC_TIMEOUT,           /* timed out after connect (names the phase) */
	EC_TLS,               /* handshake or verification (names reason) */
	EC_RESET,             /* connection reset / closed without reply */
	EC_PROTOCOL,          /* garbage, HTTP/0.9, bad chunking, ... */
	EC_TOO_MANY_REDIRECTS,
	EC_REDIRECT,          /* redirect to a forbidden scheme or bad URL */
	EC_STATUS,            /* got vs expected */
	EC_BODY,              /* body_contains / body_matches not satisfied */
	EC_CONDITION,         /* a condition (Gatus' language) does not hold */
	EC_SLOW,              /* answered, but over max_latency: degraded */
	EC_LOCAL,             /* our own limits (EMFILE, ENOMEM): not the target */
	EC_INTERNAL,          /* anything else libcurl reports */
	EC__COUNT
};

struct timings {
	double dns_ms;
	double connect_ms;
	double tls_ms;
	double ttfb_ms;       /* request sent -> first byte */
	double total_ms;      /* whole check, DNS included */
};

#define RESULT_MSG_LEN 256
#define RESULT_DETAIL_LEN 256
#define RESULT_IP_LEN 48
#define RESULT_URL_LEN 256

/* One rule for every class: `msg` is uptop's own short phrasing of what
 * happened and where ("127.0.0.1:8080", "timed out after 1000 ms waiting
 * for the response", "connection reset after 200 and 1,234 body bytes"),
 * shown after the class name ("refused: 127.0.0.1:8080"); it never quotes
 * a library. What the library said, verbatim, goes to `detail` for the
 * detail view and JSON `error_detail` ("" when it adds nothing). */
struct result {
	int64_t start_mono_ms;
	int64_t start_wall_ms;
	int http_status;                 /* 0: no status line arrived; kept
					  * when the check failed after it */
	struct timings t;
	uint64_t bytes;                  /* body bytes read */
	bool body_found;                 /* body_contains seen (if set) */
	bool body_truncated;             /* stopped reading at max_body */
	bool dns_stale;                  /* the address came from an expired
					  * DNS answer (RFC 8767 serve-stale) */
	int redirects;                   /* hops followed */
	char remote_ip[RESULT_IP_LEN];   /* "" when never connected: [IP] */
	/* Filled by the checks that know them; the "unset" value is what a
	 * condition sees when the data is absent, as in Gatus. */
	bool connected;                  /* TCP/DNS checks: connected or answered
					  * ([CONNECTED]; an HTTP answer counts too) */
	int64_t cert_not_after_ms;       /* wall ms of the certificate's notAfter;
					  * 0: none ([CERTIFICATE_EXPIRATION] is 0) */
	char dns_rcode[16];              /* DNS checks: "NOERROR", "NXDOMAIN"...;
					  * "": none ([DNS_RCODE]) */
	char effective_url[RESULT_URL_LEN];
	enum eclass cls;
	char msg[RESULT_MSG_LEN];        /* raw text: sanitise before display */
	char detail[RESULT_DETAIL_LEN];  /* library text or a note; sanitise */
};

/* What conditions read besides struct result: captured by probe only for
 * targets whose conditions or body regexes need it (cond_needs_body), and
 * valid only while the probe's callback runs. */
struct resp_view {
	const char *body;                /* NUL-terminated; NULL: not captured */
	size_t body_len;                 /* at most max_body */
	const char *headers;             /* "Name: value\n" lines of the header
					  * names conditions ask for, last response */
	size_t headers_len;
};

const char *eclass_name(enum eclass c);   /* "dns", "refused", ... ; NULL for EC_NONE */

/* True for classes that count as a failed check (everything but NONE and SLOW). */
bool eclass_is_failure(enum eclass c);

/* True when the check got a complete HTTP answer (success, slow, or a
 * status, body or condition verdict): its latency is the answer's. */
bool eclass_answered(enum eclass c);

/* The one latency rule, for --once (table and JSON), --headless and the
 * live table: a check's latency is its total time (DNS and every hop
 * included) when a complete HTTP answer came, whatever the verdict on
 * it; a check that failed before or while the answer arrived has none
 * (null, "-"), even with its status line kept. Its time is still in
 * t.total_ms. */
bool result_has_latency(const struct result *r);
/* The same rule from a status and a class (a history entry's). */
bool result_latency_known(int http_status, enum eclass cls);

/* Quotes the first line of bytes a peer sent, for a message: printable
 * ASCII as is, '"' and '\\' escaped, other bytes as \xNN, at most `max`
 * output characters ("..." when cut). Always terminated. O(n). */
void result_quote(char *dst, size_t len, const unsigned char *src, size_t n,
		  size_t max);

/* A TLS failure in words, from the certificate verification code
 * (OpenSSL's X509_V_ERR_*, 0 when none) and the library's text:
 * "self-signed certificate (not trusted)", "the server does not speak
 * TLS on this port (wrong version number)", "certificate is not valid
 * for 'HOST'"; an unknown reason keeps OpenSSL's words without its codes
 * ("TLS handshake failed (REASON)"). Pure; always terminated. */
void result_tls_words(char *dst, size_t len, long x509_code, const char *text,
		      const char *host);

/* "1,234,567": digits grouped by thousands, for byte counts in messages. */
void result_group_digits(char *dst, size_t len, uint64_t v);

/* Applies the target's expectations to a transport-successful result:
 * status -> EC_STATUS "got 503, expected 200-399" (skipped for a target
 * with conditions unless expect_status was written); body_contains ->
 * EC_BODY; max_latency -> EC_SLOW. A result that already has a transport
 * class is left unchanged. */
void verdict_apply(const struct target_conf *t, struct result *r);

/* True when the status matches one of the target's expected ranges. */
bool verdict_status_expected(const struct target_conf *t, int status);

/* Writes the expected ranges as "200-399" or "200, 204, 300-308". */
void verdict_format_expect(const struct target_conf *t, char *buf, size_t len);

#endif
