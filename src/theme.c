/* theme.c - colour roles, the built-in themes and themes/NAME.yaml.
 *
 * Pure data plus the YAML helper (yamldoc, a tree from libyaml's events):
 * no curses here, so the colour
 * numbers are the conventional terminal ones (0 black .. 7 white, 8-15
 * bright, up to 255). The UI turns them into curses pairs. */
#include "theme.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "yamldoc.h"

/* A theme is a page of YAML; anything bigger is a mistake. */
#define THEME_MAX_BYTES (1024 * 1024)

static const char *const role_names[ROLE__COUNT] = {
	[ROLE_NORMAL] = "normal",
	[ROLE_HEADER] = "header",
	[ROLE_TITLE] = "title",
	[ROLE_COLUMN_HEADER] = "column_header",
	[ROLE_FOOTER] = "footer",
	[ROLE_KEY_HINT] = "key_hint",
	[ROLE_SELECTION] = "selection",
	[ROLE_STATE_UP] = "state_up",
	[ROLE_STATE_DEGRADED] = "state_degraded",
	[ROLE_STATE_DOWN] = "state_down",
	[ROLE_STATE_PENDING] = "state_pending",
	[ROLE_STATE_CONFIRMING] = "state_confirming",
	[ROLE_LATENCY_OK] = "latency_ok",
	[ROLE_LATENCY_WARN] = "latency_warn",
	[ROLE_LATENCY_BAD] = "latency_bad",
	[ROLE_SPARKLINE] = "sparkline",
	[ROLE_SPARKLINE_FAIL] = "sparkline_fail",
	[ROLE_ERROR] = "error",
	[ROLE_DIM] = "dim",
	[ROLE_MESSAGE] = "message",
	[ROLE_MESSAGE_ERROR] = "message_error",
	[ROLE_OUTAGE] = "outage",
	[ROLE_PAUSED] = "paused",
	[ROLE_PROMPT] = "prompt",
	[ROLE_PHASE_DNS] = "phase_dns",
	[ROLE_PHASE_CONNECT] = "phase_connect",
	[ROLE_PHASE_TLS] = "phase_tls",
	[ROLE_PHASE_TTFB] = "phase_ttfb",
	[ROLE_PHASE_TRANSFER] = "phase_transfer",
	[ROLE_PHASE_FAILED] = "phase_failed",
};

static const char *const color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright_black", "bright_red", "bright_green", "bright_yellow",
	"bright_blue", "bright_magenta", "bright_cyan", "bright_white",
};

static const char *const attr_names[] = { "bold", "reverse", "underline", "dim" };

enum { D = THEME_DEFAULT_COLOR, BLACK = 0, RED, GREEN, YELLOW, BLUE, MAGENTA,
       CYAN, WHITE, BR_BLACK, BR_RED, BR_GREEN, BR_YELLOW, BR_BLUE,
       BR_MAGENTA, BR_CYAN, BR_WHITE };
enum { B = THEME_BOLD, R = THEME_REVERSE, U = THEME_UNDERLINE, M = THEME_DIM };

/* Keep these three tables equal to themes/NAME.yaml: test_theme checks it. */
static const struct theme_style builtin_default[ROLE__COUNT] = {
	[ROLE_NORMAL] = { D, D, 0 },
	[ROLE_HEADER] = { D, D, 0 },
	[ROLE_TITLE] = { CYAN, D, B },
	[ROLE_COLUMN_HEADER] = { BLACK, GREEN, 0 },
	[ROLE_FOOTER] = { BLACK, CYAN, 0 },
	[ROLE_KEY_HINT] = { D, D, B },
	[ROLE_SELECTION] = { BLACK, CYAN, 0 },
	[ROLE_STATE_UP] = { GREEN, D, B },
	[ROLE_STATE_DEGRADED] = { YELLOW, D, B },
	[ROLE_STATE_DOWN] = { WHITE, RED, B },
	[ROLE_STATE_PENDING] = { CYAN, D, 0 },
	[ROLE_STATE_CONFIRMING] = { MAGENTA, D, B },
	[ROLE_LATENCY_OK] = { GREEN, D, 0 },
	[ROLE_LATENCY_WARN] = { YELLOW, D, 0 },
	[ROLE_LATENCY_BAD] = { RED, D, B },
	[ROLE_SPARKLINE] = { CYAN, D, 0 },
	[ROLE_SPARKLINE_FAIL] = { RED, D, B },
	[ROLE_ERROR] = { RED, D, 0 },
	[ROLE_DIM] = { D, D, M },
	[ROLE_MESSAGE] = { D, D, 0 },
	[ROLE_MESSAGE_ERROR] = { WHITE, RED, B },
	[ROLE_OUTAGE] = { WHITE, RED, B },
	[ROLE_PAUSED] = { BLACK, YELLOW, B },
	[ROLE_PROMPT] = { YELLOW, D, B },
	[ROLE_PHASE_DNS] = { BLACK, CYAN, 0 },
	[ROLE_PHASE_CONNECT] = { BLACK, YELLOW, 0 },
	[ROLE_PHASE_TLS] = { BLACK, MAGENTA, 0 },
	[ROLE_PHASE_TTFB] = { BLACK, GREEN, 0 },
	[ROLE_PHASE_TRANSFER] = { BLACK, BLUE, 0 },
	[ROLE_PHASE_FAILED] = { WHITE, RED, 0 },
};

/* Attributes only: for NO_COLOR and terminals without colours. */
static const struct theme_style builtin_mono[ROLE__COUNT] = {
	[ROLE_NORMAL] = { D, D, 0 },
	[ROLE_HEADER] = { D, D, 0 },
	[ROLE_TITLE] = { D, D, B },
	[ROLE_COLUMN_HEADER] = { D, D, R },
	[ROLE_FOOTER] = { D, D, R },
	[ROLE_KEY_HINT] = { D, D, B },
	[ROLE_SELECTION] = { D, D, R | B },
	[ROLE_STATE_UP] = { D, D, 0 },
	[ROLE_STATE_DEGRADED] = { D, D, B | U },
	[ROLE_STATE_DOWN] = { D, D, B | R },
	[ROLE_STATE_PENDING] = { D, D, M },
	[ROLE_STATE_CONFIRMING] = { D, D, U },
	[ROLE_LATENCY_OK] = { D, D, 0 },
	[ROLE_LATENCY_WARN] = { D, D, U },
	[ROLE_LATENCY_BAD] = { D, D, B },
	[ROLE_SPARKLINE] = { D, D, 0 },
	[ROLE_SPARKLINE_FAIL] = { D, D, B },
	[ROLE_ERROR] = { D, D, B },
	[ROLE_DIM] = { D, D, M },
	[ROLE_MESSAGE] = { D, D, 0 },
	[ROLE_MESSAGE_ERROR] = { D, D, B | R },
	[ROLE_OUTAGE] = { D, D, B | R },
	[ROLE_PAUSED] = { D, D, B | R },
	[ROLE_PROMPT] = { D, D, B },
	[ROLE_PHASE_DNS] = { D, D, R },
	[ROLE_PHASE_CONNECT] = { D, D, U },
	[ROLE_PHASE_TLS] = { D, D, R | B },
	[ROLE_PHASE_TTFB] = { D, D, U | B },
	[ROLE_PHASE_TRANSFER] = { D, D, R },
	[ROLE_PHASE_FAILED] = { D, D, B | R },
};

/* Bright colours on black, bold where it matters: for low vision and
 * washed-out projectors. */
static const struct theme_style builtin_high_contrast[ROLE__COUNT] = {
	[ROLE_NORMAL] = { BR_WHITE, BLACK, 0 },
	[ROLE_HEADER] = { BR_WHITE, BLACK, B },
	[ROLE_TITLE] = { BR_YELLOW, BLACK, B },
	[ROLE_COLUMN_HEADER] = { BLACK, BR_WHITE, B },
	[ROLE_FOOTER] = { BLACK, BR_WHITE, 0 },
	[ROLE_KEY_HINT] = { BR_YELLOW, BLACK, B },
	[ROLE_SELECTION] = { BLACK, BR_YELLOW, B },
	[ROLE_STATE_UP] = { BR_GREEN, BLACK, B },
	[ROLE_STATE_DEGRADED] = { BLACK, BR_YELLOW, B },
	[ROLE_STATE_DOWN] = { BR_WHITE, RED, B },
	[ROLE_STATE_PENDING] = { BR_CYAN, BLACK, B },
	[ROLE_STATE_CONFIRMING] = { BLACK, BR_MAGENTA, B },
	[ROLE_LATENCY_OK] = { BR_GREEN, BLACK, 0 },
	[ROLE_LATENCY_WARN] = { BR_YELLOW, BLACK, B },
	[ROLE_LATENCY_BAD] = { BR_RED, BLACK, B },
	[ROLE_SPARKLINE] = { BR_CYAN, BLACK, 0 },
	[ROLE_SPARKLINE_FAIL] = { BR_RED, BLACK, B },
	[ROLE_ERROR] = { BR_RED, BLACK, B },
	[ROLE_DIM] = { WHITE, BLACK, 0 },
	[ROLE_MESSAGE] = { BR_WHITE, BLACK, B },
	[ROLE_MESSAGE_ERROR] = { BR_WHITE, RED, B },
	[ROLE_OUTAGE] = { BR_WHITE, RED, B },
	[ROLE_PAUSED] = { BLACK, BR_YELLOW, B },
	[ROLE_PROMPT] = { BR_YELLOW, BLACK, B },
	[ROLE_PHASE_DNS] = { BLACK, BR_CYAN, B },
	[ROLE_PHASE_CONNECT] = { BLACK, BR_YELLOW, B },
	[ROLE_PHASE_TLS] = { BLACK, BR_MAGENTA, B },
	[ROLE_PHASE_TTFB] = { BLACK, BR_GREEN, B },
	[ROLE_PHASE_TRANSFER] = { BLACK, BR_WHITE, B },
	[ROLE_PHASE_FAILED] = { BR_WHITE, RED, B },
};

const char *const theme_builtin_names[] = { "default", "mono", "high-contrast",
					    NULL };

static const struct theme_style *const builtin_tables[] = {
	builtin_default, builtin_mono, builtin_high_contrast,
};

const char *theme_role_name(enum role r)
{
	return (unsigned)r < ROLE__COUNT ? role_names[r] : NULL;
}

static void theme_copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

bool theme_builtin(const char *name, struct theme *out)
{
	for (size_t i = 0; theme_builtin_names[i]; i++) {
		if (name && strcmp(name, theme_builtin_names[i]) == 0) {
			memcpy(out->role, builtin_tables[i], sizeof(out->role));
			theme_copy_str(out->name, sizeof(out->name), name);
			theme_copy_str(out->source, sizeof(out->source),
				       "built-in");
			return true;
		}
	}
	theme_builtin("default", out);
	return false;
}

/* Levenshtein distance, for "did you mean". Names here are short; longer
 * inputs are not worth a suggestion. */
static size_t theme_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The nearest of `names` to s when it is close enough to be a typo. */
static const char *theme_nearest(const char *s, const char *const *names,
				 size_t n)
{
	const char *best = NULL;
	size_t bestd = SIZE_MAX, limit = strlen(s) / 3 + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (!names[i])
			continue;
		d = theme_distance(s, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	return bestd <= (limit < 3 ? limit : 3) ? best : NULL;
}

/* Colour names accept '-' for '_' and "grey"/"gray" for bright black. */
bool theme_parse_color(const char *s, int16_t *out)
{
	char norm[32];
	size_t i;

	if (!s || !*s)
		return false;
	if (s[0] >= '0' && s[0] <= '9') {
		char *end;
		long v;

		errno = 0;
		v = strtol(s, &end, 10);
		if (*end || errno || v < 0 || v > 255)
			return false;
		*out = (int16_t)v;
		return true;
	}
	for (i = 0; s[i] && i + 1 < sizeof(norm); i++)
		norm[i] = s[i] == '-' ? '_' : s[i];
	norm[i] = '\0';
	if (s[i])
		return false;
	if (strcmp(norm, "default") == 0) {
		*out = THEME_DEFAULT_COLOR;
		return true;
	}
	if (strcmp(norm, "grey") == 0 || strcmp(norm, "gray") == 0) {
		*out = BR_BLACK;
		return true;
	}
	for (i = 0; i < ARRAY_LEN(color_names); i++) {
		if (strcmp(norm, color_names[i]) == 0) {
			*out = (int16_t)i;
			return true;
		}
	}
	return false;
}

/* State of one file's parse: where errors go and what they cite. */
struct tparse {
	struct ysink sink;
	struct theme *out;
};

PRINTF_LIKE(3, 4)
static void tp_err(struct tparse *p, const struct ynode *n, const char *fmt,
		   ...)
{
	va_list ap;

	va_start(ap, fmt);
	ysink_vaddf(&p->sink, n ? n->line : 1, n ? n->col : 1, fmt, ap);
	va_end(ap);
}

/* " (did you mean 'x'?)" when s is a likely typo of one of names, else
 * " (expected ...)" from `expected`. */
static const char *tp_hint(const char *s, const char *const *names, size_t n,
			   const char *expected)
{
	static char buf[160];
	const char *near = theme_nearest(s, names, n);

	if (near)
		snprintf(buf, sizeof(buf), " (did you mean '%s'?)", near);
	else if (expected)
		snprintf(buf, sizeof(buf), " (expected %s)", expected);
	else
		buf[0] = '\0';
	return buf;
}

static void tp_color(struct tparse *p, const struct ynode *n, int16_t *out)
{
	if (n->kind != YNODE_SCALAR) {
		tp_err(p, n, "a colour must be a name or a number 0-255, not %s",
		       ynode_describe(n));
		return;
	}
	if (theme_parse_color(n->str, out))
		return;
	if (n->str[0] >= '0' && n->str[0] <= '9') {
		tp_err(p, n, "colour %s out of range (0-255)", ynode_describe(n));
		return;
	}
	tp_err(p, n, "unknown colour %s%s", ynode_describe(n),
	       tp_hint(n->str, color_names, ARRAY_LEN(color_names),
		       "default, black, red, green, yellow, blue, magenta, "
		       "cyan, white, bright_*, or 0-255"));
}

static void tp_attr(struct tparse *p, const struct ynode *n, uint8_t *attrs)
{
	for (size_t i = 0; n->kind == YNODE_SCALAR && i < ARRAY_LEN(attr_names);
	     i++) {
		if (strcmp(n->str, attr_names[i]) == 0) {
			*attrs |= (uint8_t)(1u << i);
			return;
		}
	}
	tp_err(p, n, "bad attribute %s (expected bold, reverse, underline, dim)",
	       ynode_describe(n));
}

/* attrs: [bold, reverse], a single attrs: bold, or empty. */
static void tp_attrs(struct tparse *p, const struct ynode *n, uint8_t *attrs)
{
	*attrs = 0;
	if (n->kind == YNODE_SCALAR) {
		if (!ynode_is_null(n))
			tp_attr(p, n, attrs);
		return;
	}
	if (n->kind != YNODE_SEQ) {
		tp_err(p, n, "attrs must be a list like [bold, reverse]");
		return;
	}
	for (size_t i = 0; i < n->n; i++)
		tp_attr(p, n->items[i], attrs);
}

static void tp_style(struct tparse *p, const struct ynode *n,
		     struct theme_style *st)
{
	static const char *const keys[] = { "fg", "bg", "attrs" };

	st->fg = st->bg = THEME_DEFAULT_COLOR;
	st->attrs = 0;
	if (n->kind != YNODE_MAP) {
		tp_err(p, n, "a role needs a mapping like {fg: red, bg: default, "
			     "attrs: [bold]}, not %s",
		       ynode_describe(n));
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (strcmp(k->str, "fg") == 0)
			tp_color(p, v, &st->fg);
		else if (strcmp(k->str, "bg") == 0)
			tp_color(p, v, &st->bg);
		else if (strcmp(k->str, "attrs") == 0)
			tp_attrs(p, v, &st->attrs);
		else
			tp_err(p, k, "unknown key %s%s", ynode_describe(k),
			       tp_hint(k->str, keys, ARRAY_LEN(keys),
				       "fg, bg, attrs"));
	}
}

static void tp_roles(struct tparse *p, const struct ynode *n)
{
	if (n->kind != YNODE_MAP) {
		tp_err(p, n, "roles must be a mapping of role: {fg, bg, attrs}");
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->pairs[i].key;
		int r;

		for (r = 0; r < ROLE__COUNT; r++)
			if (strcmp(k->str, role_names[r]) == 0)
				break;
		if (r < ROLE__COUNT)
			tp_style(p, n->pairs[i].value, &p->out->role[r]);
		else
			tp_err(p, k, "unknown role %s%s", ynode_describe(k),
			       tp_hint(k->str, role_names, ROLE__COUNT, NULL));
	}
}

static void tp_root(struct tparse *p, const struct ynode *root)
{
	static const char *const keys[] = { "name", "base", "roles" };
	const struct ynode *v;
	struct theme base;

	if (root->kind != YNODE_MAP) {
		tp_err(p, root, "a theme must be a mapping with name, base and "
				"roles, not %s",
		       ynode_describe(root));
		return;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct ynode *k = root->pairs[i].key;

		if (strcmp(k->str, "name") && strcmp(k->str, "base") &&
		    strcmp(k->str, "roles"))
			tp_err(p, k, "unknown key %s%s", ynode_describe(k),
			       tp_hint(k->str, keys, ARRAY_LEN(keys),
				       "name, base, roles"));
	}
	/* base first: roles override it wherever they appear in the file */
	if ((v = ynode_get(root, "base"))) {
		if (v->kind == YNODE_SCALAR && theme_builtin(v->str, &base))
			memcpy(p->out->role, base.role, sizeof(base.role));
		else
			tp_err(p, v, "unknown base %s (expected default, mono or "
				     "high-contrast)",
			       ynode_describe(v));
	}
	if ((v = ynode_get(root, "roles")))
		tp_roles(p, v);
	if ((v = ynode_get(root, "name"))) {
		if (v->kind == YNODE_SCALAR && !ynode_is_null(v))
			theme_copy_str(p->out->name, sizeof(p->out->name), v->str);
		else
			tp_err(p, v, "name must be a string, not %s",
			       ynode_describe(v));
	}
}

/* The theme's name when the file gives none: its basename without .yaml. */
static void theme_name_from_path(char *dst, size_t len, const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 5 && strcmp(b + n - 5, ".yaml") == 0)
		n -= 5;
	snprintf(dst, len, "%.*s", (int)n, b);
}

/* Reads a whole (small) file; NULL with a message on failure. */
static char *theme_read(const char *path, size_t *len, struct diag *errs)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t cap = 4096, n = 0, got;

	if (!f) {
		diag_addf(errs, "%s: cannot open theme: %s", path,
			  strerror(errno));
		return NULL;
	}
	buf = xmalloc(cap);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= THEME_MAX_BYTES) {
				diag_addf(errs, "%s: theme file larger than %d "
						"bytes",
					  path, THEME_MAX_BYTES);
				free(buf);
				fclose(f);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		diag_addf(errs, "%s: cannot read theme: %s", path,
			  strerror(errno));
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

int theme_load_file(const char *path, struct theme *out, struct diag *errs)
{
	struct tparse p = { .out = out };
	struct yamldoc *doc = NULL;
	const struct ynode *root;
	size_t len = 0;
	char *buf;
	int rc = 0;

	theme_builtin("default", out);
	buf = theme_read(path, &len, errs);
	if (!buf)
		return -1;
	ysink_init(&p.sink, path);
	theme_name_from_path(out->name, sizeof(out->name), path);
	theme_copy_str(out->source, sizeof(out->source), path);
	if (yamldoc_load(buf, len, &doc, &p.sink) == 0) {
		root = yamldoc_root(doc);
		if (!root)
			tp_err(&p, NULL, "empty theme (expected a mapping with "
					 "roles:)");
		else
			tp_root(&p, root);
	}
	if (p.sink.n) {
		ysink_flush(&p.sink, errs);
		theme_builtin("default", out);
		rc = -1;
	}
	ysink_clear(&p.sink);
	yamldoc_free(doc);
	free(buf);
	return rc;
}

/* make install compiles in $(PREFIX)/share/uptop; a build without it
 * (the fuzzer's) looks where a default install puts the themes. */
#ifndef UPTOP_DATADIR
#define UPTOP_DATADIR "/usr/local/share/uptop"
#endif

/* Directory of the running binary, for themes/ shipped beside it. */
static bool theme_exe_dir(char *dst, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dst, len - 1);
	char *slash;

	if (n <= 0 || (size_t)n >= len - 1)
		return false;
	dst[n] = '\0';
	slash = strrchr(dst, '/');
	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

char *theme_find(const char *name)
{
	char exe[PATH_MAX];
	const char *dirs[4];
	size_t nd = 0;
	const char *env = getenv("UPTOP_THEME_DIR");

	if (!name || !*name || strchr(name, '/'))
		return NULL;
	if (env && *env)
		dirs[nd++] = env;
	if (theme_exe_dir(exe, sizeof(exe) - 8)) {
		strcat(exe, "/themes");
		dirs[nd++] = exe;
	}
	dirs[nd++] = "themes";
	dirs[nd++] = UPTOP_DATADIR "/themes";
	for (size_t i = 0; i < nd; i++) {
		char *path = xasprintf("%s/%s.yaml", dirs[i], name);

		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return NULL;
}

static bool theme_is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') || (n >= 5 && strcmp(s + n - 5, ".yaml") == 0);
}

int theme_load(const char *name_or_path, struct theme *out, struct diag *errs)
{
	const char *s = name_or_path && *name_or_path ? name_or_path : "default";
	const char *near;
	char *path;
	int rc;

	if (theme_is_path(s))
		return theme_load_file(s, out, errs);
	path = theme_find(s);
	if (path) {
		rc = theme_load_file(path, out, errs);
		free(path);
		return rc;
	}
	if (theme_builtin(s, out))
		return 0;
	near = theme_nearest(s, theme_builtin_names, 3);
	diag_addf(errs, "unknown theme %s%s%s%s: not built in (default, mono, "
			"high-contrast) and no such .yaml file in "
			"$UPTOP_THEME_DIR, themes/ beside the binary, ./themes "
			"or " UPTOP_DATADIR "/themes",
		  yquote(s, strlen(s)), near ? " (did you mean '" : "",
		  near ? near : "", near ? "'?)" : "");
	return -1;
}
