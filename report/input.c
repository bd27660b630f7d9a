/*
 * Read lines with read(2) into one buffer and hand out pointers into it;
 * faster than stdio's getline(3) for a log of millions of short records.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "util.h"

#define INPUT_BUF	(256 * 1024)

/* Open a file, or "-" for standard input; -1 with errno. */
int
input_open(struct input *in, const char *path)
{
	memset(in, 0, sizeof(*in));
	in->name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	if (strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	in->cap = INPUT_BUF;
	in->buf = xmalloc(in->cap);
	return 0;
}

void
input_close(struct input *in)
{
	if (in->fd != STDIN_FILENO && in->fd != -1)
		close(in->fd);
	free(in->buf);
	in->buf = NULL;
	in->fd = -1;
}

/* Make room after the pending bytes: move them down, or grow. */
static void
input_room(struct input *in)
{
	size_t pending = in->end - in->start;

	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, pending);
		in->start = 0;
		in->end = pending;
	}
	if (in->end == in->cap && in->cap < INPUT_LINE_MAX) {
		in->cap *= 2;
		in->buf = xreallocarray(in->buf, in->cap, 1);
	}
}

/* Read more: 1 read, 0 at end of file, 2 the buffer is full, -1 error. */
static int
input_fill(struct input *in)
{
	ssize_t n;

	input_room(in);
	if (in->end == in->cap)
		return 2;
	do
		n = read(in->fd, in->buf + in->end, in->cap - in->end);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if (n == 0)
		in->eof = 1;
	in->end += n;
	return n > 0;
}

/* Hand out [start, start + len) and move past it and its LF. */
static int
input_give(struct input *in, size_t len, size_t skip, const char **line,
    size_t *linelen)
{
	*line = in->buf + in->start;
	*linelen = len;
	in->start += len + skip;
	in->lineno++;
	return 1;
}

/*
 * The next line, without its LF: 1 and the line, 0 at end of file, -1 on
 * a read error (errno).  flags gets LINE_CUT or LINE_NOEOL.  The line is
 * valid until the next call.
 */
int
input_line(struct input *in, const char **line, size_t *len, int *flags)
{
	char *nl;
	size_t from = 0;
	int r;

	*flags = 0;
	for (;;) {
		nl = memchr(in->buf + in->start + from, '\n',
		    in->end - in->start - from);
		if (nl != NULL && in->skipping) {
			in->skipping = 0;
			in->start = nl + 1 - in->buf;
			from = 0;
			continue;
		}
		if (nl != NULL)
			return input_give(in, nl - (in->buf + in->start), 1,
			    line, len);
		if (in->skipping)
			in->start = in->end;
		from = in->end - in->start;
		if (in->eof) {
			if (in->end == in->start)
				return 0;
			*flags = LINE_NOEOL;
			return input_give(in, in->end - in->start, 0, line,
			    len);
		}
		if ((r = input_fill(in)) == -1)
			return -1;
		if (r == 2) {
			/* a line longer than INPUT_LINE_MAX: its start, cut */
			in->skipping = 1;
			*flags = LINE_CUT;
			return input_give(in, in->end - in->start, 0, line,
			    len);
		}
	}
}
