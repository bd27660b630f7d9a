/*
 * Small things every room uses: the monotonic clock, signal names, and
 * allocation that cannot fail quietly.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

int64_t		 now_ms(void);
int64_t		 earliest(int64_t, int64_t);
int		 ms_left(int64_t);
const char	*signal_name(int);
int		 signal_number(const char *);
char		*xasprintf(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
char		*xvasprintf(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));
char		*xstrdup(const char *);
char		*join_words(int, char *const []);
uint64_t	 fnv1a(uint64_t, const char *);

#define FNV1A_INIT	0xcbf29ce484222325ULL
char		*host_port(const char *, int);

#endif
