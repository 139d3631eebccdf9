/* digest_print.c - `uptop report`'s four formats: table, JSON, Markdown,
 * CSV (see digest.h). Outside text (target names, servers' messages) is
 * sanitised for each: one line, no terminal controls, no Markdown markup,
 * no spreadsheet formula. */
#include "digest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "util.h"

/* --- formatting helpers ------------------------------------------------------ */

/* To the second (cut, like fmt_duration): "850ms", "45s", "4m05s",
 * "3h12m05s", "2d03h12m05s". */
static void duration_exact(char *dst, size_t len, int64_t ms)
{
	long long s = (long long)(ms / 1000);

	if (ms < 0)
		snprintf(dst, len, "-");
	else if (ms < 1000)
		snprintf(dst, len, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(dst, len, "%llds", s);
	else if (s < 3600)
		snprintf(dst, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(dst, len, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(dst, len, "%lldd%02lldh%02lldm%02llds", s / 86400, s / 3600 % 24,
			 s / 60 % 60, s % 60);
}

/* Compact, for the summary's columns: fmt_duration, "-" for none. */
static void duration_short(char *dst, size_t len, int64_t ms)
{
	if (ms < 0)
		snprintf(dst, len, "-");
	else
		fmt_duration(dst, len, ms);
}

/* "2026-11-30 14:00:05" local time; with_zone appends " CET". */
static void local_time(char *dst, size_t len, int64_t ms, bool with_zone)
{
	time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	localtime_r(&s, &tm);
	if (!strftime(dst, len, with_zone ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(dst, len, "?");
}

/* "2026-11-30 14:00:05.250" UTC: what spreadsheets read as a time. */
static void utc_time(char *dst, size_t len, int64_t ms)
{
	char iso[40];

	fmt_iso_time(iso, sizeof(iso), ms);
	iso[10] = ' ';
	iso[strlen(iso) - 1] = '\0';   /* the Z: the header says UTC */
	snprintf(dst, len, "%s", iso);
}

/* The zone's name and offset at `ms`: "CET, UTC+01:00". */
static void zone_text(char *dst, size_t len, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char name[16], off[8];

	localtime_r(&s, &tm);
	strftime(name, sizeof(name), "%Z", &tm);
	strftime(off, sizeof(off), "%z", &tm);
	if (strcmp(name, "UTC") == 0 || strcmp(name, "GMT") == 0)
		snprintf(dst, len, "UTC");
	else
		snprintf(dst, len, "%s, UTC%.3s:%s", name, off, off + 3);
}

static void put_json_str(FILE *f, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char stack[512], *buf = n * 6 + 3 <= sizeof(stack) ? stack : xmalloc(n * 6 + 3);

	fmt_json_string(buf, n * 6 + 3, s ? s : "");
	fputs(buf, f);
	if (buf != stack)
		free(buf);
}

static void put_json_ms_or_null(FILE *f, const char *key, int64_t ms)
{
	if (ms < 0)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%lld", key, (long long)ms);
}

/* v with `decimals` digits after the point; null when < 0. */
static void put_json_num_or_null(FILE *f, const char *key, double v, int decimals)
{
	fprintf(f, ",\"%s\":", key);
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%.*f", decimals, v);
}

static void put_json_time(FILE *f, int64_t ms)
{
	char iso[40];

	fmt_iso_time(iso, sizeof(iso), ms);
	fprintf(f, "\"%s\"", iso);
}

/* Outside text as one safe line, malloc'd. */
static char *clean(const char *s, bool utf8)
{
	size_t n = s ? strlen(s) : 0, cap = n * 3 + 1;
	char *out = xmalloc(cap);

	fmt_sanitize(out, cap, s ? s : "", n, utf8);
	return out;
}

/* --- JSON -------------------------------------------------------------------- */

static void json_stats(FILE *f, const struct digest_stats *s)
{
	fprintf(f, ",\"checks\":%u,\"failures\":%u", s->sum.checks, s->sum.failures);
	put_json_num_or_null(f, "uptime_pct", s->uptime_pct, 4);
	fprintf(f, ",\"watched_ms\":%lld,\"down_ms\":%lld", (long long)s->watched_ms,
		(long long)s->down_ms);
	put_json_num_or_null(f, "p50_ms", s->p50_ms, 3);
	put_json_num_or_null(f, "p95_ms", s->p95_ms, 3);
	fprintf(f, ",\"incident_count\":%zu", s->incidents);
	put_json_ms_or_null(f, "mttr_ms", s->mttr_ms);
	put_json_ms_or_null(f, "longest_ms", s->longest_ms);
}

static void json_incident(FILE *f, const struct digest_incident *v)
{
	fputs("{\"start\":", f);
	put_json_time(f, v->start);
	fputs(",\"end\":", f);
	if (v->end)
		put_json_time(f, v->end);
	else
		fputs("null", f);
	fprintf(f, ",\"duration_ms\":%lld,\"not_watched_ms\":%lld,\"open\":%s,"
		"\"start_known\":%s,\"error_class\":", (long long)v->down_ms,
		(long long)v->unwatched_ms, v->end ? "false" : "true",
		v->before ? "false" : "true");
	if (v->cls)
		put_json_str(f, v->cls);
	else
		fputs("null", f);
	fputs(",\"message\":", f);
	put_json_str(f, v->msg);
	fputc('}', f);
}

static void print_json(FILE *f, const struct digest *d)
{
	fputs("{\"from\":", f);
	put_json_time(f, d->from);
	fputs(",\"to\":", f);
	put_json_time(f, d->to);
	fputs(",\"generated\":", f);
	put_json_time(f, d->now);
	fputs(",\"history\":", f);
	put_json_str(f, d->history);
	fprintf(f, ",\"runs\":%zu,\"not_watched_ms\":%lld,\"not_watched\":[", d->runs,
		(long long)d->unwatched_ms);
	for (size_t i = 0; i < d->ngaps; i++) {
		fputs(i ? ",{\"start\":" : "{\"start\":", f);
		put_json_time(f, d->gaps[i].start);
		fputs(",\"end\":", f);
		put_json_time(f, d->gaps[i].end);
		fprintf(f, ",\"duration_ms\":%lld}",
			(long long)(d->gaps[i].end - d->gaps[i].start));
	}
	fputs("],\"targets\":[", f);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];

		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		put_json_str(f, r->name);
		fputs(",\"group\":", f);
		put_json_str(f, r->group);
		fprintf(f, ",\"in_history\":%s", r->in_history ? "true" : "false");
		json_stats(f, &r->s);
		fputs(",\"incidents\":[", f);
		for (size_t k = 0; k < r->ninc; k++) {
			if (k)
				fputc(',', f);
			json_incident(f, &r->inc[k]);
		}
		fputs("]}", f);
	}
	fputs("],\"groups\":[", f);
	for (size_t i = 0; i < d->ngroups; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		put_json_str(f, d->groups[i].name);
		fprintf(f, ",\"targets\":%zu", d->groups[i].members);
		json_stats(f, &d->groups[i].s);
		fputc('}', f);
	}
	fputs("]}\n", f);
}

/* --- CSV (RFC 4180) ------------------------------------------------------------ */

/* A field, quoted when it must be. Outside text that a spreadsheet would
 * run as a formula (=, +, -, @ first) gets a leading apostrophe. */
static void csv_field(FILE *f, const char *s, bool outside)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL || *s == ' ';

	fputc(',', f);
	if (quote)
		fputc('"', f);
	if (outside && *s && strchr("=+-@\t", *s))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

static void csv_seconds(FILE *f, int64_t ms)
{
	if (ms < 0)
		fputc(',', f);
	else
		fprintf(f, ",%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

static void csv_time(FILE *f, int64_t ms)
{
	char buf[40];

	utc_time(buf, sizeof(buf), ms);
	fprintf(f, ",%s", buf);
}

static void csv_stats_row(FILE *f, const char *kind, const char *name, const char *group,
			  const struct digest_stats *s)
{
	fputs(kind, f);
	csv_field(f, name, false);
	csv_field(f, group, false);
	fprintf(f, ",%u,%u", s->sum.checks, s->sum.failures);
	if (s->uptime_pct < 0)
		fputc(',', f);
	else
		fprintf(f, ",%.4f", s->uptime_pct);
	for (int q = 0; q < 2; q++) {
		double v = q ? s->p95_ms : s->p50_ms;

		if (v < 0)
			fputc(',', f);
		else
			fprintf(f, ",%.3f", v);
	}
	fprintf(f, ",%zu", s->incidents);
	csv_seconds(f, s->down_ms);
	csv_seconds(f, s->mttr_ms);
	csv_seconds(f, s->longest_ms);
	fputs(",,,,,,\r\n", f);
}

static void print_csv(FILE *f, const struct digest *d)
{
	fputs("row,name,group,checks,failures,uptime_pct,p50_ms,p95_ms,incidents,down_s,"
	      "mttr_s,longest_s,start_utc,end_utc,duration_s,not_watched_s,error_class,"
	      "message\r\n", f);
	fputs("window,,,,,,,,,,,", f);
	csv_time(f, d->from);
	csv_time(f, d->to);
	csv_seconds(f, d->to - d->from);
	csv_seconds(f, d->unwatched_ms);
	fputs(",,\r\n", f);
	for (size_t i = 0; i < d->nrows; i++)
		csv_stats_row(f, "target", d->rows[i].name, d->rows[i].group, &d->rows[i].s);
	for (size_t i = 0; i < d->ngroups; i++)
		csv_stats_row(f, "group", d->groups[i].name, d->groups[i].name, &d->groups[i].s);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];

		for (size_t k = 0; k < r->ninc; k++) {
			const struct digest_incident *v = &r->inc[k];
			char *msg = clean(v->msg, true);

			fputs("incident", f);
			csv_field(f, r->name, false);
			csv_field(f, r->group, false);
			fputs(",,,,,,,,,", f);
			csv_time(f, v->start);
			if (v->end)
				csv_time(f, v->end);
			else
				fputc(',', f);
			csv_seconds(f, v->down_ms);
			csv_seconds(f, v->unwatched_ms);
			csv_field(f, v->cls ? v->cls : "", false);
			csv_field(f, msg, true);
			fputs("\r\n", f);
			free(msg);
		}
	}
	for (size_t i = 0; i < d->ngaps; i++) {
		fputs("not_watched,,,,,,,,,,,", f);
		csv_time(f, d->gaps[i].start);
		csv_time(f, d->gaps[i].end);
		csv_seconds(f, d->gaps[i].end - d->gaps[i].start);
		csv_seconds(f, d->gaps[i].end - d->gaps[i].start);
		fputs(",,\r\n", f);
	}
}

/* --- Markdown ------------------------------------------------------------------ */

/* Outside text inside a table cell or list item: one line, and nothing
 * Markdown would read as markup (links, emphasis, HTML, a cell's end). */
static void md_text(FILE *f, const char *s)
{
	char *c = clean(s, true);

	for (const char *p = c; *p; p++) {
		if (strchr("\\`*_[]<>|~&#", *p))
			fputc('\\', f);
		fputc(*p, f);
	}
	free(c);
}

static void md_stats_row(FILE *f, const char *name, const char *group,
			 const struct digest_stats *s)
{
	char up[16], p50[16], p95[16], down[24], mttr[24], longest[24];

	fmt_percent(up, sizeof(up), s->uptime_pct);
	fmt_latency(p50, sizeof(p50), s->p50_ms);
	fmt_latency(p95, sizeof(p95), s->p95_ms);
	duration_exact(down, sizeof(down), s->down_ms);
	duration_exact(mttr, sizeof(mttr), s->mttr_ms);
	duration_exact(longest, sizeof(longest), s->longest_ms);
	fputs("| ", f);
	md_text(f, name);
	fputs(" | ", f);
	md_text(f, group);
	fprintf(f, " | %u | %s | %s | %s | %zu | %s | %s | %s |\n", s->sum.checks, up, p50, p95,
		s->incidents, down, mttr, longest);
}

static void print_md(FILE *f, const struct digest *d)
{
	char from[48], to[48], zone[48], len[32], gap[32];
	size_t ninc = 0;

	local_time(from, sizeof(from), d->from, false);
	local_time(to, sizeof(to), d->to, false);
	zone_text(zone, sizeof(zone), d->to);
	duration_exact(len, sizeof(len), d->to - d->from);
	duration_exact(gap, sizeof(gap), d->unwatched_ms);
	fprintf(f, "### uptop report: %s to %s (%s)\n\n", from, to, len);
	fprintf(f, "Times are local (%s). History: `", zone);
	md_text(f, d->history);
	fprintf(f, "`, %zu run%s of uptop; not watched: %s", d->runs, d->runs == 1 ? "" : "s",
		gap);
	if (d->to > d->from)
		fprintf(f, " (%.1f%% of the window)", 100.0 * (double)d->unwatched_ms /
			(double)(d->to - d->from));
	fputs(".\n\n| Target | Group | Checks | Uptime | p50 | p95 | Incidents | Down | MTTR "
	      "| Longest |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n", f);
	for (size_t i = 0; i < d->nrows; i++)
		md_stats_row(f, d->rows[i].name, d->rows[i].group, &d->rows[i].s);
	for (size_t i = 0; d->ngroups > 1 && i < d->ngroups; i++)
		md_stats_row(f, "(all)", d->groups[i].name, &d->groups[i].s);
	for (size_t i = 0; i < d->nrows; i++)
		ninc += d->rows[i].ninc;
	fprintf(f, "\n#### Incidents (%zu)\n\n", ninc);
	if (!ninc)
		fputs("None.\n", f);
	for (size_t i = 0; i < d->nrows; i++) {
		const struct digest_row *r = &d->rows[i];

		for (size_t k = 0; k < r->ninc; k++) {
			const struct digest_incident *v = &r->inc[k];
			char a[48], b[48], dur[32], unw[32];

			local_time(a, sizeof(a), v->start, false);
			duration_exact(dur, sizeof(dur), v->down_ms);
			fputs("- **", f);
			md_text(f, r->name);
			if (v->end) {
				local_time(b, sizeof(b), v->end, false);
				fprintf(f, "** %s%s to %s, %s", v->before ? "before " : "", a, b,
					dur);
			} else {
				fprintf(f, "** %s%s, still down (%s so far)",
					v->before ? "before " : "since ", a, dur);
			}
			if (v->unwatched_ms > 0) {
				duration_exact(unw, sizeof(unw), v->unwatched_ms);
				fprintf(f, " (and %s not watched)", unw);
			}
			fputs(": ", f);
			if (v->cls) {
				fputc('`', f);
				md_text(f, v->cls);
				fputs("` ", f);
			}
			md_text(f, v->msg);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n#### Not watched (%zu)\n\n", d->ngaps);
	if (!d->ngaps)
		fputs("None: uptop ran the whole window.\n", f);
	for (size_t i = 0; i < d->ngaps; i++) {
		char a[48], b[48], dur[32];

		local_time(a, sizeof(a), d->gaps[i].start, false);
		local_time(b, sizeof(b), d->gaps[i].end, false);
		duration_exact(dur, sizeof(dur), d->gaps[i].end - d->gaps[i].start);
		fprintf(f, "- %s to %s, %s\n", a, b, dur);
	}
}

/* --- the table ------------------------------------------------------------------- */

/* The summary's columns after the name: CHECKS UPTIME P50 P95 INC MTTR
 * LONGEST (the time down is in the other formats). */
#define TABLE_FIXED 54
#define TABLE_NAME_MIN 8

static void table_row(FILE *f, const char *name, int indent, int namew,
		      const struct digest_stats *s, bool utf8)
{
	char *c = clean(*name ? name : "(no group)", utf8), cut[256], up[16], p50[16],
	     p95[16], mttr[24], longest[24];
	int w = fmt_fit(cut, sizeof(cut), c, namew - indent, utf8);

	fmt_percent(up, sizeof(up), s->uptime_pct);
	fmt_latency(p50, sizeof(p50), s->p50_ms);
	fmt_latency(p95, sizeof(p95), s->p95_ms);
	duration_short(mttr, sizeof(mttr), s->mttr_ms);
	duration_short(longest, sizeof(longest), s->longest_ms);
	fprintf(f, "%*s%s%*s %8u %7s %7s %7s %4zu %7s %7s\n", indent, "", cut,
		namew - indent - w, "", s->sum.checks, up, p50, p95, s->incidents, mttr,
		longest);
	free(c);
}

/* "HH:MM:SS" when b is on a's local day, else the whole time. */
static void end_text(char *dst, size_t len, int64_t a, int64_t b)
{
	char x[48], y[48];

	local_time(x, sizeof(x), a, false);
	local_time(y, sizeof(y), b, false);
	snprintf(dst, len, "%s", strncmp(x, y, 10) == 0 ? y + 11 : y);
}

/* "  2026-11-29 03:12:05 → 03:16:10  4m05s  timeout: connect ..." */
static void table_incident(FILE *f, const struct digest_incident *v, int width, bool utf8)
{
	char a[48], b[48], dur[32], unw[40] = "", fitted[1024], *line, *msg, *c;
	int room;

	local_time(a, sizeof(a), v->start, false);
	if (v->end)
		end_text(b, sizeof(b), v->start, v->end);
	else
		snprintf(b, sizeof(b), "open");
	duration_exact(dur, sizeof(dur), v->down_ms);
	if (v->unwatched_ms > 0) {
		unw[0] = ' ';
		unw[1] = '+';
		duration_exact(unw + 2, sizeof(unw) - 2, v->unwatched_ms);
		snprintf(unw + strlen(unw), sizeof(unw) - strlen(unw), " unwatched");
	}
	line = xasprintf("  %s%s %s %-8s %8s%s  ", v->before ? "<" : "", a, utf8 ? "→" : "->",
			 b, dur, unw);
	msg = xasprintf("%s%s%s", v->cls ? v->cls : "", v->cls && *v->msg ? ": " : "", v->msg);
	c = clean(msg, utf8);
	room = width - fmt_width(line);
	fmt_fit(fitted, sizeof(fitted), c, room > 12 ? room : 12, utf8);
	fprintf(f, "%s%s\n", line, fitted);
	free(c);
	free(msg);
	free(line);
}

static void table_incidents(FILE *f, const struct digest *d, int width, bool utf8)
{
	size_t n = 0;

	for (size_t i = 0; i < d->nrows; i++)
		n += d->rows[i].ninc;
	fprintf(f, "\nINCIDENTS (%zu)\n", n);
	for (size_t i = 0; i < d->nrows; i++) {
		char *c, cut[1024];

		if (!d->rows[i].ninc)
			continue;
		c = clean(d->rows[i].name, utf8);
		fmt_fit(cut, sizeof(cut), c, width, utf8);
		fprintf(f, "%s\n", cut);
		for (size_t k = 0; k < d->rows[i].ninc; k++)
			table_incident(f, &d->rows[i].inc[k], width, utf8);
		free(c);
	}
}

static void print_table(FILE *f, const struct digest *d, int width, bool utf8)
{
	char from[48], to[48], zone[48], len[32], gap[32], *hist;
	int namew = width - TABLE_FIXED;
	bool groups = d->ngroups > 1;

	if (namew < TABLE_NAME_MIN)
		namew = TABLE_NAME_MIN;
	local_time(from, sizeof(from), d->from, false);
	local_time(to, sizeof(to), d->to, false);
	zone_text(zone, sizeof(zone), d->to);
	duration_short(len, sizeof(len), d->to - d->from);
	duration_exact(gap, sizeof(gap), d->unwatched_ms);
	hist = clean(d->history, utf8);
	fprintf(f, "%s %s %s (%s; %s)\n", from, utf8 ? "→" : "->", to, len, zone);
	fprintf(f, "history %s: %zu run%s, not watched %s\n\n", hist, d->runs,
		d->runs == 1 ? "" : "s", gap);
	free(hist);
	fprintf(f, "%-*s %8s %7s %7s %7s %4s %7s %7s\n", namew, groups ? "GROUP/TARGET" :
		"TARGET", "CHECKS", "UPTIME", "P50", "P95", "INC", "MTTR", "LONGEST");
	for (size_t g = 0; g < (groups ? d->ngroups : 1); g++) {
		if (groups)
			table_row(f, d->groups[g].name, 0, namew, &d->groups[g].s, utf8);
		for (size_t i = 0; i < d->nrows; i++)
			if (!groups || strcmp(d->rows[i].group, d->groups[g].name) == 0)
				table_row(f, d->rows[i].name, groups ? 2 : 0, namew,
					  &d->rows[i].s, utf8);
	}
	table_incidents(f, d, width, utf8);
	fprintf(f, "\nNOT WATCHED (%zu)\n", d->ngaps);
	for (size_t i = 0; i < d->ngaps; i++) {
		char a[48], b[48], dur[32];

		local_time(a, sizeof(a), d->gaps[i].start, false);
		end_text(b, sizeof(b), d->gaps[i].start, d->gaps[i].end);
		duration_exact(dur, sizeof(dur), d->gaps[i].end - d->gaps[i].start);
		fprintf(f, "  %s %s %-8s %8s\n", a, utf8 ? "→" : "->", b, dur);
	}
}

void digest_print(FILE *f, const struct digest *d, enum digest_format fmt, int width,
		  bool utf8)
{
	switch (fmt) {
	case DIGEST_JSON: print_json(f, d); break;
	case DIGEST_CSV: print_csv(f, d); break;
	case DIGEST_MD: print_md(f, d); break;
	default: print_table(f, d, width > 0 ? width : 80, utf8); break;
	}
}
