/*
 * The log's rule for text: which bytes are valid, printable UTF-8 (kept as
 * they are) and how the others are written (octal escapes).  remoteexe
 * writes by it and remoteexe-report reads by it, so both share this file.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/*
 * Length of the valid, printable UTF-8 sequence at p, or 0 if it is
 * invalid, overlong, a surrogate, a C1 control or cut by end.  Inline:
 * the log's escaper calls it for every non-ASCII character of output.
 */
static inline size_t
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

/* Write c at d as a backslash and three octal digits; returns the end. */
char	*octal_escape(char *d, unsigned char c);

#endif
