/*
 * libFuzzer target: config.c on arbitrary ssh_config files.  The input's
 * first line is the host as typed; the rest is one or more files separated
 * by lines "@@@": ~/.ssh/f0 (the one read), f1, f2, ... in a private temp
 * home, so that "Include f1" or "Include f*" reaches them (Includes of
 * other paths are skipped: they could read anything, /dev/tty included).
 * The parse is followed by HostName %h and the path, agent and
 * ProxyCommand expansions.  Properties: no crash, no leak, bounded time
 * (Includes stop at 256 files read); and a lone file without Host, Match
 * or Include parses exactly as its lines given one by one as -o options
 * do: the same verdict and the same settings.
 */
#include <sys/stat.h>

#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.c"
#include "match.c"
#include "same.h"

#define MAXFILES	8
#define HOST_MAX	255
#define SEPARATOR	"\n@@@\n"

static char	 home[64];
static char	 sshdir[80];

static void
cleanup(void)
{
	char	path[128];
	int	i;

	for (i = 0; i < MAXFILES; i++) {
		(void)snprintf(path, sizeof(path), "%s/f%d", sshdir, i);
		(void)unlink(path);
	}
	(void)rmdir(sshdir);
	(void)rmdir(home);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	(void)snprintf(home, sizeof(home), "%s/fuzz-config.XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(home) == NULL)
		abort();
	(void)snprintf(sshdir, sizeof(sshdir), "%s/.ssh", home);
	if (mkdir(sshdir, 0700) == -1)
		abort();
	atexit(cleanup);
	return 0;
}

/* The keyword of a line, as parse_line() finds it. */
static int
keyword_is(const char *line, size_t len, const char *name)
{
	size_t	skip = 0, n;

	while (skip < len && strchr(WHITESPACE, line[skip]) != NULL &&
	    line[skip] != '\0')
		skip++;
	for (n = 0; skip + n < len && line[skip + n] != '\0' &&
	    strchr(WHITESPACE "=", line[skip + n]) == NULL; n++)
		;
	return n == strlen(name) && strncasecmp(line + skip, name, n) == 0;
}

/* Is some line of the text (up to NUL, as the parser reads it) name? */
static int
has_keyword(const char *text, size_t len, const char *name)
{
	const char	*nl;
	size_t		 n;

	while (len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		if (keyword_is(text, n, name))
			return 1;
		if (nl == NULL)
			break;
		len -= n + 1;
		text += n + 1;
	}
	return 0;
}

/* An Include whose path could leave the temp home. */
static int
risky_include(const char *text, size_t len)
{
	const char	*nl, *p;
	size_t		 n;

	for (; len > 0; len -= n + (nl != NULL), text += n + (nl != NULL)) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		if (!keyword_is(text, n, "Include"))
			continue;
		for (p = text; p < text + n; p++)
			if (*p == '/' || *p == '~' || *p == '$')
				return 1;
	}
	return 0;
}

static int
write_file(int i, const char *data, size_t len)
{
	char	path[128];
	int	fd, rc = 0;

	(void)snprintf(path, sizeof(path), "%s/f%d", sshdir, i);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		rc = -1;
	(void)close(fd);
	return rc;
}

/*
 * Split the text at SEPARATOR into f0, f1, ...; returns how many.  The
 * files of the previous input beyond them are removed.
 */
static int
write_files(const char *text, size_t len)
{
	static int	 last;
	const char	*sep;
	char		 path[128];
	size_t		 n, seplen = strlen(SEPARATOR);
	int		 i, j;

	for (i = 0; i < MAXFILES; i++) {
		sep = memmem(text, len, SEPARATOR, seplen);
		n = sep != NULL && i < MAXFILES - 1 ? (size_t)(sep - text) : len;
		if (write_file(i, text, n) == -1)
			abort();
		if (n == len)
			break;
		text += n + seplen;
		len -= n + seplen;
	}
	for (j = i + 1; j < last; j++) {
		(void)snprintf(path, sizeof(path), "%s/f%d", sshdir, j);
		(void)unlink(path);
	}
	last = i + 1;
	return last;
}

/* Lists of strings in struct sshconf. */
static int
list_eq(char *const *a, int na, char *const *b, int nb)
{
	return same_strs((const char *const *)a, na, (const char *const *)b,
	    nb);
}

static int
hops_eq(const struct sshconf *a, const struct sshconf *b)
{
	int	i;

	if (a->njump != b->njump)
		return 0;
	for (i = 0; i < a->njump; i++)
		if (!same_str(a->jump[i].user, b->jump[i].user) ||
		    !same_str(a->jump[i].host, b->jump[i].host) ||
		    a->jump[i].port != b->jump[i].port)
			return 0;
	return 1;
}

/* Every setting the two hold, nfiles aside (-o reads no file). */
static int
conf_eq(const struct sshconf *a, const struct sshconf *b)
{
	return same_str(a->hostname, b->hostname) && same_str(a->user, b->user) &&
	    a->port == b->port &&
	    list_eq(a->identity, a->nidentity, b->identity, b->nidentity) &&
	    a->identities_only == b->identities_only &&
	    a->connect_timeout == b->connect_timeout &&
	    a->alive_interval == b->alive_interval &&
	    a->alive_count == b->alive_count &&
	    list_eq(a->known_hosts, a->nknown_hosts, b->known_hosts,
	    b->nknown_hosts) &&
	    list_eq(a->global_known_hosts, a->nglobal_known_hosts,
	    b->global_known_hosts, b->nglobal_known_hosts) &&
	    a->global_known_hosts_set == b->global_known_hosts_set &&
	    a->strict == b->strict && a->address_family == b->address_family &&
	    same_str(a->identity_agent, b->identity_agent) &&
	    same_str(a->hostkey_alias, b->hostkey_alias) &&
	    a->proxy_set == b->proxy_set &&
	    same_str(a->proxy_command, b->proxy_command) && hops_eq(a, b);
}

/* The lines of text given one by one as -o options; 0 or -1. */
static int
as_options(struct sshconf *c, const char *text, size_t len)
{
	char	 err[512], *line;
	size_t	 n;
	int	 rc = 0;
	const char *nl;

	while (rc == 0 && len > 0) {
		nl = memchr(text, '\n', len);
		n = nl != NULL ? (size_t)(nl - text) : len;
		if ((line = strndup(text, n)) == NULL)
			abort();
		rc = conf_option(c, line, err, sizeof(err));
		free(line);
		if (nl == NULL)
			break;
		text += n + 1;
		len -= n + 1;
	}
	return rc;
}

static int
parse(struct sshconf *c, char *err, size_t errlen)
{
	char	path[128];

	(void)snprintf(path, sizeof(path), "%s/f0", sshdir);
	if (conf_read(c, path, CONF_REQUIRED | CONF_CHECKPERM, err,
	    errlen) == -1 || conf_hostname(c, err, errlen) == -1)
		return -1;
	return 0;
}

/* The file and the same lines as -o: the same verdict, the same result. */
static void
check_options(const struct confenv *env, const struct sshconf *file,
    int rc, const char *text, size_t len)
{
	struct sshconf	opt;
	char		err[512];
	int		orc;

	conf_init(&opt, env);
	orc = as_options(&opt, text, len);
	if (orc == 0)
		orc = conf_hostname(&opt, err, sizeof(err));
	assert(orc == rc);
	assert(rc == -1 || conf_eq(file, &opt));
	conf_free(&opt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct confenv	 env = { NULL, NULL, "fuzzer", home };
	struct sshconf	 c;
	const char	*text, *nl;
	char		 host[HOST_MAX + 1], err[512];
	size_t		 len;
	int		 nfiles, rc;

	if ((nl = memchr(data, '\n', size)) == NULL ||
	    (size_t)(nl - (const char *)data) > HOST_MAX)
		return 0;
	len = nl - (const char *)data;
	memcpy(host, data, len);
	host[len] = '\0';
	if (memchr(host, '\0', len) != NULL)
		return 0;
	text = nl + 1;
	len = size - (text - (const char *)data);
	if (risky_include(text, len))
		return 0;
	env.host = host;
	nfiles = write_files(text, len);
	conf_init(&c, &env);
	rc = parse(&c, err, sizeof(err));
	assert(memchr(err, '\0', sizeof(err)) != NULL);
	if (nfiles == 1 && !has_keyword(text, len, "Host") &&
	    !has_keyword(text, len, "Match") &&
	    !has_keyword(text, len, "Include"))
		check_options(&env, &c, rc, text, len);
	if (rc == 0)
		(void)conf_expand(&c, c.hostname != NULL ? c.hostname : host,
		    2222, "remote", err, sizeof(err));
	conf_free(&c);
	return 0;
}
