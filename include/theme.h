/* theme.h - semantic colour roles and the themes that map them to colours.
 *
 * A theme is a table role -> {fg, bg, attrs}, like htop's colour schemes:
 * the UI asks for "state_down", never for "red". theme.c is pure data and
 * the YAML helper (yamldoc): it never includes curses.h. Colours are terminal colour numbers
 * (0-7 are the standard COLOR_* values by convention, 8-15 their bright
 * variants, up to 255 on 256-colour terminals); THEME_DEFAULT_COLOR means
 * the terminal's own foreground or background. The UI turns each role into
 * a curses pair at start-up.
 *
 * Three themes are compiled in ("default", "mono", "high-contrast") so uptop
 * works when no theme file is found; themes/NAME.yaml document them and may
 * override them. */
#ifndef UPTOP_THEME_H
#define UPTOP_THEME_H

#include <stdbool.h>
#include <stdint.h>
#include "diag.h"

enum role {
	ROLE_NORMAL = 0,       /* plain table text */
	ROLE_HEADER,           /* the status lines at the top */
	ROLE_TITLE,            /* "uptop 0.1.0", section titles */
	ROLE_COLUMN_HEADER,    /* the table's column names */
	ROLE_FOOTER,           /* key hint labels */
	ROLE_KEY_HINT,         /* the keys in the hints ("F1", "q") */
	ROLE_SELECTION,        /* the selected row */
	ROLE_STATE_UP,
	ROLE_STATE_DEGRADED,
	ROLE_STATE_DOWN,
	ROLE_STATE_PENDING,
	ROLE_STATE_CONFIRMING, /* failed, not yet down */
	ROLE_LATENCY_OK,
	ROLE_LATENCY_WARN,
	ROLE_LATENCY_BAD,
	ROLE_SPARKLINE,
	ROLE_SPARKLINE_FAIL,   /* failed checks in the sparkline */
	ROLE_ERROR,            /* "class: message" of a failed check */
	ROLE_DIM,              /* secondary text */
	ROLE_MESSAGE,          /* footer message line */
	ROLE_MESSAGE_ERROR,    /* footer message line, an error (reload) */
	ROLE_OUTAGE,           /* the mass outage banner under the header */
	ROLE_PAUSED,           /* the PAUSED marker */
	ROLE_PROMPT,           /* the filter prompt */
	ROLE_PHASE_DNS,        /* detail view's phase bar */
	ROLE_PHASE_CONNECT,
	ROLE_PHASE_TLS,
	ROLE_PHASE_TTFB,
	ROLE_PHASE_TRANSFER,
	ROLE_PHASE_FAILED,     /* the phase a failed check ended in */
	ROLE__COUNT
};

#define THEME_DEFAULT_COLOR (-1)

enum theme_attr {
	THEME_BOLD = 1 << 0,
	THEME_REVERSE = 1 << 1,
	THEME_UNDERLINE = 1 << 2,
	THEME_DIM = 1 << 3,
};

struct theme_style {
	int16_t fg, bg;        /* THEME_DEFAULT_COLOR or 0-255 */
	uint8_t attrs;         /* enum theme_attr bits */
};

#define THEME_NAME_LEN 64
#define THEME_SOURCE_LEN 512

struct theme {
	char name[THEME_NAME_LEN];
	char source[THEME_SOURCE_LEN];   /* file it came from, "built-in" */
	struct theme_style role[ROLE__COUNT];
};

/* "state_up", ...; NULL for an out-of-range role. */
const char *theme_role_name(enum role r);

/* Fills *out with a compiled-in theme. Returns false (and fills the
 * default theme) when `name` is not one of theme_builtin_names. */
bool theme_builtin(const char *name, struct theme *out);
extern const char *const theme_builtin_names[];   /* NULL-terminated */

/* Loads a theme. A value containing '/' or ending in ".yaml" is a PATH;
 * anything else is a NAME searched as NAME.yaml in $UPTOP_THEME_DIR, then
 * themes/ next to the binary, then ./themes, then
 * /usr/local/share/uptop/themes; a NAME found nowhere falls back to the
 * built-in theme of that name. A file starts from the built-in "default"
 * (or its `base:`) and overrides the roles it lists.
 * Returns 0, or -1 with every mistake appended to errs as
 * "FILE:LINE:COL: message" (*out then holds the built-in default). */
int theme_load(const char *name_or_path, struct theme *out, struct diag *errs);

/* Parses one theme file; same contract as theme_load for a PATH. */
int theme_load_file(const char *path, struct theme *out, struct diag *errs);

/* Finds NAME.yaml along the search path above. Returns a malloc'd path,
 * or NULL when no file exists. */
char *theme_find(const char *name);

/* A colour by name ("red", "bright_red", "default") or number "0".."255".
 * Returns false when unknown. */
bool theme_parse_color(const char *s, int16_t *out);

#endif
