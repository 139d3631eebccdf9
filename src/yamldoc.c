/* yamldoc.c - a YAML tree built in one pass over libyaml's events, with
 * merge keys, shared aliases and guards. */
#include "yamldoc.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct ymsg {
	int line, col;
	size_t seq;
	char *msg;
};

/* The document's nodes, strings and arrays live in a few large chunks
 * freed together: no allocation per node, and nothing of libyaml's is
 * kept once its event is read. */
struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t mem[];
};

#define CHUNK_MIN 16384
#define CHUNK_MAX (1024 * 1024)

struct yamldoc {
	struct chunk *chunks;      /* the newest first; the head is filled next */
	size_t next_cap;
	const struct ynode *root;
};

/* A node and what the guards need to know of it while the document is
 * read; every ynode handed out is the first member of one. */
struct ynodex {
	struct ynode n;
	uint32_t size;             /* node count were aliases expanded (saturates;
				    * over YAMLDOC_MAX_NODES is refused) */
	uint8_t depth;             /* depth were aliases expanded (at most
				    * YAMLDOC_MAX_DEPTH + 1: more is refused) */
	bool open;                 /* a collection still being read: an alias
				    * to it would make a cycle */
};

_Static_assert(YAMLDOC_MAX_DEPTH < UINT8_MAX, "ynodex.depth is a byte");
_Static_assert(YAMLDOC_MAX_NODES < UINT32_MAX, "ynodex.size is 32 bits");

/* A key/value pair competing for a place in a merged mapping. */
struct cand {
	const struct ynode *key, *value;
	size_t order;              /* explicit keys first, then merge order */
	bool explicit_key;
	bool dropped;
};

/* A collection being read. Its buffers are kept for the next collection
 * at the same depth, so a long list of small mappings allocates nothing
 * per mapping. */
struct frame {
	struct ynodex *x;
	size_t base;               /* sequence: its items start here in kids */
	const struct ynode *key;   /* mapping: a key waiting for its value */
	struct cand *v, *mv;       /* mapping: explicit pairs, merged pairs */
	size_t nv, cv, nm, cm;
};

struct anchor {
	char *name;                /* owned */
	struct ynodex *x;          /* NULL when the document is not built */
	yaml_mark_t mark;
};

/* One load. Who wins when several things are wrong is what it was when
 * the guards ran over the whole stream first, then libyaml's loader read
 * the first document (and the second, to refuse it), and only then the
 * tree was built: a guard over everything, a syntax or composer error
 * over a second document, and all of those over the tree's own messages,
 * which are dropped (back to `mark`) when one of them comes later. */
struct builder {
	struct yamldoc *d;
	struct ysink *errs;
	size_t mark;               /* errs->n on entry */
	int doc;                   /* documents started */
	yaml_mark_t doc2;          /* where the second one starts */
	bool building;             /* in the first document, nothing fatal yet */
	bool decided;              /* a syntax, composer or second-document
				    * error is the outcome */
	bool build_failed;         /* the tree refused (its messages kept) */
	const struct ynode *root;
	struct frame frames[YAMLDOC_MAX_DEPTH];
	int top;                   /* frames in use */
	int frames_used;           /* frames with buffers to free */
	const struct ynode **kids; /* items of open sequences, innermost last */
	size_t nkids, ckids;
	struct anchor *anchors;    /* this document's, in order */
	size_t nanchors, canchors;
	size_t work;               /* merged pairs copied so far */
	/* the guards, counted on every event of the stream */
	int depth;
	size_t nodes;
	uint64_t nanchor_ev, naliases, anchor_bytes, lookups;
};

void ysink_init(struct ysink *s, const char *file)
{
	memset(s, 0, sizeof(*s));
	s->file = file;
}

void ysink_addf(struct ysink *s, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ysink_vaddf(s, line, col, fmt, ap);
	va_end(ap);
}

void ysink_vaddf(struct ysink *s, int line, int col, const char *fmt, va_list ap)
{
	va_list ap2;
	struct ymsg *m;
	int n;

	s->v = xreallocarray_grow(s->v, &s->cap, s->n + 1, sizeof(*s->v));
	m = &s->v[s->n];
	m->line = line;
	m->col = col;
	m->seq = s->n++;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	m->msg = xmalloc((size_t)n + 1);
	vsnprintf(m->msg, (size_t)n + 1, fmt, ap);
}

static int ymsg_cmp(const void *a, const void *b)
{
	const struct ymsg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ysink_flush(struct ysink *s, struct diag *d)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), ymsg_cmp);
	for (size_t i = 0; i < s->n; i++)
		diag_addf(d, "%s:%d:%d: %s", s->file, s->v[i].line, s->v[i].col, s->v[i].msg);
	ysink_clear(s);
}

void ysink_clear(struct ysink *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].msg);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Rotating buffers let a message quote several values without frees. */
static char *scratch(void)
{
	static char bufs[8][160];
	static unsigned next;

	return bufs[next++ % ARRAY_LEN(bufs)];
}

const char *yquote(const char *s, size_t len)
{
	char *out = scratch();
	size_t at = 0, i;

	out[at++] = '\'';
	for (i = 0; i < len && at < 120; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Echoed file text must not drive the terminal: escape C0, DEL
		 * and C1 (U+0080-U+009F, which UTF-8 writes as C2 80-9F). */
		if (c < 0x20 || c == 0x7f) {
			at += (size_t)snprintf(out + at, 8, "\\x%02x", c);
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
			   (unsigned char)s[i + 1] <= 0x9f) {
			at += (size_t)snprintf(out + at, 8, "\\u%04x", (unsigned char)s[++i]);
		} else {
			out[at++] = (char)c;
		}
	}
	if (i < len) {
		while (at > 1 && ((unsigned char)out[at - 1] & 0xc0) == 0x80)
			at--;      /* do not cut a UTF-8 sequence */
		if (at > 1 && (unsigned char)out[at - 1] >= 0xc0)
			at--;
		memcpy(out + at, "...", 3);
		at += 3;
	}
	out[at++] = '\'';
	out[at] = '\0';
	return out;
}

bool ynode_is_null(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR || !n->plain)
		return false;
	return n->len == 0 || strcmp(n->str, "~") == 0 || strcasecmp(n->str, "null") == 0;
}

const char *ynode_describe(const struct ynode *n)
{
	if (n->kind == YNODE_MAP)
		return "a mapping";
	if (n->kind == YNODE_SEQ)
		return "a sequence";
	if (ynode_is_null(n))
		return "an empty value";
	return yquote(n->str, n->len);
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	size_t klen = strlen(key);

	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->pairs[i].key;

		if (k->len == klen && memcmp(k->str, key, klen) == 0)
			return map->pairs[i].value;
	}
	return NULL;
}

const struct ynode *yamldoc_root(const struct yamldoc *d)
{
	return d->root;
}

void yamldoc_free(struct yamldoc *d)
{
	if (!d)
		return;
	for (struct chunk *c = d->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(d);
}

/* Bump allocation from the head chunk; a request larger than a quarter of
 * a chunk gets a chunk of its own, behind the head. Never NULL. */
static void *doc_alloc(struct yamldoc *d, size_t size, size_t align)
{
	struct chunk *c = d->chunks, *nc;
	size_t at, cap;

	if (c) {
		at = (c->used + align - 1) & ~(align - 1);
		if (at <= c->cap && size <= c->cap - at) {
			c->used = at + size;
			return (unsigned char *)c->mem + at;
		}
	}
	cap = d->next_cap ? d->next_cap : CHUNK_MIN;
	if (size > cap / 4) {
		if (size > SIZE_MAX - sizeof(*nc))
			fatal("out of memory (a YAML node of %zu bytes)", size);
		nc = xmalloc(sizeof(*nc) + size);
		nc->used = nc->cap = size;
		if (c) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = NULL;
			d->chunks = nc;
		}
		return nc->mem;
	}
	nc = xmalloc(sizeof(*nc) + cap);
	prefault(nc, sizeof(*nc) + cap);     /* filled before the next one */
	nc->cap = cap;
	nc->used = size;
	nc->next = c;
	d->chunks = nc;
	d->next_cap = cap < CHUNK_MAX ? cap * 2 : CHUNK_MAX;
	return nc->mem;
}

/* Line and column (1-based, in characters) of a byte offset: libyaml's
 * reader errors carry only the offset. */
static void offset_pos(const char *buf, size_t len, size_t off, int *line, int *col)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

/* The byte at a libyaml mark, found by its character index; -1 when the
 * input is not UTF-8 or the index is past the end. */
static int char_at_mark(const char *buf, size_t len, size_t index)
{
	size_t i = 0, chars = 0;

	if (len >= 2 && ((unsigned char)buf[0] == 0xff || (unsigned char)buf[0] == 0xfe))
		return -1;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	for (; i < len; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (chars++ == index)
			return (unsigned char)buf[i];
	}
	return -1;
}

static void report_parser_error(const yaml_parser_t *p, const char *buf, size_t len,
				struct ysink *errs)
{
	const char *problem = p->problem ? p->problem : "unknown error", *hint = "";
	int line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		ysink_addf(errs, 1, 1, "out of memory while parsing YAML");
		return;
	case YAML_READER_ERROR:
		offset_pos(buf, len, p->problem_offset, &line, &col);
		if (p->problem_value >= 0)
			ysink_addf(errs, line, col, "cannot read the text: %s (0x%02X); "
				   "the file must be UTF-8", problem, (unsigned)p->problem_value);
		else
			ysink_addf(errs, line, col, "cannot read the text: %s; "
				   "the file must be UTF-8", problem);
		return;
	default:
		break;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (char_at_mark(buf, len, p->problem_mark.index) == '\t')
		hint = "; YAML does not allow tabs for indentation, use spaces";
	if (p->context)
		ysink_addf(errs, line, col, "YAML syntax error: %s (%s at line %d, column %d)%s",
			   problem, p->context, (int)p->context_mark.line + 1,
			   (int)p->context_mark.column + 1, hint);
	else
		ysink_addf(errs, line, col, "YAML syntax error: %s%s", problem, hint);
}

/* Drops the messages added after the first n. */
static void ysink_truncate(struct ysink *s, size_t n)
{
	while (s->n > n)
		free(s->v[--s->n].msg);
}

/* A syntax, composer or second-document error decides the outcome: the
 * tree's messages so far go, and nothing more is built. */
static void decide(struct builder *b)
{
	ysink_truncate(b->errs, b->mark);
	b->decided = true;
	b->building = false;
}

/* The errors libyaml's loader would give (its wording, its marks). */
static void composer_error(struct builder *b, const yaml_mark_t *at, const char *problem,
			   const char *context, const yaml_mark_t *context_at)
{
	int line = (int)at->line + 1, col = (int)at->column + 1;

	decide(b);
	if (context)
		ysink_addf(b->errs, line, col, "YAML error: %s at line %d, column %d; %s here",
			   context, (int)context_at->line + 1, (int)context_at->column + 1,
			   problem);
	else
		ysink_addf(b->errs, line, col, "YAML error: %s", problem);
}

static int guard_fail(struct builder *b, const yaml_event_t *ev, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

static int guard_fail(struct builder *b, const yaml_event_t *ev, const char *fmt, ...)
{
	va_list ap;

	ysink_truncate(b->errs, b->mark);
	va_start(ap, fmt);
	ysink_vaddf(b->errs, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		    fmt, ap);
	va_end(ap);
	return -1;
}

static const char *event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/* The guards, on every event of the stream (later documents too) until
 * a syntax error. The anchor work is what libyaml's loader, which looks
 * anchors up linearly, would spend; it is kept as a limit because the
 * lookups here are linear too. */
static int guard(struct builder *b, const yaml_event_t *ev)
{
	yaml_event_type_t t = ev->type;
	const char *anchor = event_anchor(ev);

	if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
		if (++b->depth > YAMLDOC_MAX_DEPTH)
			return guard_fail(b, ev, "nesting is deeper than %d levels",
					  YAMLDOC_MAX_DEPTH);
	} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
		b->depth--;
	}
	if (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT ||
	    t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
		if (++b->nodes > YAMLDOC_MAX_NODES)
			return guard_fail(b, ev, "too many YAML nodes (more than %d)",
					  YAMLDOC_MAX_NODES);
	}
	if (t == YAML_ALIAS_EVENT || anchor) {
		b->lookups += b->anchor_bytes;
		if (t == YAML_ALIAS_EVENT) {
			b->naliases++;
		} else {
			b->nanchor_ev++;
			b->anchor_bytes += strlen(anchor) + 16;
		}
	}
	if (b->lookups > YAMLDOC_MAX_ANCHOR_WORK)
		return guard_fail(b, ev, "too many anchors and aliases (%llu anchors, "
				  "%llu aliases so far); a config needs only a few",
				  (unsigned long long)b->nanchor_ev,
				  (unsigned long long)b->naliases);
	return 0;
}

static size_t add_sat(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static uint32_t add_sat32(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* Fatal for the tree: its message stays, nothing more is built. */
static void build_fail(struct builder *b)
{
	b->building = false;
	b->build_failed = true;
}

static int cand_by_key(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int c = memcmp(a->key->str, b->key->str, n);

	if (c)
		return c;
	if (a->key->len != b->key->len)
		return a->key->len < b->key->len ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int cand_by_order(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	return a->order < b->order ? -1 : a->order > b->order;
}

static void cand_push(struct cand **v, size_t *n, size_t *cap, const struct ynode *k,
		      const struct ynode *val, bool explicit_key)
{
	*v = xreallocarray_grow(*v, cap, *n + 1, sizeof(**v));
	(*v)[*n] = (struct cand){ .key = k, .value = val, .explicit_key = explicit_key };
	(*n)++;
}

/* Adds the pairs of a merge source (a mapping, or a sequence of mappings
 * where earlier ones win) after the explicit keys, which win over both. */
static void merge_source(struct builder *b, struct frame *f, const struct ynode *src)
{
	if (src->kind == YNODE_MAP) {
		/* counted before copying, or the copy itself could be huge */
		b->work = add_sat(b->work, src->n);
		if (b->work > YAMLDOC_MAX_NODES)
			return;
		for (size_t i = 0; i < src->n; i++)
			cand_push(&f->mv, &f->nm, &f->cm, src->pairs[i].key, src->pairs[i].value,
				  false);
		return;
	}
	if (src->kind == YNODE_SEQ) {
		for (size_t i = 0; i < src->n; i++) {
			if (src->items[i]->kind != YNODE_MAP) {
				ysink_addf(b->errs, src->items[i]->line, src->items[i]->col,
					   "merge key '<<' expects mappings, got %s",
					   ynode_describe(src->items[i]));
				continue;
			}
			merge_source(b, f, src->items[i]);
		}
		return;
	}
	ysink_addf(b->errs, src->line, src->col,
		   "merge key '<<' expects a mapping or a sequence of mappings, got %s",
		   ynode_describe(src));
}

static bool key_eq(const struct ynode *a, const struct ynode *b)
{
	return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* Keeps the first of each key; a second explicit one is a mistake, a
 * merged one is simply overridden. O(k log k) so huge maps stay cheap. */
static void dedupe(struct builder *b, struct cand *v, size_t n)
{
	size_t g = 0;

	if (n < 2)
		return;
	qsort(v, n, sizeof(*v), cand_by_key);
	for (size_t i = 1; i < n; i++) {
		if (!key_eq(v[g].key, v[i].key)) {
			g = i;
			continue;
		}
		v[i].dropped = true;
		if (v[i].explicit_key)
			ysink_addf(b->errs, v[i].key->line, v[i].key->col,
				   "duplicate key %s (first at line %d)",
				   yquote(v[i].key->str, v[i].key->len), v[g].key->line);
	}
	qsort(v, n, sizeof(*v), cand_by_order);
}

static bool is_merge_key(const struct ynode *k)
{
	return k->kind == YNODE_SCALAR && k->plain && k->len == 2 && memcmp(k->str, "<<", 2) == 0;
}

static const struct ynodex *ext(const struct ynode *n)
{
	return (const struct ynodex *)n;
}

/* Expanded size and depth: what a walker that follows aliases would see.
 * O(children): theirs are known. */
static int measure(struct builder *b, struct ynodex *x)
{
	const struct ynode *n = &x->n;
	uint32_t size = 1;
	int depth = 0;

	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *kids[2];
		size_t nk = 0;

		if (n->kind == YNODE_SEQ) {
			kids[nk++] = n->items[i];
		} else {
			kids[nk++] = n->pairs[i].key;
			kids[nk++] = n->pairs[i].value;
		}
		for (size_t j = 0; j < nk; j++) {
			size = add_sat32(size, ext(kids[j])->size);
			if (ext(kids[j])->depth > depth)
				depth = ext(kids[j])->depth;
		}
	}
	x->size = size;
	x->depth = (uint8_t)(depth + 1);
	if (size > YAMLDOC_MAX_NODES) {
		ysink_addf(b->errs, n->line, n->col, "aliases expand to more than %d nodes "
			   "here (an alias bomb?)", YAMLDOC_MAX_NODES);
		return -1;
	}
	if (depth + 1 > YAMLDOC_MAX_DEPTH) {
		ysink_addf(b->errs, n->line, n->col, "nesting through aliases is deeper "
			   "than %d levels", YAMLDOC_MAX_DEPTH);
		return -1;
	}
	return 0;
}

/* A finished node (or an alias's) goes to the open collection, or is the
 * root. A mapping takes a pair when its value arrives: a key that is not
 * a scalar is an error, a merge key brings its source's pairs. */
static void attach(struct builder *b, const struct ynode *n)
{
	struct frame *f;

	if (b->top == 0) {
		b->root = n;
		return;
	}
	f = &b->frames[b->top - 1];
	if (f->x->n.kind == YNODE_SEQ) {
		b->kids = xreallocarray_grow(b->kids, &b->ckids, b->nkids + 1, sizeof(*b->kids));
		b->kids[b->nkids++] = n;
	} else if (!f->key) {
		f->key = n;
	} else if (f->key->kind != YNODE_SCALAR) {
		ysink_addf(b->errs, f->key->line, f->key->col, "a mapping key must be a plain "
			   "value, got %s", ynode_describe(f->key));
		f->key = NULL;
	} else {
		if (is_merge_key(f->key))
			merge_source(b, f, n);
		else
			cand_push(&f->v, &f->nv, &f->cv, f->key, n, true);
		f->key = NULL;
	}
}

static struct ynodex *node_new(struct builder *b, enum ynode_kind kind, const yaml_event_t *ev)
{
	struct ynodex *x = doc_alloc(b->d, sizeof(*x), alignof(struct ynodex));

	*x = (struct ynodex){ .n = { .kind = kind, .line = (int)ev->start_mark.line + 1,
				     .col = (int)ev->start_mark.column + 1, .str = "" } };
	if (kind == YNODE_SCALAR) {
		size_t len = ev->data.scalar.length;
		char *s = doc_alloc(b->d, len + 1, 1);

		memcpy(s, ev->data.scalar.value, len);
		s[len] = '\0';
		x->n.str = s;
		x->n.len = len;
		x->n.plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	}
	return x;
}

static bool anchor_add(struct builder *b, const char *name, struct ynodex *x,
		       const yaml_event_t *ev)
{
	for (size_t i = 0; i < b->nanchors; i++) {
		if (strcmp(b->anchors[i].name, name) == 0) {
			composer_error(b, &ev->start_mark, "second occurrence",
				       "found duplicate anchor; first occurrence",
				       &b->anchors[i].mark);
			return false;
		}
	}
	b->anchors = xreallocarray_grow(b->anchors, &b->canchors, b->nanchors + 1,
					sizeof(*b->anchors));
	b->anchors[b->nanchors++] = (struct anchor){ xstrdup(name), x, ev->start_mark };
	return true;
}

static void anchors_clear(struct builder *b)
{
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	b->nanchors = 0;
}

/* libyaml's loader reads the first document, and the second only to
 * refuse it: composer errors after that are never seen. */
static bool composing(const struct builder *b)
{
	return !b->decided && b->doc >= 1 && b->doc <= 2;
}

static void node_start(struct builder *b, const yaml_event_t *ev)
{
	const char *anchor = event_anchor(ev);
	enum ynode_kind kind = ev->type == YAML_SCALAR_EVENT ? YNODE_SCALAR
			       : ev->type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQ : YNODE_MAP;
	struct ynodex *x = b->building ? node_new(b, kind, ev) : NULL;
	struct frame *f;

	if (anchor && composing(b) && !anchor_add(b, anchor, x, ev))
		return;
	if (!b->building)
		return;
	if (kind == YNODE_SCALAR) {
		x->size = 1;
		x->depth = 1;
		attach(b, &x->n);
		return;
	}
	if (b->top >= (int)ARRAY_LEN(b->frames)) {     /* the depth guard stops it first */
		ysink_addf(b->errs, x->n.line, x->n.col, "nesting is deeper than %d levels",
			   YAMLDOC_MAX_DEPTH);
		build_fail(b);
		return;
	}
	f = &b->frames[b->top++];
	if (b->top > b->frames_used)
		b->frames_used = b->top;
	f->x = x;
	f->base = b->nkids;
	f->key = NULL;
	f->nv = f->nm = 0;
	x->open = true;
}

static int seq_finish(struct builder *b, struct frame *f)
{
	size_t cnt = b->nkids - f->base;
	const struct ynode **items = doc_alloc(b->d, (cnt ? cnt : 1) * sizeof(*items),
					       alignof(const struct ynode *));

	if (cnt)
		memcpy(items, b->kids + f->base, cnt * sizeof(*items));
	b->nkids = f->base;
	f->x->n.items = items;
	f->x->n.n = cnt;
	return 0;
}

static int map_finish(struct builder *b, struct frame *f)
{
	struct ynode *n = &f->x->n;
	struct ypair *pairs;
	size_t kept = 0;

	if (b->work > YAMLDOC_MAX_NODES) {
		ysink_addf(b->errs, n->line, n->col, "merge keys expand to more than %d "
			   "entries (an alias bomb?)", YAMLDOC_MAX_NODES);
		return -1;
	}
	for (size_t i = 0; i < f->nm; i++)
		cand_push(&f->v, &f->nv, &f->cv, f->mv[i].key, f->mv[i].value, false);
	for (size_t i = 0; i < f->nv; i++)
		f->v[i].order = i;
	dedupe(b, f->v, f->nv);
	pairs = doc_alloc(b->d, (f->nv ? f->nv : 1) * sizeof(*pairs), alignof(struct ypair));
	for (size_t i = 0; i < f->nv; i++) {
		if (f->v[i].dropped)
			continue;
		pairs[kept++] = (struct ypair){ .key = f->v[i].key, .value = f->v[i].value };
	}
	n->pairs = pairs;
	n->n = kept;
	return 0;
}

static void node_end(struct builder *b)
{
	struct frame *f = &b->frames[b->top - 1];
	struct ynodex *x = f->x;
	int rc = x->n.kind == YNODE_SEQ ? seq_finish(b, f) : map_finish(b, f);

	x->open = false;
	b->top--;
	if (rc == 0)
		rc = measure(b, x);
	if (rc < 0)
		build_fail(b);
	else
		attach(b, &x->n);
}

static void alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *a = NULL;

	if (!composing(b))
		return;
	for (size_t i = 0; i < b->nanchors && !a; i++)
		if (strcmp(b->anchors[i].name, name) == 0)
			a = &b->anchors[i];
	if (!a) {
		composer_error(b, &ev->start_mark, "found undefined alias", NULL, NULL);
		return;
	}
	if (!b->building)
		return;
	if (a->x->open) {
		ysink_addf(b->errs, a->x->n.line, a->x->n.col,
			   "this node contains an alias to itself "
			   "(recursive aliases are not allowed)");
		build_fail(b);
		return;
	}
	attach(b, &a->x->n);
}

static void event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		b->doc++;
		anchors_clear(b);
		b->building = b->doc == 1;
		if (b->doc == 2)
			b->doc2 = ev->start_mark;
		break;
	case YAML_DOCUMENT_END_EVENT:
		b->building = false;
		if (b->doc == 2 && !b->decided) {
			/* A config is one document; a second one is almost
			 * surely a paste error. */
			decide(b);
			ysink_addf(b->errs, (int)b->doc2.line + 1, (int)b->doc2.column + 1,
				   "a second YAML document ('---') is not allowed here; "
				   "put everything in one");
		}
		break;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		node_start(b, ev);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->building)
			node_end(b);
		break;
	case YAML_ALIAS_EVENT:
		alias(b, ev);
		break;
	default:
		break;
	}
}

/* One pass over the events: guards, composer checks and the tree. */
static int run(struct builder *b, yaml_parser_t *p, const char *buf, size_t len)
{
	for (;;) {
		yaml_event_t ev;
		yaml_event_type_t t;
		int rc;

		if (!yaml_parser_parse(p, &ev)) {
			if (!b->decided) {
				decide(b);
				report_parser_error(p, buf, len, b->errs);
			}
			return -1;
		}
		rc = guard(b, &ev);
		if (rc == 0)
			event(b, &ev);
		t = ev.type;
		yaml_event_delete(&ev);
		if (rc < 0)
			return -1;
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	return b->decided || b->build_failed ? -1 : 0;
}

static void builder_free(struct builder *b)
{
	for (int i = 0; i < b->frames_used; i++) {
		free(b->frames[i].v);
		free(b->frames[i].mv);
	}
	free(b->kids);
	anchors_clear(b);
	free(b->anchors);
	yamldoc_free(b->d);
}

int yamldoc_load(const char *buf, size_t len, struct yamldoc **out, struct ysink *errs)
{
	yaml_parser_t p;
	struct builder b = { .errs = errs, .mark = errs->n };
	int rc;

	*out = NULL;
	if (len > YAMLDOC_MAX_BYTES) {
		ysink_addf(errs, 1, 1, "the file is too large (%zu bytes; the limit is %d MiB)",
			   len, YAMLDOC_MAX_BYTES / (1024 * 1024));
		return -1;
	}
	if (!yaml_parser_initialize(&p)) {
		ysink_addf(errs, 1, 1, "out of memory while parsing YAML");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	b.d = xcalloc(1, sizeof(*b.d));
	rc = run(&b, &p, buf, len);
	yaml_parser_delete(&p);
	if (rc == 0) {
		b.d->root = b.root;
		*out = b.d;
		b.d = NULL;
	}
	builder_free(&b);
	return rc;
}

const char *yamldoc_version(void)
{
	static char buf[48];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "libyaml/%s", yaml_get_version_string());
	return buf;
}
