/* stats.c - a windowed, log-bucketed histogram of small latencies. */
#include "stats.h"

#include <math.h>
#include <string.h>

/* Upper bounds in ms: a geometric series from 0.05 ms to 60 s, ratio about
 * 1.356, so a quantile is within ~36% of the true value at any scale.
 * The last bucket (LAG_BUCKETS - 1) holds everything above 60 s. */
static const double bucket_max[LAG_BUCKETS - 1] = {
	0.05,   0.06778, 0.09189, 0.1246, 0.1689, 0.229,  0.3104, 0.4208,
	0.5705, 0.7733,  1.048,   1.421,  1.927,  2.612,  3.541,  4.801,
	6.508,  8.823,   11.96,   16.22,  21.98,  29.8,   40.4,   54.77,
	74.25,  100.7,   136.5,   185,    250.8,  340,    460.9,  624.9,
	847.2,  1148,    1557,    2111,   2861,   3879,   5259,   7129,
	9665,   13100,   17760,   24080,  32650,  44260,  60000,
};

void lagstat_init(struct lagstat *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < LAG_SLOTS; i++)
		s->slot_sec[i] = INT64_MIN;
}

/* Binary search over the bounds: O(log LAG_BUCKETS). */
unsigned stats_bucket_of(double ms)
{
	unsigned lo = 0, hi = LAG_BUCKETS - 1;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (ms <= bucket_max[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

double stats_bucket_max(unsigned b)
{
	return b < LAG_BUCKETS - 1 ? bucket_max[b] : INFINITY;
}

static int64_t sec_of(int64_t ms)
{
	return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

static size_t slot_of(int64_t sec)
{
	int64_t k = sec % LAG_SLOTS;

	return (size_t)(k < 0 ? k + LAG_SLOTS : k);
}

/* O(log LAG_BUCKETS); a slot left from a second more than a minute ago is
 * cleared when its index comes round again. Negative or NaN samples count
 * as 0 ms. */
void lagstat_add(struct lagstat *s, double ms, int64_t now_ms)
{
	int64_t sec = sec_of(now_ms);
	size_t slot = slot_of(sec);
	unsigned b;

	if (!(ms >= 0))
		ms = 0;
	b = stats_bucket_of(ms);
	if (s->slot_sec[slot] != sec) {
		memset(s->b[slot], 0, sizeof(s->b[slot]));
		s->slot_sec[slot] = sec;
		s->slot_max[slot] = 0;
	}
	s->b[slot][b]++;
	if (ms > s->slot_max[slot])
		s->slot_max[slot] = ms;
	s->all[b]++;
	s->n++;
	if (ms > s->max_ms)
		s->max_ms = ms;
	s->sum_ms += ms;
}

/* A bucket's upper bound can lie above every sample in it: the bound
 * is clamped to the largest sample seen over the same span. */
static double bucket_upper(unsigned b, double max_ms)
{
	double up = b < LAG_BUCKETS - 1 ? bucket_max[b] : max_ms;

	return up < max_ms ? up : max_ms;
}

/* Nearest rank over merged buckets, clamped to the span's maximum:
 * O(LAG_SLOTS * LAG_BUCKETS) for the last minute (the 60 slots whose
 * second lies in (now - 60 s, now]), O(LAG_BUCKETS) since start. */
double lagstat_quantile(const struct lagstat *s, double q, int64_t now_ms,
			int recent)
{
	uint64_t h[LAG_BUCKETS] = { 0 }, total = 0, rank, seen = 0;
	int64_t sec = sec_of(now_ms);
	double max_ms = recent ? 0 : s->max_ms;

	for (size_t i = 0; recent && i < LAG_SLOTS; i++) {
		if (s->slot_sec[i] == INT64_MIN || s->slot_sec[i] > sec ||
		    sec - s->slot_sec[i] >= LAG_SLOTS)
			continue;
		for (size_t b = 0; b < LAG_BUCKETS; b++)
			h[b] += s->b[i][b];
		if (s->slot_max[i] > max_ms)
			max_ms = s->slot_max[i];
	}
	if (!recent)
		for (size_t b = 0; b < LAG_BUCKETS; b++)
			h[b] = s->all[b];
	for (size_t b = 0; b < LAG_BUCKETS; b++)
		total += h[b];
	if (!total)
		return 0;
	if (!(q > 0))
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;   /* ceil */
	if (rank < 1)
		rank = 1;
	for (unsigned b = 0; b < LAG_BUCKETS; b++) {
		seen += h[b];
		if (seen >= rank)
			return bucket_upper(b, max_ms);
	}
	return bucket_upper(LAG_BUCKETS - 1, max_ms);
}
