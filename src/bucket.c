/* bucket.c - aggregates of checks over time (see bucket.h). */
#include "bucket.h"

#include <math.h>
#include <string.h>

#define HOUR_MS 3600000LL
#define DAY_MS 86400000LL

void hbucket_reset(struct hbucket *b, int64_t t)
{
	memset(b, 0, sizeof(*b));
	b->t = t;
}

void hbucket_check(struct hbucket *b, bool failed, double latency_ms)
{
	b->checks++;
	b->failures += failed;
	if (!(latency_ms >= 0))
		return;
	b->lat[stats_bucket_of(latency_ms)]++;
	b->lat_n++;
	if (latency_ms > b->lat_max_ms)
		b->lat_max_ms = latency_ms;
}

void hbucket_merge(struct hbucket *b, const struct hbucket *a)
{
	b->checks += a->checks;
	b->failures += a->failures;
	for (int k = 0; k < SPAN__COUNT; k++)
		b->ms[k] += a->ms[k];
	b->lat_n += a->lat_n;
	if (a->lat_max_ms > b->lat_max_ms)
		b->lat_max_ms = a->lat_max_ms;
	for (int k = 0; k < LAG_BUCKETS; k++)
		b->lat[k] += a->lat[k];
}

double hbucket_uptime(const struct hbucket *b)
{
	int64_t seen = 0;

	for (int k = 0; k < SPAN__COUNT; k++)
		seen += b->ms[k];
	return seen > 0 ? 1.0 - (double)b->ms[SPAN_DOWN] / (double)seen : -1;
}

size_t hbucket_lat_encode(const uint32_t lat[LAG_BUCKETS], uint8_t *out)
{
	size_t n = 0;

	for (unsigned k = 0; k < LAG_BUCKETS; k++) {
		uint32_t v = lat[k];

		if (!v)
			continue;
		out[n++] = (uint8_t)k;
		do {
			out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
			v >>= 7;
		} while (v);
	}
	return n;
}

int hbucket_lat_decode(uint32_t lat[LAG_BUCKETS], const uint8_t *in, size_t n)
{
	for (size_t at = 0; at < n;) {
		unsigned k = in[at++];
		uint64_t v = 0;
		int shift = 0;

		if (k >= LAG_BUCKETS)
			return -1;
		for (;;) {
			if (at == n || shift > 28)
				return -1;
			v |= (uint64_t)(in[at] & 0x7f) << shift;
			shift += 7;
			if (!(in[at++] & 0x80))
				break;
		}
		if (v > UINT32_MAX - lat[k])
			return -1;
		lat[k] += (uint32_t)v;
	}
	return 0;
}

double hbucket_quantile(const uint32_t lat[LAG_BUCKETS], double max_ms, double q)
{
	uint64_t total = 0, rank, seen = 0;

	for (unsigned k = 0; k < LAG_BUCKETS; k++)
		total += lat[k];
	if (!total)
		return -1;
	q = q > 1 ? 1 : q > 0 ? q : 0;
	rank = (uint64_t)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	for (unsigned k = 0; k < LAG_BUCKETS; k++) {
		seen += lat[k];
		if (seen >= rank) {
			double up = stats_bucket_max(k);

			return up < max_ms ? up : max_ms;
		}
	}
	return max_ms;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

bool span_next(int64_t *from_ms, int64_t to_ms, int64_t width_s, int64_t *bucket_t,
	       int64_t *piece_ms)
{
	int64_t w = width_s * 1000, start, end;

	if (*from_ms >= to_ms)
		return false;
	start = floor_div(*from_ms, w) * w;
	end = start + w < to_ms ? start + w : to_ms;
	*bucket_t = start / 1000;
	*piece_ms = end - *from_ms;
	*from_ms = end;
	return true;
}

/* --- the model's windows ---------------------------------------------- */

void uptime_init(struct uptime *u)
{
	memset(u, 0, sizeof(*u));
	u->hour = INT64_MIN;
	u->day = INT64_MIN;
	u->hour_first = INT64_MAX;
	u->day_first = INT64_MAX;
}

static size_t slot(int64_t n, size_t cap)
{
	int64_t k = n % (int64_t)cap;

	return (size_t)(k < 0 ? k + (int64_t)cap : k);
}

/* Moves a ring's newest slot to `to`, clearing the slots it passes, and
 * keeps *first, the oldest slot that holds anything (a window reads
 * from there, not the whole ring: a scrape reads every target's).
 * false: `to` is older than the ring keeps (nothing to add to). */
static bool ring_seek(int64_t *newest, int64_t *first, uint32_t *a, uint32_t *b, size_t cap,
		      int64_t to)
{
	if (*newest == INT64_MIN || to - *newest >= (int64_t)cap) {
		memset(a, 0, cap * sizeof(*a));
		memset(b, 0, cap * sizeof(*b));
		*newest = *first = to;
		return true;
	}
	if (to <= *newest) {
		if (*newest - to >= (int64_t)cap)
			return false;
	} else {
		while (*newest < to) {
			++*newest;
			a[slot(*newest, cap)] = b[slot(*newest, cap)] = 0;
		}
	}
	if (*first < *newest - (int64_t)cap + 1)
		*first = *newest - (int64_t)cap + 1;
	if (to < *first)
		*first = to;
	return true;
}

static void add_sat(uint32_t *v, int64_t ms)
{
	int64_t s = (int64_t)*v + ms;

	*v = (uint32_t)(s > UINT32_MAX ? UINT32_MAX : s < 0 ? 0 : s);
}

static void ring_add(int64_t *newest, int64_t *first, uint32_t *down, uint32_t *seen,
		     size_t cap, int64_t n, int64_t down_ms, int64_t seen_ms)
{
	if (!ring_seek(newest, first, down, seen, cap, n))
		return;
	add_sat(&down[slot(n, cap)], down_ms);
	add_sat(&seen[slot(n, cap)], seen_ms);
}

static void hour_add(struct uptime *u, int64_t n, int64_t down_ms, int64_t seen_ms)
{
	ring_add(&u->hour, &u->hour_first, u->h_down, u->h_seen, UPTIME_HOURS, n, down_ms,
		 seen_ms);
}

static void day_add(struct uptime *u, int64_t n, int64_t down_ms, int64_t seen_ms)
{
	ring_add(&u->day, &u->day_first, u->d_down, u->d_seen, UPTIME_DAYS, n, down_ms, seen_ms);
}

void uptime_add(struct uptime *u, int64_t from_ms, int64_t to_ms, enum span_kind kind)
{
	int64_t t, piece, at = from_ms;

	while (span_next(&at, to_ms, 3600, &t, &piece)) {
		int64_t down = kind == SPAN_DOWN ? piece : 0;

		hour_add(u, t / 3600, down, piece);
		day_add(u, t / 86400, down, piece);
	}
}

void uptime_add_hour(struct uptime *u, int64_t hour_t, int64_t down_ms, int64_t seen_ms)
{
	int64_t h = floor_div(hour_t, 3600);

	hour_add(u, h, down_ms, seen_ms);
	day_add(u, floor_div(h * 3600, 86400), down_ms, seen_ms);
}

/* Sums slots first..first+n-1 of a ring, in at most two straight runs
 * (no division per slot: a scrape asks this of every target twice). */
static void ring_sum(const uint32_t *down, const uint32_t *seen, size_t cap, size_t first,
		     size_t n, uint64_t *d, uint64_t *s)
{
	while (n) {
		size_t run = cap - first < n ? cap - first : n;

		for (size_t j = first; j < first + run; j++) {
			*d += down[j];
			*s += seen[j];
		}
		n -= run;
		first = 0;
	}
}

static double ring_share(int64_t newest, int64_t first, const uint32_t *down,
			 const uint32_t *seen, size_t cap, int64_t now_n, int n)
{
	uint64_t d = 0, s = 0;
	int64_t lo = now_n - n + 1, hi = now_n < newest ? now_n : newest;

	if (newest == INT64_MIN)
		return -1;
	/* Only the slots that hold something: first .. newest. */
	if (lo < first)
		lo = first;
	if (lo <= hi)
		ring_sum(down, seen, cap, slot(lo, cap), (size_t)(hi - lo + 1), &d, &s);
	return s ? 100.0 * (1.0 - (double)d / (double)s) : -1;
}

double uptime_hours(const struct uptime *u, int64_t now_ms, int hours)
{
	return ring_share(u->hour, u->hour_first, u->h_down, u->h_seen, UPTIME_HOURS,
			  floor_div(now_ms, HOUR_MS), hours);
}

double uptime_days(const struct uptime *u, int64_t now_ms, int days)
{
	return ring_share(u->day, u->day_first, u->d_down, u->d_seen, UPTIME_DAYS,
			  floor_div(now_ms, DAY_MS), days);
}
