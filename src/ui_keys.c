/* ui_keys.c - one key at a time -> UI state and actions.
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
#include <wchar.h>

#include "config.h"
#include "target.h"
#include "util.h"

#define KEY_ESC 27
#define KEY_CTRL(c) ((c) & 0x1f)

static size_t ui_act(struct ui_action *acts, size_t max,
		     enum ui_action_kind kind, uint32_t target)
{
	if (!max)
		return 0;
	acts[0].kind = kind;
	acts[0].target = target;
	return 1;
}

static void ui_filter_changed(struct ui *ui)
{
	ui->index_stale = true;
	ui->top = 0;
}

/* Drops the last UTF-8 character of the filter. */
static void ui_filter_backspace(struct ui *ui)
{
	while (ui->filter_len > 0) {
		unsigned char c = (unsigned char)ui->filter[--ui->filter_len];

		if ((c & 0xc0) != 0x80)
			break;
	}
	ui->filter[ui->filter_len] = '\0';
	ui_filter_changed(ui);
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

static bool ui_is_quit(wint_t k, bool code)
{
	return code ? k == KEY_F(10) : k == KEY_CTRL('c');
}

/* Moves the selection (table) or scrolls (other views) by a key; returns
 * false when the key is not a movement. */
static bool ui_nav(struct ui *ui, wint_t k, bool code, int *scroll)
{
	long page = ui->page > 1 ? ui->page - 1 : 1;
	long d;

	if (code) {
		switch (k) {
		case KEY_UP: d = -1; break;
		case KEY_DOWN: d = 1; break;
		case KEY_PPAGE: d = -page; break;
		case KEY_NPAGE: d = page; break;
		case KEY_HOME: d = -(1L << 30); break;
		case KEY_END: d = 1L << 30; break;
		default: return false;
		}
	} else {
		switch (k) {
		case 'k': d = -1; break;
		case 'j': d = 1; break;
		case 'g': d = -(1L << 30); break;
		case 'G': d = 1L << 30; break;
		case KEY_CTRL('b'): d = -page; break;
		case KEY_CTRL('f'): d = page; break;
		default: return false;
		}
	}
	if (!scroll) {
		if (d <= -(1L << 30))
			ui_sel_home(ui);
		else if (d >= 1L << 30)
			ui_sel_end(ui);
		else
			ui_sel_move(ui, d);
		return true;
	}
	/* views clamp the scroll when they draw: they know their length */
	if (d <= -(1L << 30))
		*scroll = 0;
	else if (d >= 1L << 30)
		*scroll = 1 << 30;
	else
		*scroll = *scroll + (int)d < 0 ? 0 : *scroll + (int)d;
	return true;
}

static size_t ui_keys_prompt(struct ui *ui, wint_t k, bool code,
			     struct ui_action *acts, size_t max)
{
	if (ui_is_quit(k, code))
		return ui_act(acts, max, UI_QUIT, 0);
	if (code) {
		if (k == KEY_BACKSPACE)
			ui_filter_backspace(ui);
		else if (k == KEY_ENTER)
			ui->prompt = false;
		else
			ui_nav(ui, k, code, NULL);
		return 0;
	}
	switch (k) {
	case '\r':
	case '\n':
		ui->prompt = false;
		break;
	case KEY_ESC:
		ui->prompt = false;
		ui_filter_clear(ui);
		break;
	case 127:
	case KEY_CTRL('h'):
		ui_filter_backspace(ui);
		break;
	case KEY_CTRL('u'):
		ui_filter_clear(ui);
		break;
	default:
		if (k >= 0x20 && k != 127)
			ui_filter_add(ui, k);
		break;
	}
	return 0;
}

static void ui_open_detail(struct ui *ui, const struct ui_view *v)
{
	uint32_t id;

	if (!ui_selected(ui, v, &id))
		return;
	ui->detail = id;
	snprintf(ui->detail_name, sizeof(ui->detail_name), "%s",
		 v->model->v[id].conf->name);
	ui->detail_scroll = 0;
	ui->mode = MODE_DETAIL;
}

static size_t ui_keys_table(struct ui *ui, const struct ui_view *v, wint_t k,
			    bool code, struct ui_action *acts, size_t max)
{
	uint32_t id;

	if (ui_nav(ui, k, code, NULL))
		return 0;
	if (code) {
		if (k == KEY_F(1)) {
			ui->mode = MODE_HELP;
			ui->help_scroll = 0;
		} else if (k == KEY_ENTER) {
			ui_open_detail(ui, v);
		}
		return 0;
	}
	switch (k) {
	case 'q':
		return ui_act(acts, max, UI_QUIT, 0);
	case '/':
		ui->prompt = true;
		ui->msg[0] = '\0';
		break;
	case KEY_ESC:
		/* first the message, then the filter */
		if (ui->msg[0])
			ui->msg[0] = '\0';
		else if (ui->filter_len)
			ui_filter_clear(ui);
		break;
	case 'f':
		ui->fkind = (ui->fkind + 1) % FILTER__COUNT;
		ui_filter_changed(ui);
		break;
	case 's':
		ui->sort = (ui->sort + 1) % SORT__COUNT;
		ui->index_stale = true;
		break;
	case 'S':
		ui->reverse = !ui->reverse;
		ui->index_stale = true;
		break;
	case '\r':
	case '\n':
		ui_open_detail(ui, v);
		break;
	case 'r':
		if (ui_selected(ui, v, &id))
			return ui_act(acts, max, UI_RECHECK, id);
		break;
	case 'R':
		return ui_act(acts, max, UI_RECHECK_ALL, 0);
	case 'p':
		return ui_act(acts, max, UI_PAUSE_TOGGLE, 0);
	case 'e':
		ui->mode = MODE_EVENTS;
		ui->events_scroll = 0;
		break;
	case 'L':
		return ui_act(acts, max, UI_RELOAD, 0);
	case '?':
		ui->mode = MODE_HELP;
		ui->help_scroll = 0;
		break;
	default:
		break;
	}
	return 0;
}

/* Detail, events and help: scroll, go back, and a few table keys. */
static size_t ui_keys_view(struct ui *ui, const struct ui_view *v, wint_t k,
			   bool code, struct ui_action *acts, size_t max)
{
	int *scroll = ui->mode == MODE_DETAIL   ? &ui->detail_scroll
		      : ui->mode == MODE_EVENTS ? &ui->events_scroll
						: &ui->help_scroll;

	if (ui_nav(ui, k, code, scroll))
		return 0;
	if (code) {
		if (k == KEY_F(1))
			ui->mode = ui->mode == MODE_HELP ? MODE_TABLE : MODE_HELP;
		return 0;
	}
	switch (k) {
	case KEY_ESC:
	case 'q':
	case KEY_CTRL('h'):
	case 127:
		ui->mode = MODE_TABLE;
		break;
	case '?':
		ui->mode = ui->mode == MODE_HELP ? MODE_TABLE : MODE_HELP;
		ui->help_scroll = 0;
		break;
	case 'e':
		ui->mode = ui->mode == MODE_EVENTS ? MODE_TABLE : MODE_EVENTS;
		ui->events_scroll = 0;
		break;
	case 'r':
		if (ui->mode == MODE_DETAIL && v->model && ui->detail < v->model->n)
			return ui_act(acts, max, UI_RECHECK, ui->detail);
		break;
	case 'R':
		return ui_act(acts, max, UI_RECHECK_ALL, 0);
	case 'p':
		return ui_act(acts, max, UI_PAUSE_TOGGLE, 0);
	case 'L':
		return ui_act(acts, max, UI_RELOAD, 0);
	default:
		break;
	}
	return 0;
}

size_t ui_keys_handle(struct ui *ui, const struct ui_view *v, wint_t key,
		      bool is_code, struct ui_action *acts, size_t max)
{
	if (ui->prompt)
		return ui_keys_prompt(ui, key, is_code, acts, max);
	if (ui_is_quit(key, is_code))
		return ui_act(acts, max, UI_QUIT, 0);
	if (ui->mode == MODE_TABLE)
		return ui_keys_table(ui, v, key, is_code, acts, max);
	return ui_keys_view(ui, v, key, is_code, acts, max);
}
