/*
 * remoteexe's own diagnostics on standard error, one line each, and its
 * own failures in syslog too: under cron, standard error is mailed to
 * nobody as often as not.
 *
 * syslog(3) is not used: glibc's blocks in send(2) while the syslog daemon
 * does not read, and remoteexe must never hang.  diag.c sends the datagram
 * glibc would send, RFC 3164 "<PRI>Mmm dd hh:mm:ss remoteexe[PID]: MSG"
 * with LOG_CRON, without waiting: to /dev/log, or for the tests to the
 * socket in $REMOTEEXE_SYSLOG_SOCKET.  Without a syslog daemon the message
 * is lost, as with syslog(3), and the run goes on.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#define LIBBSD_OPENBSD_VIS	/* strvisx only; libbsd asks which strnvis */
#include <vis.h>

#include "diag.h"
#include "util.h"

#define PARAMS_MAX	512	/* of the job, in a syslog message */
#define SYSLOG_MAX	2048	/* a datagram */

static int	 quiet;
static char	*job;

void
diag_quiet(int on)
{
	quiet = on;
}

/* The job's params, named in every syslog message. */
void
diag_job(const char *params)
{
	free(job);
	job = xstrdup(params);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

/* s on one line, its control bytes escaped as vis(3) does. */
static char *
visible(const char *s, size_t len)
{
	char *v;

	if ((v = malloc(4 * len + 1)) == NULL)
		err(1, NULL);
	strvisx(v, s, len, VIS_CSTYLE | VIS_OCTAL | VIS_NL);
	return v;
}

/* "MSG (job: PARAMS)", the params cut to PARAMS_MAX bytes, said so. */
static char *
syslog_text(const char *msg)
{
	size_t len = job != NULL ? strlen(job) : 0;
	char *m, *p, *text;

	m = visible(msg, strlen(msg));
	if (job == NULL) {
		text = xasprintf("%s", m);
		free(m);
		return text;
	}
	p = visible(job, len < PARAMS_MAX ? len : PARAMS_MAX);
	text = xasprintf("%s (job: %s%s)", m, p, len > PARAMS_MAX ?
	    "... [cut: the job is longer]" : "");
	free(m);
	free(p);
	return text;
}

/* A syslog daemon on a stream socket: the message NUL-ended, as glibc. */
static void
syslog_stream(const struct sockaddr_un *sun, const char *buf, size_t len)
{
	int fd;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		(void)send(fd, buf, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
syslog_send(const char *buf, size_t len)
{
	const char *path = getenv("REMOTEEXE_SYSLOG_SOCKET");
	struct sockaddr_un sun;
	int fd;

	if (path == NULL || *path == '\0')
		path = _PATH_LOG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		return;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, sizeof(sun)) == -1 && errno == EPROTOTYPE)
		syslog_stream(&sun, buf, len);
	close(fd);
}

static void
vsyslog_msg(int priority, const char *fmt, va_list ap)
{
	char buf[SYSLOG_MAX], when[32], *msg, *text;
	time_t t = time(NULL);
	struct tm tm;
	int n, saved = errno;

	msg = xvasprintf(fmt, ap);
	text = syslog_text(msg);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%b %e %H:%M:%S", &tm) == 0)
		strlcpy(when, "Jan  1 00:00:00", sizeof(when));
	n = snprintf(buf, sizeof(buf), "<%d>%s remoteexe[%ld]: %s",
	    LOG_CRON | priority, when, (long)getpid(), text);
	if (n >= (int)sizeof(buf))
		memcpy(buf + sizeof(buf) - 8, " [cut]", 7);
	if (n > 0)
		syslog_send(buf, strlen(buf));
	free(msg);
	free(text);
	errno = saved;
}

/* A line for syslog only. */
void
diag_syslog(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog_msg(priority, fmt, ap);
	va_end(ap);
}

/* A failure of remoteexe's own: stderr (unless -q) and syslog. */
void
diag_failure(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog_msg(LOG_ERR, fmt, ap);
	va_end(ap);
	if (quiet)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}
