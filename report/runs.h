/*
 * Runs and jobs: records are fed in log order; a run is told apart by
 * its PID and its START, and is counted (ok, failed, never finished,
 * still running) when it ends or when the input does.  Memory grows with
 * the number of jobs and of open runs, not with the log.
 */
#ifndef REPORT_RUNS_H
#define REPORT_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "logread.h"
#include "sketch.h"

#define LIST_MAX	1000	/* runs without END listed one by one */
#define MALFORMED_SHOWN	5	/* malformed lines named by file:line */

enum runstate {
	ST_OK, ST_FAILED, ST_NEVER, ST_RUNNING
};

struct window {
	int64_t		 since;		/* ms; runs that started at or after */
	int64_t		 until;		/* ms; runs that started before */
	int		 has_since;
	int		 has_until;
	int64_t		 now;
};

struct failcount {
	int		 rc;
	char		 reason[REASON_MAX + 1];
	uint64_t	 n;
	uint64_t	 mark;		/* incident group it was counted in */
};

struct lastrun {
	int64_t		 start;
	long		 pid;
	enum runstate	 st;
	int		 rc;
	char		 reason[REASON_MAX + 1];
};

struct centry;

struct job {
	struct hnode	 hn;
	char		*params;	/* decoded PARAMS */
	size_t		 plen;
	uint64_t	 runs, ok, failed, never, running, missed;
	struct failcount *fails;
	size_t		 nfails;
	struct sketch	 el;
	int		 has_last;
	struct lastrun	 last;
	struct centry	*cron;		/* its crontab lines (cron.h) */
};

struct openrun {
	long		 pid;
	int64_t		 start;
	int64_t		 lastrec;	/* time of its last record */
	struct job	*job;
	enum runstate	 st;		/* ST_NEVER or ST_RUNNING */
};

struct tally {
	struct job	**jobs;
	size_t		  njobs;
	struct openrun	 *open;
	size_t		  nopen;
	uint64_t	  open_more;	/* past LIST_MAX */
	uint64_t	  runs, ok, failed, never, running;
	uint64_t	  malformed;
	char		 *malformed_at[MALFORMED_SHOWN];
	int		  have_records;
	int64_t		  first, last;	/* earliest and latest record */
	int64_t		  first_read;	/* time of the first record read */
};

void		 runs_init(const struct window *);
struct job	*job_get(const char *, size_t);
struct job	*job_of(const struct record *);
int		 runs_record(const struct record *);
void		 runs_malformed(const char *, int64_t);
void		 runs_finish(void);
struct tally	*runs_tally(void);
uint64_t	 runs_missed(void);
int		 job_problem(const struct job *);
int		 job_seen(const struct job *);
size_t		 jobs_seen(void);

#endif
