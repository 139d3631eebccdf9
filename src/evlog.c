/* evlog.c - the event log: a sink of the writer thread (see evlog.h). */
#include "evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "writer.h"

#define SINK_NAME "event log"

struct evlog {
	struct writer *w;
	int id;
	char *path;
	uint64_t dropped;            /* the loop's */
	/* the writer thread's, once it runs */
	int fd;
	dev_t dev;
	ino_t ino;
	bool failing;
	atomic_uint_fast64_t failed;
};

/* Opens the path for appending; 0, or an errno. */
static int file_open(struct evlog *l)
{
	struct stat st;
	int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		int e = errno;

		close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return EINVAL;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = fd;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	return 0;
}

/* --- the writer thread ------------------------------------------------ */

static void sink_write(struct writer *w, void *arg, const void *rec, size_t len)
{
	struct evlog *l = arg;
	const char *p = rec;

	while (len && l->fd >= 0) {
		ssize_t n = write(l->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			atomic_fetch_add(&l->failed, 1);
			if (!l->failing)
				writer_say(w, SINK_NAME, true, "writing %s: %s (lines are lost "
					   "until it works again)", l->path,
					   n < 0 ? strerror(errno) : "nothing written");
			l->failing = true;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
	if (l->fd < 0) {
		atomic_fetch_add(&l->failed, 1);
		return;
	}
	if (l->failing)
		writer_say(w, SINK_NAME, false, "writing %s works again", l->path);
	l->failing = false;
}

/* A file renamed away (logrotate) or removed: open the path again. */
static void sink_tick(struct writer *w, void *arg)
{
	struct evlog *l = arg;
	struct stat st;
	int e;

	if (l->fd >= 0 && stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
		return;
	if ((e = file_open(l)) != 0) {
		if (!l->failing)
			writer_say(w, SINK_NAME, true, "reopening %s: %s", l->path, strerror(e));
		l->failing = true;
		return;
	}
	writer_say(w, SINK_NAME, false, "%s was renamed or removed: opened it again",
		   l->path);
	l->failing = false;
}

static void sink_close(struct writer *w, void *arg)
{
	struct evlog *l = arg;

	(void)w;
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

/* --- the loop --------------------------------------------------------- */

struct evlog *evlog_open(struct writer *w, const char *path, char *err, size_t elen)
{
	struct evlog *l = xcalloc(1, sizeof(*l));
	int e;

	l->w = w;
	l->fd = -1;
	l->path = xstrdup(path);
	atomic_init(&l->failed, 0);
	if ((e = file_open(l)) != 0) {
		snprintf(err, elen, "event log %s: %s", path,
			 e == EINVAL ? "not a regular file" : strerror(e));
		free(l->path);
		free(l);
		return NULL;
	}
	l->id = writer_add(w, &(struct writer_sink){
		.name = SINK_NAME, .arg = l, .write = sink_write, .tick = sink_tick,
		.close = sink_close });
	log_debug("evlog: appending to %s", path);
	return l;
}

void evlog_put(struct evlog *l, const char *line, size_t len)
{
	if (!writer_put(l->w, l->id, line, len))
		l->dropped++;
}

uint64_t evlog_dropped(const struct evlog *l)
{
	return l->dropped;
}

uint64_t evlog_failed(const struct evlog *l)
{
	return atomic_load(&((struct evlog *)l)->failed);
}

const char *evlog_path(const struct evlog *l)
{
	return l->path;
}

void evlog_free(struct evlog *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	free(l->path);
	free(l);
}
