/* stats.h - a windowed histogram of loop lag (and other small latencies).
 * Pure logic, libc only. Samples land in one of 60 one-second slots, each
 * a log-scaled histogram, so "p99 over the last minute" costs a fixed
 * merge, never a sort of samples. */
#ifndef UPTOP_STATS_H
#define UPTOP_STATS_H

#include <stdint.h>

#define LAG_SLOTS 60
#define LAG_BUCKETS 48

struct lagstat {
	uint32_t b[LAG_SLOTS][LAG_BUCKETS];
	int64_t slot_sec[LAG_SLOTS];   /* which second each slot holds */
	double slot_max[LAG_SLOTS];    /* the largest sample of each slot */
	uint32_t all[LAG_BUCKETS];     /* since start */
	double max_ms;
	uint64_t n;
	double sum_ms;                 /* of every sample since start */
};

void lagstat_init(struct lagstat *s);
/* Adds a sample of `ms` taken at monotonic time now_ms. */
void lagstat_add(struct lagstat *s, double ms, int64_t now_ms);
/* Quantile q (0..1) over the last minute (recent != 0) or since start:
 * the upper bound of the bucket the rank falls in, clamped to the largest
 * sample of the same span, so a quantile never exceeds the maximum
 * (p50 <= p99 <= max always holds); 0 when empty. */
double lagstat_quantile(const struct lagstat *s, double q, int64_t now_ms,
			int recent);

/* The log buckets themselves, for histograms kept elsewhere (the
 * history's latency buckets): the bucket a sample falls in
 * (0..LAG_BUCKETS - 1), and a bucket's upper bound in ms (the last one,
 * above 60 s, has none: INFINITY). O(log LAG_BUCKETS), O(1). */
unsigned stats_bucket_of(double ms);
double stats_bucket_max(unsigned b);

#endif
