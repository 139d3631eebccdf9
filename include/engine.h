/* engine.h - runs the checks: scheduler -> resolver -> probe -> verdict
 * -> model, all on the loop. Shared by --once, --headless and the TUI.
 *
 * The three front ends share one path from "due" to "recorded", and
 * everything that consumes results subscribes here (docs/ARCHITECTURE.md
 * has the whole flow). */
#ifndef UPTOP_ENGINE_H
#define UPTOP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"
#include "target.h"

struct loop;
struct config;
struct engine;
struct sched;
struct sched_stats;
struct outage_status;

struct engine_opts {
	bool once;                 /* every target checked once, all at once */
	const char *dns_servers;   /* NULL: /etc/resolv.conf */
	size_t max_concurrency;    /* 0: from config, else auto */
	unsigned start_per_turn;   /* 0: default (bounds one loop turn) */
};

struct engine_stats {
	uint64_t checks;           /* completed since start */
	double checks_per_sec;     /* over the last few seconds */
	size_t in_flight, queued, queued_peak, cap;
	uint64_t overdue;
	double lag_p50_ms, lag_p99_ms, lag_max_ms;   /* since start */
	double lag_p99_recent_ms;                    /* last minute */
	double longest_turn_ms;
	uint64_t stalls;           /* uptop's own stalls (loop.h) */
	uint64_t checks_voided;    /* checks in flight they voided and re-ran */
};

/* Subscribers: everything that consumes the engine's output (the UI and
 * report today; alerts, history, metrics and the output queue next)
 * registers one struct of callbacks. Either callback may be NULL.
 *
 *   on_result  every finished check, once, after the model recorded it:
 *              `id` indexes the model, `r` is the classified result.
 *              A check voided by a stall has no result (it runs again).
 *   on_event   every event, after the model recorded it in its timeline;
 *              switch on ev->kind and ignore kinds you do not know:
 *                EV_STATE   a target changed state (u.outage: the outage
 *                           open at the time, 0: none)
 *                EV_STALL   uptop did not run (u.stall: ms, checks voided)
 *                EV_OUTAGE  a mass outage started or ended (u.out; the
 *                           rule is in outage.h)
 *                EV_ACK, EV_SILENCE  a person acknowledged or silenced a
 *                           target (engine_ack, engine_silence), or a
 *                           silence ran out
 *                EV_MAINT   a maintenance window opened or closed
 *                EV_ALERT   an alert was sent or failed (the alert module,
 *                           through engine_note)
 *
 * A check's result goes to on_result (every subscriber), then the outage
 * it started or ended (if any) and then its state change (if any) to
 * on_event: the cause before what it caused. A stall's event comes on its
 * own, before the voided checks run again. Subscribers are called in the
 * order they subscribed.
 *
 * The contract. Callbacks run on the loop thread, inside the engine's
 * hot path (up to tens of thousands of results a second), so they:
 *   - never call back into the engine to start, stop or abort checks or
 *     change its config (engine_recheck*, engine_set_paused,
 *     engine_reload, engine_free): that would re-enter the path that is
 *     calling them. The engine stops the program with a message if one
 *     does (a bug, not a condition). Reading is fine: engine_model,
 *     engine_stats, engine_sched_stats, engine_paused.
 *   - never block: no disk I/O, no blocking write, no sleep. A subscriber
 *     that needs I/O owns an fd in the loop or hands the work to a thread.
 *   - cost O(1) per call; heavy work is deferred (the UI only marks
 *     itself dirty and draws on its own timer).
 *   - borrow `r` and `ev` for the call only: copy what you keep
 *     (ev->reason stays valid until the model's timeline wraps).
 * A subscriber lives as long as the engine: there is no unsubscribe. */
struct engine_sub {
	void (*on_result)(void *arg, uint32_t id, const struct result *r);
	void (*on_event)(void *arg, const struct event *ev);
	void *arg;
};

struct engine *engine_new(struct loop *l, const struct config *cfg,
			  const struct engine_opts *o, struct diag *errs);
void engine_free(struct engine *e);
/* Adds a subscriber (the struct is copied); not from inside a callback.
 * O(1) amortised. */
void engine_subscribe(struct engine *e, const struct engine_sub *sub);

const struct model *engine_model(const struct engine *e);
/* The open (or last) mass outage, for the UI's banner. */
const struct outage_status *engine_outage(const struct engine *e);
const struct sched_stats *engine_sched_stats(const struct engine *e);
/* The scheduler, to read which checks are queued or running
 * (sched_busy: the UI's "checking..."); replaced by a reload. */
const struct sched *engine_sched(const struct engine *e);
void engine_stats(const struct engine *e, struct engine_stats *out);

/* --once: every target has one result. */
bool engine_all_checked(const struct engine *e);

/* Keeping quiet on purpose (target.h's struct quiet): each records the
 * change in the model and tells the subscribers (EV_ACK, EV_SILENCE);
 * `by` is who (a user name). Not from a subscriber.
 *   engine_ack        a DOWN target not yet acknowledged: true
 *   engine_ack_all    every such target: how many
 *   engine_silence    silences for `ms` (replacing any silence): true
 *   engine_unsilence  lifts a silence: true when there was one
 * A silence runs out on its own (SILENCE_EXPIRED, from the engine's
 * timer); maintenance windows open and close the same way (EV_MAINT). */
bool engine_ack(struct engine *e, uint32_t id, const char *by);
size_t engine_ack_all(struct engine *e, const char *by);
bool engine_silence(struct engine *e, uint32_t id, int64_t ms, const char *by);
bool engine_unsilence(struct engine *e, uint32_t id, const char *by);

/* An event of another module (EV_ALERT): kept in the model's timeline
 * (taking ev->reason, malloc'd) and told to every subscriber, like the
 * engine's own. Not from a subscriber: a module that learns something
 * inside on_event says it later, from its own timer or fd. */
void engine_note(struct engine *e, struct event *ev);

/* A request that is not a check (a webhook): its name through the
 * engine's resolver, then probe_http on the checks' multi handle, on the
 * loop. done is called exactly once, from the loop; it may come before
 * engine_request returns when the outcome is known at once (a bad URL, a
 * name that does not exist in the cache). Returns a handle for
 * engine_request_cancel (NULL when done was already called). */
struct engine_req;
struct probe_http;
struct probe_http_result;
struct engine_req *engine_request(struct engine *e, const struct probe_http *q,
				  void (*done)(void *arg, const struct probe_http_result *r),
				  void *arg);
/* Forgets a request: no callback. */
void engine_request_cancel(struct engine *e, struct engine_req *r);

/* At start, before the first check, from main (not a subscriber): fn
 * may change the model (the history puts back what it remembers); the
 * engine then counts the silences again and arms their timer. */
void engine_restore(struct engine *e, void (*fn)(void *arg, struct model *m), void *arg);

void engine_recheck(struct engine *e, uint32_t id);
void engine_recheck_all(struct engine *e);
void engine_set_paused(struct engine *e, bool paused);
bool engine_paused(const struct engine *e);

/* At start, before the first check: the outage the last run left open
 * (history_open_outage) ends now, said as an EV_OUTAGE end with `why`,
 * as a reload ends one: its alerts are resolved (alert_restore_outage
 * first) and the timeline does not keep it open. */
void engine_outage_closed(struct engine *e, const char *why);

/* Switches to a new config (the caller keeps ownership of both and frees
 * the old one after). In-flight checks are aborted; targets whose name is
 * unchanged keep their state and history. */
void engine_reload(struct engine *e, const struct config *cfg);

/* The in-flight cap derived from RLIMIT_NOFILE (after raising the soft
 * limit to the hard one at start); `once` keeps no idle connections. */
size_t engine_auto_cap(bool once);

#endif
