/* test_theme.c - built-in themes, the shipped themes/NAME.yaml, the search
 * path, and bad theme files reported as FILE:LINE:COL. Runs from the
 * repository root (tests/run.sh does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "tap.h"
#include "theme.h"

#define BAD "tests/configs/themes/bad/"
#define GOOD "tests/configs/themes/good/"

static void test_colors(void)
{
	int16_t c = 0;

	OK(theme_parse_color("red", &c) && c == 1, "red is 1");
	OK(theme_parse_color("bright_red", &c) && c == 9, "bright_red is 9");
	OK(theme_parse_color("bright-white", &c) && c == 15, "bright-white is 15");
	OK(theme_parse_color("grey", &c) && c == 8, "grey is bright black");
	OK(theme_parse_color("default", &c) && c == THEME_DEFAULT_COLOR,
	   "default is the terminal's colour");
	OK(theme_parse_color("0", &c) && c == 0, "0");
	OK(theme_parse_color("255", &c) && c == 255, "255");
	OK(!theme_parse_color("256", &c), "256 is out of range");
	OK(!theme_parse_color("-1", &c), "-1 is not a colour");
	OK(!theme_parse_color("12x", &c), "12x is not a colour");
	OK(!theme_parse_color("purple", &c), "purple is not a name we know");
	OK(!theme_parse_color("", &c), "empty");
}

static void test_builtin(void)
{
	struct theme t;
	int named = 1, no_black_on_black = 1;

	for (int r = 0; r < ROLE__COUNT; r++)
		if (!theme_role_name((enum role)r))
			named = 0;
	OK(named, "every role has a name");
	OK(theme_role_name(ROLE__COUNT) == NULL, "no name past the end");
	for (size_t i = 0; theme_builtin_names[i]; i++) {
		OK(theme_builtin(theme_builtin_names[i], &t), "built-in %s",
		   theme_builtin_names[i]);
		IS_STR(t.source, "built-in", "source says built-in");
		/* an unset table entry would be {0, 0}: black on black */
		for (int r = 0; r < ROLE__COUNT; r++)
			if (t.role[r].fg == 0 && t.role[r].bg == 0)
				no_black_on_black = 0;
	}
	OK(no_black_on_black, "every built-in role is set (none black on black)");
	OK(!theme_builtin("nope", &t), "unknown built-in");
	IS_STR(t.name, "default", "an unknown built-in falls back to default");
	theme_builtin("mono", &t);
	OK(t.role[ROLE_STATE_DOWN].fg == THEME_DEFAULT_COLOR &&
		   t.role[ROLE_STATE_DOWN].bg == THEME_DEFAULT_COLOR,
	   "mono has no colours");
	OK(t.role[ROLE_SELECTION].attrs & THEME_REVERSE, "mono selection reverses");
}

/* The files under themes/ document the compiled-in tables: equal. */
static void test_shipped(void)
{
	for (size_t i = 0; theme_builtin_names[i]; i++) {
		const char *name = theme_builtin_names[i];
		struct diag errs = { 0 };
		struct theme file, built;
		char path[128];
		int rc;

		snprintf(path, sizeof(path), "themes/%s.yaml", name);
		rc = theme_load_file(path, &file, &errs);
		IS_INT(rc, 0, path);
		if (errs.n)
			printf("#   %s\n", errs.msgs[0]);
		theme_builtin(name, &built);
		OK(memcmp(file.role, built.role, sizeof(file.role)) == 0,
		   "%s matches the built-in table", path);
		IS_STR(file.name, name, "name from the file");
		diag_clear(&errs);
	}
}

static void test_search(void)
{
	struct diag errs = { 0 };
	struct theme t;
	char *p;
	char cwd[4096];

	unsetenv("UPTOP_THEME_DIR");
	IS_INT(theme_load("mono", &t, &errs), 0, "mono by name");
	IS_STR(t.source, "themes/mono.yaml", "found in ./themes");

	IS_INT(theme_load(NULL, &t, &errs), 0, "NULL means default");
	IS_STR(t.name, "default", "default theme");

	setenv("UPTOP_THEME_DIR", GOOD "dir", 1);
	p = theme_find("default");
	IS_STR(p, GOOD "dir/default.yaml", "$UPTOP_THEME_DIR comes first");
	free(p);
	IS_INT(theme_load("default", &t, &errs), 0, "override by name");
	IS_INT(t.role[ROLE_TITLE].fg, 5, "the override's title is magenta");
	IS_INT(t.role[ROLE_STATE_UP].fg, 2, "other roles from the built-in");
	p = theme_find("mono");
	IS_STR(p, "themes/mono.yaml", "then ./themes");
	free(p);
	unsetenv("UPTOP_THEME_DIR");

	IS_INT(theme_load(GOOD "partial.yaml", &t, &errs), 0, "a path");
	IS_STR(t.name, "mono-red", "name: from the file");
	IS_INT(t.role[ROLE_STATE_DOWN].fg, 9, "override: bright_red");
	IS_INT(t.role[ROLE_STATE_DOWN].attrs, THEME_BOLD | THEME_REVERSE,
	       "override: attrs");
	IS_INT(t.role[ROLE_SPARKLINE_FAIL].fg, 196, "a 256-colour number");
	IS_INT(t.role[ROLE_SPARKLINE_FAIL].attrs, THEME_BOLD, "attrs: scalar");
	IS_INT(t.role[ROLE_SELECTION].attrs, THEME_REVERSE | THEME_BOLD,
	       "the rest from base: mono");
	IS_INT((int)errs.n, 0, "no errors so far");

	/* away from ./themes the built-in tables still work */
	if (getcwd(cwd, sizeof(cwd)) && chdir("/") == 0) {
		IS_INT(theme_load("high-contrast", &t, &errs), 0,
		       "built-in when no file is found");
		IS_STR(t.source, "built-in", "source: built-in");
		if (chdir(cwd) != 0)
			OK(0, "chdir back");
	}

	IS_INT(theme_load("hi-contrast", &t, &errs), -1, "unknown name");
	HAS_STR(errs.n ? errs.msgs[0] : "", "unknown theme 'hi-contrast'",
		"says which");
	HAS_STR(errs.n ? errs.msgs[0] : "", "did you mean 'high-contrast'",
		"suggests one");
	diag_clear(&errs);
	IS_INT(theme_load(BAD "missing.yaml", &t, &errs), -1, "missing file");
	HAS_STR(errs.n ? errs.msgs[0] : "", "missing.yaml: cannot open theme",
		"says it cannot open it");
	diag_clear(&errs);
}

/* Loads a bad file; the first message must start with want. */
static void bad(const char *file, const char *want, size_t nmsgs)
{
	struct diag errs = { 0 };
	struct theme t;
	char path[256];
	int rc;

	snprintf(path, sizeof(path), BAD "%s", file);
	rc = theme_load(path, &t, &errs);
	OK(rc == -1, "%s is refused", file);
	HAS_STR(errs.n ? errs.msgs[0] : "", want, file);
	if (nmsgs)
		IS_INT((int)errs.n, (int)nmsgs, "number of messages");
	IS_STR(t.name, "default", "a refused theme leaves the default");
	diag_clear(&errs);
}

static void test_bad(void)
{
	bad("unknown_role.yaml",
	    BAD "unknown_role.yaml:3:3: unknown role 'state_upp' "
		"(did you mean 'state_up'?)", 1);
	bad("bad_color.yaml",
	    BAD "bad_color.yaml:3:20: unknown colour 'purpel' (expected "
		"default, black", 1);
	bad("bad_number.yaml",
	    BAD "bad_number.yaml:2:23: colour '300' out of range (0-255)", 1);
	bad("bad_attr.yaml",
	    BAD "bad_attr.yaml:5:19: bad attribute 'blink' (expected bold, "
		"reverse, underline, dim)", 1);
	bad("syntax.yaml", BAD "syntax.yaml:3:", 1);
	bad("syntax.yaml", "YAML syntax error", 1);
	bad("bad_base.yaml",
	    BAD "bad_base.yaml:1:7: unknown base 'neon' (expected default, "
		"mono or high-contrast)", 1);
	bad("tab.yaml", "YAML does not allow tabs", 1);
	bad("duplicate.yaml", BAD "duplicate.yaml:3:3: duplicate key 'title' (first at line 2)", 1);
	bad("unknown_key.yaml",
	    BAD "unknown_key.yaml:2:1: unknown key 'rolez' (did you mean "
		"'roles'?)", 1);
	bad("not_mapping.yaml", BAD "not_mapping.yaml:1:1: a theme must be a "
				    "mapping", 1);
	bad("style_key.yaml", BAD "style_key.yaml:2:21: unknown key 'bold'", 1);
	bad("empty.yaml", BAD "empty.yaml:1:1: empty theme", 1);
	bad("many.yaml", BAD "many.yaml:3:3: unknown role 'stat_down' (did you "
			     "mean 'state_down'?)", 3);
}

static void test_many_messages(void)
{
	struct diag errs = { 0 };
	struct theme t;

	theme_load(BAD "many.yaml", &t, &errs);
	HAS_STR(errs.n > 1 ? errs.msgs[1] : "", "many.yaml:4:15: unknown colour "
		"'cyann' (did you mean 'cyan'?)", "second mistake");
	HAS_STR(errs.n > 2 ? errs.msgs[2] : "", "many.yaml:5:19: bad attribute "
		"'italic'", "third mistake");
	diag_clear(&errs);
}

int main(void)
{
	test_colors();
	test_builtin();
	test_shipped();
	test_search();
	test_bad();
	test_many_messages();
	return tap_done();
}
