/* outq.c - an in-memory queue in front of a non-blocking writer fd; see
 * outq.h for which fd that is and why. */
#include "outq.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

/* A drained queue keeps at most this much buffer (a backlog's memory goes
 * back). */
#define OUTQ_KEEP (256 * 1024)

enum writer { W_WRITE, W_SEND };

struct outq {
	struct loop *loop;
	struct outq_opts o;
	int fd;                 /* ours: reopened, dup'ed, or the caller's */
	enum writer how;
	int restore_flags;      /* fallback: the shared flags to put back; -1 */
	short events;           /* what the loop watches now */
	char *buf;              /* [off, len) waits to be written */
	size_t off, len, cap;
	char *line;             /* line mode: a line not yet complete */
	size_t line_len, line_cap;
	FILE *stream;
	uint64_t dropped;
	bool told;              /* the drop notice went to stderr */
	int err;
};

/* --- the writer's fd ------------------------------------------------- */

/* The fallback sets O_NONBLOCK on a description others share; whatever
 * ends the process puts the flag back (outq_free does it on the normal
 * path). */
static struct { int fd, flags; } restore_at_exit[4];
static bool restore_registered;

static void restore_all(void)
{
	for (size_t i = 0; i < ARRAY_LEN(restore_at_exit); i++)
		if (restore_at_exit[i].fd > 0) {
			fcntl(restore_at_exit[i].fd, F_SETFL, restore_at_exit[i].flags);
			restore_at_exit[i].fd = 0;
		}
}

static void restore_note(int fd, int flags, bool add)
{
	for (size_t i = 0; i < ARRAY_LEN(restore_at_exit); i++) {
		if (add && restore_at_exit[i].fd == 0) {
			restore_at_exit[i].fd = fd;
			restore_at_exit[i].flags = flags;
			break;
		}
		if (!add && restore_at_exit[i].fd == fd)
			restore_at_exit[i].fd = 0;
	}
	if (add && !restore_registered)
		restore_registered = atexit(restore_all) == 0;
}

/* A new description of the same pipe or terminal, non-blocking; -1 when
 * /proc is missing or gives something else. */
static int reopen_private(int fd, const struct stat *st)
{
	char path[64];
	struct stat st2;
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (nfd < 0)
		return -1;
	if (fstat(nfd, &st2) != 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
		close(nfd);
		return -1;
	}
	return nfd;
}

static void writer_open(struct outq *q, int fd)
{
	struct stat st;
	int flags;

	q->restore_flags = -1;
	q->how = W_WRITE;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
		q->how = W_SEND;
		q->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		log_debug("outq: %s is a socket: send(MSG_DONTWAIT)", q->o.what);
	} else if (fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || isatty(fd))) {
		q->fd = reopen_private(fd, &st);
		if (q->fd >= 0) {
			log_debug("outq: %s is a %s: own non-blocking description (fd %d)",
				  q->o.what, S_ISFIFO(st.st_mode) ? "pipe" : "terminal", q->fd);
			return;
		}
		/* No /proc: the shared description, flag restored later. */
		q->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		flags = q->fd >= 0 ? fcntl(q->fd, F_GETFL) : -1;
		if (flags >= 0 && !(flags & O_NONBLOCK) &&
		    fcntl(q->fd, F_SETFL, flags | O_NONBLOCK) == 0) {
			q->restore_flags = flags;
			restore_note(q->fd, flags, true);
		}
		log_debug("outq: %s: cannot reopen through /proc (%s): O_NONBLOCK "
			  "set on the shared description until exit", q->o.what,
			  strerror(errno));
	} else {
		/* A regular file or a device: writes do not wait for a reader. */
		q->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	}
	if (q->fd < 0)
		fatal("%s: dup: %s", q->o.what, strerror(errno));
}

/* --- writing ---------------------------------------------------------- */

static void on_fd(int fd, short revents, void *arg);

static void watch(struct outq *q, short events)
{
	if (q->events == events || !q->loop)
		return;
	q->events = events;
	loop_fd_set(q->loop, q->fd, events, on_fd, q);
}

static void fail(struct outq *q, int err)
{
	if (q->err)
		return;
	q->err = err;
	log_debug("outq: %s: %s; %zu bytes unwritten", q->o.what, strerror(err),
		  q->len - q->off);
	q->off = q->len = 0;
	if (q->loop) {
		loop_fd_del(q->loop, q->fd);
		q->events = -1;
	}
}

/* Writes what the fd takes now. Returns false once the fd failed. */
static bool write_some(struct outq *q)
{
	while (q->off < q->len) {
		size_t n = q->len - q->off;
		ssize_t w;

		if (n > SSIZE_MAX)
			n = SSIZE_MAX;
		w = q->how == W_SEND ?
			    send(q->fd, q->buf + q->off, n, MSG_DONTWAIT | MSG_NOSIGNAL) :
			    write(q->fd, q->buf + q->off, n);
		if (w > 0) {
			q->off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		fail(q, w < 0 ? errno : EIO);
		return false;
	}
	q->off = q->len = 0;
	if (q->cap > OUTQ_KEEP) {
		free(q->buf);
		q->buf = NULL;
		q->cap = 0;
	}
	return true;
}

/* After a write: POLLOUT while something waits, else only errors. */
static void rearm(struct outq *q, bool was_pending)
{
	if (q->err)
		return;
	if (q->off < q->len) {
		watch(q, POLLOUT);
		return;
	}
	watch(q, 0);
	if (was_pending && q->o.on_drained)
		q->o.on_drained(q->o.arg);
}

static void on_fd(int fd, short revents, void *arg)
{
	struct outq *q = arg;
	bool was_pending = q->off < q->len;

	(void)fd;
	if (!was_pending) {
		/* Nothing to write and the fd reports an error or a hangup:
		 * the reader is gone. */
		if (revents & (POLLERR | POLLHUP | POLLNVAL))
			fail(q, revents & POLLNVAL ? EBADF : EPIPE);
		return;
	}
	write_some(q);
	rearm(q, was_pending);
}

static void append(struct outq *q, const void *p, size_t n)
{
	if (q->len + n > q->cap && q->off) {
		memmove(q->buf, q->buf + q->off, q->len - q->off);
		q->len -= q->off;
		q->off = 0;
	}
	if (q->len + n > q->cap)
		q->buf = xreallocarray_grow(q->buf, &q->cap, q->len + n, 1);
	memcpy(q->buf + q->len, p, n);
	q->len += n;
}

static void queue(struct outq *q, const void *p, size_t n)
{
	bool was_pending = q->off < q->len;

	if (q->err || n == 0)
		return;
	append(q, p, n);
	/* Something was waiting: POLLOUT is armed and the loop writes in
	 * order. Lines under a loop wait for it too: every line of a turn goes
	 * in one write (10,000 targets' first results were 10,000 writes).
	 * Otherwise one write now keeps the bytes prompt. */
	if (!was_pending && q->o.lines && q->loop) {
		watch(q, POLLOUT);
	} else if (!was_pending) {
		write_some(q);
		rearm(q, false);
	}
}

void outq_put(struct outq *q, const void *p, size_t n)
{
	queue(q, p, n);
}

/* --- line mode --------------------------------------------------------- */

/* Once per run, and only if stderr takes it now (stderr may be a stalled
 * pipe too: the notice must not block the loop either). */
static void tell_dropped(struct outq *q)
{
	struct pollfd p = { .fd = STDERR_FILENO, .events = POLLOUT };
	char msg[256];
	int n;

	if (q->told)
		return;
	q->told = true;
	n = snprintf(msg, sizeof(msg),
		     "uptop: %s: more than %zu MiB unread: dropping lines until the "
		     "reader catches up (the stats line counts them)\n",
		     q->o.what, q->o.cap >> 20);
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) && n > 0 &&
	    write(STDERR_FILENO, msg, (size_t)n) < 0)
		log_debug("outq: the drop notice did not reach stderr: %s", strerror(errno));
	log_debug("outq: %s: over %zu bytes unread: dropping lines", q->o.what, q->o.cap);
}

static void line_done(struct outq *q, const char *p, size_t n)
{
	if (q->len - q->off + n > q->o.cap) {
		q->dropped++;
		tell_dropped(q);
		return;
	}
	queue(q, p, n);
}

static ssize_t stream_write(void *cookie, const char *p, size_t n)
{
	struct outq *q = cookie;
	size_t done = 0;

	while (done < n) {
		const char *nl = memchr(p + done, '\n', n - done);
		size_t k = nl ? (size_t)(nl - (p + done)) + 1 : n - done;

		if (!nl || q->line_len) {
			q->line = xreallocarray_grow(q->line, &q->line_cap,
						     q->line_len + k, 1);
			memcpy(q->line + q->line_len, p + done, k);
			q->line_len += k;
			if (nl) {
				line_done(q, q->line, q->line_len);
				q->line_len = 0;
			}
		} else {
			line_done(q, p + done, k);
		}
		done += k;
	}
	return (ssize_t)n;
}

FILE *outq_stream(struct outq *q)
{
	if (!q->stream) {
		cookie_io_functions_t io = { .write = stream_write };

		q->stream = fopencookie(q, "w", io);
		if (!q->stream)
			fatal("%s: fopencookie: %s", q->o.what, strerror(errno));
	}
	return q->stream;
}

/* --- lifecycle --------------------------------------------------------- */

struct outq *outq_new(struct loop *l, int fd, const struct outq_opts *o)
{
	struct outq *q = xcalloc(1, sizeof(*q));

	q->o = *o;
	if (!q->o.what)
		q->o.what = "output";
	if (!q->o.cap)
		q->o.cap = OUTQ_CAP_DEFAULT;
	writer_open(q, fd);
	q->loop = l;
	q->events = -1;
	if (l) {
		loop_fd_set(l, q->fd, 0, on_fd, q);
		q->events = 0;
	}
	return q;
}

void outq_free(struct outq *q)
{
	if (!q)
		return;
	if (q->stream) {
		fflush(q->stream);
		/* fclose would flush again into a queue about to go */
		q->err = q->err ? q->err : EPIPE;
		fclose(q->stream);
	}
	if (q->loop && q->events >= 0)
		loop_fd_del(q->loop, q->fd);
	if (q->restore_flags >= 0) {
		fcntl(q->fd, F_SETFL, q->restore_flags);
		restore_note(q->fd, 0, false);
	}
	close(q->fd);
	free(q->buf);
	free(q->line);
	free(q);
}

size_t outq_pending(const struct outq *q)
{
	return q->len - q->off;
}

uint64_t outq_dropped(const struct outq *q)
{
	return q->dropped;
}

int outq_error(const struct outq *q)
{
	return q->err;
}

int outq_fd(const struct outq *q)
{
	return q->fd;
}

bool outq_drain(struct outq *q, int idle_ms, int wake_fd, bool (*stop)(void *arg),
		void *arg)
{
	if (q->stream)
		fflush(q->stream);
	while (!q->err && q->off < q->len) {
		struct pollfd p[2] = { { .fd = q->fd, .events = POLLOUT },
				       { .fd = wake_fd, .events = POLLIN } };
		int n = poll(p, wake_fd >= 0 ? 2 : 1, idle_ms);

		if (n < 0 && errno != EINTR) {
			fail(q, errno);
			break;
		}
		if (n == 0) {
			log_debug("outq: %s took nothing for %d ms: %zu bytes unwritten",
				  q->o.what, idle_ms, q->len - q->off);
			break;
		}
		if (n > 0 && p[0].revents)
			write_some(q);
		if (n > 0 && wake_fd >= 0 && (p[1].revents & POLLIN) && stop && stop(arg)) {
			log_debug("outq: %s: drain given up with %zu bytes unwritten",
				  q->o.what, q->len - q->off);
			break;
		}
	}
	return !q->err && q->off == q->len;
}
