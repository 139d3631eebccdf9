/* ui_screen.c - where curses' output goes.
 *
 * ncurses writes a frame with write(2) to the fd of the FILE given to
 * newterm and retries on EAGAIN, so on a terminal that drains slowly (an
 * ssh link, a stalled tmux client) a frame would hold the loop for as long
 * as the terminal takes it. Instead, fd 1 becomes a memory file (memfd):
 * curses writes there, never waits, and after each frame the bytes move
 * into an output queue (outq) on the terminal, written when poll() says it
 * is writable. The UI skips frames while the last one has not drained, so
 * at most one frame waits in memory, and the screen catches up with the
 * newest state once the terminal does.
 *
 * ncurses sets terminal modes and reads the size on the fd it writes to,
 * except that when that fd is 1 and not a terminal it uses fd 2. So fd 2
 * must be the terminal while the table runs: when it is not (uptop
 * 2>log), it is pointed at the terminal and given back at the end. */
#include "ui_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "outq.h"
#include "util.h"

static bool same_tty(int a, int b)
{
	struct stat sa, sb;

	return isatty(a) && isatty(b) && fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_rdev == sb.st_rdev;
}

int ui_screen_open(struct ui *ui, struct loop *l)
{
	int mem;

	ui->tty_fd = ui->saved_err = -1;
	if (!l)
		return -1;
	mem = memfd_create("uptop-screen", MFD_CLOEXEC);
	if (mem < 0) {
		log_debug("ui: memfd_create: %s: curses writes to the terminal directly",
			  strerror(errno));
		return -1;
	}
	ui->tty_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (ui->tty_fd < 0)
		fatal("dup: %s", strerror(errno));
	if (!same_tty(STDERR_FILENO, ui->tty_fd)) {
		ui->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
		if (dup2(ui->tty_fd, STDERR_FILENO) < 0)
			fatal("dup2: %s", strerror(errno));
	}
	fflush(stdout);
	if (dup2(mem, STDOUT_FILENO) < 0)
		fatal("dup2: %s", strerror(errno));
	close(mem);
	ui->out = outq_new(l, ui->tty_fd, &(struct outq_opts){ .what = "the terminal" });
	ui->screened = true;
	return 0;
}

void ui_screen_collect(struct ui *ui)
{
	char buf[65536];
	off_t n, at = 0;

	if (!ui->screened)
		return;
	n = lseek(STDOUT_FILENO, 0, SEEK_CUR);
	while (at < n) {
		size_t want = (size_t)(n - at) < sizeof(buf) ? (size_t)(n - at) : sizeof(buf);
		ssize_t r = pread(STDOUT_FILENO, buf, want, at);

		if (r <= 0)
			break;
		outq_put(ui->out, buf, (size_t)r);
		at += r;
	}
	if (n > 0 && (ftruncate(STDOUT_FILENO, 0) != 0 ||
		      lseek(STDOUT_FILENO, 0, SEEK_SET) != 0))
		fatal("the screen buffer: %s", strerror(errno));
}

bool ui_screen_busy(const struct ui *ui)
{
	return ui->screened && outq_pending(ui->out) > 0;
}

/* A terminal that takes nothing for this long is not read by anyone (a
 * hung ssh session): exiting or stopping does not wait for it longer. */
#define UI_DRAIN_IDLE_MS 5000

void ui_screen_flush(struct ui *ui)
{
	if (!ui->screened)
		return;
	ui_screen_collect(ui);
	outq_drain(ui->out, UI_DRAIN_IDLE_MS, -1, NULL, NULL);
}

void ui_screen_close(struct ui *ui)
{
	if (!ui->screened)
		return;
	ui_screen_flush(ui);
	ui->screened = false;
	fflush(stdout);
	dup2(ui->tty_fd, STDOUT_FILENO);
	if (ui->saved_err >= 0) {
		dup2(ui->saved_err, STDERR_FILENO);
		close(ui->saved_err);
		ui->saved_err = -1;
	}
	close(ui->tty_fd);
	ui->tty_fd = -1;
}

void ui_screen_free(struct ui *ui)
{
	outq_free(ui->out);
	ui->out = NULL;
}

int ui_screen_tty(const struct ui *ui)
{
	return ui->screened ? ui->tty_fd : STDOUT_FILENO;
}
