/*
 * Public key authentication: ssh-agent, then key files, as a plan says.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdint.h>

#include "failure.h"

struct ssh;

struct authplan {
	const char	 *user;
	const char	 *host;		/* for messages */
	int		  port;
	char *const	 *identities;	/* key files, in order */
	int		  nidentities;
	int		  use_agent;
	const char	 *agent;	/* its socket */
};

enum failure	 auth_run(struct ssh *, const struct authplan *, int64_t,
		    char **);

#endif
