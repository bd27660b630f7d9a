/*
 * The pump: remote stdout and stderr from the channel into the log (and
 * with --tee to our own stdout and stderr), the supervisor's reports taken
 * out of stderr; and what remoteexe sends on the channel's stdin.
 */
#ifndef PUMP_H
#define PUMP_H

#include <stddef.h>
#include <stdint.h>
#include <libssh2.h>

#include "remote.h"

struct progress;
struct ssh;

/* What the supervisor reported, as far as it got. */
struct reports {
	int	 pgid;			/* seen: the wrapper runs */
	int	 exited;		/* exit_status is the command's */
	int	 exit_status;
	char	 signame[16];		/* killed by this signal, if not "" */
	int	 stopped;		/* answer to a stop request: */
	int	 gone;			/*   the group is gone */
	int	 lease;			/* no heartbeat: it stopped the command */
	int	 locked;		/* --lock: busy, or lockerr */
	int	 lockerr;
	char	 text[REPORT_MAX];	/* the lock's holder, or why not */
};

struct pump {
	struct ssh	*ss;
	LIBSSH2_CHANNEL	*chan;
	struct progress	*progress;	/* bytes; the pgid reported */
	int		 tee;
	struct reports	 reports;
	/* finding reports in stderr */
	char		*marker;	/* "\036remoteexe-NONCE " */
	size_t		 mlen;
	size_t		 matched;	/* marker bytes seen so far */
	int		 inreport;
	char		 report[REPORT_MAX];
	size_t		 rlen;
	/* to the channel's stdin */
	char		*out;
	size_t		 outlen, outoff;
	/* what the server should not have sent */
	uint64_t	 other;		/* extended data of other types, dropped */
	char		*violation;	/* the first breach of the protocol */
	int		 ended;		/* the last read said EOF or close */
};

void	 pump_init(struct pump *, struct ssh *, LIBSSH2_CHANNEL *,
	    struct progress *, int, const char *);
void	 pump_check(struct pump *);
void	 pump_violation(struct pump *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 pump_send(struct pump *, const char *, size_t);
int	 pump_write(struct pump *);
int	 pump_drain(struct pump *);
void	 pump_end(struct pump *);
void	 pump_free(struct pump *);

#endif
