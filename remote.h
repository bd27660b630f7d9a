/*
 * The remote side of a run: what remoteexe sends (a shell-neutral exec
 * string, then on the channel's stdin the supervisor script and the
 * command) and the parsing of what the supervisor reports back on stderr.
 * No I/O here.
 */
#ifndef REMOTE_H
#define REMOTE_H

#include <stddef.h>

#define NONCE_LEN	32		/* hex digits */
#define COMMAND_MAX	(256 * 1024)	/* longest command sent */
#define REPORT_MAX	512		/* longest report after the marker */

/* What the supervisor is told. */
struct remote_job {
	const char	*nonce;		/* NONCE_LEN hex digits */
	const char	*command;
	int		 lease;		/* seconds without a heartbeat */
	int		 grace;		/* TERM to KILL */
	const char	*lock;		/* lock name, or NULL */
	const char	*holder;	/* who holds the lock, for messages */
};

enum report_kind {
	REPORT_BAD,
	REPORT_PGID,		/* the command's process group */
	REPORT_EXIT,		/* the command ended with this status */
	REPORT_SIGNAL,		/* the command was killed by this signal */
	REPORT_STOP,		/* after a stop request: gone or not */
	REPORT_LEASE,		/* no heartbeat: the supervisor stopped it */
	REPORT_LOCKED,		/* --lock: held by text */
	REPORT_LOCKERR		/* --lock: cannot lock, text says why */
};

struct report {
	enum report_kind kind;
	long		 value;		/* pgid, exit status, gone (1/0) */
	char		 text[REPORT_MAX];
};

extern const char remote_boot[];
#define HEARTBEAT	"h\n"
#define STOP_REQUEST	"s\n"

void	 remote_nonce(char *);
char	*remote_marker(const char *);
char	*remote_preamble(const struct remote_job *, size_t *);
char	*remote_lock_name(const char *, const char *);
int	 remote_report(const char *, size_t, struct report *);

#endif
