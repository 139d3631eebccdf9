/* resolve_priv.h - what the resolve module's files share (resolve.c,
 * resolve_answer.c); nothing outside the module includes it. */
#ifndef UPTOP_RESOLVE_PRIV_H
#define UPTOP_RESOLVE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

/* A DNS reply (abuf, alen bytes) -> its header rcode, how many answer
 * records it holds, and the answers as Gatus' client.QueryDNS writes its
 * body (miekg/dns' presentation of each record): A and AAAA addresses
 * (Go prints an IPv4-mapped one as IPv4), the names of CNAME, NS, PTR and
 * MX records with their final dot, SRV as "target.:port", TXT records'
 * strings joined and escaped; each record replaces the body but TXT,
 * which is appended on a new line; any other type writes "query type is
 * not supported yet". *body is malloc'd (NUL-terminated, the caller
 * frees). False (and no body) when the reply does not parse. O(alen). */
bool resolve_answers(const unsigned char *abuf, int alen, int *rcode, unsigned *answers,
		     char **body, size_t *len);

#endif
