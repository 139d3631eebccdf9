/* cond_json.c - a response body as Gatus' conditions read it: parsed as
 * Go's encoding/json decodes it (json-c in strict mode, plus what json-c
 * accepts and Go does not: NaN, control characters in strings, trailing
 * text; integers past 64 bits read as float64s), walked as Gatus'
 * jsonpath walks it, and written back as Go writes values (fmt's %v,
 * json.Marshal). Part of the cond module, the only user of json-c. */
#include "cond_priv.h"
#include "cond.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golike.h"

/* Go's encoding/json refuses to nest deeper. A tokener that deep costs
 * json-c ~1 us more per parse, so a shallow one goes first. */
#define JSON_DEPTH 10001
#define JSON_DEPTH_FAST 64

/* Go's json decoder turns invalid UTF-8 into U+FFFD. */
static bool utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k;

		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		if (go_decode_rune(s + i, n - i, &k) == 0xFFFD && k == 1)
			return false;
		i += k;
	}
	return true;
}

static void sb_utf8(struct sb *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k;

		if ((unsigned char)s[i] >= 0x80 && go_decode_rune(s + i, n - i, &k) == 0xFFFD &&
		    k == 1) {
			sb_str(b, "\xEF\xBF\xBD");
			i++;
			continue;
		}
		k = (unsigned char)s[i] < 0x80 ? 1 : k;
		sb_add(b, s + i, k);
		i += k;
	}
}

/* Go's float64 value of a JSON number. */
static double jnum(struct json_object *o)
{
	return json_object_get_double(o);
}

/* Object members sorted by key, as Go sorts map keys; a stack shared by
 * nested calls (indexes, not pointers: it may move). */
struct member {
	const char *key;
	struct json_object *val;
};

static struct member *mstack;
static size_t mtop, mcap;

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key, ((const struct member *)b)->key);
}

static size_t members_push(struct json_object *o)
{
	size_t base = mtop;

	json_object_object_foreach(o, k, v)
	{
		mstack = xreallocarray_grow(mstack, &mcap, mtop + 1, sizeof(*mstack));
		mstack[mtop++] = (struct member){ k, v };
	}
	qsort(mstack + base, mtop - base, sizeof(*mstack), member_cmp);
	return base;
}

/* encoding/json's string, HTML-safe as json.Marshal writes it. */
static void json_quote(struct sb *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	sb_char(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t k;
		int32_t r;

		if (c < 0x80) {
			char esc[7] = "\\u00";

			if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&')
				sb_char(b, (char)c);
			else if (c == '"' || c == '\\')
				sb_add(b, (const char[]){ '\\', (char)c }, 2);
			else if (c == '\b')
				sb_str(b, "\\b");
			else if (c == '\f')
				sb_str(b, "\\f");
			else if (c == '\n')
				sb_str(b, "\\n");
			else if (c == '\r')
				sb_str(b, "\\r");
			else if (c == '\t')
				sb_str(b, "\\t");
			else {
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				sb_add(b, esc, 6);
			}
			i++;
			continue;
		}
		r = go_decode_rune(s + i, n - i, &k);
		if (r == 0xFFFD && k == 1)
			sb_str(b, "\\ufffd");
		else if (r == 0x2028 || r == 0x2029)
			sb_str(b, r == 0x2028 ? "\\u2028" : "\\u2029");
		else
			sb_add(b, s + i, k);
		i += k;
	}
	sb_char(b, '"');
}

/* A decoded JSON value as Go writes it: fmt's %v ("[1 b <nil>]",
 * "map[k:v]"), or json.Marshal's minified JSON (keys sorted, HTML-safe). */
static void go_format(struct sb *b, struct json_object *o, bool json)
{
	char num[40];
	size_t n, base, end;

	switch (json_object_get_type(o)) {
	case json_type_null:
		sb_str(b, json ? "null" : "<nil>");
		break;
	case json_type_boolean:
		sb_str(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
	case json_type_double:
		n = json ? go_json_float(jnum(o), num, sizeof(num)) :
			   go_fmt_float(jnum(o), num, sizeof(num));
		sb_add(b, num, n);
		break;
	case json_type_string:
		if (json)
			json_quote(b, json_object_get_string(o),
				   (size_t)json_object_get_string_len(o));
		else
			sb_utf8(b, json_object_get_string(o),
				(size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		sb_char(b, '[');
		n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++) {
			if (i)
				sb_char(b, json ? ',' : ' ');
			go_format(b, json_object_array_get_idx(o, i), json);
		}
		sb_char(b, ']');
		break;
	case json_type_object:
		base = members_push(o);
		end = mtop;
		sb_str(b, json ? "{" : "map[");
		for (size_t i = base; i < end; i++) {
			if (i > base)
				sb_char(b, json ? ',' : ' ');
			if (json)
				json_quote(b, mstack[i].key, strlen(mstack[i].key));
			else
				sb_utf8(b, mstack[i].key, strlen(mstack[i].key));
			sb_char(b, ':');
			go_format(b, mstack[i].val, json);
		}
		sb_char(b, json ? '}' : ']');
		mtop = base;
		break;
	}
}

/* strconv.Atoi: optional sign, decimal digits. */
static bool go_atoi(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	bool neg = false;
	unsigned long long v = 0;

	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i = 1;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (9223372036854775808ULL - (unsigned)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (!neg && v > 9223372036854775807ULL)
		return false;
	*out = neg ? -(long long)(v - 1) - 1 : (long long)v;
	return true;
}

/* A member of an object by a key that is not NUL-terminated. */
static struct json_object *member(struct json_object *o, const char *k, size_t n)
{
	static struct sb key;
	struct json_object *v = NULL;

	if (json_object_get_type(o) != json_type_object)
		return NULL;
	key.n = 0;
	sb_add(&key, k, n);
	json_object_object_get_ex(o, key.p, &v);
	return v;
}

/* Gatus' extractValue: NULL is Go's nil (missing, JSON null, or a key
 * Gatus cannot apply). */
static struct json_object *extract(const char *key, size_t n, struct json_object *v)
{
	size_t start = 0, end = 0, idx_at = 0, idx_len = 0;
	int depth = 0;
	bool nested = false;
	long long index;
	struct json_object *arr;

	if (!(n && key[n - 1] == ']' && memchr(key, '[', n))) {
		if (json_object_get_type(v) == json_type_array)
			return v;
		if (json_object_get_type(v) == json_type_object)
			return member(v, key, n);
		return v;
	}
	for (size_t i = 0; i < n; i++) {
		if (key[i] == '[') {
			start = i;
			depth++;
		} else if (key[i] == ']' && depth == 1) {
			depth--;
			end = i;
			idx_at = start + 1;
			idx_len = i - start - 1;
			nested = i + 1 < n && key[i + 1] == '[';
			break;
		}
	}
	if (!go_atoi(key + idx_at, idx_len, &index) || index < 0)
		return NULL;
	arr = start == 0 ? v : member(v, key, start);
	if (json_object_get_type(arr) != json_type_array ||
	    (size_t)index >= json_object_array_length(arr))
		return NULL;
	v = json_object_array_get_idx(arr, (size_t)index);
	return nested ? extract(key + end + 1, n - end - 1, v) : v;
}

/* Gatus' walk: false for INVALID; else the value (in b, or in place) and
 * the length len() reports. */
static bool walk(const char *path, size_t n, struct json_object *o, struct sb *b, struct val *out,
		 size_t *length)
{
	size_t first = n;
	int depth = 0;
	struct json_object *v;

	for (size_t i = 0; i < n; i++) {
		if (path[i] == '[')
			depth++;
		else if (path[i] == ']')
			depth--;
		if (path[i] == '.' && depth == 0) {
			first = i;
			break;
		}
	}
	v = extract(path, first, o);
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_object:
		if (first < n)
			return walk(path + first + 1, n - first - 1, v, b, out, length);
		go_format(b, v, true);
		*out = (struct val){ b->p, b->n };
		*length = b->n;
		return true;
	case json_type_string:
		if (first < n)
			return false;
		out->p = json_object_get_string(v);
		out->n = (size_t)json_object_get_string_len(v);
		if (!utf8_valid(out->p, out->n)) {
			sb_utf8(b, out->p, out->n);
			*out = (struct val){ b->p, b->n };
		}
		*length = out->n;
		return true;
	case json_type_array:
		go_format(b, v, false);
		*out = (struct val){ b->p, b->n };
		*length = json_object_array_length(v);
		return true;
	default:
		go_format(b, v, false);
		*out = (struct val){ b->p, b->n };
		*length = b->n;
		return true;
	}
}

static bool go_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* What json-c accepts and Go's decoder does not, found in the text: a NUL,
 * a control character inside a string. *big: an integer of 19 digits or
 * more, which json-c clamps to 64 bits where Go reads a float64. */
static bool go_json_text(const char *s, size_t n, bool *big)
{
	bool in = false;

	*big = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t d;

		if (c == 0)
			return false;
		if (in) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in = false;
			else if (c < 0x20)
				return false;
			continue;
		}
		if (c == '"') {
			in = true;
			continue;
		}
		if (!(c >= '0' && c <= '9') || (i && strchr("0123456789.eE+", s[i - 1])))
			continue;
		for (d = i; d < n && s[d] >= '0' && s[d] <= '9'; d++)
			;
		if (d - i >= 19 && (d == n || !strchr(".eE", s[d])))
			*big = true;
		i = d - 1;
	}
	return true;
}

/* The body with ".0" after every integer of 19 digits or more, so json-c
 * reads them as doubles, as Go does (rare: a kept buffer). */
static const char *widen_ints(const char *s, size_t n, size_t *len)
{
	static struct sb w;
	bool in = false;

	w.n = 0;
	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (in || s[i] == '"' || !(s[i] >= '0' && s[i] <= '9') ||
		    (i && strchr("0123456789.eE+", s[i - 1]))) {
			if (in && s[i] == '\\' && i + 1 < n) {
				sb_add(&w, s + i, 2);
				i++;
				continue;
			}
			if (s[i] == '"')
				in = !in;
			sb_add(&w, s + i, 1);
			continue;
		}
		for (d = i; d < n && s[d] >= '0' && s[d] <= '9'; d++)
			;
		sb_add(&w, s + i, d - i);
		if (d - i >= 19 && (d == n || !strchr(".eE", s[d])))
			sb_str(&w, ".0");
		i = d - 1;
	}
	*len = w.n;
	return w.p;
}

/* ... and in the tree: NaN, Infinity and numbers too large for a float64. */
static bool go_json_finite(struct json_object *o)
{
	size_t n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			if (!go_json_finite(json_object_array_get_idx(o, i)))
				return false;
		return true;
	case json_type_object: {
		json_object_object_foreach(o, k, v)
		{
			(void)k;
			if (!go_json_finite(v))
				return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* Parses the body once per evaluation; false when it is not JSON as Go's
 * decoder reads it (one value, only white space around it). */
/* One parse of the whole body with a tokener of `depth` (kept). */
static struct json_object *json_parse(struct json_tokener **tok, int depth, const char *s,
				      size_t n, enum json_tokener_error *e, size_t *end)
{
	struct json_object *o;

	if (!*tok && !(*tok = json_tokener_new_ex(depth)))
		fatal("out of memory (json-c)");
	json_tokener_reset(*tok);
	json_tokener_set_flags(*tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	/* The NUL after the body ends a top-level number. */
	o = json_tokener_parse_ex(*tok, s, (int)n + 1);
	*e = json_tokener_get_error(*tok);
	*end = json_tokener_get_parse_end(*tok);
	return o;
}

static bool body_json(struct cond_body *c)
{
	static struct json_tokener *fast, *deep;
	enum json_tokener_error e;
	const char *text = c->p;
	size_t end, i = 0, n = c->len;
	bool big;

	if (c->json)
		return c->json > 0;
	c->json = -1;
	while (i < n && go_json_space(text[i]))
		i++;
	if (i == n || n > INT32_MAX / 2 || !go_json_text(text, n, &big))
		return false;
	if (big)
		text = widen_ints(text, n, &n);
	c->root = json_parse(&fast, JSON_DEPTH_FAST, text, n, &e, &end);
	if (e == json_tokener_error_depth) {
		json_object_put(c->root);
		c->root = json_parse(&deep, JSON_DEPTH, text, n, &e, &end);
	}
	if (e != json_tokener_success) {
		json_object_put(c->root);
		c->root = NULL;
		return false;
	}
	for (i = end; i < n && go_json_space(text[i]); i++)
		;
	if (i < n || !go_json_finite(c->root)) {
		json_object_put(c->root);
		c->root = NULL;
		return false;
	}
	c->json = 1;
	return true;
}

bool cond_json_eval(struct cond_body *c, const char *path, size_t n, struct sb *b,
		    struct val *out, size_t *length)
{
	bool array = c->len && c->p[0] == '[' && c->p[c->len - 1] == ']';

	if (n == 0 && !array) {
		*out = (struct val){ c->p, c->len };
		*length = c->len;
		return true;
	}
	if (!body_json(c))
		return false;
	return walk(path, n, c->root, b, out, length);
}

void cond_body_done(struct cond_body *c)
{
	json_object_put(c->root);
	c->root = NULL;
	c->json = 0;
}

const char *cond_version(void)
{
	static char v[48];

	if (!v[0])
		snprintf(v, sizeof(v), "json-c/%s", json_c_version());
	return v;
}
