/*
 * libFuzzer target: the supervisor's reports in remote stderr (pump.c's
 * scanner, remote.c's parser).  The input's first byte seeds how the rest
 * is cut into reads.  Properties: no crash, no leak; what reaches the log
 * is the input with every "marker ... newline" of this run taken out, and
 * nothing else (a marker without its newline at the end is dropped, half
 * a marker is kept); the cutting does not matter; a report that parses
 * has a value in range.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "pump.c"
#include "remote.c"
#include "util.c"

#define NONCE	"0123456789abcdef0123456789abcdef"

static char	*got;
static size_t	 gotlen;

/* The log, as this target sees it: stderr bytes kept in order. */
void
log_output(int stream, const char *buf, size_t len)
{
	assert(stream == 2);
	if ((got = realloc(got, gotlen + len + 1)) == NULL)
		abort();
	memcpy(got + gotlen, buf, len);
	gotlen += len;
}

void
log_output_end(int stream)
{
	(void)stream;
}

void
log_msg(const char *kind, const char *fmt, ...)
{
	(void)kind;
	(void)fmt;
}

enum wait
wait_fd(int fd, short events, int64_t deadline)
{
	(void)fd;
	(void)events;
	(void)deadline;
	return W_TIMEOUT;
}

/* The input without its marker lines, as the scanner must deliver it. */
static size_t
expected(const char *in, size_t len, const char *marker, char *out)
{
	size_t mlen = strlen(marker), n = 0, i = 0;
	const char *nl;

	while (i < len) {
		if (len - i >= mlen && memcmp(in + i, marker, mlen) == 0) {
			nl = memchr(in + i + mlen, '\n', len - i - mlen);
			if (nl == NULL)
				break;
			i = nl - in + 1;
			continue;
		}
		out[n++] = in[i++];
	}
	return n;
}

static void
scan(const uint8_t *data, size_t len, unsigned seed)
{
	struct progress p;
	struct pump pm;
	size_t off = 0, n;

	memset(&p, 0, sizeof(p));
	pump_init(&pm, NULL, NULL, &p, 0, NONCE);
	while (off < len) {
		n = seed == 0 ? len - off : 1 + (seed * 7 + off) % (seed * 3);
		if (n > len - off)
			n = len - off;
		stderr_bytes(&pm, (const char *)data + off, n);
		off += n;
	}
	pump_end(&pm);
	if (pm.reports.exited)
		assert(pm.reports.exit_status >= 0 &&
		    pm.reports.exit_status <= 255);
	if (pm.reports.pgid)
		assert(p.pgid >= 1 && p.pgid <= INT32_MAX);
	pump_free(&pm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *want, *marker, *whole;
	size_t wantlen, wholelen;
	struct report r;

	if (len < 1)
		return 0;
	/* the report parser on its own */
	if (remote_report((const char *)data + 1, len - 1, &r) &&
	    r.kind == REPORT_EXIT)
		assert(r.value >= 0 && r.value <= 255);
	marker = remote_marker(NONCE);
	if ((want = malloc(len)) == NULL)
		abort();
	wantlen = expected((const char *)data + 1, len - 1, marker, want);
	scan(data + 1, len - 1, 0);
	whole = got;
	wholelen = gotlen;
	got = NULL;
	gotlen = 0;
	assert(wholelen == wantlen &&
	    (wantlen == 0 || memcmp(whole, want, wantlen) == 0));
	scan(data + 1, len - 1, data[0] % 16 + 1);
	assert(gotlen == wholelen &&
	    (gotlen == 0 || memcmp(got, whole, gotlen) == 0));
	free(got);
	free(whole);
	free(want);
	free(marker);
	got = NULL;
	gotlen = 0;
	return 0;
}
