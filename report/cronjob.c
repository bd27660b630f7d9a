/*
 * The job a crontab command runs: cron's '%' rule, then the shell's words
 * (quotes, backslashes, redirections, ';' '&&' '||' '|' '&' lists) of the
 * first simple command whose command word is remoteexe (after variable
 * assignments), then remoteexe's own options skipped exactly as its
 * getopt_long("+F:hi:l:o:p:qV") does.  PARAMS are the operands joined
 * with spaces, as remoteexe logs them.
 */
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "util.h"

struct words {
	char		**v;
	int		 *expand;	/* holds $, ` or a leading ~ */
	size_t		  n, cap;
};

struct lexer {
	const char	*s;
	const char	*why;
	char		*buf;		/* the word being read */
	size_t		 len, cap;
};

static const struct ropt {
	const char	*name;
	int		 arg;
	long long	 min, max;	/* a number within; max 0: any text */
} longopts[] = {
	{ "accept-new", 0, 0, 0 }, { "alive", 1, 3, 86400 },
	{ "connect-timeout", 1, 1, 86400 }, { "format", 1, 0, 0 },
	{ "help", 0, 0, 0 }, { "kill-grace", 1, 0, 3600 },
	{ "known-hosts", 1, 0, 0 }, { "lock", 0, 0, 0 }, { "log", 1, 0, 0 },
	{ "retries", 1, 0, 100 }, { "splay", 1, 0, 86400 },
	{ "tee", 0, 0, 0 }, { "timeout", 1, 1, 31536000 },
	{ "version", 0, 0, 0 },
};

static void
put(struct lexer *lx, char c)
{
	if (lx->len + 1 >= lx->cap) {
		lx->cap = lx->cap ? lx->cap * 2 : 64;
		lx->buf = xreallocarray(lx->buf, lx->cap, 1);
	}
	lx->buf[lx->len++] = c;
	lx->buf[lx->len] = '\0';
}

/* cron: "\%" is a '%'; an unescaped '%' ends the command (stdin follows). */
static char *
cron_percent(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *d = out;

	for (; *s != '\0' && *s != '%'; s++) {
		if (*s == '\\' && s[1] == '%')
			s++;
		*d++ = *s;
	}
	*d = '\0';
	return out;
}

/* Inside "...": a backslash quotes only $ ` " \. */
static const char *
dquote(struct lexer *lx, const char *s, int *expand)
{
	for (; *s != '"'; s++) {
		if (*s == '\0') {
			lx->why = "unterminated quote";
			return NULL;
		}
		if (*s == '\\' && s[1] != '\0' && strchr("$`\"\\", s[1]))
			s++;
		else if (*s == '$' || *s == '`')
			*expand = 1;
		put(lx, *s);
	}
	return s + 1;
}

/* One word at lx->s into lx->buf; -1 on a syntax error. */
static int
word(struct lexer *lx, int *expand, int *quoted)
{
	const char *s = lx->s, *e;

	lx->len = 0;
	put(lx, '\0');
	lx->len = 0;
	*expand = *s == '~';
	*quoted = 0;
	while (*s != '\0' && strchr(" \t;&|<>()", *s) == NULL) {
		if (*s == '\\' && s[1] != '\0') {
			put(lx, s[1]);
			s += 2;
			*quoted = 1;
		} else if (*s == '\'') {
			if ((e = strchr(s + 1, '\'')) == NULL) {
				lx->why = "unterminated quote";
				return -1;
			}
			while (++s < e)
				put(lx, *s);
			s++;
			*quoted = 1;
		} else if (*s == '"') {
			*quoted = 1;
			if ((s = dquote(lx, s + 1, expand)) == NULL)
				return -1;
		} else {
			if (*s == '$' || *s == '`')
				*expand = 1;
			put(lx, *s++);
		}
	}
	lx->s = s;
	return 0;
}

/* A redirection at lx->s ("2>", ">>", "&>", "<", ">&"): it and its target. */
static int
redirection(struct lexer *lx)
{
	const char *s = lx->s;
	int expand, quoted;

	if (*s == '&')
		s++;
	if (s[0] == '<' && s[1] == '<') {
		lx->why = "here-document";
		return -1;
	}
	for (s++; *s == '>' || *s == '&' || *s == '|'; s++)
		;
	lx->s = s + strspn(s, " \t");
	if (word(lx, &expand, &quoted) == -1)
		return -1;
	if (lx->len == 0 && !quoted) {
		lx->why = "redirection without a target";
		return -1;
	}
	return 0;
}

static void
words_add(struct words *w, const char *s, int expand)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->v = xreallocarray(w->v, w->cap, sizeof(*w->v));
		w->expand = xreallocarray(w->expand, w->cap,
		    sizeof(*w->expand));
	}
	w->v[w->n] = xstrdup(s);
	w->expand[w->n++] = expand;
}

static void
words_clear(struct words *w)
{
	while (w->n > 0)
		free(w->v[--w->n]);
}

/* An operator ending a simple command: ; & | && || */
static int
list_operator(struct lexer *lx)
{
	char c = *lx->s;

	if (c != ';' && c != '|' && (c != '&' || lx->s[1] == '>'))
		return 0;
	lx->s += lx->s[1] == c ? 2 : 1;
	return 1;
}

/* The words of the next simple command; -1 on a syntax error. */
static int
simple_command(struct lexer *lx, struct words *w)
{
	int expand, quoted;

	for (words_clear(w);;) {
		lx->s += strspn(lx->s, " \t");
		if (*lx->s == '\0' || *lx->s == '#') {
			lx->s += strlen(lx->s);
			return 0;
		}
		if (list_operator(lx))
			return 0;
		if (*lx->s == '(' || *lx->s == ')') {
			lx->why = "subshell";
			return -1;
		}
		if (*lx->s == '<' || *lx->s == '>' || *lx->s == '&') {
			if (redirection(lx) == -1)
				return -1;
			continue;
		}
		if (word(lx, &expand, &quoted) == -1)
			return -1;
		/* "2>file": the digits are the redirection's descriptor */
		if (!quoted && (*lx->s == '<' || *lx->s == '>') &&
		    strspn(lx->buf, "0123456789") == lx->len)
			continue;
		words_add(w, lx->buf, expand);
	}
}

static int
is_assignment(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
	    "wxyz0123456789_");

	return n > 0 && s[n] == '=' && !(s[0] >= '0' && s[0] <= '9');
}

static int
is_remoteexe(const char *s)
{
	const char *base = strrchr(s, '/');

	return strcmp(base != NULL ? base + 1 : s, "remoteexe") == 0;
}

/* Is an option's value one remoteexe takes?  Unknown ($...) is. */
static int
value_ok(const struct ropt *o, const char *v, int expand)
{
	const char *errstr;

	if (expand)
		return 1;
	if (strcmp(o->name, "format") == 0)
		return strcmp(v, "text") == 0 || strcmp(v, "json") == 0;
	if (o->max == 0)
		return 1;
	strtonum(v, o->min, o->max, &errstr);
	return errstr == NULL;
}

/* getopt_long's choice: an exact name, else a unique prefix. */
static const struct ropt *
long_find(const char *name, size_t len)
{
	const struct ropt *found = NULL;
	size_t i;

	for (i = 0; i < NITEMS(longopts); i++) {
		if (strncmp(longopts[i].name, name, len) != 0)
			continue;
		if (strlen(longopts[i].name) == len)
			return &longopts[i];
		if (found != NULL)
			return NULL;	/* ambiguous */
		found = &longopts[i];
	}
	return found;
}

struct optstate {
	const struct words	*w;
	size_t			 i;	/* the word being read */
	int			 splay;
	int			 show;	/* -h or -V: remoteexe logs nothing */
	const char		*splayword;
};

/* "--name[=value]" at w[i]; -1 where remoteexe's getopt would fail. */
static int
long_option(struct optstate *st)
{
	const char *a = st->w->v[st->i] + 2, *eq = strchr(a, '='), *v;
	const struct ropt *o;
	int expand;

	if ((o = long_find(a, eq != NULL ? (size_t)(eq - a) : strlen(a))) ==
	    NULL || (eq != NULL && !o->arg))
		return -1;
	expand = st->w->expand[st->i++];
	if (o->name[0] == 'h' || o->name[0] == 'v')
		st->show = 1;
	if (!o->arg)
		return 0;
	if (eq != NULL)
		v = eq + 1;
	else if (st->i == st->w->n)
		return -1;
	else {
		expand = st->w->expand[st->i];
		v = st->w->v[st->i++];
	}
	if (!value_ok(o, v, expand))
		return -1;
	if (strcmp(o->name, "splay") == 0) {
		st->splayword = expand ? v : NULL;
		st->splay = expand ? 0 : (int)strtonum(v, 0, 86400, NULL);
	}
	return 0;
}

/* "-qp 22" and friends at w[i]. */
static int
short_options(struct optstate *st)
{
	const char *a = st->w->v[st->i++] + 1, *v;
	const char *errstr;

	for (; *a != '\0'; a++) {
		if (*a == 'h' || *a == 'V' || *a == 'q') {
			st->show |= *a != 'q';
			continue;
		}
		if (strchr("FiJlop", *a) == NULL)
			return -1;
		if (a[1] != '\0')
			v = a + 1;
		else if (st->i == st->w->n)
			return -1;
		else
			v = st->w->v[st->i++];
		if (*a == 'p' && (strtonum(v, 1, 65535, &errstr), errstr) !=
		    NULL && !st->w->expand[st->i - 1])
			return -1;
		return 0;
	}
	return 0;
}

/* Skip remoteexe's options; the first operand goes to st->i. */
static int
skip_options(struct optstate *st)
{
	const char *a;

	while (st->i < st->w->n) {
		a = st->w->v[st->i];
		if (strcmp(a, "--") == 0) {
			st->i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if ((a[1] == '-' ? long_option(st) : short_options(st)) == -1)
			return -1;
	}
	return 0;
}

static char *
join(const struct words *w, size_t from, size_t *len)
{
	size_t i, n = 0;
	char *s, *d;

	for (i = from; i < w->n; i++)
		n += strlen(w->v[i]) + 1;
	d = s = xmalloc(n + 1);
	for (i = from; i < w->n; i++)
		d = stpcpy(d, w->v[i]), *d++ = ' ';
	if (d > s)
		d--;
	*d = '\0';
	*len = d - s;
	return s;
}

/* The job of remoteexe's arguments w[cmd + 1 ...]. */
static int
job_params(struct words *w, size_t cmd, char **params, size_t *plen,
    int *splay, const char **why)
{
	struct optstate st = { w, cmd + 1, 0, 0, NULL };
	size_t i;

	if (skip_options(&st) == -1 || w->n - st.i < 2) {
		/* remoteexe logs a usage failure with all its arguments */
		*params = join(w, cmd + 1, plen);
		return 1;
	}
	if (st.show) {
		*why = "-h or -V: remoteexe runs no job";
		return -1;
	}
	for (i = st.i; i < w->n; i++)
		if (w->expand[i] || st.splayword != NULL) {
			*why = "the job depends on a shell expansion";
			return -1;
		}
	*splay = st.splay;
	*params = join(w, st.i, plen);
	return 1;
}

/*
 * The job that a crontab command runs: 1 with PARAMS and --splay, 0 if
 * the command does not run remoteexe, -1 (with why) if it does but what
 * it runs cannot be known here.
 */
int
cron_command(const char *cmd, char **params, size_t *plen, int *splay,
    const char **why)
{
	struct words w = { 0 };
	struct lexer lx = { 0 };
	char *text = cron_percent(cmd);
	size_t i;
	int r = 0;

	*params = NULL;
	*splay = 0;
	for (lx.s = text; *lx.s != '\0' && r == 0;) {
		if (simple_command(&lx, &w) == -1) {
			*why = lx.why;
			r = strstr(text, "remoteexe") != NULL ? -1 : 0;
			break;
		}
		for (i = 0; i < w.n && is_assignment(w.v[i]); i++)
			;
		if (i < w.n && is_remoteexe(w.v[i]))
			r = job_params(&w, i, params, plen, splay, why);
	}
	words_clear(&w);
	free(w.v);
	free(w.expand);
	free(lx.buf);
	free(text);
	return r;
}
