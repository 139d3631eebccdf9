/* cond_priv.h - shared by cond.c (conditions) and cond_json.c (the body
 * as Gatus' jsonpath reads it); private to the cond module. */
#ifndef UPTOP_COND_PRIV_H
#define UPTOP_COND_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* A growable byte buffer, kept between evaluations (the loop is one
 * thread): no allocation in the steady state. */
struct sb {
	char *p;
	size_t n, cap;
};

static inline void sb_add(struct sb *b, const char *s, size_t n)
{
	b->p = xreallocarray_grow(b->p, &b->cap, b->n + n + 1, 1);
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static inline void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static inline void sb_char(struct sb *b, char c)
{
	sb_add(b, &c, 1);
}

/* Decimal, by hand: every check formats [STATUS] and [RESPONSE_TIME],
 * and snprintf costs ten times this. */
static inline void sb_int(struct sb *b, long long v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sb_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* A resolved value: bytes somewhere (a buffer, the body, json-c). */
struct val {
	const char *p;
	size_t n;
};

struct json_object;

/* The body of one result, parsed as JSON at most once. */
struct cond_body {
	const char *p;               /* NUL-terminated */
	size_t len;
	int json;                    /* 0 not tried, 1 parsed, -1 not JSON */
	struct json_object *root;    /* NULL is also JSON null */
};

/* Gatus' jsonpath.Eval(path, body): false for INVALID; else the value (in
 * buf, or in place) and the length len() reports. Parses the body on
 * first use: O(body) once, then O(path). */
bool cond_json_eval(struct cond_body *b, const char *path, size_t n, struct sb *buf,
		    struct val *out, size_t *length);
/* Frees the parsed tree. */
void cond_body_done(struct cond_body *b);

#endif
