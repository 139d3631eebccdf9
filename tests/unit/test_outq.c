/* test_outq.c - the output queue on real pipes and a real loop: lines
 * kept whole and in order while nobody reads, written when the reader
 * comes back; the cap drops whole lines and counts them; the caller's
 * file description never turns non-blocking; a reader that goes away is
 * noticed with nothing queued; a socket works through send(). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "outq.h"
#include "tap.h"
#include "util.h"

/* Everything readable on fd now, appended to buf (NUL-terminated). */
static size_t slurp(int fd, char **buf, size_t *len)
{
	size_t cap = *len + 65536 + 1, got = 0;
	ssize_t n;

	*buf = xrealloc(*buf, cap);
	for (;;) {
		if (*len + 65536 + 1 > cap) {
			cap *= 2;
			*buf = xrealloc(*buf, cap);
		}
		n = read(fd, *buf + *len, 65536);
		if (n <= 0)
			break;
		*len += (size_t)n;
		got += (size_t)n;
	}
	(*buf)[*len] = '\0';
	return got;
}

static void turns(struct loop *l, int n)
{
	for (int i = 0; i < n; i++)
		loop_turn(l, 0);
}

static void test_lines_wait_for_the_reader(void)
{
	struct loop *l = loop_new();
	int p[2];
	struct outq *q;
	FILE *f;
	char *got = NULL;
	size_t len = 0, lines = 0;
	bool in_order = true;

	if (pipe(p) != 0)
		return;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	q = outq_new(l, p[1], &(struct outq_opts){ .what = "pipe", .lines = true });
	f = outq_stream(q);
	/* 20,000 lines of ~100 bytes: thirty times what the pipe holds */
	for (int i = 0; i < 20000; i++) {
		fprintf(f, "{\"n\":%d,\"pad\":\"%070d\"}\n", i, 0);
		fflush(f);
	}
	OK(outq_pending(q) > 1000000, "nobody reads: the lines wait in memory (%zu bytes)",
	   outq_pending(q));
	IS_INT(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0,
	       "the caller's description of the pipe stays blocking");
	for (int i = 0; i < 2000 && outq_pending(q); i++) {
		slurp(p[0], &got, &len);
		turns(l, 1);
	}
	slurp(p[0], &got, &len);
	IS_INT(outq_pending(q), 0, "the reader came back: all written");
	IS_INT(outq_dropped(q), 0, "none dropped under the cap");
	for (char *s = got, *nl; s && (nl = strchr(s, '\n')); s = nl + 1) {
		/* strtol, not sscanf: glibc's sscanf measures the whole rest of
		 * the 2 MB text first, for each of the 20,000 lines */
		char *end = s;
		long n = strncmp(s, "{\"n\":", 5) == 0 ? strtol(s + 5, &end, 10) : -1;

		if (*end != ',' || n != (long)lines)
			in_order = false;
		lines++;
	}
	IS_INT(lines, 20000, "every line arrived");
	OK(in_order, "in order, each whole");
	free(got);
	outq_free(q);
	close(p[0]);
	close(p[1]);
	IS_INT(loop_fd_count(l), 0, "outq_free leaves nothing in the loop");
	loop_free(l);
}

static void test_cap_drops_whole_lines(void)
{
	struct loop *l = loop_new();
	int p[2], errp[2], saved_err = dup(STDERR_FILENO);
	struct outq *q;
	FILE *f;
	char *got = NULL, *err = NULL;
	size_t len = 0, elen = 0, lines = 0, bad = 0;

	if (pipe(p) != 0 || pipe(errp) != 0)
		return;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	dup2(errp[1], STDERR_FILENO);
	q = outq_new(l, p[1], &(struct outq_opts){ .what = "pipe", .lines = true,
						   .cap = 1 << 20 });
	f = outq_stream(q);
	for (int i = 0; i < 30000; i++) {
		/* written in pieces: the stream must still queue whole lines */
		fprintf(f, "{\"n\":%d,", i);
		fflush(f);
		fprintf(f, "\"pad\":\"%0100d\"}\n", 0);
		fflush(f);
	}
	dup2(saved_err, STDERR_FILENO);
	close(saved_err);
	OK(outq_pending(q) <= (1 << 20), "the queue stays under its cap (%zu)", outq_pending(q));
	OK(outq_dropped(q) > 10000, "what did not fit is counted (%llu lines)",
	   (unsigned long long)outq_dropped(q));
	slurp(errp[0], &err, &elen);
	OK(err && strstr(err, "uptop: pipe: more than 1 MiB unread: dropping lines") &&
	   strchr(err, '\n') == strrchr(err, '\n'), "said once on stderr");
	for (int i = 0; i < 2000 && outq_pending(q); i++) {
		slurp(p[0], &got, &len);
		turns(l, 1);
	}
	slurp(p[0], &got, &len);
	for (char *s = got, *nl; s && (nl = strchr(s, '\n')); s = nl + 1) {
		lines++;
		bad += strncmp(s, "{\"n\":", 5) != 0 || nl[-1] != '}';
	}
	IS_INT(lines + outq_dropped(q), 30000, "written + dropped = every line");
	IS_INT(bad, 0, "no line cut or merged");
	free(got);
	free(err);
	outq_free(q);
	close(p[0]);
	close(p[1]);
	close(errp[0]);
	close(errp[1]);
	loop_free(l);
}

static void test_reader_gone(void)
{
	struct loop *l = loop_new();
	int p[2];
	struct outq *q;

	if (pipe(p) != 0)
		return;
	q = outq_new(l, p[1], &(struct outq_opts){ .what = "pipe", .lines = true });
	fputs("one\n", outq_stream(q));
	fflush(outq_stream(q));
	IS_INT(outq_error(q), 0, "a reader: no error");
	close(p[0]);
	turns(l, 2);
	IS_INT(outq_error(q), EPIPE, "the reader closed: noticed with nothing queued (POLLERR)");
	fputs("two\n", outq_stream(q));
	fflush(outq_stream(q));
	IS_INT(outq_pending(q), 0, "nothing is queued after the error");
	outq_free(q);
	close(p[1]);
	loop_free(l);
}

static void test_raw_socket(void)
{
	struct loop *l = loop_new();
	int sv[2], drained = 0;
	struct outq *q;
	char chunk[4096], *got = NULL;
	size_t len = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	memset(chunk, 'x', sizeof(chunk));
	q = outq_new(l, sv[1], &(struct outq_opts){ .what = "socket" });
	for (int i = 0; i < 1000; i++)
		outq_put(q, chunk, sizeof(chunk));
	OK(outq_pending(q) > 0, "a socket nobody reads: raw bytes wait");
	IS_INT(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0,
	       "the socket's description stays blocking (send with MSG_DONTWAIT)");
	for (int i = 0; i < 4000 && outq_pending(q); i++) {
		slurp(sv[0], &got, &len);
		turns(l, 1);
	}
	slurp(sv[0], &got, &len);
	drained = outq_pending(q) == 0;
	OK(drained && len == 1000 * sizeof(chunk), "all 4,096,000 bytes arrived (%zu)", len);
	free(got);
	outq_free(q);
	close(sv[0]);
	close(sv[1]);
	loop_free(l);
}

static void test_drain(void)
{
	int p[2];
	struct outq *q;
	char buf[65536];
	pid_t pid;

	if (pipe(p) != 0)
		return;
	q = outq_new(NULL, p[1], &(struct outq_opts){ .what = "pipe", .lines = true });
	for (int i = 0; i < 5000; i++)
		fprintf(outq_stream(q), "line %d\n", i);
	pid = fork();
	if (pid == 0) {
		/* a slow reader: starts late; reads to EOF */
		close(p[1]);
		close(outq_fd(q));
		usleep(200000);
		while (read(p[0], buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	OK(outq_drain(q, -1, -1, NULL, NULL) && outq_pending(q) == 0,
	   "at exit, drain waits for a late reader and writes everything");
	outq_free(q);
	close(p[1]);
	waitpid(pid, NULL, 0);
}

static void test_drain_idle(void)
{
	int p[2];
	struct outq *q;
	int64_t t0;
	bool done;

	if (pipe(p) != 0)
		return;
	q = outq_new(NULL, p[1], &(struct outq_opts){ .what = "pipe" });
	for (int i = 0; i < 3000; i++)
		outq_put(q, "................................................................", 64);
	t0 = mono_ms();
	done = outq_drain(q, 200, -1, NULL, NULL);
	OK(!done && outq_pending(q) > 0 && mono_ms() - t0 >= 190 && mono_ms() - t0 < 5000,
	   "a reader that takes nothing: drain gives up after idle_ms (%lld ms)",
	   (long long)(mono_ms() - t0));
	outq_free(q);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_lines_wait_for_the_reader();
	test_cap_drops_whole_lines();
	test_reader_gone();
	test_raw_socket();
	test_drain();
	test_drain_idle();
	return tap_done();
}
