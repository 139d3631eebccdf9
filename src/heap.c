/* heap.c - transparent huge pages under the malloc heap (see heap.h).
 *
 * Measured in bench workload (g) (10,000 targets every 10 s, the history
 * on), two uptops side by side, start order alternating: the CPU per
 * check with huge pages was 0.93-0.99 of without in 8 pairs of 8; RSS
 * 5-10% more. What the heap holds before the first turn (the config's
 * targets) is advised late, populated: the kernel's khugepaged collapses
 * it into huge pages in the background. */
#include "heap.h"

#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

#define GROW_STEP ((size_t)16 << 20)   /* virtual: pages come when touched */
/* Blocks below this come from the heap, not from a mapping of their own
 * (glibc's default starts at 128 KiB): the 17 MB target array of 10,000
 * targets is one of them. */
#define MMAP_FROM ((size_t)64 << 20)

static uintptr_t lo, advised;   /* page-aligned: the heap's start, the end advised */
static uintptr_t page;
static bool refused;

static uintptr_t brk_now(void)
{
	return ((uintptr_t)sbrk(0) + page - 1) & ~(page - 1);
}

void heap_init(void)
{
	mallopt(M_MMAP_THRESHOLD, (int)MMAP_FROM);
	/* Each growth is a mapping of its own (the kernel does not merge it
	 * into an advised one), and a huge page needs an aligned 2 MiB inside
	 * one: grow in steps that hold several, give back only past two. */
	mallopt(M_TOP_PAD, (int)GROW_STEP);
	mallopt(M_TRIM_THRESHOLD, (int)(2 * GROW_STEP));
	page = (uintptr_t)sysconf(_SC_PAGESIZE);
	lo = advised = brk_now();
}

bool heap_advise(void)
{
	uintptr_t top;

	if (refused || !page)
		return false;
	top = brk_now();
	if (top < advised) {
		/* trimmed: what grows back is a new mapping, not yet advised */
		advised = top > lo ? top : lo;
		return true;
	}
	if (top == advised)
		return true;
	if (madvise((void *)advised, top - advised, MADV_HUGEPAGE) != 0) {
		log_debug("heap: madvise(MADV_HUGEPAGE): refused: 4 KiB pages");
		refused = true;
		return false;
	}
	advised = top;
	return true;
}
