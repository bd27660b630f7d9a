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

/* Where and as whom to run what. */
struct target {
	char		 *user;
	char		 *host;			/* the name to connect to */
	int		  port;
	char		**identities;		/* key files, in order */
	int		  nidentities;
	int		  use_agent;
	char		 *known_hosts;		/* the user's: checked, added to */
	const char	 *system_known_hosts;
	int		  accept_new;
	int		  hash_known_hosts;	/* HashKnownHosts yes */
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
