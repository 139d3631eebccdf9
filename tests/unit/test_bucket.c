/* test_bucket.c - the history's aggregates: spans split at bucket edges,
 * checks and latency histograms, the stored histogram form, and the
 * model's uptime windows (hours, days, the gap that counts in neither). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "config.h"
#include "target.h"
#include "tap.h"

#define MIN_MS 60000LL
#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL
/* a Monday at midnight UTC, in ms */
#define T0 1700438400000LL

static void test_span_split(void)
{
	int64_t at = T0 + 30000, t, piece, sum = 0;
	int n = 0;

	/* 30 s into a minute, for 2 min: 30 s, 60 s, 30 s */
	while (span_next(&at, T0 + 150000, 60, &t, &piece)) {
		static const int64_t want_t[] = { T0 / 1000, T0 / 1000 + 60, T0 / 1000 + 120 };
		static const int64_t want_p[] = { 30000, 60000, 30000 };

		if (n < 3) {
			IS_INT(t, want_t[n], "piece's bucket");
			IS_INT(piece, want_p[n], "piece's length");
		}
		sum += piece;
		n++;
	}
	IS_INT(n, 3, "three pieces");
	IS_INT(sum, 120000, "the pieces add up to the span");
	at = T0;
	OK(!span_next(&at, T0, 60, &t, &piece), "an empty span has no piece");
	at = T0 + 5;
	OK(!span_next(&at, T0, 60, &t, &piece), "a backwards span has no piece");
}

static void test_checks(void)
{
	struct hbucket b, c;

	hbucket_reset(&b, 60);
	for (int i = 0; i < 90; i++)
		hbucket_check(&b, false, 10.0);
	for (int i = 0; i < 10; i++)
		hbucket_check(&b, false, 900.0);
	hbucket_check(&b, true, -1);       /* refused: no latency */
	hbucket_check(&b, true, 50.0);     /* a 500: an answer, timed */
	IS_INT(b.checks, 102, "checks");
	IS_INT(b.failures, 2, "failures");
	IS_INT(b.lat_n, 101, "latencies: the answers only");
	OK(hbucket_quantile(b.lat, b.lat_max_ms, 0.5) <= 11.96 &&
	   hbucket_quantile(b.lat, b.lat_max_ms, 0.5) >= 10.0, "p50 within its bucket");
	OK(fabs(hbucket_quantile(b.lat, b.lat_max_ms, 0.95) - 900.0) < 1e-9,
	   "p95 clamped to the largest sample");
	hbucket_reset(&c, 0);
	OK(hbucket_quantile(c.lat, 0, 0.5) < 0, "no samples: no quantile");
	OK(hbucket_uptime(&c) < 0, "nothing watched: no uptime");
	c.ms[SPAN_UP] = 45000;
	c.ms[SPAN_DOWN] = 15000;
	OK(fabs(hbucket_uptime(&c) - 0.75) < 1e-9, "uptime is time: 45 s of 60 up");
	hbucket_merge(&c, &b);
	IS_INT(c.checks, 102, "merge adds checks");
	IS_INT(c.lat_n, 101, "merge adds latencies");
}

static void test_lat_blob(void)
{
	uint32_t lat[LAG_BUCKETS] = { 0 }, back[LAG_BUCKETS] = { 0 };
	uint8_t buf[HBUCKET_LAT_MAX];
	size_t n;

	lat[0] = 1;
	lat[7] = 300;
	lat[LAG_BUCKETS - 1] = UINT32_MAX;
	n = hbucket_lat_encode(lat, buf);
	IS_INT(n, 2 + 3 + 6, "sparse: bucket byte + varint per non-empty bucket");
	IS_INT(hbucket_lat_decode(back, buf, n), 0, "decodes");
	OK(memcmp(lat, back, sizeof(lat)) == 0, "round trip");
	IS_INT(hbucket_lat_decode(back, buf, n - 1), -1, "a cut varint is refused");
	buf[0] = LAG_BUCKETS;
	IS_INT(hbucket_lat_decode(back, buf, n), -1, "a bucket out of range is refused");
	IS_INT(hbucket_lat_encode((uint32_t[LAG_BUCKETS]){ 0 }, buf), 0, "empty: no bytes");
}

static void test_uptime_windows(void)
{
	struct uptime u;
	int64_t now;

	uptime_init(&u);
	OK(uptime_hours(&u, T0, 24) < 0, "never watched: no uptime");
	/* 10 h up, then 2 h down (the hours T0+10h .. T0+12h) */
	uptime_add(&u, T0, T0 + 10 * HOUR_MS, SPAN_UP);
	uptime_add(&u, T0 + 10 * HOUR_MS, T0 + 12 * HOUR_MS, SPAN_DOWN);
	now = T0 + 12 * HOUR_MS - 1;
	OK(fabs(uptime_hours(&u, now, 24) - 100.0 * 10 / 12) < 1e-9, "24 h: 10 of 12 h up");
	OK(fabs(uptime_hours(&u, now, 1) - 0.0) < 1e-9, "the last hour: down");
	/* uptop stops for 3 days: the gap counts in neither */
	now = T0 + 3 * DAY_MS + 12 * HOUR_MS;
	uptime_add(&u, now - HOUR_MS, now, SPAN_UP);
	OK(fabs(uptime_hours(&u, now - 1, 24) - 100.0) < 1e-9,
	   "24 h after a gap: only the hour watched, up");
	OK(fabs(uptime_hours(&u, now - 1, UPTIME_HOURS) - 100.0 * 11 / 13) < 1e-9,
	   "7 d: 11 of 13 watched hours up, the gap in neither");
	OK(fabs(uptime_days(&u, now - 1, 30) - 100.0 * 11 / 13) < 1e-9, "30 d agrees");
	/* a restored hour bucket */
	uptime_init(&u);
	uptime_add_hour(&u, (T0 - HOUR_MS) / 1000, 900000, 3600000);
	OK(fabs(uptime_hours(&u, T0, 24) - 75.0) < 1e-9, "a restored hour: 15 min down");
	/* more than a week ago: out of the hours, in the days */
	uptime_add(&u, T0 + 9 * DAY_MS, T0 + 9 * DAY_MS + HOUR_MS, SPAN_UP);
	OK(fabs(uptime_hours(&u, T0 + 9 * DAY_MS + HOUR_MS, UPTIME_HOURS) - 100.0) < 1e-9,
	   "7 d forgets the hour 9 days back");
	OK(fabs(uptime_days(&u, T0 + 9 * DAY_MS + HOUR_MS, 30) - 87.5) < 1e-9,
	   "30 d still has it");
}

/* The model closes spans: the first result opens one, a gap longer than
 * the limit closes none. */
static void test_model_spans(void)
{
	struct target_conf conf;
	struct model m;
	struct result r;

	memset(&conf, 0, sizeof(conf));
	conf.name = (char *)"a";
	conf.interval_ms = 30000;
	conf.interval_down_ms = 30000;
	conf.timeout_ms = 5000;
	conf.failures_before_down = 1;
	conf.successes_before_up = 1;
	model_init(&m, &conf, 1, 0);
	memset(&r, 0, sizeof(r));
	r.start_wall_ms = T0;
	r.http_status = 200;
	model_record(&m, 0, &r, 0, NULL);
	IS_INT(m.v[0].span_from_wall_ms, 0, "the first result closes no span");
	r.start_wall_ms = T0 + 30000;
	r.cls = EC_REFUSED;
	model_record(&m, 0, &r, 30000, NULL);
	IS_INT(m.v[0].span_from_wall_ms, T0, "the second closes the span since the first");
	IS_INT(m.v[0].span_kind, SPAN_UP, "in the state held during it (up)");
	r.start_wall_ms = T0 + 60000;
	model_record(&m, 0, &r, 60000, NULL);
	IS_INT(m.v[0].span_kind, SPAN_DOWN, "then down");
	OK(fabs(target_uptime_hours(&m.v[0], T0 + 60000, 24) - 50.0) < 1e-9,
	   "30 s up, 30 s down: half");
	r.start_wall_ms = T0 + 60000 + target_span_limit(&m.v[0]) + 1;
	model_record(&m, 0, &r, 120000, NULL);
	IS_INT(m.v[0].span_from_wall_ms, 0, "a span past the limit counts in nothing");
	OK(fabs(target_uptime_hours(&m.v[0], T0 + 60000, 24) - 50.0) < 1e-9,
	   "the gap changed nothing");
	model_free(&m);
}

/* The straight-run sum against the plain definition: slot by slot over
 * the window, skipping what the ring no longer (or not yet) holds. Random
 * histories wrap the ring many times, restored hours land behind the
 * newest, windows reach past both ends. */
static double share_by_slot(const struct uptime *u, int64_t now_ms, int hours)
{
	int64_t now_n = now_ms / HOUR_MS;
	uint64_t d = 0, s = 0;

	for (int64_t k = now_n - hours + 1; k <= now_n; k++) {
		if (u->hour == INT64_MIN || k > u->hour || u->hour - k >= UPTIME_HOURS)
			continue;
		d += u->h_down[k % UPTIME_HOURS];
		s += u->h_seen[k % UPTIME_HOURS];
	}
	return s ? 100.0 * (1.0 - (double)d / (double)s) : -1;
}

static void test_uptime_runs(void)
{
	struct uptime u;
	unsigned seed = 12345, bad = 0, cases = 0;
	int64_t at = T0;

	uptime_init(&u);
	for (int i = 0; i < 3000; i++) {
		int64_t len = (int64_t)((seed = seed * 1103515245u + 12345u) >> 8) % (9 * HOUR_MS);
		int kinds[] = { SPAN_UP, SPAN_DOWN };

		uptime_add(&u, at, at + len, kinds[(seed >> 3) & 1]);
		at += len;
		/* now and then a restored hour from the past, in the ring or not */
		if (i % 7 == 0) {
			int64_t back = (int64_t)(seed >> 12) % 200;

			uptime_add_hour(&u, (at / HOUR_MS - back) * 3600, 1000 * back, 3600000);
		}
		for (int back = 0; back < 3; back++) {
			int64_t now = at + back * 50 * HOUR_MS;
			int hours[] = { 1, 24, 100, UPTIME_HOURS };

			for (size_t h = 0; h < ARRAY_LEN(hours); h++) {
				double a = uptime_hours(&u, now, hours[h]);
				double b = share_by_slot(&u, now, hours[h]);

				cases++;
				if (!(fabs(a - b) < 1e-9))
					bad++;
			}
		}
	}
	OK(bad == 0, "uptime over hours: straight runs agree with slot by slot (%u of %u differ)",
	   bad, cases);
}

/* Hours keep tenths of a second: a day of 8,640 checks whose spans are
 * never whole tenths (9,949 ms up, 10,051 ms down, ...) still reads
 * within 0.01 points of the exact share; days keep milliseconds. */
static void test_uptime_precision(void)
{
	struct uptime u;
	int64_t at = T0, up = 0, all = 0;

	uptime_init(&u);
	for (int i = 0; i < 8640; i++) {
		int64_t len = i % 3 ? 9949 + i % 7 : 10051 - i % 5;
		bool down = i % 3 == 0;

		uptime_add(&u, at, at + len, down ? SPAN_DOWN : SPAN_UP);
		at += len;
		all += len;
		up += down ? 0 : len;
	}
	OK(fabs(uptime_hours(&u, at, UPTIME_HOURS) - 100.0 * (double)up / (double)all) < 0.01,
	   "a week in tenths of a second: %.4f%% against the exact %.4f%%",
	   uptime_hours(&u, at, UPTIME_HOURS), 100.0 * (double)up / (double)all);
	OK(fabs(uptime_days(&u, at, 30) - 100.0 * (double)up / (double)all) < 1e-9,
	   "30 d to the millisecond: %.6f%%", uptime_days(&u, at, 30));
	OK(sizeof(struct uptime) <= 960, "a target's windows take %zu bytes",
	   sizeof(struct uptime));
}

int main(void)
{
	test_span_split();
	test_checks();
	test_lat_blob();
	test_uptime_windows();
	test_uptime_runs();
	test_uptime_precision();
	test_model_spans();
	return tap_done();
}
