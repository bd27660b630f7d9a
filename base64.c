/*
 * Base64 with the standard alphabet.  The decoder accepts exactly what
 * OpenSSH's b64_pton(3) accepts (with B64_PAD | B64_SPACE), so a known_hosts
 * key reads the same here as in ssh.
 */
#include <sys/types.h>

#include <limits.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64_encode_len(size_t n, int flags)
{
	if (flags & B64_PAD)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
b64_decode_len(size_t n)
{
	return n / 4 * 3 + 3;
}

ssize_t
b64_encode(char *dst, size_t dstsz, const void *src, size_t n, int flags)
{
	const unsigned char *s = src;
	size_t i, len = b64_encode_len(n, flags), o = 0;
	unsigned long v;

	if (dstsz == 0 || len > dstsz - 1 || len > SSIZE_MAX)
		return -1;
	for (i = 0; i < n; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		dst[o++] = alphabet[v >> 18 & 63];
		dst[o++] = alphabet[v >> 12 & 63];
		if (i + 1 < n)
			dst[o++] = alphabet[v >> 6 & 63];
		else if (flags & B64_PAD)
			dst[o++] = '=';
		if (i + 2 < n)
			dst[o++] = alphabet[v & 63];
		else if (flags & B64_PAD)
			dst[o++] = '=';
	}
	dst[o] = '\0';
	return (ssize_t)o;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* isspace(3) in the C locale, whatever the locale is. */
static int
b64_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * The end of the text: ndata characters (0-3) of the last group are left
 * in v, npad '=' followed them.  Writes the 1 or 2 bytes they hold.
 */
static ssize_t
b64_finish(unsigned char *d, size_t dstsz, size_t o, unsigned long v,
    int ndata, int npad, int flags)
{
	if (ndata == 1 || (ndata == 0 && npad > 0))
		return -1;
	if (flags & B64_PAD) {
		if (ndata > 0 && npad != 4 - ndata)
			return -1;
	} else if (npad > 0)
		return -1;
	if (ndata == 0)
		return (ssize_t)o;
	/* the bits past the last whole byte must be zero */
	if ((ndata == 2 && (v & 0xf) != 0) || (ndata == 3 && (v & 0x3) != 0))
		return -1;
	if (dstsz - o < (size_t)ndata - 1)
		return -1;
	if (ndata == 2)
		d[o++] = v >> 4 & 0xff;
	else {
		d[o++] = v >> 10 & 0xff;
		d[o++] = v >> 2 & 0xff;
	}
	return (ssize_t)o;
}

ssize_t
b64_decode(void *dst, size_t dstsz, const char *src, size_t n, int flags)
{
	unsigned char *d = dst, c;
	unsigned long v = 0;
	size_t i, o = 0;
	int x, ndata = 0, npad = 0;

	if (n > SSIZE_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		c = (unsigned char)src[i];
		if ((flags & B64_SPACE) && b64_space(c))
			continue;
		if (c == '=') {
			npad++;
			continue;
		}
		if (npad > 0 || (x = b64_value(c)) == -1)
			return -1;
		v = v << 6 | (unsigned long)x;
		if (++ndata < 4)
			continue;
		if (dstsz - o < 3)
			return -1;
		d[o++] = v >> 16 & 0xff;
		d[o++] = v >> 8 & 0xff;
		d[o++] = v & 0xff;
		v = 0;
		ndata = 0;
	}
	return b64_finish(d, dstsz, o, v, ndata, npad, flags);
}
