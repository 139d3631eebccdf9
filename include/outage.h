/* outage.h - one alarm for a mass outage: when the jump box itself loses
 * its network or its resolver, every target fails at once, and what the
 * operator needs is one line that says so, not a wall of DOWN (each
 * state change is still reported: nothing is merged or dropped).
 *
 * Pure logic, libc only (and the config vocabulary): the engine feeds
 * every classified result, time comes in as arguments, and unit tests
 * drive it with synthetic results.
 *
 * The rule. A result is a network failure when its class is one of dns,
 * refused, connect, connect_timeout, timeout, reset (the ways a check
 * fails when the path to the target is gone); any other result is an
 * answer, proof that the path works; local (uptop's own limits) is
 * neither. A target's network-failure streak begins at the first such
 * failure after an answer (or its first check). An outage starts when
 * either
 *   - the canary (settings.canary) has failed with a network class
 *     failures_before_down times in a row (its own setting), or
 *   - for some moment s in the last OUTAGE_WINDOW_S seconds, at least
 *     OUTAGE_MIN_TARGETS targets on at least OUTAGE_MIN_HOSTS distinct
 *     hosts (URL host names, ports aside) began a streak since s, and
 *     they are at least OUTAGE_SHARE_PCT percent of the targets checked
 *     since s (them, and those whose latest result since s is an answer).
 * A single service going down keeps to one host, however many targets
 * it has; a few unrelated failures among answers stay far below 80%;
 * targets that were already failing before s count neither way.
 * It ends when more than half of the targets it affected (failing at
 * its start, or beginning a streak while it is open) answer again, and
 * the canary, if there is one, answers. */
#ifndef UPTOP_OUTAGE_H
#define UPTOP_OUTAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"

struct target_conf;
struct outage;

#define OUTAGE_WINDOW_S 60
#define OUTAGE_MIN_TARGETS 5
#define OUTAGE_MIN_HOSTS 3
#define OUTAGE_SHARE_PCT 80

enum outage_change { OUTAGE_SAME = 0, OUTAGE_STARTED, OUTAGE_ENDED };

/* The open outage (or the last one, once ended). */
struct outage_status {
	bool open;
	bool by_canary;        /* the canary started it */
	uint32_t number;       /* 1, 2, ... (0: none yet) */
	int64_t since_ms;      /* monotonic: when it started */
	int64_t ended_ms;      /* monotonic: when it ended (0 while open) */
	uint32_t targets;      /* affected: failing at the start or since */
	uint32_t back;         /* of those, answering again */
	uint32_t hosts;        /* distinct hosts among the affected at the start */
	unsigned span_s;       /* the failures at the start began within this */
	uint8_t cls;           /* the network class most targets fail with now */
};

/* One per config: `canary` is a target's name or NULL (config load made
 * sure it exists). O(n) time and memory: each target's host is parsed
 * from its URL once. */
struct outage *outage_new(const struct target_conf *t, size_t n,
			  const char *canary);
void outage_free(struct outage *o);

/* One classified result of target id at monotonic now_ms. O(1), plus
 * O(OUTAGE_WINDOW_S) when a network failure arrives with no outage open,
 * plus O(n) once when an outage starts (marking the affected). */
enum outage_change outage_feed(struct outage *o, uint32_t id, enum eclass cls,
			       int64_t now_ms);

const struct outage_status *outage_status(const struct outage *o);

/* One sentence on the open outage (after OUTAGE_STARTED) or the one that
 * just ended (after OUTAGE_ENDED), for the event's reason. */
void outage_reason(const struct outage *o, char *buf, size_t len);

/* dns, refused, connect, connect_timeout, timeout, reset. */
bool outage_is_network(enum eclass c);

/* The host of an http(s) URL, lower case, without user info, port or
 * brackets' contents changed ("[::1]" stays "[::1]"). "" when there is
 * none. */
void outage_url_host(const char *url, char *buf, size_t len);

#endif
