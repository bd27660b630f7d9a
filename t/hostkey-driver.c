/*
 * Test driver for t/hostkey.bats: runs the parts of hostkey.c, kexprobe.c,
 * sha1.c and base64.c that a test cannot reach through a whole run.
 *
 *	hostkey-driver sha1			SHA-1 of stdin, in hex
 *	hostkey-driver hmac KEYHEX		HMAC-SHA1 of stdin, in hex
 *	hostkey-driver b64enc [nopad]		base64 of stdin
 *	hostkey-driver b64dec [nopad|space]	stdin decoded, or "error"
 *	hostkey-driver match NAME PORT FILE...	the lines kh_load finds
 *	hostkey-driver verify NAME PORT PUB FILE...  kh_check of key file PUB
 *	hostkey-driver kexfail NAME PORT OFFER FILE...  kh_kexfail's message
 *				(OFFER "-": unknown, as when the probe failed)
 *	hostkey-driver scan			KEXINIT host key list of stdin
 *	hostkey-driver probe PORT MS		kexprobe() on 127.0.0.1:PORT
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.c"
#include "hostkey.c"
#include "match.c"
#include "kexprobe.c"
#include "sha1.c"

#define INPUT_MAX	(4 * 1024 * 1024)

static unsigned char input[INPUT_MAX];

static size_t
read_input(void)
{
	size_t n = fread(input, 1, sizeof(input), stdin);

	if (ferror(stdin) || !feof(stdin))
		errx(1, "stdin: read error or over %d bytes", INPUT_MAX);
	return n;
}

static void
print_hex(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static size_t
unhex(unsigned char *d, size_t max, const char *s)
{
	size_t n = 0;
	unsigned v;

	for (; s[0] != '\0' && s[1] != '\0' && n < max; s += 2) {
		if (sscanf(s, "%2x", &v) != 1)
			errx(1, "%s: not hex", s);
		d[n++] = v;
	}
	if (*s != '\0')
		errx(1, "odd or overlong hex key");
	return n;
}

static int
do_sha1(void)
{
	unsigned char md[SHA1_LEN];
	struct sha1 s;
	size_t n = read_input(), i;

	/* in pieces of every size, so block boundaries are crossed */
	sha1_init(&s);
	for (i = 0; i < n; i += i % 67 + 1)
		sha1_update(&s, input + i, i + i % 67 + 1 <= n ?
		    i % 67 + 1 : n - i);
	sha1_final(&s, md);
	print_hex(md, sizeof(md));
	return 0;
}

static int
do_hmac(const char *keyhex)
{
	unsigned char key[256], md[SHA1_LEN];
	size_t klen = unhex(key, sizeof(key), keyhex), n = read_input();

	hmac_sha1(key, klen, input, n, md);
	print_hex(md, sizeof(md));
	return 0;
}

static int
do_b64(int decode, const char *how)
{
	static char text[INPUT_MAX / 3 * 4 + 8];
	static unsigned char bin[INPUT_MAX];
	int flags = B64_PAD;
	size_t n = read_input();
	ssize_t r;

	if (how != NULL && strcmp(how, "nopad") == 0)
		flags = 0;
	else if (how != NULL && strcmp(how, "space") == 0)
		flags |= B64_SPACE;
	if (!decode) {
		if (b64_encode(text, sizeof(text), input, n, flags) == -1)
			errx(1, "b64_encode failed");
		printf("%s\n", text);
		return 0;
	}
	if ((r = b64_decode(bin, sizeof(bin), (char *)input, n, flags)) == -1) {
		printf("error\n");
		return 1;
	}
	fwrite(bin, 1, r, stdout);
	return 0;
}

static void
print_lines(const char *what, const struct khmatch *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s %s:%ld %s%s\n", what, m[i].file, m[i].line,
		    m[i].type, m[i].revoked ? " revoked" : "");
}

static int
do_match(const char *name, const char *port, char **files, int nfiles)
{
	struct khosts kh;
	const char *errstr;
	int p;

	p = strtonum(port, 0, 65535, &errstr);
	if (errstr != NULL)
		errx(1, "port %s: %s", port, errstr);
	kh_load(&kh, name, p, (const char *const *)files, nfiles);
	printf("name %s\n", kh.name);
	print_lines("line", kh.m, kh.n);
	print_lines("fallback", kh.fb, kh.nfb);
	printf("methods %s\n", kh_methods(&kh));
	kh_free(&kh);
	return 0;
}

/* The blob of an OpenSSH public key file ("type base64 comment"). */
static size_t
read_pub(const char *path, unsigned char *blob, size_t max)
{
	char line[16384], *p, *b64;
	FILE *fp;
	ssize_t n;

	if ((fp = fopen(path, "r")) == NULL || fgets(line, sizeof(line), fp) ==
	    NULL)
		err(1, "%s", path);
	fclose(fp);
	p = line;
	if (next_field(&p, 1) == NULL || (b64 = next_field(&p, 1)) == NULL ||
	    (n = b64_decode(blob, max, b64, strlen(b64), B64_PAD)) == -1)
		errx(1, "%s: not a public key", path);
	return (size_t)n;
}

static int
do_verify(char *argv[], int nfiles)
{
	static const char *verdict[] = { "OK", "UNKNOWN", "CHANGED",
	    "REVOKED", "ERROR" };
	static unsigned char blob[8192];
	const struct khmatch *bad;
	struct khosts kh;
	const char *errstr;
	enum khresult r;
	size_t len;
	int port;

	port = strtonum(argv[1], 0, 65535, &errstr);
	if (errstr != NULL)
		errx(1, "port %s: %s", argv[1], errstr);
	len = read_pub(argv[2], blob, sizeof(blob));
	kh_load(&kh, argv[0], port, (const char *const *)argv + 3, nfiles);
	r = kh_check(&kh, blob, len, &bad);
	if (bad != NULL)
		printf("%s %s:%ld\n", verdict[r], bad->file, bad->line);
	else
		printf("%s\n", verdict[r]);
	kh_free(&kh);
	return 0;
}

static int
do_kexfail(char *argv[], int nfiles)
{
	struct khosts kh;
	const char *errstr, *offer = argv[2];
	char msg[2048];
	int port;

	port = strtonum(argv[1], 0, 65535, &errstr);
	if (errstr != NULL)
		errx(1, "port %s: %s", argv[1], errstr);
	kh_load(&kh, argv[0], port, (const char *const *)argv + 3, nfiles);
	if (kh_kexfail(&kh, strcmp(offer, "-") == 0 ? NULL : offer,
	    "the probe timed out", argv[0], port, argv[3], msg,
	    sizeof(msg)) == 0)
		printf("%s\n", msg);
	else
		printf("not the host key types\n");
	kh_free(&kh);
	return 0;
}

static int
do_scan(void)
{
	static struct kexscan ks;
	char algs[512];
	size_t n = read_input();

	scan_init(&ks, algs, sizeof(algs));
	switch (scan_feed(&ks, input, n)) {
	case S_DONE:
		printf("%s\n", algs);
		return 0;
	case S_FAIL:
		printf("error: %s\n", ks.err);
		return 1;
	default:
		printf("incomplete\n");
		return 1;
	}
}

static int
do_probe(const char *port, const char *ms)
{
	struct sockaddr_in sin;
	char algs[512], why[256];
	const char *errstr;
	int fd;
	enum kexprobe rc;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(strtonum(port, 1, 65535, &errstr));
	if (errstr != NULL)
		errx(1, "port %s: %s", port, errstr);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "127.0.0.1 port %s", port);
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		err(1, "fcntl");
	rc = kexprobe(fd, monotonic_ms() + strtonum(ms, 1, 600000, &errstr),
	    -1, algs, sizeof(algs), why, sizeof(why));
	if (errstr != NULL)
		errx(1, "ms %s: %s", ms, errstr);
	close(fd);
	if (rc == KP_OK)
		printf("%s\n", algs);
	else
		printf("%s: %s\n", rc == KP_TIMEOUT ? "timeout" : "error", why);
	return rc == KP_OK ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "sha1") == 0)
		return do_sha1();
	if (argc == 3 && strcmp(argv[1], "hmac") == 0)
		return do_hmac(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "b64enc") == 0)
		return do_b64(0, argv[2]);
	if (argc >= 2 && strcmp(argv[1], "b64dec") == 0)
		return do_b64(1, argv[2]);
	if (argc >= 5 && strcmp(argv[1], "match") == 0)
		return do_match(argv[2], argv[3], argv + 4, argc - 4);
	if (argc >= 6 && strcmp(argv[1], "verify") == 0)
		return do_verify(argv + 2, argc - 5);
	if (argc >= 6 && strcmp(argv[1], "kexfail") == 0)
		return do_kexfail(argv + 2, argc - 5);
	if (argc == 2 && strcmp(argv[1], "scan") == 0)
		return do_scan();
	if (argc == 4 && strcmp(argv[1], "probe") == 0)
		return do_probe(argv[2], argv[3]);
	fprintf(stderr, "usage: hostkey-driver sha1 | hmac KEYHEX | "
	    "b64enc [nopad] | b64dec [nopad|space] | match NAME PORT FILE... | "
	    "verify NAME PORT PUB FILE... | kexfail NAME PORT OFFER FILE... | "
	    "scan | probe PORT MS\n");
	return 2;
}
