/* ui_priv.h - state shared by the ui_*.c files (never included elsewhere).
 *
 * ui.c         lifecycle, colours, frame pacing, header/footer, text output
 * ui_columns.c the column table: one row per column of the live table
 * ui_table.c   the row index (filter + sort, cached) and the table
 * ui_keys.c    the key table: one row per binding; keys -> UI state
 *              changes and actions (one key at a time)
 * ui_detail.c  the detail view, the curl command, help and event timeline
 * ui_screen.c  where curses' output goes: a memory file, then the terminal
 *              through an output queue (a slow terminal never blocks)
 * ui_stats.c   the header's stats line as pieces (no curses) */
#ifndef UPTOP_UI_PRIV_H
#define UPTOP_UI_PRIV_H

#include <curses.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "outq.h"
#include "theme.h"
#include "ui.h"
#include "ui_tables.h"

#define UI_FILTER_LEN 256
#define UI_MSG_LEN 512
#define UI_NAME_LEN 256
#define UI_INFO_MS 8000          /* an info message shows this long */
#define UI_TICK_MS 1000          /* the clock and "since" move once a second */
#define UI_MIN_COLS 20
#define UI_MIN_LINES 5

enum ui_filter_kind { FILTER_ALL = 0, FILTER_PROBLEMS, FILTER_DOWN,
		      FILTER__COUNT };

#define UI_KEYMAP_MAX 96         /* key codes over all bindings */

/* One key code of a binding, compiled from its key names by ui_new. */
struct ui_keymap {
	wint_t key;
	bool code;                   /* a KEY_* code, not a character */
	uint8_t row;                 /* index in ui_bindings */
};

struct ui {
	bool active;                 /* between newterm and endwin */
	SCREEN *scr;
	FILE *tty_in;                /* /dev/tty when stdin is not a terminal */
	int in_fd;
	bool utf8, has_colors, bell, pending_bell;
	struct theme theme;
	attr_t attr[ROLE__COUNT];
	struct sigaction old_winch, old_tstp;
	bool winch_installed, tstp_installed;

	/* the screen (ui_screen.c): curses writes to fd 1, a memory file;
	 * the bytes go to the terminal through `out` */
	bool screened;               /* fd 1 is the memory file */
	int tty_fd;                  /* the terminal (a dup of the original fd 1) */
	int saved_err;               /* the original fd 2 while fd 2 is the tty; -1 */
	struct outq *out;

	/* frame pacing */
	bool dirty, urgent;
	int64_t last_frame;
	int64_t last_bell;          /* monotonic; rings are UI_BELL_MS apart */
	int64_t msg_until;           /* an info message expires (0: never) */

	enum ui_mode mode;
	int page;                    /* rows in the table's last frame */

	/* the row index: filtered and sorted target ids, rebuilt lazily */
	uint32_t *rows;
	size_t nrows, rows_cap;
	struct ui_sortkey *keys;
	size_t keys_cap;
	bool index_stale;
	const struct model *seen_model;
	size_t seen_n;
	bool widths_stale;
	int name_w, group_w;         /* widest name / group (display cols) */
	bool any_https, any_dns;     /* the CERT column; CODE wide enough for rcodes */

	/* the silence prompt (m): a duration for these targets */
	bool ask;
	char ask_text[32];
	size_t ask_len;
	uint32_t *ask_ids;
	size_t ask_n;
	char ask_what[UI_NAME_LEN + 32];   /* "shop", "12 shown targets" */
	/* an action a key's fn chose (on_list bindings) */
	enum ui_action_kind act_kind;
	uint32_t *act_ids;
	size_t act_n;
	int64_t act_ms;
	int sil_row;                 /* the silences view's cursor */
	bool any_quiet;              /* some target acked, muted or in
				      * maintenance: the ALERTS column shows */

	/* filter and sort */
	bool prompt;                 /* typing a filter */
	char filter[UI_FILTER_LEN];
	size_t filter_len;
	enum ui_filter_kind fkind;
	size_t sort;                 /* index in ui_columns */
	bool reverse;

	/* selection: a target id, kept across re-sorting */
	uint32_t sel;
	bool has_sel;
	size_t sel_row, top;
	bool sel_moved;              /* off the top row by a key: follow it */
	char sel_name[UI_NAME_LEN];  /* to find it again after a reload */
	bool reselect;

	/* rechecks asked for (r, R): per target id, its count of results
	 * at the key plus one (0: none); "checking..." until it moves */
	uint64_t *asked;
	size_t nasked;

	/* other views */
	uint32_t detail;
	char detail_name[UI_NAME_LEN];
	int detail_scroll, events_scroll, help_scroll;
	int view_lines;              /* content lines of the last such view */

	char msg[UI_MSG_LEN];        /* sanitised */
	bool msg_error;

	struct ui_keymap keymap[UI_KEYMAP_MAX];
	size_t nkeymap;

	struct ui_perf perf;
};

/* ui_screen.c. Points curses at a memory file on fd 1 (the terminal on
 * fd 2 for its modes and size) and an output queue on the terminal; 0, or
 * -1 and the UI writes to the terminal directly (no memfd). */
int ui_screen_open(struct ui *ui, struct loop *l);
/* Moves what curses wrote since the last call into the queue (which
 * writes what the terminal takes now). After every curses output call. */
void ui_screen_collect(struct ui *ui);
/* The last frame is not yet all in the terminal: skip drawing. */
bool ui_screen_busy(const struct ui *ui);
/* Blocks until the terminal has everything (exit, Ctrl-Z). */
void ui_screen_flush(struct ui *ui);
/* Flushes, puts fds 1 and 2 back; idempotent. ui_screen_free after. */
void ui_screen_close(struct ui *ui);
void ui_screen_free(struct ui *ui);
/* The terminal, for its size. */
int ui_screen_tty(const struct ui *ui);

/* ui.c: text output. Every string is sanitised (fmt_sanitize) and fitted
 * to `w` columns (fmt_fit) before it reaches curses. Returns columns used. */
int ui_put(struct ui *ui, int y, int x, int w, enum role r, const char *s);
/* Same, right-aligned in w columns. */
int ui_put_right(struct ui *ui, int y, int x, int w, enum role r,
		 const char *s);
/* Fills w cells of line y from x with blanks in role r. */
void ui_fill(struct ui *ui, int y, int x, int w, enum role r);
/* Puts one already-safe glyph (sparkline cell, bar cell). */
void ui_glyph(struct ui *ui, int y, int x, enum role r, const char *g,
	      size_t len);

/* ui_table.c */
void ui_index_update(struct ui *ui, const struct ui_view *v, int64_t now);
void ui_table_draw(struct ui *ui, const struct ui_view *v, int y0, int y1,
		   int64_t now);
void ui_sel_move(struct ui *ui, long delta);
void ui_sel_home(struct ui *ui);
void ui_sel_end(struct ui *ui);
bool ui_selected(const struct ui *ui, const struct ui_view *v, uint32_t *id);
/* What the columns' width rules need from the UI. */
void ui_fit_of(const struct ui *ui, struct ui_fit *f);
/* r or R asked for a check of id (UI_ALL_TARGETS: every target). */
#define UI_ALL_TARGETS UINT32_MAX
void ui_ask(struct ui *ui, const struct ui_view *v, uint32_t id);
/* The check asked for has not answered: the engine has one of id queued
 * or running and no result came since the key. O(1). */
bool ui_checking(const struct ui *ui, const struct ui_view *v, uint32_t id);
/* Forgets every recheck asked for (the ids changed: a reload). */
void ui_asked_clear(struct ui *ui);
const char *ui_filter_name(enum ui_filter_kind k);

/* ui_columns.c */
/* What a target's alerts are doing, for a person: "ACK alice 14:02",
 * "MUTED 42m", "MAINT 1h05m", or "" (and whether it is any of them). */
bool ui_quiet_text(char *dst, size_t len, const struct target *t, int64_t now_mono,
		   int64_t now_wall);
const char *ui_sort_name(size_t col);
void ui_error_text(char *dst, size_t len, enum eclass cls, const char *msg);

/* ui_keys.c */
void ui_keys_init(struct ui *ui);
size_t ui_keys_handle(struct ui *ui, const struct ui_view *v, wint_t key,
		      bool is_code, struct ui_action *acts, size_t max);
/* Where the UI is now: IN_PROMPT or its view's IN_* bit. */
unsigned ui_keys_in(const struct ui *ui);

/* ui_detail.c */
void ui_detail_draw(struct ui *ui, const struct ui_view *v, int y0, int y1,
		    int64_t now);
void ui_events_draw(struct ui *ui, const struct ui_view *v, int y0, int y1);
void ui_help_draw(struct ui *ui, int y0, int y1);
void ui_silences_draw(struct ui *ui, const struct ui_view *v, int y0, int y1,
		      int64_t now);
/* The silenced targets in model order (malloc'd; *n of them). */
uint32_t *ui_silenced(const struct model *m, int64_t now, size_t *n);

#endif
