/* test_probe_url.c - the probe's table of parsed target URLs: one entry
 * per URL text, parsed as curl parses a URL string; a working set larger
 * than the table's first size is kept (each URL parsed once, however
 * many rounds); entries a transfer holds survive any sweep, ones nobody
 * asked for within the ttl go, so a stream of new URLs (a reload after
 * reload) keeps the table bounded. libcurl's real URL parser, no
 * network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/probe_priv.h"
#include "tap.h"

static char *part(struct probe_url *e, CURLUPart what)
{
	char *s = NULL;

	curl_url_get(probe_url_handle(e), what, &s, 0);
	return s;
}

static void test_parse(void)
{
	struct probe_urls *t = probe_urls_new();
	const char *url = "http://user:pw@127.0.0.1:8080/p/a?q=1#frag";
	struct probe_url *a = probe_url_get(t, url, 0, 1000);
	struct probe_url *b = probe_url_get(t, url, 0, 1000);
	struct probe_url *c = probe_url_get(t, "HTTP://[::1]/", 0, 1000);
	char *host = a ? part(a, CURLUPART_HOST) : NULL;
	char *path = a ? part(a, CURLUPART_PATH) : NULL;
	char *query = a ? part(a, CURLUPART_QUERY) : NULL;
	char *user = a ? part(a, CURLUPART_USER) : NULL;
	char *v6 = c ? part(c, CURLUPART_HOST) : NULL;

	OK(a && a == b, "the same text: the same entry");
	OK(c && c != a, "another text: another entry");
	OK(host && strcmp(host, "127.0.0.1") == 0, "host parsed (%s)", host ? host : "-");
	OK(path && strcmp(path, "/p/a") == 0, "path parsed");
	OK(query && strcmp(query, "q=1") == 0, "query parsed");
	OK(user && strcmp(user, "user") == 0, "credentials kept for curl to send");
	OK(v6 && strcmp(v6, "[::1]") == 0, "an IPv6 literal, any case of scheme");
	OK(probe_url_get(t, "http://exa mple.com/", 0, 1000) == NULL,
	   "what curl would reject: no entry (the string goes in alone)");
	curl_free(host);
	curl_free(path);
	curl_free(query);
	curl_free(user);
	curl_free(v6);
	probe_url_put(a);
	probe_url_put(b);
	probe_url_put(c);
	probe_urls_free(t);
}

/* 5,000 targets checked round after round, every 10 s: the table grows
 * to hold them all, and each is the entry it was in the first round. */
static void test_working_set(void)
{
	struct probe_urls *t = probe_urls_new();
	struct probe_url *first[5000];
	char url[64];
	int same = 0;

	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 5000; i++) {
			struct probe_url *e;

			snprintf(url, sizeof(url), "http://127.0.0.%d/t%d", i % 4 + 1, i);
			e = probe_url_get(t, url, 10000LL * round + i, 60000);
			if (round == 0)
				first[i] = e;
			else if (e == first[i])
				same++;
			probe_url_put(e);
		}
	IS_INT(same, 2 * 5000, "5,000 URLs over 3 rounds: parsed once each, found after");
	IS_INT(probe_urls_count(t), 5000, "...and the table holds exactly them");
	probe_urls_free(t);
}

/* A stream of new URLs, one held throughout: the held one is never
 * freed (its CURLU still answers), and the table never holds more than
 * a few thousand entries. ASan/valgrind runs of this test catch a use
 * after free. */
static void test_sweep(void)
{
	struct probe_urls *t = probe_urls_new();
	struct probe_url *held = probe_url_get(t, "http://127.0.0.1/held", 0, 1000);
	struct probe_url *e = NULL;
	char url[64], *path;
	bool same = true;

	for (int i = 0; i < 20000; i++) {
		snprintf(url, sizeof(url), "http://127.0.0.1/n%d", i);
		e = probe_url_get(t, url, i, 1000);
		probe_url_put(e);
		if (i % 100 == 0) {
			/* and a working set used all along stays the same entry */
			struct probe_url *w = probe_url_get(t, "http://127.0.0.1/work", i, 1000);
			static struct probe_url *first;

			if (!first)
				first = w;
			same = same && w == first;
			probe_url_put(w);
		}
	}
	OK(probe_urls_count(t) < 5000, "the table stays bounded (%zu entries after 20,000 URLs)",
	   probe_urls_count(t));
	path = part(held, CURLUPART_PATH);
	OK(path && strcmp(path, "/held") == 0, "a held entry survives 20,000 others");
	OK(same, "an entry asked for within the ttl is kept, not parsed again");
	OK(probe_url_get(t, "http://127.0.0.1/held", 20000, 1000) == held, "...and found again");
	curl_free(path);
	probe_url_put(held);
	probe_url_put(held);
	probe_urls_free(t);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_parse();
	test_working_set();
	test_sweep();
	curl_global_cleanup();
	return tap_done();
}
