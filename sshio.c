/*
 * The connection as libssh2 sees it: non-blocking, every byte from the
 * server counted (silence detection), every wait a poll(2) in the
 * directions libssh2 names, bounded by a deadline.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <poll.h>

#include <libssh2.h>

#include "sshio.h"
#include "util.h"

/* Count bytes from the server: silence detection needs to see every one. */
static ssize_t
recv_counted(libssh2_socket_t fd, void *buf, size_t len, int flags,
    void **abstract)
{
	struct ssh *ss = *abstract;
	ssize_t n;

	n = recv(fd, buf, len, flags);
	if (n > 0)
		ss->last_recv = now_ms();
	if (n == -1 && errno == EINTR)
		return -EAGAIN;
	return n == -1 ? -errno : n;
}

/* A non-blocking libssh2 session on the connected socket fd. */
void
ssh_init(struct ssh *ss, int fd)
{
	ss->fd = fd;
	ss->last_recv = now_ms();
	if ((ss->session = libssh2_session_init_ex(NULL, NULL, NULL, ss)) ==
	    NULL)
		errx(1, "libssh2_session_init failed");
	/* 1.11.1 deprecates callback_set for callback_set2 */
#if LIBSSH2_VERSION_NUM >= 0x010b01
	libssh2_session_callback_set2(ss->session, LIBSSH2_CALLBACK_RECV,
	    (libssh2_cb_generic *)recv_counted);
#else
	libssh2_session_callback_set(ss->session, LIBSSH2_CALLBACK_RECV,
	    (void *)recv_counted);
#endif
	libssh2_session_set_blocking(ss->session, 0);
}

enum wait
ssh_wait(struct ssh *ss, int64_t deadline)
{
	int dir = libssh2_session_block_directions(ss->session);
	short events = 0;

	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		events |= POLLOUT;
	if (events == 0)
		events = POLLIN;
	return wait_fd(ss->fd, events, deadline);
}

const char *
ssh_error(struct ssh *ss)
{
	char *msg = NULL;

	libssh2_session_last_error(ss->session, &msg, NULL, 0);
	return msg != NULL && *msg != '\0' ? msg : "unknown error";
}
