/*
 * What every room that talks SSH shares: the connection, and waiting for
 * libssh2 with poll(2) under a deadline (see signals.h).
 */
#ifndef SSHIO_H
#define SSHIO_H

#include <stdint.h>
#include <libssh2.h>

#include "signals.h"

#define BANNER_LINES	1024	/* lines before the version, as OpenSSH */
#define BANNER_LINE	8192	/* bytes in one of them, as OpenSSH */

struct ssh {
	LIBSSH2_SESSION	*session;
	int		 fd;		/* the socket; -1 none */
	int64_t		 last_recv;	/* ms: the server was last heard */
	uint64_t	 received;	/* bytes from the server */
	int64_t		 deadline;	/* of the phase; recv says EAGAIN after */
	/* before the server's version string (RFC 4253 4.2) */
	int		 banner;	/* still looking for it */
	unsigned	 lines;		/* lines before it */
	char		 start[4];	/* the beginning of the current line */
	size_t		 col;
	int		 flood;		/* more than BANNER_LINES came first */
};

/* Run a libssh2 call until it stops saying EAGAIN or the wait ends. */
#define SSH_CALL(ss, rc, deadline, w, call) do {			\
	(w) = W_READY;							\
	while (((rc) = (call)) == LIBSSH2_ERROR_EAGAIN &&		\
	    ((w) = ssh_wait((ss), (deadline))) == W_READY)		\
		;							\
} while (0)

/* Same, for calls that return a pointer. */
#define SSH_CALLP(ss, p, deadline, w, call) do {			\
	(w) = W_READY;							\
	while (((p) = (call)) == NULL &&				\
	    libssh2_session_last_errno((ss)->session) ==		\
	    LIBSSH2_ERROR_EAGAIN &&					\
	    ((w) = ssh_wait((ss), (deadline))) == W_READY)		\
		;							\
} while (0)

void		 ssh_init(struct ssh *, int);
enum wait	 ssh_wait(struct ssh *, int64_t);
const char	*ssh_error(struct ssh *);

#endif
