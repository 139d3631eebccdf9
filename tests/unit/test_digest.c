/* test_digest.c - `uptop report`'s arithmetic and formats without a
 * database: times on the command line, gaps between runs, incidents
 * (inside, across and at the edges of the window, across a gap, still
 * open), MTTR, the longest outage, groups, and what each format does
 * with hostile text. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "fmt.h"
#include "tap.h"

#define S 1000LL
/* 2026-11-30T00:00:00Z */
#define T0 1795996800000LL

static void test_parse_time(void)
{
	int64_t v = 0, now = T0 + 10 * 3600 * S;
	char err[256];

	setenv("TZ", "CET-1", 1);   /* a fixed UTC+01:00, no tzdata needed */
	tzset();
	OK(digest_parse_time("2026-11-30T14:00:00Z", now, &v, err, sizeof(err)) == 0 &&
	   v == T0 + 14 * 3600 * S, "ISO 8601 in UTC");
	OK(digest_parse_time("2026-11-30T14:00:05.25+02:00", now, &v, err, sizeof(err)) == 0 &&
	   v == T0 + 12 * 3600 * S + 5250, "an offset and a fraction");
	OK(digest_parse_time("2026-11-30T14:00-0130", now, &v, err, sizeof(err)) == 0 &&
	   v == T0 + (15 * 60 + 30) * 60 * S, "an offset without a colon");
	OK(digest_parse_time("2026-11-30 14:00", now, &v, err, sizeof(err)) == 0 &&
	   v == T0 + 13 * 3600 * S, "a local time (UTC+1)");
	OK(digest_parse_time("2026-11-30", now, &v, err, sizeof(err)) == 0 &&
	   v == T0 - 3600 * S, "a date: local midnight");
	OK(digest_parse_time("36h", now, &v, err, sizeof(err)) == 0 && v == now - 36 * 3600 * S,
	   "a duration back from now");
	OK(digest_parse_time("now", now, &v, err, sizeof(err)) == 0 && v == now, "now");
	static const char *const bad[] = {
		"2026-02-30", "2026-13-01", "2026-11-30 25:00", "2026-11-30T14:00+99:00",
		"2026-11-30T14", "2026-11-30 14:00:00.", "2026-11-30x", "yesterday", "", "-5m",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		OK(digest_parse_time(bad[i], now, &v, err, sizeof(err)) != 0 &&
		   strstr(err, bad[i]) && strchr(err, '\n') == NULL,
		   "'%s' is refused with a message naming it", bad[i]);
	}
	HAS_STR(err, "(7d, 36h)", "the message says what to write");
}

static void test_format_of(void)
{
	enum digest_format f;

	OK(digest_format_of("md", &f) == 0 && f == DIGEST_MD, "md");
	OK(digest_format_of("csv", &f) == 0 && f == DIGEST_CSV, "csv");
	OK(digest_format_of("table", &f) == 0 && f == DIGEST_TABLE, "table");
	OK(digest_format_of("json", &f) == 0 && f == DIGEST_JSON, "json");
	OK(digest_format_of("yaml", &f) != 0, "yaml is not one");
}

/* Two runs, [0, 100 s] and [200 s, 300 s]; the window [0, 400 s). */
static void two_runs(struct digest_input *in)
{
	memset(in, 0, sizeof(*in));
	in->from = T0;
	in->to = T0 + 400 * S;
	in->now = T0 + 400 * S;
	in->history = strdup("h.db");
	digest_input_run(in, T0 + 200 * S, T0 + 300 * S);   /* out of order */
	digest_input_run(in, T0, T0 + 100 * S);
}

static void test_gaps_and_incidents(void)
{
	struct digest_input in;
	struct digest d;
	struct digest_target *t, *u;

	two_runs(&in);
	t = digest_input_target(&in, "api", "web");
	t->in_history = true;
	digest_input_change(t, T0 + 10 * S, false, true, "timeout", "timeout: after 5000 ms");
	digest_input_change(t, T0 + 20 * S, true, false, NULL, "ok");
	digest_input_change(t, T0 + 90 * S, false, true, "refused", "refused: 127.0.0.1:1");
	digest_input_change(t, T0 + 250 * S, true, false, NULL, "ok");
	digest_input_change(t, T0 + 280 * S, false, true, "dns", "dns: no such name");
	t->last_check = T0 + 295 * S;
	hbucket_check(&t->sum, false, 10);
	hbucket_check(&t->sum, false, 20);
	hbucket_check(&t->sum, true, -1);
	t->sum.ms[SPAN_UP] = 150 * S;
	t->sum.ms[SPAN_DOWN] = 50 * S;
	u = digest_input_target(&in, "db", "web");
	u->in_history = true;
	hbucket_check(&u->sum, false, 40);
	u->sum.ms[SPAN_UP] = 200 * S;
	digest_input_target(&in, "new", "other");

	digest_build(&d, &in);
	IS_INT(d.ngaps, 2, "two gaps");
	OK(d.ngaps == 2 && d.gaps[0].start == T0 + 100 * S && d.gaps[0].end == T0 + 200 * S &&
	   d.gaps[1].start == T0 + 300 * S && d.gaps[1].end == T0 + 400 * S,
	   "between the runs and after the last");
	IS_INT(d.unwatched_ms, 200 * S, "not watched: 200 s");
	IS_INT(d.runs, 2, "two runs in the window");

	IS_INT(d.rows[0].ninc, 3, "api: three incidents");
	IS_INT(d.rows[0].inc[0].down_ms, 10 * S, "the first: 10 s");
	IS_STR(d.rows[0].inc[0].msg, "after 5000 ms", "its message without the class");
	IS_STR(d.rows[0].inc[0].cls, "timeout", "its class");
	IS_INT(d.rows[0].inc[1].unwatched_ms, 100 * S, "across the gap: 100 s not watched");
	IS_INT(d.rows[0].inc[1].down_ms, 60 * S, "and 60 s watched down");
	OK(d.rows[0].inc[2].end == 0 && d.rows[0].inc[2].down_ms == 20 * S,
	   "still down at the end: open, watched until its run stopped (20 s)");
	IS_INT(d.rows[0].s.mttr_ms, 35 * S, "MTTR: the mean of the ended ones");
	IS_INT(d.rows[0].s.longest_ms, 60 * S, "the longest");
	IS_INT(d.rows[0].s.sum.checks, 3, "checks from the buckets");
	OK(d.rows[0].s.uptime_pct > 74.99 && d.rows[0].s.uptime_pct < 75.01,
	   "uptime: 1 - down / watched");
	OK(d.rows[0].s.p50_ms >= 10 && d.rows[0].s.p50_ms <= 20 * 1.4 &&
	   d.rows[0].s.p95_ms >= d.rows[0].s.p50_ms, "p50 and p95 from the histogram");
	OK(d.rows[2].s.uptime_pct < 0 && d.rows[2].s.p50_ms < 0 && d.rows[2].s.mttr_ms < 0 &&
	   d.rows[2].s.longest_ms < 0, "a target never watched: no figures");

	IS_INT(d.ngroups, 2, "two groups");
	OK(strcmp(d.groups[0].name, "web") == 0 && d.groups[0].members == 2 &&
	   d.groups[0].s.sum.checks == 4 && d.groups[0].s.incidents == 3 &&
	   d.groups[0].s.sum.ms[SPAN_UP] == 350 * S, "a group sums its targets");
	OK(d.groups[0].s.uptime_pct > 87.49 && d.groups[0].s.uptime_pct < 87.51,
	   "a group's uptime weighs its targets' watched time");
	digest_free(&d);

	/* a window that starts inside the first incident and ends inside
	 * the one across the gap: both listed with their real times */
	in.from = T0 + 15 * S;
	in.to = T0 + 95 * S;
	digest_build(&d, &in);
	IS_INT(d.rows[0].ninc, 2, "a window in the middle: two incidents");
	OK(d.rows[0].inc[0].start == T0 + 10 * S && d.rows[0].inc[0].end == T0 + 20 * S,
	   "the one that began before the window: its real start");
	OK(d.rows[0].inc[1].end == T0 + 250 * S, "the one that ended after it: its real end");
	IS_INT(d.ngaps, 0, "a window inside a run: no gap");
	digest_free(&d);

	in.from = T0 + 50 * S;
	in.to = T0 + 250 * S;
	digest_build(&d, &in);
	OK(d.ngaps == 1 && d.gaps[0].start == T0 + 100 * S && d.gaps[0].end == T0 + 200 * S &&
	   d.unwatched_ms == 100 * S, "the gap between the runs, within the window");
	digest_free(&d);

	in.from = T0 + 150 * S;
	in.to = T0 + 350 * S;
	digest_build(&d, &in);
	OK(d.ngaps == 2 && d.gaps[0].start == T0 + 150 * S && d.gaps[0].end == T0 + 200 * S &&
	   d.gaps[1].start == T0 + 300 * S && d.gaps[1].end == T0 + 350 * S,
	   "gaps are cut at the window's edges");
	digest_free(&d);

	in.from = T0 + 25 * S;
	in.to = T0 + 85 * S;
	digest_build(&d, &in);
	IS_INT(d.rows[0].ninc, 0, "a window between incidents has none");
	digest_free(&d);
	digest_input_free(&in);
}

static void test_unknown_start(void)
{
	struct digest_input in;
	struct digest d;
	struct digest_target *t;

	two_runs(&in);
	t = digest_input_target(&in, "api", "");
	/* the change into DOWN was pruned: only its end is left */
	digest_input_change(t, T0 + 50 * S, true, false, NULL, "ok");
	digest_build(&d, &in);
	OK(d.rows[0].ninc == 1 && d.rows[0].inc[0].before && d.rows[0].inc[0].start == T0 &&
	   d.rows[0].inc[0].down_ms == 50 * S, "down since before the history: start unknown");
	digest_free(&d);
	digest_input_free(&in);
}

static char *print(const struct digest *d, enum digest_format f, int width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	digest_print(m, d, f, width, true);
	fclose(m);
	return buf;
}

static void test_formats(void)
{
	struct digest_input in;
	struct digest d;
	struct digest_target *t;
	char *out, *line;
	int widest = 0;

	two_runs(&in);
	t = digest_input_target(&in, "shop, \"eu\"", "web|front");
	digest_input_change(t, T0 + 10 * S, false, true, "body",
			    "body: =HYPERLINK(\"x\") [click](http://evil) <b>|</b>\n\x1b[2J");
	digest_input_change(t, T0 + 20 * S, true, false, NULL, "ok");
	digest_input_target(&in, "a-name-far-too-long-for-the-table-of-eighty-columns-or-so-yes",
			    "web|front");
	digest_build(&d, &in);

	out = print(&d, DIGEST_CSV, 80);
	HAS_STR(out, "row,name,group,checks,", "csv: a header row");
	HAS_STR(out, "target,\"shop, \"\"eu\"\"\",web|front,",
		"csv: quotes doubled, commas quoted");
	HAS_STR(out, ",body,\"'=HYPERLINK(\"\"x\"\")", "csv: a message that is a formula is not");
	OK(strstr(out, "\r\n") && !strstr(out, "\x1b"), "csv: CRLF rows; no controls");
	free(out);

	out = print(&d, DIGEST_MD, 80);
	HAS_STR(out, "| Target | Group | Checks |", "md: the table's header");
	HAS_STR(out, "web\\|front", "md: a | in a cell is escaped");
	HAS_STR(out, "\\[click\\](http://evil) \\<b\\>\\|\\</b\\>", "md: no links, no HTML");
	OK(!strstr(out, "\x1b") && !strstr(out, "\n\x1b"), "md: no controls");
	free(out);

	out = print(&d, DIGEST_JSON, 80);
	HAS_STR(out, "\"name\":\"shop, \\\"eu\\\"\"", "json: names escaped");
	HAS_STR(out, "\"start\":\"2026-11-30T00:00:10.000Z\",\"end\":\"2026-11-30T00:00:20.000Z\","
		"\"duration_ms\":10000", "json: an incident, UTC to the ms");
	HAS_STR(out, "\\u001b[2J", "json: controls as \\u escapes");
	OK(out[strlen(out) - 1] == '\n' && strchr(out, '\n') == out + strlen(out) - 1,
	   "json: one document on one line");
	free(out);

	out = print(&d, DIGEST_TABLE, 80);
	for (line = out; *line;) {
		char *nl = strchr(line, '\n'), save;
		int w;

		if (!nl)
			break;
		save = nl[0];
		nl[0] = '\0';
		w = fmt_width(line);
		widest = w > widest ? w : widest;
		nl[0] = save;
		line = nl + 1;
	}
	OK(widest <= 80, "table: every line within 80 columns (%d)", widest);
	OK(!strstr(out, "\x1b"), "table: no controls");
	HAS_STR(out, "INCIDENTS (1)", "table: the incidents");
	HAS_STR(out, "NOT WATCHED (2)", "table: the gaps");
	free(out);
	digest_free(&d);
	digest_input_free(&in);
}

int main(void)
{
	test_parse_time();
	test_format_of();
	test_gaps_and_incidents();
	test_unknown_start();
	test_formats();
	return tap_done();
}
