/* history_read.h - `uptop report`'s reads of the history database (module
 * history: the only one that includes sqlite3.h; the schema is in
 * history.h). Read-only, for a process that is not running checks.
 *
 * The file is opened with SQLITE_OPEN_READONLY: never created, never
 * written, never locked the way a running uptop locks it (flock). All
 * reads are one transaction, a consistent snapshot; in WAL mode a reader
 * never waits for uptop's writer, and uptop never waits for it (SQLite
 * may add its -wal and -shm files next to the database, as for any
 * reader). */
#ifndef UPTOP_HISTORY_READ_H
#define UPTOP_HISTORY_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct history_query {
	const char *path;
	int64_t from, to, now;            /* the window [from, to), wall ms */
	/* The targets to report, in this order, with their groups (the
	 * config's); n == 0: every target the file knows, in the order it
	 * first saw them, with the group it last had. */
	const char *const *names, *const *groups;
	size_t n;
	/* Of those, only the ones keep() says (NULL: all). */
	bool (*keep)(void *arg, const char *name, const char *group);
	void *arg;
};

/* Fills `out` (zeroed by the caller; digest_input_free after) for the
 * window: every run, per target the buckets that overlap the window
 * merged (minute buckets at its edges where the file still has them,
 * hour buckets between), the state changes into and out of DOWN that
 * digest.h asks for, and its last check. A run whose heartbeat is
 * recent and whose process is alive is still going: it stops at `now`.
 * Cost: O(buckets and changes in the window) plus two indexed lookups
 * per target. -1 with one line in err (the path, what and why) when the
 * file is missing, is not an uptop history, or cannot be read. */
int history_read(const struct history_query *q, struct digest_input *out, char *err,
		 size_t elen);

#endif
