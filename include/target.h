/* target.h - the model: per-target state machine, history, stats.
 * Pure logic, libc only: time comes in as arguments. */
#ifndef UPTOP_TARGET_H
#define UPTOP_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bucket.h"
#include "result.h"

struct target_conf;

enum state {
	STATE_PENDING = 0,   /* never checked: no result yet */
	STATE_UP,
	STATE_DEGRADED,      /* answered correctly, but over max_latency or
			      * with a certificate that expires soon */
	STATE_DOWN,          /* failures_before_down consecutive failures; stays
			      * down until successes_before_up answers in a row */
	STATE_CONFIRMING,    /* failed, but fewer than failures_before_down
			      * times in a row: not yet down, not healthy */
	STATE__COUNT
};

/* "pending", "up", "degraded", "down", "confirming" */
const char *state_name(enum state s);

#define HIST_LEN 32      /* results kept per target (sparkline, p95, detail) */
#define TEVENT_LEN 16    /* state changes kept per target */

struct hist_entry {
	int64_t wall_ms;
	float latency_ms;      /* total_ms */
	int16_t http_status;
	uint8_t cls;           /* enum eclass */
	uint8_t answer;        /* TCP and DNS checks: result_answer_code */
	char *msg;             /* owned; NULL on success */
};

/* What happened. Every kind travels the same way: the model's timeline,
 * the engine's subscribers (on_event), the event view, the event log. A
 * consumer switches on kind and skips kinds it does not know (the next
 * one: reloads). */
enum event_kind {
	EV_STATE = 0,          /* a target changed state: from -> to */
	EV_STALL,              /* uptop itself did not run: u.stall */
	EV_OUTAGE,             /* a mass outage started or ended: u.outage */
	EV_ACK,                /* a person acknowledged a down target; reason:
				* who (a user name) */
	EV_SILENCE,            /* a target's alerts silenced, the silence lifted
				* or run out: u.silence; reason: who ("" when
				* it ran out) */
	EV_MAINT,              /* a maintenance window opened or closed: u.maint;
				* target: its target, or EVENT_NO_TARGET for a
				* global window; reason: the window, in words */
	EV_ALERT,              /* an alert sent, or failed: u.alert; target: the
				* target, or EVENT_NO_TARGET for an outage's
				* alert; from -> to: the transition it tells;
				* reason: "NAME: what happened" (alert names
				* have no ':', event_alert_name splits it) */
	EV_GAP,                /* uptop was not running (restored from the
				* history at start, never told to subscribers):
				* u.gap; wall_ms: when it stopped; reason: the
				* gap in words */
	EV__COUNT
};

enum outage_phase { OUTAGE_END = 0, OUTAGE_START = 1 };
enum silence_phase { SILENCE_SET = 0, SILENCE_LIFTED, SILENCE_EXPIRED };
enum maint_phase { MAINT_END = 0, MAINT_START = 1 };

/* EV_ALERT flags. */
enum {
	ALERT_F_OK = 1 << 0,        /* sent (exit 0, a 2xx); else it failed */
	ALERT_F_REPEAT = 1 << 1,    /* a reminder (repeat:) while still down */
	ALERT_F_OUTAGE = 1 << 2,    /* the one alert of a mass outage */
	ALERT_F_WEBHOOK = 1 << 3,   /* a webhook; else a command */
	ALERT_F_DROPPED = 1 << 4,   /* never started: its queue was full */
};

#define EVENT_NO_TARGET UINT32_MAX

struct event {
	int64_t wall_ms;
	uint32_t target;       /* EV_STATE: index in the model; else EVENT_NO_TARGET */
	uint8_t kind;          /* enum event_kind */
	uint8_t from, to;      /* EV_STATE: enum state */
	uint8_t cls;           /* EV_STATE: enum eclass of the result that caused
				* it; EV_OUTAGE: the class most failures share */
	union {                /* what the kind adds (8 bytes: the rings stay small) */
		uint32_t outage;   /* EV_STATE: the outage open when it happened
				    * (its number, 1, 2, ...), 0: none */
		struct {
			uint32_t ms;       /* how long uptop did not run */
			uint32_t voided;   /* checks in flight voided and re-run */
		} stall;               /* EV_STALL */
		struct {
			uint32_t targets;  /* start: failing; end: affected in all */
			uint16_t hosts;    /* distinct hosts among them at the start */
			uint8_t phase;     /* enum outage_phase */
			uint8_t canary;    /* started because the canary failed */
		} out;                 /* EV_OUTAGE */
		struct {
			uint32_t secs;     /* SILENCE_SET: for how long */
			uint8_t phase;     /* enum silence_phase */
		} silence;             /* EV_SILENCE */
		struct {
			uint32_t targets;  /* targets it mutes */
			uint16_t mins;     /* MAINT_START: minutes it stays open */
			uint8_t phase;     /* enum maint_phase */
			uint8_t reload;    /* closed or opened by a config reload:
					    * the old config's windows close, the
					    * new one's open, at once */
		} maint;               /* EV_MAINT */
		struct {
			uint32_t outage;   /* the outage it tells of (ALERT_F_OUTAGE) */
			uint16_t attempts; /* webhooks: requests made (retries + 1) */
			uint8_t flags;     /* ALERT_F_* */
		} alert;               /* EV_ALERT */
		struct {
			uint32_t secs;     /* how long uptop was not running */
		} gap;                 /* EV_GAP */
	} u;
	char *reason;          /* owned: "class: message", "ok", or the kind's
				* own sentence */
};

/* Keeping quiet on purpose: alerts only; the target is still checked and
 * shown. Kept across a reload (model_adopt) like the rest of the state. */
struct quiet {
	int64_t ack_wall_ms;        /* acknowledged at (0: not); cleared when
				     * the target leaves DOWN */
	char *ack_by;               /* owned: who */
	int64_t mute_until_mono;    /* silenced until (0: not) */
	int64_t mute_until_wall;    /* the same moment, for a person and logs */
	char *mute_by;              /* owned: who */
	int64_t maint_until_wall;   /* in a maintenance window until (0: not) */
};

/* An incident: a time DOWN, from the change to DOWN to the change out of
 * it. A target keeps its newest INCIDENT_LEN (the detail view lists those
 * of the last 7 days; restored from the history at start). */
#define INCIDENT_LEN 32
struct incident {
	int64_t start_ms;      /* wall; 0: began before what the history gave */
	int64_t end_ms;        /* wall; 0: still down */
	uint8_t cls;           /* enum eclass of the result that took it down */
	bool gap;              /* uptop was not running for part of it */
};

struct incidents {
	struct incident v[INCIDENT_LEN];
	unsigned head, n;      /* v[(head - 1) % INCIDENT_LEN] is newest */
};

/* What a target keeps of its last result: struct result without the text
 * only some checks have, which goes to struct result_more, allocated at
 * the first result that has any (an HTTPS check's certificate names, a TCP
 * or DNS check's answer, a URL that differs from the target's). A model of
 * many plain HTTP targets stays small: 10,000 targets touch 6 MB less at
 * start. target_last() gives the whole struct result back. */
struct last_result {
	int64_t start_mono_ms;
	int64_t start_wall_ms;
	int http_status;
	struct timings t;
	uint64_t bytes;
	bool body_found;
	bool body_truncated;
	bool dns_stale;
	bool connected;
	uint8_t cert_depth;
	uint8_t answer_code;             /* result_answer_code() of the result */
	int redirects;
	char remote_ip[RESULT_IP_LEN];
	int64_t cert_not_after_ms;
	int64_t cert_leaf_not_after_ms;
	enum eclass cls;
	char msg[RESULT_MSG_LEN];
	char detail[RESULT_DETAIL_LEN];
};

struct result_more {
	char cert_first_cn[RESULT_CN_LEN];
	char cert_subject[RESULT_CERT_LEN];
	char cert_issuer[RESULT_CERT_LEN];
	char dns_rcode[16];
	char answer[RESULT_ANSWER_LEN];
	char effective_url[RESULT_URL_LEN];   /* "": the target's own URL */
};

struct target {
	const struct target_conf *conf;
	enum state state;
	int64_t since_mono_ms;      /* entered the current state */
	int consecutive_failures;
	int consecutive_successes;  /* answers in a row (for successes_before_up) */
	uint64_t checks, failures;  /* totals since start (uptime = 1 - f/c) */
	uint64_t by_class[EC__COUNT];  /* checks since start by class (EC_NONE: ok);
					 * uptop_checks_total{result} */
	struct last_result last;    /* the last result (target_last: in full) */
	struct result_more *more;   /* owned; NULL until a result had any */
	bool has_last;
	struct hist_entry hist[HIST_LEN];
	unsigned hist_head, hist_n; /* hist[(hist_head - 1) % HIST_LEN] is newest */
	struct event *tev;          /* its state changes, acks, silences: a
				     * ring of TEVENT_LEN, owned; NULL until
				     * the first (a model starts untouched) */
	unsigned tev_head, tev_n;
	struct quiet q;
	/* Uptime is time (bucket.h): each result closes a span from the
	 * previous result's end (acct_wall_ms; 0: none since the start, the
	 * first result opens one) to its own end, in the state the target
	 * held. The last such span, for subscribers (the history): from
	 * span_from_wall_ms (0: this result closed none) to acct_wall_ms. */
	int64_t acct_wall_ms;
	int64_t span_from_wall_ms;
	uint8_t span_kind;          /* enum span_kind */
	struct uptime *up;          /* owned; NULL until the first span */
	struct incidents *inc;      /* owned; NULL until the first incident */
};

#define EVENTLOG_LEN 1000

struct model {
	struct target *v;
	size_t n;
	size_t count[STATE__COUNT];     /* targets per state, kept in O(1) */
	struct event log[EVENTLOG_LEN]; /* the timeline: every event, a ring */
	unsigned log_head, log_n;
	uint64_t checks_done;
	uint32_t outage;                /* the open outage's number, 0: none;
					 * stamped on EV_STATE events */
};

/* Builds a model with one pending target per conf (conf must outlive it). */
void model_init(struct model *m, const struct target_conf *confs, size_t n,
		int64_t now_mono);
void model_free(struct model *m);

/* Moves history of targets whose name is unchanged from `old` to `m`
 * (used on reload); `old` is left without that history. */
void model_adopt(struct model *m, struct model *old);

/* Records one classified result for target i. Returns true and fills *ev
 * (kind EV_STATE, u.outage = m->outage; a copy, the model keeps its own)
 * when the state changed. ev->reason points into the model's log: do not
 * free it; it stays valid until the log wraps or the model is freed. ev
 * may be NULL.
 *
 * The rules: an answer (EC_NONE, EC_SLOW, EC_CERT_EXPIRY) makes the target
 * up (degraded when slow or its certificate expires soon), except that a
 * down target needs successes_before_up answers in a row; any other class
 * adds a consecutive failure and makes it down at failures_before_down,
 * confirming before that. A target is pending only until its first result. */
bool model_record(struct model *m, uint32_t i, const struct result *r,
		  int64_t now_mono, struct event *ev);

/* Adds an event to the timeline only (EV_STALL, EV_OUTAGE, EV_MAINT,
 * EV_ALERT: not the target's own ring), taking ev->reason (malloc'd);
 * ev->reason then points at the model's copy, valid until the log wraps.
 * O(1). */
void model_note(struct model *m, struct event *ev);

/* Quiet on purpose. Each returns true and fills *ev (a copy; its reason
 * borrowed from the model's log, like model_record's) when something
 * changed, keeping the event in the timeline and the target's ring.
 * O(1) and two small allocations.
 *
 * model_ack: only a DOWN target not yet acknowledged; the ack clears
 * itself when the target leaves DOWN (no event: the state change says
 * it). model_silence: sets or replaces a silence until until_mono
 * (until_wall the same moment on the wall clock). model_unsilence: lifts
 * one (SILENCE_LIFTED, by a person) or says it ran out
 * (SILENCE_EXPIRED); false when there is none. */
bool model_ack(struct model *m, uint32_t i, const char *by, int64_t wall,
	       struct event *ev);
bool model_silence(struct model *m, uint32_t i, int64_t until_mono,
		   int64_t until_wall, const char *by, int64_t wall,
		   struct event *ev);
bool model_unsilence(struct model *m, uint32_t i, enum silence_phase why,
		     const char *by, int64_t wall, struct event *ev);
/* Silenced now, or in a maintenance window now: no alerts. */
bool target_silenced(const struct target *t, int64_t now_mono);
bool target_muted(const struct target *t, int64_t now_mono);

/* The alert name of an EV_ALERT event (the reason up to ": ") into buf;
 * what happened is returned (the rest of the reason). */
const char *event_alert_name(const struct event *ev, char *buf, size_t len);

/* t's last result in full, into *r (has_last must be true). O(1). */
void target_last(const struct target *t, struct result *r);

/* k-th newest history entry of t (k = 0 newest); NULL past the end. */
const struct hist_entry *target_hist(const struct target *t, unsigned k);
/* k-th newest state change of t; NULL past the end. */
const struct event *target_event(const struct target *t, unsigned k);
/* k-th newest event of the whole model; NULL past the end. */
const struct event *model_event(const struct model *m, unsigned k);

/* The latency rule of result.h (result_has_latency), read from a
 * target's last result and from a history entry: only a check that got a
 * complete HTTP answer has a latency (up, degraded, or an answer with the
 * wrong status, body or condition). A check that failed without one
 * (refused, timed out, reset, cut after its status line, ...) has none:
 * the time it took to fail is its timings' total, shown apart ("failed
 * after 3.0s"). Both return < 0 for "none". O(1). */
double target_latency(const struct target *t);
double hist_latency(const struct hist_entry *h);

/* 95th percentile of the latencies (hist_latency) of the successful
 * answers in the history (up or degraded); < 0 when there is none. */
double target_p95(const struct target *t);
/* Share of checks that did not fail, in percent; < 0 before any check. */
double target_uptime(const struct target *t);
/* Up share in percent over the last `hours` / `days` (bucket.h's
 * windows, restored from the history at start); < 0: not watched. */
double target_uptime_hours(const struct target *t, int64_t now_wall, int hours);
double target_uptime_days(const struct target *t, int64_t now_wall, int days);

/* k-th newest incident of t (k = 0 newest); NULL past the end. O(1). */
const struct incident *target_incident(const struct target *t, unsigned k);

/* The longest span a result may close (twice the longest interval plus
 * the timeout): longer, uptop was not watching (a stall, a sleep). */
int64_t target_span_limit(const struct target *t);

/* Restoring from the history at start, before the first check: set a
 * target's state (keeping the counts) and push a history entry (its msg
 * taken) or an event into the target's own ring (its reason taken). */
void model_restore_state(struct model *m, uint32_t i, enum state s, int64_t since_mono);
void target_restore_hist(struct target *t, const struct hist_entry *h);
void target_restore_event(struct target *t, struct event *ev);
/* Restoring incidents, oldest first: a state change of t at wall time
 * `wall` into or out of DOWN (others are ignored). Last, for a target
 * restored DOWN, from = to = STATE_DOWN with wall = since: the open
 * incident (opened at `wall` if the events did not) is marked as
 * spanning the gap when `gap`. */
void target_restore_change(struct target *t, int64_t wall, enum state from, enum state to,
			   uint8_t cls, bool gap);

#endif
