/* alert.h - alerts that reach people: a command or a webhook when a
 * target goes down, reminders while it stays down, resolved when it
 * answers again; quiet on purpose (acknowledged, silenced, maintenance);
 * one alert for a mass outage instead of one per target.
 *
 * An engine subscriber (on_event): it never blocks and never re-enters
 * the engine from there. What it starts (child.h for commands, probe's
 * requests for webhooks) ends later on the loop, and each end becomes an
 * EV_ALERT event (sent, or failed with the reason) through engine_note,
 * from the alert's own timer or a completion callback, never from inside
 * on_event. An alert that fails never touches a target's state.
 *
 * The rules, per target and alert (the alert's on: and the target's
 * alerts: choose which alerts):
 *   down      the target goes DOWN: the alert fires, unless the target is
 *             silenced or in maintenance (then it fires when the quiet
 *             ends, if the target is still down and nobody acknowledged
 *             it). A down caused by a network failure (outage.h's
 *             classes) waits settings.alert_wait first: if a mass outage
 *             opens meanwhile, the outage's one alert tells of it.
 *   repeat    while still DOWN, every `repeat` after the first alert,
 *             unless acknowledged or quiet.
 *   up        resolved: the target answers again (UP, or DEGRADED) after
 *             this alert told of its failure; not when it is quiet.
 *   degraded  the target goes DEGRADED.
 *   outage    a mass outage opens: one alert ("mass outage", every alert
 *             some target uses, that has down in on:); its targets'
 *             own downs stay unsent. When it ends: resolved for it, and
 *             each target still DOWN alerts on its own.
 *
 * What a command gets: argv as configured (never a shell), the event as
 * one JSON line on stdin, and UPTOP_* variables (README lists them); a
 * webhook: its url, headers and body with [NAME], [STATE], ... (and
 * Gatus' custom provider's [ENDPOINT_NAME], ...) replaced, JSON-escaped
 * when the body is JSON. */
#ifndef UPTOP_ALERT_H
#define UPTOP_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alert;
struct config;
struct engine;
struct loop;

/* At most this many commands run at once; the rest wait, this many at
 * most (past that an alert is dropped: counted, and an alert_failed). */
#define ALERT_CMD_RUNNING 4
#define ALERT_CMD_QUEUED 1000
/* Webhook retries: after 1 s, 5 s, 25 s (four attempts in all). At most
 * ALERT_HOOK_RUNNING requests in flight (each holds a socket beside the
 * checks'); the rest wait, ALERT_HOOK_QUEUED webhooks at most in all. */
#define ALERT_HOOK_ATTEMPTS 4
#define ALERT_HOOK_RUNNING 16
#define ALERT_HOOK_QUEUED 1000

/* Subscribes to the engine (not from a subscriber). Webhooks go through
 * engine_request. */
struct alert *alert_new(struct loop *l, struct engine *e, const struct config *cfg);
/* After engine_reload: the new config's alerts; what each target was
 * told (for reminders and resolved) follows it by name, and by alert
 * name. */
void alert_reload(struct alert *a, const struct config *cfg);
/* After SIGCHLD: commands that ended. */
void alert_reap(struct alert *a);

/* At start, after alert_new and before the first check: what the last
 * run's alerts told (history_told's rows) comes back, so that a restart
 * changes nothing for the person paged. A target restored DOWN whose
 * down an alert told gets no second down alert from it; its reminders
 * go on from the last one sent (one that fell due while uptop was not
 * running comes once, at once, not one per repeat missed); resolved
 * goes to the alerts that told of its failure when it answers. A down
 * an alert did not tell of (it was quiet, or an outage's, or uptop
 * stopped before the alert went out) is told as a new down is: at its
 * next failure (settings.alert_wait applies), or when the quiet ends;
 * an acknowledged one is not. A target restored DEGRADED: resolved goes
 * to the alerts that told of it. Alerts and targets are matched by name
 * (a renamed or removed alert is not restored). O(rows + targets). */
struct history_told;
void alert_restore(struct alert *a, const struct history_told *v, size_t n);

/* The mass outage the last run left open (history_open_outage): the
 * alerts that told of its start, and those with only `up` then, get its
 * resolved when engine_outage_closed ends it (call that next, before the
 * first check). None told of it: nothing is sent. Alerts are matched by
 * name. O(alerts). */
struct history_outage;
void alert_restore_outage(struct alert *a, const struct history_outage *o);

struct alert_stats {
	uint64_t sent, failed;       /* outcomes (a webhook's: after its retries) */
	uint64_t dropped;            /* never started: the queue was full */
	unsigned running;            /* commands running, webhooks in flight */
	size_t queued;               /* commands waiting */
};
void alert_stats(const struct alert *a, struct alert_stats *out);

/* Commands still running get SIGTERM; webhooks in flight are cancelled;
 * nothing more is said. NULL is a no-op. */
void alert_free(struct alert *a);

/* What one target's rows of history_told (oldest first) say its alerts
 * told, as alert.c keeps it (alert_restore's fold: pure, unit-tested).
 * alerts: the target's (a bit per config alert; rows of others are
 * left out). */
struct alert_recall {
	uint64_t fired;       /* alerts that told of its failure (down, or
			       * degraded): resolved goes to these */
	uint64_t downs;       /* of those, the ones that told of its DOWN */
	int64_t since_wall;   /* the incident began (0: not in the rows) */
	int64_t sent_wall;    /* the last down alert or reminder of an
			       * alert with repeat: 0 none */
	uint8_t from;         /* the state it went DOWN from (STATE_UP when
			       * the rows do not say) */
};
void alert_recall(const struct config *cfg, uint64_t alerts, const struct history_told *v,
		  size_t n, struct alert_recall *out);

/* --- the text of one alert (alert_text.c): pure, unit-tested ---------- */

/* Everything one alert tells. Strings are raw (never NULL); the renderers
 * escape them for where they go. */
struct alert_ctx {
	const char *alert;         /* the alert's name */
	const char *name;          /* the target's; an outage's: "mass outage" */
	const char *group;         /* "" for none */
	const char *url;           /* with any password as *** */
	int from, to;              /* enum state: the transition told */
	const char *error_class;   /* of the result behind it; "" when none */
	const char *error;         /* its message; "" when none */
	const char *error_detail;  /* the library's text behind it; "" when none */
	const char *description;   /* one sentence: "shop is down: refused: ..." */
	int64_t time_wall;         /* when it happened */
	int64_t since_wall;        /* when the incident began (it went down
				    * or degraded) */
	uint32_t outage;           /* the mass outage it is about, 0: none */
	bool repeat;               /* a reminder */
	bool resolved;             /* it answers again (UP, or DEGRADED after
				    * DOWN): [ALERT_TRIGGERED_OR_RESOLVED] */
};

enum alert_esc {
	ALERT_ESC_NONE = 0,        /* as it is (a text body) */
	ALERT_ESC_JSON,            /* inside a JSON string: \" \\ \n \uXXXX */
	ALERT_ESC_URL,             /* percent-encoded (a URL) */
	ALERT_ESC_HEADER,          /* control characters as spaces (a header) */
};

/* tmpl with every placeholder replaced, escaped by `how` (malloc'd):
 * [NAME] [GROUP] [URL] [STATE] [OLD_STATE] [ERROR_CLASS] [ERROR] [TIME]
 * [SINCE] [ALERT] [ERROR_DETAIL], and Gatus' custom provider's [ENDPOINT_NAME]
 * [ENDPOINT_GROUP] [ENDPOINT_URL] [ALERT_DESCRIPTION] [RESULT_ERRORS]
 * [ALERT_TRIGGERED_OR_RESOLVED]. Anything else in brackets stays. */
char *alert_expand(const char *tmpl, const struct alert_ctx *c, enum alert_esc how);
/* The UPTOP_* variables of a command, "NAME=value" each (malloc'd, a
 * NULL-terminated array; *n of them): UPTOP_NAME UPTOP_GROUP UPTOP_URL
 * UPTOP_OLD UPTOP_NEW UPTOP_ERROR_CLASS UPTOP_ERROR UPTOP_ERROR_DETAIL
 * UPTOP_TIME UPTOP_SINCE UPTOP_OUTAGE UPTOP_ALERT UPTOP_REPEAT
 * UPTOP_DESCRIPTION. */
char **alert_env(const struct alert_ctx *c, size_t *n);
void alert_env_free(char **env);
/* The event as one JSON line ('\n'-terminated, malloc'd), a command's
 * stdin: {"alert":S,"name":S,"group":S,"url":S,"transition":S,"old":S,
 * "new":S,"error_class":S|null,"error":S|null,"error_detail":S|null,
 * "description":S,"time":T,
 * "since":T,"outage":N|null,"repeat":B,"resolved":B}. */
char *alert_json_line(const struct alert_ctx *c, size_t *len);

#endif
