/*
 * One SSH run over libssh2: connect, verify the host key, authenticate,
 * execute, stream the output into the log, stop the remote command when
 * told to.  Every wait is a poll(2) bounded by a deadline.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdint.h>

enum failure {
	FAIL_NONE,
	FAIL_RESOLVE,
	FAIL_CONNECT,		/* refused, reset, unreachable, timeout */
	FAIL_HANDSHAKE,		/* banner, key exchange: retryable */
	FAIL_HOSTKEY,
	FAIL_AUTH,
	FAIL_LOST,		/* after the command may have been sent */
	FAIL_STOPPED		/* a stop signal arrived */
};

struct job {
	/* what to run and where */
	const char	 *host;		/* name to connect to */
	const char	 *user;
	int		  port;
	char		**identities;	/* private key files, in order */
	int		  nidentities;
	int		  use_agent;
	const char	 *known_hosts;	/* the user's file, also added to */
	const char	 *system_known_hosts;
	int		  accept_new;
	int		  hash_known_hosts;	/* HashKnownHosts yes */
	const char	 *command;
	int		  tee;

	/* bounds, in seconds; 0 = none */
	int		  connect_timeout;
	int		  alive;
	int		  alive_interval;
	int		  timeout;
	int		  kill_grace;

	/* hook: returns the stop signal pending, 0 if none (handles SIGUSR1) */
	int		(*stop_signal)(struct job *);
	int		  sigfd;		/* readable when a signal arrived */
	int		  deaf;		/* hold stop signals back for now */
	int		  nsignals;	/* stop signals seen */

	/* progress, for the state record and stats */
	const char	 *phase;
	int		  attempt;
	uint64_t	  out;
	uint64_t	  err;
	long		  pgid;
	int64_t		  last_recv;	/* ms, monotonic */

	/* outcome */
	int		  status;	/* exit status of remoteexe */
	int		  signo;	/* stop signal we got, if any */
	char		  reason[48];
	int		  stopped;	/* the remote group is known gone */
};

struct session;

int64_t	 now_ms(void);
enum failure session_open(struct job *, struct session **, char *, size_t);
enum failure session_run(struct session *, struct job *, char *, size_t);
void	 session_close(struct session *);
void	 session_global_init(void);
const char *signal_name(int);

#endif
