/* result.c - error class names and the verdict: a transport success
 * checked against the target's expectations (status, body, latency). */
#include "result.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "util.h"

static const char *const eclass_names[EC__COUNT] = {
	[EC_NONE] = NULL,
	[EC_DNS] = "dns",
	[EC_REFUSED] = "refused",
	[EC_CONNECT_TIMEOUT] = "connect_timeout",
	[EC_CONNECT] = "connect",
	[EC_TIMEOUT] = "timeout",
	[EC_TLS] = "tls",
	[EC_RESET] = "reset",
	[EC_PROTOCOL] = "protocol",
	[EC_TOO_MANY_REDIRECTS] = "too_many_redirects",
	[EC_REDIRECT] = "redirect",
	[EC_STATUS] = "status",
	[EC_BODY] = "body",
	[EC_CONDITION] = "condition",
	[EC_SLOW] = "slow",
	[EC_CERT_EXPIRY] = "cert_expiry",
	[EC_LOCAL] = "local",
	[EC_INTERNAL] = "internal",
};

/* A value outside the enum (a corrupt byte in a history entry) reads as
 * "internal" rather than NULL, which means success. */
const char *eclass_name(enum eclass c)
{
	if ((unsigned)c >= EC__COUNT)
		return "internal";
	return eclass_names[c];
}

bool eclass_is_degraded(enum eclass c)
{
	return c == EC_SLOW || c == EC_CERT_EXPIRY;
}

bool eclass_is_failure(enum eclass c)
{
	return c != EC_NONE && !eclass_is_degraded(c);
}

bool eclass_answered(enum eclass c)
{
	return c == EC_NONE || eclass_is_degraded(c) || c == EC_STATUS || c == EC_BODY ||
	       c == EC_CONDITION;
}

bool result_latency_known(int http_status, uint8_t answer, enum eclass cls)
{
	return (http_status > 0 || answer > 0) && eclass_answered(cls);
}

bool result_has_latency(const struct result *r)
{
	return result_latency_known(r->http_status, result_answer_code(r), r->cls);
}

/* RFC 1035 and 2136's header rcodes, named as miekg/dns' RcodeToString
 * (Gatus' [DNS_RCODE]); 11..15 have no name there. */
static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

const char *result_rcode_name(int rcode)
{
	return rcode >= 0 && (size_t)rcode < ARRAY_LEN(rcode_names) ? rcode_names[rcode] : "";
}

uint8_t result_answer_code(const struct result *r)
{
	if (!r->connected)
		return 0;
	if (!r->dns_rcode[0])
		return 1;
	for (size_t i = 0; i < ARRAY_LEN(rcode_names); i++)
		if (strcmp(r->dns_rcode, rcode_names[i]) == 0)
			return (uint8_t)(1 + i);
	return 17;
}

void result_code_text(char *dst, size_t len, int kind, int http_status, uint8_t answer)
{
	if (kind == CHECK_HTTP && http_status > 0)
		snprintf(dst, len, "%d", http_status);
	else if (kind == CHECK_TCP && answer)
		snprintf(dst, len, "open");
	else if (kind == CHECK_DNS && answer)
		snprintf(dst, len, "%s", answer <= ARRAY_LEN(rcode_names) ?
			 rcode_names[answer - 1] : "?");
	else
		snprintf(dst, len, "-");
}

#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)

void result_cert_left(char *dst, size_t len, int64_t not_after_ms, int64_t now_wall_ms)
{
	int64_t left = not_after_ms - now_wall_ms, a = left < 0 ? -left : left, n;
	const char *unit;

	if (a >= DAY_MS) {
		n = a / DAY_MS;
		unit = "day";
	} else if (a >= HOUR_MS) {
		n = a / HOUR_MS;
		unit = "hour";
	} else {
		n = a / 60000;
		unit = "minute";
	}
	if (left >= 0)
		snprintf(dst, len, "in %lld %s%s", (long long)n, unit, n == 1 ? "" : "s");
	else
		snprintf(dst, len, "expired %lld %s%s ago", (long long)n, unit, n == 1 ? "" : "s");
}

void result_quote(char *dst, size_t len, const unsigned char *src, size_t n,
		  size_t max)
{
	size_t at = 0, i;

	if (!len)
		return;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = src[i];
		char esc[5];
		size_t k;

		if (c == '\r' || c == '\n')
			break;
		if (c == '"' || c == '\\')
			k = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			k = (size_t)snprintf(esc, sizeof(esc), "%c", c);
		else
			k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		if (at + k > max || at + k + 4 > len)   /* room for "..." */
			break;
		memcpy(dst + at, esc, k);
		at += k;
	}
	if (i < n && src[i] != '\r' && src[i] != '\n' && at + 4 <= len) {
		memcpy(dst + at, "...", 3);
		at += 3;
	}
	dst[at] = '\0';
}

/* OpenSSL's X509_V_ERR_* codes (stable numbers; uptop is not an OpenSSL
 * user): what libcurl's SSL_VERIFYRESULT says about a certificate that
 * failed verification. */
static const struct {
	long code;
	const char *msg;
} x509_reasons[] = {
	{ 2, "certificate issued by an unknown CA" },
	{ 7, "certificate signature is invalid" },
	{ 9, "certificate is not valid yet" },
	{ 10, "certificate expired" },
	{ 18, "self-signed certificate (not trusted)" },
	{ 19, "self-signed certificate in the chain (not trusted)" },
	{ 20, "certificate issued by an unknown CA" },
	{ 21, "certificate chain incomplete (the server does not send its intermediate CA)" },
	{ 23, "certificate revoked" },
	{ 26, "certificate is not for a TLS server" },
	{ 62, "certificate is not valid for this host name" },
};

/* Handshake failures by what OpenSSL (through curl's message) names. */
static const struct {
	const char *needle;
	const char *msg;
} tls_reasons[] = {
	{ "wrong version number", "the server does not speak TLS on this port (wrong version number)" },
	{ "packet length too long", "the server does not speak TLS on this port (packet length too long)" },
	{ "SSL_ERROR_SYSCALL", "connection closed during the TLS handshake" },
	{ "unexpected eof", "connection closed during the TLS handshake" },
	{ "alert handshake failure", "the server refused the handshake (no cipher or TLS version in common: handshake failure alert)" },
	{ "alert protocol version", "no TLS version in common (protocol version alert)" },
	{ "unsupported protocol", "no TLS version in common (the server offers only an old one)" },
	{ "no shared cipher", "no cipher in common" },
	{ "unrecognized name", "the server does not know this host name (SNI unrecognized name alert)" },
	{ "certificate required", "the server requires a client certificate" },
	{ "dh key too small", "the server's DH key is too small" },
	{ "certificate verify failed", "certificate verification failed" },
};

/* O(table) strstr calls over a ~200-byte text. */
void result_tls_words(char *dst, size_t len, long x509_code, const char *text,
		      const char *host)
{
	const char *cut;

	if (strstr(text, "no alternative certificate subject name") ||
	    strstr(text, "subject name does not match")) {
		snprintf(dst, len, "certificate is not valid for '%.120s'",
			 host ? host : "?");
		return;
	}
	for (size_t i = 0; x509_code && i < ARRAY_LEN(x509_reasons); i++)
		if (x509_reasons[i].code == x509_code) {
			snprintf(dst, len, "%s", x509_reasons[i].msg);
			return;
		}
	for (size_t i = 0; i < ARRAY_LEN(tls_reasons); i++)
		if (strstr(text, tls_reasons[i].needle)) {
			snprintf(dst, len, "%s", tls_reasons[i].msg);
			return;
		}
	/* Unknown: OpenSSL's reason words, without its codes and prefixes. */
	if ((cut = strstr(text, "SSL certificate problem: ")))
		snprintf(dst, len, "certificate not trusted: %.150s",
			 cut + strlen("SSL certificate problem: "));
	else if ((cut = strstr(text, "::")))
		snprintf(dst, len, "TLS handshake failed (%.150s)", cut + 2);
	else
		snprintf(dst, len, "TLS handshake failed");
}

void result_group_digits(char *dst, size_t len, uint64_t v)
{
	char raw[24];
	int n = snprintf(raw, sizeof(raw), "%llu", (unsigned long long)v);
	size_t at = 0;

	for (int i = 0; i < n && at + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			dst[at++] = ',';
		dst[at++] = raw[i];
	}
	if (len)
		dst[at < len ? at : len - 1] = '\0';
}

/* The config always fills at least one range; a hand-built conf without
 * one gets the documented default. */
static const struct status_range default_expect = { 200, 399 };

static const struct status_range *expect_ranges(const struct target_conf *t,
						size_t *n)
{
	if (!t->expect || !t->nexpect) {
		*n = 1;
		return &default_expect;
	}
	*n = t->nexpect;
	return t->expect;
}

/* O(nexpect). */
bool verdict_status_expected(const struct target_conf *t, int status)
{
	size_t n;
	const struct status_range *r = expect_ranges(t, &n);

	for (size_t i = 0; i < n; i++)
		if (status >= r[i].lo && status <= r[i].hi)
			return true;
	return false;
}

/* O(nexpect); stops at the end of buf (always terminated). */
void verdict_format_expect(const struct target_conf *t, char *buf, size_t len)
{
	size_t n, used = 0;
	const struct status_range *r = expect_ranges(t, &n);

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *sep = i ? ", " : "";
		int k;

		if (r[i].lo == r[i].hi)
			k = snprintf(buf + used, len - used, "%s%d", sep, r[i].lo);
		else
			k = snprintf(buf + used, len - used, "%s%d-%d", sep,
				     r[i].lo, r[i].hi);
		if (k < 0)
			break;
		used += (size_t)k;
	}
}

void result_where(char *dst, size_t len, const char *host, int port, const char *ip)
{
	const char *h = host ? host : "?";
	bool named = ip && ip[0] && strcmp(ip, h) != 0 &&
		     !(h[0] == '[' && strncmp(h + 1, ip, strlen(ip)) == 0);

	if (named)
		snprintf(dst, len, "%.120s:%d (%.46s)", h, port, ip);
	else
		snprintf(dst, len, "%.120s:%d", h, port);
}

void result_connect_error(struct result *r, int os_errno, const char *where)
{
	switch (os_errno) {
	case ECONNREFUSED:
		r->cls = EC_REFUSED;
		snprintf(r->msg, sizeof(r->msg), "%s", where);
		return;
	case ETIMEDOUT:
		r->cls = EC_CONNECT_TIMEOUT;
		snprintf(r->msg, sizeof(r->msg), "%s did not answer (TCP connect timed out)",
			 where);
		return;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		/* Our limits, not the target's: never "refused". */
		r->cls = EC_LOCAL;
		snprintf(r->msg, sizeof(r->msg),
			 "uptop is out of file descriptors or memory (not the target's fault)");
		return;
	case ENETUNREACH:
		r->cls = EC_CONNECT;
		snprintf(r->msg, sizeof(r->msg), "%s (network unreachable)", where);
		return;
	case EHOSTUNREACH:
		r->cls = EC_CONNECT;
		snprintf(r->msg, sizeof(r->msg), "%s (host unreachable)", where);
		return;
	default:
		r->cls = EC_CONNECT;
		snprintf(r->msg, sizeof(r->msg), "%s (%.60s)", where,
			 os_errno ? strerror(os_errno) : "cannot connect");
		return;
	}
}

/* Copies at most `max` bytes of s, cut on a UTF-8 boundary, with "..."
 * when cut: a long needle must not push the byte count out of the
 * message. */
static void short_text(char *dst, size_t len, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max) {
		snprintf(dst, len, "%s", s);
		return;
	}
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	snprintf(dst, len, "%.*s...", (int)max, s);
}

static void body_message(const struct target_conf *t, struct result *r)
{
	char needle[80];
	const char *unit = r->bytes == 1 ? "byte" : "bytes";

	short_text(needle, sizeof(needle), t->body_contains, 60);
	if (r->body_truncated)
		snprintf(r->msg, sizeof(r->msg),
			 "\"%s\" not found in the body (%llu %s read, "
			 "stopped at max_body)",
			 needle, (unsigned long long)r->bytes, unit);
	else
		snprintf(r->msg, sizeof(r->msg),
			 "\"%s\" not found in the body (%llu %s read)", needle,
			 (unsigned long long)r->bytes, unit);
}

/* 800.3 ms over a limit of 800 would round to "800 ms, over max_latency
 * 800 ms": show the decimal when rounding hides the excess. */
static void slow_message(const struct target_conf *t, struct result *r)
{
	long long max = (long long)t->max_latency_ms;
	int prec = (long long)(r->t.total_ms + 0.5) <= max ? 1 : 0;

	r->cls = EC_SLOW;
	snprintf(r->msg, sizeof(r->msg), "%.*f ms, over max_latency %lld ms",
		 prec, r->t.total_ms, max);
}

/* "certificate expires in 6 days (2026-12-06), CN=shop.example.com";
 * an intermediate says so. */
static void cert_message(struct result *r, int64_t now)
{
	time_t s = (time_t)(r->cert_not_after_ms / 1000);
	char left[48], day[16] = "?";
	struct tm tm;

	result_cert_left(left, sizeof(left), r->cert_not_after_ms, now);
	if (gmtime_r(&s, &tm))
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	r->cls = EC_CERT_EXPIRY;
	snprintf(r->msg, sizeof(r->msg), "%scertificate %s%s (%s)%s%.*s",
		 r->cert_depth ? "intermediate " : "", r->cert_not_after_ms >= now ? "expires " : "",
		 left,
		 day, r->cert_first_cn[0] ? ", CN=" : "", RESULT_CN_LEN, r->cert_first_cn);
}

/* The answer itself: an HTTP status in expect_status (conditions replace
 * that check unless expect_status was written), a DNS check's NOERROR
 * (unless conditions decide); a TCP check's was judged by conn. */
static bool answer_expected(const struct target_conf *t, struct result *r)
{
	char want[RESULT_MSG_LEN / 2];

	if (t->kind == CHECK_TCP)
		return true;
	if (t->kind == CHECK_DNS) {
		if (t->conditions || strcmp(r->dns_rcode, "NOERROR") == 0)
			return true;
		r->cls = EC_STATUS;
		snprintf(r->msg, sizeof(r->msg), "got %s, expected NOERROR",
			 r->dns_rcode[0] ? r->dns_rcode : "an rcode without a name");
		return false;
	}
	if ((t->conditions && !t->expect_set) || verdict_status_expected(t, r->http_status))
		return true;
	verdict_format_expect(t, want, sizeof(want));
	r->cls = EC_STATUS;
	if (r->http_status)
		snprintf(r->msg, sizeof(r->msg), "got %d, expected %s", r->http_status, want);
	else
		snprintf(r->msg, sizeof(r->msg), "no HTTP status, expected %s", want);
	return false;
}

/* The order matters: a wrong status says more than a missing word, and a
 * wrong answer is a failure however fast it came; slowness is said before
 * a certificate's date (it is about this check; the date stays). O(nexpect
 * + strlen of body_contains). */
void verdict_apply(const struct target_conf *t, struct result *r)
{
	int64_t now = r->start_wall_ms + (int64_t)r->t.total_ms;

	if (r->cls != EC_NONE || !answer_expected(t, r))
		return;
	if (t->kind == CHECK_HTTP && t->body_contains && !r->body_found) {
		r->cls = EC_BODY;
		body_message(t, r);
		return;
	}
	if (t->max_latency_ms > 0 && r->t.total_ms > (double)t->max_latency_ms)
		slow_message(t, r);
	else if (t->cert_expiry_ms > 0 && r->cert_not_after_ms > 0 &&
		 r->cert_not_after_ms - now < t->cert_expiry_ms)
		cert_message(r, now);
}
