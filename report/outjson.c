/*
 * The report as one JSON document: the text report's content, with times
 * in RFC 3339 and durations in seconds.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../utf8.h"
#include "incident.h"
#include "output.h"
#include "runs.h"
#include "util.h"

static const char *const state_keys[] = {
	"ok", "failed", "never_finished", "still_running"
};

/* Bytes as a JSON string; a byte that is not UTF-8 becomes U+FFFD. */
static void
json_str(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	fputc('"', fp);
	for (; p < end; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else if (*p < 0x80)
			fputc(*p, fp);
		else if ((n = utf8_len(p, end)) > 0) {
			fwrite(p, 1, n, fp);
			p += n - 1;
		} else
			fputs("\\ufffd", fp);
	}
	fputc('"', fp);
}

static void
json_cstr(FILE *fp, const char *s)
{
	json_str(fp, s, strlen(s));
}

static void
json_time(FILE *fp, int64_t ms)
{
	char buf[TIME_TEXT];

	fprintf(fp, "\"%s\"", time_iso(buf, ms));
}

static void
json_summary(FILE *fp)
{
	struct tally *t = runs_tally();
	uint64_t missed = runs_missed();

	fprintf(fp, "\"summary\":{\"jobs\":%zu,\"runs\":%" PRIu64 ",\"ok\":%"
	    PRIu64 ",\"failed\":%" PRIu64 ",\"never_finished\":%" PRIu64
	    ",\"still_running\":%" PRIu64 ",\"missed\":%" PRIu64
	    ",\"malformed\":%" PRIu64 "},\n", jobs_seen(), t->runs, t->ok,
	    t->failed, t->never, t->running, missed, t->malformed);
}

static void
json_job_last(FILE *fp, const struct job *j)
{
	fputs(",\"last\":", fp);
	if (!j->has_last) {
		fputs("null", fp);
		return;
	}
	fputs("{\"start\":", fp);
	json_time(fp, j->last.start);
	fprintf(fp, ",\"pid\":%ld,\"status\":\"%s\"", j->last.pid,
	    state_keys[j->last.st]);
	if (j->last.st == ST_OK || j->last.st == ST_FAILED) {
		fprintf(fp, ",\"rc\":%d,\"reason\":", j->last.rc);
		json_cstr(fp, j->last.reason);
	}
	fputc('}', fp);
}

static void
json_job(FILE *fp, const struct job *j)
{
	size_t i;

	fputs("{\"params\":", fp);
	json_str(fp, j->params, j->plen);
	fprintf(fp, ",\"problem\":%s,\"runs\":%" PRIu64 ",\"ok\":%" PRIu64
	    ",\"failed\":%" PRIu64 ",\"never_finished\":%" PRIu64
	    ",\"still_running\":%" PRIu64 ",\"missed\":%" PRIu64
	    ",\"failures\":[", job_problem(j) ? "true" : "false", j->runs,
	    j->ok, j->failed, j->never, j->running, j->missed);
	for (i = 0; i < j->nfails; i++) {
		fprintf(fp, "%s{\"rc\":%d,\"reason\":", i ? "," : "",
		    j->fails[i].rc);
		json_cstr(fp, j->fails[i].reason);
		fprintf(fp, ",\"runs\":%" PRIu64 "}", j->fails[i].n);
	}
	fputs("],\"elapsed\":", fp);
	if (j->el.n == 0)
		fputs("null", fp);
	else
		fprintf(fp, "{\"median\":%.3f,\"p95\":%.3f,\"max\":%.3f,"
		    "\"exact\":%s}", sketch_quantile(&j->el, 50) / 1000.0,
		    sketch_quantile(&j->el, 95) / 1000.0, j->el.max / 1000.0,
		    sketch_exact(&j->el) ? "true" : "false");
	json_job_last(fp, j);
	fputc('}', fp);
}

static void
json_jobs(FILE *fp, int all)
{
	struct job **v;
	size_t i, n;

	v = jobs_shown(all, &n);
	fputs("\"jobs\":[", fp);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", fp);
		json_job(fp, v[i]);
	}
	fputs("],\n", fp);
	free(v);
}

static void
json_open(FILE *fp)
{
	struct tally *t = runs_tally();
	size_t i;

	fputs("\"open_runs\":[", fp);
	for (i = 0; i < t->nopen; i++) {
		fprintf(fp, "%s{\"pid\":%ld,\"params\":", i ? ",\n" : "\n",
		    t->open[i].pid);
		json_str(fp, t->open[i].job->params, t->open[i].job->plen);
		fputs(",\"start\":", fp);
		json_time(fp, t->open[i].start);
		fputs(",\"last_record\":", fp);
		json_time(fp, t->open[i].lastrec);
		fprintf(fp, ",\"status\":\"%s\"}", state_keys[t->open[i].st]);
	}
	fprintf(fp, "],\n\"open_runs_more\":%" PRIu64 ",\n", t->open_more);
}

static void
json_incidents(FILE *fp)
{
	const struct incident *v;
	size_t i, n;
	uint64_t more;

	v = incident_list(&n, &more);
	fputs("\"incidents\":[", fp);
	for (i = 0; i < n; i++) {
		fputs(i ? ",\n{\"from\":" : "\n{\"from\":", fp);
		json_time(fp, v[i].from);
		fputs(",\"to\":", fp);
		json_time(fp, v[i].to);
		fprintf(fp, ",\"rc\":%d,\"reason\":", v[i].rc);
		json_cstr(fp, v[i].reason);
		fprintf(fp, ",\"runs\":%" PRIu64 ",\"jobs\":%" PRIu64 "}",
		    v[i].runs, v[i].jobs);
	}
	fprintf(fp, "],\n\"incidents_more\":%" PRIu64 ",\n", more);
}

static void
json_range(FILE *fp, const struct centry *e, const struct slotrange *r,
    int first)
{
	fputs(first ? "\n{\"params\":" : ",\n{\"params\":", fp);
	json_str(fp, e->params, e->plen);
	fputs(",\"crontab\":", fp);
	json_cstr(fp, e->where);
	fputs(",\"schedule\":", fp);
	json_cstr(fp, e->spec);
	fputs(",\"from\":", fp);
	json_time(fp, r->first);
	fputs(",\"to\":", fp);
	json_time(fp, r->last);
	fprintf(fp, ",\"slots\":%" PRIu64 "}", r->n);
}

static void
json_missed(FILE *fp, const struct centry *list)
{
	const struct centry *e;
	size_t i;
	int n = 0;

	fputs("\"missed\":[", fp);
	for (e = list; e != NULL; e = e->next)
		for (i = 0; i < e->nranges; i++)
			json_range(fp, e, &e->ranges[i], n++ == 0);
	fputs("],\n\"not_checked\":[", fp);
	for (e = list, n = 0; e != NULL; e = e->next) {
		if (e->unchecked == NULL)
			continue;
		fputs(n++ ? ",\n{\"crontab\":" : "\n{\"crontab\":", fp);
		json_cstr(fp, e->where);
		fputs(",\"why\":", fp);
		json_cstr(fp, e->unchecked);
		fputc('}', fp);
	}
	fputs("],\n", fp);
}

static void
json_malformed(FILE *fp)
{
	struct tally *t = runs_tally();
	size_t i;

	fprintf(fp, "\"malformed\":{\"lines\":%" PRIu64 ",\"first\":[",
	    t->malformed);
	for (i = 0; i < t->malformed && i < MALFORMED_SHOWN; i++) {
		if (i > 0)
			fputc(',', fp);
		json_cstr(fp, t->malformed_at[i]);
	}
	fputs("]}", fp);
}

void
output_json(FILE *fp, const struct reportinfo *ri)
{
	int i;

	fputs("{\"logs\":[", fp);
	for (i = 0; i < ri->nlogs; i++) {
		if (i > 0)
			fputc(',', fp);
		json_cstr(fp, ri->logs[i]);
	}
	fputs("],\n\"window\":", fp);
	if (ri->have_window) {
		fputs("{\"from\":", fp);
		json_time(fp, ri->from);
		fputs(",\"to\":", fp);
		json_time(fp, ri->to);
		fputs("},\n", fp);
	} else
		fputs("null,\n", fp);
	json_summary(fp);
	json_jobs(fp, ri->all);
	json_open(fp);
	json_incidents(fp);
	json_missed(fp, ri->cron);
	json_malformed(fp);
	fputs("}\n", fp);
}
