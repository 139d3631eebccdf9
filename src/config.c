/* config.c - YAML -> struct config, reporting every mistake of a file.
 *
 * yamldoc gives a resolved tree (merges applied, duplicate keys reported);
 * this file gives it meaning. Each value is parsed on its own and a bad one
 * only leaves a note in the sink, so one pass finds all mistakes; the
 * config is handed out only when the sink stayed empty. */
#include "config.h"
#include "yamldoc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_INTERVAL_MS (24LL * 3600 * 1000)
#define MAX_TIMEOUT_MS (3600LL * 1000)
#define MAX_FAILURES 1000
#define MAX_BODY_BYTES (1024LL * 1024 * 1024)
#define MAX_CONCURRENCY 1000000
#define MAX_HEADERS 100

enum tkey {
	K_NAME, K_URL, K_GROUP, K_INTERVAL, K_TIMEOUT, K_METHOD, K_HEADERS, K_BODY,
	K_EXPECT, K_BODY_CONTAINS, K_MAX_LATENCY, K_FAILURES, K_FOLLOW, K_VERIFY,
	K_FRESH, K_MAX_BODY, K_CA_FILE, NKEYS
};

static const char *const target_keys[NKEYS] = {
	"name", "url", "group", "interval", "timeout", "method", "headers", "body",
	"expect_status", "body_contains", "max_latency", "failures_before_down",
	"follow_redirects", "verify_tls", "fresh_connection", "max_body", "ca_file",
};
static const char *const top_keys[] = { "defaults", "targets", "settings" };
static const char *const settings_keys[] = { "max_concurrency", "theme", "bell" };

struct keyset {
	const char *const *keys;
	size_t n;
	const char *where;          /* for messages: "in a target" */
};

static const struct keyset target_set = { target_keys, NKEYS, "in a target" };
static const struct keyset defaults_set = { target_keys, NKEYS, "in defaults" };
static const struct keyset top_set = { top_keys, ARRAY_LEN(top_keys), "at the top level" };
static const struct keyset settings_set = { settings_keys, ARRAY_LEN(settings_keys),
					    "in settings" };

struct loader {
	struct ysink errs;
	struct config *cfg;
	bool pair_reported[2];      /* a defaults-only cross-field error, once */
};

/* A target as it is assembled from built-in values, defaults and its own
 * keys; src/own/bad remember where each value came from, for cross-field
 * checks and their messages. */
struct tbuild {
	struct target_conf t;
	const struct ynode *src[NKEYS];     /* NULL: built-in */
	bool own[NKEYS];                    /* set by the target, not defaults */
	bool bad[NKEYS];                    /* its value did not parse */
};

struct strbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct strbuf *b, const char *s, size_t n)
{
	b->p = xreallocarray_grow(b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void err(struct loader *L, const struct ynode *at, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void err(struct loader *L, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ysink_vaddf(&L->errs, at ? at->line : 1, at ? at->col : 1, fmt, ap);
	va_end(ap);
}

/* ---- durations, numbers, booleans ------------------------------------ */

/* Not isalpha(): after setlocale() a Latin-1 locale would accept bytes
 * that are not part of any of our grammars. */
static bool ascii_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_alnum(int c)
{
	return ascii_alpha(c) || (c >= '0' && c <= '9');
}

static const struct {
	const char *name;
	int64_t ms;
} units[] = { { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 } };

static int dur_fail(char *err_, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int dur_fail(char *err_, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err_ && errlen) {
		va_start(ap, fmt);
		vsnprintf(err_, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int unit_index(const char *u, size_t n)
{
	for (size_t i = 0; i < ARRAY_LEN(units); i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return (int)i;
	return -1;
}

/* Reads digits into *v; false on overflow. */
static bool read_digits(const char **p, int64_t *v, int *ndigits)
{
	*v = 0;
	*ndigits = 0;
	while (isdigit((unsigned char)**p)) {
		int d = **p - '0';

		if (*v > (INT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
		(*p)++;
		(*ndigits)++;
	}
	return true;
}

int config_parse_duration(const char *s, int64_t *ms, char *err_, size_t errlen)
{
	const char *p = s, *q;
	int64_t total = 0;
	int last = -1;

	if (!s || !*s)
		return dur_fail(err_, errlen, "empty duration (write e.g. 5s or 250ms)");
	q = yquote(s, strlen(s));
	if (*s == '-')
		return dur_fail(err_, errlen, "bad duration %s: negative durations are not allowed",
				q);
	while (*p) {
		int64_t whole, frac = 0, den = 1, v;
		const char *u;
		int nd, nf = 0, ui;

		if (!isdigit((unsigned char)*p))
			return dur_fail(err_, errlen, "bad duration %s: expected a number at %s "
					"(write e.g. 5s, 250ms or 1m30s)", q, yquote(p, strlen(p)));
		if (!read_digits(&p, &whole, &nd))
			return dur_fail(err_, errlen, "bad duration %s: number too large", q);
		if (*p == '.') {
			p++;
			if (!read_digits(&p, &frac, &nf) || nf == 0 || nf > 9)
				return dur_fail(err_, errlen, "bad duration %s: bad decimal part", q);
			for (int i = 0; i < nf; i++)
				den *= 10;
		}
		u = p;
		while (ascii_alpha(*p))
			p++;
		if (p == u) {
			if (*p)
				return dur_fail(err_, errlen, "bad duration %s: unexpected %s",
						q, yquote(p, 1));
			if (last < 0)
				return dur_fail(err_, errlen, "duration %s has no unit "
						"(did you mean '%ss'? units: ms, s, m, h)", q, s);
			return dur_fail(err_, errlen, "bad duration %s: the last number has no "
					"unit (units: ms, s, m, h)", q);
		}
		ui = unit_index(u, (size_t)(p - u));
		if (ui < 0)
			return dur_fail(err_, errlen, "bad duration %s: unknown unit %s "
					"(use ms, s, m or h)", q, yquote(u, (size_t)(p - u)));
		if (ui <= last)
			return dur_fail(err_, errlen, "bad duration %s: units must go from "
					"largest to smallest, each once (like 1h30m)", q);
		last = ui;
		if (whole > INT64_MAX / units[ui].ms)
			return dur_fail(err_, errlen, "bad duration %s: too long", q);
		v = whole * units[ui].ms;
		/* frac < 10^9 and a unit <= 3.6e6 ms: the product fits */
		if ((frac * units[ui].ms) % den)
			return dur_fail(err_, errlen, "bad duration %s: finer than a millisecond", q);
		v += frac * units[ui].ms / den;
		if (v > INT64_MAX - total)
			return dur_fail(err_, errlen, "bad duration %s: too long", q);
		total += v;
	}
	*ms = total;
	return 0;
}

/* "1h", "1m30s", "250ms": the inverse of config_parse_duration. */
static const char *dur_text(int64_t ms)
{
	static char bufs[4][48];
	static unsigned next;
	char *b = bufs[next++ % ARRAY_LEN(bufs)];
	size_t at = 0;

	b[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		int64_t q = ms / units[i].ms;

		ms %= units[i].ms;
		if (q)
			at += (size_t)snprintf(b + at, sizeof(bufs[0]) - at, "%lld%s", (long long)q,
					       units[i].name);
	}
	if (!at)
		snprintf(b, sizeof(bufs[0]), "0s");
	return b;
}

/* Decimal only (no 0x, no 1e3, no 1_000); 0 ok, -1 not a number, -2 out of
 * long long range. */
static int parse_ll(const char *s, long long *out)
{
	const char *p = s;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -2;
	return *end ? -1 : 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Bytes, with an optional unit ("1MiB", "512 kB"). */
static int parse_size(const char *s, long long *out)
{
	static const struct {
		const char *unit;
		long long mult;
	} sz[] = {
		{ "", 1 }, { "B", 1 }, { "k", 1000 }, { "kB", 1000 }, { "KB", 1000 },
		{ "K", 1024 }, { "KiB", 1024 }, { "M", 1000000 }, { "MB", 1000000 },
		{ "MiB", 1048576 }, { "G", 1000000000 }, { "GB", 1000000000 },
		{ "GiB", 1073741824 },
	};
	const char *p = s;
	int64_t v;
	int nd;

	if (!read_digits(&p, &v, &nd))
		return -2;
	if (nd == 0)
		return -1;
	if (*p == ' ')
		p++;
	for (size_t i = 0; i < ARRAY_LEN(sz); i++) {
		if (strcmp(p, sz[i].unit) == 0) {
			if (v > LLONG_MAX / sz[i].mult)
				return -2;
			*out = v * sz[i].mult;
			return 0;
		}
	}
	return -1;
}

/* ---- typed getters: each reports its own mistake ---------------------- */

/* The scalar text of n, or NULL after saying why there is none. */
static const char *scalar(struct loader *L, const struct ynode *n, const char *key,
			  const char *want)
{
	if (n->kind != YNODE_SCALAR) {
		err(L, n, "%s: expected %s, got %s", key, want, ynode_describe(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		err(L, n, "%s: the value contains a NUL character", key);
		return NULL;
	}
	return n->str;
}

static bool get_duration(struct loader *L, const struct ynode *n, const char *key, int64_t max,
			 int64_t *out)
{
	const char *s = scalar(L, n, key, "a duration like 5s");
	char why[256];
	int64_t ms = 0;

	if (!s)
		return false;
	if (config_parse_duration(s, &ms, why, sizeof(why)) < 0) {
		err(L, n, "%s: %s", key, why);
		return false;
	}
	if (ms <= 0) {
		err(L, n, "%s must be greater than zero, got %s", key, yquote(s, n->len));
		return false;
	}
	if (ms > max) {
		err(L, n, "%s %s is too long (at most %s)", key, dur_text(ms), dur_text(max));
		return false;
	}
	*out = ms;
	return true;
}

static bool get_int(struct loader *L, const struct ynode *n, const char *key, long long lo,
		    long long hi, long long *out)
{
	const char *s = scalar(L, n, key, "a whole number");
	long long v;
	int rc;

	if (!s)
		return false;
	rc = parse_ll(s, &v);
	if (rc == -1) {
		err(L, n, "%s: expected a whole number, got %s", key, ynode_describe(n));
		return false;
	}
	if (rc == -2 || v < lo || v > hi) {
		err(L, n, "%s must be between %lld and %lld, got %s", key, lo, hi,
		    yquote(s, n->len));
		return false;
	}
	*out = v;
	return true;
}

static bool get_bool(struct loader *L, const struct ynode *n, const char *key, bool *out)
{
	const char *s = scalar(L, n, key, "true or false");

	if (!s)
		return false;
	if (parse_bool(s, out) < 0) {
		err(L, n, "%s: expected true or false, got %s", key, ynode_describe(n));
		return false;
	}
	return true;
}

static bool valid_var_name(const char *s, size_t n)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ascii_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

/* ${VAR} from the environment; "$$" is a '$'; any other '$' stays as is.
 * Every unset variable of the value is reported, not only the first. */
static char *expand_env(struct loader *L, const struct ynode *n, const char *key, bool *used)
{
	struct strbuf b = { 0 };
	const char *s = n->str;
	bool ok = true;

	sb_add(&b, "", 0);
	for (size_t i = 0; i < n->len;) {
		const char *close, *val;
		char *name;

		if (s[i] != '$' || i + 1 >= n->len || (s[i + 1] != '$' && s[i + 1] != '{')) {
			sb_add(&b, s + i, 1);
			i++;
			continue;
		}
		if (s[i + 1] == '$') {
			sb_add(&b, "$", 1);
			i += 2;
			continue;
		}
		close = memchr(s + i + 2, '}', n->len - i - 2);
		if (!close) {
			err(L, n, "%s: unterminated '${' (write '$$' for a literal '$')", key);
			ok = false;
			break;
		}
		name = xstrndup(s + i + 2, (size_t)(close - (s + i + 2)));
		*used = true;
		if (!valid_var_name(name, strlen(name))) {
			err(L, n, "%s: %s is not a valid environment variable name", key,
			    yquote(name, strlen(name)));
			ok = false;
		} else if (!(val = getenv(name))) {
			err(L, n, "%s: environment variable %s is not set", key, name);
			ok = false;
		} else {
			sb_add(&b, val, strlen(val));
		}
		free(name);
		i = (size_t)(close - s) + 1;
	}
	if (!ok) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* A string value; `expand` applies ${VAR}. NULL: a null value (when
 * `optional`), or a mistake already reported (*bad set). */
static char *get_text(struct loader *L, const struct ynode *n, const char *key, bool expand,
		      bool optional, bool *bad)
{
	bool used = false;
	char *v;

	*bad = false;
	if (ynode_is_null(n)) {
		if (optional)
			return NULL;
		err(L, n, "%s must not be empty", key);
		*bad = true;
		return NULL;
	}
	if (!scalar(L, n, key, "a string")) {
		*bad = true;
		return NULL;
	}
	if (!expand)
		return xstrdup(n->str);
	v = expand_env(L, n, key, &used);
	if (used)
		L->cfg->has_secrets = true;
	if (v && !*v && !optional) {
		err(L, n, "%s must not be empty", key);
		free(v);
		v = NULL;
	}
	if (!v)
		*bad = true;
	return v;
}

/* ---- URLs ------------------------------------------------------------- */

/* Copies url with any user[:password] replaced by "***", for messages and
 * for names derived from a URL. */
static char *url_redacted(const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at;
	struct strbuf b = { 0 };

	if (!auth)
		return xstrdup(url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return xstrdup(url);
	sb_add(&b, url, (size_t)(auth - url));
	sb_add(&b, "***", 3);
	sb_add(&b, at, strlen(at));
	return b.p;
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

/* The checks curl would fail on later, said up front and plainly. */
static bool url_check(const char *url, bool *password, char *why, size_t len)
{
	const char *sep = strstr(url, "://"), *auth, *end, *host, *hostend, *at = NULL;

	*password = false;
	for (const char *p = url; *p; p++) {
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(why, len, "a URL must not contain spaces or control characters");
			return false;
		}
	}
	if (!sep || !is_scheme(url, (size_t)(sep - url))) {
		snprintf(why, len, "the URL has no scheme (start it with https:// or http://)");
		return false;
	}
	if (!((sep - url == 4 && strncasecmp(url, "http", 4) == 0) ||
	      (sep - url == 5 && strncasecmp(url, "https", 5) == 0))) {
		snprintf(why, len, "only http and https URLs are supported, not %.*s",
			 (int)(sep - url), url);
		return false;
	}
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
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
	return true;
}

/* ---- target keys ------------------------------------------------------ */

static void target_init(struct target_conf *t)
{
	memset(t, 0, sizeof(*t));
	t->group = xstrdup("");
	t->method = xstrdup("GET");
	t->expect = xmalloc(sizeof(*t->expect));
	t->expect[0] = (struct status_range){ 200, 399 };
	t->nexpect = 1;
	t->interval_ms = CONFIG_DEFAULT_INTERVAL_MS;
	t->timeout_ms = CONFIG_DEFAULT_TIMEOUT_MS;
	t->max_body = CONFIG_DEFAULT_MAX_BODY;
	t->failures_before_down = 1;
	t->follow_redirects = true;
	t->verify_tls = true;
}

static void headers_free(struct header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
		free(h[i].shown);
	}
	free(h);
}

static void target_clear(struct target_conf *t)
{
	free(t->name);
	free(t->url);
	free(t->group);
	free(t->method);
	free(t->body);
	free(t->body_contains);
	free(t->ca_file);
	headers_free(t->headers, t->nheaders);
	free(t->expect);
	memset(t, 0, sizeof(*t));
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void target_copy(struct target_conf *d, const struct target_conf *s)
{
	*d = *s;
	d->name = dup_or_null(s->name);
	d->url = dup_or_null(s->url);
	d->group = dup_or_null(s->group);
	d->method = dup_or_null(s->method);
	d->body = dup_or_null(s->body);
	d->body_contains = dup_or_null(s->body_contains);
	d->ca_file = dup_or_null(s->ca_file);
	d->headers = s->nheaders ? xcalloc(s->nheaders, sizeof(*d->headers)) : NULL;
	for (size_t i = 0; i < s->nheaders; i++) {
		d->headers[i].name = xstrdup(s->headers[i].name);
		d->headers[i].value = xstrdup(s->headers[i].value);
		d->headers[i].shown = xstrdup(s->headers[i].shown);
		d->headers[i].secret = s->headers[i].secret;
	}
	d->expect = xmalloc(s->nexpect * sizeof(*d->expect));
	memcpy(d->expect, s->expect, s->nexpect * sizeof(*d->expect));
}

static void set_str(char **field, char *v)
{
	free(*field);
	*field = v;
}

static bool is_tchar(int c)
{
	return ascii_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

static bool apply_method(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	const char *s = scalar(L, n, "method", "a method like GET");
	char *m;

	if (!s)
		return false;
	if (!is_token(s, n->len)) {
		err(L, n, "method %s is not a valid HTTP method (like GET, HEAD or POST)",
		    yquote(s, n->len));
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
			err(L, at, "header %s: the value must not contain line breaks or control "
			    "characters", name);
			return false;
		}
	}
	return true;
}

/* One header; false after a reported mistake. */
static bool header_parse(struct loader *L, const struct ynode *k, const struct ynode *v,
			 struct header *h)
{
	bool used = false, bad;
	char *value;

	memset(h, 0, sizeof(*h));
	if (!is_token(k->str, k->len)) {
		err(L, k, "invalid header name %s: use letters, digits and - (like X-Api-Key)",
		    yquote(k->str, k->len));
		return false;
	}
	if (ynode_is_null(v))
		value = xstrdup("");
	else if (!scalar(L, v, k->str, "a header value"))
		return false;
	else if (!(value = expand_env(L, v, k->str, &used)))
		return false;
	bad = !header_value_ok(L, v, k->str, value);
	if (bad) {
		free(value);
		return false;
	}
	h->name = xstrdup(k->str);
	h->value = value;
	h->shown = xstrdup(ynode_is_null(v) ? "" : v->str);
	h->secret = used || is_secret_header(h->name);
	if (h->secret)
		L->cfg->has_secrets = true;
	return true;
}

static bool apply_headers(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	struct header *hs;
	size_t nh = 0;
	bool ok = true;

	if (ynode_is_null(n)) {
		headers_free(t->headers, t->nheaders);
		t->headers = NULL;
		t->nheaders = 0;
		return true;
	}
	if (n->kind != YNODE_MAP) {
		err(L, n, "headers: expected a mapping of Name: value, got %s", ynode_describe(n));
		return false;
	}
	if (n->n > MAX_HEADERS) {
		err(L, n, "headers: more than %d headers", MAX_HEADERS);
		return false;
	}
	hs = xcalloc(n->n, sizeof(*hs));
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key;
		size_t j;

		if (!header_parse(L, k, n->pairs[i].value, &hs[nh])) {
			ok = false;
			continue;
		}
		for (j = 0; j < nh && strcasecmp(hs[j].name, hs[nh].name); j++)
			;
		if (j < nh) {
			err(L, k, "header %s is set twice (header names ignore case)",
			    yquote(k->str, k->len));
			ok = false;
		}
		nh++;
	}
	if (!ok) {
		headers_free(hs, nh);
		return false;
	}
	headers_free(t->headers, t->nheaders);
	t->headers = hs;
	t->nheaders = nh;
	return true;
}

/* One code (200), a range (300-308) or a class (2xx). */
static bool status_parse(struct loader *L, const struct ynode *n, struct status_range *r)
{
	const char *s = scalar(L, n, "expect_status", "a status code or a range like 200-299");
	long long lo, hi;
	const char *dash;

	if (!s)
		return false;
	if (n->len == 3 && isdigit((unsigned char)s[0]) && strcasecmp(s + 1, "xx") == 0) {
		lo = (s[0] - '0') * 100;
		hi = lo + 99;
	} else if (n->len > 1 && (dash = strchr(s + 1, '-')) != NULL) {
		char *a = xstrndup(s, (size_t)(dash - s)), *b = xstrdup(dash + 1);
		size_t al = strlen(a);
		int ra, rb;

		while (al && a[al - 1] == ' ')
			a[--al] = '\0';
		ra = parse_ll(a, &lo);
		rb = parse_ll(b + strspn(b, " "), &hi);
		free(a);
		free(b);
		if (ra == -1 || rb == -1) {
			err(L, n, "expect_status: %s is not a status code or a range like 200-299",
			    yquote(s, n->len));
			return false;
		}
		if (ra == -2 || rb == -2)
			lo = hi = LLONG_MAX;
	} else {
		int rc = parse_ll(s, &lo);

		if (rc == -1) {
			err(L, n, "expect_status: %s is not a status code or a range like 200-299",
			    ynode_describe(n));
			return false;
		}
		if (rc == -2)
			lo = LLONG_MAX;
		hi = lo;
	}
	if (lo < 100 || lo > 599 || hi < 100 || hi > 599) {
		err(L, n, "expect_status: %s is outside 100-599", yquote(s, n->len));
		return false;
	}
	if (lo > hi) {
		err(L, n, "expect_status: range %lld-%lld is reversed (did you mean %lld-%lld?)", lo,
		    hi, hi, lo);
		return false;
	}
	r->lo = (int)lo;
	r->hi = (int)hi;
	return true;
}

static bool apply_expect(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	const struct ynode *const *items = &n;
	struct status_range *v;
	size_t cnt = 1, got = 0;
	bool ok = true;

	if (n->kind == YNODE_MAP) {
		err(L, n, "expect_status: expected a list like [200, 300-308], got a mapping");
		return false;
	}
	if (n->kind == YNODE_SEQ) {
		items = n->items;
		cnt = n->n;
	}
	if (cnt == 0 || ynode_is_null(n)) {
		err(L, n, "expect_status: list at least one status code");
		return false;
	}
	v = xcalloc(cnt, sizeof(*v));
	for (size_t i = 0; i < cnt; i++)
		if (status_parse(L, items[i], &v[got]))
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

static bool apply_max_body(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	const char *s = scalar(L, n, "max_body", "a size like 1MiB");
	long long v;
	int rc;

	if (!s)
		return false;
	rc = parse_size(s, &v);
	if (rc == -1) {
		err(L, n, "max_body: bad size %s (bytes, or a number with KiB, MiB, kB or MB)",
		    yquote(s, n->len));
		return false;
	}
	if (rc == -2 || v < 1 || v > MAX_BODY_BYTES) {
		err(L, n, "max_body must be between 1 byte and 1GiB, got %s", yquote(s, n->len));
		return false;
	}
	t->max_body = v;
	return true;
}

static bool apply_max_latency(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	if (n->kind == YNODE_SCALAR && (ynode_is_null(n) || strcasecmp(n->str, "none") == 0)) {
		t->max_latency_ms = 0;
		return true;
	}
	return get_duration(L, n, "max_latency", MAX_TIMEOUT_MS, &t->max_latency_ms);
}

static bool apply_ca_file(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	bool bad;
	char *path = get_text(L, n, "ca_file", false, true, &bad);

	if (bad)
		return false;
	if (path && access(path, R_OK) != 0) {
		err(L, n, "ca_file %s: %s", yquote(path, strlen(path)), strerror(errno));
		free(path);
		return false;
	}
	set_str(&t->ca_file, path);
	return true;
}

static bool apply_url(struct loader *L, struct target_conf *t, const struct ynode *n)
{
	bool bad, password;
	char why[512], *url = get_text(L, n, "url", true, false, &bad);

	if (bad)
		return false;
	if (!url_check(url, &password, why, sizeof(why))) {
		char *shown = url_redacted(n->str);

		err(L, n, "url %s: %s", yquote(shown, strlen(shown)), why);
		free(shown);
		free(url);
		return false;
	}
	if (password)
		L->cfg->has_secrets = true;
	set_str(&t->url, url);
	return true;
}

static bool apply_string(struct loader *L, char **field, const struct ynode *n, const char *key,
			 bool optional)
{
	bool bad;
	char *v = get_text(L, n, key, true, optional, &bad);

	if (bad)
		return false;
	set_str(field, v);
	return true;
}

static bool apply_key(struct loader *L, struct target_conf *t, enum tkey k, const struct ynode *n)
{
	long long v;
	char *g = NULL;

	switch (k) {
	case K_NAME:
		return apply_string(L, &t->name, n, "name", false);
	case K_URL:
		return apply_url(L, t, n);
	case K_GROUP:
		if (!apply_string(L, &g, n, "group", true))
			return false;
		set_str(&t->group, g ? g : xstrdup(""));
		return true;
	case K_INTERVAL:
		return get_duration(L, n, "interval", MAX_INTERVAL_MS, &t->interval_ms);
	case K_TIMEOUT:
		return get_duration(L, n, "timeout", MAX_TIMEOUT_MS, &t->timeout_ms);
	case K_METHOD:
		return apply_method(L, t, n);
	case K_HEADERS:
		return apply_headers(L, t, n);
	case K_BODY:
		return apply_string(L, &t->body, n, "body", true);
	case K_EXPECT:
		return apply_expect(L, t, n);
	case K_BODY_CONTAINS:
		return apply_string(L, &t->body_contains, n, "body_contains", true);
	case K_MAX_LATENCY:
		return apply_max_latency(L, t, n);
	case K_FAILURES:
		if (!get_int(L, n, "failures_before_down", 1, MAX_FAILURES, &v))
			return false;
		t->failures_before_down = (int)v;
		return true;
	case K_FOLLOW:
		return get_bool(L, n, "follow_redirects", &t->follow_redirects);
	case K_VERIFY:
		return get_bool(L, n, "verify_tls", &t->verify_tls);
	case K_FRESH:
		return get_bool(L, n, "fresh_connection", &t->fresh_connection);
	case K_MAX_BODY:
		return apply_max_body(L, t, n);
	case K_CA_FILE:
		return apply_ca_file(L, t, n);
	case NKEYS:
		break;
	}
	return false;
}

/* ---- unknown keys ----------------------------------------------------- */

static size_t edit_distance(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b), row[64], prev, tmp;

	if (bl >= ARRAY_LEN(row))
		return SIZE_MAX;
	for (size_t j = 0; j <= bl; j++)
		row[j] = j;
	for (size_t i = 1; i <= al; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bl; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != b[j - 1];
			size_t best = prev + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[bl];
}

static bool in_set(const struct keyset *ks, const char *s, size_t n)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strlen(ks->keys[i]) == n && memcmp(ks->keys[i], s, n) == 0)
			return true;
	return false;
}

static void unknown_key(struct loader *L, const struct ynode *k, const struct keyset *ks)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	struct strbuf list = { 0 };

	if (ks != &top_set && in_set(&top_set, k->str, k->len)) {
		err(L, k, "unknown key %s %s: it belongs at the top level (check the indentation)",
		    yquote(k->str, k->len), ks->where);
		return;
	}
	if (ks != &settings_set && in_set(&settings_set, k->str, k->len)) {
		err(L, k, "unknown key %s %s: it belongs under 'settings:'",
		    yquote(k->str, k->len), ks->where);
		return;
	}
	if (ks == &top_set && in_set(&target_set, k->str, k->len)) {
		err(L, k, "unknown key %s at the top level: target keys go under 'defaults:' "
		    "or in an entry of 'targets:'", yquote(k->str, k->len));
		return;
	}
	if (k->len < 60) {
		for (size_t i = 0; i < ks->n; i++) {
			size_t d = edit_distance(k->str, k->len, ks->keys[i]);

			if (d < bestd) {
				bestd = d;
				best = ks->keys[i];
			}
		}
	}
	if (best && bestd <= 2 + strlen(best) / 6 && bestd < strlen(best)) {
		err(L, k, "unknown key %s %s (did you mean '%s'?)", yquote(k->str, k->len),
		    ks->where, best);
		return;
	}
	for (size_t i = 0; i < ks->n; i++) {
		if (i)
			sb_add(&list, ", ", 2);
		sb_add(&list, ks->keys[i], strlen(ks->keys[i]));
	}
	err(L, k, "unknown key %s %s (known keys: %s)", yquote(k->str, k->len), ks->where,
	    list.p);
	free(list.p);
}

static int target_key(const struct ynode *k)
{
	for (int i = 0; i < NKEYS; i++)
		if (strlen(target_keys[i]) == k->len && memcmp(target_keys[i], k->str, k->len) == 0)
			return i;
	return -1;
}

/* ---- targets ---------------------------------------------------------- */

static void tbuild_apply(struct loader *L, struct tbuild *b, const struct ynode *map,
			 const struct keyset *ks)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		int key = target_key(k);

		if (key < 0) {
			unknown_key(L, k, ks);
			continue;
		}
		b->src[key] = v;
		b->own[key] = true;
		b->bad[key] = !apply_key(L, &b->t, (enum tkey)key, v);
	}
}

/* `a` must be below `bk` (timeout < interval, max_latency < timeout). The
 * message goes where the target set one of them; a pair that comes whole
 * from defaults is the same for every target, so it is said once. */
static void check_below(struct loader *L, const struct tbuild *b, enum tkey a, int64_t av,
			enum tkey bk, int64_t bv, int which, const struct ynode *entry)
{
	enum tkey at, other;
	char note[96] = "";

	if (av < bv || b->bad[a] || b->bad[bk])
		return;
	if (!b->own[a] && !b->own[bk]) {
		if (L->pair_reported[which])
			return;
		L->pair_reported[which] = true;
	}
	at = b->own[a] || (!b->own[bk] && b->src[a]) ? a : bk;
	other = at == a ? bk : a;
	if (!b->src[other])
		snprintf(note, sizeof(note), " (%s is the built-in default)", target_keys[other]);
	else if (b->own[at] && !b->own[other])
		snprintf(note, sizeof(note), " (%s comes from defaults, line %d)",
			 target_keys[other], b->src[other]->line);
	err(L, b->src[at] ? b->src[at] : entry, "%s %s must be below %s %s%s", target_keys[a],
	    dur_text(av), target_keys[bk], dur_text(bv), note);
}

static void tbuild_finish(struct loader *L, struct tbuild *b, const struct ynode *entry)
{
	struct target_conf *t = &b->t;

	t->line = entry->line;
	if (!t->url && !b->bad[K_URL])
		err(L, entry, "this target has no url (add 'url: https://...')");
	if (!t->name && t->url && !b->bad[K_NAME]) {
		/* Named by the URL as written: ${VAR} stays unexpanded and a
		 * password is hidden, so a name never shows a secret. */
		t->name = url_redacted(b->src[K_URL]->str);
	}
	check_below(L, b, K_TIMEOUT, t->timeout_ms, K_INTERVAL, t->interval_ms, 0, entry);
	if (t->max_latency_ms > 0)
		check_below(L, b, K_MAX_LATENCY, t->max_latency_ms, K_TIMEOUT, t->timeout_ms, 1,
			    entry);
}

struct name_ref {
	const char *name;
	const struct ynode *at;
	size_t order;
};

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

	qsort(v, n, sizeof(*v), name_ref_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[g].name, v[i].name)) {
			g = i;
			continue;
		}
		err(L, v[i].at, "duplicate target name %s (first at line %d); names must be unique",
		    yquote(v[i].name, strlen(v[i].name)), v[g].at->line);
	}
}

static void load_targets(struct loader *L, const struct ynode *seq, const struct tbuild *tpl)
{
	struct config *c = L->cfg;
	struct name_ref *names = xcalloc(seq->n, sizeof(*names));
	size_t nn = 0, cap = 0;

	for (size_t i = 0; i < seq->n; i++) {
		const struct ynode *e = seq->items[i];
		struct tbuild b;

		if (e->kind != YNODE_MAP) {
			if (e->kind == YNODE_SCALAR && strstr(e->str, "://"))
				err(L, e, "targets: each entry must be a mapping; write "
				    "\"- url: %s\"", yquote(e->str, e->len));
			else
				err(L, e, "targets: each entry must be a mapping (like "
				    "'- url: https://...'), got %s", ynode_describe(e));
			continue;
		}
		b = *tpl;
		target_copy(&b.t, &tpl->t);
		memset(b.own, 0, sizeof(b.own));
		tbuild_apply(L, &b, e, &target_set);
		tbuild_finish(L, &b, e);
		if (b.t.name)
			names[nn++] = (struct name_ref){ b.t.name,
							 b.own[K_NAME] ? b.src[K_NAME] : e, i };
		c->targets = xreallocarray_grow(c->targets, &cap, c->ntargets + 1,
						sizeof(*c->targets));
		c->targets[c->ntargets++] = b.t;
	}
	check_names(L, names, nn);
	free(names);
}

/* ---- settings and the top level --------------------------------------- */

static bool key_is(const struct ynode *k, const char *name)
{
	return k->len == strlen(name) && memcmp(k->str, name, k->len) == 0;
}

static void load_settings(struct loader *L, const struct ynode *map)
{
	struct settings *s = &L->cfg->settings;

	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key, *v = map->pairs[i].value;
		long long n;
		bool bad;

		if (key_is(k, "max_concurrency")) {
			if (v->kind == YNODE_SCALAR && strcasecmp(v->str, "auto") == 0)
				s->max_concurrency = 0;
			else if (v->kind == YNODE_SCALAR && parse_ll(v->str, &n) == -1)
				err(L, v, "max_concurrency: expected 'auto' or a positive whole "
				    "number, got %s", ynode_describe(v));
			else if (get_int(L, v, "max_concurrency", 1, MAX_CONCURRENCY, &n))
				s->max_concurrency = (int)n;
		} else if (key_is(k, "theme")) {
			char *t = get_text(L, v, "theme", false, true, &bad);

			if (!bad)
				set_str(&s->theme, t);
		} else if (key_is(k, "bell")) {
			get_bool(L, v, "bell", &s->bell);
		} else {
			unknown_key(L, k, &settings_set);
		}
	}
}

/* A section that must be a mapping; NULL (after a message) when it is not,
 * and also when it is just empty. */
static const struct ynode *section(struct loader *L, const struct ynode *root, const char *key)
{
	const struct ynode *n = ynode_get(root, key);

	if (!n || ynode_is_null(n))
		return NULL;
	if (n->kind != YNODE_MAP) {
		err(L, n, "%s: expected a mapping, got %s", key, ynode_describe(n));
		return NULL;
	}
	return n;
}

static void load_root(struct loader *L, const struct ynode *root)
{
	const struct ynode *defaults, *settings, *targets;
	struct tbuild tpl;

	if (!root) {
		err(L, NULL, "no targets: the file has no content (add a 'targets:' list)");
		return;
	}
	if (root->kind != YNODE_MAP) {
		err(L, root, "expected a mapping with a 'targets:' list at the top level, got %s",
		    ynode_describe(root));
		return;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->pairs[i].key;

		/* "x-" keys are ignored: a home for anchors, as in compose files */
		if (!in_set(&top_set, k->str, k->len) && strncmp(k->str, "x-", 2) != 0)
			unknown_key(L, k, &top_set);
	}
	memset(&tpl, 0, sizeof(tpl));
	target_init(&tpl.t);
	defaults = section(L, root, "defaults");
	if (defaults) {
		tbuild_apply(L, &tpl, defaults, &defaults_set);
		memset(tpl.own, 0, sizeof(tpl.own));
	}
	settings = section(L, root, "settings");
	if (settings)
		load_settings(L, settings);
	targets = ynode_get(root, "targets");
	if (!targets)
		err(L, root, "no targets: add a 'targets:' list");
	else if (ynode_is_null(targets) || (targets->kind == YNODE_SEQ && targets->n == 0))
		err(L, targets, "no targets: the 'targets:' list is empty");
	else if (targets->kind != YNODE_SEQ)
		err(L, targets, "targets: expected a sequence of targets ('- url: ...'), got %s",
		    ynode_describe(targets));
	else
		load_targets(L, targets, &tpl);
	target_clear(&tpl.t);
}

/* ---- public ----------------------------------------------------------- */

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntargets; i++)
		target_clear(&c->targets[i]);
	free(c->targets);
	free(c->settings.theme);
	free(c->path);
	free(c);
}

int config_load_buffer(const char *name, const char *buf, size_t len, struct config **out,
		       struct diag *errs)
{
	struct loader L = { 0 };
	struct yamldoc *doc = NULL;

	*out = NULL;
	ysink_init(&L.errs, name);
	L.cfg = xcalloc(1, sizeof(*L.cfg));
	L.cfg->settings.bell = true;   /* ring on a transition to down */
	L.cfg->path = xstrdup(name);
	if (yamldoc_load(buf, len, &doc, &L.errs) == 0)
		load_root(&L, yamldoc_root(doc));
	yamldoc_free(doc);
	if (L.errs.n) {
		ysink_flush(&L.errs, errs);
		config_free(L.cfg);
		return -1;
	}
	ysink_clear(&L.errs);
	*out = L.cfg;
	return 0;
}

/* Reads the whole file, refusing directories and anything over the size
 * limit (also for pipes, whose size fstat cannot tell). */
static int read_file(const char *path, char **out, size_t *outlen, struct diag *errs)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		diag_addf(errs, "%s:1:1: cannot open the config file: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		diag_addf(errs, "%s:1:1: cannot read the config file: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_addf(errs, "%s:1:1: is a directory, not a config file", path);
		goto fail;
	}
	if (S_ISREG(st.st_mode) && st.st_size > YAMLDOC_MAX_BYTES) {
		diag_addf(errs, "%s:1:1: the file is too large (%.1f MiB; the limit is %d MiB)",
			  path, (double)st.st_size / (1024 * 1024), YAMLDOC_MAX_BYTES / (1024 * 1024));
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (len > YAMLDOC_MAX_BYTES) {
			diag_addf(errs, "%s:1:1: the file is too large (the limit is %d MiB)", path,
				  YAMLDOC_MAX_BYTES / (1024 * 1024));
			goto fail;
		}
		buf = xreallocarray_grow(buf, &cap, len + 65536, 1);
		r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			diag_addf(errs, "%s:1:1: cannot read the config file: %s", path,
				  strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

int config_load(const char *path, struct config **out, struct diag *errs)
{
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (read_file(path, &buf, &len, errs) < 0)
		return -1;
	rc = config_load_buffer(path, buf, len, out, errs);
	free(buf);
	return rc;
}

int config_from_urls(char *const *urls, size_t n, struct config **out, struct diag *errs)
{
	struct config *c = xcalloc(1, sizeof(*c));
	struct name_ref *names = xcalloc(n, sizeof(*names));
	size_t before = errs->n;

	c->settings.bell = true;   /* ring on a transition to down */

	*out = NULL;
	if (n == 0)
		diag_addf(errs, "-: no URLs given");
	c->targets = xcalloc(n, sizeof(*c->targets));
	for (size_t i = 0; i < n; i++) {
		struct target_conf *t = &c->targets[c->ntargets];
		char why[512], *shown = url_redacted(urls[i]);
		bool password;

		if (!url_check(urls[i], &password, why, sizeof(why))) {
			diag_addf(errs, "-: %s: %s", yquote(shown, strlen(shown)), why);
			free(shown);
			continue;
		}
		c->has_secrets |= password;
		target_init(t);
		t->url = xstrdup(urls[i]);
		t->name = shown;
		names[c->ntargets] = (struct name_ref){ t->name, NULL, i };
		c->ntargets++;
	}
	qsort(names, c->ntargets, sizeof(*names), name_ref_cmp);
	for (size_t i = 1; i < c->ntargets; i++)
		if (strcmp(names[i - 1].name, names[i].name) == 0)
			diag_addf(errs, "-: %s is given twice",
				  yquote(names[i].name, strlen(names[i].name)));
	free(names);
	if (errs->n > before) {
		config_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

char *config_find(void)
{
	const char *env = getenv("UPTOP_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *p;

	/* Returned even when missing, so the caller says "cannot open". */
	if (env && *env)
		return xstrdup(env);
	if (file_exists("uptop.yaml"))
		return xstrdup("uptop.yaml");
	if (xdg && *xdg == '/')
		p = xasprintf("%s/uptop/config.yaml", xdg);
	else if (home && *home)
		p = xasprintf("%s/.config/uptop/config.yaml", home);
	else
		return NULL;
	if (file_exists(p))
		return p;
	free(p);
	return NULL;
}
