/*
 * The output pump.  libssh2 buffers internally, so after the socket was
 * readable both streams are read until neither has more: a full stderr
 * window would stall stdout.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "log.h"
#include "progress.h"
#include "pump.h"
#include "remote.h"
#include "signals.h"
#include "util.h"

#define READSZ		(64 * 1024)
#define DRAIN_MAX	(8 * READSZ)	/* then look at signals and deadlines */
#define TEE_STALL_MS	10000

static char readbuf[READSZ];

void
pump_init(struct pump *pm, LIBSSH2_CHANNEL *chan, struct progress *p,
    int tee)
{
	memset(pm, 0, sizeof(*pm));
	pm->chan = chan;
	pm->progress = p;
	pm->tee = tee;
}

/*
 * Copy output to our stdout/stderr (--tee) without letting a reader that
 * stalls stall the run: small writes when poll(2) says there is room, and
 * after TEE_STALL_MS without progress copying stops (the log has it all).
 * A stop signal ends this copy; the run loop sees it.
 */
static void
tee_write(struct pump *pm, int fd, const char *buf, size_t len)
{
	int64_t until = now_ms() + TEE_STALL_MS;
	enum wait w;
	ssize_t n;

	while (len > 0 && pm->tee) {
		if ((w = wait_fd(fd, POLLOUT, until)) == W_SIGNAL)
			return;
		if (w == W_TIMEOUT) {
			pm->tee = 0;
			log_msg("error", "standard %s is not being read; stopped "
			    "copying to it", fd == 1 ? "output" : "error");
			return;
		}
		n = write(fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1) {
			pm->tee = 0;
			return;
		}
		buf += n;
		len -= n;
		until = now_ms() + TEE_STALL_MS;
	}
}

static void
deliver(struct pump *pm, int stream, const char *buf, size_t len)
{
	if (len == 0)
		return;
	if (stream == 1)
		pm->progress->out += len;
	else
		pm->progress->err += len;
	log_output(stream, buf, len);
	if (pm->tee)
		tee_write(pm, stream, buf, len);
}

/* A held stderr line is complete: the marker is taken, anything else logged. */
static void
held_line(struct pump *pm)
{
	long pgid;

	if (remote_marker(pm->mline, pm->mlen, &pgid)) {
		pm->progress->pgid = pgid;
		pm->marked = 1;
	} else
		deliver(pm, 2, pm->mline, pm->mlen);
	pm->mlen = 0;
}

/* Until the marker line is seen, stderr is looked at line by line. */
static void
stderr_filter(struct pump *pm, const char *buf, size_t len)
{
	const char *nl;
	size_t take;

	while (len > 0 && !pm->marked) {
		nl = memchr(buf, '\n', len);
		take = nl != NULL ? (size_t)(nl - buf) + 1 : len;
		if (pm->mlen + take > sizeof(pm->mline)) {
			deliver(pm, 2, pm->mline, pm->mlen);
			deliver(pm, 2, buf, take);
			pm->mlen = 0;
		} else {
			memcpy(pm->mline + pm->mlen, buf, take);
			pm->mlen += take;
			if (nl != NULL)
				held_line(pm);
		}
		buf += take;
		len -= take;
	}
	deliver(pm, 2, buf, len);
}

/*
 * Read both streams until libssh2 has nothing more buffered, at most
 * DRAIN_MAX bytes per call so that signals, deadlines and log flushes are
 * seen in time.  Returns 1 when more may be buffered (do not poll the
 * socket: the server may be waiting for a window adjust that only the next
 * read sends), 0 when all is read, -1 on a lost connection.
 */
int
pump_drain(struct pump *pm)
{
	ssize_t n;
	size_t total = 0;
	int stream, busy = 1;

	while (busy) {
		if (total >= DRAIN_MAX)
			return 1;
		busy = 0;
		for (stream = 1; stream <= 2; stream++) {
			n = libssh2_channel_read_ex(pm->chan, stream == 1 ? 0 :
			    SSH_EXTENDED_DATA_STDERR, readbuf, sizeof(readbuf));
			if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
				continue;
			if (n < 0)
				return -1;
			busy = 1;
			total += n;
			if (stream == 1)
				deliver(pm, 1, readbuf, n);
			else
				stderr_filter(pm, readbuf, n);
		}
	}
	return 0;
}

/* Log what is left: last lines without newline, stderr held back. */
void
pump_end(struct pump *pm)
{
	log_output_end(1);
	if (!pm->marked && pm->mlen > 0)
		held_line(pm);
	log_output_end(2);
}

/* Read and drop what a helper channel (the kill script) prints. */
void
pump_discard(LIBSSH2_CHANNEL *chan)
{
	while (chan != NULL && libssh2_channel_read_ex(chan, 0, readbuf,
	    sizeof(readbuf)) > 0)
		;
	while (chan != NULL && libssh2_channel_read_ex(chan,
	    SSH_EXTENDED_DATA_STDERR, readbuf, sizeof(readbuf)) > 0)
		;
}
