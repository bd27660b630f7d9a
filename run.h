/*
 * A run of a job: lock, splay, connection attempts with retries, the
 * command, and the one mapping of how it went to an exit status, a stats
 * reason and the END record.
 */
#ifndef RUN_H
#define RUN_H

#define EX_INVOKE	10	/* invalid invocation (the seed's choice) */
#define EX_LOG		11	/* the log cannot be opened */
#define EX_TIMEOUT	124	/* --timeout */
#define EX_LOCKFILE	73	/* --lock: no lock can be taken */
#define EX_LOCKED	75	/* --lock: the job is still running */
#define EX_SSH		255	/* SSH failure */

enum reason {
	REASON_EXIT,
	REASON_SIGNAL,		/* the remote command was killed */
	REASON_TIMEOUT,
	REASON_STOPPED,		/* we got a stop signal */
	REASON_RESOLVE,
	REASON_CONNECT,
	REASON_HOSTKEY,
	REASON_AUTH,
	REASON_EXEC,
	REASON_LOST,
	REASON_NOEXIT,
	REASON_PROTOCOL,
	REASON_LOCK,
	REASON_USAGE
};

struct settings;

void	 run_init(void);
int	 run(const struct settings *);
int	 run_refused(int, enum reason, const char *);

#endif
