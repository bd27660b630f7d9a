/*
 * Read crontabs: environment lines (CRON_TZ), schedules (five fields or an
 * @keyword) and, for the lines whose command runs remoteexe, the job they
 * run (cronjob.c).  Schedules are bit sets, walked by sched_next().
 */
#include <ctype.h>
#include <err.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cron.h"
#include "logread.h"
#include "util.h"

struct cronfile {
	const char	 *path;
	int		  line;
	enum cronfmt	  fmt;
	char		 *tz;
	struct centry	***tail;
};

static const char *const months[] = { "jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
    "fri", "sat", NULL };

static const struct {
	const char	*word;
	const char	*fields;
} keywords[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A number or a name of a field; NULL if neither. */
static const char *
field_value(const char *s, int lo, int hi, const char *const *names,
    int base, int *v)
{
	char buf[8];
	const char *errstr;
	size_t n = strspn(s, "0123456789"), i;

	if (n > 0 && n < sizeof(buf)) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		*v = (int)strtonum(buf, lo, hi, &errstr);
		return errstr == NULL ? s + n : NULL;
	}
	for (i = 0; names != NULL && names[i] != NULL; i++)
		if (strncasecmp(s, names[i], 3) == 0 && !isalpha(
		    (unsigned char)s[3])) {
			*v = (int)i + base;
			return s + 3;
		}
	return NULL;
}

/* "*", "a", "a-b", each with an optional "/step"; comma lists of them. */
static int
field_parse(const char *s, int lo, int hi, const char *const *names,
    int base, uint64_t *bits)
{
	int a, b, step, single;

	for (*bits = 0;; s++) {
		step = 1;
		single = 0;
		if (*s == '*') {
			a = lo;
			b = hi;
			s++;
		} else if ((s = field_value(s, lo, hi, names, base, &a)) ==
		    NULL)
			return -1;
		else if (*s == '-') {
			if ((s = field_value(s + 1, lo, hi, names, base, &b)) ==
			    NULL || b < a)
				return -1;
		} else
			b = a, single = 1;
		if (*s == '/') {
			if ((s = field_value(s + 1, 1, hi - lo + 1, NULL, 0,
			    &step)) == NULL)
				return -1;
			if (single)
				b = hi;	/* "a/n" as cronie reads it */
		}
		for (; a <= b; a += step)
			*bits |= (uint64_t)1 << a;
		if (*s != ',')
			return *s == '\0' ? 0 : -1;
	}
}

static const char *
sched_fields(char *const f[5], struct sched *s)
{
	uint64_t v;

	memset(s, 0, sizeof(*s));
	if (field_parse(f[0], 0, 59, NULL, 0, &s->min) == -1)
		return "bad schedule: minute";
	if (field_parse(f[1], 0, 23, NULL, 0, &v) == -1)
		return "bad schedule: hour";
	s->hour = (uint32_t)v;
	if (field_parse(f[2], 1, 31, NULL, 0, &v) == -1)
		return "bad schedule: day of month";
	s->dom = (uint32_t)v;
	if (field_parse(f[3], 1, 12, months, 1, &v) == -1)
		return "bad schedule: month";
	s->mon = (uint32_t)v;
	if (field_parse(f[4], 0, 7, days, 0, &v) == -1)
		return "bad schedule: day of week";
	s->dow = (uint32_t)((v | v >> 7) & 0x7f);	/* 7 is Sunday too */
	s->domstar = f[2][0] == '*';
	s->dowstar = f[4][0] == '*';
	return NULL;
}

/* The next blank-separated word of *p, NUL-terminated in place. */
static char *
next_word(char **p)
{
	char *w;

	*p += strspn(*p, " \t");
	if (**p == '\0')
		return NULL;
	w = *p;
	*p += strcspn(*p, " \t");
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

/* @keyword: its five fields, or NULL. */
static const char *
keyword_fields(const char *w)
{
	size_t i;

	for (i = 0; i < NITEMS(keywords); i++)
		if (strcasecmp(w, keywords[i].word) == 0)
			return keywords[i].fields;
	return NULL;
}

/* The schedule at *p; the spec as written goes to *spec. */
static const char *
schedule(char **p, struct sched *s, char **spec, int *reboot)
{
	char *f[5], buf[64], *q = buf;
	const char *fields;
	int i;

	if (**p == '@') {
		*spec = xstrdup(next_word(p));
		if ((*reboot = strcasecmp(*spec, "@reboot") == 0))
			return "@reboot: no time to check";
		if ((fields = keyword_fields(*spec)) == NULL)
			return "bad schedule: unknown @keyword";
		strlcpy(buf, fields, sizeof(buf));
		for (i = 0; i < 5; i++)
			f[i] = next_word(&q);
		return sched_fields(f, s);
	}
	for (i = 0; i < 5; i++)
		if ((f[i] = next_word(p)) == NULL)
			return "";
	if (asprintf(spec, "%s %s %s %s %s", f[0], f[1], f[2], f[3],
	    f[4]) == -1)
		err(2, NULL);
	return sched_fields(f, s);
}

/*
 * User or system format?  Fixed by the path (/etc/crontab, /etc/cron.d/)
 * or the option; otherwise the first entry decides: system when its sixth
 * field names a user that exists and a command follows.
 */
static void
format_decide(struct cronfile *cf, const char *p)
{
	char user[256];
	size_t n;

	if (cf->fmt != CRON_AUTO)
		return;
	p += strspn(p, " \t");
	n = strcspn(p, " \t");
	cf->fmt = CRON_USER;
	if (n == 0 || n >= sizeof(user) || p[n + strspn(p + n, " \t")] ==
	    '\0')
		return;
	memcpy(user, p, n);
	user[n] = '\0';
	if (getpwnam(user) != NULL)
		cf->fmt = CRON_SYSTEM;
}

static void
entry_add(struct cronfile *cf, struct centry *e)
{
	if (asprintf(&e->where, "%s:%d", cf->path, cf->line) == -1)
		err(2, NULL);
	e->tz = cf->tz != NULL ? xstrdup(cf->tz) : NULL;
	**cf->tail = e;
	*cf->tail = &e->next;
}

static void
cron_entry(struct cronfile *cf, char *p)
{
	struct centry *e = xcalloc(1, sizeof(*e));
	const char *why, *cwhy = NULL;
	int reboot = 0, r;

	why = schedule(&p, &e->s, &e->spec, &reboot);
	if (why != NULL && *why == '\0')
		goto skip;	/* too short to be an entry */
	format_decide(cf, p);
	if (cf->fmt == CRON_SYSTEM && next_word(&p) == NULL)
		goto skip;
	if ((r = cron_command(p, &e->params, &e->plen, &e->splay,
	    &cwhy)) == 0)
		goto skip;
	e->unchecked = why != NULL ? why : r < 0 ? cwhy : NULL;
	entry_add(cf, e);
	return;
skip:
	free(e->spec);
	free(e);
}

/* NAME=VALUE; only CRON_TZ matters here (TZ moves no schedule). */
static void
cron_env(struct cronfile *cf, char *s)
{
	char *eq = strchr(s, '='), *v, *end;
	size_t n;

	if (eq == NULL)
		return;
	for (end = eq; end > s && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	v = eq + 1 + strspn(eq + 1, " \t");
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r'))
		v[--n] = '\0';
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		v++;
	}
	if (end - s != 7 || strncmp(s, "CRON_TZ", 7) != 0)
		return;
	free(cf->tz);
	cf->tz = *v != '\0' ? xstrdup(v) : NULL;
}

static void
cron_line(struct cronfile *cf, char *s)
{
	s += strspn(s, " \t");
	if (*s == '\0' || *s == '#')
		return;
	if (*s == '@' || *s == '*' || isdigit((unsigned char)*s))
		cron_entry(cf, s);
	else
		cron_env(cf, s);
}

/* Append the remoteexe lines of a crontab at **tail; -1 with errno. */
int
cron_read(const char *path, enum cronfmt fmt, struct centry ***tail)
{
	struct cronfile cf = { path, 0, fmt, NULL, tail };
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int bad;

	if (fmt == CRON_AUTO && (strcmp(path, "/etc/crontab") == 0 ||
	    strncmp(path, "/etc/cron.d/", 12) == 0))
		cf.fmt = CRON_SYSTEM;
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	while ((n = getline(&line, &cap, fp)) != -1) {
		cf.line++;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		cron_line(&cf, line);
	}
	bad = ferror(fp);
	free(line);
	free(cf.tz);
	fclose(fp);
	return bad ? -1 : 0;
}

static int
weekday(const struct civil *c)
{
	int w = (int)((civil_days(c->y, c->m, c->d) + 4) % 7);

	return w < 0 ? w + 7 : w;
}

/* cron's rule: both day fields restricted: either matches; else both. */
static int
day_matches(const struct sched *s, const struct civil *c)
{
	int dom = (s->dom >> c->d) & 1, dow = (s->dow >> weekday(c)) & 1;

	if (s->domstar || s->dowstar)
		return dom && dow;
	return dom || dow;
}

static void
next_day(struct civil *c)
{
	c->hh = c->mm = 0;
	if (++c->d <= month_days(c->y, c->m))
		return;
	c->d = 1;
	if (++c->m > 12) {
		c->m = 1;
		c->y++;
	}
}

void
civil_add_minute(struct civil *c)
{
	if (++c->mm < 60)
		return;
	c->mm = 0;
	if (++c->hh < 24)
		return;
	next_day(c);
}

/*
 * Move c to the first time at or after it that the schedule matches,
 * skipping whole months, days and hours that cannot; -1 if there is none
 * within ten years (a date like February 30).
 */
int
sched_next(const struct sched *s, struct civil *c)
{
	int limit = c->y + 10;
	uint64_t m;
	uint32_t h;

	while (c->y <= limit) {
		if (!((s->mon >> c->m) & 1)) {
			c->d = 1;
			c->hh = c->mm = 0;
			if (++c->m > 12) {
				c->m = 1;
				c->y++;
			}
		} else if (!day_matches(s, c) || (h = s->hour >> c->hh) == 0)
			next_day(c);
		else if (!(h & 1)) {
			c->hh += __builtin_ctz(h);
			c->mm = 0;
		} else if ((m = s->min >> c->mm) == 0) {
			c->mm = 0;
			if (++c->hh == 24)
				next_day(c);
		} else {
			c->mm += __builtin_ctzll(m);
			return 0;
		}
	}
	return -1;
}
