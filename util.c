/*
 * Small things every room uses.  Deadlines are absolute times in ms on
 * CLOCK_MONOTONIC; 0 means none.
 */
#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

static const struct {
	const char	*name;
	int		 signo;
} signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "SYS", SIGSYS },
};

int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The earlier of two deadlines, where 0 is none. */
int64_t
earliest(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/* A poll(2) timeout for the deadline: -1 for none, at most a minute. */
int
ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline == 0)
		return -1;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

const char *
signal_name(int signo)
{
	size_t i;

	for (i = 0; i < NITEMS(signames); i++)
		if (signames[i].signo == signo)
			return signames[i].name;
	return "?";
}

/* The number of a signal named as SSH names it ("TERM"), or 0. */
int
signal_number(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(signames); i++)
		if (strcmp(name, signames[i].name) == 0)
			return signames[i].signo;
	return 0;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) == -1)
		err(1, NULL);
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *
xstrdup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		err(1, NULL);
	return d;
}

/* "host:port", or "[host]:port" for an IPv6 address, as ssh writes it. */
char *
host_port(const char *host, int port)
{
	if (strchr(host, ':') != NULL)
		return xasprintf("[%s]:%d", host, port);
	return xasprintf("%s:%d", host, port);
}

/* The words, joined with single spaces, as ssh(1) joins a command. */
char *
join_words(int argc, char *const argv[])
{
	size_t len = 1;
	char *s, *d;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = malloc(len)) == NULL)
		err(1, NULL);
	d = s;
	*d = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			*d++ = ' ';
		d = stpcpy(d, argv[i]);
	}
	return s;
}

/* FNV-1a of s, then a separator, so fields hash apart: ("ab","c") != ("a","bc"). */
uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}
