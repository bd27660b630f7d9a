/*
 * SHA-1 and HMAC-SHA1, written from FIPS 180-4 and RFC 2104; checked
 * against their published test vectors (t/hostkey.bats).  Not for secrets:
 * a hashed known_hosts name only hides the name from a casual reader.
 */
#include <string.h>

#include "sha1.h"

#define ROL(x, n)	((x) << (n) | (x) >> (32 - (n)))

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d, d = c, c = ROL(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void
sha1_init(struct sha1 *s)
{
	static const uint32_t iv[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
	};

	memcpy(s->h, iv, sizeof(iv));
	s->bytes = 0;
	s->n = 0;
}

void
sha1_update(struct sha1 *s, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t take;

	s->bytes += len;
	while (len > 0) {
		take = SHA1_BLOCK - s->n < len ? SHA1_BLOCK - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take, p += take, len -= take;
		if (s->n == SHA1_BLOCK) {
			sha1_block(s->h, s->buf);
			s->n = 0;
		}
	}
}

void
sha1_final(struct sha1 *s, unsigned char out[SHA1_LEN])
{
	uint64_t bits = s->bytes * 8;
	int i;

	s->buf[s->n++] = 0x80;
	if (s->n > SHA1_BLOCK - 8) {
		memset(s->buf + s->n, 0, SHA1_BLOCK - s->n);
		sha1_block(s->h, s->buf);
		s->n = 0;
	}
	memset(s->buf + s->n, 0, SHA1_BLOCK - 8 - s->n);
	for (i = 0; i < 8; i++)
		s->buf[SHA1_BLOCK - 1 - i] = bits >> (8 * i) & 0xff;
	sha1_block(s->h, s->buf);
	for (i = 0; i < SHA1_LEN; i++)
		out[i] = s->h[i / 4] >> (24 - 8 * (i % 4)) & 0xff;
}

void
hmac_sha1(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[SHA1_LEN])
{
	unsigned char k[SHA1_BLOCK], pad[SHA1_BLOCK], inner[SHA1_LEN];
	struct sha1 s;
	int i;

	memset(k, 0, sizeof(k));
	if (keylen > SHA1_BLOCK) {
		sha1_init(&s);
		sha1_update(&s, key, keylen);
		sha1_final(&s, k);
	} else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&s);
	sha1_update(&s, pad, sizeof(pad));
	sha1_update(&s, msg, len);
	sha1_final(&s, inner);
	for (i = 0; i < SHA1_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&s);
	sha1_update(&s, pad, sizeof(pad));
	sha1_update(&s, inner, sizeof(inner));
	sha1_final(&s, out);
}
