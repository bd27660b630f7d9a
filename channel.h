/*
 * The life of the remote command's channel: exec, the supervisor's
 * preamble, output flowing until the channel closes, the heartbeat of the
 * lease, a stop when the timeout or a signal says so, the exit status.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include "failure.h"
#include "remote.h"

struct ssh;
struct settings;
struct progress;
struct cmd;

struct result {
	enum {
		RUN_EXITED,		/* status */
		RUN_KILLED,		/* by signal signo/signame */
		RUN_TIMEOUT,		/* --timeout: we stopped it */
		RUN_STOPPED,		/* a stop signal: we stopped it */
		RUN_LOCKED		/* --lock: busy on the target (text) */
	}	 how;
	int	 status;		/* RUN_EXITED: its exit status */
	int	 signo;			/* RUN_KILLED: 0 if SSH's name is unknown */
	char	 signame[16];		/* RUN_KILLED: as the server named it */
	int	 known;			/* the process group was reported */
	int	 gone;			/* stopped: the group was seen gone */
	int64_t	 waited_ms;		/* stopped: for the supervisor's answer */
	int	 shell_ended;		/* stopped: after the command's shell */
	int	 lockerr;		/* RUN_LOCKED: could not lock at all */
	char	 text[REPORT_MAX];	/* RUN_LOCKED: holder, or why not */
};

enum failure channel_start(struct ssh *, const struct settings *,
	    struct progress *, struct cmd **, char **);
enum failure channel_run(struct cmd *, struct result *, char **);
void	 channel_free(struct cmd *);

#endif
