/* test_verdict.c - error class names and verdict_apply (status, body,
 * latency) on hand-built target_conf (config.c is not linked). */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "result.h"
#include "tap.h"

static char name_api[] = "api";
static char needle_ok[] = "ok";

static struct target_conf conf_default(void)
{
	struct target_conf t;

	memset(&t, 0, sizeof(t));
	t.name = name_api;
	t.interval_ms = 30000;
	t.timeout_ms = 5000;
	t.max_body = 1024 * 1024;
	t.failures_before_down = 1;
	return t;
}

static struct result ok_result(int status, double total_ms)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.http_status = status;
	r.t.total_ms = total_ms;
	r.bytes = 1234;
	return r;
}

static void test_names(void)
{
	static const char *const want[EC__COUNT] = {
		NULL, "dns", "refused", "connect_timeout", "connect", "timeout",
		"tls", "reset", "protocol", "too_many_redirects", "redirect",
		"status", "body", "condition", "slow", "cert_expiry", "local", "internal",
	};
	bool names = true, failures = true;

	for (int c = 0; c < EC__COUNT; c++) {
		const char *g = eclass_name((enum eclass)c);

		if (want[c] ? !g || strcmp(g, want[c]) : g != NULL) {
			names = false;
			printf("# class %d: got %s\n", c, g ? g : "(null)");
		}
		if (eclass_is_failure((enum eclass)c) !=
		    (c != EC_NONE && c != EC_SLOW && c != EC_CERT_EXPIRY))
			failures = false;
	}
	OK(names, "every class has its documented name, EC_NONE none");
	OK(failures, "failure = everything but NONE, SLOW and CERT_EXPIRY");
	OK(eclass_name(EC_NONE) == NULL, "EC_NONE has no name");
	IS_STR(eclass_name(EC_CONNECT_TIMEOUT), "connect_timeout", "name");
	OK(!eclass_is_failure(EC_SLOW), "slow is not a failure");
	OK(eclass_is_failure(EC_STATUS), "status is a failure");
	IS_STR(eclass_name((enum eclass)200), "internal",
	       "out-of-range class reads as internal");
}

static void test_expect(void)
{
	struct target_conf t = conf_default();
	struct status_range ranges[] = { { 200, 200 }, { 204, 204 }, { 300, 308 } };
	struct status_range one = { 200, 399 };
	char buf[64], tiny[8];

	OK(verdict_status_expected(&t, 200), "default: 200 expected");
	OK(verdict_status_expected(&t, 399), "default: 399 expected");
	OK(!verdict_status_expected(&t, 199), "default: 199 not expected");
	OK(!verdict_status_expected(&t, 400), "default: 400 not expected");
	OK(!verdict_status_expected(&t, 0), "default: no status not expected");
	verdict_format_expect(&t, buf, sizeof(buf));
	IS_STR(buf, "200-399", "default formatted");

	t.expect = &one;
	t.nexpect = 1;
	verdict_format_expect(&t, buf, sizeof(buf));
	IS_STR(buf, "200-399", "one range formatted");

	t.expect = ranges;
	t.nexpect = 3;
	OK(verdict_status_expected(&t, 204), "list: 204");
	OK(verdict_status_expected(&t, 308), "list: 308 (range end)");
	OK(!verdict_status_expected(&t, 201), "list: 201 not expected");
	OK(!verdict_status_expected(&t, 309), "list: 309 not expected");
	verdict_format_expect(&t, buf, sizeof(buf));
	IS_STR(buf, "200, 204, 300-308", "list formatted");
	verdict_format_expect(&t, tiny, sizeof(tiny));
	IS_STR(tiny, "200, 20", "formatting truncates and terminates");
	verdict_format_expect(&t, tiny, 0);
	OK(1, "len 0 does not crash");
}

static void test_apply(void)
{
	struct target_conf t = conf_default();
	struct status_range ranges[] = { { 200, 200 }, { 204, 204 }, { 300, 308 } };
	char long_needle[200];
	struct result r;

	r = ok_result(200, 120);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "200 in time: success");
	IS_STR(r.msg, "", "success has no message");

	r = ok_result(503, 120);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_STATUS, "503: status class");
	IS_STR(r.msg, "got 503, expected 200-399", "503 message");

	r = ok_result(0, 120);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_STATUS, "no status: status class");
	IS_STR(r.msg, "no HTTP status, expected 200-399", "no status message");

	t.expect = ranges;
	t.nexpect = 3;
	r = ok_result(500, 120);
	verdict_apply(&t, &r);
	IS_STR(r.msg, "got 500, expected 200, 204, 300-308",
	       "message lists every range");
	t.expect = NULL;
	t.nexpect = 0;

	r = ok_result(503, 120);
	r.cls = EC_TIMEOUT;
	snprintf(r.msg, sizeof(r.msg), "no answer after 5000 ms");
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_TIMEOUT, "transport class kept");
	IS_STR(r.msg, "no answer after 5000 ms", "transport message kept");

	t.body_contains = needle_ok;
	r = ok_result(200, 120);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_BODY, "body missing: body class");
	IS_STR(r.msg, "\"ok\" not found in the body (1234 bytes read)",
	       "body message");
	r = ok_result(200, 120);
	r.bytes = 1048576;
	r.body_truncated = true;
	verdict_apply(&t, &r);
	IS_STR(r.msg, "\"ok\" not found in the body (1048576 bytes read, "
		      "stopped at max_body)", "body message mentions max_body");
	r = ok_result(200, 120);
	r.bytes = 1;
	verdict_apply(&t, &r);
	IS_STR(r.msg, "\"ok\" not found in the body (1 byte read)",
	       "body message singular");
	r = ok_result(200, 120);
	r.body_found = true;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "body found: success");

	memset(long_needle, 'n', sizeof(long_needle) - 1);
	long_needle[sizeof(long_needle) - 1] = '\0';
	long_needle[59] = '\xc3';   /* a 2-byte char across the cut at 60 */
	long_needle[60] = '\xa9';
	t.body_contains = long_needle;
	r = ok_result(200, 120);
	verdict_apply(&t, &r);
	HAS_STR(r.msg, "nnn...\" not found in the body (1234 bytes read)",
		"long needle cut, byte count kept");
	OK(strstr(r.msg, "\xc3...") == NULL, "needle cut on a char boundary");
	t.body_contains = NULL;

	t.max_latency_ms = 800;
	r = ok_result(200, 1250);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_SLOW, "over max_latency: slow");
	IS_STR(r.msg, "1250 ms, over max_latency 800 ms", "slow message");
	r = ok_result(200, 800.3);
	verdict_apply(&t, &r);
	IS_STR(r.msg, "800.3 ms, over max_latency 800 ms",
	       "slow message shows the excess that rounding hides");
	r = ok_result(200, 800);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "exactly max_latency: success");
	t.max_latency_ms = 0;
	r = ok_result(200, 99999);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "max_latency 0: no limit");

	/* Order: status before body before latency. */
	t.max_latency_ms = 800;
	t.body_contains = needle_ok;
	r = ok_result(503, 5000);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_STATUS, "wrong status wins over body and latency");
	r = ok_result(200, 5000);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_BODY, "missing body wins over latency");
	r = ok_result(200, 5000);
	r.body_found = true;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_SLOW, "right answer, too slow");
}

/* Bytes a peer sent, quoted for a message: the first line, printable,
 * short, never more than the buffer. */
static void test_quote(void)
{
	char q[64];
	static const unsigned char ssh[] = "SSH-2.0-OpenSSH_9.2\r\nmore";
	static const unsigned char bin[] = { 0xde, 0xad, '"', '\\', 0x1b, 'x' };
	unsigned char big[200];

	result_quote(q, sizeof(q), ssh, sizeof(ssh) - 1, 40);
	IS_STR(q, "SSH-2.0-OpenSSH_9.2", "first line only");
	result_quote(q, sizeof(q), bin, sizeof(bin), 40);
	IS_STR(q, "\\xde\\xad\\\"\\\\\\x1bx", "escapes: bytes, quote, backslash, ESC");
	memset(big, 'a', sizeof(big));
	result_quote(q, sizeof(q), big, sizeof(big), 10);
	IS_STR(q, "aaaaaaaaaa...", "cut at max with an ellipsis");
	result_quote(q, 8, big, sizeof(big), 40);
	IS_STR(q, "aaaa...", "cut at the buffer, terminated");
	result_quote(q, sizeof(q), big, 0, 40);
	IS_STR(q, "", "nothing received");
}

static void test_digits(void)
{
	char d[32];

	result_group_digits(d, sizeof(d), 0);
	IS_STR(d, "0", "zero");
	result_group_digits(d, sizeof(d), 999);
	IS_STR(d, "999", "no separator under 1,000");
	result_group_digits(d, sizeof(d), 1234);
	IS_STR(d, "1,234", "thousands");
	result_group_digits(d, sizeof(d), 1048576);
	IS_STR(d, "1,048,576", "millions");
	result_group_digits(d, 4, 1234567);
	OK(strlen(d) < 4, "a short buffer stays terminated (%s)", d);
}

/* libcurl's and OpenSSL's wording (7.88, OpenSSL 3.0) to words. */
static void test_tls_words(void)
{
	char w[RESULT_MSG_LEN];

	result_tls_words(w, sizeof(w), 0,
			 "OpenSSL/3.0.19: error:0A00010B:SSL routines::wrong version number",
			 "api.example.com");
	IS_STR(w, "the server does not speak TLS on this port (wrong version number)",
	       "wrong version number: in words");
	result_tls_words(w, sizeof(w), 18,
			 "SSL certificate problem: self-signed certificate", "x");
	IS_STR(w, "self-signed certificate (not trusted)", "X509 18: self-signed");
	result_tls_words(w, sizeof(w), 10,
			 "SSL certificate problem: certificate has expired", "x");
	IS_STR(w, "certificate expired", "X509 10: expired");
	result_tls_words(w, sizeof(w), 20,
			 "SSL certificate problem: unable to get local issuer certificate", "x");
	IS_STR(w, "certificate issued by an unknown CA", "X509 20: unknown CA");
	result_tls_words(w, sizeof(w), 0,
			 "SSL: no alternative certificate subject name matches target "
			 "host name 'localhost'", "localhost");
	IS_STR(w, "certificate is not valid for 'localhost'", "host name mismatch names the host");
	result_tls_words(w, sizeof(w), 0,
			 "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to 127.0.0.1:443 ",
			 "127.0.0.1");
	IS_STR(w, "connection closed during the TLS handshake", "closed mid-handshake");
	result_tls_words(w, sizeof(w), 0,
			 "OpenSSL/3.0.19: error:0A000410:SSL routines::sslv3 alert handshake failure",
			 "x");
	HAS_STR(w, "handshake failure alert", "handshake failure alert");
	result_tls_words(w, sizeof(w), 0,
			 "OpenSSL/3.0.19: error:0A0000C1:SSL routines::no shared cipher", "x");
	IS_STR(w, "no cipher in common", "no shared cipher");
	result_tls_words(w, sizeof(w), 0,
			 "OpenSSL/3.0.19: error:0A000126:SSL routines::made up reason", "x");
	IS_STR(w, "TLS handshake failed (made up reason)",
	       "unknown: OpenSSL's words without its codes");
	result_tls_words(w, sizeof(w), 99,
			 "SSL certificate problem: some new problem", "x");
	IS_STR(w, "certificate not trusted: some new problem", "unknown X509 code: its words");
	result_tls_words(w, 12, 0, "wrong version number", "x");
	OK(strlen(w) == 11, "cut to the buffer, terminated");
}

static void test_answered(void)
{
	OK(eclass_answered(EC_NONE) && eclass_answered(EC_SLOW) &&
		   eclass_answered(EC_STATUS) && eclass_answered(EC_BODY) &&
		   eclass_answered(EC_CONDITION),
	   "success, slow, status, body and condition verdicts had an answer");
	OK(!eclass_answered(EC_RESET) && !eclass_answered(EC_TIMEOUT) &&
		   !eclass_answered(EC_PROTOCOL) && !eclass_answered(EC_TLS),
	   "transport failures had no complete answer");
}

/* The one latency rule (result.h): a complete answer's total time. */
static void test_latency_rule(void)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	OK(result_has_latency(&r), "200, up: a latency");
	r.cls = EC_CONDITION;
	OK(result_has_latency(&r), "a condition verdict on a whole answer: a latency");
	r.cls = EC_RESET;
	OK(!result_has_latency(&r), "status line kept, then reset: no latency");
	r.cls = EC_TIMEOUT;
	OK(!result_has_latency(&r), "status line kept, then timed out: no latency");
	memset(&r, 0, sizeof(r));
	OK(!result_has_latency(&r), "up without a status (conditions on a failed connect): none");
	r.cls = EC_REFUSED;
	OK(!result_has_latency(&r), "refused: none");
	OK(result_latency_known(503, 0, EC_STATUS) && !result_latency_known(200, 0, EC_PROTOCOL),
	   "the same rule from a history entry's status and class");
	memset(&r, 0, sizeof(r));
	r.connected = true;
	OK(result_has_latency(&r), "a TCP connect (or a DNS answer): a latency");
	r.cls = EC_BODY;
	OK(result_has_latency(&r), "a banner that does not match: an answer, a latency");
	r.connected = false;
	r.cls = EC_TIMEOUT;
	OK(!result_has_latency(&r), "no banner in time: none");
	OK(result_latency_known(0, 4, EC_STATUS) && !result_latency_known(0, 0, EC_NONE),
	   "a history entry's answer code counts like a status");
}

#define DAY (24LL * 3600 * 1000)

/* cert_expiry: degraded, with the date, the CN and which certificate. */
static void test_cert_expiry(void)
{
	struct target_conf t = conf_default();
	struct result r;
	char w[64];

	t.cert_expiry_ms = 14 * DAY;
	r = ok_result(200, 100);
	r.start_wall_ms = 1796342400000LL;          /* 2026-12-04T00:00:00Z */
	r.cert_not_after_ms = r.start_wall_ms + 6 * DAY + 3600000;
	r.cert_leaf_not_after_ms = r.cert_not_after_ms;
	snprintf(r.cert_first_cn, sizeof(r.cert_first_cn), "shop.example.com");
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_CERT_EXPIRY, "6 days left of a 14d cert_expiry: cert_expiry");
	IS_STR(r.msg, "certificate expires in 6 days (2026-12-10), CN=shop.example.com",
	       "the message: days, date, CN");
	OK(!eclass_is_failure(EC_CERT_EXPIRY) && eclass_is_degraded(EC_CERT_EXPIRY) &&
		   eclass_answered(EC_CERT_EXPIRY), "degraded, an answer, not a failure");
	r = ok_result(200, 100);
	r.start_wall_ms = 1796342400000LL;
	r.cert_not_after_ms = r.start_wall_ms + 30 * DAY;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "30 days left: up");
	r.cert_not_after_ms = r.start_wall_ms + 2 * DAY;
	r.cert_depth = 1;
	snprintf(r.cert_first_cn, sizeof(r.cert_first_cn), "Shop Intermediate CA");
	verdict_apply(&t, &r);
	IS_STR(r.msg, "intermediate certificate expires in 1 day (2026-12-06), CN=Shop "
	       "Intermediate CA", "an intermediate says so (2 days less the check's 100 ms)");
	r = ok_result(200, 100);
	r.start_wall_ms = 1796342400000LL;
	r.cert_not_after_ms = r.start_wall_ms - DAY - 60000;
	verdict_apply(&t, &r);
	IS_STR(r.msg, "certificate expired 1 day ago (2026-12-02)",
	       "expired (verify_tls off): said, no CN known");
	r = ok_result(200, 900);
	r.start_wall_ms = 1796342400000LL;
	r.cert_not_after_ms = r.start_wall_ms + DAY;
	t.max_latency_ms = 800;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_SLOW, "slow and expiring: slow is said");
	t.max_latency_ms = 0;
	t.cert_expiry_ms = 0;
	r = ok_result(200, 100);
	r.cert_not_after_ms = r.start_wall_ms + DAY;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "cert_expiry 0: off");
	t.cert_expiry_ms = 14 * DAY;
	r = ok_result(200, 100);
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "no certificate (http): nothing to judge");
	r = ok_result(503, 100);
	r.cert_not_after_ms = r.start_wall_ms + DAY;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_STATUS, "a wrong status says more than the date");
	result_cert_left(w, sizeof(w), 10 * 3600000LL + 5, 0);
	IS_STR(w, "in 10 hours", "under a day: hours");
	result_cert_left(w, sizeof(w), 0, 90000);
	IS_STR(w, "expired 1 minute ago", "minutes");
}

/* DNS and TCP checks: the rcode decides without conditions; CODE text. */
static void test_kinds(void)
{
	struct target_conf t = conf_default();
	struct result r;
	char code[16];

	t.kind = CHECK_DNS;
	memset(&r, 0, sizeof(r));
	r.connected = true;
	snprintf(r.dns_rcode, sizeof(r.dns_rcode), "NXDOMAIN");
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_STATUS, "DNS: NXDOMAIN without conditions: status");
	IS_STR(r.msg, "got NXDOMAIN, expected NOERROR", "the rcode's message");
	IS_INT(result_answer_code(&r), 4, "answer code: 1 + rcode 3");
	result_code_text(code, sizeof(code), CHECK_DNS, 0, result_answer_code(&r));
	IS_STR(code, "NXDOMAIN", "CODE shows the rcode");
	memset(&r, 0, sizeof(r));
	r.connected = true;
	snprintf(r.dns_rcode, sizeof(r.dns_rcode), "NOERROR");
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "DNS: NOERROR: up");
	t.kind = CHECK_TCP;
	memset(&r, 0, sizeof(r));
	r.connected = true;
	verdict_apply(&t, &r);
	IS_INT(r.cls, EC_NONE, "TCP: connected, no status needed");
	result_code_text(code, sizeof(code), CHECK_TCP, 0, result_answer_code(&r));
	IS_STR(code, "open", "CODE: open");
	result_code_text(code, sizeof(code), CHECK_TCP, 0, 0);
	IS_STR(code, "-", "CODE: - without a connection");
	result_code_text(code, sizeof(code), CHECK_HTTP, 503, 0);
	IS_STR(code, "503", "CODE: the status");
	IS_STR(result_rcode_name(5), "REFUSED", "rcode 5");
	IS_STR(result_rcode_name(12), "", "rcode 12 has no name in miekg/dns (Gatus)");
}

int main(void)
{
	test_names();
	test_expect();
	test_apply();
	test_quote();
	test_digits();
	test_tls_words();
	test_answered();
	test_latency_rule();
	test_cert_expiry();
	test_kinds();
	return tap_done();
}
