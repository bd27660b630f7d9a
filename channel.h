/*
 * The life of the remote command's channel: exec the wrapper, keep the
 * output flowing until the channel closes, the timeout, a stop signal or
 * silence; stop the remote process group when told to; its exit status.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include "failure.h"

struct ssh;
struct target;
struct limits;
struct progress;

struct result {
	enum {
		RUN_EXITED,		/* status */
		RUN_KILLED,		/* by signal signo/signame */
		RUN_TIMEOUT,		/* --timeout; stopped by us */
		RUN_STOPPED		/* a stop signal; stopped by us */
	}	 how;
	int	 status;		/* RUN_EXITED: its exit status */
	int	 signo;			/* RUN_KILLED: 0 if SSH's name is unknown */
	char	 signame[16];		/* RUN_KILLED: as the server named it */
	int	 gone;			/* stopped: the group was seen gone */
};

enum failure channel_run(struct ssh *, const struct target *,
	    const struct limits *, struct progress *, int, struct result *,
	    char **);

#endif
