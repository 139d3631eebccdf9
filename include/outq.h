/* outq.h - the output queue: bytes for an fd we do not control (stdout, a
 * terminal) kept in memory and written when poll() says the fd is
 * writable, so a slow or stalled reader never holds the loop.
 *
 * The fd is shared with whoever started uptop (a shell, a pipe's other
 * writers), so outq never sets O_NONBLOCK on the caller's file
 * description. It writes through one of its own, by the fd's type:
 *   pipe, FIFO, terminal  a new open file description of the same object
 *                         (open("/proc/self/fd/N", O_NONBLOCK)): the flag
 *                         is ours alone;
 *   socket                send(MSG_DONTWAIT): non-blocking per call, no
 *                         flag at all;
 *   regular file, other   a dup: a write to the page cache does not wait
 *                         for a reader;
 *   fallback              (no /proc) O_NONBLOCK set on the shared
 *                         description and restored by outq_free and at
 *                         exit; the debug log says so.
 *
 * The queue is one buffer: appending is amortised O(1); a write moves as
 * much as the kernel takes and the rest waits for POLLOUT. While the queue
 * is empty the fd stays in the loop with no events, so poll still reports
 * POLLERR/POLLHUP: a reader that goes away (`| head -1`) is noticed at
 * once, not at the next line.
 *
 * In line mode (the JSON lines of --headless) a line is queued whole or
 * not at all: past the cap a new line is dropped and counted, never cut,
 * and a notice goes to stderr once. Raw mode (a terminal) has no cap: its
 * writer bounds what it queues (the UI skips frames while one is
 * pending). */
#ifndef UPTOP_OUTQ_H
#define UPTOP_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct loop;
struct outq;

/* 64 MiB: about 150,000 state lines, every target of a 100,000-target
 * config changing state at once with room to spare. Memory is only used
 * while the reader lags; a drained queue gives a large buffer back. */
#define OUTQ_CAP_DEFAULT ((size_t)64 << 20)

struct outq_opts {
	const char *what;      /* "stdout": names the fd in messages */
	bool lines;            /* line mode: whole lines, the cap applies */
	size_t cap;            /* line mode: bytes queued at most (0: default) */
	/* Called (from the loop) each time the queue becomes empty. */
	void (*on_drained)(void *arg);
	void *arg;
};

/* Takes over writing to `fd` (which the caller keeps open and owns) and
 * registers the writer's fd with the loop. Never fails: without /proc it
 * falls back as above. */
struct outq *outq_new(struct loop *l, int fd, const struct outq_opts *o);
/* Removes the fd from the loop, restores any flag it changed, closes its
 * own fd. Unwritten bytes are discarded: call outq_drain first. NULL is a
 * no-op. */
void outq_free(struct outq *q);

/* Queues n bytes and tries one non-blocking write at once if nothing was
 * waiting. Raw mode; in line mode use outq_stream. */
void outq_put(struct outq *q, const void *p, size_t n);
/* A stdio stream whose complete lines are queued on fflush (and when its
 * buffer fills): existing fprintf code writes lines without change. Owned
 * by the queue. With a loop, queued lines are written when poll says the
 * fd is writable: the lines of one loop turn go out in one write. */
FILE *outq_stream(struct outq *q);

/* Bytes waiting to be written. */
size_t outq_pending(const struct outq *q);
/* Lines dropped past the cap (line mode). */
uint64_t outq_dropped(const struct outq *q);
/* 0 while the fd takes our writes; else the errno that ended them (EPIPE:
 * the reader is gone). Nothing is queued after an error. */
int outq_error(const struct outq *q);
/* The writer's own fd (for the terminal size ioctl, isatty, ...). */
int outq_fd(const struct outq *q);

/* Blocks until everything queued is written or the fd fails: for the end
 * of a run, when the loop has nothing left to do. Gives up when the fd
 * takes nothing for idle_ms (-1: never; a terminal whose reader is gone
 * must not hold the exit), or when wake_fd (>= 0, polled too) is readable
 * and stop(arg) says so (a second Ctrl-C while a stalled reader holds the
 * last lines). Returns true when everything was written. */
bool outq_drain(struct outq *q, int idle_ms, int wake_fd, bool (*stop)(void *arg),
		void *arg);

#endif
