/* test_writer.c - the writer thread and the event log: records reach
 * their sink in order; a steady stream reaches it in batches, not one
 * wake-up per record, and a queue past half its cap or a stop ends a nap
 * early; a sink that hangs never holds writer_put; a full
 * queue drops and counts; the event log appends, notices a renamed file
 * and opens the path again; writer_free drains, and gives up on a disk
 * that hangs. Real files in a temp dir, a real thread, a real loop. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evlog.h"
#include "loop.h"
#include "tap.h"
#include "util.h"
#include "writer.h"

static char dir[] = "/tmp/uptop-writer-XXXXXX";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f) > 0 ? strlen(buf) : 0;
	(void)n;
	fclose(f);
	return buf ? buf : xstrdup("");
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* --- a sink that records, and one that hangs --------------------------- */

struct rec_sink {
	char got[4096];
	size_t n;
	atomic_int flushes, ticks, closed;
	atomic_int sleep_ms;         /* each write sleeps this long */
	atomic_int recs;             /* records written */
};

static void rs_write(struct writer *w, void *arg, const void *rec, size_t len)
{
	struct rec_sink *s = arg;
	int ms = atomic_load(&s->sleep_ms);

	(void)w;
	if (ms)
		usleep((useconds_t)ms * 1000);
	if (s->n + len < sizeof(s->got)) {
		memcpy(s->got + s->n, rec, len);
		s->n += len;
	}
	atomic_fetch_add(&s->recs, 1);
}

/* Waits up to ms for the sink to have n records; true when it has. */
static bool recs_reach(struct rec_sink *s, int n, int ms)
{
	int64_t end = mono_ms() + ms;

	while (atomic_load(&s->recs) < n && mono_ms() < end)
		usleep(2000);
	return atomic_load(&s->recs) >= n;
}

static void rs_flush(struct writer *w, void *arg)
{
	(void)w;
	atomic_fetch_add(&((struct rec_sink *)arg)->flushes, 1);
}

static void rs_tick(struct writer *w, void *arg)
{
	struct rec_sink *s = arg;

	if (atomic_fetch_add(&s->ticks, 1) == 0)
		writer_say(w, "recorder", false, "first tick");
}

static void rs_close(struct writer *w, void *arg)
{
	(void)w;
	atomic_store(&((struct rec_sink *)arg)->closed, 1);
}

static char notice[256];
static int notices;

static void on_notice(void *arg, const char *sink, const char *msg, bool error)
{
	(void)arg;
	notices++;
	snprintf(notice, sizeof(notice), "%s%s: %s", error ? "error: " : "", sink, msg);
}

static void test_order_and_notes(void)
{
	struct loop *l = loop_new();
	struct writer *w = writer_new(l, 0, on_notice, NULL);
	struct rec_sink *s = xcalloc(1, sizeof(*s));
	char err[128];
	int id = writer_add(w, &(struct writer_sink){ .name = "recorder", .arg = s,
		.write = rs_write, .flush = rs_flush, .tick = rs_tick, .close = rs_close });
	int64_t end;

	OK(writer_start(w, err, sizeof(err)) == 0, "the thread starts");
	for (int i = 0; i < 10; i++) {
		char b[16];

		snprintf(b, sizeof(b), "%d,", i);
		writer_put(w, id, b, strlen(b));
	}
	/* the tick's note comes back through the loop's fd */
	end = mono_ms() + 5000;
	while (!notices && mono_ms() < end)
		loop_turn(l, 100);
	IS_STR(notice, "recorder: first tick", "a sink's message reaches the loop");
	OK(writer_free(w, 5000, NULL), "writer_free: the thread finished");
	s->got[s->n] = '\0';
	IS_STR(s->got, "0,1,2,3,4,5,6,7,8,9,", "every record, in order");
	OK(atomic_load(&s->flushes) >= 1 && atomic_load(&s->closed), "flushed and closed");
	free(s);
	loop_free(l);
}

/* Naps long enough (5 s) that no timing on a loaded machine can pass for
 * them: what the thread takes before a nap ends, it was woken for. */
static void test_batches(void)
{
	struct loop *l = loop_new();
	struct writer *w = writer_new(l, 4096, NULL, NULL);
	struct rec_sink *s = xcalloc(1, sizeof(*s));
	char err[128], rec[100];
	int id = writer_add(w, &(struct writer_sink){ .name = "batch", .arg = s,
		.write = rs_write, .flush = rs_flush });
	int64_t t0;
	bool got;

	memset(rec, 'x', sizeof(rec));
	writer_set_batch(w, 5000);
	writer_start(w, err, sizeof(err));
	t0 = mono_ms();
	writer_put(w, id, "a", 1);
	got = recs_reach(s, 1, 4000);
	OK(got, "an idle thread wakes for the first record (%lld ms)",
	   (long long)(mono_ms() - t0));
	/* the thread naps now: records gather, no wake-up each */
	for (int i = 0; i < 10; i++)
		writer_put(w, id, rec, 10);
	usleep(300000);
	IS_INT(atomic_load(&s->recs), 1, "records put during a nap wait for its end");
	OK(recs_reach(s, 11, 15000), "then come, all of them");
	IS_INT(atomic_load(&s->flushes), 2, "in one batch (one flush each)");
	/* a queue past half its cap (2048 bytes) ends the nap at once: the
	 * record that crosses it is the 19th (108 bytes each with its
	 * header); the thread may take the batch before the 20th is put,
	 * which then waits for the next nap, as designed */
	t0 = mono_ms();
	for (int i = 0; i < 20; i++)
		writer_put(w, id, rec, sizeof(rec));
	got = recs_reach(s, 30, 2500);
	OK(got, "a queue past half its cap wakes a napping thread (%lld ms, the nap is "
	   "5000)", (long long)(mono_ms() - t0));
	writer_put(w, id, "z", 1);
	t0 = mono_ms();
	got = writer_free(w, 4000, NULL);
	t0 = mono_ms() - t0;
	OK(got, "a stop ends the nap");
	OK(t0 < 2500, "at once (%lld ms)", (long long)t0);
	IS_INT(atomic_load(&s->recs), 32, "with the records still queued written");
	free(s);
	loop_free(l);
}

/* At exit: a batch twice the cap gets through, whole, in chunks of
 * WRITER_EXIT_CHUNK the thread is woken for (it naps 5 s, and the queue
 * never gets to half its cap, which would wake it). */
static void test_put_wait(void)
{
	struct loop *l = loop_new();
	struct writer *w = writer_new(l, 4 * WRITER_EXIT_CHUNK, NULL, NULL);
	struct rec_sink *s = xcalloc(1, sizeof(*s));
	char err[128], rec[1000];
	int id = writer_add(w, &(struct writer_sink){ .name = "exit", .arg = s,
		.write = rs_write });
	int n = (int)(8 * WRITER_EXIT_CHUNK / sizeof(rec)), ok = 0;
	int64_t t0;
	struct writer_stats st;
	size_t most = 0;

	writer_set_batch(w, 5000);
	writer_start(w, err, sizeof(err));
	writer_put(w, id, "a", 1);
	OK(recs_reach(s, 1, 4000), "the thread took a record: it naps 5 s");
	t0 = mono_ms();
	for (int i = 0; i < n; i++) {
		snprintf(rec, sizeof(rec), "%-999d", i);
		ok += writer_put_wait(w, id, rec, sizeof(rec), t0 + 4000);
		writer_stats(w, &st);
		most = st.pending > most ? st.pending : most;
	}
	t0 = mono_ms() - t0;
	IS_INT(ok, n, "writer_put_wait: twice the cap through the queue, nothing dropped");
	OK(t0 < 2500, "without waiting out the naps (%lld ms)", (long long)t0);
	OK(most <= WRITER_EXIT_CHUNK, "never more than a chunk queued (%zu bytes)", most);
	OK(writer_free(w, 4000, NULL), "drained");
	IS_INT(atomic_load(&s->recs), n + 1, "every record written");
	OK(s->n > 1 + 3 * sizeof(rec) && strncmp(s->got + 1, "0 ", 2) == 0 &&
	   strncmp(s->got + 1 + 3 * sizeof(rec), "3 ", 2) == 0, "in order");
	free(s);
	loop_free(l);
}

static void test_never_waits(void)
{
	struct loop *l = loop_new();
	struct writer *w = writer_new(l, 4096, NULL, NULL);
	struct rec_sink *s = xcalloc(1, sizeof(*s));
	char err[128], rec[100];
	int id = writer_add(w, &(struct writer_sink){ .name = "slow", .arg = s,
		.write = rs_write });
	int64_t t0, worst = 0;
	int ok = 0, dropped = 0;
	struct writer_stats st;
	uint64_t lost = 0;

	memset(rec, 'x', sizeof(rec));
	atomic_store(&s->sleep_ms, 3000);          /* a disk that hangs */
	writer_start(w, err, sizeof(err));
	for (int i = 0; i < 200; i++) {
		int64_t t = mono_us();

		if (writer_put(w, id, rec, sizeof(rec)))
			ok++;
		else
			dropped++;
		t = mono_us() - t;
		if (t > worst)
			worst = t;
		if (i == 0)
			usleep(50000);   /* the thread takes the first and hangs in it */
	}
	t0 = worst;
	OK(t0 < 20000, "writer_put never waits for a hanging sink (worst %lld us)",
	   (long long)t0);
	OK(ok > 1 && dropped > 0, "the queue fills up to its cap, then drops (%d queued, "
	   "%d dropped)", ok, dropped);
	writer_stats(w, &st);
	IS_INT(st.dropped, dropped, "drops are counted");
	t0 = mono_ms();
	OK(!writer_free(w, 300, &lost), "writer_free gives up on a disk that hangs");
	OK(mono_ms() - t0 < 2000, "after its wait, not the disk's");
	OK(lost > 0, "and says how many records were not written (%llu)",
	   (unsigned long long)lost);
	/* the thread still holds s and w: the exit takes them */
	loop_free(l);
}

static void test_evlog(void)
{
	struct loop *l = loop_new();
	struct writer *w = writer_new(l, 0, on_notice, NULL);
	char path[256], moved[256], err[256], *a = NULL, *b;
	struct evlog *ev;
	int64_t end;

	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	snprintf(moved, sizeof(moved), "%s/events.jsonl.1", dir);
	OK(evlog_open(w, "/nonexistent/dir/x.jsonl", err, sizeof(err)) == NULL,
	   "a path that cannot be created fails at start");
	HAS_STR(err, "event log /nonexistent/dir/x.jsonl: No such file or directory",
		"and says why");
	OK(evlog_open(w, dir, err, sizeof(err)) == NULL, "a directory is refused");
	HAS_STR(err, "Is a directory", "as a directory");
	{
		FILE *f = fopen(path, "w");

		fputs("{\"old\":1}\n", f);
		fclose(f);
	}
	ev = evlog_open(w, path, err, sizeof(err));
	OK(ev != NULL, "an event log opens");
	writer_start(w, err, sizeof(err));
	evlog_put(ev, "{\"n\":1}\n", 8);
	evlog_put(ev, "{\"n\":2}\n", 8);
	end = mono_ms() + 5000;
	while (mono_ms() < end && count_lines(a = slurp(path)) < 3) {
		free(a);
		usleep(20000);
	}
	IS_STR(a, "{\"old\":1}\n{\"n\":1}\n{\"n\":2}\n", "lines are appended, never rewritten");
	free(a);
	OK(rename(path, moved) == 0, "logrotate renames the file");
	notices = 0;
	notice[0] = '\0';
	end = mono_ms() + 3 * WRITER_TICK_MS + 2000;
	while (mono_ms() < end && access(path, F_OK) != 0)
		loop_turn(l, 50);
	OK(access(path, F_OK) == 0, "the path is opened again (created) within a tick");
	evlog_put(ev, "{\"n\":3}\n", 8);
	end = mono_ms() + 2000;
	while (mono_ms() < end && !notices)
		loop_turn(l, 50);
	HAS_STR(notice, "was renamed or removed: opened it again", "and says so");
	OK(writer_free(w, 5000, NULL), "drained at the end");
	a = slurp(moved);
	b = slurp(path);
	IS_STR(a, "{\"old\":1}\n{\"n\":1}\n{\"n\":2}\n", "the rotated file keeps its lines");
	IS_STR(b, "{\"n\":3}\n", "new lines go to the new file");
	free(a);
	free(b);
	IS_INT(evlog_dropped(ev) + evlog_failed(ev), 0, "nothing dropped or failed");
	evlog_free(ev);
	unlink(path);
	unlink(moved);
	loop_free(l);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_order_and_notes();
	test_evlog();
	test_batches();
	test_put_wait();
	test_never_waits();
	rmdir(dir);
	return tap_done();
}
