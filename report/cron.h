/*
 * Crontabs: the lines that run remoteexe, their schedules, and the job
 * (PARAMS) each one runs, taken from the command as remoteexe would.
 */
#ifndef REPORT_CRON_H
#define REPORT_CRON_H

#include <stddef.h>
#include <stdint.h>

enum cronfmt {
	CRON_AUTO, CRON_SYSTEM, CRON_USER
};

struct sched {
	uint64_t	 min;		/* bit per minute 0-59 */
	uint32_t	 hour;		/* 0-23 */
	uint32_t	 dom;		/* 1-31 */
	uint32_t	 mon;		/* 1-12 */
	uint32_t	 dow;		/* 0-6, Sunday 0 */
	int		 domstar;	/* the field began with '*' */
	int		 dowstar;
};

struct civil {
	int		 y, m, d, hh, mm;
};

struct slotrange {
	int64_t		 first, last;	/* ms */
	uint64_t	 n;
};

struct job;

struct centry {
	char		*where;		/* "file:line" */
	char		*spec;		/* the schedule as written */
	char		*tz;		/* CRON_TZ, or NULL: local time */
	char		*params;
	size_t		 plen;
	int		 splay;		/* --splay of the line, s */
	const char	*unchecked;	/* why it cannot be checked, or NULL */
	struct sched	 s;
	struct job	*job;
	struct centry	*next;		/* every entry, in the order read */
	struct centry	*jnext;		/* the other entries of its job */

	/* missed.c's state */
	int		 begun, done, inrange;
	struct civil	 cur;		/* the slot being waited for */
	int64_t		 slot;		/* its time, ms */
	struct civil	 day;		/* cached day: its start, regular? */
	int64_t		 daystart;
	int		 dayregular, dayvalid;
	uint64_t	 checked, nmissed, ranges_more;
	struct slotrange *ranges;
	size_t		 nranges;
};

int		 cron_read(const char *, enum cronfmt, struct centry ***);
int		 sched_next(const struct sched *, struct civil *);
void		 civil_add_minute(struct civil *);
int		 cron_command(const char *, char **, size_t *, int *,
		    const char **);

#endif
