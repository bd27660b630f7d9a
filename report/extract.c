/*
 * Rebuild one run's stream from its out/out+ (err/err+) records: each
 * out record is a line and its LF, each out+ a piece without one; the
 * last LF is dropped when the run's stats say noeol for that stream.
 * Which run is meant is only known at the end of the input (a PID may
 * have several runs), so the first candidate is spooled to an unlinked
 * temporary file and copied out once it is the only one.
 */
#include <err.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract.h"
#include "util.h"

#define CANDIDATES_SHOWN	20

static struct {
	long		 pid;
	int		 has_start;
	int64_t		 start;		/* s */
	int		 stream;	/* 1 stdout, 2 stderr */
	int		 current;	/* inside a candidate run */
	size_t		 ncand;
	int64_t		 cand[CANDIDATES_SHOWN];
	FILE		*spool;
	int		 pending_nl;
	int		 noeol;
	int64_t		 lost;
	int		 ended;
	char		*buf;
	size_t		 cap;
} x;

static FILE *
spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	FILE *fp;
	int fd;

	if (asprintf(&path, "%s/remoteexe-report.XXXXXX", dir != NULL &&
	    *dir != '\0' ? dir : "/tmp") == -1)
		err(2, NULL);
	if ((fd = mkstemp(path)) == -1)
		err(2, "%s", path);
	if (unlink(path) == -1)
		err(2, "%s", path);
	if ((fp = fdopen(fd, "w+")) == NULL)
		err(2, "%s", path);
	free(path);
	return fp;
}

void
extract_init(long pid, int has_start, int64_t start_ms, int stream)
{
	x.pid = pid;
	x.has_start = has_start;
	x.start = start_ms / 1000;
	x.stream = stream;
	x.spool = spool_open();
}

static int
piece(const struct record *r, int line)
{
	ssize_t n;

	if (r->bytes.len >= x.cap) {
		x.cap = r->bytes.len + 4096;
		free(x.buf);
		x.buf = xmalloc(x.cap);
	}
	if ((n = rstr_decode(&r->bytes, x.buf)) < 0)
		return -1;
	if (x.pending_nl && fputc('\n', x.spool) == EOF)
		err(2, "spool");
	if (fwrite(x.buf, 1, n, x.spool) != (size_t)n)
		err(2, "spool");
	x.pending_nl = line;
	return 0;
}

static void
candidate(const struct record *r)
{
	x.current = !x.has_start || r->ms / 1000 == x.start;
	if (!x.current)
		return;
	if (x.ncand < CANDIDATES_SHOWN)
		x.cand[x.ncand] = r->ms;
	x.ncand++;
}

/* A record of the log; -1 if its text does not decode. */
int
extract_record(const struct record *r)
{
	int out = x.stream == 1;

	if (r->pid != x.pid)
		return 0;
	if (r->kind == RK_START) {
		candidate(r);
		return 0;
	}
	if (!x.current || x.ncand != 1)
		return 0;
	switch (r->kind) {
	case RK_OUT:
	case RK_ERR:
	case RK_OUTP:
	case RK_ERRP:
		if ((r->kind == RK_OUT || r->kind == RK_OUTP) != out)
			return 0;
		return piece(r, r->kind == RK_OUT || r->kind == RK_ERR);
	case RK_STATS:
		x.noeol = r->st.noeol;
		x.lost = r->st.lost;
		return 0;
	case RK_END:
		x.ended = 1;
		x.current = 0;
		return 0;
	default:
		return 0;
	}
}

static void
candidates_list(void)
{
	char when[TIME_TEXT];
	size_t i;

	warnx("pid %ld: %zu runs in the log; choose one with "
	    "--output PID@START-TIME:", x.pid, x.ncand);
	for (i = 0; i < x.ncand && i < CANDIDATES_SHOWN; i++)
		fprintf(stderr, "  --output '%ld@%s'\n", x.pid,
		    time_text(when, x.cand[i]));
}

/* Copy the one run's stream to out; the exit status. */
int
extract_finish(FILE *out)
{
	char buf[65536];
	size_t n;

	if (x.ncand != 1) {
		if (x.ncand == 0)
			warnx("pid %ld: no such run in the log", x.pid);
		else
			candidates_list();
		return 2;
	}
	if (fflush(x.spool) == EOF || fseeko(x.spool, 0, SEEK_SET) == -1)
		err(2, "spool");
	while ((n = fread(buf, 1, sizeof(buf), x.spool)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			err(2, "stdout");
	if (ferror(x.spool))
		err(2, "spool");
	if (x.pending_nl && !(x.noeol & (x.stream == 1 ? NOEOL_OUT :
	    NOEOL_ERR)))
		fputc('\n', out);
	if (fflush(out) == EOF)
		err(2, "stdout");
	if (!x.ended)
		warnx("pid %ld: the run has no END: its output may be cut",
		    x.pid);
	else if (x.lost > 0)
		warnx("pid %ld: %" PRId64 " records of the run were lost",
		    x.pid, x.lost);
	return !x.ended || x.lost > 0;
}
