/* layout.c - which columns fit, and how wide. Pure; see layout.h. */
#include "layout.h"

#include <string.h>

static int layout_total(size_t n, int gap, const struct layout_slot *out)
{
	int total = 0, shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (out[i].w > 0) {
			total += out[i].w;
			shown++;
		}
	}
	return shown ? total + gap * (shown - 1) : 0;
}

static int layout_min(const struct layout_col *c)
{
	int w = c->min > 0 ? c->min : 1;

	/* a flexible column's max may be below its min (short names) */
	return c->max > 0 && c->max < w ? c->max : w;
}

static int layout_pref(const struct layout_col *c)
{
	int w = c->pref > layout_min(c) ? c->pref : layout_min(c);

	return c->max > 0 && c->max < w ? c->max : w;
}

/* A column whole: its max when it has one. */
static int layout_whole(const struct layout_col *c)
{
	return c->max > layout_pref(c) ? c->max : layout_pref(c);
}

/* What column c claims while columns of priority p are placed. */
static int layout_claim(const struct layout_col *c, int p)
{
	return c->full > 0 && p > c->full ? layout_whole(c) : layout_pref(c);
}

static int layout_max_prio(const struct layout_col *cols, size_t n)
{
	int maxp = 0;

	for (size_t i = 0; i < n; i++)
		if (cols[i].prio > maxp)
			maxp = cols[i].prio;
	return maxp;
}

/* Takes columns in order of importance (display order on a tie): one is
 * shown when it fits at its minimum next to the more important ones at
 * their preferred width, so a wide terminal adds columns only once the
 * essential ones are comfortable. Never-dropped columns always come in. */
static void layout_choose(const struct layout_col *cols, size_t n, int width,
			  int gap, struct layout_slot *out)
{
	int maxp = layout_max_prio(cols, n);

	for (int p = 0; p <= maxp; p++) {
		for (size_t i = 0; i < n; i++) {
			int reserved = 0;
			size_t nin = 0;

			if (cols[i].prio != p)
				continue;
			for (size_t j = 0; j < n; j++) {
				if (out[j].w <= 0)
					continue;
				reserved += (nin ? gap : 0) + layout_claim(&cols[j], p);
				nin++;
			}
			if (p > 0 && reserved + (nin ? gap : 0) +
					     layout_min(&cols[i]) > width)
				continue;
			out[i].w = layout_min(&cols[i]);
		}
	}
}

static int layout_grow_to(struct layout_slot *o, int to, int spare)
{
	int want = to - o->w;

	if (want > spare)
		want = spare;
	if (want <= 0)
		return spare;
	o->w += want;
	return spare - want;
}

/* Grows columns toward pref, most important (lowest prio) first; a
 * column with `full` grows whole at that priority, after its prefs. */
static int layout_grow_pref(const struct layout_col *cols, size_t n,
			    struct layout_slot *out, int spare)
{
	for (int p = 0; spare > 0; p++) {
		bool more = false;

		for (size_t i = 0; i < n && spare > 0; i++) {
			if (cols[i].prio > p || cols[i].full > p)
				more = true;
			if (out[i].w > 0 && cols[i].prio == p)
				spare = layout_grow_to(&out[i], layout_pref(&cols[i]),
						       spare);
		}
		for (size_t i = 0; i < n && spare > 0; i++)
			if (out[i].w > 0 && cols[i].full > 0 && cols[i].full == p &&
			    cols[i].prio <= p)
				spare = layout_grow_to(&out[i], layout_whole(&cols[i]),
						       spare);
		if (!more)
			break;
	}
	return spare;
}

/* Deals the rest to flexible columns, the most important first (a full
 * name before a wider error); columns of one priority grow evenly, one
 * cell at a time, until each reaches its max. */
static void layout_grow_flex(const struct layout_col *cols, size_t n,
			     struct layout_slot *out, int spare, int maxp)
{
	for (int p = 0; p <= maxp && spare > 0; p++) {
		bool grew = true;

		while (spare > 0 && grew) {
			grew = false;
			for (size_t i = 0; i < n && spare > 0; i++) {
				if (out[i].w <= 0 || !cols[i].flex ||
				    cols[i].prio != p)
					continue;
				if (cols[i].max > 0 && out[i].w >= cols[i].max)
					continue;
				out[i].w++;
				spare--;
				grew = true;
			}
		}
	}
}

size_t layout_fit(const struct layout_col *cols, size_t n, int width, int gap,
		  struct layout_slot *out)
{
	int total, x = 0;
	size_t shown = 0;

	if (width < 0)
		width = 0;
	for (size_t i = 0; i < n; i++)
		out[i].x = out[i].w = 0;
	layout_choose(cols, n, width, gap, out);
	total = layout_total(n, gap, out);
	if (total < width) {
		int spare = layout_grow_pref(cols, n, out, width - total);

		layout_grow_flex(cols, n, out, spare, layout_max_prio(cols, n));
	}
	for (size_t i = 0; i < n; i++) {
		if (out[i].w <= 0) {
			out[i].w = 0;
			continue;
		}
		if (shown)
			x += gap;
		/* even the essentials do not fit: cut at the right edge */
		if (x >= width) {
			out[i].w = 0;
			continue;
		}
		if (x + out[i].w > width)
			out[i].w = width - x;
		out[i].x = x;
		x += out[i].w;
		shown++;
	}
	return shown;
}

void layout_bar(const double *parts, size_t n, int width, int *out)
{
	double sum = 0, rem[LAYOUT_BAR_MAX];
	int used = 0, npos = 0;

	for (size_t i = 0; i < n; i++) {
		out[i] = 0;
		if (parts[i] > 0) {
			sum += parts[i];
			npos++;
		}
	}
	if (sum <= 0 || width <= 0 || n > LAYOUT_BAR_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		double exact = parts[i] > 0 ? parts[i] / sum * width : 0;

		out[i] = (int)exact;
		rem[i] = exact - out[i];
		/* a phase that happened stays visible while there is room */
		if (parts[i] > 0 && out[i] == 0 && npos <= width) {
			out[i] = 1;
			rem[i] = -1;
		}
		used += out[i];
	}
	/* too much after the minimums: take from the widest */
	while (used > width) {
		size_t w = 0;

		for (size_t i = 1; i < n; i++)
			if (out[i] > out[w])
				w = i;
		out[w]--;
		used--;
	}
	/* largest remainders get the cells rounding left over */
	while (used < width) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (parts[i] > 0 && (best == n || rem[i] > rem[best]))
				best = i;
		out[best]++;
		rem[best] = -2;
		used++;
	}
}
