/* child.c - alert programs: spawn, feed, watch, reap, kill (child.h).
 *
 * Nothing here waits: stdin is written as the pipe takes it, output read
 * as it comes, exits found by waitpid(WNOHANG) when SIGCHLD says so (and
 * on the module's timer, a safety net for a signal that raced), timeouts
 * kept on one loop timer. */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

extern char **environ;

struct job {
	struct child *c;
	char **argv;
	char **envp;               /* the whole environment it gets */
	char *input;
	size_t input_len, input_off;
	int64_t timeout_ms;
	void (*done)(void *arg, const struct child_result *r);
	void *arg;
	struct job *next;          /* the queue */

	pid_t pid;
	int in_fd, out_fd;         /* ours: its stdin, its stdout+stderr */
	int64_t start_us, deadline_ms, kill_ms;
	bool termed, killed;
	char out[2 * CHILD_OUTPUT_KEEP];
	size_t out_n;
};

struct child {
	struct loop *loop;
	unsigned max_running;
	size_t max_queued;
	struct job **run;
	unsigned nrun;
	struct job *qhead, *qtail;
	size_t nq;
	struct loop_timer timer;
	uint64_t started, refused;
};

static void timer_arm(struct child *c);

/* --- copies --------------------------------------------------------- */

static char **strv_copy(const char *const *v, size_t n)
{
	char **d = xcalloc(n + 1, sizeof(*d));

	for (size_t i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Its own variables first, then uptop's environment without the names it
 * sets: "UPTOP_NAME=x" wins over an inherited UPTOP_NAME. */
static char **env_build(const char *const *add, size_t nadd)
{
	size_t n = 0, k = 0;
	char **e;

	while (environ && environ[n])
		n++;
	e = xcalloc(n + nadd + 1, sizeof(*e));
	for (size_t i = 0; i < nadd; i++)
		e[k++] = xstrdup(add[i]);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		bool over = false;

		for (size_t j = 0; j < nadd && !over; j++)
			over = strncmp(add[j], environ[i], len) == 0;
		if (!over)
			e[k++] = xstrdup(environ[i]);
	}
	return e;
}

static void job_free(struct job *j)
{
	strv_free(j->argv);
	strv_free(j->envp);
	free(j->input);
	free(j);
}

/* --- output and input ----------------------------------------------- */

static void out_keep(struct job *j, const char *p, size_t n)
{
	if (n >= CHILD_OUTPUT_KEEP) {
		memcpy(j->out, p + n - CHILD_OUTPUT_KEEP, CHILD_OUTPUT_KEEP);
		j->out_n = CHILD_OUTPUT_KEEP;
		return;
	}
	if (j->out_n + n > sizeof(j->out)) {
		size_t drop = j->out_n + n - CHILD_OUTPUT_KEEP;

		memmove(j->out, j->out + drop, j->out_n - drop);
		j->out_n -= drop;
	}
	memcpy(j->out + j->out_n, p, n);
	j->out_n += n;
}

static void fd_close(struct job *j, int *fd)
{
	if (*fd < 0)
		return;
	loop_fd_del(j->c->loop, *fd);
	close(*fd);
	*fd = -1;
}

/* Reads what is there; at EOF or an error the pipe is done. */
static void out_read(struct job *j)
{
	char buf[4096];

	while (j->out_fd >= 0) {
		ssize_t n = read(j->out_fd, buf, sizeof(buf));

		if (n > 0) {
			out_keep(j, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		fd_close(j, &j->out_fd);
	}
}

static void on_out(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	out_read(arg);
}

static void on_in(int fd, short revents, void *arg);

/* Writes what the pipe takes; all of it, or a reader that left, ends it. */
static void in_write(struct job *j)
{
	while (j->in_fd >= 0 && j->input_off < j->input_len) {
		ssize_t n = write(j->in_fd, j->input + j->input_off, j->input_len - j->input_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			loop_fd_set(j->c->loop, j->in_fd, POLLOUT, on_in, j);
			return;
		}
		if (n <= 0)
			break;   /* EPIPE: it did not want its input */
		j->input_off += (size_t)n;
	}
	fd_close(j, &j->in_fd);
}

static void on_in(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	in_write(arg);
}

/* --- start and end -------------------------------------------------- */

static void job_end(struct job *j, struct child_result *r);

static void why_text(struct child_result *r, const struct job *j)
{
	char last[CHILD_OUTPUT_KEEP + 1];
	char *e;
	const char *line;

	/* the last non-empty line of its output: what a failing script says */
	snprintf(last, sizeof(last), "%s", r->output);
	for (e = last + strlen(last); e > last && strchr(" \t\r\n", e[-1]); e--)
		;
	*e = '\0';
	line = strrchr(last, '\n') ? strrchr(last, '\n') + 1 : last;
	if (r->spawn_errno)
		snprintf(r->why, sizeof(r->why), "cannot run %s: %s", j->argv[0],
			 strerror(r->spawn_errno));
	else if (r->timed_out)
		snprintf(r->why, sizeof(r->why), "timed out after %lld ms (killed)%s%s",
			 (long long)j->timeout_ms, *line ? ": " : "", line);
	else if (r->signal)
		snprintf(r->why, sizeof(r->why), "killed by SIG%s%s%s",
			 sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?",
			 *line ? ": " : "", line);
	else if (r->status)
		snprintf(r->why, sizeof(r->why), "exited with status %d%s%s", r->status,
			 *line ? ": " : "", line);
	else
		snprintf(r->why, sizeof(r->why), "exit status 0");
}

static int spawn(struct job *j)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int in[2], out[2], rc;

	if (pipe2(in, O_CLOEXEC) != 0)
		return errno;
	if (pipe2(out, O_CLOEXEC) != 0) {
		rc = errno;
		close(in[0]);
		close(in[1]);
		return rc;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	/* curl's and c-ares' sockets, the terminal's queue: none are its */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	/* uptop ignores SIGPIPE; an ignored signal would stay ignored */
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	rc = strchr(j->argv[0], '/') ?
		     posix_spawn(&j->pid, j->argv[0], &fa, &at, j->argv, j->envp) :
		     posix_spawnp(&j->pid, j->argv[0], &fa, &at, j->argv, j->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		return rc;
	}
	j->in_fd = in[1];
	j->out_fd = out[0];
	fcntl(j->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(j->out_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static void job_start(struct child *c, struct job *j)
{
	int64_t now = mono_ms();
	int err;

	j->in_fd = j->out_fd = -1;
	j->start_us = mono_us();
	c->started++;
	if ((err = spawn(j)) != 0) {
		struct child_result r;

		memset(&r, 0, sizeof(r));
		r.status = -1;
		r.spawn_errno = err;
		log_debug("child: cannot run %s: %s", j->argv[0], strerror(err));
		job_end(j, &r);
		return;
	}
	j->deadline_ms = now + j->timeout_ms;
	c->run[c->nrun++] = j;
	log_debug("child: started %s (pid %ld), %u running, %zu queued", j->argv[0],
		  (long)j->pid, c->nrun, c->nq);
	loop_fd_set(c->loop, j->out_fd, POLLIN, on_out, j);
	in_write(j);
}

/* Calls done and frees the job (already out of the running set). */
static void job_end(struct job *j, struct child_result *r)
{
	r->ms = (double)(mono_us() - j->start_us) / 1000.0;
	if (j->out_n)
		snprintf(r->output, sizeof(r->output), "%.*s", (int)j->out_n, j->out);
	r->ok = !r->spawn_errno && !r->timed_out && !r->signal && r->status == 0;
	why_text(r, j);
	fd_close(j, &j->in_fd);
	fd_close(j, &j->out_fd);
	if (j->done)
		j->done(j->arg, r);
	job_free(j);
}

static void start_queued(struct child *c)
{
	while (c->nrun < c->max_running && c->qhead) {
		struct job *j = c->qhead;

		c->qhead = j->next;
		if (!c->qhead)
			c->qtail = NULL;
		c->nq--;
		job_start(c, j);
	}
}

void child_reap(struct child *c)
{
	for (unsigned i = 0; i < c->nrun;) {
		struct job *j = c->run[i];
		struct child_result r;
		int st;
		pid_t p = waitpid(j->pid, &st, WNOHANG);

		if (p == 0 || (p < 0 && errno == EINTR)) {
			i++;
			continue;
		}
		c->run[i] = c->run[--c->nrun];
		memset(&r, 0, sizeof(r));
		r.status = -1;
		if (p == j->pid && WIFEXITED(st))
			r.status = WEXITSTATUS(st);
		else if (p == j->pid && WIFSIGNALED(st))
			r.signal = WTERMSIG(st);
		r.timed_out = j->termed;
		out_read(j);   /* what it wrote last is in the pipe */
		log_debug("child: %s (pid %ld) ended: status %d, signal %d%s", j->argv[0],
			  (long)j->pid, r.status, r.signal, r.timed_out ? ", timed out" : "");
		job_end(j, &r);
	}
	start_queued(c);
	timer_arm(c);
}

/* Timeouts: SIGTERM to its group, then SIGKILL after the grace. */
static void on_timer(void *arg)
{
	struct child *c = arg;
	int64_t now = mono_ms();

	child_reap(c);
	for (unsigned i = 0; i < c->nrun; i++) {
		struct job *j = c->run[i];

		if (!j->termed && now >= j->deadline_ms) {
			j->termed = true;
			j->kill_ms = now + CHILD_KILL_GRACE_MS;
			kill(-j->pid, SIGTERM);
			log_debug("child: %s (pid %ld) timed out after %lld ms: SIGTERM",
				  j->argv[0], (long)j->pid, (long long)j->timeout_ms);
		} else if (j->termed && !j->killed && now >= j->kill_ms) {
			j->killed = true;
			kill(-j->pid, SIGKILL);
			log_debug("child: %s (pid %ld) still there: SIGKILL", j->argv[0],
				  (long)j->pid);
		}
	}
	timer_arm(c);
}

static void timer_arm(struct child *c)
{
	int64_t due = INT64_MAX;

	if (c->qhead && c->nrun < c->max_running)
		due = mono_ms();
	for (unsigned i = 0; i < c->nrun; i++) {
		const struct job *j = c->run[i];
		int64_t t = !j->termed ? j->deadline_ms : !j->killed ? j->kill_ms :
			    mono_ms() + 1000;   /* killed: look again for its exit */

		if (t < due)
			due = t;
	}
	loop_timer_arm(&c->timer, due);
}

/* --- the rest ------------------------------------------------------- */

struct child *child_new(struct loop *l, unsigned max_running, size_t max_queued)
{
	struct child *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->max_running = max_running ? max_running : 1;
	c->max_queued = max_queued;
	c->run = xcalloc(c->max_running, sizeof(*c->run));
	loop_timer_add(l, &c->timer, on_timer, c);
	return c;
}

bool child_run(struct child *c, const struct child_job *jd)
{
	struct job *j;

	if (c->nq >= c->max_queued || !jd->argc) {
		c->refused++;
		return false;
	}
	j = xcalloc(1, sizeof(*j));
	j->c = c;
	j->argv = strv_copy(jd->argv, jd->argc);
	j->envp = env_build(jd->env, jd->nenv);
	j->input = xmalloc(jd->input_len + 1);
	memcpy(j->input, jd->input, jd->input_len);
	j->input_len = jd->input_len;
	j->timeout_ms = jd->timeout_ms > 0 ? jd->timeout_ms : 10000;
	j->done = jd->done;
	j->arg = jd->arg;
	j->in_fd = j->out_fd = -1;
	if (c->qtail)
		c->qtail->next = j;
	else
		c->qhead = j;
	c->qtail = j;
	c->nq++;
	/* started from the loop's timer, never from here (child.h) */
	loop_timer_arm(&c->timer, mono_ms());
	return true;
}

void child_stats(const struct child *c, struct child_stats *out)
{
	out->running = c->nrun;
	out->queued = c->nq;
	out->started = c->started;
	out->refused = c->refused;
}

unsigned child_free(struct child *c)
{
	unsigned n;

	if (!c)
		return 0;
	n = c->nrun;
	loop_timer_del(c->loop, &c->timer);
	for (unsigned i = 0; i < c->nrun; i++) {
		struct job *j = c->run[i];

		kill(-j->pid, SIGTERM);
		log_debug("child: exiting: %s (pid %ld) sent SIGTERM", j->argv[0], (long)j->pid);
		fd_close(j, &j->in_fd);
		fd_close(j, &j->out_fd);
		/* reaped now if it is already gone; else init takes it */
		waitpid(j->pid, NULL, WNOHANG);
		job_free(j);
	}
	while (c->qhead) {
		struct job *j = c->qhead;

		c->qhead = j->next;
		job_free(j);
	}
	free(c->run);
	free(c);
	return n;
}
