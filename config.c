/*
 * ssh_config(5) for remoteexe: the keywords of config.h, resolved for one
 * host with OpenSSH's rules.  Every line is checked, even in blocks that do
 * not apply, so a typo is reported the day it is written, not the day its
 * Host block first matches.  A keyword that would change where, as whom or
 * trusting what ssh connects, and that remoteexe cannot honour, is refused
 * in a block that applies (see refusals[]): ignoring it would connect
 * somewhere else than ssh does.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "match.h"
#include "util.h"

#define WHITESPACE	" \t\r\n"
#define MAXDEPTH	16		/* Include nesting, as in OpenSSH */
#define USER_INCDIR	"~/.ssh/"	/* relative Includes of the user's files */

struct parser {
	struct sshconf	*conf;
	const char	*file;		/* NULL: -o, or no line read yet */
	unsigned long	 lineno;
	const char	*from_file;	/* the Include line that read this file */
	unsigned long	 from_line;
	const char	*incdir;	/* where relative Include paths are */
	const char	*origin;	/* "-o" or "-J" on the command line */
	int		 cmdline;	/* parsing a command line option */
	int		 active;	/* the current block applies */
	int		 nevermatch;	/* included by an inactive block */
	int		 checkperm;	/* refuse files others can write */
	int		 depth;		/* of Include */
	char		*err;
	size_t		 errlen;
};

/* The words of a line, packed one after another by tokenize(). */
struct words {
	char	*next;
	int	 left;
	char	*raw;		/* the value as written, for raw keywords */
};

struct escape {
	char		 c;
	const char	*value;		/* NULL: not known here */
};

struct name_value {
	const char	*name;
	int		 value;
};

struct keyword;
typedef int handler(struct parser *, const struct keyword *, struct words *);

static handler	do_host, do_match, do_include, do_string, do_number, do_timeout,
		do_flag, do_strict, do_identity, do_known_hosts, do_global_hosts,
		do_family, do_agent, do_jump, do_proxy_command;

struct keyword {
	const char	*name;
	handler		*handle;
	size_t		 off;		/* its field in struct sshconf */
	long long	 min, max;	/* bounds of a number */
	int		 unset;		/* the field's value when unset */
	const struct escape *escapes;	/* the % escapes a value may hold */
	int		 raw;		/* the handler wants the line as written */
};

/*
 * What remoteexe refuses, and why: a keyword (with a value other than
 * those allowed) in a block that applies is an error naming file:line.
 */
static const struct refusal {
	const char	*name;
	const char	*allowed;	/* values that are fine, ','-separated */
	const char	*why;
} refusals[] = {
	{ "BindAddress", NULL,
	    "binding to a local address is not supported" },
	{ "BindInterface", NULL,
	    "binding to a local interface is not supported" },
	{ "CanonicalizeHostname", "no,false",
	    "host name canonicalization is not supported" },
	{ "CertificateFile", NULL,
	    "certificates are not supported (libssh2 cannot use them)" },
	{ "KnownHostsCommand", "none",
	    "host keys from a command are not supported" },
	{ "PKCS11Provider", "none",
	    "PKCS#11 keys are not supported; load them into ssh-agent "
	    "(ssh-add -s)" },
	{ "PubkeyAuthentication", "yes,true,unbound,host-bound",
	    "remoteexe authenticates only with public keys" },
	{ "RemoteCommand", "none",
	    "the command comes from the command line (ssh refuses both)" },
	{ "RevokedHostKeys", "none",
	    "a revoked keys file is not checked; mark the keys @revoked in "
	    "known_hosts" },
	{ "SecurityKeyProvider", "internal",
	    "security key providers are not supported" },
	{ "SessionType", "default",
	    "only a command session is supported" },
	{ "SmartcardDevice", NULL,
	    "PKCS#11 keys are not supported; load them into ssh-agent "
	    "(ssh-add -s)" },
};

static int	read_file(struct parser *, const char *, int);

/* The escapes a value may hold; conf_expand gives them their values. */
static const struct escape host_escapes[] = {
	{ 'h', "" }, { '\0', NULL }
};
static const struct escape path_escapes[] = {
	{ 'd', "" }, { 'h', "" }, { 'p', "" }, { 'r', "" }, { 'u', "" },
	{ '\0', NULL }
};
static const struct escape proxy_escapes[] = {
	{ 'h', "" }, { 'n', "" }, { 'p', "" }, { 'r', "" }, { '\0', NULL }
};

#define F(field)	offsetof(struct sshconf, field)

static const struct keyword keywords[] = {
	{ "AddressFamily", do_family, F(address_family), 0, 0, -1, NULL, 0 },
	{ "ConnectTimeout", do_timeout, F(connect_timeout), 1, 86400, -1,
	    NULL, 0 },
	{ "GlobalKnownHostsFile", do_global_hosts, 0, 0, 0, 0, NULL, 0 },
	{ "HashKnownHosts", do_flag, F(hash_known_hosts), 0, 0, -1, NULL, 0 },
	{ "Host", do_host, 0, 0, 0, 0, NULL, 0 },
	{ "HostKeyAlias", do_string, F(hostkey_alias), 0, 0, 0, NULL, 0 },
	{ "HostName", do_string, F(hostname), 0, 0, 0, host_escapes, 0 },
	{ "IdentitiesOnly", do_flag, F(identities_only), 0, 0, -1, NULL, 0 },
	{ "IdentityAgent", do_agent, F(identity_agent), 0, 0, 0, path_escapes,
	    0 },
	{ "IdentityFile", do_identity, 0, 0, 0, 0, path_escapes, 0 },
	{ "Include", do_include, 0, 0, 0, 0, NULL, 0 },
	{ "Match", do_match, 0, 0, 0, 0, NULL, 0 },
	{ "Port", do_number, F(port), 1, 65535, 0, NULL, 0 },
	{ "ProxyCommand", do_proxy_command, 0, 0, 0, 0, proxy_escapes, 1 },
	{ "ProxyJump", do_jump, 0, 0, 0, 0, NULL, 1 },
	{ "ServerAliveCountMax", do_number, F(alive_count), 1, 1000, -1,
	    NULL, 0 },
	{ "ServerAliveInterval", do_number, F(alive_interval), 0, 86400, -1,
	    NULL, 0 },
	{ "StrictHostKeyChecking", do_strict, F(strict), 0, 0, STRICT_UNSET,
	    NULL, 0 },
	{ "User", do_string, F(user), 0, 0, 0, NULL, 0 },
	{ "UserKnownHostsFile", do_known_hosts, 0, 0, 0, 0, path_escapes, 0 },
};

/*
 * Put "where: message" in the caller's buffer and return -1.  Where is
 * "file:line" for a config line, "-o" or "-J" for a command line option,
 * and the Include line for a file that cannot be read.
 */
static int __attribute__((format(printf, 2, 3)))
parse_error(struct parser *p, const char *fmt, ...)
{
	va_list	ap;
	int	n = 0;

	if (p->cmdline)
		n = snprintf(p->err, p->errlen, "%s ", p->origin);
	else if (p->file != NULL && p->lineno > 0)
		n = snprintf(p->err, p->errlen, "%s:%lu: ", p->file,
		    p->lineno);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
parse_errno(struct parser *p, const char *what)
{
	return parse_error(p, "%s: %s", what, strerror(errno));
}

static char *
word_next(struct words *w)
{
	char	*s;

	if (w->left == 0)
		return NULL;
	s = w->next;
	w->next += strlen(s) + 1;
	w->left--;
	return s;
}

static int
escapable(char c, char quote)
{
	return c != '\0' && (strchr("\"'\\", c) != NULL ||
	    (quote == 0 && c == ' '));
}

/*
 * Split s into words in place, as OpenSSH's argv_split(): quotes group,
 * a backslash escapes a quote, a backslash or (unquoted) a blank, and an
 * unquoted '#' at the start of a word ends the line.  The words are packed
 * NUL-terminated at the start of s.  Returns their count, -1 on an
 * unterminated quote.
 */
static int
tokenize(char *s)
{
	char	*r = s, *w = s, quote;
	int	 n = 0;

	for (;;) {
		r += strspn(r, WHITESPACE);
		if (*r == '\0' || *r == '#')
			return n;
		for (quote = 0; *r != '\0'; r++) {
			if (*r == '\\' && escapable(r[1], quote))
				*w++ = *++r;
			else if (quote == 0 && strchr(WHITESPACE, *r) != NULL)
				break;
			else if (quote == 0 && (*r == '"' || *r == '\''))
				quote = *r;
			else if (quote != 0 && *r == quote)
				quote = 0;
			else
				*w++ = *r;
		}
		if (quote != 0)
			return -1;
		if (*r != '\0')
			r++;
		*w++ = '\0';
		n++;
	}
}

/*
 * Host lines match the host as typed, case-sensitively, as OpenSSH 9.2
 * does; a matching "!pattern" vetoes the line whatever else matches.
 */
static int
host_matches(const char *host, struct words *w)
{
	const char	*pat;
	int		 matched = 0;

	while ((pat = word_next(w)) != NULL) {
		if (*pat == '!') {
			if (match_pattern(host, pat + 1, strlen(pat + 1), 0))
				return 0;
		} else if (match_pattern(host, pat, strlen(pat), 0))
			matched = 1;
	}
	return matched;
}

static int
do_host(struct parser *p, const struct keyword *k, struct words *w)
{
	if (p->cmdline)
		return parse_error(p, "%s: not allowed on the command line",
		    k->name);
	p->active = !p->nevermatch && host_matches(p->conf->env->host, w);
	return 0;
}

static void
lower_in_place(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

static char *
lowercase(const char *s)
{
	char	*lc;

	if ((lc = strdup(s)) != NULL)
		lower_in_place(lc);
	return lc;
}

/*
 * OpenSSH's match_pattern_list(): a ','-separated list of patterns, each
 * maybe negated with '!'.  1 if one matches and no negated one does, -1
 * if a negated one matches, else 0.  fold: s is in lower case, and so are
 * the patterns compared.
 */
static int
list_match(const char *s, const char *list, int fold)
{
	const char	*pat = list;
	size_t		 len;
	int		 got = 0, neg;

	while (*pat != '\0') {
		if ((neg = *pat == '!'))
			pat++;
		len = strcspn(pat, ",");
		if (match_pattern(s, pat, len, fold)) {
			if (neg)
				return -1;
			got = 1;
		}
		pat += len + (pat[len] == ',');
	}
	return got;
}

/* Append len bytes of v to dst at *n (dst NULL: only count them). */
static void
append(char *dst, size_t *n, const char *v, size_t len)
{
	if (dst != NULL)
		memcpy(dst + *n, v, len);
	*n += len;
}

/*
 * The value of the escape at s ("%x" or "${NAME}"), or NULL when it is
 * not known; *end is set to its last character.  env 2 only checks the
 * form of ${NAME}, whose value is looked up later.
 */
static const char *
escape_value(const char *s, const struct escape *esc, int env,
    const char **end)
{
	const struct escape	*e;
	const char		*close;
	char			 name[256];
	size_t			 len;

	*end = s + 1;
	if (*s == '%') {
		if (s[1] == '%')
			return "%";
		for (e = esc; s[1] != '\0' && e->c != '\0'; e++)
			if (e->c == s[1])
				return e->value;
		return NULL;
	}
	if ((close = strchr(s + 2, '}')) == NULL ||
	    (len = close - s - 2) == 0 || len >= sizeof(name))
		return NULL;
	memcpy(name, s + 2, len);
	name[len] = '\0';
	*end = close;
	return env == 2 ? "" : getenv(name);
}

/*
 * Copy s to dst (when dst is not NULL) with its % escapes replaced, and,
 * when env is not 0, ${NAME} by the environment variable (see
 * escape_value).  Returns the expanded length, or -1 with *bad pointing at
 * the faulty '%' or '$'.
 */
static ssize_t
percent_copy(char *dst, const char *s, const struct escape *esc, int env,
    const char **bad)
{
	const char	*v, *end;
	size_t		 n = 0;

	for (; *s != '\0'; s++) {
		if (*s != '%' && !(env && s[0] == '$' && s[1] == '{')) {
			append(dst, &n, s, 1);
			continue;
		}
		if ((v = escape_value(s, esc, env, &end)) == NULL) {
			*bad = s;
			return -1;
		}
		append(dst, &n, v, strlen(v));
		s = end;
	}
	if (dst != NULL)
		dst[n] = '\0';
	return n;
}

static int
escape_error(struct parser *p, const char *name, const char *value,
    const char *bad, const struct escape *esc)
{
	size_t	len;

	if (*bad == '$') {
		len = strcspn(bad + 2, "}");
		if (bad[2 + len] == '}' && len > 0)
			return parse_error(p, "%s: %s: environment variable "
			    "%.*s is not set", name, value, (int)len, bad + 2);
		return parse_error(p, "%s: %s: ${ without a name and }", name,
		    value);
	}
	if (bad[1] == '\0')
		return parse_error(p, "%s: %s: %% at the end", name, value);
	for (; esc->c != '\0'; esc++)
		if (esc->c == bad[1])
			return parse_error(p, "%s: %s: the value of %%%c is not "
			    "known", name, value, bad[1]);
	return parse_error(p, "%s: %s: unknown escape %%%c", name, value,
	    bad[1]);
}

/* Replace *s by its copy with the escapes of the table expanded. */
static int
expand_percent(struct parser *p, const char *name, char **s,
    const struct escape *esc, int env)
{
	const char	*bad;
	ssize_t		 len;
	char		*exp;

	if ((len = percent_copy(NULL, *s, esc, env, &bad)) == -1)
		return escape_error(p, name, *s, bad, esc);
	if ((exp = malloc(len + 1)) == NULL)
		return parse_errno(p, name);
	(void)percent_copy(exp, *s, esc, env, &bad);
	free(*s);
	*s = exp;
	return 0;
}

/*
 * Check the escapes of a value when it is read, so its line is reported.
 * Paths may also hold ${NAME}, whose value is looked up later.
 */
static int
check_escapes(struct parser *p, const struct keyword *k, const char *value)
{
	const char	*bad;
	int		 env = k->escapes == path_escapes ? 2 : 0;

	if (k->escapes != NULL &&
	    percent_copy(NULL, value, k->escapes, env, &bad) == -1)
		return escape_error(p, k->name, value, bad, k->escapes);
	return 0;
}

/* HostName as far as it is known now, %h expanded: what Match host sees. */
static char *
current_host(const struct parser *p)
{
	const struct escape	 esc[] = { { 'h', p->conf->env->host },
	    { '\0', NULL } };
	const char		*bad;
	const char		*name = p->conf->hostname;
	ssize_t			 len;
	char			*s;

	if (name == NULL || (len = percent_copy(NULL, name, esc, 0,
	    &bad)) == -1)
		return lowercase(p->conf->env->host);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	(void)percent_copy(s, name, esc, 0, &bad);
	lower_in_place(s);
	return s;
}

/* The remote user as far as it is known now: what Match user sees. */
static const char *
current_user(const struct parser *p)
{
	const struct confenv	*env = p->conf->env;

	if (env->user != NULL)
		return env->user;
	if (p->conf->user != NULL)
		return p->conf->user;
	return env->localuser != NULL ? env->localuser : "";
}

/* Match host/originalhost: case-insensitive, as ssh's match_hostname(). */
static int
match_host(const struct parser *p, int original, const char *arg)
{
	char	*host;
	int	 r;

	host = original ? lowercase(p->conf->env->host) : current_host(p);
	if (host == NULL)
		return -2;
	r = list_match(host, arg, 1);
	free(host);
	return r;
}

/*
 * One Match criterion with its argument: 1 true, 0 false, -1 an error
 * (reported), -2 out of memory.  A criterion remoteexe cannot evaluate
 * is refused only when it decides whether the block applies: when the
 * criteria before it hold (ssh skips "exec" otherwise, too).
 */
static int
criterion(struct parser *p, const char *name, const char *arg, int sofar)
{
	static const char *const unsupported[] = {
		"exec", "tagged", "localnetwork", "version", "sessiontype",
		"command"
	};
	const char	*who;
	size_t		 i;
	int		 r;

	if (strcasecmp(name, "host") == 0 ||
	    strcasecmp(name, "originalhost") == 0) {
		r = match_host(p, tolower((unsigned char)*name) == 'o', arg);
		return r == -2 ? -2 : r == 1;
	}
	if (strcasecmp(name, "user") == 0 ||
	    strcasecmp(name, "localuser") == 0) {
		who = tolower((unsigned char)*name) == 'u' ? current_user(p) :
		    p->conf->env->localuser;
		r = list_match(who != NULL ? who : "", arg, 0);
		return r == -2 ? -2 : r == 1;
	}
	for (i = 0; i < NITEMS(unsupported); i++)
		if (strcasecmp(name, unsupported[i]) == 0) {
			if (!sofar || p->nevermatch)
				return 0;
			return parse_error(p, "Match %s: not supported by "
			    "remoteexe, so whether this block applies is not "
			    "known", unsupported[i]);
		}
	return parse_error(p, "Match: unknown criterion %s", name);
}

/*
 * "canonical" holds only in the pass ssh makes after canonicalizing the
 * host name, which remoteexe never does (CanonicalizeHostname is
 * refused); "final" asks for a second pass with other rules for Host, so
 * it is refused.  Returns 1, 0 or -1 as criterion().
 */
static int
pass_criterion(struct parser *p, const char *name)
{
	if (strcasecmp(name, "canonical") == 0)
		return 0;
	if (p->nevermatch)
		return 0;
	return parse_error(p, "Match final: not supported by remoteexe (it "
	    "makes no second pass over the configuration)");
}

static int
is_pass_criterion(const char *name)
{
	return strcasecmp(name, "canonical") == 0 ||
	    strcasecmp(name, "final") == 0;
}

/*
 * Match with ssh's semantics: criteria are and-ed, a leading '!' negates
 * one, "all" stands alone.  host is HostName as far as it is set (%h
 * expanded), originalhost the host as typed, user the remote user as far
 * as it is known (the command line's, else User so far, else the local
 * user), localuser ours.
 */
static int
do_match(struct parser *p, const struct keyword *k, struct words *w)
{
	const char	*attr, *name, *arg;
	int		 result = 1, n = 0, neg, r;

	if (p->cmdline)
		return parse_error(p, "%s: not allowed on the command line",
		    k->name);
	while ((attr = word_next(w)) != NULL) {
		neg = *attr == '!';
		name = attr + neg;
		if (strcasecmp(name, "all") == 0) {
			if (n > 1 || w->left > 0)
				return parse_error(p, "Match: %s cannot be "
				    "combined with other criteria", attr);
			if (result)
				result = !neg;
			n = 1;
			break;
		}
		n++;
		if (is_pass_criterion(name))
			r = pass_criterion(p, name);
		else if ((arg = word_next(w)) == NULL)
			return parse_error(p, "Match: %s needs an argument",
			    attr);
		else
			r = criterion(p, name, arg, result);
		if (r == -2)
			return parse_errno(p, k->name);
		if (r == -1)
			return -1;
		if (r == neg)
			result = 0;
	}
	if (n == 0)
		return parse_error(p, "%s: missing criteria", k->name);
	p->active = !p->nevermatch && result;
	return 0;
}

/* The directory "~user" stands for; "~" alone is ours (conf_init). */
static const char *
tilde_dir(const struct parser *p, const char *user)
{
	struct passwd	*pw;

	if (*user == '\0')
		return p->conf->env->home;
	pw = getpwnam(user);
	return pw == NULL ? NULL : pw->pw_dir;
}

static char *
concat(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);
	char	*s;

	if ((s = malloc(la + lb + 1)) == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/*
 * Split a leading "~" or "~user" off path: *home is its directory ("" when
 * there is none) and *rest what follows.
 */
static int
split_tilde(struct parser *p, const char *path, const char **home,
    const char **rest)
{
	char	*user;
	size_t	 len;

	*home = "";
	*rest = path;
	if (*path != '~')
		return 0;
	len = strcspn(path + 1, "/");
	if ((user = strndup(path + 1, len)) == NULL)
		return parse_errno(p, path);
	*home = tilde_dir(p, user);
	free(user);
	if (*home == NULL)
		return parse_error(p, "%s: no home directory for ~%.*s "
		    "(no passwd entry)", path, (int)len, path + 1);
	*rest = path + 1 + len;
	return 0;
}

/* Replace *path by its copy with "~" expanded. */
static int
expand_tilde(struct parser *p, const char *name, char **path)
{
	const char	*home, *rest;
	char		*s;

	if (split_tilde(p, *path, &home, &rest) == -1)
		return -1;
	if ((s = concat(home, rest)) == NULL)
		return parse_errno(p, name);
	free(*path);
	*path = s;
	return 0;
}

/*
 * Relative Include paths are in ~/.ssh for the user's files and in the
 * system file's directory for it, as for ssh.
 */
static int
include_path(struct parser *p, const char *arg, char **path)
{
	if (*arg == '/' || *arg == '~')
		*path = strdup(arg);
	else
		*path = concat(p->incdir, arg);
	if (*path == NULL)
		return parse_errno(p, "Include");
	if (expand_tilde(p, "Include", path) == -1) {
		free(*path);
		return -1;
	}
	return 0;
}

/*
 * Read every file the pattern names.  A file included from a block that
 * does not apply is still parsed and checked, but nothing in it applies,
 * as in OpenSSH.  A Host line in it ends with the file.
 */
static int
include_glob(struct parser *p, const char *pattern)
{
	struct parser	 child = *p;
	glob_t		 gl;
	size_t		 i;
	int		 rc;

	child.nevermatch = p->nevermatch || !p->active;
	child.checkperm = 1;
	child.depth = p->depth + 1;
	child.from_file = p->file;
	child.from_line = p->lineno;
	rc = glob(pattern, 0, NULL, &gl);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return parse_error(p, "Include %s: %s", pattern,
		    rc == GLOB_NOSPACE ? strerror(ENOMEM) : "cannot read");
	for (i = 0; i < gl.gl_pathc && rc == 0; i++)
		rc = read_file(&child, gl.gl_pathv[i], 0);
	globfree(&gl);
	return rc;
}

static int
do_include(struct parser *p, const struct keyword *k, struct words *w)
{
	char	*arg, *pattern;
	int	 rc = 0;

	if (p->cmdline)
		return parse_error(p, "%s: not allowed on the command line",
		    k->name);
	if (p->depth >= MAXDEPTH)
		return parse_error(p, "%s: nested more than %d deep", k->name,
		    MAXDEPTH);
	while (rc == 0 && (arg = word_next(w)) != NULL) {
		if (include_path(p, arg, &pattern) == -1)
			return -1;
		rc = include_glob(p, pattern);
		free(pattern);
	}
	return rc;
}

/* A one-value keyword: "Port 22 23" is an error, as in OpenSSH. */
static int
only_value(struct parser *p, const struct keyword *k, struct words *w,
    char **value)
{
	*value = word_next(w);
	if (w->left > 0)
		return parse_error(p, "%s: one value expected, got %d", k->name,
		    w->left + 1);
	return 0;
}

/* First value wins: later lines and blocks do not override. */
static void
set_int(struct parser *p, const struct keyword *k, int value)
{
	int	*field = (int *)(void *)((char *)p->conf + k->off);

	if (p->active && *field == k->unset)
		*field = value;
}

static int
set_string(struct parser *p, const struct keyword *k, const char *value)
{
	char	**field = (char **)(void *)((char *)p->conf + k->off);

	if (!p->active || *field != NULL)
		return 0;
	if ((*field = strdup(value)) == NULL)
		return parse_errno(p, k->name);
	return 0;
}

static int
do_string(struct parser *p, const struct keyword *k, struct words *w)
{
	char	*value;

	if (only_value(p, k, w, &value) == -1 ||
	    check_escapes(p, k, value) == -1)
		return -1;
	return set_string(p, k, value);
}

static int
do_number(struct parser *p, const struct keyword *k, struct words *w)
{
	const char	*errstr;
	char		*value;
	long long	 n;

	if (only_value(p, k, w, &value) == -1)
		return -1;
	n = strtonum(value, k->min, k->max, &errstr);
	if (errstr != NULL)
		return parse_error(p, "%s: %s is %s", k->name, value, errstr);
	set_int(p, k, (int)n);
	return 0;
}

/* ConnectTimeout 0 or none leaves it unset, so a later block may set it. */
static int
do_timeout(struct parser *p, const struct keyword *k, struct words *w)
{
	if (w->left == 1 && (strcasecmp(w->next, "none") == 0 ||
	    strcmp(w->next, "0") == 0))
		return 0;
	return do_number(p, k, w);
}

static int
do_choice(struct parser *p, const struct keyword *k, struct words *w,
    const struct name_value *choices, const char *expected)
{
	char	*value;

	if (only_value(p, k, w, &value) == -1)
		return -1;
	for (; choices->name != NULL; choices++)
		if (strcasecmp(value, choices->name) == 0) {
			set_int(p, k, choices->value);
			return 0;
		}
	return parse_error(p, "%s: %s is not %s", k->name, value, expected);
}

static int
do_flag(struct parser *p, const struct keyword *k, struct words *w)
{
	static const struct name_value choices[] = {
		{ "yes", 1 }, { "true", 1 }, { "no", 0 }, { "false", 0 },
		{ NULL, 0 }
	};

	return do_choice(p, k, w, choices, "yes or no");
}

/* "no" means accept-new: a changed key never passes (enum strict). */
static int
do_strict(struct parser *p, const struct keyword *k, struct words *w)
{
	static const struct name_value choices[] = {
		{ "yes", STRICT_YES }, { "true", STRICT_YES },
		{ "ask", STRICT_YES }, { "accept-new", STRICT_ACCEPT_NEW },
		{ "no", STRICT_ACCEPT_NEW }, { "false", STRICT_ACCEPT_NEW },
		{ "off", STRICT_ACCEPT_NEW }, { NULL, 0 }
	};

	return do_choice(p, k, w, choices, "yes, accept-new, no or ask");
}

static int
do_family(struct parser *p, const struct keyword *k, struct words *w)
{
	static const struct name_value choices[] = {
		{ "any", AF_UNSPEC }, { "inet", AF_INET }, { "inet6", AF_INET6 },
		{ NULL, 0 }
	};

	return do_choice(p, k, w, choices, "any, inet or inet6");
}

/* IdentityFile accumulates, skipping repeats, as in OpenSSH. */
static int
do_identity(struct parser *p, const struct keyword *k, struct words *w)
{
	struct sshconf	*c = p->conf;
	char		*value;
	int		 i;

	if (only_value(p, k, w, &value) == -1 ||
	    check_escapes(p, k, value) == -1)
		return -1;
	if (!p->active)
		return 0;
	for (i = 0; i < c->nidentity; i++)
		if (strcmp(c->identity[i], value) == 0)
			return 0;
	if (c->nidentity == CONF_MAXID)
		return parse_error(p, "%s: more than %d files", k->name,
		    CONF_MAXID);
	if ((c->identity[c->nidentity] = strdup(value)) == NULL)
		return parse_errno(p, k->name);
	c->nidentity++;
	return 0;
}

/*
 * The files of a known_hosts keyword: all those of its first line that
 * applies (take), each checked on every line.  A "none" stands for map,
 * or for no file when map is NULL.
 */
static int
set_files(struct parser *p, const struct keyword *k, struct words *w,
    char **files, int *n, const char *map, int take)
{
	const char	*value;
	int		 count = 0;

	while ((value = word_next(w)) != NULL) {
		if (check_escapes(p, k, value) == -1)
			return -1;
		if (strcasecmp(value, "none") == 0 && (value = map) == NULL)
			continue;
		if (++count > CONF_MAXKH)
			return parse_error(p, "%s: more than %d files",
			    k->name, CONF_MAXKH);
		if (take && (files[(*n)++] = strdup(value)) == NULL)
			return parse_errno(p, k->name);
	}
	return 0;
}

/* "none" checks against an empty file. */
static int
do_known_hosts(struct parser *p, const struct keyword *k, struct words *w)
{
	struct sshconf	*c = p->conf;

	return set_files(p, k, w, c->known_hosts, &c->nknown_hosts,
	    "/dev/null", p->active && c->nknown_hosts == 0);
}

static int
do_global_hosts(struct parser *p, const struct keyword *k, struct words *w)
{
	struct sshconf	*c = p->conf;
	int		 take = p->active && !c->global_known_hosts_set;

	if (set_files(p, k, w, c->global_known_hosts,
	    &c->nglobal_known_hosts, NULL, take) == -1)
		return -1;
	if (take)
		c->global_known_hosts_set = 1;
	return 0;
}

/* none, SSH_AUTH_SOCK and $NAME are names, not paths: no escapes. */
static int
do_agent(struct parser *p, const struct keyword *k, struct words *w)
{
	char	*value;

	if (only_value(p, k, w, &value) == -1)
		return -1;
	if (strcasecmp(value, "none") != 0 &&
	    strcmp(value, "SSH_AUTH_SOCK") != 0 && *value != '$' &&
	    check_escapes(p, k, value) == -1)
		return -1;
	return set_string(p, k, value);
}

/* Characters a host name may not hold (ssh's valid_hostname()). */
static int
bad_hostname(const char *h)
{
	return *h == '\0' || *h == '-' ||
	    strpbrk(h, "'`\"$\\;&<>|()/ \t") != NULL;
}

/* "[v6]:port", "host:port" or "host": split host and port in place. */
static int
split_host_port(char *s, char **host, char **port)
{
	char	*c;

	*port = NULL;
	if (*s == '[') {
		if ((c = strchr(s, ']')) == NULL || (c[1] != '\0' &&
		    c[1] != ':'))
			return -1;
		*c = '\0';
		*host = s + 1;
		if (c[1] == ':')
			*port = c + 2;
		return 0;
	}
	*host = s;
	if ((c = strchr(s, ':')) != NULL) {
		if (strchr(c + 1, ':') != NULL)
			return -1;	/* an IPv6 address needs [] */
		*c = '\0';
		*port = c + 1;
	}
	return 0;
}

/*
 * One ProxyJump hop, "[user@]host[:port]" or "ssh://[user@]host[:port]",
 * as ssh's parse_user_host_port() (a port is a number).
 */
static int
parse_hop(char *s, struct hop *h)
{
	const char	*errstr;
	char		*at, *host, *port;

	memset(h, 0, sizeof(*h));
	if (strncmp(s, "ssh://", 6) == 0) {
		s += 6;
		if (*s != '\0' && s[strlen(s) - 1] == '/')
			s[strlen(s) - 1] = '\0';
	}
	if ((at = strrchr(s, '@')) != NULL) {
		*at = '\0';
		if (*s == '\0' || (h->user = strdup(s)) == NULL)
			return -1;
		s = at + 1;
	}
	if (split_host_port(s, &host, &port) == -1 || bad_hostname(host))
		return -1;
	if (port != NULL && *port != '\0') {
		h->port = (int)strtonum(port, 1, 65535, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return (h->host = strdup(host)) == NULL ? -1 : 0;
}

static void
free_hops(struct hop *hops, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(hops[i].user);
		free(hops[i].host);
	}
}

/* Parse "hop,hop,..." into hops; *n 0 for "none".  -1 if malformed. */
static int
parse_hops(char *s, struct hop *hops, int *n)
{
	char	*one;

	*n = 0;
	if (strcasecmp(s, "none") == 0)
		return 0;
	while ((one = strsep(&s, ",")) != NULL) {
		if (*n == CONF_MAXHOPS || parse_hop(one, &hops[*n]) == -1) {
			free_hops(hops, *n + (*n < CONF_MAXHOPS));
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/* ProxyJump and ProxyCommand: the first of them that applies wins. */
static int
proxy_free(const struct parser *p)
{
	return p->active && !p->conf->proxy_set;
}

/* The value as written: a '#' starts a comment, trailing blanks go. */
static char *
jump_value(const char *raw)
{
	char	*s, *end;

	if ((s = strdup(raw)) == NULL)
		return NULL;
	s[strcspn(s, "#")] = '\0';
	for (end = s + strlen(s); end > s && strchr(WHITESPACE, end[-1]) !=
	    NULL; end--)
		;
	*end = '\0';
	return s;
}

static int
set_jump(struct parser *p, const char *name, const char *raw)
{
	struct hop	 hops[CONF_MAXHOPS];
	char		*value;
	int		 n, rc;

	if ((value = jump_value(raw)) == NULL)
		return parse_errno(p, "ProxyJump");
	rc = parse_hops(value, hops, &n);
	free(value);
	if (rc == -1 && name == NULL)
		return parse_error(p, "%s: not [user@]host[:port][,...] or "
		    "none", raw);
	if (rc == -1)
		return parse_error(p, "%s: %s: not [user@]host[:port][,...] "
		    "or none", name, raw);
	if (!proxy_free(p)) {
		free_hops(hops, n);
		return 0;
	}
	memcpy(p->conf->jump, hops, sizeof(hops[0]) * n);
	p->conf->njump = n;
	p->conf->proxy_set = 1;
	return 0;
}

static int
do_jump(struct parser *p, const struct keyword *k, struct words *w)
{
	return set_jump(p, k->name, w->raw);
}

/* The rest of the line as written is the command, as for ssh. */
static int
do_proxy_command(struct parser *p, const struct keyword *k, struct words *w)
{
	struct sshconf	*c = p->conf;

	if (check_escapes(p, k, w->raw) == -1)
		return -1;
	if (!proxy_free(p))
		return 0;
	c->proxy_set = 1;
	if (strcasecmp(w->raw, "none") == 0)
		return 0;
	if ((c->proxy_command = strdup(w->raw)) == NULL)
		return parse_errno(p, k->name);
	return 0;
}

/*
 * The entry for name in a table of n entries of size bytes, each of them
 * starting with its name (keywords[], refusals[]).
 */
static const void *
find_named(const void *table, size_t n, size_t size, const char *name)
{
	const char	*entry = table;
	size_t		 i;

	for (i = 0; i < n; i++, entry += size)
		if (strcasecmp(name, *(const char *const *)(const void *)entry)
		    == 0)
			return entry;
	return NULL;
}

/* Is value one of the ','-separated allowed ones? */
static int
allowed(const char *list, const char *value)
{
	size_t	len = strlen(value);

	while (list != NULL && *list != '\0') {
		if (strncasecmp(list, value, len) == 0 &&
		    (list[len] == ',' || list[len] == '\0'))
			return 1;
		list = strchr(list, ',');
		list = list != NULL ? list + 1 : NULL;
	}
	return 0;
}

static int
refuse(struct parser *p, const struct refusal *r, const char *value)
{
	if (!p->active || allowed(r->allowed, value))
		return 0;
	return parse_error(p, "%s %s: not supported by remoteexe: %s", r->name,
	    value, r->why);
}

/* The value after the keyword, as written, without trailing blanks. */
static char *
raw_value(const char *rest)
{
	char	*s, *end;

	if ((s = strdup(rest + strspn(rest, WHITESPACE "="))) == NULL)
		return NULL;
	for (end = s + strlen(s); end > s && strchr(WHITESPACE, end[-1]) !=
	    NULL; end--)
		;
	*end = '\0';
	return s;
}

/* Split the value into words and hand them to the keyword's handler. */
static int
handle(struct parser *p, const char *name, const struct keyword *k,
    const struct refusal *r, char *rest)
{
	struct words	 w = { rest, 0, NULL };
	int		 rc;

	if (k != NULL && k->raw && (w.raw = raw_value(rest)) == NULL)
		return parse_errno(p, name);
	if ((w.left = tokenize(rest)) == -1)
		rc = parse_error(p, "%s: unterminated quote", name);
	else if (w.left == 0 || *w.next == '\0')
		rc = parse_error(p, "%s: missing value", name);
	else if (k != NULL)
		rc = k->handle(p, k, &w);
	else
		rc = refuse(p, r, w.next);
	free(w.raw);
	return rc;
}

/*
 * One line: "keyword value...", "keyword=value" or "keyword = value".
 * A keyword remoteexe neither uses nor refuses is ignored, whatever
 * follows it.
 */
static int
parse_line(struct parser *p, char *line)
{
	const struct keyword	*k;
	const struct refusal	*r = NULL;
	char			*name, *end, *rest;

	name = line + strspn(line, WHITESPACE);
	if (*name == '\0' || *name == '#')
		return 0;
	end = name + strcspn(name, WHITESPACE "=");
	rest = end + strspn(end, WHITESPACE);
	if (*rest == '=')
		rest++;
	*end = '\0';
	if ((k = find_named(keywords, NITEMS(keywords), sizeof(keywords[0]),
	    name)) == NULL && (r = find_named(refusals, NITEMS(refusals),
	    sizeof(refusals[0]), name)) == NULL)
		return 0;
	return handle(p, k != NULL ? k->name : r->name, k, r, rest);
}

/* As ssh, refuse a file that another user could have written. */
static int
check_perm(struct parser *p, FILE *fp, const char *path)
{
	struct stat	st;

	if (fstat(fileno(fp), &st) == -1)
		return parse_errno(p, path);
	if ((st.st_uid != 0 && st.st_uid != getuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return parse_error(p, "%s%s: bad owner or permissions (another "
		    "user may write it)", p->depth > 0 ? "Include " : "",
		    path);
	return 0;
}

/* A file that cannot be opened or read: named with the Include line. */
static int
file_error(struct parser *p, const char *path)
{
	p->file = p->from_file;
	p->lineno = p->from_line;
	if (p->depth > 0)
		return parse_error(p, "Include %s: %s", path, strerror(errno));
	return parse_errno(p, path);
}

/*
 * Every file read counts, the same one twice too: Includes that fan out
 * cost at most CONF_MAXFILES reads, however deep they nest.
 */
static int
count_file(struct parser *p)
{
	if (++p->conf->nfiles <= CONF_MAXFILES)
		return 0;
	return parse_error(p, "Include: more than %d files read for one "
	    "configuration (Includes fanning out?)", CONF_MAXFILES);
}

static int
read_file(struct parser *p, const char *path, int must_exist)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	int	 rc = 0;

	p->file = p->from_file;
	p->lineno = p->from_line;
	if (count_file(p) == -1)
		return -1;
	if ((fp = fopen(path, "r")) == NULL)
		return errno == ENOENT && !must_exist ? 0 :
		    file_error(p, path);
	if (p->checkperm)
		rc = check_perm(p, fp, path);
	if (rc == 0) {
		p->file = path;
		p->lineno = 0;
	}
	while (rc == 0 && getline(&line, &cap, fp) != -1) {
		p->lineno++;
		rc = parse_line(p, line);
	}
	if (rc == 0 && ferror(fp))
		rc = file_error(p, path);
	free(line);
	(void)fclose(fp);
	return rc;
}

void
conf_init(struct sshconf *conf, const struct confenv *env)
{
	memset(conf, 0, sizeof(*conf));
	conf->env = env;
	conf->identities_only = -1;
	conf->connect_timeout = -1;
	conf->alive_interval = -1;
	conf->alive_count = -1;
	conf->strict = STRICT_UNSET;
	conf->hash_known_hosts = -1;
	conf->address_family = -1;
}

static void
parser_init(struct parser *p, struct sshconf *conf, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->active = 1;
	p->incdir = USER_INCDIR;
	p->origin = "-o";
	p->err = err;
	p->errlen = errlen;
	if (errlen > 0)
		*err = '\0';
}

int
conf_option(struct sshconf *conf, const char *option, char *err,
    size_t errlen)
{
	struct parser	 p;
	char		*line;
	int		 rc;

	parser_init(&p, conf, err, errlen);
	p.cmdline = 1;
	if ((line = strdup(option)) == NULL)
		return parse_errno(&p, option);
	rc = parse_line(&p, line);
	free(line);
	return rc;
}

int
conf_jump_option(struct sshconf *conf, const char *arg, char *err,
    size_t errlen)
{
	struct parser	p;

	parser_init(&p, conf, err, errlen);
	p.cmdline = 1;
	p.origin = "-J";
	return set_jump(&p, NULL, arg);
}

/*
 * Is arg a ProxyJump value ("none" or hops)?  For -J, checked with the
 * other options, before START.  Out of memory, it says yes: the load of
 * the settings then reports it.
 */
int
conf_jump_valid(const char *arg)
{
	struct hop	 hops[CONF_MAXHOPS];
	char		*value;
	int		 n, rc;

	if ((value = jump_value(arg)) == NULL)
		return 1;
	rc = parse_hops(value, hops, &n);
	free(value);
	if (rc == 0)
		free_hops(hops, n);
	return rc == 0;
}

/* The directory of path, with a trailing '/': where its Includes are. */
static char *
dir_of(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup("./");
	return strndup(path, slash - path + 1);
}

int
conf_read(struct sshconf *conf, const char *path, int flags, char *err,
    size_t errlen)
{
	struct parser	 p;
	char		*dir = NULL;
	int		 rc;

	parser_init(&p, conf, err, errlen);
	if (strcmp(path, "none") == 0)
		return 0;
	p.checkperm = (flags & CONF_CHECKPERM) != 0;
	if ((flags & CONF_SYSTEM) != 0) {
		if ((dir = dir_of(path)) == NULL)
			return parse_errno(&p, path);
		p.incdir = dir;
	}
	rc = read_file(&p, path, (flags & CONF_REQUIRED) != 0);
	free(dir);
	return rc;
}

/* HostName's %h is the host as typed, in lower case, as in ssh. */
int
conf_hostname(struct sshconf *conf, char *err, size_t errlen)
{
	struct parser	 p;
	struct escape	 esc[] = { { 'h', NULL }, { '\0', NULL } };
	char		*lc;
	int		 rc;

	parser_init(&p, conf, err, errlen);
	if (conf->hostname == NULL)
		return 0;
	if ((lc = lowercase(conf->env->host)) == NULL)
		return parse_errno(&p, "HostName");
	esc[0].value = lc;
	rc = expand_percent(&p, "HostName", &conf->hostname, esc, 0);
	free(lc);
	return rc;
}

/* Tilde first, then % escapes and ${NAME}, as ssh does. */
static int
expand_path(struct parser *p, const char *name, char **path,
    const struct escape *esc)
{
	if (expand_tilde(p, name, path) == -1)
		return -1;
	return expand_percent(p, name, path, esc, 1);
}

static int
expand_agent(struct parser *p, struct sshconf *conf,
    const struct escape *esc)
{
	const char	*a = conf->identity_agent;

	if (a == NULL || strcasecmp(a, "none") == 0 ||
	    strcmp(a, "SSH_AUTH_SOCK") == 0 || *a == '$')
		return 0;
	return expand_path(p, "IdentityAgent", &conf->identity_agent, esc);
}

static int
expand_paths(struct parser *p, struct sshconf *conf, const struct escape *esc)
{
	int	i;

	for (i = 0; i < conf->nidentity; i++)
		if (expand_path(p, "IdentityFile", &conf->identity[i],
		    esc) == -1)
			return -1;
	for (i = 0; i < conf->nknown_hosts; i++)
		if (expand_path(p, "UserKnownHostsFile",
		    &conf->known_hosts[i], esc) == -1)
			return -1;
	for (i = 0; i < conf->nglobal_known_hosts; i++)
		if (expand_tilde(p, "GlobalKnownHostsFile",
		    &conf->global_known_hosts[i]) == -1)
			return -1;
	return expand_agent(p, conf, esc);
}

/* A copy of s, which may be NULL; -1 only when out of memory. */
static int
copy_string(char **dst, const char *s)
{
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return -1;
	return 0;
}

static int
expand_proxy(struct parser *p, struct sshconf *conf, const char *host,
    const char *port, const char *user)
{
	struct escape	esc[] = { { 'h', host }, { 'n', conf->env->host },
	    { 'p', port }, { 'r', user }, { '\0', NULL } };

	if (conf->proxy_command == NULL)
		return 0;
	return expand_percent(p, "ProxyCommand", &conf->proxy_command, esc,
	    0);
}

int
conf_expand(struct sshconf *conf, const char *host, int port,
    const char *user, char *err, size_t errlen)
{
	struct parser	 p;
	struct escape	 esc[] = { { 'd', NULL }, { 'h', host },
	    { 'p', NULL }, { 'r', user }, { 'u', NULL }, { '\0', NULL } };
	char		 portstr[16], *home = NULL, *me = NULL;
	int		 rc = -1;

	parser_init(&p, conf, err, errlen);
	(void)snprintf(portstr, sizeof(portstr), "%d", port);
	/* Copies, as the getpwnam() of a "~user" would overwrite them. */
	if (copy_string(&home, conf->env->home) == -1 ||
	    copy_string(&me, conf->env->localuser) == -1) {
		(void)parse_errno(&p, "conf_expand");
		goto out;
	}
	esc[0].value = home;
	esc[2].value = portstr;
	esc[4].value = me;
	if (expand_paths(&p, conf, esc) == 0 &&
	    expand_proxy(&p, conf, host, portstr, user) == 0)
		rc = 0;
out:
	free(me);
	free(home);
	return rc;
}

static void
free_list(char **list, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free(list[i]);
}

void
conf_free(struct sshconf *conf)
{
	const struct confenv	*env = conf->env;

	free(conf->hostname);
	free(conf->user);
	free(conf->identity_agent);
	free(conf->hostkey_alias);
	free(conf->proxy_command);
	free_list(conf->identity, conf->nidentity);
	free_list(conf->known_hosts, conf->nknown_hosts);
	free_list(conf->global_known_hosts, conf->nglobal_known_hosts);
	free_hops(conf->jump, conf->njump);
	conf_init(conf, env);
}
