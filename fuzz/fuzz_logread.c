/*
 * libFuzzer target for remoteexe-report's log reader: the record parser
 * and the decoders must take any line without a crash or a read out of
 * bounds, and keep their properties:
 *   - a parsed record points into its line, with a PID in range;
 *   - no decoder writes more bytes than its input has (an escape is
 *     longer than what it stands for);
 *   - text: vis_decode(vis_encode(b)) == b for the bytes b of any input
 *     (the writer's rules, logformat: C-style/octal escapes, UTF-8 kept);
 *   - JSON: decoding a valid UTF-8 string JSON-escaped as the writer
 *     does gives it back; base64 likewise for any bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base64.c"
#include "../utf8.c"
#include "../report/logread.c"
#include "../report/util.c"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
inside(const struct rstr *s, const char *line, size_t len)
{
	return s->p == NULL || (s->p >= line && s->p + s->len <= line + len);
}

static void
decode_piece(const struct rstr *s)
{
	char *out = malloc(s->len + 1);
	ssize_t n;

	check(out != NULL);
	n = rstr_decode(s, out);
	check(n <= (ssize_t)s->len);
	free(out);
}

static void
parse_property(const char *line, size_t len)
{
	struct record r;

	if (record_parse(line, len, &r) != NULL)
		return;
	check(r.pid > 0 && r.pid <= PID_MAX);
	check(r.kind >= RK_START && r.kind <= RK_END);
	check(inside(&r.text, line, len) && inside(&r.params, line, len) &&
	    inside(&r.bytes, line, len));
	decode_piece(&r.text);
	if (r.params.p != NULL)
		decode_piece(&r.params);
	if (r.bytes.p != NULL)
		decode_piece(&r.bytes);
	if (r.kind == RK_END)
		check(r.rc >= 0 && r.rc <= 255);
}

static void
vis_property(const char *in, size_t len)
{
	char *b = malloc(len + 1), *e = malloc(4 * len + 1), *d;
	size_t blen, elen;

	check(b != NULL && e != NULL);
	blen = vis_decode(in, len, b);
	check(blen <= len);
	elen = vis_encode(e, b, blen) - e;
	check(elen <= 4 * blen);
	d = malloc(elen + 1);
	check(d != NULL);
	check(vis_decode(e, elen, d) == blen && memcmp(d, b, blen) == 0);
	free(b);
	free(e);
	free(d);
}

/* The writer's JSON escaping of valid UTF-8 (log.c, logformat). */
static size_t
json_encode(char *d, const unsigned char *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char *start = d;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			*d++ = '\\';
			*d++ = p[i];
		} else if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
			*d++ = '\\';
			*d++ = p[i] == '\n' ? 'n' : p[i] == '\r' ? 'r' : 't';
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			memcpy(d, "\\u00", 4);
			d[4] = hex[p[i] >> 4];
			d[5] = hex[p[i] & 15];
			d += 6;
		} else
			*d++ = p[i];
	}
	return d - start;
}

static int
valid_utf8(const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len;
	size_t n;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		/* C1 controls: the writer escapes each byte, not reversible */
		if ((n = utf8_len(p, end)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

static void
json_property(const char *in, size_t len)
{
	char *out = malloc(len + 1), *e = malloc(6 * len + 1);
	ssize_t n;
	size_t elen;

	check(out != NULL && e != NULL);
	n = json_decode(in, len, out);
	check(n <= (ssize_t)len);
	if (valid_utf8((const unsigned char *)in, len)) {
		elen = json_encode(e, (const unsigned char *)in, len);
		check(json_decode(e, elen, out) == (ssize_t)len &&
		    memcmp(out, in, len) == 0);
	}
	free(out);
	free(e);
}

/* base64.c, as the reader uses it: decode(encode(b)) == b, never longer. */
static void
base64_property(const char *in, size_t len)
{
	size_t elen = b64_encode_len(len, B64_PAD) + 1;
	char *e = malloc(elen), *d = malloc(len + 8);

	check(e != NULL && d != NULL);
	check(b64_decode(d, len + 8, in, len, B64_PAD) <= (ssize_t)len);
	check(b64_encode(e, elen, in, len, B64_PAD) == (ssize_t)elen - 1);
	check(b64_decode(d, len + 8, e, elen - 1, B64_PAD) == (ssize_t)len &&
	    (len == 0 || memcmp(d, in, len) == 0));
	free(e);
	free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	size_t rest = size, n;

	/* every line of the input, as the report reads them */
	while (rest > 0) {
		nl = memchr(s, '\n', rest);
		n = nl != NULL ? (size_t)(nl - s) : rest;
		parse_property(s, n);
		s += n + (nl != NULL);
		rest -= n + (nl != NULL);
	}
	vis_property((const char *)data, size);
	json_property((const char *)data, size);
	base64_property((const char *)data, size);
	return 0;
}
