/*
 * The pump.  libssh2 buffers internally, so after the socket was readable
 * both streams are read until neither has more: a full stderr window would
 * stall stdout.  The supervisor's reports are found in stderr wherever
 * they are (a killed command may leave half a line before one) and never
 * logged; everything else is delivered byte for byte.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
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
    int tee, const char *nonce)
{
	memset(pm, 0, sizeof(*pm));
	pm->chan = chan;
	pm->progress = p;
	pm->tee = tee;
	pm->marker = remote_marker(nonce);
	pm->mlen = strlen(pm->marker);
}

void
pump_free(struct pump *pm)
{
	free(pm->marker);
	free(pm->out);
	pm->marker = pm->out = NULL;
}

/* Queue bytes for the channel's stdin. */
void
pump_send(struct pump *pm, const char *buf, size_t len)
{
	char *n;

	if (pm->outoff > 0) {
		memmove(pm->out, pm->out + pm->outoff, pm->outlen - pm->outoff);
		pm->outlen -= pm->outoff;
		pm->outoff = 0;
	}
	if ((n = realloc(pm->out, pm->outlen + len)) == NULL)
		err(1, NULL);
	pm->out = n;
	memcpy(pm->out + pm->outlen, buf, len);
	pm->outlen += len;
}

/* Write what is queued, as far as the channel takes it; -1 if lost. */
int
pump_write(struct pump *pm)
{
	ssize_t n;

	while (pm->outoff < pm->outlen) {
		n = libssh2_channel_write(pm->chan, pm->out + pm->outoff,
		    pm->outlen - pm->outoff);
		if (n == LIBSSH2_ERROR_EAGAIN)
			return 0;
		if (n < 0)
			return -1;
		pm->outoff += n;
	}
	return 0;
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

/* A whole report arrived: note what it says (the first pgid counts). */
static void
take_report(struct pump *pm)
{
	struct reports *rs = &pm->reports;
	struct report r;

	if (!remote_report(pm->report, pm->rlen, &r))
		return;
	switch (r.kind) {
	case REPORT_PGID:
		if (!rs->pgid) {
			rs->pgid = 1;
			pm->progress->pgid = r.value;
		}
		break;
	case REPORT_EXIT:
		rs->exited = 1;
		rs->exit_status = (int)r.value;
		break;
	case REPORT_SIGNAL:
		strlcpy(rs->signame, r.text, sizeof(rs->signame));
		break;
	case REPORT_STOP:
		rs->stopped = 1;
		rs->gone = (int)r.value;
		break;
	case REPORT_LOCKED:
	case REPORT_LOCKERR:
		rs->locked = 1;
		rs->lockerr = r.kind == REPORT_LOCKERR;
		strlcpy(rs->text, r.text, sizeof(rs->text));
		break;
	default:
		break;
	}
}

/* Inside a report: take bytes up to its newline; returns bytes used. */
static size_t
report_bytes(struct pump *pm, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - buf) : len;

	if (pm->rlen + n < sizeof(pm->report))
		memcpy(pm->report + pm->rlen, buf, n);
	pm->rlen += n;
	if (nl == NULL)
		return n;
	if (pm->rlen < sizeof(pm->report))
		take_report(pm);
	pm->inreport = 0;
	pm->rlen = 0;
	return n + 1;
}

/*
 * Match the marker at buf, maybe across reads; returns bytes used.  The
 * marker's first byte occurs only there, so a mismatch gives back what
 * was held (it is the marker's own beginning) and starts over.
 */
static size_t
marker_bytes(struct pump *pm, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len && pm->matched < pm->mlen &&
	    buf[i] == pm->marker[pm->matched]) {
		i++;
		pm->matched++;
	}
	if (pm->matched == pm->mlen) {
		pm->matched = 0;
		pm->inreport = 1;
	} else if (i < len) {
		deliver(pm, 2, pm->marker, pm->matched);
		pm->matched = 0;
	}
	return i;
}

/* Remote stderr: reports out, the rest to the log. */
static void
stderr_bytes(struct pump *pm, const char *buf, size_t len)
{
	const char *rs;
	size_t n;

	while (len > 0) {
		if (pm->inreport)
			n = report_bytes(pm, buf, len);
		else if (pm->matched > 0 || *buf == pm->marker[0])
			n = marker_bytes(pm, buf, len);
		else {
			rs = memchr(buf, pm->marker[0], len);
			n = rs != NULL ? (size_t)(rs - buf) : len;
			deliver(pm, 2, buf, n);
		}
		buf += n;
		len -= n;
	}
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
				stderr_bytes(pm, readbuf, n);
		}
	}
	return 0;
}

/* Log what is left: the last lines without newline, a half marker. */
void
pump_end(struct pump *pm)
{
	log_output_end(1);
	if (pm->matched > 0)
		deliver(pm, 2, pm->marker, pm->matched);
	pm->matched = 0;
	log_output_end(2);
}
