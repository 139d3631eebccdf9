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

/* One ring of (down, seen) slot pairs. The hours keep deciseconds in 16
 * bits (an hour is 36,000), the days milliseconds in 32: a target's
 * windows are 952 bytes, not 1,616 (10,000 targets: 6.6 MB less). */
struct ring {
	int64_t *newest, *first;     /* first: the oldest slot with anything */
	void *down, *seen;
	size_t cap;
	bool ds16;                   /* uint16_t deciseconds, else uint32_t ms */
	uint8_t *rem;                /* ds16: the newest slot's ms below a tenth
				      * (down, seen), carried to its next add */
};

static struct ring hours_of(struct uptime *u)
{
	return (struct ring){ &u->hour, &u->hour_first, u->h_down, u->h_seen, UPTIME_HOURS,
			      true, u->h_rem };
}

static struct ring days_of(struct uptime *u)
{
	return (struct ring){ &u->day, &u->day_first, u->d_down, u->d_seen, UPTIME_DAYS,
			      false, NULL };
}

static void slot_clear(const struct ring *r, size_t i)
{
	if (r->ds16)
		((uint16_t *)r->down)[i] = ((uint16_t *)r->seen)[i] = 0;
	else
		((uint32_t *)r->down)[i] = ((uint32_t *)r->seen)[i] = 0;
}

/* Adds ms to slot i of one side, saturating. In tenths, the newest slot
 * carries what is below a tenth to its next add (*rem), so pieces that are
 * never whole tenths do not drift; a slot behind it rounds. */
static void slot_add(const struct ring *r, void *side, size_t i, int64_t ms, uint8_t *rem)
{
	if (ms < 0)
		ms = 0;
	if (r->ds16) {
		uint16_t *v = (uint16_t *)side + i;
		int64_t units = rem ? (ms + *rem) / 100 : (ms + 50) / 100, s;

		if (rem)
			*rem = (uint8_t)((ms + *rem) % 100);
		s = (int64_t)*v + units;
		*v = (uint16_t)(s > UINT16_MAX ? UINT16_MAX : s);
	} else {
		uint32_t *v = (uint32_t *)side + i;
		int64_t s = (int64_t)*v + ms;

		*v = (uint32_t)(s > UINT32_MAX ? UINT32_MAX : s);
	}
}

/* The newest slot is done: what it carried below a tenth rounds in. */
static void ring_settle(const struct ring *r)
{
	size_t i = slot(*r->newest, r->cap);

	for (int k = 0; k < 2; k++) {
		uint16_t *v = (uint16_t *)(k ? r->seen : r->down) + i;

		if (r->rem[k] >= 50 && *v < UINT16_MAX)
			++*v;
		r->rem[k] = 0;
	}
}

/* Moves the newest slot to `to`, clearing the slots it passes, and keeps
 * *first (a window reads from there, not the whole ring: a scrape reads
 * every target's). false: `to` is older than the ring keeps. */
static bool ring_seek(const struct ring *r, int64_t to)
{
	int64_t cap = (int64_t)r->cap;

	if (*r->newest == INT64_MIN || to - *r->newest >= cap) {
		for (size_t i = 0; i < r->cap; i++)
			slot_clear(r, i);
		*r->newest = *r->first = to;
		if (r->rem)
			r->rem[0] = r->rem[1] = 0;
		return true;
	}
	if (to <= *r->newest) {
		if (*r->newest - to >= cap)
			return false;
	} else {
		if (r->rem)
			ring_settle(r);
		while (*r->newest < to)
			slot_clear(r, slot(++*r->newest, r->cap));
	}
	if (*r->first < *r->newest - cap + 1)
		*r->first = *r->newest - cap + 1;
	if (to < *r->first)
		*r->first = to;
	return true;
}

static void ring_add(const struct ring *r, int64_t n, int64_t down_ms, int64_t seen_ms)
{
	bool newest;

	if (!ring_seek(r, n))
		return;
	newest = r->rem && n == *r->newest;
	slot_add(r, r->down, slot(n, r->cap), down_ms, newest ? &r->rem[0] : NULL);
	slot_add(r, r->seen, slot(n, r->cap), seen_ms, newest ? &r->rem[1] : NULL);
}

void uptime_add(struct uptime *u, int64_t from_ms, int64_t to_ms, enum span_kind kind)
{
	struct ring h = hours_of(u), d = days_of(u);
	int64_t t, piece, at = from_ms;

	while (span_next(&at, to_ms, 3600, &t, &piece)) {
		int64_t down = kind == SPAN_DOWN ? piece : 0;

		ring_add(&h, t / 3600, down, piece);
		ring_add(&d, t / 86400, down, piece);
	}
}

void uptime_add_hour(struct uptime *u, int64_t hour_t, int64_t down_ms, int64_t seen_ms)
{
	struct ring h = hours_of(u), d = days_of(u);
	int64_t n = floor_div(hour_t, 3600);

	ring_add(&h, n, down_ms, seen_ms);
	ring_add(&d, floor_div(n * 3600, 86400), down_ms, seen_ms);
}

/* Sums slots first..first+n-1 of one side of a ring, in at most two
 * straight runs (no division per slot: a scrape asks this of every
 * target twice). */
static uint64_t ring_sum(const void *side, bool ds16, size_t cap, size_t first, size_t n)
{
	uint64_t sum = 0;

	while (n) {
		size_t run = cap - first < n ? cap - first : n;

		if (ds16)
			for (size_t j = first; j < first + run; j++)
				sum += ((const uint16_t *)side)[j];
		else
			for (size_t j = first; j < first + run; j++)
				sum += ((const uint32_t *)side)[j];
		n -= run;
		first = 0;
	}
	return sum;
}

static double ring_share(int64_t newest, int64_t first, const void *down, const void *seen,
			 bool ds16, size_t cap, int64_t now_n, int n)
{
	uint64_t d = 0, s = 0;
	int64_t lo = now_n - n + 1, hi = now_n < newest ? now_n : newest;

	if (newest == INT64_MIN)
		return -1;
	/* Only the slots that hold something: first .. newest. */
	if (lo < first)
		lo = first;
	if (lo <= hi) {
		d = ring_sum(down, ds16, cap, slot(lo, cap), (size_t)(hi - lo + 1));
		s = ring_sum(seen, ds16, cap, slot(lo, cap), (size_t)(hi - lo + 1));
	}
	return s ? 100.0 * (1.0 - (double)d / (double)s) : -1;
}

double uptime_hours(const struct uptime *u, int64_t now_ms, int hours)
{
	return ring_share(u->hour, u->hour_first, u->h_down, u->h_seen, true, UPTIME_HOURS,
			  floor_div(now_ms, HOUR_MS), hours);
}

double uptime_days(const struct uptime *u, int64_t now_ms, int days)
{
	return ring_share(u->day, u->day_first, u->d_down, u->d_seen, false, UPTIME_DAYS,
			  floor_div(now_ms, DAY_MS), days);
}
