/* test_ui_tables.c - the live table's column and key tables (ui_tables.h):
 * the rows the UI draws and dispatches with are consistent, the key
 * table's check finds each kind of mistake, and the column formatters and
 * sort keys give what the table shows. No terminal needed. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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
		     "latency, p95, uptime, failures, since)",
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
	OK(kb.k < ka.k, "latency: no latency sorts after every one");
	model_free(&m);
}

int main(void)
{
	test_bindings();
	test_sort_help();
	test_columns();
	test_cells();
	test_latency_rule();
	return tap_done();
}
