/*
 * Public key authentication: ssh-agent, then key files.  libssh2 before
 * 1.11 can sign with RSA keys only as ssh-rsa (SHA-1), which current
 * OpenSSH refuses; such a failure says so instead of a bare "denied".
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "auth.h"
#include "base64.h"
#include "signals.h"
#include "sshio.h"
#include "util.h"

/* Why a refused RSA key failed: what the server refused, and the way out. */
#if LIBSSH2_VERSION_NUM < 0x010b00
static const char rsa_hint[] = "; libssh2 " LIBSSH2_VERSION " signs RSA "
    "keys only with ssh-rsa (SHA-1), which this server refuses: use an "
    "ed25519 key (ssh-keygen -t ed25519), or build remoteexe with libssh2 "
    "1.11 or later, which signs with rsa-sha2-256";
#else
static const char rsa_hint[] = "";
#endif

/* One authentication: what was tried, and how the last wait ended. */
struct auth {
	struct ssh		*ss;
	const struct authplan	*plan;
	int64_t			 deadline;
	char			*tried;		/* for the message */
	int			 rsa;		/* an RSA key was refused */
	enum wait		 w;
};

#define KEYFILE_MAX	16384	/* bigger than any private key file */

/* The key blob of an OpenSSH-format private key file's text, or -1. */
static ssize_t
openssh_blob(const char *text, unsigned char *blob, size_t max)
{
	const char *body, *end;

	if ((body = strstr(text, "BEGIN OPENSSH PRIVATE KEY-----")) == NULL ||
	    (body = strchr(body, '\n')) == NULL ||
	    (end = strstr(body, "-----END")) == NULL)
		return -1;
	return b64_decode(blob, max, body, end - body, B64_SPACE | B64_PAD);
}

/*
 * Is this an RSA key?  From its .pub file, a PEM header, or the public part
 * of an OpenSSH-format private key (readable even when it is encrypted).
 */
static int
key_is_rsa(const char *file)
{
	static unsigned char blob[KEYFILE_MAX];
	static char buf[KEYFILE_MAX];
	char *pub;
	ssize_t n;
	size_t len;
	FILE *fp;
	int rsa = 0;

	pub = xasprintf("%s.pub", file);
	if ((fp = fopen(pub, "r")) != NULL) {
		rsa = fgets(buf, sizeof(buf), fp) != NULL &&
		    strncmp(buf, "ssh-rsa ", 8) == 0;
		fclose(fp);
	} else if ((fp = fopen(file, "r")) != NULL) {
		len = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[len] = '\0';
		fclose(fp);
		if (strstr(buf, "BEGIN RSA PRIVATE KEY") != NULL)
			rsa = 1;
		else if ((n = openssh_blob(buf, blob, sizeof(blob))) > 0)
			rsa = memmem(blob, n, "\0\0\0\7ssh-rsa", 11) != NULL;
	}
	free(pub);
	return rsa;
}

/* Add what to the list of what authentication tried. */
static void
tried(struct auth *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tried(struct auth *a, const char *fmt, ...)
{
	va_list ap;
	char *what, *all;

	va_start(ap, fmt);
	what = xvasprintf(fmt, ap);
	va_end(ap);
	if (a->tried == NULL)
		a->tried = what;
	else {
		all = xasprintf("%s, %s", a->tried, what);
		free(a->tried);
		free(what);
		a->tried = all;
	}
}

static int
deadline_passed(const struct auth *a)
{
	return a->deadline != 0 && now_ms() >= a->deadline;
}

/*
 * The agent's keys, one after the other.  libssh2 1.10 talks to the agent
 * on a blocking socket, so signals_alarm() interrupts a hung agent.
 * Returns 1 authenticated, 0 not.
 */
static int
auth_agent(struct auth *a)
{
	LIBSSH2_AGENT *agent;
	struct libssh2_agent_publickey *id, *prev = NULL;
	int rc, ok = 0, n = 0;

	if ((agent = libssh2_agent_init(a->ss->session)) == NULL)
		return 0;
	libssh2_agent_set_identity_path(agent, a->plan->agent);
	signals_alarm(a->deadline);
	if (libssh2_agent_connect(agent) != 0 ||
	    libssh2_agent_list_identities(agent) != 0)
		goto out;
	while (!ok && a->w == W_READY && !deadline_passed(a) &&
	    libssh2_agent_get_identity(agent, &id, prev) == 0) {
		n++;
		SSH_CALL(a->ss, rc, a->deadline, a->w, libssh2_agent_userauth(
		    agent, a->plan->user, id));
		ok = a->w == W_READY && rc == 0;
		prev = id;
	}
	tried(a, "%d agent key%s", n, n == 1 ? "" : "s");
	libssh2_agent_disconnect(agent);
out:
	signals_alarm(0);
	libssh2_agent_free(agent);
	return ok;
}

/*
 * As ssh's sshkey_perm_ok(): a key file of ours that group or others may
 * read is not used.  A file owned by another user is not checked.
 */
static int
key_exposed(struct auth *a, const char *file)
{
	struct stat st;

	if (stat(file, &st) == -1 || st.st_uid != getuid() ||
	    (st.st_mode & 077) == 0)
		return 0;
	tried(a, "%s (UNPROTECTED PRIVATE KEY FILE: permissions %04o for %s "
	    "are too open; chmod 600 %s)", file, (unsigned)st.st_mode & 0777,
	    file, file);
	return 1;
}

/* One key file.  Returns 1 authenticated, 0 not. */
static int
auth_file(struct auth *a, const char *file)
{
	const char *user = a->plan->user;
	int rc;

	if (access(file, R_OK) == -1) {
		tried(a, "%s (%s)", file, strerror(errno));
		return 0;
	}
	if (key_exposed(a, file))
		return 0;
	SSH_CALL(a->ss, rc, a->deadline, a->w,
	    libssh2_userauth_publickey_fromfile_ex(a->ss->session, user,
	    strlen(user), NULL, file, NULL));
	if (a->w != W_READY)
		return 0;
	if (rc == 0)
		return 1;
	if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
	    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
		if (key_is_rsa(file))
			a->rsa = 1;
		tried(a, "%s", file);
	} else
		tried(a, "%s (%s)", file, ssh_error(a->ss));
	return 0;
}

static enum failure
auth_failed(struct auth *a, char **msg)
{
	const struct authplan *pl = a->plan;

	if (a->w == W_SIGNAL || signals_take() != 0)
		return FAIL_STOPPED;
	if (a->w == W_TIMEOUT || deadline_passed(a)) {
		*msg = xasprintf("%s port %d: authentication timed out",
		    pl->host, pl->port);
		return FAIL_HANDSHAKE;
	}
	*msg = xasprintf("authentication as %s to %s port %d failed; "
	    "tried: %s%s", pl->user, pl->host, pl->port,
	    a->tried != NULL ? a->tried : "no keys", a->rsa ? rsa_hint : "");
	return FAIL_AUTH;
}

/* Does the server offer publickey?  FAIL_NONE if we may go on. */
static enum failure
auth_methods(struct auth *a, int *done, char **msg)
{
	const struct authplan *pl = a->plan;
	char *list;

	*done = 0;
	SSH_CALLP(a->ss, list, a->deadline, a->w, libssh2_userauth_list(
	    a->ss->session, pl->user, strlen(pl->user)));
	if (a->w != W_READY)
		return auth_failed(a, msg);
	if (list == NULL && libssh2_userauth_authenticated(a->ss->session)) {
		*done = 1;
		return FAIL_NONE;
	}
	if (list == NULL || strstr(list, "publickey") == NULL) {
		*msg = xasprintf("%s port %d: server does not offer publickey "
		    "authentication to %s (offers: %s)", pl->host, pl->port,
		    pl->user, list != NULL ? list : ssh_error(a->ss));
		return FAIL_AUTH;
	}
	return FAIL_NONE;
}

enum failure
auth_run(struct ssh *ss, const struct authplan *plan, int64_t deadline,
    char **msg)
{
	struct auth a = { ss, plan, deadline, NULL, 0, W_READY };
	enum failure f;
	int i, ok = 0, done;

	if ((f = auth_methods(&a, &done, msg)) != FAIL_NONE || done)
		return f;
	if (plan->use_agent)
		ok = auth_agent(&a);
	for (i = 0; !ok && a.w == W_READY && i < plan->nidentities; i++)
		ok = auth_file(&a, plan->identities[i]);
	f = ok ? FAIL_NONE : auth_failed(&a, msg);
	free(a.tried);
	return f;
}
