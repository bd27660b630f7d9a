/*
 * Public key authentication: ssh-agent, then key files.  libssh2 1.10 can
 * sign with RSA keys only as ssh-rsa (SHA-1), which current OpenSSH
 * refuses; such a failure says so instead of a bare "denied".
 */
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "session.h"
#include "sshio.h"

static size_t
unbase64(unsigned char *d, const char *s, size_t max)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;
	unsigned long v = 0;
	size_t n = 0;
	int bits = 0;

	for (; *s != '\0' && n < max; s++) {
		if ((p = strchr(b64, *s)) == NULL)
			continue;
		v = v << 6 | (unsigned long)(p - b64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			d[n++] = v >> bits & 0xff;
		}
	}
	return n;
}

/*
 * Is this an RSA key?  From its .pub file, a PEM header, or the public part
 * of an OpenSSH-format private key (readable even when it is encrypted).
 */
static int
key_is_rsa(const char *file)
{
	unsigned char blob[512];
	char buf[1024], *pub;
	size_t n;
	FILE *fp;
	int rsa = 0;

	if (asprintf(&pub, "%s.pub", file) == -1)
		err(1, NULL);
	if ((fp = fopen(pub, "r")) != NULL) {
		rsa = fgets(buf, sizeof(buf), fp) != NULL &&
		    strncmp(buf, "ssh-rsa ", 8) == 0;
		fclose(fp);
	} else if ((fp = fopen(file, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
		if (strstr(buf, "BEGIN RSA PRIVATE KEY") != NULL)
			rsa = 1;
		else if (strstr(buf, "BEGIN OPENSSH PRIVATE KEY") != NULL) {
			n = unbase64(blob, strchr(buf, '\n') ? strchr(buf,
			    '\n') : buf, sizeof(blob));
			rsa = memmem(blob, n, "\0\0\0\7ssh-rsa", 11) != NULL;
		}
	}
	free(pub);
	return rsa;
}

/* Append "what" to the list of what authentication tried. */
static void
tried_add(char *tried, size_t len, const char *what)
{
	if (tried[0] != '\0')
		strlcat(tried, ", ", len);
	strlcat(tried, what, len);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * libssh2 1.10 talks to ssh-agent on a blocking socket: an agent waiting
 * for a confirmation would hold us forever.  An interval timer interrupts
 * it (SIGALRM without SA_RESTART) from the deadline on; 0 disarms it.
 */
static void
agent_alarm(int64_t deadline)
{
	struct sigaction sa;
	struct itimerval it;
	int64_t left;

	memset(&it, 0, sizeof(it));
	if (deadline != 0) {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = on_alarm;
		if (sigaction(SIGALRM, &sa, NULL) == -1)
			err(1, "sigaction");
		left = deadline - now_ms();
		if (left < 1)
			left = 1;
		it.it_value.tv_sec = left / 1000;
		it.it_value.tv_usec = left % 1000 * 1000;
		it.it_interval.tv_usec = 200 * 1000;
	}
	if (setitimer(ITIMER_REAL, &it, NULL) == -1)
		err(1, "setitimer");
}

/* Returns 1 authenticated, 0 not, -1 wait failed (job->signo or timeout). */
static int
auth_agent(struct session *ss, int64_t deadline, char *tried, size_t len)
{
	struct job *job = ss->job;
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *id, *prev = NULL;
	enum wait w = W_READY;
	int rc, ok = 0, n = 0;
	char what[64];

	if ((agent = libssh2_agent_init(ss->ssh)) == NULL)
		return 0;
	agent_alarm(deadline);
	if (libssh2_agent_connect(agent) != 0 ||
	    libssh2_agent_list_identities(agent) != 0)
		goto out;
	while (!ok && w == W_READY && job->signo == 0 &&
	    (deadline == 0 || now_ms() < deadline) &&
	    libssh2_agent_get_identity(agent, &id, prev) == 0) {
		n++;
		SSH_CALL(ss, rc, deadline, w, libssh2_agent_userauth(agent,
		    job->user, id));
		ok = (w == W_READY && rc == 0);
		prev = id;
	}
	snprintf(what, sizeof(what), "%d agent key%s", n, n == 1 ? "" : "s");
	tried_add(tried, len, what);
	libssh2_agent_disconnect(agent);
out:
	agent_alarm(0);
	libssh2_agent_free(agent);
	return w != W_READY ? -1 : ok;
}

static int
auth_file(struct session *ss, const char *file, int64_t deadline,
    char *tried, size_t len, int *rsa)
{
	struct job *job = ss->job;
	enum wait w;
	char what[1024];
	int rc;

	if (access(file, R_OK) == -1) {
		snprintf(what, sizeof(what), "%s (%s)", file, strerror(errno));
		tried_add(tried, len, what);
		return 0;
	}
	SSH_CALL(ss, rc, deadline, w, libssh2_userauth_publickey_fromfile_ex(
	    ss->ssh, job->user, strlen(job->user), NULL, file, NULL));
	if (w != W_READY)
		return -1;
	if (rc == 0)
		return 1;
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
	    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
		if (key_is_rsa(file))
			*rsa = 1;
		snprintf(what, sizeof(what), "%s", file);
	} else
		snprintf(what, sizeof(what), "%s (%s)", file, ssh_error(ss));
	tried_add(tried, len, what);
	return 0;
}

static enum failure
auth_failed(struct session *ss, int64_t deadline, const char *tried,
    int rsa, char *msg, size_t len)
{
	struct job *job = ss->job;

	if (job->signo != 0)
		return FAIL_STOPPED;
	if (deadline != 0 && now_ms() >= deadline) {
		snprintf(msg, len, "%s port %d: authentication timed out",
		    job->host, job->port);
		return FAIL_HANDSHAKE;
	}
	snprintf(msg, len, "authentication as %s to %s port %d failed; "
	    "tried: %s%s", job->user, job->host, job->port,
	    tried[0] != '\0' ? tried : "no keys",
	    rsa ? "; libssh2 1.10 signs RSA keys only with ssh-rsa (SHA-1), "
	    "which this server refuses: use an ed25519 key "
	    "(ssh-keygen -t ed25519)" : "");
	return FAIL_AUTH;
}

enum failure
session_auth(struct session *ss, int64_t deadline, char *msg, size_t len)
{
	struct job *job = ss->job;
	char tried[2048] = "", *list;
	enum wait w;
	int i, ok = 0, rsa = 0;

	job->phase = "auth";
	SSH_CALLP(ss, list, deadline, w, libssh2_userauth_list(ss->ssh,
	    job->user, strlen(job->user)));
	if (w != W_READY)
		return auth_failed(ss, deadline, tried, 0, msg, len);
	if (list == NULL && libssh2_userauth_authenticated(ss->ssh))
		return FAIL_NONE;
	if (list == NULL || strstr(list, "publickey") == NULL) {
		snprintf(msg, len, "%s port %d: server does not offer publickey "
		    "authentication to %s (offers: %s)", job->host, job->port,
		    job->user, list != NULL ? list : ssh_error(ss));
		return FAIL_AUTH;
	}
	if (job->use_agent && getenv("SSH_AUTH_SOCK") != NULL)
		ok = auth_agent(ss, deadline, tried, sizeof(tried));
	for (i = 0; ok == 0 && i < job->nidentities; i++)
		ok = auth_file(ss, job->identities[i], deadline, tried,
		    sizeof(tried), &rsa);
	if (ok == 1)
		return FAIL_NONE;
	return auth_failed(ss, deadline, tried, rsa, msg, len);
}

