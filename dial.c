/*
 * How a run reaches its host.  Straight over TCP; or through a
 * ProxyCommand, run with /bin/sh on one end of a socketpair (its stderr
 * goes to the log as error records); or through ProxyJump hops, each an
 * SSH session of a child of ours (its host key checked, its user
 * authenticated, like the target's) that forwards a direct-tcpip channel
 * to the next hop over a socketpair.  Whichever way, SSH to the target
 * then runs on the socket this gives.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>

#include "dial.h"
#include "log.h"
#include "progress.h"
#include "settings.h"
#include "signals.h"
#include "ssh.h"
#include "sshio.h"
#include "tcp.h"
#include "util.h"

#define RELAYSZ		(32 * 1024)
#define REPORTSZ	4096	/* a hop's report: "FAILURE message" */
#define REAP_MS		1000	/* for a helper to go once told to */

/* A child of ours that carries the connection, and how it is ended. */
static void
helper_add(struct conn *c, pid_t pid, int sig)
{
	if (c->n == DIAL_HELPERS)
		errx(1, "dial: too many helpers");
	c->pid[c->n] = pid;
	c->sig[c->n] = sig;
	c->n++;
}

static void
nonblocking(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		err(1, "fcntl");
}

/* In the logger child: every line the ProxyCommand prints on stderr. */
static void __attribute__((noreturn))
log_lines(int fd)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	char *nl;

	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0 ||
	    (n == -1 && errno == EINTR)) {
		if (n > 0)
			len += n;
		while ((nl = memchr(buf, '\n', len)) != NULL ||
		    len == sizeof(buf)) {
			n = nl != NULL ? nl - buf : (ssize_t)len;
			log_msg("error", "ProxyCommand: %.*s", (int)n, buf);
			n += nl != NULL;
			memmove(buf, buf + n, len - n);
			len -= n;
		}
	}
	if (len > 0)
		log_msg("error", "ProxyCommand: %.*s", (int)len, buf);
	_exit(0);
}

/* The ProxyCommand itself: stdin and stdout the socket, as ssh runs it. */
static void __attribute__((noreturn))
proxy_exec(const char *command, int sock, int errfd)
{
	char *cmd;

	if (dup2(sock, 0) == -1 || dup2(sock, 1) == -1 || dup2(errfd, 2) == -1)
		_exit(127);
	closefrom(3);
	signals_default();
	cmd = xasprintf("exec %s", command);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	dprintf(2, "/bin/sh: %s\n", strerror(errno));
	_exit(127);
}

/* A helper child in a process group of its own (set on both sides). */
static pid_t
spawn(void)
{
	pid_t pid;

	if ((pid = fork()) == -1)
		err(1, "fork");
	(void)setpgid(pid == 0 ? 0 : pid, pid == 0 ? 0 : pid);
	return pid;
}

static enum failure
proxy_command(const struct target *t, struct conn *c, int *fd)
{
	int sv[2], errp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1)
		err(1, "socketpair");
	if ((pid = spawn()) == 0)
		proxy_exec(t->proxy_command, sv[1], errp[1]);
	helper_add(c, pid, SIGHUP);
	close(sv[1]);
	close(errp[1]);
	if ((pid = spawn()) == 0) {
		close(sv[0]);
		signals_child();
		log_lines(errp[0]);
	}
	helper_add(c, pid, 0);	/* ends with the command's stderr */
	close(errp[0]);
	nonblocking(sv[0]);
	*fd = sv[0];
	return FAIL_NONE;
}

/* The way through a hop's session: bytes in both directions. */
struct relay {
	struct ssh	*ss;
	LIBSSH2_CHANNEL	*chan;
	int		 sock;		/* ours: the parent's socketpair end */
	char		 down[RELAYSZ];	/* channel to sock */
	size_t		 dlen, doff;
	char		 up[RELAYSZ];	/* sock to channel */
	size_t		 ulen, uoff;
	int		 more;		/* libssh2 may hold more */
};

/* Channel to socket; -1 when either side is done. */
static int
relay_down(struct relay *r)
{
	ssize_t n;

	if (r->dlen == 0) {
		n = libssh2_channel_read(r->chan, r->down, sizeof(r->down));
		if (n == 0 || (n < 0 && n != LIBSSH2_ERROR_EAGAIN))
			return -1;
		r->dlen = n > 0 ? n : 0;
		r->more = n == (ssize_t)sizeof(r->down);
	}
	while (r->doff < r->dlen) {
		n = write(r->sock, r->down + r->doff, r->dlen - r->doff);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n == -1)
			return -1;
		r->doff += n;
	}
	r->dlen = r->doff = 0;
	return 0;
}

/* Socket to channel; -1 when either side is done. */
static int
relay_up(struct relay *r)
{
	ssize_t n;

	if (r->ulen == 0) {
		n = read(r->sock, r->up, sizeof(r->up));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return -1;
		r->ulen = n > 0 ? n : 0;
	}
	while (r->uoff < r->ulen) {
		n = libssh2_channel_write(r->chan, r->up + r->uoff,
		    r->ulen - r->uoff);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		r->uoff += n;
	}
	r->ulen = r->uoff = 0;
	return 0;
}

/* Wait for either side; not while libssh2 may hold data already read. */
static void
relay_wait(struct relay *r)
{
	struct pollfd pfd[2];
	int dir = libssh2_session_block_directions(r->ss->session);

	if (r->more)
		return;
	pfd[0].fd = r->ss->fd;
	pfd[0].events = POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		pfd[0].events |= POLLOUT;
	pfd[1].fd = r->sock;
	pfd[1].events = (r->ulen == 0 ? POLLIN : 0) |
	    (r->dlen > r->doff ? POLLOUT : 0);
	if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
		err(1, "poll");
}

static void
relay(struct ssh *ss, LIBSSH2_CHANNEL *chan, int sock)
{
	static struct relay r;

	r.ss = ss;
	r.chan = chan;
	r.sock = sock;
	nonblocking(sock);
	while (relay_down(&r) == 0 && relay_up(&r) == 0)
		relay_wait(&r);
}

/* A hop's child tells its parent how the hop went, in one write. */
static void
report(int fd, enum failure f, const char *msg)
{
	char *text = xasprintf("%d %s", (int)f, msg);

	(void)write(fd, text, strlen(text));
	free(text);
	close(fd);
}

/*
 * In a hop's child: SSH to the hop over in, a channel to next, then relay
 * between it and sock until either side ends.
 */
static void __attribute__((noreturn))
hop_serve(const struct target *hop, const struct target *next,
    const struct limits *l, int in, int sock, int status)
{
	int64_t deadline = now_ms() + l->connect_timeout * 1000LL;
	struct progress p;
	LIBSSH2_CHANNEL *chan;
	struct ssh *ss;
	enum failure f;
	enum wait w;
	char *msg = NULL;

	progress_init(&p);
	if ((f = ssh_start(hop, l, &p, in, deadline, &ss, &msg)) != FAIL_NONE) {
		report(status, f, msg);
		_exit(1);
	}
	if ((chan = ssh_direct(ss, next->host, next->port, deadline,
	    &w)) == NULL) {
		msg = xasprintf("cannot forward to %s port %d: %s", next->host,
		    next->port, w == W_TIMEOUT ? "timed out" : ssh_error(ss));
		report(status, FAIL_CONNECT, msg);
		_exit(1);
	}
	report(status, FAIL_NONE, "ok");
	relay(ss, chan, sock);
	ssh_close(ss);
	_exit(0);
}

/* Read a hop's report; its failure and message, or FAIL_NONE. */
static enum failure
hop_ready(int fd, const struct target *hop, const struct limits *l,
    char **msg)
{
	int64_t deadline = now_ms() + l->connect_timeout * 1000LL + REAP_MS;
	char buf[REPORTSZ], *sp;
	size_t len = 0;
	ssize_t n;
	long f;

	while (len < sizeof(buf) - 1) {
		if (wait_fd(fd, POLLIN, deadline) != W_READY)
			break;
		if ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (signals_pending() || signals_count() > 0)
		return FAIL_STOPPED;
	f = strtol(buf, &sp, 10);
	if (sp == buf || *sp != ' ' || f < FAIL_NONE || f > FAIL_STOPPED) {
		*msg = xasprintf("ProxyJump hop %s port %d: no answer from "
		    "the hop in time", hop->host, hop->port);
		return FAIL_CONNECT;
	}
	if (f != FAIL_NONE)
		*msg = xasprintf("ProxyJump hop %s: %s", hop->host, sp + 1);
	return f;
}

/* Through one hop: a socket to next from a socket to the hop (closed). */
static enum failure
forward(const struct target *hop, const struct target *next,
    const struct limits *l, struct conn *c, int *fd, char **msg)
{
	int sv[2], st[2];
	enum failure f;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(st, O_CLOEXEC) == -1)
		err(1, "socketpair");
	if ((pid = spawn()) == 0) {
		close(sv[0]);
		close(st[0]);
		signals_child();
		hop_serve(hop, next, l, *fd, sv[1], st[1]);
	}
	helper_add(c, pid, SIGKILL);
	close(*fd);
	close(sv[1]);
	close(st[1]);
	f = hop_ready(st[0], hop, l, msg);
	close(st[0]);
	if (f != FAIL_NONE) {
		close(sv[0]);
		return f;
	}
	nonblocking(sv[0]);
	*fd = sv[0];
	return FAIL_NONE;
}

static enum failure
jump_chain(const struct target *t, const struct limits *l, struct conn *c,
    int *fd, char **msg)
{
	const struct target *next;
	enum failure f;
	int64_t deadline;
	int i;

	if ((f = tcp_connect(&t->jump[0], l->connect_timeout, fd, &deadline,
	    msg)) != FAIL_NONE)
		return f;
	for (i = 0; i < t->njump; i++) {
		next = i + 1 < t->njump ? &t->jump[i + 1] : t;
		if ((f = forward(&t->jump[i], next, l, c, fd, msg)) !=
		    FAIL_NONE)
			return f;
	}
	return FAIL_NONE;
}

/*
 * One connection attempt: a socket to the target, then SSH on it, each
 * part bounded by --connect-timeout.  c is set even on failure:
 * dial_close() it.
 */
enum failure
dial(const struct target *t, const struct limits *l, struct progress *p,
    struct conn *c, char **msg)
{
	int64_t deadline;
	enum failure f;
	int fd;

	memset(c, 0, sizeof(*c));
	progress_phase(p, PHASE_CONNECT);
	if (t->proxy_command != NULL)
		f = proxy_command(t, c, &fd);
	else if (t->njump > 0)
		f = jump_chain(t, l, c, &fd, msg);
	else
		f = tcp_connect(t, l->connect_timeout, &fd, &deadline, msg);
	if (f != FAIL_NONE)
		return f;
	if (t->proxy_command != NULL || t->njump > 0)
		deadline = now_ms() + l->connect_timeout * 1000LL;
	return ssh_start(t, l, p, fd, deadline, &c->ss, msg);
}

/* Wait up to REAP_MS for a helper to end, then make sure it has. */
static void
reap(pid_t pid)
{
	int64_t until = now_ms() + REAP_MS;
	struct timespec ts = { 0, 10 * 1000000 };

	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (now_ms() >= until) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			return;
		}
		(void)nanosleep(&ts, NULL);
	}
}

/*
 * Close the SSH connection, then end the helpers, our own children, each
 * in the process group it made: the ProxyCommand with SIGHUP as ssh does
 * (all of it: a shell pipeline too), a hop's relay with SIGKILL; the
 * ProxyCommand's logger ends with its stderr, so that its last lines are
 * logged before END.
 */
void
dial_close(struct conn *c)
{
	int i;

	ssh_close(c->ss);
	c->ss = NULL;
	for (i = 0; i < c->n; i++)
		if (c->sig[i] != 0)
			(void)kill(-c->pid[i], c->sig[i]);	/* its own group */
	for (i = 0; i < c->n; i++)
		reap(c->pid[i]);
	c->n = 0;
}
