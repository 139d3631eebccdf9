/* cond.h - a target's conditions (Gatus' language) and body regexes: the
 * judgement beyond status and latency. The only user of json-c.
 *
 * Conditions are Gatus' own, to the byte: "<left> <op> <right>" with the
 * operators " == ", " != ", " <= ", " >= ", " > ", " < " (spaces
 * required); placeholders [STATUS], [RESPONSE_TIME] (ms), [IP],
 * [CONNECTED], [BODY], [BODY].a.b[0].c, [BODY][0].x,
 * [CERTIFICATE_EXPIRATION], [DNS_RCODE]; functions len(), has(), pat(),
 * any(); Gatus' comparison rules (golike.h) and its failure messages, e.g.
 * "[STATUS] (500) == 200", "[BODY].data.id (INVALID) == 1". Beyond Gatus:
 * [HEADER].Name, a response header (name case-insensitive).
 *
 * Cost: each condition is parsed once at config load into a compiled form
 * (placeholders, functions and the operator as enums; constant sides
 * pre-parsed). Evaluating takes no allocation in the steady state except
 * json-c's, and parses the body as JSON at most once per result, only when
 * a [BODY] path asks for it and the body differs from the target's last
 * one (cond_memo); the tree is freed before returning. Scratch
 * buffers are kept between calls: the loop is one thread.
 *
 * A compiled list is immutable and reference-counted, so the config can
 * hand one compiled `defaults:` list to every target that inherits it. */
#ifndef UPTOP_COND_H
#define UPTOP_COND_H

#include <stdbool.h>
#include <stddef.h>
#include "result.h"

struct cond_list;
struct cond_regex;
struct target_conf;

/* ---- conditions ---------------------------------------------------------- */

struct cond_list *cond_list_new(void);
/* Compiles one condition and appends it. Returns 0, or -1 with the reason
 * in err. A valid condition Gatus would read in a way the writer likely
 * did not mean (an unknown placeholder compared as text, a second
 * operator) also returns 0 but leaves a warning in warn ("" when none). */
int cond_list_add(struct cond_list *l, const char *src, char *err, size_t errlen,
		  char *warn, size_t warnlen);
struct cond_list *cond_list_ref(struct cond_list *l);
void cond_list_unref(struct cond_list *l);
size_t cond_list_len(const struct cond_list *l);
/* The i-th condition as written. */
const char *cond_list_source(const struct cond_list *l, size_t i);
/* True when a condition names [BODY] (as Gatus decides: the exact
 * upper-case text anywhere in it): the body must be captured. */
bool cond_list_needs_body(const struct cond_list *l);
/* The header names [HEADER].Name asks for, lower-cased; *n of them. */
const char *const *cond_list_headers(const struct cond_list *l, size_t *n);

/* What one target's conditions resolved from its last body (created on
 * first use through the pointer the caller keeps, NULL until then): a
 * body byte-identical to the last one is not parsed again. At most 4 KiB
 * of body and 4 KiB of values; a larger body is parsed every time. */
struct cond_memo;
void cond_memo_free(struct cond_memo *m);

/* Evaluates every condition against r and v (v may be NULL: no body, no
 * headers). Returns how many failed and writes their messages, joined
 * with "; ", into msg (always terminated; cut on a UTF-8 boundary with
 * "..." when long). `resolve` false writes failing conditions as written
 * (Gatus' ui.dont-resolve-failed-conditions). memo: the target's (see
 * above), or NULL to resolve every side from the body. */
size_t cond_list_eval(const struct cond_list *l, const struct result *r,
		      const struct resp_view *v, bool resolve, char *msg, size_t len,
		      struct cond_memo **memo);

/* ---- body regexes (body_matches, body_not_matches) ----------------------- */

/* POSIX extended regex, compiled once; NULL with regerror's reason in err. */
struct cond_regex *cond_regex_new(const char *pattern, char *err, size_t errlen);
struct cond_regex *cond_regex_ref(struct cond_regex *re);
void cond_regex_unref(struct cond_regex *re);
const char *cond_regex_source(const struct cond_regex *re);
/* True when the regex matches somewhere in body[0..len) (NUL bytes
 * included); *at and *mlen locate the first match. */
bool cond_regex_search(const struct cond_regex *re, const char *body, size_t len,
		       size_t *at, size_t *mlen);

/* ---- the verdict ---------------------------------------------------------- */

/* What the probe must capture for t: the body (a condition uses [BODY],
 * or a body regex is set) and the header names conditions ask for. */
bool cond_needs_body(const struct target_conf *t);

/* Applies t's body regexes and conditions to a result verdict_apply() has
 * classified; v is what the probe captured (NULL when nothing was).
 * - body_matches / body_not_matches: an answered check whose body does
 *   not match (or matches) becomes class body, naming the regex.
 * - conditions decide as in Gatus: a target is up when every condition
 *   holds, judged on transport failures too (status 0, [CONNECTED]
 *   false), so "[CONNECTED] == false" holds for a refused port. When one
 *   fails, an answered check becomes class condition with every failing
 *   condition's message; a transport failure keeps its own class and
 *   message (the cause). A failure after the status line arrived (kept
 *   in http_status: a reset or timeout mid-body) stays a failure even
 *   when every condition holds: the answer was not whole. Our own limits
 *   (local, internal) are never judged. O(conditions + body). */
void cond_apply(const struct target_conf *t, struct result *r, const struct resp_view *v,
		struct cond_memo **memo);

/* "json-c/0.16": the JSON library conditions read bodies with. */
const char *cond_version(void);

#endif
