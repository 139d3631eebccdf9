/* probe_priv.h - the parts of the probe module its files share (probe.c,
 * probe_cert.c); nothing outside the module includes it. */
#ifndef UPTOP_PROBE_PRIV_H
#define UPTOP_PROBE_PRIV_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "result.h"

/* What a TLS connection's peer presented, as a result keeps it. */
struct probe_cert {
	int64_t not_after_ms;        /* earliest notAfter of the chain, wall ms */
	int64_t leaf_not_after_ms;   /* the server's own certificate's */
	uint8_t depth;               /* which one is earliest: 0 the server's */
	char first_cn[RESULT_CN_LEN];
	char subject[RESULT_CERT_LEN];
	char issuer[RESULT_CERT_LEN];
};

/* The certificates of the connections curl keeps, read once per
 * connection (probe_cert.c, the one user of OpenSSL): a check on a reused
 * connection costs a table lookup, never a parse or a handshake. */
struct probe_certs;

struct probe_certs *probe_certs_new(void);
void probe_certs_free(struct probe_certs *pc);

/* Called from the pre-request callback of an https transfer (its
 * connection is up: new, or reused). Fills *out from the cache when the
 * connection is known, else reads the peer's chain (SSL_get_peer_cert_chain)
 * and remembers it under the connection's SSL object and local port;
 * `fresh` (CURLINFO_NUM_CONNECTS > 0: curl made the connection for this
 * transfer) always reads. Entries unused for `idle_ms` (the probe's idle
 * limit: curl has closed those connections) are dropped as the table
 * fills. False when the connection has no certificate to read. O(1)
 * amortised; a read is O(chain length). */
bool probe_certs_get(struct probe_certs *pc, CURL *e, int local_port, bool fresh,
		     int64_t idle_ms, struct probe_cert *out);

/* Copies c into r's cert_* fields. */
void probe_cert_fill(const struct probe_cert *c, struct result *r);

/* Target URLs parsed once (probe_url.c): a check hands curl the CURLU
 * (CURLOPT_CURLU) instead of a string it would parse and format again. */
struct probe_urls;
struct probe_url;

struct probe_urls *probe_urls_new(void);
/* Every entry; call when no transfer is left. */
void probe_urls_free(struct probe_urls *t);
/* The entry for `text`, held until probe_url_put (curl reads the CURLU
 * while the transfer runs); NULL when curl cannot parse it (the string
 * then goes in alone, and curl says why). Entries not asked for within
 * ttl_ms and not held are dropped as the table fills. O(1) amortised. */
struct probe_url *probe_url_get(struct probe_urls *t, const char *text, int64_t now_ms,
			       int64_t ttl_ms);
CURLU *probe_url_handle(const struct probe_url *e);
size_t probe_urls_count(const struct probe_urls *t);   /* entries now */
void probe_url_put(struct probe_url *e);

#endif
