/*
 * Log records, text or JSON Lines.  Remote output is streamed: each stream
 * keeps at most one partial line of LOG_LINE_MAX bytes, stamped when its
 * first byte arrived; whole records are assembled in one buffer and written
 * with as few write(2) calls as possible, never splitting a record.
 *
 * A write that fails (disk full, I/O error, file too large) never stops or
 * stalls the run: each flush tries once, and the records it could not
 * write are counted and dropped, so memory stays constant and a later
 * flush writes again when space comes back.  A record cut by a failed
 * write is terminated before anything else is written after it: by this
 * run's next flush, or by the next run that opens the file.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "diag.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#define BUFSZ		(64 * 1024)
#define HDR_MAX		128	/* text header or JSON prefix */
#define ESC_MAX(n)	((n) * 6 + 16)	/* worst case: \u00XX per byte */
#define CUT_SCAN	(64 * 1024)	/* how far back to look for a newline */
#define CUT_TEXT	128
#define LOCK_WAIT_MS	1000
#define SETTLE_MS	20	/* a cut stays; a write in progress goes on */
#define SETTLE_TRIES	5
#define NOEOL_OUT	1
#define NOEOL_ERR	2

struct partial {
	char		 buf[LOG_LINE_MAX];
	size_t		 len;
	struct timespec	 first;		/* arrival of the first byte */
};

static int		 logfd = -1;
static int		 readfd = -1;	/* the same file, to read its end */
static char		*logname;
static enum logformat	 format;
static char		*params;
static pid_t		 pid;
static char		 obuf[BUFSZ];
static size_t		 olen;
static struct partial	 part[2];	/* stdout, stderr */
static int		 noeol;		/* NOEOL_*: a last line without LF */

/* failed writes */
static struct logloss	 loss;
static int		 troubled;	/* the file may end in a cut record */
static int		 lock_given_up;

/* cached per-second time prefix */
static time_t		 stamp_sec = -1;
static char		 stamp[64];
static size_t		 stamp_len;
static char		 stamp_zone[8];	/* +09:00 */

/* 0: copy, 1: escape, 2..4: UTF-8 lead with that many bytes */
static unsigned char	 bclass[256];

static void
classes_init(void)
{
	int c;

	for (c = 0; c < 256; c++) {
		if (c < 0x20 || c == 0x7f || c == '\\' || c == '"' ||
		    (c == ']' && format == LOG_TEXT))
			bclass[c] = 1;
		else if (c < 0x80)
			bclass[c] = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			bclass[c] = 2;
		else if (c >= 0xe0 && c <= 0xef)
			bclass[c] = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			bclass[c] = 4;
		else
			bclass[c] = 1;
	}
}

/*
 * One byte as vis(3) VIS_CSTYLE|VIS_OCTAL would write it.  NUL is \0
 * unless an octal digit follows or the text ends there: the pieces of an
 * over-long line may be joined before they are decoded.
 */
static char *
vis_byte(char *d, unsigned char c, const unsigned char *next,
    const unsigned char *end)
{
	static const char cstyle[] = "\aa\bb\ff\nn\rr\vv";
	const char *s;

	/* "] END," inside remote text must not look like a record to grep */
	if (c == ']' && end - next >= 5 && memcmp(next, " END,", 5) == 0)
		return octal_escape(d, c);
	if (c == ']' || c == '"' || c == '\t') {
		*d++ = c;
		return d;
	}
	*d++ = '\\';
	if (c == '\\') {
		*d++ = '\\';
		return d;
	}
	if (c == '\0') {
		if (next == end || (*next >= '0' && *next <= '7'))
			return octal_escape(d - 1, c);
		*d++ = '0';
		return d;
	}
	for (s = cstyle; *s != '\0'; s += 2)
		if ((unsigned char)s[0] == c) {
			*d++ = s[1];
			return d;
		}
	return octal_escape(d - 1, c);
}

/* The JSON escape of a code point below U+0100. */
static char *
json_u00(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*d++ = '\\';
	*d++ = 'u';
	*d++ = '0';
	*d++ = '0';
	*d++ = hex[c >> 4];
	*d++ = hex[c & 15];
	return d;
}

/* One ASCII byte escaped for a JSON string (RFC 8259). */
static char *
json_byte(char *d, unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
		break;
	case '\n':
		c = 'n';
		break;
	case '\r':
		c = 'r';
		break;
	case '\t':
		c = 't';
		break;
	default:
		return json_u00(d, c);
	}
	*d++ = '\\';
	*d++ = c;
	return d;
}

/*
 * In a JSON string, what is not printable UTF-8 at *pp: a C1 control
 * (c2 80..c2 9f) as its code point, an ASCII byte escaped, or U+FFFD for
 * a byte that is not UTF-8; *invalid then says that the record needs its
 * exact bytes in base64 too.
 */
static char *
json_char(char *d, const unsigned char **pp, const unsigned char *end,
    int *invalid)
{
	const unsigned char *p = *pp;

	if (p[0] == 0xc2 && end - p >= 2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		*pp = p + 2;
		return json_u00(d, p[1]);
	}
	*pp = p + 1;
	if (p[0] < 0x80)
		return json_byte(d, p[0]);
	*invalid = 1;
	memcpy(d, "\xef\xbf\xbd", 3);
	return d + 3;
}

/*
 * Escape len bytes of s into d (room for ESC_MAX(len)); printable ASCII and
 * valid printable UTF-8 are copied, everything else escaped reversibly in
 * text, and in JSON as json_char says.
 */
static char *
escape(char *d, const char *s, size_t len, int *invalid)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *run;
	size_t n;

	while (p < end) {
		for (run = p; p < end && bclass[*p] == 0; p++)
			;
		if (p > run) {
			memcpy(d, run, p - run);
			d += p - run;
			continue;
		}
		if (bclass[*p] > 1 && (n = utf8_len(p, end)) > 0) {
			memcpy(d, p, n);
			d += n;
			p += n;
			continue;
		}
		if (format == LOG_JSON)
			d = json_char(d, &p, end, invalid);
		else {
			d = vis_byte(d, *p, p + 1, end);
			p++;
		}
	}
	return d;
}

static void
stamp_update(const struct timespec *ts)
{
	struct tm tm;
	char zone[8];

	if (ts->tv_sec == stamp_sec)
		return;
	stamp_sec = ts->tv_sec;
	if (localtime_r(&ts->tv_sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (format == LOG_TEXT) {
		stamp_len = strftime(stamp, sizeof(stamp),
		    "[%Y-%m-%d %H:%M:%S]", &tm);
		stamp_len += snprintf(stamp + stamp_len,
		    sizeof(stamp) - stamp_len, "[%ld] ", (long)pid);
		return;
	}
	stamp_len = strftime(stamp, sizeof(stamp),
	    "{\"time\":\"%Y-%m-%dT%H:%M:%S.", &tm);
	/* RFC 3339 wants +09:00 where strftime gives +0900 */
	if (strftime(zone, sizeof(zone), "%z", &tm) != 5)
		strlcpy(zone, "+0000", sizeof(zone));
	snprintf(stamp_zone, sizeof(stamp_zone), "%.3s:%.2s", zone,
	    zone + 3);
}

/* Start a record of the given kind at d; returns where its text goes. */
static char *
record_open(char *d, const struct timespec *ts, const char *kind)
{
	long ms;

	stamp_update(ts);
	memcpy(d, stamp, stamp_len);
	d += stamp_len;
	if (format == LOG_TEXT) {
		d = stpcpy(d, kind);
		*d++ = ',';
		return d;
	}
	ms = ts->tv_nsec / 1000000;
	*d++ = '0' + ms / 100;
	*d++ = '0' + ms / 10 % 10;
	*d++ = '0' + ms % 10;
	d += sprintf(d, "%s\",\"pid\":%ld,\"kind\":\"%s\",\"line\":\"",
	    stamp_zone, (long)pid, kind);
	return d;
}

/*
 * Close the record at d: in JSON, the exact bytes in base64 when the line
 * is not valid UTF-8, then the extra members.  Returns the end.
 */
static char *
record_close(char *d, const char *text, size_t len, int invalid,
    const char *extra)
{
	ssize_t n;

	if (format == LOG_TEXT) {
		*d++ = '\n';
		return d;
	}
	*d++ = '"';
	if (invalid) {
		d = stpcpy(d, ",\"base64\":\"");
		if ((n = b64_encode(d, b64_encode_len(len, B64_PAD) + 1, text,
		    len, B64_PAD)) == -1)
			errx(1, "base64: no room");
		d += n;
		*d++ = '"';
	}
	d = stpcpy(d, extra != NULL ? extra : "");
	*d++ = '}';
	*d++ = '\n';
	return d;
}

/* The room a record needs before it is escaped. */
static size_t
record_room(size_t len, const char *extra)
{
	size_t need = HDR_MAX + ESC_MAX(len) + (extra ? strlen(extra) : 0);

	if (format == LOG_JSON)
		need += b64_encode_len(len, B64_PAD) + 16;
	return need;
}

/* Make one record at d (room for record_room()); returns its end. */
static char *
compose(char *d, const struct timespec *ts, const char *kind,
    const char *text, size_t len, const char *extra)
{
	int invalid = 0;

	d = record_open(d, ts, kind);
	d = escape(d, text, len, &invalid);
	return record_close(d, text, len, invalid, extra);
}

static void
now(struct timespec *ts)
{
	if (clock_gettime(CLOCK_REALTIME, ts) == -1)
		err(1, "clock_gettime");
}

/* write(2) until all is written or a write fails; returns what was. */
static size_t
write_some(const char *buf, size_t len, int *error)
{
	size_t done = 0;
	ssize_t n;

	*error = 0;
	while (done < len) {
		n = write(logfd, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*error = n == 0 ? EIO : errno;
			break;
		}
		done += n;
	}
	return done;
}

/* A write failed: the file may now end in a cut record. */
static void
failure(int error)
{
	static int noticed;

	if (!noticed)
		diag_syslog(LOG_WARNING, "log %s: %s; the run goes on, and "
		    "the records that cannot be written are counted",
		    logname, strerror(error));
	noticed = 1;
	loss.error = error;
	troubled = 1;
}

/*
 * Whole records at buf of which only done bytes were written: count the
 * rest, a record cut in the middle included, as lost.
 */
static void
lose(const char *buf, size_t len, size_t done, int error)
{
	const char *nl, *p, *end = buf + len;
	size_t start = 0;

	if ((nl = memrchr(buf, '\n', done)) != NULL)
		start = nl - buf + 1;
	for (p = buf + start; p < end &&
	    (p = memchr(p, '\n', end - p)) != NULL; p++)
		loss.records++;
	loss.bytes += len - start;
	failure(error);
}

/*
 * flock(2) the file, waiting at most LOCK_WAIT_MS: a holder that is
 * stopped must not stop us, so after that we go on without the lock, and
 * do not wait for it again.  Returns 1 when locked.
 */
static int
lock_file(void)
{
	const struct timespec nap = { 0, 10 * 1000 * 1000 };
	int64_t until = now_ms() + LOCK_WAIT_MS;

	while (flock(logfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return 0;	/* no locks on this file system */
		if (lock_given_up || now_ms() >= until) {
			lock_given_up = 1;
			return 0;
		}
		(void)nanosleep(&nap, NULL);
	}
	return 1;
}

/*
 * The bytes after the last newline of the file, of *size bytes: 0 when it
 * ends in one (or cannot be read: then there is nothing we could repair),
 * CUT_SCAN + 1 when no newline is in the last CUT_SCAN bytes.
 */
static off_t
cut_length(off_t *size)
{
	char buf[4096], *nl;
	struct stat st;
	off_t off;
	size_t n;

	if (fstat(readfd, &st) == -1)
		return 0;
	*size = st.st_size;
	for (off = st.st_size; off > 0 && st.st_size - off < CUT_SCAN;
	    off -= n) {
		n = off < (off_t)sizeof(buf) ? (size_t)off : sizeof(buf);
		if (pread(readfd, buf, n, off - n) != (ssize_t)n)
			return 0;
		if ((nl = memrchr(buf, '\n', n)) != NULL)
			return st.st_size - (off - n + (nl - buf) + 1);
	}
	return off > 0 ? CUT_SCAN + 1 : st.st_size;
}

/*
 * A record cut at the end of the file, or another run's write still in
 * progress?  A reader can see half of a write (the size grows as its pages
 * are copied in), but only for a moment, while a cut stays as it is: so a
 * cut counts once the file has not changed for SETTLE_MS.  A file that
 * keeps growing is being written to: what is at its end now will be
 * followed by more, and is not ours to terminate.
 */
static off_t
settled_cut(void)
{
	const struct timespec nap = { 0, SETTLE_MS * 1000 * 1000 };
	static off_t settled = -1;	/* the size of the file a cut had */
	off_t cut, size, before;
	int i;

	/* on a full disk the file stays as it is: wait once, not per flush */
	if ((cut = cut_length(&size)) == 0 || size == settled)
		return cut;
	for (i = 0; i < SETTLE_TRIES; i++) {
		before = size;
		(void)nanosleep(&nap, NULL);
		if ((cut = cut_length(&size)) == 0)
			return 0;
		if (size == before) {
			settled = size;
			return cut;
		}
	}
	return 0;
}

/*
 * Terminate a record cut at the end of the file (by a failed write, ours
 * or another run's) with a newline and an error record saying so, in one
 * write(2), so that whatever comes next starts a line.
 *
 * Runs that open the same file at once would each see the cut and each
 * add a newline, leaving an empty line: the look and the write are made
 * under flock(2) on the file, which only this repair takes, so the second
 * repairer sees the first one's record at the end and leaves it.  Other
 * runs' records are single O_APPEND writes and need no lock: each lands
 * whole, before our look or after our write (then after our newline).
 * One that lands on the fragment before we look glues onto it; no lock
 * short of one around every write of every run could prevent that, and
 * the error record still says that the line was cut.  A write in progress
 * is not a cut (settled_cut).  Returns 0, or -1 if the cut is still there.
 */
static int
repair(void)
{
	char buf[1 + HDR_MAX + ESC_MAX(CUT_TEXT)], text[CUT_TEXT];
	struct timespec ts;
	size_t len;
	off_t cut;
	int locked, error, n, rc = 0;

	locked = lock_file();
	if ((cut = settled_cut()) > 0) {
		n = snprintf(text, sizeof(text), "a previous record at the end "
		    "of this file was cut (%s%lld bytes without a newline); "
		    "terminated", cut > CUT_SCAN ? "more than " : "",
		    (long long)(cut > CUT_SCAN ? CUT_SCAN : cut));
		now(&ts);
		buf[0] = '\n';
		len = compose(buf + 1, &ts, "error", text, n, NULL) - buf;
		/* not counted: it is tried again, and says nothing of ours */
		if (write_some(buf, len, &error) < len) {
			failure(error);
			rc = -1;
		}
	}
	if (locked)
		(void)flock(logfd, LOCK_UN);
	return rc;
}

/*
 * Write whole records, trying once.  After a failure the file may end in
 * a cut record: terminate it first, or write nothing onto it.
 */
static void
put(const char *buf, size_t len)
{
	size_t done;
	int error;

	if (troubled && readfd != -1 && repair() == -1) {
		lose(buf, len, 0, loss.error);
		return;
	}
	if ((done = write_some(buf, len, &error)) < len)
		lose(buf, len, done, error);
	else
		troubled = 0;
}

void
log_flush(void)
{
	if (olen > 0)
		put(obuf, olen);
	olen = 0;
}

/* Flush, then what this run could not write; 1 if anything. */
int
log_loss(struct logloss *l)
{
	log_flush();
	*l = loss;
	return loss.records > 0;
}

/*
 * Append one record; text is escaped.  A record too big for the batch
 * buffer is written on its own, still with one write(2).
 */
static void
record(const struct timespec *ts, const char *kind, const char *text,
    size_t len, const char *extra)
{
	size_t need = record_room(len, extra);
	char *big = NULL, *start, *d;

	if (logfd == -1)
		return;
	if (need > sizeof(obuf) - olen)
		log_flush();
	if (need > sizeof(obuf)) {
		if ((big = malloc(need)) == NULL)
			err(1, NULL);
		start = big;
	} else
		start = obuf + olen;
	d = compose(start, ts, kind, text, len, extra);
	if (big != NULL) {
		put(big, d - big);
		free(big);
	} else
		olen += d - start;
}

/* Expand strftime(3) escapes in the log path, once, at START. */
char *
log_path(const char *fmt)
{
	struct tm tm;
	time_t t = time(NULL);
	size_t sz, n;
	char *buf = NULL, *nbuf;

	if (localtime_r(&t, &tm) == NULL)
		return NULL;
	for (sz = strlen(fmt) + 64; sz < 65536; sz *= 2) {
		if ((nbuf = realloc(buf, sz)) == NULL)
			err(1, NULL);
		buf = nbuf;
		/* the user's strftime(3) escapes are the point of the path */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = strftime(buf, sz, fmt, &tm);
#pragma GCC diagnostic pop
		if (n > 0 || *fmt == '\0')
			break;
	}
	if (*fmt != '\0' && (sz >= 65536 || buf[0] == '\0')) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int
open_file(const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO planted at the path must not block the open */
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link, refused" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISCHR(st.st_mode) && st.st_uid != geteuid()) {
		snprintf(errbuf, errlen, "%s: owned by uid %ld, not by us, "
		    "refused", path, (long)st.st_uid);
		close(fd);
		return -1;
	}
	if (fcntl(fd, F_SETFL, O_APPEND) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A descriptor to read the end of the log file that fd is open on (one
 * opened for writing cannot), or -1 when it is not a regular file.  It is
 * opened by name again, so it must be the same file.
 */
static int
open_reader(const char *path, int fd)
{
	struct stat a, b;
	int r;

	if (fstat(fd, &a) == -1 || !S_ISREG(a.st_mode))
		return -1;
	r = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (r == -1)
		return -1;
	if (fstat(r, &b) == -1 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		close(r);
		return -1;
	}
	return r;
}

/*
 * Open the log; "-" is standard output.  Returns -1 with a message.  The
 * first flush (START's) looks at the end of a regular file first, for a
 * record that an earlier run could not finish.
 */
int
log_open(const char *path, enum logformat fmt, char *errbuf, size_t errlen)
{
	format = fmt;
	classes_init();
	pid = getpid();
	tzset();
	logname = xstrdup(path);
	if (strcmp(path, "-") == 0)
		logfd = STDOUT_FILENO;
	else if ((logfd = open_file(path, errbuf, errlen)) == -1)
		return -1;
	else
		readfd = open_reader(path, logfd);
	troubled = readfd != -1;
	return 0;
}

/* The log's path as given ("-" for standard output). */
const char *
log_name(void)
{
	return logname != NULL ? logname : "-";
}

static char *
params_json(const char *prefix)
{
	char *s, *d;
	size_t len = strlen(params);
	int invalid;

	if ((s = malloc(strlen(prefix) + ESC_MAX(len) + 16)) == NULL)
		err(1, NULL);
	d = stpcpy(s, prefix);
	d = stpcpy(d, ",\"params\":\"");
	d = escape(d, params, len, &invalid);
	strcpy(d, "\"");
	return s;
}

/* START; -1 with errno set if it could not be written. */
int
log_start(const char *p)
{
	struct timespec ts;
	char *line, *extra = NULL;

	if ((params = strdup(p)) == NULL)
		err(1, NULL);
	if (asprintf(&line, "-,%s", params) == -1)
		err(1, NULL);
	if (format == LOG_JSON)
		extra = params_json("");
	now(&ts);
	record(&ts, format == LOG_JSON ? "start" : "START", line,
	    strlen(line), extra);
	log_flush();
	free(line);
	free(extra);
	if (loss.records > 0) {
		errno = loss.error;
		return -1;
	}
	return 0;
}

void
log_msg(const char *kind, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1)
		err(1, NULL);
	now(&ts);
	record(&ts, kind, text, n, NULL);
	log_flush();
	free(text);
}

/* The optional trailing fields of stats: " lost=N noeol=LIST". */
static void
stats_tail(char *text, size_t tlen, char *json, size_t jlen)
{
	static const char *const streams[] = { "", "out", "err", "out,err" };
	size_t t = 0, j = 0;

	text[0] = json[0] = '\0';
	if (loss.records > 0) {
		t = snprintf(text, tlen, " lost=%llu",
		    (unsigned long long)loss.records);
		j = snprintf(json, jlen, ",\"lost\":%llu",
		    (unsigned long long)loss.records);
	}
	if (noeol != 0) {
		snprintf(text + t, tlen - t, " noeol=%s", streams[noeol]);
		snprintf(json + j, jlen - j, ",\"noeol\":\"%s\"",
		    streams[noeol]);
	}
}

/* stats, with lost= counted up to here (a flush first). */
void
log_stats(const struct logstats *st)
{
	struct timespec ts;
	char *text, extra[384], tail[64], jtail[64];
	int n;

	log_flush();
	stats_tail(tail, sizeof(tail), jtail, sizeof(jtail));
	n = asprintf(&text, "elapsed=%.3f out=%llu err=%llu attempts=%d "
	    "reason=%s%s", st->elapsed, (unsigned long long)st->out,
	    (unsigned long long)st->err, st->attempts, st->reason, tail);
	if (n == -1)
		err(1, NULL);
	snprintf(extra, sizeof(extra), ",\"elapsed\":%.3f,\"out\":%llu,"
	    "\"err\":%llu,\"attempts\":%d,\"reason\":\"%s\"%s", st->elapsed,
	    (unsigned long long)st->out, (unsigned long long)st->err,
	    st->attempts, st->reason, jtail);
	now(&ts);
	record(&ts, "stats", text, n, format == LOG_JSON ? extra : NULL);
	log_flush();
	free(text);
}

void
log_end(int rc)
{
	struct timespec ts;
	char *line, *extra = NULL, prefix[32];
	int n;

	n = asprintf(&line, "%d,%s", rc, params != NULL ? params : "");
	if (n == -1)
		err(1, NULL);
	if (format == LOG_JSON && params != NULL) {
		snprintf(prefix, sizeof(prefix), ",\"rc\":%d", rc);
		extra = params_json(prefix);
	}
	now(&ts);
	record(&ts, format == LOG_JSON ? "end" : "END", line, n, extra);
	log_flush();
	free(line);
	free(extra);
}

static const char *
stream_kind(int stream, int cont)
{
	if (stream == 1)
		return cont ? "out+" : "out";
	return cont ? "err+" : "err";
}

/* Cut point for an over-long line: not inside a UTF-8 sequence. */
static size_t
split_point(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = len; i > 0 && len - i < 4; i--) {
		if ((p[i - 1] & 0xc0) == 0x80)
			continue;
		/* p[i - 1] starts a sequence; cut before it if incomplete */
		if (bclass[p[i - 1]] > 1 && i - 1 + bclass[p[i - 1]] > len &&
		    i > 1)
			return i - 1;
		return len;
	}
	return len;
}

static void
partial_emit(int stream, struct partial *pt, int cont)
{
	record(&pt->first, stream_kind(stream, cont), pt->buf, pt->len, NULL);
	pt->len = 0;
}

/* A whole line at buf (none pending): straight to its record. */
static size_t
whole_line(int stream, const struct timespec *ts, const char *buf,
    size_t len)
{
	const char *nl;
	size_t n = len < LOG_LINE_MAX ? len : LOG_LINE_MAX;

	if ((nl = memchr(buf, '\n', n)) == NULL)
		return 0;
	record(ts, stream_kind(stream, 0), buf, nl - buf, NULL);
	return nl - buf + 1;
}

/* The pending line is full and goes on: log a piece, keep split UTF-8. */
static void
overlong_line(int stream, struct partial *pt, const struct timespec *ts)
{
	size_t cut, rest;

	cut = split_point(pt->buf, pt->len);
	rest = pt->len - cut;
	pt->len = cut;
	partial_emit(stream, pt, 1);
	memmove(pt->buf, pt->buf + cut, rest);
	pt->len = rest;
	pt->first = *ts;
}

/* Add to the stream's pending line; returns the bytes taken from buf. */
static size_t
partial_line(int stream, struct partial *pt, const struct timespec *ts,
    const char *buf, size_t len)
{
	size_t room = sizeof(pt->buf) - pt->len, n = len < room ? len : room;
	const char *nl;

	if (pt->len == 0)
		pt->first = *ts;
	if ((nl = memchr(buf, '\n', n)) != NULL)
		n = nl - buf;
	memcpy(pt->buf + pt->len, buf, n);
	pt->len += n;
	if (nl == NULL && pt->len == sizeof(pt->buf) && n < len) {
		if (buf[n] != '\n') {
			overlong_line(stream, pt, ts);
			return n;
		}
		nl = buf + n;
	}
	if (nl == NULL)
		return n;
	partial_emit(stream, pt, 0);
	return n + 1;
}

/*
 * Feed remote output (stream 1 = stdout, 2 = stderr).  Complete lines
 * become records; the rest waits in the stream's pending line.
 */
void
log_output(int stream, const char *buf, size_t len)
{
	struct partial *pt = &part[stream == 1 ? 0 : 1];
	struct timespec ts;
	size_t n;

	now(&ts);
	while (len > 0) {
		n = pt->len == 0 ? whole_line(stream, &ts, buf, len) : 0;
		if (n == 0)
			n = partial_line(stream, pt, &ts, buf, len);
		buf += n;
		len -= n;
	}
}

/*
 * End of a stream: a last line without newline is still a line, and
 * stats says that it had none.
 */
void
log_output_end(int stream)
{
	struct partial *pt = &part[stream == 1 ? 0 : 1];

	if (pt->len > 0) {
		partial_emit(stream, pt, 0);
		noeol |= stream == 1 ? NOEOL_OUT : NOEOL_ERR;
	}
}
