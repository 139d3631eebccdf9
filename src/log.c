/* log.c - the debug log. See log.h for the contract. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_BUFFER 65536
#define LOG_LINE 1024

FILE *log_file;
static bool log_pending;      /* written since the last flush */

int log_open(const char *path, char *err, size_t elen)
{
	struct stat st;
	int fd;
	FILE *f;

	/* A FIFO, a tty or a device could block the loop or scribble over
	 * the table: only a regular file will do. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, elen, "%s: not a regular file (the debug log "
			 "goes to a file, never a terminal, pipe or device)", path);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY |
			      O_NONBLOCK, 0600);
	if (fd < 0) {
		snprintf(err, elen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, elen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, elen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IOFBF, LOG_BUFFER);
	log_close();
	log_file = f;
	return 0;
}

void log_close(void)
{
	if (!log_file)
		return;
	fclose(log_file);
	log_file = NULL;
	log_pending = false;
}

/* Control bytes (from a server's TLS name or error text) become \xNN, so
 * `cat` of the log cannot drive a terminal. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
}

void log_write(const char *fmt, ...)
{
	char line[LOG_LINE], stamp[32];
	int64_t wall = wall_ms();
	time_t sec = (time_t)(wall / 1000);
	struct tm tm;
	va_list ap;

	if (!log_file)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(log_file, "%s.%03dZ ", stamp, (int)(wall % 1000));
	put_escaped(log_file, line);
	putc('\n', log_file);
	log_pending = true;
}

void log_flush(void)
{
	if (!log_pending || !log_file)
		return;
	fflush(log_file);
	log_pending = false;
}
