/* history_read.c - `uptop report`'s reads of the history database (see
 * history_read.h; the schema is in history.h). */
#include "history_read.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bucket.h"
#include "history.h"
#include "util.h"

/* A run whose last heartbeat is younger than this, and whose process is
 * alive, is still going. */
#define LIVE_MS (3 * HISTORY_HEARTBEAT_MS)
/* A reader waits this long at most for a lock another reader or a
 * checkpoint holds for an instant (WAL readers never wait for writers). */
#define BUSY_MS 2000

#define CHANGE_COLS "time, from_state, to_state, class, message"
#define DOWN_CHANGE "kind = 'state' AND (from_state = 'down' OR to_state = 'down')"

struct rd {
	sqlite3 *db;
	const struct history_query *q;
	struct digest_input *in;
	int64_t *ids;          /* per input target: its database id (0: none) */
	size_t cap_ids;
	uint32_t *idx;         /* database id -> input target + 1 (0: not reported) */
	size_t nidx;
};

static int64_t floor_to(int64_t s, int64_t w)
{
	return s - ((s % w) + w) % w;
}

static sqlite3_stmt *prep(struct rd *r, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

static const char *col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

/* The input target of a database id; NULL: not reported. */
static struct digest_target *target_of(const struct rd *r, int64_t id)
{
	if (id <= 0 || (uint64_t)id >= r->nidx || !r->idx[id])
		return NULL;
	return &r->in->t[r->idx[id] - 1];
}

static void add_target(struct rd *r, int64_t id, const char *name, const char *group)
{
	struct digest_target *t;

	if (r->q->keep && !r->q->keep(r->q->arg, name, group))
		return;
	t = digest_input_target(r->in, name, group);
	t->in_history = id > 0;
	r->ids = xreallocarray_grow(r->ids, &r->cap_ids, r->in->nt, sizeof(*r->ids));
	r->ids[r->in->nt - 1] = id;
}

static int read_targets(struct rd *r)
{
	const struct history_query *q = r->q;
	sqlite3_stmt *st;
	int rc = SQLITE_DONE;
	int64_t max = 0;

	if (q->n) {
		st = prep(r, "SELECT id FROM targets WHERE name = ?");
		if (!st)
			return -1;
		for (size_t i = 0; i < q->n; i++) {
			int64_t id = 0;

			sqlite3_bind_text(st, 1, q->names[i], -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				id = sqlite3_column_int64(st, 0);
			else if (rc != SQLITE_DONE)
				break;
			rc = SQLITE_DONE;
			sqlite3_reset(st);
			add_target(r, id, q->names[i], q->groups ? q->groups[i] : "");
		}
	} else {
		st = prep(r, "SELECT id, name, grp FROM targets ORDER BY id");
		if (!st)
			return -1;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			add_target(r, sqlite3_column_int64(st, 0),
				   col_text(st, 1) ? col_text(st, 1) : "", col_text(st, 2));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	for (size_t i = 0; i < r->in->nt; i++)
		max = r->ids[i] > max ? r->ids[i] : max;
	r->nidx = (size_t)max + 1;
	r->idx = xcalloc(r->nidx, sizeof(*r->idx));
	for (size_t i = 0; i < r->in->nt; i++)
		if (r->ids[i] > 0)
			r->idx[r->ids[i]] = (uint32_t)i + 1;
	return 0;
}

static bool pid_alive(int64_t pid)
{
	return pid > 0 && pid <= INT32_MAX && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static int read_runs(struct rd *r)
{
	sqlite3_stmt *st = prep(r, "SELECT start, stop, clean, pid FROM runs ORDER BY id");
	int64_t newest = -1, stop = 0, pid = 0;
	bool clean = true;
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		stop = sqlite3_column_int64(st, 1);
		clean = sqlite3_column_int(st, 2) != 0;
		pid = sqlite3_column_int64(st, 3);
		newest = (int64_t)r->in->nruns;
		digest_input_run(r->in, sqlite3_column_int64(st, 0), stop);
	}
	sqlite3_finalize(st);
	/* the newest run may be going on now: its stop is only its heartbeat,
	 * and one written after the report took its `now` (a few ms) must not
	 * stretch what is open past the report's own time */
	if (newest >= 0 && !clean && r->q->now - stop < LIVE_MS && pid_alive(pid))
		r->in->runs[newest].stop = r->q->now;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Merges the buckets of `table` with t in [lo, hi) (seconds). */
static int read_buckets(struct rd *r, const char *table, int64_t lo, int64_t hi)
{
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	if (hi <= lo)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT target, checks, failures, up_ms, degraded_ms,"
		 " confirming_ms, down_ms, lat_n, lat_max_ms, lat FROM %s WHERE t >= ? AND t < ?",
		 table);
	if (!(st = prep(r, sql)))
		return -1;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct digest_target *t = target_of(r, sqlite3_column_int64(st, 0));
		struct hbucket b;

		if (!t)
			continue;
		hbucket_reset(&b, 0);
		b.checks = (uint32_t)sqlite3_column_int64(st, 1);
		b.failures = (uint32_t)sqlite3_column_int64(st, 2);
		for (int k = 0; k < SPAN__COUNT; k++)
			b.ms[k] = sqlite3_column_int64(st, 3 + k);
		b.lat_n = (uint32_t)sqlite3_column_int64(st, 7);
		b.lat_max_ms = sqlite3_column_double(st, 8);
		/* a damaged histogram costs its latencies, not its counts */
		if (hbucket_lat_decode(b.lat, sqlite3_column_blob(st, 9),
				       (size_t)sqlite3_column_bytes(st, 9)) != 0)
			memset(b.lat, 0, sizeof(b.lat));
		hbucket_merge(&t->sum, &b);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A partial hour [a, b) of the window: minute buckets where the file
 * still has them, else the hour bucket around it. */
static int read_piece(struct rd *r, int64_t a, int64_t b)
{
	int64_t m = floor_to(a, HISTORY_FINE_S), h = floor_to(a, HISTORY_COARSE_S);

	if (b <= a)
		return 0;
	if (m * 1000 >= r->q->now - (int64_t)HISTORY_FINE_KEEP_S * 1000)
		return read_buckets(r, "buckets_1m", m, b);
	return read_buckets(r, "buckets_1h", h, h + HISTORY_COARSE_S);
}

/* The buckets that overlap [from, to): whole hours from the hour
 * buckets, the partial hours at the edges from the minute buckets. */
static int read_window(struct rd *r)
{
	int64_t a = r->q->from / 1000, b = (r->q->to + 999) / 1000;   /* times > 0 */
	int64_t ha = -floor_to(-a, HISTORY_COARSE_S), hb = floor_to(b, HISTORY_COARSE_S);

	if (ha > hb)
		return read_piece(r, a, b);   /* within one hour */
	if (read_piece(r, a, ha) != 0 || read_buckets(r, "buckets_1h", ha, hb) != 0)
		return -1;
	return read_piece(r, hb, b);
}

static bool is_down(sqlite3_stmt *st, int c)
{
	const char *s = col_text(st, c);

	return s && strcmp(s, "down") == 0;
}

/* Adds a change from a row of CHANGE_COLS starting at column c. */
static void add_change(struct digest_target *t, sqlite3_stmt *st, int c)
{
	digest_input_change(t, sqlite3_column_int64(st, c), is_down(st, c + 1),
			    is_down(st, c + 2), col_text(st, c + 3), col_text(st, c + 4));
}

/* For each target: the one change that matters found by `sql` (bound to
 * its id and `time`), when want(t) says it is needed. */
static int read_one_change_each(struct rd *r, const char *sql, int64_t time,
				bool (*want)(const struct digest_target *t))
{
	sqlite3_stmt *st = prep(r, sql);
	int rc = SQLITE_DONE;

	if (!st)
		return -1;
	for (size_t i = 0; i < r->in->nt && rc == SQLITE_DONE; i++) {
		struct digest_target *t = &r->in->t[i];

		if (!r->ids[i] || !want(t))
			continue;
		sqlite3_bind_int64(st, 1, r->ids[i]);
		sqlite3_bind_int64(st, 2, time);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			add_change(t, st, 0);
			rc = SQLITE_DONE;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static bool any(const struct digest_target *t)
{
	(void)t;
	return true;
}

static bool down_at_end(const struct digest_target *t)
{
	return t->nch && t->ch[t->nch - 1].to_down;
}

static int read_changes(struct rd *r)
{
	sqlite3_stmt *st;
	int rc;

	if (read_one_change_each(r, "SELECT " CHANGE_COLS " FROM events WHERE target = ?"
				 " AND time < ? AND " DOWN_CHANGE " ORDER BY time DESC, id DESC"
				 " LIMIT 1", r->q->from, any) != 0)
		return -1;
	st = prep(r, "SELECT target, " CHANGE_COLS " FROM events WHERE time >= ? AND time < ?"
		  " AND " DOWN_CHANGE " ORDER BY time, id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, r->q->from);
	sqlite3_bind_int64(st, 2, r->q->to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct digest_target *t = target_of(r, sqlite3_column_int64(st, 0));

		if (t)
			add_change(t, st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	return read_one_change_each(r, "SELECT " CHANGE_COLS " FROM events WHERE target = ?"
				    " AND time >= ? AND kind = 'state' AND from_state = 'down'"
				    " ORDER BY time, id LIMIT 1", r->q->to, down_at_end);
}

static int read_last(struct rd *r)
{
	sqlite3_stmt *st = prep(r, "SELECT target, time FROM last");
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct digest_target *t = target_of(r, sqlite3_column_int64(st, 0));

		if (t)
			t->last_check = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The file exists, is SQLite and is ours (history.h's user_version). */
static int open_ro(struct rd *r, char *why, size_t wlen)
{
	const char *path = r->q->path;
	struct stat st;
	sqlite3_stmt *s;
	int64_t version = -1, tables = 0;
	int rc;

	if (stat(path, &st) != 0) {
		snprintf(why, wlen, "%s%s", strerror(errno), errno == ENOENT ?
			 " (uptop writes it while the live table or --headless runs with "
			 "history on)" : "");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, wlen, "not a regular file");
		return -1;
	}
	rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, wlen, "%s", r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_busy_timeout(r->db, BUSY_MS);
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    !(s = prep(r, "SELECT (SELECT user_version FROM pragma_user_version),"
		       " (SELECT count(*) FROM sqlite_master WHERE name IN ('runs', 'targets',"
		       " 'events', 'last', 'buckets_1m', 'buckets_1h'))"))) {
		snprintf(why, wlen, "%s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_step(s) == SQLITE_ROW) {
		version = sqlite3_column_int64(s, 0);
		tables = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	if (version < 0)
		snprintf(why, wlen, "%s", sqlite3_errmsg(r->db));
	else if (version > HISTORY_VERSION)
		snprintf(why, wlen, "written by a newer uptop (schema %lld, this one reads %d)",
			 (long long)version, HISTORY_VERSION);
	else if (version < HISTORY_VERSION || tables < 6)
		snprintf(why, wlen, "not an uptop history");
	else
		return 0;
	return -1;
}

int history_read(const struct history_query *q, struct digest_input *out, char *err,
		 size_t elen)
{
	struct rd r = { NULL, q, out, NULL, 0, NULL, 0 };
	char why[512] = "";
	int rc = open_ro(&r, why, sizeof(why));

	out->from = q->from;
	out->to = q->to;
	out->now = q->now;
	out->history = xstrdup(q->path);
	if (rc == 0 && (read_targets(&r) != 0 || read_runs(&r) != 0 || read_window(&r) != 0 ||
			read_changes(&r) != 0 || read_last(&r) != 0)) {
		snprintf(why, sizeof(why), "reading it: %s", sqlite3_errmsg(r.db));
		rc = -1;
	}
	if (rc != 0)
		snprintf(err, elen, "history %s: %s", q->path, why);
	if (r.db) {
		sqlite3_exec(r.db, "COMMIT", NULL, NULL, NULL);
		sqlite3_close_v2(r.db);
	}
	free(r.ids);
	free(r.idx);
	return rc;
}
