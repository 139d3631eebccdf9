/* yamldoc.h - a YAML document as a small, resolved, read-only tree.
 *
 * The only users are config and theme. yamldoc_load() builds the tree in
 * one pass over libyaml's events (nothing of libyaml's is kept), resolves
 * `<<` merge keys (libyaml does not), drops duplicate keys (reporting
 * them) and hands back nodes that carry 1-based line:col positions for
 * messages. Aliases are shared, not copied: the result is a DAG, so a
 * walker that recurses must bound its depth. Its syntax and composer
 * errors (undefined alias, duplicate anchor) are libyaml's loader's, in
 * its words. Memory: the nodes, strings and arrays, a few hundred bytes
 * per target of a config, in a few large blocks.
 *
 * Guards, so hostile input is a message and never a hang or a crash:
 * more than YAMLDOC_MAX_BYTES of text; nesting deeper than
 * YAMLDOC_MAX_DEPTH, more than YAMLDOC_MAX_NODES nodes, or too many anchors
 * and aliases (counted on every event of the stream, later documents
 * too); and, through aliases and merge keys, an expanded depth over
 * YAMLDOC_MAX_DEPTH, an expanded size over YAMLDOC_MAX_NODES (an "alias
 * bomb"), or a cycle. When several things are wrong, a guard is what is
 * said, then a syntax or composer error (of the first document, or of the
 * second, or the second document itself), and only without those the
 * tree's own messages. */
#ifndef UPTOP_YAMLDOC_H
#define UPTOP_YAMLDOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "diag.h"
#include "util.h"

#define YAMLDOC_MAX_DEPTH 64
#define YAMLDOC_MAX_NODES 1000000
#define YAMLDOC_MAX_BYTES (16 * 1024 * 1024)
/* anchors are looked up linearly (as libyaml's loader does): bytes
 * compared, at most */
#define YAMLDOC_MAX_ANCHOR_WORK 200000000ULL

/* Messages tied to positions, sorted by position when flushed, so the
 * errors of a file read top to bottom whoever found them. */
struct ysink {
	const char *file;
	struct ymsg *v;
	size_t n, cap;
};

void ysink_init(struct ysink *s, const char *file);
void ysink_addf(struct ysink *s, int line, int col, const char *fmt, ...) PRINTF_LIKE(4, 5);
void ysink_vaddf(struct ysink *s, int line, int col, const char *fmt, va_list ap)
	PRINTF_LIKE(4, 0);
/* Appends "FILE:LINE:COL: message" lines to d in position order, and
 * empties the sink. */
void ysink_flush(struct ysink *s, struct diag *d);
/* Empties the sink without reporting. */
void ysink_clear(struct ysink *s);

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

struct ynode;

struct ypair {
	const struct ynode *key;   /* always a scalar */
	const struct ynode *value;
};

struct ynode {
	enum ynode_kind kind;
	int line, col;                  /* 1-based */
	bool plain;                     /* an unquoted scalar (may be null/bool/...) */
	const char *str;                /* scalar text, NUL-terminated */
	size_t len;                     /* may differ from strlen: "\0" exists */
	const struct ynode **items;     /* YNODE_SEQ */
	const struct ypair *pairs;      /* YNODE_MAP, merges applied, in order */
	size_t n;                       /* items or pairs */
};

struct yamldoc;

/* Parses buf. Returns 0 and sets *out (free with yamldoc_free) when the
 * document could be built; problems that still leave a usable tree
 * (duplicate keys, bad merge values) are added to `errs` too, so callers
 * should also check errs->n. Returns -1 with *out NULL on a syntax error or
 * a broken guard. */
int yamldoc_load(const char *buf, size_t len, struct yamldoc **out, struct ysink *errs);
/* NULL when the stream holds no document (an empty or comment-only file). */
const struct ynode *yamldoc_root(const struct yamldoc *d);
void yamldoc_free(struct yamldoc *d);

/* A plain empty scalar, "~" or "null" (any case). */
bool ynode_is_null(const struct ynode *n);
/* The value for `key` in a mapping, or NULL. */
const struct ynode *ynode_get(const struct ynode *map, const char *key);
/* For messages: "a mapping", "a sequence", "an empty value" or the quoted,
 * sanitised scalar text. Returned buffers rotate (8 live at a time). */
const char *ynode_describe(const struct ynode *n);
/* Sanitised, quoted and truncated text for messages (rotating buffers). */
const char *yquote(const char *s, size_t len);

/* "libyaml/0.2.5", for --version. */
const char *yamldoc_version(void);

#endif
