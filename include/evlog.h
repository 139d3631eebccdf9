/* evlog.h - the event log (settings.event_log, --event-log PATH): every
 * event (state changes, outages, stalls, acks, silences, maintenance,
 * alerts sent or failed) as one JSON line, report's shapes, appended to a
 * file and never rewritten.
 *
 * The loop hands lines to the writer thread (writer.h); only that thread
 * touches the file. It opens it with O_APPEND (several writers, a tail
 * -f, logrotate's copytruncate all see whole lines), and every
 * WRITER_TICK_MS compares the path's inode with the one it holds: a file
 * renamed or removed (logrotate's default) is noticed within that and the
 * path opened again, created anew. A write that fails (a full disk) is
 * counted and said once, and said again when writes work again; the lines
 * in between are lost, never retried out of order. */
#ifndef UPTOP_EVLOG_H
#define UPTOP_EVLOG_H

#include <stddef.h>
#include <stdint.h>

struct writer;
struct evlog;

/* Opens (creates, mode 0600) `path` for appending now, before the writer
 * starts, so a path that cannot be written is an error at start-up, and
 * registers the sink with w. NULL with a message in err on failure. */
struct evlog *evlog_open(struct writer *w, const char *path, char *err, size_t elen);

/* From the loop: one line (its '\n' included). O(len); a line the
 * writer's queue has no room for is dropped and counted. */
void evlog_put(struct evlog *l, const char *line, size_t len);

/* Lines dropped at the queue (the loop's count) and lines the disk
 * refused (the writer's, read without a lock: a statistic). */
uint64_t evlog_dropped(const struct evlog *l);
uint64_t evlog_failed(const struct evlog *l);
const char *evlog_path(const struct evlog *l);

/* After writer_free (the sink closed its file). NULL is a no-op. */
void evlog_free(struct evlog *l);

#endif
