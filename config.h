/*
 * ssh_config(5) subset: the keywords remoteexe understands, resolved for
 * one target host with OpenSSH's rules (Host and Match blocks, first value
 * wins), and the keywords it refuses because it cannot do what they ask.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONF_MAXID	16
#define CONF_MAXKH	16		/* known_hosts files per keyword */
#define CONF_MAXHOPS	16		/* ProxyJump hops */
#define CONF_MAXFILES	256		/* files read per configuration */

enum strict {
	STRICT_UNSET = -1,
	STRICT_YES = 1,
	STRICT_ACCEPT_NEW = 2		/* "no" maps here: a changed key never passes */
};

/* conf_read flags */
#define CONF_REQUIRED	0x1		/* a missing file is an error (-F) */
#define CONF_CHECKPERM	0x2		/* refuse it if others may write it */
#define CONF_SYSTEM	0x4		/* relative Includes: its directory */

/* What ssh knows before it reads its configuration. */
struct confenv {
	const char	*host;		/* the host as typed */
	const char	*user;		/* -l or user@host; NULL: none */
	const char	*localuser;	/* NULL: our uid has no passwd entry */
	const char	*home;		/* ~, from the passwd entry; NULL: none */
};

/* A ProxyJump hop as written: [user@]host[:port]. */
struct hop {
	char	*user;			/* NULL: not given */
	char	*host;
	int	 port;			/* 0: not given */
};

struct sshconf {
	const struct confenv *env;
	char	*hostname;		/* HostName; %h expanded by conf_read's
					   caller through conf_hostname() */
	char	*user;			/* User */
	int	 port;			/* Port; 0 = unset */
	char	*identity[CONF_MAXID];	/* IdentityFile, in order; see conf_expand */
	int	 nidentity;
	int	 identities_only;	/* -1 unset, 0 no, 1 yes */
	int	 connect_timeout;	/* seconds; -1 unset */
	int	 alive_interval;	/* ServerAliveInterval; -1 unset */
	int	 alive_count;		/* ServerAliveCountMax; -1 unset */
	char	*known_hosts[CONF_MAXKH]; /* UserKnownHostsFile; none = one
					   /dev/null; see conf_expand */
	int	 nknown_hosts;
	char	*global_known_hosts[CONF_MAXKH]; /* GlobalKnownHostsFile */
	int	 nglobal_known_hosts;
	int	 global_known_hosts_set; /* none sets it with no file */
	int	 strict;		/* enum strict */
	int	 hash_known_hosts;	/* HashKnownHosts: -1 unset, 0 no, 1 yes */
	int	 address_family;	/* AF_UNSPEC, AF_INET, AF_INET6; -1 unset */
	char	*identity_agent;	/* IdentityAgent as written, paths
					   expanded by conf_expand; NULL unset */
	char	*hostkey_alias;		/* HostKeyAlias; NULL unset */
	/*
	 * ProxyJump and ProxyCommand: whichever comes first wins, "none"
	 * included, as in ssh.  proxy_command NULL and njump 0: direct.
	 */
	int	 proxy_set;
	char	*proxy_command;		/* %h %n %p %r expanded by conf_expand */
	struct hop jump[CONF_MAXHOPS];	/* in the order they are visited */
	int	 njump;
	int	 nfiles;		/* files read so far (CONF_MAXFILES) */
};

void	conf_init(struct sshconf *, const struct confenv *);
/*
 * Apply one "-o key=value" (or "key value") line; it applies whatever the
 * host. Options given this way win over the file, so apply them first.
 * Returns 0, or -1 with a message in err.
 */
int	conf_option(struct sshconf *, const char *, char *, size_t);
/* The same for a -J argument (ProxyJump), with -J in messages. */
int	conf_jump_option(struct sshconf *, const char *, char *, size_t);
int	conf_jump_valid(const char *);
/*
 * Read PATH for env->host, after the -o options: the user file first,
 * then the system one (first value wins).  flags are CONF_*.  PATH "none"
 * reads nothing.  Returns 0, or -1 with "file:line: what" in err.
 */
int	conf_read(struct sshconf *, const char *path, int flags, char *err,
	    size_t errlen);
/* Expand %h in HostName, once every file is read.  Returns 0 or -1. */
int	conf_hostname(struct sshconf *, char *err, size_t errlen);
/*
 * Expand a leading ~ or ~user, then %d %h %p %r %u %% and ${VAR} in
 * identity, known_hosts and agent paths, and %h %n %p %r %% in
 * ProxyCommand, once the final host (HostName if set), port and remote
 * user are known.  Call it once. Returns 0, or -1 with a message in err.
 */
int	conf_expand(struct sshconf *, const char *host, int port,
	    const char *user, char *err, size_t errlen);
void	conf_free(struct sshconf *);

#endif
