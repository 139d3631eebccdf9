/* ui_table.c - the row index (filter + sort) and the table itself.
 *
 * The index is an array of target ids, rebuilt only when the model or the
 * filter/sort changed since the last frame: O(n) to filter and build sort
 * keys, O(n log n) to sort, at most once per frame. Formatting touches only
 * the rows on screen. What each column shows and sorts by is the column
 * table's (ui_columns.c). */
#include "ui_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "fmt.h"
#include "sched.h"
#include "target.h"
#include "util.h"

const char *ui_filter_name(enum ui_filter_kind k)
{
	switch (k) {
	case FILTER_PROBLEMS: return "problems";
	case FILTER_DOWN: return "down only";
	default: return "all";
	}
}

/* --- filter --------------------------------------------------------- */

static bool ui_kind_match(enum ui_filter_kind k, enum state s)
{
	switch (k) {
	case FILTER_PROBLEMS:
		return s == STATE_DOWN || s == STATE_DEGRADED || s == STATE_CONFIRMING;
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
		ui_error_text(buf, sizeof(buf), t->last.cls, t->last.msg);
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
	void (*sort)(struct ui_sortkey *, const struct target *) =
		ui->sort < ui_ncolumns ? ui_columns[ui->sort].sort : NULL;
	size_t k = 0;

	ui->keys = xreallocarray_grow(ui->keys, &ui->keys_cap, m->n ? m->n : 1,
				      sizeof(*ui->keys));
	ui->any_quiet = false;
	for (size_t i = 0; i < m->n; i++) {
		const struct target *t = &m->v[i];
		struct ui_sortkey *key;

		ui->any_quiet |= t->q.ack_wall_ms || t->q.mute_until_mono ||
				 t->q.maint_until_wall;
		if (!ui_match(ui, t))
			continue;
		key = &ui->keys[k++];
		key->idx = (uint32_t)i;
		key->name = t->conf->name;
		key->s = NULL;
		key->k = 0;
		if (sort)
			sort(key, t);
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
	ui->any_https = ui->any_dns = false;
	for (size_t i = 0; i < m->n; i++) {
		const struct target_conf *c = m->v[i].conf;
		int w;

		ui->any_dns |= c->kind == CHECK_DNS;
		ui->any_https |= c->kind == CHECK_HTTP && strncasecmp(c->url, "https:", 6) == 0;
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

/* --- rechecks asked for --------------------------------------------- */

void ui_ask(struct ui *ui, const struct ui_view *v, uint32_t id)
{
	const struct model *m = v->model;

	if (!m || !m->n || (id != UI_ALL_TARGETS && id >= m->n))
		return;
	if (ui->nasked != m->n) {
		free(ui->asked);
		ui->asked = xcalloc(m->n, sizeof(*ui->asked));
		ui->nasked = m->n;
	}
	for (size_t i = id == UI_ALL_TARGETS ? 0 : id; i < m->n; i++) {
		ui->asked[i] = m->v[i].checks + 1;
		if (id != UI_ALL_TARGETS)
			break;
	}
}

bool ui_checking(const struct ui *ui, const struct ui_view *v, uint32_t id)
{
	const struct model *m = v->model;

	return id < ui->nasked && ui->asked[id] && m && id < m->n && v->queue &&
	       ui->asked[id] == m->v[id].checks + 1 && sched_busy(v->queue, id);
}

void ui_asked_clear(struct ui *ui)
{
	free(ui->asked);
	ui->asked = NULL;
	ui->nasked = 0;
}

/* --- drawing -------------------------------------------------------- */

void ui_fit_of(const struct ui *ui, struct ui_fit *f)
{
	f->name_w = ui->name_w;
	f->group_w = ui->group_w;
	f->any_https = ui->any_https;
	f->any_dns = ui->any_dns;
	f->quiet = ui->any_quiet;
	f->sort = ui->sort;
}

/* The columns on screen, sized to the targets (name as wide as the
 * longest, group gone when no target has one, the sort column kept):
 * their indexes in ui_columns and where they go. */
static size_t ui_layout(const struct ui *ui, int width, size_t *ids,
			struct layout_slot *slots)
{
	struct layout_col cols[UI_COLUMNS_MAX] = { { 0 } };
	struct layout_slot all[UI_COLUMNS_MAX];
	struct ui_fit f;
	size_t n, shown = 0;

	ui_fit_of(ui, &f);
	n = ui_columns_rules(&f, ids, cols);
	layout_fit(cols, n, width, LAYOUT_GAP, all);
	for (size_t i = 0; i < n; i++) {
		if (all[i].w > 0) {
			ids[shown] = ids[i];
			slots[shown++] = all[i];
		}
	}
	return shown;
}

static void ui_put_aligned(struct ui *ui, int y, const struct layout_slot *s,
			   enum ui_align a, enum role r, const char *text)
{
	if (a == ALIGN_RIGHT)
		ui_put_right(ui, y, s->x, s->w, r, text);
	else
		ui_put(ui, y, s->x, s->w, r, text);
}

static void ui_headings(struct ui *ui, int y, const size_t *ids,
			const struct layout_slot *s, size_t n)
{
	char buf[32];

	ui_fill(ui, y, 0, COLS, ROLE_COLUMN_HEADER);
	for (size_t i = 0; i < n; i++) {
		const struct ui_column *col = &ui_columns[ids[i]];
		const char *arrow = "";

		if (ids[i] == ui->sort)
			arrow = ui_sort_arrow(ids[i], ui->reverse, ui->utf8);
		/* a sortable column's min has room for it; only a terminal
		 * too narrow for the essentials cuts one */
		if ((int)strlen(col->title) + 1 > s[i].w)
			arrow = "";
		snprintf(buf, sizeof(buf), "%s%s", col->title, arrow);
		ui_put_aligned(ui, y, &s[i], col->align, ROLE_COLUMN_HEADER, buf);
	}
}

static void ui_row(struct ui *ui, int y, const struct target *t, bool sel,
		   bool checking, const size_t *ids,
		   const struct layout_slot *s, size_t n, int64_t now)
{
	struct ui_cell c;

	if (sel)
		ui_fill(ui, y, 0, COLS, ROLE_SELECTION);
	for (size_t i = 0; i < n; i++) {
		const struct ui_column *col = &ui_columns[ids[i]];

		if (col->draw) {
			col->draw(ui, y, &s[i], t, sel);
			continue;
		}
		c.utf8 = ui->utf8;
		c.checking = checking;
		c.text[0] = '\0';
		c.role = ROLE_NORMAL;
		c.badge = false;
		col->cell(&c, t, now);
		if (c.badge)
			ui_fill(ui, y, s[i].x, s[i].w, c.role);
		else if (sel)
			c.role = ROLE_SELECTION;
		ui_put_aligned(ui, y, &s[i], col->align, c.role, c.text);
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
	size_t ids[UI_COLUMNS_MAX];
	struct layout_slot slots[UI_COLUMNS_MAX];
	size_t n, page;
	const struct model *m = v->model;

	if (y0 >= y1)
		return;
	n = ui_layout(ui, COLS, ids, slots);
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
		ui_row(ui, y0 + (int)i, &m->v[id], row == ui->sel_row,
		       ui_checking(ui, v, id), ids, slots, n, now);
	}
}
