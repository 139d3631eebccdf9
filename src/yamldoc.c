/* yamldoc.c - libyaml's document loader, plus merge keys and guards. */
#include "yamldoc.h"

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

struct yamldoc {
	yaml_document_t doc;
	struct ynode *nodes;       /* one per libyaml node, same order */
	size_t count;
	const struct ynode *root;
};

enum { BUILD_NEW, BUILD_BUSY, BUILD_DONE };

/* Per-load scratch: libyaml node ids are 1-based indexes into these. */
struct builder {
	struct yamldoc *d;
	struct ysink *errs;
	unsigned char *state;
	size_t *size;              /* node count were aliases expanded */
	int *depth;                /* depth were aliases expanded */
	size_t work;               /* merged pairs copied so far */
};

/* A key/value pair competing for a place in a merged mapping. */
struct cand {
	const struct ynode *key, *value;
	size_t order;              /* explicit keys first, then merge order */
	bool explicit_key;
	bool dropped;
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
	for (size_t i = 0; i < d->count; i++) {
		free(d->nodes[i].items);
		free((void *)d->nodes[i].pairs);
	}
	free(d->nodes);
	yaml_document_delete(&d->doc);
	free(d);
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
	if (p->error == YAML_COMPOSER_ERROR && p->context)
		ysink_addf(errs, line, col, "YAML error: %s at line %d, column %d; %s here",
			   p->context, (int)p->context_mark.line + 1,
			   (int)p->context_mark.column + 1, problem);
	else if (p->error == YAML_COMPOSER_ERROR)
		ysink_addf(errs, line, col, "YAML error: %s", problem);
	else if (p->context)
		ysink_addf(errs, line, col, "YAML syntax error: %s (%s at line %d, column %d)%s",
			   problem, p->context, (int)p->context_mark.line + 1,
			   (int)p->context_mark.column + 1, hint);
	else
		ysink_addf(errs, line, col, "YAML syntax error: %s%s", problem, hint);
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

/* libyaml's loader is not recursive, but it slows down quadratically on
 * deep flow nesting and on many anchors and aliases, and keeps every node
 * in memory: walk the events first and stop at the guards. A syntax error
 * here is left to the loader, which reports it the same way. */
static int prescan(const char *buf, size_t len, struct ysink *errs)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t nodes = 0;
	uint64_t anchors = 0, aliases = 0, anchor_bytes = 0, lookups = 0;
	int depth = 0, rc = 0;

	if (!yaml_parser_initialize(&p))
		return 0;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (rc == 0 && yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;
		int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;

		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > YAMLDOC_MAX_DEPTH) {
				ysink_addf(errs, line, col, "nesting is deeper than %d levels",
					   YAMLDOC_MAX_DEPTH);
				rc = -1;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		if (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT ||
		    t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++nodes > YAMLDOC_MAX_NODES && rc == 0) {
				ysink_addf(errs, line, col, "too many YAML nodes (more than %d)",
					   YAMLDOC_MAX_NODES);
				rc = -1;
			}
		}
		/* The loader compares every new anchor and every alias with
		 * each anchor so far (strcmp), so bound the bytes compared. */
		if (t == YAML_ALIAS_EVENT || event_anchor(&ev)) {
			lookups += anchor_bytes;
			if (t == YAML_ALIAS_EVENT) {
				aliases++;
			} else {
				anchors++;
				anchor_bytes += strlen(event_anchor(&ev)) + 16;
			}
		}
		if (rc == 0 && lookups > YAMLDOC_MAX_ANCHOR_WORK) {
			ysink_addf(errs, line, col, "too many anchors and aliases (%llu anchors, "
				   "%llu aliases so far); a config needs only a few",
				   (unsigned long long)anchors, (unsigned long long)aliases);
			rc = -1;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

static size_t add_sat(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static const struct ynode *build(struct builder *b, int id);

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
static void merge_source(struct builder *b, const struct ynode *src, struct cand **mv,
			 size_t *mn, size_t *mcap)
{
	if (src->kind == YNODE_MAP) {
		/* counted before copying, or the copy itself could be huge */
		b->work = add_sat(b->work, src->n);
		if (b->work > YAMLDOC_MAX_NODES)
			return;
		for (size_t i = 0; i < src->n; i++)
			cand_push(mv, mn, mcap, src->pairs[i].key, src->pairs[i].value, false);
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
			merge_source(b, src->items[i], mv, mn, mcap);
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

static int build_map(struct builder *b, struct ynode *n, const yaml_node_t *y)
{
	struct cand *v = NULL, *mv = NULL;
	size_t nv = 0, cv = 0, nm = 0, cm = 0, kept = 0;
	struct ypair *pairs;
	int rc = -1;

	for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top;
	     p++) {
		const struct ynode *k = build(b, p->key), *val = build(b, p->value);

		if (!k || !val)
			goto out;
		if (k->kind != YNODE_SCALAR)
			ysink_addf(b->errs, k->line, k->col, "a mapping key must be a plain "
				   "value, got %s", ynode_describe(k));
		else if (is_merge_key(k))
			merge_source(b, val, &mv, &nm, &cm);
		else
			cand_push(&v, &nv, &cv, k, val, true);
	}
	if (b->work > YAMLDOC_MAX_NODES) {
		ysink_addf(b->errs, n->line, n->col, "merge keys expand to more than %d "
			   "entries (an alias bomb?)", YAMLDOC_MAX_NODES);
		goto out;
	}
	for (size_t i = 0; i < nm; i++)
		cand_push(&v, &nv, &cv, mv[i].key, mv[i].value, false);
	for (size_t i = 0; i < nv; i++)
		v[i].order = i;
	dedupe(b, v, nv);
	pairs = xcalloc(nv, sizeof(*pairs));
	for (size_t i = 0; i < nv; i++) {
		if (v[i].dropped)
			continue;
		pairs[kept++] = (struct ypair){ .key = v[i].key, .value = v[i].value };
	}
	n->pairs = pairs;
	n->n = kept;
	rc = 0;
out:
	free(v);
	free(mv);
	return rc;
}

static int build_seq(struct builder *b, struct ynode *n, const yaml_node_t *y)
{
	size_t cnt = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);

	n->items = xcalloc(cnt, sizeof(*n->items));
	for (size_t i = 0; i < cnt; i++) {
		n->items[i] = build(b, y->data.sequence.items.start[i]);
		if (!n->items[i])
			return -1;
	}
	n->n = cnt;
	return 0;
}

/* Expanded size and depth: what a walker that follows aliases would see. */
static int measure(struct builder *b, const struct ynode *n, size_t idx)
{
	const struct ynode *base = b->d->nodes;
	size_t size = 1;
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
			size_t k = (size_t)(kids[j] - base);

			size = add_sat(size, b->size[k]);
			if (b->depth[k] > depth)
				depth = b->depth[k];
		}
	}
	b->size[idx] = size;
	b->depth[idx] = depth + 1;
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

/* Post-order, memoised per node: an alias costs one lookup however often
 * it is used. Recursion depth is bounded by the document's own nesting,
 * which prescan() checked, because an alias can only name an earlier,
 * finished node or an ancestor (a cycle, refused here). */
static const struct ynode *build(struct builder *b, int id)
{
	yaml_node_t *y = yaml_document_get_node(&b->d->doc, id);
	struct ynode *n;
	size_t idx;
	int rc = 0;

	if (!y)
		return NULL;
	idx = (size_t)(id - 1);
	n = &b->d->nodes[idx];
	if (b->state[idx] == BUILD_DONE)
		return n;
	if (b->state[idx] == BUILD_BUSY) {
		ysink_addf(b->errs, n->line, n->col,
			   "this node contains an alias to itself "
			   "(recursive aliases are not allowed)");
		return NULL;
	}
	b->state[idx] = BUILD_BUSY;
	switch (y->type) {
	case YAML_SCALAR_NODE:
		n->kind = YNODE_SCALAR;
		n->str = (const char *)y->data.scalar.value;
		n->len = y->data.scalar.length;
		n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_NODE:
		n->kind = YNODE_SEQ;
		rc = build_seq(b, n, y);
		break;
	case YAML_MAPPING_NODE:
		n->kind = YNODE_MAP;
		rc = build_map(b, n, y);
		break;
	default:
		rc = -1;
		break;
	}
	if (rc == 0)
		rc = measure(b, n, idx);
	b->state[idx] = BUILD_DONE;
	return rc == 0 ? n : NULL;
}

static int build_tree(struct yamldoc *d, struct ysink *errs)
{
	struct builder b = { .d = d, .errs = errs };
	yaml_node_t *root = yaml_document_get_root_node(&d->doc);
	int rc = 0;

	d->count = (size_t)(d->doc.nodes.top - d->doc.nodes.start);
	d->nodes = xcalloc(d->count, sizeof(*d->nodes));
	for (size_t i = 0; i < d->count; i++) {
		d->nodes[i].line = (int)d->doc.nodes.start[i].start_mark.line + 1;
		d->nodes[i].col = (int)d->doc.nodes.start[i].start_mark.column + 1;
		d->nodes[i].str = "";
	}
	if (root) {
		b.state = xcalloc(d->count, 1);
		b.size = xcalloc(d->count, sizeof(*b.size));
		b.depth = xcalloc(d->count, sizeof(*b.depth));
		d->root = build(&b, 1);
		rc = d->root ? 0 : -1;
		free(b.state);
		free(b.size);
		free(b.depth);
	}
	return rc;
}

/* A config is one document; a second one is almost surely a paste error. */
static int check_single(yaml_parser_t *p, const char *buf, size_t len, struct ysink *errs)
{
	yaml_document_t extra;
	int rc = 0;

	if (!yaml_parser_load(p, &extra)) {
		report_parser_error(p, buf, len, errs);
		return -1;
	}
	if (yaml_document_get_root_node(&extra)) {
		ysink_addf(errs, (int)extra.start_mark.line + 1, (int)extra.start_mark.column + 1,
			   "a second YAML document ('---') is not allowed here; "
			   "put everything in one");
		rc = -1;
	}
	yaml_document_delete(&extra);
	return rc;
}

int yamldoc_load(const char *buf, size_t len, struct yamldoc **out, struct ysink *errs)
{
	yaml_parser_t p;
	struct yamldoc *d;

	*out = NULL;
	if (len > YAMLDOC_MAX_BYTES) {
		ysink_addf(errs, 1, 1, "the file is too large (%zu bytes; the limit is %d MiB)",
			   len, YAMLDOC_MAX_BYTES / (1024 * 1024));
		return -1;
	}
	if (prescan(buf, len, errs) < 0)
		return -1;
	if (!yaml_parser_initialize(&p)) {
		ysink_addf(errs, 1, 1, "out of memory while parsing YAML");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	d = xcalloc(1, sizeof(*d));
	if (!yaml_parser_load(&p, &d->doc)) {
		report_parser_error(&p, buf, len, errs);
		yaml_parser_delete(&p);
		free(d);
		return -1;
	}
	if ((yaml_document_get_root_node(&d->doc) && check_single(&p, buf, len, errs) < 0) ||
	    build_tree(d, errs) < 0) {
		yaml_parser_delete(&p);
		yamldoc_free(d);
		return -1;
	}
	yaml_parser_delete(&p);
	*out = d;
	return 0;
}

const char *yamldoc_version(void)
{
	static char buf[48];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "libyaml/%s", yaml_get_version_string());
	return buf;
}
