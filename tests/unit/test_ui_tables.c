/* test_ui_tables.c - the live table's column and key tables (ui_tables.h):
 * the rows the UI draws and dispatches with are consistent, the key
 * table's check finds each kind of mistake, and the column formatters and
 * sort keys give what the table shows. No terminal needed. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sched.h"
#include "tap.h"
#include "target.h"
#include "ui_tables.h"
#include "util.h"

/* --- the key table --------------------------------------------------- */

static size_t check(const struct ui_binding *t, size_t n, const char *want)
{
	struct diag d = { 0 };
	size_t bad = ui_keys_check(t, n, &d);
	char *all = diag_join(&d);

	if (want)
		HAS_STR(all, want, "the check names the mistake");
	else if (bad)
		for (size_t i = 0; i < d.n; i++)
			printf("# %s\n", d.msgs[i]);
	free(all);
	diag_clear(&d);
	return bad;
}

static void test_bindings(void)
{
	const struct ui_binding unknown[] = {
		{ .keys = "q Ctrl-9", .in = IN_TABLE, .help = "quit",
		  .act = UI_QUIT },
	};
	const struct ui_binding clash[] = {
		{ .keys = "x", .in = IN_TABLE | IN_DETAIL, .help = "a",
		  .act = UI_QUIT },
		{ .keys = "F1 x", .in = IN_DETAIL, .help = "b",
		  .act = UI_RELOAD },
	};
	const struct ui_binding apart[] = {
		{ .keys = "Esc", .in = IN_TABLE, .help = "a", .act = UI_QUIT },
		{ .keys = "Esc", .in = IN_PROMPT, .help = "b",
		  .act = UI_RELOAD },
	};
	const struct ui_binding typed[] = {
		{ .keys = "Enter k", .in = IN_PROMPT, .help = "a",
		  .act = UI_QUIT },
		{ .keys = "Up j", .in = IN_PROMPT | IN_TABLE, .help = "b",
		  .act = UI_RELOAD },
	};
	const struct ui_binding idle[] = {
		{ .keys = "z", .in = IN_TABLE, .help = "nothing" },
	};
	const struct ui_binding mute[] = {
		{ .keys = "z", .in = IN_TABLE, .act = UI_QUIT },
	};
	const struct ui_binding nowhere[] = {
		{ .keys = "z", .in = IN_TABLE, .help = "a", .act = UI_QUIT,
		  .hint = "Z" },
	};
	const struct ui_binding pinned[] = {
		{ .keys = "z", .in = IN_TABLE, .help = "a", .act = UI_QUIT,
		  .pin = true },
	};
	/* Enter and Backspace stand for every code a terminal may send */
	const struct ui_binding enter[] = {
		{ .keys = "Enter", .in = IN_TABLE, .help = "a", .act = UI_QUIT },
		{ .keys = "Ctrl-M", .in = IN_TABLE, .help = "b",
		  .act = UI_RELOAD },
	};
	char label[64];

	IS_INT(check(ui_bindings, ui_nbindings, NULL), 0,
	       "the UI's key table passes its own check");
	IS_INT(check(unknown, 1, "unknown key name \"Ctrl-9\""), 1,
	       "an unknown key name is found");
	IS_INT(check(clash, 2, "x is bound by \"x\" and by \"F1 x\""), 1,
	       "a key bound twice in one view is found");
	IS_INT(check(apart, 2, NULL), 0,
	       "one key in two places (table, prompt) is no clash");
	IS_INT(check(typed, 2, "k is typed in the filter prompt"), 1,
	       "a printable key bound in the prompt only is found (j also "
	       "works in the table)");
	IS_INT(check(idle, 1, "does nothing"), 1,
	       "a binding that does nothing is found");
	IS_INT(check(mute, 1, "no help line"), 1,
	       "a binding without a help line is found");
	IS_INT(check(nowhere, 1, "a hint shown nowhere"), 1,
	       "a hint without a place is found");
	IS_INT(check(pinned, 1, "pinned without a hint"), 1,
	       "a pinned binding without a hint is found");
	IS_INT(check(enter, 2, "Enter is bound"), 1,
	       "Enter clashes with Ctrl-M (the CR it may arrive as)");

	ui_keys_label(&(struct ui_binding){ .keys = "q  F10 Ctrl-C" }, label,
		      sizeof(label));
	IS_STR(label, "q  F10  Ctrl-C", "the help shows keys two blanks apart");
}

/* The help line of `s` lists the sortable columns, from the column
 * table, in the order `s` goes through them. */
static void test_sort_help(void)
{
	char text[256] = "";

	for (size_t i = 0; i < ui_nbindings; i++)
		if (strcmp(ui_bindings[i].keys, "s") == 0 &&
		    ui_bindings[i].help_fn)
			ui_bindings[i].help_fn(text, sizeof(text));
	IS_STR(text, "sort by the next column (state, name, group, code, "
		     "latency, p95, uptime, up24h, up7d, cert, failures, since)",
	       "s: the help lists the sortable columns");
}

/* --- the column table ------------------------------------------------ */

static void test_columns(void)
{
	bool unique = true, fits = true, one_way = true;

	for (size_t i = 0; i < ui_ncolumns; i++) {
		const struct ui_column *c = &ui_columns[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(ui_columns[j].key, c->key) == 0)
				unique = false;
		if ((int)strlen(c->title) > c->fit.min)
			fits = false;
		if (!c->cell == !c->draw)
			one_way = false;
	}
	OK(ui_ncolumns <= UI_COLUMNS_MAX, "at most UI_COLUMNS_MAX columns");
	OK(unique, "every column has its own key");
	OK(fits, "every heading fits its column's narrowest width");
	OK(one_way, "every column has a formatter or draws itself, not both");
}

/* Issue 10 §5: the arrow shows on every sortable column (its narrowest
 * width has room for heading and arrow) and says which way the values
 * go; S flips it. */
static void test_arrows(void)
{
	bool room = true, flips = true;
	size_t name = 0, latency = 0, uptime = 0;

	for (size_t i = 0; i < ui_ncolumns; i++) {
		const struct ui_column *c = &ui_columns[i];

		if (!c->sort)
			continue;
		if ((int)strlen(c->title) + 1 > c->fit.min)
			room = false;
		if (strcmp(ui_sort_arrow(i, false, true),
			   ui_sort_arrow(i, true, true)) == 0 ||
		    strcmp(ui_sort_arrow(i, false, false),
			   ui_sort_arrow(i, true, false)) == 0)
			flips = false;
		if (strcmp(c->key, "name") == 0)
			name = i;
		if (strcmp(c->key, "latency") == 0)
			latency = i;
		if (strcmp(c->key, "uptime") == 0)
			uptime = i;
	}
	OK(room, "every sortable column's narrowest width has room for its arrow");
	OK(flips, "S (reverse) flips every column's arrow");
	IS_STR(ui_sort_arrow(name, false, true), "\xe2\x86\x91",
	       "name: a..z is up (from the smallest)");
	IS_STR(ui_sort_arrow(name, true, false), "v", "name reversed, ASCII: v");
	IS_STR(ui_sort_arrow(latency, false, true), "\xe2\x86\x93",
	       "latency: the slowest first is down (from the largest)");
	IS_STR(ui_sort_arrow(latency, false, false), "v", "latency, ASCII: v");
	IS_STR(ui_sort_arrow(uptime, false, false), "^",
	       "uptime: the lowest first is up, ASCII ^");
}

static struct result res(enum eclass cls, int status, double ms,
			 const char *msg)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.cls = cls;
	r.http_status = status;
	r.t.total_ms = ms;
	snprintf(r.msg, sizeof(r.msg), "%s", msg);
	return r;
}

static const struct ui_column *column(const char *key)
{
	for (size_t i = 0; i < ui_ncolumns; i++)
		if (strcmp(ui_columns[i].key, key) == 0)
			return &ui_columns[i];
	return NULL;
}

static void cell(const char *key, const struct target *t, int64_t now,
		 struct ui_cell *c)
{
	const struct ui_column *col = column(key);

	memset(c, 0, sizeof(*c));
	c->role = ROLE_NORMAL;
	if (col && col->cell)
		col->cell(c, t, now);
}

/* Two targets, "api" (no group) and "web" (group "front"), created at
 * 1000 and given one result each at 2000. */
static void model_two(struct model *m, struct target_conf conf[2],
		      const struct result *a, const struct result *b)
{
	static char api[] = "api", web[] = "web", none[] = "", front[] = "front";

	memset(conf, 0, 2 * sizeof(*conf));
	conf[0].name = api;
	conf[0].group = none;
	conf[0].failures_before_down = 1;
	conf[1].name = web;
	conf[1].group = front;
	conf[1].failures_before_down = 1;
	model_init(m, conf, 2, 1000);
	model_record(m, 0, a, 2000, NULL);
	model_record(m, 1, b, 2000, NULL);
}

static void test_cells(void)
{
	struct target_conf conf[2];
	struct model m;
	struct result r503 = res(EC_STATUS, 503, 20, "got 503, expected 200-399");
	struct result ok = res(EC_NONE, 200, 600, "");
	struct ui_cell c;
	struct ui_sortkey ka = { 0 }, kb = { 0 };

	model_two(&m, conf, &r503, &ok);

	cell("state", &m.v[0], 5000, &c);
	OK(strcmp(c.text, "DOWN") == 0 && c.role == ROLE_STATE_DOWN && c.badge,
	   "state: a DOWN badge in the down colour, kept on the selection");
	cell("code", &m.v[0], 5000, &c);
	OK(strcmp(c.text, "503") == 0 && c.role == ROLE_ERROR,
	   "code: 503 in the error colour");
	cell("failures", &m.v[0], 5000, &c);
	OK(strcmp(c.text, "1/1") == 0 && c.role == ROLE_ERROR,
	   "failures: consecutive / total, in the error colour");
	cell("error", &m.v[0], 5000, &c);
	IS_STR(c.text, "status: got 503, expected 200-399",
	       "error: class: message");
	cell("since", &m.v[0], 5000, &c);
	IS_STR(c.text, "3s", "since: time in the state");
	cell("latency", &m.v[1], 5000, &c);
	OK(strcmp(c.text, "600ms") == 0 && c.role == ROLE_LATENCY_WARN,
	   "latency: over half the 1 s default limit warns");
	cell("group", &m.v[0], 5000, &c);
	OK(strcmp(c.text, "") == 0 && c.role == ROLE_DIM, "group: dim, empty");

	column("group")->sort(&ka, &m.v[0]);
	column("group")->sort(&kb, &m.v[1]);
	OK(ka.s && kb.s && strcmp(ka.s, kb.s) > 0,
	   "group: the ungrouped sort after every group");
	ka.k = kb.k = 0;
	column("latency")->sort(&ka, &m.v[0]);
	column("latency")->sort(&kb, &m.v[1]);
	OK(kb.k < ka.k, "latency: the slower sorts first");
	OK(column("history")->sort == NULL && column("error")->sort == NULL,
	   "history and error do not sort");
	model_free(&m);
}

/* result_has_latency: a status line kept from an answer that broke has
 * no latency in the table, as in --once and --headless. */
static void test_latency_rule(void)
{
	struct target_conf conf[2];
	struct model m;
	struct result cut = res(EC_RESET, 200, 700,
				"connection reset after 200 and 100 of 1,000 body bytes");
	struct result cond = res(EC_CONDITION, 200, 40, "[STATUS] (200) == 201");
	struct ui_cell c;
	struct ui_sortkey ka = { 0 }, kb = { 0 };

	model_two(&m, conf, &cut, &cond);
	cell("code", &m.v[0], 5000, &c);
	IS_STR(c.text, "200", "code: the status line that arrived is kept");
	cell("latency", &m.v[0], 5000, &c);
	IS_STR(c.text, "-", "latency: none for an answer that broke");
	cell("latency", &m.v[1], 5000, &c);
	IS_STR(c.text, "40ms", "latency: a condition verdict on a whole answer has one");
	column("latency")->sort(&ka, &m.v[0]);
	column("latency")->sort(&kb, &m.v[1]);
	OK(ka.k < kb.k,
	   "latency: a broken answer (no latency) sorts before the answers, worst first");
	model_free(&m);
}

/* Sort keys of targets given one result each (NULL: never checked), in
 * the order the table shows them: the names. */
static void sorted(const char *key, const struct result *const *rs, size_t n,
		   char *out, size_t len)
{
	static char names[8][24];
	struct target_conf conf[8];
	struct ui_sortkey k[8];
	struct model m;
	size_t used = 0;

	memset(conf, 0, sizeof(conf));
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "t%zu", i);
		conf[i].name = names[i];
		conf[i].failures_before_down = 1;
	}
	model_init(&m, conf, n, 1000);
	for (size_t i = 0; i < n; i++) {
		if (rs[i])
			model_record(&m, (uint32_t)i, rs[i], 2000, NULL);
		memset(&k[i], 0, sizeof(k[i]));
		k[i].name = names[i];
		k[i].idx = (uint32_t)i;
		column(key)->sort(&k[i], &m.v[i]);
	}
	/* the index's order: k ascending, then the name (ui_table.c) */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && (k[j].k < k[j - 1].k ||
			(k[j].k == k[j - 1].k && strcmp(k[j].name, k[j - 1].name) < 0));
		     j--) {
			struct ui_sortkey t = k[j];

			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 i ? " " : "", k[i].name);
	model_free(&m);
}

/* Issue 10 §5: sorting by code or latency puts the worst first. */
static void test_worst_first(void)
{
	struct result ok200 = res(EC_NONE, 200, 12, "");
	struct result ok204 = res(EC_NONE, 204, 3, "");
	struct result r503 = res(EC_STATUS, 503, 8, "got 503");
	struct result r404 = res(EC_STATUS, 404, 2, "got 404");
	struct result refused = res(EC_REFUSED, 0, 0.2, "127.0.0.1:1");
	struct result tmo = res(EC_TIMEOUT, 0, 5000, "timed out");
	struct result slow = res(EC_SLOW, 200, 900, "900 ms");
	char got[128];

	/* t0 ok200, t1 r503, t2 never, t3 refused, t4 r404, t5 ok204 */
	sorted("code", (const struct result *const[]){ &ok200, &r503, NULL,
		&refused, &r404, &ok204 }, 6, got, sizeof(got));
	IS_STR(got, "t3 t1 t4 t5 t0 t2", "code: no answer, 503, 404, then the "
	       "passing answers (highest first), never checked last");
	/* t0 ok200 12 ms, t1 refused 0.2 ms, t2 slow 900 ms, t3 never,
	 * t4 timeout after 5 s, t5 r404 2 ms */
	sorted("latency", (const struct result *const[]){ &ok200, &refused, &slow,
		NULL, &tmo, &r404 }, 6, got, sizeof(got));
	IS_STR(got, "t4 t1 t2 t0 t5 t3", "latency: no answer first (the timeout "
	       "before the refusal), then the slowest answer, never checked last");
}

/* Issue 10 §5: r and R say "checking..." in the error cell. */
static void test_checking(void)
{
	struct target_conf conf[2];
	struct model m;
	struct result r503 = res(EC_STATUS, 503, 20, "got 503, expected 200-399");
	struct result ok = res(EC_NONE, 200, 6, "");
	struct ui_cell c;

	model_two(&m, conf, &r503, &ok);
	memset(&c, 0, sizeof(c));
	c.checking = c.utf8 = true;
	column("error")->cell(&c, &m.v[0], 5000);
	IS_STR(c.text, "checking\xe2\x80\xa6", "error: checking... while a recheck runs");
	memset(&c, 0, sizeof(c));
	c.checking = true;
	column("error")->cell(&c, &m.v[1], 5000);
	IS_STR(c.text, "checking...", "error: ASCII checking... (an up row too)");
	memset(&c, 0, sizeof(c));
	column("error")->cell(&c, &m.v[0], 5000);
	IS_STR(c.text, "status: got 503, expected 200-399",
	       "error: the error again once the result is in");
	model_free(&m);
}

/* Issue 10 §4: the footer keeps ? help and q quit (and Back in a view)
 * at every width, and never passes the edge. */
static void test_hints(void)
{
	static const unsigned places[] = { IN_TABLE, IN_DETAIL, IN_EVENTS,
					   IN_HELP, IN_PROMPT };
	size_t rows[UI_BINDINGS_MAX];
	bool pinned = true, inside = true, help80 = false, quit80 = false;

	for (size_t p = 0; p < sizeof(places) / sizeof(*places); p++) {
		for (int w = 20; w <= 200; w++) {   /* UI_MIN_COLS .. */
			int used;
			size_t n = ui_hints_fit(places[p], w, w % 2, rows, &used);
			size_t pins = 0, want = 0;

			for (size_t i = 0; i < ui_nbindings; i++)
				want += ui_bindings[i].pin && ui_bindings[i].hint &&
					(ui_bindings[i].hint_in & places[p]);
			for (size_t i = 0; i < n; i++) {
				pins += ui_bindings[rows[i]].pin;
				if (w == 80 && places[p] == IN_TABLE) {
					char key[32];

					ui_hint_key(&ui_bindings[rows[i]], true, key,
						    sizeof(key));
					help80 |= strcmp(key, "?") == 0 &&
						  strcmp(ui_bindings[rows[i]].hint, "Help") == 0;
					quit80 |= strcmp(key, "q") == 0 &&
						  strcmp(ui_bindings[rows[i]].hint, "Quit") == 0;
				}
			}
			if (pins != want || want == 0)
				pinned = false;
			if (used > w)
				inside = false;
		}
	}
	OK(pinned, "every place, 20..200 columns: every pinned hint shows");
	OK(inside, "every place, 20..200 columns: the hints fit the width");
	OK(help80 && quit80, "80 columns, the table: ?Help and qQuit");
}

/* Issue 10 §4: the stats line at 80 columns keeps what is news. */
static void test_stats_line(void)
{
	struct target_conf conf[2];
	struct model m;
	struct result r503 = res(EC_STATUS, 503, 20, "got 503");
	struct result ok = res(EC_NONE, 200, 6, "");
	struct sched_stats ss = { .in_flight = 12, .queued = 3, .overdue = 0 };
	struct ui_view v = { .sched = &ss, .checks_per_sec = 41.5,
			     .lag_p99_ms = 3 };
	struct ui_stat st[UI_STATS_MAX];
	char line[256];
	size_t n;

	model_two(&m, conf, &r503, &ok);
	v.model = &m;
#define JOIN(w) do { \
		size_t used_ = 0; \
		n = ui_stats_fit(&v, (w), st); \
		line[0] = '\0'; \
		for (size_t i_ = 0; i_ < n; i_++) \
			used_ += (size_t)snprintf(line + used_, sizeof(line) - used_, \
						  "%s%s", st[i_].lead, st[i_].text); \
	} while (0)
	JOIN(160);
	IS_STR(line, "1 up 0 degraded 0 confirming 1 down 0 pending   41.5 checks/s"
		     "  12 in flight  3 queued  0 overdue  lag p99 3ms",
	       "160: every piece, full names");
	JOIN(80);
	IS_STR(line, "1 up 0 degr 0 conf 1 down 0 pend   41.5 checks/s  12 in flight"
		     "  3 queued", "80: short names; the lag and 0 overdue drop, nothing is cut");
	v.stalls = 2;
	ss.overdue = 7;
	v.lag_p99_ms = 250;
	JOIN(80);
	IS_STR(line, "1 up 0 degr 0 conf 1 down 0 pend  2 stalls  7 overdue"
		     "  lag p99 250ms", "80: stalls, overdue and a bad lag are kept first");
	OK((int)strlen(line) <= 80, "80: within the width");
	JOIN(40);
	IS_STR(line, "1 up 0 degr 0 conf 1 down 0 pend",
	       "40: the counts alone");
	n = ui_counts_fit(&v, 14, st);
	IS_STR(st[0].text, "1dn", "a short terminal's title: the tiny counts, down first");
	OK(n == 5 && strcmp(st[4].text, "1up") == 0 && st[0].role == ROLE_STATE_DOWN,
	   "... up last, each in its state's colour");
	ui_counts_fit(&v, 60, st);
	IS_STR(st[1].text, "0 degraded", "... full names where they fit");
#undef JOIN
	model_free(&m);
}

int main(void)
{
	test_bindings();
	test_sort_help();
	test_columns();
	test_cells();
	test_latency_rule();
	test_arrows();
	test_worst_first();
	test_checking();
	test_hints();
	test_stats_line();
	return tap_done();
}
