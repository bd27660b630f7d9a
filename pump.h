/*
 * The output pump: remote stdout and stderr from the channel into the log
 * (and with --tee to our own stdout and stderr), with the wrapper's marker
 * line taken out of stderr.
 */
#ifndef PUMP_H
#define PUMP_H

#include <stddef.h>
#include <libssh2.h>

#include "remote.h"

struct progress;

struct pump {
	LIBSSH2_CHANNEL	*chan;
	struct progress	*progress;	/* bytes; the pgid the marker gives */
	int		 tee;
	char		 mline[MARKER_MAX];	/* stderr before the marker */
	size_t		 mlen;
	int		 marked;
};

void	 pump_init(struct pump *, LIBSSH2_CHANNEL *, struct progress *, int);
int	 pump_drain(struct pump *);
void	 pump_end(struct pump *);
void	 pump_discard(LIBSSH2_CHANNEL *);

#endif
