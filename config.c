/*
 * ssh_config(5) for remoteexe: the keywords of config.h, resolved for one
 * host with OpenSSH's rules.  Every line is checked, even in blocks that do
 * not apply, so a typo is reported the day it is written, not the day its
 * Host block first matches.
 */

#include <sys/types.h>
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

#define WHITESPACE	" \t\r\n"
#define MAXDEPTH	16		/* Include nesting, as in OpenSSH */

struct parser {
	struct sshconf	*conf;
	const char	*host;		/* as typed, in lower case as ssh */
	const char	*file;		/* NULL: -o, or no line read yet */
	unsigned long	 lineno;
	int		 cmdline;	/* parsing a -o option */
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
		do_flag, do_strict, do_identity, do_known_hosts;

struct keyword {
	const char	*name;
	handler		*handle;
	size_t		 off;		/* its field in struct sshconf */
	long long	 min, max;	/* bounds of a number */
	int		 unset;		/* the field's value when unset */
	const struct escape *escapes;	/* the % escapes a value may hold */
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

#define F(field)	offsetof(struct sshconf, field)

static const struct keyword keywords[] = {
	{ "ConnectTimeout", do_timeout, F(connect_timeout), 1, 86400, -1,
	    NULL },
	{ "HashKnownHosts", do_flag, F(hash_known_hosts), 0, 0, -1, NULL },
	{ "Host", do_host, 0, 0, 0, 0, NULL },
	{ "HostName", do_string, F(hostname), 0, 0, 0, host_escapes },
	{ "IdentitiesOnly", do_flag, F(identities_only), 0, 0, -1, NULL },
	{ "IdentityFile", do_identity, 0, 0, 0, 0, path_escapes },
	{ "Include", do_include, 0, 0, 0, 0, NULL },
	{ "Match", do_match, 0, 0, 0, 0, NULL },
	{ "Port", do_number, F(port), 1, 65535, 0, NULL },
	{ "ServerAliveCountMax", do_number, F(alive_count), 1, 1000, -1,
	    NULL },
	{ "ServerAliveInterval", do_number, F(alive_interval), 0, 86400, -1,
	    NULL },
	{ "StrictHostKeyChecking", do_strict, F(strict), 0, 0, STRICT_UNSET,
	    NULL },
	{ "User", do_string, F(user), 0, 0, 0, NULL },
	{ "UserKnownHostsFile", do_known_hosts, F(known_hosts), 0, 0, 0,
	    path_escapes },
};

/*
 * Put "where: message" in the caller's buffer and return -1.  Where is
 * "file:line" for a config line, "-o" for a command line option.
 */
static int __attribute__((format(printf, 2, 3)))
parse_error(struct parser *p, const char *fmt, ...)
{
	va_list	ap;
	int	n = 0;

	if (p->cmdline)
		n = snprintf(p->err, p->errlen, "-o ");
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
 * ssh's patterns: '*' matches any run, '?' one character.  Only the last
 * '*' is ever retried, which keeps this linear in practice where
 * recursion would be exponential in the number of stars.
 */
static int
pattern_match(const char *s, const char *pat)
{
	const char	*star = NULL, *retry = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = ++pat;
			retry = s;
		} else if (*pat != '\0' && (*pat == '?' || *pat == *s)) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star;
			s = ++retry;
		} else
			return 0;
	}
	return pat[strspn(pat, "*")] == '\0';
}

/* A matching "!pattern" vetoes the line whatever else matches. */
static int
host_matches(const char *host, struct words *w)
{
	const char	*pat;
	int		 matched = 0;

	while ((pat = word_next(w)) != NULL) {
		if (*pat == '!') {
			if (pattern_match(host, pat + 1))
				return 0;
		} else if (pattern_match(host, pat))
			matched = 1;
	}
	return matched;
}

static int
do_host(struct parser *p, const struct keyword *k, struct words *w)
{
	if (p->cmdline)
		return parse_error(p, "%s: not allowed on the command line", k->name);
	p->active = !p->nevermatch && host_matches(p->host, w);
	return 0;
}

/*
 * Only "Match all" is understood: it is "Host *".  The other criteria
 * (host, user, exec, ...) need what ssh knows at that point and we do not,
 * so their blocks never apply; they are not errors, since the same file
 * serves ssh.
 */
static int
do_match(struct parser *p, const struct keyword *k, struct words *w)
{
	if (p->cmdline)
		return parse_error(p, "%s: not allowed on the command line", k->name);
	p->active = !p->nevermatch && w->left == 1 &&
	    strcasecmp(word_next(w), "all") == 0;
	return 0;
}

/* The directory "~user" stands for; "~" alone is ours (conf_init). */
static const char *
tilde_dir(const struct parser *p, const char *user)
{
	struct passwd	*pw;

	if (*user == '\0')
		return p->conf->home;
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
		return parse_error(p, "%s: no home directory for ~%.*s", path,
		    (int)len, path + 1);
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

/* Relative Include paths are in ~/.ssh, as for ssh's user config. */
static int
include_path(struct parser *p, const char *arg, char **path)
{
	if (*arg == '/' || *arg == '~')
		*path = strdup(arg);
	else
		*path = concat("~/.ssh/", arg);
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
	rc = glob(pattern, 0, NULL, &gl);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc != 0)
		return parse_error(p, "Include: %s: %s", pattern,
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
		return parse_error(p, "%s: not allowed on the command line", k->name);
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

/*
 * Copy s to dst (when dst is not NULL) with its % escapes replaced; returns
 * the expanded length, or -1 with *bad set to the faulty escape character
 * ('\0' for a trailing %).
 */
static ssize_t
percent_copy(char *dst, const char *s, const struct escape *esc, int *bad)
{
	const struct escape	*e;
	const char		*v;
	size_t			 n = 0, len;

	*bad = '\0';
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			if (dst != NULL)
				dst[n] = *s;
			n++;
			continue;
		}
		v = *++s == '%' ? "%" : NULL;
		for (e = esc; v == NULL && e->c != '\0'; e++)
			if (e->c == *s)
				v = e->value;
		if (v == NULL) {
			*bad = *s;
			return -1;
		}
		len = strlen(v);
		if (dst != NULL)
			memcpy(dst + n, v, len);
		n += len;
	}
	if (dst != NULL)
		dst[n] = '\0';
	return n;
}

static int
escape_error(struct parser *p, const char *name, const char *value, int bad,
    const struct escape *esc)
{
	if (bad == '\0')
		return parse_error(p, "%s: %s: %% at the end", name, value);
	for (; esc->c != '\0'; esc++)
		if (esc->c == bad)
			return parse_error(p, "%s: %s: the value of %%%c is not known",
			    name, value, bad);
	return parse_error(p, "%s: %s: unknown escape %%%c", name, value, bad);
}

/* Replace *s by its copy with the escapes of the table expanded. */
static int
expand_percent(struct parser *p, const char *name, char **s,
    const struct escape *esc)
{
	ssize_t	 len;
	char	*exp;
	int	 bad;

	if ((len = percent_copy(NULL, *s, esc, &bad)) == -1)
		return escape_error(p, name, *s, bad, esc);
	if ((exp = malloc(len + 1)) == NULL)
		return parse_errno(p, name);
	(void)percent_copy(exp, *s, esc, &bad);
	free(*s);
	*s = exp;
	return 0;
}

/* Check the escapes of a value when it is read, so its line is reported. */
static int
check_escapes(struct parser *p, const struct keyword *k, const char *value)
{
	int	bad;

	if (k->escapes != NULL &&
	    percent_copy(NULL, value, k->escapes, &bad) == -1)
		return escape_error(p, k->name, value, bad, k->escapes);
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
		return parse_error(p, "%s: more than %d files", k->name, CONF_MAXID);
	if ((c->identity[c->nidentity] = strdup(value)) == NULL)
		return parse_errno(p, k->name);
	c->nidentity++;
	return 0;
}

/* Only the first path counts; "none" checks against an empty file. */
static int
do_known_hosts(struct parser *p, const struct keyword *k, struct words *w)
{
	char	*value = word_next(w);

	if (check_escapes(p, k, value) == -1)
		return -1;
	if (strcmp(value, "none") == 0)
		value = "/dev/null";
	return set_string(p, k, value);
}

static const struct keyword *
find_keyword(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcasecmp(name, keywords[i].name) == 0)
			return &keywords[i];
	return NULL;
}

/*
 * One line: "keyword value...", "keyword=value" or "keyword = value".
 * A keyword remoteexe does not use is ignored, whatever follows it.
 */
static int
parse_line(struct parser *p, char *line)
{
	const struct keyword	*k;
	struct words		 w;
	char			*name, *end, *rest;

	name = line + strspn(line, WHITESPACE);
	if (*name == '\0' || *name == '#')
		return 0;
	end = name + strcspn(name, WHITESPACE "=");
	rest = end + strspn(end, WHITESPACE);
	if (*rest == '=')
		rest++;
	*end = '\0';
	if ((k = find_keyword(name)) == NULL)
		return 0;
	w.next = rest;
	if ((w.left = tokenize(rest)) == -1)
		return parse_error(p, "%s: unterminated quote", k->name);
	if (w.left == 0 || *w.next == '\0')
		return parse_error(p, "%s: missing value", k->name);
	return k->handle(p, k, &w);
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
		return parse_error(p, "%s: bad owner or permissions (another user "
		    "may write it)", path);
	return 0;
}

static int
read_file(struct parser *p, const char *path, int must_exist)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0;
	int	 rc = 0;

	p->file = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return errno == ENOENT && !must_exist ? 0 :
		    parse_errno(p, path);
	if (p->checkperm)
		rc = check_perm(p, fp, path);
	p->file = path;
	p->lineno = 0;
	while (rc == 0 && getline(&line, &cap, fp) != -1) {
		p->lineno++;
		rc = parse_line(p, line);
	}
	if (rc == 0 && ferror(fp)) {
		p->file = NULL;
		rc = parse_errno(p, path);
	}
	free(line);
	(void)fclose(fp);
	return rc;
}

void
conf_init(struct sshconf *conf, const char *home)
{
	memset(conf, 0, sizeof(*conf));
	conf->home = home;
	conf->identities_only = -1;
	conf->connect_timeout = -1;
	conf->alive_interval = -1;
	conf->alive_count = -1;
	conf->strict = STRICT_UNSET;
	conf->hash_known_hosts = -1;
}

static void
parser_init(struct parser *p, struct sshconf *conf, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->conf = conf;
	p->active = 1;
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

/* HostName's %h is the host as typed, in lower case, as in ssh. */
static int
expand_hostname(struct parser *p)
{
	struct escape	esc[] = { { 'h', p->host }, { '\0', NULL } };

	if (p->conf->hostname == NULL)
		return 0;
	return expand_percent(p, "HostName", &p->conf->hostname, esc);
}

static char *
lowercase(const char *s)
{
	char	*lc, *c;

	if ((lc = strdup(s)) == NULL)
		return NULL;
	for (c = lc; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	return lc;
}

/*
 * The default file (must_exist 0) and included files are refused when
 * another user could write them, as ssh does; "none" reads nothing.
 */
int
conf_read(struct sshconf *conf, const char *path, int must_exist,
    const char *host, char *err, size_t errlen)
{
	struct parser	 p;
	char		*lc;
	int		 rc = 0;

	parser_init(&p, conf, err, errlen);
	if ((lc = lowercase(host)) == NULL)
		return parse_errno(&p, host);
	p.host = lc;
	p.checkperm = !must_exist;
	if (strcmp(path, "none") != 0)
		rc = read_file(&p, path, must_exist);
	p.file = NULL;
	if (rc == 0)
		rc = expand_hostname(&p);
	free(lc);
	return rc;
}

/* Tilde first, then % escapes, as ssh does. */
static int
expand_path(struct parser *p, const char *name, char **path,
    const struct escape *esc)
{
	if (expand_tilde(p, name, path) == -1)
		return -1;
	return expand_percent(p, name, path, esc);
}

static int
expand_paths(struct parser *p, struct sshconf *conf, const struct escape *esc)
{
	int	i;

	for (i = 0; i < conf->nidentity; i++)
		if (expand_path(p, "IdentityFile", &conf->identity[i],
		    esc) == -1)
			return -1;
	if (conf->known_hosts != NULL && expand_path(p,
	    "UserKnownHostsFile", &conf->known_hosts, esc) == -1)
		return -1;
	return 0;
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

int
conf_expand(struct sshconf *conf, const char *host, int port,
    const char *user, const char *localuser, char *err, size_t errlen)
{
	struct parser	 p;
	struct escape	 esc[] = { { 'd', NULL }, { 'h', host },
	    { 'p', NULL }, { 'r', user }, { 'u', NULL }, { '\0', NULL } };
	char		 portstr[16], *home = NULL, *me = NULL;
	int		 rc = -1;

	parser_init(&p, conf, err, errlen);
	(void)snprintf(portstr, sizeof(portstr), "%d", port);
	/* Copies, as the getpwnam() of a "~user" would overwrite them. */
	if (copy_string(&home, conf->home) == -1 ||
	    copy_string(&me, localuser) == -1) {
		(void)parse_errno(&p, "conf_expand");
		goto out;
	}
	esc[0].value = home;
	esc[2].value = portstr;
	esc[4].value = me;
	rc = expand_paths(&p, conf, esc);
out:
	free(me);
	free(home);
	return rc;
}

void
conf_free(struct sshconf *conf)
{
	int	i;

	free(conf->hostname);
	free(conf->user);
	free(conf->known_hosts);
	for (i = 0; i < conf->nidentity; i++)
		free(conf->identity[i]);
	conf_init(conf, conf->home);
}
