/*
 * UTF-8 as the log keeps it, and the octal escape of everything else.
 */
#include "utf8.h"

char *
octal_escape(char *d, unsigned char c)
{
	*d++ = '\\';
	*d++ = '0' + (c >> 6);
	*d++ = '0' + ((c >> 3) & 7);
	*d++ = '0' + (c & 7);
	return d;
}
