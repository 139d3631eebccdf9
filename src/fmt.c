/* fmt.c - pure formatting: durations, latency, sparklines, sanitising,
 * JSON escaping, credential redaction. libc only.
 *
 * Everything here writes through a small bounded writer (struct out) that
 * refuses a piece that does not fit whole, so output is always cut on a
 * character boundary and always NUL-terminated. */
#include "fmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "util.h"

/* --- a bounded writer ----------------------------------------------- */

struct out {
	char *p;
	size_t len;   /* buffer size, NUL included */
	size_t n;     /* bytes written so far */
	bool full;    /* a piece was refused: everything after is dropped */
};

static void out_init(struct out *o, char *dst, size_t len)
{
	o->p = dst;
	o->len = len;
	o->n = 0;
	o->full = len == 0;
	if (len)
		dst[0] = '\0';
}

/* Room for `k` more bytes, keeping `reserve` bytes (and the NUL) free. */
static bool out_room(const struct out *o, size_t k, size_t reserve)
{
	return !o->full && o->len > 0 && o->n + k + reserve < o->len;
}

/* Appends k bytes whole or not at all; once one piece is refused, later
 * (smaller) pieces are refused too so the output is a clean prefix. */
static bool out_put(struct out *o, const char *s, size_t k)
{
	if (!out_room(o, k, 0)) {
		o->full = true;
		return false;
	}
	memcpy(o->p + o->n, s, k);
	o->n += k;
	o->p[o->n] = '\0';
	return true;
}

static bool out_str(struct out *o, const char *s)
{
	return out_put(o, s, strlen(s));
}

/* Appends as much of text s[0..k) as fits, cut on a UTF-8 boundary. */
static void out_text(struct out *o, const char *s, size_t k)
{
	if (o->full || out_put(o, s, k) || o->n + 1 >= o->len)
		return;
	k = o->len - 1 - o->n;
	while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
		k--;
	memcpy(o->p + o->n, s, k);
	o->n += k;
	o->p[o->n] = '\0';
}

/* --- UTF-8 ----------------------------------------------------------- */

#define CP_INVALID (-1)

/* Decodes one sequence at s[0..n). Returns its length (>= 1 when n >= 1)
 * and the code point, or CP_INVALID with the length of the maximal
 * ill-formed subpart (Unicode 3.9, "U+FFFD substitution of maximal
 * subparts"), so that one bad byte never swallows the good text after it.
 * Rejects overlong forms, surrogates and code points above U+10FFFF.
 * Costs O(1). */
static size_t utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	int32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;      /* overlong */
		else if (c == 0xED)
			hi = 0x9F;      /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;      /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;      /* above U+10FFFF */
	} else {
		*cp = CP_INVALID;   /* continuation, C0, C1, F5-FF */
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = CP_INVALID;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

static size_t utf8_encode(char *buf, int32_t cp)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xC0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xE0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		buf[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	buf[0] = (char)(0xF0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	buf[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Code points that can reorder or break a line of text on screen:
 * C1 controls (a terminal may read U+009B as CSI), bidi embeddings,
 * overrides and isolates (the "Trojan Source" set), and the Unicode line
 * and paragraph separators (the result must stay one line). */
static bool cp_hostile(int32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) ||
	       (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x2028 || cp == 0x2029;
}

/* --- sanitising ------------------------------------------------------ */

/* Each input character maps to one whole output piece, so a control can
 * never be half-copied: ESC becomes a visible glyph and whatever followed
 * it (the "[2J" of a CSI, the title of an OSC) is left as plain text.
 * Costs O(srclen). */
size_t fmt_sanitize(char *dst, size_t len, const char *src, size_t srclen,
		    bool utf8)
{
	const unsigned char *s = (const unsigned char *)src;
	struct out o;
	size_t i = 0;

	out_init(&o, dst, len);
	while (s && i < srclen && !o.full) {
		char buf[4];
		int32_t cp;
		size_t k = utf8_decode(s + i, srclen - i, &cp), bl;

		if (utf8) {
			if (cp == CP_INVALID || cp_hostile(cp))
				bl = utf8_encode(buf, 0xFFFD);
			else if (cp < 0x20)
				bl = utf8_encode(buf, 0x2400 + cp);
			else if (cp == 0x7F)
				bl = utf8_encode(buf, 0x2421);
			else
				bl = utf8_encode(buf, cp);
		} else {
			bl = 2;
			buf[0] = '^';
			if (cp >= 0 && cp < 0x20) {
				buf[1] = (char)(cp + 0x40);
			} else if (cp == 0x7F) {
				buf[1] = '?';
			} else {
				bl = 1;
				buf[0] = cp >= 0x20 && cp < 0x7F ? (char)cp : '?';
			}
		}
		out_put(&o, buf, bl);
		i += k;
	}
	return o.n;
}

/* Columns of one code point: wide glyphs 2, combining marks 0. What the
 * locale cannot classify is counted as one cell (the terminal shows a
 * replacement glyph there). */
static int cp_width(int32_t cp)
{
	int w;

	if (cp == CP_INVALID)
		return 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

/* Costs O(strlen(s)). */
int fmt_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	int w = 0;

	while (i < n) {
		int32_t cp;

		i += utf8_decode(p + i, n - i, &cp);
		w += cp_width(cp);
	}
	return w;
}

/* Costs O(strlen(s)). The byte budget `len` can cut too: then the
 * ellipsis still ends the text, so a clipped cell always looks clipped. */
int fmt_fit(char *dst, size_t len, const char *s, int cols, bool utf8)
{
	const unsigned char *p = (const unsigned char *)s;
	const char *ell = utf8 ? "\xe2\x80\xa6" : "~";
	size_t n = strlen(s), elen = strlen(ell), i = 0;
	struct out o;
	int used = 0;

	out_init(&o, dst, len);
	if (cols <= 0)
		return 0;
	used = fmt_width(s);
	if (used <= cols && n < len) {
		out_put(&o, s, n);
		return used;
	}
	used = 0;
	while (i < n) {
		int32_t cp;
		size_t k = utf8_decode(p + i, n - i, &cp);
		int w = cp_width(cp);

		if (used + w > cols - 1 || !out_room(&o, k, elen))
			break;
		out_put(&o, s + i, k);
		used += w;
		i += k;
	}
	if (out_put(&o, ell, elen))
		used++;
	return used;
}

/* Costs O(bytes of the line). */
size_t fmt_wrap(const char *s, int cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, brk = 0;
	int used = 0;

	if (fmt_width(s) <= cols)
		return n;
	while (i < n) {
		int32_t cp;
		size_t k = utf8_decode(p + i, n - i, &cp);
		int w = cp_width(cp);

		if (used + w > cols)
			break;
		if (cp == ' ')
			brk = i;
		used += w;
		i += k;
	}
	/* a blank right after what fits breaks there too */
	if (i < n && p[i] == ' ')
		brk = i;
	return brk ? brk : i;
}

/* --- numbers --------------------------------------------------------- */

void fmt_duration(char *dst, size_t len, int64_t ms)
{
	long long s, m, h, d;

	if (!len)
		return;
	if (ms < 0)
		ms = 0;
	s = (long long)(ms / 1000);
	m = s / 60;
	h = m / 60;
	d = h / 24;
	if (ms < 1000)
		snprintf(dst, len, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(dst, len, "%llds", s);
	else if (m < 60)
		snprintf(dst, len, "%lldm%02llds", m, s % 60);
	else if (h < 24)
		snprintf(dst, len, "%lldh%02lldm", h, m % 60);
	else
		snprintf(dst, len, "%lldd%02lldh", d, h % 24);
}

/* The thresholds sit where rounding would carry into the next unit, so
 * 9.96 ms prints "10ms", never "10.0ms", and 999.7 ms prints "1.00s". */
void fmt_latency(char *dst, size_t len, double ms)
{
	if (!len)
		return;
	if (!(ms >= 0))
		snprintf(dst, len, "-");
	else if (ms < 9.95)
		snprintf(dst, len, "%.1fms", ms);
	else if (ms < 999.5)
		snprintf(dst, len, "%.0fms", ms);
	else if (ms < 9995)
		snprintf(dst, len, "%.2fs", ms / 1000);
	else if (ms < 99950)
		snprintf(dst, len, "%.1fs", ms / 1000);
	else
		snprintf(dst, len, "%.0fs", ms / 1000);
}

/* Truncates instead of rounding: 99.999% must not read as "100%". The
 * tiny bias keeps 99.98 (stored as 99.97999...) from reading 99.97. */
void fmt_percent(char *dst, size_t len, double pct)
{
	long long hundredths;

	if (!len)
		return;
	if (!(pct >= 0)) {
		snprintf(dst, len, "-");
		return;
	}
	if (pct >= 100) {
		snprintf(dst, len, "100%%");
		return;
	}
	hundredths = (long long)(pct * 100 + 1e-6);
	snprintf(dst, len, "%lld.%02lld%%", hundredths / 100, hundredths % 100);
}

/* --- sparkline ------------------------------------------------------- */

static bool spark_missing(float v)
{
	return !(v >= 0 && v <= FLT_MAX);   /* negative, NaN or infinite */
}

size_t fmt_spark_level(double ms, size_t nbars)
{
	double x;

	if (!(ms > FMT_SPARK_LO_MS) || nbars < 2)
		return 0;
	/* the small epsilon keeps an exact step (10 ms) on its own bar */
	x = log10(ms / FMT_SPARK_LO_MS) / log10(FMT_SPARK_HI_MS / FMT_SPARK_LO_MS) *
	    (double)nbars + 1e-9;
	return x >= (double)(nbars - 1) ? nbars - 1 : (size_t)x;
}

/* Costs O(n): one log10 per sample. */
void fmt_sparkline(char *dst, size_t len, const float *lat,
		   const bool *failed, size_t n, bool utf8)
{
	static const char *const bars_utf8[] = {
		"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
		"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
	};
	static const char *const bars_ascii[] = { "_", ".", "-", "=", "*", "#" };
	const char *const *bars = utf8 ? bars_utf8 : bars_ascii;
	size_t nbars = utf8 ? ARRAY_LEN(bars_utf8) : ARRAY_LEN(bars_ascii);
	struct out o;

	out_init(&o, dst, len);
	for (size_t i = 0; i < n && !o.full; i++) {
		if (failed && failed[i]) {
			out_str(&o, utf8 ? "\xe2\x9c\x97" : "x");
			continue;
		}
		if (spark_missing(lat[i])) {
			out_str(&o, " ");
			continue;
		}
		out_str(&o, bars[fmt_spark_level(lat[i], nbars)]);
	}
}

/* --- JSON ------------------------------------------------------------ */

/* RFC 8259 string: the mandatory escapes, plus DEL, C1 and U+2028/2029
 * as \uXXXX so a log line stays inert in a terminal and in JavaScript.
 * The closing quote is reserved up front: a cut string is still valid
 * JSON. Costs O(strlen(src)); at most 6 output bytes per input byte. */
size_t fmt_json_string(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = src ? strlen(src) : 0, i = 0;
	struct out o;

	out_init(&o, dst, len);
	if (len < 3)
		return 0;
	out_put(&o, "\"", 1);
	while (i < n) {
		char buf[8];
		int32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp), bl;

		switch (cp) {
		case '"': bl = 2; memcpy(buf, "\\\"", 2); break;
		case '\\': bl = 2; memcpy(buf, "\\\\", 2); break;
		case '\b': bl = 2; memcpy(buf, "\\b", 2); break;
		case '\f': bl = 2; memcpy(buf, "\\f", 2); break;
		case '\n': bl = 2; memcpy(buf, "\\n", 2); break;
		case '\r': bl = 2; memcpy(buf, "\\r", 2); break;
		case '\t': bl = 2; memcpy(buf, "\\t", 2); break;
		default:
			if (cp == CP_INVALID)
				cp = 0xFFFD;
			if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
			    cp == 0x2028 || cp == 0x2029 || cp == 0xFFFD)
				bl = (size_t)snprintf(buf, sizeof(buf),
						      "\\u%04x", (unsigned)cp);
			else
				bl = utf8_encode(buf, cp);
		}
		if (!out_room(&o, bl, 1))
			break;
		out_put(&o, buf, bl);
		i += k;
	}
	o.full = false;
	out_put(&o, "\"", 1);
	return o.n;
}

/* --- Prometheus ------------------------------------------------------ */

/* The text exposition format (0.0.4) escapes three characters in a label
 * value; everything else is taken as UTF-8, so invalid bytes become
 * U+FFFD (Prometheus rejects a scrape with invalid UTF-8). Costs
 * O(strlen(src)); at most 3 output bytes per input byte. */
size_t fmt_prom_label(char *dst, size_t len, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = src ? strlen(src) : 0, i = 0;
	struct out o;

	out_init(&o, dst, len);
	while (i < n && !o.full) {
		char buf[4];
		int32_t cp;
		size_t k = utf8_decode(s + i, n - i, &cp), bl;

		if (cp == '\\' || cp == '"') {
			buf[0] = '\\';
			buf[1] = (char)cp;
			bl = 2;
		} else if (cp == '\n') {
			memcpy(buf, "\\n", 2);
			bl = 2;
		} else if (cp == CP_INVALID) {
			bl = utf8_encode(buf, 0xFFFD);
		} else {
			memcpy(buf, s + i, k);
			bl = k;
		}
		out_put(&o, buf, bl);
		i += k;
	}
	return o.n;
}

/* --- URLs ------------------------------------------------------------ */

static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* The authority is what follows "scheme://" up to the first '/', '?' or
 * '#'; only an '@' inside it ends a userinfo, so "/a@b" in a path or
 * "?to=a@b" in a query is left alone. The last '@' wins, as in curl:
 * a password may hold a raw '@'. Costs O(strlen(url)). */
void fmt_redact_url(char *dst, size_t len, const char *url)
{
	const char *auth = url, *end, *at = NULL, *sep = strstr(url, "://");
	struct out o;

	out_init(&o, dst, len);
	if (sep) {
		const char *c = url;

		while (c < sep && scheme_char(*c))
			c++;
		if (c == sep && sep > url)
			auth = sep + 3;
	}
	end = auth + strcspn(auth, "/?#");
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			at = c;
	if (!at) {
		out_text(&o, url, strlen(url));
		return;
	}
	/* Only the scheme comes before the mask: a cut can never leave a
	 * piece of the credentials behind. */
	out_text(&o, url, (size_t)(auth - url));
	out_str(&o, "***");
	out_text(&o, at, strlen(at));
}

void fmt_clock(char *dst, size_t len, int64_t wall_ms)
{
	fmt_stamp(dst, len, wall_ms, false);
}

/* The month's name in English whatever LC_TIME says: the width stays
 * fixed and the line reads the same on every box. */
void fmt_stamp(char *dst, size_t len, int64_t wall_ms, bool dated)
{
	static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May",
					     "Jun", "Jul", "Aug", "Sep", "Oct",
					     "Nov", "Dec" };
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	int n;

	if (!len)
		return;
	if (!localtime_r(&t, &tm) || tm.tm_mon < 0 || tm.tm_mon > 11) {
		dst[0] = '\0';
		return;
	}
	if (dated)
		n = snprintf(dst, len, "%s %2d %02d:%02d:%02d", mon[tm.tm_mon],
			     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		n = snprintf(dst, len, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min,
			     tm.tm_sec);
	if (n < 0 || (size_t)n >= len)
		dst[0] = '\0';
}

void fmt_iso_time(char *dst, size_t len, int64_t wall_ms)
{
	time_t s = (time_t)(wall_ms / 1000);
	struct tm tm;
	char buf[32];

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(dst, len, "%s.%03dZ", buf, (int)(wall_ms % 1000));
}

long fmt_day(int64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (long)(tm.tm_year + 1900) * 1000 + tm.tm_yday;
}
