/*
 * known_hosts checking with OpenSSH's semantics: markers, host patterns,
 * hashed names, the port-less fallback, each line named by file and line;
 * host key algorithm preference from the types on file; safe appends.
 */
#ifndef HOSTKEY_H
#define HOSTKEY_H

#include <stddef.h>
#include <libssh2.h>

struct khmatch {
	char		*file;
	long		 line;
	const char	*type;		/* the key type as written */
	int		 revoked;	/* a @revoked line */
	int		 kt;		/* hostkey.c's index of the type */
	unsigned char	*key;		/* the public key, canonical form */
	size_t		 keylen;
};

struct khosts {
	char		*name;	/* looked up: "host" or "[host]:port" */
	char		*plain;	/* "host" for the port-less fallback, or NULL */
	struct khmatch	*m;	/* the lines for name */
	size_t		 n;
	struct khmatch	*fb;	/* the lines for plain */
	size_t		 nfb;
};

enum khresult {
	KH_OK,
	KH_UNKNOWN,
	KH_CHANGED,
	KH_REVOKED,
	KH_ERROR
};

/*
 * Collect the lines of files (NULL entries skipped) for the lookup name
 * host, which is the HostName, or a HostKeyAlias, not necessarily the
 * address connected to.  port is the port connected to: 22, or 0 for a
 * HostKeyAlias, look host up as given; any other makes the name
 * "[host]:port" and, as in ssh, lets a port-less line with the server's key
 * vouch for it when nothing is on file for "[host]:port".
 */
void	 kh_load(struct khosts *, const char *host, int port,
	    const char *const *files, size_t nfiles);
/* The host key algorithms for libssh2_session_method_pref(). */
const char *kh_methods(const struct khosts *);
/*
 * The server's key against the lines: *bad names the @revoked line, or the
 * first line with another key (KH_CHANGED), else NULL.
 */
enum khresult kh_verify(LIBSSH2_SESSION *, const struct khosts *,
	    const struct khmatch **);
/* The same for a key blob as the server sends it (RFC 4253 6.6). */
enum khresult kh_check(const struct khosts *, const unsigned char *, size_t,
	    const struct khmatch **);
/*
 * Append the server's key for the host to file, as one line, hashed as
 * ssh-keygen -H does when hash is not 0.  -1 with a message in errbuf.
 */
int	 kh_append(LIBSSH2_SESSION *, const struct khosts *, const char *file,
	    int hash, char *errbuf, size_t errlen);
/*
 * After a handshake failed with LIBSSH2_ERROR_KEX_FAILURE: if the host key
 * types are why, put in msg which types are on file (file:line), which the
 * server offers (offered, its server_host_key_algorithms, from kexprobe(); or
 * NULL, and why says why it is unknown), what libssh2 cannot do, and the
 * ssh-keyscan line for host, port and file that adds a key it can verify;
 * return 0.  Return -1 if the server offers a type that was asked for, or
 * if nothing usable is on file and the offer is unknown: something else
 * failed, or may have.
 */
int	 kh_kexfail(const struct khosts *, const char *offered, const char *why,
	    const char *host, int port, const char *file, char *msg,
	    size_t len);
/* "SHA256:..." as ssh-keygen -l prints it; *type gets the key type. */
char	*kh_fingerprint(LIBSSH2_SESSION *, const char **);
void	 kh_free(struct khosts *);

#endif
