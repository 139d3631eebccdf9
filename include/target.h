/* target.h - the model: per-target state machine, history, stats.
 * Pure logic, libc only: time comes in as arguments. */
#ifndef UPTOP_TARGET_H
#define UPTOP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"

struct target_conf;

enum state {
	STATE_PENDING = 0,   /* never checked */
	STATE_UP,
	STATE_DEGRADED,      /* answered correctly but over max_latency */
	STATE_DOWN,          /* failures_before_down consecutive failures */
	STATE__COUNT
};

const char *state_name(enum state s);   /* "pending", "up", "degraded", "down" */

#define HIST_LEN 32      /* results kept per target (sparkline, p95, detail) */
#define TEVENT_LEN 16    /* state changes kept per target */

struct hist_entry {
	int64_t wall_ms;
	float latency_ms;      /* total_ms */
	int16_t http_status;
	uint8_t cls;           /* enum eclass */
	char *msg;             /* owned; NULL on success */
};

/* What happened. Today a state change is the only kind; the next ones
 * (uptop's own stalls, outages, acks, alerts sent or failed, reloads)
 * join this enum and travel the same way: the model's timeline, the
 * engine's subscribers (on_event), the event view. A consumer switches
 * on kind and skips kinds it does not know. */
enum event_kind {
	EV_STATE = 0,          /* a target changed state */
};

struct event {
	int64_t wall_ms;
	uint32_t target;       /* index in the model */
	uint8_t kind;          /* enum event_kind */
	uint8_t from, to;      /* EV_STATE: enum state */
	uint8_t cls;           /* enum eclass of the result that caused it */
	char *reason;          /* owned: "class: message" or "ok" */
};

struct target {
	const struct target_conf *conf;
	enum state state;
	int64_t since_mono_ms;      /* entered the current state */
	int consecutive_failures;
	uint64_t checks, failures;  /* totals since start (uptime = 1 - f/c) */
	uint64_t by_class[EC__COUNT];  /* checks since start by class (EC_NONE: ok);
					 * uptop_checks_total{result} */
	struct result last;         /* the last result in full */
	bool has_last;
	struct hist_entry hist[HIST_LEN];
	unsigned hist_head, hist_n; /* hist[(hist_head - 1) % HIST_LEN] is newest */
	struct event tev[TEVENT_LEN];
	unsigned tev_head, tev_n;
};

#define EVENTLOG_LEN 1000

struct model {
	struct target *v;
	size_t n;
	size_t count[STATE__COUNT];     /* targets per state, kept in O(1) */
	struct event log[EVENTLOG_LEN]; /* the timeline: every event, a ring */
	unsigned log_head, log_n;
	uint64_t checks_done;
};

/* Builds a model with one pending target per conf (conf must outlive it). */
void model_init(struct model *m, const struct target_conf *confs, size_t n,
		int64_t now_mono);
void model_free(struct model *m);

/* Moves history of targets whose name is unchanged from `old` to `m`
 * (used on reload); `old` is left without that history. */
void model_adopt(struct model *m, struct model *old);

/* Records one classified result for target i. Returns true and fills *ev
 * (kind EV_STATE; a copy, the model keeps its own) when the state changed. ev->reason
 * points into the model's log: do not free it; it stays valid until the
 * log wraps or the model is freed. ev may be NULL. */
bool model_record(struct model *m, uint32_t i, const struct result *r,
		  int64_t now_mono, struct event *ev);

/* k-th newest history entry of t (k = 0 newest); NULL past the end. */
const struct hist_entry *target_hist(const struct target *t, unsigned k);
/* k-th newest state change of t; NULL past the end. */
const struct event *target_event(const struct target *t, unsigned k);
/* k-th newest event of the whole model; NULL past the end. */
const struct event *model_event(const struct model *m, unsigned k);

/* 95th percentile of total latency over the history of successful
 * answers; < 0 when there is none. */
double target_p95(const struct target *t);
/* Share of checks that did not fail, in percent; < 0 before any check. */
double target_uptime(const struct target *t);

#endif
