/*
 * The SSH side of a run.  libssh2 is used non-blocking: every call that
 * returns LIBSSH2_ERROR_EAGAIN is followed by a poll(2) on the socket (and
 * on the signal pipe) bounded by the current phase's deadline.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>

#include "hostkey.h"
#include "kexprobe.h"
#include "log.h"
#include "session.h"
#include "sshio.h"

#define WINDOW		(512 * 1024)
#define READSZ		(64 * 1024)
#define MARKER		"\036remoteexe-pgid="
#define TEE_STALL_MS	10000

static char readbuf[READSZ];

int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
session_global_init(void)
{
	if (libssh2_init(0) != 0)
		errx(1, "libssh2_init failed");
}

static int
ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline == 0)
		return -1;
	if (deadline == NO_WAIT)
		return 0;
	left = deadline - now_ms();
	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

/* Take a pending stop signal into the job; 1 if there was one. */
static int
take_signal(struct job *job)
{
	int sig;

	if (job->deaf || (sig = job->stop_signal(job)) == 0)
		return 0;
	if (job->signo == 0)
		job->signo = sig;
	job->nsignals++;
	return 1;
}

/*
 * Wait until fd is ready for events, the deadline (0 = none) passes, or a
 * stop signal arrives.  SIGUSR1 is answered by the hook and the wait goes on.
 */
static enum wait
wait_fd(struct job *job, int fd, short events, int64_t deadline)
{
	struct pollfd pfd[2];
	int n;

	for (;;) {
		if (take_signal(job))
			return W_SIGNAL;
		if (deadline == NO_WAIT ||
		    (deadline != 0 && now_ms() >= deadline))
			return W_TIMEOUT;
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[1].fd = job->sigfd;
		pfd[1].events = POLLIN;
		n = poll(pfd, 2, ms_left(deadline));
		if (n == -1 && errno != EINTR)
			err(1, "poll");
		if (n > 0 && pfd[0].revents != 0)
			return W_READY;
	}
}

enum wait
wait_session(struct session *ss, int64_t deadline)
{
	int dir = libssh2_session_block_directions(ss->ssh);
	short events = 0;

	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		events |= POLLOUT;
	if (events == 0)
		events = POLLIN;
	return wait_fd(ss->job, ss->fd, events, deadline);
}

const char *
ssh_error(struct session *ss)
{
	char *msg = NULL;

	libssh2_session_last_error(ss->ssh, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown error";
}

/* Count bytes from the server: silence detection needs to see every one. */
static ssize_t
recv_counted(libssh2_socket_t fd, void *buf, size_t len, int flags,
    void **abstract)
{
	struct job *job = *abstract;
	ssize_t n;

	n = recv(fd, buf, len, flags);
	if (n > 0)
		job->last_recv = now_ms();
	if (n == -1 && errno == EINTR)
		return -EAGAIN;
	return n == -1 ? -errno : n;
}

static int
connect_addr(struct job *job, const struct addrinfo *ai, int64_t deadline,
    enum wait *w)
{
	socklen_t len = sizeof(int);
	int fd, one = 1, soerr = 0;

	*w = W_READY;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if ((*w = wait_fd(job, fd, POLLOUT, deadline)) != W_READY) {
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

struct lookup {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	char		 service[16];
};

/*
 * getaddrinfo(3) has no timeout; getaddrinfo_a(3) (in glibc's libc since
 * 2.34) lets the wait be bounded and interrupted.  A lookup that cannot be
 * cancelled may still write to its request after we gave up, so that
 * request is left allocated.
 */
static int
resolve(struct job *job, const char *port, int64_t deadline,
    struct addrinfo **res, enum wait *w)
{
	struct timespec slice = { 0, 100 * 1000000 };
	struct lookup *lk;
	struct gaicb *list[1];
	int rc;

	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		err(1, NULL);
	lk->hints.ai_family = AF_UNSPEC;
	lk->hints.ai_socktype = SOCK_STREAM;
	strlcpy(lk->service, port, sizeof(lk->service));
	lk->cb.ar_name = job->host;
	lk->cb.ar_service = lk->service;
	lk->cb.ar_request = &lk->hints;
	list[0] = &lk->cb;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(lk);
		return rc;
	}
	while ((rc = gai_error(&lk->cb)) == EAI_INPROGRESS) {
		if (take_signal(job))
			*w = W_SIGNAL;
		else if (deadline != 0 && now_ms() >= deadline)
			*w = W_TIMEOUT;
		if (*w != W_READY) {
			if (gai_cancel(&lk->cb) == EAI_CANCELED)
				free(lk);
			return EAI_AGAIN;
		}
		gai_suspend((const struct gaicb *const *)list, 1, &slice);
	}
	*res = lk->cb.ar_result;
	free(lk);
	return rc;
}

/* Resolve and connect, trying every address (IPv4 and IPv6) in turn. */
static enum failure
session_connect(struct session *ss, int64_t deadline, char *msg, size_t len)
{
	struct job *job = ss->job;
	struct addrinfo *res, *ai;
	char port[16];
	enum wait w = W_READY;
	int gai, fd = -1;

	snprintf(port, sizeof(port), "%d", job->port);
	job->phase = "connect";
	if ((gai = resolve(job, port, deadline, &res, &w)) != 0) {
		if (w == W_SIGNAL)
			return FAIL_STOPPED;
		snprintf(msg, len, "%s: %s", job->host, w == W_TIMEOUT ?
		    "name lookup timed out" : gai_strerror(gai));
		return gai == EAI_AGAIN ? FAIL_CONNECT : FAIL_RESOLVE;
	}
	for (ai = res; ai != NULL && fd == -1 && w == W_READY;
	    ai = ai->ai_next)
		fd = connect_addr(job, ai, deadline, &w);
	freeaddrinfo(res);
	if (w == W_SIGNAL)
		return FAIL_STOPPED;
	if (fd == -1) {
		snprintf(msg, len, "%s port %d: connect: %s", job->host,
		    job->port, w == W_TIMEOUT ? "timed out" : strerror(errno));
		return FAIL_CONNECT;
	}
	ss->fd = fd;
	return FAIL_NONE;
}

static void
session_setup(struct session *ss, struct khosts *kh)
{
	libssh2_session_callback_set(ss->ssh, LIBSSH2_CALLBACK_RECV,
	    (void *)recv_counted);
	libssh2_session_set_blocking(ss->ssh, 0);
	/* fails only if libssh2 knows none of them: the default is fine */
	(void)libssh2_session_method_pref(ss->ssh, LIBSSH2_METHOD_HOSTKEY,
	    kh_methods(kh));
}

static enum failure
session_handshake(struct session *ss, const struct khosts *kh,
    int64_t deadline, char *msg, size_t len)
{
	struct job *job = ss->job;
	enum wait w;
	int rc;

	job->phase = "handshake";
	SSH_CALL(ss, rc, deadline, w, libssh2_session_handshake(ss->ssh,
	    ss->fd));
	if (w == W_SIGNAL)
		return FAIL_STOPPED;
	if (w == W_READY && rc == LIBSSH2_ERROR_KEX_FAILURE) {
		/* a fresh connection tells which host key types it offers */
		char offer[512], why[256];
		enum kexprobe kp = KP_ERROR;
		enum failure f;
		int fd = ss->fd;

		if ((f = session_connect(ss, deadline, why, sizeof(why))) ==
		    FAIL_NONE) {
			kp = kexprobe(ss->fd, deadline, job->sigfd, offer,
			    sizeof(offer), why, sizeof(why));
			close(ss->fd);
		}
		ss->fd = fd;
		job->phase = "handshake";
		if (f == FAIL_STOPPED || (kp == KP_WAKE && take_signal(job)))
			return FAIL_STOPPED;
		if (kh_kexfail(kh, kp == KP_OK ? offer : NULL, why, job->host,
		    job->port, job->known_hosts, msg, len) == 0)
			return FAIL_HOSTKEY;
	}
	if (w == W_TIMEOUT || rc != 0) {
		snprintf(msg, len, "%s port %d: ssh handshake: %s", job->host,
		    job->port, w == W_TIMEOUT ? "timed out" : ssh_error(ss));
		return FAIL_HANDSHAKE;
	}
	return FAIL_NONE;
}

static enum failure
session_hostkey(struct session *ss, struct khosts *kh, char *msg, size_t len)
{
	struct job *job = ss->job;
	const struct khmatch *bad;
	const char *type, *fp;
	char why[256];

	fp = kh_fingerprint(ss->ssh, &type);
	switch (kh_verify(ss->ssh, kh, &bad)) {
	case KH_OK:
		return FAIL_NONE;
	case KH_CHANGED:
		snprintf(msg, len, "host key for %s has CHANGED (%s %s): it "
		    "does not match %s:%ld; refusing to connect (if the change "
		    "is expected, remove that line)", kh->name, type, fp,
		    bad->file, bad->line);
		return FAIL_HOSTKEY;
	case KH_REVOKED:
		snprintf(msg, len, "host key for %s is REVOKED (%s %s) by "
		    "%s:%ld; refusing to connect", kh->name, type, fp,
		    bad->file, bad->line);
		return FAIL_HOSTKEY;
	case KH_ERROR:
		snprintf(msg, len, "host key for %s: cannot read it: %s",
		    kh->name, ssh_error(ss));
		return FAIL_HOSTKEY;
	case KH_UNKNOWN:
		break;
	}
	if (!job->accept_new) {
		snprintf(msg, len, "host key for %s is not known (%s %s): "
		    "not in %s; add it to that file or use --accept-new",
		    kh->name, type, fp, job->known_hosts);
		return FAIL_HOSTKEY;
	}
	if (kh_append(ss->ssh, kh, job->known_hosts,
	    job->hash_known_hosts, why, sizeof(why)) == -1) {
		snprintf(msg, len, "host key for %s: cannot record it: %s",
		    kh->name, why);
		return FAIL_HOSTKEY;
	}
	log_msg("hostkey", "added %s %s %s", kh->name, type, fp);
	return FAIL_NONE;
}

enum failure
session_open(struct job *job, struct session **ssp, char *msg, size_t len)
{
	const char *files[2] = { job->known_hosts, job->system_known_hosts };
	struct session *ss;
	struct khosts kh;
	int64_t deadline = 0;
	enum failure f;

	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		err(1, NULL);
	ss->fd = -1;
	ss->job = job;
	*ssp = ss;
	if (job->connect_timeout > 0)
		deadline = now_ms() + job->connect_timeout * 1000LL;
	if ((f = session_connect(ss, deadline, msg, len)) != FAIL_NONE)
		return f;
	job->last_recv = now_ms();
	ss->ssh = libssh2_session_init_ex(NULL, NULL, NULL, job);
	if (ss->ssh == NULL)
		errx(1, "libssh2_session_init failed");
	kh_load(&kh, job->host, job->port, files, 2);
	session_setup(ss, &kh);
	if ((f = session_handshake(ss, &kh, deadline, msg, len)) == FAIL_NONE &&
	    (f = session_hostkey(ss, &kh, msg, len)) == FAIL_NONE)
		f = session_auth(ss, deadline, msg, len);
	kh_free(&kh);
	return f;
}

/* 'it'\''s' : the command as one word for the remote shell's eval. */
static char *
shell_quote(const char *s)
{
	char *q, *d;

	if ((q = malloc(strlen(s) * 4 + 3)) == NULL)
		err(1, NULL);
	d = q;
	*d++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(d, "'\\''", 4);
			d += 4;
		} else
			*d++ = *s;
	}
	*d++ = '\'';
	*d = '\0';
	return q;
}

/*
 * A non-pty exec is a session leader, so the remote shell's $$ is the
 * process group of everything the command starts.  It reports it on stderr
 * (the marker line is consumed, never logged) and then runs the command.
 */
static char *
wrapper(const char *command)
{
	char *quoted, *w;

	quoted = shell_quote(command);
	if (asprintf(&w, "printf '\\036remoteexe-pgid=%%d\\n' $$ >&2; eval %s",
	    quoted) == -1)
		err(1, NULL);
	free(quoted);
	return w;
}

/*
 * Copy output to our stdout/stderr (--tee) without letting a reader that
 * stalls stall the run: small writes when poll(2) says there is room, and
 * after TEE_STALL_MS without progress copying stops (the log has it all).
 */
static void
tee_write(struct session *ss, int fd, const char *buf, size_t len)
{
	struct job *job = ss->job;
	struct pollfd pfd[2];
	int64_t until = now_ms() + TEE_STALL_MS;
	ssize_t n;

	while (len > 0 && job->tee) {
		pfd[0].fd = fd;
		pfd[0].events = POLLOUT;
		pfd[1].fd = job->sigfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, ms_left(until)) == -1 && errno != EINTR)
			err(1, "poll");
		if (take_signal(job))
			return;
		if (now_ms() >= until) {
			job->tee = 0;
			log_msg("error", "standard %s is not being read; stopped "
			    "copying to it", fd == 1 ? "output" : "error");
			return;
		}
		if (pfd[0].revents == 0)
			continue;
		n = write(fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			job->tee = 0;
			return;
		}
		buf += n;
		len -= n;
		until = now_ms() + TEE_STALL_MS;
	}
}

static void
deliver(struct session *ss, int stream, const char *buf, size_t len)
{
	struct job *job = ss->job;

	if (len == 0)
		return;
	if (stream == 1)
		job->out += len;
	else
		job->err += len;
	log_output(stream, buf, len);
	if (job->tee)
		tee_write(ss, stream, buf, len);
}

static void
marker_line(struct session *ss)
{
	const char *errstr;
	long long pgid;

	if (ss->mlen > sizeof(MARKER) && ss->mline[ss->mlen - 1] == '\n' &&
	    memcmp(ss->mline, MARKER, sizeof(MARKER) - 1) == 0) {
		ss->mline[ss->mlen - 1] = '\0';
		pgid = strtonum(ss->mline + sizeof(MARKER) - 1, 2, INT32_MAX,
		    &errstr);
		if (errstr == NULL) {
			ss->job->pgid = pgid;
			ss->marked = 1;
			ss->mlen = 0;
			return;
		}
		ss->mline[ss->mlen - 1] = '\n';
	}
	deliver(ss, 2, ss->mline, ss->mlen);
	ss->mlen = 0;
}

/* Until the marker line is seen, stderr is looked at line by line. */
static void
stderr_filter(struct session *ss, const char *buf, size_t len)
{
	const char *nl;
	size_t take;

	while (len > 0 && !ss->marked) {
		nl = memchr(buf, '\n', len);
		take = nl != NULL ? (size_t)(nl - buf) + 1 : len;
		if (ss->mlen + take > sizeof(ss->mline)) {
			deliver(ss, 2, ss->mline, ss->mlen);
			deliver(ss, 2, buf, take);
			ss->mlen = 0;
		} else {
			memcpy(ss->mline + ss->mlen, buf, take);
			ss->mlen += take;
			if (nl != NULL)
				marker_line(ss);
		}
		buf += take;
		len -= take;
	}
	deliver(ss, 2, buf, len);
}

/*
 * Read both streams until libssh2 has nothing more buffered (a full stderr
 * window would stall stdout), at most a few MiB per call so that signals,
 * deadlines and log flushes are seen in time.  Returns 1 when more may be
 * buffered (do not poll the socket: the server may be waiting for a window
 * adjust that only the next read sends), 0 when all is read, -1 on a lost
 * connection.
 */
static int
drain(struct session *ss)
{
	ssize_t n;
	size_t total = 0;
	int stream, busy = 1;

	while (busy) {
		if (total >= 8 * READSZ)
			return 1;
		busy = 0;
		for (stream = 1; stream <= 2; stream++) {
			n = libssh2_channel_read_ex(ss->chan, stream == 1 ? 0 :
			    SSH_EXTENDED_DATA_STDERR, readbuf, sizeof(readbuf));
			if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
				continue;
			if (n < 0)
				return -1;
			busy = 1;
			total += n;
			if (stream == 1)
				deliver(ss, 1, readbuf, n);
			else
				stderr_filter(ss, readbuf, n);
		}
	}
	return 0;
}

static void
drain_killer(struct session *ss)
{
	while (ss->killer != NULL && libssh2_channel_read_ex(ss->killer,
	    0, readbuf, sizeof(readbuf)) > 0)
		;
	while (ss->killer != NULL && libssh2_channel_read_ex(ss->killer,
	    SSH_EXTENDED_DATA_STDERR, readbuf, sizeof(readbuf)) > 0)
		;
}

static enum failure
session_exec(struct session *ss, char *msg, size_t len)
{
	struct job *job = ss->job;
	int64_t deadline = now_ms() + (job->connect_timeout > 0 ?
	    job->connect_timeout : 30) * 1000LL;
	char *cmd;
	enum wait w;
	int rc;

	SSH_CALLP(ss, ss->chan, deadline, w, libssh2_channel_open_ex(ss->ssh,
	    "session", sizeof("session") - 1, WINDOW,
	    LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0));
	if (w == W_SIGNAL)
		return FAIL_STOPPED;
	if (ss->chan == NULL) {
		snprintf(msg, len, "%s port %d: cannot open a session: %s",
		    job->host, job->port, w == W_TIMEOUT ? "timed out" :
		    ssh_error(ss));
		return FAIL_HANDSHAKE;
	}
	/* from here on the command may run: never retry */
	job->phase = "running";
	cmd = wrapper(job->command);
	SSH_CALL(ss, rc, deadline, w, libssh2_channel_exec(ss->chan, cmd));
	free(cmd);
	if (w == W_READY && rc == 0)
		SSH_CALL(ss, rc, deadline, w,
		    libssh2_channel_send_eof(ss->chan));
	if (w == W_SIGNAL)
		return FAIL_NONE;	/* job->signo: the loop stops it */
	if (w == W_TIMEOUT || rc != 0) {
		snprintf(msg, len, "%s port %d: exec: %s", job->host,
		    job->port, w == W_TIMEOUT ? "timed out" : ssh_error(ss));
		return FAIL_LOST;
	}
	return FAIL_NONE;
}

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

const char *
signal_name(int signo)
{
	size_t i;

	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (signames[i].signo == signo)
			return signames[i].name;
	return "?";
}

static void
exit_status(struct session *ss)
{
	struct job *job = ss->job;
	char *sig = NULL;
	size_t i, len = 0;

	libssh2_channel_get_exit_signal(ss->chan, &sig, &len, NULL, NULL,
	    NULL, NULL);
	if (sig == NULL || len == 0) {
		job->status = libssh2_channel_get_exit_status(ss->chan);
		strlcpy(job->reason, "exit", sizeof(job->reason));
		return;
	}
	/* as ssh(1): a signal it cannot name ("SIG@openssh.com") is 255 */
	job->status = 255;
	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcmp(sig, signames[i].name) == 0)
			job->status = 128 + signames[i].signo;
	sig[strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] = '\0';
	snprintf(job->reason, sizeof(job->reason), "signal:%s",
	    sig[0] != '\0' ? sig : "UNKNOWN");
	libssh2_free(ss->ssh, sig);
}

static int64_t
earliest(int64_t a, int64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

/*
 * The kill script: TERM to the group, KILL once the grace is over, and an
 * exit status that says whether the group is gone.  "kill -s" because
 * dash, /bin/sh on Debian, rejects "kill -TERM -- -PGID".  Zombies do not
 * count as alive: an orphan waits for init to reap it, and some inits are
 * slow to.  Without a ps(1) that knows -o stat, kill -0 decides.
 */
static char *
kill_script(long pgid, int grace)
{
	char *cmd;

	if (asprintf(&cmd, "g=%ld; "
	    "alive() { p=$(ps -e -o pgid= -o stat= 2>/dev/null) || "
	    "{ kill -s 0 -- -$g 2>/dev/null; return; }; "
	    "printf '%%s\\n' \"$p\" | awk -v g=$g "
	    "'$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }; "
	    "kill -s TERM -- -$g 2>/dev/null; i=0; "
	    "while [ $i -lt %d ] && alive; "
	    "do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; "
	    "kill -s KILL -- -$g 2>/dev/null; sleep 0.2 2>/dev/null; ! alive",
	    pgid, grace * 10) == -1)
		err(1, NULL);
	return cmd;
}

/*
 * Run the kill script on a second channel of the same connection.  Stop
 * signals are held back meanwhile: once it is sent it goes on remotely even
 * if we leave at the next signal.
 */
static void
kill_group(struct session *ss, int64_t deadline)
{
	struct job *job = ss->job;
	char *cmd;
	enum wait w;
	int rc = -1;

	job->deaf = 1;
	SSH_CALLP(ss, ss->killer, deadline, w, libssh2_channel_open_session(
	    ss->ssh));
	if (ss->killer != NULL) {
		cmd = kill_script(job->pgid, job->kill_grace);
		SSH_CALL(ss, rc, deadline, w, libssh2_channel_exec(ss->killer,
		    cmd));
		free(cmd);
		if (w == W_READY && rc == 0)
			SSH_CALL(ss, rc, deadline, w,
			    libssh2_channel_send_eof(ss->killer));
	}
	job->deaf = 0;
	if (w != W_READY || rc != 0)
		log_msg("error", "cannot stop remote process group %ld: %s",
		    job->pgid, w == W_TIMEOUT ? "timed out" : ssh_error(ss));
}

/* Did the kill script see the group gone?  Waits a little for its answer. */
static int
group_gone(struct session *ss)
{
	int64_t deadline = now_ms() + 2000;
	enum wait w = W_READY;
	int rc;

	if (ss->killer == NULL)
		return 0;
	while (!libssh2_channel_eof(ss->killer) && w == W_READY) {
		drain_killer(ss);
		if (!libssh2_channel_eof(ss->killer))
			w = wait_session(ss, deadline);
	}
	if (w != W_READY)
		return 0;
	SSH_CALL(ss, rc, deadline, w, libssh2_channel_wait_closed(ss->killer));
	return w == W_READY && rc == 0 &&
	    libssh2_channel_get_exit_status(ss->killer) == 0;
}

/* 1 when the channel is closed, 0 not yet, -1 on a lost connection. */
static int
channel_done(struct session *ss)
{
	int rc;

	if (!libssh2_channel_eof(ss->chan))
		return 0;
	rc = libssh2_channel_wait_closed(ss->chan);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	return rc == 0 ? 1 : -1;
}

/* Log what is left: last lines without newline, stderr held back. */
static void
output_end(struct session *ss)
{
	log_output_end(1);
	if (!ss->marked && ss->mlen > 0)
		marker_line(ss);
	log_output_end(2);
}

/*
 * Keep the output flowing until the main channel is closed or the deadline
 * passes; a stop signal ends the wait early.  Returns 1 when closed, 0 at
 * the deadline or on a signal, -1 on a lost connection.
 */
static int
pump(struct session *ss, int64_t deadline, int until_marked)
{
	int more, done;

	for (;;) {
		if ((more = drain(ss)) == -1)
			return -1;
		drain_killer(ss);
		log_flush();
		if ((done = channel_done(ss)) != 0)
			return done;
		if (until_marked && ss->marked)
			return 0;
		if (deadline != 0 && now_ms() >= deadline)
			return 0;
		if (wait_session(ss, more ? NO_WAIT : deadline) == W_SIGNAL)
			return 0;
	}
}

/*
 * Stop the remote command: TERM to its process group, KILL after the
 * grace, then wait a little for the channel to end.  A second signal
 * shortens the wait; the kill script goes on remotely without us.
 */
static void
session_stop(struct session *ss)
{
	struct job *job = ss->job;
	int64_t grace = job->kill_grace * 1000LL;
	int nsignals = job->nsignals;

	job->phase = "stopping";
	if (!ss->marked)
		pump(ss, now_ms() + (job->connect_timeout > 0 ?
		    job->connect_timeout : 30) * 1000LL, 1);
	if (!ss->marked) {
		log_msg("error", "remote process group unknown; cannot stop it");
		return;
	}
	kill_group(ss, now_ms() + 5000);
	if (pump(ss, now_ms() + grace + 5000, 0) == -1)
		return;
	if (job->nsignals == nsignals && !(job->stopped = group_gone(ss)))
		log_msg("error", "remote process group %ld may still be "
		    "running", job->pgid);
}

static void
stop_reason(struct job *job, int timed_out)
{
	if (timed_out) {
		job->status = 124;
		strlcpy(job->reason, "timeout", sizeof(job->reason));
		log_msg("error", "timeout after %d s; stopping remote process "
		    "group %ld", job->timeout, job->pgid);
		return;
	}
	job->status = 128 + job->signo;
	snprintf(job->reason, sizeof(job->reason), "stopped:%s",
	    signal_name(job->signo));
}

static enum failure
lost(struct session *ss, char *msg, size_t len, const char *why)
{
	struct job *job = ss->job;
	int e;

	if (why == NULL) {
		e = libssh2_session_last_errno(ss->ssh);
		why = e == LIBSSH2_ERROR_SOCKET_RECV ||
		    e == LIBSSH2_ERROR_SOCKET_DISCONNECT ?
		    "the server closed the connection" : ssh_error(ss);
	}
	snprintf(msg, len, "%s port %d: connection lost while running: %s",
	    job->host, job->port, why);
	return FAIL_LOST;
}

enum step {
	STEP_AGAIN,
	STEP_CLOSED,		/* the remote command ended */
	STEP_TIMEOUT,
	STEP_SIGNAL,
	STEP_SILENT,		/* no data from the server for too long */
	STEP_LOST
};

/*
 * Read, then wait for the server, a deadline or a signal.  EOF only means
 * the command's output ended (a job may redirect it and go on running):
 * the run ends when the channel is closed.
 */
static enum step
run_step(struct session *ss, int64_t deadline)
{
	struct job *job = ss->job;
	int64_t t, silent, next;
	int more, secs = 0;

	if ((more = drain(ss)) == -1)
		return STEP_LOST;
	log_flush();
	switch (channel_done(ss)) {
	case 1:
		return STEP_CLOSED;
	case -1:
		return STEP_LOST;
	}
	t = now_ms();
	silent = job->alive > 0 ? job->last_recv + job->alive * 1000LL : 0;
	if (silent != 0 && t >= silent)
		return STEP_SILENT;
	if (deadline != 0 && t >= deadline)
		return STEP_TIMEOUT;
	if (job->alive_interval > 0 &&
	    libssh2_keepalive_send(ss->ssh, &secs) != 0)
		secs = 1;
	next = job->alive_interval > 0 ? t + secs * 1000LL + 10 : 0;
	if (job->signo != 0 || wait_session(ss, more ? NO_WAIT :
	    earliest(earliest(deadline, silent), next)) == W_SIGNAL)
		return STEP_SIGNAL;
	return STEP_AGAIN;
}

/* Run the command to its end, a timeout, a stop signal or silence. */
enum failure
session_run(struct session *ss, struct job *job, char *msg, size_t len)
{
	int64_t deadline = 0;
	enum failure f;
	enum step step;
	char why[64];

	if ((f = session_exec(ss, msg, len)) != FAIL_NONE)
		return f;
	if (job->timeout > 0)
		deadline = now_ms() + job->timeout * 1000LL;
	libssh2_keepalive_config(ss->ssh, 1, job->alive_interval);
	while ((step = run_step(ss, deadline)) == STEP_AGAIN)
		;
	switch (step) {
	case STEP_CLOSED:
		exit_status(ss);
		break;
	case STEP_TIMEOUT:
	case STEP_SIGNAL:
		stop_reason(job, step == STEP_TIMEOUT);
		session_stop(ss);
		break;
	case STEP_SILENT:
		snprintf(why, sizeof(why), "no data from the server for %d s",
		    job->alive);
		f = lost(ss, msg, len, why);
		break;
	default:
		f = lost(ss, msg, len, NULL);
	}
	output_end(ss);
	return f;
}

void
session_close(struct session *ss)
{
	enum wait w;
	int rc;

	if (ss == NULL)
		return;
	if (ss->ssh != NULL) {
		if (ss->fd != -1)
			SSH_CALL(ss, rc, now_ms() + 1000, w,
			    libssh2_session_disconnect(ss->ssh, "done"));
		/* with the socket shut, freeing cannot wait on the server */
		if (ss->fd != -1)
			shutdown(ss->fd, SHUT_RDWR);
		libssh2_session_free(ss->ssh);
	}
	if (ss->fd != -1)
		close(ss->fd);
	free(ss);
}
