/* history.h - memory across restarts: a SQLite database of every event,
 * the last result of every target and per-target aggregates by time
 * bucket (settings.history, --history PATH, --no-history). The only
 * module that includes sqlite3.h.
 *
 * Two sides, two threads:
 *   - the loop: history_open and history_restore at start-up, before the
 *     first check (the only reads, and the only disk I/O the loop thread
 *     ever does for history); then history_result / history_event put
 *     compact records on the writer's queue (writer.h): O(1), no I/O;
 *     and a target's whole row of `last`, from the model, on a state
 *     change and at most every HISTORY_LAST_EVERY_MS besides (and for
 *     every target still behind at a clean stop: history_stop).
 *   - the writer thread: the sink. It owns the connection after
 *     history_attach, writes events and rows of `last` as they come,
 *     commits about once a second, prunes in small steps, and records
 *     the run's heartbeat so the time uptop was not running is a gap. It
 *     adds each target's checks to one open minute in memory and writes
 *     that minute, as a delta added to both its minute row and its hour
 *     row in one transaction (so an hour always holds what its minutes
 *     hold), when the target's checks move on to a later minute, or
 *     HISTORY_AGG_LAG_S after the minute ended, or at a clean stop. A
 *     target costs two row writes a minute and a row of `last`, not three
 *     row writes a check.
 *
 * What a kill -9 loses: events, state changes (with their row of
 * `last`), acknowledgements, silences and the heartbeat: the last second
 * or so. The counts (buckets): at most the current minute and the one
 * before (HISTORY_FINE_S + HISTORY_AGG_LAG_S). The last result and the
 * sparkline: at most the last HISTORY_LAST_EVERY_MS of results.
 *
 * The file: WAL journal, synchronous=NORMAL (a crash loses at most the
 * last commits, never the file's integrity), busy_timeout 50 ms. One
 * uptop per file: an flock(LOCK_EX|LOCK_NB) on the database file itself
 * (an open file description of our own, never closed while the
 * connection lives; SQLite's own locks are fcntl locks and do not mix
 * with it); a second uptop is told "in use" at once and runs without
 * history. Readers (`uptop report`) need no lock: WAL lets them read
 * while uptop writes.
 *
 * The schema (user_version 1). Times: `time`, `start`, `stop`, `since`,
 * `until` are wall-clock milliseconds since the epoch; a bucket's `t` is
 * its start in seconds since the epoch (a multiple of 60 or 3600).
 * States: 'pending', 'up', 'degraded', 'down', 'confirming'. Classes:
 * result.h's eclass_name ('dns', 'refused', 'timeout', ...), NULL for
 * success.
 *
 *   targets(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,
 *           grp TEXT NOT NULL, url TEXT NOT NULL,   -- credentials redacted
 *           first_seen, last_seen)                  -- wall ms
 *       Keyed by name: a renamed target is a new row; a removed or
 *       renamed target's rows stay until retention prunes them.
 *       last_seen: set at start and every hour a run goes on.
 *
 *   runs(id INTEGER PRIMARY KEY, start, stop, clean, pid, version)
 *       One row per run of uptop with history. `stop` is the last
 *       heartbeat (every commit) and the exit's time on a clean stop
 *       (clean = 1); after a crash it is the last commit. The time
 *       between one run's stop and the next one's start is a gap: never
 *       up, never down.
 *
 *   events(id INTEGER PRIMARY KEY, time, run, target,  -- target: NULL for
 *                                                         uptop's own
 *          kind TEXT,   -- 'state','stall','outage','ack','silence',
 *                       -- 'maintenance','alert','alert_failed'
 *          from_state, to_state,   -- 'state' (and the state at the time)
 *          class,                  -- of the result that caused it
 *          message,                -- the reason, as the event log says it
 *          who,                    -- ack, silence: the user
 *          until,                  -- silence set: until (wall ms);
 *                                  -- maintenance start: its end
 *          value,                  -- stall: ms; outage: targets; alert:
 *                                  -- attempts
 *          phase)                  -- outage/maintenance: 'start'/'end';
 *                                  -- silence: 'set'/'lifted'/'expired'
 *       Every event, as the event log has it. Indexed by (time) and
 *       (target, time).
 *
 *   last(target PRIMARY KEY, time,          -- the check's start
 *        state, since,                      -- state and when it began
 *        http_status, class, message,       -- the last result
 *        latency_ms,                        -- NULL: no answer to time
 *        total_ms, failures_in_row, successes_in_row,
 *        recent BLOB)                       -- the sparkline (below)
 *
 *   quiet(target PRIMARY KEY, ack_time, ack_by, mute_until, mute_by)
 *       Acknowledgements and silences in force (0: none); an ack ends
 *       when the target leaves DOWN, a silence at mute_until.
 *
 *   buckets_1m(t, target, checks, failures,
 *              up_ms, degraded_ms, confirming_ms, down_ms,
 *              lat_n, lat_max_ms, lat BLOB, PRIMARY KEY(t, target))
 *   buckets_1h(... the same ...)              WITHOUT ROWID, both
 *       Per target and minute (kept HISTORY_FINE_KEEP_S, 48 h) and hour
 *       (kept settings.retention, default 90 days). A check counts in
 *       the bucket where it ended: `checks`, `failures` (every failing
 *       class; slow is not a failure). The *_ms columns are how long the
 *       target was in each state while uptop watched, split at bucket
 *       edges; their sum is the watched time, so
 *       uptime = 1 - down_ms / (up_ms + degraded_ms + confirming_ms +
 *       down_ms). A span longer than twice the target's interval plus
 *       its timeout (uptop stalled, the machine slept) counts in none.
 *       `lat` is a histogram of the latencies of the checks that got an
 *       answer (result.h's latency rule; lat_n of them, the largest
 *       lat_max_ms): stats.h's LAG_BUCKETS log buckets (stats_bucket_of,
 *       stats_bucket_max), stored sparse as pairs of (bucket: 1 byte,
 *       count: unsigned LEB128 varint); a quantile is the upper bound of
 *       the bucket its rank falls in, clamped to lat_max_ms (within ~36%).
 *
 *   `recent` (last): the newest HIST_LEN results, oldest first, 12 bytes
 *   each, little-endian: int32 seconds before last.time, float32
 *   total_ms (the check's time: a latency only where result.h's rule,
 *   result_latency_known, gives one from the status and class), int16
 *   http_status, uint8 class (enum eclass), uint8 0.
 *
 * Retention: every WRITER_TICK_MS the writer deletes at most
 * HISTORY_PRUNE_BATCH rows of each table older than its limit (minute
 * buckets 48 h; hour buckets, events, runs and targets not seen:
 * retention), so a prune is many short steps, never one long delete. */
#ifndef UPTOP_HISTORY_H
#define UPTOP_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct model;
struct event;
struct result;
struct writer;
struct history;

#define HISTORY_VERSION 1                 /* PRAGMA user_version */
#define HISTORY_FINE_S 60                 /* a fine bucket */
#define HISTORY_COARSE_S 3600             /* a coarse bucket */
#define HISTORY_FINE_KEEP_S (48 * 3600)   /* fine buckets kept */
#define HISTORY_RETENTION_DEFAULT_MS (90LL * 86400 * 1000)
#define HISTORY_PRUNE_BATCH 500           /* rows per table per tick */
#define HISTORY_RESTORE_EVENT_DAYS 7      /* events read back at start */
#define HISTORY_LAST_EVERY_MS 60000       /* a target's row of `last` is
					   * written on a state change, else
					   * at most this often */
#define HISTORY_AGG_LAG_S 60              /* a minute's counts are written
					   * when its target's checks move on
					   * to a later minute, at the latest
					   * this long after it ended */
#define HISTORY_HEARTBEAT_MS 5000         /* runs.stop is at most this old
					   * while uptop runs (and its
					   * writer keeps up) */

/* The default path: $XDG_STATE_HOME/uptop/history.db, else
 * $HOME/.local/state/uptop/history.db; false when neither is set. */
bool history_default_path(char *buf, size_t len);

/* At start, on the loop thread: creates the directories (0700) and the
 * file (0600), locks it, checks it is ours (a newer user_version or
 * something that is not a database is refused, never overwritten) and
 * creates the schema. NULL with one line in err (what and why, ending
 * in what uptop does: "running without history") when it cannot; the
 * caller warns and goes on without history. */
struct history *history_open(const char *path, int64_t retention_ms, char *err,
			     size_t elen);
const char *history_path(const struct history *h);

/* At start, before the first check, on the loop thread (reads only):
 * puts back into m, for each target whose name the database knows, its
 * state and since, last result, sparkline, events of the last
 * HISTORY_RESTORE_EVENT_DAYS, acknowledgement and silence still in force
 * and uptime over 24 h, 7 d and 30 d; adds the gap since the last run to
 * the timeline (EV_GAP). now_wall/now_mono: the same moment. Returns the
 * number of targets restored; a read that fails stops the restore there
 * (what came before it stays) and says why in err ("" otherwise). */
size_t history_restore(struct history *h, struct model *m, int64_t now_wall,
		       int64_t now_mono, char *err, size_t elen);

/* What the alerts told, for alert_restore (alert.h), so that a restart
 * keeps what on-call was paged about. At start, after history_restore
 * (it reads the model's restored states) and before history_attach, on
 * the loop thread (reads only). For each target the model has DOWN or
 * DEGRADED: since it last went UP (all of the file when it never did),
 * oldest first, every alert sent ('alert' events: not 'alert_failed',
 * not an outage's) and every state change into UP, DEGRADED or DOWN;
 * by target (ascending), oldest first. *out is malloc'd (NULL when there are none;
 * the caller frees it); returns how many. A read that fails ends the
 * list there and says why in err ("" otherwise). O(rows read). */
struct history_told {
	uint32_t target;                 /* model index */
	int64_t time;                    /* wall ms */
	uint8_t from, to;                /* enum state: the change, or the
					  * one the alert told of */
	char alert[ALERT_NAME_MAX + 1];  /* the alert's name; "": a state
					  * change */
};
size_t history_told(struct history *h, const struct model *m, struct history_told **out,
		    char *err, size_t elen);

/* The mass outage the last run left open: its start is the file's last
 * outage event (a stop, a crash or a kill came before its end). For
 * alert_restore_outage (alert.h) and engine_outage_closed, which close
 * it, so that no page stays open for good. */
#define HISTORY_OUTAGE_ALERTS CONFIG_MAX_ALERTS
struct history_outage {
	int64_t since;                   /* its start, wall ms; 0: none open */
	int64_t stopped;                 /* the last heartbeat of the run that
					  * had it open, wall ms (0: unknown) */
	size_t nalerts;
	char alerts[HISTORY_OUTAGE_ALERTS][ALERT_NAME_MAX + 1];
					 /* the alerts that told of its start
					  * (sent or failed), by name */
};
/* At start, with history_told (the same rules: loop thread, reads only,
 * before history_attach). Fills *o (o->since = 0: none open); false
 * when a read failed, and err says why. O(the events since its start). */
bool history_open_outage(struct history *h, struct history_outage *o, char *err,
			 size_t elen);

/* Hands the connection to the writer thread (a sink of w; before
 * writer_start) and queues the run's start and the model's targets. */
void history_attach(struct history *h, struct writer *w, const struct model *m);

/* From the loop, after the model recorded them (engine subscribers):
 * O(1) plus the message's length, no I/O; a record the writer's queue
 * has no room for is dropped and counted. */
void history_result(struct history *h, const struct model *m, uint32_t id,
		    const struct result *r);
void history_event(struct history *h, const struct model *m, const struct event *ev);
/* After a reload: the new model's names (indices change). */
void history_targets(struct history *h, const struct model *m);

struct history_stats {
	uint64_t dropped;      /* records the queue had no room for */
	uint64_t failed;       /* commits that failed (the writer's) */
	bool off;              /* the writer gave up on the file (a full
				* disk, an I/O error): history is off */
};
void history_stats(const struct history *h, struct history_stats *out);

/* At a clean stop, from the loop, before writer_free: queues the row of
 * `last` of every target whose row is behind its last result (the rows
 * are written on a state change and every HISTORY_LAST_EVERY_MS, not at
 * every check), waiting for room in the writer's queue until until_ms
 * (mono_ms) if it must. */
void history_stop(struct history *h, const struct model *m, int64_t until_ms);

/* After writer_free (the sink closed the connection), or instead of
 * history_attach. NULL is a no-op. */
void history_free(struct history *h);

#endif
