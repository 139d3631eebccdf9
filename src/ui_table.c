/* ui_table.c - the row index (filter + sort) and the table itself.
 *
 * The index is an array of target ids, rebuilt only when the model or the
 * filter/sort changed since the last frame: O(n) to filter and build sort
 * keys, O(n log n) to sort, at most once per frame. Formatting touches only
 * the rows on screen. */
#include "ui_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fmt.h"
#include "target.h"
#include "util.h"

static const char *const sort_names[SORT__COUNT] = {
	[SORT_STATE] = "state",     [SORT_NAME] = "name",
	[SORT_GROUP] = "group",     [SORT_CODE] = "code",
	[SORT_LATENCY] = "latency", [SORT_P95] = "p95",
	[SORT_UPTIME] = "uptime",   [SORT_FAILS] = "failures",
	[SORT_SINCE] = "since",
};

static const enum col sort_col[SORT__COUNT] = {
	[SORT_STATE] = COL_STATE,     [SORT_NAME] = COL_NAME,
	[SORT_GROUP] = COL_GROUP,     [SORT_CODE] = COL_CODE,
	[SORT_LATENCY] = COL_LATENCY, [SORT_P95] = COL_P95,
	[SORT_UPTIME] = COL_UPTIME,   [SORT_FAILS] = COL_FAILS,
	[SORT_SINCE] = COL_SINCE,
};

const char *ui_sort_name(enum ui_sort s)
{
	return s < SORT__COUNT ? sort_names[s] : "?";
}

const char *ui_filter_name(enum ui_filter_kind k)
{
	switch (k) {
	case FILTER_PROBLEMS: return "problems";
	case FILTER_DOWN: return "down only";
	default: return "all";
	}
}

enum role ui_state_role(int state)
{
	switch (state) {
	case STATE_UP: return ROLE_STATE_UP;
	case STATE_DEGRADED: return ROLE_STATE_DEGRADED;
	case STATE_DOWN: return ROLE_STATE_DOWN;
	default: return ROLE_STATE_PENDING;
	}
}

const char *ui_state_badge(int state)
{
	switch (state) {
	case STATE_UP: return "UP";
	case STATE_DEGRADED: return "DEGR";
	case STATE_DOWN: return "DOWN";
	default: return "PEND";
	}
}

void ui_error_text(char *dst, size_t len, const struct result *r)
{
	const char *cls = r->cls != EC_NONE ? eclass_name((enum eclass)r->cls)
					    : NULL;

	if (!cls)
		snprintf(dst, len, "%s", "");
	else if (r->msg[0])
		snprintf(dst, len, "%s: %s", cls, r->msg);
	else
		snprintf(dst, len, "%s", cls);
}

/* --- filter --------------------------------------------------------- */

static bool ui_kind_match(enum ui_filter_kind k, enum state s)
{
	switch (k) {
	case FILTER_PROBLEMS: return s == STATE_DOWN || s == STATE_DEGRADED;
	case FILTER_DOWN: return s == STATE_DOWN;
	default: return true;
	}
}

/* Case-insensitive substring over name, group, URL (redacted: typing a
 * password must not find it) and the error. */
static bool ui_text_match(const struct target *t, const char *pat)
{
	const struct target_conf *c = t->conf;
	char buf[RESULT_MSG_LEN + 64];

	if (strcasestr(c->name, pat) || (c->group && strcasestr(c->group, pat)))
		return true;
	if (strchr(c->url, '@')) {
		fmt_redact_url(buf, sizeof(buf), c->url);
		if (strcasestr(buf, pat))
			return true;
	} else if (strcasestr(c->url, pat)) {
		return true;
	}
	if (t->has_last && t->last.cls != EC_NONE) {
		ui_error_text(buf, sizeof(buf), &t->last);
		return strcasestr(buf, pat) != NULL;
	}
	return false;
}

static bool ui_match(const struct ui *ui, const struct target *t)
{
	const char *pat = ui->filter;
	bool invert = false;

	if (!ui_kind_match(ui->fkind, t->state))
		return false;
	if (pat[0] == '!') {
		invert = true;
		pat++;
	}
	if (!*pat)
		return true;
	return ui_text_match(t, pat) != invert;
}

/* --- sort ----------------------------------------------------------- */

static int ui_state_rank(enum state s)
{
	switch (s) {
	case STATE_DOWN: return 0;
	case STATE_DEGRADED: return 1;
	case STATE_PENDING: return 2;
	default: return 3;
	}
}

/* Numeric keys sort "worst first": slow, failing, recently changed at the
 * top; a missing value sorts last. */
static double ui_key_num(enum ui_sort s, const struct target *t)
{
	double p;

	switch (s) {
	case SORT_STATE: return ui_state_rank(t->state);
	case SORT_CODE: return t->has_last && t->last.http_status
			       ? t->last.http_status : 1000;
	case SORT_LATENCY: return t->has_last ? -t->last.t.total_ms : HUGE_VAL;
	case SORT_P95:
		p = target_p95(t);
		return p >= 0 ? -p : HUGE_VAL;
	case SORT_UPTIME:
		p = target_uptime(t);
		return p >= 0 ? p : HUGE_VAL;
	case SORT_FAILS:
		return -(double)t->consecutive_failures * 1e12 -
		       (double)t->failures;
	case SORT_SINCE: return -(double)t->since_mono_ms;
	default: return 0;
	}
}

static int ui_key_cmp(const void *pa, const void *pb)
{
	const struct ui_sortkey *a = pa, *b = pb;
	int c;

	if (a->s && b->s && (c = strcmp(a->s, b->s)) != 0)
		return c;
	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void ui_index_build(struct ui *ui, const struct model *m)
{
	size_t k = 0;

	ui->keys = xreallocarray_grow(ui->keys, &ui->keys_cap, m->n ? m->n : 1,
				      sizeof(*ui->keys));
	for (size_t i = 0; i < m->n; i++) {
		const struct target *t = &m->v[i];
		struct ui_sortkey *key;

		if (!ui_match(ui, t))
			continue;
		key = &ui->keys[k++];
		key->idx = (uint32_t)i;
		key->name = t->conf->name;
		key->s = ui->sort == SORT_GROUP ? t->conf->group : NULL;
		if (key->s && !*key->s)
			key->s = "\x7f";   /* ungrouped last */
		key->k = ui_key_num(ui->sort, t);
	}
	qsort(ui->keys, k, sizeof(*ui->keys), ui_key_cmp);
	ui->rows = xreallocarray_grow(ui->rows, &ui->rows_cap, k ? k : 1,
				      sizeof(*ui->rows));
	for (size_t i = 0; i < k; i++)
		ui->rows[i] = ui->keys[ui->reverse ? k - 1 - i : i].idx;
	ui->nrows = k;
}

static void ui_widths(struct ui *ui, const struct model *m)
{
	char buf[UI_NAME_LEN];

	ui->name_w = ui->group_w = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct target_conf *c = m->v[i].conf;
		int w;

		fmt_sanitize(buf, sizeof(buf), c->name, strlen(c->name),
			     ui->utf8);
		w = fmt_width(buf);
		if (w > ui->name_w)
			ui->name_w = w;
		if (c->group && *c->group) {
			fmt_sanitize(buf, sizeof(buf), c->group,
				     strlen(c->group), ui->utf8);
			w = fmt_width(buf);
			if (w > ui->group_w)
				ui->group_w = w;
		}
	}
	ui->widths_stale = false;
}

static bool ui_find_name(const struct model *m, const char *name,
			 uint32_t *id)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->v[i].conf->name, name) == 0) {
			*id = (uint32_t)i;
			return true;
		}
	}
	return false;
}

/* After a reload ids mean other targets: find ours again by name. */
static void ui_reselect(struct ui *ui, const struct model *m)
{
	uint32_t id;

	ui->reselect = false;
	ui->has_sel = ui->sel_name[0] && ui_find_name(m, ui->sel_name, &id);
	if (ui->has_sel)
		ui->sel = id;
	if (ui->mode == MODE_DETAIL) {
		if (ui_find_name(m, ui->detail_name, &id))
			ui->detail = id;
		else
			ui->mode = MODE_TABLE;
	}
}

/* Keeps the selection on the same target; when it was filtered out, on
 * the row where it was. Until a key moves it, the selection stays on the
 * top row (the worst target), so the view does not scroll away as
 * targets change state under a selection nobody chose. */
static void ui_sel_restore(struct ui *ui)
{
	size_t r;

	if (!ui->nrows) {
		ui->sel_row = ui->top = 0;
		return;
	}
	if (!ui->sel_moved)
		ui->sel_row = 0;
	else if (ui->has_sel) {
		for (r = 0; r < ui->nrows; r++) {
			if (ui->rows[r] == ui->sel) {
				ui->sel_row = r;
				return;
			}
		}
	}
	if (ui->sel_row >= ui->nrows)
		ui->sel_row = ui->nrows - 1;
	ui->sel = ui->rows[ui->sel_row];
	ui->has_sel = true;
}

void ui_index_update(struct ui *ui, const struct ui_view *v, int64_t now)
{
	const struct model *m = v->model;
	int64_t t0;

	(void)now;
	if (!m) {
		ui->nrows = 0;
		return;
	}
	if (ui->widths_stale)
		ui_widths(ui, m);
	if (ui->reselect)
		ui_reselect(ui, m);
	if (ui->index_stale) {
		t0 = mono_us();
		ui_index_build(ui, m);
		ui->index_stale = false;
		ui->perf.last_index_ms = (double)(mono_us() - t0) / 1000.0;
		ui->perf.index_rebuilds++;
	}
	ui->perf.rows_shown = ui->nrows;
	ui_sel_restore(ui);
	if (ui->has_sel && ui->sel < m->n)
		snprintf(ui->sel_name, sizeof(ui->sel_name), "%s",
			 m->v[ui->sel].conf->name);
}

/* --- selection ------------------------------------------------------ */

static void ui_sel_set(struct ui *ui, size_t row)
{
	if (!ui->nrows)
		return;
	if (row >= ui->nrows)
		row = ui->nrows - 1;
	ui->sel_row = row;
	ui->sel = ui->rows[row];
	ui->has_sel = true;
}

void ui_sel_move(struct ui *ui, long delta)
{
	long r = (long)ui->sel_row + delta;

	if (r < 0)
		r = 0;
	ui_sel_set(ui, (size_t)r);
	ui->sel_moved = ui->sel_row > 0;
}

void ui_sel_home(struct ui *ui)
{
	ui_sel_set(ui, 0);
	ui->sel_moved = false;
}

void ui_sel_end(struct ui *ui)
{
	if (ui->nrows)
		ui_sel_set(ui, ui->nrows - 1);
	ui->sel_moved = ui->sel_row > 0;
}

bool ui_selected(const struct ui *ui, const struct ui_view *v, uint32_t *id)
{
	if (!ui->nrows || !ui->has_sel || !v->model || ui->sel >= v->model->n)
		return false;
	*id = ui->sel;
	return true;
}

/* --- drawing -------------------------------------------------------- */

/* The columns on screen: name and group as wide as their longest value,
 * group gone when no target has one. */
static size_t ui_columns(const struct ui *ui, int width, enum col *ids,
			 struct layout_slot *slots)
{
	struct layout_col cols[COL__COUNT];
	struct layout_slot all[COL__COUNT];
	size_t n = 0, shown = 0;

	for (int c = 0; c < COL__COUNT; c++) {
		struct layout_col lc = layout_table[c];

		if (c == COL_GROUP) {
			if (!ui->group_w)
				continue;
			lc.pref = ui->group_w < 16 ? ui->group_w : 16;
			if (lc.pref < lc.min)
				lc.pref = lc.min;
		}
		if (c == COL_NAME)
			lc.max = ui->name_w > lc.min ? ui->name_w : lc.min;
		ids[n] = (enum col)c;
		cols[n++] = lc;
	}
	layout_fit(cols, n, width, LAYOUT_GAP, all);
	for (size_t i = 0; i < n; i++) {
		if (all[i].w > 0) {
			ids[shown] = ids[i];
			slots[shown++] = all[i];
		}
	}
	return shown;
}

static bool ui_col_right(enum col c)
{
	return c == COL_CODE || c == COL_LATENCY || c == COL_P95 ||
	       c == COL_UPTIME || c == COL_FAILS || c == COL_SINCE;
}

static void ui_headings(struct ui *ui, int y, const enum col *ids,
			const struct layout_slot *s, size_t n)
{
	char buf[32];

	ui_fill(ui, y, 0, COLS, ROLE_COLUMN_HEADER);
	for (size_t i = 0; i < n; i++) {
		const char *arrow = "";

		if (ids[i] == sort_col[ui->sort])
			arrow = ui->utf8 ? (ui->reverse ? "\xe2\x96\xb2"
							: "\xe2\x96\xbc")
					 : (ui->reverse ? "^" : "v");
		/* the arrow only where it fits: a cut title reads worse */
		if ((int)strlen(layout_col_title[ids[i]]) + 1 > s[i].w)
			arrow = "";
		snprintf(buf, sizeof(buf), "%s%s", layout_col_title[ids[i]],
			 arrow);
		if (ui_col_right(ids[i]))
			ui_put_right(ui, y, s[i].x, s[i].w, ROLE_COLUMN_HEADER,
				     buf);
		else
			ui_put(ui, y, s[i].x, s[i].w, ROLE_COLUMN_HEADER, buf);
	}
}

static enum role ui_latency_role(const struct target *t, double ms)
{
	double lim = t->conf->max_latency_ms > 0 ? (double)t->conf->max_latency_ms
						 : 1000.0;

	if (eclass_is_failure((enum eclass)t->last.cls) || ms >= lim)
		return ROLE_LATENCY_BAD;
	return ms >= lim / 2 ? ROLE_LATENCY_WARN : ROLE_LATENCY_OK;
}

static size_t ui_utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return c >= 0xc0 ? 2 : 1;
}

/* Newest sample at the right edge; each failed check in its own colour. */
static void ui_spark(struct ui *ui, int y, int x, int w, const struct target *t,
		     bool sel)
{
	float lat[HIST_LEN];
	bool failed[HIST_LEN];
	char buf[HIST_LEN * 4 + 1];
	size_t n = w < HIST_LEN ? (size_t)w : HIST_LEN, at = 0;

	for (size_t i = 0; i < n; i++) {
		const struct hist_entry *h = target_hist(t, (unsigned)(n - 1 - i));

		lat[i] = h ? h->latency_ms : -1.0f;
		failed[i] = h && eclass_is_failure((enum eclass)h->cls);
	}
	fmt_sparkline(buf, sizeof(buf), lat, failed, n, ui->utf8);
	for (size_t i = 0; i < n && buf[at]; i++) {
		size_t l = ui_utf8_len((unsigned char)buf[at]);
		enum role r = failed[i] ? ROLE_SPARKLINE_FAIL : ROLE_SPARKLINE;

		ui_glyph(ui, y, x + w - (int)n + (int)i,
			 sel && !failed[i] ? ROLE_SELECTION : r, buf + at, l);
		at += l;
	}
}

struct ui_cell {
	char text[RESULT_MSG_LEN + 64];
	enum role role;
};

static void ui_cell_fill(struct ui_cell *c, enum col id, const struct target *t,
			 int64_t now)
{
	const struct result *r = &t->last;
	double v;

	c->text[0] = '\0';
	c->role = ROLE_NORMAL;
	switch (id) {
	case COL_NAME:
		snprintf(c->text, sizeof(c->text), "%s", t->conf->name);
		break;
	case COL_GROUP:
		snprintf(c->text, sizeof(c->text), "%s",
			 t->conf->group ? t->conf->group : "");
		c->role = ROLE_DIM;
		break;
	case COL_CODE:
		if (t->has_last && r->http_status)
			snprintf(c->text, sizeof(c->text), "%d", r->http_status);
		else
			snprintf(c->text, sizeof(c->text), "-");
		if (r->cls == EC_STATUS)
			c->role = ROLE_ERROR;
		break;
	case COL_LATENCY:
		fmt_latency(c->text, sizeof(c->text),
			    t->has_last ? r->t.total_ms : -1);
		if (t->has_last)
			c->role = ui_latency_role(t, r->t.total_ms);
		break;
	case COL_P95:
		v = target_p95(t);
		fmt_latency(c->text, sizeof(c->text), v);
		if (v >= 0)
			c->role = ui_latency_role(t, v);
		break;
	case COL_UPTIME:
		v = target_uptime(t);
		fmt_percent(c->text, sizeof(c->text), v);
		c->role = v < 0 ? ROLE_DIM : v >= 99.9 ? ROLE_NORMAL
				  : v >= 95 ? ROLE_LATENCY_WARN : ROLE_LATENCY_BAD;
		break;
	case COL_FAILS:
		snprintf(c->text, sizeof(c->text), "%d/%llu",
			 t->consecutive_failures,
			 (unsigned long long)t->failures);
		c->role = t->consecutive_failures ? ROLE_ERROR : ROLE_DIM;
		break;
	case COL_SINCE:
		fmt_duration(c->text, sizeof(c->text),
			     now > t->since_mono_ms ? now - t->since_mono_ms : 0);
		break;
	case COL_ERROR:
		if (t->has_last)
			ui_error_text(c->text, sizeof(c->text), r);
		c->role = r->cls == EC_SLOW ? ROLE_LATENCY_WARN : ROLE_ERROR;
		break;
	default:
		break;
	}
}

static void ui_row(struct ui *ui, int y, const struct target *t, bool sel,
		   const enum col *ids, const struct layout_slot *s, size_t n,
		   int64_t now)
{
	struct ui_cell c;

	if (sel)
		ui_fill(ui, y, 0, COLS, ROLE_SELECTION);
	for (size_t i = 0; i < n; i++) {
		enum col id = ids[i];

		if (id == COL_STATE) {
			enum role r = ui_state_role(t->state);

			ui_fill(ui, y, s[i].x, s[i].w, r);
			ui_put(ui, y, s[i].x, s[i].w, r, ui_state_badge(t->state));
			continue;
		}
		if (id == COL_SPARK) {
			ui_spark(ui, y, s[i].x, s[i].w, t, sel);
			continue;
		}
		ui_cell_fill(&c, id, t, now);
		if (sel)
			c.role = ROLE_SELECTION;
		if (ui_col_right(id))
			ui_put_right(ui, y, s[i].x, s[i].w, c.role, c.text);
		else
			ui_put(ui, y, s[i].x, s[i].w, c.role, c.text);
	}
}

/* Scrolls so the selection is on screen, keeping the page full. */
static void ui_scroll(struct ui *ui, size_t page)
{
	if (ui->sel_row < ui->top)
		ui->top = ui->sel_row;
	if (page && ui->sel_row >= ui->top + page)
		ui->top = ui->sel_row - page + 1;
	if (ui->top + page > ui->nrows)
		ui->top = ui->nrows > page ? ui->nrows - page : 0;
}

void ui_table_draw(struct ui *ui, const struct ui_view *v, int y0, int y1,
		   int64_t now)
{
	enum col ids[COL__COUNT];
	struct layout_slot slots[COL__COUNT];
	size_t n, page;
	const struct model *m = v->model;

	if (y0 >= y1)
		return;
	n = ui_columns(ui, COLS, ids, slots);
	ui_headings(ui, y0, ids, slots, n);
	y0++;
	page = y1 > y0 ? (size_t)(y1 - y0) : 0;
	ui->page = (int)page;
	if (!m || !ui->nrows) {
		ui_put(ui, y0, 1, COLS - 1, ROLE_DIM,
		       m && m->n ? "no target matches the filter (Esc clears it)"
				 : "no targets");
		return;
	}
	ui_scroll(ui, page);
	for (size_t i = 0; i < page && ui->top + i < ui->nrows; i++) {
		size_t row = ui->top + i;
		uint32_t id = ui->rows[row];

		if (id >= m->n)
			continue;
		ui_row(ui, y0 + (int)i, &m->v[id], row == ui->sel_row, ids,
		       slots, n, now);
	}
}
