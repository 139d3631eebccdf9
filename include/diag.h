/* diag.h - a list of human-readable error messages ("errors are values").
 *
 * Config loading collects every mistake of a file here instead of stopping
 * at the first; the caller prints them together. */
#ifndef UPTOP_DIAG_H
#define UPTOP_DIAG_H

#include <stdio.h>
#include <stddef.h>
#include "util.h"

struct diag {
	char **msgs;
	size_t n, cap;
};

void diag_addf(struct diag *d, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Prints each message on its own line. */
void diag_print(const struct diag *d, FILE *f);
/* All messages joined with "\n" (caller frees); "" when empty. */
char *diag_join(const struct diag *d);
void diag_clear(struct diag *d);

#endif
