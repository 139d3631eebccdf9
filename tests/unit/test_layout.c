/* test_layout.c - the live table's column layout at 20..200 columns (the
 * UI's own column table), and the phase bar split. Pure: no terminal
 * needed. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "tap.h"
#include "ui_tables.h"

#define MAXC UI_COLUMNS_MAX

static struct layout_col cols[MAXC];
static struct layout_slot slot[MAXC];
static int ncols;
/* The table's column c is ui_columns[map[c]], and ui_columns[i] is the
 * table's column inv[i]: the ALERTS column shows only once some target
 * is acknowledged, muted or in maintenance. */
static int map[MAXC], inv[MAXC];

/* The columns these tests name, found by key in the UI's table. */
static int COL_STATE, COL_NAME, COL_GROUP, COL_CODE, COL_LATENCY, COL_P95,
	COL_SPARK, COL_UPTIME, COL_UP24H, COL_UP7D, COL_CERT, COL_FAILS, COL_SINCE, COL_ERROR,
	COL_ALERTS;

static int col(const char *key)
{
	for (int c = 0; c < ncols; c++)
		if (strcmp(ui_columns[map[c]].key, key) == 0)
			return c;
	printf("# no column \"%s\"\n", key);
	return MAXC - 1;     /* never shown: the checks on it fail */
}

static void columns_find(bool alerts)
{
	ncols = 0;
	for (size_t i = 0; i < ui_ncolumns; i++) {
		inv[i] = MAXC - 1;
		if (alerts || strcmp(ui_columns[i].key, "alerts") != 0) {
			inv[i] = ncols;
			map[ncols++] = (int)i;
		}
	}
	COL_ALERTS = alerts ? col("alerts") : MAXC - 1;
	COL_STATE = col("state");
	COL_NAME = col("name");
	COL_GROUP = col("group");
	COL_CODE = col("code");
	COL_LATENCY = col("latency");
	COL_P95 = col("p95");
	COL_SPARK = col("history");
	COL_UPTIME = col("uptime");
	COL_UP24H = col("up24h");
	COL_UP7D = col("up7d");
	COL_CERT = col("cert");
	COL_FAILS = col("failures");
	COL_SINCE = col("since");
	COL_ERROR = col("error");
}

/* The table as the UI builds it: names up to 24 columns wide, groups. */
static void table_init(int name_max)
{
	for (int c = 0; c < ncols; c++)
		cols[c] = ui_columns[map[c]].fit;
	cols[COL_NAME].max = name_max;
}

static size_t fit(int width)
{
	return layout_fit(cols, (size_t)ncols, width, LAYOUT_GAP, slot);
}

static int shown(int c)
{
	return slot[c].w > 0;
}

/* Invariants at any width: within bounds, left to right, one gap between
 * neighbours, each shown column at least its minimum (or its max, when a
 * short longest name caps it). */
static int sane(int width)
{
	int end = -1;

	for (int c = 0; c < ncols; c++) {
		if (!slot[c].w)
			continue;
		if (slot[c].x + slot[c].w > width)
			return 0;
		if (end >= 0 && slot[c].x != end + LAYOUT_GAP)
			return 0;
		if (end < 0 && slot[c].x != 0)
			return 0;
		if (slot[c].w < cols[c].min &&
		    !(cols[c].max && slot[c].w == cols[c].max))
			return 0;
		end = slot[c].x + slot[c].w;
	}
	return 1;
}

static void check_sane(int width)
{
	OK(sane(width), "width %d: columns in bounds, in order, one gap apart, "
			"at least their minimum", width);
}

static int used(void)
{
	int end = 0;

	for (int c = 0; c < ncols; c++)
		if (slot[c].w)
			end = slot[c].x + slot[c].w;
	return end;
}

static void test_widths(void)
{
	table_init(24);

	fit(20);
	check_sane(20);
	OK(shown(COL_STATE) && shown(COL_NAME), "20: state and name shown");
	OK(!shown(COL_ERROR) && !shown(COL_SPARK) && !shown(COL_GROUP),
	   "20: everything else dropped");
	IS_INT(used(), 20, "20: name takes the rest of the line");

	fit(40);
	check_sane(40);
	OK(shown(COL_STATE) && shown(COL_NAME) && shown(COL_ERROR) &&
		   shown(COL_LATENCY),
	   "40: state, name, error, latency");
	OK(!shown(COL_GROUP) && !shown(COL_P95) && !shown(COL_FAILS),
	   "40: group, p95, failures dropped");
	OK(slot[COL_NAME].w >= ui_columns[COL_NAME].fit.pref, "40: name at its preferred width");

	fit(80);
	check_sane(80);
	OK(shown(COL_SPARK) && shown(COL_SINCE) && shown(COL_CODE),
	   "80: sparkline, since and code join");
	OK(!shown(COL_UPTIME) && !shown(COL_P95) && !shown(COL_FAILS),
	   "80: uptime, p95 and failures drop for the error's 30 columns");
	OK(slot[COL_SPARK].w >= ui_columns[COL_SPARK].fit.min &&
		   slot[COL_SPARK].w < ui_columns[COL_SPARK].fit.pref,
	   "80: the sparkline shrinks (%d cells) before the error does",
	   slot[COL_SPARK].w);
	OK(slot[COL_ERROR].w >= 30, "80: the error keeps %d >= 30 columns",
	   slot[COL_ERROR].w);
	OK(!shown(COL_GROUP), "80: group (least important) still dropped");
	OK(!shown(COL_UP24H) && !shown(COL_UP7D), "80: UP24H and UP7D dropped");
	OK(used() <= 80 && used() >= 78, "80: the line is used");

	fit(120);
	check_sane(120);
	for (int c = 0; c < ncols; c++)
		if (c != COL_GROUP && c != COL_CERT && c != COL_UP24H && c != COL_UP7D)
			OK(shown(c), "120: column %s shown", ui_columns[map[c]].title);
	OK(!shown(COL_GROUP), "120: group waits for the whole name");
	OK(!shown(COL_CERT) && !shown(COL_UP24H) && !shown(COL_UP7D),
	   "120: UP24H, UP7D and CERT (least important) wait");
	IS_INT(slot[COL_NAME].w, 24, "120: name as wide as the longest name");
	fit(140);
	check_sane(140);
	for (int c = 0; c < ncols; c++)
		OK(shown(c) || c == COL_CERT || c == COL_UP24H || c == COL_UP7D,
		   "140: column %s shown", ui_columns[map[c]].title);
	for (int w = 100; w <= 160; w++) {
		fit(w);
		if (shown(COL_UP7D) && !shown(COL_UP24H))
			break;
	}
	OK(!(shown(COL_UP7D) && !shown(COL_UP24H)), "100..160: UP24H comes in before UP7D");
	fit(140);
	IS_INT(slot[COL_SPARK].w, 20, "140: the sparkline at its full 20 checks");
	fit(160);
	check_sane(160);
	for (int c = 0; c < ncols; c++)
		OK(shown(c), "160: column %s shown", ui_columns[c].title);

	fit(200);
	check_sane(200);
	IS_INT(slot[COL_NAME].w, 24, "200: name stops at its max");
	IS_INT(used(), 200, "200: error column absorbs the rest");
	OK(slot[COL_ERROR].w > 60, "200: error is wide");
}

static void test_every_width(void)
{
	int essentials = 1, ok = 1, monotone = 1;
	size_t prev = 0;

	table_init(24);
	for (int w = 20; w <= 200; w++) {
		size_t n = fit(w);

		if (!shown(COL_STATE) || !shown(COL_NAME))
			essentials = 0;
		if (!sane(w))
			ok = 0;
		/* a wider terminal never shows fewer columns */
		if (n < prev)
			monotone = 0;
		prev = n;
	}
	OK(essentials, "state and name show at every width 20..200");
	OK(ok, "layout sane at every width 20..200");
	OK(monotone, "columns only appear as the width grows");
}

static void test_tiny(void)
{
	table_init(0);
	fit(8);
	OK(slot[COL_STATE].w == 6 && slot[COL_NAME].w == 1,
	   "8: name cut at the right edge");
	fit(0);
	OK(!shown(COL_STATE) && !shown(COL_NAME), "0: nothing");
	table_init(3);
	fit(30);
	IS_INT(slot[COL_NAME].w, 3, "a short name keeps its column narrow");
}

/* `full`: past its priority a column counts whole (the longest name). */
static void test_full(void)
{
	const struct layout_col t[] = {
		{ .min = 5, .pref = 5 },
		{ .min = 6, .pref = 12, .max = 30, .flex = true, .full = 1 },
		{ .min = 10, .pref = 10, .prio = 1 },
		{ .min = 10, .pref = 10, .prio = 2 },
	};
	struct layout_slot s[4];

	layout_fit(t, 4, 50, 1, s);
	OK(s[1].w == 30 && s[2].w == 10 && s[3].w == 0,
	   "full: at 50 the whole name before the priority-2 column");
	layout_fit(t, 4, 60, 1, s);
	OK(s[1].w == 30 && s[3].w == 10, "full: at 60 both");
	layout_fit(t, 4, 29, 1, s);
	OK(s[1].w == 12 && s[2].w == 10, "full: narrow, the name at its pref "
	   "beside the priority-1 column");
}

static void test_bar(void)
{
	double p[5] = { 10, 20, 30, 40, 0 };
	int out[5], sum;

	layout_bar(p, 5, 100, out);
	IS_INT(out[0], 10, "bar: 10% of 100");
	IS_INT(out[3], 40, "bar: 40% of 100");
	IS_INT(out[4], 0, "bar: an empty phase gets nothing");

	p[0] = 0.01;
	p[1] = 1000;
	p[2] = 0.01;
	p[3] = 0;
	p[4] = 0;
	layout_bar(p, 5, 30, out);
	OK(out[0] == 1 && out[2] == 1, "bar: tiny phases stay visible");
	sum = out[0] + out[1] + out[2] + out[3] + out[4];
	IS_INT(sum, 30, "bar: cells sum to the width");

	p[0] = 1;
	p[1] = 1;
	p[2] = 1;
	layout_bar(p, 5, 2, out);
	sum = out[0] + out[1] + out[2] + out[3] + out[4];
	IS_INT(sum, 2, "bar: more phases than cells still sums to the width");

	memset(p, 0, sizeof(p));
	layout_bar(p, 5, 40, out);
	sum = out[0] + out[1] + out[2] + out[3] + out[4];
	IS_INT(sum, 0, "bar: nothing to draw");

	p[0] = 1;
	p[1] = 2;
	p[2] = 3;
	for (int w = 1; w <= 120; w++) {
		layout_bar(p, 3, w, out);
		if (out[0] + out[1] + out[2] != w)
			break;
		if (w == 120)
			OK(1, "bar: sums to every width 1..120");
	}
}

/* The table as the UI lays it out (ui_columns_rules): names up to 24
 * wide, groups up to 12, sorted by column `sort`. */
static size_t ui_fit(int width, size_t sort, size_t *ids)
{
	struct ui_fit f = { .name_w = 24, .group_w = 12, .sort = sort, .any_https = true,
			    .quiet = COL_ALERTS != MAXC - 1 };
	struct layout_col rules[MAXC];
	struct layout_slot s[MAXC];
	size_t n = ui_columns_rules(&f, ids, rules), shown;

	shown = layout_fit(rules, n, width, LAYOUT_GAP, s);
	for (int c = 0; c < ncols; c++)
		slot[c] = (struct layout_slot){ 0, 0 };
	for (size_t i = 0; i < n; i++) {
		slot[inv[ids[i]]] = s[i];
		cols[inv[ids[i]]] = rules[i];
	}
	return shown;
}

/* Issue 10 §4: at 80 columns (and the other sizes a newcomer has) the
 * error keeps 30 columns whatever the sort; the sort column is on
 * screen; nothing overlaps or passes the edge. */
static void test_small_terminals(void)
{
	static const int widths[] = { 40, 60, 80, 100 };
	size_t ids[MAXC];
	int err30 = 1, sorted = 1, ok = 1;

	for (size_t sort = 0; sort < ui_ncolumns; sort++) {
		if (!ui_columns[sort].sort)
			continue;
		for (size_t w = 0; w < sizeof(widths) / sizeof(*widths); w++) {
			ui_fit(widths[w], sort, ids);
			if (!sane(widths[w]))
				ok = 0;
			/* below 80 the sort column, when it is not one
			 * of the essentials, takes the error's room (at
			 * 40 all of it: the column sorted by shows) */
			if (slot[COL_ERROR].w < (widths[w] >= 80 ? 30 :
						 widths[w] == 60 ? 20 : 0)) {
				printf("# %d columns, sort %s: error %d\n", widths[w],
				       ui_columns[sort].key, slot[COL_ERROR].w);
				err30 = 0;
			}
			if (!shown(inv[sort])) {
				printf("# %d columns: sort column %s hidden\n",
				       widths[w], ui_columns[sort].key);
				sorted = 0;
			}
		}
	}
	OK(ok, "40, 60, 80, 100 columns, any sort: in bounds, in order, no overlap");
	OK(err30, "80 and 100 columns, any sort: the error keeps >= 30 columns "
		  "(60: 20)");
	OK(sorted, "40..100 columns: the sort column is always on screen");
	for (int w = 20, monotone = 1, prev = 0; w <= 200; w++) {
		int n = (int)ui_fit(w, 0, ids);

		if (!sane(w) || n < prev)
			monotone = 0;
		prev = n;
		if (w == 200)
			OK(monotone, "the UI's rules: sane at 20..200, columns only appear");
	}
	ui_fit(60, 0, ids);
	OK(slot[COL_ERROR].w >= 30, "60, sort state: the error keeps >= 30 columns");
	ui_fit(80, 0, ids);
	OK(shown(COL_SPARK) && shown(COL_LATENCY) && shown(COL_CODE) &&
		   shown(COL_SINCE) && slot[COL_NAME].w >= 12,
	   "80, sort state: name, code, latency, sparkline, since beside the error");
}

/* With some target quiet: ALERTS joins where there is room, never at
 * the expense of state, name or the error's 30 columns. */
static void test_alerts_column(void)
{
	size_t ids[MAXC];

	columns_find(true);
	table_init(24);
	fit(80);
	check_sane(80);
	OK(shown(COL_STATE) && shown(COL_NAME) && shown(COL_ERROR),
	   "80 with ALERTS: the essentials");
	fit(120);
	check_sane(120);
	OK(shown(COL_ALERTS) && shown(COL_ERROR), "120: ALERTS and the error shown");
	test_every_width();
	ui_fit(80, 0, ids);
	OK(sane(80) && slot[COL_ERROR].w >= 30,
	   "80 with ALERTS, the UI's rules: the error keeps >= 30 columns (%d)", slot[COL_ERROR].w);
	ui_fit(140, 0, ids);
	OK(sane(140) && shown(COL_ALERTS), "140 with ALERTS, the UI's rules: ALERTS shown");
	columns_find(false);
	ui_fit(200, 0, ids);
	OK(!shown(COL_ALERTS),
	   "nothing quiet: no ALERTS column, even at 200");
}

int main(void)
{
	columns_find(false);
	test_widths();
	test_every_width();
	test_small_terminals();
	test_tiny();
	test_full();
	test_bar();
	test_alerts_column();
	return tap_done();
}
