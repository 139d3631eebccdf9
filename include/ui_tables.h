/* ui_tables.h - the live table's two tables: its columns (ui_columns.c)
 * and its key bindings (ui_keys.c), one row each; and the pieces of the
 * header's stats line (ui_stats.c). Curses-free, so the tests read the
 * very rows the UI draws and dispatches with; only the ui*.c files and
 * the tests include it.
 *
 * Adding a column is one row of ui_columns[] plus its formatter (and a
 * sort key if it sorts); adding a key is one row of ui_bindings[] plus
 * its handler, or just an action for the caller. */
#ifndef UPTOP_UI_TABLES_H
#define UPTOP_UI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "layout.h"
#include "result.h"
#include "theme.h"
#include "ui.h"

enum ui_mode { MODE_TABLE = 0, MODE_DETAIL, MODE_EVENTS, MODE_HELP,
	       MODE_SILENCES, MODE__COUNT };

/* ui_columns.c: a state's badge ("DOWN") and colour role. */
enum role ui_state_role(int state);
const char *ui_state_badge(int state);

struct target;

/* --- columns (ui_columns.c) -------------------------------------------
 * One row per column, in display order (mtr's data_fields[]). Formatters
 * run for the rows on screen only; sort keys once per target when the
 * index is rebuilt (a filter, a sort or a result changed). */

#define UI_COLUMNS_MAX 24        /* bound of the per-frame arrays */
#define UI_CELL_LEN (RESULT_MSG_LEN + 64)

enum ui_align { ALIGN_LEFT = 0, ALIGN_RIGHT };

/* One cell as a formatter gives it: raw text (the table sanitises and
 * fits it) and its colour role. The row fills the inputs first. */
struct ui_cell {
	/* in: what the row knows beyond the target */
	bool utf8;           /* the terminal shows UTF-8 (else ASCII only) */
	bool checking;       /* a check asked for with r or R has not
				answered yet (the engine has it queued or
				running): the error cell says so */
	/* out */
	char text[UI_CELL_LEN];
	enum role role;
	bool badge;          /* filled across the cell in its role, also on
				the selection bar (the state) */
};

/* What the index sorts by: the string (if any), then the number, then
 * the name; ascending, so a column's key puts the worst first. */
struct ui_sortkey {
	const char *s;       /* primary string key (group), NULL if none */
	double k;            /* numeric key */
	const char *name;    /* tie-break */
	uint32_t idx;
};

/* What the width rules depend on besides the terminal's width. */
struct ui_fit {
	int name_w, group_w;     /* widest name / group (display columns) */
	bool any_https, any_dns; /* the CERT column; CODE wide enough for rcodes */
	size_t sort;             /* the sort column (index in ui_columns) */
	bool quiet;              /* some target is acknowledged, muted or in
				    maintenance: the ALERTS column shows */
};

struct ui_column {
	const char *key;             /* "latency": names it ("sort latency") */
	const char *title;           /* the heading; a sortable column's min
					width has room for it and the arrow */
	struct layout_col fit;       /* width rules, priority when narrow */
	enum ui_align align;
	/* sorted as the key says, the values shown go down the screen from
	 * the largest (the heading's arrow: down), else from the smallest */
	bool desc;
	/* the cell of one target; or draw, for a cell of several roles */
	void (*cell)(struct ui_cell *c, const struct target *t, int64_t now);
	void (*draw)(struct ui *ui, int y, const struct layout_slot *s,
		     const struct target *t, bool sel);
	/* fills k->s and/or k->k; NULL: not sortable (`s` skips it) */
	void (*sort)(struct ui_sortkey *k, const struct target *t);
	/* fits the rules to the targets (the widest name); false hides the
	 * column. NULL: the rules as written. */
	bool (*size)(const struct ui_fit *f, struct layout_col *fit);
};

extern const struct ui_column ui_columns[];
extern const size_t ui_ncolumns;

/* The width rules of the columns that can show for these targets, in
 * display order: their indexes in ui_columns (ids) and rules (cols).
 * The sort column is as important as the error, so the column the rows
 * are sorted by is on screen whenever the error is. Returns how many;
 * layout_fit then places them. O(columns). */
size_t ui_columns_rules(const struct ui_fit *f, size_t *ids,
			struct layout_col *cols);
/* The next sortable column after col that can show (a group column
 * needs groups), wrapping. */
size_t ui_sort_next(size_t col, const struct ui_fit *f);
/* The sort column's arrow: which way its values go down the screen
 * ("↓" from the largest, "↑" from the smallest; ASCII "v", "^"). S
 * (reverse) flips it. */
const char *ui_sort_arrow(size_t col, bool reverse, bool utf8);

/* --- key bindings (ui_keys.c) -----------------------------------------
 * One row per binding (htop's Action.c): its keys, where they work, the
 * help screen's line, the footer's hint, and what it does. The one table
 * drives dispatch, the footer and the help screen. */

/* Where a binding works: a view (1 << mode), the filter prompt or the
 * silence prompt (m: a duration). */
#define IN_TABLE (1u << MODE_TABLE)
#define IN_DETAIL (1u << MODE_DETAIL)
#define IN_EVENTS (1u << MODE_EVENTS)
#define IN_HELP (1u << MODE_HELP)
#define IN_SILENCES (1u << MODE_SILENCES)
#define IN_PROMPT (1u << MODE__COUNT)
#define IN_ASK (1u << (MODE__COUNT + 1))
#define IN_VIEWS (IN_DETAIL | IN_EVENTS | IN_HELP | IN_SILENCES)
#define IN_ALL (IN_TABLE | IN_VIEWS | IN_PROMPT)

enum ui_help_section { HELP_MOVING = 0, HELP_VIEWING, HELP_FILTER,
		       HELP_ACTING, HELP_QUIET, HELP__COUNT };

struct ui_binding {
	/* key names, blank-separated: "q", "F10 Ctrl-C", "Enter", "PgUp"
	 * (ui_keys.c's key_names[]). The filter prompt types what prints:
	 * there a binding gets only its other keys ("Up" of "Up k"). */
	const char *keys;
	unsigned in;                 /* IN_*; 0: documented only */
	enum ui_help_section section;
	/* the help screen's line; rows of one section with equal help
	 * share a line. help_fn builds it from other tables instead. */
	const char *help;
	void (*help_fn)(char *dst, size_t len);
	/* the footer's hint: label, where it shows, and its key when not
	 * the first of keys (UTF-8 glyphs; key_ascii on other terminals) */
	const char *hint;
	unsigned hint_in;
	const char *hint_key, *hint_key_ascii;
	/* what it does: changes the UI (fn, with arg), and/or hands an
	 * action to the caller; on_target: about the selected target (table)
	 * or the one shown (detail, the silences view), nothing without one;
	 * on_list: fn chose the action and its targets (ui_act_list) */
	void (*fn)(struct ui *ui, const struct ui_view *v, long arg);
	long arg;
	enum ui_action_kind act;
	bool on_target;
	bool on_list;
	/* the footer keeps this hint whatever else it must cut (quit, help,
	 * back): a newcomer on a small terminal always sees the way out */
	bool pin;
};

extern const struct ui_binding ui_bindings[];
extern const size_t ui_nbindings;
#define UI_BINDINGS_MAX 64       /* bound of the help screen's lines */

/* The footer's hints where the UI is (`in`: IN_PROMPT or a view's bit)
 * in `width` columns: the bindings' indexes, in table order, into rows
 * (up to UI_BINDINGS_MAX). A hint is its key and label ("?Help"), two
 * blanks from the next. Every pinned hint shows (while they fit at all);
 * another only when the pinned ones after it still fit beside it.
 * Returns how many; *used gets the columns they take. O(bindings). */
size_t ui_hints_fit(unsigned in, int width, bool utf8, size_t *rows,
		    int *used);
/* The hint's key as the footer shows it: hint_key (hint_key_ascii on
 * other terminals), else the binding's first key name ("Esc"). */
void ui_hint_key(const struct ui_binding *b, bool utf8, char *dst,
		 size_t len);

/* The binding's keys as the help shows them: "F10  Ctrl-C". */
void ui_keys_label(const struct ui_binding *b, char *dst, size_t len);
/* Checks a key table: every key name is known, no key is bound twice
 * where the UI is (a view or the prompt), no printable key is bound in
 * the prompt only (it types there), every binding has keys, does
 * something where it works and has a help line, every hint has a place,
 * every pinned binding has a hint. Appends
 * each mistake to errs; returns how many (0 for ui_bindings: a test). */
size_t ui_keys_check(const struct ui_binding *t, size_t n, struct diag *errs);

/* --- the stats line (ui_stats.c) --------------------------------------
 * The header's second line as pieces: a lead in the header's colour,
 * then the text in its role. Pieces of higher prio drop first when the
 * line is narrow; 0 never (the counts). */

struct ui_stat {
	const char *lead;
	char text[48];
	enum role role;
	int prio;
};

#define UI_STATS_MAX 14
#define UI_STATS_PRIO_MAX 7

/* The pieces that fit in `width` columns, in order (at most
 * UI_STATS_MAX): every piece with the states' full names when they all
 * fit; else the badges' short names ("3 up 1 degr 0 conf 2 down 0 pend")
 * and the least important pieces dropped whole, never cut: the lag and
 * overdue slots (unless overdue or the lag is over 100 ms), then queued,
 * in flight, checks/s; uptop's own stalls (once there was one) last.
 * The counts alone may still be wider than a tiny terminal. */
size_t ui_stats_fit(const struct ui_view *v, int width, struct ui_stat *out);
/* The counts alone, for the title line of a short terminal: full names,
 * else short, else tiny ("1dn 0cf 0dg 0pd 3up", the worst first so down
 * survives a cut) when even those do not fit. */
size_t ui_counts_fit(const struct ui_view *v, int width, struct ui_stat *out);

#endif
