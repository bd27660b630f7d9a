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
 * invalid, overlong, a surrogate, a C1 control or cut by end.
 */
size_t	 utf8_len(const unsigned char *p, const unsigned char *end);

/* Write c at d as a backslash and three octal digits; returns the end. */
char	*octal_escape(char *d, unsigned char c);

#endif
