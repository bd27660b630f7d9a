/*
 * A reader of the start of an SSH connection, fed the server's bytes as
 * they come: version exchange as OpenSSH's kex_exchange_identification()
 * takes it (pre-banner lines, CR LF, caps), then plaintext binary packets
 * (RFC 4253 6) up to the KEXINIT.  Every length is checked against what is
 * left: the server may be hostile.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kexprobe.h"

#define BANNER		"SSH-2.0-remoteexe_probe\r\n"
#define LINE_MAX_LEN	8192	/* OpenSSH's SSH_MAX_BANNER_LEN */
#define PREBANNER_MAX	1024	/* OpenSSH's SSH_MAX_PRE_BANNER_LINES */
#define PACKET_MAX	35000	/* RFC 4253 6.1: what every party takes */
#define SKIP_MAX	8	/* IGNORE and DEBUG packets before KEXINIT */
#define DEFAULT_MS	10000

#define MSG_DISCONNECT	1
#define MSG_IGNORE	2
#define MSG_DEBUG	4
#define MSG_KEXINIT	20

enum state {
	S_LINE,		/* before the server's version string */
	S_PACKET,
	S_DONE,
	S_FAIL
};

struct kexscan {
	enum state	 state;
	size_t		 linelen;
	int		 cr;		/* a CR must be followed by LF */
	char		 head[16];	/* the first bytes of the line */
	unsigned	 lines;		/* before the version */
	unsigned	 skipped;	/* IGNORE and DEBUG packets */
	unsigned char	 pkt[PACKET_MAX];
	size_t		 have;		/* bytes of pkt filled */
	char		*algs;
	size_t		 algslen;
	char		 err[160];
};

static enum state __attribute__((format(printf, 2, 3)))
scan_fail(struct kexscan *ks, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(ks->err, sizeof(ks->err), fmt, ap);
	va_end(ap);
	return ks->state = S_FAIL;
}

/* Server text in a message: printable ASCII only, at most max bytes. */
static void
printable(char *d, size_t dsz, const unsigned char *s, size_t len,
    size_t max)
{
	size_t i, n = len < max ? len : max;

	if (n > dsz - 1)
		n = dsz - 1;
	for (i = 0; i < n; i++)
		d[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	d[n] = '\0';
}

/* A whole line arrived: the version string, or one more line before it. */
static enum state
scan_line_end(struct kexscan *ks)
{
	char shown[sizeof(ks->head) + 1];
	size_t n = ks->linelen < sizeof(ks->head) ? ks->linelen :
	    sizeof(ks->head);

	if (ks->linelen > 4 && memcmp(ks->head, "SSH-", 4) == 0) {
		if ((n >= 8 && memcmp(ks->head, "SSH-2.0-", 8) == 0) ||
		    (n >= 9 && memcmp(ks->head, "SSH-1.99-", 9) == 0))
			return ks->state = S_PACKET;
		printable(shown, sizeof(shown), (unsigned char *)ks->head, n,
		    n);
		return scan_fail(ks, "the server speaks another protocol "
		    "version: %s", shown);
	}
	if (++ks->lines >= PREBANNER_MAX)
		return scan_fail(ks, "%u lines before the server's version "
		    "string", ks->lines);
	ks->linelen = 0;
	return S_LINE;
}

/* One byte of a line; the state after it. */
static enum state
scan_line_byte(struct kexscan *ks, unsigned char c)
{
	if (c == '\r') {
		ks->cr = 1;
		return S_LINE;
	}
	if (c == '\n') {
		ks->cr = 0;
		return scan_line_end(ks);
	}
	if (c == '\0' || ks->cr)
		return scan_fail(ks, "a line from the server holds a NUL or a "
		    "lone CR");
	if (ks->linelen < sizeof(ks->head))
		ks->head[ks->linelen] = c;
	if (++ks->linelen > LINE_MAX_LEN)
		return scan_fail(ks, "a line of over %d bytes from the server",
		    LINE_MAX_LEN);
	return S_LINE;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A string at *p of the len bytes left; its length, or -1. */
static long
get_string(const unsigned char **p, size_t *left, const unsigned char **s)
{
	uint32_t n;

	if (*left < 4 || (n = get32(*p)) > *left - 4)
		return -1;
	*s = *p + 4;
	*p += 4 + n;
	*left -= 4 + n;
	return (long)n;
}

/* The name-list of a KEXINIT payload after its message number. */
static enum state
scan_kexinit(struct kexscan *ks, const unsigned char *p, size_t left)
{
	const unsigned char *kex, *hk;
	long n;
	size_t i;

	if (left < 16)
		return scan_fail(ks, "a KEXINIT of %zu bytes", left);
	p += 16;			/* cookie */
	left -= 16;
	if (get_string(&p, &left, &kex) == -1 ||
	    (n = get_string(&p, &left, &hk)) == -1)
		return scan_fail(ks, "a KEXINIT cut short");
	if (n == 0)
		return scan_fail(ks, "the server offers no host key algorithm");
	for (i = 0; i < (size_t)n; i++)
		if (hk[i] <= 0x20 || hk[i] >= 0x7f)
			return scan_fail(ks, "a host key algorithm list with "
			    "byte 0x%02x", hk[i]);
	if ((size_t)n >= ks->algslen)
		return scan_fail(ks, "a host key algorithm list of %ld bytes",
		    n);
	memcpy(ks->algs, hk, n);
	ks->algs[n] = '\0';
	return ks->state = S_DONE;
}

static enum state
scan_disconnect(struct kexscan *ks, const unsigned char *p, size_t left)
{
	const unsigned char *s;
	char why[81];
	long n;

	if (left < 4)
		return scan_fail(ks, "the server disconnected");
	p += 4;				/* reason code */
	left -= 4;
	if ((n = get_string(&p, &left, &s)) == -1)
		return scan_fail(ks, "the server disconnected");
	printable(why, sizeof(why), s, (size_t)n, sizeof(why) - 1);
	return scan_fail(ks, "the server disconnected: %s", why);
}

/* A whole packet is in pkt: the KEXINIT, or a message that may precede it. */
static enum state
scan_packet(struct kexscan *ks)
{
	uint32_t len = get32(ks->pkt);
	unsigned pad = ks->pkt[4];
	const unsigned char *payload = ks->pkt + 5;
	size_t plen;

	if (pad < 4 || pad > len - 2)
		return scan_fail(ks, "a packet of %u bytes with %u bytes of "
		    "padding", (unsigned)len, pad);
	plen = len - 1 - pad;
	ks->have = 0;
	switch (payload[0]) {
	case MSG_KEXINIT:
		return scan_kexinit(ks, payload + 1, plen - 1);
	case MSG_DISCONNECT:
		return scan_disconnect(ks, payload + 1, plen - 1);
	case MSG_IGNORE:
	case MSG_DEBUG:
		if (++ks->skipped <= SKIP_MAX)
			return S_PACKET;
		return scan_fail(ks, "over %d IGNORE or DEBUG messages before "
		    "the KEXINIT", SKIP_MAX);
	}
	return scan_fail(ks, "the server's first message is %u, not KEXINIT",
	    payload[0]);
}

/* Take up to n bytes of a packet; how many were used. */
static size_t
scan_packet_bytes(struct kexscan *ks, const unsigned char *p, size_t n)
{
	size_t need = 4, take;
	uint32_t len;

	if (ks->have >= 4) {
		len = get32(ks->pkt);
		if (len < 5 || len > PACKET_MAX - 4) {
			scan_fail(ks, "a packet of %lu bytes",
			    (unsigned long)len);
			return 0;
		}
		need = 4 + len;
	}
	take = need - ks->have < n ? need - ks->have : n;
	memcpy(ks->pkt + ks->have, p, take);
	ks->have += take;
	if (ks->have == need && need > 4)
		scan_packet(ks);
	return take;
}

/* Feed n bytes from the server: the state after them. */
static enum state
scan_feed(struct kexscan *ks, const unsigned char *p, size_t n)
{
	size_t used;

	while (n > 0 && (ks->state == S_LINE || ks->state == S_PACKET)) {
		if (ks->state == S_LINE) {
			scan_line_byte(ks, *p);
			used = 1;
		} else
			used = scan_packet_bytes(ks, p, n);
		p += used;
		n -= used;
	}
	return ks->state;
}

static void
scan_init(struct kexscan *ks, char *algs, size_t algslen)
{
	memset(ks, 0, sizeof(*ks));
	ks->state = S_LINE;
	ks->algs = algs;
	ks->algslen = algslen;
}

/* --- the socket -------------------------------------------------------- */

/* The clock of the caller's deadline (session.c's now_ms()). */
static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum kexprobe
wait_fd(int fd, short events, int64_t deadline, int wakefd)
{
	struct pollfd pfd[2] = { { fd, events, 0 }, { wakefd, POLLIN, 0 } };
	int64_t left;
	int n;

	for (;;) {
		if ((left = deadline - monotonic_ms()) <= 0)
			return KP_TIMEOUT;
		n = poll(pfd, wakefd >= 0 ? 2 : 1, left > 60000 ? 60000 :
		    (int)left);
		if (n == -1 && errno != EINTR)
			return KP_ERROR;
		if (n > 0 && wakefd >= 0 && pfd[1].revents != 0)
			return KP_WAKE;
		if (n > 0 && pfd[0].revents != 0)
			return KP_OK;
	}
}

static enum kexprobe
send_banner(int fd, int64_t deadline, int wakefd)
{
	const char *p = BANNER;
	size_t left = sizeof(BANNER) - 1;
	enum kexprobe w;
	ssize_t n;

	while (left > 0) {
		if ((n = send(fd, p, left, MSG_NOSIGNAL)) > 0) {
			p += n;
			left -= n;
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = wait_fd(fd, POLLOUT, deadline, wakefd)) !=
			    KP_OK)
				return w;
		} else
			return KP_ERROR;
	}
	return KP_OK;
}

static enum kexprobe
read_server(struct kexscan *ks, int fd, int64_t deadline, int wakefd)
{
	unsigned char buf[4096];
	enum kexprobe w;
	ssize_t n;

	while (ks->state != S_DONE) {
		if (ks->state == S_FAIL)
			return KP_ERROR;
		if ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			scan_feed(ks, buf, (size_t)n);
		else if (n == 0) {
			snprintf(ks->err, sizeof(ks->err), "the server closed "
			    "the connection");
			return KP_ERROR;
		} else if (errno == EAGAIN || errno == EINTR) {
			if ((w = wait_fd(fd, POLLIN, deadline, wakefd)) != KP_OK)
				return w;
		} else
			return KP_ERROR;
	}
	return KP_OK;
}

enum kexprobe
kexprobe(int fd, int64_t deadline, int wakefd, char *algs, size_t algslen,
    char *err, size_t errlen)
{
	struct kexscan *ks;
	enum kexprobe rc;

	if (deadline == 0)
		deadline = monotonic_ms() + DEFAULT_MS;
	if ((ks = malloc(sizeof(*ks))) == NULL)
		return KP_ERROR;
	scan_init(ks, algs, algslen);
	errno = 0;
	if ((rc = send_banner(fd, deadline, wakefd)) == KP_OK)
		rc = read_server(ks, fd, deadline, wakefd);
	if (rc == KP_TIMEOUT)
		snprintf(err, errlen, "timed out");
	else if (rc == KP_WAKE)
		snprintf(err, errlen, "interrupted");
	else if (rc == KP_ERROR)
		snprintf(err, errlen, "%s", ks->err[0] != '\0' ? ks->err :
		    strerror(errno));
	free(ks);
	return rc;
}
