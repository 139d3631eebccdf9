/* test_metrics.c - the Prometheus exposition of a model: names, values,
 * label escaping for hostile names and URLs, what a target without a
 * result shows, chunked output identical to one piece whatever the
 * buffer, and a snapshot that keeps one scrape consistent while results
 * keep coming. (promtool checks the real output in test_metrics.py.) */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "target.h"
#include "tap.h"
#include "util.h"

static struct target_conf confs[5];

static void confs_init(void)
{
	static const char *const names[] = { "shop", "hos\"t\\ile\nname\x1b[2J",
					     "bad\xff" "utf8", "pending", "tls" };
	static const char *const urls[] = {
		"http://127.0.0.1:8080/ok",
		"http://user:hunter2@127.0.0.1:8080/a?q=\"x\"\\y",
		"http://127.0.0.1:1/",
		"http://127.0.0.1:8080/later",
		"https://[::1]:8443/",
	};

	for (size_t i = 0; i < ARRAY_LEN(confs); i++) {
		confs[i].name = xstrdup(names[i]);
		confs[i].url = xstrdup(urls[i]);
		confs[i].group = xstrdup(i == 0 ? "web" : "");
		confs[i].failures_before_down = 1;
	}
}

static void confs_free(void)
{
	for (size_t i = 0; i < ARRAY_LEN(confs); i++) {
		free(confs[i].name);
		free(confs[i].url);
		free(confs[i].group);
	}
}

static void record(struct model *m, uint32_t i, enum eclass cls, int status, double total,
		   const char *ip)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.cls = cls;
	r.http_status = status;
	r.t.dns_ms = 1.5;
	r.t.connect_ms = 0.25;
	r.t.tls_ms = i == 4 ? 3 : 0;
	r.t.ttfb_ms = 10;
	r.t.total_ms = total;
	r.bytes = 1234;
	r.redirects = i == 0 ? 2 : 0;
	r.cert_not_after_ms = i == 4 ? 1790000000500LL : 0;
	snprintf(r.remote_ip, sizeof(r.remote_ip), "%s", ip);
	model_record(m, i, &r, 1000, NULL);
}

/* The whole exposition with `chunk`-byte buffers. */
static char *render(const struct model *m, const struct metrics_global *g, size_t chunk)
{
	struct metrics_expo *x = metrics_expo_new(m, g);
	char *buf = xmalloc(chunk), *all = NULL;
	size_t len = 0, n;
	bool bounded = true;
	FILE *f = open_memstream(&all, &len);

	while ((n = metrics_expo_fill(x, buf, chunk)) > 0) {
		bounded &= n <= chunk;
		fwrite(buf, 1, n, f);
	}
	fclose(f);
	OK(bounded, "chunks of %zu: no call writes past its buffer", chunk);
	free(buf);
	metrics_expo_free(x);
	return all;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define LINE(text, line, what)                                                \
	do {                                                                  \
		if (!OK(has_line(text, line), "%s", what))                    \
			printf("#   no line: %s\n", line);                    \
	} while (0)

#define NO(text, needle, what) OK(strstr(text, needle) == NULL, "%s", what)

#define L0 "target=\"shop\",group=\"web\",url=\"http://127.0.0.1:8080/ok\""
#define L1 "target=\"hos\\\"t\\\\ile\\nname\x1b[2J\",group=\"\"," \
	   "url=\"http://***@127.0.0.1:8080/a?q=\\\"x\\\"\\\\y\""
#define L2 "target=\"bad\xef\xbf\xbdutf8\",group=\"\",url=\"http://127.0.0.1:1/\""
#define L3 "target=\"pending\",group=\"\",url=\"http://127.0.0.1:8080/later\""
#define L4 "target=\"tls\",group=\"\",url=\"https://[::1]:8443/\""

static void test_values(const char *t)
{
	LINE(t, "# HELP probe_success Displays whether or not the probe was a success",
	     "blackbox's help text");
	LINE(t, "# TYPE probe_success gauge", "probe_success is a gauge");
	LINE(t, "probe_success{" L0 "} 1", "up: probe_success 1");
	LINE(t, "probe_success{" L1 "} 0", "hostile name and URL escaped, credentials redacted");
	LINE(t, "probe_success{" L2 "} 0", "invalid UTF-8 in a name becomes U+FFFD");
	LINE(t, "probe_success{" L4 "} 1", "slow is an answer: probe_success 1");
	NO(t, "hunter2", "the password never appears");
	LINE(t, "# TYPE uptop_target_up_ratio gauge", "uptop_target_up_ratio is a gauge");
	LINE(t, "uptop_target_up_ratio{" L3 ",window=\"24h\"} 0.75",
	     "up ratio over 24 h: 15 of 60 watched minutes down");
	LINE(t, "uptop_target_up_ratio{" L3 ",window=\"7d\"} 0.75", "and over 7 days");
	NO(t, "uptop_target_up_ratio{" L2, "no ratio for windows uptop did not watch");
	NO(t, "probe_success{" L3, "a target with no result has no probe_* lines");
	LINE(t, "uptop_target_state{" L3 ",state=\"pending\"} 1", "...but it has its state");
	LINE(t, "uptop_target_state{" L3 ",state=\"up\"} 0", "one-hot: the others 0");
	LINE(t, "uptop_target_state{" L0 ",state=\"up\"} 1", "shop is up");
	LINE(t, "uptop_target_state{" L4 ",state=\"degraded\"} 1", "tls is degraded");
	LINE(t, "uptop_target_state{" L2 ",state=\"down\"} 1", "refused is down");
	LINE(t, "probe_duration_seconds{" L0 "} 0.0125", "duration in seconds");
	LINE(t, "probe_http_status_code{" L1 "} 503", "status code");
	LINE(t, "probe_http_status_code{" L2 "} 0", "no answer: status 0");
	LINE(t, "probe_http_duration_seconds{" L0 ",phase=\"resolve\"} 0.0015", "resolve phase");
	LINE(t, "probe_http_duration_seconds{" L0 ",phase=\"connect\"} 0.00025", "connect phase");
	LINE(t, "probe_http_duration_seconds{" L0 ",phase=\"tls\"} 0", "tls phase (plain http)");
	LINE(t, "probe_http_duration_seconds{" L0 ",phase=\"processing\"} 0.01",
	     "processing = time to first byte");
	LINE(t, "probe_http_duration_seconds{" L0 ",phase=\"transfer\"} 0.00075",
	     "transfer = the rest: the phases add up to the duration");
	LINE(t, "probe_http_duration_seconds{" L2 ",phase=\"transfer\"} 0",
	     "transfer never negative");
	LINE(t, "probe_dns_lookup_time_seconds{" L0 "} 0.0015", "dns lookup time");
	LINE(t, "probe_ssl_earliest_cert_expiry{" L4 "} 1790000000.5",
	     "certificate expiry in unix seconds");
	NO(t, "probe_ssl_earliest_cert_expiry{" L0, "no certificate known: no line");
	LINE(t, "probe_http_content_length{" L0 "} 1234", "content length");
	LINE(t, "probe_http_redirects{" L0 "} 2", "redirects");
	LINE(t, "probe_ip_protocol{" L0 "} 4", "IPv4");
	LINE(t, "probe_ip_protocol{" L4 "} 6", "IPv6");
	LINE(t, "probe_ip_protocol{" L2 "} 0", "never connected: 0");
	LINE(t, "# TYPE uptop_checks_total counter", "checks_total is a counter");
	LINE(t, "uptop_checks_total{" L0 ",result=\"ok\"} 2", "ok checks counted");
	LINE(t, "uptop_checks_total{" L0 ",result=\"dns\"} 1", "an error class once seen");
	NO(t, "uptop_checks_total{" L0 ",result=\"refused\"}", "classes never seen: no line");
	LINE(t, "uptop_checks_total{" L3 ",result=\"ok\"} 0", "ok from the start");
	LINE(t, "uptop_checks_total{" L4 ",result=\"slow\"} 1", "slow counted as slow");
	LINE(t, "# TYPE uptop_loop_lag_seconds summary", "lag is a summary");
	LINE(t, "uptop_loop_lag_seconds{quantile=\"0.99\"} 0.0125", "lag p99");
	LINE(t, "uptop_loop_lag_seconds_sum 3.5", "lag sum");
	LINE(t, "uptop_loop_lag_seconds_count 1000", "lag count");
	LINE(t, "uptop_overdue_total 7", "overdue");
	LINE(t, "uptop_in_flight 3", "in flight");
	LINE(t, "uptop_queued 11", "queued");
	LINE(t, "uptop_outage_active 0", "no outage");
	LINE(t, "# TYPE uptop_alerts_total counter", "alerts_total is a counter");
	LINE(t, "uptop_alerts_total{result=\"sent\"} 5", "alerts sent");
	LINE(t, "uptop_alerts_total{result=\"failed\"} 2", "alerts failed");
	LINE(t, "uptop_alerts_total{result=\"dropped\"} 1", "alerts dropped");
	LINE(t, "uptop_build_info{version=\"" UPTOP_VERSION "\"} 1", "build info");
}

/* Every sample of a family comes in one group after its HELP and TYPE. */
static void test_grouped(const char *t)
{
	char last[64] = "", seen[64][64];
	size_t nseen = 0;
	bool ok = true, typed = true;

	for (const char *p = t; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p), k = 0;
		char fam[64];

		if (p[0] != '#') {
			while (k < n && k < sizeof(fam) - 1 && p[k] != '{' && p[k] != ' ')
				k++;
			memcpy(fam, p, k);
			fam[k] = '\0';
			if (strncmp(fam, "uptop_loop_lag_seconds", 22) == 0)
				fam[22] = '\0';
			if (strcmp(fam, last) != 0) {
				for (size_t i = 0; i < nseen; i++)
					ok &= strcmp(seen[i], fam) != 0;
				typed &= strcmp(fam, last) != 0 && nseen < 64;
				if (nseen < 64)
					snprintf(seen[nseen++], sizeof(seen[0]), "%s", fam);
				snprintf(last, sizeof(last), "%s", fam);
			}
		} else if (strncmp(p, "# TYPE ", 7) == 0) {
			snprintf(last, sizeof(last), "%.*s", (int)strcspn(p + 7, " "), p + 7);
			for (size_t i = 0; i < nseen; i++)
				ok &= strcmp(seen[i], last) != 0;
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", last);
		}
		p += n + (nl ? 1 : 0);
	}
	OK(ok && typed, "each family's samples are together, after its TYPE (%zu families)", nseen);
	OK(t[0] && t[strlen(t) - 1] == '\n', "the exposition ends with a newline");
}

/* A result that lands mid-scrape does not show in the families left:
 * the scrape is one moment of each target. */
static void test_snapshot(struct model *m, const struct metrics_global *g)
{
	struct metrics_expo *x = metrics_expo_new(m, g);
	char buf[256], *all = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&all, &len);
	bool changed = false;

	while ((n = metrics_expo_fill(x, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, n, f);
		/* shop's state line is out: now it fails with a 500. */
		if (!changed && memmem(buf, n, "state=\"pending\"} 1", 18)) {
			record(m, 0, EC_STATUS, 500, 20, "127.0.0.1");
			changed = true;
		}
	}
	fclose(f);
	metrics_expo_free(x);
	OK(changed, "a result arrived during the scrape");
	LINE(all, "uptop_target_state{" L0 ",state=\"up\"} 1", "the scrape shows shop up");
	LINE(all, "probe_success{" L0 "} 1", "...and probe_success 1");
	LINE(all, "probe_http_status_code{" L0 "} 200", "...with the status of that same check");
	free(all);
	all = render(m, g, 4096);
	LINE(all, "probe_http_status_code{" L0 "} 500", "the next scrape shows the new result");
	LINE(all, "uptop_checks_total{" L0 ",result=\"status\"} 1", "...and counts it");
	free(all);
}

/* Ten thousand targets come out a buffer at a time. */
static void test_many(const struct metrics_global *g)
{
	enum { N = 10000 };
	struct target_conf *c = xcalloc(N, sizeof(*c));
	struct model m;
	struct metrics_expo *x;
	char buf[64 * 1024];
	size_t n, calls = 0, total = 0;
	int64_t worst = 0;

	for (size_t i = 0; i < N; i++) {
		c[i].name = xasprintf("t%05zu", i);
		c[i].url = xasprintf("http://127.0.0.1:8080/ok?n=%zu", i);
		c[i].group = xstrdup("g");
		c[i].failures_before_down = 1;
	}
	model_init(&m, c, N, 0);
	for (uint32_t i = 0; i < N; i += 2)
		record(&m, i, EC_NONE, 200, 12.5, "127.0.0.1");
	x = metrics_expo_new(&m, g);
	for (;;) {
		int64_t t0 = mono_us();

		n = metrics_expo_fill(x, buf, sizeof(buf));
		if (mono_us() - t0 > worst)
			worst = mono_us() - t0;
		if (!n)
			break;
		total += n;
		calls++;
	}
	metrics_expo_free(x);
	OK(calls > 100, "10,000 targets: %zu bytes in %zu calls of 64 KiB", total, calls);
	printf("# slowest call %lld us\n", (long long)worst);
	model_free(&m);
	for (size_t i = 0; i < N; i++) {
		free(c[i].name);
		free(c[i].url);
		free(c[i].group);
	}
	free(c);
}

int main(void)
{
	static const size_t chunks[] = { 1, 7, 100, 333, 4096, 1 << 20 };
	struct metrics_global g = { .lag_q = { 0.001, 0.005, 0.0125 }, .lag_sum_s = 3.5,
				    .lag_count = 1000, .overdue = 7, .in_flight = 3,
				    .queued = 11, .alerts_sent = 5, .alerts_failed = 2,
				    .alerts_dropped = 1 };
	struct model m;
	char *whole;

	confs_init();
	model_init(&m, confs, ARRAY_LEN(confs), 0);
	record(&m, 0, EC_DNS, 0, 2, "");
	record(&m, 0, EC_NONE, 200, 12.5, "127.0.0.1");
	record(&m, 0, EC_NONE, 200, 12.5, "127.0.0.1");
	record(&m, 1, EC_STATUS, 503, 30, "127.0.0.1");
	record(&m, 2, EC_REFUSED, 0, 0.5, "");
	record(&m, 4, EC_SLOW, 200, 900, "::1");
	/* an hour restored from the history: 45 minutes up, 15 down */
	g.now_wall = wall_ms() / 1000 * 1000;   /* whole seconds: hours keep tenths */
	m.v[3].up = xmalloc(sizeof(*m.v[3].up));
	uptime_init(m.v[3].up);
	uptime_add(m.v[3].up, g.now_wall - 3600000, g.now_wall - 2700000, SPAN_DOWN);
	uptime_add(m.v[3].up, g.now_wall - 2700000, g.now_wall, SPAN_UP);
	whole = render(&m, &g, 1 << 20);
	test_values(whole);
	test_grouped(whole);
	for (size_t i = 0; i < ARRAY_LEN(chunks); i++) {
		char *t = render(&m, &g, chunks[i]);

		OK(strcmp(t, whole) == 0, "chunks of %zu bytes give the same exposition",
		   chunks[i]);
		free(t);
	}
	free(whole);
	test_snapshot(&m, &g);
	test_many(&g);
	model_free(&m);
	confs_free();
	return tap_done();
}
