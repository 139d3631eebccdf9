/* fuzz_config.c - libFuzzer target for config_load_buffer.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     tests/fuzz/fuzz_config.c src/config*.c src/yamldoc.c src/diag.c src/util.c \
 *     -lyaml -o fuzz_config
 *   ./fuzz_config -dict=tests/fuzz/config.dict tests/fuzz/corpus/config
 *
 * Besides memory errors it checks the contract: a refusal carries messages
 * that all start with the file name, and an accepted config keeps the
 * invariants that struct target_conf documents. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* so ${FUZZ} expands and ${OTHER} is unset, both paths reachable */
	setenv("FUZZ", "x", 1);
	return 0;
}

static void check_target(const struct target_conf *t)
{
	if (!t->name || !t->url || !t->group || !t->method || !*t->name)
		abort();
	if (t->interval_ms <= 0 || t->timeout_ms <= 0 || t->timeout_ms >= t->interval_ms)
		abort();
	if (t->max_latency_ms < 0 || (t->max_latency_ms && t->max_latency_ms >= t->timeout_ms))
		abort();
	if (t->failures_before_down < 1 || t->max_body < 1 || t->nexpect < 1)
		abort();
	for (size_t i = 0; i < t->nexpect; i++)
		if (t->expect[i].lo < 100 || t->expect[i].hi > 599 ||
		    t->expect[i].lo > t->expect[i].hi)
			abort();
	for (size_t i = 0; i < t->nheaders; i++)
		if (!t->headers[i].name || !t->headers[i].value || !t->headers[i].shown ||
		    strpbrk(t->headers[i].value, "\r\n"))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { 0 };
	struct config *c = NULL;

	if (config_load_buffer("fuzz", (const char *)data, size, &c, &d) == 0) {
		if (!c || d.n || c->ntargets == 0)
			abort();
		for (size_t i = 0; i < c->ntargets; i++)
			check_target(&c->targets[i]);
	} else {
		if (c || d.n == 0)
			abort();
		for (size_t i = 0; i < d.n; i++)
			if (strncmp(d.msgs[i], "fuzz:", 5) != 0)
				abort();
	}
	config_free(c);
	diag_clear(&d);
	return 0;
}
