/*
 * UTF-8 as the log keeps it, and the octal escape of everything else.
 */
#include "utf8.h"

size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* over U+10FFFF */
	else if (p[0] == 0xc2)
		lo = 0xa0;		/* U+0080..U+009F are C1 controls */
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

char *
octal_escape(char *d, unsigned char c)
{
	*d++ = '\\';
	*d++ = '0' + (c >> 6);
	*d++ = '0' + ((c >> 3) & 7);
	*d++ = '0' + (c & 7);
	return d;
}
