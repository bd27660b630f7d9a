/*
 * Streaming line input over one file or standard input: a buffer that
 * grows only up to the longest line (bounded), never with the file.
 */
#ifndef REPORT_INPUT_H
#define REPORT_INPUT_H

#include <stddef.h>
#include <stdint.h>

#define INPUT_LINE_MAX	(16 * 1024 * 1024)	/* longer lines: cut, flagged */

struct input {
	const char	*name;
	int		 fd;
	char		*buf;
	size_t		 cap;
	size_t		 start;		/* first byte not yet returned */
	size_t		 end;		/* end of the bytes read */
	int		 eof;
	int		 skipping;	/* inside a line that was too long */
	int64_t		 lineno;
};

/* What input_line() says about the line it returns. */
#define LINE_CUT	1	/* longer than INPUT_LINE_MAX: only its start */
#define LINE_NOEOL	2	/* the last line of the file had no LF */

int	input_open(struct input *, const char *);
int	input_line(struct input *, const char **, size_t *, int *);
void	input_close(struct input *);

#endif
