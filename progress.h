/*
 * How far a run has come: owned by run.c, filled in by the rooms below it,
 * shown in ps(1) and in the state record that answers SIGUSR1.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>

enum phase {
	PHASE_START,
	PHASE_SPLAY,
	PHASE_CONNECT,
	PHASE_HANDSHAKE,
	PHASE_AUTH,
	PHASE_RUNNING,
	PHASE_STOPPING
};

struct progress {
	enum phase	 phase;
	int64_t		 started;	/* ms, monotonic */
	int		 attempt;	/* connection attempts so far */
	uint64_t	 out;		/* bytes of remote stdout */
	uint64_t	 err;		/* bytes of remote stderr */
	long		 pgid;		/* remote process group; 0 unknown */
	const char	*user;		/* for ps(1): user@host:port */
	const char	*host;
	int		 port;
};

void	 progress_init(struct progress *);
void	 progress_target(struct progress *, const char *, const char *, int);
void	 progress_phase(struct progress *, enum phase);
double	 progress_elapsed(const struct progress *);
void	 progress_state(const struct progress *);

#endif
