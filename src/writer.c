/* writer.c - the writer thread and its queue (see writer.h).
 *
 * A record in a buffer is [int32 sink][uint32 len][len bytes]. The loop
 * appends to `in` under the mutex; the thread swaps `in` and its own
 * `out` under the mutex and works through `out` without it. Messages
 * back (writer_say) take the same mutex into `notes`, and a byte on a
 * pipe the loop watches says there are some. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct buf {
	char *p;
	size_t n, cap;
};

struct writer {
	struct loop *loop;
	size_t cap;
	void (*on_notice)(void *arg, const char *sink, const char *msg, bool error);
	void *arg;
	struct writer_sink sinks[WRITER_SINKS_MAX];
	int nsinks;
	pthread_t th;
	bool started;

	pthread_mutex_t mu;          /* in, notes, stop, done, napping */
	struct buf in;
	struct buf notes;            /* [u8 error][sink\0][msg\0]... */
	bool stop, done;
	bool napping;                /* the thread collects a batch: no pokes */
	bool hurry;                  /* writer_put_wait: take the queue now */
	bool closing;                /* writer_free: notes only go to the log */

	struct buf out;              /* the thread's own */
	int batch_ms;                /* the nap after a batch */
	int wake[2];                 /* loop -> thread: records or stop */
	int note[2];                 /* thread -> loop: notes */
	uint64_t put, dropped;       /* the loop's counters */
};

struct rec_head {
	int32_t sink;
	uint32_t len;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	b->p = xreallocarray_grow(b->p, &b->cap, b->n + n, 1);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void poke(int fd)
{
	char c = 1;

	/* full: the reader has a byte to wake on already */
	if (write(fd, &c, 1) < 0 && errno != EAGAIN)
		log_debug("writer: wake-up pipe: %s", strerror(errno));
}

static void drain(int fd)
{
	char b[64];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

/* --- the loop's side ------------------------------------------------- */

static void on_notes(int fd, short revents, void *arg)
{
	struct writer *w = arg;
	struct buf got = { 0 };

	(void)revents;
	drain(fd);
	pthread_mutex_lock(&w->mu);
	got = w->notes;
	memset(&w->notes, 0, sizeof(w->notes));
	pthread_mutex_unlock(&w->mu);
	for (size_t at = 0; at < got.n;) {
		bool error = got.p[at++];
		const char *sink = got.p + at, *msg = sink + strlen(sink) + 1;

		at = (size_t)(msg - got.p) + strlen(msg) + 1;
		log_debug("writer: %s: %s", sink, msg);
		if (w->on_notice && !w->closing)
			w->on_notice(w->arg, sink, msg, error);
	}
	free(got.p);
}

struct writer *writer_new(struct loop *l, size_t cap,
			  void (*on_notice)(void *arg, const char *sink, const char *msg,
					    bool error),
			  void *arg)
{
	struct writer *w = xcalloc(1, sizeof(*w));

	w->loop = l;
	w->cap = cap ? cap : WRITER_CAP_DEFAULT;
	w->batch_ms = WRITER_BATCH_MS;
	w->on_notice = on_notice;
	w->arg = arg;
	pthread_mutex_init(&w->mu, NULL);
	if (pipe2(w->wake, O_NONBLOCK | O_CLOEXEC) != 0 ||
	    pipe2(w->note, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("writer: pipe: %s", strerror(errno));
	loop_fd_set(l, w->note[0], POLLIN, on_notes, w);
	return w;
}

int writer_add(struct writer *w, const struct writer_sink *s)
{
	if (w->started || w->nsinks == WRITER_SINKS_MAX)
		fatal("internal error: writer_add after start or past %d sinks",
		      WRITER_SINKS_MAX);
	w->sinks[w->nsinks] = *s;
	return w->nsinks++;
}

void writer_set_batch(struct writer *w, int ms)
{
	if (w->started)
		fatal("internal error: writer_set_batch after start");
	w->batch_ms = ms > 0 ? ms : 0;
}

/* Appends one record: 1, or 0 when the queue has no room for it now, or
 * -1 when it never will (stopping, or a record larger than the cap). */
static int put_rec(struct writer *w, int id, const void *rec, size_t len)
{
	struct rec_head h = { id, (uint32_t)len };
	bool wake = false;
	int rc;

	if (id < 0 || id >= w->nsinks || len > UINT32_MAX || sizeof(h) + len > w->cap)
		return -1;
	pthread_mutex_lock(&w->mu);
	rc = w->stop ? -1 : w->in.n + sizeof(h) + len <= w->cap;
	if (rc > 0) {
		/* an idle thread wakes for the first record; a napping one
		 * only for a queue past half its cap (it comes by itself) */
		wake = w->napping ? w->in.n < w->cap / 2 &&
				    w->in.n + sizeof(h) + len >= w->cap / 2 : w->in.n == 0;
		buf_add(&w->in, &h, sizeof(h));
		buf_add(&w->in, rec, len);
	}
	pthread_mutex_unlock(&w->mu);
	if (rc > 0) {
		w->put++;
		if (wake)
			poke(w->wake[1]);
	}
	return rc;
}

static bool dropped(struct writer *w)
{
	if (!w->dropped++)
		log_debug("writer: the queue is full (%zu bytes): records dropped", w->cap);
	return false;
}

bool writer_put(struct writer *w, int id, const void *rec, size_t len)
{
	return put_rec(w, id, rec, len) > 0 || dropped(w);
}

bool writer_put_wait(struct writer *w, int id, const void *rec, size_t len, int64_t until_ms)
{
	size_t limit = w->cap < WRITER_EXIT_CHUNK ? w->cap : WRITER_EXIT_CHUNK;
	int rc = -1;

	for (;;) {
		bool room;

		pthread_mutex_lock(&w->mu);
		room = w->in.n + sizeof(struct rec_head) + len <= limit || w->in.n == 0;
		w->hurry = !room;
		pthread_mutex_unlock(&w->mu);
		if (room && (rc = put_rec(w, id, rec, len)) != 0)
			break;
		if (mono_ms() >= until_ms)
			break;
		poke(w->wake[1]);   /* even from its nap: hurry */
		poll(NULL, 0, 1);
	}
	return rc > 0 || dropped(w);
}

void writer_stats(const struct writer *w, struct writer_stats *out)
{
	pthread_mutex_t *mu = (pthread_mutex_t *)&w->mu;

	out->put = w->put;
	out->dropped = w->dropped;
	pthread_mutex_lock(mu);
	out->pending = w->in.n;
	pthread_mutex_unlock(mu);
}

/* --- the thread ------------------------------------------------------ */

void writer_say(struct writer *w, const char *sink, bool error, const char *fmt, ...)
{
	char msg[512];
	char e = error;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&w->mu);
	buf_add(&w->notes, &e, 1);
	buf_add(&w->notes, sink, strlen(sink) + 1);
	buf_add(&w->notes, msg, strlen(msg) + 1);
	pthread_mutex_unlock(&w->mu);
	poke(w->note[1]);
}

static int64_t now_ms(void)
{
	return mono_ms();
}

/* Hands every record of `out` to its sink, then flushes the sinks that
 * got some. */
static void run_batch(struct writer *w)
{
	bool got[WRITER_SINKS_MAX] = { false };

	for (size_t at = 0; at + sizeof(struct rec_head) <= w->out.n;) {
		struct rec_head h;
		const struct writer_sink *s;

		memcpy(&h, w->out.p + at, sizeof(h));
		at += sizeof(h);
		s = &w->sinks[h.sink];
		if (s->write)
			s->write(w, s->arg, w->out.p + at, h.len);
		got[h.sink] = true;
		at += h.len;
	}
	w->out.n = 0;
	for (int i = 0; i < w->nsinks; i++)
		if (got[i] && w->sinks[i].flush)
			w->sinks[i].flush(w, w->sinks[i].arg);
}

/* After a batch the thread naps batch_ms while the next one
 * gathers, unwoken: under a steady stream of records it wakes about
 * 1000 / batch_ms times a second, not once a record (a wake-up
 * costs both threads more than the record). It takes the queue early
 * for a stop or a queue past half its cap. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int64_t next_tick = now_ms() + WRITER_TICK_MS, nap_end = 0;   /* 0: idle */

	for (;;) {
		struct pollfd pfd = { w->wake[0], POLLIN, 0 };
		int64_t now = now_ms(), until = nap_end && nap_end < next_tick ? nap_end :
						next_tick;
		bool stop, take;

		if (until > now && poll(&pfd, 1, (int)(until - now)) > 0)
			drain(w->wake[0]);
		now = now_ms();
		pthread_mutex_lock(&w->mu);
		stop = w->stop;
		take = stop || !nap_end || now >= nap_end || w->in.n >= w->cap / 2 || w->hurry;
		if (take) {
			w->hurry = false;
			struct buf t = w->in;

			w->in = w->out;
			w->out = t;
			w->napping = w->out.n > 0 && w->batch_ms > 0;
		}
		pthread_mutex_unlock(&w->mu);
		if (take) {
			nap_end = w->out.n && w->batch_ms ? now + w->batch_ms : 0;
			if (w->out.n)
				run_batch(w);
			/* a big batch (the targets at start, the last rows at a
			 * stop) does not keep its buffer */
			if (w->out.cap > WRITER_EXIT_CHUNK) {
				free(w->out.p);
				memset(&w->out, 0, sizeof(w->out));
			}
		}
		if (now_ms() >= next_tick) {
			for (int i = 0; i < w->nsinks; i++)
				if (w->sinks[i].tick)
					w->sinks[i].tick(w, w->sinks[i].arg);
			next_tick = now_ms() + WRITER_TICK_MS;
		}
		/* stop is seen after the swap that took the last records */
		if (stop)
			break;
	}
	for (int i = 0; i < w->nsinks; i++)
		if (w->sinks[i].close)
			w->sinks[i].close(w, w->sinks[i].arg);
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int writer_start(struct writer *w, char *err, size_t elen)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->th, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, elen, "cannot start the writer thread: %s", strerror(rc));
		return -1;
	}
	w->started = true;
	log_debug("writer: started, %d sink%s, queue of %zu bytes", w->nsinks,
		  w->nsinks == 1 ? "" : "s", w->cap);
	return 0;
}

/* Waits up to wait_ms (on the monotonic clock) for the thread to say it
 * is done; a join could wait forever on a disk that hangs. */
static bool thread_done(struct writer *w, int wait_ms)
{
	int64_t end = mono_ms() + wait_ms;

	for (;;) {
		bool done;

		pthread_mutex_lock(&w->mu);
		done = w->done;
		pthread_mutex_unlock(&w->mu);
		if (done)
			return true;
		if (mono_ms() >= end)
			return false;
		poll(NULL, 0, 5);
	}
}

/* Records still in a buffer (for the count of what a hung disk lost). */
static uint64_t count_recs(const struct buf *b)
{
	uint64_t n = 0;

	for (size_t at = 0; at + sizeof(struct rec_head) <= b->n; n++) {
		struct rec_head h;

		memcpy(&h, b->p + at, sizeof(h));
		at += sizeof(h) + h.len;
	}
	return n;
}

bool writer_free(struct writer *w, int wait_ms, uint64_t *lost)
{
	if (lost)
		*lost = 0;
	if (!w)
		return true;
	w->closing = true;
	loop_fd_del(w->loop, w->note[0]);
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_mutex_unlock(&w->mu);
		poke(w->wake[1]);
		if (!thread_done(w, wait_ms)) {
			/* A disk that hangs keeps the thread; the exit takes it.
			 * What it holds is not ours to free. */
			pthread_mutex_lock(&w->mu);
			if (lost)
				*lost = count_recs(&w->in);
			pthread_mutex_unlock(&w->mu);
			log_debug("writer: the thread did not finish in %d ms: left behind",
				  wait_ms);
			return false;
		}
		pthread_join(w->th, NULL);
	} else {
		for (int i = 0; i < w->nsinks; i++)
			if (w->sinks[i].close)
				w->sinks[i].close(w, w->sinks[i].arg);
	}
	/* what the sinks said while stopping, for the debug log */
	on_notes(w->note[0], 0, w);
	close(w->wake[0]);
	close(w->wake[1]);
	close(w->note[0]);
	close(w->note[1]);
	pthread_mutex_destroy(&w->mu);
	free(w->in.p);
	free(w->out.p);
	free(w->notes.p);
	free(w);
	return true;
}
