/* config_gatus.c - Gatus' `endpoints:`, read as uptop targets.
 *
 * A Gatus config pasted as it is: the top-level `endpoints:` list (beside
 * or instead of `targets:`) with Gatus' own key names and defaults
 * (interval 60s, client timeout 10s), each endpoint becoming one target
 * whose conditions decide its state: an HTTP check, a tcp:// connect (its
 * body sent, the first bytes of the reply read, as Gatus does) or a DNS
 * query (dns:). Keys of Gatus' format that uptop does not act on (alerts,
 * alerting, storage, web, ui, ...) are accepted and named in one warning
 * (KF_IGNORED rows); keys that would change what is checked and that
 * uptop cannot do (graphql, [RANDOM_STRING_N], [LOCAL_ADDRESS]) are
 * errors, never silently dropped. uptop's `defaults:` apply to `targets:`
 * only. */
#include "config_keys.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cond.h"

#define SECOND 1000LL
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

#define GATUS_INTERVAL_MS MINUTE
#define GATUS_TIMEOUT_MS (10 * SECOND)

#define T(kind, f) KEY_##kind(struct target_conf, f)
#define IGNORED(n) { .name = n, .kind = KIND_STRING, .flags = KF_IGNORED, \
		     .help = "Gatus: ignored, with a warning" }

static key_parse_fn gatus_negated, gatus_resolver, gatus_graphql;

/* ---- the tables ----------------------------------------------------------- */

static const struct ckey client_rows[] = {
	{ .name = "timeout", T(DURATION, timeout_ms), .min = 1, .max = HOUR, .def = "10s",
	  .help = "the whole check; below interval" },
	{ .name = "insecure", T(BOOL, verify_tls), .parse = gatus_negated,
	  .help = "true: do not verify the certificate" },
	{ .name = "ignore-redirect", T(BOOL, follow_redirects), .parse = gatus_negated,
	  .help = "true: do not follow redirects" },
	{ .name = "dns-resolver", T(STRING, dns_resolver), .parse = gatus_resolver,
	  .help = "tcp|udp://IP:PORT: names looked up there" },
	IGNORED("identity-aware-proxy"), IGNORED("network"), IGNORED("oauth2"),
	IGNORED("proxy-url"), IGNORED("store-cookies"), IGNORED("tls"), IGNORED("tunnel"),
};

static const struct ckey dns_rows[] = {
	{ .name = "query-name", T(STRING, dns_query_name), .flags = KF_EXPAND,
	  .help = "the name to ask for" },
	{ .name = "query-type", T(STRING, dns_query_type), .parse = tconf_dns_type,
	  .help = "A, AAAA, CNAME, MX, NS, TXT, SOA, PTR, SRV" },
};

static const struct ckey ui_rows[] = {
	{ .name = "dont-resolve-failed-conditions", T(BOOL, conditions_unresolved),
	  .help = "failing ones shown as written" },
	IGNORED("badge"), IGNORED("hide-conditions"), IGNORED("hide-errors"),
	IGNORED("hide-hostname"), IGNORED("hide-port"), IGNORED("hide-url"),
	IGNORED("resolve-successful-conditions"),
};

#define HOME "it belongs in an entry of Gatus' 'endpoints:'"

static const struct ktable keys_client = { "client: of a Gatus endpoint", client_rows,
					   ARRAY_LEN(client_rows), "in client",
					   "it belongs under 'client:' of a Gatus endpoint", false };
static const struct ktable keys_dns = { "dns: of a Gatus endpoint", dns_rows, ARRAY_LEN(dns_rows),
					"in dns", "it belongs under 'dns:' of a Gatus endpoint",
					false };
static const struct ktable keys_ui = { "ui: of a Gatus endpoint", ui_rows, ARRAY_LEN(ui_rows),
				       "in ui", "it belongs under 'ui:' of a Gatus endpoint",
				       false };

static const struct ckey endpoint_rows[] = {
	{ .name = "name", T(STRING, name), .flags = KF_EXPAND,
	  .help = "required: the endpoint's name" },
	{ .name = "group", T(STRING, group), .flags = KF_EXPAND | KF_OPTIONAL, .def = "",
	  .help = "a label to sort and filter by" },
	{ .name = "enabled", T(BOOL, enabled), .def = "true",
	  .help = "false: not monitored" },
	{ .name = "dns", .kind = KIND_MAP, .sub = &keys_dns, .parse = tconf_section,
	  .help = "a DNS check: query-name, query-type" },
	{ .name = "url", T(STRING, url), .flags = KF_EXPAND, .parse = tconf_url,
	  .help = "required: http(s), tcp://, DNS IP" },
	{ .name = "method", T(STRING, method), .def = "GET", .parse = tconf_method,
	  .help = "GET, HEAD, POST, ..." },
	{ .name = "headers", .kind = KIND_MAP, .max = 100, .flags = KF_EXPAND,
	  .parse = tconf_headers, .copy = tconf_headers_copy, .clear = tconf_headers_clear,
	  .help = "Name: value" },
	{ .name = "body", T(STRING, body), .flags = KF_EXPAND | KF_OPTIONAL,
	  .help = "request body ([ENDPOINT_NAME]...)" },
	{ .name = "graphql", .kind = KIND_BOOL, .parse = gatus_graphql,
	  .help = "true is not supported" },
	{ .name = "interval", T(DURATION, interval_ms), .min = 1, .max = DAY, .def = "1m",
	  .help = "time between two checks (Gatus: 1m)" },
	{ .name = "conditions", .kind = KIND_LIST, .max = 100, .parse = tconf_conditions,
	  .copy = tconf_conditions_copy, .clear = tconf_conditions_clear,
	  .help = "required: all must hold" },
	{ .name = "client", .kind = KIND_MAP, .sub = &keys_client, .parse = tconf_section,
	  .help = "timeout (10s), insecure, ignore-redirect" },
	{ .name = "ui", .kind = KIND_MAP, .sub = &keys_ui, .parse = tconf_section,
	  .help = "dont-resolve-failed-conditions" },
	{ .name = "maintenance-windows", .kind = KIND_LIST, .sub = &keys_maint,
	  .off = KEY_AT(struct target_conf, maint, struct maint_list), .parse = mconf_windows,
	  .copy = mconf_windows_copy, .clear = mconf_windows_clear,
	  .help = "windows muting its alerts" },
	IGNORED("alerts"), IGNORED("always-run"), IGNORED("extra-labels"),
	IGNORED("ssh"), IGNORED("store"),
};
_Static_assert(ARRAY_LEN(endpoint_rows) <= KEYS_MAX, "raise KEYS_MAX");

const struct ktable keys_endpoint = { "an entry of endpoints: (Gatus' format)", endpoint_rows,
				      ARRAY_LEN(endpoint_rows), "in an endpoint", HOME, false };

/* ---- hooks ---------------------------------------------------------------- */

/* insecure: and ignore-redirect: say the opposite of verify_tls and
 * follow_redirects, the rows' fields. */
static bool gatus_negated(struct loader *L, const struct ckey *k, void *obj,
			  const struct ynode *n)
{
	bool v;

	if (!key_bool(L, k, &v, n))
		return false;
	*(bool *)(void *)((char *)obj + k->off) = !v;
	return true;
}

static bool gatus_graphql(struct loader *L, const struct ckey *k, void *obj,
			  const struct ynode *n)
{
	bool v;

	(void)obj;
	if (!key_bool(L, k, &v, n))
		return false;
	if (v) {
		loader_err(L, n, "graphql: true is not supported (uptop sends the body as "
			   "written; wrap it yourself: {\"query\": \"...\"})");
		return false;
	}
	return true;
}

/* Gatus' form: tcp://IP:PORT or udp://IP:PORT. */
static bool gatus_resolver(struct loader *L, const struct ckey *k, void *obj,
			   const struct ynode *n)
{
	struct target_conf *t = obj;
	const char *s = key_scalar(L, n, k->name, "a resolver like udp://1.1.1.1:53");
	const char *host, *colon;
	long port;
	char *end;

	if (!s)
		return false;
	host = strncmp(s, "tcp://", 6) == 0 || strncmp(s, "udp://", 6) == 0 ? s + 6 : NULL;
	colon = host ? strrchr(host, ':') : NULL;
	port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || colon == host || !colon[1] || *end || port < 1 || port > 65535) {
		loader_err(L, n, "%s %s: write {proto}://{ip}:{port}, like udp://1.1.1.1:53",
			   k->name, yquote(s, n->len));
		return false;
	}
	free(t->dns_resolver);
	t->dns_resolver = xstrdup(s);
	return true;
}

/* ---- one endpoint --------------------------------------------------------- */

/* s with every `from` replaced by `to` (caller frees). */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p;
	char *out, *o;

	for (p = strstr(s, from); p; p = strstr(p + fl, from))
		n++;
	out = o = xmalloc(strlen(s) + n * tl + 1);
	for (p = s; n && (s = strstr(p, from)); p = s + fl, n--) {
		memcpy(o, p, (size_t)(s - p));
		o += s - p;
		memcpy(o, to, tl);
		o += tl;
	}
	strcpy(o, p);
	return out;
}

/* Gatus' getParsedBody: [ENDPOINT_NAME], [ENDPOINT_GROUP], [ENDPOINT_URL]. */
static void body_placeholders(struct loader *L, struct target_conf *t, const struct ynode *at)
{
	static const char *const ph[] = { "[ENDPOINT_NAME]", "[ENDPOINT_GROUP]",
					  "[ENDPOINT_URL]" };
	const char *val[] = { t->name ? t->name : "", t->group ? t->group : "",
			      t->url ? t->url : "" };

	if (!t->body)
		return;
	if (strstr(t->body, "[RANDOM_STRING_")) {
		loader_err(L, at, "body: [RANDOM_STRING_N] is not supported (uptop sends the "
			   "same body each check)");
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(ph); i++) {
		char *b;

		if (!strstr(t->body, ph[i]))
			continue;
		b = replace_all(t->body, ph[i], val[i]);
		free(t->body);
		t->body = b;
	}
}

static const struct ynode *src_of(const struct tbuild *b, const char *key,
				  const struct ynode *entry)
{
	int i = keys_index(&keys_endpoint, key);

	return i >= 0 && b->p.src[i] ? b->p.src[i] : entry;
}

static bool row_bad(const struct tbuild *b, const char *key)
{
	int i = keys_index(&keys_endpoint, key);

	return i >= 0 && b->p.bad[i];
}

/* A tcp:// endpoint's body is what Gatus sends once connected (and then
 * it reads the reply): uptop's send:. */
static void tcp_body(struct loader *L, struct target_conf *t, const struct ynode *at)
{
	if (t->kind != CHECK_TCP || !t->body)
		return;
	if (strstr(t->body, "[LOCAL_ADDRESS]"))
		loader_err(L, at, "body: [LOCAL_ADDRESS] is not supported (uptop sends the "
			   "same body each check)");
	free(t->tcp_send);
	t->tcp_send = *t->body ? t->body : NULL;
	if (!t->tcp_send)
		free(t->body);
	t->body = NULL;
}

/* What Gatus requires, what uptop cannot check, and timeout below
 * interval. */
static void endpoint_finish(struct loader *L, struct tbuild *b, const struct ynode *e)
{
	struct target_conf *t = &b->t;

	t->line = e->line;
	if (!t->name && !row_bad(b, "name"))
		loader_err(L, e, "this endpoint has no name (Gatus requires one)");
	if (!t->url && !row_bad(b, "url"))
		loader_err(L, e, "this endpoint has no url (add 'url: https://...')");
	if (!t->conditions && !row_bad(b, "conditions"))
		loader_err(L, e, "this endpoint has no conditions (Gatus requires at least one, "
			   "like \"[STATUS] == 200\")");
	/* Gatus refuses a DNS check without both (ErrDNSWithNoQueryName,
	 * ErrDNSWithInvalidQueryType); uptop's own targets default to A. */
	if ((t->dns_query_name || t->dns_query_type) && !row_bad(b, "dns") &&
	    (!t->dns_query_name || !t->dns_query_type))
		loader_err(L, src_of(b, "dns", e), "dns: Gatus needs both query-name and "
			   "query-type");
	else
		tconf_kind_finish(L, b, &keys_endpoint, e, false);
	if (t->timeout_ms >= t->interval_ms && !row_bad(b, "interval"))
		loader_err(L, src_of(b, "client", e), "client.timeout %s must be below interval "
			   "%s (Gatus' default timeout is 10s)", duration_text(t->timeout_ms),
			   duration_text(t->interval_ms));
	body_placeholders(L, t, src_of(b, "body", e));
	tcp_body(L, t, src_of(b, "body", e));
}

static void load_endpoint(struct loader *L, const struct ynode *e)
{
	struct config *c = L->cfg;
	struct tbuild b;
	size_t cap = c->ntargets;

	if (e->kind != YNODE_MAP) {
		loader_err(L, e, "endpoints: each entry must be a mapping (like '- name: api'), "
			   "got %s", ynode_describe(e));
		return;
	}
	tbuild_init(L, &b);
	b.t.interval_ms = GATUS_INTERVAL_MS;
	b.t.timeout_ms = GATUS_TIMEOUT_MS;
	keys_apply(L, &keys_endpoint, &b.t, e, &b.p);
	endpoint_finish(L, &b, e);
	if (!b.t.enabled) {
		keys_clear(&keys_target, &b.t);
		tconf_clear(&b.t);
		return;
	}
	c->targets = xreallocarray_grow(c->targets, &cap, c->ntargets + 1, sizeof(*c->targets));
	c->targets[c->ntargets++] = b.t;
	if (b.t.name)
		tconf_name_add(L, c->ntargets - 1, true, src_of(&b, "name", e));
}

bool tconf_endpoints(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	(void)obj;
	if (ynode_is_null(n) || (n->kind == YNODE_SEQ && n->n == 0)) {
		loader_err(L, n, "no targets: the 'endpoints:' list is empty");
		return false;
	}
	if (n->kind != YNODE_SEQ) {
		loader_err(L, n, "%s: expected a sequence of endpoints ('- name: ...'), got %s",
			   k->name, ynode_describe(n));
		return false;
	}
	for (size_t i = 0; i < n->n; i++)
		load_endpoint(L, n->items[i]);
	return true;
}
