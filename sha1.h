/*
 * SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for the hashed host names of
 * known_hosts (|1|salt|hash, as ssh-keygen -H writes them).  Only libssh2
 * and libbsd may be linked, and neither exports a hash for this.
 */
#ifndef SHA1_H
#define SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN	20
#define SHA1_BLOCK	64

struct sha1 {
	uint32_t	 h[5];
	uint64_t	 bytes;			/* hashed so far */
	unsigned char	 buf[SHA1_BLOCK];	/* a partial block */
	size_t		 n;
};

void	 sha1_init(struct sha1 *);
void	 sha1_update(struct sha1 *, const void *, size_t);
void	 sha1_final(struct sha1 *, unsigned char [SHA1_LEN]);
void	 hmac_sha1(const void *key, size_t keylen, const void *msg,
	    size_t len, unsigned char [SHA1_LEN]);

#endif
