/*
 * Match STARTs to crontab slots; see missed.h.  A slot's time is its wall
 * clock time in the line's zone (CRON_TZ, else local).  On a day without a
 * DST change that is the day's start plus hours and minutes, so mktime(3)
 * runs twice a day, not once a slot; on a DST day each slot asks mktime, a
 * time that does not exist is not checked and a repeated one only once.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "missed.h"
#include "util.h"

static struct centry	*entries;
static struct window	 win;
static int		 begun;

/* Switch to a line's zone (NULL: stay in local time) and back. */
static char *
tz_push(const char *tz)
{
	const char *old;
	char *saved;

	if (tz == NULL)
		return NULL;
	old = getenv("TZ");
	saved = xstrdup(old != NULL ? old : "");
	if (old == NULL)
		saved[0] = '\1';	/* was unset */
	if (setenv("TZ", tz, 1) == -1)
		err(2, "setenv");
	tzset();
	return saved;
}

static void
tz_pop(char *saved)
{
	if (saved == NULL)
		return;
	if (saved[0] == '\1' ? unsetenv("TZ") : setenv("TZ", saved, 1))
		err(2, "setenv");
	free(saved);
	tzset();
}

static time_t
civil_mktime(const struct civil *c, int dayoff, struct tm *tm)
{
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = c->y - 1900;
	tm->tm_mon = c->m - 1;
	tm->tm_mday = c->d + dayoff;
	tm->tm_hour = dayoff ? 0 : c->hh;
	tm->tm_min = dayoff ? 0 : c->mm;
	tm->tm_isdst = -1;
	return mktime(tm);
}

/* Is c's day one where the wall clock runs 24 h from 00:00? */
static void
day_cache(struct centry *e, const struct civil *c)
{
	struct civil d = { c->y, c->m, c->d, 0, 0 };
	struct tm tm;
	time_t start, next;
	char *saved = tz_push(e->tz);

	start = civil_mktime(&d, 0, &tm);
	e->dayregular = tm.tm_hour == 0 && tm.tm_min == 0;
	next = civil_mktime(&d, 1, &tm);
	e->dayregular = e->dayregular && next - start == 86400;
	e->daystart = (int64_t)start * 1000;
	e->day = d;
	e->dayvalid = 1;
	tz_pop(saved);
}

/* The time of c in e's zone; -1 if that wall time does not exist. */
static int
slot_time(struct centry *e, const struct civil *c, int64_t *ms)
{
	struct tm tm;
	time_t t;
	char *saved;

	if (!e->dayvalid || e->day.y != c->y || e->day.m != c->m ||
	    e->day.d != c->d)
		day_cache(e, c);
	if (e->dayregular) {
		*ms = e->daystart + (c->hh * 3600 + c->mm * 60) * 1000LL;
		return 0;
	}
	saved = tz_push(e->tz);
	t = civil_mktime(c, 0, &tm);
	tz_pop(saved);
	if (tm.tm_hour != c->hh || tm.tm_min != c->mm)
		return -1;
	*ms = (int64_t)t * 1000;
	return 0;
}

/* From e->cur (inclusive), the next slot later than the current one. */
static void
slot_find(struct centry *e)
{
	int64_t t, prev = e->begun ? e->slot : INT64_MIN;

	while (sched_next(&e->s, &e->cur) == 0) {
		if (slot_time(e, &e->cur, &t) == 0 && t > prev) {
			e->slot = t;
			return;
		}
		civil_add_minute(&e->cur);
	}
	e->done = 1;
}

static void
slot_next(struct centry *e)
{
	civil_add_minute(&e->cur);
	slot_find(e);
}

static int64_t
tolerance(const struct centry *e)
{
	return (e->splay + MISSED_SLACK) * 1000LL;
}

/* May a slot whose wait ends at end be judged?  Not past now or until. */
static int
judged(int64_t end)
{
	return end <= win.now && (!win.has_until || end <= win.until);
}

static void
slot_missed(struct centry *e)
{
	struct slotrange *r;

	e->checked++;
	e->nmissed++;
	e->job->missed++;
	if (e->inrange) {
		r = &e->ranges[e->nranges - 1];
		r->last = e->slot;
		r->n++;
	} else if (e->nranges < RANGES_MAX) {
		e->ranges = xreallocarray(e->ranges, e->nranges + 1,
		    sizeof(*e->ranges));
		e->ranges[e->nranges++] = (struct slotrange){ e->slot,
		    e->slot, 1 };
		e->inrange = 1;
	} else
		e->ranges_more++;
	slot_next(e);
}

/* Link each checkable line to its job, so that its STARTs reach it. */
void
missed_setup(struct centry *list, const struct window *w)
{
	struct centry *e;

	entries = list;
	win = *w;
	for (e = list; e != NULL; e = e->next) {
		if (e->unchecked != NULL)
			continue;
		e->job = job_get(e->params, e->plen);
		e->jnext = e->job->cron;
		e->job->cron = e;
	}
}

static void
entry_begin(struct centry *e, int64_t ms)
{
	struct tm tm;
	time_t t = (time_t)((ms + 59999) / 60000 * 60);
	char *saved = tz_push(e->tz);

	if (localtime_r(&t, &tm) == NULL)
		errx(2, "%s: time out of range", e->where);
	tz_pop(saved);
	e->cur = (struct civil){ tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min };
	slot_find(e);
	e->begun = 1;
}

/* The window starts: the first slot of each line is at or after ms. */
void
missed_begin(int64_t ms)
{
	struct centry *e;

	begun = 1;
	for (e = entries; e != NULL; e = e->next)
		if (e->unchecked == NULL)
			entry_begin(e, ms);
}

int
missed_begun(void)
{
	return begun;
}

/* A START of job j at ms: it answers the earliest slot it can. */
void
missed_start(struct job *j, int64_t ms)
{
	struct centry *e, *best = NULL;

	for (e = j->cron; e != NULL; e = e->jnext) {
		while (e->begun && !e->done && e->slot + tolerance(e) <= ms &&
		    judged(e->slot + tolerance(e)))
			slot_missed(e);
		if (e->begun && !e->done && e->slot <= ms &&
		    ms < e->slot + tolerance(e) &&
		    (best == NULL || e->slot < best->slot))
			best = e;
	}
	if (best == NULL)
		return;
	best->checked++;
	best->inrange = 0;
	slot_next(best);
}

/* The window ends at end: slots whose wait is over by then are judged. */
void
missed_end(int64_t end)
{
	struct centry *e;

	if (end > win.now)
		end = win.now;
	for (e = entries; e != NULL; e = e->next)
		while (e->begun && !e->done && e->slot + tolerance(e) <= end &&
		    judged(e->slot + tolerance(e)))
			slot_missed(e);
}
