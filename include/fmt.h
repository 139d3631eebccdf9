/* fmt.h - pure formatting: durations, latency, sparklines, sanitising,
 * JSON escaping, credential redaction. libc only (wcwidth via wchar.h).
 *
 * Every function writes a NUL-terminated string into a caller buffer and
 * never writes more than `len` bytes (truncating on a character boundary). */
#ifndef UPTOP_FMT_H
#define UPTOP_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Makes outside text (server messages, curl errors, URLs, config names)
 * safe for a terminal. With utf8: C0 controls and DEL become the Unicode
 * "control pictures" (U+2400 + c, U+2421), C1 controls, bidi overrides
 * (U+202A-202E, U+2066-2069) and invalid or overlong UTF-8 become U+FFFD;
 * valid printable UTF-8 is kept. Without utf8 (ASCII): controls become
 * '^X' caret notation ('^?' for DEL), every non-ASCII byte or sequence '?'.
 * Newlines and tabs are controls too: the result is always one line.
 * Returns the number of bytes written (excluding the NUL). */
size_t fmt_sanitize(char *dst, size_t len, const char *src, size_t srclen,
		    bool utf8);

/* Display width in terminal columns of a sanitised UTF-8 string. */
int fmt_width(const char *s);
/* Copies s into dst truncated to at most `cols` columns; if cut, the last
 * column is an ellipsis ("…" in utf8, "~" otherwise). Returns columns used. */
int fmt_fit(char *dst, size_t len, const char *s, int cols, bool utf8);

/* "850ms", "12s", "4m05s", "3h12m", "2d04h": compact, for "time in state". */
void fmt_duration(char *dst, size_t len, int64_t ms);
/* Latency: "0.4ms", "12ms", "1.25s", "12.0s"; "-" when ms < 0. */
void fmt_latency(char *dst, size_t len, double ms);
/* "99.98%", "100%", "-" when pct < 0. */
void fmt_percent(char *dst, size_t len, double pct);

/* One sparkline cell per sample, oldest first, on one fixed scale for
 * every target and every moment: FMT_SPARK_LO_MS .. FMT_SPARK_HI_MS
 * mapped logarithmically onto the bars (utf8: "▁▂▃▄▅▆▇█", each bar half
 * a decade: ▁ under 3.2 ms, ▂ under 10 ms, ▃ 32 ms, ▄ 100 ms, ▅ 320 ms,
 * ▆ 1 s, ▇ 3.2 s, █ above; ASCII: "_.-=*#", the same four decades in
 * six steps). So 0.5 ms next to 2 ms is one flat line, and one row's bar
 * means the same as another's. A failed sample (failed[i] true) is drawn
 * as "✗" (ASCII "x"), never as a bar; a missing sample (latency < 0, NaN
 * or infinite, not failed) as " ". */
#define FMT_SPARK_LO_MS 1.0
#define FMT_SPARK_HI_MS 10000.0
void fmt_sparkline(char *dst, size_t len, const float *lat,
		   const bool *failed, size_t n, bool utf8);
/* The bar (0 .. nbars-1) of a latency on that scale. */
size_t fmt_spark_level(double ms, size_t nbars);

/* Appends a JSON string literal (with quotes) for raw bytes: escapes ",
 * \, controls as \uXXXX, and invalid UTF-8 as \ufffd. Returns bytes
 * written; always terminates. */
size_t fmt_json_string(char *dst, size_t len, const char *src);

/* A Prometheus label value (text exposition 0.0.4), without the quotes:
 * backslash, double quote and newline escaped, invalid UTF-8 as U+FFFD.
 * A value that does not fit is cut before the first piece that does not
 * (never inside an escape). Returns bytes written; 3 * strlen + 1 always
 * fits. */
size_t fmt_prom_label(char *dst, size_t len, const char *src);

/* Copies a URL with any user:password (or user) replaced by "***". */
void fmt_redact_url(char *dst, size_t len, const char *url);

/* "2024-01-31T12:00:00.250Z" (UTC, ms) of ms since the epoch: the time
 * of every JSON line. */
void fmt_iso_time(char *dst, size_t len, int64_t wall_ms);

/* Wall-clock "HH:MM:SS" (local time) of ms since the epoch. */
void fmt_clock(char *dst, size_t len, int64_t wall_ms);
/* The same, with the date when `dated`: "May 14 23:59:58" (English
 * month, day padded to two columns: 15 columns). Empty when it does not
 * fit in len. */
void fmt_stamp(char *dst, size_t len, int64_t wall_ms, bool dated);
/* The local calendar day of a wall-clock time, as one number (year *
 * 1000 + day of the year): two times share a day when equal. */
long fmt_day(int64_t wall_ms);

/* Where to break a sanitised line to fit `cols` columns: the bytes of
 * its longest prefix that fits and ends before a blank (or that fits at
 * all, when one word is wider than cols). All of it when it fits. The
 * caller skips the blanks at the break. */
size_t fmt_wrap(const char *s, int cols);

#endif
