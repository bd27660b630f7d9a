/*
 * The connection as libssh2 sees it: non-blocking, every byte from the
 * server counted (silence detection), every wait a poll(2) in the
 * directions libssh2 names, bounded by a deadline.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libssh2.h>

#include "sshio.h"
#include "util.h"

/*
 * Lines before the server's version string: give up after BANNER_LINES
 * of them, or one longer than BANNER_LINE, as OpenSSH does.  Returns -1
 * then.
 */
static int
banner_bytes(struct ssh *ss, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && ss->banner; i++) {
		if (ss->col < sizeof(ss->start))
			ss->start[ss->col] = buf[i];
		if (++ss->col == sizeof(ss->start) &&
		    memcmp(ss->start, "SSH-", 4) == 0)
			ss->banner = 0;
		else if (buf[i] == '\n') {
			ss->col = 0;
			ss->lines++;
		}
		if (ss->lines > BANNER_LINES || ss->col > BANNER_LINE) {
			ss->flood = 1;
			return -1;
		}
	}
	return 0;
}

/*
 * Every byte from the server comes through here: counted (silence
 * detection needs to see every one) and, before the version string,
 * looked at.  Past the phase's deadline, or with a stop signal pending,
 * it says EAGAIN: libssh2 reads a banner byte by byte without returning
 * while bytes keep coming, and only a wait of ours sees deadlines and
 * signals.
 */
static ssize_t
recv_counted(libssh2_socket_t fd, void *buf, size_t len, int flags,
    void **abstract)
{
	struct ssh *ss = *abstract;
	ssize_t n;

	if (signals_pending() ||
	    (ss->deadline != 0 && now_ms() >= ss->deadline))
		return -EAGAIN;
	n = recv(fd, buf, len, flags);
	if (n > 0) {
		ss->last_recv = now_ms();
		ss->received += n;
		if (ss->banner && banner_bytes(ss, buf, n) == -1)
			return -ECONNABORTED;
	}
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
	ss->banner = 1;
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
