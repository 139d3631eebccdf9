/* tap.h - a tiny TAP producer for unit tests (header-only).
 *
 * Each assertion prints "ok N - what" or "not ok N - what # file:line";
 * tests/run.sh counts the lines of every test program. A test program
 * returns tap_done(): non-zero when anything failed. */
#ifndef UPTOP_TAP_H
#define UPTOP_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n_, tap_failed_;

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int tap_ok_(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n_);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf(" # at %s:%d", file, line);
		tap_failed_++;
	}
	printf("\n");
	fflush(stdout);
	return ok;
}

#define OK(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define IS_INT(got, want, what)                                              \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (!tap_ok_(g_ == w_, __FILE__, __LINE__, "%s", what))      \
			printf("#   got %lld, want %lld\n", g_, w_);         \
	} while (0)

#define IS_STR(got, want, what)                                              \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		int same_ = g_ && w_ ? strcmp(g_, w_) == 0 : g_ == w_;       \
		if (!tap_ok_(same_, __FILE__, __LINE__, "%s", what))         \
			printf("#   got  \"%s\"\n#   want \"%s\"\n",            \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");      \
	} while (0)

/* The string `hay` contains `needle`. */
#define HAS_STR(hay, needle, what)                                           \
	do {                                                                 \
		const char *h_ = (hay), *n_ = (needle);                      \
		if (!tap_ok_(h_ && strstr(h_, n_) != NULL, __FILE__,         \
			     __LINE__, "%s", what))                          \
			printf("#   \"%s\"\n#   does not contain \"%s\"\n",     \
			       h_ ? h_ : "(null)", n_);                      \
	} while (0)

static int tap_done(void)
{
	printf("1..%d\n", tap_n_);
	return tap_failed_ ? 1 : 0;
}

#endif
