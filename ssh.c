/*
 * SSH on a connected socket, over libssh2, non-blocking: every call that
 * says LIBSSH2_ERROR_EAGAIN is followed by a poll(2) on the socket and the
 * signal pipe, bounded by the phase's deadline (sshio.h).
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

#include <libssh2.h>

#include "auth.h"
#include "hostkey.h"
#include "kexprobe.h"
#include "log.h"
#include "progress.h"
#include "settings.h"
#include "ssh.h"
#include "sshio.h"
#include "tcp.h"
#include "util.h"

#define TEARDOWN_MS	1000

void
ssh_global_init(void)
{
	if (libssh2_init(0) != 0)
		errx(1, "libssh2_init failed");
}

/*
 * The key exchange failed: if that is because of the host key types, a
 * fresh connection asks the server which it offers, and the message says
 * what is on file, what is offered and how to add a key libssh2 can check.
 */
static enum failure
kex_failed(const struct target *t, const struct limits *l,
    const struct khosts *kh, char **msg)
{
	char offer[512], why[256], text[2048], *cmsg = NULL;
	enum kexprobe kp = KP_ERROR;
	enum failure f;
	int64_t deadline;
	int fd;

	strlcpy(why, "no connection", sizeof(why));
	f = FAIL_CONNECT;
	/* through a proxy only a new run through it could ask */
	if (t->proxy_command != NULL || t->njump > 0)
		strlcpy(why, "not asked through a proxy", sizeof(why));
	else if ((f = tcp_connect(t, l->connect_timeout, &fd, &deadline,
	    &cmsg)) == FAIL_NONE) {
		kp = kexprobe(fd, deadline, signals_fd(), offer, sizeof(offer),
		    why, sizeof(why));
		close(fd);
	}
	free(cmsg);
	if (f == FAIL_STOPPED || (kp == KP_WAKE && signals_take() != 0))
		return FAIL_STOPPED;
	if (kh_kexfail(kh, kp == KP_OK ? offer : NULL, why, t->host, t->port,
	    t->known_hosts, text, sizeof(text)) == -1)
		return FAIL_NONE;
	*msg = xstrdup(text);
	return FAIL_HOSTKEY;
}

static enum failure
handshake(struct ssh *ss, const struct target *t, const struct limits *l,
    const struct khosts *kh, int64_t deadline, char **msg)
{
	enum failure f;
	enum wait w;
	int rc;

	/* fails only if libssh2 knows none of them: the default is fine */
	(void)libssh2_session_method_pref(ss->session, LIBSSH2_METHOD_HOSTKEY,
	    kh_methods(kh));
	SSH_CALL(ss, rc, deadline, w, libssh2_session_handshake(ss->session,
	    ss->fd));
	if (w == W_SIGNAL)
		return FAIL_STOPPED;
	if (w == W_READY && rc == LIBSSH2_ERROR_KEX_FAILURE &&
	    (f = kex_failed(t, l, kh, msg)) != FAIL_NONE)
		return f;
	if (ss->flood) {
		*msg = xasprintf("%s port %d: ssh handshake: more than %d lines "
		    "(or one over %d bytes) before the server's version string",
		    t->host, t->port, BANNER_LINES, BANNER_LINE);
		return FAIL_HANDSHAKE;
	}
	if (w == W_TIMEOUT || rc != 0) {
		*msg = xasprintf("%s port %d: ssh handshake: %s", t->host,
		    t->port, w == W_TIMEOUT ? "timed out" : ssh_error(ss));
		return FAIL_HANDSHAKE;
	}
	return FAIL_NONE;
}

/* An unknown key: refused, or (accept-new) recorded and logged. */
static enum failure
hostkey_new(struct ssh *ss, const struct target *t, const struct khosts *kh,
    const char *type, const char *fp, char **msg)
{
	char why[256];

	if (!t->accept_new) {
		*msg = xasprintf("host key for %s is not known (%s %s): not in "
		    "%s; add it to that file or use --accept-new", kh->name,
		    type, fp, t->known_hosts);
		return FAIL_HOSTKEY;
	}
	if (kh_append(ss->session, kh, t->known_hosts, t->hash_known_hosts,
	    why, sizeof(why)) == -1) {
		*msg = xasprintf("host key for %s: cannot record it: %s",
		    kh->name, why);
		return FAIL_HOSTKEY;
	}
	log_msg("hostkey", "added %s %s %s", kh->name, type, fp);
	return FAIL_NONE;
}

static enum failure
hostkey(struct ssh *ss, const struct target *t, const struct khosts *kh,
    char **msg)
{
	const struct khmatch *bad;
	const char *type, *fp;

	fp = kh_fingerprint(ss->session, &type);
	switch (kh_verify(ss->session, kh, &bad)) {
	case KH_OK:
		return FAIL_NONE;
	case KH_CHANGED:
		*msg = xasprintf("host key for %s has CHANGED (%s %s): it does "
		    "not match %s:%ld; refusing to connect (if the change is "
		    "expected, remove that line)", kh->name, type, fp,
		    bad->file, bad->line);
		return FAIL_HOSTKEY;
	case KH_REVOKED:
		*msg = xasprintf("host key for %s is REVOKED (%s %s) by %s:%ld; "
		    "refusing to connect", kh->name, type, fp, bad->file,
		    bad->line);
		return FAIL_HOSTKEY;
	case KH_ERROR:
		*msg = xasprintf("host key for %s: cannot read it: %s",
		    kh->name, ssh_error(ss));
		return FAIL_HOSTKEY;
	case KH_UNKNOWN:
		break;
	}
	return hostkey_new(ss, t, kh, type, fp, msg);
}

static enum failure
authenticate(struct ssh *ss, const struct target *t, struct progress *p,
    int64_t deadline, char **msg)
{
	struct authplan plan;

	plan.user = t->user;
	plan.host = t->host;
	plan.port = t->port;
	plan.identities = t->identities;
	plan.nidentities = t->nidentities;
	plan.use_agent = t->use_agent;
	plan.agent = t->agent;
	progress_phase(p, PHASE_AUTH);
	return auth_run(ss, &plan, deadline, msg);
}

/* Handshake, host key and authentication on the connected socket. */
static enum failure
ssh_setup(struct ssh *ss, const struct target *t, const struct limits *l,
    struct progress *p, int64_t deadline, char **msg)
{
	struct khosts kh;
	enum failure f;

	if (t->hostkey_alias != NULL)
		kh_load(&kh, t->hostkey_alias, 0,
		    (const char *const *)t->known_hosts_files,
		    t->nknown_hosts_files);
	else
		kh_load(&kh, t->host, t->port,
		    (const char *const *)t->known_hosts_files,
		    t->nknown_hosts_files);
	progress_phase(p, PHASE_HANDSHAKE);
	ss->deadline = deadline;
	if ((f = handshake(ss, t, l, &kh, deadline, msg)) == FAIL_NONE &&
	    (f = hostkey(ss, t, &kh, msg)) == FAIL_NONE)
		f = authenticate(ss, t, p, deadline, msg);
	ss->deadline = 0;
	kh_free(&kh);
	return f;
}

/*
 * SSH on a connected socket (direct, or one end of a proxy's socketpair):
 * handshake, host key, authentication, bounded by deadline.  *ssp is set
 * even on failure: ssh_close() it (which closes fd).
 */
enum failure
ssh_start(const struct target *t, const struct limits *l, struct progress *p,
    int fd, int64_t deadline, struct ssh **ssp, char **msg)
{
	struct ssh *ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		err(1, NULL);
	*ssp = ss;
	ssh_init(ss, fd);
	return ssh_setup(ss, t, l, p, deadline, msg);
}

/* A direct-tcpip channel to host:port through this connection (ProxyJump). */
LIBSSH2_CHANNEL *
ssh_direct(struct ssh *ss, const char *host, int port, int64_t deadline,
    enum wait *w)
{
	LIBSSH2_CHANNEL *chan;

	SSH_CALLP(ss, chan, deadline, *w, libssh2_channel_direct_tcpip_ex(
	    ss->session, host, port, "127.0.0.1", 22));
	return chan;
}

/* A session channel with the given receive window, or NULL (see *w). */
LIBSSH2_CHANNEL *
ssh_channel(struct ssh *ss, unsigned int window, int64_t deadline,
    enum wait *w)
{
	LIBSSH2_CHANNEL *chan;

	SSH_CALLP(ss, chan, deadline, *w, libssh2_channel_open_ex(ss->session,
	    "session", sizeof("session") - 1, window,
	    LIBSSH2_CHANNEL_PACKET_DEFAULT, NULL, 0));
	return chan;
}

/* The exec request: 0 when the server runs cmd (see *w otherwise). */
int
ssh_exec(struct ssh *ss, LIBSSH2_CHANNEL *chan, const char *cmd,
    int64_t deadline, enum wait *w)
{
	int rc;

	SSH_CALL(ss, rc, deadline, *w, libssh2_channel_exec(chan, cmd));
	return *w == W_READY ? rc : -1;
}

/*
 * Free a channel that is closed on both sides.  One that is not is left
 * to ssh_close(): closing it would wait for a server that may be gone.
 */
void
ssh_channel_free(struct ssh *ss, LIBSSH2_CHANNEL *chan)
{
	enum wait w;
	int rc;

	SSH_CALL(ss, rc, now_ms() + TEARDOWN_MS, w,
	    libssh2_channel_free(chan));
}

/*
 * Teardown that cannot hang: a bounded disconnect, then the socket shut
 * so that freeing the session cannot wait on the server.
 */
void
ssh_close(struct ssh *ss)
{
	enum wait w;
	int rc;

	if (ss == NULL)
		return;
	if (ss->session != NULL) {
		if (ss->fd != -1)
			SSH_CALL(ss, rc, now_ms() + TEARDOWN_MS, w,
			    libssh2_session_disconnect(ss->session, "done"));
		if (ss->fd != -1)
			shutdown(ss->fd, SHUT_RDWR);
		libssh2_session_free(ss->session);
	}
	if (ss->fd != -1)
		close(ss->fd);
	free(ss);
}
