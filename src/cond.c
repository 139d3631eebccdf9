/* cond.c - conditions in Gatus' language, body regexes, and the verdict
 * they give (see cond.h). The only user of json-c.
 *
 * A condition compiles to two sides and an operator. A side is a
 * placeholder ([STATUS], [BODY].a.b...), maybe wrapped in len() or has(),
 * or plain text. Evaluating resolves each side to the string Gatus would
 * get (an INVALID side is the text "X (INVALID)", compared as such), then
 * compares as Gatus does: == and != as integers when both parse as Go
 * integers, else as strings, with pat() and any() on either side; the
 * others as Go-parsed numbers (golike.h). The message of a failing
 * condition is Gatus' prettify() of the two sides.
 *
 * [BODY] paths follow Gatus' jsonpath walk, quirks included: a path that
 * ends on an object gives its minified JSON (keys sorted), an array its
 * Go %v form ("[1 2 3]", "[map[id:1]]"), numbers print as Go prints a
 * float64, and JSON null or a missing key is INVALID (cond_json.c). */
#include "cond.h"

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cond_priv.h"
#include "config.h"
#include "golike.h"
#include "util.h"

/* pat() messages cut the other side after this many runes (Gatus). */
#define PAT_SHOWN 25
#define INVALID_SUFFIX " (INVALID)"

enum op { OP_EQ, OP_NE, OP_LE, OP_GE, OP_GT, OP_LT };

/* Gatus tries them in this order and splits on the first that occurs. */
static const char *const op_text[] = { " == ", " != ", " <= ", " >= ", " > ", " < " };

enum ph {
	PH_TEXT,            /* not a placeholder: the text itself */
	PH_STATUS,
	PH_IP,
	PH_RESPONSE_TIME,
	PH_DNS_RCODE,
	PH_CONNECTED,
	PH_CERT,
	PH_BODY,
	PH_BODY_PATH,
	PH_HEADER,          /* uptop: [HEADER].Name */
};

enum fn { FN_NONE, FN_LEN, FN_HAS };

struct side {
	char *text;         /* the side as written, white space trimmed */
	size_t len;
	enum ph ph;
	enum fn fn;
	const char *arg;    /* PH_BODY_PATH: the path after [BODY] and one '.';
			     * PH_HEADER: the name, lower-cased (own copy) */
	size_t arglen;
	char *own;          /* what arg points into when not into text */
	bool dur_shown;     /* < > messages show its value as a duration */
};

struct cond {
	char *src;
	enum op op;
	struct side s[2];
};

struct cond_list {
	unsigned refs;
	struct cond *v;
	size_t n, cap;
	bool body;          /* some condition names [BODY] */
	char **hdrs;        /* lower-cased names [HEADER] asks for */
	size_t nhdrs, hcap;
};
/* ---- small text helpers --------------------------------------------------- */

static bool has_prefix(struct val v, const char *pre)
{
	size_t k = strlen(pre);

	return v.n >= k && memcmp(v.p, pre, k) == 0;
}

static bool has_suffix(struct val v, const char *suf)
{
	size_t k = strlen(suf);

	return v.n >= k && memcmp(v.p + v.n - k, suf, k) == 0;
}

static bool same(struct val a, struct val b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* ASCII case-insensitive: Gatus upper-cases placeholders before matching. */
static bool prefix_fold(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);

	return n >= k && strncasecmp(s, pre, k) == 0;
}

static bool equal_fold(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* ---- compiling ------------------------------------------------------------ */

static const struct {
	const char *name;
	enum ph ph;
} fixed[] = {
	{ "[STATUS]", PH_STATUS },
	{ "[IP]", PH_IP },
	{ "[RESPONSE_TIME]", PH_RESPONSE_TIME },
	{ "[DNS_RCODE]", PH_DNS_RCODE },
	{ "[CONNECTED]", PH_CONNECTED },
	{ "[CERTIFICATE_EXPIRATION]", PH_CERT },
	{ "[BODY]", PH_BODY },
};

static bool header_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "[NAME" followed by ']' with NAME of letters and '_': someone meant a
 * placeholder. */
static bool looks_like_placeholder(const char *s, size_t n)
{
	size_t i = 1;

	if (n < 3 || s[0] != '[')
		return false;
	while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			 s[i] == '_'))
		i++;
	return i > 1 && i < n && s[i] == ']';
}

static int side_compile(struct side *sd, const char *p, size_t n, const char *src, char *err,
			size_t errlen, char *warn, size_t warnlen)
{
	const char *in;
	size_t inlen;
	int64_t ns;

	p = go_trim_space(p, &n);
	sd->text = xstrndup(p, n);
	sd->len = n;
	sd->ph = PH_TEXT;
	sd->fn = FN_NONE;
	in = sd->text;
	inlen = n;
	if (n >= 5 && sd->text[n - 1] == ')' &&
	    (memcmp(sd->text, "len(", 4) == 0 || memcmp(sd->text, "has(", 4) == 0)) {
		sd->fn = sd->text[0] == 'l' ? FN_LEN : FN_HAS;
		in += 4;
		inlen -= 5;
	}
	sd->dur_shown = strcmp(sd->text, "[CERTIFICATE_EXPIRATION]") == 0 ||
			go_parse_duration(sd->text, n, &ns);
	for (size_t i = 0; i < ARRAY_LEN(fixed); i++)
		if (equal_fold(in, inlen, fixed[i].name))
			sd->ph = fixed[i].ph;
	if (sd->ph == PH_TEXT && (prefix_fold(in, inlen, "[BODY].") ||
				  prefix_fold(in, inlen, "[BODY]["))) {
		sd->ph = PH_BODY_PATH;
		sd->arg = in + 6;
		sd->arglen = inlen - 6;
		if (sd->arglen && sd->arg[0] == '.') {
			sd->arg++;
			sd->arglen--;
		}
	}
	if (equal_fold(in, inlen, "[DOMAIN_EXPIRATION]")) {
		snprintf(err, errlen, "[DOMAIN_EXPIRATION] is not supported (uptop does no "
			 "WHOIS lookups)");
		return -1;
	}
	if (sd->ph == PH_TEXT && prefix_fold(in, inlen, "[HEADER]")) {
		size_t k = 8;

		if (inlen < 10 || in[8] != '.') {
			snprintf(err, errlen, "write [HEADER].Name, with the name of a response "
				 "header");
			return -1;
		}
		for (k = 9; k < inlen; k++)
			if (!header_char((unsigned char)in[k]))
				break;
		if (k < inlen) {
			snprintf(err, errlen, "%.*s: a header name is letters, digits and - (like "
				 "[HEADER].Content-Type)", (int)inlen, in);
			return -1;
		}
		sd->ph = PH_HEADER;
		sd->own = xstrndup(in + 9, inlen - 9);
		for (char *c = sd->own; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		sd->arg = sd->own;
		sd->arglen = inlen - 9;
	}
	if (sd->ph == PH_TEXT && looks_like_placeholder(in, inlen) && !*warn)
		snprintf(warn, warnlen, "%.*s is not a placeholder (known: [STATUS], "
			 "[RESPONSE_TIME], [IP], [CONNECTED], [BODY], [HEADER].Name, "
			 "[CERTIFICATE_EXPIRATION], [DNS_RCODE]); as in Gatus it is compared "
			 "as text", (int)(memchr(in, ']', inlen) - (const void *)in + 1), in);
	if ((sd->ph == PH_BODY || sd->ph == PH_BODY_PATH) && !strstr(src, "[BODY]") && !*warn)
		snprintf(warn, warnlen, "as in Gatus, the body is read only when a condition "
			 "writes [BODY] in capitals; this one sees an empty body");
	return 0;
}

static void side_free(struct side *sd)
{
	free(sd->text);
	free(sd->own);
}

struct cond_list *cond_list_new(void)
{
	struct cond_list *l = xcalloc(1, sizeof(*l));

	l->refs = 1;
	return l;
}

static void want_header(struct cond_list *l, const char *name)
{
	for (size_t i = 0; i < l->nhdrs; i++)
		if (strcmp(l->hdrs[i], name) == 0)
			return;
	l->hdrs = xreallocarray_grow(l->hdrs, &l->hcap, l->nhdrs + 1, sizeof(*l->hdrs));
	l->hdrs[l->nhdrs++] = xstrdup(name);
}

int cond_list_add(struct cond_list *l, const char *src, char *err, size_t errlen,
		  char *warn, size_t warnlen)
{
	struct cond c = { 0 };
	const char *at = NULL, *second;
	size_t oplen = 0;

	if (warnlen)
		warn[0] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(op_text) && !at; i++) {
		if ((at = strstr(src, op_text[i]))) {
			c.op = (enum op)i;
			oplen = strlen(op_text[i]);
		}
	}
	if (!at) {
		snprintf(err, errlen, "invalid condition: no operator (write '<left> <op> "
			 "<right>' with a space on each side of ==, !=, <, <=, > or >=)");
		return -1;
	}
	second = strstr(at + oplen, op_text[c.op]);
	if (side_compile(&c.s[0], src, (size_t)(at - src), src, err, errlen, warn, warnlen) < 0 ||
	    side_compile(&c.s[1], at + oplen, second ? (size_t)(second - at - oplen) :
			 strlen(at + oplen), src, err, errlen, warn, warnlen) < 0) {
		side_free(&c.s[0]);
		side_free(&c.s[1]);
		return -1;
	}
	if (second && !*warn)
		snprintf(warn, warnlen, "'%s' appears twice: as in Gatus, only the first two "
			 "sides are compared and the rest is ignored", op_text[c.op] + 1);
	c.src = xstrdup(src);
	for (int i = 0; i < 2; i++)
		if (c.s[i].ph == PH_HEADER)
			want_header(l, c.s[i].arg);
	if (strstr(src, "[BODY]"))
		l->body = true;
	l->v = xreallocarray_grow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = c;
	return 0;
}

struct cond_list *cond_list_ref(struct cond_list *l)
{
	if (l)
		l->refs++;
	return l;
}

void cond_list_unref(struct cond_list *l)
{
	if (!l || --l->refs)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].src);
		side_free(&l->v[i].s[0]);
		side_free(&l->v[i].s[1]);
	}
	for (size_t i = 0; i < l->nhdrs; i++)
		free(l->hdrs[i]);
	free(l->hdrs);
	free(l->v);
	free(l);
}

size_t cond_list_len(const struct cond_list *l)
{
	return l ? l->n : 0;
}

const char *cond_list_source(const struct cond_list *l, size_t i)
{
	return i < l->n ? l->v[i].src : NULL;
}

bool cond_list_needs_body(const struct cond_list *l)
{
	return l && l->body;
}

const char *const *cond_list_headers(const struct cond_list *l, size_t *n)
{
	*n = l ? l->nhdrs : 0;
	return l ? (const char *const *)l->hdrs : NULL;
}
/* One evaluation: the result, what was captured, the body parsed once. */
struct ectx {
	const struct result *r;
	struct cond_body body;
	const char *hdrs;
	size_t hdrs_len;
	struct cond_memo *memo;     /* NULL: resolve every side */
};

/* ---- the memo of a target's last body ------------------------------------- */

/* A body larger than this is parsed every time (its copy would cost more
 * memory than a 10,000-target config should spend on it), and so are
 * sides whose values pass MEMO_VALS_MAX together. */
#define MEMO_BODY_MAX 4096
#define MEMO_VALS_MAX 4096

struct memo_slot {
	uint32_t off, n;
	bool set;
};

/* What the body's sides ([BODY] paths, len([BODY])) resolved to, and the
 * body they were resolved from. Those values depend on the body's bytes
 * alone, so a byte-identical body (a health endpoint's answer, check after
 * check) takes them from here instead of parsing it again: json-c's parse
 * and free were most of a JSON condition's cost (about 25,000 instructions
 * per check for a 130-byte body, callgrind). */
struct cond_memo {
	const struct cond_list *list;
	size_t nconds;
	bool have_body;
	struct sb body;
	struct memo_slot *slot;     /* 2 per condition: its left and right */
	struct sb vals;
};

void cond_memo_free(struct cond_memo *m)
{
	if (!m)
		return;
	cond_list_unref((struct cond_list *)m->list);
	free(m->body.p);
	free(m->slot);
	free(m->vals.p);
	free(m);
}

/* The memo to evaluate l on this body with: the same body keeps what it
 * holds, another one empties it; NULL when l reads no body or the body is
 * too large to keep. */
static struct cond_memo *memo_for(struct cond_memo **mp, const struct cond_list *l,
				  const char *body, size_t len)
{
	struct cond_memo *m = *mp;

	if (!l->body || len > MEMO_BODY_MAX)
		return NULL;
	if (!m)
		m = *mp = xcalloc(1, sizeof(*m));
	if (m->list != l || m->nconds != l->n) {
		/* The memo holds the list: its address cannot come back as
		 * another list's while the memo lives. */
		cond_list_unref((struct cond_list *)m->list);
		m->list = cond_list_ref((struct cond_list *)l);
		free(m->slot);
		m->slot = xcalloc(2 * l->n, sizeof(*m->slot));
		m->nconds = l->n;
		m->have_body = false;
	}
	if (m->have_body && m->body.n == len && memcmp(m->body.p, body, len) == 0)
		return m;
	m->body.n = 0;
	sb_add(&m->body, body, len);
	memset(m->slot, 0, 2 * l->n * sizeof(*m->slot));
	m->vals.n = 0;
	m->have_body = true;
	return m;
}

/* ---- resolving a side ----------------------------------------------------- */

/* The value of header `name` (lower-case): every line of it joined with
 * ", "; false when absent. */
static bool header_value(const struct ectx *c, const char *name, size_t nlen, struct sb *b)
{
	const char *p = c->hdrs, *end = c->hdrs + c->hdrs_len;
	bool found = false;

	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon;

		if (!eol)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon && (size_t)(colon - p) == nlen && strncasecmp(p, name, nlen) == 0) {
			const char *v = colon + 1, *ve = eol;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
				ve--;
			if (found)
				sb_str(b, ", ");
			sb_add(b, v, (size_t)(ve - v));
			found = true;
		}
		p = eol + 1;
	}
	return found;
}

static struct val invalid(const struct side *sd, struct sb *b)
{
	b->n = 0;
	sb_add(b, sd->text, sd->len);
	sb_str(b, INVALID_SUFFIX);
	return (struct val){ b->p, b->n };
}

/* formatWithFunction: len() is the byte length, has() non-empty. */
static struct val with_fn(const struct side *sd, struct val v, struct sb *b)
{
	if (sd->fn == FN_NONE)
		return v;
	if (sd->fn == FN_HAS)
		return (struct val){ v.n ? "true" : "false", v.n ? 4 : 5 };
	b->n = 0;
	sb_int(b, (long long)v.n);
	return (struct val){ b->p, b->n };
}

static struct val number(long long v, struct sb *b)
{
	b->n = 0;
	sb_int(b, v);
	return (struct val){ b->p, b->n };
}

/* ResolvePlaceholder: the string Gatus compares for this side. `b` holds
 * it when it is not in place. */
static struct val resolve(struct ectx *c, const struct side *sd, struct sb *b)
{
	const struct result *r = c->r;
	struct val v;
	size_t length, n;
	const char *t;

	b->n = 0;
	switch (sd->ph) {
	case PH_TEXT:
		if (sd->fn == FN_HAS)
			return (struct val){ "false", 5 };
		if (sd->fn == FN_LEN)
			return invalid(sd, b);
		return (struct val){ sd->text, sd->len };
	case PH_STATUS:
		return with_fn(sd, number(r->http_status, b), b);
	case PH_IP:
		return with_fn(sd, (struct val){ r->remote_ip, strlen(r->remote_ip) }, b);
	case PH_RESPONSE_TIME:
		return with_fn(sd, number((long long)r->t.total_ms, b), b);
	case PH_DNS_RCODE:
		return with_fn(sd, (struct val){ r->dns_rcode, strlen(r->dns_rcode) }, b);
	case PH_CONNECTED:
		v = r->connected || r->http_status > 0 ? (struct val){ "true", 4 } :
							  (struct val){ "false", 5 };
		return with_fn(sd, v, b);
	case PH_CERT:
		/* time.Until(notAfter) of the server's own certificate
		 * (Gatus' PeerCertificates[0]) when the answer came. */
		return with_fn(sd, number(r->cert_leaf_not_after_ms ?
			       r->cert_leaf_not_after_ms - r->start_wall_ms -
			       (long long)r->t.total_ms : 0, b), b);
	case PH_BODY:
		n = c->body.len;
		t = go_trim_space(c->body.p, &n);
		if (sd->fn == FN_HAS)
			return (struct val){ n ? "true" : "false", n ? 4 : 5 };
		if (sd->fn == FN_LEN) {
			if (cond_json_eval(&c->body, "", 0, b, &v, &length))
				return number((long long)length, b);
			return number((long long)n, b);
		}
		return (struct val){ t, n };
	case PH_BODY_PATH:
		if (!cond_json_eval(&c->body, sd->arg, sd->arglen, b, &v, &length))
			return sd->fn == FN_HAS ? (struct val){ "false", 5 } : invalid(sd, b);
		if (sd->fn == FN_HAS)
			return (struct val){ "true", 4 };
		if (sd->fn == FN_LEN)
			return number((long long)length, b);
		return v;
	case PH_HEADER:
		if (!header_value(c, sd->arg, sd->arglen, b))
			return sd->fn == FN_HAS ? (struct val){ "false", 5 } : invalid(sd, b);
		v = (struct val){ b->p, b->n };
		if (sd->fn == FN_HAS)
			return (struct val){ "true", 4 };
		if (sd->fn == FN_LEN)
			return number((long long)v.n, b);
		return v;
	}
	return (struct val){ sd->text, sd->len };
}

/* Whether a side's value comes from the body's JSON. */
static bool body_side(const struct side *sd)
{
	return sd->ph == PH_BODY_PATH || (sd->ph == PH_BODY && sd->fn == FN_LEN);
}

/* resolve(), through the memo for the body's sides. A value taken from
 * the memo is copied into b: a later side may grow the memo's buffer. */
static struct val resolve_side(struct ectx *c, const struct side *sd, size_t slot,
			       struct sb *b)
{
	struct cond_memo *m = c->memo;
	struct memo_slot *s;
	struct val v;

	if (!m || !body_side(sd))
		return resolve(c, sd, b);
	s = &m->slot[slot];
	if (s->set) {
		b->n = 0;
		sb_add(b, m->vals.p + s->off, s->n);
		return (struct val){ b->p, b->n };
	}
	v = resolve(c, sd, b);
	if (m->vals.n + v.n <= MEMO_VALS_MAX) {
		*s = (struct memo_slot){ (uint32_t)m->vals.n, (uint32_t)v.n, true };
		sb_add(&m->vals, v.p, v.n);
	}
	return v;
}

/* ---- comparing and the message -------------------------------------------- */

static struct val strip_fn(struct val v)
{
	return (struct val){ v.p + 4, v.n - 5 };
}

/* any(a, b, c): one option, trimmed, equals x. */
static bool any_has(struct val opts, struct val x)
{
	const char *p = opts.p, *end = opts.p + opts.n;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = (size_t)((comma ? comma : end) - p);
		const char *o = go_trim_space(p, &n);

		if (same((struct val){ o, n }, x))
			return true;
		if (!comma)
			return false;
		p = comma + 1;
	}
}

/* Gatus' isEqual. */
static bool is_equal(struct val a, struct val b)
{
	bool fs = has_suffix(a, ")"), ss = has_suffix(b, ")");
	int64_t x, y;

	if (fs || ss) {
		bool fp = false, sp = false, fa = false, sa = false;

		if (has_prefix(a, "pat(") && fs) {
			fp = true;
			a = strip_fn(a);
		}
		if (has_prefix(b, "pat(") && ss) {
			sp = true;
			b = strip_fn(b);
		}
		if (fp != sp)
			return fp ? go_pattern_match(a.p, a.n, b.p, b.n) :
				    go_pattern_match(b.p, b.n, a.p, a.n);
		/* The suffix flags are the ones seen before pat() was cut. */
		if (has_prefix(a, "any(") && fs) {
			fa = true;
			a = strip_fn(a);
		}
		if (has_prefix(b, "any(") && ss) {
			sa = true;
			b = strip_fn(b);
		}
		if (fa != sa)
			return fa ? any_has(a, b) : any_has(b, a);
	}
	if (go_parse_int(a.p, a.n, &x) && go_parse_int(b.p, b.n, &y))
		return x == y;
	return same(a, b);
}

static bool is_pat(const struct side *sd)
{
	return sd->len >= 5 && memcmp(sd->text, "pat(", 4) == 0 && sd->text[sd->len - 1] == ')';
}

/* fmt's "%.25s...(truncated)": 25 runes. */
static struct val cut_for_pattern(struct val v, struct sb *b)
{
	size_t i = 0, k;

	if (v.n <= PAT_SHOWN)
		return v;
	for (int runes = 0; runes < PAT_SHOWN && i < v.n; runes++) {
		go_decode_rune(v.p + i, v.n - i, &k);
		i += k;
	}
	b->n = 0;
	sb_add(b, v.p, i);
	sb_str(b, "...(truncated)");
	return (struct val){ b->p, b->n };
}

/* One side of prettify(): "X", "X (resolved)" or "X (INVALID)". */
static void shown(struct sb *out, const struct side *sd, struct val v)
{
	bool inv = v.n == sd->len + strlen(INVALID_SUFFIX) && memcmp(v.p, sd->text, sd->len) == 0 &&
		   memcmp(v.p + sd->len, INVALID_SUFFIX, strlen(INVALID_SUFFIX)) == 0;

	if (inv || same(v, (struct val){ sd->text, sd->len })) {
		sb_add(out, v.p, v.n);
		return;
	}
	sb_add(out, sd->text, sd->len);
	sb_str(out, " (");
	sb_add(out, v.p, v.n);
	sb_char(out, ')');
}

static struct sb side_buf[2], cut_buf[2], line;

/* Evaluates one condition; on failure its message is in `line`. */
static bool cond_eval(struct ectx *c, const struct cond_list *l, size_t at,
		      bool resolve_failed)
{
	const struct cond *cd = &l->v[at];
	struct val v[2];
	int64_t n[2];
	bool ok;

	for (int i = 0; i < 2; i++)
		v[i] = resolve_side(c, &cd->s[i], 2 * at + (size_t)i, &side_buf[i]);
	if (cd->op == OP_EQ || cd->op == OP_NE) {
		ok = is_equal(v[0], v[1]) == (cd->op == OP_EQ);
	} else {
		for (int i = 0; i < 2; i++)
			n[i] = go_numeric(v[i].p, v[i].n);
		ok = cd->op == OP_LE ? n[0] <= n[1] : cd->op == OP_GE ? n[0] >= n[1] :
		     cd->op == OP_GT ? n[0] > n[1] : n[0] < n[1];
	}
	if (ok)
		return true;
	line.n = 0;
	if (!resolve_failed) {
		sb_str(&line, cd->src);
		return false;
	}
	if (cd->op != OP_EQ && cd->op != OP_NE) {
		/* prettifyNumericalParameters: the numbers, or durations. */
		for (int i = 0; i < 2; i++) {
			struct sb *b = &side_buf[i];
			char d[64];

			b->n = 0;
			if (cd->s[i].dur_shown)
				sb_add(b, d, go_gatus_duration(n[i], d, sizeof(d)));
			else
				sb_int(b, (long long)n[i]);
			v[i] = (struct val){ b->p, b->n };
		}
	}
	if (is_pat(&cd->s[0]))
		v[1] = cut_for_pattern(v[1], &cut_buf[1]);
	if (is_pat(&cd->s[1]))
		v[0] = cut_for_pattern(v[0], &cut_buf[0]);
	shown(&line, &cd->s[0], v[0]);
	sb_char(&line, ' ');
	sb_str(&line, op_text[cd->op] + 1);
	shown(&line, &cd->s[1], v[1]);
	return false;
}

/* Appends s to msg[0..len) at *at; a cut ends on a UTF-8 boundary with
 * "...". */
static void msg_add(char *msg, size_t len, size_t *at, const char *s, size_t n)
{
	size_t room;

	if (*at + 1 >= len)
		return;
	room = len - 1 - *at;
	if (n <= room) {
		memcpy(msg + *at, s, n);
		*at += n;
		msg[*at] = '\0';
		return;
	}
	if (room < 3) {
		msg[*at] = '\0';
		return;
	}
	n = room - 3;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(msg + *at, s, n);
	memcpy(msg + *at + n, "...", 3);
	*at += n + 3;
	msg[*at] = '\0';
}

size_t cond_list_eval(const struct cond_list *l, const struct result *r,
		      const struct resp_view *v, bool resolve, char *msg, size_t len,
		      struct cond_memo **memo)
{
	struct ectx c = { .r = r, .body = { .p = "" }, .hdrs = "" };
	size_t failed = 0, at = 0;

	if (len)
		msg[0] = '\0';
	if (!l)
		return 0;
	if (v && v->body) {
		c.body.p = v->body;
		c.body.len = v->body_len;
	}
	if (v && v->headers) {
		c.hdrs = v->headers;
		c.hdrs_len = v->headers_len;
	}
	if (memo)
		c.memo = memo_for(memo, l, c.body.p, c.body.len);
	for (size_t i = 0; i < l->n; i++) {
		if (cond_eval(&c, l, i, resolve))
			continue;
		if (failed++)
			msg_add(msg, len, &at, "; ", 2);
		msg_add(msg, len, &at, line.p, line.n);
	}
	cond_body_done(&c.body);
	return failed;
}

/* ---- body regexes --------------------------------------------------------- */

struct cond_regex {
	unsigned refs;
	regex_t re;
	char *src;
};

struct cond_regex *cond_regex_new(const char *pattern, char *err, size_t errlen)
{
	struct cond_regex *re = xcalloc(1, sizeof(*re));
	int rc = regcomp(&re->re, pattern, REG_EXTENDED | REG_NEWLINE);

	if (rc != 0) {
		regerror(rc, &re->re, err, errlen);
		free(re);
		return NULL;
	}
	re->refs = 1;
	re->src = xstrdup(pattern);
	return re;
}

struct cond_regex *cond_regex_ref(struct cond_regex *re)
{
	if (re)
		re->refs++;
	return re;
}

void cond_regex_unref(struct cond_regex *re)
{
	if (!re || --re->refs)
		return;
	regfree(&re->re);
	free(re->src);
	free(re);
}

const char *cond_regex_source(const struct cond_regex *re)
{
	return re->src;
}

bool cond_regex_search(const struct cond_regex *re, const char *body, size_t len, size_t *at,
		       size_t *mlen)
{
	regmatch_t m = { .rm_so = 0, .rm_eo = (regoff_t)len };

	if (regexec(&re->re, body ? body : "", 1, &m, REG_STARTEND) != 0)
		return false;
	*at = (size_t)m.rm_so;
	*mlen = (size_t)(m.rm_eo - m.rm_so);
	return true;
}

/* ---- the verdict ---------------------------------------------------------- */

bool cond_needs_body(const struct target_conf *t)
{
	return cond_list_needs_body(t->conditions) || t->body_matches || t->body_not_matches;
}

/* A regex and the bytes read, for messages: at most 60 bytes of each. */
static void regex_message(struct result *r, bool want,
			  const struct cond_regex *re, const char *body, size_t at, size_t mlen)
{
	const char *unit = r->bytes == 1 ? "byte" : "bytes";
	const char *cut = r->body_truncated ? ", stopped at max_body" : "";
	size_t n = strlen(re->src);
	int shown = n > 60 ? 60 : (int)n;

	r->cls = EC_BODY;
	if (want)
		snprintf(r->msg, sizeof(r->msg), "body does not match /%.*s/%s (%llu %s read%s)",
			 shown, re->src, n > 60 ? "..." : "", (unsigned long long)r->bytes, unit,
			 cut);
	else
		snprintf(r->msg, sizeof(r->msg), "body matches /%.*s/%s at byte %zu: \"%.*s%s\"",
			 shown, re->src, n > 60 ? "..." : "", at, mlen > 60 ? 60 : (int)mlen,
			 body + at, mlen > 60 ? "..." : "");
}

static bool answered(enum eclass c)
{
	return c == EC_NONE || eclass_is_degraded(c);
}

void cond_apply(const struct target_conf *t, struct result *r, const struct resp_view *v,
		struct cond_memo **memo)
{
	const char *body = v && v->body ? v->body : "";
	size_t blen = v && v->body ? v->body_len : 0, at = 0, mlen = 0;
	char msg[RESULT_MSG_LEN];

	if (r->cls == EC_LOCAL || r->cls == EC_INTERNAL)
		return;
	if (answered(r->cls) && t->body_matches &&
	    !cond_regex_search(t->body_matches, body, blen, &at, &mlen)) {
		regex_message(r, true, t->body_matches, body, 0, 0);
		return;
	}
	if (answered(r->cls) && t->body_not_matches &&
	    cond_regex_search(t->body_not_matches, body, blen, &at, &mlen)) {
		regex_message(r, false, t->body_not_matches, body, at, mlen);
		return;
	}
	if (!t->conditions)
		return;
	if (cond_list_eval(t->conditions, r, v, !t->conditions_unresolved, msg, sizeof(msg),
			   memo) == 0) {
		/* Gatus: the conditions alone decide. Our own checks
		 * (expect_status, body_contains, body regexes) still hold,
		 * and so does an answer that broke after its status line
		 * (reset or timeout mid-body): only a check that got no
		 * answer at all is judged by its conditions alone. */
		if (!answered(r->cls) && r->cls != EC_STATUS && r->cls != EC_BODY &&
		    r->http_status == 0) {
			r->cls = EC_NONE;
			r->msg[0] = '\0';
		}
		return;
	}
	if (answered(r->cls)) {
		r->cls = EC_CONDITION;
		snprintf(r->msg, sizeof(r->msg), "%s", msg);
	}
}
