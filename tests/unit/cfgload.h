/* cfgload.h - the config tests' two helpers: load a YAML text as the file
 * "t.yaml", and find a message among the diagnostics it gave. */
#ifndef UPTOP_TEST_CFGLOAD_H
#define UPTOP_TEST_CFGLOAD_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* The config text loads as t.yaml -> the config, or NULL with errs. */
static inline struct config *load(const char *text, struct diag *errs)
{
	struct config *c = NULL;

	config_load_buffer("t.yaml", text, strlen(text), &c, errs);
	return c;
}

/* Whether a message contains s; on a miss every message is shown as a
 * TAP comment, so a failing check says what came instead. */
static inline bool has_msg(const struct diag *d, const char *s)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], s))
			return true;
	for (size_t i = 0; i < d->n; i++)
		printf("#   %s\n", d->msgs[i]);
	return false;
}

#endif
