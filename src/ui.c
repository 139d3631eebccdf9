/* ui.c - the live table's lifecycle, colours, frame pacing, header and
 * footer. The only place (with the other ui_*.c files) that includes
 * curses.h.
 *
 * Each frame is built from scratch (erase, draw, one doupdate): ncurses
 * works out the minimal update. Text from outside never reaches curses
 * unsanitised: every string goes through ui_put. */
#include "ui_priv.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "fmt.h"
#include "log.h"
#include "outage.h"
#include "sched.h"
#include "target.h"
#include "util.h"

/* The one UI whose terminal the fatal hook gives back. */
static struct ui *ui_current;
static volatile sig_atomic_t ui_winch, ui_tstp;
static bool atexit_done;

/* Ends curses and hands every byte of the last frame and of endwin's
 * reset to the terminal (blocking: nothing is left to run), then gives
 * fds 1 and 2 back. */
static void ui_restore(struct ui *ui)
{
	if (!ui || !ui->active)
		return;
	ui->active = false;
	curs_set(1);
	endwin();
	ui_screen_close(ui);
}

static void ui_fatal_hook(void)
{
	ui_restore(ui_current);
}

/* An exit() anywhere while the table is up still gives the terminal
 * back (a no-op after ui_free). */
static void ui_atexit(void)
{
	ui_restore(ui_current);
}

static void ui_on_winch(int sig)
{
	(void)sig;
	ui_winch = 1;
}

/* Ctrl-Z: handled on the loop (ui_suspend), not in the handler, so the
 * terminal gets its modes back through the same output queue. */
static void ui_on_tstp(int sig)
{
	(void)sig;
	ui_tstp = 1;
}

/* --- text output ---------------------------------------------------- */

int ui_put(struct ui *ui, int y, int x, int w, enum role r, const char *s)
{
	char clean[1024], fit[1024];
	int used;

	if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	fmt_sanitize(clean, sizeof(clean), s, strlen(s), ui->utf8);
	used = fmt_fit(fit, sizeof(fit), clean, w, ui->utf8);
	attrset(ui->attr[r]);
	mvaddstr(y, x, fit);
	return used;
}

int ui_put_right(struct ui *ui, int y, int x, int w, enum role r,
		 const char *s)
{
	char clean[1024];
	int cw;

	fmt_sanitize(clean, sizeof(clean), s, strlen(s), ui->utf8);
	cw = fmt_width(clean);
	if (cw > w)
		cw = w;
	return ui_put(ui, y, x + w - cw, cw, r, clean);
}

void ui_fill(struct ui *ui, int y, int x, int w, enum role r)
{
	if (y < 0 || y >= LINES || x >= COLS || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(ui->attr[r]);
	mvhline(y, x, ' ', w);
}

void ui_glyph(struct ui *ui, int y, int x, enum role r, const char *g,
	      size_t len)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return;
	attrset(ui->attr[r]);
	mvaddnstr(y, x, g, (int)len);
}

/* --- colours -------------------------------------------------------- */

/* A theme colour this terminal can show: bright colours fall back to
 * their base colour on 8-colour terminals, 256-colour numbers to the
 * default. */
static short ui_color(int c, bool have_default, bool is_bg)
{
	if (c == THEME_DEFAULT_COLOR)
		return have_default ? -1 : (is_bg ? COLOR_BLACK : COLOR_WHITE);
	if (c < COLORS)
		return (short)c;
	if (c < 16 && c - 8 < COLORS)
		return (short)(c - 8);
	return have_default ? -1 : (is_bg ? COLOR_BLACK : COLOR_WHITE);
}

static attr_t ui_attr_bits(uint8_t a)
{
	attr_t r = A_NORMAL;

	if (a & THEME_BOLD)
		r |= A_BOLD;
	if (a & THEME_REVERSE)
		r |= A_REVERSE;
	if (a & THEME_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & THEME_DIM)
		r |= A_DIM;
	return r;
}

/* One curses pair per role (pair = role + 1). Without colours only the
 * attributes count, and the mono theme says which. */
static void ui_colors_init(struct ui *ui)
{
	bool have_default;

	ui->has_colors = has_colors() && start_color() == OK;
	if (!ui->has_colors) {
		theme_builtin("mono", &ui->theme);
		for (int r = 0; r < ROLE__COUNT; r++)
			ui->attr[r] = ui_attr_bits(ui->theme.role[r].attrs);
		return;
	}
	have_default = use_default_colors() == OK;
	for (int r = 0; r < ROLE__COUNT; r++) {
		const struct theme_style *st = &ui->theme.role[r];
		attr_t a = ui_attr_bits(st->attrs);

		/* bright on an 8-colour terminal: bold is the old way */
		if (st->fg >= 8 && st->fg < 16 && COLORS < 16)
			a |= A_BOLD;
		if (r + 1 < COLOR_PAIRS &&
		    init_pair((short)(r + 1), ui_color(st->fg, have_default, false),
			      ui_color(st->bg, have_default, true)) == OK)
			a |= COLOR_PAIR(r + 1);
		ui->attr[r] = a;
	}
}

/* --- lifecycle ------------------------------------------------------ */

static bool ui_term_ok(struct diag *errs)
{
	const char *term = getenv("TERM");

	if (!term || !*term || strcmp(term, "dumb") == 0) {
		diag_addf(errs, "uptop: the live table needs a terminal "
				"(TERM=%s); use --once or --headless for plain "
				"output",
			  term && *term ? term : "unset");
		return false;
	}
	if (!isatty(STDOUT_FILENO)) {
		diag_addf(errs, "uptop: the live table needs a terminal (stdout "
				"is not a tty); use --once or --headless for "
				"plain output");
		return false;
	}
	return true;
}

/* Which theme: NO_COLOR (https://no-color.org) wins over everything. */
static int ui_theme_load(struct ui *ui, const struct ui_opts *o,
			 struct diag *errs)
{
	const char *nc = getenv("NO_COLOR");
	struct diag terrs = { 0 };

	/* checked even under NO_COLOR: a wrong name is never ignored */
	if (theme_load(o->theme, &ui->theme, &terrs) != 0) {
		for (size_t i = 0; i < terrs.n; i++)
			diag_addf(errs, "uptop: %s: %s",
				  o->theme_from ? o->theme_from : "theme", terrs.msgs[i]);
		diag_clear(&terrs);
		return -1;
	}
	if (nc && *nc)
		theme_builtin("mono", &ui->theme);
	return 0;
}

static void ui_curses_modes(void)
{
	cbreak();          /* not raw: Ctrl-C and Ctrl-Z stay signals */
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);  /* Esc answers at once, not after a second */
	curs_set(0);
	leaveok(stdscr, TRUE);
}

/* poll() returns EINTR even with SA_RESTART (never restarted), so the
 * loop still asks for a frame; other calls are not disturbed. */
static bool ui_catch(int sig, void (*handler)(int), struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	return sigaction(sig, &sa, old) == 0;
}

static void ui_winch_install(struct ui *ui)
{
	ui->winch_installed = ui_catch(SIGWINCH, ui_on_winch, &ui->old_winch);
}

/* Before newterm: ncurses installs its own SIGTSTP handler only when the
 * signal is at its default, and its handler would write endwin's reset
 * straight to the terminal while our queue still holds a frame. */
static void ui_tstp_install(struct ui *ui)
{
	ui->tstp_installed = ui_catch(SIGTSTP, ui_on_tstp, &ui->old_tstp);
}

/* Keys come from the terminal even when stdin is a pipe (`uptop -` reads
 * URLs from it): then /dev/tty, as less and fzf do. A stdin at EOF would
 * also keep poll() readable forever. */
static int ui_open_input(struct ui *ui, struct diag *errs)
{
	int fd;

	ui->in_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO))
		return 0;
	ui->tty_in = fopen("/dev/tty", "re");
	if (!ui->tty_in) {
		diag_addf(errs, "uptop: the live table needs a terminal for "
				"keys (stdin is not a tty and /dev/tty: %s); use "
				"--once or --headless for plain output",
			  strerror(errno));
		return -1;
	}
	fd = fileno(ui->tty_in);
	ui->in_fd = fd;
	return 0;
}

struct ui *ui_new(const struct ui_opts *o, struct diag *errs)
{
	struct ui *ui;
	const char *cs;

	if (!ui_term_ok(errs))
		return NULL;
	ui = xcalloc(1, sizeof(*ui));
	if (ui_theme_load(ui, o, errs) != 0) {
		free(ui);
		return NULL;
	}
	/* wide characters need the locale; numbers stay "1.5", not "1,5" */
	setlocale(LC_ALL, "");
	setlocale(LC_NUMERIC, "C");
	cs = nl_langinfo(CODESET);
	ui->utf8 = !o->ascii && cs && strcmp(cs, "UTF-8") == 0;
	ui->bell = o->bell;
	ui->last_bell = INT64_MIN / 2;
	if (ui_open_input(ui, errs) != 0) {
		free(ui);
		return NULL;
	}
	ui_screen_open(ui, o->loop);
	ui_tstp_install(ui);
	ui->scr = newterm(NULL, stdout, ui->tty_in ? ui->tty_in : stdin);
	if (!ui->scr) {
		ui_screen_close(ui);
		ui_screen_free(ui);
		if (ui->tstp_installed)
			sigaction(SIGTSTP, &ui->old_tstp, NULL);
		if (ui->tty_in)
			fclose(ui->tty_in);
		diag_addf(errs, "uptop: cannot drive terminal type \"%s\"; use "
				"--once or --headless for plain output",
			  getenv("TERM"));
		free(ui);
		return NULL;
	}
	ui->active = true;
	ui_current = ui;
	fatal_set_hook(ui_fatal_hook);
	if (!atexit_done)
		atexit_done = atexit(ui_atexit) == 0;
	ui_curses_modes();
	ui_colors_init(ui);
	bkgdset(' ' | ui->attr[ROLE_NORMAL]);
	ui_winch_install(ui);
	ui_keys_init(ui);
	ui_screen_collect(ui);
	ui->dirty = ui->urgent = true;
	ui->index_stale = ui->widths_stale = true;
	return ui;
}

void ui_free(struct ui *ui)
{
	if (!ui)
		return;
	ui_restore(ui);
	if (ui->scr) {
		delscreen(ui->scr);
		ui->scr = NULL;
	}
	ui_screen_free(ui);
	if (ui->tty_in)
		fclose(ui->tty_in);
	if (ui->winch_installed)
		sigaction(SIGWINCH, &ui->old_winch, NULL);
	if (ui->tstp_installed)
		sigaction(SIGTSTP, &ui->old_tstp, NULL);
	if (ui_current == ui) {
		fatal_set_hook(NULL);
		ui_current = NULL;
	}
	free(ui->rows);
	free(ui->keys);
	free(ui->ask_ids);
	free(ui->act_ids);
	ui_asked_clear(ui);
	free(ui);
}

int ui_input_fd(const struct ui *ui)
{
	return ui->in_fd;
}

const char *ui_version(void)
{
	static char buf[64];
	const char *v = curses_version();   /* "ncurses 6.4.20221231" */
	const char *sp = strchr(v, ' ');

	if (!buf[0])
		snprintf(buf, sizeof(buf), "%.*s/%s", sp ? (int)(sp - v) : 0,
			 sp ? v : "", sp ? sp + 1 : v);
	return buf;
}

/* --- pacing --------------------------------------------------------- */

void ui_mark_dirty(struct ui *ui)
{
	ui->dirty = true;
	ui->index_stale = true;
}

void ui_model_changed(struct ui *ui)
{
	ui_asked_clear(ui);
	ui->reselect = true;
	ui->index_stale = ui->widths_stale = true;
	ui->dirty = ui->urgent = true;
}

int64_t ui_next_frame(const struct ui *ui)
{
	int64_t t = ui->last_frame + UI_TICK_MS;

	if (ui_tstp)
		return 0;
	/* The terminal has not taken the last frame: the next waits (the
	 * queue draining ends the loop's turn, and the caller asks again). */
	if (ui_screen_busy(ui))
		return INT64_MAX;
	if (ui_winch || ui->urgent)
		return ui->last_frame + UI_KEY_FRAME_MS;
	if (ui->dirty)
		t = ui->last_frame + UI_FRAME_MS;
	if (ui->pending_bell) {
		int64_t b = ui->last_bell + UI_BELL_MS;

		if (b < ui->last_frame + UI_FRAME_MS)
			b = ui->last_frame + UI_FRAME_MS;
		if (b < t)
			t = b;
	}
	if (ui->msg_until && ui->msg_until < t)
		t = ui->msg_until;
	return t;
}

void ui_message(struct ui *ui, const char *msg, bool is_error)
{
	const char *m = msg ? msg : "";

	fmt_sanitize(ui->msg, sizeof(ui->msg), m, strlen(m), ui->utf8);
	ui->msg_error = is_error;
	/* errors stay until replaced or dismissed with Esc */
	ui->msg_until = is_error || !*m ? 0 : mono_ms() + UI_INFO_MS;
	ui->dirty = ui->urgent = true;
}

void ui_bell(struct ui *ui, bool outage)
{
	ui->dirty = true;
	if (!ui->bell)
		return;
	if (outage && mono_ms() - ui->last_bell < UI_BELL_MS)
		ui->pending_bell = false;   /* it rang for the first targets */
	else
		ui->pending_bell = true;
}

void ui_perf_get(const struct ui *ui, struct ui_perf *out)
{
	*out = ui->perf;
}

/* --- resize --------------------------------------------------------- */

/* Our SIGWINCH handler replaced ncurses' own, so tell curses the new
 * size here (KEY_RESIZE still works when it comes through the keys). */
static void ui_check_resize(const struct ui *ui)
{
	struct winsize ws;

	if (!ui_winch)
		return;
	ui_winch = 0;
	if (ioctl(ui_screen_tty(ui), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0 && (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
}

/* --- header and footer ---------------------------------------------- */

static int ui_seg(struct ui *ui, int y, int *x, int right, enum role r,
		  const char *s)
{
	char clean[512];
	int w;

	fmt_sanitize(clean, sizeof(clean), s, strlen(s), ui->utf8);
	w = fmt_width(clean);
	if (*x + w > right)
		return -1;
	*x += ui_put(ui, y, *x, w, r, clean);
	return 0;
}

/* Pieces from ui_stats.c, drawn from *x while they fit before `right`. */
static void ui_pieces(struct ui *ui, int y, int *x, int right,
		      const struct ui_stat *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ui_seg(ui, y, x, right, ROLE_HEADER, st[i].lead) != 0 ||
		    ui_seg(ui, y, x, right, st[i].role, st[i].text) != 0)
			return;
}

/* Line 1: the pieces that fit (ui_stats.c), never one cut. */
static void ui_stats_line(struct ui *ui, const struct ui_view *v, int y)
{
	struct ui_stat st[UI_STATS_MAX];
	int x = 0;

	ui_pieces(ui, y, &x, COLS, st, ui_stats_fit(v, COLS, st));
}

/* Line 0: title, config (or the counts when there is no second line),
 * PAUSED and the clock on the right. */
static void ui_title_line(struct ui *ui, const struct ui_view *v, bool counts)
{
	char clock[16], title[64];
	int x = 0, right = COLS;

	ui_fill(ui, 0, 0, COLS, ROLE_HEADER);
	fmt_clock(clock, sizeof(clock), wall_ms());
	if (COLS >= 40) {
		right -= (int)strlen(clock);
		ui_put(ui, 0, right, (int)strlen(clock), ROLE_HEADER, clock);
		right -= 1;
	}
	if (v->paused) {
		right -= 6;
		ui_put(ui, 0, right, 6, ROLE_PAUSED, "PAUSED");
		right -= 1;
	}
	snprintf(title, sizeof(title), "uptop %s", UPTOP_VERSION);
	if (COLS < 40)
		snprintf(title, sizeof(title), "uptop");
	if (ui_seg(ui, 0, &x, right, ROLE_TITLE, title) != 0)
		return;
	x++;
	if (counts) {
		struct ui_stat st[UI_STATS_MAX];

		ui_pieces(ui, 0, &x, right, st, ui_counts_fit(v, right - x, st));
		return;
	}
	ui_put(ui, 0, x, right - x - 1, ROLE_HEADER,
	       v->config_path ? v->config_path : "-");
}

/* The banner while a mass outage is open: since when (with the date if
 * not today), how many, the common class, and what it likely means
 * (outage.h has the rule). One line, or two broken at a blank when the
 * sentence is wider than the terminal and `two` allows; returns the
 * lines used. */
static int ui_outage_line(struct ui *ui, const struct outage_status *o,
			  int y, int64_t now, bool two)
{
	char buf[640], clean[640], clk[24], dur[32];
	const char *cls = eclass_name((enum eclass)o->cls);
	int64_t wall = wall_ms(), since = wall - (now - o->since_ms);
	size_t cut;

	fmt_stamp(clk, sizeof(clk), since, fmt_day(since) != fmt_day(wall));
	fmt_duration(dur, sizeof(dur), now > o->since_ms ? now - o->since_ms : 0);
	snprintf(buf, sizeof(buf), " OUTAGE since %s (%s): %u target%s failing "
		 "on %u host%s, mostly %s; %u back. %s", clk, dur,
		 o->targets - o->back, o->targets - o->back == 1 ? "" : "s",
		 o->hosts, o->hosts == 1 ? "" : "s", cls ? cls : "?", o->back,
		 o->by_canary ? "The canary failed: uptop's own network is likely down."
			      : "Likely uptop's own network or resolver.");
	fmt_sanitize(clean, sizeof(clean), buf, strlen(buf), ui->utf8);
	ui_fill(ui, y, 0, COLS, ROLE_OUTAGE);
	cut = fmt_wrap(clean, COLS);
	if (!two || !clean[cut]) {
		ui_put(ui, y, 0, COLS, ROLE_OUTAGE, clean);
		return 1;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)cut, clean);
	ui_put(ui, y, 0, COLS, ROLE_OUTAGE, buf);
	while (clean[cut] == ' ')
		cut++;
	ui_fill(ui, y + 1, 0, COLS, ROLE_OUTAGE);
	ui_put(ui, y + 1, 1, COLS - 1, ROLE_OUTAGE, clean + cut);
	return 2;
}

static int ui_header(struct ui *ui, const struct ui_view *v, int64_t now)
{
	bool two = LINES >= 10;
	int top = two ? 2 : 1;

	ui_title_line(ui, v, !two);
	if (two)
		ui_stats_line(ui, v, 1);
	if (v->outage && v->outage->open)
		top += ui_outage_line(ui, v->outage, top, now, LINES >= 16);
	return top;
}

/* The key hints of where the UI is (view or prompt), in the key table's
 * order: the pinned ones (help, quit, back) always, the others as many
 * as fit beside them (ui_hints_fit). */
static void ui_hints(struct ui *ui, int y)
{
	size_t rows[UI_BINDINGS_MAX], n;
	char key[32];
	int x = 0, used;

	ui_fill(ui, y, 0, COLS, ROLE_FOOTER);
	n = ui_hints_fit(ui_keys_in(ui), COLS, ui->utf8, rows, &used);
	for (size_t i = 0; i < n; i++) {
		const struct ui_binding *b = &ui_bindings[rows[i]];

		ui_hint_key(b, ui->utf8, key, sizeof(key));
		if ((i && ui_seg(ui, y, &x, COLS, ROLE_FOOTER, "  ") != 0) ||
		    ui_seg(ui, y, &x, COLS, ROLE_KEY_HINT, key) != 0 ||
		    ui_seg(ui, y, &x, COLS, ROLE_FOOTER, b->hint) != 0)
			break;
	}
}

/* The prompt, else the message, else the view's status (left), and the
 * row counts and sort (right). */
static void ui_message_line(struct ui *ui, int y)
{
	char right[128];
	int x = 0, rw;

	snprintf(right, sizeof(right), "%zu/%zu  %s  sort %s%s",
		 ui->nrows, ui->perf.rows_total, ui_filter_name(ui->fkind),
		 ui_sort_name(ui->sort), ui->reverse ? " (rev)" : "");
	rw = fmt_width(right);
	if (ui->mode != MODE_TABLE || COLS < 60 || (ui->msg[0] && !ui->prompt) || ui->ask)
		rw = 0;
	else
		ui_put_right(ui, y, COLS - rw, rw, ROLE_DIM, right);
	if (ui->prompt) {
		x += ui_put(ui, y, 0, 1, ROLE_PROMPT, "/");
		x += ui_put(ui, y, x, COLS - rw - x - 2, ROLE_PROMPT, ui->filter);
		ui_put(ui, y, x, 1, ROLE_SELECTION, " ");
	} else if (ui->ask) {
		char q[UI_NAME_LEN + 128];

		/* an error about what was typed shows beside the prompt */
		snprintf(q, sizeof(q), "silence %s for (30m, 1h; 0 lifts): ", ui->ask_what);
		x += ui_put(ui, y, 0, COLS / 2, ROLE_PROMPT, q);
		x += ui_put(ui, y, x, 32, ROLE_PROMPT, ui->ask_text);
		x += ui_put(ui, y, x, 1, ROLE_SELECTION, " ");
		if (ui->msg[0] && ui->msg_error)
			ui_put(ui, y, x + 2, COLS - x - 2, ROLE_MESSAGE_ERROR, ui->msg);
	} else if (ui->msg[0]) {
		ui_put(ui, y, 0, COLS, ui->msg_error ? ROLE_MESSAGE_ERROR
						      : ROLE_MESSAGE,
		       ui->msg);
	} else if (ui->filter_len && ui->mode == MODE_TABLE) {
		x += ui_put(ui, y, 0, COLS - rw - 1, ROLE_DIM, "filter: ");
		ui_put(ui, y, x, COLS - rw - x - 1, ROLE_PROMPT, ui->filter);
	}
}

static int ui_footer(struct ui *ui)
{
	if (LINES >= 10) {
		ui_message_line(ui, LINES - 2);
		ui_hints(ui, LINES - 1);
		return 2;
	}
	/* short terminal: one line, the prompt or message before the hints */
	if (ui->prompt || ui->ask || ui->msg[0])
		ui_message_line(ui, LINES - 1);
	else
		ui_hints(ui, LINES - 1);
	return 1;
}

/* --- the frame ------------------------------------------------------ */

/* Ctrl-Z, as ncurses' own handler does it but on the loop: end curses,
 * let the terminal take everything (its modes, the main screen), stop;
 * on fg take the modes the shell left as the ones to restore at exit and
 * repaint everything (the next doupdate after endwin does). */
static void ui_suspend(struct ui *ui)
{
	struct sigaction dfl, mine;

	ui_tstp = 0;
	log_debug("ui: Ctrl-Z: terminal given back, stopping");
	if (tcgetpgrp(ui->in_fd) == getpgrp())
		def_prog_mode();
	endwin();
	ui_screen_flush(ui);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &mine);
	raise(SIGTSTP);
	/* fg (SIGCONT) */
	sigaction(SIGTSTP, &mine, NULL);
	def_shell_mode();
	log_debug("ui: continued: repainting");
	ui_winch = 1;
	ui->dirty = ui->urgent = true;
}

static void ui_too_small(struct ui *ui)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "terminal too small (%dx%d)", COLS, LINES);
	if ((int)strlen(buf) > COLS)
		snprintf(buf, sizeof(buf), "terminal too small");
	ui_put(ui, 0, 0, COLS, ROLE_MESSAGE_ERROR, buf);
}

static void ui_model_seen(struct ui *ui, const struct ui_view *v)
{
	size_t n = v->model ? v->model->n : 0;

	/* a model swapped under us without ui_model_changed: same cure */
	if (v->model != ui->seen_model || n != ui->seen_n) {
		if (ui->seen_model)
			ui->reselect = true;
		ui_asked_clear(ui);
		ui->index_stale = ui->widths_stale = true;
		ui->seen_model = v->model;
		ui->seen_n = n;
	}
	ui->perf.rows_total = n;
}

void ui_draw(struct ui *ui, const struct ui_view *v, int64_t now)
{
	int64_t t0 = mono_us();
	int top, bottom;
	double ms;

	if (!ui->active)
		return;
	if (ui_tstp)
		ui_suspend(ui);
	if (ui_screen_busy(ui)) {
		ui->perf.frames_skipped++;
		return;
	}
	ui_check_resize(ui);
	if (ui->msg_until && now >= ui->msg_until) {
		ui->msg[0] = '\0';
		ui->msg_until = 0;
	}
	ui_model_seen(ui, v);
	ui_index_update(ui, v, now);
	erase();
	if (COLS < UI_MIN_COLS || LINES < UI_MIN_LINES) {
		ui_too_small(ui);
	} else {
		top = ui_header(ui, v, now);
		bottom = LINES - ui_footer(ui);
		switch (ui->mode) {
		case MODE_DETAIL: ui_detail_draw(ui, v, top, bottom, now); break;
		case MODE_EVENTS: ui_events_draw(ui, v, top, bottom); break;
		case MODE_HELP: ui_help_draw(ui, top, bottom); break;
		case MODE_SILENCES: ui_silences_draw(ui, v, top, bottom, now); break;
		default: ui_table_draw(ui, v, top, bottom, now); break;
		}
	}
	wnoutrefresh(stdscr);
	doupdate();
	if (ui->pending_bell && now - ui->last_bell >= UI_BELL_MS) {
		beep();
		ui->pending_bell = false;
		ui->last_bell = now;
	}
	ui_screen_collect(ui);
	ui->dirty = ui->urgent = false;
	ui->last_frame = now;
	ms = (double)(mono_us() - t0) / 1000.0;
	ui->perf.frames++;
	ui->perf.last_draw_ms = ms;
	if (ms > ui->perf.max_draw_ms)
		ui->perf.max_draw_ms = ms;
}

/* --- input ---------------------------------------------------------- */

size_t ui_input(struct ui *ui, const struct ui_view *v, struct ui_action *acts,
		size_t max)
{
	size_t n = 0;
	wint_t wc;
	int rc;

	if (!ui->active)
		return 0;
	/* bounded: a paste of megabytes must not starve the checks */
	for (int i = 0; i < 4096 && n < max; i++) {
		rc = get_wch(&wc);
		if (rc == ERR)
			break;
		if (rc == KEY_CODE_YES && wc == KEY_RESIZE) {
			ui->urgent = ui->dirty = true;
			continue;
		}
		/* Keys typed ahead (a filter, then Enter) act on the rows the
		 * previous key left, not on the last frame's. Not while typing
		 * the filter: a pasted pattern must not rebuild per byte. */
		if ((ui->index_stale || ui->reselect) && !ui->prompt)
			ui_index_update(ui, v, mono_ms());
		n += ui_keys_handle(ui, v, wc, rc == KEY_CODE_YES, acts + n,
				    max - n);
		ui->urgent = ui->dirty = true;
	}
	ui_screen_collect(ui);
	return n;
}
