/* ui_keys.c - the key table, and one key at a time -> UI state and actions.
 *
 * Every binding is one row of ui_bindings[] (see ui_tables.h): the same row
 * dispatches the key, puts its hint in the footer and its line on the help
 * screen, so the three cannot disagree. Keys are written by name ("F10
 * Ctrl-C") and compiled to curses codes once, by ui_new.
 *
 * The filter prompt is a state of the UI, not a nested getch() loop: each
 * key edits ui->filter and returns, so checks run on while someone types.
 * Actions that touch the checks (quit, recheck, pause, reload) go back to
 * the caller, which applies them (mtr's habit). */
#include "ui_priv.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "config.h"
#include "fmt.h"
#include "target.h"
#include "util.h"

#define KEY_ESC 27
#define KEY_CTRL(c) ((c) & 0x1f)
#define KEY_CODES_MAX 3          /* codes one key name stands for */

/* --- key names --------------------------------------------------------
 * A name is one printable ASCII character ("q", "?"), F1..F12,
 * Ctrl-A..Ctrl-Z, or one of these. Some stand for several codes: the
 * terminal may send Enter as KEY_ENTER, CR or LF, and Backspace as
 * KEY_BACKSPACE (its terminfo kbs), DEL or Ctrl-H. */

struct keycode {
	wint_t key;
	bool code;
};

static const struct {
	const char *name;
	struct keycode codes[KEY_CODES_MAX];
	size_t n;
} key_names[] = {
	{ "Up", { { KEY_UP, true } }, 1 },
	{ "Down", { { KEY_DOWN, true } }, 1 },
	{ "PgUp", { { KEY_PPAGE, true } }, 1 },
	{ "PgDn", { { KEY_NPAGE, true } }, 1 },
	{ "Home", { { KEY_HOME, true } }, 1 },
	{ "End", { { KEY_END, true } }, 1 },
	{ "Esc", { { KEY_ESC, false } }, 1 },
	{ "Enter", { { KEY_ENTER, true }, { '\r', false }, { '\n', false } }, 3 },
	{ "Backspace",
	  { { KEY_BACKSPACE, true }, { 127, false }, { KEY_CTRL('h'), false } },
	  3 },
};

/* The codes a key name of `len` bytes stands for; 0 when unknown. */
static size_t key_codes(const char *name, size_t len,
			struct keycode out[KEY_CODES_MAX])
{
	for (size_t i = 0; i < ARRAY_LEN(key_names); i++) {
		if (strlen(key_names[i].name) == len &&
		    memcmp(key_names[i].name, name, len) == 0) {
			memcpy(out, key_names[i].codes,
			       key_names[i].n * sizeof(*out));
			return key_names[i].n;
		}
	}
	if (len == 1 && name[0] > ' ' && name[0] < 127) {
		out[0] = (struct keycode){ (unsigned char)name[0], false };
		return 1;
	}
	if (len == 6 && memcmp(name, "Ctrl-", 5) == 0 && name[5] >= 'A' &&
	    name[5] <= 'Z') {
		out[0] = (struct keycode){ KEY_CTRL(name[5]), false };
		return 1;
	}
	if ((len == 2 || len == 3) && name[0] == 'F' && name[1] >= '1' &&
	    name[1] <= '9') {
		int n = name[1] - '0';

		if (len == 3 && (n != 1 || name[2] < '0' || name[2] > '2'))
			return 0;
		if (len == 3)
			n = 10 + name[2] - '0';
		out[0] = (struct keycode){ (wint_t)KEY_F(n), true };
		return 1;
	}
	return 0;
}

/* The next blank-separated name in *at (advanced past it); false at the
 * end. */
static bool key_next(const char **at, const char **name, size_t *len)
{
	const char *s = *at;

	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	*name = s;
	while (*s && *s != ' ')
		s++;
	*len = (size_t)(s - *name);
	*at = s;
	return true;
}

void ui_keys_label(const struct ui_binding *b, char *dst, size_t len)
{
	const char *at = b->keys, *name;
	size_t n, used = 0;

	dst[0] = '\0';
	while (key_next(&at, &name, &n)) {
		int w = snprintf(dst + used, len - used, "%s%.*s",
				 used ? "  " : "", (int)n, name);

		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

/* The binding's first key name: the footer's default hint key. */
static void ui_keys_first(const struct ui_binding *b, char *dst, size_t len)
{
	const char *at = b->keys, *name = "";
	size_t n = 0;

	key_next(&at, &name, &n);
	snprintf(dst, len, "%.*s", (int)n, name);
}

void ui_hint_key(const struct ui_binding *b, bool utf8, char *dst, size_t len)
{
	const char *key = utf8 ? b->hint_key : b->hint_key_ascii;

	if (key)
		snprintf(dst, len, "%s", key);
	else
		ui_keys_first(b, dst, len);
}

/* Columns of one hint: key and label. */
static int hint_width(const struct ui_binding *b, bool utf8)
{
	char key[32];

	ui_hint_key(b, utf8, key, sizeof(key));
	return fmt_width(key) + fmt_width(b->hint);
}

static bool hint_here(const struct ui_binding *b, unsigned in)
{
	return b->hint && (b->hint_in & in);
}

#define HINT_GAP 2               /* blanks between two hints */

size_t ui_hints_fit(unsigned in, int width, bool utf8, size_t *rows, int *used)
{
	int pinned = 0, x = 0;    /* pinned: room the pinned hints ahead need */
	size_t n = 0;

	for (size_t i = 0; i < ui_nbindings; i++)
		if (hint_here(&ui_bindings[i], in) && ui_bindings[i].pin)
			pinned += HINT_GAP + hint_width(&ui_bindings[i], utf8);
	for (size_t i = 0; i < ui_nbindings && n < UI_BINDINGS_MAX; i++) {
		const struct ui_binding *b = &ui_bindings[i];
		int w, need;

		if (!hint_here(b, in))
			continue;
		w = (n ? HINT_GAP : 0) + hint_width(b, utf8);
		if (b->pin)
			pinned -= HINT_GAP + hint_width(b, utf8);
		need = b->pin ? w : w + pinned;
		if (x + need > width)
			continue;
		rows[n++] = i;
		x += w;
	}
	*used = x;
	return n;
}

/* --- the filter ------------------------------------------------------- */

static size_t ui_act(struct ui_action *acts, size_t max,
		     enum ui_action_kind kind, uint32_t target)
{
	if (!max)
		return 0;
	memset(&acts[0], 0, sizeof(acts[0]));
	acts[0].kind = kind;
	acts[0].target = target;
	return 1;
}

static void ui_filter_changed(struct ui *ui)
{
	ui->index_stale = true;
	ui->top = 0;
}

static void ui_filter_add(struct ui *ui, wint_t wc)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t l;

	memset(&st, 0, sizeof(st));
	l = wcrtomb(mb, (wchar_t)wc, &st);
	if (l == (size_t)-1 || ui->filter_len + l >= sizeof(ui->filter))
		return;
	memcpy(ui->filter + ui->filter_len, mb, l);
	ui->filter_len += l;
	ui->filter[ui->filter_len] = '\0';
	ui_filter_changed(ui);
}

static void ui_filter_clear(struct ui *ui)
{
	ui->filter[0] = '\0';
	ui->filter_len = 0;
	ui_filter_changed(ui);
}

/* Drops the last UTF-8 character of the filter. */
static void key_backspace(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	while (ui->filter_len > 0) {
		unsigned char c = (unsigned char)ui->filter[--ui->filter_len];

		if ((c & 0xc0) != 0x80)
			break;
	}
	ui->filter[ui->filter_len] = '\0';
	ui_filter_changed(ui);
}

static void key_kill(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui_filter_clear(ui);
}

static void key_prompt(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->prompt = true;
	ui->msg[0] = '\0';
}

static void key_prompt_keep(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->prompt = false;
}

static void key_prompt_clear(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->prompt = false;
	ui_filter_clear(ui);
}

/* First the message, then the filter. */
static void key_dismiss(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	if (ui->msg[0])
		ui->msg[0] = '\0';
	else if (ui->filter_len)
		ui_filter_clear(ui);
}

static void key_kind(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->fkind = (ui->fkind + 1) % FILTER__COUNT;
	ui_filter_changed(ui);
}

static void key_sort(struct ui *ui, const struct ui_view *v, long arg)
{
	struct ui_fit f;

	(void)v;
	(void)arg;
	ui_fit_of(ui, &f);
	ui->sort = ui_sort_next(ui->sort, &f);
	ui->index_stale = true;
}

static void key_reverse(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->reverse = !ui->reverse;
	ui->index_stale = true;
}

/* --- acknowledge and silence ------------------------------------------ */

static bool ui_target_of(const struct ui *ui, const struct ui_view *v, uint32_t *id);

/* The silence prompt takes a duration: letters and digits only. */
static void ui_ask_add(struct ui *ui, wint_t wc)
{
	if (wc > 127 || !((wc >= '0' && wc <= '9') || (wc >= 'a' && wc <= 'z') ||
			  (wc >= 'A' && wc <= 'Z') || wc == '.'))
		return;
	if (ui->ask_len + 1 >= sizeof(ui->ask_text))
		return;
	ui->ask_text[ui->ask_len++] = (char)wc;
	ui->ask_text[ui->ask_len] = '\0';
}

static void ui_ask_close(struct ui *ui)
{
	ui->ask = false;
	ui->ask_len = 0;
	ui->ask_text[0] = '\0';
	free(ui->ask_ids);
	ui->ask_ids = NULL;
	ui->ask_n = 0;
}

/* m: the selected target (the one in the detail view); with a filter or
 * a view kind active in the table, every target shown. */
static void key_mute(struct ui *ui, const struct ui_view *v, long arg)
{
	uint32_t id;

	(void)arg;
	ui_ask_close(ui);
	if (!v->model)
		return;
	if (ui->mode == MODE_TABLE && (ui->filter_len || ui->fkind != FILTER_ALL)) {
		if (!ui->nrows) {
			ui_message(ui, "no target is shown: nothing to silence", false);
			return;
		}
		ui->ask_ids = xmalloc(ui->nrows * sizeof(*ui->ask_ids));
		memcpy(ui->ask_ids, ui->rows, ui->nrows * sizeof(*ui->ask_ids));
		ui->ask_n = ui->nrows;
		snprintf(ui->ask_what, sizeof(ui->ask_what), "%zu shown target%s", ui->nrows,
			 ui->nrows == 1 ? "" : "s");
	} else if (ui_target_of(ui, v, &id)) {
		ui->ask_ids = xmalloc(sizeof(*ui->ask_ids));
		ui->ask_ids[0] = id;
		ui->ask_n = 1;
		snprintf(ui->ask_what, sizeof(ui->ask_what), "%s", v->model->v[id].conf->name);
	} else {
		return;
	}
	ui->ask = true;
	ui->msg[0] = '\0';
}

static void key_ask_back(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	if (ui->ask_len)
		ui->ask_text[--ui->ask_len] = '\0';
}

static void key_ask_kill(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->ask_len = 0;
	ui->ask_text[0] = '\0';
}

static void key_ask_cancel(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui_ask_close(ui);
}

/* A silence is an on-call person's word for "I know": a second at least,
 * a month at most. */
#define SILENCE_MAX_MS (30LL * 24 * 3600 * 1000)

/* Enter: "1h", "30m", "1h30m" silences; "0" or "off" lifts. */
static void key_ask_submit(struct ui *ui, const struct ui_view *v, long arg)
{
	char err[160], msg[UI_MSG_LEN];
	int64_t ms = 0;
	bool lift = strcmp(ui->ask_text, "0") == 0 || strcasecmp(ui->ask_text, "off") == 0;

	(void)v;
	(void)arg;
	if (!ui->ask_len) {
		ui_ask_close(ui);
		return;
	}
	if (!lift && config_parse_duration(ui->ask_text, &ms, err, sizeof(err)) != 0) {
		ui_message(ui, err, true);
		return;   /* the prompt stays open to fix it */
	}
	if (!lift && (ms < 1000 || ms > SILENCE_MAX_MS)) {
		ui_message(ui, "a silence lasts from 1s to 720h (0 lifts it)", true);
		return;
	}
	free(ui->act_ids);
	ui->act_ids = ui->ask_ids;
	ui->act_n = ui->ask_n;
	ui->act_kind = lift ? UI_UNSILENCE : UI_SILENCE;
	ui->act_ms = ms;
	ui->ask_ids = NULL;
	ui->ask_n = 0;
	if (lift)
		snprintf(msg, sizeof(msg), "silence of %s lifted", ui->ask_what);
	else
		snprintf(msg, sizeof(msg), "%s silenced for %s: still checked, no alerts",
			 ui->ask_what, ui->ask_text);
	ui_ask_close(ui);
	ui_message(ui, msg, false);
}

/* U in the silences view: every silence. */
static void key_unmute_all(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)arg;
	if (!v->model)
		return;
	free(ui->act_ids);
	ui->act_ids = ui_silenced(v->model, mono_ms(), &ui->act_n);
	ui->act_kind = UI_UNSILENCE;
	if (!ui->act_n) {
		free(ui->act_ids);
		ui->act_ids = NULL;
	}
}

/* --- moving and views ------------------------------------------------- */

#define MOVE_PAGE (1L << 20)     /* arg of key_move: a page */
#define MOVE_ALL (1L << 30)      /* to the first / last */

/* The scroll of the view on screen; NULL where keys move the selection. */
static int *ui_scroll_of(struct ui *ui)
{
	if (ui->prompt)
		return NULL;
	switch (ui->mode) {
	case MODE_DETAIL: return &ui->detail_scroll;
	case MODE_EVENTS: return &ui->events_scroll;
	case MODE_HELP: return &ui->help_scroll;
	case MODE_SILENCES: return &ui->sil_row;
	default: return NULL;
	}
}

/* Moves the selection (table) or scrolls (other views) by arg rows. */
static void key_move(struct ui *ui, const struct ui_view *v, long arg)
{
	long page = ui->page > 1 ? ui->page - 1 : 1;
	long d = arg == MOVE_PAGE ? page : arg == -MOVE_PAGE ? -page : arg;
	int *scroll = ui_scroll_of(ui);

	(void)v;
	if (!scroll) {
		if (d <= -MOVE_ALL)
			ui_sel_home(ui);
		else if (d >= MOVE_ALL)
			ui_sel_end(ui);
		else
			ui_sel_move(ui, d);
		return;
	}
	/* views clamp the scroll when they draw: they know their length */
	if (d <= -MOVE_ALL)
		*scroll = 0;
	else if (d >= MOVE_ALL)
		*scroll = (int)MOVE_ALL;
	else
		*scroll = *scroll + (int)d < 0 ? 0 : *scroll + (int)d;
}

static void key_back(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	(void)arg;
	ui->mode = MODE_TABLE;
}

/* Opens view `arg` at its top, or closes it when it is on screen. */
static void key_view(struct ui *ui, const struct ui_view *v, long arg)
{
	(void)v;
	if (ui->mode == (enum ui_mode)arg) {
		ui->mode = MODE_TABLE;
		return;
	}
	ui->mode = (enum ui_mode)arg;
	if (arg == MODE_HELP)
		ui->help_scroll = 0;
	else if (arg == MODE_EVENTS)
		ui->events_scroll = 0;
	else if (arg == MODE_SILENCES)
		ui->sil_row = 0;
}

static void key_detail(struct ui *ui, const struct ui_view *v, long arg)
{
	uint32_t id;

	(void)arg;
	if (!ui_selected(ui, v, &id))
		return;
	ui->detail = id;
	snprintf(ui->detail_name, sizeof(ui->detail_name), "%s",
		 v->model->v[id].conf->name);
	ui->detail_scroll = 0;
	ui->mode = MODE_DETAIL;
}

/* The target a key is about: the selected one in the table, the one
 * shown in the detail view. */
static bool ui_target_of(const struct ui *ui, const struct ui_view *v,
			 uint32_t *id)
{
	if (ui->mode == MODE_TABLE)
		return ui_selected(ui, v, id);
	if (ui->mode == MODE_DETAIL && v->model && ui->detail < v->model->n) {
		*id = ui->detail;
		return true;
	}
	if (ui->mode == MODE_SILENCES && v->model) {
		size_t n;
		uint32_t *ids = ui_silenced(v->model, mono_ms(), &n);
		bool ok = n > 0;

		if (ok)
			*id = ids[ui->sil_row < 0 ? 0 : (size_t)ui->sil_row >= n ? n - 1
										   : (size_t)ui->sil_row];
		free(ids);
		return ok;
	}
	return false;
}

#define RECHECK_ALL 1L           /* arg of key_recheck: every target */

/* Remembers the recheck so the row says "checking..." until its result
 * (the action itself goes to the caller, which asks the engine). */
static void key_recheck(struct ui *ui, const struct ui_view *v, long arg)
{
	uint32_t id;

	if (arg == RECHECK_ALL)
		ui_ask(ui, v, UI_ALL_TARGETS);
	else if (ui_target_of(ui, v, &id))
		ui_ask(ui, v, id);
}

/* "sort by the next column (state, name, ...)", from the column table. */
static void help_sort(char *dst, size_t len)
{
	size_t used = (size_t)snprintf(dst, len, "sort by the next column (");

	for (size_t c = 0; c < ui_ncolumns && used < len; c++) {
		if (!ui_columns[c].sort)
			continue;
		used += (size_t)snprintf(dst + used, len - used, "%s%s",
					 dst[used - 1] == '(' ? "" : ", ",
					 ui_columns[c].key);
	}
	if (used < len)
		snprintf(dst + used, len - used, ")");
}

/* --- the table ---------------------------------------------------------
 * In table order: the footer shows its hints in this order (F1 Help
 * first, Quit last), the help screen its lines section by section. A key
 * may be bound once per place (view or prompt); the first row that binds
 * it where the UI is wins. */
const struct ui_binding ui_bindings[] = {
	{ .keys = "Esc q Backspace", .in = IN_VIEWS, .section = HELP_VIEWING,
	  .help = "back to the table (from the detail, timeline or help)",
	  .hint = "Back", .hint_in = IN_VIEWS, .fn = key_back, .pin = true },
	{ .keys = "Up k", .in = IN_ALL, .section = HELP_MOVING,
	  .help = "select the previous target", .hint = "Scroll",
	  .hint_in = IN_VIEWS, .hint_key = "\xe2\x86\x91\xe2\x86\x93",
	  .hint_key_ascii = "Up/Dn", .fn = key_move, .arg = -1 },
	{ .keys = "Down j", .in = IN_ALL, .section = HELP_MOVING,
	  .help = "select the next target", .fn = key_move, .arg = 1 },
	{ .keys = "PgUp Ctrl-B", .in = IN_ALL, .section = HELP_MOVING,
	  .help = "a page up", .fn = key_move, .arg = -MOVE_PAGE },
	{ .keys = "PgDn Ctrl-F", .in = IN_ALL, .section = HELP_MOVING,
	  .help = "a page down", .fn = key_move, .arg = MOVE_PAGE },
	{ .keys = "Home g", .in = IN_ALL, .section = HELP_MOVING,
	  .help = "the first target", .fn = key_move, .arg = -MOVE_ALL },
	{ .keys = "End G", .in = IN_ALL, .section = HELP_MOVING,
	  .help = "the last target", .fn = key_move, .arg = MOVE_ALL },
	{ .keys = "F1 ?", .in = IN_TABLE | IN_VIEWS, .section = HELP_VIEWING,
	  .help = "this help", .hint = "Help", .hint_in = IN_TABLE,
	  .hint_key = "?", .hint_key_ascii = "?", .fn = key_view,
	  .arg = MODE_HELP, .pin = true },
	{ .keys = "/", .in = IN_TABLE, .section = HELP_VIEWING,
	  .help = "filter by name, group, URL or error as you type",
	  .hint = "Filter", .hint_in = IN_TABLE, .fn = key_prompt },
	{ .keys = "f", .in = IN_TABLE, .section = HELP_VIEWING,
	  .help = "show all / problems only (down, confirming, degraded) / down only",
	  .hint = "View", .hint_in = IN_TABLE, .fn = key_kind },
	{ .keys = "s", .in = IN_TABLE, .section = HELP_VIEWING,
	  .help_fn = help_sort, .hint = "Sort", .hint_in = IN_TABLE,
	  .fn = key_sort },
	{ .keys = "S", .in = IN_TABLE, .section = HELP_VIEWING,
	  .help = "reverse the sort", .fn = key_reverse },
	{ .keys = "Enter", .in = IN_TABLE, .section = HELP_VIEWING,
	  .help = "details of the selected target", .hint = "Detail",
	  .hint_in = IN_TABLE, .fn = key_detail },
	{ .keys = "r", .in = IN_TABLE | IN_DETAIL, .section = HELP_ACTING,
	  .help = "recheck the selected target now", .hint = "Recheck",
	  .hint_in = IN_TABLE | IN_DETAIL, .fn = key_recheck,
	  .act = UI_RECHECK, .on_target = true },
	{ .keys = "R", .in = IN_TABLE | IN_VIEWS, .section = HELP_ACTING,
	  .help = "recheck every target now", .fn = key_recheck,
	  .arg = RECHECK_ALL, .act = UI_RECHECK_ALL },
	{ .keys = "p", .in = IN_TABLE | IN_VIEWS, .section = HELP_ACTING,
	  .help = "pause / resume checking", .hint = "Pause",
	  .hint_in = IN_TABLE, .act = UI_PAUSE_TOGGLE },
	{ .keys = "e", .in = IN_TABLE | IN_VIEWS, .section = HELP_VIEWING,
	  .help = "event timeline: state changes, newest first",
	  .hint = "Events", .hint_in = IN_TABLE, .fn = key_view,
	  .arg = MODE_EVENTS },
	{ .keys = "L", .in = IN_TABLE | IN_VIEWS, .section = HELP_ACTING,
	  .help = "reload the config file (also SIGUSR1)", .hint = "Reload",
	  .hint_in = IN_TABLE, .act = UI_RELOAD },
	{ .keys = "a", .in = IN_TABLE | IN_DETAIL, .section = HELP_QUIET,
	  .help = "acknowledge the selected DOWN target: no reminders until it "
		  "recovers", .hint = "Ack", .hint_in = IN_TABLE | IN_DETAIL,
	  .act = UI_ACK, .on_target = true },
	{ .keys = "A", .in = IN_TABLE | IN_VIEWS, .section = HELP_QUIET,
	  .help = "acknowledge every DOWN target", .act = UI_ACK_ALL },
	{ .keys = "m", .in = IN_TABLE | IN_DETAIL, .section = HELP_QUIET,
	  .help = "silence the selected target (with a filter: every shown one) "
		  "for a while: 30m, 1h; 0 lifts", .hint = "Mute",
	  .hint_in = IN_TABLE | IN_DETAIL, .fn = key_mute },
	{ .keys = "M", .in = IN_TABLE | IN_VIEWS, .section = HELP_QUIET,
	  .help = "silences: list them, lift them", .fn = key_view,
	  .arg = MODE_SILENCES },
	{ .keys = "u Enter", .in = IN_SILENCES, .section = HELP_QUIET,
	  .help = "in the silences: lift the selected one", .hint = "Lift",
	  .hint_in = IN_SILENCES, .act = UI_UNSILENCE, .on_target = true },
	{ .keys = "U", .in = IN_SILENCES, .section = HELP_QUIET,
	  .help = "in the silences: lift them all", .hint = "Lift all",
	  .hint_in = IN_SILENCES, .fn = key_unmute_all, .on_list = true },
	{ .keys = "Enter", .in = IN_ASK, .section = HELP_QUIET,
	  .help = "at the silence prompt: silence for what was typed",
	  .hint = "Silence", .hint_in = IN_ASK, .fn = key_ask_submit,
	  .on_list = true },
	{ .keys = "Esc", .in = IN_ASK, .section = HELP_QUIET,
	  .help = "at the silence prompt: cancel", .hint = "Cancel",
	  .hint_in = IN_ASK, .fn = key_ask_cancel },
	{ .keys = "Backspace", .in = IN_ASK, .section = HELP_QUIET,
	  .help = "at the silence prompt: delete the last character",
	  .fn = key_ask_back },
	{ .keys = "Ctrl-U", .in = IN_ASK, .section = HELP_QUIET,
	  .help = "at the silence prompt: delete everything typed",
	  .fn = key_ask_kill },
	{ .keys = "Esc", .in = IN_TABLE, .section = HELP_VIEWING,
	  .help = "dismiss the message, then clear the filter",
	  .fn = key_dismiss },
	{ .keys = "Enter", .in = IN_PROMPT, .section = HELP_FILTER,
	  .help = "keep the filter", .hint = "Keep filter",
	  .hint_in = IN_PROMPT, .fn = key_prompt_keep },
	{ .keys = "Esc", .in = IN_PROMPT, .section = HELP_FILTER,
	  .help = "clear the filter", .hint = "Clear", .hint_in = IN_PROMPT,
	  .fn = key_prompt_clear },
	/* typed like any character: here for the help and the hint */
	{ .keys = "!", .section = HELP_FILTER,
	  .help = "typed first: the targets that do not match",
	  .hint = "at start inverts", .hint_in = IN_PROMPT },
	{ .keys = "Backspace", .in = IN_PROMPT, .section = HELP_FILTER,
	  .help = "delete the last character", .fn = key_backspace },
	{ .keys = "Ctrl-U", .in = IN_PROMPT, .section = HELP_FILTER,
	  .help = "delete everything typed", .fn = key_kill },
	{ .keys = "q", .in = IN_TABLE, .section = HELP_ACTING, .help = "quit",
	  .hint = "Quit", .hint_in = IN_TABLE, .act = UI_QUIT, .pin = true },
	/* Ctrl-C comes as a key only when the terminal sends no SIGINT */
	{ .keys = "F10 Ctrl-C", .in = IN_ALL | IN_ASK, .section = HELP_ACTING,
	  .help = "quit", .hint = "Quit", .hint_in = IN_PROMPT | IN_VIEWS,
	  .act = UI_QUIT, .pin = true },
	/* the terminal's SIGTSTP; ncurses suspends and resumes the screen */
	{ .keys = "Ctrl-Z", .section = HELP_ACTING,
	  .help = "suspend (fg resumes)" },
};

const size_t ui_nbindings = ARRAY_LEN(ui_bindings);

_Static_assert(ARRAY_LEN(ui_bindings) <= UI_BINDINGS_MAX,
	       "raise UI_BINDINGS_MAX (struct ui_keymap's row is a uint8_t)");

/* --- dispatch --------------------------------------------------------- */

void ui_keys_init(struct ui *ui)
{
	ui->nkeymap = 0;
	for (size_t r = 0; r < ui_nbindings; r++) {
		const char *at = ui_bindings[r].keys, *name;
		struct keycode kc[KEY_CODES_MAX];
		size_t len;

		if (!ui_bindings[r].in)
			continue;
		while (key_next(&at, &name, &len)) {
			size_t n = key_codes(name, len, kc);

			for (size_t i = 0; i < n && ui->nkeymap < UI_KEYMAP_MAX;
			     i++)
				ui->keymap[ui->nkeymap++] = (struct ui_keymap){
					kc[i].key, kc[i].code, (uint8_t)r
				};
		}
	}
}

unsigned ui_keys_in(const struct ui *ui)
{
	return ui->prompt ? IN_PROMPT : ui->ask ? IN_ASK : 1u << ui->mode;
}

/* An action on several targets: the list goes to the caller, who frees
 * it. */
static size_t ui_act_list(struct ui *ui, struct ui_action *acts, size_t max)
{
	size_t n = 0;

	if (ui->act_n && max) {
		memset(&acts[0], 0, sizeof(acts[0]));
		acts[0].kind = ui->act_kind;
		acts[0].targets = ui->act_ids;
		acts[0].ntargets = ui->act_n;
		acts[0].ms = ui->act_ms;
		ui->act_ids = NULL;
		n = 1;
	}
	free(ui->act_ids);
	ui->act_ids = NULL;
	ui->act_n = 0;
	return n;
}

static size_t ui_run(struct ui *ui, const struct ui_view *v,
		     const struct ui_binding *b, struct ui_action *acts,
		     size_t max)
{
	uint32_t id = 0;

	if (b->fn)
		b->fn(ui, v, b->arg);
	if (b->on_list)
		return ui_act_list(ui, acts, max);
	if (b->act == UI_NONE || (b->on_target && !ui_target_of(ui, v, &id)))
		return 0;
	return ui_act(acts, max, b->act, id);
}

size_t ui_keys_handle(struct ui *ui, const struct ui_view *v, wint_t key,
		      bool is_code, struct ui_action *acts, size_t max)
{
	unsigned in = ui_keys_in(ui);

	/* the prompts are text fields: what prints is typed */
	if (in == IN_PROMPT && !is_code && key >= 0x20 && key != 127) {
		ui_filter_add(ui, key);
		return 0;
	}
	if (in == IN_ASK && !is_code && key >= 0x20 && key != 127) {
		ui_ask_add(ui, key);
		return 0;
	}
	for (size_t i = 0; i < ui->nkeymap; i++) {
		const struct ui_keymap *m = &ui->keymap[i];

		if (m->key == key && m->code == is_code &&
		    (ui_bindings[m->row].in & in))
			return ui_run(ui, v, &ui_bindings[m->row], acts, max);
	}
	return 0;
}

/* --- the table's own check -------------------------------------------- */

static bool key_printable(const struct keycode *k)
{
	return !k->code && k->key >= 0x20 && k->key != 127;
}

/* Do bindings a and b share a key code somewhere both work? */
static size_t check_clash(const struct ui_binding *a,
			  const struct ui_binding *b, struct diag *errs)
{
	const char *at = a->keys, *name;
	size_t len, n = 0;

	if (!(a->in & b->in))
		return 0;
	while (key_next(&at, &name, &len)) {
		struct keycode ka[KEY_CODES_MAX], kb[KEY_CODES_MAX];
		const char *at2 = b->keys, *name2;
		size_t na = key_codes(name, len, ka), len2;

		while (key_next(&at2, &name2, &len2)) {
			size_t nb = key_codes(name2, len2, kb);
			bool same = false;

			for (size_t i = 0; i < na; i++)
				for (size_t j = 0; j < nb; j++)
					same |= ka[i].key == kb[j].key &&
						ka[i].code == kb[j].code;
			if (!same)
				continue;
			diag_addf(errs, "key table: %.*s is bound by \"%s\" "
				  "and by \"%s\" in one view", (int)len, name,
				  a->keys, b->keys);
			n++;
		}
	}
	return n;
}

static size_t check_names(const struct ui_binding *b, struct diag *errs)
{
	const char *at = b->keys, *name;
	struct keycode kc[KEY_CODES_MAX];
	size_t len, n = 0;

	while (key_next(&at, &name, &len)) {
		size_t nc = key_codes(name, len, kc);

		if (!nc) {
			diag_addf(errs, "key table: \"%s\": unknown key name "
				  "\"%.*s\"", b->keys, (int)len, name);
			n++;
		}
		/* a prompt types it: bound nowhere else, it is dead */
		for (size_t i = 0; i < nc; i++) {
			if ((b->in != IN_PROMPT && b->in != IN_ASK) || !key_printable(&kc[i]))
				continue;
			diag_addf(errs, "key table: \"%s\": %.*s is typed in "
				  "the %s prompt, it cannot be bound there",
				  b->keys, (int)len, name,
				  b->in == IN_PROMPT ? "filter" : "silence");
			n++;
		}
	}
	return n;
}

static size_t check_row(const struct ui_binding *b, struct diag *errs)
{
	const char *at = b->keys, *name;
	const char *why = NULL;
	size_t len;

	if (!at || !key_next(&at, &name, &len))
		why = "no keys";
	else if (b->in && !b->fn && b->act == UI_NONE)
		why = "does nothing";
	else if (b->on_target && b->act == UI_NONE)
		why = "on_target without an action";
	else if (b->on_list && (!b->fn || b->on_target))
		why = "on_list without a function (or with on_target)";
	else if (!b->help && !b->help_fn)
		why = "no help line";
	else if (b->hint && !b->hint_in)
		why = "a hint shown nowhere";
	else if (b->pin && !b->hint)
		why = "pinned without a hint";
	if (!why)
		return check_names(b, errs);
	diag_addf(errs, "key table: \"%s\": %s", b->keys ? b->keys : "", why);
	return 1;
}

size_t ui_keys_check(const struct ui_binding *t, size_t n, struct diag *errs)
{
	size_t bad = 0;

	for (size_t r = 0; r < n; r++) {
		bad += check_row(&t[r], errs);
		for (size_t s = r + 1; s < n; s++)
			bad += check_clash(&t[r], &t[s], errs);
	}
	return bad;
}
