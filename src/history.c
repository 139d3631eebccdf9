/* history.c - the history database (see history.h): opening and
 * restoring on the loop thread at start, records through the writer's
 * queue, and the sink that owns the connection on the writer thread.
 *
 * A record is one of the structs below, followed by its bytes. The loop
 * fills them from the model after it recorded a result or an event: a
 * compact one per check (for the buckets), and the target's whole row of
 * `last` when it is due (a state change, HISTORY_LAST_EVERY_MS, a clean
 * stop). The writer adds the checks to one open minute per target, in
 * memory, and writes that minute's delta into its minute and its hour
 * row together (an upsert that adds) when the target's checks move on
 * to a later minute, or HISTORY_AGG_LAG_S after the minute ended, or at
 * a clean stop; everything else it writes as it comes. It commits about
 * once a second. Why: one check used to cost three row writes (minute,
 * hour, last); now a target costs two a minute plus its last row. */
#include "history.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bucket.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "target.h"
#include "util.h"
#include "writer.h"

#define SINK_NAME "history"
#define COMMIT_EVERY_MS 1000
#define LAT_ADD_FN "uptop_lat_add"   /* the writer's SQL function (below) */
#define PRUNE_EVERY_MS 60000
#define SEEN_EVERY_MS 3600000
#define RECENT_BYTES 12

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS targets(id INTEGER PRIMARY KEY,"
	" name TEXT UNIQUE NOT NULL, grp TEXT NOT NULL DEFAULT '',"
	" url TEXT NOT NULL DEFAULT '', first_seen INTEGER NOT NULL,"
	" last_seen INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, start INTEGER NOT NULL,"
	" stop INTEGER NOT NULL, clean INTEGER NOT NULL DEFAULT 0, pid INTEGER,"
	" version TEXT);"
	"CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" run INTEGER, target INTEGER, kind TEXT NOT NULL, from_state TEXT,"
	" to_state TEXT, class TEXT, message TEXT, who TEXT, until INTEGER,"
	" value INTEGER, phase TEXT);"
	"CREATE INDEX IF NOT EXISTS events_time ON events(time);"
	"CREATE INDEX IF NOT EXISTS events_target ON events(target, time);"
	"CREATE TABLE IF NOT EXISTS last(target INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" state TEXT NOT NULL, since INTEGER NOT NULL, http_status INTEGER, class TEXT,"
	" message TEXT, latency_ms REAL, total_ms REAL, failures_in_row INTEGER,"
	" successes_in_row INTEGER, recent BLOB);"
	"CREATE TABLE IF NOT EXISTS quiet(target INTEGER PRIMARY KEY,"
	" ack_time INTEGER NOT NULL DEFAULT 0, ack_by TEXT,"
	" mute_until INTEGER NOT NULL DEFAULT 0, mute_by TEXT);"
	"CREATE TABLE IF NOT EXISTS buckets_1m(t INTEGER NOT NULL, target INTEGER NOT NULL,"
	" checks INTEGER NOT NULL, failures INTEGER NOT NULL, up_ms INTEGER NOT NULL,"
	" degraded_ms INTEGER NOT NULL, confirming_ms INTEGER NOT NULL,"
	" down_ms INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_max_ms REAL NOT NULL,"
	" lat BLOB, PRIMARY KEY(t, target)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS buckets_1h(t INTEGER NOT NULL, target INTEGER NOT NULL,"
	" checks INTEGER NOT NULL, failures INTEGER NOT NULL, up_ms INTEGER NOT NULL,"
	" degraded_ms INTEGER NOT NULL, confirming_ms INTEGER NOT NULL,"
	" down_ms INTEGER NOT NULL, lat_n INTEGER NOT NULL, lat_max_ms REAL NOT NULL,"
	" lat BLOB, PRIMARY KEY(t, target)) WITHOUT ROWID;";

/* --- records ---------------------------------------------------------- */

enum { HREC_RUN = 1, HREC_TARGETS, HREC_RESULT, HREC_EVENT, HREC_LAST };

/* One check, for the buckets. */
struct hrec_result {
	uint8_t type, cls, span_kind, pad;
	uint32_t target;             /* model index */
	int64_t end_wall, span_from; /* span_from 0: no span */
	float latency_ms;            /* < 0: none */
};

/* A target's row of `last`, as the model has it. */
struct hrec_last {
	uint8_t type, state, cls, nrecent;
	int16_t http_status;
	uint16_t msg_len;
	uint32_t target;             /* model index */
	int32_t fails_in_row, oks_in_row;
	int64_t time, since;
	float latency_ms, total_ms;  /* latency < 0: none */
	/* nrecent * RECENT_BYTES of `recent`, then msg_len bytes of message */
};

struct hrec_event {
	uint8_t type, kind, from, to, cls, ok;
	uint16_t msg_len, who_len;
	uint32_t target;             /* model index or EVENT_NO_TARGET */
	uint32_t value;
	int64_t time, until;
	char phase[8];
	/* message, then who */
};

struct hrec_run {
	uint8_t type;
	int64_t start;
	int64_t pid;
};

/* The loop's: what it last queued of a target's row of `last`. */
struct lastsent {
	int64_t at;                  /* mono ms; 0: nothing this run */
	int64_t since;               /* wall ms, as queued */
	uint8_t state;
	bool behind;                 /* a result since */
};

/* The writer's: one target's open minute (by database id). */
struct tstate {
	struct hbucket d;            /* what this run added to minute d.t and
				      * has not written; d.t = 0: none open */
	uint32_t open_at;            /* its entry in history.open, while open */
};

/* An open minute, as flush_open scans them: its start beside the id, so
 * the scan each second reads one array in order instead of every
 * target's tstate (10,000 cache misses a second at 10,000 targets). */
struct open_min {
	int64_t t;
	uint32_t id;
};

struct history {
	char *path;
	sqlite3 *db;
	int lock_fd;
	int64_t retention_ms;
	struct writer *w;
	int id;
	/* the loop's */
	uint64_t dropped;
	struct lastsent *sent;          /* by model index */
	size_t nsent;
	/* the writer thread's */
	int64_t run;
	uint32_t *map;                  /* model index -> database id */
	size_t nmap;
	struct tstate *ts;              /* by database id */
	size_t nts;
	struct open_min *open;          /* the minutes open, in no order */
	size_t nopen, open_cap;
	bool in_tx, pruning;
	int64_t last_commit, last_prune, last_seen_upd;
	sqlite3_stmt *st_fine_put, *st_coarse_put, *st_last_put, *st_event, *st_beat;
	sqlite3_stmt *st_target, *st_ack, *st_unack, *st_mute;
	atomic_uint_fast64_t failed;
	atomic_bool off;
};

bool history_default_path(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (xdg && *xdg == '/')
		n = snprintf(buf, len, "%s/uptop/history.db", xdg);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.local/state/uptop/history.db", home);
	else
		return false;
	return n > 0 && (size_t)n < len;
}

const char *history_path(const struct history *h)
{
	return h->path;
}

/* mkdir -p of the file's directory (0700 for what it creates). */
static int make_dirs(const char *path)
{
	char *d = xstrdup(path), *slash = strrchr(d, '/');
	int rc = 0;

	if (!slash || slash == d) {
		free(d);
		return 0;
	}
	*slash = '\0';
	for (char *p = d + 1; ; p++) {
		bool end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(d, 0700) != 0 && errno != EEXIST) {
			rc = errno;
			break;
		}
		if (end)
			break;
		*p = '/';
	}
	free(d);
	return rc;
}

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t elen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		snprintf(err, elen, "%s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

static int64_t query_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void history_close_db(struct history *h)
{
	sqlite3_stmt **sts[] = { &h->st_fine_put, &h->st_coarse_put, &h->st_last_put,
				 &h->st_event, &h->st_beat, &h->st_target, &h->st_ack,
				 &h->st_unack, &h->st_mute };

	for (size_t i = 0; i < ARRAY_LEN(sts); i++) {
		sqlite3_finalize(*sts[i]);
		*sts[i] = NULL;
	}
	if (h->db)
		sqlite3_close_v2(h->db);
	h->db = NULL;
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	h->lock_fd = -1;
}

static int prepare_all(struct history *h, char *err, size_t elen)
{
/* adds a delta to the row (t, target), or makes it */
#define BUCKET_ADD(tbl) "INSERT INTO " tbl "(t, target, checks, failures, up_ms," \
	" degraded_ms, confirming_ms, down_ms, lat_n, lat_max_ms, lat)" \
	" VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(t, target) DO UPDATE SET" \
	" checks = checks + excluded.checks, failures = failures + excluded.failures," \
	" up_ms = up_ms + excluded.up_ms, degraded_ms = degraded_ms + excluded.degraded_ms," \
	" confirming_ms = confirming_ms + excluded.confirming_ms," \
	" down_ms = down_ms + excluded.down_ms, lat_n = lat_n + excluded.lat_n," \
	" lat_max_ms = max(lat_max_ms, excluded.lat_max_ms)," \
	" lat = " LAT_ADD_FN "(lat, excluded.lat)"
	static const struct { size_t off; const char *sql; } q[] = {
		{ offsetof(struct history, st_fine_put), BUCKET_ADD("buckets_1m") },
		{ offsetof(struct history, st_coarse_put), BUCKET_ADD("buckets_1h") },
		{ offsetof(struct history, st_last_put),
		  "INSERT OR REPLACE INTO last(target, time, state, since, http_status, class,"
		  " message, latency_ms, total_ms, failures_in_row, successes_in_row, recent)"
		  " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)" },
		{ offsetof(struct history, st_event),
		  "INSERT INTO events(time, run, target, kind, from_state, to_state, class,"
		  " message, who, until, value, phase) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)" },
		{ offsetof(struct history, st_beat),
		  "UPDATE runs SET stop = ?, clean = ? WHERE id = ?" },
		{ offsetof(struct history, st_target),
		  "INSERT INTO targets(name, grp, url, first_seen, last_seen) VALUES(?,?,?,?,?)"
		  " ON CONFLICT(name) DO UPDATE SET grp = excluded.grp, url = excluded.url,"
		  " last_seen = excluded.last_seen RETURNING id" },
		{ offsetof(struct history, st_ack),
		  "INSERT INTO quiet(target, ack_time, ack_by) VALUES(?,?,?) ON CONFLICT(target)"
		  " DO UPDATE SET ack_time = excluded.ack_time, ack_by = excluded.ack_by" },
		{ offsetof(struct history, st_unack),
		  "UPDATE quiet SET ack_time = 0, ack_by = NULL WHERE target = ?" },
		{ offsetof(struct history, st_mute),
		  "INSERT INTO quiet(target, mute_until, mute_by) VALUES(?,?,?) ON CONFLICT(target)"
		  " DO UPDATE SET mute_until = excluded.mute_until, mute_by = excluded.mute_by" },
	};

	for (size_t i = 0; i < ARRAY_LEN(q); i++) {
		sqlite3_stmt **st = (sqlite3_stmt **)((char *)h + q[i].off);
		int rc = sqlite3_prepare_v3(h->db, q[i].sql, -1, SQLITE_PREPARE_PERSISTENT, st,
					    NULL);

		if (rc != SQLITE_OK) {
			snprintf(err, elen, "%s", sqlite3_errmsg(h->db));
			return rc;
		}
	}
	return SQLITE_OK;
}

/* uptop_lat_add(a, b): the sum of two stored latency histograms (history.h's
 * `lat`), for the bucket upserts. A damaged one counts as empty: it costs
 * its latencies, never the row. */
static void lat_add_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	uint32_t lat[LAG_BUCKETS] = { 0 };
	uint8_t out[HBUCKET_LAT_MAX];

	for (int i = 0; i < argc; i++) {
		uint32_t one[LAG_BUCKETS] = { 0 };

		if (hbucket_lat_decode(one, sqlite3_value_blob(argv[i]),
				       (size_t)sqlite3_value_bytes(argv[i])) != 0)
			continue;
		for (int k = 0; k < LAG_BUCKETS; k++)
			lat[k] += one[k];
	}
	sqlite3_result_blob(cx, out, (int)hbucket_lat_encode(lat, out), SQLITE_TRANSIENT);
}

/* The file is ours, or new: user_version 0 with no tables, or 1. */
static int check_ours(struct history *h, char *err, size_t elen)
{
	int64_t v = query_int(h->db, "PRAGMA user_version", -1);
	int64_t tables;

	if (v < 0) {
		snprintf(err, elen, "%s", sqlite3_errmsg(h->db));
		return -1;
	}
	if (v > HISTORY_VERSION) {
		snprintf(err, elen, "written by a newer uptop (schema %lld, this one knows %d)",
			 (long long)v, HISTORY_VERSION);
		return -1;
	}
	tables = query_int(h->db, "SELECT count(*) FROM sqlite_master", -1);
	if (tables < 0) {
		snprintf(err, elen, "%s", sqlite3_errmsg(h->db));
		return -1;
	}
	if (v == 0 && tables > 0) {
		snprintf(err, elen, "a SQLite database that is not an uptop history");
		return -1;
	}
	return 0;
}

struct history *history_open(const char *path, int64_t retention_ms, char *err, size_t elen)
{
	struct history *h = xcalloc(1, sizeof(*h));
	char why[512] = "";
	int e, rc;

	h->path = xstrdup(path);
	h->lock_fd = -1;
	h->retention_ms = retention_ms > 0 ? retention_ms : HISTORY_RETENTION_DEFAULT_MS;
	atomic_init(&h->failed, 0);
	atomic_init(&h->off, false);
	if ((e = make_dirs(path)) != 0) {
		snprintf(why, sizeof(why), "cannot create its directory: %s", strerror(e));
		goto fail;
	}
	h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (h->lock_fd < 0) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto fail;
	}
	if (flock(h->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(why, sizeof(why), errno == EWOULDBLOCK ?
			 "in use by another uptop" : "cannot lock it: %s", strerror(errno));
		goto fail;
	}
	rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, sizeof(why), "%s",
			 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, 50);
	if (check_ours(h, why, sizeof(why)) != 0 ||
	    exec_sql(h->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		     "PRAGMA foreign_keys=OFF;", why, sizeof(why)) != SQLITE_OK ||
	    exec_sql(h->db, "BEGIN IMMEDIATE", why, sizeof(why)) != SQLITE_OK)
		goto fail;
	if (exec_sql(h->db, schema, why, sizeof(why)) != SQLITE_OK ||
	    exec_sql(h->db, "PRAGMA user_version = 1; COMMIT", why, sizeof(why)) != SQLITE_OK) {
		exec_sql(h->db, "ROLLBACK", why + strlen(why), 0);
		goto fail;
	}
	rc = sqlite3_create_function_v2(h->db, LAT_ADD_FN, 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC |
					SQLITE_DIRECTONLY, NULL, lat_add_fn, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, sizeof(why), "%s", sqlite3_errmsg(h->db));
		goto fail;
	}
	if (prepare_all(h, why, sizeof(why)) != SQLITE_OK)
		goto fail;
	log_debug("history: %s open, retention %lld ms", path, (long long)h->retention_ms);
	return h;
fail:
	snprintf(err, elen, "history %s: %s; running without history", path, why);
	history_close_db(h);
	free(h->path);
	free(h);
	return NULL;
}

/* --- names of things --------------------------------------------------- */

static int state_of(const char *s)
{
	for (int i = 0; s && i < STATE__COUNT; i++)
		if (strcmp(s, state_name((enum state)i)) == 0)
			return i;
	return -1;
}

static int eclass_of(const char *s)
{
	if (!s)
		return EC_NONE;
	for (int i = 1; i < EC__COUNT; i++) {
		const char *n = eclass_name((enum eclass)i);

		if (n && strcmp(s, n) == 0)
			return i;
	}
	return EC_INTERNAL;
}

static const char *kind_text(const struct hrec_event *r)
{
	switch (r->kind) {
	case EV_STATE: return "state";
	case EV_STALL: return "stall";
	case EV_OUTAGE: return "outage";
	case EV_ACK: return "ack";
	case EV_SILENCE: return "silence";
	case EV_MAINT: return "maintenance";
	case EV_ALERT: return r->ok ? "alert" : "alert_failed";
	default: return "unknown";
	}
}

/* --- the loop's side: records ----------------------------------------- */

static bool put(struct history *h, const void *rec, size_t len, int64_t until)
{
	if (until ? writer_put_wait(h->w, h->id, rec, len, until) :
		    writer_put(h->w, h->id, rec, len))
		return true;
	h->dropped++;
	return false;
}

/* Queues target id's row of `last` from the model (its last result, its
 * sparkline); until: at a clean stop, wait for room until then. */
static void put_last(struct history *h, const struct model *m, uint32_t id, int64_t now,
		     int64_t until)
{
	const struct target *t = &m->v[id];
	const struct last_result *r = &t->last;
	struct lastsent *ls = &h->sent[id];
	struct {
		struct hrec_last r;
		uint8_t recent[HIST_LEN * RECENT_BYTES];
		char msg[RESULT_MSG_LEN];
	} b;
	size_t ml = r->cls == EC_NONE ? 0 : strnlen(r->msg, sizeof(r->msg));
	uint8_t *p = b.recent;
	int64_t since;

	/* The state began at the last result (a target checks one at a time):
	 * when the state event says; else as queued before; else (the first
	 * row of a run, the state restored) from the model's clock. */
	if (t->since_mono_ms >= r->start_mono_ms)
		since = t->acct_wall_ms;
	else if (ls->at && ls->state == t->state)
		since = ls->since;
	else
		since = wall_ms() - (now - t->since_mono_ms);
	memset(&b.r, 0, sizeof(b.r));
	b.r.type = HREC_LAST;
	b.r.state = (uint8_t)t->state;
	b.r.cls = (uint8_t)r->cls;
	b.r.nrecent = (uint8_t)t->hist_n;
	b.r.http_status = (int16_t)(r->http_status > INT16_MAX ? INT16_MAX :
				    r->http_status < 0 ? 0 : r->http_status);
	b.r.msg_len = (uint16_t)ml;
	b.r.target = id;
	b.r.fails_in_row = t->consecutive_failures;
	b.r.oks_in_row = t->consecutive_successes;
	b.r.time = r->start_wall_ms;
	b.r.since = since;
	b.r.latency_ms = (float)target_latency(t);
	b.r.total_ms = (float)r->t.total_ms;
	for (unsigned i = 0; i < t->hist_n; i++, p += RECENT_BYTES) {
		const struct hist_entry *e = &t->hist[(t->hist_head + HIST_LEN - t->hist_n + i) %
						       HIST_LEN];
		int64_t back = (b.r.time - e->wall_ms) / 1000;
		int32_t b32 = (int32_t)(back < 0 ? 0 : back > INT32_MAX ? INT32_MAX : back);

		memcpy(p, &b32, 4);
		memcpy(p + 4, &e->latency_ms, 4);
		memcpy(p + 8, &e->http_status, 2);
		p[10] = e->cls;
		p[11] = 0;
	}
	memcpy(p, r->msg, ml);
	if (!put(h, &b, sizeof(b.r) + (size_t)(p - b.recent) + ml, until))
		return;   /* still behind: again at the next result */
	ls->at = now;
	ls->since = since;
	ls->state = (uint8_t)t->state;
	ls->behind = false;
}

void history_result(struct history *h, const struct model *m, uint32_t id,
		    const struct result *r)
{
	const struct target *t;
	struct lastsent *ls;
	struct hrec_result b;
	int64_t now;

	if (!h || !h->w || id >= m->n || id >= h->nsent || atomic_load(&h->off))
		return;
	t = &m->v[id];
	memset(&b, 0, sizeof(b));
	b.type = HREC_RESULT;
	b.cls = (uint8_t)r->cls;
	b.span_kind = t->span_kind;
	b.target = id;
	b.end_wall = t->acct_wall_ms;
	b.span_from = t->span_from_wall_ms;
	b.latency_ms = result_has_latency(r) ? (float)r->t.total_ms : -1;
	put(h, &b, sizeof(b), 0);
	ls = &h->sent[id];
	ls->behind = true;
	now = mono_ms();
	if (!ls->at || ls->state != t->state || now - ls->at >= HISTORY_LAST_EVERY_MS)
		put_last(h, m, id, now, 0);
}

void history_stop(struct history *h, const struct model *m, int64_t until_ms)
{
	int64_t now = mono_ms();

	if (!h || !h->w || atomic_load(&h->off))
		return;
	for (uint32_t i = 0; i < m->n && i < h->nsent; i++)
		if (h->sent[i].behind && m->v[i].has_last)
			put_last(h, m, i, now, until_ms);
}

void history_event(struct history *h, const struct model *m, const struct event *ev)
{
	struct hrec_event r;
	const char *msg = ev->reason ? ev->reason : "", *who = "";
	char *buf;
	size_t ml, wl;

	(void)m;
	if (!h || !h->w || ev->kind == EV_GAP || atomic_load(&h->off))
		return;
	memset(&r, 0, sizeof(r));
	r.type = HREC_EVENT;
	r.kind = ev->kind;
	r.from = ev->from;
	r.to = ev->to;
	r.cls = ev->cls;
	r.target = ev->target;
	r.time = ev->wall_ms;
	switch (ev->kind) {
	case EV_STATE: r.value = ev->u.outage; break;
	case EV_STALL: r.value = ev->u.stall.ms; break;
	case EV_OUTAGE:
		r.value = ev->u.out.targets;
		snprintf(r.phase, sizeof(r.phase), "%s",
			 ev->u.out.phase == OUTAGE_START ? "start" : "end");
		break;
	case EV_ACK: who = msg; msg = ""; break;
	case EV_SILENCE:
		who = msg;
		msg = "";
		snprintf(r.phase, sizeof(r.phase), "%s",
			 ev->u.silence.phase == SILENCE_SET ? "set" :
			 ev->u.silence.phase == SILENCE_LIFTED ? "lifted" : "expired");
		if (ev->u.silence.phase == SILENCE_SET)
			r.until = ev->wall_ms + (int64_t)ev->u.silence.secs * 1000;
		break;
	case EV_MAINT:
		r.value = ev->u.maint.targets;
		snprintf(r.phase, sizeof(r.phase), "%s",
			 ev->u.maint.phase == MAINT_START ? "start" : "end");
		if (ev->u.maint.phase == MAINT_START)
			r.until = ev->wall_ms + (int64_t)ev->u.maint.mins * 60000;
		break;
	case EV_ALERT:
		r.value = ev->u.alert.attempts;
		r.ok = (ev->u.alert.flags & ALERT_F_OK) != 0;
		break;
	default: break;
	}
	ml = strnlen(msg, UINT16_MAX);
	wl = strnlen(who, UINT16_MAX);
	r.msg_len = (uint16_t)ml;
	r.who_len = (uint16_t)wl;
	buf = xmalloc(sizeof(r) + ml + wl);
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), msg, ml);
	memcpy(buf + sizeof(r) + ml, who, wl);
	put(h, buf, sizeof(r) + ml + wl, 0);
	free(buf);
}

/* [type][u32 n] then per target: name\0 group\0 url\0 (url redacted).
 * The model's indices are new: every target's row of `last` is due at
 * its next result. */
void history_targets(struct history *h, const struct model *m)
{
	char *buf;
	size_t len = 5, at = 5, cap;
	uint32_t n = (uint32_t)m->n;

	if (!h || !h->w || atomic_load(&h->off))
		return;
	free(h->sent);
	h->sent = xcalloc(m->n ? m->n : 1, sizeof(*h->sent));
	h->nsent = m->n;
	/* a redacted URL: "***" for the credentials, at most URL_MAX */
#define URL_MAX(u) (strlen(u) + 4 < 2 * RESULT_URL_LEN ? strlen(u) + 4 : 2 * RESULT_URL_LEN)
	cap = len;
	for (size_t i = 0; i < m->n; i++)
		cap += strlen(m->v[i].conf->name) + strlen(m->v[i].conf->group) + 2 +
		       URL_MAX(m->v[i].conf->url);
	buf = xmalloc(cap);
	buf[0] = HREC_TARGETS;
	memcpy(buf + 1, &n, 4);
	for (size_t i = 0; i < m->n; i++) {
		const struct target_conf *c = m->v[i].conf;
		size_t k;

		k = strlen(c->name) + 1;
		memcpy(buf + at, c->name, k);
		at += k;
		k = strlen(c->group) + 1;
		memcpy(buf + at, c->group, k);
		at += k;
		fmt_redact_url(buf + at, URL_MAX(c->url), c->url);
		at += strlen(buf + at) + 1;
	}
#undef URL_MAX
	put(h, buf, at, 0);
	free(buf);
}

/* --- the writer thread ------------------------------------------------- */

static void go_off(struct history *h, struct writer *w, int rc)
{
	if (atomic_exchange(&h->off, true))
		return;
	atomic_fetch_add(&h->failed, 1);
	writer_say(w, SINK_NAME, true, "%s: %s (%s): history is off until uptop restarts; "
		   "the checks go on", h->path, sqlite3_errmsg(h->db), sqlite3_errstr(rc));
	if (h->in_tx)
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	h->in_tx = false;
}

/* A step that must work: false (and history off) when it did not. */
static bool step_ok(struct history *h, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return true;
	go_off(h, h->w, rc);
	return false;
}

static bool begin(struct history *h)
{
	int rc;

	if (h->in_tx)
		return true;
	rc = sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		go_off(h, h->w, rc);
		return false;
	}
	h->in_tx = true;
	return true;
}

static struct tstate *tstate_of(struct history *h, uint32_t dbid)
{
	if (dbid >= h->nts) {
		size_t n = (size_t)dbid + 1;

		/* exact, not doubled: 10,000 targets are 10,000 of these */
		h->ts = xrealloc(h->ts, n * sizeof(*h->ts));
		memset(h->ts + h->nts, 0, (n - h->nts) * sizeof(*h->ts));
		h->nts = n;
	}
	return &h->ts[dbid];
}

/* Adds b, as a delta, to the row (t, dbid) of a bucket table. */
static bool bucket_add(struct history *h, sqlite3_stmt *st, const struct hbucket *b,
		       int64_t t, uint32_t dbid)
{
	uint8_t lat[HBUCKET_LAT_MAX];
	size_t n = hbucket_lat_encode(b->lat, lat);

	sqlite3_bind_int64(st, 1, t);
	sqlite3_bind_int64(st, 2, dbid);
	sqlite3_bind_int64(st, 3, b->checks);
	sqlite3_bind_int64(st, 4, b->failures);
	for (int k = 0; k < SPAN__COUNT; k++)
		sqlite3_bind_int64(st, 5 + k, b->ms[k]);
	sqlite3_bind_int64(st, 9, b->lat_n);
	sqlite3_bind_double(st, 10, b->lat_max_ms);
	sqlite3_bind_blob(st, 11, lat, (int)n, SQLITE_STATIC);
	return step_ok(h, st);
}

static int64_t floor_to(int64_t ms, int64_t width_s)
{
	int64_t s = ms / 1000;

	return (s - (s % width_s + width_s) % width_s);
}

/* Writes the open minute's delta into its minute and its hour, in the
 * same transaction (so an hour is always the sum of its minutes). */
static bool delta_write(struct history *h, uint32_t dbid, struct tstate *s)
{
	return bucket_add(h, h->st_fine_put, &s->d, s->d.t, dbid) &&
	       bucket_add(h, h->st_coarse_put, &s->d, floor_to(s->d.t * 1000, HISTORY_COARSE_S),
			  dbid);
}

/* Minute t open for dbid: the one open before it written first. */
static bool delta_at(struct history *h, uint32_t dbid, struct tstate *s, int64_t t)
{
	if (s->d.t == t)
		return true;
	if (s->d.t) {
		if (!delta_write(h, dbid, s))
			return false;
	} else {
		h->open = xreallocarray_grow(h->open, &h->open_cap, h->nopen + 1,
					     sizeof(*h->open));
		s->open_at = (uint32_t)h->nopen++;
	}
	h->open[s->open_at] = (struct open_min){ t, dbid };
	hbucket_reset(&s->d, t);
	return true;
}

/* Writes the open minutes that ended HISTORY_AGG_LAG_S ago or more (all:
 * every one) and closes them. The lag lets a target's next check, which
 * brings the end of the minute's last span, come first: a minute is
 * written once, not twice. */
static void flush_open(struct history *h, bool all)
{
	int64_t now_s = wall_ms() / 1000;

	for (size_t i = 0; i < h->nopen;) {
		uint32_t id = h->open[i].id;
		struct tstate *s;

		if (!all && h->open[i].t + HISTORY_FINE_S + HISTORY_AGG_LAG_S > now_s) {
			i++;
			continue;
		}
		s = &h->ts[id];
		if (!begin(h) || !delta_write(h, id, s))
			return;   /* history is off */
		s->d.t = 0;
		/* the last entry fills the hole, and is looked at next */
		h->open[i] = h->open[--h->nopen];
		if (i < h->nopen)
			h->ts[h->open[i].id].open_at = (uint32_t)i;
	}
}

static void on_result(struct history *h, const struct hrec_result *r)
{
	uint32_t dbid;
	struct tstate *s;
	int64_t at = r->span_from, t, piece;

	if (r->target >= h->nmap || !begin(h))
		return;
	dbid = h->map[r->target];
	s = tstate_of(h, dbid);
	while (r->span_from && span_next(&at, r->end_wall, HISTORY_FINE_S, &t, &piece)) {
		if (!delta_at(h, dbid, s, t))
			return;
		s->d.ms[r->span_kind % SPAN__COUNT] += piece;
	}
	if (delta_at(h, dbid, s, floor_to(r->end_wall, HISTORY_FINE_S)))
		hbucket_check(&s->d, eclass_is_failure((enum eclass)r->cls), r->latency_ms);
}

static void on_last(struct history *h, const struct hrec_last *r, const uint8_t *recent,
		    const char *msg)
{
	sqlite3_stmt *st = h->st_last_put;
	const char *cls = eclass_name((enum eclass)r->cls);

	if (r->target >= h->nmap || !begin(h))
		return;
	sqlite3_bind_int64(st, 1, h->map[r->target]);
	sqlite3_bind_int64(st, 2, r->time);
	sqlite3_bind_text(st, 3, state_name((enum state)r->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->since);
	sqlite3_bind_int(st, 5, r->http_status);
	if (cls)
		sqlite3_bind_text(st, 6, cls, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 6);
	if (r->msg_len)
		sqlite3_bind_text(st, 7, msg, r->msg_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	if (r->latency_ms >= 0)
		sqlite3_bind_double(st, 8, r->latency_ms);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_double(st, 9, r->total_ms);
	sqlite3_bind_int(st, 10, r->fails_in_row);
	sqlite3_bind_int(st, 11, r->oks_in_row);
	sqlite3_bind_blob(st, 12, recent, r->nrecent * RECENT_BYTES, SQLITE_STATIC);
	step_ok(h, st);
}

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *s, size_t n)
{
	if (s && n)
		sqlite3_bind_text(st, col, s, (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

static void on_event(struct history *h, const struct hrec_event *r, const char *msg,
		     const char *who)
{
	sqlite3_stmt *st = h->st_event;
	bool has_target = r->target != EVENT_NO_TARGET && r->target < h->nmap;
	uint32_t dbid = has_target ? h->map[r->target] : 0;
	const char *cls = r->cls ? eclass_name((enum eclass)r->cls) : NULL;

	if (!begin(h))
		return;
	sqlite3_bind_int64(st, 1, r->time);
	sqlite3_bind_int64(st, 2, h->run);
	if (has_target)
		sqlite3_bind_int64(st, 3, dbid);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, kind_text(r), -1, SQLITE_STATIC);
	if (r->kind == EV_STATE || r->kind == EV_ALERT) {
		sqlite3_bind_text(st, 5, state_name((enum state)r->from), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, state_name((enum state)r->to), -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, 5);
		sqlite3_bind_null(st, 6);
	}
	bind_text_or_null(st, 7, cls, cls ? strlen(cls) : 0);
	bind_text_or_null(st, 8, msg, r->msg_len);
	bind_text_or_null(st, 9, who, r->who_len);
	if (r->until)
		sqlite3_bind_int64(st, 10, r->until);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int64(st, 11, r->value);
	bind_text_or_null(st, 12, r->phase, strlen(r->phase));
	if (!step_ok(h, st) || !has_target)
		return;
	if (r->kind == EV_ACK) {
		sqlite3_bind_int64(h->st_ack, 1, dbid);
		sqlite3_bind_int64(h->st_ack, 2, r->time);
		bind_text_or_null(h->st_ack, 3, who, r->who_len);
		step_ok(h, h->st_ack);
	} else if (r->kind == EV_STATE && r->from == STATE_DOWN) {
		sqlite3_bind_int64(h->st_unack, 1, dbid);
		step_ok(h, h->st_unack);
	} else if (r->kind == EV_SILENCE) {
		sqlite3_bind_int64(h->st_mute, 1, dbid);
		sqlite3_bind_int64(h->st_mute, 2, r->until);
		bind_text_or_null(h->st_mute, 3, r->until ? who : NULL, r->who_len);
		step_ok(h, h->st_mute);
	}
}

static void on_run(struct history *h, const struct hrec_run *r)
{
	sqlite3_stmt *st;

	if (!begin(h))
		return;
	if (sqlite3_prepare_v2(h->db, "INSERT INTO runs(start, stop, clean, pid, version)"
			       " VALUES(?, ?, 0, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		go_off(h, h->w, sqlite3_errcode(h->db));
		return;
	}
	sqlite3_bind_int64(st, 1, r->start);
	sqlite3_bind_int64(st, 2, r->start);
	sqlite3_bind_int64(st, 3, r->pid);
	sqlite3_bind_text(st, 4, UPTOP_VERSION, -1, SQLITE_STATIC);
	if (step_ok(h, st))
		h->run = sqlite3_last_insert_rowid(h->db);
	sqlite3_finalize(st);
}

static void on_targets(struct history *h, const char *p, size_t len)
{
	uint32_t n, top = 0;
	const char *end = p + len;
	int64_t now = wall_ms();

	if (len < 5 || !begin(h))
		return;
	memcpy(&n, p + 1, 4);
	p += 5;
	free(h->map);
	h->map = xcalloc(n ? n : 1, sizeof(*h->map));
	h->nmap = 0;
	for (uint32_t i = 0; i < n && p < end; i++) {
		const char *name = p, *grp = name + strlen(name) + 1, *url = grp + strlen(grp) + 1;
		sqlite3_stmt *st = h->st_target;
		int rc;

		p = url + strlen(url) + 1;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, grp, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now);
		sqlite3_bind_int64(st, 5, now);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			h->map[i] = (uint32_t)sqlite3_column_int64(st, 0);
		/* RETURNING: run the statement to its end */
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			go_off(h, h->w, rc);
			return;
		}
		h->nmap = i + 1;
	}
	for (size_t i = 0; i < h->nmap; i++)
		top = h->map[i] > top ? h->map[i] : top;
	tstate_of(h, top);   /* once, for the largest id */
	h->last_seen_upd = mono_ms();
}

static void sink_write(struct writer *w, void *arg, const void *rec, size_t len)
{
	struct history *h = arg;
	const char *p = rec;

	(void)w;   /* h->w: the same, set before the thread started */
	if (atomic_load(&h->off) || !len)
		return;
	switch (p[0]) {
	case HREC_RUN:
		if (len >= sizeof(struct hrec_run))
			on_run(h, rec);
		break;
	case HREC_TARGETS: on_targets(h, p, len); break;
	case HREC_RESULT: {
		struct hrec_result r;

		if (len < sizeof(r))
			break;
		memcpy(&r, p, sizeof(r));
		on_result(h, &r);
		break;
	}
	case HREC_LAST: {
		struct hrec_last r;

		if (len < sizeof(r))
			break;
		memcpy(&r, p, sizeof(r));
		if (r.nrecent > HIST_LEN ||
		    len < sizeof(r) + (size_t)r.nrecent * RECENT_BYTES + r.msg_len)
			break;
		on_last(h, &r, (const uint8_t *)p + sizeof(r),
			p + sizeof(r) + (size_t)r.nrecent * RECENT_BYTES);
		break;
	}
	case HREC_EVENT: {
		struct hrec_event r;

		if (len < sizeof(r))
			break;
		memcpy(&r, p, sizeof(r));
		on_event(h, &r, p + sizeof(r), p + sizeof(r) + r.msg_len);
		break;
	}
	default: break;
	}
}

/* The heartbeat and a commit; stop: the run ended cleanly. */
static void commit(struct history *h, bool stop)
{
	int rc;

	if (atomic_load(&h->off) || !begin(h))
		return;
	if (h->run) {
		sqlite3_bind_int64(h->st_beat, 1, wall_ms());
		sqlite3_bind_int(h->st_beat, 2, stop);
		sqlite3_bind_int64(h->st_beat, 3, h->run);
		if (!step_ok(h, h->st_beat))
			return;
	}
	rc = sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_BUSY)
		return;   /* a reader's checkpoint: again at the next tick */
	if (rc != SQLITE_OK) {
		go_off(h, h->w, rc);
		return;
	}
	h->in_tx = false;
	h->last_commit = mono_ms();
}

static void sink_flush(struct writer *w, void *arg)
{
	struct history *h = arg;

	(void)w;   /* h->w: the same, set before the thread started */
	if (h->in_tx && mono_ms() - h->last_commit >= COMMIT_EVERY_MS)
		commit(h, false);
}

/* One small step of each prune; true when a table had more to delete. */
static bool prune_step(struct history *h)
{
	static const char *const sql[] = {
		"DELETE FROM buckets_1m WHERE (t, target) IN (SELECT t, target FROM buckets_1m"
		" WHERE t < ?1 / 1000 LIMIT ?3)",
		"DELETE FROM buckets_1h WHERE (t, target) IN (SELECT t, target FROM buckets_1h"
		" WHERE t < ?2 / 1000 LIMIT ?3)",
		"DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ?2 LIMIT ?3)",
		"DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE stop < ?2 LIMIT ?3)",
		"DELETE FROM last WHERE target IN (SELECT id FROM targets WHERE last_seen < ?2"
		" LIMIT ?3)",
		"DELETE FROM quiet WHERE target IN (SELECT id FROM targets WHERE last_seen < ?2"
		" LIMIT ?3)",
		"DELETE FROM targets WHERE id IN (SELECT id FROM targets WHERE last_seen < ?2"
		" LIMIT ?3)",
	};
	int64_t now = wall_ms();
	bool more = false;

	if (!begin(h))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(sql); i++) {
		sqlite3_stmt *st;

		if (sqlite3_prepare_v3(h->db, sql[i], -1, 0, &st, NULL) != SQLITE_OK) {
			go_off(h, h->w, sqlite3_errcode(h->db));
			return false;
		}
		sqlite3_bind_int64(st, 1, now - (int64_t)HISTORY_FINE_KEEP_S * 1000);
		sqlite3_bind_int64(st, 2, now - h->retention_ms);
		sqlite3_bind_int(st, 3, HISTORY_PRUNE_BATCH);
		if (!step_ok(h, st)) {
			sqlite3_finalize(st);
			return false;
		}
		more |= sqlite3_changes(h->db) >= HISTORY_PRUNE_BATCH;
		sqlite3_finalize(st);
	}
	return more;
}

/* The current targets are still seen (their rows are not pruned). */
static void mark_seen(struct history *h)
{
	sqlite3_stmt *st;
	int64_t now = wall_ms();

	if (!begin(h) || sqlite3_prepare_v2(h->db, "UPDATE targets SET last_seen = ?"
					    " WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	for (size_t i = 0; i < h->nmap; i++) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, h->map[i]);
		if (!step_ok(h, st))
			break;
	}
	sqlite3_finalize(st);
}

static void sink_tick(struct writer *w, void *arg)
{
	struct history *h = arg;
	int64_t now = mono_ms();

	(void)w;   /* h->w: the same, set before the thread started */
	if (atomic_load(&h->off))
		return;
	if (now - h->last_seen_upd >= SEEN_EVERY_MS) {
		mark_seen(h);
		h->last_seen_upd = now;
	}
	if (h->pruning || now - h->last_prune >= PRUNE_EVERY_MS) {
		h->pruning = prune_step(h);
		h->last_prune = now;
	}
	flush_open(h, false);
	if (h->in_tx || now - h->last_commit >= HISTORY_HEARTBEAT_MS)
		commit(h, false);
}

static void sink_close(struct writer *w, void *arg)
{
	struct history *h = arg;

	(void)w;   /* h->w: the same, set before the thread started */
	/* last_seen is left as the start or the hourly update set it: an
	 * hour is nothing to a retention of days, 10,000 updates are */
	if (!atomic_load(&h->off) && h->db) {
		flush_open(h, true);
		commit(h, true);
	}
	history_close_db(h);
}

/* --- the loop's side: attach, restore, free ---------------------------- */

void history_attach(struct history *h, struct writer *w, const struct model *m)
{
	struct hrec_run r;

	h->w = w;
	h->id = writer_add(w, &(struct writer_sink){
		.name = SINK_NAME, .arg = h, .write = sink_write, .flush = sink_flush,
		.tick = sink_tick, .close = sink_close });
	memset(&r, 0, sizeof(r));
	r.type = HREC_RUN;
	r.start = wall_ms();
	r.pid = getpid();
	put(h, &r, sizeof(r), 0);
	history_targets(h, m);
}

void history_stats(const struct history *h, struct history_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	out->dropped = h->dropped;
	out->failed = atomic_load(&((struct history *)h)->failed);
	out->off = atomic_load(&((struct history *)h)->off);
}

void history_free(struct history *h)
{
	if (!h)
		return;
	history_close_db(h);
	free(h->sent);
	free(h->ts);
	free(h->map);
	free(h->open);
	free(h->path);
	free(h);
}


/* --- restore (the loop thread, at start, before the writer runs) -------- */

struct restore {
	struct history *h;
	struct model *m;
	int64_t now_wall, now_mono;
	uint32_t *idx;          /* database id -> model index + 1 (0: none) */
	size_t nidx;
	bool *restored;
	int64_t stop;           /* the last run's last heartbeat (0: none) */
};

static int64_t mono_of(const struct restore *r, int64_t wall)
{
	return r->now_mono - (r->now_wall - wall);
}

static sqlite3_stmt *prep(struct restore *r, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(r->h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

static uint32_t model_index(const struct restore *r, int64_t dbid)
{
	return dbid > 0 && (uint64_t)dbid < r->nidx && r->idx[dbid] ? r->idx[dbid] - 1 :
								       UINT32_MAX;
}

static const char *col_text(sqlite3_stmt *st, int c)
{
	const char *s = (const char *)sqlite3_column_text(st, c);

	return s ? s : "";
}

static int map_ids(struct restore *r)
{
	sqlite3_stmt *st = prep(r, "SELECT id FROM targets WHERE name = ?");
	int64_t max = query_int(r->h->db, "SELECT max(id) FROM targets", 0);

	if (!st)
		return -1;
	r->nidx = (size_t)(max > 0 ? max : 0) + 1;
	r->idx = xcalloc(r->nidx, sizeof(*r->idx));
	r->restored = xcalloc(r->m->n ? r->m->n : 1, sizeof(*r->restored));
	for (size_t i = 0; i < r->m->n; i++) {
		sqlite3_bind_text(st, 1, r->m->v[i].conf->name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(st, 0);

			if (id > 0 && (uint64_t)id < r->nidx && !r->idx[id])
				r->idx[id] = (uint32_t)i + 1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

static void restore_recent(struct target *t, int64_t time, const uint8_t *p, int n)
{
	for (int i = 0; p && i < n && i < HIST_LEN; i++) {
		struct hist_entry e;
		int32_t back;

		memset(&e, 0, sizeof(e));
		memcpy(&back, p + i * RECENT_BYTES, 4);
		memcpy(&e.latency_ms, p + i * RECENT_BYTES + 4, 4);
		memcpy(&e.http_status, p + i * RECENT_BYTES + 8, 2);
		e.cls = p[i * RECENT_BYTES + 10] < EC__COUNT ? p[i * RECENT_BYTES + 10]
							     : EC_INTERNAL;
		e.wall_ms = time - (int64_t)back * 1000;
		target_restore_hist(t, &e);
	}
}

static int restore_last(struct restore *r)
{
	sqlite3_stmt *st = prep(r, "SELECT target, time, state, since, http_status, class,"
				" message, total_ms, failures_in_row, successes_in_row, recent"
				" FROM last");
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t i = model_index(r, sqlite3_column_int64(st, 0));
		int s = state_of(col_text(st, 2));
		struct target *t;
		struct hist_entry *newest;

		if (i == UINT32_MAX || s < 0)
			continue;
		t = &r->m->v[i];
		r->restored[i] = true;
		model_restore_state(r->m, i, (enum state)s,
				    mono_of(r, sqlite3_column_int64(st, 3)));
		memset(&t->last, 0, sizeof(t->last));
		t->last.start_wall_ms = sqlite3_column_int64(st, 1);
		t->last.start_mono_ms = mono_of(r, t->last.start_wall_ms);
		t->last.http_status = sqlite3_column_int(st, 4);
		t->last.cls = (enum eclass)eclass_of((const char *)sqlite3_column_text(st, 5));
		snprintf(t->last.msg, sizeof(t->last.msg), "%s", col_text(st, 6));
		t->last.t.total_ms = sqlite3_column_double(st, 7);
		t->has_last = true;
		t->consecutive_failures = sqlite3_column_int(st, 8);
		t->consecutive_successes = sqlite3_column_int(st, 9);
		restore_recent(t, t->last.start_wall_ms, sqlite3_column_blob(st, 10),
			       sqlite3_column_bytes(st, 10) / RECENT_BYTES);
		newest = t->hist_n ? &t->hist[(t->hist_head + HIST_LEN - 1) % HIST_LEN] : NULL;
		if (newest && t->last.cls != EC_NONE && t->last.msg[0] && !newest->msg)
			newest->msg = xstrdup(t->last.msg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int restore_quiet(struct restore *r)
{
	sqlite3_stmt *st = prep(r, "SELECT target, ack_time, ack_by, mute_until, mute_by"
				" FROM quiet");
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t i = model_index(r, sqlite3_column_int64(st, 0));
		int64_t ack = sqlite3_column_int64(st, 1), until = sqlite3_column_int64(st, 3);
		struct quiet *q;

		if (i == UINT32_MAX)
			continue;
		q = &r->m->v[i].q;
		if (ack && r->m->v[i].state == STATE_DOWN) {
			q->ack_wall_ms = ack;
			free(q->ack_by);
			q->ack_by = xstrdup(col_text(st, 2));
		}
		if (until > r->now_wall) {
			q->mute_until_wall = until;
			q->mute_until_mono = mono_of(r, until);
			free(q->mute_by);
			q->mute_by = xstrdup(col_text(st, 4));
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

#define EVENT_COLS "time, target, kind, from_state, to_state, class, message, who," \
	" until, value, phase"

static int kind_of(const char *k, uint8_t *flags)
{
	static const char *const names[] = {
		[EV_STATE] = "state", [EV_STALL] = "stall", [EV_OUTAGE] = "outage",
		[EV_ACK] = "ack", [EV_SILENCE] = "silence", [EV_MAINT] = "maintenance",
		[EV_ALERT] = "alert",
	};

	*flags = 0;
	if (strcmp(k, "alert_failed") == 0)
		return EV_ALERT;
	for (int i = 0; i < (int)ARRAY_LEN(names); i++)
		if (names[i] && strcmp(k, names[i]) == 0) {
			if (i == EV_ALERT)
				*flags = ALERT_F_OK;
			return i;
		}
	return -1;
}

/* A row of EVENT_COLS -> an event (reason malloc'd); false: not one we
 * can show (a kind this uptop does not know). */
static bool event_of(struct restore *r, sqlite3_stmt *st, struct event *ev)
{
	uint8_t flags;
	int kind = kind_of(col_text(st, 2), &flags);
	int from = state_of(col_text(st, 3)), to = state_of(col_text(st, 4));
	const char *phase = col_text(st, 10);
	int64_t value = sqlite3_column_int64(st, 9), until = sqlite3_column_int64(st, 8);
	bool who = kind == EV_ACK || kind == EV_SILENCE;

	if (kind < 0)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->wall_ms = sqlite3_column_int64(st, 0);
	ev->target = sqlite3_column_type(st, 1) == SQLITE_NULL ? EVENT_NO_TARGET :
		     model_index(r, sqlite3_column_int64(st, 1));
	ev->kind = (uint8_t)kind;
	ev->from = (uint8_t)(from < 0 ? 0 : from);
	ev->to = (uint8_t)(to < 0 ? 0 : to);
	ev->cls = (uint8_t)eclass_of((const char *)sqlite3_column_text(st, 5));
	switch (kind) {
	case EV_STATE: ev->u.outage = (uint32_t)value; break;
	case EV_STALL: ev->u.stall.ms = (uint32_t)value; break;
	case EV_OUTAGE:
		ev->u.out.targets = (uint32_t)value;
		ev->u.out.phase = strcmp(phase, "start") == 0 ? OUTAGE_START : OUTAGE_END;
		break;
	case EV_SILENCE:
		ev->u.silence.phase = strcmp(phase, "set") == 0 ? SILENCE_SET :
				      strcmp(phase, "lifted") == 0 ? SILENCE_LIFTED :
								     SILENCE_EXPIRED;
		if (until > ev->wall_ms)
			ev->u.silence.secs = (uint32_t)((until - ev->wall_ms) / 1000);
		break;
	case EV_MAINT:
		ev->u.maint.targets = (uint32_t)value;
		ev->u.maint.phase = strcmp(phase, "start") == 0 ? MAINT_START : MAINT_END;
		if (until > ev->wall_ms)
			ev->u.maint.mins = (uint16_t)((until - ev->wall_ms) / 60000);
		break;
	case EV_ALERT:
		ev->u.alert.attempts = (uint16_t)value;
		ev->u.alert.flags = flags;
		break;
	default: break;
	}
	ev->reason = xstrdup(col_text(st, who ? 7 : 6));
	return true;
}

static int restore_rings(struct restore *r, int64_t from)
{
	sqlite3_stmt *st = prep(r, "SELECT " EVENT_COLS " FROM events WHERE target = ?"
				" AND time >= ? ORDER BY time DESC, id DESC LIMIT 16");
	struct event evs[TEVENT_LEN];

	_Static_assert(TEVENT_LEN == 16, "the LIMIT above");
	if (!st)
		return -1;
	for (size_t id = 1; id < r->nidx; id++) {
		uint32_t i = model_index(r, (int64_t)id);
		unsigned n = 0;

		if (i == UINT32_MAX)
			continue;
		sqlite3_bind_int64(st, 1, (int64_t)id);
		sqlite3_bind_int64(st, 2, from);
		while (n < TEVENT_LEN && sqlite3_step(st) == SQLITE_ROW)
			if (event_of(r, st, &evs[n]))
				n++;
		sqlite3_reset(st);
		while (n--)
			target_restore_event(&r->m->v[i], &evs[n]);
	}
	sqlite3_finalize(st);
	return 0;
}

static int restore_timeline(struct restore *r, int64_t from)
{
	sqlite3_stmt *st = prep(r, "SELECT " EVENT_COLS " FROM events WHERE time >= ?"
				" ORDER BY time DESC, id DESC LIMIT ?");
	struct event *evs = xcalloc(EVENTLOG_LEN, sizeof(*evs));
	unsigned n = 0;

	if (!st) {
		free(evs);
		return -1;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int(st, 2, EVENTLOG_LEN);
	while (n < EVENTLOG_LEN && sqlite3_step(st) == SQLITE_ROW) {
		if (!event_of(r, st, &evs[n]))
			continue;
		/* a removed target's events stay in the file, not on screen */
		if (evs[n].target == UINT32_MAX && sqlite3_column_type(st, 1) != SQLITE_NULL) {
			free(evs[n].reason);
			continue;
		}
		n++;
	}
	sqlite3_finalize(st);
	while (n--)
		model_note(r->m, &evs[n]);
	free(evs);
	return 0;
}

static int restore_uptime(struct restore *r)
{
	sqlite3_stmt *st = prep(r, "SELECT target, t, down_ms, up_ms + degraded_ms +"
				" confirming_ms + down_ms FROM buckets_1h WHERE t >= ?");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, (r->now_wall - (int64_t)UPTIME_DAYS * 86400000) / 1000);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t i = model_index(r, sqlite3_column_int64(st, 0));
		struct target *t;

		if (i == UINT32_MAX)
			continue;
		t = &r->m->v[i];
		if (!t->up) {
			t->up = xmalloc(sizeof(*t->up));
			uptime_init(t->up);
		}
		uptime_add_hour(t->up, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
				sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The incidents (times DOWN) of the last `from` on: the state changes
 * into and out of DOWN, oldest first; then a target restored DOWN has
 * its incident open, across the gap since the last run. */
static int restore_incidents(struct restore *r, int64_t from)
{
	sqlite3_stmt *st = prep(r, "SELECT target, time, from_state, to_state, class"
				" FROM events WHERE kind = 'state' AND time >= ?"
				" AND (from_state = 'down' OR to_state = 'down')"
				" ORDER BY target, time, id");
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, from);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t i = model_index(r, sqlite3_column_int64(st, 0));
		int f = state_of(col_text(st, 2)), to = state_of(col_text(st, 3));

		if (i == UINT32_MAX || f < 0 || to < 0)
			continue;
		target_restore_change(&r->m->v[i], sqlite3_column_int64(st, 1), (enum state)f,
				      (enum state)to,
				      (uint8_t)eclass_of((const char *)sqlite3_column_text(st, 4)),
				      false);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < r->m->n; i++) {
		struct target *t = &r->m->v[i];

		if (r->restored[i] && t->state == STATE_DOWN)
			target_restore_change(t, r->now_wall - (r->now_mono - t->since_mono_ms),
					      STATE_DOWN, STATE_DOWN, (uint8_t)t->last.cls,
					      r->stop && r->stop < r->now_wall);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The time since the last run stopped: on the timeline and in the ring
 * of every target that was restored. */
static void restore_gap(struct restore *r)
{
	int64_t stop = r->stop;
	char from[32], to[32], len[32];
	struct event ev;

	if (!stop || stop >= r->now_wall)
		return;
	/* local time, as the timeline's stamps; dated across midnight */
	fmt_stamp(from, sizeof(from), stop, fmt_day(stop) != fmt_day(r->now_wall));
	fmt_stamp(to, sizeof(to), r->now_wall, fmt_day(stop) != fmt_day(r->now_wall));
	fmt_duration(len, sizeof(len), r->now_wall - stop);
	memset(&ev, 0, sizeof(ev));
	ev.wall_ms = stop;
	ev.target = EVENT_NO_TARGET;
	ev.kind = EV_GAP;
	ev.u.gap.secs = (uint32_t)((r->now_wall - stop) / 1000 > UINT32_MAX ? UINT32_MAX :
				   (r->now_wall - stop) / 1000);
	for (size_t i = 0; i < r->m->n; i++) {
		struct event e = ev;

		if (!r->restored[i])
			continue;
		e.target = (uint32_t)i;
		e.reason = xasprintf("uptop was not running from %s to %s (%s)", from, to, len);
		target_restore_event(&r->m->v[i], &e);
	}
	ev.reason = xasprintf("uptop was not running from %s to %s (%s)", from, to, len);
	model_note(r->m, &ev);
}

size_t history_restore(struct history *h, struct model *m, int64_t now_wall,
		       int64_t now_mono, char *err, size_t elen)
{
	struct restore r = { h, m, now_wall, now_mono, NULL, 0, NULL, 0 };
	int64_t from = now_wall - (int64_t)HISTORY_RESTORE_EVENT_DAYS * 86400000;
	size_t n = 0;
	int rc;

	if (elen)
		err[0] = '\0';
	if (!h || !h->db)
		return 0;
	exec_sql(h->db, "BEGIN", err, elen);
	r.stop = query_int(h->db, "SELECT stop FROM runs ORDER BY id DESC LIMIT 1", 0);
	rc = map_ids(&r);
	if (!rc)
		rc = restore_last(&r);
	if (!rc)
		rc = restore_quiet(&r);
	if (!rc)
		rc = restore_rings(&r, from);
	if (!rc)
		rc = restore_timeline(&r, from);
	if (!rc)
		rc = restore_uptime(&r);
	if (!rc)
		rc = restore_incidents(&r, from);
	if (!rc)
		restore_gap(&r);
	else
		snprintf(err, elen, "history %s: reading it back: %s", h->path,
			 sqlite3_errmsg(h->db));
	exec_sql(h->db, "COMMIT", err + strlen(err), 0);
	for (size_t i = 0; i < m->n && r.restored; i++)
		n += r.restored[i];
	free(r.idx);
	free(r.restored);
	log_debug("history: %zu of %zu targets restored", n, m->n);
	return n;
}

/* --- what the alerts told (history_told; read at start, like restore) -- */

#define TOLD_SINCE_UP "SELECT time, id FROM events WHERE target = ?1 AND kind = 'state'" \
	" AND to_state = 'up' ORDER BY time DESC, id DESC LIMIT 1"
/* rows in the order they were written (id) since that UP; the time
 * bound only lets the (target, time) index find them */
#define TOLD_ROWS "SELECT time, kind, from_state, to_state, message FROM events" \
	" WHERE target = ?1 AND time >= ?2 AND id > ?3 AND (kind = 'alert' OR" \
	" (kind = 'state' AND to_state IN ('up', 'degraded', 'down'))) ORDER BY id"

/* One target's rows (database id dbid, model index i) onto *v. */
static int told_target(sqlite3_stmt *up, sqlite3_stmt *st, int64_t dbid, uint32_t i,
		       struct history_told **v, size_t *n, size_t *cap)
{
	int64_t from_time = 0, from_id = 0;
	int rc;

	sqlite3_bind_int64(up, 1, dbid);
	if ((rc = sqlite3_step(up)) == SQLITE_ROW) {
		from_time = sqlite3_column_int64(up, 0);
		from_id = sqlite3_column_int64(up, 1);
	}
	sqlite3_reset(up);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	sqlite3_bind_int64(st, 1, dbid);
	sqlite3_bind_int64(st, 2, from_time);
	sqlite3_bind_int64(st, 3, from_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bool alert = strcmp(col_text(st, 1), "alert") == 0;
		int f = state_of(col_text(st, 2)), to = state_of(col_text(st, 3));
		const char *msg = col_text(st, 4);
		/* an alert's event says its name first: "pager: sent"
		 * (names have no ':') */
		size_t len = alert ? strcspn(msg, ":") : 0;
		struct history_told *r;

		if (f < 0 || to < 0 || (alert && (!len || len > ALERT_NAME_MAX)))
			continue;
		*v = xreallocarray_grow(*v, cap, *n + 1, sizeof(**v));
		r = &(*v)[(*n)++];
		r->target = i;
		r->time = sqlite3_column_int64(st, 0);
		r->from = (uint8_t)f;
		r->to = (uint8_t)to;
		memcpy(r->alert, msg, len);
		r->alert[len] = '\0';
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The last outage event, when it is a start (target IS NULL: the
 * (target, time) index walks the events of no target only, newest first) */
#define OPEN_OUTAGE "SELECT e.id, e.time, e.phase, r.stop FROM events e" \
	" LEFT JOIN runs r ON r.id = e.run WHERE e.target IS NULL AND e.kind = 'outage'" \
	" ORDER BY e.time DESC, e.id DESC LIMIT 1"
/* What told of its start: an alert with no target, into DOWN, after it
 * (its name first in the message: "pager: sent") */
#define OUTAGE_TOLD "SELECT DISTINCT substr(message, 1, instr(message, ':') - 1) FROM events" \
	" WHERE id > ?1 AND kind IN ('alert', 'alert_failed') AND target IS NULL" \
	" AND to_state = 'down' AND instr(message, ':') > 1"

static int outage_told(sqlite3_stmt *st, int64_t id, struct history_outage *o)
{
	int rc;

	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = col_text(st, 0);

		if (o->nalerts == HISTORY_OUTAGE_ALERTS || strlen(name) > ALERT_NAME_MAX)
			continue;
		memcpy(o->alerts[o->nalerts++], name, strlen(name) + 1);
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

bool history_open_outage(struct history *h, struct history_outage *o, char *err, size_t elen)
{
	sqlite3_stmt *last = NULL, *told = NULL;
	int rc = 0;

	memset(o, 0, sizeof(*o));
	if (elen)
		err[0] = '\0';
	if (!h || !h->db)
		return true;
	if (sqlite3_prepare_v2(h->db, OPEN_OUTAGE, -1, &last, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, OUTAGE_TOLD, -1, &told, NULL) != SQLITE_OK) {
		rc = -1;
	} else if ((rc = sqlite3_step(last)) == SQLITE_ROW) {
		rc = 0;
		if (strcmp(col_text(last, 2), "start") == 0) {
			o->since = sqlite3_column_int64(last, 1);
			o->stopped = sqlite3_column_int64(last, 3);
			rc = outage_told(told, sqlite3_column_int64(last, 0), o);
		}
	} else {
		rc = rc == SQLITE_DONE ? 0 : -1;
	}
	if (rc)
		snprintf(err, elen, "history %s: reading back the outage left open: %s", h->path,
			 sqlite3_errmsg(h->db));
	sqlite3_finalize(last);
	sqlite3_finalize(told);
	return rc == 0;
}

size_t history_told(struct history *h, const struct model *m, struct history_told **out,
		    char *err, size_t elen)
{
	sqlite3_stmt *id = NULL, *up = NULL, *st = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	if (elen)
		err[0] = '\0';
	if (!h || !h->db)
		return 0;
	if (sqlite3_prepare_v2(h->db, "SELECT id FROM targets WHERE name = ?", -1, &id,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, TOLD_SINCE_UP, -1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h->db, TOLD_ROWS, -1, &st, NULL) != SQLITE_OK)
		rc = -1;
	for (size_t i = 0; i < m->n && !rc; i++) {
		const struct target *t = &m->v[i];

		if (t->state != STATE_DOWN && t->state != STATE_DEGRADED)
			continue;
		sqlite3_bind_text(id, 1, t->conf->name, -1, SQLITE_STATIC);
		rc = sqlite3_step(id);
		if (rc == SQLITE_ROW)
			rc = told_target(up, st, sqlite3_column_int64(id, 0), (uint32_t)i, out,
					 &n, &cap);
		else
			rc = rc == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(id);
	}
	if (rc)
		snprintf(err, elen, "history %s: reading back what the alerts told: %s",
			 h->path, sqlite3_errmsg(h->db));
	sqlite3_finalize(id);
	sqlite3_finalize(up);
	sqlite3_finalize(st);
	return n;
}
