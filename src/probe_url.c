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
 * pointer: a reload frees and reuses those). Entries a transfer holds are
 * counted; when the table fills, it keeps those and the ones found
 * again since the last sweep (a reload's old URLs go, and so does a
 * stream of URLs each seen once), in a table four times what it kept. */
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
	bool used;                   /* found again since the last sweep */
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

/* Drops what no transfer holds and was not found again since the last
 * sweep; sizes the table for four times what stays. */
static void sweep(struct probe_urls *t)
{
	struct probe_url **old = t->slot;
	size_t ocap = t->cap, keep = 0;

	for (size_t i = 0; i < ocap; i++)
		if (old[i] && (old[i]->refs || old[i]->used))
			keep++;
	t->cap = URLS_MIN;
	while (t->cap < 4 * keep)
		t->cap *= 2;
	t->slot = xcalloc(t->cap, sizeof(*t->slot));
	t->n = 0;
	for (size_t i = 0; i < ocap; i++) {
		struct probe_url *e = old[i];

		if (!e)
			continue;
		if (!e->refs && !e->used) {
			url_free(e);
			continue;
		}
		e->used = false;
		place(t->slot, t->cap, e);
		t->n++;
	}
	free(old);
}

struct probe_url *probe_url_get(struct probe_urls *t, const char *text)
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
		sweep(t);
	e = xcalloc(1, sizeof(*e));
	e->text = xstrdup(text);
	e->u = u;
	e->hash = h;
	place(t->slot, t->cap, e);
	t->n++;
	e->refs++;
	return e;
found:
	/* found again: kept at the next sweep (an entry made once and never
	 * asked for again is not) */
	e->refs++;
	e->used = true;
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
