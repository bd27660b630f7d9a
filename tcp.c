/*
 * TCP to a host: the name resolved with a bound, every address tried in
 * turn, each with its own bound, as ssh(1) does with ConnectTimeout.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "settings.h"
#include "signals.h"
#include "tcp.h"
#include "util.h"

struct lookup {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	char		 service[16];
};


static struct lookup *
lookup_start(const char *host, int port, int family)
{
	struct lookup *lk;
	struct gaicb *list[1];

	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		err(1, NULL);
	lk->hints.ai_family = family;
	lk->hints.ai_socktype = SOCK_STREAM;
	snprintf(lk->service, sizeof(lk->service), "%d", port);
	lk->cb.ar_name = host;
	lk->cb.ar_service = lk->service;
	lk->cb.ar_request = &lk->hints;
	list[0] = &lk->cb;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
		free(lk);
		return NULL;
	}
	return lk;
}

/*
 * getaddrinfo(3) has no timeout; getaddrinfo_a(3) (in glibc's libc since
 * 2.34) lets the wait be bounded and interrupted.  A lookup that cannot be
 * cancelled may still write to its request after we gave up, so that
 * request is left allocated.
 */
static int
resolve(const char *host, int port, int family, int64_t deadline,
    struct addrinfo **res, enum wait *w)
{
	struct timespec slice = { 0, 100 * 1000000 };
	struct lookup *lk;
	const struct gaicb *list[1];
	int rc;

	*w = W_READY;
	if ((lk = lookup_start(host, port, family)) == NULL)
		return EAI_SYSTEM;
	list[0] = &lk->cb;
	while ((rc = gai_error(&lk->cb)) == EAI_INPROGRESS) {
		if (signals_take() != 0)
			*w = W_SIGNAL;
		else if (deadline != 0 && now_ms() >= deadline)
			*w = W_TIMEOUT;
		if (*w != W_READY) {
			if (gai_cancel(&lk->cb) == EAI_CANCELED)
				free(lk);
			return EAI_AGAIN;
		}
		gai_suspend(list, 1, &slice);
	}
	*res = lk->cb.ar_result;
	free(lk);
	return rc;
}

static int
connect_addr(const struct addrinfo *ai, int64_t deadline, enum wait *w)
{
	socklen_t len = sizeof(int);
	int fd, one = 1, soerr = 0;

	*w = W_READY;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if ((*w = wait_fd(fd, POLLOUT, deadline)) != W_READY) {
		soerr = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 ||
	    soerr != 0)
		goto fail;
	return fd;
fail:
	if (soerr != 0)
		errno = soerr;
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

/* "10.0.0.5" or "[::1]": an address for a message. */
static char *
addr_name(const struct addrinfo *ai)
{
	char host[NI_MAXHOST];

	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL,
	    0, NI_NUMERICHOST) != 0)
		return xstrdup("?");
	return xasprintf(ai->ai_family == AF_INET6 ? "[%s]" : "%s", host);
}

/* Note why one address failed, for the message if all of them do. */
static void
addr_failed(char **why, const struct addrinfo *ai, const char *what)
{
	char *name = addr_name(ai), *all;

	all = *why == NULL ? xasprintf("%s: %s", name, what) :
	    xasprintf("%s, %s: %s", *why, name, what);
	free(*why);
	free(name);
	*why = all;
}

/*
 * Try the addresses in turn, each with its own --connect-timeout, as ssh
 * does with ConnectTimeout.  *deadline becomes the bound of the rest of
 * the attempt (handshake, authentication) on the address that answered.
 */
static int
connect_any(const struct addrinfo *res, int secs, int64_t *deadline,
    enum wait *w, char **why)
{
	const struct addrinfo *ai;
	int fd = -1, n = 0;

	for (ai = res; ai != NULL; ai = ai->ai_next)
		n++;
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		*deadline = now_ms() + secs * 1000LL;
		if ((fd = connect_addr(ai, *deadline, w)) != -1)
			break;
		if (*w == W_SIGNAL)
			break;
		if (n > 1)
			addr_failed(why, ai, *w == W_TIMEOUT ? "timed out" :
			    strerror(errno));
		else
			*why = xstrdup(*w == W_TIMEOUT ? "timed out" :
			    strerror(errno));
	}
	return fd;
}

/* Resolve and connect: every address (IPv4 and IPv6) gets its own try. */
enum failure
tcp_connect(const struct target *t, int secs, int *fdp, int64_t *deadline,
    char **msg)
{
	struct addrinfo *res;
	char *why = NULL;
	enum wait w;
	int gai, fd;

	*deadline = now_ms() + secs * 1000LL;
	if ((gai = resolve(t->host, t->port, t->address_family, *deadline,
	    &res, &w)) != 0) {
		if (w == W_SIGNAL)
			return FAIL_STOPPED;
		*msg = xasprintf("%s: %s", t->host, w == W_TIMEOUT ?
		    "name lookup timed out" : gai_strerror(gai));
		return gai == EAI_AGAIN ? FAIL_CONNECT : FAIL_RESOLVE;
	}
	fd = connect_any(res, secs, deadline, &w, &why);
	freeaddrinfo(res);
	if (w == W_SIGNAL) {
		free(why);
		return FAIL_STOPPED;
	}
	if (fd == -1) {
		*msg = xasprintf("%s port %d: connect: %s", t->host, t->port,
		    why != NULL ? why : "no address");
		free(why);
		return FAIL_CONNECT;
	}
	free(why);
	*fdp = fd;
	return FAIL_NONE;
}
