/* test_config.c - config loading: durations, good files, the bad corpus
 * (tests/configs/bad/EXPECT), generated hostile files, URLs, config_find;
 * the key tables (consistent, documented, --help-config) and every kind of
 * key on a table shaped like the keys to come. Run from the repository root. */
#include "config.h"
#include "config_keys.h"
#include "tap.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GOOD "tests/configs/good/"
#define BAD "tests/configs/bad/"
/* Guards against hangs, not a benchmark: generous enough for valgrind.
 * Unguarded, these inputs take minutes (quadratic libyaml paths). */
#define QUICK_S 10.0

static char tmpdir[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static const struct target_conf *find(const struct config *c, const char *name)
{
	for (size_t i = 0; c && i < c->ntargets; i++)
		if (strcmp(c->targets[i].name, name) == 0)
			return &c->targets[i];
	return NULL;
}

static const struct header *header(const struct target_conf *t, const char *name)
{
	for (size_t i = 0; t && i < t->nheaders; i++)
		if (strcmp(t->headers[i].name, name) == 0)
			return &t->headers[i];
	return NULL;
}

/* Loads a file that must be good; prints the messages when it is not. */
static struct config *load_good(const char *path)
{
	struct diag d = { 0 };
	struct config *c = NULL;
	int rc = config_load(path, &c, &d);

	if (!OK(rc == 0 && c, "%s loads", path))
		diag_print(&d, stdout);
	diag_clear(&d);
	return c;
}

/* The messages of a load that must fail, joined; caller frees. */
static char *load_bad_buffer(const char *name, const char *buf, size_t len, size_t *n)
{
	struct diag d = { 0 };
	struct config *c = NULL;
	int rc = config_load_buffer(name, buf, len, &c, &d);
	char *all;

	OK(rc == -1 && c == NULL, "%s is refused", name);
	config_free(c);
	all = diag_join(&d);
	if (n)
		*n = d.n;
	diag_clear(&d);
	return all;
}

static void test_durations(void)
{
	static const struct {
		const char *s;
		int64_t ms;
	} good[] = {
		{ "250ms", 250 }, { "5s", 5000 }, { "2m", 120000 }, { "1h", 3600000 },
		{ "1m30s", 90000 }, { "1h2m3s4ms", 3723004 }, { "0s", 0 }, { "90s", 90000 },
		{ "1.5s", 1500 }, { "0.25s", 250 }, { "24h", 86400000 }, { "1h30m", 5400000 },
		{ "90d", 7776000000LL }, { "1d12h", 129600000 },
		{ "007s", 7000 },
	};
	static const struct {
		const char *s, *why;
	} bad[] = {
		{ "", "empty duration" },
		{ "30", "has no unit (did you mean '30s'?" },
		{ "5x", "unknown unit 'x'" },
		{ "5S", "unknown unit 'S'" },
		{ "-5s", "negative durations are not allowed" },
		{ "s", "expected a number" },
		{ "5 s", "unexpected ' '" },
		{ " 5s", "expected a number" },
		{ "30s1m", "largest to smallest" },
		{ "1s1s", "largest to smallest" },
		{ "1m30", "the last number has no unit" },
		{ "1.5ms", "finer than a millisecond" },
		{ "1.s", "bad decimal part" },
		{ "99999999999999999999s", "number too large" },
		{ "9999999999999999h", "too long" },
		{ "5sec", "unknown unit 'sec'" },
		{ "1w", "unknown unit 'w'" },
		{ "1h1d", "largest to smallest" },
		{ "+5s", "expected a number" },
	};
	char why[256];
	int64_t ms;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		ms = -1;
		why[0] = '\0';
		OK(config_parse_duration(good[i].s, &ms, why, sizeof(why)) == 0,
		   "duration '%s' ok %s", good[i].s, why);
		IS_INT(ms, good[i].ms, good[i].s);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ms = 12345;
		why[0] = '\0';
		OK(config_parse_duration(bad[i].s, &ms, why, sizeof(why)) == -1,
		   "duration '%s' refused", bad[i].s);
		HAS_STR(why, bad[i].why, "duration message says why");
		IS_INT(ms, 12345, "a refused duration leaves *ms alone");
	}
	OK(config_parse_duration("5x", &ms, why, 8) == -1 && strlen(why) == 7,
	   "a short error buffer is truncated, not overrun");
	OK(config_parse_duration("5x", &ms, NULL, 0) == -1, "no error buffer is fine");
	OK(config_parse_duration(NULL, &ms, why, sizeof(why)) == -1, "NULL is refused");
}

static void test_full(void)
{
	struct config *c = load_good(GOOD "full.yaml");
	const struct target_conf *t = find(c, "shop"), *a = find(c, "api");
	const struct header *h;

	if (!c || !t || !a) {
		OK(0, "full.yaml has shop and api");
		config_free(c);
		return;
	}
	IS_INT(c->ntargets, 2, "two targets");
	IS_STR(c->path, GOOD "full.yaml", "path kept");
	IS_STR(t->url, "https://shop.example.com/health", "url");
	IS_STR(t->group, "web", "group");
	IS_STR(t->method, "POST", "method upper-cased");
	IS_INT(t->interval_ms, 10000, "interval");
	IS_INT(t->timeout_ms, 3000, "timeout");
	IS_INT(t->max_latency_ms, 800, "max_latency");
	IS_INT(t->failures_before_down, 2, "failures_before_down");
	IS_INT(t->successes_before_up, 3, "successes_before_up");
	IS_INT(t->interval_down_ms, 4000, "interval_down");
	OK(!t->follow_redirects, "follow_redirects false");
	OK(!t->verify_tls, "verify_tls no");
	OK(t->fresh_connection, "fresh_connection yes");
	IS_INT(t->max_body, 64 * 1024, "max_body 64KiB");
	IS_STR(t->ca_file, "/dev/null", "ca_file");
	IS_STR(t->body, "{\"ping\": true}", "body");
	IS_STR(t->body_contains, "ok", "body_contains");
	IS_INT(t->line, 6, "line of the entry");
	IS_INT(t->nexpect, 3, "three expect entries");
	if (t->nexpect == 3) {
		OK(t->expect[0].lo == 200 && t->expect[0].hi == 200, "200");
		OK(t->expect[1].lo == 204 && t->expect[1].hi == 204, "204");
		OK(t->expect[2].lo == 300 && t->expect[2].hi == 308, "300-308");
	}
	IS_INT(t->nheaders, 3, "three headers");
	h = header(t, "Authorization");
	OK(h && h->secret && strcmp(h->value, "Bearer abc") == 0, "Authorization is secret");
	h = header(t, "X-Trace");
	OK(h && !h->secret && strcmp(h->value, "on") == 0 && strcmp(h->shown, "on") == 0,
	   "a quoted \"on\" stays a string");
	/* api: only url and name, so defaults and built-ins */
	IS_INT(a->interval_ms, 60000, "api: interval from defaults");
	IS_INT(a->timeout_ms, 10000, "api: timeout from defaults");
	IS_STR(a->method, "GET", "api: GET");
	IS_STR(a->group, "", "api: group empty");
	OK(a->body == NULL && a->body_contains == NULL && a->ca_file == NULL, "api: NULLs");
	OK(a->follow_redirects && a->verify_tls && !a->fresh_connection, "api: bool defaults");
	IS_INT(a->successes_before_up, 1, "api: successes_before_up 1");
	IS_INT(a->interval_down_ms, 0, "api: interval_down is the interval (0)");
	IS_INT(c->settings.max_concurrency, 32, "max_concurrency");
	IS_STR(c->settings.theme, "high-contrast", "theme");
	OK(c->settings.bell, "bell");
	IS_STR(c->settings.canary, "api", "canary names a target");
	OK(c->has_secrets, "an Authorization header is a secret");
	config_free(c);
}

static void test_minimal(void)
{
	struct config *c = load_good(GOOD "minimal.yaml");
	const struct target_conf *t = c && c->ntargets == 1 ? &c->targets[0] : NULL;

	if (!OK(t != NULL, "minimal: one target")) {
		config_free(c);
		return;
	}
	IS_STR(t->name, "https://example.com", "name defaults to the url");
	IS_INT(t->interval_ms, CONFIG_DEFAULT_INTERVAL_MS, "interval 30s");
	IS_INT(t->timeout_ms, CONFIG_DEFAULT_TIMEOUT_MS, "timeout 5s");
	IS_INT(t->max_latency_ms, 0, "no latency limit");
	IS_INT(t->max_body, CONFIG_DEFAULT_MAX_BODY, "max_body 1MiB");
	IS_INT(t->failures_before_down, 1, "failures_before_down 1");
	OK(t->nexpect == 1 && t->expect[0].lo == 200 && t->expect[0].hi == 399, "200-399");
	IS_STR(t->method, "GET", "GET");
	IS_STR(t->group, "", "group empty");
	OK(t->follow_redirects && t->verify_tls && !t->fresh_connection, "bool defaults");
	OK(t->nheaders == 0 && !t->headers, "no headers");
	OK(!c->has_secrets, "no secrets");
	OK(c->settings.max_concurrency == 0 && c->settings.bell && !c->settings.theme,
	   "settings defaults (bell on)");
	config_free(c);
}

static void test_defaults(void)
{
	struct config *c = load_good(GOOD "defaults.yaml");
	const struct target_conf *a = find(c, "https://a.example.com");
	const struct target_conf *b = find(c, "https://b.example.com");

	if (!OK(a && b, "defaults: both targets")) {
		config_free(c);
		return;
	}
	IS_INT(a->interval_ms, 120000, "a: interval from defaults");
	IS_INT(a->timeout_ms, 20000, "a: timeout from defaults");
	IS_STR(a->group, "infra", "a: group from defaults");
	IS_STR(a->method, "HEAD", "a: method from defaults");
	OK(a->nheaders == 1 && strcmp(a->headers[0].value, "uptop-test") == 0,
	   "a: headers from defaults");
	OK(a->nexpect == 1 && a->expect[0].lo == 200 && a->expect[0].hi == 299, "a: 2xx");
	IS_INT(a->max_latency_ms, 1000, "a: max_latency");
	IS_INT(a->failures_before_down, 3, "a: failures");
	OK(!a->follow_redirects && !a->verify_tls && a->fresh_connection, "a: bools");
	IS_INT(a->max_body, 512000, "a: 512 kB");
	IS_STR(b->group, "", "b: group overridden to empty");
	IS_STR(b->method, "GET", "b: method overridden");
	IS_INT(b->nheaders, 0, "b: headers {} replaces the defaults'");
	IS_INT(b->interval_ms, 3600000, "b: interval 1h");
	IS_INT(b->timeout_ms, 1800000, "b: timeout 30m");
	IS_INT(b->max_latency_ms, 0, "b: max_latency none");
	OK(b->nexpect == 1 && b->expect[0].lo == 204 && b->expect[0].hi == 204, "b: one code");
	IS_INT(b->max_body, 100, "b: plain bytes");
	IS_INT(b->failures_before_down, 3, "b: failures still from defaults");
	IS_INT(c->settings.max_concurrency, 0, "AUTO is auto");
	OK(!c->settings.bell, "bell off");
	config_free(c);
}

static void test_merge(void)
{
	struct config *c = load_good(GOOD "merge.yaml");
	const struct target_conf *one = find(c, "one"), *two = find(c, "two");
	const struct target_conf *three = find(c, "three"), *four = find(c, "four");

	if (!OK(one && two && three && four, "merge: four targets")) {
		config_free(c);
		return;
	}
	IS_INT(one->interval_ms, 15000, "one: merged interval");
	IS_INT(one->timeout_ms, 4000, "one: merged timeout");
	OK(one->nheaders == 1 && strcmp(one->headers[0].value, "text/html") == 0,
	   "one: merged headers");
	IS_INT(two->timeout_ms, 9000, "two: the first mapping of a merge list wins");
	IS_INT(two->interval_ms, 15000, "two: keys only in the second are merged");
	IS_INT(two->max_latency_ms, 2000, "two: max_latency from *slow");
	IS_STR(two->group, "slow", "two: group");
	IS_INT(three->interval_ms, 60000, "three: an explicit key wins over a merged one");
	OK(three->nheaders == 1, "three: an alias for a nested mapping");
	IS_STR(four->url, "https://one.example.com", "four: merged from an anchored target");
	IS_INT(four->interval_ms, 15000, "four: nested merges resolve");
	config_free(c);
}

static void test_env(void)
{
	struct config *c;
	const struct target_conf *t;
	const struct header *h;

	setenv("UPTOP_TEST_NAME", "prod", 1);
	setenv("UPTOP_TEST_GROUP", "edge", 1);
	setenv("UPTOP_TEST_HOST", "api.example.com", 1);
	setenv("UPTOP_TEST_TOKEN", "s3cr3t", 1);
	c = load_good(GOOD "env.yaml");
	t = find(c, "prod-api");
	if (!OK(t != NULL, "env: name expanded")) {
		config_free(c);
		return;
	}
	IS_STR(t->group, "edge", "group expanded");
	IS_STR(t->url, "https://api.example.com/health?cost=$5&raw=$x",
	       "url expanded, $$ is $, a lone $ stays");
	IS_STR(t->body, "token=s3cr3t", "body expanded");
	IS_STR(t->body_contains, "${literal}", "$${ is a literal ${");
	h = header(t, "X-Api-Key");
	OK(h && strcmp(h->value, "s3cr3t") == 0, "header value expanded");
	OK(h && strcmp(h->shown, "${UPTOP_TEST_TOKEN}") == 0, "shown keeps ${...}");
	OK(h && h->secret, "a header using ${} is secret");
	h = header(t, "X-Plain");
	OK(h && strcmp(h->value, "price $3 or $4") == 0 && !h->secret, "X-Plain: no secret");
	OK(h && strcmp(h->shown, "price $$3 or $4") == 0, "shown is the text as written");
	OK(c->has_secrets, "${VAR} makes has_secrets");
	config_free(c);

	unsetenv("UPTOP_TEST_TOKEN");
	{
		struct diag d = { 0 };

		c = NULL;
		OK(config_load(GOOD "env.yaml", &c, &d) == -1 && !c, "env: unset variable fails");
		IS_INT(d.n, 2, "both uses of the unset variable are reported");
		HAS_STR(d.n ? d.msgs[0] : NULL, GOOD "env.yaml:7:18: X-Api-Key: environment "
			"variable UPTOP_TEST_TOKEN is not set", "header message");
		HAS_STR(d.n > 1 ? d.msgs[1] : NULL, "body: environment variable UPTOP_TEST_TOKEN "
			"is not set", "body message");
		diag_clear(&d);
	}
	unsetenv("UPTOP_TEST_NAME");
	unsetenv("UPTOP_TEST_GROUP");
	unsetenv("UPTOP_TEST_HOST");
}

static void test_secrets(void)
{
	struct config *c = load_good(GOOD "password.yaml");
	const struct target_conf *t = c && c->ntargets ? &c->targets[0] : NULL;
	const struct target_conf *k = find(c, "cookie");

	OK(c && c->has_secrets, "a URL password makes has_secrets");
	IS_STR(t ? t->url : NULL, "https://user:hunter2@example.com/private", "url kept whole");
	IS_STR(t ? t->name : NULL, "https://***@example.com/private",
	       "a name made from a URL hides the password");
	OK(k && k->nheaders == 1 && k->headers[0].secret, "cookie (any case) is secret");
	config_free(c);
}

static void test_scalars(void)
{
	struct config *c = load_good(GOOD "scalars.yaml");
	const struct target_conf *t = find(c, "https://example.com"), *v6 = find(c, "12345");

	if (!OK(t && v6, "scalars: both targets")) {
		config_free(c);
		return;
	}
	IS_INT(t->failures_before_down, 5, "quoted integer");
	OK(t->follow_redirects && t->verify_tls, "TRUE and On");
	IS_INT(t->interval_ms, 1500, "1.5s");
	IS_INT(t->timeout_ms, 250, "0.25s");
	IS_INT(t->nexpect, 3, "three expect entries");
	if (t->nexpect == 3) {
		OK(t->expect[0].lo == 200 && t->expect[0].hi == 200, "\"200\"");
		OK(t->expect[1].lo == 300 && t->expect[1].hi == 399, "3xx");
		OK(t->expect[2].lo == 404 && t->expect[2].hi == 410, "404 - 410");
	}
	IS_INT(t->max_body, 2000000, "2MB");
	OK(!t->body && !t->ca_file && t->max_latency_ms == 0, "null values are unset");
	IS_STR(v6->url, "https://[::1]:8443/x", "IPv6 URL");
	IS_INT(c->settings.max_concurrency, 100, "quoted max_concurrency");
	OK(c->settings.theme == NULL, "theme null");
	config_free(c);
}

/* CRLF line endings and a UTF-8 BOM, on the richest good file. */
static void test_crlf_bom(void)
{
	size_t len = 0, n = 0;
	char *src = slurp(GOOD "full.yaml", &len), *crlf;
	struct diag d = { 0 };
	struct config *c = NULL;

	if (!OK(src != NULL, "read full.yaml"))
		return;
	crlf = xmalloc(2 * len + 4);
	memcpy(crlf, "\xef\xbb\xbf", 3);
	n = 3;
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = src[i];
	}
	OK(config_load_buffer("crlf-bom", crlf, n, &c, &d) == 0 && c, "BOM + CRLF loads");
	diag_print(&d, stdout);
	diag_clear(&d);
	if (c) {
		const struct target_conf *t = find(c, "shop");

		OK(t && strcmp(t->url, "https://shop.example.com/health") == 0, "no \\r in values");
		OK(t && t->line == 6, "lines count CRLF once");
		OK(t && t->nexpect == 3, "expect parsed");
		config_free(c);
	}
	/* and a mistake is still placed right */
	{
		const char *bad = "\xef\xbb\xbftargets:\r\n  - url: https://x.org\r\n"
				  "    timout: 1s\r\n";
		char *all = load_bad_buffer("crlf-bad", bad, strlen(bad), NULL);

		HAS_STR(all, "crlf-bad:3:5: unknown key 'timout'", "CRLF + BOM positions");
		free(all);
	}
	free(crlf);
	free(src);
}

struct expect_row {
	char file[256], pos[32], want[512];
};

static int expect_parse(char *line, struct expect_row *r)
{
	char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	size_t l = strlen(line);

	while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
		line[--l] = '\0';
	if (!t1 || !t2 || (size_t)(t1 - line) >= sizeof(r->file) ||
	    (size_t)(t2 - t1 - 1) >= sizeof(r->pos) || strlen(t2 + 1) >= sizeof(r->want))
		return -1;
	snprintf(r->file, sizeof(r->file), "%.*s", (int)(t1 - line), line);
	snprintf(r->pos, sizeof(r->pos), "%.*s", (int)(t2 - t1 - 1), t1 + 1);
	snprintf(r->want, sizeof(r->want), "%s", t2 + 1);
	return 0;
}

static bool message_found(const struct diag *d, const char *prefix, const char *want)
{
	for (size_t i = 0; i < d->n; i++)
		if ((!prefix || strncmp(d->msgs[i], prefix, strlen(prefix)) == 0) &&
		    strstr(d->msgs[i], want))
			return true;
	return false;
}

static void test_bad_corpus(void)
{
	FILE *f = fopen(BAD "EXPECT", "r");
	char line[2048];
	int rows = 0;

	if (!OK(f != NULL, "open " BAD "EXPECT"))
		return;
	unsetenv("UPTOP_TEST_UNSET_VAR");
	unsetenv("UPTOP_TEST_HOST");
	while (fgets(line, sizeof(line), f)) {
		struct expect_row r;
		char path[512], prefix[600];
		struct diag d = { 0 };
		struct config *c = NULL;
		double t0;
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (!OK(expect_parse(line, &r) == 0, "EXPECT row: %s", line))
			continue;
		rows++;
		snprintf(path, sizeof(path), BAD "%s", r.file);
		snprintf(prefix, sizeof(prefix), "%s:%s: ", path, r.pos);
		t0 = now_s();
		rc = config_load(path, &c, &d);
		OK(rc == -1 && c == NULL, "%s is refused", r.file);
		OK(now_s() - t0 < QUICK_S, "%s is refused quickly (%.3fs)", r.file, now_s() - t0);
		if (!OK(message_found(&d, strcmp(r.pos, "-") ? prefix : NULL, r.want),
			"%s: %s %s", r.file, r.pos, r.want)) {
			for (size_t i = 0; i < d.n; i++)
				printf("#   got: %s\n", d.msgs[i]);
		}
		config_free(c);
		diag_clear(&d);
	}
	fclose(f);
	OK(rows >= 60, "EXPECT has at least 60 rows (%d)", rows);
}

/* One file, several different mistakes: every one is reported, in order. */
static void test_all_mistakes(void)
{
	struct diag d = { 0 };
	struct config *c = NULL;
	const char *buf =
		"defaults:\n"
		"  interval: 10\n"                      /* 2: no unit */
		"targets:\n"
		"  - name: a\n"
		"    url: ftp://example.com\n"          /* 5: scheme */
		"    timout: 1s\n"                      /* 6: unknown key */
		"  - name: a\n"                         /* 7: duplicate name */
		"    url: https://example.com\n"
		"    failures_before_down: 0\n"         /* 9: range */
		"settings:\n"
		"  bell: loud\n";                       /* 11: bool */

	OK(config_load_buffer("multi", buf, strlen(buf), &c, &d) == -1, "multi: refused");
	IS_INT(d.n, 6, "multi: six messages");
	HAS_STR(d.n > 0 ? d.msgs[0] : NULL, "multi:2:13: interval: duration '10' has no unit",
		"1st");
	HAS_STR(d.n > 1 ? d.msgs[1] : NULL, "multi:5:10: url 'ftp://example.com'", "2nd");
	HAS_STR(d.n > 2 ? d.msgs[2] : NULL, "multi:6:5: unknown key 'timout'", "3rd");
	HAS_STR(d.n > 3 ? d.msgs[3] : NULL, "multi:7:11: duplicate target name 'a' (first at "
		"line 4)", "4th");
	HAS_STR(d.n > 4 ? d.msgs[4] : NULL, "multi:9:27: failures_before_down must be", "5th");
	HAS_STR(d.n > 5 ? d.msgs[5] : NULL, "multi:11:9: bell: expected true or false", "6th");
	diag_clear(&d);

	OK(config_load(BAD "three_mistakes.yaml", &c, &d) == -1, "three_mistakes refused");
	IS_INT(d.n, 3, "three_mistakes: exactly three messages");
	diag_clear(&d);
}

static int write_file(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t w;

	if (!f)
		return -1;
	w = fwrite(buf, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

static void expect_fail(const char *path, const char *want, const char *what)
{
	struct diag d = { 0 };
	struct config *c = NULL;
	double t0 = now_s();
	int rc = config_load(path, &c, &d);
	char *all = diag_join(&d);

	OK(rc == -1 && !c, "%s: refused", what);
	OK(now_s() - t0 < QUICK_S, "%s: quickly (%.3fs)", what, now_s() - t0);
	HAS_STR(all, want, what);
	free(all);
	config_free(c);
	diag_clear(&d);
}

/* Hostile files too big to commit: built in a temp dir. */
static void test_generated(void)
{
	char path[128], want[256];
	size_t n = 10000, len = 0;
	char *buf = xmalloc(6 * n + 64);
	int fd;

	for (size_t i = 0; i < n; i++)
		buf[len++] = '[';
	for (size_t i = 0; i < n; i++)
		buf[len++] = ']';
	snprintf(path, sizeof(path), "%s/deep-flow.yaml", tmpdir);
	OK(write_file(path, buf, len) == 0, "write deep-flow.yaml");
	snprintf(want, sizeof(want), "%s:1:65: nesting is deeper than 64 levels", path);
	expect_fail(path, want, "10,000 levels of [");

	len = (size_t)sprintf(buf, "targets:\n");
	for (size_t i = 0; i < n; i++) {
		buf[len++] = '-';
		buf[len++] = ' ';
	}
	buf[len++] = 'x';
	buf[len++] = '\n';
	snprintf(path, sizeof(path), "%s/deep-block.yaml", tmpdir);
	OK(write_file(path, buf, len) == 0, "write deep-block.yaml");
	expect_fail(path, "nesting is deeper than 64 levels", "10,000 levels of '- '");

	len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "{a: ");
	for (size_t i = 0; i < n; i++)
		buf[len++] = '}';
	snprintf(path, sizeof(path), "%s/deep-map.yaml", tmpdir);
	OK(write_file(path, buf, len) == 0, "write deep-map.yaml");
	expect_fail(path, "nesting is deeper than 64 levels", "10,000 levels of {a:");
	free(buf);

	/* 50 MB: real bytes, so the size check is what stops it */
	snprintf(path, sizeof(path), "%s/huge.yaml", tmpdir);
	buf = xmalloc(1024 * 1024);
	memset(buf, '#', 1024 * 1024);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; fd >= 0 && i < 50; i++)
		if (write(fd, buf, 1024 * 1024) != 1024 * 1024)
			break;
	if (fd >= 0)
		close(fd);
	free(buf);
	snprintf(want, sizeof(want),
		 "%s:1:1: the file is too large (50.0 MiB; the limit is 16 MiB)", path);
	expect_fail(path, want, "a 50 MB file");
	unlink(path);

	expect_fail("/dev/zero", "/dev/zero:1:1: the file is too large (the limit is 16 MiB)",
		    "an endless device");
	snprintf(want, sizeof(want), "%s:1:1: is a directory, not a config file", tmpdir);
	expect_fail(tmpdir, want, "a directory");
	expect_fail(BAD "missing.yaml", BAD "missing.yaml:1:1: cannot open the config file: "
		    "No such file or directory", "a missing file");

	snprintf(path, sizeof(path), "%s/unreadable.yaml", tmpdir);
	if (geteuid() != 0 && write_file(path, "targets: []\n", 12) == 0 &&
	    chmod(path, 0) == 0) {
		snprintf(want, sizeof(want), "%s:1:1: cannot open the config file: Permission "
			 "denied", path);
		expect_fail(path, want, "an unreadable file");
	} else {
		OK(1, "an unreadable file # SKIP running as root");
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/deep-flow.yaml", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/deep-block.yaml", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/deep-map.yaml", tmpdir);
	unlink(path);
}

/* Buffers that are not files: NUL bytes, a too-large buffer, UTF-16. */
static void test_buffers(void)
{
	static const char nul[] = "targets:\n  - url: https://x.org\0\n";
	size_t big = 16 * 1024 * 1024 + 1;
	char *buf = xmalloc(big), *all;
	struct diag d = { 0 };
	struct config *c = NULL;

	all = load_bad_buffer("nul", nul, sizeof(nul) - 1, NULL);
	HAS_STR(all, "nul:2:23: cannot read the text: control characters are not allowed",
		"a NUL byte in the text");
	free(all);
	memset(buf, ' ', big);
	all = load_bad_buffer("big", buf, big, NULL);
	HAS_STR(all, "big:1:1: the file is too large", "a buffer over 16 MiB");
	free(all);
	free(buf);
	/* libyaml looks anchors up linearly: thousands are refused, fast */
	{
		char *many = xmalloc(200000);
		size_t n = (size_t)sprintf(many, "x-many:\n");
		double t0;

		for (int i = 0; i < 6000; i++)
			n += (size_t)sprintf(many + n, "  - &anchor%d x\n", i);
		t0 = now_s();
		all = load_bad_buffer("anchors", many, n, NULL);
		HAS_STR(all, "too many anchors and aliases", "6,000 anchors");
		OK(now_s() - t0 < QUICK_S, "6,000 anchors: quickly (%.3fs)", now_s() - t0);
		free(all);
		free(many);
	}
	/* merges copy pairs: 400 copies of a 5,000-key mapping is too many */
	{
		char *m = xmalloc(200000);
		size_t n = (size_t)sprintf(m, "x-big: &big {");
		double t0;

		for (int i = 0; i < 5000; i++)
			n += (size_t)sprintf(m + n, "k%d: 1, ", i);
		n += (size_t)sprintf(m + n, "z: 1}\nx-copies:\n");
		for (int i = 0; i < 400; i++)
			n += (size_t)sprintf(m + n, "  - {<<: *big}\n");
		t0 = now_s();
		all = load_bad_buffer("merges", m, n, NULL);
		HAS_STR(all, "merges:202:5: merge keys expand to more than 1000000 entries",
			"merge copies are bounded");
		OK(now_s() - t0 < QUICK_S, "merge copies: quickly (%.3fs)", now_s() - t0);
		free(all);
		free(m);
	}
	/* libyaml decodes UTF-16 by its BOM; it must simply work */
	{
		const char *s = "targets:\n  - url: https://x.org\n";
		size_t n = 2;
		char u16[128] = { (char)0xff, (char)0xfe };

		for (const char *p = s; *p; p++) {
			u16[n++] = *p;
			u16[n++] = 0;
		}
		OK(config_load_buffer("utf16", u16, n, &c, &d) == 0 && c && c->ntargets == 1,
		   "UTF-16LE with a BOM loads");
		diag_print(&d, stdout);
		diag_clear(&d);
		config_free(c);
	}
}

static void test_from_urls(void)
{
	static const struct url_arg good[] = {
		{ "https://example.com", 1, 0 }, { "http://127.0.0.1:8080/x", 2, 0 },
		{ "https://u:pw@example.org/", 3, 0 },
	};
	static const struct url_arg bad[] = {
		{ "ftp://x", 1, 0 }, { "example.com", 2, 0 }, { "https://", 0, 4 },
		{ "http://a b", 0, 7 }, { "127.0.0.1:18123", 5, 0 }, { "example.com:443/h", 6, 0 },
	};
	static const struct url_arg twice[] = {
		{ "http://a.example/", 2, 0 }, { "http://b.example/", 3, 0 },
		{ "http://a.example/", 4, 0 }, { "http://u:x@c.example/", 5, 0 },
	};
	static const struct url_arg creds[] = {
		{ "http://u:x@c.example/", 1, 0 }, { "http://u:y@c.example/", 2, 0 },
	};
	static const struct status_range e404 = { 404, 404 };
	struct url_opts uo = { .interval_ms = 2000, .timeout_ms = 500, .expect = &e404,
			       .nexpect = 1, .insecure = true };
	struct diag d = { 0 }, w = { 0 };
	struct config *c = NULL;
	char *all;

	OK(config_from_urls(good, 3, NULL, &c, &d, &w) == 0 && c, "three good URLs");
	IS_INT(d.n + w.n, 0, "no messages");
	if (c) {
		IS_INT(c->ntargets, 3, "three targets");
		IS_STR(c->targets[0].name, "https://example.com", "name is the URL");
		IS_STR(c->targets[2].name, "https://***@example.org/", "password hidden in name");
		IS_STR(c->targets[2].url, "https://u:pw@example.org/", "url kept");
		IS_INT(c->targets[0].interval_ms, CONFIG_DEFAULT_INTERVAL_MS, "defaults");
		OK(c->targets[0].nexpect == 1 && c->targets[0].expect[0].hi == 399, "200-399");
		OK(c->path == NULL, "path NULL");
		OK(c->has_secrets, "password is a secret");
	}
	config_free(c);
	c = NULL;
	OK(config_from_urls(bad, ARRAY_LEN(bad), NULL, &c, &d, &w) == -1 && !c, "bad URLs refused");
	all = diag_join(&d);
	HAS_STR(all, "argument 1: 'ftp://x': only http, https and tcp URLs are supported", "ftp");
	HAS_STR(all, "argument 2: 'example.com': the URL has no scheme", "no scheme");
	HAS_STR(all, "did you mean http://example.com/?", "no scheme: a guess");
	HAS_STR(all, "stdin line 4: 'https://': the URL has no host", "no host, from stdin");
	HAS_STR(all, "stdin line 7: 'http://a b': a URL must not contain spaces", "space");
	HAS_STR(all, "argument 5: '127.0.0.1:18123': the URL has no scheme (start it with "
		"https:// or http://); did you mean http://127.0.0.1:18123/?", "host:port: a hint");
	HAS_STR(all, "did you mean https://example.com:443/h?", "port 443: https, path kept");
	IS_INT(d.n, 6, "six messages");
	free(all);
	diag_clear(&d);

	OK(config_from_urls(twice, ARRAY_LEN(twice), &uo, &c, &d, &w) == 0 && c,
	   "the same URL twice is not an error");
	IS_INT(w.n, 1, "one warning");
	HAS_STR(w.n ? w.msgs[0] : NULL, "warning: argument 4: 'http://a.example/' is the same URL "
		"as argument 2; checked once", "the warning names both places");
	if (c) {
		IS_INT(c->ntargets, 3, "checked once: three targets");
		IS_STR(c->targets[1].url, "http://b.example/", "the order given is kept");
		OK(c->targets[0].interval_ms == 2000 && c->targets[0].timeout_ms == 500,
		   "--interval and --timeout apply");
		OK(c->targets[2].nexpect == 1 && c->targets[2].expect[0].lo == 404,
		   "--expect applies");
		OK(!c->targets[1].verify_tls, "--insecure: verify_tls false");
	}
	config_free(c);
	c = NULL;
	diag_clear(&w);
	OK(config_from_urls(creds, 2, NULL, &c, &d, &w) == -1 && !c,
	   "two URLs that differ only in hidden credentials are refused");
	HAS_STR(d.n ? d.msgs[0] : NULL, "argument 2: 'http://***@c.example/' differs from "
		"argument 1 only in its hidden credentials", "and the message says why");
	diag_clear(&d);

	uo = (struct url_opts){ .timeout_ms = 40000 };
	OK(config_from_urls(good, 1, &uo, &c, &d, &w) == -1 && !c, "--timeout over the interval");
	HAS_STR(d.n ? d.msgs[0] : NULL, "--timeout 40s must be below the interval 30s",
		"names the flag and the default interval");
	diag_clear(&d);
	uo = (struct url_opts){ .interval_ms = 2 * 86400000LL };
	OK(config_from_urls(good, 1, &uo, &c, &d, &w) == -1 && !c, "--interval out of range");
	HAS_STR(d.n ? d.msgs[0] : NULL, "--interval 48h is too long (at most 24h)",
		"the key table's range");
	diag_clear(&d);

	OK(config_from_urls(NULL, 0, NULL, &c, &d, &w) == -1 && !c, "no URLs refused");
	HAS_STR(d.n ? d.msgs[0] : NULL, "no URLs given", "no URLs message");
	diag_clear(&d);
}

static void test_parse_expect(void)
{
	struct status_range *v = NULL;
	size_t n = 0;
	char err[160];

	OK(config_parse_expect("200, 204,300-308,4xx", &v, &n, err, sizeof(err)) == 0 && n == 4,
	   "--expect: a comma list of codes, ranges and classes");
	OK(v && v[1].lo == 204 && v[2].hi == 308 && v[3].lo == 400 && v[3].hi == 499,
	   "--expect: each parsed");
	free(v);
	OK(config_parse_expect("200,99", &v, &n, err, sizeof(err)) == -1 && !v,
	   "--expect: out of range refused");
	IS_STR(err, "'99' is outside 100-599", "--expect: the config loader's words");
	OK(config_parse_expect(",", &v, &n, err, sizeof(err)) == -1, "--expect: empty refused");
}

static void test_theme_checked(void)
{
	struct diag d = { 0 };
	struct config *c = NULL;
	static const char bad[] = "settings:\n  theme: nope\n"
				  "targets:\n  - url: http://x.invalid/\n";
	static const char good[] = "settings: {theme: mono}\n"
				   "targets:\n  - url: http://x.invalid/\n";

	OK(config_load_buffer("t.yaml", bad, sizeof(bad) - 1, &c, &d) == -1 && !c,
	   "an unknown theme fails the config load (and --check-config)");
	HAS_STR(d.n ? d.msgs[0] : NULL, "t.yaml:2:10: theme: unknown theme 'nope'",
		"at the key's line:col");
	diag_clear(&d);
	OK(config_load_buffer("t.yaml", good, sizeof(good) - 1, &c, &d) == 0 && c &&
	   strcmp(c->settings.theme, "mono") == 0, "a built-in theme loads");
	config_free(c);
	diag_clear(&d);
}

static void test_find(void)
{
	char cwd[4096], path[256], *p;
	const char *home = getenv("HOME");
	char *saved_home = home ? xstrdup(home) : NULL;

	if (!getcwd(cwd, sizeof(cwd)) || chdir(tmpdir) != 0) {
		OK(0, "chdir to tmpdir");
		free(saved_home);
		return;
	}
	setenv("HOME", tmpdir, 1);
	unsetenv("XDG_CONFIG_HOME");
	setenv("UPTOP_CONFIG", "/nonexistent/x.yaml", 1);
	p = config_find();
	IS_STR(p, "/nonexistent/x.yaml", "$UPTOP_CONFIG wins, even when missing");
	free(p);
	unsetenv("UPTOP_CONFIG");
	p = config_find();
	IS_STR(p, NULL, "nothing found");
	free(p);

	snprintf(path, sizeof(path), "%s/.config", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.config/uptop", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.config/uptop/config.yaml", tmpdir);
	write_file(path, "x", 1);
	p = config_find();
	IS_STR(p, path, "~/.config/uptop/config.yaml");
	free(p);
	setenv("XDG_CONFIG_HOME", "/nonexistent-xdg", 1);
	p = config_find();
	IS_STR(p, NULL, "$XDG_CONFIG_HOME replaces ~/.config");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	p = config_find();
	IS_STR(p, path, "a relative $XDG_CONFIG_HOME is ignored");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	write_file("uptop.yaml", "x", 1);
	p = config_find();
	IS_STR(p, "uptop.yaml", "./uptop.yaml before the XDG file");
	free(p);
	unlink("uptop.yaml");
	unlink(path);
	snprintf(path, sizeof(path), "%s/.config/uptop", tmpdir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/.config", tmpdir);
	rmdir(path);
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_home);
	if (chdir(cwd) != 0)
		OK(0, "chdir back");
}

static void test_example(void)
{
	struct config *c = load_good("config.example.yaml");

	OK(c && c->ntargets >= 5, "config.example.yaml has several targets");
	config_free(c);
}


/* ---- the key tables ------------------------------------------------------- */

/* Calls fn on every table reachable from keys_top, each set of keys once. */
static void tables_walk(const struct ktable *t, void (*fn)(const struct ktable *),
			const struct ckey **seen, size_t *nseen)
{
	for (size_t i = 0; i < *nseen; i++)
		if (seen[i] == t->keys)
			return;
	seen[(*nseen)++] = t->keys;
	fn(t);
	for (size_t i = 0; i < t->n && *nseen < 16; i++)
		if (t->keys[i].sub)
			tables_walk(t->keys[i].sub, fn, seen, nseen);
}

static void for_each_table(void (*fn)(const struct ktable *))
{
	const struct ckey *seen[16];
	size_t nseen = 0;

	tables_walk(&keys_top, fn, seen, &nseen);
}

static void table_rules(const struct ktable *t)
{
	OK(t->n <= KEYS_MAX, "%s: at most KEYS_MAX rows", t->where);
	for (size_t i = 0; i < t->n; i++) {
		const struct ckey *k = &t->keys[i];
		bool ranged = k->kind == KIND_DURATION || k->kind == KIND_SIZE ||
			      k->kind == KIND_INT;

		OK(k->name && *k->name && k->help && *k->help, "%s: a name and a help line",
		   k->name);
		for (size_t j = 0; j < i; j++)
			OK(strcmp(k->name, t->keys[j].name) != 0, "%s: named once in %s", k->name,
			   t->where);
		if (ranged)
			OK(k->max > 0 && k->min <= k->max && k->min >= 0, "%s: a range", k->name);
		if (k->kind == KIND_INT)
			OK(k->max <= INT32_MAX, "%s: the range fits an int", k->name);
		if (k->kind == KIND_ENUM)
			OK(k->choices && k->choices[0], "%s: an enum has choices", k->name);
		if (k->kind == KIND_MAP && !k->sub)
			OK(k->parse && k->copy && k->clear, "%s: a map without keys has hooks",
			   k->name);
		if (k->sub && k->kind != KIND_MAP)
			OK(k->parse != NULL, "%s: a list of mappings has a parse hook", k->name);
		if (k->copy || k->clear)
			OK(k->copy && k->clear && k->parse, "%s: custom storage has all hooks",
			   k->name);
	}
}

/* Every row is consistent, and every built-in default parses. */
static void test_tables(void)
{
	struct loader L;
	struct diag d = { 0 };
	struct config *c = NULL;
	const struct target_conf *t;

	for_each_table(table_rules);
	loader_init(&L, "builtin");
	t = &L.tpl.t;
	IS_INT(L.errs.n, 0, "every built-in default parses");
	IS_INT(t->interval_ms, CONFIG_DEFAULT_INTERVAL_MS, "built-in interval");
	IS_INT(t->timeout_ms, CONFIG_DEFAULT_TIMEOUT_MS, "built-in timeout");
	IS_INT(t->max_body, CONFIG_DEFAULT_MAX_BODY, "built-in max_body");
	OK(t->url == NULL && t->name == NULL && t->body == NULL, "no url, name or body");
	OK(L.cfg->settings.bell && L.cfg->settings.max_concurrency == 0, "built-in settings");
	OK(loader_done(&L, true, &c, &d) == 0 && c, "an empty load hands out a config");
	config_free(c);
	diag_clear(&d);
}

static char *doc_text;
static const char *doc_name;

/* "KEY:" as a key of its own, not the tail of another ("query_name:"). */
static bool mentions_key(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = strstr(text, key); p; p = strstr(p + 1, key))
		if (p[n] == ':' && (p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')))
			return true;
	return false;
}

static void table_documented(const struct ktable *t)
{
	for (size_t i = 0; i < t->n; i++)
		OK(mentions_key(doc_text, t->keys[i].name), "%s documents '%s:'", doc_name,
		   t->keys[i].name);
}

/* A key nobody can find is a key nobody uses; one the fuzzer does not
 * know is one it hardly reaches. */
static void test_documented(void)
{
	static const char *const docs[] = { "config.example.yaml", "README.md",
					    "tests/fuzz/config.dict" };

	for (size_t i = 0; i < ARRAY_LEN(docs); i++) {
		size_t len;

		doc_name = docs[i];
		doc_text = slurp(docs[i], &len);
		if (!OK(doc_text != NULL, "read %s", docs[i]))
			continue;
		for_each_table(table_documented);
		free(doc_text);
	}
	OK(!mentions_key("  query_name: x", "name"), "a longer key is not the key");
}

static char *help_text;

static void table_in_help(const struct ktable *t)
{
	for (size_t i = 0; i < t->n; i++) {
		char row[64];

		snprintf(row, sizeof(row), "\n  %s ", t->keys[i].name);
		HAS_STR(help_text, row, "--help-config lists the key");
	}
}

static void test_help(void)
{
	size_t len = 0, longest = 0, at = 0;
	FILE *f = open_memstream(&help_text, &len);

	if (!OK(f != NULL, "open_memstream"))
		return;
	config_help(f);
	fclose(f);
	for_each_table(table_in_help);
	for (size_t i = 0; i <= len; i++) {
		if (help_text[i] != '\n' && help_text[i] != '\0')
			continue;
		if (i - at > longest)
			longest = i - at;
		at = i + 1;
	}
	OK(longest <= 100, "--help-config fits 100 columns (longest line %zu)", longest);
	HAS_STR(help_text, "  interval              duration 30s      1ms..24h        time between",
		"a duration row: kind, default, range, help");
	HAS_STR(help_text, "  max_body              size     1MiB     1 byte..1GiB ", "a size row");
	HAS_STR(help_text, "  max_concurrency       int      auto     auto|1..1000000 ",
		"a word that means 0");
	HAS_STR(help_text, "\nsettings:\n", "the settings section");
	HAS_STR(help_text, "body_contains         string   -        -               text the body "
		"must contain ${VAR}", "${VAR} marked");
	free(help_text);
}

/* ---- every kind, on keys shaped like the ones to come ---------------------- */

struct demo_dns {
	char *query_name;
	int query_type;
};

struct demo {
	int64_t cert_expiry_ms;    /* a duration where 0 is off */
	int64_t stats_interval_ms;
	int ip_version;
	struct strlist conditions;
	struct demo_dns dns;
	int successes_before_up;
	int64_t max_size;
	bool insecure;
	char *label;
};

static const char *const demo_ip[] = { "any", "4", "6", NULL };
static const char *const demo_qtype[] = { "A", "AAAA", "CNAME", "MX", NULL };

static const struct ckey demo_dns_rows[] = {
	{ .name = "query_name", KEY_STRING(struct demo_dns, query_name), .help = "name" },
	{ .name = "query_type", KEY_ENUM(struct demo_dns, query_type), .choices = demo_qtype,
	  .def = "A", .help = "type" },
};
static const struct ktable demo_dns = { "dns:", demo_dns_rows, ARRAY_LEN(demo_dns_rows),
					"in dns", "it belongs under 'dns:'", false };

#define D(kind, f) KEY_##kind(struct demo, f)
static const struct ckey demo_rows[] = {
	{ .name = "cert_expiry", D(DURATION, cert_expiry_ms), .max = 365 * 24 * 3600000LL,
	  .def = "0s", .help = "0: off" },
	{ .name = "stats_interval", D(DURATION, stats_interval_ms), .min = 1000,
	  .max = 3600000, .def = "10s", .help = "h" },
	{ .name = "ip_version", D(ENUM, ip_version), .choices = demo_ip, .def = "any",
	  .help = "h" },
	{ .name = "conditions", D(LIST, conditions), .max = 3, .flags = KF_EXPAND | KF_OPTIONAL,
	  .help = "h" },
	{ .name = "dns", KEY_MAP(struct demo, dns, struct demo_dns), .sub = &demo_dns,
	  .help = "h" },
	{ .name = "successes_before_up", D(INT, successes_before_up), .min = 1, .max = 1000,
	  .def = "1", .help = "h" },
	{ .name = "max_size", D(SIZE, max_size), .min = 1024, .max = 1 << 20, .def = "64KiB",
	  .help = "h" },
	{ .name = "insecure", D(BOOL, insecure), .def = "false", .help = "h" },
	{ .name = "label", D(STRING, label), .flags = KF_OPTIONAL, .def = "none", .help = "h" },
};
static const struct ktable demo = { "demo", demo_rows, ARRAY_LEN(demo_rows), "in demo",
				    "it belongs in demo", false };

/* Built-in defaults, then the text's keys; the messages joined, or NULL. */
static char *demo_load(const char *text, struct demo *d)
{
	struct loader L;
	struct yamldoc *doc = NULL;
	struct config *c = NULL;
	struct diag errs = { 0 };
	char *all = NULL;

	memset(d, 0, sizeof(*d));
	loader_init(&L, "demo");
	keys_init(&L, &demo, d);
	if (yamldoc_load(text, strlen(text), &doc, &L.errs) == 0 && yamldoc_root(doc))
		keys_apply(&L, &demo, d, yamldoc_root(doc), NULL);
	yamldoc_free(doc);
	if (loader_done(&L, true, &c, &errs) < 0)
		all = diag_join(&errs);
	config_free(c);
	diag_clear(&errs);
	return all;
}

static void demo_refuses(const char *text, const char *want)
{
	struct demo d;
	char *all = demo_load(text, &d);

	HAS_STR(all, want, text);
	keys_clear(&demo, &d);
	free(all);
}

static void test_kinds(void)
{
	struct demo d, copy;
	char *all;

	all = demo_load("{}", &d);
	OK(all == NULL, "demo: built-in defaults parse");
	OK(d.cert_expiry_ms == 0 && d.stats_interval_ms == 10000 && d.ip_version == 0 &&
	   d.conditions.n == 0 && d.successes_before_up == 1 && d.max_size == 65536 &&
	   !d.insecure, "demo: every default set");
	OK(d.dns.query_type == 0 && d.dns.query_name == NULL, "a nested map gets its defaults");
	IS_STR(d.label, "none", "a string default");
	keys_clear(&demo, &d);
	free(all);

	setenv("UPTOP_TEST_DEMO", "up", 1);
	all = demo_load("cert_expiry: 336h\n"
			"ip_version: 6\n"
			"conditions: ['[STATUS] == 200', '[BODY].state == ${UPTOP_TEST_DEMO}']\n"
			"dns: {query_name: example.org, query_type: aaaa}\n"
			"successes_before_up: 3\n"
			"max_size: 1MiB\n"
			"insecure: yes\n"
			"label: ~\n", &d);
	unsetenv("UPTOP_TEST_DEMO");
	OK(all == NULL, "demo: every kind parses (%s)", all ? all : "");
	free(all);
	IS_INT(d.cert_expiry_ms, 336 * 3600000LL, "a duration");
	IS_INT(d.ip_version, 2, "an enum, any case");
	IS_INT(d.conditions.n, 2, "a list of strings");
	IS_STR(d.conditions.n == 2 ? d.conditions.v[1] : NULL, "[BODY].state == up",
	       "list items expand ${VAR}");
	IS_STR(d.dns.query_name, "example.org", "a nested string");
	IS_INT(d.dns.query_type, 1, "a nested enum");
	IS_INT(d.successes_before_up, 3, "an int");
	IS_INT(d.max_size, 1048576, "a size");
	OK(d.insecure, "a bool");
	IS_STR(d.label, "none", "~ restores the built-in default");

	copy = d;
	keys_copy(&demo, &copy, &d);
	OK(copy.conditions.v != d.conditions.v && copy.dns.query_name != d.dns.query_name &&
	   copy.label != d.label, "a copy owns its strings");
	OK(copy.conditions.n == 2 && strcmp(copy.conditions.v[0], "[STATUS] == 200") == 0 &&
	   strcmp(copy.dns.query_name, "example.org") == 0, "a copy has the same values");
	keys_clear(&demo, &d);
	OK(d.conditions.n == 0 && d.dns.query_name == NULL && d.label == NULL,
	   "clear empties lists, nested maps and strings");
	keys_clear(&demo, &copy);

	all = demo_load("conditions: '[STATUS] < 300'\ncert_expiry: 0s\n", &d);
	OK(all == NULL && d.conditions.n == 1 && d.cert_expiry_ms == 0,
	   "one scalar is a list of one; 0s is allowed where min is 0");
	keys_clear(&demo, &d);
	free(all);

	demo_refuses("ip_version: 5\n", "demo:1:13: ip_version: expected any, 4 or 6, got '5'");
	demo_refuses("ip_version: [4]\n", "demo:1:13: ip_version: expected any, 4 or 6, got a "
		     "sequence");
	demo_refuses("successes_before_up: 0\n",
		     "demo:1:22: successes_before_up must be between 1 and 1000, got '0'");
	demo_refuses("conditions: [a, b, c, d]\n", "demo:1:13: conditions: more than 3 entries");
	demo_refuses("conditions: {a: 1}\n",
		     "demo:1:13: conditions: expected a list of strings, got a mapping");
	demo_refuses("conditions: [a, ~]\n", "demo:1:17: conditions must not be empty");
	demo_refuses("dns: {query_nam: x}\n",
		     "demo:1:7: unknown key 'query_nam' in dns (did you mean 'query_name'?)");
	demo_refuses("dns: [1]\n", "demo:1:6: dns: expected a mapping, got a sequence");
	demo_refuses("dns: {query_type: TXT}\n",
		     "demo:1:19: query_type: expected A, AAAA, CNAME or MX, got 'TXT'");
	demo_refuses("cert_expiry: 9000h\n",
		     "demo:1:14: cert_expiry 9000h is too long (at most 8760h)");
	demo_refuses("stats_interval: 500ms\n",
		     "demo:1:17: stats_interval 500ms is too short (at least 1s)");
	demo_refuses("max_size: 10\n",
		     "demo:1:11: max_size must be between 1KiB and 1MiB, got '10'");
	demo_refuses("interval: 5s\n", "demo:1:1: unknown key 'interval' in demo: target keys "
		     "go under 'defaults:' or in an entry of 'targets:'");
}

/* A key of another section says where it belongs, wherever it is found. */
static void test_misplaced(void)
{
	const char *buf = "targets:\n  - url: https://x.org\nsettings:\n  interval: 5s\n"
			  "  targets: []\n";
	char *all = load_bad_buffer("misplaced", buf, strlen(buf), NULL);

	HAS_STR(all, "misplaced:4:3: unknown key 'interval' in settings: target keys go under "
		"'defaults:' or in an entry of 'targets:'", "a target key in settings");
	HAS_STR(all, "misplaced:5:3: unknown key 'targets' in settings: it belongs at the top "
		"level", "a top-level key in settings");
	free(all);
}

static void listen_ok(const char *s, const char *host, int port, bool v6, bool lo)
{
	struct listen_addr la;
	char err[160] = "";

	if (!OK(config_parse_listen(s, &la, err, sizeof(err)) == 0, "listen '%s' parses", s)) {
		printf("#   %s\n", err);
		return;
	}
	OK(strcmp(la.host, host) == 0 && la.port == port && la.v6 == v6 && la.loopback == lo,
	   "listen '%s' -> %s port %d%s%s (got %s %d)", s, host, port, v6 ? " v6" : "",
	   lo ? " loopback" : "", la.host, la.port);
}

static void listen_bad(const char *s, const char *want)
{
	struct listen_addr la;
	char err[160] = "";

	OK(config_parse_listen(s, &la, err, sizeof(err)) == -1, "listen '%s' is refused", s);
	HAS_STR(err, want, "  with a message that says why");
}

/* settings.metrics and --metrics: loopback unless an address is given. */
static void test_listen(void)
{
	const char *buf = "targets:\n  - url: http://a.example/\nsettings:\n  metrics: \":9100\"\n";
	struct diag d = { 0 };
	struct config *c = NULL;

	listen_ok(":9100", "127.0.0.1", 9100, false, true);
	listen_ok("localhost:9100", "127.0.0.1", 9100, false, true);
	listen_ok("127.0.0.2:1", "127.0.0.2", 1, false, true);
	listen_ok("0.0.0.0:9100", "0.0.0.0", 9100, false, false);
	listen_ok("10.1.2.3:65535", "10.1.2.3", 65535, false, false);
	listen_ok("[::1]:9100", "::1", 9100, true, true);
	listen_ok("[::]:9100", "::", 9100, true, false);
	listen_ok("[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80, true, true);
	listen_bad("9100", "expected ADDR:PORT or :PORT");
	listen_bad(":0", "the port must be 1..65535");
	listen_bad(":65536", "the port must be 1..65535");
	listen_bad(":-1", "the port must be 1..65535");
	listen_bad(":http", "the port must be 1..65535");
	listen_bad("127.0.0.1:", "the port must be 1..65535");
	listen_bad("example.com:80", "names other than localhost are not looked up");
	listen_bad("::1:80", "an IPv6 address goes in brackets");
	listen_bad("[127.0.0.1]:80", "not an IPv6 address");
	listen_bad("[::1:80", "unbalanced brackets");
	OK(config_load_buffer("metrics", buf, strlen(buf), &c, &d) == 0 && c &&
	   c->settings.metrics && strcmp(c->settings.metrics, ":9100") == 0,
	   "settings.metrics is stored as written");
	config_free(c);
	diag_clear(&d);
}

/* --shard K/N: every target in exactly one shard for every N. */
static void test_shard(void)
{
	static const char *const bad[] = { "0/3", "4/3", "1/0", "3", "1/", "/3", "a/b",
					   "1/1001", "-1/3", "1/3x" };
	char *buf = xstrdup("targets:\n");
	unsigned k = 0, n = 0, count[6];
	char err[128];

	OK(config_parse_shard("2/5", &k, &n, err, sizeof(err)) == 0 && k == 2 && n == 5,
	   "--shard 2/5 parses");
	OK(config_parse_shard("1/1", &k, &n, err, sizeof(err)) == 0 && k == 1 && n == 1,
	   "--shard 1/1 parses");
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		OK(config_parse_shard(bad[i], &k, &n, err, sizeof(err)) == -1,
		   "--shard '%s' is refused: %s", bad[i], err);
	IS_INT(config_shard_of("shop", 1), 1, "one shard holds everything");
	/* The hash is FNV-1a 64 of the name: fixed, so it is the same on
	 * every machine and in every version (users may compute it). */
	IS_INT(hash_fnv1a("shop") % 3 + 1, config_shard_of("shop", 3), "shard = FNV-1a % N + 1");
	IS_INT(hash_fnv1a(""), 0xcbf29ce484222325ULL, "FNV-1a's offset basis");
	for (int i = 0; i < 300; i++) {
		char *more = xasprintf("%s  - {name: \"site-%03d.example\", "
				       "url: http://a.example/%d}\n", buf, i, i);

		free(buf);
		buf = more;
	}
	for (unsigned nn = 1; nn <= 5; nn++) {
		unsigned seen[300] = { 0 }, total = 0, least = 300, most = 0;

		memset(count, 0, sizeof(count));
		for (unsigned kk = 1; kk <= nn; kk++) {
			struct diag d = { 0 };
			struct config *c = NULL;

			if (config_load_buffer("shard", buf, strlen(buf), &c, &d) != 0) {
				OK(0, "the shard config loads");
				diag_clear(&d);
				continue;
			}
			count[kk] = (unsigned)config_shard(c, kk, nn);
			for (size_t i = 0; i < c->ntargets; i++) {
				int id = atoi(c->targets[i].name + 5);

				if (id >= 0 && id < 300)
					seen[id]++;
				if (config_shard_of(c->targets[i].name, nn) != kk)
					seen[id] += 100;
			}
			config_free(c);
			diag_clear(&d);
		}
		for (unsigned kk = 1; kk <= nn; kk++) {
			total += count[kk];
			least = count[kk] < least ? count[kk] : least;
			most = count[kk] > most ? count[kk] : most;
		}
		int once = 1;

		for (int i = 0; i < 300; i++)
			once &= seen[i] == 1;
		OK(once && total == 300, "N=%u: each of 300 targets in exactly one shard", nn);
		/* A fair share is 300/N: the hash spreads them (no shard under
		 * half of it, none over 1.5 times). */
		OK(2 * least * nn >= 300 && 2 * most * nn <= 900,
		   "N=%u: shards are even enough (%u..%u targets)", nn, least, most);
	}
	free(buf);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/uptop-test-config-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_durations();
	test_full();
	test_minimal();
	test_defaults();
	test_merge();
	test_env();
	test_secrets();
	test_scalars();
	test_crlf_bom();
	test_bad_corpus();
	test_all_mistakes();
	test_generated();
	test_buffers();
	test_from_urls();
	test_parse_expect();
	test_theme_checked();
	test_find();
	test_example();
	test_tables();
	test_documented();
	test_help();
	test_kinds();
	test_misplaced();
	test_listen();
	test_shard();
	rmdir(tmpdir);
	return tap_done();
}
