/*
 * libFuzzer target for the log's escaper (log.c): remote output of any
 * bytes, fed to the log in pieces of random sizes, written as text or JSON
 * records to a real file through log.c's own calls, and read back with
 * remoteexe-report's parser and decoders (report/logread.c):
 *   - every line of the file is one record that parses; START first,
 *     END last;
 *   - only the END record has "] END," (text) or "kind":"end" (JSON), and
 *     only once, where its header says so;
 *   - the stream rebuilt from the out and out+ records (each out record a
 *     line and its LF, the last LF dropped when stats says noeol) is the
 *     input;
 *   - text: the escaped pieces of a line, joined before decoding, decode
 *     to the line too (a NUL at the end of a piece is \000);
 *   - JSON: "line" decodes to the bytes with U+FFFD for each byte that is
 *     not UTF-8, and "base64" is there exactly when one was not.
 *
 * Input: byte 0 the format (bit 0: JSON) and bit 1 "repeat the data until
 * it is 5000 bytes" (so that lines get split), bytes 1-2 the seed of the
 * piece sizes; the rest is the remote output.  The job's params are the
 * output's first bytes up to a NUL (at most 200).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* log.c and logread.c each have their own vis_byte() */
#define vis_byte	log_vis_byte
#include "../log.c"
#undef vis_byte
#define b64_value	strict_b64_value
#include "../base64.c"
#undef b64_value
#include "../diag.c"
#include "../util.c"
#include "../utf8.c"
#include "../report/logread.c"
/* util.c has one too; the report's is only needed for decimal() */
#define xstrdup		report_xstrdup
#include "../report/util.c"
#undef xstrdup

#define REPEAT_TO	5000

static char	 path[] = "/tmp/fuzz_escape.XXXXXX";
static uint32_t	 rng;

/* A broken property: say which, for the finding's report. */
static void
broken(int line)
{
	fprintf(stderr, "fuzz_escape.c:%d: property broken\n", line);
	abort();
}
#define check(ok)	((ok) ? (void)0 : broken(__LINE__))

static size_t
piece_size(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return 1 + rng % (rng & 1 ? 16 : 6000);
}

/* Back to a log of none: what log_open and log_start take once a run. */
static void
reset(void)
{
	if (logfd != -1)
		close(logfd);
	if (readfd != -1)
		close(readfd);
	logfd = readfd = -1;
	free(logname);
	free(params);
	logname = params = NULL;
	olen = 0;
	memset(part, 0, sizeof(part));
	noeol = 0;
	memset(&loss, 0, sizeof(loss));
	troubled = lock_given_up = 0;
	stamp_sec = -1;		/* the cached prefix is of the other format */
}

/* One run's log of the output data, in the format fmt. */
static void
write_log(enum logformat fmt, const char *job, const char *data, size_t len)
{
	struct logstats st = { 0.25, len, 0, 1, "exit" };
	char why[256];
	size_t n;

	reset();
	check(log_open(path, fmt, why, sizeof(why)) == 0);
	check(log_start(job) == 0);
	while (len > 0) {
		n = piece_size();
		n = n < len ? n : len;
		log_output(1, data, n);
		data += n;
		len -= n;
	}
	log_output_end(1);
	log_stats(&st);
	log_end(0);
	check(loss.records == 0);
}

/* The bytes, each one that is not UTF-8 as U+FFFD (RFC 3629). */
static size_t
replaced(const unsigned char *p, size_t len, char *out)
{
	const unsigned char *end = p + len;
	char *d = out;
	size_t n, i;
	unsigned char lo, hi;

	while (p < end) {
		n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 :
		    *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ?
		    4 : 0;
		lo = *p == 0xe0 ? 0xa0 : *p == 0xf0 ? 0x90 : 0x80;
		hi = *p == 0xed ? 0x9f : *p == 0xf4 ? 0x8f : 0xbf;
		for (i = 1; n > 1 && i < n; i++)
			if (p + i >= end || p[i] < (i == 1 ? lo : 0x80) ||
			    p[i] > (i == 1 ? hi : 0xbf))
				n = 0;
		if (n == 0) {
			memcpy(d, "\xef\xbf\xbd", 3);
			d += 3;
			p++;
			continue;
		}
		memcpy(d, p, n);
		d += n;
		p += n;
	}
	return d - out;
}

/* A JSON piece: line is the bytes as replaced(), base64 only if needed. */
static void
json_piece(const struct record *r, const char *bytes, size_t n)
{
	char *want = malloc(3 * n + 1), *got = malloc(r->text.len + 1);
	size_t wlen;
	ssize_t glen;

	check(want != NULL && got != NULL);
	wlen = replaced((const unsigned char *)bytes, n, want);
	glen = json_decode(r->text.p, r->text.len, got);
	check(glen == (ssize_t)wlen && memcmp(got, want, wlen) == 0);
	check((r->bytes.enc == RE_BASE64) ==
	    (wlen != n || memcmp(want, bytes, n) != 0));
	free(want);
	free(got);
}

/* "] END," or "kind":"end" only where an END record's header has it. */
static void
end_marker(const char *line, size_t len, const struct record *r)
{
	const char *mark = r->json ? "\"kind\":\"end\"" : "] END,";
	const char *p = memmem(line, len, mark, strlen(mark));

	if (r->kind != RK_END) {
		check(p == NULL);
		return;
	}
	check(p != NULL);
	if (!r->json)
		check(p + 6 == r->text.p);
	check(memmem(p + 1, len - (p + 1 - line), mark, strlen(mark)) ==
	    NULL);
}

/* The rebuilt stream, and the escaped text of the line in pieces. */
struct rebuild {
	char	*out, *joined, *dec;
	size_t	 cap, olen, jlen, dlen;
	int	 pending_nl;
	int	 noeol;
};

/* Text: the pieces of one line joined before decoding decode to it. */
static void
joined_line(struct rebuild *b)
{
	char *d = malloc(b->jlen + 1);

	check(d != NULL);
	check(vis_decode(b->joined, b->jlen, d) == b->dlen &&
	    memcmp(d, b->dec, b->dlen) == 0);
	free(d);
	b->jlen = b->dlen = 0;
}

static void
piece(struct rebuild *b, const struct record *r)
{
	char *bytes = malloc(r->bytes.len + 1);
	ssize_t n;

	check(bytes != NULL);
	check((n = rstr_decode(&r->bytes, bytes)) >= 0);
	check(b->olen + n + 1 <= b->cap);
	if (b->pending_nl)
		b->out[b->olen++] = '\n';
	memcpy(b->out + b->olen, bytes, n);
	b->olen += n;
	b->pending_nl = r->kind == RK_OUT;
	if (r->json)
		json_piece(r, bytes, n);
	else {
		memcpy(b->joined + b->jlen, r->text.p, r->text.len);
		b->jlen += r->text.len;
		memcpy(b->dec + b->dlen, bytes, n);
		b->dlen += n;
		if (r->kind == RK_OUT)
			joined_line(b);
	}
	free(bytes);
}

/*
 * START names the job exactly, in text and in JSON (where what is not
 * UTF-8 comes from the line's base64, which then has "-,JOB").
 */
static void
start_params(const struct record *r, const char *job)
{
	size_t len = strlen(job);
	char *got = malloc(r->params.len + r->bytes.len + 3);
	ssize_t n;

	check(got != NULL);
	n = rstr_decode(&r->params, got);
	check(n == (ssize_t)len && memcmp(got, job, len) == 0);
	if (r->json && r->bytes.enc == RE_BASE64) {
		n = rstr_decode(&r->bytes, got);
		check(n == (ssize_t)len + 2 && memcmp(got, "-,", 2) == 0 &&
		    memcmp(got + 2, job, len) == 0);
	}
	free(got);
}

/* Read the file back, record by record. */
static void
read_log(const char *data, size_t len, const char *job)
{
	struct rebuild b = { 0 };
	struct record r;
	char *file, *line, *nl;
	off_t size = lseek(readfd, 0, SEEK_END);
	size_t n, nrec = 0;

	check(size > 0 && (file = malloc(size)) != NULL);
	check(pread(readfd, file, size, 0) == size && file[size - 1] == '\n');
	b.cap = len + 1;
	b.out = malloc(b.cap);
	b.joined = malloc(size);
	b.dec = malloc(len + 1);
	check(b.out != NULL && b.joined != NULL && b.dec != NULL);
	for (line = file; line < file + size; line = nl + 1, nrec++) {
		nl = memchr(line, '\n', file + size - line);
		n = nl - line;
		check(record_parse(line, n, &r) == NULL);
		end_marker(line, n, &r);
		check((nrec == 0) == (r.kind == RK_START));
		if (r.kind == RK_START)
			start_params(&r, job);
		if (r.kind == RK_OUT || r.kind == RK_OUTP)
			piece(&b, &r);
		if (r.kind == RK_STATS)
			b.noeol = r.st.noeol;
		check(r.kind != RK_END || nl + 1 == file + size);
	}
	if (b.pending_nl && !(b.noeol & NOEOL_OUT))
		b.out[b.olen++] = '\n';
	check(b.olen == len && memcmp(b.out, data, len) == 0);
	free(b.out);
	free(b.joined);
	free(b.dec);
	free(file);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	char jp[201], *data;
	size_t len, n;

	if (size < 3)
		return 0;
	rng = (in[1] << 8 | in[2]) + 1;
	len = size - 3;
	n = (in[0] & 2) && len > 0 ? (REPEAT_TO / len + 1) * len : len;
	check((data = malloc(n + 1)) != NULL);
	for (size_t i = 0; i < n; i += len)
		memcpy(data + i, in + 3, len);
	for (len = 0; len < n && len < sizeof(jp) - 1 && data[len]; len++)
		jp[len] = data[len];
	jp[len] = '\0';
	write_log(in[0] & 1 ? LOG_JSON : LOG_TEXT, jp, data, n);
	read_log(data, n, jp);
	reset();
	/* log_open makes it again; a crash leaves the input's log behind */
	check(unlink(path) == 0);
	free(data);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	if ((fd = mkstemp(path)) == -1)
		abort();
	close(fd);
	unlink(path);
	return 0;
}
