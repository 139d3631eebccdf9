/* test_fmt.c - fmt: sanitising hostile text, widths, fitting, numbers,
 * sparklines, JSON strings, URL redaction, the clock. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "tap.h"

#define FFFD "\xef\xbf\xbd"
#define B1 "\xe2\x96\x81"
#define B2 "\xe2\x96\x82"
#define B3 "\xe2\x96\x83"
#define B4 "\xe2\x96\x84"
#define ARRAY_LEN_T(a) (sizeof(a) / sizeof((a)[0]))
#define PIC_NUL "\xe2\x90\x80"
#define PIC_TAB "\xe2\x90\x89"
#define PIC_LF "\xe2\x90\x8a"
#define PIC_CR "\xe2\x90\x8d"
#define PIC_ESC "\xe2\x90\x9b"
#define PIC_BEL "\xe2\x90\x87"
#define PIC_DEL "\xe2\x90\xa1"
#define ELL "\xe2\x80\xa6"

static char buf[1024];

/* Sanitises src[0..n) into buf. */
static const char *san_n(const char *src, size_t n, bool utf8)
{
	fmt_sanitize(buf, sizeof(buf), src, n, utf8);
	return buf;
}

static const char *san(const char *src, bool utf8)
{
	return san_n(src, strlen(src), utf8);
}

/* Strict UTF-8 check (no overlongs, surrogates, > U+10FFFF). */
static bool valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned c = *s, need, cp, min;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1, cp = c & 0x1F, min = 0x80;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2, cp = c & 0x0F, min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		for (unsigned i = 1; i <= need; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		s += need + 1;
	}
	return true;
}

/* Nothing a terminal would act on: no C0, DEL, raw or encoded C1. */
static bool inert(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	for (; *s; s++) {
		if (*s < 0x20 || *s == 0x7F)
			return false;
		if (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
			return false;
	}
	return valid_utf8(str);
}

static void test_sanitize_escapes(void)
{
	IS_STR(san("hello, world", true), "hello, world", "plain text kept");
	IS_STR(san("\x1b[2J\x1b[H", true), PIC_ESC "[2J" PIC_ESC "[H",
	       "CSI clear screen + home: ESC shown, rest inert");
	IS_STR(san("\x1b[31mred\x1b[0m", true),
	       PIC_ESC "[31mred" PIC_ESC "[0m", "CSI SGR colour");
	IS_STR(san("\x1b]0;pwned\x07" "after", true),
	       PIC_ESC "]0;pwned" PIC_BEL "after", "OSC title with BEL");
	IS_STR(san("\x1b]2;title\x1b\\tail", true),
	       PIC_ESC "]2;title" PIC_ESC "\\tail", "OSC title with ST");
	IS_STR(san("\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", true),
	       PIC_ESC "]8;;http://evil" PIC_ESC "\\x" PIC_ESC "]8;;" PIC_ESC
	       "\\", "OSC 8 hyperlink");
	IS_STR(san("\x1bP+q\x1b\\", true), PIC_ESC "P+q" PIC_ESC "\\", "DCS");
	IS_STR(san("a\x9b" "2Jb", true), "a" FFFD "2Jb", "raw C1 CSI byte 0x9b");
	IS_STR(san("\x9d" "0;t\x9c", true), FFFD "0;t" FFFD,
	       "raw C1 OSC 0x9d and ST 0x9c");
	IS_STR(san("\x80\x9f", true), FFFD FFFD, "raw C1 bounds 0x80, 0x9f");
	IS_STR(san("\xc2\x9b" "2J", true), FFFD "2J", "encoded U+009B CSI");
	IS_STR(san("\xc2\x80|\xc2\x85|\xc2\x9f", true), FFFD "|" FFFD "|" FFFD,
	       "encoded U+0080, U+0085 (NEL), U+009F");
	IS_STR(san("\xc2\xa0", true), "\xc2\xa0", "U+00A0 (after C1) kept");
	IS_STR(san("a\x7f" "b", true), "a" PIC_DEL "b", "DEL -> U+2421");
	IS_STR(san_n("a\0b", 3, true), "a" PIC_NUL "b", "embedded NUL");
	IS_STR(san_n("\0", 1, true), PIC_NUL, "lone NUL");
	IS_STR(san("l1\nl2\tx\r", true), "l1" PIC_LF "l2" PIC_TAB "x" PIC_CR,
	       "newline, tab, CR: one line");
	IS_STR(san("\x01\x1f", true), "\xe2\x90\x81\xe2\x90\x9f",
	       "C0 bounds 0x01, 0x1f");
	IS_STR(san("\x08\x08\x08", true), "\xe2\x90\x88\xe2\x90\x88\xe2\x90\x88",
	       "backspaces cannot erase");
}

static void test_sanitize_utf8(void)
{
	IS_STR(san("caf\xc3\xa9", true), "caf\xc3\xa9", "2-byte UTF-8 kept");
	IS_STR(san("\xe6\x97\xa5\xe6\x9c\xac", true), "\xe6\x97\xa5\xe6\x9c\xac",
	       "wide CJK kept");
	IS_STR(san("\xf0\x9f\x98\x80", true), "\xf0\x9f\x98\x80",
	       "4-byte emoji kept");
	IS_STR(san("\xf4\x8f\xbf\xbf", true), "\xf4\x8f\xbf\xbf",
	       "U+10FFFF kept (valid)");
	IS_STR(san("\xff", true), FFFD, "0xff invalid");
	IS_STR(san("a\xfe" "b", true), "a" FFFD "b", "0xfe between text");
	IS_STR(san("\xc0\xaf", true), FFFD FFFD, "overlong 2-byte '/'");
	IS_STR(san("\xc1\xbf", true), FFFD FFFD, "overlong 2-byte via 0xc1");
	IS_STR(san("\xe0\x80\xaf", true), FFFD FFFD FFFD, "overlong 3-byte");
	IS_STR(san("\xf0\x80\x80\xaf", true), FFFD FFFD FFFD FFFD,
	       "overlong 4-byte");
	IS_STR(san("\xed\xa0\x80", true), FFFD FFFD FFFD, "surrogate U+D800");
	IS_STR(san("\xed\xbf\xbf", true), FFFD FFFD FFFD, "surrogate U+DFFF");
	IS_STR(san("\xed\x9f\xbf", true), "\xed\x9f\xbf", "U+D7FF kept");
	IS_STR(san("\xf4\x90\x80\x80", true), FFFD FFFD FFFD FFFD,
	       "U+110000 rejected");
	IS_STR(san("\xf5\x80\x80\x80", true), FFFD FFFD FFFD FFFD,
	       "lead 0xf5 rejected");
	IS_STR(san("ab\xe2\x82", true), "ab" FFFD,
	       "truncated sequence at the end: one U+FFFD");
	IS_STR(san("\xe2\x82x", true), FFFD "x",
	       "truncated sequence: next char survives");
	IS_STR(san("\xe2\x82\x1b[2J", true), FFFD PIC_ESC "[2J",
	       "ESC after a cut sequence is not swallowed");
	IS_STR(san("\x80x", true), FFFD "x", "lone continuation byte");
	IS_STR(san("a\xe2\x80\xae" "cba", true), "a" FFFD "cba",
	       "bidi override U+202E");
	IS_STR(san("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", true),
	       FFFD FFFD FFFD FFFD, "bidi U+202A-202D");
	IS_STR(san("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", true),
	       FFFD FFFD FFFD FFFD, "bidi isolates U+2066-2069");
	IS_STR(san("\xe2\x80\xa8\xe2\x80\xa9", true), FFFD FFFD,
	       "line/paragraph separators (one line)");
	IS_STR(san("\xe2\x80\xa9\xe2\x80\xaf", true), FFFD "\xe2\x80\xaf",
	       "U+202F after the range kept");
}

static void test_sanitize_ascii(void)
{
	IS_STR(san("plain", false), "plain", "ascii: plain");
	IS_STR(san("\x1b[2J", false), "^[[2J", "ascii: ESC caret");
	IS_STR(san("\x1b]0;t\x07", false), "^[]0;t^G", "ascii: OSC + BEL");
	IS_STR(san("a\x7f", false), "a^?", "ascii: DEL");
	IS_STR(san_n("a\0b", 3, false), "a^@b", "ascii: NUL");
	IS_STR(san("\n\t", false), "^J^I", "ascii: newline, tab");
	IS_STR(san("caf\xc3\xa9", false), "caf?", "ascii: one ? per sequence");
	IS_STR(san("\xe6\x97\xa5\xf0\x9f\x98\x80", false), "??",
	       "ascii: CJK and emoji");
	IS_STR(san("\xff\xfe", false), "??", "ascii: invalid bytes");
	IS_STR(san("\x9b\xc2\x9b", false), "??", "ascii: raw and encoded C1");
	IS_STR(san("\xe2\x80\xae", false), "?", "ascii: bidi override");
}

static void test_sanitize_bounds(void)
{
	char small[8];
	size_t n;

	n = fmt_sanitize(small, 6, "ab\xe6\x97\xa5", 5, true);
	IS_STR(small, "ab\xe6\x97\xa5", "fits exactly (5 bytes + NUL)");
	IS_INT(n, 5, "returns bytes written");
	n = fmt_sanitize(small, 5, "ab\xe6\x97\xa5", 5, true);
	IS_STR(small, "ab", "cut on a character boundary");
	IS_INT(n, 2, "returns bytes written when cut");
	n = fmt_sanitize(small, 3, "\x1b", 1, true);
	IS_STR(small, "", "a control picture is never half-written");
	IS_INT(n, 0, "nothing written");
	n = fmt_sanitize(small, 4, "\x1bxyz", 4, true);
	IS_STR(small, PIC_ESC, "ESC picture alone fits");
	n = fmt_sanitize(small, 3, "a\x1b", 2, false);
	IS_STR(small, "a", "ascii caret pair never split");
	IS_INT(n, 1, "ascii cut length");
	memcpy(small, "XXXXXXX", 8);
	n = fmt_sanitize(small, 0, "abc", 3, true);
	IS_INT(n, 0, "len 0 writes nothing");
	IS_STR(small, "XXXXXXX", "len 0 leaves dst alone");
	n = fmt_sanitize(small, 1, "abc", 3, true);
	IS_STR(small, "", "len 1 is just the NUL");
	n = fmt_sanitize(small, sizeof(small), "abc", 0, true);
	IS_STR(small, "", "empty source");
	IS_INT(fmt_sanitize(buf, sizeof(buf), "\x1b[2J", 4, true),
	       strlen(PIC_ESC "[2J"), "return value is strlen");
}

/* Random bytes, weighted toward the dangerous ones: the output must
 * always be valid UTF-8 with nothing a terminal would interpret. */
static void test_sanitize_fuzz(void)
{
	static const unsigned char pick[] = {
		0x1b, '[', ']', 0x07, '\\', 0x00, 0x7f, 0x9b, 0x9d, 0xc2,
		0xe2, 0x80, 0x81, 0xae, 0xa8, 0xed, 0xa0, 0xf0, 0xf4, 0x90,
		0xff, 'a', '\n', 0xc0, 0xe0,
	};
	uint64_t x = 0x2545F4914F6CDD1DULL;
	bool all_inert = true, all_ascii = true, all_bounded = true;

	for (int it = 0; it < 20000; it++) {
		unsigned char src[24];
		char out[64];
		size_t n = (size_t)(it % 24), w;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			src[i] = (x >> 8) & 1 ? pick[(x >> 16) % sizeof(pick)] :
						(unsigned char)(x >> 24);
		}
		w = fmt_sanitize(out, sizeof(out), (const char *)src, n, true);
		if (!inert(out))
			all_inert = false;
		if (w != strlen(out) || w >= sizeof(out))
			all_bounded = false;
		fmt_sanitize(out, sizeof(out), (const char *)src, n, false);
		for (const char *c = out; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				all_ascii = false;
	}
	OK(all_inert, "fuzz: utf8 output always valid and inert");
	OK(all_bounded, "fuzz: return value matches and stays in bounds");
	OK(all_ascii, "fuzz: ascii output is printable ASCII only");
}

static void test_width_fit(void)
{
	char d[64];

	IS_INT(fmt_width("abc"), 3, "width ascii");
	IS_INT(fmt_width(""), 0, "width empty");
	IS_INT(fmt_width("\xe6\x97\xa5\xe6\x9c\xac"), 4, "width CJK counts 2");
	IS_INT(fmt_width("caf\xc3\xa9"), 4, "width 2-byte latin");
	IS_INT(fmt_width("e\xcc\x81"), 1, "combining accent counts 0");
	IS_INT(fmt_width(PIC_ESC "[2J"), 4, "control picture counts 1");
	IS_INT(fmt_width("\xf0\x9f\x98\x80"), 2, "emoji counts 2");
	IS_INT(fmt_width(FFFD), 1, "U+FFFD counts 1");

	IS_INT(fmt_fit(d, sizeof(d), "hello", 10, true), 5, "fit: short");
	IS_STR(d, "hello", "fit: short copied");
	IS_INT(fmt_fit(d, sizeof(d), "hello", 5, true), 5, "fit: exact");
	IS_STR(d, "hello", "fit: exact copied");
	IS_INT(fmt_fit(d, sizeof(d), "hello world", 5, true), 5, "fit: cut");
	IS_STR(d, "hell" ELL, "fit: cut with ellipsis");
	IS_INT(fmt_fit(d, sizeof(d), "hello world", 5, false), 5,
	       "fit ascii: cut");
	IS_STR(d, "hell~", "fit ascii: cut with ~");
	IS_INT(fmt_fit(d, sizeof(d), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 4,
		       true), 3, "fit: wide glyph does not straddle the edge");
	IS_STR(d, "\xe6\x97\xa5" ELL, "fit: CJK cut to 1 glyph + ellipsis");
	IS_INT(fmt_fit(d, sizeof(d), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5,
		       true), 5, "fit: CJK 5 columns");
	IS_STR(d, "\xe6\x97\xa5\xe6\x9c\xac" ELL, "fit: CJK two + ellipsis");
	IS_INT(fmt_fit(d, sizeof(d), "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 6,
		       true), 6, "fit: CJK exact");
	IS_INT(fmt_fit(d, sizeof(d), "abc", 1, true), 1, "fit: one column");
	IS_STR(d, ELL, "fit: one column is the ellipsis");
	IS_INT(fmt_fit(d, sizeof(d), "abc", 0, true), 0, "fit: zero columns");
	IS_STR(d, "", "fit: zero columns empty");
	IS_INT(fmt_fit(d, 4, "abcdef", 10, false), 3, "fit: byte-bound cut");
	IS_STR(d, "ab~", "fit: byte-bound cut still ends in ~");
	IS_INT(fmt_fit(d, 6, "abcdef", 10, true), 3, "fit: byte-bound utf8");
	IS_STR(d, "ab" ELL, "fit: byte-bound utf8 ellipsis");
}

static void test_numbers(void)
{
	static const struct { int64_t ms; const char *want; } dur[] = {
		{ 0, "0ms" }, { 850, "850ms" }, { 999, "999ms" },
		{ 1000, "1s" }, { 12000, "12s" }, { 59999, "59s" },
		{ 60000, "1m00s" }, { 245000, "4m05s" }, { 3599999, "59m59s" },
		{ 3600000, "1h00m" }, { 11520000, "3h12m" },
		{ 86400000, "1d00h" }, { 187200000, "2d04h" },
		{ 864000000, "10d00h" }, { -5, "0ms" },
	};
	static const struct { double ms; const char *want; } lat[] = {
		{ -1, "-" }, { 0, "0.0ms" }, { 0.4, "0.4ms" }, { 9.94, "9.9ms" },
		{ 9.96, "10ms" }, { 12, "12ms" }, { 999.4, "999ms" },
		{ 999.6, "1.00s" }, { 1250, "1.25s" }, { 9994, "9.99s" },
		{ 9996, "10.0s" }, { 12000, "12.0s" }, { 99940, "99.9s" },
		{ 125000, "125s" },
	};
	static const struct { double pct; const char *want; } pct[] = {
		{ -1, "-" }, { 0, "0.00%" }, { 50, "50.00%" },
		{ 99.98, "99.98%" }, { 99.999, "99.99%" }, { 100, "100%" },
		{ 100.0 * 2 / 3, "66.66%" },
	};
	char d[32], what[64];

	for (size_t i = 0; i < sizeof(dur) / sizeof(dur[0]); i++) {
		fmt_duration(d, sizeof(d), dur[i].ms);
		snprintf(what, sizeof(what), "duration %lld",
			 (long long)dur[i].ms);
		IS_STR(d, dur[i].want, what);
	}
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++) {
		fmt_latency(d, sizeof(d), lat[i].ms);
		snprintf(what, sizeof(what), "latency %g", lat[i].ms);
		IS_STR(d, lat[i].want, what);
	}
	fmt_latency(d, sizeof(d), 0.0 / 0.0);
	IS_STR(d, "-", "latency NaN");
	for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		fmt_percent(d, sizeof(d), pct[i].pct);
		snprintf(what, sizeof(what), "percent %g", pct[i].pct);
		IS_STR(d, pct[i].want, what);
	}
	fmt_duration(d, 4, 245000);
	IS_STR(d, "4m0", "duration truncated to the buffer");
}

static void test_sparkline(void)
{
	const float rise[] = { 10, 20, 30, 40 };
	const float spike[] = { 10, 999, 30 };
	const bool spike_failed[] = { false, true, false };
	const float gaps[] = { -1, 10, 20 };
	const float flat[] = { 5, 5, 5 };
	const float odd[] = { 1, 0.0f / 0.0f, 1.0f / 0.0f, 2 };
	const bool all_failed[] = { true, true };
	char d[64];

	/* the scale is fixed (1 ms .. 10 s, logarithmic): 10..40 ms is one
	 * step, not the whole range */
	fmt_sparkline(d, sizeof(d), rise, NULL, 4, true);
	IS_STR(d, B3 B3 B3 B4, "spark: scaled on the fixed log scale, not min..max");
	fmt_sparkline(d, sizeof(d), rise, NULL, 4, false);
	IS_STR(d, "..--", "spark ascii: scaled");
	fmt_sparkline(d, sizeof(d), spike, spike_failed, 3, true);
	IS_STR(d, B3 "\xe2\x9c\x97" B3,
	       "spark: failure is a cross and not part of the scale");
	fmt_sparkline(d, sizeof(d), spike, spike_failed, 3, false);
	IS_STR(d, ".x-", "spark ascii: failure is x");
	fmt_sparkline(d, sizeof(d), gaps, NULL, 3, true);
	IS_STR(d, " " B3 B3, "spark: missing sample is blank");
	fmt_sparkline(d, sizeof(d), odd, NULL, 4, true);
	IS_STR(d, B1 "  " B1, "spark: NaN and infinity are missing, not scale");
	fmt_sparkline(d, sizeof(d), flat, NULL, 3, true);
	IS_STR(d, B2 B2 B2, "spark: a flat window is one flat line at its level");
	fmt_sparkline(d, sizeof(d), spike, all_failed, 2, true);
	IS_STR(d, "\xe2\x9c\x97\xe2\x9c\x97", "spark: all failed");
	fmt_sparkline(d, sizeof(d), rise, NULL, 0, true);
	IS_STR(d, "", "spark: no samples");
	fmt_sparkline(d, 7, rise, NULL, 4, true);
	IS_STR(d, B3 B3, "spark: cut on a cell boundary");
}

/* Issue 10: one stable scale. 0.5 ms next to 2 ms is a flat line, not a
 * full spike; each bar is half a decade; 10 s and over is the top. */
static void test_spark_scale(void)
{
	const float lan[] = { 0.5f, 2.0f, 0.5f, 2.0f };
	const float steps[] = { 1, 3.1f, 3.2f, 10, 31, 32, 100, 316, 317, 999,
				1000, 3162, 3163, 10000, 1e6f };
	const bool fail[] = { false, true, false, true };
	char d[128];
	size_t lv[ARRAY_LEN_T(steps)];
	bool monotone = true;

	fmt_sparkline(d, sizeof(d), lan, NULL, 4, true);
	IS_STR(d, B1 B1 B1 B1, "spark: 0.5 ms and 2 ms are the same low bar");
	fmt_sparkline(d, sizeof(d), lan, NULL, 4, false);
	IS_STR(d, "____", "spark ascii: the same");
	fmt_sparkline(d, sizeof(d), lan, fail, 4, true);
	IS_STR(d, B1 "\xe2\x9c\x97" B1 "\xe2\x9c\x97",
	       "spark: failures stay crosses on the fixed scale");
	for (size_t i = 0; i < ARRAY_LEN_T(steps); i++) {
		lv[i] = fmt_spark_level(steps[i], 8);
		if (i && lv[i] < lv[i - 1])
			monotone = false;
	}
	OK(monotone, "spark: a slower answer never draws a lower bar");
	OK(lv[0] == 0 && lv[1] == 0 && lv[2] == 1 && lv[3] == 2 && lv[4] == 2 &&
		   lv[5] == 3 && lv[6] == 4 && lv[7] == 4 && lv[8] == 5 &&
		   lv[9] == 5 && lv[10] == 6 && lv[11] == 6 && lv[12] == 7 &&
		   lv[13] == 7 && lv[14] == 7,
	   "spark: bars at 3.2, 10, 32, 100, 320 ms, 1 s, 3.2 s (half decades)");
	IS_INT(fmt_spark_level(0.01, 8), 0, "spark: under 1 ms is the lowest bar");
	IS_INT(fmt_spark_level(100, 6), 3, "spark ascii: 100 ms is the middle");
	IS_INT(fmt_spark_level(1e9, 6), 5, "spark ascii: the top is the top");
}

/* Prometheus label values: three escapes, and UTF-8 or U+FFFD. */
static void test_prom_label(void)
{
	char d[64];
	size_t n;

	n = fmt_prom_label(d, sizeof(d), "shop");
	IS_STR(d, "shop", "prom: plain");
	IS_INT(n, 4, "prom: returns bytes written");
	fmt_prom_label(d, sizeof(d), "a\"b\\c\nd");
	IS_STR(d, "a\\\"b\\\\c\\nd", "prom: quote, backslash, newline escaped");
	fmt_prom_label(d, sizeof(d), "\t\r\x1b[2J");
	IS_STR(d, "\t\r\x1b[2J", "prom: other controls are not escaped (the format has no escape for them)");
	fmt_prom_label(d, sizeof(d), "caf\xc3\xa9 \xf0\x9f\x98\x80");
	IS_STR(d, "caf\xc3\xa9 \xf0\x9f\x98\x80", "prom: UTF-8 kept");
	fmt_prom_label(d, sizeof(d), "a\xff\xc0\xaf" "b");
	IS_STR(d, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "b", "prom: invalid bytes are U+FFFD");
	fmt_prom_label(d, sizeof(d), NULL);
	IS_STR(d, "", "prom: NULL is empty");
	n = fmt_prom_label(d, 5, "ab\"cd");
	IS_STR(d, "ab\\\"", "prom: cut after a whole escape");
	IS_INT(n, 4, "prom: cut length");
	n = fmt_prom_label(d, 4, "ab\"cd");
	IS_STR(d, "ab", "prom: never half an escape");
	n = fmt_prom_label(d, 3 * 4 + 1, "\xff\xff\xff\xff");
	IS_INT(n, 12, "prom: 3 * strlen + 1 always fits");
}

static void test_json(void)
{
	char d[128];
	size_t n;

	n = fmt_json_string(d, sizeof(d), "plain");
	IS_STR(d, "\"plain\"", "json: plain");
	IS_INT(n, 7, "json: returns bytes written");
	fmt_json_string(d, sizeof(d), "a\"b\\c/d");
	IS_STR(d, "\"a\\\"b\\\\c/d\"", "json: quote and backslash");
	fmt_json_string(d, sizeof(d), "\n\t\r\b\f");
	IS_STR(d, "\"\\n\\t\\r\\b\\f\"", "json: short escapes");
	fmt_json_string(d, sizeof(d), "\x01\x1f\x1b[2J\x7f");
	IS_STR(d, "\"\\u0001\\u001f\\u001b[2J\\u007f\"",
	       "json: other controls and DEL as \\u00XX");
	fmt_json_string(d, sizeof(d), "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
	IS_STR(d, "\"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80\"",
	       "json: valid UTF-8 kept raw");
	fmt_json_string(d, sizeof(d), "a\xff" "b");
	IS_STR(d, "\"a\\ufffdb\"", "json: invalid byte");
	fmt_json_string(d, sizeof(d), "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80");
	IS_STR(d, "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
		  "\\ufffd\\ufffd\\ufffd\\ufffd\"",
	       "json: overlong, surrogate, > U+10FFFF");
	fmt_json_string(d, sizeof(d), "x\xe2\x82");
	IS_STR(d, "\"x\\ufffd\"", "json: cut sequence at the end");
	fmt_json_string(d, sizeof(d), "\xc2\x9b\xe2\x80\xa8");
	IS_STR(d, "\"\\u009b\\u2028\"", "json: C1 and U+2028 escaped");
	fmt_json_string(d, sizeof(d), "");
	IS_STR(d, "\"\"", "json: empty");
	fmt_json_string(d, sizeof(d), NULL);
	IS_STR(d, "\"\"", "json: NULL is empty");
	n = fmt_json_string(d, 8, "abcdefghij");
	IS_STR(d, "\"abcde\"", "json: cut keeps the closing quote");
	IS_INT(n, 7, "json: cut length");
	fmt_json_string(d, 8, "abcd\n");
	IS_STR(d, "\"abcd\"", "json: an escape is never split");
	fmt_json_string(d, 9, "ab\xe6\x97\xa5\xe6\x97\xa5");
	IS_STR(d, "\"ab\xe6\x97\xa5\"", "json: UTF-8 never split");
	n = fmt_json_string(d, 2, "abc");
	IS_INT(n, 0, "json: no room for quotes");
	IS_STR(d, "", "json: no room -> empty string");

	/* Random bytes: the output is valid UTF-8 with no raw controls. */
	{
		uint64_t x = 88172645463325252ULL;
		bool good = true;

		for (int it = 0; it < 5000; it++) {
			char src[20], out[20 * 6 + 3];

			for (int i = 0; i < 19; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				src[i] = (char)(x % 255 + 1);
			}
			src[19] = '\0';
			src[it % 20] = '\0';   /* lengths 0..19 */
			n = fmt_json_string(out, sizeof(out), src);
			if (!inert(out) || n != strlen(out) || out[0] != '"' ||
			    out[n - 1] != '"')
				good = false;
		}
		OK(good, "json fuzz: always valid UTF-8, quoted, no controls");
	}
}

static const char *redact(const char *url)
{
	fmt_redact_url(buf, sizeof(buf), url);
	return buf;
}

static void test_redact(void)
{
	char d[16];

	IS_STR(redact("https://user:pw@host/x"), "https://***@host/x",
	       "redact user:password");
	IS_STR(redact("https://user@host/x"), "https://***@host/x",
	       "redact user only");
	IS_STR(redact("http://user:pw@host:8080"), "http://***@host:8080",
	       "redact, no path, port kept");
	IS_STR(redact("https://u:p@ss@host/x"), "https://***@host/x",
	       "raw @ in the password: last @ of the authority");
	IS_STR(redact("https://host/x"), "https://host/x", "no userinfo");
	IS_STR(redact("https://host/a@b"), "https://host/a@b", "@ in the path");
	IS_STR(redact("https://host?to=a@b"), "https://host?to=a@b",
	       "@ in the query");
	IS_STR(redact("https://host#me@x"), "https://host#me@x",
	       "@ in the fragment");
	IS_STR(redact("https://user:pw@host/p@x?q=a@b"),
	       "https://***@host/p@x?q=a@b", "userinfo plus @ later on");
	IS_STR(redact("HTTPS://tok@host"), "HTTPS://***@host", "upper-case scheme");
	IS_STR(redact("user:pw@host/x"), "***@host/x", "no scheme");
	IS_STR(redact(""), "", "empty");
	fmt_redact_url(d, 12, "https://user:pw@host/x");
	IS_STR(d, "https://***", "cut: never a piece of the credentials");
	fmt_redact_url(d, 10, "https://user:pw@host/x");
	IS_STR(d, "https://", "cut before the mask");
	fmt_redact_url(d, 10, "https://host/x");
	IS_STR(d, "https://h", "cut a plain URL");
}

static void test_clock(void)
{
	char d[16];

	setenv("TZ", "UTC", 1);
	tzset();
	fmt_clock(d, sizeof(d), 0);
	IS_STR(d, "00:00:00", "clock at the epoch (UTC)");
	fmt_clock(d, sizeof(d), 3723000 + 999);
	IS_STR(d, "01:02:03", "clock drops milliseconds");
	fmt_clock(d, sizeof(d), 86399999);
	IS_STR(d, "23:59:59", "clock end of day");
	setenv("TZ", "UTC-2", 1);
	tzset();
	fmt_clock(d, sizeof(d), 0);
	IS_STR(d, "02:00:00", "clock is local time");
	fmt_clock(d, 3, 0);
	IS_STR(d, "", "clock: too small a buffer is empty");
}

/* Dates where the day changes (issue 10 §5): the stamp, the day. */
static void test_stamp(void)
{
	char d[24];
	const int64_t day = 86400000, may14 = 1715644800000LL;   /* 00:00 UTC */

	setenv("TZ", "UTC", 1);
	tzset();
	fmt_stamp(d, sizeof(d), may14 - 2000, true);
	IS_STR(d, "May 13 23:59:58", "stamp: month, day, clock");
	fmt_stamp(d, sizeof(d), may14 + 5000, true);
	IS_STR(d, "May 14 00:00:05", "stamp: after midnight, the next day");
	fmt_stamp(d, sizeof(d), 0, true);
	IS_STR(d, "Jan  1 00:00:00", "stamp: a one-digit day is padded (fixed width)");
	fmt_stamp(d, sizeof(d), may14 + 5000, false);
	IS_STR(d, "00:00:05", "stamp: undated is the clock");
	fmt_stamp(d, 15, may14, true);
	IS_STR(d, "", "stamp: too small a buffer is empty, never cut");
	OK(fmt_day(may14 - 1) != fmt_day(may14), "day: midnight separates days");
	OK(fmt_day(may14) == fmt_day(may14 + day - 1), "day: one day until the next midnight");
	OK(fmt_day(may14 + day) != fmt_day(may14), "day: the next midnight");
	setenv("TZ", "XXX-02", 1);    /* UTC+2: midnight UTC is 02:00 there */
	tzset();
	OK(fmt_day(may14 - 1) == fmt_day(may14), "day: local time, not UTC");
	fmt_stamp(d, sizeof(d), may14 - 2 * 3600000 - 1000, true);
	IS_STR(d, "May 13 23:59:59", "stamp: local time");
	setenv("TZ", "UTC", 1);
	tzset();
}

/* Breaking a line at a blank (the outage banner, uptop's own events). */
static void test_wrap(void)
{
	const char *s = "OUTAGE since 12:00:01: 5 targets failing";

	IS_INT((int)fmt_wrap(s, 100), (int)strlen(s), "wrap: all of it when it fits");
	IS_INT((int)fmt_wrap(s, 11), 6, "wrap: before the last blank that fits");
	IS_INT((int)fmt_wrap(s, 12), 12, "wrap: a blank right after what fits");
	IS_INT((int)fmt_wrap(s, 13), 12, "wrap: the blank itself is not kept");
	IS_INT((int)fmt_wrap(s, 6), 6, "wrap: a word that fills the width exactly");
	IS_INT((int)fmt_wrap(s, 4), 4, "wrap: a word wider than the line is cut");
	IS_INT((int)fmt_wrap("\xe2\x9c\x97\xe2\x9c\x97 ab", 2), 6,
	       "wrap: counts columns, not bytes");
	IS_INT((int)fmt_wrap("abc", 0), 0, "wrap: nothing fits in nothing");
	IS_INT((int)fmt_wrap("", 5), 0, "wrap: empty");
}

int main(void)
{
	if (!setlocale(LC_ALL, "C.UTF-8"))
		printf("# no C.UTF-8 locale: widths may be off\n");
	test_sanitize_escapes();
	test_sanitize_utf8();
	test_sanitize_ascii();
	test_sanitize_bounds();
	test_sanitize_fuzz();
	test_width_fit();
	test_numbers();
	test_sparkline();
	test_json();
	test_prom_label();
	test_redact();
	test_clock();
	test_stamp();
	test_wrap();
	test_spark_scale();
	return tap_done();
}
