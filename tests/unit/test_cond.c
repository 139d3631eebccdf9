/* test_cond.c - conditions in Gatus' language: Gatus' own test scenarios
 * replayed (same inputs, same success, same message), the Go rules they
 * stand on (golike), uptop's additions ([HEADER], body regexes) and the
 * verdict cond_apply gives. */
#include "tap.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "config.h"
#include "golike.h"

/* A Gatus Result, the fields its tests set. */
struct gres {
	const char *ip;
	int status;
	int64_t duration_ms;
	const char *body;      /* NULL: not read */
	bool connected;
	int64_t cert_ms;       /* time until the certificate expires */
};

struct scenario {
	const char *name, *cond;
	struct gres res;
	bool success, dont_resolve, resolve_success;
	const char *output;
};

/* config/endpoint/condition_test.go, TestCondition_evaluate, in order. */
static const struct scenario gatus[] = {
	{ "ip", "[IP] == 127.0.0.1",
	  { "127.0.0.1", 0, 0, NULL, false, 0 },
	  true, false, false, "[IP] == 127.0.0.1" },
	{ "status", "[STATUS] == 200",
	  { "", 200, 0, NULL, false, 0 },
	  true, false, false, "[STATUS] == 200" },
	{ "status-failure", "[STATUS] == 200",
	  { "", 500, 0, NULL, false, 0 },
	  false, false, false, "[STATUS] (500) == 200" },
	{ "status-using-less-than", "[STATUS] < 300",
	  { "", 201, 0, NULL, false, 0 },
	  true, false, false, "[STATUS] < 300" },
	{ "status-using-less-than-failure", "[STATUS] < 300",
	  { "", 404, 0, NULL, false, 0 },
	  false, false, false, "[STATUS] (404) < 300" },
	{ "response-time-using-less-than", "[RESPONSE_TIME] < 500",
	  { "", 0, 50, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] < 500" },
	{ "response-time-using-less-than-with-duration", "[RESPONSE_TIME] < 1s",
	  { "", 0, 50, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] < 1s" },
	{ "response-time-using-less-than-invalid", "[RESPONSE_TIME] < potato",
	  { "", 0, 50, NULL, false, 0 },
	  false, false, false, "[RESPONSE_TIME] (50) < potato (0)" },
	{ "response-time-using-greater-than", "[RESPONSE_TIME] > 500",
	  { "", 0, 750, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] > 500" },
	{ "response-time-using-greater-than-with-duration", "[RESPONSE_TIME] > 1s",
	  { "", 0, 2000, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] > 1s" },
	{ "response-time-using-greater-than-or-equal-to-equal", "[RESPONSE_TIME] >= 500",
	  { "", 0, 500, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] >= 500" },
	{ "response-time-using-greater-than-or-equal-to-greater", "[RESPONSE_TIME] >= 500",
	  { "", 0, 499, NULL, false, 0 },
	  false, false, false, "[RESPONSE_TIME] (499) >= 500" },
	{ "response-time-using-greater-than-or-equal-to-failure", "[RESPONSE_TIME] >= 500",
	  { "", 0, 499, NULL, false, 0 },
	  false, false, false, "[RESPONSE_TIME] (499) >= 500" },
	{ "response-time-using-less-than-or-equal-to-equal", "[RESPONSE_TIME] <= 500",
	  { "", 0, 500, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] <= 500" },
	{ "response-time-using-less-than-or-equal-to-less", "[RESPONSE_TIME] <= 500",
	  { "", 0, 25, NULL, false, 0 },
	  true, false, false, "[RESPONSE_TIME] <= 500" },
	{ "response-time-using-less-than-or-equal-to-failure", "[RESPONSE_TIME] <= 500",
	  { "", 0, 750, NULL, false, 0 },
	  false, false, false, "[RESPONSE_TIME] (750) <= 500" },
	{ "body", "[BODY] == test",
	  { "", 0, 0, "test", false, 0 },
	  true, false, false, "[BODY] == test" },
	{ "body-resolved-on-success", "[BODY].status == UP",
	  { "", 0, 0, "{\"status\":\"UP\"}", false, 0 },
	  true, false, true, "[BODY].status (UP) == UP" },
	{ "body-numerical-equal", "[BODY] == 123",
	  { "", 0, 0, "123", false, 0 },
	  true, false, false, "[BODY] == 123" },
	{ "body-numerical-less-than", "[BODY] < 124",
	  { "", 0, 0, "123", false, 0 },
	  true, false, false, "[BODY] < 124" },
	{ "body-numerical-greater-than", "[BODY] > 122",
	  { "", 0, 0, "123", false, 0 },
	  true, false, false, "[BODY] > 122" },
	{ "body-numerical-greater-than-failure", "[BODY] > 123",
	  { "", 0, 0, "100", false, 0 },
	  false, false, false, "[BODY] (100) > 123" },
	{ "body-jsonpath", "[BODY].status == UP",
	  { "", 0, 0, "{\"status\":\"UP\"}", false, 0 },
	  true, false, false, "[BODY].status == UP" },
	{ "body-jsonpath-complex", "[BODY].data.name == john",
	  { "", 0, 0, "{\"data\": {\"id\": 1, \"name\": \"john\"}}", false, 0 },
	  true, false, false, "[BODY].data.name == john" },
	{ "body-jsonpath-complex-invalid", "[BODY].data.name == john",
	  { "", 0, 0, "{\"data\": {\"id\": 1}}", false, 0 },
	  false, false, false, "[BODY].data.name (INVALID) == john" },
	{ "body-jsonpath-complex-len-invalid", "len([BODY].data.name) == john",
	  { "", 0, 0, "{\"data\": {\"id\": 1}}", false, 0 },
	  false, false, false, "len([BODY].data.name) (INVALID) == john" },
	{ "body-jsonpath-double-placeholder", "[BODY].user.firstName != [BODY].user.lastName",
	  { "", 0, 0, "{\"user\": {\"firstName\": \"john\", \"lastName\": \"doe\"}}", false, 0 },
	  true, false, false, "[BODY].user.firstName != [BODY].user.lastName" },
	{ "body-jsonpath-double-placeholder-failure",
	  "[BODY].user.firstName == [BODY].user.lastName",
	  { "", 0, 0, "{\"user\": {\"firstName\": \"john\", \"lastName\": \"doe\"}}", false, 0 },
	  false, false, false, "[BODY].user.firstName (john) == [BODY].user.lastName (doe)" },
	{ "body-jsonpath-when-body-is-array", "[BODY][0].id == 1",
	  { "", 0, 0, "[{\"id\": 1}, {\"id\": 2}]", false, 0 },
	  true, false, false, "[BODY][0].id == 1" },
	{ "body-jsonpath-when-body-has-null-parameter", "[BODY].data == OK",
	  { "", 0, 0, "{\"data\": null}\"", false, 0 },
	  false, false, false, "[BODY].data (INVALID) == OK" },
	{ "body-jsonpath-when-body-has-array-with-null", "[BODY].items[0] == OK",
	  { "", 0, 0, "{\"items\": [null, null]}\"", false, 0 },
	  false, false, false, "[BODY].items[0] (INVALID) == OK" },
	{ "body-jsonpath-when-body-is-null", "[BODY].data == OK",
	  { "", 0, 0, "null", false, 0 },
	  false, false, false, "[BODY].data (INVALID) == OK" },
	{ "body-jsonpath-when-body-is-array-but-actual-body-is-not", "[BODY][0].name == test",
	  { "", 0, 0, "{\"statusCode\": 500, \"message\": \"Internal Server Error\"}", false, 0 },
	  false, false, false, "[BODY][0].name (INVALID) == test" },
	{ "body-jsonpath-complex-int", "[BODY].data.id == 1",
	  { "", 0, 0, "{\"data\": {\"id\": 1}}", false, 0 },
	  true, false, false, "[BODY].data.id == 1" },
	{ "body-jsonpath-complex-array-int", "[BODY].data[1].id == 2",
	  { "", 0, 0, "{\"data\": [{\"id\": 1}, {\"id\": 2}, {\"id\": 3}]}", false, 0 },
	  true, false, false, "[BODY].data[1].id == 2" },
	{ "body-jsonpath-complex-int-using-greater-than", "[BODY].data.id > 0",
	  { "", 0, 0, "{\"data\": {\"id\": 1}}", false, 0 },
	  true, false, false, "[BODY].data.id > 0" },
	{ "body-jsonpath-hexadecimal-int-using-greater-than", "[BODY].data > 0",
	  { "", 0, 0, "{\"data\": \"0x1\"}", false, 0 },
	  true, false, false, "[BODY].data > 0" },
	{ "body-jsonpath-hexadecimal-int-using-equal-to-0x1", "[BODY].data == 1",
	  { "", 0, 0, "{\"data\": \"0x1\"}", false, 0 },
	  true, false, false, "[BODY].data == 1" },
	{ "body-jsonpath-hexadecimal-int-using-equals", "[BODY].data == 0x1",
	  { "", 0, 0, "{\"data\": \"0x1\"}", false, 0 },
	  true, false, false, "[BODY].data == 0x1" },
	{ "body-jsonpath-hexadecimal-int-using-equal-to-0x2", "[BODY].data == 2",
	  { "", 0, 0, "{\"data\": \"0x2\"}", false, 0 },
	  true, false, false, "[BODY].data == 2" },
	{ "body-jsonpath-hexadecimal-int-using-equal-to-0xF", "[BODY].data == 15",
	  { "", 0, 0, "{\"data\": \"0xF\"}", false, 0 },
	  true, false, false, "[BODY].data == 15" },
	{ "body-jsonpath-hexadecimal-int-using-equal-to-0xC0ff33", "[BODY].data == 12648243",
	  { "", 0, 0, "{\"data\": \"0xC0ff33\"}", false, 0 },
	  true, false, false, "[BODY].data == 12648243" },
	{ "body-jsonpath-hexadecimal-int-len", "len([BODY].data) == 3",
	  { "", 0, 0, "{\"data\": \"0x1\"}", false, 0 },
	  true, false, false, "len([BODY].data) == 3" },
	{ "body-jsonpath-hexadecimal-int-greater", "[BODY].data >= 1",
	  { "", 0, 0, "{\"data\": \"0x01\"}", false, 0 },
	  true, false, false, "[BODY].data >= 1" },
	{ "body-jsonpath-hexadecimal-int-0x01-len", "len([BODY].data) == 4",
	  { "", 0, 0, "{\"data\": \"0x01\"}", false, 0 },
	  true, false, false, "len([BODY].data) == 4" },
	{ "body-jsonpath-octal-int-using-greater-than", "[BODY].data > 0",
	  { "", 0, 0, "{\"data\": \"0o1\"}", false, 0 },
	  true, false, false, "[BODY].data > 0" },
	{ "body-jsonpath-octal-int-using-equal", "[BODY].data == 2",
	  { "", 0, 0, "{\"data\": \"0o2\"}", false, 0 },
	  true, false, false, "[BODY].data == 2" },
	{ "body-jsonpath-octal-int-using-equals", "[BODY].data == 0o2",
	  { "", 0, 0, "{\"data\": \"0o2\"}", false, 0 },
	  true, false, false, "[BODY].data == 0o2" },
	{ "body-jsonpath-binary-int-using-greater-than", "[BODY].data > 0",
	  { "", 0, 0, "{\"data\": \"0b1\"}", false, 0 },
	  true, false, false, "[BODY].data > 0" },
	{ "body-jsonpath-binary-int-using-equal", "[BODY].data == 2",
	  { "", 0, 0, "{\"data\": \"0b0010\"}", false, 0 },
	  true, false, false, "[BODY].data == 2" },
	{ "body-jsonpath-binary-int-using-equals", "[BODY].data == 0b10",
	  { "", 0, 0, "{\"data\": \"0b0010\"}", false, 0 },
	  true, false, false, "[BODY].data == 0b10" },
	{ "body-jsonpath-complex-int-using-greater-than-failure", "[BODY].data.id > 5",
	  { "", 0, 0, "{\"data\": {\"id\": 1}}", false, 0 },
	  false, false, false, "[BODY].data.id (1) > 5" },
	{ "body-jsonpath-float-using-greater-than-issue433", "[BODY].balance > 100",
	  { "", 0, 0, "{\"balance\": \"123.40000000000005\"}", false, 0 },
	  true, false, false, "[BODY].balance > 100" },
	{ "body-jsonpath-complex-int-using-less-than", "[BODY].data.id < 5",
	  { "", 0, 0, "{\"data\": {\"id\": 2}}", false, 0 },
	  true, false, false, "[BODY].data.id < 5" },
	{ "body-jsonpath-complex-int-using-less-than-failure", "[BODY].data.id < 5",
	  { "", 0, 0, "{\"data\": {\"id\": 10}}", false, 0 },
	  false, false, false, "[BODY].data.id (10) < 5" },
	{ "connected", "[CONNECTED] == true",
	  { "", 0, 0, NULL, true, 0 },
	  true, false, false, "[CONNECTED] == true" },
	{ "connected-failure", "[CONNECTED] == true",
	  { "", 0, 0, NULL, false, 0 },
	  false, false, false, "[CONNECTED] (false) == true" },
	{ "certificate-expiration-not-set", "[CERTIFICATE_EXPIRATION] == 0",
	  { "", 0, 0, NULL, false, 0 },
	  true, false, false, "[CERTIFICATE_EXPIRATION] == 0" },
	{ "certificate-expiration-greater-than-numerical", "[CERTIFICATE_EXPIRATION] > 2419200000",
	  { "", 0, 0, NULL, false, 5184000000 },
	  true, false, false, "[CERTIFICATE_EXPIRATION] > 2419200000" },
	{ "certificate-expiration-greater-than-numerical-failure",
	  "[CERTIFICATE_EXPIRATION] > 2419200000",
	  { "", 0, 0, NULL, false, 1209600000 },
	  false, false, false, "[CERTIFICATE_EXPIRATION] (336h) > 2419200000" },
	{ "certificate-expiration-greater-than-duration", "[CERTIFICATE_EXPIRATION] > 12h",
	  { "", 0, 0, NULL, false, 86400000 },
	  true, false, false, "[CERTIFICATE_EXPIRATION] > 12h" },
	{ "certificate-expiration-greater-than-duration", "[CERTIFICATE_EXPIRATION] > 48h",
	  { "", 0, 0, NULL, false, 86400000 },
	  false, false, false, "[CERTIFICATE_EXPIRATION] (24h) > 48h" },
	{ "no-placeholders", "1 == 2",
	  { "", 0, 0, NULL, false, 0 },
	  false, false, false, "1 == 2" },
	{ "len-body-jsonpath-complex", "len([BODY].data.name) == 4",
	  { "", 0, 0, "{\"data\": {\"name\": \"john\"}}", false, 0 },
	  true, false, false, "len([BODY].data.name) == 4" },
	{ "len-body-array", "len([BODY]) == 3",
	  { "", 0, 0, "[{\"id\": 1}, {\"id\": 2}, {\"id\": 3}]", false, 0 },
	  true, false, false, "len([BODY]) == 3" },
	{ "len-body-keyed-array", "len([BODY].data) == 3",
	  { "", 0, 0, "{\"data\": [{\"id\": 1}, {\"id\": 2}, {\"id\": 3}]}", false, 0 },
	  true, false, false, "len([BODY].data) == 3" },
	{ "len-body-array-invalid", "len([BODY].data) == 8",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  false, false, false, "len([BODY].data) (INVALID) == 8" },
	{ "len-body-string", "len([BODY]) == 8",
	  { "", 0, 0, "john.doe", false, 0 },
	  true, false, false, "len([BODY]) == 8" },
	{ "len-body-keyed-string", "len([BODY].name) == 8",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  true, false, false, "len([BODY].name) == 8" },
	{ "len-body-keyed-int", "len([BODY].age) == 2",
	  { "", 0, 0, "{\"age\":18}", false, 0 },
	  true, false, false, "len([BODY].age) == 2" },
	{ "len-body-keyed-bool", "len([BODY].adult) == 4",
	  { "", 0, 0, "{\"adult\":true}", false, 0 },
	  true, false, false, "len([BODY].adult) == 4" },
	{ "len-body-object-inside-array", "len([BODY][0]) == 23",
	  { "", 0, 0, "[{\"age\":18,\"adult\":true}]", false, 0 },
	  true, false, false, "len([BODY][0]) == 23" },
	{ "len-body-object-keyed-int-inside-array", "len([BODY][0].age) == 2",
	  { "", 0, 0, "[{\"age\":18,\"adult\":true}]", false, 0 },
	  true, false, false, "len([BODY][0].age) == 2" },
	{ "len-body-keyed-bool-inside-array", "len([BODY][0].adult) == 4",
	  { "", 0, 0, "[{\"age\":18,\"adult\":true}]", false, 0 },
	  true, false, false, "len([BODY][0].adult) == 4" },
	{ "len-body-object", "len([BODY]) == 20",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  true, false, false, "len([BODY]) == 20" },
	{ "pat-body-1", "[BODY] == pat(*john*)",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  true, false, false, "[BODY] == pat(*john*)" },
	{ "pat-body-2", "[BODY].name == pat(john*)",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  true, false, false, "[BODY].name == pat(john*)" },
	{ "pat-body-failure", "[BODY].name == pat(bob*)",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  false, false, false, "[BODY].name (john.doe) == pat(bob*)" },
	{ "pat-body-html", "[BODY] == pat(*<div id=\"user\">john.doe</div>*)",
	  { "", 0, 0, "<!DOCTYPE html><html lang=\"en\"><head>"
		      "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />"
		      "</head><body><div id=\"user\">john.doe</div></body></html>", false, 0 },
	  true, false, false, "[BODY] == pat(*<div id=\"user\">john.doe</div>*)" },
	{ "pat-body-html-failure", "[BODY] == pat(*<div id=\"user\">john.doe</div>*)",
	  { "", 0, 0, "<!DOCTYPE html><html lang=\"en\"><head>"
		      "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />"
		      "</head><body><div id=\"user\">jane.doe</div></body></html>", false, 0 },
	  false, false, false, "[BODY] (<!DOCTYPE html><html lang...(truncated)) == "
			       "pat(*<div id=\"user\">john.doe</div>*)" },
	{ "pat-body-html-failure-alt", "pat(*<div id=\"user\">john.doe</div>*) == [BODY]",
	  { "", 0, 0, "<!DOCTYPE html><html lang=\"en\"><head>"
		      "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />"
		      "</head><body><div id=\"user\">jane.doe</div></body></html>", false, 0 },
	  false, false, false, "pat(*<div id=\"user\">john.doe</div>*) == "
			       "[BODY] (<!DOCTYPE html><html lang...(truncated))" },
	{ "pat-body-in-array", "[BODY].data == pat(*Whatever*)",
	  { "", 0, 0, "{\"data\": [\"hello\", \"world\", \"Whatever\"]}", false, 0 },
	  true, false, false, "[BODY].data == pat(*Whatever*)" },
	{ "pat-ip", "[IP] == pat(10.*)",
	  { "10.0.0.0", 0, 0, NULL, false, 0 },
	  true, false, false, "[IP] == pat(10.*)" },
	{ "pat-ip-failure", "[IP] == pat(10.*)",
	  { "255.255.255.255", 0, 0, NULL, false, 0 },
	  false, false, false, "[IP] (255.255.255.255) == pat(10.*)" },
	{ "pat-status", "[STATUS] == pat(4*)",
	  { "", 404, 0, NULL, false, 0 },
	  true, false, false, "[STATUS] == pat(4*)" },
	{ "pat-status-failure", "[STATUS] == pat(4*)",
	  { "", 200, 0, NULL, false, 0 },
	  false, false, false, "[STATUS] (200) == pat(4*)" },
	{ "any-body-1", "[BODY].name == any(john.doe, jane.doe)",
	  { "", 0, 0, "{\"name\": \"john.doe\"}", false, 0 },
	  true, false, false, "[BODY].name == any(john.doe, jane.doe)" },
	{ "any-body-2", "[BODY].name == any(john.doe, jane.doe)",
	  { "", 0, 0, "{\"name\": \"jane.doe\"}", false, 0 },
	  true, false, false, "[BODY].name == any(john.doe, jane.doe)" },
	{ "any-body-failure", "[BODY].name == any(john.doe, jane.doe)",
	  { "", 0, 0, "{\"name\": \"bob\"}", false, 0 },
	  false, false, false, "[BODY].name (bob) == any(john.doe, jane.doe)" },
	{ "any-status-1", "[STATUS] == any(200, 429)",
	  { "", 200, 0, NULL, false, 0 },
	  true, false, false, "[STATUS] == any(200, 429)" },
	{ "any-status-2", "[STATUS] == any(200, 429)",
	  { "", 429, 0, NULL, false, 0 },
	  true, false, false, "[STATUS] == any(200, 429)" },
	{ "any-status-reverse", "any(200, 429) == [STATUS]",
	  { "", 429, 0, NULL, false, 0 },
	  true, false, false, "any(200, 429) == [STATUS]" },
	{ "any-status-failure", "[STATUS] == any(200, 429)",
	  { "", 404, 0, NULL, false, 0 },
	  false, false, false, "[STATUS] (404) == any(200, 429)" },
	{ "any-status-failure-but-dont-resolve", "[STATUS] == any(200, 429)",
	  { "", 404, 0, NULL, false, 0 },
	  false, true, false, "[STATUS] == any(200, 429)" },
	{ "has", "has([BODY].errors) == false",
	  { "", 0, 0, "{}", false, 0 },
	  true, false, false, "has([BODY].errors) == false" },
	{ "has-key-of-map", "has([BODY].article) == true",
	  { "", 0, 0, "{\n  \"article\": {\n    \"id\": 123,\n"
		      "    \"title\": \"Hello, world!\",\n    \"author\": \"John Doe\",\n"
		      "    \"tags\": [\"hello\", \"world\"],\n"
		      "    \"content\": \"I really like Gatus!\"\n  }\n}", false, 0 },
	  true, false, false, "has([BODY].article) == true" },
	{ "has-failure", "has([BODY].errors) == false",
	  { "", 0, 0, "{\"errors\": [\"1\"]}", false, 0 },
	  false, false, false, "has([BODY].errors) (true) == false" },
	{ "has-failure-but-dont-resolve", "has([BODY].errors) == false",
	  { "", 0, 0, "{\"errors\": [\"1\"]}", false, 0 },
	  false, true, false, "has([BODY].errors) == false" },
};

static struct result to_result(const struct gres *g)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	snprintf(r.remote_ip, sizeof(r.remote_ip), "%s", g->ip);
	r.http_status = g->status;
	r.t.total_ms = (double)g->duration_ms;
	r.connected = g->connected;
	r.start_wall_ms = 1700000000000;
	r.cert_leaf_not_after_ms = g->cert_ms ? r.start_wall_ms + g->duration_ms + g->cert_ms : 0;
	return r;
}

/* Compiles one condition and evaluates it: the number failed, msg. */
static int eval1(const char *cond, const struct result *r, const char *body, bool resolve,
		 char *msg, size_t len)
{
	char err[256], warn[256];
	struct cond_list *l = cond_list_new();
	struct resp_view v = { body, body ? strlen(body) : 0, NULL, 0 };
	size_t failed;

	if (cond_list_add(l, cond, err, sizeof(err), warn, sizeof(warn)) != 0) {
		snprintf(msg, len, "compile error: %s", err);
		cond_list_unref(l);
		return -1;
	}
	failed = cond_list_eval(l, r, body ? &v : NULL, resolve, msg, len, NULL);
	cond_list_unref(l);
	return (int)failed;
}

static void test_gatus_scenarios(void)
{
	for (size_t i = 0; i < ARRAY_LEN(gatus); i++) {
		const struct scenario *s = &gatus[i];
		struct result r = to_result(&s->res);
		char msg[2048], what[160];
		int failed = eval1(s->cond, &r, s->res.body, !s->dont_resolve, msg, sizeof(msg));

		snprintf(what, sizeof(what), "gatus %s: success", s->name);
		IS_INT(failed, s->success ? 0 : 1, what);
		/* uptop writes a message for failures only (Gatus' UI option
		 * resolve-successful-conditions has no place in a table). */
		if (!s->success) {
			snprintf(what, sizeof(what), "gatus %s: message", s->name);
			IS_STR(msg, s->output, what);
		}
	}
}

/* The memo of a target's last body: every Gatus scenario evaluated
 * through one memo, twice in a row (the second from the memo), gives what
 * the memo-less evaluation gives; so do bodies that alternate under one
 * list, and a body too large to keep. */
static int eval_memo(struct cond_list *l, const struct result *r, const char *body,
		     bool resolve, char *msg, size_t len, struct cond_memo **memo)
{
	struct resp_view v = { body, body ? strlen(body) : 0, NULL, 0 };

	return (int)cond_list_eval(l, r, body ? &v : NULL, resolve, msg, len, memo);
}

static struct cond_list *compile(const char *const *conds, size_t n)
{
	char err[256], warn[256];
	struct cond_list *l = cond_list_new();

	for (size_t i = 0; i < n; i++)
		if (cond_list_add(l, conds[i], err, sizeof(err), warn, sizeof(warn)) != 0)
			fatal("compile %s: %s", conds[i], err);
	return l;
}

static void test_memo_scenarios(void)
{
	struct cond_memo *memo = NULL;
	size_t same = 0;

	for (size_t i = 0; i < ARRAY_LEN(gatus); i++) {
		const struct scenario *s = &gatus[i];
		struct result r = to_result(&s->res);
		char want[2048], got[2048];
		int nwant = eval1(s->cond, &r, s->res.body, !s->dont_resolve, want, sizeof(want));
		struct cond_list *l;

		if (nwant < 0)
			continue;
		l = compile(&s->cond, 1);
		for (int k = 0; k < 2; k++) {
			int n = eval_memo(l, &r, s->res.body, !s->dont_resolve, got, sizeof(got),
					  &memo);

			same += n == nwant && strcmp(got, want) == 0;
		}
		cond_list_unref(l);   /* the memo keeps it until the next list */
	}
	IS_INT((long long)same, (long long)(2 * ARRAY_LEN(gatus)),
	       "every scenario, twice through one memo, as without it");
	cond_memo_free(memo);
}

static void test_memo_bodies(void)
{
	static const char *const conds[] = {
		"[BODY].status == UP", "len([BODY].users) == 2", "has([BODY].x) == false",
		"len([BODY]) == 3", "[STATUS] == 200",
	};
	static const char *const bodies[] = {
		"{\"status\":\"UP\",\"users\":[1,2]}",
		"{\"status\":\"DOWN\",\"users\":[1],\"x\":1}",
		"[1,2,3]",
		"",
		"not json",
	};
	struct cond_list *l = compile(conds, ARRAY_LEN(conds));
	struct cond_memo *memo = NULL;
	struct result r;
	char want[2048], got[2048], *big;
	size_t same = 0, rounds = 0;

	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	/* Each body after each other one (and itself), so every change and
	 * every repeat meets the memo. */
	for (size_t a = 0; a < ARRAY_LEN(bodies); a++) {
		for (size_t b = 0; b < ARRAY_LEN(bodies); b++) {
			const char *seq[3] = { bodies[a], bodies[b], bodies[b] };

			for (int k = 0; k < 3; k++) {
				int nwant = eval_memo(l, &r, seq[k], true, want, sizeof(want),
						      NULL);
				int n = eval_memo(l, &r, seq[k], true, got, sizeof(got), &memo);

				same += n == nwant && strcmp(got, want) == 0;
				rounds++;
			}
		}
	}
	IS_INT((long long)same, (long long)rounds, "alternating bodies: as without the memo");
	IS_STR(got, "[BODY].status (INVALID) == UP; len([BODY].users) (INVALID) == 2; "
	       "len([BODY]) (8) == 3", "the last body's own failures, not a kept one's");
	/* A body past what the memo keeps: evaluated, and right, each time. */
	big = xmalloc(6001);
	memset(big, ' ', 6000);
	memcpy(big, bodies[0], strlen(bodies[0]));
	big[6000] = '\0';
	for (int k = 0; k < 2; k++) {
		int nwant = eval_memo(l, &r, big, true, want, sizeof(want), NULL);

		IS_INT(eval_memo(l, &r, big, true, got, sizeof(got), &memo), nwant,
		       "a 6,000-byte body: the same count");
		IS_STR(got, want, "a 6,000-byte body: the same message");
	}
	IS_INT(eval_memo(l, &r, bodies[0], true, got, sizeof(got), &memo), 1,
	       "after it, the small body again: only len([BODY]) fails");
	free(big);
	cond_memo_free(memo);
	cond_list_unref(l);
}

/* TestCondition_Validate: what compiles and what is an error. */
static void test_validate(void)
{
	static const char *const good[] = {
		"[STATUS] == 200", "[STATUS] != 200", "[STATUS] <= 200", "[STATUS] >= 200",
		"[STATUS] < 200", "[STATUS] > 200", "[STATUS] == any(200, 201, 202, 203)",
		"[STATUS] == [BODY].status", "[CONNECTED] == true", "[RESPONSE_TIME] < 500",
		"[IP] == 127.0.0.1", "[BODY] == 1", "[BODY].test == wat",
		"[BODY].test.wat == wat", "[BODY].age == [BODY].id", "[BODY].users[0].id == 1",
		"len([BODY].users) == 100", "len([BODY].data) < 5", "has([BODY].errors) == false",
		"has([BODY].users[0].name) == true", "[BODY].name == pat(john*)",
		"[CERTIFICATE_EXPIRATION] > 48h", "raw == raw", "[STATUS] == ",
	};
	static const char *const bad[] = {
		"[STATUS] ? 201", "[STATUS]==201", "[STATUS] = = 201", "[STATUS] ==", "[STATUS]",
		"",
	};

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		struct cond_list *l = cond_list_new();
		char err[256], warn[256];

		OK(cond_list_add(l, good[i], err, sizeof(err), warn, sizeof(warn)) == 0,
		   "valid: %s", good[i]);
		cond_list_unref(l);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct cond_list *l = cond_list_new();
		char err[256] = "", warn[256];

		OK(cond_list_add(l, bad[i], err, sizeof(err), warn, sizeof(warn)) < 0,
		   "invalid: '%s'", bad[i]);
		HAS_STR(err, "no operator", "invalid: names the missing operator");
		cond_list_unref(l);
	}
}

/* Same checks as above on one line each: cond, body, success, message. */
struct more {
	const char *cond, *body;
	int status;
	bool success;
	const char *output;
};

/* Beyond Gatus' tests, from Gatus' code: each line was worked out from
 * condition.go, placeholder.go and jsonpath.go (and Go's fmt, strconv,
 * time and encoding/json). */
static const struct more more[] = {
	/* an INVALID side is the text "X (INVALID)": != holds */
	{ "[BODY].missing != 1", "{}", 0, true, NULL },
	{ "[BODY].a == [BODY].b", "{}", 0, false, "[BODY].a (INVALID) == [BODY].b (INVALID)" },
	/* numbers from JSON print as Go prints a float64 */
	{ "[BODY].n == 1", "{\"n\": 1.0}", 0, true, NULL },
	{ "[BODY].n == x", "{\"n\": 1000000}", 0, false, "[BODY].n (1e+06) == x" },
	{ "[BODY].n == x", "{\"n\": 123456}", 0, false, "[BODY].n (123456) == x" },
	{ "[BODY].n == x", "{\"n\": 0.000012}", 0, false, "[BODY].n (1.2e-05) == x" },
	{ "[BODY].n == x", "{\"n\": -2.5}", 0, false, "[BODY].n (-2.5) == x" },
	{ "[BODY].n > 5", "{\"n\": 1e3}", 0, true, NULL },
	/* integers past 64 bits are float64s, as Go reads every number */
	{ "[BODY].n == x", "{\"n\": 100000000000000000000}", 0, false, "[BODY].n (1e+20) == x" },
	{ "[BODY].n == x", "[1, {\"n\": -9223372036854775809}]", 0, false,
	  "[BODY].n ([1 map[n:-9.223372036854776e+18]]) == x" },
	{ "[BODY][1].n == x", "[1, {\"n\": -9223372036854775809, \"s\": \"12345678901234567890\"}]",
	  0, false, "[BODY][1].n (-9.223372036854776e+18) == x" },
	{ "[BODY].s == 12345678901234567890",
	  "{\"s\": \"12345678901234567890\", \"e\": 1e+0000000000000000001}",
	  0, true, NULL },
	/* arrays in Go's %v form, objects as minified JSON with sorted keys */
	{ "[BODY].a == x", "{\"a\": [1, \"b\", true, null]}", 0, false,
	  "[BODY].a ([1 b true <nil>]) == x" },
	{ "[BODY].a == x", "{\"a\": [{\"z\": 1, \"y\": [2]}]}", 0, false,
	  "[BODY].a ([map[y:[2] z:1]]) == x" },
	{ "[BODY].o == x", "{\"o\": {\"z\": \"<&>\", \"a\": 1.5e21, \"m\": 1e-7}}", 0, false,
	  "[BODY].o ({\"a\":1.5e+21,\"m\":1e-7,\"z\":\"\\u003c\\u0026\\u003e\"}) == x" },
	{ "len([BODY].o) == 7", "{\"o\": {\"k\": 1}}", 0, true, NULL },
	{ "len([BODY].a) == 3", "{\"a\": [1, [2, 3], {}]}", 0, true, NULL },
	/* a path through an array stops there; through a string is INVALID */
	{ "[BODY].a.b == x", "{\"a\": [1, 2]}", 0, false, "[BODY].a.b ([1 2]) == x" },
	{ "[BODY].a.b == x", "{\"a\": \"s\"}", 0, false, "[BODY].a.b (INVALID) == x" },
	{ "[BODY].a.b == x", "{\"a\": 7}", 0, false, "[BODY].a.b (7) == x" },
	{ "[BODY].a[1][0] == 3", "{\"a\": [[1], [3, 4]]}", 0, true, NULL },
	{ "[BODY][1] == b", "[\"a\", \"b\"]", 0, true, NULL },
	{ "[BODY][2] == b", "[\"a\", \"b\"]", 0, false, "[BODY][2] (INVALID) == b" },
	{ "[BODY].a[-1] == b", "{\"a\": [\"b\"]}", 0, false, "[BODY].a[-1] (INVALID) == b" },
	/* not JSON as Go reads it: trailing text, NaN, a raw tab in a string */
	{ "[BODY].a == 1", "{\"a\": 1} x", 0, false, "[BODY].a (INVALID) == 1" },
	{ "[BODY].a == 1", "{\"a\": 1, \"b\": NaN}", 0, false, "[BODY].a (INVALID) == 1" },
	{ "[BODY].a == 1", "{\"a\": 1, \"b\": \"x\ty\"}", 0, false, "[BODY].a (INVALID) == 1" },
	{ "[BODY].a == 1", " {\"a\": 1}\r\n", 0, true, NULL },
	{ "[BODY] == 5", "5", 0, true, NULL },
	/* [BODY] is trimmed; len([BODY]) of a non-array is the raw length */
	{ "[BODY] == ok", "  ok\n", 0, true, NULL },
	{ "len([BODY]) == 5", "  ok\n", 0, true, NULL },
	{ "has([BODY]) == false", " \n", 0, true, NULL },
	/* placeholders are case-insensitive; functions are not */
	{ "[status] == 200", NULL, 200, true, NULL },
	{ "LEN([STATUS]) == 3", NULL, 200, false, "LEN([STATUS]) == 3" },
	{ "len([NOPE]) == 3", NULL, 200, false, "len([NOPE]) (INVALID) == 3" },
	{ "has([NOPE]) == false", NULL, 200, true, NULL },
	{ "len([STATUS]) == 3", NULL, 200, true, NULL },
	{ "has([IP]) == false", NULL, 200, true, NULL },
	/* == compares Go integers: 0x, 0o, 0b, a leading 0 is octal, _ */
	{ "[STATUS] == 0xC8", NULL, 200, true, NULL },
	{ "[STATUS] == 0310", NULL, 200, true, NULL },
	{ "[STATUS] == 2_00", NULL, 200, true, NULL },
	{ "[STATUS] == 200.0", NULL, 200, false, "[STATUS] (200) == 200.0" },
	/* < > parse durations, integers, then floats; the rest is 0. The
	 * messages keep Gatus' formatDuration, which cuts "0s" and "0m"
	 * off the end ("10s" shows as "1", "90s" as "1m3"). */
	{ "[RESPONSE_TIME] < 1.5s", NULL, 200, true, NULL },
	{ "[STATUS] < 1e3", NULL, 200, true, NULL },
	{ "[STATUS] > 0x1F4", NULL, 200, false, "[STATUS] (200) > 0x1F4 (500)" },
	{ "[STATUS] > 10s", NULL, 200, false, "[STATUS] (200) > 10s (1)" },
	{ "[STATUS] > 300s", NULL, 200, false, "[STATUS] (200) > 300s (5m)" },
	{ "[STATUS] < 0", NULL, 200, false, "[STATUS] (200) < 0 (0s)" },
	{ "[STATUS] > 90s", NULL, 200, false, "[STATUS] (200) > 90s (1m3)" },
	{ "[STATUS] > 2h", NULL, 200, false, "[STATUS] (200) > 2h" },
	/* any(): exact text of each trimmed option; pat(): a glob, '/' removed */
	{ "[STATUS] == any(0xC8, 201)", NULL, 200, false, "[STATUS] (200) == any(0xC8, 201)" },
	{ "[BODY] == pat(a/b*)", "ab/c", 0, true, NULL },
	{ "[BODY] == pat(x?z)", "x\xc3\xa9z", 0, true, NULL },
	{ "[BODY] == pat([a-c]1)", "b1", 0, true, NULL },
	{ "[BODY] == pat([^a-c]1)", "b1", 0, false, "[BODY] (b1) == pat([^a-c]1)" },
	{ "[BODY] == pat(a[)", "a[", 0, false, "[BODY] (a[) == pat(a[)" },
	{ "[BODY] == pat(a\\*)", "a*", 0, true, NULL },
	{ "pat(a*) == pat(a*)", NULL, 0, true, NULL },
	{ "[BODY].v == ok", "{\"v\": \"pat(o*)\"}", 0, true, NULL },
	/* a pat() cut counts runes */
	{ "[BODY] == pat(x)", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 0, false,
	  "[BODY] (\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...(truncated)) == pat(x)" },
	{ "[BODY] == pat(x)", "abcdefghijklmnopqrstuvwxyz", 0, false,
	  "[BODY] (abcdefghijklmnopqrstuvwxy...(truncated)) == pat(x)" },
	/* a second operator: Gatus compares the first two sides only */
	{ "[STATUS] == 200 == 300", NULL, 200, true, NULL },
	/* invalid UTF-8 in a JSON string reads as U+FFFD, as Go decodes it */
	{ "[BODY].s == x", "{\"s\": \"a\xffz\"}", 0, false, "[BODY].s (a\xef\xbf\xbdz) == x" },
	/* unset data: what Gatus sees when a check does not fill it */
	{ "[DNS_RCODE] == NOERROR", NULL, 200, false, "[DNS_RCODE] () == NOERROR" },
	{ "[CERTIFICATE_EXPIRATION] > 48h", NULL, 200, false,
	  "[CERTIFICATE_EXPIRATION] (0s) > 48h" },
	{ "[IP] == 127.0.0.1", NULL, 200, false, "[IP] () == 127.0.0.1" },
	{ "[CONNECTED] == true", NULL, 200, true, NULL },
	{ "[CONNECTED] == true", NULL, 0, false, "[CONNECTED] (false) == true" },
	{ "[RESPONSE_TIME] == 250", NULL, 0, true, NULL },
	/* [BODY] not captured: empty */
	{ "[BODY].a == 1", NULL, 200, false, "[BODY].a (INVALID) == 1" },
};

static void test_more(void)
{
	for (size_t i = 0; i < ARRAY_LEN(more); i++) {
		const struct more *m = &more[i];
		struct result r;
		char msg[1024], what[200];
		int failed;

		memset(&r, 0, sizeof(r));
		r.http_status = m->status;
		r.t.total_ms = 250.7;
		failed = eval1(m->cond, &r, m->body, true, msg, sizeof(msg));
		snprintf(what, sizeof(what), "%s: %s", m->cond, m->success ? "holds" : "fails");
		IS_INT(failed, m->success ? 0 : 1, what);
		if (!m->success) {
			snprintf(what, sizeof(what), "%s: message", m->cond);
			IS_STR(msg, m->output, what);
		}
	}
}

/* [HEADER].Name: case-insensitive, repeated lines joined, absent INVALID. */
static void test_headers(void)
{
	static const char hdrs[] = "Content-Type: application/json; charset=utf-8\n"
				   "X-Cache: HIT\nx-cache:  MISS \nX-Empty:\n";
	struct cond_list *l = cond_list_new();
	struct resp_view v = { NULL, 0, hdrs, sizeof(hdrs) - 1 };
	struct result r;
	char err[256], warn[256], msg[512];
	size_t n;
	const char *const *names;

	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	OK(cond_list_add(l, "[HEADER].content-type == pat(application/json*)", err, sizeof(err),
			 warn, sizeof(warn)) == 0, "header condition compiles");
	OK(cond_list_add(l, "[HEADER].X-Cache == HIT, MISS", err, sizeof(err), warn,
			 sizeof(warn)) == 0, "second header condition");
	OK(cond_list_add(l, "has([HEADER].X-Empty) == true", err, sizeof(err), warn,
			 sizeof(warn)) == 0, "has() of a header");
	OK(cond_list_add(l, "len([HEADER].X-Cache) == 9", err, sizeof(err), warn,
			 sizeof(warn)) == 0, "len() of a header");
	names = cond_list_headers(l, &n);
	IS_INT(n, 3, "three distinct header names wanted");
	IS_STR(names[0], "content-type", "names are lower-cased");
	IS_STR(names[1], "x-cache", "once each");
	OK(!cond_list_needs_body(l), "headers do not need the body");
	IS_INT(cond_list_eval(l, &r, &v, true, msg, sizeof(msg), NULL), 0,
	       "all header conditions hold");
	cond_list_unref(l);
	l = cond_list_new();
	cond_list_add(l, "[HEADER].Server == nginx", err, sizeof(err), warn, sizeof(warn));
	IS_INT(cond_list_eval(l, &r, &v, true, msg, sizeof(msg), NULL), 1, "absent header fails");
	IS_STR(msg, "[HEADER].Server (INVALID) == nginx", "absent header is INVALID");
	cond_list_unref(l);
	l = cond_list_new();
	OK(cond_list_add(l, "[HEADER] == x", err, sizeof(err), warn, sizeof(warn)) < 0,
	   "[HEADER] without a name is an error");
	HAS_STR(err, "[HEADER].Name", "the error shows the form");
	OK(cond_list_add(l, "[HEADER].a b == x", err, sizeof(err), warn, sizeof(warn)) < 0,
	   "a header name with a space is an error");
	cond_list_unref(l);
}

/* Compile-time errors and warnings beyond Gatus' own. */
static void test_compile_notes(void)
{
	struct cond_list *l = cond_list_new();
	char err[256], warn[256];

	OK(cond_list_add(l, "[DOMAIN_EXPIRATION] > 720h", err, sizeof(err), warn,
			 sizeof(warn)) < 0, "[DOMAIN_EXPIRATION] is refused");
	HAS_STR(err, "WHOIS", "and says why");
	OK(cond_list_add(l, "[STAUTS] == 200", err, sizeof(err), warn, sizeof(warn)) == 0,
	   "an unknown placeholder compiles (Gatus compares it as text)");
	HAS_STR(warn, "[STAUTS] is not a placeholder", "but is warned about");
	OK(cond_list_add(l, "[STATUS] == 200 == 300", err, sizeof(err), warn, sizeof(warn)) == 0,
	   "a second operator compiles");
	HAS_STR(warn, "appears twice", "and is warned about");
	OK(cond_list_add(l, "[body].status == UP", err, sizeof(err), warn, sizeof(warn)) == 0,
	   "lower-case [body] compiles");
	HAS_STR(warn, "in capitals", "and is warned about: Gatus does not read the body for it");
	OK(!cond_list_needs_body(l), "and the body is not read, as in Gatus");
	OK(cond_list_add(l, "[STATUS] == 200", err, sizeof(err), warn, sizeof(warn)) == 0 &&
	   !warn[0], "a plain condition has no warning");
	OK(cond_list_add(l, "[BODY] == pat(*[BODY]*)", err, sizeof(err), warn, sizeof(warn)) == 0,
	   "[BODY] anywhere");
	OK(cond_list_needs_body(l), "makes the body read (as in Gatus)");
	IS_INT(cond_list_len(l), 5, "five compiled");
	IS_STR(cond_list_source(l, 0), "[STAUTS] == 200", "sources kept as written");
	cond_list_unref(l);
}

/* Several failures are all named, joined with "; ", cut on a rune. */
static void test_messages(void)
{
	struct cond_list *l = cond_list_new();
	struct result r;
	char err[256], warn[256], msg[64];

	memset(&r, 0, sizeof(r));
	r.http_status = 503;
	r.t.total_ms = 812;
	cond_list_add(l, "[STATUS] == 200", err, sizeof(err), warn, sizeof(warn));
	cond_list_add(l, "[RESPONSE_TIME] < 500", err, sizeof(err), warn, sizeof(warn));
	cond_list_add(l, "[STATUS] != 404", err, sizeof(err), warn, sizeof(warn));
	IS_INT(cond_list_eval(l, &r, NULL, true, msg, sizeof(msg), NULL), 2, "two of three fail");
	IS_STR(msg, "[STATUS] (503) == 200; [RESPONSE_TIME] (812) < 500", "both, joined");
	IS_INT(cond_list_eval(l, &r, NULL, true, msg, 30, NULL), 2, "a short buffer");
	IS_STR(msg, "[STATUS] (503) == 200; [RE...", "cut with ...");
	cond_list_unref(l);
}

static struct target_conf conf_with(const char *const *conds, size_t n)
{
	struct target_conf t;
	char err[256], warn[256];

	memset(&t, 0, sizeof(t));
	t.conditions = cond_list_new();
	for (size_t i = 0; i < n; i++)
		cond_list_add(t.conditions, conds[i], err, sizeof(err), warn, sizeof(warn));
	return t;
}

/* cond_apply: the verdict a target with conditions gets. */
static void test_apply(void)
{
	static const char *const st[] = { "[STATUS] == 200", "[BODY].ok == true" };
	static const char *const closed[] = { "[CONNECTED] == false" };
	struct target_conf t = conf_with(st, 2);
	struct resp_view good = { "{\"ok\": true}", 12, NULL, 0 }, bad = { "{}", 2, NULL, 0 };
	struct result r;

	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	cond_apply(&t, &r, &good, NULL);
	IS_INT(r.cls, EC_NONE, "all hold: success");
	cond_apply(&t, &r, &bad, NULL);
	IS_INT(r.cls, EC_CONDITION, "one fails: class condition");
	IS_STR(r.msg, "[BODY].ok (INVALID) == true", "with Gatus' message");
	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	r.cls = EC_SLOW;
	cond_apply(&t, &r, &bad, NULL);
	IS_INT(r.cls, EC_CONDITION, "a failing condition outranks slow");
	memset(&r, 0, sizeof(r));
	r.cls = EC_REFUSED;
	snprintf(r.msg, sizeof(r.msg), "connection refused");
	cond_apply(&t, &r, NULL, NULL);
	IS_INT(r.cls, EC_REFUSED, "a transport failure keeps its class");
	IS_STR(r.msg, "connection refused", "and its message");
	r.cls = EC_LOCAL;
	cond_apply(&t, &r, NULL, NULL);
	IS_INT(r.cls, EC_LOCAL, "our own limits are never judged");
	cond_list_unref(t.conditions);
	t = conf_with(closed, 1);
	memset(&r, 0, sizeof(r));
	r.cls = EC_REFUSED;
	snprintf(r.msg, sizeof(r.msg), "connection refused");
	cond_apply(&t, &r, NULL, NULL);
	IS_INT(r.cls, EC_NONE, "[CONNECTED] == false holds on a refused port: up, as in Gatus");
	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	cond_apply(&t, &r, NULL, NULL);
	IS_INT(r.cls, EC_CONDITION, "and fails when it answers");
	IS_STR(r.msg, "[CONNECTED] (true) == false", "message");
	memset(&r, 0, sizeof(r));
	r.cls = EC_STATUS;
	cond_apply(&t, &r, NULL, NULL);
	IS_INT(r.cls, EC_STATUS, "an explicit expect_status failure stands");
	t.conditions_unresolved = true;
	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	cond_apply(&t, &r, NULL, NULL);
	IS_STR(r.msg, "[CONNECTED] == false", "dont-resolve-failed-conditions: as written");
	cond_list_unref(t.conditions);
}

/* body_matches / body_not_matches. */
static void test_regex(void)
{
	char err[256];
	struct cond_regex *re = cond_regex_new("\"status\": *\"(UP|ok)\"", err, sizeof(err));
	struct cond_regex *no = cond_regex_new("^ERROR", err, sizeof(err));
	struct target_conf t;
	struct result r;
	static const char body[] = "{\"status\": \"DOWN\"}\nERROR: disk full\n";
	struct resp_view v = { body, sizeof(body) - 1, NULL, 0 };
	size_t at, n;

	OK(re && no, "regexes compile");
	OK(cond_regex_new("a(b", err, sizeof(err)) == NULL, "a bad regex does not");
	OK(err[0] != '\0', "and says why: %s", err);
	OK(cond_regex_search(no, body, sizeof(body) - 1, &at, &n) && at == 19 && n == 5,
	   "^ matches at a line start (REG_NEWLINE)");
	OK(cond_regex_search(re, "x\0 \"status\": \"UP\"", 18, &at, &n),
	   "NUL bytes do not end the body");
	memset(&t, 0, sizeof(t));
	t.body_matches = re;
	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	r.bytes = sizeof(body) - 1;
	cond_apply(&t, &r, &v, NULL);
	IS_INT(r.cls, EC_BODY, "body_matches missing: class body");
	IS_STR(r.msg, "body does not match /\"status\": *\"(UP|ok)\"/ (36 bytes read)", "message");
	t.body_matches = NULL;
	t.body_not_matches = no;
	memset(&r, 0, sizeof(r));
	r.http_status = 200;
	cond_apply(&t, &r, &v, NULL);
	IS_INT(r.cls, EC_BODY, "body_not_matches found: class body");
	IS_STR(r.msg, "body matches /^ERROR/ at byte 19: \"ERROR\"", "message names where");
	OK(cond_needs_body(&t), "a body regex needs the body");
	cond_regex_unref(re);
	cond_regex_unref(no);
}

/* Go's decoder nests 10,000 deep and no more; json-c's fast tokener stops
 * at 63, so deeper bodies take the second parse. */
static void test_depth(void)
{
	static const int depth[] = { 63, 64, 100, 10000, 10001 };

	for (size_t i = 0; i < ARRAY_LEN(depth); i++) {
		int d = depth[i];
		char *b = malloc((size_t)d * 2 + 2), msg[256];
		struct result r;

		memset(b, '[', (size_t)d);
		b[d] = '1';
		memset(b + d + 1, ']', (size_t)d);
		b[2 * d + 1] = '\0';
		memset(&r, 0, sizeof(r));
		/* len([BODY]) of an array that parses is 1; else the text length */
		IS_INT(eval1(d <= 10000 ? "len([BODY]) == 1" : "len([BODY]) == 20003", &r, b, true,
			     msg, sizeof(msg)), 0, d <= 10000 ? "nested arrays parse" :
			"10,001 levels do not (as Go)");
		free(b);
	}
}

/* Splits a line of tests/unit/data/gatus_cases.tsv in place, unescaping
 * each field; the number of fields. */
static int tsv_fields(char *line, char **f, int max)
{
	int n = 0;
	char *w = line;

	f[n++] = w;
	for (char *p = line; *p && *p != '\n'; p++) {
		if (*p == '\t' && n < max) {
			*w++ = '\0';
			f[n++] = w;
		} else if (*p == '\\' && p[1]) {
			p++;
			*w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return n;
}

/* 1,200 conditions judged by Gatus' own code (its condition.go,
 * placeholder.go, jsonpath and pattern built with Go): the same success,
 * and for a failure the same message. */
static void test_gatus_oracle(void)
{
	FILE *fp = fopen("tests/unit/data/gatus_cases.tsv", "r");
	char *line = NULL, *f[10];
	size_t cap = 0;
	int rows = 0, same = 0;

	if (!OK(fp != NULL, "open tests/unit/data/gatus_cases.tsv"))
		return;
	while (getline(&line, &cap, fp) > 0) {
		struct gres g;
		struct result r;
		char msg[4096];
		int failed;

		if (line[0] == '#' || tsv_fields(line, f, 10) != 9)
			continue;
		g = (struct gres){ f[1], atoi(f[0]), atoll(f[2]), strcmp(f[6], "~") ? f[6] : NULL,
				   f[3][0] == '1', atoll(f[4]) };
		r = to_result(&g);
		failed = eval1(f[5], &r, g.body, true, msg, sizeof(msg));
		rows++;
		if ((failed == 0) == (f[7][0] == '1') && (failed == 0 || strcmp(msg, f[8]) == 0)) {
			same++;
			continue;
		}
		printf("# %s | body %s\n#   gatus: %s %s\n#   uptop: %s %s\n", f[5], f[6],
		       f[7][0] == '1' ? "holds" : "fails", f[8], failed ? "fails" : "holds", msg);
	}
	free(line);
	fclose(fp);
	OK(rows >= 1000, "the oracle file has %d cases", rows);
	IS_INT(same, rows, "every case: Gatus' success and message");
}

/* ---- golike: Go's rules ---------------------------------------------------- */

static void test_golike(void)
{
	int64_t v, ns;
	double f;
	char buf[64];
	size_t n = 10;
	const char *t = go_trim_space("\xc2\xa0 x y\t\xe3\x80\x80", &n);

	OK(n == 3 && memcmp(t, "x y", 3) == 0, "TrimSpace: Unicode spaces at both ends");
	OK(go_parse_int("-0x_1F", 6, &v) && v == -31, "ParseInt: -0x_1F");
	OK(go_parse_int("0b101", 5, &v) && v == 5, "ParseInt: 0b101");
	OK(go_parse_int("017", 3, &v) && v == 15, "ParseInt: leading 0 is octal");
	OK(!go_parse_int("08", 2, &v), "ParseInt: 08 is not octal");
	OK(!go_parse_int("1__0", 4, &v), "ParseInt: __ refused");
	OK(!go_parse_int("9223372036854775808", 19, &v), "ParseInt: range");
	OK(go_parse_int("-9223372036854775808", 20, &v) && v == INT64_MIN, "ParseInt: INT64_MIN");
	OK(go_parse_float("1_000.5", 7, &f) && f == 1000.5, "ParseFloat: underscores");
	OK(go_parse_float("0x1p-2", 6, &f) && f == 0.25, "ParseFloat: hex");
	OK(!go_parse_float("0x1", 3, &f), "ParseFloat: hex needs p");
	OK(go_parse_float("-Infinity", 9, &f) && isinf(f) && f < 0, "ParseFloat: -Infinity");
	OK(!go_parse_float("1e400", 5, &f), "ParseFloat: overflow is an error");
	OK(!go_parse_float("1e", 2, &f) && !go_parse_float(".", 1, &f), "ParseFloat: syntax");
	OK(go_parse_duration("1h30m", 5, &ns) && ns == 5400000000000LL, "ParseDuration 1h30m");
	OK(go_parse_duration("-1.5s", 5, &ns) && ns == -1500000000LL, "ParseDuration -1.5s");
	OK(go_parse_duration("1\xc2\xb5s", 4, &ns) && ns == 1000, "ParseDuration µs");
	OK(go_parse_duration("0", 1, &ns) && ns == 0, "ParseDuration 0");
	OK(!go_parse_duration("5", 1, &ns) && !go_parse_duration("1d", 2, &ns) &&
	   !go_parse_duration("", 0, &ns), "ParseDuration: no unit, unknown unit, empty");
	IS_INT(go_numeric("2.9", 3), 2, "numeric: float truncated");
	IS_INT(go_numeric("potato", 6), 0, "numeric: text is 0");
	IS_INT(go_numeric("1m", 2), 60000, "numeric: duration in ms");
	IS_INT(go_float_to_int64(NAN), INT64_MIN, "int64(NaN) as on amd64");
	go_gatus_duration(336LL * 3600000, buf, sizeof(buf));
	IS_STR(buf, "336h", "formatDuration 336h");
	go_gatus_duration(5400000 + 15000, buf, sizeof(buf));
	IS_STR(buf, "1h30m15s", "formatDuration 1h30m15s");
	go_gatus_duration(-1500, buf, sizeof(buf));
	IS_STR(buf, "-1s", "formatDuration truncates toward zero");
	go_fmt_float(1e21, buf, sizeof(buf));
	IS_STR(buf, "1e+21", "%%v 1e21");
	go_fmt_float(0.0001, buf, sizeof(buf));
	IS_STR(buf, "0.0001", "%%v 0.0001");
	go_fmt_float(123456.789, buf, sizeof(buf));
	IS_STR(buf, "123456.789", "%%v 123456.789");
	go_fmt_float(0.1 + 0.2, buf, sizeof(buf));
	IS_STR(buf, "0.30000000000000004", "%%v shortest round trip");
	go_json_float(1e20, buf, sizeof(buf));
	IS_STR(buf, "100000000000000000000", "json 1e20");
	go_json_float(-1.5e-7, buf, sizeof(buf));
	IS_STR(buf, "-1.5e-7", "json -1.5e-7");
	OK(go_pattern_match("*", 1, "a/b", 3), "pat *");
	OK(!go_pattern_match("a*c", 3, "abd", 3), "pat a*c");
	OK(go_pattern_match("a*c*e", 5, "abcde", 5), "pat a*c*e");
	OK(go_pattern_match("[\xc3\xa0-\xc3\xbf]", 7, "\xc3\xa9", 2), "pat a rune range");
}

int main(void)
{
	test_gatus_scenarios();
	test_gatus_oracle();
	test_memo_scenarios();
	test_memo_bodies();
	test_validate();
	test_more();
	test_headers();
	test_compile_notes();
	test_messages();
	test_apply();
	test_regex();
	test_depth();
	test_golike();
	return tap_done();
}
