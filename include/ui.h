/* ui.h - the live table: curses lifecycle, layout, keys -> actions,
 * redraw throttle. The only module that includes curses.h.
 *
 * The UI never blocks and never calls the network: the loop tells it when
 * stdin is readable (ui_input drains keys with getch until ERR and returns
 * actions for the caller to apply) and asks it when to draw. Handlers only
 * mark it dirty; drawing happens at most every UI_FRAME_MS. */
#ifndef UPTOP_UI_H
#define UPTOP_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "diag.h"

struct model;
struct config;
struct outage_status;
struct sched;
struct sched_stats;
struct target_conf;
struct ui;

#define UI_FRAME_MS 100     /* at most 10 frames/s from model changes */
#define UI_KEY_FRAME_MS 30  /* a key is answered sooner (typing stays live) */

struct loop;

struct ui_opts {
	struct loop *loop;     /* the terminal's output queue registers here */
	const char *theme;     /* NAME or PATH; NULL: config's or "default" */
	const char *theme_from;   /* where it came from, for messages ("--theme") */
	bool ascii;            /* force ASCII glyphs */
	bool bell;             /* ring once on a transition to down */
};

/* What the UI reads to draw a frame; owned by the caller. */
struct ui_view {
	const char *config_path;          /* "-" for URL lists */
	const struct config *cfg;
	const struct model *model;
	const struct sched_stats *sched;
	const struct sched *queue;        /* sched_busy: a check is queued or
					   * running (a recheck's "checking...") */
	double checks_per_sec;
	double lag_p99_ms;                /* over the last minute */
	bool paused;
	uint64_t stalls;                  /* uptop's own stalls (loop.h) */
	const struct outage_status *outage;   /* NULL, or the open/last one */
	uint64_t alerts_sent, alerts_failed, alerts_dropped;
	bool alerts_off;                  /* --no-alerts (or --once) */
	const char *user;                 /* who acks and silences */
};

enum ui_action_kind {
	UI_NONE = 0,
	UI_QUIT,
	UI_RECHECK,        /* .target */
	UI_RECHECK_ALL,
	UI_PAUSE_TOGGLE,
	UI_RELOAD,
	UI_ACK,            /* .target: acknowledge it (a DOWN target) */
	UI_ACK_ALL,        /* every DOWN target */
	UI_SILENCE,        /* .target for .ms */
	UI_UNSILENCE,      /* .target */
};

struct ui_action {
	enum ui_action_kind kind;
	uint32_t target;
	int64_t ms;        /* UI_SILENCE: for how long */
	uint32_t *targets; /* several (m with a filter, U): malloc'd, the
			    * caller frees it; then .target is unused */
	size_t ntargets;
};

/* Refuses (returns NULL with a message in errs) when TERM is unset or
 * dumb, stdout is not a terminal, the theme does not load (every
 * "FILE:LINE:COL: message"), or curses cannot drive TERM. Otherwise sets
 * the locale (LC_ALL from the environment, LC_NUMERIC "C" so numbers keep
 * their '.'), enters the alternate screen, and makes sure the terminal is
 * given back on every exit: a fatal hook (fatal_set_hook) and an atexit
 * handler. NO_COLOR (non-empty) selects the mono theme; a terminal
 * without colours gets mono's attributes. Catches SIGWINCH (see
 * ui_next_frame) and SIGTSTP (Ctrl-Z: the next frame gives the terminal
 * back and stops; fg repaints).
 *
 * Output never blocks: curses writes into a memory file on fd 1 (the
 * terminal moves to fd 2 while the table runs when stderr is elsewhere),
 * and an output queue registered with o->loop moves each frame to the
 * terminal as it takes it; frames are skipped while one is still queued.
 * Without memfd (o->loop NULL or no memfd_create) curses writes to the
 * terminal directly. */
struct ui *ui_new(const struct ui_opts *o, struct diag *errs);
/* Restores the terminal and frees the UI. NULL is a no-op; restoring is
 * idempotent, so the fatal hook, atexit and ui_free may run in any order. */
void ui_free(struct ui *ui);

int ui_input_fd(const struct ui *ui);

/* "ncurses/6.4.20221231", for --version. */
const char *ui_version(void);

/* Drains pending keys (getch until none, bounded per call) and returns
 * the number of actions written (<= max). Keys that only change the view
 * (moving, filter prompt, sort, detail, help) are handled inside; Ctrl-C
 * as a key (3), q and F10 give UI_QUIT; KEY_RESIZE relayouts. */
size_t ui_input(struct ui *ui, const struct ui_view *v, struct ui_action *acts,
		size_t max);

void ui_mark_dirty(struct ui *ui);
/* The model changed under the UI (a reload): resets selection by name. */
void ui_model_changed(struct ui *ui);
/* Monotonic ms at which the next frame should be drawn (may be in the
 * past: draw now). Model changes draw at most every UI_FRAME_MS, keys
 * after UI_KEY_FRAME_MS; with nothing changed the clock still ticks once
 * a second. A terminal resize (SIGWINCH, caught by the UI) asks for a
 * frame at once: the loop's poll() returns EINTR and the caller re-arms
 * its frame timer from this. */
int64_t ui_next_frame(const struct ui *ui);
void ui_draw(struct ui *ui, const struct ui_view *v, int64_t now_mono);

/* One-line message in the footer (sanitised by the UI), e.g. a reload
 * error. `is_error` selects the error colour. */
void ui_message(struct ui *ui, const char *msg, bool is_error);
/* A target went down, or (outage) a mass outage began: ring the bell if
 * enabled, at most once every UI_BELL_MS; a request meanwhile rings once
 * when that time is up (a frame is asked for then), never once a frame.
 * An outage's bell is the one that rang for its first targets, if that
 * was less than UI_BELL_MS ago: one bell per outage. */
#define UI_BELL_MS 5000
void ui_bell(struct ui *ui, bool outage);

/* What drawing costs, for the bench and the perf tests. */
struct ui_perf {
	uint64_t frames;
	uint64_t frames_skipped;            /* the terminal had not taken the last */
	double last_draw_ms, max_draw_ms;   /* whole ui_draw, to doupdate */
	double last_index_ms;               /* last filter + sort rebuild */
	uint64_t index_rebuilds;
	size_t rows_total, rows_shown;      /* targets, rows after filter */
};
void ui_perf_get(const struct ui *ui, struct ui_perf *out);

/* The shell command that reproduces a target's check with curl: method,
 * headers (secrets as "$VAR" from header->shown, else ***), --max-time,
 * -L --max-redirs, -k, -4/-6, -w with the timing variables, the redacted
 * URL; a TCP check's with nc (-vz, or the bytes sent piped in), a DNS
 * check's with dig (@SERVER -p PORT NAME TYPE). Raw text (the UI
 * sanitises it for display); the caller frees it. */
char *ui_curl_command(const struct target_conf *tc);

#endif
