/*
 * Small helpers shared by the parts of remoteexe-report: allocation that
 * cannot fail silently, a byte hash, and time formatting in local time.
 */
#ifndef REPORT_UTIL_H
#define REPORT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define TIME_TEXT	32	/* room for a formatted time */

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
void	*xmemdup(const void *, size_t);
char	*xstrdup(const char *);
uint64_t hash_bytes(const void *, size_t);
int	 decimal(const char *, int);
int64_t	 local_seconds(int, int, int, int, int, int);
char	*time_text(char *, int64_t);
char	*time_iso(char *, int64_t);

#endif
