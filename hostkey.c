/*
 * known_hosts with OpenSSH's semantics.  libssh2 1.10 matches a port-less
 * entry on any port and tells neither file nor line, so every line is
 * checked on its own: a throwaway collection holding just that line is asked
 * whether the line is for our host name (hashed entries included).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "hostkey.h"

static const struct {
	int		 known;		/* LIBSSH2_KNOWNHOST_KEY_* */
	int		 hostkey;	/* LIBSSH2_HOSTKEY_TYPE_* */
	const char	*name;
} keytypes[] = {
	{ LIBSSH2_KNOWNHOST_KEY_ED25519, LIBSSH2_HOSTKEY_TYPE_ED25519,
	    "ssh-ed25519" },
	{ LIBSSH2_KNOWNHOST_KEY_ECDSA_256, LIBSSH2_HOSTKEY_TYPE_ECDSA_256,
	    "ecdsa-sha2-nistp256" },
	{ LIBSSH2_KNOWNHOST_KEY_ECDSA_384, LIBSSH2_HOSTKEY_TYPE_ECDSA_384,
	    "ecdsa-sha2-nistp384" },
	{ LIBSSH2_KNOWNHOST_KEY_ECDSA_521, LIBSSH2_HOSTKEY_TYPE_ECDSA_521,
	    "ecdsa-sha2-nistp521" },
	{ LIBSSH2_KNOWNHOST_KEY_SSHRSA, LIBSSH2_HOSTKEY_TYPE_RSA, "ssh-rsa" },
	{ LIBSSH2_KNOWNHOST_KEY_SSHDSS, LIBSSH2_HOSTKEY_TYPE_DSS, "ssh-dss" },
};
#define NKEYTYPES	(sizeof(keytypes) / sizeof(keytypes[0]))

static size_t
base64(char *d, const unsigned char *s, size_t len, int pad)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, n = 0;
	unsigned long v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		d[n++] = b64[v >> 18 & 63];
		d[n++] = b64[v >> 12 & 63];
		if (i + 1 < len)
			d[n++] = b64[v >> 6 & 63];
		else if (pad)
			d[n++] = '=';
		if (i + 2 < len)
			d[n++] = b64[v & 63];
		else if (pad)
			d[n++] = '=';
	}
	d[n] = '\0';
	return n;
}

static int
server_keytype(LIBSSH2_SESSION *s, const char **key, size_t *len,
    const char **name)
{
	size_t i;
	int type;

	if ((*key = libssh2_session_hostkey(s, len, &type)) == NULL)
		return -1;
	for (i = 0; i < NKEYTYPES; i++)
		if (keytypes[i].hostkey == type) {
			*name = keytypes[i].name;
			return keytypes[i].known;
		}
	return -1;
}

/* Does this single known_hosts line name our host?  Its key type, or -1. */
static int
line_matches(LIBSSH2_SESSION *s, const char *name, const char *line,
    size_t len)
{
	LIBSSH2_KNOWNHOSTS *h;
	struct libssh2_knownhost *ent;
	int type = -1, kt;

	if ((h = libssh2_knownhost_init(s)) == NULL)
		return -1;
	if (libssh2_knownhost_readline(h, line, len,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0 &&
	    libssh2_knownhost_get(h, &ent, NULL) == 0 && ent->key != NULL) {
		kt = ent->typemask & LIBSSH2_KNOWNHOST_KEY_MASK;
		if (libssh2_knownhost_checkp(h, name, -1, ent->key,
		    strlen(ent->key), LIBSSH2_KNOWNHOST_TYPE_PLAIN |
		    LIBSSH2_KNOWNHOST_KEYENC_BASE64 | kt, NULL) ==
		    LIBSSH2_KNOWNHOST_CHECK_MATCH)
			type = kt;
	}
	libssh2_knownhost_free(h);
	return type;
}

static void
add_match(struct khosts *kh, const char *file, long lineno, int type,
    const char *line, size_t len, int revoked)
{
	struct khmatch *m;

	if ((m = reallocarray(kh->m, kh->n + 1, sizeof(*m))) == NULL)
		err(1, NULL);
	kh->m = m;
	m += kh->n++;
	if ((m->file = strdup(file)) == NULL ||
	    (m->text = strndup(line, len)) == NULL)
		err(1, NULL);
	m->line = lineno;
	m->keytype = type;
	m->revoked = revoked;
}

static void
scan_file(LIBSSH2_SESSION *s, struct khosts *kh, const char *file)
{
	FILE *fp;
	char *line = NULL, *p;
	size_t sz = 0;
	ssize_t n;
	long lineno = 0;
	int type, revoked;

	if ((fp = fopen(file, "r")) == NULL)
		return;
	while ((n = getline(&line, &sz, fp)) != -1) {
		lineno++;
		p = line + strspn(line, " \t");
		revoked = strncmp(p, "@revoked", 8) == 0 &&
		    (p[8] == ' ' || p[8] == '\t');
		if (revoked)
			p += 8 + strspn(p + 8, " \t");
		/* comments, blanks, @cert-authority (certificates: unsupported) */
		if (*p == '#' || *p == '@' || *p == '\n' || *p == '\0')
			continue;
		n -= p - line;
		if ((type = line_matches(s, kh->name, p, n)) != -1)
			add_match(kh, file, lineno, type, p, n, revoked);
	}
	free(line);
	fclose(fp);
}

/* Collect the lines of the given files that are for host:port. */
int
kh_load(LIBSSH2_SESSION *s, struct khosts *kh, const char *host, int port,
    const char *const *files, size_t nfiles)
{
	size_t i;
	int n;

	memset(kh, 0, sizeof(*kh));
	if (port == 22)
		n = asprintf(&kh->name, "%s", host);
	else
		n = asprintf(&kh->name, "[%s]:%d", host, port);
	if (n == -1)
		err(1, NULL);
	for (i = 0; i < nfiles; i++)
		if (files[i] != NULL)
			scan_file(s, kh, files[i]);
	return 0;
}

/*
 * Host key algorithms to offer: the types on file for this host, or, for an
 * unknown host, all of them with OpenSSH's preference.
 */
const char *
kh_methods(const struct khosts *kh)
{
	static char buf[256];
	size_t i, j, known = 0;

	for (j = 0; j < kh->n; j++)
		known += !kh->m[j].revoked;
	buf[0] = '\0';
	for (i = 0; i < NKEYTYPES; i++) {
		for (j = 0; j < kh->n; j++)
			if (!kh->m[j].revoked &&
			    kh->m[j].keytype == keytypes[i].known)
				break;
		if (known > 0 && j == kh->n)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, keytypes[i].name, sizeof(buf));
	}
	return buf;
}

/* Is key (of type) the key of known_hosts line m? */
static int
line_has_key(LIBSSH2_SESSION *s, const struct khosts *kh,
    const struct khmatch *m, const char *key, size_t len, int type)
{
	LIBSSH2_KNOWNHOSTS *h;
	int match;

	if ((h = libssh2_knownhost_init(s)) == NULL)
		return -1;
	match = libssh2_knownhost_readline(h, m->text, strlen(m->text),
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) == 0 &&
	    libssh2_knownhost_checkp(h, kh->name, -1, key, len,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    type, NULL) == LIBSSH2_KNOWNHOST_CHECK_MATCH;
	libssh2_knownhost_free(h);
	return match;
}

/*
 * The server's key against the lines for our host: a revoked key is
 * refused, a key on file passes, another key of a type on file is a
 * changed key (*bad names the first such line).
 */
enum khresult
kh_verify(LIBSSH2_SESSION *s, const struct khosts *kh,
    const struct khmatch **bad)
{
	const char *key, *tname;
	size_t len, i;
	int type, match, rc = KH_UNKNOWN;

	*bad = NULL;
	if ((type = server_keytype(s, &key, &len, &tname)) == -1)
		return KH_ERROR;
	for (i = 0; i < kh->n; i++) {
		if (kh->m[i].keytype != type)
			continue;
		if ((match = line_has_key(s, kh, &kh->m[i], key, len,
		    type)) == -1)
			return KH_ERROR;
		if (kh->m[i].revoked && match) {
			*bad = &kh->m[i];
			return KH_REVOKED;
		}
		if (kh->m[i].revoked || rc == KH_OK)
			continue;
		if (match)
			rc = KH_OK;
		else if (*bad == NULL) {
			*bad = &kh->m[i];
			rc = KH_CHANGED;
		}
	}
	return rc;
}

/* "SHA256:..." as ssh-keygen -l prints it; *type gets the key type. */
char *
kh_fingerprint(LIBSSH2_SESSION *s, const char **type)
{
	static char buf[64];
	const unsigned char *hash;
	const char *key;
	size_t len;

	*type = "unknown";
	server_keytype(s, &key, &len, type);
	hash = (const unsigned char *)libssh2_hostkey_hash(s,
	    LIBSSH2_HOSTKEY_HASH_SHA256);
	if (hash == NULL)
		return strcpy(buf, "SHA256:?");
	strcpy(buf, "SHA256:");
	base64(buf + 7, hash, 32, 0);
	return buf;
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

/*
 * Append the server's key for our host to file: one line, O_APPEND under
 * flock(2), then fsync(2).  Other lines are never rewritten.
 */
int
kh_append(LIBSSH2_SESSION *s, const struct khosts *kh, const char *file,
    char *errbuf, size_t errlen)
{
	const char *key, *tname;
	char *line;
	size_t len, n;
	int fd, rc = -1;

	if (server_keytype(s, &key, &len, &tname) == -1) {
		snprintf(errbuf, errlen, "unsupported host key type");
		return -1;
	}
	n = strlen(kh->name) + strlen(tname) + len * 4 / 3 + 16;
	if ((line = malloc(n)) == NULL)
		err(1, NULL);
	n = snprintf(line, n, "%s %s ", kh->name, tname);
	n += base64(line + n, (const unsigned char *)key, len, 1);
	line[n++] = '\n';
	if (ensure_parent(file) == -1 || (fd = open(file, O_WRONLY |
	    O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", file, strerror(errno));
		free(line);
		return -1;
	}
	if (flock(fd, LOCK_EX) == 0 && write(fd, line, n) == (ssize_t)n &&
	    fsync(fd) == 0)
		rc = 0;
	else
		snprintf(errbuf, errlen, "%s: %s", file, strerror(errno));
	close(fd);
	free(line);
	return rc;
}

void
kh_free(struct khosts *kh)
{
	size_t i;

	for (i = 0; i < kh->n; i++) {
		free(kh->m[i].file);
		free(kh->m[i].text);
	}
	free(kh->m);
	free(kh->name);
	memset(kh, 0, sizeof(*kh));
}
