/* test_yamldoc.c - the YAML tree: built in one pass over libyaml's
 * events, with merge keys, shared aliases, duplicate keys, positions, the
 * guards, and which message wins when several things are wrong. */
#include "tap.h"
#include "yamldoc.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define SECOND_DOC "a second YAML document ('---') is not allowed here; put everything in one"

/* Loads text as "y" -> rc; *msgs gets every message, "\n"-joined and in
 * position order (caller frees); *doc the tree (may be NULL). */
static int load(const char *text, size_t len, struct yamldoc **doc, char **msgs)
{
	struct ysink s;
	struct diag d = { 0 };
	int rc;

	ysink_init(&s, "y");
	rc = yamldoc_load(text, len, doc, &s);
	ysink_flush(&s, &d);
	*msgs = diag_join(&d);
	diag_clear(&d);
	return rc;
}

/* Loads text that must be refused; returns its messages (caller frees). */
static char *refused(const char *text, const char *what)
{
	struct yamldoc *doc = NULL;
	char *msgs;
	int rc = load(text, strlen(text), &doc, &msgs);

	OK(rc == -1 && !doc, "%s: refused", what);
	yamldoc_free(doc);
	return msgs;
}

/* Loads text that must load without a message; NULL if it did not. */
static struct yamldoc *loaded(const char *text, const char *what)
{
	struct yamldoc *doc = NULL;
	char *msgs;

	OK(load(text, strlen(text), &doc, &msgs) == 0 && doc, "%s: loads", what);
	IS_STR(msgs, "", "without messages");
	free(msgs);
	return doc;
}

/* text is refused with exactly the messages `want`. */
static void refused_is(const char *text, const char *want, const char *what)
{
	char *msgs = refused(text, what);

	IS_STR(msgs, want, what);
	free(msgs);
}

/* text is refused with a message containing `want`. */
static void refused_has(const char *text, const char *want, const char *what)
{
	char *msgs = refused(text, what);

	HAS_STR(msgs, want, what);
	free(msgs);
}

static void test_tree(void)
{
	static const char text[] =
		"a: plain\n"
		"b: 'single'\n"
		"c: \"nul\\0in\"\n"
		"d: [1, {e: ~}]\n"
		"f: []\n"
		"g: {}\n";
	struct yamldoc *doc = loaded(text, "a small document");
	const struct ynode *root = doc ? yamldoc_root(doc) : NULL, *n;
	char *msgs;

	if (!OK(root && root->kind == YNODE_MAP && root->n == 6, "a mapping of six keys")) {
		yamldoc_free(doc);
		return;
	}
	IS_INT(root->line * 100 + root->col, 101, "the root at 1:1");
	n = ynode_get(root, "a");
	OK(n && n->kind == YNODE_SCALAR && n->plain && strcmp(n->str, "plain") == 0,
	   "a plain scalar");
	IS_INT(n ? n->line * 100 + n->col : 0, 104, "its position 1:4");
	n = ynode_get(root, "b");
	OK(n && !n->plain && strcmp(n->str, "single") == 0, "a quoted scalar is not plain");
	n = ynode_get(root, "c");
	OK(n && n->len == 6 && strlen(n->str) == 3 && n->str[6] == '\0',
	   "a scalar with a NUL keeps its length, NUL-terminated");
	n = ynode_get(root, "d");
	OK(n && n->kind == YNODE_SEQ && n->n == 2 && n->items[1]->kind == YNODE_MAP &&
	   ynode_is_null(ynode_get(n->items[1], "e")), "nested flow collections");
	IS_INT(n ? n->items[1]->line * 100 + n->items[1]->col : 0, 408,
	       "a nested mapping at 4:8");
	n = ynode_get(root, "f");
	OK(n && n->kind == YNODE_SEQ && n->n == 0 && n->items, "an empty sequence has items");
	n = ynode_get(root, "g");
	OK(n && n->kind == YNODE_MAP && n->n == 0 && n->pairs, "an empty mapping has pairs");
	yamldoc_free(doc);

	OK(load("", 0, &doc, &msgs) == 0 && doc && !yamldoc_root(doc), "empty text: no root");
	IS_STR(msgs, "", "empty text: no message");
	free(msgs);
	yamldoc_free(doc);
	OK(load("# only\n", 7, &doc, &msgs) == 0 && doc && !yamldoc_root(doc),
	   "comments only: no root");
	free(msgs);
	yamldoc_free(doc);
}

static void test_aliases_and_merges(void)
{
	static const char text[] =
		"base: &b {x: 1, y: 2}\n"
		"more: &m {y: 20, z: 30}\n"
		"list: &l [1, 2]\n"
		"one: *l\n"
		"two: {<<: *b, x: 9}\n"
		"three: {<<: [*m, *b]}\n"
		"four: {<<: {<<: *b, w: 0}}\n";
	struct yamldoc *doc = loaded(text, "anchors, aliases and merges");
	const struct ynode *root = doc ? yamldoc_root(doc) : NULL, *n;

	if (!OK(root != NULL, "a root")) {
		yamldoc_free(doc);
		return;
	}
	OK(ynode_get(root, "one") == ynode_get(root, "list"), "an alias is the node itself");
	IS_INT(ynode_get(root, "one")->line, 3, "an alias keeps its anchor's position");
	n = ynode_get(root, "two");
	IS_INT(n->n, 2, "a merge adds the keys not written");
	IS_STR(ynode_get(n, "x")->str, "9", "an explicit key wins over a merged one");
	IS_STR(n->pairs[0].key->str, "x", "explicit keys come first");
	IS_STR(ynode_get(n, "y")->str, "2", "merged keys follow");
	n = ynode_get(root, "three");
	IS_INT(n->n, 3, "a merge list brings every key");
	IS_STR(ynode_get(n, "y")->str, "20", "the first mapping of a merge list wins");
	IS_STR(ynode_get(n, "x")->str, "1", "keys only in a later one are merged");
	n = ynode_get(root, "four");
	OK(n->n == 3 && ynode_get(n, "w") && ynode_get(n, "y"), "nested merges resolve");
	yamldoc_free(doc);
}

static void test_messages(void)
{
	struct yamldoc *doc = NULL;
	char *msgs;
	static const char dups[] = "a: 1\nb: 2\na: 3\nc: {<<: 5, [k]: v, d: 1, d: 2}\n";
	const struct ynode *root;

	OK(load(dups, strlen(dups), &doc, &msgs) == 0 && doc,
	   "duplicate keys and bad merges still give a tree");
	IS_STR(msgs, "y:3:1: duplicate key 'a' (first at line 1)\n"
		     "y:4:9: merge key '<<' expects a mapping or a sequence of mappings, got '5'\n"
		     "y:4:12: a mapping key must be a plain value, got a sequence\n"
		     "y:4:26: duplicate key 'd' (first at line 4)",
	       "each message at its line:col, in order");
	root = doc ? yamldoc_root(doc) : NULL;
	OK(root && root->n == 3 && strcmp(ynode_get(root, "a")->str, "1") == 0,
	   "the first of a duplicate key is kept");
	free(msgs);
	yamldoc_free(doc);

	refused_has("a: [1\n", "y:2:1: YAML syntax error: did not find expected ',' or ']' "
		    "(while parsing a flow sequence at line 1, column 4)",
		    "a syntax error in libyaml's words");
	refused_is("a: *nope\n", "y:1:4: YAML error: found undefined alias",
		   "an undefined alias");
	refused_is("a: &x 1\nb: &x 2\n", "y:2:4: YAML error: found duplicate anchor; first "
		   "occurrence at line 1, column 4; second occurrence here", "a duplicate anchor");
	refused_is("a: &r {b: [*r]}\n", "y:1:4: this node contains an alias to itself "
		   "(recursive aliases are not allowed)", "a recursive alias, at its anchor");
	refused_is("a: 1\n---\nb: 2\n", "y:2:1: " SECOND_DOC, "two documents");
	refused_has("a:\n\t- b\n", "YAML does not allow tabs for indentation", "a tab: the hint");
}

/* Who wins when several things are wrong: a guard anywhere in the
 * stream, then a syntax or composer error in the first document, then the
 * second document, then the tree's own messages. */
static void test_precedence(void)
{
	char deep[80], text[200], *msgs;

	memset(deep, '[', 70);
	deep[70] = '\0';
	snprintf(text, sizeof(text), "a: *nope\nz: %s\n", deep);
	refused_is(text, "y:2:67: nesting is deeper than 64 levels",
		   "an undefined alias, then deep nesting: the guard");
	snprintf(text, sizeof(text), "a: 1\n---\nb: 2\n---\nz: %s\n", deep);
	refused_is(text, "y:5:67: nesting is deeper than 64 levels",
		   "deep nesting in a third document: the guard reads every document");
	refused_is("a: {x: 1, x: 2}\nb: *nope\n", "y:2:4: YAML error: found undefined alias",
		   "a duplicate key, then an undefined alias: the composer error alone");
	msgs = refused("a: {x: 1, x: 2}\nb: [\n", "a duplicate key, then a syntax error");
	HAS_STR(msgs, "YAML syntax error", "the syntax error");
	OK(msgs && !strstr(msgs, "duplicate key"), "and nothing of the tree");
	free(msgs);
	refused_is("a: *nope\nb: [\n", "y:1:4: YAML error: found undefined alias",
		   "an undefined alias, then a syntax error: the first error");
	refused_is("a: {x: 1, x: 2}\n---\nb: 1\n", "y:2:1: " SECOND_DOC,
		   "a duplicate key, then a second document: the second document alone");
	refused_is("a: 1\n---\nb: *nope\n", "y:3:4: YAML error: found undefined alias",
		   "an undefined alias in the second document");
	refused_is("a: 1\n---\nb: 1\n---\nc: [\n", "y:2:1: " SECOND_DOC,
		   "a syntax error in a third document: the second document is said");
	refused_is("a: {x: 1, x: 2}\nb: &r [*r]\nc: {y: 1, y: 2}\n",
		   "y:1:11: duplicate key 'x' (first at line 1)\n"
		   "y:2:4: this node contains an alias to itself (recursive aliases are not "
		   "allowed)", "messages up to a fatal one; nothing built after it");

	/* messages already in the sink are not the loader's to drop */
	{
		struct ysink s;
		struct diag d = { 0 };
		struct yamldoc *doc = NULL;
		static const char bad[] = "a: {x: 1, x: 2}\nb: *nope\n";

		ysink_init(&s, "y");
		ysink_addf(&s, 9, 1, "said before");
		OK(yamldoc_load(bad, strlen(bad), &doc, &s) == -1, "a load after a message");
		ysink_flush(&s, &d);
		msgs = diag_join(&d);
		IS_STR(msgs, "y:2:4: YAML error: found undefined alias\ny:9:1: said before",
		       "the earlier message is kept");
		free(msgs);
		diag_clear(&d);
	}
}

static char *repeat(const char *head, const char *unit, int times, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * (size_t)times + tl + 1), *p = s;

	memcpy(p, head, hl);
	p += hl;
	for (int i = 0; i < times; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

static void test_guards(void)
{
	char *text, *deep, *m;
	size_t n = 0;

	text = repeat("", "[", 100, "");
	refused_is(text, "y:1:65: nesting is deeper than 64 levels", "the depth guard");
	free(text);
	text = repeat("[", "1,", YAMLDOC_MAX_NODES, "1]");
	refused_has(text, "too many YAML nodes (more than 1000000)", "the node guard");
	free(text);
	m = malloc(200000);
	for (int i = 0; i < 6000; i++)
		n += (size_t)sprintf(m + n, "- &anchor%d x\n", i);
	refused_has(m, "too many anchors and aliases", "6,000 anchors: the anchor guard");
	refused_is("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
		   "a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
		   "a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n"
		   "a3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]\n"
		   "a4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]\n"
		   "a5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]\n",
		   "y:6:5: aliases expand to more than 1000000 nodes here (an alias bomb?)",
		   "an alias bomb: refused at the node that breaks the bound");
	/* a: 40 levels, b: 30 levels around an alias to a */
	text = repeat("a: &a ", "[", 40, "");
	deep = repeat(text, "]", 40, "\nb: ");
	free(text);
	text = repeat(deep, "[", 30, "*a");
	free(deep);
	deep = repeat(text, "]", 30, "\n");
	refused_is(deep, "y:2:9: nesting through aliases is deeper than 64 levels",
		   "the expanded depth is bounded");
	free(text);
	free(deep);
	n = (size_t)sprintf(m, "big: &big {");
	for (int i = 0; i < 5000; i++)
		n += (size_t)sprintf(m + n, "k%d: 1, ", i);
	n += (size_t)sprintf(m + n, "z: 1}\ncopies:\n");
	for (int i = 0; i < 400; i++)
		n += (size_t)sprintf(m + n, "  - {<<: *big}\n");
	refused_is(m, "y:202:5: merge keys expand to more than 1000000 entries (an alias bomb?)",
		   "400 merges of 5,000 keys: merge copies are bounded");
	free(m);
}

/* What a big config costs: the tree is all that stays, a few hundred
 * bytes a target (libyaml's own document used to stay beside it). */
static void test_size(void)
{
	const int n = 10000;
	char *text = malloc((size_t)n * 80 + 64), *msgs;
	size_t len = (size_t)sprintf(text, "targets:\n");
	struct yamldoc *doc = NULL;
	struct mallinfo2 before, after;
	double per;

	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "  - name: t%05d\n    url: "
				       "\"http://127.0.0.1:8080/ok?i=%d\"\n", i, i);
	if (getenv("UPTOP_SANITIZED")) {
		OK(1, "memory held by a loaded tree # SKIP the sanitizers' allocator");
		free(text);
		return;
	}
	before = mallinfo2();
	OK(load(text, len, &doc, &msgs) == 0 && doc, "10,000 targets load");
	after = mallinfo2();
	per = ((double)(after.uordblks + after.hblkhd) -
	       (double)(before.uordblks + before.hblkhd)) / n;
	OK(per < 500, "the tree holds %.0f bytes a target (under 500)", per);
	OK(ynode_get(yamldoc_root(doc), "targets")->n == (size_t)n, "all 10,000 are there");
	free(msgs);
	yamldoc_free(doc);
	free(text);
}

int main(void)
{
	test_tree();
	test_aliases_and_merges();
	test_messages();
	test_precedence();
	test_guards();
	test_size();
	return tap_done();
}
