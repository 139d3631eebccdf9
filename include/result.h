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
	EC_CERT_EXPIRY,       /* answered, but the certificate chain expires
			       * within cert_expiry: degraded */
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
#define RESULT_CERT_LEN 80
#define RESULT_CN_LEN 64
#define RESULT_ANSWER_LEN 96

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
	bool connected;                  /* TCP: connected (and, with send or
					  * expect, bytes came back); DNS: the
					  * server answered ([CONNECTED]; an HTTP
					  * answer counts too, by its status) */
	int64_t cert_not_after_ms;       /* HTTPS: wall ms of the earliest notAfter
					  * of the chain the server presented (leaf
					  * and intermediates); 0: none */
	int64_t cert_leaf_not_after_ms;  /* ... of the server's own certificate:
					  * [CERTIFICATE_EXPIRATION], as Gatus */
	uint8_t cert_depth;              /* which one expires first: 0 the
					  * server's, 1.. its intermediates */
	char cert_first_cn[RESULT_CN_LEN];   /* ... its CN (messages) */
	char cert_subject[RESULT_CERT_LEN];  /* the server's certificate, RFC 2253 */
	char cert_issuer[RESULT_CERT_LEN];   /* ... and its issuer; raw: sanitise */
	char dns_rcode[16];              /* DNS checks: "NOERROR", "NXDOMAIN"...;
					  * "": none ([DNS_RCODE]) */
	char answer[RESULT_ANSWER_LEN];  /* TCP: the first line read; DNS: the
					  * answers as [BODY] has them, one line;
					  * "": none; raw: sanitise */
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

/* True for classes that count as a failed check (everything but NONE
 * and the degraded ones). */
bool eclass_is_failure(enum eclass c);
/* The answered-but-degraded classes: SLOW, CERT_EXPIRY. */
bool eclass_is_degraded(enum eclass c);

/* True when the check got a complete answer (success, degraded, or a
 * status, body or condition verdict): its latency is the answer's. */
bool eclass_answered(enum eclass c);

/* The one latency rule, for --once (table and JSON), --headless and the
 * live table: a check's latency is its total time (DNS and every hop
 * included) when a complete answer came (an HTTP answer; a TCP connect,
 * and the reply with send or expect; a DNS server's answer), whatever
 * the verdict on it; a check that failed before or while the answer
 * arrived has none (null, "-"), even with its status line kept. Its time
 * is still in t.total_ms. */
bool result_has_latency(const struct result *r);
/* The same rule from a history entry's status, answer code
 * (result_answer_code) and class. */
bool result_latency_known(int http_status, uint8_t answer, enum eclass cls);

/* A TCP or DNS check's answer in one byte, as history entries keep it: 0
 * none; else 1 + the DNS rcode (0..15, 16 for one without a name), 1 for
 * TCP. HTTP checks: 0 (their status says it). */
uint8_t result_answer_code(const struct result *r);
/* The CODE column: the HTTP status, a DNS check's rcode ("NXDOMAIN"),
 * "open" for a TCP check that connected; "-" when none. kind: enum
 * check_kind. */
void result_code_text(char *dst, size_t len, int kind, int http_status, uint8_t answer);
/* The rcode's name as Gatus (miekg/dns) writes it, "" for one it has no
 * name for (11..15). */
const char *result_rcode_name(int rcode);

/* Certificate validity left at `now_wall_ms` in words: "in 6 days", "in 5
 * hours", "expired 2 days ago" (whole units, rounded down). */
void result_cert_left(char *dst, size_t len, int64_t not_after_ms, int64_t now_wall_ms);

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

/* Where a connection went, for messages: "127.0.0.1:8080", or
 * "api.example.com:443 (10.0.0.7)" for a name (host as in the URL, [v6]
 * bracketed; ip "" or NULL when unknown). */
void result_where(char *dst, size_t len, const char *host, int port, const char *ip);
/* A failed TCP connect by its errno, in uptop's words: refused (the
 * message is `where`), connect_timeout, connect (unreachable, ...), or
 * local for uptop's own limits (EMFILE, ENOMEM: never the target's). */
void result_connect_error(struct result *r, int os_errno, const char *where);

/* "1,234,567": digits grouped by thousands, for byte counts in messages. */
void result_group_digits(char *dst, size_t len, uint64_t v);

/* Applies the target's expectations to a transport-successful result:
 * status -> EC_STATUS "got 503, expected 200-399" (skipped for a target
 * with conditions unless expect_status was written; a DNS check without
 * conditions: "got NXDOMAIN, expected NOERROR"); body_contains ->
 * EC_BODY; max_latency -> EC_SLOW; else a certificate chain that expires
 * within cert_expiry -> EC_CERT_EXPIRY ("certificate expires in 6 days
 * (2026-12-06), CN=shop.example.com"). A result that already has a
 * transport class is left unchanged. */
void verdict_apply(const struct target_conf *t, struct result *r);

/* True when the status matches one of the target's expected ranges. */
bool verdict_status_expected(const struct target_conf *t, int status);

/* Writes the expected ranges as "200-399" or "200, 204, 300-308". */
void verdict_format_expect(const struct target_conf *t, char *buf, size_t len);

#endif
