/*
 * known_hosts with OpenSSH's semantics (hostfile.c, match.c, sshconnect.c
 * of OpenSSH 9.2), parsed here completely: marker, host patterns or hashed
 * name, key type, base64 key.  The server's key blob is compared with each
 * line's key in a canonical form, as sshkey_equal() compares keys.
 *
 * Certificates are unsupported (libssh2 negotiates plain host keys only):
 * @cert-authority lines are ignored, as ssh ignores them for a plain key; a
 * certificate on a plain line is another key (never this one); on a
 * @revoked line it revokes the key it certifies, as in ssh.
 *
 * Where OpenSSH 9.2 and this file differ, this file refuses: a @revoked
 * marker followed by a tab revokes (ssh's check_markers() looks for a space
 * first and skips such a line), and a port-less @revoked line consulted in
 * the fallback refuses (ssh warns, then treats the key as new).  An RSA
 * key's size and an ECDSA point's curve membership are not checked (the
 * server proved it holds the key during the key exchange).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "base64.h"
#include "hostkey.h"
#include "match.h"
#include "sha1.h"

#define BLANKS		" \t"
#define MPINT_MAX	(16384 / 8 + 1)	/* OpenSSH's SSHBUF_MAX_BIGNUM + 1 */
#define LIST_LINES	4		/* lines a message names, at most */

#if LIBSSH2_VERSION_NUM >= 0x010b00
#define RSA_METHODS	"rsa-sha2-512,rsa-sha2-256,ssh-rsa"
#else
#define RSA_METHODS	"ssh-rsa"	/* SHA-1 only: OpenSSH 8.8+ refuse it */
#endif

enum kind {
	K_ED25519,
	K_ECDSA,
	K_RSA,
	K_DSS,
	K_OTHER		/* security keys: known to ssh, never a host key here */
};

static const struct keytype {
	const char	*name;		/* as a known_hosts line writes it */
	const char	*blob;		/* the type named inside the key */
	const char	*plain;		/* the type of the key it holds */
	enum kind	 kind;
	int		 cert;
	const char	*curve;		/* ECDSA */
	size_t		 point;		/* ECDSA: uncompressed point */
	const char	*methods;	/* that libssh2 verifies it with */
	const char	*keyscan;	/* ssh-keyscan -t */
} keytypes[] = {
	/* plain key types first, in OpenSSH's order of preference */
	{ "ssh-ed25519", "ssh-ed25519", "ssh-ed25519", K_ED25519, 0,
	    NULL, 0, "ssh-ed25519", "ed25519" },
	{ "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256",
	    K_ECDSA, 0, "nistp256", 65, "ecdsa-sha2-nistp256", "ecdsa" },
	{ "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384",
	    K_ECDSA, 0, "nistp384", 97, "ecdsa-sha2-nistp384", "ecdsa" },
	{ "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521",
	    K_ECDSA, 0, "nistp521", 133, "ecdsa-sha2-nistp521", "ecdsa" },
	{ "ssh-rsa", "ssh-rsa", "ssh-rsa", K_RSA, 0, NULL, 0, RSA_METHODS,
	    "rsa" },
	{ "ssh-dss", "ssh-dss", "ssh-dss", K_DSS, 0, NULL, 0, "ssh-dss",
	    "dsa" },
	/* signature names ssh also reads as key types */
	{ "rsa-sha2-256", "ssh-rsa", "ssh-rsa", K_RSA, 0, NULL, 0, NULL, NULL },
	{ "rsa-sha2-512", "ssh-rsa", "ssh-rsa", K_RSA, 0, NULL, 0, NULL, NULL },
	{ "ssh-ed25519-cert-v01@openssh.com",
	    "ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519", K_ED25519, 1,
	    NULL, 0, NULL, NULL },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ecdsa-sha2-nistp256",
	    K_ECDSA, 1, "nistp256", 65, NULL, NULL },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com",
	    "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384",
	    K_ECDSA, 1, "nistp384", 97, NULL, NULL },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com",
	    "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521",
	    K_ECDSA, 1, "nistp521", 133, NULL, NULL },
	{ "ssh-rsa-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
	    "ssh-rsa", K_RSA, 1, NULL, 0, NULL, NULL },
	{ "rsa-sha2-256-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
	    "ssh-rsa", K_RSA, 1, NULL, 0, NULL, NULL },
	{ "rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com",
	    "ssh-rsa", K_RSA, 1, NULL, 0, NULL, NULL },
	{ "ssh-dss-cert-v01@openssh.com", "ssh-dss-cert-v01@openssh.com",
	    "ssh-dss", K_DSS, 1, NULL, 0, NULL, NULL },
	{ "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519@openssh.com",
	    "sk-ssh-ed25519@openssh.com", K_OTHER, 0, NULL, 0, NULL, NULL },
	{ "sk-ecdsa-sha2-nistp256@openssh.com",
	    "sk-ecdsa-sha2-nistp256@openssh.com",
	    "sk-ecdsa-sha2-nistp256@openssh.com", K_OTHER, 0, NULL, 0, NULL,
	    NULL },
	{ "webauthn-sk-ecdsa-sha2-nistp256@openssh.com",
	    "sk-ecdsa-sha2-nistp256@openssh.com",
	    "sk-ecdsa-sha2-nistp256@openssh.com", K_OTHER, 0, NULL, 0, NULL,
	    NULL },
	{ "sk-ssh-ed25519-cert-v01@openssh.com",
	    "sk-ssh-ed25519-cert-v01@openssh.com",
	    "sk-ssh-ed25519-cert-v01@openssh.com", K_OTHER, 1, NULL, 0, NULL,
	    NULL },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
	    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", K_OTHER, 1, NULL, 0,
	    NULL, NULL },
};
#define NKEYTYPES	(sizeof(keytypes) / sizeof(keytypes[0]))
#define NPLAIN		6	/* the first rows: what libssh2 can verify */

/* --- the SSH wire format (RFC 4251 section 5) ------------------------- */

struct wire {
	const unsigned char	*p;
	size_t			 left;
};

static int
wire_u32(struct wire *w, uint32_t *v)
{
	if (w->left < 4)
		return -1;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 |
	    (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	w->left -= 4;
	return 0;
}

static int
wire_string(struct wire *w, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (wire_u32(w, &n) == -1 || n > w->left)
		return -1;
	*s = w->p;
	*len = n;
	w->p += n;
	w->left -= n;
	return 0;
}

static int
wire_skip(struct wire *w, size_t n)
{
	if (n > w->left)
		return -1;
	w->p += n;
	w->left -= n;
	return 0;
}

static int
wire_is(struct wire *w, const char *want)
{
	const unsigned char *s;
	size_t len;

	return wire_string(w, &s, &len) == 0 && len == strlen(want) &&
	    memcmp(s, want, len) == 0 ? 0 : -1;
}

/* --- canonical keys ---------------------------------------------------- */

/*
 * A key as sshkey_equal() sees it: its plain type, then its fields, each as
 * a string; numbers without leading zeros.  Never longer than the blob it
 * comes from plus the plain type's name.
 */
struct canon {
	unsigned char	*p;
	size_t		 n;
};

static void
canon_put(struct canon *c, const void *s, size_t len)
{
	c->p[c->n++] = len >> 24 & 0xff;
	c->p[c->n++] = len >> 16 & 0xff;
	c->p[c->n++] = len >> 8 & 0xff;
	c->p[c->n++] = len & 0xff;
	memcpy(c->p + c->n, s, len);
	c->n += len;
}

/* An mpint as OpenSSH's sshbuf_get_bignum2 takes it: not negative, bounded. */
static int
canon_mpint(struct wire *w, struct canon *c)
{
	const unsigned char *s;
	size_t len;

	if (wire_string(w, &s, &len) == -1 || (len > 0 && (s[0] & 0x80)) ||
	    len > MPINT_MAX || (len == MPINT_MAX && s[0] != 0))
		return -1;
	while (len > 0 && s[0] == 0)
		s++, len--;
	canon_put(c, s, len);
	return 0;
}

static int
canon_string(struct wire *w, struct canon *c, size_t want)
{
	const unsigned char *s;
	size_t len;

	if (wire_string(w, &s, &len) == -1 || (want != 0 && len != want))
		return -1;
	canon_put(c, s, len);
	return 0;
}

/* The fields of the public key itself, after its type (and nonce). */
static int
canon_fields(const struct keytype *t, struct wire *w, struct canon *c)
{
	const unsigned char *s;
	size_t len;
	int i;

	switch (t->kind) {
	case K_ED25519:
		return canon_string(w, c, 32);
	case K_ECDSA:
		if (wire_is(w, t->curve) == -1 || wire_string(w, &s, &len) ==
		    -1 || len != t->point || s[0] != 0x04)
			return -1;
		canon_put(c, t->curve, strlen(t->curve));
		canon_put(c, s, len);
		return 0;
	case K_RSA:
		return canon_mpint(w, c) == -1 ? -1 : canon_mpint(w, c);
	case K_DSS:
		for (i = 0; i < 4; i++)
			if (canon_mpint(w, c) == -1)
				return -1;
		return 0;
	case K_OTHER:
		break;
	}
	return -1;
}

/* What follows the key in an OpenSSH certificate (PROTOCOL.certkeys). */
static int
skip_cert_rest(struct wire *w)
{
	const unsigned char *s;
	size_t len;
	int i;

	if (wire_skip(w, 8 + 4) == -1)		/* serial, type */
		return -1;
	for (i = 0; i < 2; i++)			/* key id, principals */
		if (wire_string(w, &s, &len) == -1)
			return -1;
	if (wire_skip(w, 8 + 8) == -1)		/* valid after, before */
		return -1;
	/* critical options, extensions, reserved, signature key, signature */
	for (i = 0; i < 5; i++)
		if (wire_string(w, &s, &len) == -1)
			return -1;
	return 0;
}

/*
 * Check a key blob of type t and put its canonical form in *out (malloc'd).
 * A security key's form is its blob: it never equals a host key here.
 */
static int
key_canon(const struct keytype *t, const unsigned char *blob, size_t len,
    unsigned char **out, size_t *outlen)
{
	struct wire w = { blob, len };
	struct canon c;
	const unsigned char *s;
	size_t n;

	if (wire_is(&w, t->blob) == -1 ||
	    (t->cert && wire_string(&w, &s, &n) == -1))	/* nonce */
		return -1;
	if ((c.p = malloc(len + strlen(t->plain) + 4)) == NULL)
		err(1, NULL);
	c.n = 0;
	if (t->kind == K_OTHER) {
		memcpy(c.p, blob, len);
		c.n = len;
	} else {
		canon_put(&c, t->plain, strlen(t->plain));
		if (canon_fields(t, &w, &c) == -1 ||
		    (t->cert && skip_cert_rest(&w) == -1) || w.left != 0) {
			free(c.p);
			return -1;
		}
	}
	*out = c.p;
	*outlen = c.n;
	return 0;
}

/* The type named name (len bytes) among the first rows of keytypes. */
static const struct keytype *
type_named(const void *name, size_t len, size_t rows)
{
	size_t i;

	for (i = 0; i < rows; i++)
		if (strlen(keytypes[i].name) == len &&
		    memcmp(keytypes[i].name, name, len) == 0)
			return &keytypes[i];
	return NULL;
}

/* The type of a blob the server sent: one libssh2 can verify. */
static const struct keytype *
blob_type(const unsigned char *blob, size_t len)
{
	struct wire w = { blob, len };
	const unsigned char *s;
	size_t n;

	if (wire_string(&w, &s, &n) == -1)
		return NULL;
	return type_named(s, n, NPLAIN);
}

/* --- host names: patterns (match.c) and hashes (hostfile.c) ----------- */

/*
 * |1|base64(salt)|base64(HMAC-SHA1(salt, name)), as ssh-keygen -H writes
 * it.  ssh compares the whole field with the one it computes, so only a
 * 20-byte salt and the exact 20-byte hash in canonical base64 match.
 */
static int
hashed_match(const char *name, const char *field)
{
	unsigned char salt[SHA1_LEN], hash[SHA1_LEN], mac[SHA1_LEN];
	const char *s, *bar;

	if (strncmp(field, "|1|", 3) != 0)
		return 0;
	s = field + 3;
	if ((bar = strchr(s, '|')) == NULL ||
	    b64_decode(salt, sizeof(salt), s, bar - s, B64_PAD) != SHA1_LEN ||
	    b64_decode(hash, sizeof(hash), bar + 1, strlen(bar + 1),
	    B64_PAD) != SHA1_LEN)
		return 0;
	hmac_sha1(salt, sizeof(salt), name, strlen(name), mac);
	return memcmp(mac, hash, sizeof(mac)) == 0;
}

static int
host_match(const char *name, const char *field)
{
	if (name == NULL)
		return 0;
	if (*field == '|')
		return hashed_match(name, field);
	return match_pattern_list(name, field);
}

/* --- reading the files ------------------------------------------------- */

enum marker {
	MARK_NONE,
	MARK_REVOKED,
	MARK_SKIP	/* @cert-authority, or not a marker ssh knows */
};

/* check_markers() of OpenSSH: at most one marker, then blanks. */
static enum marker
parse_marker(char **pp)
{
	char *p = *pp;
	size_t len;
	enum marker m;

	if (*p != '@')
		return MARK_NONE;
	len = strcspn(p, BLANKS);
	if (len == 8 && strncmp(p, "@revoked", 8) == 0)
		m = MARK_REVOKED;
	else
		return MARK_SKIP;
	p += len;
	if (*p == '\0')
		return MARK_SKIP;
	p += strspn(p, BLANKS);
	if (*p == '@')
		return MARK_SKIP;
	*pp = p;
	return m;
}

/*
 * Cut the next blank-separated field off *pp; NULL if there is none (or,
 * with hash_ends, if a '#' starts it, as ssh reads a key's type).
 */
static char *
next_field(char **pp, int hash_ends)
{
	char *p = *pp + strspn(*pp, BLANKS), *f = p;

	if (*p == '\0' || (hash_ends && *p == '#'))
		return NULL;
	p += strcspn(p, BLANKS);
	if (*p != '\0')
		*p++ = '\0';
	*pp = p;
	return f;
}

static void
add_match(struct khmatch **mp, size_t *np, const struct khmatch *from,
    const char *file)
{
	struct khmatch *m;

	if ((m = reallocarray(*mp, *np + 1, sizeof(*m))) == NULL)
		err(1, NULL);
	*mp = m;
	m += (*np)++;
	*m = *from;
	if ((m->file = strdup(file)) == NULL)
		err(1, NULL);
	if ((m->key = malloc(from->keylen)) == NULL)
		err(1, NULL);
	memcpy(m->key, from->key, from->keylen);
}

/* The key of a line: type and base64 (white space inside skipped, as ssh). */
static int
parse_key(char *p, struct khmatch *m)
{
	const struct keytype *t;
	unsigned char *blob;
	char *type, *b64;
	ssize_t len;
	int rc = -1;

	if ((type = next_field(&p, 1)) == NULL || (b64 = next_field(&p, 1)) ==
	    NULL || (t = type_named(type, strlen(type), NKEYTYPES)) == NULL)
		return -1;
	if ((blob = malloc(b64_decode_len(strlen(b64)))) == NULL)
		err(1, NULL);
	len = b64_decode(blob, b64_decode_len(strlen(b64)), b64, strlen(b64),
	    B64_PAD | B64_SPACE);
	if (len > 0 && key_canon(t, blob, len, &m->key, &m->keylen) == 0) {
		m->type = t->name;
		m->kt = t - keytypes;
		rc = 0;
	}
	free(blob);
	return rc;
}

/* One line, its end of line and trailing blanks already cut off. */
static void
scan_line(struct khosts *kh, char *line, const char *file, long lineno)
{
	struct khmatch m;
	enum marker mark = MARK_SKIP;
	char *p = line + strspn(line, BLANKS), *hosts;
	int ours, plain;

	if (*p == '\0' || *p == '#' ||
	    (mark = parse_marker(&p)) == MARK_SKIP ||
	    (hosts = next_field(&p, 0)) == NULL)
		return;
	ours = host_match(kh->name, hosts);
	plain = host_match(kh->plain, hosts);
	if ((!ours && !plain) || parse_key(p, &m) == -1)
		return;
	m.file = NULL;
	m.line = lineno;
	m.revoked = mark == MARK_REVOKED;
	if (ours)
		add_match(&kh->m, &kh->n, &m, file);
	if (plain)
		add_match(&kh->fb, &kh->nfb, &m, file);
	free(m.key);
}

/*
 * ssh reads a line up to a NUL or newline; a CR, or blanks, at its end are
 * no part of the key (a file edited on Windows revokes all the same).
 */
static void
scan_stream(struct khosts *kh, FILE *fp, const char *file)
{
	char *line = NULL;
	size_t sz = 0, len;
	long lineno = 0;

	while (getline(&line, &sz, fp) != -1) {
		lineno++;
		len = strlen(line);
		while (len > 0 && strchr(" \t\r\n\v\f", line[len - 1]) != NULL)
			len--;
		line[len] = '\0';
		scan_line(kh, line, file, lineno);
	}
	free(line);
}

/* ASCII only: ssh's tolower(3) leaves other bytes as they are too. */
static void
lower_case(char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

void
kh_load(struct khosts *kh, const char *host, int port,
    const char *const *files, size_t nfiles)
{
	FILE *fp;
	size_t i;

	memset(kh, 0, sizeof(*kh));
	if ((port == 0 || port == 22 ? asprintf(&kh->name, "%s", host) :
	    asprintf(&kh->name, "[%s]:%d", host, port)) == -1)
		err(1, NULL);
	if (port != 0 && port != 22 && (kh->plain = strdup(host)) == NULL)
		err(1, NULL);
	/* ssh looks names up in lower case, and writes them so */
	lower_case(kh->name);
	lower_case(kh->plain);
	for (i = 0; i < nfiles; i++) {
		if (files[i] == NULL || (fp = fopen(files[i], "r")) == NULL)
			continue;
		scan_stream(kh, fp, files[i]);
		fclose(fp);
	}
}

/* --- host key algorithms and the verdict ------------------------------- */

/* The row of the plain key type line m holds, or -1 if none can be used. */
static int
usable_row(const struct khmatch *m)
{
	size_t i;

	if (m->revoked || keytypes[m->kt].cert)
		return -1;
	for (i = 0; i < NPLAIN; i++)
		if (strcmp(keytypes[i].name, keytypes[m->kt].plain) == 0)
			return (int)i;
	return -1;
}

/*
 * The types on file for the host, in OpenSSH's order, or, when none can be
 * used, all of them: ssh too offers its default list then.
 */
const char *
kh_methods(const struct khosts *kh)
{
	static char buf[256];
	int want[NPLAIN] = { 0 }, any = 0;
	size_t i;
	int r;

	for (i = 0; i < kh->n; i++)
		if ((r = usable_row(&kh->m[i])) != -1)
			want[r] = any = 1;
	buf[0] = '\0';
	for (i = 0; i < NPLAIN; i++) {
		if (any && !want[i])
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, keytypes[i].methods, sizeof(buf));
	}
	return buf;
}

static const struct khmatch *
revoked_line(const struct khmatch *m, size_t n, const unsigned char *key,
    size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].revoked && m[i].keylen == len &&
		    memcmp(m[i].key, key, len) == 0)
			return &m[i];
	return NULL;
}

/*
 * check_hostkeys_by_key_or_type() of OpenSSH: a line with this key passes;
 * a line with any other key, of whatever type, makes it a changed key.
 */
static enum khresult
lines_verdict(const struct khmatch *m, size_t n, const unsigned char *key,
    size_t len, const struct khmatch **bad)
{
	size_t i;

	*bad = NULL;
	for (i = 0; i < n; i++) {
		if (m[i].revoked)
			continue;
		if (!keytypes[m[i].kt].cert && m[i].keylen == len &&
		    memcmp(m[i].key, key, len) == 0) {
			*bad = NULL;
			return KH_OK;
		}
		if (*bad == NULL)
			*bad = &m[i];
	}
	return *bad != NULL ? KH_CHANGED : KH_UNKNOWN;
}

enum khresult
kh_check(const struct khosts *kh, const unsigned char *blob, size_t len,
    const struct khmatch **bad)
{
	const struct keytype *t;
	unsigned char *key;
	size_t klen;
	enum khresult rc;

	*bad = NULL;
	if ((t = blob_type(blob, len)) == NULL ||
	    key_canon(t, blob, len, &key, &klen) == -1)
		return KH_ERROR;
	/* @revoked wins, wherever it is */
	if ((*bad = revoked_line(kh->m, kh->n, key, klen)) != NULL)
		rc = KH_REVOKED;
	else if ((rc = lines_verdict(kh->m, kh->n, key, klen, bad)) ==
	    KH_UNKNOWN && kh->plain != NULL) {
		/* sshconnect.c: "checking without port identifier" */
		if ((*bad = revoked_line(kh->fb, kh->nfb, key, klen)) != NULL)
			rc = KH_REVOKED;
		else if (lines_verdict(kh->fb, kh->nfb, key, klen, bad) ==
		    KH_OK)
			rc = KH_OK;
		else
			*bad = NULL;
	}
	free(key);
	return rc;
}

enum khresult
kh_verify(LIBSSH2_SESSION *s, const struct khosts *kh,
    const struct khmatch **bad)
{
	const char *key;
	size_t len;
	int type;

	*bad = NULL;
	if ((key = libssh2_session_hostkey(s, &len, &type)) == NULL)
		return KH_ERROR;
	return kh_check(kh, (const unsigned char *)key, len, bad);
}

char *
kh_fingerprint(LIBSSH2_SESSION *s, const char **type)
{
	static char buf[64];
	const struct keytype *t;
	const unsigned char *hash;
	const char *key;
	size_t len;
	int ktype;

	*type = "unknown";
	if ((key = libssh2_session_hostkey(s, &len, &ktype)) != NULL &&
	    (t = blob_type((const unsigned char *)key, len)) != NULL)
		*type = t->name;
	hash = (const unsigned char *)libssh2_hostkey_hash(s,
	    LIBSSH2_HOSTKEY_HASH_SHA256);
	if (hash == NULL ||
	    b64_encode(buf + 7, sizeof(buf) - 7, hash, 32, 0) == -1)
		return strcpy(buf, "SHA256:?");
	memcpy(buf, "SHA256:", 7);
	return buf;
}

/* --- appending --------------------------------------------------------- */

/* The host field ssh-keygen -H writes for name, with a fresh salt. */
static void
hashed_name(const char *name, char *buf, size_t len)
{
	unsigned char salt[SHA1_LEN], mac[SHA1_LEN];
	size_t n;
	ssize_t r;

	arc4random_buf(salt, sizeof(salt));
	hmac_sha1(salt, sizeof(salt), name, strlen(name), mac);
	memcpy(buf, "|1|", 3);
	if ((r = b64_encode(buf + 3, len - 3, salt, sizeof(salt), B64_PAD)) ==
	    -1 || (size_t)r + 4 >= len)
		errx(1, "hashed_name: buffer too small");
	n = 3 + (size_t)r;
	buf[n++] = '|';
	if (b64_encode(buf + n, len - n, mac, sizeof(mac), B64_PAD) == -1)
		errx(1, "hashed_name: buffer too small");
}

/* The line for the server's key; NULL if it is not a type known here. */
static char *
append_line(LIBSSH2_SESSION *s, const struct khosts *kh, int hash)
{
	const struct keytype *t;
	const unsigned char *key;
	char hashed[3 + 28 + 1 + 28 + 1], *line;
	size_t len, n, need;
	int type;

	if ((key = (const unsigned char *)libssh2_session_hostkey(s, &len,
	    &type)) == NULL || (t = blob_type(key, len)) == NULL)
		return NULL;
	if (hash)
		hashed_name(kh->name, hashed, sizeof(hashed));
	need = strlen(hash ? hashed : kh->name) + strlen(t->name) +
	    b64_encode_len(len, B64_PAD) + 4;
	if ((line = malloc(need)) == NULL)
		err(1, NULL);
	n = snprintf(line, need, "%s %s ", hash ? hashed : kh->name, t->name);
	n += b64_encode(line + n, need - n, key, len, B64_PAD);
	line[n++] = '\n';
	line[n] = '\0';
	return line;
}

static int
ensure_parent(const char *file)
{
	char *dir, *slash;
	int rc = 0;

	if ((dir = strdup(file)) == NULL)
		err(1, NULL);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			rc = -1;
	}
	free(dir);
	return rc;
}

/* One line, O_APPEND under flock(2), then fsync(2): others never rewritten. */
int
kh_append(LIBSSH2_SESSION *s, const struct khosts *kh, const char *file,
    int hash, char *errbuf, size_t errlen)
{
	char *line;
	size_t n;
	int fd, rc = -1;

	if ((line = append_line(s, kh, hash)) == NULL) {
		snprintf(errbuf, errlen, "unsupported host key type");
		return -1;
	}
	n = strlen(line);
	if (ensure_parent(file) == -1 || (fd = open(file, O_WRONLY |
	    O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", file, strerror(errno));
		free(line);
		return -1;
	}
	/* EINVAL: /dev/null and such, which ssh users give too */
	if (flock(fd, LOCK_EX) == 0 && write(fd, line, n) == (ssize_t)n &&
	    (fsync(fd) == 0 || errno == EINVAL))
		rc = 0;
	else
		snprintf(errbuf, errlen, "%s: %s", file, strerror(errno));
	close(fd);
	free(line);
	return rc;
}

/* --- why a key exchange failed ----------------------------------------- */

/* Is a name of the comma-separated list a also in list b? */
static int
lists_meet(const char *a, const char *b)
{
	const char *p, *q;
	size_t n, m;

	for (p = a; *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		for (q = b; *q != '\0'; q += m + (q[m] == ',')) {
			m = strcspn(q, ",");
			if (n == m && n > 0 && memcmp(p, q, n) == 0)
				return 1;
		}
	}
	return 0;
}

struct text {
	char	*p;
	size_t	 len, n;
	int	 cut;
};

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (t->cut)
		return;
	va_start(ap, fmt);
	r = vsnprintf(t->p + t->n, t->len - t->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= t->len - t->n) {
		t->cut = 1;
		/* said, not silent: the message ends in "..." */
		if (t->len >= 4)
			memcpy(t->p + t->len - 4, "...", 4);
		return;
	}
	t->n += r;
}

/* A word the shell reads back as it is: quoted when it has to be. */
static void
text_shell_word(struct text *t, const char *w)
{
	const char *p;

	if (*w != '\0' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789_./:@%+=,-") == strlen(w)) {
		text_add(t, "%s", w);
		return;
	}
	text_add(t, "'");
	for (p = w; *p != '\0'; p++) {
		if (*p == '\'')
			text_add(t, "'\\''");
		else
			text_add(t, "%c", *p);
	}
	text_add(t, "'");
}

static void
text_lines(struct text *t, const struct khosts *kh)
{
	size_t i, shown = 0, all = 0;

	for (i = 0; i < kh->n; i++) {
		if (kh->m[i].revoked)
			continue;
		if (all++ < LIST_LINES)
			text_add(t, "%s%s at %s:%ld", shown++ ? ", " : "",
			    kh->m[i].type, kh->m[i].file, kh->m[i].line);
	}
	if (all == 0)
		text_add(t, "no key");
	else if (all > shown)
		text_add(t, " and %zu more lines", all - shown);
}

/* The first type libssh2 verifies that the server offers, in our order. */
static const struct keytype *
usable_offer(const char *offered)
{
	size_t i;

	for (i = 0; i < NPLAIN; i++)
		if (lists_meet(keytypes[i].methods, offered))
			return &keytypes[i];
	return NULL;
}

/* Is a line the host key algorithms are chosen from of kind (-1: any)? */
static int
usable_kind(const struct khosts *kh, int kind)
{
	size_t i;

	for (i = 0; i < kh->n; i++)
		if (usable_row(&kh->m[i]) != -1 && (kind == -1 ||
		    (int)keytypes[kh->m[i].kt].kind == kind))
			return 1;
	return 0;
}

/*
 * libssh2 before 1.11 verifies RSA host keys only as ssh-rsa: a server that
 * offers its RSA key as rsa-sha2-256/512 alone cannot be checked with it.
 */
static int
rsa_unverifiable(const char *offered)
{
#if LIBSSH2_VERSION_NUM < 0x010b00
	return offered == NULL ||
	    (lists_meet("rsa-sha2-256,rsa-sha2-512", offered) &&
	    !lists_meet("ssh-rsa", offered));
#else
	(void)offered;
	return 0;
#endif
}

#define RSA_NOTE	"verifies RSA host keys only as ssh-rsa (SHA-1), which " \
	"OpenSSH 8.8 and later refuse by default"

static void
text_keyscan(struct text *t, const struct keytype *fix, const char *host,
    int port, const char *file)
{
	text_add(t, "ssh-keyscan -t %s ", fix->keyscan);
	if (port != 22)
		text_add(t, "-p %d ", port);
	text_shell_word(t, host);
	text_add(t, " >> ");
	text_shell_word(t, file);
}

/* The RSA key on file cannot be verified: say so, and how to add another. */
static int
text_rsa_limit(struct text *t, const char *offered, const struct keytype *fix)
{
	text_add(t, "; libssh2 %s " RSA_NOTE "; refusing to connect",
	    LIBSSH2_VERSION);
	if (fix == NULL)
		return -1;
	if (offered == NULL)
		text_add(t, "; if the server has an ed25519 key, one run of ssh "
		    "-o UpdateHostKeys=yes adds it once it has verified the RSA "
		    "one, or check the key and add it with: ");
	else
		text_add(t, "; one run of ssh -o UpdateHostKeys=yes adds the "
		    "server's %s key once it has verified the RSA one, or check "
		    "the key and add it with: ", fix->keyscan);
	return 0;
}

/*
 * Why the host key types failed, and the way out: libssh2's RSA limit, a
 * server with none of the types on file (ssh would call its key changed),
 * or one with no type libssh2 can verify at all.  Without the offer, the
 * way out is for an ed25519 key, "if it has one".
 */
static void
text_kexfail_cause(struct text *t, const struct khosts *kh,
    const char *offered, const char *host, int port, const char *file)
{
	const struct keytype *fix;

	fix = offered == NULL ? &keytypes[0] : usable_offer(offered);
	if (usable_kind(kh, K_RSA) && rsa_unverifiable(offered)) {
		if (text_rsa_limit(t, offered, fix) == -1)
			return;
	} else if (!usable_kind(kh, -1) || fix == NULL) {
		text_add(t, "; libssh2 %s can verify none of them",
		    LIBSSH2_VERSION);
		if (rsa_unverifiable(offered))
			text_add(t, " (it " RSA_NOTE ")");
		text_add(t, "; refusing to connect");
		return;
	} else if (offered != NULL)
		text_add(t, "; it offers none of the types on file, as if its "
		    "host keys had changed or someone were in the middle; "
		    "refusing to connect; if the change is expected, add its "
		    "%s key with: ", fix->keyscan);
	else
		text_add(t, "; none of the types on file was agreed on, as if "
		    "its host keys had changed or someone were in the middle; "
		    "refusing to connect; if the change is expected and it has "
		    "an ed25519 key, add it with: ");
	text_keyscan(t, fix, host, port, file);
}

int
kh_kexfail(const struct khosts *kh, const char *offered, const char *why,
    const char *host, int port, const char *file, char *msg, size_t len)
{
	struct text t = { msg, len, 0, 0 };

	/* with neither a type on file nor the offer known, nothing is */
	if (len == 0 || (offered == NULL && !usable_kind(kh, -1)) ||
	    (offered != NULL && lists_meet(kh_methods(kh), offered)))
		return -1;
	text_add(&t, "host key for %s: on file: ", kh->name);
	text_lines(&t, kh);
	if (offered != NULL)
		text_add(&t, "; the server offers %s", offered);
	else
		text_add(&t, "; what the server offers is unknown (%s)",
		    why != NULL ? why : "not asked");
	text_kexfail_cause(&t, kh, offered, host, port, file);
	return 0;
}

static void
free_lines(struct khmatch *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].file);
		free(m[i].key);
	}
	free(m);
}

void
kh_free(struct khosts *kh)
{
	free_lines(kh->m, kh->n);
	free_lines(kh->fb, kh->nfb);
	free(kh->name);
	free(kh->plain);
	memset(kh, 0, sizeof(*kh));
}
