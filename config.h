/*
 * ssh_config(5) subset: the keywords remoteexe understands, resolved for
 * one target host with OpenSSH's rules (Host patterns, first value wins).
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONF_MAXID	16

enum strict {
	STRICT_UNSET = -1,
	STRICT_YES = 1,
	STRICT_ACCEPT_NEW = 2		/* "no" maps here: a changed key never passes */
};

struct sshconf {
	char	*hostname;		/* HostName, %h expanded; NULL = unset */
	char	*user;			/* User */
	int	 port;			/* Port; 0 = unset */
	char	*identity[CONF_MAXID];	/* IdentityFile, in order; see conf_expand */
	int	 nidentity;
	int	 identities_only;	/* -1 unset, 0 no, 1 yes */
	int	 connect_timeout;	/* seconds; -1 unset */
	int	 alive_interval;	/* ServerAliveInterval; -1 unset */
	int	 alive_count;		/* ServerAliveCountMax; -1 unset */
	char	*known_hosts;		/* first UserKnownHostsFile path; none =
					   /dev/null; see conf_expand */
	int	 strict;		/* enum strict */
	const char *home;		/* what ~ stands for (conf_init) */
	int	 hash_known_hosts;	/* HashKnownHosts: -1 unset, 0 no, 1 yes */
};

void	conf_init(struct sshconf *, const char *home);
/*
 * Apply one "-o key=value" (or "key value") line; it applies whatever the
 * host. Options given this way win over the file, so apply them first.
 * Returns 0, or -1 with a message in err.
 */
int	conf_option(struct sshconf *, const char *, char *, size_t);
/*
 * Read PATH for HOST (the name as typed on the command line), once, after
 * the -o options. must_exist 0 means the default ~/.ssh/config: missing is
 * fine, and, as for ssh, it (like any Include'd file) is refused when
 * another user could write it. PATH "none" reads nothing. Expands HostName's
 * %h with HOST. Returns 0, or -1 with "file:line: what" in err.
 */
int	conf_read(struct sshconf *, const char *path, int must_exist,
	    const char *host, char *err, size_t errlen);
/*
 * Expand a leading ~ or ~user, then %h %p %r %u %d %% in identity and
 * known_hosts paths, once the final host (HostName if set), port and
 * remote user are known; localuser is %u. Call it once. Returns 0, or -1
 * with a message in err.
 */
int	conf_expand(struct sshconf *, const char *host, int port,
	    const char *user, const char *localuser, char *err,
	    size_t errlen);
void	conf_free(struct sshconf *);

#endif
