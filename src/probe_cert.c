/* probe_cert.c - the peer certificates of curl's TLS connections, read
 * once per connection.
 *
 * libcurl (7.88, OpenSSL) hands out the connection's SSL object while a
 * transfer holds it (CURLINFO_TLS_SSL_PTR): in the pre-request callback,
 * once the connection is up. A new connection's chain is read there
 * (SSL_get_peer_cert_chain: the leaf and the intermediates the server
 * sent, as presented, so an intermediate that expires first is seen); a
 * reused one is found in a table keyed by its SSL object and local port,
 * so a keep-alive check costs a hash lookup and a copy. The key cannot go
 * stale: curl makes every connection for one of our transfers, which
 * reads (and replaces) its entry before the request goes out. */
#include "probe_priv.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define TABLE_MIN 64

struct entry {
	const void *ssl;
	int lport;
	int64_t used_ms;
	struct probe_cert c;
};

struct probe_certs {
	struct entry **slot;   /* open addressing, linear probing; power of two */
	size_t cap, n;
};

struct probe_certs *probe_certs_new(void)
{
	return xcalloc(1, sizeof(struct probe_certs));
}

void probe_certs_free(struct probe_certs *pc)
{
	if (!pc)
		return;
	for (size_t i = 0; i < pc->cap; i++)
		free(pc->slot[i]);
	free(pc->slot);
	free(pc);
}

static size_t slot_of(const struct probe_certs *pc, const void *ssl, int lport)
{
	uint64_t h = ((uint64_t)(uintptr_t)ssl ^ ((uint64_t)lport << 48)) * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 32) & (pc->cap - 1);
}

static struct entry **find(struct probe_certs *pc, const void *ssl, int lport)
{
	size_t i = slot_of(pc, ssl, lport);

	while (pc->slot[i] && (pc->slot[i]->ssl != ssl || pc->slot[i]->lport != lport))
		i = (i + 1) & (pc->cap - 1);
	return &pc->slot[i];
}

/* Rebuilds the table without the entries unused for idle_ms (their
 * connections are gone: curl closes connections idle that long), at a
 * quarter full at most. O(cap), when the table is half full. */
static void rebuild(struct probe_certs *pc, int64_t now, int64_t idle_ms)
{
	struct entry **old = pc->slot;
	size_t oldcap = pc->cap, live = 0, cap = TABLE_MIN;

	for (size_t i = 0; i < oldcap; i++) {
		if (old[i] && idle_ms > 0 && now - old[i]->used_ms > idle_ms) {
			free(old[i]);
			old[i] = NULL;
		}
		live += old[i] != NULL;
	}
	while (cap < 4 * (live + 1))
		cap *= 2;
	pc->slot = xcalloc(cap, sizeof(*pc->slot));
	pc->cap = cap;
	pc->n = live;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*find(pc, old[i]->ssl, old[i]->lport) = old[i];
	free(old);
}

/* ---- reading a chain ------------------------------------------------------ */

static int64_t time_ms(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

/* "CN=shop.example.com,O=Shop" (RFC 2253, UTF-8 kept as is). */
static void name_text(const X509_NAME *name, char *dst, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	dst[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_read(b, dst, (int)len - 1);
		dst[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

static void cn_text(const X509_NAME *name, char *dst, size_t len)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n;

	dst[0] = '\0';
	if (i < 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n >= 0)
		snprintf(dst, len, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
}

/* The leaf's names and date, and the earliest notAfter of the chain as
 * presented (on a client, SSL_get_peer_cert_chain starts with the leaf). */
static bool chain_read(SSL *ssl, struct probe_cert *c)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509 *leaf = SSL_get0_peer_certificate(ssl), *first;
	int n = chain ? sk_X509_num(chain) : 0;

	memset(c, 0, sizeof(*c));
	if (!leaf && n > 0)
		leaf = sk_X509_value(chain, 0);
	if (!leaf)
		return false;
	c->leaf_not_after_ms = c->not_after_ms = time_ms(X509_get0_notAfter(leaf));
	first = leaf;
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		int64_t t = time_ms(X509_get0_notAfter(x));

		if (x != leaf && t && (t < c->not_after_ms || !c->not_after_ms)) {
			c->not_after_ms = t;
			c->depth = (uint8_t)(i > 255 ? 255 : i ? i : 1);
			first = x;
		}
	}
	name_text(X509_get_subject_name(leaf), c->subject, sizeof(c->subject));
	name_text(X509_get_issuer_name(leaf), c->issuer, sizeof(c->issuer));
	cn_text(X509_get_subject_name(first), c->first_cn, sizeof(c->first_cn));
	return c->not_after_ms != 0;
}

bool probe_certs_get(struct probe_certs *pc, CURL *e, int local_port, bool fresh,
		     int64_t idle_ms, struct probe_cert *out)
{
	struct curl_tlssessioninfo *tsi = NULL;
	struct entry **at, *en;
	int64_t now = mono_ms();

	if (curl_easy_getinfo(e, CURLINFO_TLS_SSL_PTR, &tsi) != CURLE_OK || !tsi ||
	    tsi->backend != CURLSSLBACKEND_OPENSSL || !tsi->internals)
		return false;
	if (!pc->cap)
		rebuild(pc, now, idle_ms);
	at = find(pc, tsi->internals, local_port);
	if (*at && !fresh) {
		(*at)->used_ms = now;
		*out = (*at)->c;
		return true;
	}
	if (!chain_read(tsi->internals, out))
		return false;
	if (!*at && (pc->n + 1) * 2 > pc->cap) {
		rebuild(pc, now, idle_ms);
		at = find(pc, tsi->internals, local_port);
	}
	if (!*at) {
		*at = xmalloc(sizeof(**at));
		pc->n++;
	}
	en = *at;
	en->ssl = tsi->internals;
	en->lport = local_port;
	en->used_ms = now;
	en->c = *out;
	return true;
}

void probe_cert_fill(const struct probe_cert *c, struct result *r)
{
	r->cert_not_after_ms = c->not_after_ms;
	r->cert_leaf_not_after_ms = c->leaf_not_after_ms;
	r->cert_depth = c->depth;
	memcpy(r->cert_first_cn, c->first_cn, sizeof(r->cert_first_cn));
	memcpy(r->cert_subject, c->subject, sizeof(r->cert_subject));
	memcpy(r->cert_issuer, c->issuer, sizeof(r->cert_issuer));
}
