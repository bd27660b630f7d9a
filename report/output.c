/*
 * Text and JSON reports; see output.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "output.h"
#include "runs.h"
#include "util.h"

#define DASH	"\xe2\x80\x93"	/* en dash: "02:00:01–02:00:04" */

static const char *const state_names[] = {
	"ok", "failed", "never finished", "still running"
};

static int
job_order(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a;
	const struct job *y = *(struct job *const *)b;
	uint64_t px = x->failed + x->never + x->missed;
	uint64_t py = y->failed + y->never + y->missed;
	size_t n = x->plen < y->plen ? x->plen : y->plen;
	int c;

	if (px != py)
		return px > py ? -1 : 1;
	if (x->failed != y->failed)
		return x->failed > y->failed ? -1 : 1;
	if ((c = memcmp(x->params, y->params, n)) != 0)
		return c;
	return x->plen < y->plen ? -1 : x->plen > y->plen;
}

/* The jobs to show, worst first; shown_n gets their number. */
struct job **
jobs_shown(int all, size_t *shown_n)
{
	struct tally *t = runs_tally();
	struct job **v = xcalloc(t->njobs, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; i < t->njobs; i++)
		if (job_problem(t->jobs[i]) || (all && job_seen(t->jobs[i])))
			v[n++] = t->jobs[i];
	qsort(v, n, sizeof(*v), job_order);
	*shown_n = n;
	return v;
}

int
output_problems(void)
{
	struct tally *t = runs_tally();
	size_t i;

	for (i = 0; i < t->njobs; i++)
		if (job_problem(t->jobs[i]))
			return 1;
	return t->malformed > 0;
}

/* PARAMS escaped as the log escapes them: no control byte on a terminal. */
static void
put_params(FILE *fp, const char *s, size_t len)
{
	char *buf = xmalloc(4 * len + 1), *end;

	end = vis_encode(buf, s, len);
	fwrite(buf, 1, end - buf, fp);
	free(buf);
}

static char *
duration(char *buf, size_t size, uint64_t ms)
{
	if (ms < 60000)
		snprintf(buf, size, "%.1fs", ms / 1000.0);
	else if (ms < 3600000)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", ms / 60000,
		    ms / 1000 % 60);
	else
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", ms / 3600000,
		    ms / 60000 % 60);
	return buf;
}

static void
text_status(FILE *fp, enum runstate st, int rc, const char *reason)
{
	if (st == ST_FAILED)
		fprintf(fp, "rc=%d reason=%s", rc, reason);
	else
		fputs(state_names[st], fp);
}

static void
text_job_detail(FILE *fp, const struct job *j)
{
	char when[TIME_TEXT];
	size_t i;

	fputs("        ", fp);
	for (i = 0; i < j->nfails; i++)
		fprintf(fp, "%s%" PRIu64 "x rc=%d reason=%s", i ? ", " :
		    "failed: ", j->fails[i].n, j->fails[i].rc,
		    j->fails[i].reason);
	if (j->nfails > 0)
		fputs("; ", fp);
	if (!j->has_last) {
		fputs("no run\n", fp);
		return;
	}
	fprintf(fp, "last: %s pid %ld ", time_text(when, j->last.start),
	    j->last.pid);
	text_status(fp, j->last.st, j->last.rc, j->last.reason);
	fputc('\n', fp);
}

static void
text_jobs(FILE *fp, int all)
{
	struct job **v, *j;
	char med[24], p95[24], max[24];
	size_t i, n;

	v = jobs_shown(all, &n);
	if (n > 0)
		fprintf(fp, "\n%5s %5s %5s %5s %5s %8s %8s %8s  %s\n", "runs",
		    "ok", "fail", "never", "miss", "median", "p95", "max",
		    "job");
	for (i = 0; i < n; i++) {
		j = v[i];
		fprintf(fp, "%5" PRIu64 " %5" PRIu64 " %5" PRIu64 " %5" PRIu64
		    " %5" PRIu64 " %8s %8s %8s  ", j->runs, j->ok, j->failed,
		    j->never, j->missed, j->el.n ? duration(med, sizeof(med),
		    sketch_quantile(&j->el, 50)) : "-", j->el.n ?
		    duration(p95, sizeof(p95), sketch_quantile(&j->el, 95)) :
		    "-", j->el.n ? duration(max, sizeof(max), j->el.max) : "-");
		put_params(fp, j->params, j->plen);
		fputc('\n', fp);
		if (job_problem(j))
			text_job_detail(fp, j);
	}
	free(v);
}

static void
text_open(FILE *fp, enum runstate st)
{
	struct tally *t = runs_tally();
	char a[TIME_TEXT], b[TIME_TEXT];
	size_t i;
	int head = 0;

	for (i = 0; i < t->nopen; i++) {
		if (t->open[i].st != st)
			continue;
		if (!head++)
			fprintf(fp, "\n%s:\n", st == ST_NEVER ?
			    "never finished (START without END)" :
			    "still running");
		fprintf(fp, "  %s pid %ld ", time_text(a, t->open[i].start),
		    t->open[i].pid);
		put_params(fp, t->open[i].job->params, t->open[i].job->plen);
		fprintf(fp, " (last record %s)\n",
		    time_text(b, t->open[i].lastrec));
	}
	if (head && st == ST_NEVER && t->open_more > 0)
		fprintf(fp, "  and %" PRIu64 " more runs without END\n",
		    t->open_more);
}

/* "2026-11-22 02:00:01–02:00:04", the date once when it is the same. */
static void
text_span(FILE *fp, int64_t from, int64_t to)
{
	char a[TIME_TEXT], b[TIME_TEXT];

	time_text(a, from);
	time_text(b, to);
	if (from == to)
		fputs(a, fp);
	else if (strncmp(a, b, 11) == 0)
		fprintf(fp, "%s" DASH "%s", a, b + 11);
	else
		fprintf(fp, "%s" DASH "%s", a, b);
}

static void
text_incidents(FILE *fp)
{
	const struct incident *v;
	size_t i, n;
	uint64_t more;

	v = incident_list(&n, &more);
	if (n > 0)
		fprintf(fp, "\nincidents (failures of several jobs, each within"
		    " %d s of the previous):\n", INCIDENT_GAP / 1000);
	for (i = 0; i < n; i++) {
		fputs("  ", fp);
		text_span(fp, v[i].from, v[i].to);
		fprintf(fp, ": %" PRIu64 " run%s on %" PRIu64 " job%s ended %d,"
		    " reason=%s\n", v[i].runs, v[i].runs == 1 ? "" : "s",
		    v[i].jobs, v[i].jobs == 1 ? "" : "s", v[i].rc,
		    v[i].reason);
	}
	if (more > 0)
		fprintf(fp, "  and %" PRIu64 " more\n", more);
}

static void
text_missed(FILE *fp, const struct centry *list)
{
	const struct centry *e;
	size_t i;
	int head = 0;

	for (e = list; e != NULL; e = e->next)
		for (i = 0; i < e->nranges; i++) {
			if (!head++)
				fputs("\nmissed (no START within splay + 60 s "
				    "of the slot):\n", fp);
			fputs("  ", fp);
			text_span(fp, e->ranges[i].first, e->ranges[i].last);
			if (e->ranges[i].n > 1)
				fprintf(fp, " (%" PRIu64 " slots)",
				    e->ranges[i].n);
			fputs(": ", fp);
			put_params(fp, e->params, e->plen);
			fprintf(fp, " (%s, %s)\n", e->spec, e->where);
		}
	for (e = list; e != NULL; e = e->next)
		if (e->ranges_more > 0)
			fprintf(fp, "  %s: and %" PRIu64 " more missed slots\n",
			    e->where, e->ranges_more);
	for (e = list, head = 0; e != NULL; e = e->next)
		if (e->unchecked != NULL)
			fprintf(fp, "%s  %s: %s\n", head++ ? "" :
			    "\nnot checked:\n", e->where, e->unchecked);
}

static void
text_summary(FILE *fp)
{
	struct tally *t = runs_tally();
	uint64_t missed = runs_missed();
	size_t i;

	if (t->malformed > 0) {
		fprintf(fp, "\nmalformed: %" PRIu64 " line%s (", t->malformed,
		    t->malformed == 1 ? "" : "s");
		for (i = 0; i < t->malformed && i < MALFORMED_SHOWN; i++)
			fprintf(fp, "%s%s", i ? ", " : "", t->malformed_at[i]);
		fputs(t->malformed > MALFORMED_SHOWN ? ", ...)\n" : ")\n", fp);
	}
	fprintf(fp, "\nsummary: %zu job%s, %" PRIu64 " run%s: %" PRIu64
	    " ok, %" PRIu64 " failed, %" PRIu64 " never finished, %" PRIu64
	    " still running; %" PRIu64 " missed slot%s; %" PRIu64
	    " malformed line%s\n", jobs_seen(), jobs_seen() == 1 ? "" : "s",
	    t->runs, t->runs == 1 ? "" : "s", t->ok, t->failed, t->never,
	    t->running, missed, missed == 1 ? "" : "s", t->malformed,
	    t->malformed == 1 ? "" : "s");
}

void
output_text(FILE *fp, const struct reportinfo *ri)
{
	int i;

	fputs("remoteexe-report:", fp);
	for (i = 0; i < ri->nlogs; i++)
		fprintf(fp, " %s", ri->logs[i]);
	if (ri->have_window) {
		fputs(", ", fp);
		text_span(fp, ri->from, ri->to);
	}
	fputc('\n', fp);
	text_jobs(fp, ri->all);
	text_open(fp, ST_NEVER);
	text_open(fp, ST_RUNNING);
	text_incidents(fp);
	text_missed(fp, ri->cron);
	text_summary(fp);
}
