/* layout.h - pure column layout for the live table (no curses).
 *
 * Given the terminal width and the width rules of each column, decides
 * which columns show and how wide each is; what the columns are and show
 * is the UI's column table (ui_columns.c). Columns come in by priority:
 * one shows when it fits at its minimum beside the more important ones at
 * their preferred width (or whole, past their `full` priority), so the
 * least important drop first on a narrow terminal. Shown columns then
 * grow toward their preferred width (and whole), most important first,
 * and the flexible ones (name, error) share what is left. Costs
 * O(n^2 * priorities) for n columns (a dozen), independent of the number
 * of targets. */
#ifndef UPTOP_LAYOUT_H
#define UPTOP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

struct layout_col {
	int min;       /* narrowest useful width */
	int pref;      /* width reached before flexible columns grow */
	int max;       /* a flexible column stops here (and one with `full`
			* grows to it); 0: no limit */
	int prio;      /* 0: never dropped; higher numbers drop first */
	bool flex;     /* shares the space left after every pref is met */
	int full;      /* > 0: from this priority on the column counts at its
			* max (its whole text: the longest name): columns of a
			* higher number come in only beside it whole, and it
			* grows to max before they grow. 0: at pref only */
};

struct layout_slot {
	int x, w;      /* w == 0: hidden */
};

/* Fits n columns (in display order) into `width` cells with `gap` cells
 * between shown columns. Never uses more than `width`: when even the
 * never-dropped columns do not fit at their minimum, the rightmost are cut.
 * Returns the number of columns shown. */
size_t layout_fit(const struct layout_col *cols, size_t n, int width, int gap,
		  struct layout_slot *out);

/* Splits `width` cells between n parts proportionally (largest remainder),
 * giving every positive part at least one cell while width allows; parts
 * <= 0 get none. Sum of out[] is width when any part is positive, else 0.
 * At most LAYOUT_BAR_MAX parts (more get nothing). */
#define LAYOUT_BAR_MAX 16
void layout_bar(const double *parts, size_t n, int width, int *out);

/* Cells between two shown columns of the live table. */
#define LAYOUT_GAP 1

#endif
