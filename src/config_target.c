/* config_target.c - building and checking one target_conf.
 *
 * The keys whose values need more than their kind (url, method, headers,
 * expect_status, ca_file) as parse hooks of their rows; the `defaults:`
 * template every target starts from; the checks across keys (timeout below
 * interval, max_latency below timeout) and unique names; config_from_urls.
 * The generic kinds and the tables are config_keys.c's. */
#include "config_keys.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "cond.h"

static void set_str(char **field, char *v)
{
	free(*field);
	*field = v;
}

/* ---- URLs ----------------------------------------------------------------- */

/* Copies url with any user[:password] replaced by "***", for messages and
 * for names derived from a URL. */
char *config_url_redacted(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL;

	if (!auth)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(auth - url), url, at);
}

static bool is_scheme(const char *s, size_t n)
{
	if (n == 0 || !ascii_alpha(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ascii_alnum(s[i]) && !strchr("+-.", s[i]))
			return false;
	return true;
}

static bool check_port(const char *p, const char *end, char *why, size_t len)
{
	long v = 0;

	for (const char *q = p; q < end; q++) {
		if (!isdigit((unsigned char)*q)) {
			snprintf(why, len, "the port must be a number");
			return false;
		}
		if (v <= 65535)
			v = v * 10 + (*q - '0');
	}
	if (p < end && (v < 1 || v > 65535)) {
		snprintf(why, len, "the port must be between 1 and 65535");
		return false;
	}
	return true;
}

#define NO_SCHEME "the URL has no scheme (start it with https:// or http://)"

/* The scheme of url: "http", "https" and "tcp" are checked; *bare when
 * there is none (a DNS check's server, which tconf_kind judges). */
enum url_scheme { URL_BARE, URL_HTTP, URL_TCP };

/* The checks curl (or conn) would fail on later, said up front and
 * plainly. A text without a scheme passes as URL_BARE, unchecked. */
static bool url_check(const char *url, bool *password, enum url_scheme *scheme, char *why,
		      size_t len)
{
	const char *sep = strstr(url, "://"), *auth, *end, *host, *hostend, *at = NULL;

	*password = false;
	*scheme = URL_BARE;
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(why, len, "a URL must not contain spaces or control characters");
			return false;
		}
	}
	if (!sep || !is_scheme(url, (size_t)(sep - url)))
		return true;
	if ((sep - url == 4 && strncasecmp(url, "http", 4) == 0) ||
	    (sep - url == 5 && strncasecmp(url, "https", 5) == 0)) {
		*scheme = URL_HTTP;
	} else if (sep - url == 3 && strncasecmp(url, "tcp", 3) == 0) {
		*scheme = URL_TCP;
	} else {
		snprintf(why, len, "only http, https and tcp URLs are supported, not %.*s",
			 (int)(sep - url), url);
		return false;
	}
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at && *scheme == URL_TCP) {
		snprintf(why, len, "a tcp:// URL has no user or password");
		return false;
	}
	if (at && memchr(auth, ':', (size_t)(at - auth)))
		*password = true;
	host = at ? at + 1 : auth;
	if (*host == '[') {
		hostend = memchr(host, ']', (size_t)(end - host));
		if (!hostend) {
			snprintf(why, len, "the IPv6 address has no closing ']'");
			return false;
		}
		hostend++;
		if (hostend < end && *hostend != ':') {
			snprintf(why, len, "unexpected text after the IPv6 address");
			return false;
		}
	} else {
		hostend = memchr(host, ':', (size_t)(end - host));
		if (!hostend)
			hostend = end;
	}
	if (hostend == host || (hostend - host == 2 && *host == '[')) {
		snprintf(why, len, "the URL has no host");
		return false;
	}
	if (hostend < end && !check_port(hostend + 1, end, why, len))
		return false;
	if (*scheme == URL_TCP && (hostend + 1 >= end || *hostend != ':')) {
		snprintf(why, len, "a tcp:// URL needs a port (tcp://HOST:PORT)");
		return false;
	}
	if (*scheme == URL_TCP && *end && strcmp(end, "/") != 0) {
		snprintf(why, len, "a tcp:// URL is tcp://HOST:PORT, without a path or query");
		return false;
	}
	return true;
}

/* A URL that only http or https can have (a webhook's). */
bool config_url_check(const char *url, bool *password, char *why, size_t len)
{
	enum url_scheme scheme;
	const char *sep = strstr(url, "://");

	if (sep && is_scheme(url, (size_t)(sep - url)) && strncasecmp(url, "http", 4) != 0) {
		snprintf(why, len, "only http and https URLs are supported, not %.*s",
			 (int)(sep - url), url);
		return false;
	}
	if (!url_check(url, password, &scheme, why, len))
		return false;
	if (scheme == URL_BARE)
		snprintf(why, len, NO_SCHEME);
	return scheme == URL_HTTP;
}

bool tconf_url(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;
	enum url_scheme scheme;
	bool bad, password;
	char why[512], *url = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (!url_check(url, &password, &scheme, why, sizeof(why))) {
		char *shown = config_url_redacted(n->str);

		loader_err(L, n, "url %s: %s", yquote(shown, strlen(shown)), why);
		free(shown);
		free(url);
		return false;
	}
	if (password)
		L->has_secrets = true;
	set_str(&t->url, url);
	return true;
}

/* ---- what a target checks: HTTP, TCP or DNS -------------------------------- */

/* "host:port", "[v6]:port", "host", "[v6]" (at most `n` bytes of s) ->
 * host as written (brackets kept) and port (defport when absent). */
static bool host_port(const char *s, size_t n, int defport, char **host, int *port, char *why,
		      size_t len)
{
	const char *end = s + n, *hend, *colon;
	long v = defport;

	if (n && *s == '[') {
		hend = memchr(s, ']', n);
		if (!hend) {
			snprintf(why, len, "the IPv6 address has no closing ']'");
			return false;
		}
		hend++;
		colon = hend < end && *hend == ':' ? hend : NULL;
		if (hend < end && !colon) {
			snprintf(why, len, "unexpected text after the IPv6 address");
			return false;
		}
	} else {
		colon = memchr(s, ':', n);
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
			snprintf(why, len, "an IPv6 address goes in brackets: [%.*s]:%d", (int)n, s,
				 defport ? defport : 53);
			return false;
		}
		hend = colon ? colon : end;
	}
	if (hend == s || (hend - s == 2 && *s == '[')) {
		snprintf(why, len, "no host");
		return false;
	}
	if (colon) {
		if (colon + 1 == end || !check_port(colon + 1, end, why, len)) {
			if (colon + 1 == end)
				snprintf(why, len, "the port is missing after ':'");
			return false;
		}
		v = strtol(colon + 1, NULL, 10);
	}
	*host = xstrndup(s, (size_t)(hend - s));
	*port = (int)v;
	return true;
}

/* 4 or 6 for an IP literal ("127.0.0.1", "[::1]"), else 0 (a name). */
static int literal_family(const char *host)
{
	unsigned char a[16];
	char inner[64];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1)
		return 4;
	if (n > 2 && n < sizeof(inner) && host[0] == '[' && host[n - 1] == ']') {
		snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), host + 1);
		if (inet_pton(AF_INET6, inner, a) == 1)
			return 6;
	}
	return 0;
}

/* The reverse name a PTR query for an IP address asks for. */
static char *ptr_name(const char *ip)
{
	unsigned char a[16];
	char buf[80];
	size_t at = 0;

	if (inet_pton(AF_INET, ip, a) == 1)
		return xasprintf("%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
	if (inet_pton(AF_INET6, ip, a) != 1)
		return NULL;
	for (int i = 15; i >= 0; i--)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%x.%x.", a[i] & 15, a[i] >> 4);
	snprintf(buf + at, sizeof(buf) - at, "ip6.arpa");
	return xstrdup(buf);
}

static bool dns_server(struct target_conf *t, char *why, size_t len)
{
	const char *u = t->url;

	if (strstr(u, "://")) {
		snprintf(why, len, "a DNS check's url is the DNS server's address (IP or IP:PORT, "
			 "like 127.0.0.1:5353), not a URL");
		return false;
	}
	if (!host_port(u, strlen(u), CONFIG_DNS_PORT, &t->host, &t->port, why, len))
		return false;
	if (!literal_family(t->host)) {
		snprintf(why, len, "the DNS server is given by IP address (like 8.8.8.8 or "
			 "[2001:4860:4860::8888]:53), not a name");
		return false;
	}
	return true;
}

bool tconf_kind(struct target_conf *t, enum kind_at *at, char *why, size_t len)
{
	const char *url = t->url;
	char *host = NULL;
	int port, fam;

	*at = KIND_AT_URL;
	free(t->host);
	t->host = NULL;
	if (t->dns_query_name || t->dns_query_type) {
		t->kind = CHECK_DNS;
		if (!t->dns_query_name) {
			*at = KIND_AT_DNS;
			snprintf(why, len, "dns: query_name is missing (the name to ask for)");
			return false;
		}
		if (!t->dns_query_type)
			t->dns_query_type = xstrdup("A");
		if (strcmp(t->dns_query_type, "PTR") == 0) {
			char *rev = ptr_name(t->dns_query_name);

			if (rev) {
				free(t->dns_query_name);
				t->dns_query_name = rev;
			}
		}
		if (!dns_server(t, why, len))
			return false;
		host = t->host;
	} else if (!strstr(url, "://")) {
		snprintf(why, len, NO_SCHEME);
		return false;
	} else if (strncasecmp(url, "tcp://", 6) == 0) {
		t->kind = CHECK_TCP;
		if (!host_port(url + 6, strcspn(url + 6, "/"), 0, &t->host, &t->port, why, len))
			return false;
		host = t->host;
	} else {
		const char *auth = strstr(url, "://") + 3, *end = auth + strcspn(auth, "/?#");
		const char *at_sign = memchr(auth, '@', (size_t)(end - auth));

		t->kind = CHECK_HTTP;
		if (at_sign)
			auth = at_sign + 1;
		if (!host_port(auth, (size_t)(end - auth), 80, &host, &port, why, len))
			return false;
	}
	fam = literal_family(host);
	if (fam && t->ip_version != IPV_ANY && fam != (t->ip_version == IPV_4 ? 4 : 6)) {
		*at = KIND_AT_IP_VERSION;
		snprintf(why, len, "ip_version %d: %s is an IPv%d address",
			 t->ip_version == IPV_4 ? 4 : 6, host, fam);
	}
	if (host != t->host)
		free(host);
	return *at != KIND_AT_IP_VERSION;
}

/* ---- method and headers --------------------------------------------------- */

static bool is_tchar(int c)
{
	return ascii_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool config_is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

bool tconf_method(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;
	const char *s = key_scalar(L, n, k->name, "a method like GET");
	char *m;

	if (!s)
		return false;
	if (!config_is_token(s, n->len)) {
		loader_err(L, n, "%s %s is not a valid HTTP method (like GET, HEAD or POST)",
			   k->name, yquote(s, n->len));
		return false;
	}
	m = xstrdup(s);
	for (char *p = m; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	set_str(&t->method, m);
	return true;
}

static bool is_secret_header(const char *name)
{
	return strcasecmp(name, "Authorization") == 0 ||
	       strcasecmp(name, "Proxy-Authorization") == 0 || strcasecmp(name, "Cookie") == 0;
}

static bool header_value_ok(struct loader *L, const struct ynode *at, const char *name,
			    const char *v)
{
	for (const char *p = v; *p; p++) {
		if (((unsigned char)*p < ' ' && *p != '\t') || *p == 0x7f) {
			loader_err(L, at, "header %s: the value must not contain line breaks or "
				   "control characters", name);
			return false;
		}
	}
	return true;
}

/* One header; false after a reported mistake. */
static bool header_parse(struct loader *L, const struct ckey *row, const struct ynode *k,
			 const struct ynode *v, struct header *h)
{
	bool used = false;
	char *value;

	memset(h, 0, sizeof(*h));
	if (!config_is_token(k->str, k->len)) {
		loader_err(L, k, "invalid header name %s: use letters, digits and - (like "
			   "X-Api-Key)", yquote(k->str, k->len));
		return false;
	}
	if (ynode_is_null(v))
		value = xstrdup("");
	else if (!key_scalar(L, v, k->str, "a header value"))
		return false;
	else if (!(row->flags & KF_EXPAND))
		value = xstrdup(v->str);
	else if (!(value = key_expand(L, v, k->str, &used)))
		return false;
	if (!header_value_ok(L, v, k->str, value)) {
		free(value);
		return false;
	}
	h->name = xstrdup(k->str);
	h->value = value;
	h->shown = xstrdup(ynode_is_null(v) ? "" : v->str);
	h->secret = used || is_secret_header(h->name);
	if (h->secret)
		L->has_secrets = true;
	return true;
}

void config_headers_free(struct header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
		free(h[i].shown);
	}
	free(h);
}

bool config_headers_parse(struct loader *L, const struct ckey *k, const struct ynode *n,
			  struct header **out, size_t *nout)
{
	struct header *hs;
	size_t nh = 0;
	bool ok = true;

	if (n->kind != YNODE_MAP) {
		loader_err(L, n, "%s: expected a mapping of Name: value, got %s", k->name,
			   ynode_describe(n));
		return false;
	}
	if (n->n > (size_t)k->max) {
		loader_err(L, n, "%s: more than %lld headers", k->name, (long long)k->max);
		return false;
	}
	hs = xcalloc(n->n, sizeof(*hs));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *name = n->pairs[i].key;
		size_t j;

		if (!header_parse(L, k, name, n->pairs[i].value, &hs[nh])) {
			ok = false;
			continue;
		}
		for (j = 0; j < nh && strcasecmp(hs[j].name, hs[nh].name); j++)
			;
		if (j < nh) {
			loader_err(L, name, "header %s is set twice (header names ignore case)",
				   yquote(name->str, name->len));
			ok = false;
		}
		nh++;
	}
	if (!ok) {
		config_headers_free(hs, nh);
		return false;
	}
	config_headers_free(*out, *nout);
	*out = hs;
	*nout = nh;
	return true;
}

bool tconf_headers(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;

	return config_headers_parse(L, k, n, &t->headers, &t->nheaders);
}

struct header *config_headers_copy(const struct header *h, size_t n)
{
	struct header *d = n ? xcalloc(n, sizeof(*d)) : NULL;

	for (size_t i = 0; i < n; i++) {
		d[i].name = xstrdup(h[i].name);
		d[i].value = xstrdup(h[i].value);
		d[i].shown = xstrdup(h[i].shown);
		d[i].secret = h[i].secret;
	}
	return d;
}

void tconf_headers_copy(const struct ckey *k, void *dst, const void *src)
{
	const struct target_conf *s = src;
	struct target_conf *d = dst;

	(void)k;
	d->headers = config_headers_copy(s->headers, s->nheaders);
}

void tconf_headers_clear(const struct ckey *k, void *obj)
{
	struct target_conf *t = obj;

	(void)k;
	config_headers_free(t->headers, t->nheaders);
	t->headers = NULL;
	t->nheaders = 0;
}

/* ---- expect_status -------------------------------------------------------- */

/* One code (200), a range (300-308) or a class (2xx), NUL-terminated.
 * Returns false with why ("'600' is outside 100-599") when it is none. */
static bool status_text(const char *s, struct status_range *r, char *why, size_t wlen)
{
	size_t len = strlen(s);
	long long lo, hi;
	const char *dash;

	if (len == 3 && isdigit((unsigned char)s[0]) && strcasecmp(s + 1, "xx") == 0) {
		lo = (s[0] - '0') * 100;
		hi = lo + 99;
	} else if (len > 1 && (dash = strchr(s + 1, '-')) != NULL) {
		char *a = xstrndup(s, (size_t)(dash - s)), *b = xstrdup(dash + 1);
		size_t al = strlen(a);
		int ra, rb;

		while (al && a[al - 1] == ' ')
			a[--al] = '\0';
		ra = decimal_parse(a, &lo);
		rb = decimal_parse(b + strspn(b, " "), &hi);
		free(a);
		free(b);
		if (ra == -1 || rb == -1) {
			snprintf(why, wlen, "%s is not a status code or a range like 200-299",
				 yquote(s, len));
			return false;
		}
		if (ra == -2 || rb == -2)
			lo = hi = LLONG_MAX;
	} else {
		int rc = decimal_parse(s, &lo);

		if (rc == -1) {
			snprintf(why, wlen, "%s is not a status code or a range like 200-299",
				 yquote(s, len));
			return false;
		}
		if (rc == -2)
			lo = LLONG_MAX;
		hi = lo;
	}
	if (lo < 100 || lo > 599 || hi < 100 || hi > 599) {
		snprintf(why, wlen, "%s is outside 100-599", yquote(s, len));
		return false;
	}
	if (lo > hi) {
		snprintf(why, wlen, "range %lld-%lld is reversed (did you mean %lld-%lld?)", lo,
			 hi, hi, lo);
		return false;
	}
	r->lo = (int)lo;
	r->hi = (int)hi;
	return true;
}

static bool status_parse(struct loader *L, const char *key, const struct ynode *n,
			 struct status_range *r)
{
	const char *s = key_scalar(L, n, key, "a status code or a range like 200-299");
	char why[160];

	if (!s)
		return false;
	if (!status_text(s, r, why, sizeof(why))) {
		loader_err(L, n, "%s: %s", key, why);
		return false;
	}
	return true;
}

int config_parse_expect(const char *list, struct status_range **out, size_t *n, char *err,
			size_t elen)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	struct status_range *v = NULL;
	size_t cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *e;

		tok += strspn(tok, " ");
		for (e = tok + strlen(tok); e > tok && e[-1] == ' '; e--)
			;
		*e = '\0';
		v = xreallocarray_grow(v, &cap, cnt + 1, sizeof(*v));
		if (!status_text(tok, &v[cnt], err, elen)) {
			free(v);
			free(copy);
			return -1;
		}
		cnt++;
	}
	free(copy);
	if (!cnt) {
		snprintf(err, elen, "list at least one status code, like 200,204,300-308");
		free(v);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

bool tconf_expect(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;
	size_t cnt, got = 0;
	const struct ynode *const *items = key_items(L, k, &n, "a list like [200, 300-308]", &cnt);
	struct status_range *v;
	bool ok = true;

	if (!items)
		return false;
	if (cnt == 0 || ynode_is_null(n)) {
		loader_err(L, n, "%s: list at least one status code", k->name);
		return false;
	}
	v = xcalloc(cnt, sizeof(*v));
	for (size_t i = 0; i < cnt; i++)
		if (status_parse(L, k->name, items[i], &v[got]))
			got++;
		else
			ok = false;
	if (!ok) {
		free(v);
		return false;
	}
	free(t->expect);
	t->expect = v;
	t->nexpect = got;
	return true;
}

void tconf_expect_copy(const struct ckey *k, void *dst, const void *src)
{
	const struct target_conf *s = src;
	struct target_conf *d = dst;

	(void)k;
	d->expect = NULL;
	if (s->nexpect) {
		d->expect = xcalloc(s->nexpect, sizeof(*d->expect));
		memcpy(d->expect, s->expect, s->nexpect * sizeof(*d->expect));
	}
}

void tconf_expect_clear(const struct ckey *k, void *obj)
{
	struct target_conf *t = obj;

	(void)k;
	free(t->expect);
	t->expect = NULL;
	t->nexpect = 0;
}

/* ---- conditions and body regexes ------------------------------------------ */

bool tconf_conditions(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;
	size_t cnt;
	const struct ynode *const *items =
		key_items(L, k, &n, "a list of conditions like \"[STATUS] == 200\"", &cnt);
	struct cond_list *l;
	bool ok = true;

	if (!items)
		return false;
	if (cnt == 0 || ynode_is_null(n)) {
		loader_err(L, n, "%s: list at least one condition (like \"[STATUS] == 200\")",
			   k->name);
		return false;
	}
	if (cnt > (size_t)k->max) {
		loader_err(L, n, "%s: more than %lld conditions", k->name, (long long)k->max);
		return false;
	}
	l = cond_list_new();
	for (size_t i = 0; i < cnt; i++) {
		const char *s = key_scalar(L, items[i], k->name, "a condition like "
					   "\"[STATUS] == 200\"");
		char err[256], warn[320];

		if (!s) {
			ok = false;
		} else if (cond_list_add(l, s, err, sizeof(err), warn, sizeof(warn)) != 0) {
			loader_err(L, items[i], "condition %s: %s", yquote(s, items[i]->len), err);
			ok = false;
		} else if (warn[0]) {
			loader_warn(L, items[i], "condition %s: %s", yquote(s, items[i]->len),
				    warn);
		}
	}
	if (!ok) {
		cond_list_unref(l);
		return false;
	}
	cond_list_unref(t->conditions);
	t->conditions = l;
	return true;
}

void tconf_conditions_copy(const struct ckey *k, void *dst, const void *src)
{
	(void)k;
	((struct target_conf *)dst)->conditions =
		cond_list_ref(((const struct target_conf *)src)->conditions);
}

void tconf_conditions_clear(const struct ckey *k, void *obj)
{
	struct target_conf *t = obj;

	(void)k;
	cond_list_unref(t->conditions);
	t->conditions = NULL;
}

static struct cond_regex **regex_field(const struct ckey *k, void *obj)
{
	return (struct cond_regex **)(void *)((char *)obj + k->off);
}

bool tconf_regex(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	const char *s = key_scalar(L, n, k->name, "a regular expression");
	struct cond_regex *re;
	char err[256];

	if (!s)
		return false;
	if (!(re = cond_regex_new(s, err, sizeof(err)))) {
		loader_err(L, n, "%s: bad regular expression %s: %s", k->name, yquote(s, n->len),
			   err);
		return false;
	}
	cond_regex_unref(*regex_field(k, obj));
	*regex_field(k, obj) = re;
	return true;
}

void tconf_regex_copy(const struct ckey *k, void *dst, const void *src)
{
	const void *at = (const char *)src + k->off;

	*regex_field(k, dst) = cond_regex_ref(*(struct cond_regex *const *)at);
}

void tconf_regex_clear(const struct ckey *k, void *obj)
{
	cond_regex_unref(*regex_field(k, obj));
	*regex_field(k, obj) = NULL;
}

/* ---- ca_file -------------------------------------------------------------- */

bool tconf_ca_file(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	struct target_conf *t = obj;
	bool bad;
	char *path = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (path && access(path, R_OK) != 0) {
		loader_err(L, n, "%s %s: %s", k->name, yquote(path, strlen(path)), strerror(errno));
		free(path);
		return false;
	}
	set_str(&t->ca_file, path);
	return true;
}

static const char *const kind_words[] = { "http(s)", "tcp://", "DNS" };

/* Keys of one kind of check; written in an entry of another, a mistake. */
static const struct {
	const char *key;
	enum check_kind kind;
} kind_keys[] = {
	{ "method", CHECK_HTTP }, { "headers", CHECK_HTTP }, { "body", CHECK_HTTP },
	{ "expect_status", CHECK_HTTP }, { "body_contains", CHECK_HTTP },
	{ "follow_redirects", CHECK_HTTP }, { "verify_tls", CHECK_HTTP },
	{ "fresh_connection", CHECK_HTTP }, { "ca_file", CHECK_HTTP },
	{ "cert_expiry", CHECK_HTTP }, { "send", CHECK_TCP }, { "expect", CHECK_TCP },
};

void tconf_kind_finish(struct loader *L, struct tbuild *b, const struct ktable *tab,
		       const struct ynode *entry, bool strict)
{
	struct target_conf *t = &b->t;
	int url = keys_index(tab, "url");
	const struct ynode *at_url = url >= 0 && b->p.src[url] ? b->p.src[url] : entry;
	enum kind_at at;
	char why[512];

	if (!t->url || (url >= 0 && b->p.bad[url]))
		return;
	if (!tconf_kind(t, &at, why, sizeof(why))) {
		int i = keys_index(tab, at == KIND_AT_DNS ? "dns" : "ip_version");
		char *shown = config_url_redacted(t->url);

		if (at == KIND_AT_URL)
			loader_err(L, at_url, "url %s: %s", yquote(shown, strlen(shown)), why);
		else
			loader_err(L, i >= 0 && b->p.src[i] ? b->p.src[i] : at_url, "%s", why);
		free(shown);
		return;
	}
	if (t->kind == CHECK_DNS && !t->name)
		t->name = xasprintf("%s %s @%s", t->dns_query_name, t->dns_query_type, t->url);
	for (size_t k = 0; strict && k < ARRAY_LEN(kind_keys); k++) {
		int i;

		if (kind_keys[k].kind == (enum check_kind)t->kind)
			continue;
		i = keys_index(tab, kind_keys[k].key);
		if (i >= 0 && b->p.own[i])
			loader_err(L, b->p.src[i], "%s applies to %s targets only; this one is a "
				   "%s check", kind_keys[k].key, kind_words[kind_keys[k].kind],
				   kind_words[t->kind]);
	}
}

/* ---- cert_expiry, send and expect, dns: ------------------------------------ */

#define DAY_MS (24LL * 3600 * 1000)

/* "21d", "14d12h", "36h", "0" or "off"; days are what certificates count. */
bool tconf_cert_expiry(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	const char *s = key_scalar(L, n, k->name, "a duration like 21d, or off");
	int64_t ms = 0, rest = 0;
	long long days = 0;
	char why[256];
	size_t digits;

	if (!s)
		return false;
	if (strcasecmp(s, "off") == 0 || strcmp(s, "0") == 0) {
		*(int64_t *)(void *)((char *)obj + k->off) = 0;
		return true;
	}
	digits = strspn(s, "0123456789");
	if (digits && digits <= 6 && s[digits] == 'd') {
		days = strtoll(s, NULL, 10);
		if (s[digits + 1] &&
		    config_parse_duration(s + digits + 1, &rest, why, sizeof(why)) < 0) {
			loader_err(L, n, "%s: %s (days: 21d)", k->name, why);
			return false;
		}
		ms = (int64_t)days * DAY_MS + rest;
	} else if (config_parse_duration(s, &ms, why, sizeof(why)) < 0) {
		loader_err(L, n, "%s: %s (days: 21d; 0 or off: no check)", k->name, why);
		return false;
	}
	if (ms > k->max) {
		loader_err(L, n, "%s %s is too long (at most %lldd)", k->name, yquote(s, n->len),
			   (long long)(k->max / DAY_MS));
		return false;
	}
	*(int64_t *)(void *)((char *)obj + k->off) = ms;
	return true;
}

/* send: and expect: are bytes; YAML's double quotes give "\r\n" its
 * meaning, anything else sends a backslash. Said once, as a warning. */
bool tconf_tcp_text(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	char **field = (char **)(void *)((char *)obj + k->off);
	bool bad;
	char *v = key_string(L, k, n, &bad);

	if (bad)
		return false;
	if (v && !*v) {
		loader_err(L, n, "%s must not be empty (leave it out instead)", k->name);
		free(v);
		return false;
	}
	if (v && (strstr(v, "\\r") || strstr(v, "\\n")))
		loader_warn(L, n, "%s %s holds a backslash, not a line break: \\r and \\n are "
			    "escapes only in double quotes (\"QUIT\\r\\n\")", k->name,
			    yquote(n->str, n->len));
	if (field == &((struct target_conf *)obj)->tcp_send)
		((struct target_conf *)obj)->tcp_send_secret = v && strcmp(v, n->str) != 0;
	set_str(field, v);
	return true;
}

bool tconf_dns_type(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	static const char *const types[] = { "A", "AAAA", "CNAME", "MX", "NS", "TXT", "SOA",
					     "PTR", "SRV" };
	struct target_conf *t = obj;
	const char *s = key_scalar(L, n, k->name, "a record type like A");

	if (!s)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(types); i++) {
		if (strcasecmp(s, types[i]) == 0) {
			set_str(&t->dns_query_type, xstrdup(types[i]));
			return true;
		}
	}
	loader_err(L, n, "%s %s: expected A, AAAA, CNAME, MX, NS, TXT, SOA, PTR or SRV", k->name,
		   yquote(s, n->len));
	return false;
}

/* dns: (and Gatus' client:, ui:): the nested rows store into the target. */
bool tconf_section(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	int rc = key_mapping(L, k, n);

	if (rc > 0)
		keys_apply(L, k->sub, obj, n, NULL);
	return rc >= 0;
}

/* ---- one target ----------------------------------------------------------- */

void tbuild_init(struct loader *L, struct tbuild *b)
{
	memset(b, 0, sizeof(*b));
	keys_init(L, &keys_target, &b->t);
	b->t.enabled = true;
}

void tconf_clear(struct target_conf *t)
{
	free(t->host);
	t->host = NULL;
	free(t->dns_resolver);
	free(t->dns_query_name);
	free(t->dns_query_type);
	t->dns_resolver = t->dns_query_name = t->dns_query_type = NULL;
}

/* The rows the checks across keys look at, found once per list. */
struct tkeys {
	int name, url, interval, timeout, max_latency, expect, interval_down;
};

/* `a` must be below `bk` (timeout < interval, timeout < interval_down,
 * max_latency < timeout). The
 * message goes where the target set one of them; a pair that comes whole
 * from defaults is the same for every target, so it is said once. */
static void check_below(struct loader *L, const struct tbuild *b, int a, int64_t av, int bk,
			int64_t bv, int which, const struct ynode *entry)
{
	const struct ckey *rows = keys_target.keys;
	const struct kprov *p = &b->p;
	char note[96] = "";
	int at, other;

	if (av < bv || p->bad[a] || p->bad[bk])
		return;
	if (!p->own[a] && !p->own[bk]) {
		if (L->pair_reported[which])
			return;
		L->pair_reported[which] = true;
	}
	at = p->own[a] || (!p->own[bk] && p->src[a]) ? a : bk;
	other = at == a ? bk : a;
	if (!p->src[other])
		snprintf(note, sizeof(note), " (%s is the built-in default)", rows[other].name);
	else if (p->own[at] && !p->own[other])
		snprintf(note, sizeof(note), " (%s comes from defaults, line %d)", rows[other].name,
			 p->src[other]->line);
	loader_err(L, p->src[at] ? p->src[at] : entry, "%s %s must be below %s %s%s",
		   rows[a].name, duration_text(av), rows[bk].name, duration_text(bv), note);
}

static void tbuild_finish(struct loader *L, struct tbuild *b, const struct tkeys *ix,
			  const struct ynode *entry)
{
	struct target_conf *t = &b->t;

	t->line = entry->line;
	t->expect_set = b->p.src[ix->expect] != NULL;
	if (!t->url && !b->p.bad[ix->url])
		loader_err(L, entry, "this target has no url (add 'url: https://...')");
	tconf_kind_finish(L, b, &keys_target, entry, true);
	if (!t->name && t->url && !b->p.bad[ix->name]) {
		/* Named by the URL as written: ${VAR} stays unexpanded and a
		 * password is hidden, so a name never shows a secret. */
		t->name = config_url_redacted(b->p.src[ix->url]->str);
	}
	check_below(L, b, ix->timeout, t->timeout_ms, ix->interval, t->interval_ms, 0, entry);
	if (t->max_latency_ms > 0)
		check_below(L, b, ix->max_latency, t->max_latency_ms, ix->timeout, t->timeout_ms, 1,
			    entry);
	/* A check must end before the next one is due, down or not. */
	if (t->interval_down_ms > 0)
		check_below(L, b, ix->timeout, t->timeout_ms, ix->interval_down,
			    t->interval_down_ms, 2, entry);
}

/* ---- names ---------------------------------------------------------------- */

static int name_ref_cmp(const void *pa, const void *pb)
{
	const struct name_ref *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Sorting keeps this O(n log n) for configs of thousands of targets. */
static void check_names(struct loader *L, struct name_ref *v, size_t n)
{
	size_t g = 0;

	if (n < 2)
		return;
	qsort(v, n, sizeof(*v), name_ref_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[g].name, v[i].name)) {
			g = i;
			continue;
		}
		loader_err(L, v[i].at, "duplicate target name %s (first at line %d); names must be "
			   "unique", yquote(v[i].name, strlen(v[i].name)), v[g].at->line);
	}
}

/* Gatus tells endpoints apart by group and name, uptop by name: an
 * endpoint whose name is taken is named as Gatus shows it, "group/name". */
static void gatus_names(struct loader *L)
{
	struct name_ref *v = L->names;
	size_t n = L->nnames, run;

	if (n < 2 || !L->gatus)
		return;
	qsort(v, n, sizeof(*v), name_ref_cmp);
	for (size_t i = 0; i < n; i += run) {
		for (run = 1; i + run < n && strcmp(v[i].name, v[i + run].name) == 0; run++)
			;
		for (size_t j = i; run > 1 && j < i + run; j++) {
			struct target_conf *t = &L->cfg->targets[v[j].target];

			if (!v[j].gatus || !t->group || !*t->group)
				continue;
			set_str(&t->name, xasprintf("%s/%s", t->group, t->name));
			v[j].name = t->name;
		}
	}
}

void tconf_check_names(struct loader *L)
{
	gatus_names(L);
	check_names(L, L->names, L->nnames);
}

void tconf_name_add(struct loader *L, size_t target, bool gatus, const struct ynode *at)
{
	L->names = xreallocarray_grow(L->names, &L->capnames, L->nnames + 1, sizeof(*L->names));
	L->names[L->nnames] = (struct name_ref){ L->cfg->targets[target].name, at, L->nnames,
						 target, gatus };
	L->nnames++;
}

/* ---- the sections --------------------------------------------------------- */

bool tconf_defaults(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	int rc = key_mapping(L, k, n);

	(void)obj;
	if (rc > 0) {
		keys_apply(L, &keys_defaults, &L->tpl.t, n, &L->tpl.p);
		memset(L->tpl.p.own, 0, sizeof(L->tpl.p.own));
	}
	return rc >= 0;
}

static void load_targets(struct loader *L, const struct ynode *seq)
{
	struct config *c = L->cfg;
	size_t cap = c->ntargets;
	struct tkeys ix = {
		keys_index(&keys_target, "name"), keys_index(&keys_target, "url"),
		keys_index(&keys_target, "interval"), keys_index(&keys_target, "timeout"),
		keys_index(&keys_target, "max_latency"), keys_index(&keys_target, "expect_status"),
		keys_index(&keys_target, "interval_down"),
	};

	/* room for every entry at once: no copying as the list grows */
	c->targets = xreallocarray_grow(c->targets, &cap, c->ntargets + seq->n,
					sizeof(*c->targets));
	prefault(c->targets + c->ntargets, seq->n * sizeof(*c->targets));
	L->names = xreallocarray_grow(L->names, &L->capnames, L->nnames + seq->n,
				      sizeof(*L->names));
	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *e = seq->items[i];
		struct tbuild b;

		if (e->kind != YNODE_MAP) {
			if (e->kind == YNODE_SCALAR && strstr(e->str, "://"))
				loader_err(L, e, "targets: each entry must be a mapping; write "
					   "\"- url: %s\"", yquote(e->str, e->len));
			else
				loader_err(L, e, "targets: each entry must be a mapping (like "
					   "'- url: https://...'), got %s", ynode_describe(e));
			continue;
		}
		b = L->tpl;
		keys_copy(&keys_target, &b.t, &L->tpl.t);
		keys_apply(L, &keys_target, &b.t, e, &b.p);
		tbuild_finish(L, &b, &ix, e);
		c->targets = xreallocarray_grow(c->targets, &cap, c->ntargets + 1,
						sizeof(*c->targets));
		c->targets[c->ntargets++] = b.t;
		if (b.t.name)
			tconf_name_add(L, c->ntargets - 1, false,
				       b.p.own[ix.name] ? b.p.src[ix.name] : e);
	}
}

bool tconf_targets(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	(void)obj;
	if (ynode_is_null(n) || (n->kind == YNODE_SEQ && n->n == 0)) {
		loader_err(L, n, "no targets: the 'targets:' list is empty");
		return false;
	}
	if (n->kind != YNODE_SEQ) {
		loader_err(L, n, "%s: expected a sequence of targets ('- url: ...'), got %s",
			   k->name, ynode_describe(n));
		return false;
	}
	load_targets(L, n);
	return true;
}

/* ---- bare URLs ------------------------------------------------------------ */

/* Where a URL came from, for messages: "argument 3", "stdin line 2". */
static const char *url_where(const struct url_arg *u, size_t i, char *buf, size_t len)
{
	if (u->line)
		snprintf(buf, len, "stdin line %d", u->line);
	else if (u->argn)
		snprintf(buf, len, "argument %d", u->argn);
	else
		snprintf(buf, len, "URL %zu", i + 1);
	return buf;
}

/* "127.0.0.1:18123", "example.com/health": a host with no scheme gets
 * the URL it probably meant (https for port 443). */
static bool url_guess(const char *s, char *out, size_t len)
{
	const char *slash = strchr(s, '/'), *colon = strchr(s, ':');
	bool tls = false;

	if (!*s || strstr(s, "://") || strchr(s, ' ') || strchr(s, '@') || *s == '/' ||
	    *s == ':')
		return false;
	if (colon && (!slash || colon < slash)) {
		const char *p = colon + 1;
		size_t digits = strspn(p, "0123456789");

		if (!digits || (p[digits] && p[digits] != '/'))
			return false;
		tls = digits == 3 && strncmp(p, "443", 3) == 0;
	}
	snprintf(out, len, "%s://%s%s", tls ? "https" : "http", s, slash ? "" : "/");
	return true;
}

/* Command-line values against the key table's ranges. */
static bool url_opt_range(const char *flag, const char *key, int64_t v, struct diag *errs)
{
	const struct ckey *k = &keys_target.keys[keys_index(&keys_target, key)];

	if (v < k->min)
		diag_addf(errs, "%s %s is too short (at least %s)", flag, duration_text(v),
			  duration_text(k->min));
	else if (v > k->max)
		diag_addf(errs, "%s %s is too long (at most %s)", flag, duration_text(v),
			  duration_text(k->max));
	return v >= k->min && v <= k->max;
}

/* The template every URL starts from: the built-ins, then the flags. */
static bool url_template(struct loader *L, const struct url_opts *o, struct diag *errs)
{
	struct target_conf *t = &L->tpl.t;
	bool ok = true;

	if (o->interval_ms) {
		ok &= url_opt_range("--interval", "interval", o->interval_ms, errs);
		t->interval_ms = o->interval_ms;
	}
	if (o->timeout_ms) {
		ok &= url_opt_range("--timeout", "timeout", o->timeout_ms, errs);
		t->timeout_ms = o->timeout_ms;
	}
	if (ok && t->timeout_ms >= t->interval_ms)
		diag_addf(errs, "--timeout %s must be below the interval %s%s",
			  duration_text(t->timeout_ms), duration_text(t->interval_ms),
			  o->interval_ms ? " (--interval)" : " (the default; give --interval)");
	if (ok && t->timeout_ms >= t->interval_ms)
		ok = false;
	if (o->nexpect) {
		free(t->expect);
		t->expect = xcalloc(o->nexpect, sizeof(*t->expect));
		memcpy(t->expect, o->expect, o->nexpect * sizeof(*t->expect));
		t->nexpect = o->nexpect;
	}
	if (o->insecure)
		t->verify_tls = false;
	return ok;
}

int config_from_urls(const struct url_arg *urls, size_t n, const struct url_opts *o,
		     struct config **out, struct diag *errs, struct diag *warns)
{
	static const struct url_opts none;
	struct loader L;
	struct config *c;
	struct name_ref *names = xcalloc(n, sizeof(*names));
	bool *repeat = xcalloc(n, sizeof(*repeat));
	size_t before = errs->n, nn = 0;
	bool ok;

	*out = NULL;
	loader_init(&L, "-");
	c = L.cfg;
	if (n == 0)
		diag_addf(errs, "no URLs given");
	ok = url_template(&L, o ? o : &none, errs);
	c->targets = xcalloc(n, sizeof(*c->targets));
	for (size_t i = 0; ok && i < n; i++) {
		struct target_conf *t = &c->targets[c->ntargets];
		char why[512], guess[600], where[48], *shown = config_url_redacted(urls[i].url);
		enum url_scheme scheme;
		enum kind_at at;
		bool password, good = url_check(urls[i].url, &password, &scheme, why, sizeof(why));

		if (good && scheme == URL_BARE) {
			snprintf(why, sizeof(why), NO_SCHEME);
			good = false;
		}
		if (!good) {
			if (url_guess(urls[i].url, guess, sizeof(guess)))
				diag_addf(errs, "%s: %s: %s; did you mean %s?",
					  url_where(&urls[i], i, where, sizeof(where)),
					  yquote(shown, strlen(shown)), why, guess);
			else
				diag_addf(errs, "%s: %s: %s",
					  url_where(&urls[i], i, where, sizeof(where)),
					  yquote(shown, strlen(shown)), why);
			free(shown);
			continue;
		}
		L.has_secrets |= password;
		*t = L.tpl.t;
		keys_copy(&keys_target, t, &L.tpl.t);
		t->url = xstrdup(urls[i].url);
		t->name = shown;
		tconf_kind(t, &at, why, sizeof(why));    /* http(s) or tcp: no mistake left */
		names[nn++] = (struct name_ref){ t->name, NULL, i, c->ntargets, false };
		c->ntargets++;
	}
	/* The same URL twice is checked once; two URLs that differ only in
	 * hidden credentials would share a name: that needs a config file. */
	qsort(names, nn, sizeof(*names), name_ref_cmp);
	for (size_t i = 1, g = 0; i < nn; i++) {
		const struct url_arg *first = &urls[names[g].order], *u = &urls[names[i].order];
		char w1[48], w2[48];

		if (strcmp(names[g].name, names[i].name)) {
			g = i;
			continue;
		}
		url_where(first, names[g].order, w1, sizeof(w1));
		url_where(u, names[i].order, w2, sizeof(w2));
		if (strcmp(first->url, u->url))
			diag_addf(errs, "%s: %s differs from %s only in its hidden credentials; "
				  "give them names in a config file", w2,
				  yquote(names[i].name, strlen(names[i].name)), w1);
		else
			diag_addf(warns, "warning: %s: %s is the same URL as %s; checked once",
				  w2, yquote(names[i].name, strlen(names[i].name)), w1);
		repeat[names[i].order] = true;
	}
	/* Without errors target i is URL i: drop the repeats, keeping the
	 * first of each in the order given. */
	if (errs->n == before) {
		size_t w = 0;

		for (size_t i = 0; i < c->ntargets; i++) {
			if (repeat[i]) {
				keys_clear(&keys_target, &c->targets[i]);
				tconf_clear(&c->targets[i]);
			} else
				c->targets[w++] = c->targets[i];
		}
		c->ntargets = w;
	}
	free(repeat);
	free(names);
	return loader_done(&L, errs->n == before, out, errs);
}
