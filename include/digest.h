/* digest.h - `uptop report`: what the history says about a window of
 * time, per target and per group: checks, uptime, p50/p95 latency,
 * incidents, MTTR, the longest outage, and the time uptop was not
 * running ("not watched": neither up nor down). Pure: the history module
 * reads the file into a struct digest_input (history_read.h);
 * digest_build computes, digest_print formats (table, JSON, Markdown,
 * CSV). libc only, plus config.h's duration parser for relative times.
 *
 * The rules:
 *   - Checks, failures, uptime and latency come from the history's
 *     buckets (minute buckets for the last 48 h, hour buckets before):
 *     a window edge is rounded out to the bucket around it. Uptime is
 *     1 - down / watched time, as in the live table.
 *   - An incident is a stretch in DOWN: it starts at the state change
 *     into DOWN and ends at the next change out of it, to the
 *     millisecond (the times of the --headless state lines). Its
 *     duration is the time uptop watched it: a gap between two runs
 *     inside it is counted apart (`unwatched`). One that has not ended
 *     when the history does ("open") lasts until the run that last
 *     checked the target stopped, or until now when that run is still
 *     going. Incidents are listed with their real start and end, also
 *     when those lie outside the window.
 *   - MTTR is the mean duration of the incidents that ended; the
 *     longest outage is the longest incident, open ones included.
 *   - Not watched: the window's time outside every run of uptop with
 *     history (the gaps between runs, before the first, after the last). */
#ifndef UPTOP_DIGEST_H
#define UPTOP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bucket.h"

enum digest_format { DIGEST_TABLE, DIGEST_JSON, DIGEST_MD, DIGEST_CSV };

/* "table", "json", "md", "csv" -> 0; -1 for anything else. */
int digest_format_of(const char *s, enum digest_format *out);

/* A time on the command line (--from, --to) -> wall ms: ISO 8601
 * ("2026-11-30T14:00:00Z", "...+01:00", ".250" fractions), a local time
 * ("2026-11-30 14:00", "2026-11-30T14:00:05", "2026-11-30": midnight),
 * "now", or a duration back from now ("7d", "36h", "1h30m"). 0 or -1
 * with a one-line message in err naming what is wrong. */
int digest_parse_time(const char *s, int64_t now, int64_t *out, char *err, size_t elen);

/* --- the input (filled by history_read) ----------------------------------- */

/* One run of uptop with history: [start, stop] wall ms; stop is the
 * last heartbeat of a run that crashed, now for one still going. */
struct digest_run {
	int64_t start, stop;
};

/* One state change of a target that enters or leaves DOWN. */
struct digest_change {
	int64_t time;              /* wall ms */
	bool from_down, to_down;
	char *cls;                 /* the causing result's error class; NULL: none */
	char *msg;                 /* the event's reason ("timeout: ..."); NULL: none */
};

struct digest_target {
	char *name, *group;
	bool in_history;           /* the file knows the name */
	struct hbucket sum;        /* the window's buckets, merged */
	int64_t last_check;        /* wall ms of its last check in the file; 0: none */
	/* oldest first: the last change before the window, the changes in
	 * it, and the first change out of DOWN at or after its end */
	struct digest_change *ch;
	size_t nch, cap;
};

struct digest_input {
	int64_t from, to, now;     /* the window [from, to), wall ms */
	char *history;             /* the file's path, for the heading */
	struct digest_run *runs;   /* every run in the file, by start */
	size_t nruns, cap_runs;
	struct digest_target *t;   /* in the order to report them */
	size_t nt, cap_t;
};

/* Appends a target (name and group copied) -> it, zeroed otherwise. */
struct digest_target *digest_input_target(struct digest_input *in, const char *name,
					  const char *group);
/* Appends a change to t (cls and msg copied; NULL stays NULL). */
void digest_input_change(struct digest_target *t, int64_t time, bool from_down,
			 bool to_down, const char *cls, const char *msg);
void digest_input_run(struct digest_input *in, int64_t start, int64_t stop);
void digest_input_free(struct digest_input *in);

/* --- the result ------------------------------------------------------------- */

struct digest_incident {
	int64_t start, end;        /* wall ms; end 0: open */
	int64_t down_ms;           /* watched: (end or the last watched moment)
				    * - start - unwatched */
	int64_t unwatched_ms;      /* gaps between runs inside it */
	bool before;               /* began before the history: start is the
				    * first watched moment, not the real one */
	const char *cls, *msg;     /* borrowed from the input; msg without its
				    * "class: " prefix */
};

struct digest_stats {
	struct hbucket sum;        /* checks, failures, time per state, latency */
	int64_t watched_ms;        /* up + degraded + confirming + down */
	double uptime_pct;         /* < 0: not watched at all */
	double p50_ms, p95_ms;     /* < 0: no latency */
	size_t incidents;
	int64_t down_ms;           /* time DOWN (the buckets') */
	int64_t mttr_ms;           /* < 0: no incident ended */
	int64_t longest_ms;        /* < 0: no incident */
	size_t ended;              /* incidents that ended (MTTR's count) */
	int64_t ended_ms;          /* and their durations, summed */
};

struct digest_row {
	const char *name, *group;  /* borrowed; a group's row: name == group */
	bool in_history;
	size_t members;            /* a group's targets; 1 for a target */
	struct digest_stats s;
	struct digest_incident *inc;  /* targets only, by start */
	size_t ninc;
};

struct digest_gap {
	int64_t start, end;        /* wall ms, within the window */
};

struct digest {
	int64_t from, to, now;
	const char *history;
	size_t runs;               /* runs that overlap the window */
	struct digest_gap *gaps;
	size_t ngaps;
	int64_t unwatched_ms;
	struct digest_row *rows;   /* targets, in the input's order */
	size_t nrows;
	struct digest_row *groups; /* by first appearance */
	size_t ngroups;
};

/* Computes the digest of `in` (which must outlive it). O(changes +
 * runs x incidents + targets x groups). */
void digest_build(struct digest *d, const struct digest_input *in);
void digest_free(struct digest *d);

/* Writes the digest. table: aligned columns within `width` columns (the
 * terminal's, or 80), local times, outside text sanitised (UTF-8 glyphs
 * when utf8); md: a GitHub-flavoured table and an incident list, local
 * times; json: one document, UTC times with ms (as --headless prints
 * them); csv: RFC 4180 (CRLF, a header row), one row per target, group,
 * incident and gap, UTC times. */
void digest_print(FILE *f, const struct digest *d, enum digest_format fmt, int width,
		  bool utf8);

#endif
