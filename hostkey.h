/*
 * known_hosts checking with OpenSSH's semantics on top of libssh2 1.10:
 * per-line matches (so a changed key names its file and line), host key
 * algorithm preference from the types on file, safe appends.
 */
#ifndef HOSTKEY_H
#define HOSTKEY_H

#include <stddef.h>
#include <libssh2.h>

struct khmatch {
	char	*file;
	long	 line;
	int	 keytype;	/* LIBSSH2_KNOWNHOST_KEY_* */
	char	*text;		/* the line, for re-checking */
	int	 revoked;	/* a @revoked line */
};

struct khosts {
	char		*name;	/* "host" or "[host]:port" */
	struct khmatch	*m;
	size_t		 n;
};

enum khresult {
	KH_OK,
	KH_UNKNOWN,
	KH_CHANGED,
	KH_REVOKED,
	KH_ERROR
};

int	 kh_load(LIBSSH2_SESSION *, struct khosts *, const char *, int,
	    const char *const *, size_t);
const char *kh_methods(const struct khosts *);
enum khresult kh_verify(LIBSSH2_SESSION *, const struct khosts *,
	    const struct khmatch **);
int	 kh_append(LIBSSH2_SESSION *, const struct khosts *, const char *,
	    char *, size_t);
char	*kh_fingerprint(LIBSSH2_SESSION *, const char **);
void	 kh_free(struct khosts *);

#endif
