/* writer.h - the one thread that touches the disk after start-up (the
 * event log; the history database next), fed by a bounded queue. The
 * loop never waits on a disk.
 *
 * The loop puts records for a sink (writer_put): bytes copied into the
 * queue, or dropped and counted when it is full; never a wait for the
 * thread. The queue is two buffers: the loop appends to one under a mutex
 * that the writer thread takes only to swap the two (a pointer swap, so
 * the loop's wait for it is O(1), never a disk's); the thread then hands
 * each record of its buffer to its sink, in the order they were put, and
 * calls each sink's flush after a batch. An idle thread wakes on a pipe
 * when a record comes; after a batch it naps WRITER_BATCH_MS while the
 * next one gathers (no wake-up per record: a record waits at most that
 * long, unless the queue passes half its cap, which wakes it at once).
 * It also wakes every WRITER_TICK_MS for its sinks' housekeeping (the
 * event log notices a file that logrotate renamed).
 *
 * Sinks run on the writer thread only and own their files: they may wait
 * on their disk, which is the point. What they have to say (a failed
 * write, a reopened file) goes back to the loop with writer_say and comes
 * out of the loop's fd as the on_notice callback, on the loop thread.
 *
 * Adding a sink (the history): fill a struct writer_sink, writer_add it
 * before writer_start, then writer_put records for its id from the loop
 * (what a record is, is between the sink and whoever puts: bytes). */
#ifndef UPTOP_WRITER_H
#define UPTOP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct loop;
struct writer;

#define WRITER_CAP_DEFAULT ((size_t)16 << 20)   /* bytes queued at most */
#define WRITER_TICK_MS 1000
#define WRITER_BATCH_MS 100                     /* a record waits at most */
#define WRITER_EXIT_CHUNK ((size_t)256 << 10)   /* writer_put_wait */
#define WRITER_SINKS_MAX 8

/* Every callback runs on the writer thread, never the loop. */
struct writer_sink {
	const char *name;      /* "event log": names the sink in messages */
	void *arg;
	/* one record, as put */
	void (*write)(struct writer *w, void *arg, const void *rec, size_t len);
	/* after a batch of records (may be NULL): commit, fflush */
	void (*flush)(struct writer *w, void *arg);
	/* every WRITER_TICK_MS (may be NULL): rotation checks */
	void (*tick)(struct writer *w, void *arg);
	/* once, after the last record, when the writer stops (may be NULL) */
	void (*close)(struct writer *w, void *arg);
};

/* on_notice: what sinks said (writer_say), on the loop thread; `error`:
 * a failure (shown as an error), else a notice. cap 0: the default. */
struct writer *writer_new(struct loop *l, size_t cap,
			  void (*on_notice)(void *arg, const char *sink,
					    const char *msg, bool error),
			  void *arg);
/* Registers a sink (the struct is copied) -> its id; before writer_start. */
int writer_add(struct writer *w, const struct writer_sink *s);
/* The nap after a batch (default WRITER_BATCH_MS; 0: none, a wake-up per
 * record put into an empty queue); before writer_start. */
void writer_set_batch(struct writer *w, int ms);
/* Starts the thread (its signals blocked: they are the loop's). 0, or -1
 * with a message in err. */
int writer_start(struct writer *w, char *err, size_t elen);

/* From the loop: queues a copy of one record for sink `id`. O(len); true,
 * or false when it would pass the cap (dropped, counted). */
bool writer_put(struct writer *w, int id, const void *rec, size_t len);

/* At exit only, from the loop (it has stopped checking): writer_put for a
 * last batch that may be larger than the cap. It keeps the queue under
 * WRITER_EXIT_CHUNK bytes: past that it wakes the thread and waits, until
 * until_ms (mono_ms), for it to take what is queued (the batch never
 * sits whole in memory); false (dropped, counted) when that time came. */
bool writer_put_wait(struct writer *w, int id, const void *rec, size_t len, int64_t until_ms);

/* From a sink (writer thread): a message for the loop. */
void writer_say(struct writer *w, const char *sink, bool error, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

struct writer_stats {
	uint64_t put, dropped;     /* records queued, records dropped (full) */
	size_t pending;            /* bytes waiting */
};
void writer_stats(const struct writer *w, struct writer_stats *out);

/* Stops the thread after it has written what is queued, closes the sinks
 * and frees; true then (the sinks' state may be freed). Waits at most
 * wait_ms for a disk that hangs; then gives up, false: the thread and
 * what it holds are left to the exit, and *lost (may be NULL) says how
 * many records were not written. NULL is a no-op (true). */
bool writer_free(struct writer *w, int wait_ms, uint64_t *lost);

#endif
