/* resolve_answer.c - a DNS reply's answer section in Gatus' words, for
 * DNS checks' [BODY] (resolve_priv.h). c-ares decompresses the names
 * (ares_expand_name); the rest of the wire format is RFC 1035's fixed
 * fields, read with bounds checked against the reply's length. */
#include "resolve_priv.h"

#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util.h"

/* A growable text, for the body. */
struct text {
	char *p;
	size_t n, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	t->p = xreallocarray_grow(t->p, &t->cap, t->n + n + 1, 1);
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = '\0';
}

/* A name as miekg/dns writes one (Gatus' body): every label's dot, the
 * final one too; '.', ' ', '"', '(', ')', ';', '@', '\' escaped with a
 * backslash, other unprintable bytes as \DDD. c-ares' expansion escapes
 * the same bytes but for ' ' (kept) and '$' (escaped): mended here. */
static bool name_at(const unsigned char *p, const unsigned char *abuf, int alen,
		    struct text *out, long *used)
{
	char *raw = NULL;

	if (ares_expand_name(p, abuf, alen, &raw, used) != ARES_SUCCESS)
		return false;
	for (const char *c = raw; *c; c++) {
		if (*c == '\\' && c[1] == '$') {
			text_add(out, "$", 1);
			c++;
		} else if (*c == '\\') {
			size_t k = isdigit((unsigned char)c[1]) ? 4 : 2;

			text_add(out, c, strnlen(c, k));
			c += strnlen(c, k) - 1;
		} else if (*c == ' ') {
			text_add(out, "\\ ", 2);
		} else {
			text_add(out, c, 1);
		}
	}
	text_add(out, ".", 1);
	ares_free_string(raw);
	return true;
}

/* One TXT record's strings joined, escaped as miekg/dns does. */
static bool txt_at(const unsigned char *p, size_t len, struct text *out)
{
	for (size_t i = 0; i < len;) {
		size_t l = p[i++];

		if (i + l > len)
			return false;
		for (size_t k = 0; k < l; k++) {
			unsigned char b = p[i + k];
			char esc[5];

			if (b == '"' || b == '\\') {
				esc[0] = '\\';
				esc[1] = (char)b;
				text_add(out, esc, 2);
			} else if (b < ' ' || b > '~') {
				snprintf(esc, sizeof(esc), "\\%03u", b);
				text_add(out, esc, 4);
			} else {
				text_add(out, (const char *)&b, 1);
			}
		}
		i += l;
	}
	return true;
}

static unsigned get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* One answer record's data, as Gatus' client.QueryDNS writes it into the
 * body: the record replaces what came before, except TXT, which is
 * appended on a new line; a type it does not read says so. */
static bool record_text(const unsigned char *abuf, int alen, unsigned type,
			const unsigned char *rd, size_t rdlen, struct text *body)
{
	struct text one = { 0 };
	char ip[INET6_ADDRSTRLEN];
	long used;
	bool ok = true;

	text_add(&one, "", 0);
	switch (type) {
	case 1:
		ok = rdlen == 4 && inet_ntop(AF_INET, rd, ip, sizeof(ip));
		if (ok)
			text_add(&one, ip, strlen(ip));
		break;
	case 28:
		/* Go prints an IPv4-mapped address as IPv4 */
		if (rdlen == 16 && !memcmp(rd, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			ok = inet_ntop(AF_INET, rd + 12, ip, sizeof(ip)) != NULL;
		else
			ok = rdlen == 16 && inet_ntop(AF_INET6, rd, ip, sizeof(ip));
		if (ok)
			text_add(&one, ip, strlen(ip));
		break;
	case 2:
	case 5:
	case 12:
		ok = name_at(rd, abuf, alen, &one, &used);
		break;
	case 15:
		ok = rdlen > 2 && name_at(rd + 2, abuf, alen, &one, &used);
		break;
	case 33:
		ok = rdlen > 6 && name_at(rd + 6, abuf, alen, &one, &used);
		if (ok) {
			snprintf(ip, sizeof(ip), ":%u", get16(rd + 4));
			text_add(&one, ip, strlen(ip));
		}
		break;
	case 16:
		if (body->n)
			text_add(body, "\n", 1);
		ok = txt_at(rd, rdlen, body);
		free(one.p);
		return ok;
	default:
		text_add(&one, "query type is not supported yet", 31);
		break;
	}
	if (ok) {
		body->n = 0;
		text_add(body, one.p, one.n);
	}
	free(one.p);
	return ok;
}

static bool answers_parse(const unsigned char *abuf, int alen, int *rcode, unsigned *answers,
			  struct text *body)
{
	const unsigned char *p = abuf + 12, *end = abuf + alen;
	unsigned qd, an;
	char *skip;
	long used;

	text_add(body, "", 0);
	if (alen < 12)
		return false;
	*rcode = abuf[3] & 15;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	for (unsigned i = 0; i < qd; i++) {
		if (ares_expand_name(p, abuf, alen, &skip, &used) != ARES_SUCCESS)
			return false;
		ares_free_string(skip);
		p += used + 4;
		if (p > end)
			return false;
	}
	for (unsigned i = 0; i < an; i++) {
		unsigned type, rdlen;

		if (ares_expand_name(p, abuf, alen, &skip, &used) != ARES_SUCCESS)
			return false;
		ares_free_string(skip);
		p += used;
		if (end - p < 10)
			return false;
		type = get16(p);
		rdlen = get16(p + 8);
		p += 10;
		if ((size_t)(end - p) < rdlen || !record_text(abuf, alen, type, p, rdlen, body))
			return false;
		p += rdlen;
		(*answers)++;
	}
	return true;
}

bool resolve_answers(const unsigned char *abuf, int alen, int *rcode, unsigned *answers,
		     char **body, size_t *len)
{
	struct text t = { 0 };

	*rcode = 0;
	*answers = 0;
	if (!answers_parse(abuf, alen, rcode, answers, &t)) {
		free(t.p);
		*body = NULL;
		*len = 0;
		return false;
	}
	*body = t.p;
	*len = t.n;
	return true;
}

