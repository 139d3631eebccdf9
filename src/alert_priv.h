/* alert_priv.h - state shared by alert.c (when to alert: the rules of
 * alert.h) and alert_send.c (how: commands and webhooks, and their
 * outcomes as EV_ALERT events). Never included elsewhere. */
#ifndef UPTOP_ALERT_PRIV_H
#define UPTOP_ALERT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "loop.h"
#include "target.h"

enum {
	AWAIT_NONE = 0,
	AWAIT_OUTAGE,            /* the outage that covered its down ended */
	AWAIT_RESTART,           /* restored DOWN, its down untold: told as a
				  * new down is (alert_wait applies) */
};

/* What one target's alerts know of its current incident. */
struct tstate {
	uint64_t fired;          /* alerts that told of its failure (resolved
				  * goes to these) */
	uint64_t downs;          /* of those, the ones that told of its DOWN
				  * (after a restart: not told twice) */
	int64_t since_wall;      /* the incident began: it went down (or
				  * degraded) */
	int64_t sent_mono;       /* the down alerts went out: reminders count
				  * from here */
	int64_t scanned_mono;    /* reminders due up to here are done */
	int64_t hold_until;      /* mono: its down waits for an outage (0: no) */
	uint32_t outage;         /* the outage whose alert covered its down */
	uint8_t from;            /* the state it went DOWN from */
	bool owed;               /* DOWN and untold: it was quiet, or an
				  * outage's; told when that ends */
	uint8_t await_result;    /* AWAIT_*: its next failure tells of it */
	int32_t hold_at, rem_at; /* its place in holds / rem, -1: none */
};

struct alert_job;

struct alert {
	struct loop *loop;
	struct engine *e;
	const struct config *cfg;
	uint32_t gen;            /* a reload bumps it: jobs of before find
				  * their target by name */
	struct tstate *ts;
	size_t n;
	uint64_t down_mask, up_mask, degraded_mask, repeat_mask, used_mask;
	uint32_t *holds, *rem;   /* targets waiting; targets with reminders */
	size_t nholds, holds_cap, nrem, rem_cap;
	uint32_t outage;         /* the open mass outage, 0: none */
	uint64_t outage_fired;   /* alerts that told of it */
	int64_t outage_since;    /* wall */
	struct event *pend;      /* outcomes to say from the timer */
	size_t npend, pend_cap;
	struct loop_timer timer;
	struct child *child;
	struct alert_job *jobs;  /* commands not yet done */
	struct alert_job *hooks; /* webhooks not yet done (in flight, waiting) */
	unsigned nhooks;
	unsigned hooks_flying;   /* requests in flight */
	uint64_t sent, failed, dropped;
};

/* alert_send.c. Fires alert `idx` of the config with c; target: its
 * index, EVENT_NO_TARGET for an outage's; flags: ALERT_F_REPEAT,
 * ALERT_F_OUTAGE. May be called from on_event: outcomes come later. */
void alert_send(struct alert *a, int idx, const struct alert_ctx *c, uint32_t target,
		uint8_t flags, uint8_t cls);
/* An outcome, said now (not from on_event): EV_ALERT through engine_note. */
void alert_outcome(struct alert *a, struct event *ev);
/* An outcome to say from the timer (safe from anywhere). */
void alert_defer(struct alert *a, struct event *ev);
void alert_send_init(struct alert *a);

/* The timer comes at t, or sooner if it was due sooner already. */
static inline void alert_wake_at(struct alert *a, int64_t t)
{
	if (t < a->timer.due_ms)
		loop_timer_arm(&a->timer, t);
}
void alert_send_free(struct alert *a);
/* Starts the webhook attempts due at now (INT64_MIN: none, only look);
 * returns when the next is due (mono), INT64_MAX: none. */
int64_t alert_hooks_due(struct alert *a, int64_t now);

#endif
