/* test_heap.c - huge pages under the malloc heap: what the heap gains
 * is advised MADV_HUGEPAGE (the kernel's own record of it, the "hg" flag
 * in /proc/self/smaps, is what is checked), a trimmed heap that grows
 * back is advised again, and a block the size of 10,000 targets' array
 * comes from the heap, not from a mapping of its own. The break is
 * moved with sbrk as malloc moves it. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap.h"
#include "tap.h"

#define MIB ((intptr_t)1 << 20)

/* The VmFlags line of the mapping that holds p: "" when none does. */
static const char *flags_at(uintptr_t p, char *out, size_t n)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;

	out[0] = '\0';
	if (!f)
		return out;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = p >= lo && p < hi;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			size_t len = strlen(line + 8);

			len = len < n - 1 ? len : n - 1;
			memcpy(out, line + 8, len);
			out[len] = '\0';
			break;
		}
	}
	fclose(f);
	return out;
}

static bool advised_at(uintptr_t p)
{
	char fl[512];

	return strstr(flags_at(p, fl, sizeof(fl)), " hg") != NULL;
}

/* Under valgrind or ASan, malloc is theirs and never moves the break. */
static bool own_malloc(void)
{
	const char *pre = getenv("LD_PRELOAD");

	return !getenv("UPTOP_SANITIZED") && !(pre && strstr(pre, "vgpreload"));
}

int main(void)
{
	uintptr_t at;
	char *big;
	bool thp;

	heap_init();
	OK(heap_advise(), "nothing grown: nothing to ask");
	at = (uintptr_t)sbrk(4 * MIB);
	OK(at != (uintptr_t)-1, "the break grows by 4 MiB");
	OK(!advised_at(at + 2 * MIB), "grown, not yet advised");
	thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
	if (!thp) {
		OK(!heap_advise(), "a kernel without THP refuses the advice");
		OK(!heap_advise(), "refused once: not asked again");
		sbrk(-4 * MIB);
		return tap_done();
	}
	OK(heap_advise(), "advised");
	OK(advised_at(at + 2 * MIB), "what the heap gained is MADV_HUGEPAGE");
	OK(advised_at((uintptr_t)sbrk(0) - 1), "up to the break");
	OK(heap_advise(), "nothing new: nothing to do");

	sbrk(-4 * MIB);
	OK(heap_advise(), "trimmed below the mark");
	at = (uintptr_t)sbrk(2 * MIB);
	heap_advise();
	OK(advised_at(at + MIB), "grown back: advised again");
	sbrk(-2 * MIB);

	big = malloc((size_t)(20 * MIB));
	if (own_malloc())
		OK(big && (uintptr_t)big < (uintptr_t)sbrk(0),
		   "20 MB comes from the heap (glibc would map it apart)");
	else
		OK(big != NULL, "20 MB allocated (sanitizer or valgrind malloc)");
	if (big)
		memset(big, 1, (size_t)(20 * MIB));
	heap_advise();
	if (own_malloc())
		OK(big && advised_at((uintptr_t)big + 10 * MIB), "and is advised");
	free(big);
	return tap_done();
}
