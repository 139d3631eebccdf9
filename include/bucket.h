/* bucket.h - aggregates of checks over time: the history's buckets (a
 * minute, an hour) and the model's uptime windows (24 h, 7 d, 30 d).
 * Pure logic, libc only; time comes in as arguments (wall-clock ms).
 *
 * Uptime is time, not checks: how long a target was DOWN out of the time
 * uptop watched it. A result closes a span, from the previous result's
 * end to its own, which counts in the state the target held during it;
 * the first result after a start opens the first span (the time before
 * it, and any span longer than the target's limit, counts in nothing:
 * uptop was not watching). */
#ifndef UPTOP_BUCKET_H
#define UPTOP_BUCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* Where a span's time goes: the states a watched target can be in. */
enum span_kind { SPAN_UP = 0, SPAN_DEGRADED, SPAN_CONFIRMING, SPAN_DOWN, SPAN__COUNT };

/* One bucket of one target (history.h's buckets_1m / buckets_1h row). */
struct hbucket {
	int64_t t;                     /* start, seconds since the epoch */
	uint32_t checks, failures;
	int64_t ms[SPAN__COUNT];       /* time in each state, ms */
	uint32_t lat_n;                /* checks with a latency */
	double lat_max_ms;
	uint32_t lat[LAG_BUCKETS];     /* stats.h's log buckets */
};

/* Empties b and sets its start. */
void hbucket_reset(struct hbucket *b, int64_t t);
/* One check that ended in this bucket; latency_ms < 0: none (no answer). */
void hbucket_check(struct hbucket *b, bool failed, double latency_ms);
/* Adds a's counts to b (any start). O(LAG_BUCKETS). */
void hbucket_merge(struct hbucket *b, const struct hbucket *a);
/* Uptime share over the bucket's watched time (0..1); < 0: none watched. */
double hbucket_uptime(const struct hbucket *b);

/* The histogram's stored form: pairs of (bucket: 1 byte, count: unsigned
 * LEB128), buckets ascending. encode -> bytes written (at most
 * HBUCKET_LAT_MAX); decode adds into lat[] and returns 0, or -1 for bytes
 * that are not such pairs (lat[] then holds what came before). */
#define HBUCKET_LAT_MAX (LAG_BUCKETS * 6)
size_t hbucket_lat_encode(const uint32_t lat[LAG_BUCKETS], uint8_t *out);
int hbucket_lat_decode(uint32_t lat[LAG_BUCKETS], const uint8_t *in, size_t n);
/* Quantile q (0..1) of a histogram of n samples whose largest is max_ms:
 * the upper bound of the bucket the rank (nearest rank) falls in, clamped
 * to max_ms; < 0 when n is 0. O(LAG_BUCKETS). */
double hbucket_quantile(const uint32_t lat[LAG_BUCKETS], double max_ms, double q);

/* Walks a span [*from_ms, to_ms) over buckets `width_s` wide: true with
 * the next piece (its bucket's start in seconds, its length in ms) and
 * *from_ms moved past it; false when nothing is left. */
bool span_next(int64_t *from_ms, int64_t to_ms, int64_t width_s, int64_t *bucket_t,
	       int64_t *piece_ms);

/* The model's uptime windows: DOWN time and watched time per hour for a
 * week (to a tenth of a second: each piece added is rounded to it) and
 * per day (UTC, to the millisecond) for 30 days, in rings. 952 bytes;
 * O(1) to add a span within an hour (O(hours) across hours), O(hours
 * watched) to ask. A window of H hours is the current hour and the H - 1
 * before it (days alike): "24 h" covers between 23 and 24 hours back. */
#define UPTIME_HOURS 168
#define UPTIME_DAYS 30
struct uptime {
	int64_t hour, day;             /* the newest slot's hour / day number */
	int64_t hour_first, day_first; /* the oldest slot with anything in it */
	uint16_t h_down[UPTIME_HOURS], h_seen[UPTIME_HOURS];   /* 0.1 s */
	uint8_t h_rem[2];              /* the newest hour's ms below 0.1 s */
	uint32_t d_down[UPTIME_DAYS], d_seen[UPTIME_DAYS];     /* ms */
};

void uptime_init(struct uptime *u);
/* A span of `kind` (wall ms), split at hour and day edges. */
void uptime_add(struct uptime *u, int64_t from_ms, int64_t to_ms, enum span_kind kind);
/* Totals of a whole hour that ended before now (a restored bucket). */
void uptime_add_hour(struct uptime *u, int64_t hour_t, int64_t down_ms, int64_t seen_ms);
/* Up share in percent over the last `hours` (<= UPTIME_HOURS) or `days`
 * (<= UPTIME_DAYS) before now_ms; < 0 when uptop watched none of it. */
double uptime_hours(const struct uptime *u, int64_t now_ms, int hours);
double uptime_days(const struct uptime *u, int64_t now_ms, int days);

#endif
