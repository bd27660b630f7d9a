/*
 * How a run reaches its host: straight over TCP, through a ProxyCommand,
 * or through ProxyJump hops; then SSH on what it got.
 */
#ifndef DIAL_H
#define DIAL_H

#include <sys/types.h>

#include "config.h"
#include "failure.h"

struct ssh;
struct target;
struct limits;
struct progress;

#define DIAL_HELPERS	(CONF_MAXHOPS + 2)

/* A connection and the helper children of ours that carry it. */
struct conn {
	struct ssh	*ss;
	pid_t		 pid[DIAL_HELPERS];
	int		 sig[DIAL_HELPERS];	/* ends it; 0: it ends by itself */
	int		 n;
};

enum failure	 dial(const struct target *, const struct limits *,
		    struct progress *, struct conn *, char **);
void		 dial_close(struct conn *);

#endif
