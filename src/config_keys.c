/* config_keys.c - the config key tables, and the parser of each kind of
 * value they use.
 *
 * The tables come first: each key is one row (see config_keys.h for the
 * columns). Below them, the machinery every row shares: the parsers of the
 * generic kinds (duration, size, bool, int, enum, string, list, nested
 * map), unknown keys and "did you mean", built-in defaults, copying and
 * freeing by table, and --help-config. A value that does not parse leaves
 * a message in the loader's sink and its field untouched, so one pass
 * finds every mistake of a file. */
#include "config_keys.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECOND 1000LL
#define MINUTE (60 * SECOND)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define KIB 1024LL
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

/* ---- the tables --------------------------------------------------------- */

#define T(kind, f) KEY_##kind(struct target_conf, f)

static const char *const ip_versions[] = { "any", "4", "6", NULL };

static const struct ckey dns_rows[] = {
	{ .name = "query_name", T(STRING, dns_query_name), .flags = KF_EXPAND,
	  .help = "the name to ask for (an IP for PTR)" },
	{ .name = "query_type", T(STRING, dns_query_type), .parse = tconf_dns_type,
	  .help = "A (default), AAAA, CNAME, MX, NS, ..." },
};

static const struct ktable keys_dns = { "dns: of a target (a DNS check)", dns_rows,
					ARRAY_LEN(dns_rows), "in dns",
					"it belongs under 'dns:' of a target", false };

static const struct ckey target_rows[] = {
	{ .name = "name", T(STRING, name), .flags = KF_EXPAND,
	  .help = "unique shown name; default: the url" },
	{ .name = "url", T(STRING, url), .flags = KF_EXPAND, .parse = tconf_url,
	  .help = "required: http(s), tcp://, DNS IP" },
	{ .name = "group", T(STRING, group), .flags = KF_EXPAND | KF_OPTIONAL, .def = "",
	  .help = "a label to sort and filter by" },
	{ .name = "interval", T(DURATION, interval_ms), .min = 1, .max = DAY, .def = "30s",
	  .help = "time between two checks (fixed rate)" },
	{ .name = "timeout", T(DURATION, timeout_ms), .min = 1, .max = HOUR, .def = "5s",
	  .help = "the whole check; below interval" },
	{ .name = "interval_down", T(DURATION, interval_down_ms), .word = "interval",
	  .flags = KF_OPTIONAL, .min = 1, .max = DAY, .def = "interval",
	  .help = "between checks while confirming or down" },
	{ .name = "method", T(STRING, method), .def = "GET", .parse = tconf_method,
	  .help = "GET, HEAD, POST, ..." },
	{ .name = "headers", .kind = KIND_MAP, .max = 100, .flags = KF_EXPAND | KF_OPTIONAL,
	  .parse = tconf_headers, .copy = tconf_headers_copy, .clear = tconf_headers_clear,
	  .help = "Name: value; replaces defaults'" },
	{ .name = "body", T(STRING, body), .flags = KF_EXPAND | KF_OPTIONAL,
	  .help = "request body" },
	{ .name = "expect_status", .kind = KIND_LIST, .def = "200-399", .parse = tconf_expect,
	  .copy = tconf_expect_copy, .clear = tconf_expect_clear,
	  .help = "codes, ranges 300-308, classes 2xx" },
	{ .name = "body_contains", T(STRING, body_contains), .flags = KF_EXPAND | KF_OPTIONAL,
	  .help = "text the body must contain" },
	{ .name = "max_latency", T(DURATION, max_latency_ms), .word = "none",
	  .flags = KF_OPTIONAL, .min = 1, .max = HOUR, .def = "none",
	  .help = "slower is degraded; below timeout" },
	{ .name = "failures_before_down", T(INT, failures_before_down), .min = 1, .max = 1000,
	  .def = "1", .help = "consecutive failures before DOWN" },
	{ .name = "successes_before_up", T(INT, successes_before_up), .min = 1, .max = 1000,
	  .def = "1", .help = "consecutive answers before DOWN turns UP" },
	{ .name = "follow_redirects", T(BOOL, follow_redirects), .def = "true",
	  .help = "follow up to 5 redirects, http(s)" },
	{ .name = "verify_tls", T(BOOL, verify_tls), .def = "true",
	  .help = "verify the certificate and host name" },
	{ .name = "fresh_connection", T(BOOL, fresh_connection), .def = "false",
	  .help = "a new connection (and TLS) per check" },
	{ .name = "cert_expiry", T(DURATION, cert_expiry_ms), .word = "off", .min = 0,
	  .max = 3650 * DAY, .def = "14d", .parse = tconf_cert_expiry,
	  .help = "https: degraded with less left (21d)" },
	{ .name = "ip_version", T(ENUM, ip_version), .choices = ip_versions, .def = "any",
	  .help = "addresses to connect to: 4, 6 or any" },
	{ .name = "max_body", T(SIZE, max_body), .min = 1, .max = GIB, .def = "1MiB",
	  .help = "body bytes read at most" },
	{ .name = "ca_file", T(STRING, ca_file), .flags = KF_OPTIONAL, .parse = tconf_ca_file,
	  .help = "CA bundle (default: the system's)" },
	{ .name = "conditions", .kind = KIND_LIST, .max = 100, .flags = KF_OPTIONAL,
	  .parse = tconf_conditions, .copy = tconf_conditions_copy,
	  .clear = tconf_conditions_clear,
	  .help = "Gatus conditions: \"[STATUS] == 200\"" },
	{ .name = "body_matches", .kind = KIND_STRING,
	  .off = KEY_AT(struct target_conf, body_matches, struct cond_regex *),
	  .flags = KF_OPTIONAL, .parse = tconf_regex, .copy = tconf_regex_copy,
	  .clear = tconf_regex_clear, .help = "regex (POSIX ERE) the body must match" },
	{ .name = "body_not_matches", .kind = KIND_STRING,
	  .off = KEY_AT(struct target_conf, body_not_matches, struct cond_regex *),
	  .flags = KF_OPTIONAL, .parse = tconf_regex, .copy = tconf_regex_copy,
	  .clear = tconf_regex_clear, .help = "regex the body must not match" },
	{ .name = "send", T(STRING, tcp_send), .flags = KF_EXPAND | KF_OPTIONAL,
	  .parse = tconf_tcp_text, .help = "tcp: sent once connected" },
	{ .name = "expect", T(STRING, tcp_expect), .flags = KF_EXPAND | KF_OPTIONAL,
	  .parse = tconf_tcp_text, .help = "tcp: text the answer must contain" },
	{ .name = "dns", .kind = KIND_MAP, .sub = &keys_dns, .parse = tconf_section,
	  .help = "a DNS check: query_name, query_type" },
	{ .name = "alerts", .kind = KIND_LIST, .off = KEY_AT(struct target_conf, alerts, uint64_t),
	  .parse = aconf_target_alerts, .copy = aconf_target_alerts_copy,
	  .clear = aconf_target_alerts_clear,
	  .help = "alert names ([] none); default every alert" },
	{ .name = "maintenance", .kind = KIND_LIST, .sub = &keys_maint,
	  .off = KEY_AT(struct target_conf, maint, struct maint_list), .flags = KF_OPTIONAL,
	  .parse = mconf_windows, .copy = mconf_windows_copy, .clear = mconf_windows_clear,
	  .help = "its own maintenance windows" },
};
_Static_assert(ARRAY_LEN(target_rows) <= KEYS_MAX, "raise KEYS_MAX");

#define S(kind, f) KEY_##kind(struct settings, f)

static const struct ckey settings_rows[] = {
	{ .name = "max_concurrency", S(INT, max_concurrency), .word = "auto", .min = 1,
	  .max = 1000000, .def = "auto",
	  .help = "checks in flight; auto: from fd limit" },
	{ .name = "theme", S(STRING, theme), .flags = KF_OPTIONAL, .parse = sconf_theme,
	  .help = "default, mono, high-contrast, or a file" },
	{ .name = "bell", S(BOOL, bell), .def = "true",
	  .help = "ring when a target goes down" },
	{ .name = "canary", S(STRING, canary), .flags = KF_OPTIONAL,
	  .help = "a target whose failure means an outage" },
	{ .name = "event_log", S(STRING, event_log), .flags = KF_OPTIONAL | KF_EXPAND,
	  .help = "append every event as a JSON line" },
	{ .name = "history", S(STRING, history), .flags = KF_OPTIONAL | KF_EXPAND,
	  .help = "history database path, or off" },
	{ .name = "retention", S(DURATION, retention_ms), .min = HOUR, .max = 3650 * DAY,
	  .def = "90d", .help = "history kept (hourly; minutes: 48h)" },
	{ .name = "alert_wait", S(DURATION, alert_wait_ms), .min = 0, .max = 5 * MINUTE,
	  .def = "5s", .help = "a network down waits for an outage" },
	{ .name = "metrics", S(STRING, metrics), .flags = KF_OPTIONAL, .parse = sconf_metrics,
	  .help = "ADDR:PORT for /metrics (:PORT: loopback)" },
};
_Static_assert(ARRAY_LEN(settings_rows) <= KEYS_MAX, "raise KEYS_MAX");

#define TARGET_TITLE "a target: each entry of targets:, and defaults: for all"
#define TARGET_HOME "target keys go under 'defaults:' or in an entry of 'targets:'"

const struct ktable keys_target = { TARGET_TITLE, target_rows, ARRAY_LEN(target_rows),
				    "in a target", TARGET_HOME, false };
const struct ktable keys_defaults = { TARGET_TITLE, target_rows, ARRAY_LEN(target_rows),
				      "in defaults", TARGET_HOME, false };
const struct ktable keys_settings = { "settings:", settings_rows, ARRAY_LEN(settings_rows),
				      "in settings", "it belongs under 'settings:'", false };

/* Table order is parsing order: alerts before defaults and targets
 * (their alerts: name them), defaults before targets. */
static const struct ckey top_rows[] = {
	{ .name = "alerts", .kind = KIND_LIST, .sub = &keys_alert, .parse = aconf_alerts,
	  .help = "where alerts go: commands and webhooks" },
	{ .name = "maintenance", .kind = KIND_LIST, .sub = &keys_maint,
	  .off = KEY_AT(struct config, maint, struct maint_list), .parse = mconf_windows,
	  .copy = mconf_windows_copy, .clear = mconf_windows_clear,
	  .help = "windows muting every target's alerts" },
	{ .name = "defaults", .kind = KIND_MAP, .sub = &keys_defaults, .parse = tconf_defaults,
	  .help = "target keys every target starts with" },
	{ .name = "settings", KEY_MAP(struct config, settings, struct settings),
	  .sub = &keys_settings, .help = "program settings" },
	{ .name = "targets", .kind = KIND_LIST, .sub = &keys_target, .parse = tconf_targets,
	  .help = "required: the targets ('- url: ...')" },
	{ .name = "endpoints", .kind = KIND_LIST, .sub = &keys_endpoint, .parse = tconf_endpoints,
	  .help = "Gatus' endpoints (besides targets)" },
#define GATUS_TOP(n) { .name = n, .kind = KIND_STRING, .flags = KF_IGNORED, \
		       .help = "Gatus: ignored, with a warning" }
	GATUS_TOP("alerting"), GATUS_TOP("announcements"), GATUS_TOP("concurrency"),
	GATUS_TOP("connectivity"), GATUS_TOP("debug"), GATUS_TOP("disable-monitoring-lock"),
	GATUS_TOP("external-endpoints"), GATUS_TOP("metrics"),
	GATUS_TOP("remote"), GATUS_TOP("security"), GATUS_TOP("skip-invalid-config-update"),
	GATUS_TOP("storage"), GATUS_TOP("suites"), GATUS_TOP("tunneling"), GATUS_TOP("ui"),
	GATUS_TOP("web"),
};

const struct ktable keys_top = { "top level (keys starting with x- are ignored)", top_rows,
				 ARRAY_LEN(top_rows), "at the top level",
				 "it belongs at the top level (check the indentation)", true };

/* ---- text helpers ------------------------------------------------------- */

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

static void sb_str(struct strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void set_str(char **field, char *v)
{
	free(*field);
	*field = v;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void *field_of(const struct ckey *k, void *obj)
{
	return (char *)obj + k->off;
}

static const void *cfield_of(const struct ckey *k, const void *obj)
{
	return (const char *)obj + k->off;
}

/* ---- durations, numbers, sizes, booleans ---------------------------------- */

static const struct {
	const char *name;
	int64_t ms;
} units[] = { { "d", DAY }, { "h", HOUR }, { "m", MINUTE }, { "s", SECOND }, { "ms", 1 } };

static int dur_fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int dur_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
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

int config_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
	const char *p = s, *q;
	int64_t total = 0;
	int last = -1;

	if (!s || !*s)
		return dur_fail(err, errlen, "empty duration (write e.g. 5s or 250ms)");
	q = yquote(s, strlen(s));
	if (*s == '-')
		return dur_fail(err, errlen, "bad duration %s: negative durations are not allowed",
				q);
	while (*p) {
		int64_t whole, frac = 0, den = 1, v;
		const char *u;
		int nd, nf = 0, ui;

		if (!isdigit((unsigned char)*p))
			return dur_fail(err, errlen, "bad duration %s: expected a number at %s "
					"(write e.g. 5s, 250ms or 1m30s)", q, yquote(p, strlen(p)));
		if (!read_digits(&p, &whole, &nd))
			return dur_fail(err, errlen, "bad duration %s: number too large", q);
		if (*p == '.') {
			p++;
			if (!read_digits(&p, &frac, &nf) || nf == 0 || nf > 9)
				return dur_fail(err, errlen,
						"bad duration %s: bad decimal part", q);
			for (int i = 0; i < nf; i++)
				den *= 10;
		}
		u = p;
		while (ascii_alpha(*p))
			p++;
		if (p == u) {
			if (*p)
				return dur_fail(err, errlen, "bad duration %s: unexpected %s",
						q, yquote(p, 1));
			if (last < 0)
				return dur_fail(err, errlen, "duration %s has no unit "
						"(did you mean '%ss'? units: ms, s, m, h)", q, s);
			return dur_fail(err, errlen, "bad duration %s: the last number has no "
					"unit (units: ms, s, m, h, d)", q);
		}
		ui = unit_index(u, (size_t)(p - u));
		if (ui < 0)
			return dur_fail(err, errlen, "bad duration %s: unknown unit %s "
					"(use ms, s, m, h or d)", q, yquote(u, (size_t)(p - u)));
		if (ui <= last)
			return dur_fail(err, errlen, "bad duration %s: units must go from "
					"largest to smallest, each once (like 1h30m)", q);
		last = ui;
		if (whole > INT64_MAX / units[ui].ms)
			return dur_fail(err, errlen, "bad duration %s: too long", q);
		v = whole * units[ui].ms;
		/* frac < 10^9 and a unit <= 3.6e6 ms: the product fits */
		if ((frac * units[ui].ms) % den)
			return dur_fail(err, errlen,
					"bad duration %s: finer than a millisecond", q);
		v += frac * units[ui].ms / den;
		if (v > INT64_MAX - total)
			return dur_fail(err, errlen, "bad duration %s: too long", q);
		total += v;
	}
	*ms = total;
	return 0;
}

const char *duration_text(int64_t ms)
{
	static char bufs[4][48];
	static unsigned next;
	char *b = bufs[next++ % ARRAY_LEN(bufs)];
	size_t at = 0;

	b[0] = '\0';
	/* from hours down: "24h", "2160h" read as they always did */
	for (size_t i = 1; i < ARRAY_LEN(units); i++) {
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

int decimal_parse(const char *s, long long *out)
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

static int bool_parse(const char *s, bool *out)
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

static const struct {
	const char *unit;
	long long mult;
} size_units[] = {
	{ "", 1 }, { "B", 1 }, { "k", 1000 }, { "kB", 1000 }, { "KB", 1000 },
	{ "K", KIB }, { "KiB", KIB }, { "M", 1000000 }, { "MB", 1000000 },
	{ "MiB", MIB }, { "G", 1000000000 }, { "GB", 1000000000 }, { "GiB", GIB },
};

/* Bytes, with an optional unit ("1MiB", "512 kB"): 0, -1 bad, -2 too big. */
static int size_parse(const char *s, long long *out)
{
	const char *p = s;
	int64_t v;
	int nd;

	if (!read_digits(&p, &v, &nd))
		return -2;
	if (nd == 0)
		return -1;
	if (*p == ' ')
		p++;
	for (size_t i = 0; i < ARRAY_LEN(size_units); i++) {
		if (strcmp(p, size_units[i].unit) == 0) {
			if (v > LLONG_MAX / size_units[i].mult)
				return -2;
			*out = v * size_units[i].mult;
			return 0;
		}
	}
	return -1;
}

/* "1 byte", "1GiB", "64KiB", "1000 bytes" (rotating buffers). */
static const char *size_text(int64_t v)
{
	static char bufs[2][32];
	static unsigned next;
	char *b = bufs[next++ % ARRAY_LEN(bufs)];

	if (v == 1)
		snprintf(b, sizeof(bufs[0]), "1 byte");
	else if (v && v % GIB == 0)
		snprintf(b, sizeof(bufs[0]), "%lldGiB", (long long)(v / GIB));
	else if (v && v % MIB == 0)
		snprintf(b, sizeof(bufs[0]), "%lldMiB", (long long)(v / MIB));
	else if (v && v % KIB == 0)
		snprintf(b, sizeof(bufs[0]), "%lldKiB", (long long)(v / KIB));
	else
		snprintf(b, sizeof(bufs[0]), "%lld bytes", (long long)v);
	return b;
}

/* ---- values as hooks and kinds read them ---------------------------------- */

const char *key_scalar(struct loader *L, const struct ynode *n, const char *key,
		       const char *want)
{
	if (n->kind != YNODE_SCALAR) {
		loader_err(L, n, "%s: expected %s, got %s", key, want, ynode_describe(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		loader_err(L, n, "%s: the value contains a NUL character", key);
		return NULL;
	}
	return n->str;
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
char *key_expand(struct loader *L, const struct ynode *n, const char *key, bool *used)
{
	/* sized for the text as written: without ${VAR} it is the result */
	struct strbuf b = { .p = xmalloc(n->len + 1), .cap = n->len + 1 };
	const char *s = n->str;
	bool ok = true;

	b.p[0] = '\0';
	for (size_t i = 0; i < n->len;) {
		const char *close, *val, *dollar;
		char *name;

		if (s[i] != '$' || i + 1 >= n->len || (s[i + 1] != '$' && s[i + 1] != '{')) {
			/* the text up to the next '$' as it is */
			dollar = memchr(s + i + 1, '$', n->len - i - 1);
			sb_add(&b, s + i, dollar ? (size_t)(dollar - (s + i)) : n->len - i);
			i = dollar ? (size_t)(dollar - s) : n->len;
			continue;
		}
		if (s[i + 1] == '$') {
			sb_add(&b, "$", 1);
			i += 2;
			continue;
		}
		close = memchr(s + i + 2, '}', n->len - i - 2);
		if (!close) {
			loader_err(L, n, "%s: unterminated '${' (write '$$' for a literal '$')",
				   key);
			ok = false;
			break;
		}
		name = xstrndup(s + i + 2, (size_t)(close - (s + i + 2)));
		*used = true;
		if (!valid_var_name(name, strlen(name))) {
			loader_err(L, n, "%s: %s is not a valid environment variable name", key,
				   yquote(name, strlen(name)));
			ok = false;
		} else if (!(val = getenv(name))) {
			loader_err(L, n, "%s: environment variable %s is not set", key, name);
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
static char *text_get(struct loader *L, const struct ynode *n, const char *key, bool expand,
		      bool optional, bool *bad)
{
	bool used = false;
	char *v;

	*bad = false;
	if (ynode_is_null(n)) {
		if (optional)
			return NULL;
		loader_err(L, n, "%s must not be empty", key);
		*bad = true;
		return NULL;
	}
	if (!key_scalar(L, n, key, "a string")) {
		*bad = true;
		return NULL;
	}
	if (!expand)
		return xstrdup(n->str);
	v = key_expand(L, n, key, &used);
	if (used)
		L->has_secrets = true;
	if (v && !*v && !optional) {
		loader_err(L, n, "%s must not be empty", key);
		free(v);
		v = NULL;
	}
	if (!v)
		*bad = true;
	return v;
}

char *key_string(struct loader *L, const struct ckey *k, const struct ynode *n, bool *bad)
{
	return text_get(L, n, k->name, k->flags & KF_EXPAND, k->flags & KF_OPTIONAL, bad);
}

int key_mapping(struct loader *L, const struct ckey *k, const struct ynode *n)
{
	if (ynode_is_null(n))
		return 0;
	if (n->kind != YNODE_MAP) {
		loader_err(L, n, "%s: expected a mapping, got %s", k->name, ynode_describe(n));
		return -1;
	}
	return 1;
}

const struct ynode *const *key_items(struct loader *L, const struct ckey *k,
				    const struct ynode *const *n, const char *want, size_t *cnt)
{
	if ((*n)->kind == YNODE_MAP) {
		loader_err(L, *n, "%s: expected %s, got a mapping", k->name, want);
		return NULL;
	}
	if ((*n)->kind == YNODE_SEQ) {
		*cnt = (*n)->n;
		return (*n)->items;
	}
	*cnt = 1;
	return n;
}

static bool word_is(const struct ckey *k, const struct ynode *n)
{
	return k->word && n->kind == YNODE_SCALAR && strcasecmp(n->str, k->word) == 0;
}

/* ---- the generic kinds ---------------------------------------------------- */

static bool duration_get(struct loader *L, const struct ckey *k, int64_t *out,
			 const struct ynode *n)
{
	const char *s;
	char why[256];
	int64_t ms = 0;

	if (word_is(k, n)) {
		*out = 0;
		return true;
	}
	if (!(s = key_scalar(L, n, k->name, "a duration like 5s")))
		return false;
	if (config_parse_duration(s, &ms, why, sizeof(why)) < 0) {
		loader_err(L, n, "%s: %s", k->name, why);
		return false;
	}
	if (ms < k->min && k->min <= 1) {
		loader_err(L, n, "%s must be greater than zero, got %s", k->name,
			   yquote(s, n->len));
		return false;
	}
	if (ms < k->min) {
		loader_err(L, n, "%s %s is too short (at least %s)", k->name, duration_text(ms),
			   duration_text(k->min));
		return false;
	}
	if (ms > k->max) {
		loader_err(L, n, "%s %s is too long (at most %s)", k->name, duration_text(ms),
			   duration_text(k->max));
		return false;
	}
	*out = ms;
	return true;
}

static bool size_get(struct loader *L, const struct ckey *k, int64_t *out,
		     const struct ynode *n)
{
	const char *s = key_scalar(L, n, k->name, "a size like 1MiB");
	long long v;
	int rc;

	if (!s)
		return false;
	rc = size_parse(s, &v);
	if (rc == -1) {
		loader_err(L, n, "%s: bad size %s (bytes, or a number with KiB, MiB, kB or MB)",
			   k->name, yquote(s, n->len));
		return false;
	}
	if (rc == -2 || v < k->min || v > k->max) {
		loader_err(L, n, "%s must be between %s and %s, got %s", k->name,
			   size_text(k->min), size_text(k->max), yquote(s, n->len));
		return false;
	}
	*out = v;
	return true;
}

static bool int_get(struct loader *L, const struct ckey *k, int *out, const struct ynode *n)
{
	char want[64];
	const char *s;
	long long v;
	int rc;

	if (word_is(k, n)) {
		*out = 0;
		return true;
	}
	if (k->word)
		snprintf(want, sizeof(want), "'%s' or a %swhole number", k->word,
			 k->min >= 1 ? "positive " : "");
	else
		snprintf(want, sizeof(want), "a whole number");
	if (!(s = key_scalar(L, n, k->name, want)))
		return false;
	rc = decimal_parse(s, &v);
	if (rc == -1) {
		loader_err(L, n, "%s: expected %s, got %s", k->name, want, ynode_describe(n));
		return false;
	}
	if (rc == -2 || v < k->min || v > k->max) {
		loader_err(L, n, "%s must be between %lld and %lld, got %s", k->name,
			   (long long)k->min, (long long)k->max, yquote(s, n->len));
		return false;
	}
	*out = (int)v;
	return true;
}

bool key_bool(struct loader *L, const struct ckey *k, bool *out, const struct ynode *n)
{
	const char *s = key_scalar(L, n, k->name, "true or false");

	if (!s)
		return false;
	if (bool_parse(s, out) < 0) {
		loader_err(L, n, "%s: expected true or false, got %s", k->name, ynode_describe(n));
		return false;
	}
	return true;
}

/* "4, 6 or any"; `sep` instead of ", " and " or " when given. Caller frees. */
static char *choices_text(const struct ckey *k, const char *sep)
{
	struct strbuf b = { 0 };

	sb_add(&b, "", 0);
	for (size_t i = 0; k->choices[i]; i++) {
		if (i)
			sb_str(&b, sep ? sep : k->choices[i + 1] ? ", " : " or ");
		sb_str(&b, k->choices[i]);
	}
	return b.p;
}

static bool enum_get(struct loader *L, const struct ckey *k, int *out, const struct ynode *n)
{
	char *want = choices_text(k, NULL);
	const char *s = key_scalar(L, n, k->name, want);
	bool ok = false;

	for (size_t i = 0; s && k->choices[i]; i++) {
		if (strcasecmp(s, k->choices[i]) == 0) {
			*out = (int)i;
			ok = true;
			break;
		}
	}
	if (s && !ok)
		loader_err(L, n, "%s: expected %s, got %s", k->name, want, ynode_describe(n));
	free(want);
	return ok;
}

/* "23:00", "7:30": a time of day, 24-hour, as minutes after midnight. */
static bool clock_get(struct loader *L, const struct ckey *k, int *out, const struct ynode *n)
{
	const char *s = key_scalar(L, n, k->name, "a time of day like \"23:00\"");
	const char *colon;
	size_t hl;

	if (!s)
		return false;
	colon = strchr(s, ':');
	hl = colon ? (size_t)(colon - s) : 0;
	if (!colon || hl < 1 || hl > 2 || strlen(colon + 1) != 2 ||
	    strspn(s, "0123456789") != hl || strspn(colon + 1, "0123456789") != 2) {
		loader_err(L, n, "%s: expected a time of day like \"23:00\" (24-hour HH:MM), "
			   "got %s", k->name, ynode_describe(n));
		return false;
	}
	{
		int h = atoi(s), m = atoi(colon + 1);

		if (h > 23 || m > 59) {
			loader_err(L, n, "%s: %s is not a time of day (00:00 to 23:59)", k->name,
				   yquote(s, n->len));
			return false;
		}
		*out = h * 60 + m;
	}
	return true;
}

static bool string_get(struct loader *L, const struct ckey *k, char **out,
		       const struct ynode *n)
{
	bool bad;
	char *v = key_string(L, k, n, &bad);

	if (bad)
		return false;
	set_str(out, v);
	return true;
}

static void strlist_clear(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* A list of non-empty strings; one scalar is a list of one. */
static bool list_get(struct loader *L, const struct ckey *k, struct strlist *out,
		     const struct ynode *n)
{
	size_t cnt;
	const struct ynode *const *items = key_items(L, k, &n, "a list of strings", &cnt);
	struct strlist l = { 0 };
	bool ok = true;

	if (!items)
		return false;
	if (k->max && cnt > (size_t)k->max) {
		loader_err(L, n, "%s: more than %lld entries", k->name, (long long)k->max);
		return false;
	}
	l.v = xcalloc(cnt, sizeof(*l.v));
	for (size_t i = 0; i < cnt; i++) {
		bool bad;
		char *s = text_get(L, items[i], k->name, k->flags & KF_EXPAND, false, &bad);

		if (bad)
			ok = false;
		else
			l.v[l.n++] = s;
	}
	if (!ok) {
		strlist_clear(&l);
		return false;
	}
	strlist_clear(out);
	*out = l;
	return true;
}

/* ---- one key: parse, default, copy, clear --------------------------------- */

static void key_clear(const struct ckey *k, void *obj)
{
	void *f = field_of(k, obj);

	if (k->flags & KF_IGNORED)
		return;
	if (k->clear) {
		k->clear(k, obj);
		return;
	}
	switch (k->kind) {
	case KIND_DURATION:
	case KIND_SIZE:
		*(int64_t *)f = 0;
		break;
	case KIND_BOOL:
		*(bool *)f = false;
		break;
	case KIND_INT:
	case KIND_ENUM:
	case KIND_CLOCK:
		*(int *)f = 0;
		break;
	case KIND_STRING:
		set_str(f, NULL);
		break;
	case KIND_LIST:
		strlist_clear(f);
		break;
	case KIND_MAP:
		if (k->sub)
			keys_clear(k->sub, f);
		break;
	}
}

static bool key_parse(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n);

/* Remembers a key of Gatus' format uptop does not act on, once per name,
 * for the one warning that names them all. */
static void key_ignored(struct loader *L, const struct ynode *key)
{
	for (size_t i = 0; i < L->nignored; i++)
		if (L->ignored[i]->len == key->len &&
		    memcmp(L->ignored[i]->str, key->str, key->len) == 0)
			return;
	L->ignored = xreallocarray_grow(L->ignored, &L->capignored, L->nignored + 1,
					sizeof(*L->ignored));
	L->ignored[L->nignored++] = key;
}

/* The built-in default, parsed as if written in the file (quoted, so ""
 * and "~" are strings); a table whose default does not parse fails its
 * unit test. */
static void key_default(struct loader *L, const struct ckey *k, void *obj)
{
	if (k->flags & KF_IGNORED)
		return;
	if (k->def) {
		struct ynode n = { .kind = YNODE_SCALAR, .str = k->def, .len = strlen(k->def) };

		key_parse(L, k, obj, &n);
	} else if (k->kind == KIND_MAP && k->sub && !k->parse) {
		keys_init(L, k->sub, field_of(k, obj));
	}
}

static bool key_parse(struct loader *L, const struct ckey *k, void *obj, const struct ynode *n)
{
	void *f = field_of(k, obj);
	int rc;

	if ((k->flags & KF_OPTIONAL) && ynode_is_null(n)) {
		key_clear(k, obj);
		key_default(L, k, obj);
		return true;
	}
	if (k->parse)
		return k->parse(L, k, obj, n);
	switch (k->kind) {
	case KIND_DURATION:
		return duration_get(L, k, f, n);
	case KIND_SIZE:
		return size_get(L, k, f, n);
	case KIND_BOOL:
		return key_bool(L, k, f, n);
	case KIND_INT:
		return int_get(L, k, f, n);
	case KIND_ENUM:
		return enum_get(L, k, f, n);
	case KIND_STRING:
		return string_get(L, k, f, n);
	case KIND_LIST:
		return list_get(L, k, f, n);
	case KIND_CLOCK:
		return clock_get(L, k, f, n);
	case KIND_MAP:
		rc = key_mapping(L, k, n);
		if (rc > 0)
			keys_apply(L, k->sub, f, n, NULL);
		return rc >= 0;
	}
	return false;
}

void keys_init(struct loader *L, const struct ktable *t, void *obj)
{
	for (size_t i = 0; i < t->n; i++)
		key_default(L, &t->keys[i], obj);
}

void keys_copy(const struct ktable *t, void *dst, const void *src)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ckey *k = &t->keys[i];
		const void *s = cfield_of(k, src);
		void *d = field_of(k, dst);

		if (k->flags & KF_IGNORED)
			continue;
		if (k->copy) {
			k->copy(k, dst, src);
		} else if (k->kind == KIND_STRING) {
			*(char **)d = dup_or_null(*(char *const *)s);
		} else if (k->kind == KIND_LIST) {
			const struct strlist *sl = s;
			struct strlist *dl = d;

			dl->v = sl->n ? xcalloc(sl->n, sizeof(*dl->v)) : NULL;
			for (size_t j = 0; j < sl->n; j++)
				dl->v[j] = xstrdup(sl->v[j]);
		} else if (k->kind == KIND_MAP && k->sub) {
			keys_copy(k->sub, d, s);
		}
	}
}

void keys_clear(const struct ktable *t, void *obj)
{
	for (size_t i = 0; i < t->n; i++)
		key_clear(&t->keys[i], obj);
}

/* An empty key or one with a NUL byte matches no row; otherwise strncmp
 * stops where the row's name ends, so no row is measured. O(rows). */
static int row_find(const struct ktable *t, const char *s, size_t n)
{
	if (n == 0 || memchr(s, '\0', n))
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		const char *name = t->keys[i].name;

		if (name[0] == s[0] && strncmp(name, s, n) == 0 && name[n] == '\0')
			return (int)i;
	}
	return -1;
}

int keys_index(const struct ktable *t, const char *name)
{
	return row_find(t, name, strlen(name));
}

/* ---- unknown keys --------------------------------------------------------- */

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

/* The first table reachable from t, other than `here`, that has the key:
 * where a misplaced key belongs. */
static const struct ktable *key_home(const struct ktable *t, const struct ktable *here,
				     const struct ynode *k, int depth)
{
	if (t->keys != here->keys && row_find(t, k->str, k->len) >= 0)
		return t;
	for (size_t i = 0; depth < 8 && i < t->n; i++) {
		const struct ktable *h;

		if (t->keys[i].sub && (h = key_home(t->keys[i].sub, here, k, depth + 1)))
			return h;
	}
	return NULL;
}

static void key_unknown(struct loader *L, const struct ynode *k, const struct ktable *t)
{
	const struct ktable *home = key_home(&keys_top, t, k, 0);
	const char *best = NULL;
	size_t bestd = SIZE_MAX;
	struct strbuf list = { 0 };

	if (home) {
		loader_err(L, k, "unknown key %s %s: %s", yquote(k->str, k->len), t->where,
			   home->home);
		return;
	}
	if (k->len < 60) {
		for (size_t i = 0; i < t->n; i++) {
			size_t d = edit_distance(k->str, k->len, t->keys[i].name);

			if (d < bestd) {
				bestd = d;
				best = t->keys[i].name;
			}
		}
	}
	if (best && bestd <= 2 + strlen(best) / 6 && bestd < strlen(best)) {
		loader_err(L, k, "unknown key %s %s (did you mean '%s'?)", yquote(k->str, k->len),
			   t->where, best);
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			sb_add(&list, ", ", 2);
		sb_str(&list, t->keys[i].name);
	}
	loader_err(L, k, "unknown key %s %s (known keys: %s)", yquote(k->str, k->len), t->where,
		   list.p);
	free(list.p);
}

void keys_apply(struct loader *L, const struct ktable *t, void *obj, const struct ynode *map,
		struct kprov *prov)
{
	const struct ynode *val[KEYS_MAX] = { 0 }, *key[KEYS_MAX] = { 0 };

	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;
		int r = row_find(t, k->str, k->len);

		if (r >= 0) {
			val[r] = map->pairs[i].value;
			key[r] = k;
		} else if (t->ignore_x && L->gatus && strncmp(k->str, "x-", 2) != 0) {
			/* Gatus reads its top level leniently: a key that parks
			 * anchors ("default-endpoint: &defaults") is common. */
			key_ignored(L, k);
		} else if (!t->ignore_x || strncmp(k->str, "x-", 2) != 0) {
			key_unknown(L, k, t);
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		bool ok;

		if (!val[i])
			continue;
		if (t->keys[i].flags & KF_IGNORED) {
			key_ignored(L, key[i]);
			continue;
		}
		ok = key_parse(L, &t->keys[i], obj, val[i]);
		if (prov) {
			prov->src[i] = val[i];
			prov->own[i] = true;
			prov->bad[i] = !ok;
		}
	}
}

/* ---- --help-config -------------------------------------------------------- */

static const char *const kind_names[] = {
	[KIND_DURATION] = "duration", [KIND_SIZE] = "size", [KIND_BOOL] = "bool",
	[KIND_INT] = "int", [KIND_ENUM] = "enum", [KIND_STRING] = "string",
	[KIND_LIST] = "list", [KIND_MAP] = "map", [KIND_CLOCK] = "time",
};

static void range_text(const struct ckey *k, char *b, size_t len)
{
	size_t at = 0;
	char *c;

	if (k->word)
		at = (size_t)snprintf(b, len, "%s|", k->word);
	switch (k->kind) {
	case KIND_DURATION:
		snprintf(b + at, len - at, "%s..%s", duration_text(k->min), duration_text(k->max));
		break;
	case KIND_SIZE:
		snprintf(b + at, len - at, "%s..%s", size_text(k->min), size_text(k->max));
		break;
	case KIND_INT:
		snprintf(b + at, len - at, "%lld..%lld", (long long)k->min, (long long)k->max);
		break;
	case KIND_ENUM:
		c = choices_text(k, "|");
		snprintf(b + at, len - at, "%s", c);
		free(c);
		break;
	case KIND_LIST:
	case KIND_MAP:
		if (k->max)
			snprintf(b + at, len - at, "at most %lld", (long long)k->max);
		else
			snprintf(b + at, len - at, "-");
		break;
	case KIND_CLOCK:
		snprintf(b + at, len - at, "00:00..23:59");
		break;
	case KIND_BOOL:
	case KIND_STRING:
		snprintf(b + at, len - at, "-");
		break;
	}
}

static void help_table(FILE *f, const struct ktable *t, const struct ckey **done, size_t *ndone)
{
	for (size_t i = 0; i < *ndone; i++)
		if (done[i] == t->keys)
			return;
	done[(*ndone)++] = t->keys;
	fprintf(f, "\n%s\n", t->title);
	for (size_t i = 0; i < t->n; i++) {
		const struct ckey *k = &t->keys[i];
		char range[64];

		range_text(k, range, sizeof(range));
		fprintf(f, "  %-21s %-8s %-8s %-15s %s%s\n", k->name,
			k->flags & KF_IGNORED ? "any" : kind_names[k->kind],
			!k->def ? "-" : *k->def ? k->def : "\"\"", range, k->help,
			k->flags & KF_EXPAND ? " ${VAR}" : "");
	}
	for (size_t i = 0; i < t->n && *ndone < 16; i++)
		if (t->keys[i].sub)
			help_table(f, t->keys[i].sub, done, ndone);
}

void config_help(FILE *f)
{
	const struct ckey *done[16];
	size_t ndone = 0;

	fputs("uptop config keys (see config.example.yaml)\n"
	      "  Durations: 250ms, 5s, 2m, 1h, 1m30s. Sizes: bytes, or with KiB, MiB, GiB,\n"
	      "  kB, MB. Booleans: true/false, yes/no, on/off. ${VAR}: the value may use\n"
	      "  environment variables ($$ is a literal $). An error names FILE:LINE:COL.\n"
	      "\n  KEY                   KIND     DEFAULT  RANGE           MEANING\n", f);
	help_table(f, &keys_top, done, &ndone);
}
