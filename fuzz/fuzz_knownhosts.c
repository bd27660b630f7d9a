/*
 * libFuzzer target: hostkey.c on arbitrary known_hosts files.  The input's
 * first line is "NAME" or "NAME PORT", the host to look up; the rest is the
 * file.  Two lines are added to it: NAME hashed as ssh-keygen -H does, with
 * a salt taken from the input, and NAME in upper case, both with a fixed
 * fake key.  Properties: no crash, no leak; both added lines are found for
 * the host; the fake key is trusted, or revoked by a @revoked line with it;
 * a key blob from the input gets a verdict without harm; the failure
 * message fits any buffer.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.c"
#include "hostkey.c"
#include "match.c"
#include "sha1.c"

#define NAME_MAX_LEN	255

/* An ssh-ed25519 key blob: string "ssh-ed25519", string 32 bytes. */
static const unsigned char fake_key[4 + 11 + 4 + 32] = {
	0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9',
	0, 0, 0, 32, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
	0x42, 0x42
};

/* "NAME" or "NAME PORT" of the first line; 0, or -1 to skip the input. */
static int
parse_target(const uint8_t *data, size_t len, char *name, int *port)
{
	const char *errstr;
	char *sp;

	if (len == 0 || len > NAME_MAX_LEN || memchr(data, '\0', len))
		return -1;
	memcpy(name, data, len);
	name[len] = '\0';
	*port = 22;
	if ((sp = strchr(name, ' ')) != NULL) {
		*sp = '\0';
		*port = strtonum(sp + 1, 1, 65535, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return *name == '\0' || strpbrk(name, " \t\r\n") != NULL ? -1 : 0;
}

/* The two lines the properties are about, after the input's own. */
static size_t
added_lines(const struct khosts *kh, const uint8_t *salt_src, size_t n,
    char *buf, size_t len)
{
	unsigned char salt[SHA1_LEN] = { 0 }, mac[SHA1_LEN];
	char s64[32], m64[32], k64[128], upper[NAME_MAX_LEN + 16];
	size_t i;
	int r;

	memcpy(salt, salt_src, n < sizeof(salt) ? n : sizeof(salt));
	hmac_sha1(salt, sizeof(salt), kh->name, strlen(kh->name), mac);
	for (i = 0; kh->name[i] != '\0' && i < sizeof(upper) - 1; i++)
		upper[i] = kh->name[i] >= 'a' && kh->name[i] <= 'z' ?
		    kh->name[i] - 'a' + 'A' : kh->name[i];
	upper[i] = '\0';
	assert(b64_encode(s64, sizeof(s64), salt, sizeof(salt), B64_PAD) > 0);
	assert(b64_encode(m64, sizeof(m64), mac, sizeof(mac), B64_PAD) > 0);
	assert(b64_encode(k64, sizeof(k64), fake_key, sizeof(fake_key),
	    B64_PAD) > 0);
	r = snprintf(buf, len, "\n|1|%s|%s ssh-ed25519 %s\n%s ssh-ed25519 %s\n",
	    s64, m64, k64, upper, k64);
	assert(r > 0 && (size_t)r < len);
	return (size_t)r;
}

/* Is line lineno among the lines found for the host? */
static int
found(const struct khosts *kh, long lineno)
{
	size_t i;

	for (i = 0; i < kh->n; i++)
		if (kh->m[i].line == lineno && !kh->m[i].revoked)
			return 1;
	return 0;
}

/* A plain name, read as a pattern, is itself: no pattern characters. */
static int
literal(const char *name)
{
	return strpbrk(name, "*?!,") == NULL && name[0] != '|' &&
	    name[0] != '@' && name[0] != '#';
}

static void
check_verdicts(const struct khosts *kh, const uint8_t *blob, size_t n)
{
	const struct khmatch *bad;
	enum khresult r;
	char msg[2048];
	size_t cut;

	r = kh_check(kh, fake_key, sizeof(fake_key), &bad);
	assert(r == KH_OK || r == KH_REVOKED);
	assert(r == KH_OK ? bad == NULL : bad != NULL && bad->revoked);
	(void)kh_check(kh, blob, n, &bad);
	(void)kh_methods(kh);
	for (cut = 1; cut <= sizeof(msg); cut *= 4) {
		msg[0] = '\0';
		(void)kh_kexfail(kh, "rsa-sha2-512,rsa-sha2-256", NULL, "h",
		    2222, "f", msg, cut);
		assert(strlen(msg) < cut);
		msg[0] = '\0';
		(void)kh_kexfail(kh, NULL, "timed out", "h 'q'", 22, "a b",
		    msg, cut);
		assert(strlen(msg) < cut);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char file[1 << 20];
	char name[NAME_MAX_LEN + 1];
	const uint8_t *nl, *body;
	struct khosts kh;
	size_t blen, n;
	long lines = 0;
	FILE *fp;
	int port;

	if ((nl = memchr(data, '\n', size)) == NULL ||
	    parse_target(data, nl - data, name, &port) == -1)
		return 0;
	body = nl + 1;
	blen = size - (body - data);
	if (blen > sizeof(file) - 1024)
		return 0;
	memcpy(file, body, blen);
	for (n = 0; n < blen; n++)
		lines += body[n] == '\n';
	kh_load(&kh, name, port, NULL, 0);
	n = blen + added_lines(&kh, body, blen, file + blen,
	    sizeof(file) - blen);
	if ((fp = fmemopen(file, n, "r")) == NULL)
		abort();
	scan_stream(&kh, fp, "fuzz");
	fclose(fp);
	/* the input's last line, then the separator, then ours */
	assert(found(&kh, lines + 2));
	if (literal(name))
		assert(found(&kh, lines + 3));
	check_verdicts(&kh, body, blen);
	kh_free(&kh);
	return 0;
}
