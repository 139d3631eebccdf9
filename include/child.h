/* child.h - programs run for alerts: started without a shell
 * (posix_spawn), watched through the loop, never waited for.
 *
 * A job is an argv, extra environment variables and one input written to
 * its stdin. It runs in a process group of its own (a Ctrl-C at the
 * terminal is uptop's, and a timeout reaches its children too), with
 * default signal dispositions, fds above 2 closed, stdout and stderr into
 * a pipe whose last bytes are kept for the result ("exit 1: no such
 * team"). Its exit is reaped through SIGCHLD: main sees the signal on its
 * pipe and calls child_reap, which uses waitpid(WNOHANG) on each running
 * pid only. At its timeout the group gets SIGTERM, and SIGKILL
 * CHILD_KILL_GRACE_MS later if it is still there.
 *
 * At most max_running at once; the rest wait in order, max_queued at
 * most (past that child_run refuses the job: the caller counts it).
 * Every job that child_run took ends in exactly one done callback, on the
 * loop, from a timer, an fd or child_reap: never inside child_run, so a
 * caller may start jobs from anywhere (an engine subscriber) and hear of
 * a spawn failure later like any other end. */
#ifndef UPTOP_CHILD_H
#define UPTOP_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct child;

#define CHILD_KILL_GRACE_MS 2000
#define CHILD_OUTPUT_KEEP 240          /* bytes of output kept, the last */

struct child_result {
	bool ok;                   /* started and exited with status 0 */
	int status;                /* exit status (-1: none) */
	int signal;                /* the signal that ended it (0: none) */
	bool timed_out;            /* we killed it at its timeout */
	int spawn_errno;           /* it could not start (0: it did) */
	double ms;                 /* from start to exit */
	char output[CHILD_OUTPUT_KEEP + 1];   /* its last output bytes, raw */
	char why[CHILD_OUTPUT_KEEP + 128];    /* one line for a person:
					       * "exited with status 1: ..." */
};

struct child_job {
	const char *const *argv;   /* argv[0]: a path, or a name on $PATH */
	size_t argc;
	const char *const *env;    /* "NAME=value" added to (over) uptop's own */
	size_t nenv;
	const char *input;         /* written to its stdin, then closed */
	size_t input_len;
	int64_t timeout_ms;
	void (*done)(void *arg, const struct child_result *r);
	void *arg;
};

struct child *child_new(struct loop *l, unsigned max_running, size_t max_queued);
/* Takes a copy of the job: true, or false when the queue is full (the
 * job is not taken; no callback). O(size of the job). */
bool child_run(struct child *c, const struct child_job *j);
/* After SIGCHLD: reaps the jobs that ended and calls their done;
 * starts queued ones in their place. O(running). */
void child_reap(struct child *c);

struct child_stats {
	unsigned running;
	size_t queued;
	uint64_t started, refused;
};
void child_stats(const struct child *c, struct child_stats *out);

/* Running jobs get SIGTERM (their groups) and are left to finish on their
 * own; queued ones never start; no callbacks. Returns how many were
 * running. NULL is a no-op. */
unsigned child_free(struct child *c);

#endif
