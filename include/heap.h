/* heap.h - transparent huge pages under the malloc heap.
 *
 * At 10,000 targets a check touches its target (1.7 KB of a 17 MB
 * array), its scheduler slot, its parsed URL and curl's connection and
 * handle, each in a different 4 KiB page of a 60 MB heap: a TLB miss
 * apiece, and on a virtual machine each miss walks two page tables.
 * In 2 MiB pages the hot heap fits the TLB.
 *
 * glibc does this itself only when told at exec time
 * (GLIBC_TUNABLES=glibc.malloc.hugetlb=1); heap_init does the same from
 * inside: big blocks come from the heap (brk) instead of mappings of
 * their own, the heap grows in 16 MiB steps (each holds several aligned
 * huge pages), and heap_advise marks what it has gained since the last
 * call madvise(MADV_HUGEPAGE). "madvise", Debian's default THP mode, is
 * the mode it is for; with "never" the kernel takes the advice and
 * ignores it, and a kernel without THP refuses it once (not asked
 * again). */
#ifndef UPTOP_HEAP_H
#define UPTOP_HEAP_H

#include <stdbool.h>

/* Once, at the start of main, before the big allocations (the config's
 * targets): sets malloc's thresholds and notes where the heap starts. */
void heap_init(void);

/* Cheap (a pointer compare) unless the heap grew: then one madvise. The
 * loop calls it once a turn. false: the kernel refused (no THP). */
bool heap_advise(void);

#endif
