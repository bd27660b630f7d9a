/*
 * Helpers: allocation that exits on failure, FNV-1a, local time text.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		err(2, NULL);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		err(2, NULL);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if ((p = reallocarray(old, n == 0 ? 1 : n, size)) == NULL)
		err(2, NULL);
	return p;
}

void *
xmemdup(const void *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xstrdup(const char *s)
{
	return xmemdup(s, strlen(s));
}

uint64_t
hash_bytes(const void *s, size_t n)
{
	const unsigned char *p = s;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static struct tm *
local_tm(int64_t ms, struct tm *tm)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);

	if (localtime_r(&t, tm) == NULL)
		memset(tm, 0, sizeof(*tm));
	return tm;
}

/* Seconds since the epoch of a local date and time, as mktime(3) says. */
int64_t
local_seconds(int y, int mo, int d, int h, int mi, int sec)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* "2026-11-22 02:00:01", as the text log writes it. */
char *
time_text(char *buf, int64_t ms)
{
	struct tm tm;

	if (strftime(buf, TIME_TEXT, "%Y-%m-%d %H:%M:%S",
	    local_tm(ms, &tm)) == 0)
		strlcpy(buf, "?", TIME_TEXT);
	return buf;
}

/* "2026-11-22T02:00:01+09:00" (RFC 3339), for the JSON report. */
char *
time_iso(char *buf, int64_t ms)
{
	struct tm tm;
	char zone[8];
	size_t n;

	local_tm(ms, &tm);
	n = strftime(buf, TIME_TEXT, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0 || strftime(zone, sizeof(zone), "%z", &tm) != 5)
		strlcpy(zone, "+0000", sizeof(zone));
	snprintf(buf + n, TIME_TEXT - n, "%.3s:%.2s", zone, zone + 3);
	return buf;
}

/* The number in the n decimal digits at s, or -1. */
int
decimal(const char *s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}
