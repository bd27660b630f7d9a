/*
 * Base64 (RFC 4648, standard alphabet): one encoder and one strict decoder
 * for every part of remoteexe that meets it.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <sys/types.h>

#define B64_PAD		0x1	/* encode: end with '='; decode: require it */
#define B64_SPACE	0x2	/* decode: skip white space, as b64_pton(3) */

/* Characters b64_encode writes for n bytes, without the NUL. */
size_t	 b64_encode_len(size_t n, int flags);
/* Upper bound of the bytes b64_decode makes of n characters. */
size_t	 b64_decode_len(size_t n);

/*
 * Encode n bytes of src into dst, NUL-terminated.  Returns the length, or
 * -1 if dst (size dstsz) is too small: nothing is cut short.
 */
ssize_t	 b64_encode(char *dst, size_t dstsz, const void *src, size_t n,
	    int flags);

/*
 * Decode n characters of src into dst (size dstsz).  Strict: a character
 * outside the alphabet, padding missing (with B64_PAD) or present (without),
 * text after the padding, a lone last character, bits left over that are
 * not zero, or output over dstsz is an error, as in OpenSSH's b64_pton(3).
 * Returns the number of bytes, or -1.
 */
ssize_t	 b64_decode(void *dst, size_t dstsz, const char *src, size_t n,
	    int flags);

#endif
