/* golike.c - Go's strconv, time and path/filepath rules, as Gatus'
 * conditions see them (see golike.h). Written from Go's documented
 * behaviour and checked against Gatus' own test cases (tests/unit). */
#include "golike.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- UTF-8 and white space ------------------------------------------------ */

int32_t go_decode_rune(const char *s, size_t len, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;
	int32_t r;

	if (len == 0) {
		*n = 0;
		return 0xFFFD;
	}
	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		need = 2;
		r = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		need = 3;
		r = p[0] & 0x0F;
		if (p[0] == 0xE0)
			lo = 0xA0;
		else if (p[0] == 0xED)
			hi = 0x9F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		need = 4;
		r = p[0] & 0x07;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F;
	} else {
		*n = 1;
		return 0xFFFD;
	}
	if (len < need || p[1] < lo || p[1] > hi) {
		*n = 1;
		return 0xFFFD;
	}
	for (size_t i = 1; i < need; i++) {
		if (i > 1 && (p[i] < 0x80 || p[i] > 0xBF)) {
			*n = 1;
			return 0xFFFD;
		}
		r = (r << 6) | (p[i] & 0x3F);
	}
	*n = need;
	return r;
}

/* The multi-byte white space of unicode.IsSpace, as UTF-8. */
static const char *const wide_space[] = {
	"\xC2\x85", "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\xA8", "\xE2\x80\xA9",
	"\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
};

static size_t space_at_start(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[0];

	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	if (c < 0xC2)
		return 0;
	if (len >= 3 && memcmp(s, "\xE2\x80", 2) == 0 && (unsigned char)s[2] >= 0x80 &&
	    (unsigned char)s[2] <= 0x8A)
		return 3;   /* U+2000..U+200A */
	for (size_t i = 0; i < ARRAY_LEN(wide_space); i++) {
		size_t k = strlen(wide_space[i]);

		if (len >= k && memcmp(s, wide_space[i], k) == 0)
			return k;
	}
	return 0;
}

/* Each wide space starts with a lead byte, so the last rune of s is one of
 * them exactly when s ends with its bytes (utf8.DecodeLastRune). */
static size_t space_at_end(const char *s, size_t len)
{
	unsigned char c = (unsigned char)s[len - 1];

	if (c == ' ' || (c >= '\t' && c <= '\r'))
		return 1;
	if (c < 0x80)
		return 0;
	if (len >= 3 && memcmp(s + len - 3, "\xE2\x80", 2) == 0 && c <= 0x8A)
		return 3;
	for (size_t i = 0; i < ARRAY_LEN(wide_space); i++) {
		size_t k = strlen(wide_space[i]);

		if (len >= k && memcmp(s + len - k, wide_space[i], k) == 0)
			return k;
	}
	return 0;
}

const char *go_trim_space(const char *s, size_t *len)
{
	size_t n = *len, k;

	while (n && (k = space_at_start(s, n))) {
		s += k;
		n -= k;
	}
	while (n && (k = space_at_end(s, n)))
		n -= k;
	*len = n;
	return s;
}

/* ---- numbers -------------------------------------------------------------- */

static int lower(int c)
{
	return c | 0x20;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* strconv's underscoreOK: '_' only between digits (or after a base
 * prefix), never first or last. */
static bool underscore_ok(const char *s, size_t len)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;

	if (len >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		len--;
	}
	if (len >= 2 && s[0] == '0' &&
	    (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s[1]) == 'x';
	}
	for (; i < len; i++) {
		if (is_digit(s[i]) || (hex && lower(s[i]) >= 'a' && lower(s[i]) <= 'f')) {
			saw = '0';
			continue;
		}
		if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* strconv.ParseUint(s, 0, 64). */
static bool parse_uint0(const char *s, size_t len, uint64_t *out)
{
	const char *s0 = s;
	size_t len0 = len;
	unsigned base = 10;
	bool underscores = false;
	uint64_t n = 0;

	if (len == 0)
		return false;
	if (s[0] == '0') {
		if (len >= 3 && lower(s[1]) == 'b') {
			base = 2;
			s += 2;
			len -= 2;
		} else if (len >= 3 && lower(s[1]) == 'o') {
			base = 8;
			s += 2;
			len -= 2;
		} else if (len >= 3 && lower(s[1]) == 'x') {
			base = 16;
			s += 2;
			len -= 2;
		} else {
			base = 8;
			s++;
			len--;
		}
	}
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		unsigned d;

		if (c == '_') {
			underscores = true;
			continue;
		}
		if (is_digit(c))
			d = (unsigned)(c - '0');
		else if (lower(c) >= 'a' && lower(c) <= 'z')
			d = (unsigned)(lower(c) - 'a' + 10);
		else
			return false;
		if (d >= base)
			return false;
		if (n > UINT64_MAX / base)
			return false;   /* a range error ends the scan */
		n *= base;
		if (n + d < n)
			return false;
		n += d;
	}
	if (underscores && !underscore_ok(s0, len0))
		return false;
	*out = n;
	return true;
}

bool go_parse_int(const char *s, size_t len, int64_t *out)
{
	bool neg = false;
	uint64_t u;

	if (len == 0)
		return false;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		s++;
		len--;
		if (len == 0)
			return false;
	}
	if (!parse_uint0(s, len, &u))
		return false;
	if (!neg && u >= (uint64_t)1 << 63)
		return false;
	if (neg && u > (uint64_t)1 << 63)
		return false;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

static size_t prefix_fold(const char *s, size_t len, const char *word)
{
	size_t i = 0;

	while (i < len && word[i] && lower((unsigned char)s[i]) == word[i])
		i++;
	return i;
}

/* strconv's special(): [+-]inf, [+-]infinity, nan; the length read. */
static size_t float_special(const char *s, size_t len, double *f)
{
	size_t sign = 0, n;
	double v = 1;

	if (len && (s[0] == '+' || s[0] == '-')) {
		v = s[0] == '-' ? -1 : 1;
		sign = 1;
	} else if (len && lower((unsigned char)s[0]) == 'n') {
		if (prefix_fold(s, len, "nan") == 3) {
			*f = NAN;
			return 3;
		}
		return 0;
	}
	if (len <= sign || lower((unsigned char)s[sign]) != 'i')
		return 0;
	n = prefix_fold(s + sign, len - sign, "infinity");
	if (n > 3 && n < 8)
		n = 3;
	if (n != 3 && n != 8)
		return 0;
	*f = v * INFINITY;
	return sign + n;
}

/* The syntax of strconv's readFloat; true when all of s is one number. */
static bool float_syntax(const char *s, size_t len, bool *underscores)
{
	size_t i = 0;
	bool hex = false, dot = false, digits = false;

	*underscores = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i + 2 < len && s[i] == '0' && lower(s[i + 1]) == 'x') {
		hex = true;
		i += 2;
	}
	for (; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '_') {
			*underscores = true;
		} else if (c == '.') {
			if (dot)
				break;
			dot = true;
		} else if (is_digit(c) || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
			digits = true;
		} else {
			break;
		}
	}
	if (!digits)
		return false;
	if (i < len && lower(s[i]) == (hex ? 'p' : 'e')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !is_digit(s[i]))
			return false;
		for (; i < len && (is_digit(s[i]) || s[i] == '_'); i++)
			if (s[i] == '_')
				*underscores = true;
	} else if (hex) {
		return false;
	}
	if (*underscores && !underscore_ok(s, i))
		return false;
	return i == len;
}

bool go_parse_float(const char *s, size_t len, double *out)
{
	char small[64], *buf = small, *end;
	bool underscores;
	size_t n = 0;
	double f;

	if (len == 0)
		return false;
	if (float_special(s, len, &f) == len) {
		*out = f;
		return true;
	}
	if (!float_syntax(s, len, &underscores))
		return false;
	if (len >= sizeof(small))
		buf = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			buf[n++] = s[i];
	buf[n] = '\0';
	errno = 0;
	f = strtod(buf, &end);
	if (buf != small)
		free(buf);
	if (isinf(f))
		return false;   /* Go: ErrRange (only literal "inf" is infinite) */
	*out = f;
	return true;
}

int64_t go_float_to_int64(double f)
{
	if (isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)f;
}

/* ---- durations ------------------------------------------------------------ */

#define NS_MAX ((uint64_t)1 << 63)

static const struct {
	const char *name;
	uint64_t ns;
} dunits[] = {
	{ "ns", 1 }, { "us", 1000 }, { "\xC2\xB5s", 1000 }, { "\xCE\xBCs", 1000 },
	{ "ms", 1000000 }, { "s", 1000000000ULL }, { "m", 60000000000ULL },
	{ "h", 3600000000000ULL },
};

bool go_parse_duration(const char *s, size_t len, int64_t *ns)
{
	uint64_t d = 0;
	bool neg = false;
	size_t i = 0;

	if (len && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (len - i == 1 && s[i] == '0') {
		*ns = 0;
		return true;
	}
	if (i == len)
		return false;
	while (i < len) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		bool pre = false, post = false, overflow = false;
		size_t u;

		if (!(s[i] == '.' || is_digit(s[i])))
			return false;
		for (; i < len && is_digit(s[i]); i++) {
			if (v > NS_MAX / 10)
				return false;
			v = v * 10 + (uint64_t)(s[i] - '0');
			if (v > NS_MAX)
				return false;
			pre = true;
		}
		if (i < len && s[i] == '.') {
			for (i++; i < len && is_digit(s[i]); i++) {
				post = true;
				if (overflow)
					continue;
				if (f > (NS_MAX - 1) / 10) {
					overflow = true;
					continue;
				}
				if (f * 10 + (uint64_t)(s[i] - '0') > NS_MAX) {
					overflow = true;
					continue;
				}
				f = f * 10 + (uint64_t)(s[i] - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return false;
		for (u = i; i < len && s[i] != '.' && !is_digit(s[i]); i++)
			;
		if (i == u)
			return false;
		for (size_t k = 0; k < ARRAY_LEN(dunits); k++)
			if (strlen(dunits[k].name) == i - u &&
			    memcmp(dunits[k].name, s + u, i - u) == 0)
				unit = dunits[k].ns;
		if (!unit)
			return false;
		if (v > NS_MAX / unit)
			return false;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > NS_MAX)
				return false;
		}
		d += v;
		if (d > NS_MAX)
			return false;
	}
	if (neg) {
		*ns = (int64_t)(0 - d);
		return true;
	}
	if (d > NS_MAX - 1)
		return false;
	*ns = (int64_t)d;
	return true;
}

int64_t go_numeric(const char *s, size_t len)
{
	int64_t v;
	double f;

	if (go_parse_duration(s, len, &v) && v != 0)
		return v / 1000000;
	if (go_parse_int(s, len, &v))
		return v;
	if (go_parse_float(s, len, &f))
		return go_float_to_int64(f);
	return 0;
}

static size_t put(char *buf, size_t len, size_t at, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, at++)
		if (at + 1 < len)
			buf[at] = s[i];
	if (len)
		buf[at < len ? at : len - 1] = '\0';
	return at;
}

size_t go_gatus_duration(int64_t ms, char *buf, size_t len)
{
	/* time.Duration(ms) * time.Millisecond wraps like Go's int64. */
	int64_t d = (int64_t)((uint64_t)ms * 1000000u);
	uint64_t u, sec, min, hr;
	char tmp[64];
	int n;

	d -= d % 1000000000;   /* Truncate(time.Second): toward zero */
	if (d == 0)
		return put(buf, len, 0, "0s", 2);
	u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
	u /= 1000000000;
	sec = u % 60;
	min = u / 60 % 60;
	hr = u / 3600;
	if (hr)
		n = snprintf(tmp, sizeof(tmp), "%s%lluh%llum%llus", d < 0 ? "-" : "",
			     (unsigned long long)hr, (unsigned long long)min,
			     (unsigned long long)sec);
	else if (u >= 60)
		n = snprintf(tmp, sizeof(tmp), "%s%llum%llus", d < 0 ? "-" : "",
			     (unsigned long long)min, (unsigned long long)sec);
	else
		n = snprintf(tmp, sizeof(tmp), "%s%llus", d < 0 ? "-" : "",
			     (unsigned long long)sec);
	/* Gatus trims "0s", then "0m" (so "10s" becomes "1": kept as Gatus). */
	if (n >= 2 && memcmp(tmp + n - 2, "0s", 2) == 0) {
		n -= 2;
		if (n >= 2 && memcmp(tmp + n - 2, "0m", 2) == 0)
			n -= 2;
	}
	return put(buf, len, 0, tmp, (size_t)n);
}

/* ---- floats as Go prints them --------------------------------------------- */

/* The shortest decimal digits that read back as f (f > 0, finite), and
 * the position of the decimal point: f = 0.DIGITS * 10^dp. */
static size_t shortest_digits(double f, char digits[32], int *dp)
{
	char tmp[40];
	size_t nd = 0;
	int exp10 = 0;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f)
			break;
	}
	for (const char *p = tmp; *p && *p != 'e'; p++)
		if (is_digit(*p))
			digits[nd++] = *p;
	exp10 = atoi(strchr(tmp, 'e') + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	*dp = exp10 + 1;
	return nd;
}

static size_t fmt_e(const char *dg, size_t nd, int dp, bool neg, char *buf, size_t len)
{
	char tmp[48];
	int exp = dp - 1;
	int n = snprintf(tmp, sizeof(tmp), "%s%c%s%.*se%c%02d", neg ? "-" : "", dg[0],
			 nd > 1 ? "." : "", (int)nd - 1, dg + 1, exp < 0 ? '-' : '+',
			 exp < 0 ? -exp : exp);

	return put(buf, len, 0, tmp, (size_t)n);
}

static size_t fmt_f(const char *dg, size_t nd, int dp, bool neg, char *buf, size_t len)
{
	size_t at = 0;

	if (neg)
		at = put(buf, len, at, "-", 1);
	if (dp <= 0) {
		at = put(buf, len, at, "0.", 2);
		for (int i = 0; i < -dp; i++)
			at = put(buf, len, at, "0", 1);
		return put(buf, len, at, dg, nd);
	}
	for (int i = 0; i < dp; i++)
		at = put(buf, len, at, (size_t)i < nd ? dg + i : "0", 1);
	if ((size_t)dp < nd) {
		at = put(buf, len, at, ".", 1);
		at = put(buf, len, at, dg + dp, nd - (size_t)dp);
	}
	return at;
}

size_t go_fmt_float(double f, char *buf, size_t len)
{
	char dg[32];
	size_t nd;
	int dp;

	if (f == 0)
		return put(buf, len, 0, signbit(f) ? "-0" : "0", signbit(f) ? 2 : 1);
	if (isnan(f))
		return put(buf, len, 0, "NaN", 3);
	if (isinf(f))
		return put(buf, len, 0, f < 0 ? "-Inf" : "+Inf", 4);
	nd = shortest_digits(fabs(f), dg, &dp);
	if (dp - 1 < -4 || dp - 1 >= 21 || dp - 1 >= 6)
		return fmt_e(dg, nd, dp, f < 0, buf, len);
	return fmt_f(dg, nd, dp, f < 0, buf, len);
}

size_t go_json_float(double f, char *buf, size_t len)
{
	char dg[32];
	size_t nd, n;
	int dp;
	double a = fabs(f);

	if (f == 0)
		return put(buf, len, 0, signbit(f) ? "-0" : "0", signbit(f) ? 2 : 1);
	nd = shortest_digits(a, dg, &dp);
	if (a >= 1e-6 && a < 1e21)
		return fmt_f(dg, nd, dp, f < 0, buf, len);
	n = fmt_e(dg, nd, dp, f < 0, buf, len);
	/* "e-07" -> "e-7" */
	if (n >= 4 && n < len && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
		buf[n - 2] = buf[n - 1];
		buf[--n] = '\0';
	}
	return n;
}

/* ---- pat(): path/filepath.Match ------------------------------------------- */

struct span {
	const char *p;
	size_t n;
};

/* scanChunk: leading stars, then the chunk up to the next star outside
 * a class. */
static bool scan_chunk(struct span *pat, struct span *chunk)
{
	bool star = false, inrange = false;
	size_t i;

	while (pat->n && pat->p[0] == '*') {
		pat->p++;
		pat->n--;
		star = true;
	}
	for (i = 0; i < pat->n; i++) {
		char c = pat->p[i];

		if (c == '\\') {
			if (i + 1 < pat->n)
				i++;
		} else if (c == '[') {
			inrange = true;
		} else if (c == ']') {
			inrange = false;
		} else if (c == '*' && !inrange) {
			break;
		}
	}
	chunk->p = pat->p;
	chunk->n = i;
	pat->p += i;
	pat->n -= i;
	return star;
}

/* getEsc: one character of a class, maybe escaped; false: bad pattern. */
static bool get_esc(struct span *c, int32_t *r)
{
	size_t n;

	if (c->n == 0 || c->p[0] == '-' || c->p[0] == ']')
		return false;
	if (c->p[0] == '\\') {
		c->p++;
		c->n--;
		if (c->n == 0)
			return false;
	}
	*r = go_decode_rune(c->p, c->n, &n);
	if (*r == 0xFFFD && n == 1)
		return false;
	c->p += n;
	c->n -= n;
	return c->n != 0;
}

/* matchChunk: 1 matched (rest in *s), 0 no match, -1 bad pattern. */
static int match_chunk(struct span chunk, struct span *s)
{
	bool failed = false;
	struct span t = *s;

	while (chunk.n) {
		if (!failed && t.n == 0)
			failed = true;
		if (chunk.p[0] == '[') {
			int32_t r = 0, lo, hi;
			bool negated = false, match = false;
			size_t n, nrange = 0;

			if (!failed) {
				r = go_decode_rune(t.p, t.n, &n);
				t.p += n;
				t.n -= n;
			}
			chunk.p++;
			chunk.n--;
			if (chunk.n && chunk.p[0] == '^') {
				negated = true;
				chunk.p++;
				chunk.n--;
			}
			for (;;) {
				if (chunk.n && chunk.p[0] == ']' && nrange > 0) {
					chunk.p++;
					chunk.n--;
					break;
				}
				if (!get_esc(&chunk, &lo))
					return -1;
				hi = lo;
				if (chunk.p[0] == '-') {
					chunk.p++;
					chunk.n--;
					if (!get_esc(&chunk, &hi))
						return -1;
				}
				if (lo <= r && r <= hi)
					match = true;
				nrange++;
			}
			if (match == negated)
				failed = true;
			continue;
		}
		if (chunk.p[0] == '?') {
			if (!failed) {
				size_t n;

				go_decode_rune(t.p, t.n, &n);
				t.p += n;
				t.n -= n;
			}
			chunk.p++;
			chunk.n--;
			continue;
		}
		if (chunk.p[0] == '\\') {
			chunk.p++;
			chunk.n--;
			if (chunk.n == 0)
				return -1;
		}
		if (!failed) {
			if (chunk.p[0] != t.p[0])
				failed = true;
			t.p++;
			t.n--;
		}
		chunk.p++;
		chunk.n--;
	}
	if (failed)
		return 0;
	*s = t;
	return 1;
}

static bool filepath_match(struct span pat, struct span name)
{
	while (pat.n) {
		struct span chunk, t;
		bool star = scan_chunk(&pat, &chunk);
		int rc;

		if (star && chunk.n == 0)
			return true;   /* no '/' is left in name */
		t = name;
		rc = match_chunk(chunk, &t);
		if (rc == 1 && (t.n == 0 || pat.n > 0)) {
			name = t;
			continue;
		}
		if (rc < 0)
			return false;
		if (star) {
			bool found = false;

			for (size_t i = 0; i < name.n; i++) {
				t = (struct span){ name.p + i + 1, name.n - i - 1 };
				rc = match_chunk(chunk, &t);
				if (rc == 1) {
					if (pat.n == 0 && t.n > 0)
						continue;
					name = t;
					found = true;
					break;
				}
				if (rc < 0)
					return false;
			}
			if (found)
				continue;
		}
		return false;
	}
	return name.n == 0;
}

/* Copies s without '/' into a buffer kept between calls (the loop is one
 * thread); most strings have none and are used in place. */
static struct span without_slash(const char *s, size_t n, char **buf, size_t *cap)
{
	size_t k = 0;

	if (!memchr(s, '/', n))
		return (struct span){ s, n };
	*buf = xreallocarray_grow(*buf, cap, n + 1, 1);
	for (size_t i = 0; i < n; i++)
		if (s[i] != '/')
			(*buf)[k++] = s[i];
	return (struct span){ *buf, k };
}

bool go_pattern_match(const char *pat, size_t plen, const char *s, size_t slen)
{
	static char *pbuf, *sbuf;
	static size_t pcap, scap;

	if (plen == 1 && pat[0] == '*')
		return true;
	return filepath_match(without_slash(pat, plen, &pbuf, &pcap),
			      without_slash(s, slen, &sbuf, &scap));
}
