/*
 * The remote side of a run: the shell text remoteexe sends, and the
 * parsing of what that text reports back.  No I/O here.
 */
#ifndef REMOTE_H
#define REMOTE_H

#include <stddef.h>

#define MARKER		"\036remoteexe-pgid="
#define MARKER_MAX	64	/* longest stderr line that may be a marker */

char	*remote_wrapper(const char *);
int	 remote_marker(const char *, size_t, long *);
char	*remote_kill_script(long, int);

#endif
