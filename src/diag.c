/* diag.c - collected error messages. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diag_addf(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	d->msgs = xreallocarray_grow(d->msgs, &d->cap, d->n + 1, sizeof(*d->msgs));
	d->msgs[d->n++] = s;
}

void diag_print(const struct diag *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s\n", d->msgs[i]);
}

char *diag_join(const struct diag *d)
{
	size_t len = 1, at = 0;
	char *s;

	for (size_t i = 0; i < d->n; i++)
		len += strlen(d->msgs[i]) + 1;
	s = xmalloc(len);
	for (size_t i = 0; i < d->n; i++) {
		size_t l = strlen(d->msgs[i]);

		if (i)
			s[at++] = '\n';
		memcpy(s + at, d->msgs[i], l);
		at += l;
	}
	s[at] = '\0';
	return s;
}

void diag_clear(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = d->cap = 0;
}
