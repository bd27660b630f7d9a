/*
 * Runs and jobs; see runs.h.  Open runs are found by PID: a second START
 * on a PID that has an open run means that run's remoteexe is gone (its
 * PID was reused), so it never finished.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "incident.h"
#include "proc.h"
#include "runs.h"
#include "util.h"

#define ELAPSED_MAX	1e12	/* s: 30000 years */

struct run {
	struct hnode	 hn;
	long		 pid;
	int64_t		 start;
	int64_t		 lastrec;
	struct job	*job;
	int		 has_elapsed;
	uint64_t	 elapsed;	/* ms, from stats */
	char		 reason[REASON_MAX + 1];
};

static struct window	 win;
static struct tally	 t;
static struct htab	 jobtab, runtab;
static size_t		 capjobs, capopen;
static char		*scratch;
static size_t		 scratchlen;

void
runs_init(const struct window *w)
{
	win = *w;
}

struct tally *
runs_tally(void)
{
	return &t;
}

/* The slots missed, over all jobs. */
uint64_t
runs_missed(void)
{
	uint64_t missed = 0;
	size_t i;

	for (i = 0; i < t.njobs; i++)
		missed += t.jobs[i]->missed;
	return missed;
}

int
job_problem(const struct job *j)
{
	return j->failed > 0 || j->never > 0 || j->missed > 0;
}

/* Has the job a run or a crontab slot in the window? */
int
job_seen(const struct job *j)
{
	const struct centry *e;

	if (j->runs > 0 || j->missed > 0)
		return 1;
	for (e = j->cron; e != NULL; e = e->jnext)
		if (e->checked > 0)
			return 1;
	return 0;
}

struct job *
job_get(const char *params, size_t len)
{
	uint64_t h = hash_bytes(params, len);
	struct hnode *n;
	struct job *j;

	for (n = htab_chain(&jobtab, h); n != NULL; n = n->next) {
		j = (struct job *)n;
		if (n->hash == h && j->plen == len &&
		    memcmp(j->params, params, len) == 0)
			return j;
	}
	j = xcalloc(1, sizeof(*j));
	j->params = xmemdup(params, len);
	j->plen = len;
	htab_add(&jobtab, &j->hn, h);
	if (t.njobs == capjobs) {
		capjobs = capjobs ? capjobs * 2 : 64;
		t.jobs = xreallocarray(t.jobs, capjobs, sizeof(*t.jobs));
	}
	t.jobs[t.njobs++] = j;
	return j;
}

/* The job a START or END names; NULL if its PARAMS do not decode. */
struct job *
job_of(const struct record *r)
{
	ssize_t n;

	if (r->params.len >= scratchlen) {
		scratchlen = r->params.len + 1024;
		free(scratch);
		scratch = xmalloc(scratchlen);
	}
	if ((n = rstr_decode(&r->params, scratch)) < 0)
		return NULL;
	return job_get(scratch, n);
}

static uint64_t
pid_hash(long pid)
{
	return (uint64_t)pid * 0x9e3779b97f4a7c15ULL;
}

static struct run *
run_find(long pid)
{
	struct hnode *n;

	for (n = htab_chain(&runtab, pid_hash(pid)); n != NULL; n = n->next)
		if (((struct run *)n)->pid == pid)
			return (struct run *)n;
	return NULL;
}

static int
in_window(int64_t start)
{
	return (!win.has_since || start >= win.since) &&
	    (!win.has_until || start < win.until);
}

static void
last_set(struct job *j, const struct run *u, enum runstate st, int rc)
{
	if (j->has_last && u->start < j->last.start)
		return;
	j->has_last = 1;
	j->last.start = u->start;
	j->last.pid = u->pid;
	j->last.st = st;
	j->last.rc = rc;
	strlcpy(j->last.reason, u->reason[0] != '\0' ? u->reason : "-",
	    sizeof(j->last.reason));
}

static struct failcount *
fail_get(struct job *j, int rc, const char *reason)
{
	struct failcount *f;
	size_t i;

	for (i = 0; i < j->nfails; i++)
		if (j->fails[i].rc == rc &&
		    strcmp(j->fails[i].reason, reason) == 0)
			return &j->fails[i];
	j->fails = xreallocarray(j->fails, j->nfails + 1, sizeof(*j->fails));
	f = &j->fails[j->nfails++];
	memset(f, 0, sizeof(*f));
	f->rc = rc;
	strlcpy(f->reason, reason, sizeof(f->reason));
	return f;
}

/* A run that ended with END: ok or failed. */
static void
run_count(struct run *u, int rc, int64_t end)
{
	struct job *j = u->job;
	struct failcount *f;
	const char *reason = u->reason[0] != '\0' ? u->reason : "-";

	j->runs++;
	t.runs++;
	if (u->has_elapsed)
		sketch_add(&j->el, u->elapsed);
	else
		sketch_add(&j->el, end > u->start ? end - u->start : 0);
	if (rc == 0) {
		j->ok++;
		t.ok++;
	} else {
		j->failed++;
		t.failed++;
		f = fail_get(j, rc, reason);
		f->n++;
		incident_fail(end, &f->mark, rc, reason);
	}
	last_set(j, u, rc == 0 ? ST_OK : ST_FAILED, rc);
}

/* A run without END: never finished, or (at the end) still running. */
static void
run_open(struct run *u, enum runstate st)
{
	struct openrun *o;

	u->job->runs++;
	t.runs++;
	if (st == ST_RUNNING) {
		u->job->running++;
		t.running++;
	} else {
		u->job->never++;
		t.never++;
	}
	last_set(u->job, u, st, -1);
	if (t.nopen == LIST_MAX) {
		t.open_more++;
		return;
	}
	if (t.nopen == capopen) {
		capopen = capopen ? capopen * 2 : 16;
		t.open = xreallocarray(t.open, capopen, sizeof(*t.open));
	}
	o = &t.open[t.nopen++];
	*o = (struct openrun){ u->pid, u->start, u->lastrec, u->job, st };
}

static void
run_free(struct run *u)
{
	htab_del(&runtab, &u->hn);
	free(u);
}

static int
run_start(struct run *u, const struct record *r)
{
	struct job *j;

	if ((j = job_of(r)) == NULL)
		return -1;
	if (u != NULL) {
		if (in_window(u->start))
			run_open(u, ST_NEVER);
		run_free(u);
	}
	u = xcalloc(1, sizeof(*u));
	u->pid = r->pid;
	u->start = u->lastrec = r->ms;
	u->job = j;
	htab_add(&runtab, &u->hn, pid_hash(r->pid));
	return 0;
}

/* END; one without a START seen is still a run, of the END's time. */
static int
run_end(struct run *u, const struct record *r)
{
	struct run orphan;

	if (u == NULL) {
		memset(&orphan, 0, sizeof(orphan));
		if ((orphan.job = job_of(r)) == NULL)
			return -1;
		orphan.pid = r->pid;
		orphan.start = orphan.lastrec = r->ms;
		if (in_window(orphan.start))
			run_count(&orphan, r->rc, r->ms);
		return 0;
	}
	if (in_window(u->start))
		run_count(u, r->rc, r->ms);
	run_free(u);
	return 0;
}

static void
run_stats(struct run *u, const struct record *r)
{
	if (u == NULL)
		return;
	u->has_elapsed = r->st.has_elapsed;
	/* a garbled value must not overflow the conversion */
	u->elapsed = r->st.elapsed < ELAPSED_MAX ?
	    (uint64_t)(r->st.elapsed * 1000 + 0.5) :
	    (uint64_t)(ELAPSED_MAX * 1000);
	strlcpy(u->reason, r->st.reason, sizeof(u->reason));
}

static void
note_time(int64_t ms)
{
	if (!t.have_records) {
		t.have_records = 1;
		t.first = t.last = t.first_read = ms;
	}
	if (ms < t.first)
		t.first = ms;
	if (ms > t.last)
		t.last = ms;
}

/* Feed one record; -1 if it cannot be used (it is then malformed). */
int
runs_record(const struct record *r)
{
	struct run *u = run_find(r->pid);

	note_time(r->ms);
	switch (r->kind) {
	case RK_START:
		return run_start(u, r);
	case RK_END:
		return run_end(u, r);
	case RK_STATS:
		run_stats(u, r);
		break;
	default:
		break;
	}
	if (u != NULL)
		u->lastrec = r->ms;
	return 0;
}

void
runs_malformed(const char *file, int64_t line)
{
	if (t.malformed < MALFORMED_SHOWN &&
	    asprintf(&t.malformed_at[t.malformed], "%s:%lld", file,
	    (long long)line) == -1)
		err(2, NULL);
	t.malformed++;
}

static int
by_start(const void *a, const void *b)
{
	const struct openrun *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* End of input: the runs still open are running or never finished. */
void
runs_finish(void)
{
	struct run *u;
	size_t i;

	for (i = 0; i < runtab.nb; i++)
		while ((u = (struct run *)runtab.b[i]) != NULL) {
			if (in_window(u->start))
				run_open(u, proc_is_run(u->pid, u->start) ?
				    ST_RUNNING : ST_NEVER);
			run_free(u);
		}
	if (t.nopen > 0)
		qsort(t.open, t.nopen, sizeof(*t.open), by_start);
}

size_t
jobs_seen(void)
{
	size_t i, n = 0;

	for (i = 0; i < t.njobs; i++)
		n += job_seen(t.jobs[i]);
	return n;
}
