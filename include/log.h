/* log.h - the debug log (-v, --debug-log FILE): the loop's decisions and
 * the raw return codes of libcurl and c-ares, in a regular file, never on
 * the terminal, in the manner of tmux's log.c.
 *
 * Off by default. When off, log_debug() is one predictable branch on a
 * global and evaluates none of its arguments: no formatting, no call.
 * When on, each line is "TIME message" (TIME in UTC, for a person) with
 * control bytes shown as \xNN, through a 64 KiB stdio buffer that main
 * flushes once per loop turn (log_flush). A write to a regular file goes
 * to the page cache, so the loop is not held for long; the price of the
 * buffer is that a crash or SIGKILL can lose the lines of the last turn.
 * Libc only: every module may log. */
#ifndef UPTOP_LOG_H
#define UPTOP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "util.h"

/* The open log, or NULL when off. Only the macro and log.c read it. */
extern FILE *log_file;

#define log_debug(...)                                                       \
	do {                                                                 \
		if (log_file)                                                \
			log_write(__VA_ARGS__);                              \
	} while (0)

static inline bool log_enabled(void)
{
	return log_file != NULL;
}

/* Opens (creates or truncates, mode 0600) `path`, which must be a regular
 * file. Returns 0, or -1 with a message a person can act on in err. */
int log_open(const char *path, char *err, size_t elen);
/* Flushes and closes; logging is off again. */
void log_close(void);

/* Writes one line now (use log_debug, which skips the call when off). */
void log_write(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Hands what the last turn logged to the kernel (nothing when idle). */
void log_flush(void);

#endif
