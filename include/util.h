/* util.h - allocation that cannot fail silently, fatal errors, time.
 *
 * Every allocation goes through x*alloc: on failure the registered fatal
 * hook runs first (the UI uses it to give the terminal back), then the
 * message is printed and the process exits with status 70 (EX_SOFTWARE). */
#ifndef UPTOP_UTIL_H
#define UPTOP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least `need` elements (amortised doubling). */
void *xreallocarray_grow(void *p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Copies src (NULL: "") into dst[size], cut to fit, always terminated;
 * writes up to the NUL only (snprintf "%s" costs ~600 instructions). */
void str_copy(char *dst, size_t size, const char *src);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_LIKE(1, 0);

/* Maps in the pages of [p, p + len) now, in one system call, for a block
 * that is about to be written all over: a trap per 4 KiB page costs more
 * than the page itself on a virtual machine (~10 us each). Best effort;
 * a no-op under 1 MiB and where the kernel lacks MADV_POPULATE_WRITE
 * (Linux < 5.14). */
void prefault(void *p, size_t len);

/* Runs before a fatal message is printed (at most one hook). */
void fatal_set_hook(void (*hook)(void));
NORETURN void fatal(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* 64-bit FNV-1a of a C string: the hash of our name tables (fast on
 * short keys; not for anything an attacker must not collide). */
uint64_t hash_fnv1a(const char *s);

/* Monotonic clock (CLOCK_MONOTONIC): every interval, timeout and latency. */
int64_t mono_ms(void);
int64_t mono_us(void);
/* Wall clock in ms since the epoch: only for what a person reads. */
int64_t wall_ms(void);

#endif
