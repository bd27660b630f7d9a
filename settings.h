/*
 * What a run is to do, resolved once before it starts: the command line
 * wins, then -o, then ssh_config (first value wins), then the defaults,
 * which live only in settings.c.  Below run.c all of it is read-only.
 */
#ifndef SETTINGS_H
#define SETTINGS_H

#include "config.h"
#include "log.h"

#define MAXIDS		(CONF_MAXID * 2)
#define MAXCONFOPTS	64

/* The command line as given; 0, -1 or NULL where an option was not. */
struct options {
	const char	*user;			/* -l */
	int		 port;			/* -p */
	const char	*ids[MAXIDS];		/* -i */
	int		 nids;
	const char	*config;		/* -F */
	const char	*jump;			/* -J */
	const char	*confopts[MAXCONFOPTS];	/* -o */
	int		 nconfopts;
	const char	*log;
	enum logformat	 format;
	const char	*known_hosts;
	int		 accept_new;
	int		 connect_timeout;
	int		 timeout;
	int		 kill_grace;
	int		 alive;
	int		 retries;
	int		 splay;
	int		 lock;
	int		 tee;
	int		 quiet;
};

/*
 * Where and as whom to run what: the target, and each ProxyJump hop on the
 * way to it, resolved the same way (a hop with its own ssh_config block,
 * as ssh's "ssh -W" to it would; -l -p -i -o -J apply to the target only,
 * --known-hosts and --accept-new to every hop).  Every string is
 * allocated; NULL where the comment says so.
 */
struct target {
	char		 *user;
	char		 *host;			/* the name to connect to */
	int		  port;
	int		  address_family;	/* AF_UNSPEC, AF_INET or AF_INET6
						   (AddressFamily) */
	char		**identities;		/* key files, in order */
	int		  nidentities;
	int		  use_agent;		/* try agent's keys first */
	char		 *agent;		/* the agent's socket: IdentityAgent,
						   else $SSH_AUTH_SOCK; NULL: none */
	char		 *known_hosts;		/* the user's: checked, added to */
	char		**known_hosts_files;	/* every file to check: the user's
						   (known_hosts first), then the
						   global ones */
	int		  nknown_hosts_files;
	char		 *hostkey_alias;	/* HostKeyAlias: the name to look up
						   in known_hosts instead of host
						   and port; NULL: none */
	int		  accept_new;
	int		  hash_known_hosts;	/* HashKnownHosts yes */
	/*
	 * How to reach host:port: at most one of these is set.  ProxyCommand
	 * is %h %n %p %r expanded, for /bin/sh -c (as ssh, which runs it
	 * with "exec"); ProxyJump hops are visited in order, jump[0] first,
	 * the target through the last.  Hops have no command and no hops.
	 */
	char		 *proxy_command;	/* NULL: none */
	struct target	 *jump;			/* NULL: none */
	int		  njump;
	char		 *command;
};

/* Bounds, in seconds; 0 = none. */
struct limits {
	int	connect_timeout;	/* connect + handshake + auth, per try */
	int	alive;			/* this much silence: the link is dead */
	int	alive_interval;		/* keepalives */
	int	timeout;		/* the whole command */
	int	kill_grace;		/* TERM to KILL */
	int	retries;
	int	splay;
};

struct settings {
	struct target	target;
	struct limits	limits;
	int		lock;
	int		tee;
};

void	 options_init(struct options *);
const char *settings_log(const struct options *);
int	 settings_load(const struct options *, const char *, const char *,
	    struct settings *, char **);

#endif
