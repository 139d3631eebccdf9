/* test_history.c - what the history's writer puts in the file, and when:
 * a target's minute when its checks move on to a later minute, or
 * HISTORY_AGG_LAG_S after it ended (not before: a minute is written
 * once), always into its minute and its hour row alike; its row of `last`
 * at its first result and on a state change, not at every check, and as
 * the model has it at a clean stop (history_stop). A real model, a real
 * writer thread and a real SQLite file in a temp dir, read back here. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "history.h"
#include "loop.h"
#include "tap.h"
#include "target.h"
#include "util.h"
#include "writer.h"

static char dir[] = "/tmp/uptop-history-XXXXXX";
static char path[256];
static int64_t wall0, mono0;     /* the same moment, at the start */

/* Hand-built confs (config.c's defaults are not the point here). */
static struct target_conf *confs_new(const char *const *names, size_t n)
{
	struct target_conf *c = xcalloc(n, sizeof(*c));

	for (size_t i = 0; i < n; i++) {
		c[i].name = xstrdup(names[i]);
		c[i].group = xstrdup("");
		c[i].url = xstrdup(i ? "http://u:pw@127.0.0.1/x" : "http://127.0.0.1/");
		c[i].failures_before_down = 1;
		c[i].successes_before_up = 1;
		c[i].interval_ms = 10000;
		c[i].timeout_ms = 5000;
	}
	return c;
}

static void confs_free(struct target_conf *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].group);
		free(c[i].url);
	}
	free(c);
}

/* One check of target i that started at `start` (wall ms) and took 100 ms,
 * recorded and handed to the history as the engine does, on a clock
 * where it ended when it says. */
static void check(struct history *h, struct model *m, uint32_t i, int64_t start, bool ok)
{
	struct result r;
	struct event ev;

	memset(&r, 0, sizeof(r));
	r.cls = ok ? EC_NONE : EC_REFUSED;
	r.http_status = ok ? 200 : 0;
	r.t.total_ms = 100;
	r.start_wall_ms = start;
	r.start_mono_ms = mono0 - (wall0 - start);
	if (!ok)
		snprintf(r.msg, sizeof(r.msg), "connection refused");
	if (model_record(m, i, &r, r.start_mono_ms + 100, &ev))
		history_event(h, m, &ev);
	history_result(h, m, i, &r);
}

static int64_t q_int(const char *sql, int64_t a1, int64_t a2)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a1);
		sqlite3_bind_int64(st, 2, a2);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 :
							       sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The text of the first column of the first row ("" if none). */
static void q_text(const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	buf[0] = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Waits up to 15 s for q_text(sql) to be want; what it read last. */
static const char *q_wait_text(const char *want, const char *sql)
{
	static char buf[64];
	int64_t end = mono_ms() + 15000;

	while (q_text(sql, buf, sizeof(buf)), strcmp(buf, want) != 0 && mono_ms() < end)
		usleep(50000);
	return buf;
}

/* Waits up to 15 s for q_int(sql) == want (the writer commits about once
 * a second); the last value read. */
static int64_t q_wait(int64_t want, const char *sql, int64_t a1, int64_t a2)
{
	int64_t end = mono_ms() + 15000, v;

	while ((v = q_int(sql, a1, a2)) != want && mono_ms() < end)
		usleep(50000);
	return v;
}

#define MIN_CHECKS "SELECT sum(checks) FROM buckets_1m WHERE target = (SELECT id FROM" \
	" targets WHERE name = 'a') AND t = ?1"
#define SUMS_AGREE "SELECT (SELECT sum(checks) FROM buckets_1m) = (SELECT sum(checks)" \
	" FROM buckets_1h) AND (SELECT sum(up_ms + down_ms) FROM buckets_1m) =" \
	" (SELECT sum(up_ms + down_ms) FROM buckets_1h) AND (SELECT sum(lat_n) FROM" \
	" buckets_1m) = (SELECT sum(lat_n) FROM buckets_1h)"
#define LAST_OF(col, name) "SELECT " col " FROM last WHERE target = (SELECT id FROM" \
	" targets WHERE name = '" name "')"

static void test_writes(void)
{
	static const char *const names[] = { "a", "b" };
	struct target_conf *confs = confs_new(names, 2);
	struct model m;
	struct loop *l = loop_new();
	struct writer *w = writer_new(l, 0, NULL, NULL);
	struct history *h;
	char err[512];
	int64_t now_s, cur, prev, old, fail1, fail2;

	/* far enough from the next minute that "not yet" stays true while
	 * the test looks: the current minute's lag ends 60 s after it does */
	if ((wall_ms() / 1000) % 60 > 40)
		sleep((unsigned)(61 - (wall_ms() / 1000) % 60));
	wall0 = wall_ms();
	mono0 = mono_ms();
	now_s = wall0 / 1000;
	cur = now_s - now_s % 60;
	prev = cur - 60;
	old = cur - 240;
	model_init(&m, confs, 2, mono0);
	h = history_open(path, 0, err, sizeof(err));
	OK(h != NULL, "the history opens (%s)", h ? "" : err);
	if (!h)
		return;
	history_attach(h, w, &m);
	OK(writer_start(w, err, sizeof(err)) == 0, "the writer starts");

	/* a: six checks in the minute before this one, the first writes its
	 * row of last (pending -> up), the others do not */
	for (int k = 0; k < 6; k++)
		check(h, &m, 0, prev * 1000 + 2000 + k * 10000, true);
	/* b: three minutes of checks that ended long ago, then nothing (and
	 * what the writer does with them, it does after a's: records keep
	 * their order) */
	for (int k = 0; k < 12; k++)
		check(h, &m, 1, old * 1000 + 5000 + k * 10000, true);
	IS_INT(q_wait(12, "SELECT sum(checks) FROM buckets_1m WHERE target = (SELECT id"
		      " FROM targets WHERE name = 'b')", 0, 0), 12,
	       "b's minutes are written HISTORY_AGG_LAG_S after they ended, though no "
	       "check of b came after them");
	IS_INT(q_int(LAST_OF("time", "a"), 0, 0), prev * 1000 + 2000,
	       "a's row of last: its first result (a state change), not each one after");
	IS_INT(q_int(MIN_CHECKS, prev, 0), -2,
	       "a's last minute is not written yet: its checks have not moved on");

	/* a: a failure in this minute (up -> down): the minute before is
	 * complete now, and the state change is written at once */
	fail1 = cur * 1000 + 100 > wall0 - 2000 ? cur * 1000 + 100 : wall0 - 2000;
	check(h, &m, 0, fail1, false);
	IS_STR(q_wait_text("down", LAST_OF("state", "a")), "down",
	       "a state change writes the row of last at the next commit");
	IS_INT(q_int(LAST_OF("since", "a"), 0, 0), fail1 + 100,
	       "since: the end of the check that changed it, as its state event");
	IS_INT(q_int(MIN_CHECKS, prev, 0), 6,
	       "a's minute before is written as its checks move on to this one");
	IS_INT(q_int(MIN_CHECKS, cur, 0), -2, "this minute is open, not written");
	IS_INT(q_int(LAST_OF("length(recent) / 12", "a"), 0, 0), 7,
	       "the sparkline in the row: every result so far");
	IS_INT(q_int(SUMS_AGREE, 0, 0), 1, "the hours hold what their minutes hold");

	/* a: one more failure, no state change: only a clean stop writes it
	 * (b's goes down after it: when b's row says so, a's came through) */
	fail2 = fail1 + 1000;
	check(h, &m, 0, fail2, false);
	check(h, &m, 1, fail2, false);
	IS_STR(q_wait_text("down", LAST_OF("state", "b")), "down",
	       "b goes down after a's second failure");
	IS_INT(q_int(LAST_OF("time", "a"), 0, 0), fail1,
	       "a result that changes nothing does not write the row of last");
	history_stop(h, &m, mono_ms() + 5000);
	OK(writer_free(w, 5000, NULL), "a clean stop");
	history_free(h);
	IS_INT(q_int(LAST_OF("time", "a"), 0, 0), fail2,
	       "at a clean stop the row of last is the model's last result");
	IS_INT(q_int(LAST_OF("length(recent) / 12", "a"), 0, 0), 8, "with its whole sparkline");
	IS_INT(q_int(LAST_OF("since", "a"), 0, 0), fail1 + 100, "and since kept");
	IS_INT(q_int(LAST_OF("failures_in_row", "a"), 0, 0), 2, "and the failures in a row");
	IS_INT(q_int(MIN_CHECKS, cur, 0), 2, "and the open minute is written");
	IS_INT(q_int("SELECT sum(checks) FROM buckets_1h", 0, 0), 21,
	       "every check of the run is in the hours");
	IS_INT(q_int(SUMS_AGREE, 0, 0), 1, "as in the minutes");
	IS_INT(q_int("SELECT clean FROM runs", 0, 0), 1, "the run is marked clean");
	{
		char url[64];

		q_text("SELECT url FROM targets WHERE name = 'b'", url, sizeof(url));
		IS_STR(url, "http://***@127.0.0.1/x", "a URL's credentials never reach the file");
	}
	model_free(&m);
	confs_free(confs, 2);
	loop_free(l);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/h.db", dir);
	test_writes();
	unlink(path);
	rmdir(dir);
	return tap_done();
}
