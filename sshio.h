/*
 * What the parts of the SSH side share: the session, and waiting for
 * libssh2 with poll(2) under a deadline.
 */
#ifndef SSHIO_H
#define SSHIO_H

#include <stdint.h>
#include <libssh2.h>

#define MARKER_MAX	64

struct session {
	LIBSSH2_SESSION	*ssh;
	LIBSSH2_CHANNEL	*chan;
	LIBSSH2_CHANNEL	*killer;
	int		 fd;
	struct job	*job;
	char		 mline[MARKER_MAX];	/* stderr before the marker */
	size_t		 mlen;
	int		 marked;
};

/* Result of a wait: ready, deadline passed, or a stop signal arrived. */
enum wait {
	W_READY,
	W_TIMEOUT,
	W_SIGNAL
};

#define NO_WAIT		(-1)	/* deadline: only look for signals */

/* Run a libssh2 call until it stops saying EAGAIN or the deadline passes. */
#define SSH_CALL(ss, rc, deadline, w, call) do {			\
	(w) = W_READY;							\
	while (((rc) = (call)) == LIBSSH2_ERROR_EAGAIN &&		\
	    ((w) = wait_session((ss), (deadline))) == W_READY)		\
		;							\
} while (0)

/* Same, for calls that return a pointer. */
#define SSH_CALLP(ss, p, deadline, w, call) do {			\
	(w) = W_READY;							\
	while (((p) = (call)) == NULL &&				\
	    libssh2_session_last_errno((ss)->ssh) ==			\
	    LIBSSH2_ERROR_EAGAIN &&					\
	    ((w) = wait_session((ss), (deadline))) == W_READY)		\
		;							\
} while (0)

const char	*ssh_error(struct session *);
enum wait	 wait_session(struct session *, int64_t);
enum failure	 session_auth(struct session *, int64_t, char *, size_t);

#endif
