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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "log.h"
#include "progress.h"
#include "pump.h"
#include "remote.h"
#include "signals.h"
#include "sshio.h"
#include "util.h"

#define READSZ		(64 * 1024)
#define DRAIN_MAX	(8 * READSZ)	/* then look at signals and deadlines */
#define DRAIN_PASSES	64
#define TEE_STALL_MS	10000

static char readbuf[READSZ];

void
pump_init(struct pump *pm, struct ssh *ss, LIBSSH2_CHANNEL *chan,
    struct progress *p, int tee, const char *nonce)
{
	memset(pm, 0, sizeof(*pm));
	pm->ss = ss;
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
	free(pm->violation);
	pm->marker = pm->out = pm->violation = NULL;
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
	case REPORT_LEASE:
		rs->lease = 1;
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

/* Note the first breach of the protocol by the server. */
void
pump_violation(struct pump *pm, const char *fmt, ...)
{
	va_list ap;

	if (pm->violation != NULL)
		return;
	va_start(ap, fmt);
	pm->violation = xvasprintf(fmt, ap);
	va_end(ap);
}

/*
 * libssh2 1.10 drops what goes beyond the window or the packet size it
 * offered and only says so in its last error: look after every read.
 */
void
pump_check(struct pump *pm)
{
	int e = libssh2_session_last_errno(pm->ss->session);

	if (e == LIBSSH2_ERROR_CHANNEL_WINDOW_EXCEEDED)
		pump_violation(pm, "the server sent more than the channel's "
		    "window; data was lost");
	else if (e == LIBSSH2_ERROR_CHANNEL_PACKET_EXCEEDED)
		pump_violation(pm, "the server sent a packet larger than the "
		    "channel's maximum packet size; data was lost");
	else
		return;
	(void)libssh2_session_set_last_error(pm->ss->session, 0, NULL);
}

/* Read a stream once: 1 data, 0 none now (or EOF), -1 a lost connection. */
static int
read_stream(struct pump *pm, int stream, size_t *total)
{
	ssize_t n;

	n = libssh2_channel_read_ex(pm->chan, stream == 1 ? 0 :
	    SSH_EXTENDED_DATA_STDERR, readbuf, sizeof(readbuf));
	pump_check(pm);
	if (stream == 1)
		pm->ended = n == 0;
	if (n == LIBSSH2_ERROR_EAGAIN || n == 0)
		return 0;
	if (n < 0)
		return -1;
	*total += n;
	if (stream == 1)
		deliver(pm, 1, readbuf, n);
	else
		stderr_bytes(pm, readbuf, n);
	return 1;
}

/*
 * Extended data of a type other than stderr: nobody reads it, and unread
 * it keeps the window shut.  With no stderr queued (the read just said
 * so) and no read of the socket in between, flushing all extended data
 * drops only those.
 */
static void
drop_other(struct pump *pm)
{
	int n;

	n = libssh2_channel_flush_ex(pm->chan,
	    LIBSSH2_CHANNEL_FLUSH_EXTENDED_DATA);
	if (n > 0)
		pm->other += n;
}

/*
 * Read both streams until libssh2 has nothing more buffered, at most
 * DRAIN_MAX bytes (or DRAIN_PASSES passes) per call so that signals,
 * deadlines and log flushes are seen in time.  A read of one stream can
 * queue packets of the other (libssh2 reads the socket for both), so only
 * a pass in which no byte came from the server ends the drain: polling
 * the socket with data queued would wait for a server whose window is
 * full.  Returns 1 when more may be buffered (do not poll), 0 when all is
 * read, -1 on a lost connection.
 */
int
pump_drain(struct pump *pm)
{
	size_t total = 0;
	uint64_t before;
	int pass, r1, r2;

	for (pass = 0; pass < DRAIN_PASSES && total < DRAIN_MAX; pass++) {
		before = pm->ss->received;
		if ((r1 = read_stream(pm, 1, &total)) == -1 ||
		    (r2 = read_stream(pm, 2, &total)) == -1)
			return -1;
		if (r2 == 0)
			drop_other(pm);
		if (r1 == 0 && r2 == 0 && pm->ss->received == before)
			return 0;
	}
	return 1;
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
