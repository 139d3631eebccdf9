/* probe_url.c - each target's URL, parsed by curl once (see probe_priv.h).
 *
 * Given a URL string, libcurl 7.88 parses it into a CURLU and formats it
 * back (the "normalized" URL) on every transfer: ~14,000 of a keep-alive
 * check's ~86,000 instructions (callgrind, bench workload g). Given a
 * CURLU (CURLOPT_CURLU) it only copies it. The target's URL string still
 * goes in as CURLOPT_URL: it is what curl reports as the effective URL,
 * and the CURLU is parsed from it with the flags curl itself would use,
 * so the request is the same either way.
 *
 * An open-addressing table keyed by the URL text (never by a config
 * pointer: a reload frees and reuses those). An entry a transfer holds
 * stays; one not asked for within `ttl_ms` (the probe's idle limit: the
 * longest interval plus timeout, so every live target's URL is asked for
 * within it) goes when the table is half full; the table doubles when
 * that frees too little. A reload's old URLs go within a ttl. */
#include <stdlib.h>
#include <string.h>

#include "probe_priv.h"
#include "util.h"

#define URLS_MIN 1024            /* slots at least; a power of two */

struct probe_url {
	char *text;
	CURLU *u;
	uint64_t hash;
	uint32_t refs;               /* transfers that use it now */
	int64_t used_ms;             /* last asked for (monotonic) */
};

struct probe_urls {
	struct probe_url **slot;
	size_t cap, n;               /* cap: a power of two, n <= cap / 2 */
};

struct probe_urls *probe_urls_new(void)
{
	struct probe_urls *t = xcalloc(1, sizeof(*t));

	t->cap = URLS_MIN;
	t->slot = xcalloc(t->cap, sizeof(*t->slot));
	return t;
}

static void url_free(struct probe_url *e)
{
	curl_url_cleanup(e->u);
	free(e->text);
	free(e);
}

void probe_urls_free(struct probe_urls *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i])
			url_free(t->slot[i]);
	free(t->slot);
	free(t);
}

static void place(struct probe_url **slot, size_t cap, struct probe_url *e)
{
	size_t i = (size_t)e->hash & (cap - 1);

	while (slot[i])
		i = (i + 1) & (cap - 1);
	slot[i] = e;
}

/* Moves every entry into a table of `cap` slots. */
static void rehash(struct probe_urls *t, size_t cap)
{
	struct probe_url **old = t->slot;
	size_t ocap = t->cap;

	t->cap = cap;
	t->slot = xcalloc(cap, sizeof(*t->slot));
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			place(t->slot, cap, old[i]);
	free(old);
}

/* Drops what no transfer holds and nobody asked for within ttl_ms; then
 * doubles the table if it is still over a quarter full. */
static void sweep(struct probe_urls *t, int64_t now_ms, int64_t ttl_ms)
{
	for (size_t i = 0; i < t->cap; i++) {
		struct probe_url *e = t->slot[i];

		if (e && !e->refs && now_ms - e->used_ms > ttl_ms) {
			url_free(e);
			t->slot[i] = NULL;
			t->n--;
		}
	}
	/* the holes break probe chains: place the rest again */
	rehash(t, 4 * t->n > t->cap ? 2 * t->cap : t->cap);
}

struct probe_url *probe_url_get(struct probe_urls *t, const char *text, int64_t now_ms,
			       int64_t ttl_ms)
{
	uint64_t h = hash_fnv1a(text);
	size_t i = (size_t)h & (t->cap - 1);
	struct probe_url *e;
	CURLU *u;

	for (; (e = t->slot[i]); i = (i + 1) & (t->cap - 1))
		if (e->hash == h && strcmp(e->text, text) == 0)
			goto found;
	/* the flags curl's own parse of a URL string uses (url.c) */
	u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, text,
			       CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(u);
		return NULL;   /* curl says why, from the string, as before */
	}
	if (2 * (t->n + 1) > t->cap)
		sweep(t, now_ms, ttl_ms);
	e = xcalloc(1, sizeof(*e));
	e->text = xstrdup(text);
	e->u = u;
	e->hash = h;
	place(t->slot, t->cap, e);
	t->n++;
found:
	e->refs++;
	e->used_ms = now_ms;
	return e;
}

size_t probe_urls_count(const struct probe_urls *t)
{
	return t->n;
}

CURLU *probe_url_handle(const struct probe_url *e)
{
	return e->u;
}

void probe_url_put(struct probe_url *e)
{
	if (e && e->refs)
		e->refs--;
}
