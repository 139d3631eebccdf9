/* test_gatus.c - conditions and body regexes as config keys, and Gatus'
 * endpoints: read as targets (keys, defaults, warnings, what is refused). */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cfgload.h"
#include "config.h"

static void test_target_keys(void)
{
	struct diag e = { 0 };
	struct config *c = load("defaults:\n"
				"  conditions: ['[STATUS] == 200']\n"
				"  body_not_matches: 'ERROR'\n"
				"targets:\n"
				"  - url: http://a/\n"
				"  - url: http://b/\n"
				"    conditions: ['[BODY].ok == true', 'len([BODY]) > 0']\n"
				"    expect_status: [200]\n"
				"    body_not_matches: ~\n"
				"  - url: http://c/\n", &e);

	if (!OK(c != NULL, "conditions and regexes load")) {
		diag_print(&e, stdout);
		return;
	}
	IS_INT(cond_list_len(c->targets[0].conditions), 1, "a: conditions from defaults");
	OK(c->targets[0].conditions == c->targets[2].conditions,
	   "inherited conditions are shared, compiled once");
	OK(!c->targets[0].expect_set, "a: expect_status not written");
	IS_INT(cond_list_len(c->targets[1].conditions), 2, "b: its own conditions replace them");
	OK(c->targets[1].expect_set, "b: expect_status written: it applies beside them");
	OK(cond_needs_body(&c->targets[1]), "b: [BODY] needs the body");
	OK(c->targets[0].body_not_matches && !c->targets[1].body_not_matches,
	   "a regex from defaults; ~ clears it");
	IS_STR(cond_regex_source(c->targets[0].body_not_matches), "ERROR", "regex source kept");
	IS_INT(c->warnings.n, 0, "no warnings");
	config_free(c);
	diag_clear(&e);
}

static void test_endpoints(void)
{
	struct diag e = { 0 };
	struct config *c = load("endpoints:\n"
				"  - name: api\n"
				"    group: core\n"
				"    url: http://127.0.0.1/health\n"
				"    method: post\n"
				"    body: '{\"from\": \"[ENDPOINT_NAME]/[ENDPOINT_GROUP]\"}'\n"
				"    conditions: ['[STATUS] == 200']\n"
				"    client: {insecure: true, ignore-redirect: true, timeout: 3s}\n"
				"    ui: {dont-resolve-failed-conditions: true, hide-url: true}\n"
				"    alerts: [{type: slack}]\n"
				"  - name: defaults\n"
				"    url: http://127.0.0.1/\n"
				"    conditions: ['[STATUS] == 200']\n"
				"  - name: off\n"
				"    enabled: false\n"
				"    url: http://127.0.0.1/off\n"
				"    conditions: ['[STATUS] == 200']\n"
				"targets:\n"
				"  - url: http://127.0.0.1/mine\n"
				"web: {port: 8080}\n", &e);
	const struct target_conf *t;

	if (!OK(c != NULL, "endpoints load beside targets")) {
		diag_print(&e, stdout);
		return;
	}
	IS_INT(c->ntargets, 3, "three targets: the disabled endpoint is not monitored");
	t = &c->targets[1];
	IS_STR(t->name, "api", "endpoint name");
	IS_STR(t->group, "core", "endpoint group");
	IS_STR(t->method, "POST", "method upper-cased");
	IS_STR(t->body, "{\"from\": \"api/core\"}",
	       "[ENDPOINT_NAME] and [ENDPOINT_GROUP] replaced");
	OK(!t->verify_tls && !t->follow_redirects, "insecure and ignore-redirect invert");
	IS_INT(t->timeout_ms, 3000, "client.timeout");
	IS_INT(t->interval_ms, 60000, "Gatus' default interval 60s");
	OK(t->conditions_unresolved, "ui.dont-resolve-failed-conditions");
	t = &c->targets[2];
	IS_INT(t->timeout_ms, 10000, "Gatus' default client timeout 10s");
	OK(t->verify_tls && t->follow_redirects, "Gatus' defaults: verify, follow");
	IS_INT(c->targets[0].interval_ms, CONFIG_DEFAULT_INTERVAL_MS,
	       "targets: keep uptop's defaults");
	IS_INT(c->warnings.n, 1, "one warning");
	OK(c->warnings.n && strstr(c->warnings.msgs[0], "t.yaml:9:48: warning: uptop does not act "
				   "on these keys: hide-url (line 9), alerts (line 10), web "
				   "(line 20)"), "names every ignored key, in file order: %s",
	   c->warnings.n ? c->warnings.msgs[0] : "");
	config_free(c);
	diag_clear(&e);
}

static void test_refused(void)
{
	struct diag e = { 0 };
	struct config *c = load("endpoints:\n"
				"  - name: a\n"
				"    url: http://127.0.0.1/\n"
				"    graphql: true\n"
				"    conditions: ['[STATUS] == 200']\n"
				"  - name: b\n"
				"    url: http://127.0.0.1/\n"
				"    body: 'x [RANDOM_STRING_8]'\n"
				"    conditions: ['[STATUS] == 200']\n"
				"  - name: c\n"
				"    url: tcp://127.0.0.1:6379\n"
				"    body: 'x [LOCAL_ADDRESS]'\n"
				"    conditions: ['[STATUS] == 200']\n"
				"  - name: d\n"
				"    url: http://127.0.0.1/\n"
				"    client: {dns-resolver: '1.1.1.1'}\n"
				"    conditions: ['[STATUS] == 200']\n"
				"  - name: a\n"
				"    url: icmp://127.0.0.1\n"
				"    conditions: ['[CONNECTED] == true']\n", &e);

	OK(c == NULL, "what uptop cannot check is an error, not ignored");
	OK(has_msg(&e, "t.yaml:4:14: graphql: true is not supported"), "graphql");
	OK(has_msg(&e, "t.yaml:8:11: body: [RANDOM_STRING_N] is not supported"), "random strings");
	OK(has_msg(&e, "t.yaml:12:11: body: [LOCAL_ADDRESS] is not supported"),
	   "a tcp body's [LOCAL_ADDRESS]");
	OK(has_msg(&e, "t.yaml:16:28: dns-resolver '1.1.1.1': write {proto}://{ip}:{port}"),
	   "a malformed resolver");
	OK(has_msg(&e, "t.yaml:19:10: url 'icmp://127.0.0.1': only http, https and tcp"),
	   "icmp://");
	OK(has_msg(&e, "t.yaml:18:11: duplicate target name 'a' (first at line 2)"),
	   "names unique across endpoints");
	if (c)
		config_free(c);
	diag_clear(&e);
	c = load("endpoints: []\n", &e);
	OK(c == NULL && has_msg(&e, "t.yaml:1:12: no targets: the 'endpoints:' list is empty"),
	   "an empty endpoints list");
	diag_clear(&e);
	c = load("endpoints:\n  - name: a\n    enabled: false\n    url: http://x/\n"
		 "    conditions: ['[STATUS] == 200']\n", &e);
	OK(c == NULL && has_msg(&e, "every endpoint has 'enabled: false'"), "all disabled");
	diag_clear(&e);
}

/* Gatus' DNS, TCP and dns-resolver endpoints become DNS checks, TCP
 * checks (the body is what is sent) and targets looked up elsewhere. */
static void test_kinds(void)
{
	struct diag e = { 0 };
	struct config *c = load("endpoints:\n"
				"  - name: dns\n"
				"    url: '127.0.0.1:5353'\n"
				"    dns: {query-name: example.org, query-type: mx}\n"
				"    conditions: ['[DNS_RCODE] == NOERROR']\n"
				"  - name: dns53\n"
				"    url: '[::1]'\n"
				"    dns: {query-name: 127.0.0.2, query-type: PTR}\n"
				"    conditions: ['[DNS_RCODE] == NOERROR']\n"
				"  - name: redis\n"
				"    url: tcp://127.0.0.1:6379\n"
				"    body: \"PING\\r\\n\"\n"
				"    conditions: ['[BODY] == +PONG']\n"
				"  - name: web\n"
				"    url: http://svc.test/\n"
				"    client: {dns-resolver: 'udp://127.0.0.1:5353'}\n"
				"    conditions: ['[STATUS] == 200']\n", &e);
	const struct target_conf *t;

	OK(c != NULL, "loads");
	if (!c) {
		for (size_t i = 0; i < e.n; i++)
			printf("# %s\n", e.msgs[i]);
		diag_clear(&e);
		return;
	}
	t = &c->targets[0];
	OK(t->kind == CHECK_DNS && strcmp(t->host, "127.0.0.1") == 0 && t->port == 5353 &&
	   strcmp(t->dns_query_type, "MX") == 0 && strcmp(t->dns_query_name, "example.org") == 0,
	   "a DNS check: the server's address and port, the type upper-cased");
	t = &c->targets[1];
	OK(t->kind == CHECK_DNS && strcmp(t->host, "[::1]") == 0 && t->port == 53 &&
	   strcmp(t->dns_query_name, "2.0.0.127.in-addr.arpa") == 0,
	   "port 53 by default; PTR of an IP asks its reverse name: %s", t->dns_query_name);
	t = &c->targets[2];
	OK(t->kind == CHECK_TCP && strcmp(t->host, "127.0.0.1") == 0 && t->port == 6379 &&
	   t->tcp_send && strcmp(t->tcp_send, "PING\r\n") == 0 && !t->body,
	   "tcp://: the body is sent");
	t = &c->targets[3];
	OK(t->kind == CHECK_HTTP && !t->host && t->dns_resolver &&
	   strcmp(t->dns_resolver, "udp://127.0.0.1:5353") == 0, "http with its own resolver");
	config_free(c);
	c = load("endpoints:\n"
		 "  - name: d\n"
		 "    url: 127.0.0.1\n"
		 "    dns: {query-name: example.org}\n"
		 "    conditions: ['[DNS_RCODE] == NOERROR']\n"
		 "  - name: e\n"
		 "    url: dns.google\n"
		 "    dns: {query-name: example.org, query-type: A}\n"
		 "    conditions: ['[DNS_RCODE] == NOERROR']\n", &e);
	OK(!c && has_msg(&e, "t.yaml:4:10: dns: Gatus needs both query-name and query-type"),
	   "Gatus refuses a DNS check without a type");
	OK(has_msg(&e, "t.yaml:7:10: url 'dns.google': the DNS server is given by IP address"),
	   "a DNS server by name");
	diag_clear(&e);
}

/* Gatus keys endpoints by group and name: a taken name becomes group/name. */
static void test_names(void)
{
	struct diag e = { 0 };
	struct config *c = load("endpoints:\n"
				"  - {name: health, group: api, url: 'http://a/', "
				"conditions: ['1 == 1']}\n"
				"  - {name: health, group: web, url: 'http://b/', "
				"conditions: ['1 == 1']}\n"
				"  - {name: solo, group: x, url: 'http://c/', "
				"conditions: ['1 == 1']}\n"
				"targets:\n"
				"  - {name: health, url: 'http://d/'}\n", &e);

	if (!OK(c != NULL, "the same name in two groups loads")) {
		diag_print(&e, stdout);
		return;
	}
	IS_STR(c->targets[0].name, "health", "a target keeps its name");
	IS_STR(c->targets[1].name, "api/health", "an endpoint whose name is taken: group/name");
	IS_STR(c->targets[2].name, "web/health", "each of them");
	IS_STR(c->targets[3].name, "solo", "a unique name stays as it is");
	config_free(c);
	c = load("endpoints:\n"
		 "  - {name: h, url: 'http://a/', conditions: ['1 == 1']}\n"
		 "  - {name: h, url: 'http://b/', conditions: ['1 == 1']}\n", &e);
	OK(c == NULL && has_msg(&e, "t.yaml:3:12: duplicate target name 'h' (first at line 2)"),
	   "without groups, a duplicate is still an error");
	diag_clear(&e);
}

int main(void)
{
	test_kinds();
	test_target_keys();
	test_endpoints();
	test_refused();
	test_names();
	return tap_done();
}
