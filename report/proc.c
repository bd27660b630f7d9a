/*
 * A START without END is still running when its PID is alive here, is a
 * remoteexe (its comm, or the name of its executable; the command line is
 * no help, remoteexe rewrites it with setproctitle(3)), and that process
 * started no later than the START (so the PID was not reused since).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static int
read_small(const char *path, char *buf, size_t size)
{
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return 0;
}

static int
is_remoteexe(long pid)
{
	char path[64], buf[PATH_MAX], *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (read_small(path, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "remoteexe\n") == 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if ((n = readlink(path, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	if ((base = strrchr(buf, '/')) == NULL)
		return 0;
	return strcmp(base + 1, "remoteexe") == 0 ||
	    strcmp(base + 1, "remoteexe (deleted)") == 0;
}

static long long
boot_time(void)
{
	char buf[8192], *p;

	if (read_small("/proc/stat", buf, sizeof(buf)) == -1 ||
	    (p = strstr(buf, "\nbtime ")) == NULL)
		return -1;
	return strtoll(p + 7, NULL, 10);
}

/* When the process started (s since the epoch), or -1; -1 for a zombie. */
static long long
start_time(long pid)
{
	char path[64], buf[1024], *p;
	long long ticks, boot;
	long hz = sysconf(_SC_CLK_TCK);
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (read_small(path, buf, sizeof(buf)) == -1 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	/* after "pid (comm)": field 3 is the state, field 22 the start */
	for (field = 2; field < 22 && p != NULL; field++) {
		p = strchr(p + 1, ' ');
		if (p != NULL && field == 2 && (p[1] == 'Z' || p[1] == 'X'))
			return -1;
	}
	if (p == NULL || hz <= 0 || (boot = boot_time()) == -1)
		return -1;
	ticks = strtoll(p + 1, NULL, 10);
	return boot + ticks / hz;
}

int
proc_is_run(long pid, int64_t start_ms)
{
	long long st;

	if (!is_remoteexe(pid) || (st = start_time(pid)) == -1)
		return 0;
	return st <= start_ms / 1000 + PROC_SLACK;
}
