/*
 * remoteexe-report: read remoteexe's logs and answer the morning's
 * question: what ran, what failed and why, what never finished, what
 * never started.  With --output, print one run's remote output instead.
 */
#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"
#include "extract.h"
#include "incident.h"
#include "input.h"
#include "logread.h"
#include "missed.h"
#include "output.h"
#include "runs.h"
#include "util.h"

#define VERSION		"1.0"
#define EX_REPORT_USAGE	2
#define PATH_ROOM	4096

enum {
	OPT_CRON_FORMAT = 256, OPT_OUTPUT, OPT_SINCE, OPT_UNTIL
};

static const struct option longopts[] = {
	{ "all",		no_argument,		NULL, 'a' },
	{ "crontab",		required_argument,	NULL, 'c' },
	{ "cron-format",	required_argument,	NULL, OPT_CRON_FORMAT },
	{ "format",		required_argument,	NULL, 'f' },
	{ "help",		no_argument,		NULL, 'h' },
	{ "output",		required_argument,	NULL, OPT_OUTPUT },
	{ "since",		required_argument,	NULL, OPT_SINCE },
	{ "stderr",		no_argument,		NULL, 'e' },
	{ "until",		required_argument,	NULL, OPT_UNTIL },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

static const char synopsis[] =
"usage: remoteexe-report [-ahV] [-c crontab]... [-f text|json]\n"
"                        [--cron-format auto|system|user] [--since time]\n"
"                        [--until time] [log ...]\n"
"       remoteexe-report --output pid[@start-time] [-e] [log ...]\n";

struct opts {
	int		 all;
	char		*crontabs[64];
	int		 ncrontabs;
	enum cronfmt	 cronfmt;
	int		 json;
	struct window	 win;
	const char	*output;
	int		 stderr_stream;
};

static void __attribute__((noreturn))
usage(void)
{
	fputs(synopsis, stderr);
	exit(EX_REPORT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	usage();
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		err(2, "clock_gettime");
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS]]", local time; -1 if it is not one. */
static int
absolute_time(const char *s, int64_t *ms)
{
	size_t len = strlen(s);
	int y, mo, d, h = 0, mi = 0, sec = 0;

	if ((len != 10 && len != 16 && len != 19) || s[4] != '-' ||
	    s[7] != '-' || (y = decimal(s, 4)) < 1900 ||
	    (mo = decimal(s + 5, 2)) < 1 || mo > 12 ||
	    (d = decimal(s + 8, 2)) < 1 || d > month_days(y, mo))
		return -1;
	if (len >= 16 && ((s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
	    (h = decimal(s + 11, 2)) < 0 || h > 23 ||
	    (mi = decimal(s + 14, 2)) < 0 || mi > 59))
		return -1;
	if (len == 19 && (s[16] != ':' || (sec = decimal(s + 17, 2)) < 0 ||
	    sec > 60))
		return -1;
	*ms = local_seconds(y, mo, d, h, mi, sec) * 1000;
	return 0;
}

/* --since/--until: absolute, "now", or "-N" and m, h or d before now. */
static int64_t
option_time(const char *opt, const char *s, int64_t now)
{
	static const struct {
		char		 unit;
		long long	 ms;
	} units[] = { { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 } };
	char num[16];
	const char *errstr;
	size_t len = strlen(s), i;
	long long n;
	int64_t ms;

	if (strcmp(s, "now") == 0)
		return now;
	if (absolute_time(s, &ms) == 0)
		return ms;
	if (s[0] == '-' && len >= 3 && len - 2 < sizeof(num))
		for (i = 0; i < NITEMS(units); i++)
			if (s[len - 1] == units[i].unit) {
				memcpy(num, s + 1, len - 2);
				num[len - 2] = '\0';
				n = strtonum(num, 0, 36500LL * 86400000 /
				    units[i].ms, &errstr);
				if (errstr != NULL)
					usage_error("%s %s: %s", opt, s, errstr);
				return now - n * units[i].ms;
			}
	usage_error("%s %s: not YYYY-MM-DD[ HH:MM[:SS]], -Nm, -Nh, -Nd or "
	    "now", opt, s);
}

static enum cronfmt
cron_format(const char *s)
{
	if (strcmp(s, "auto") == 0)
		return CRON_AUTO;
	if (strcmp(s, "system") == 0)
		return CRON_SYSTEM;
	if (strcmp(s, "user") == 0)
		return CRON_USER;
	usage_error("--cron-format %s: must be auto, system or user", s);
}

static void
option(int ch, struct opts *o)
{
	switch (ch) {
	case 'a':
		o->all = 1;
		break;
	case 'c':
		if (o->ncrontabs == (int)NITEMS(o->crontabs))
			usage_error("-c: too many crontabs");
		o->crontabs[o->ncrontabs++] = optarg;
		break;
	case 'e':
		o->stderr_stream = 1;
		break;
	case 'f':
		if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
			usage_error("-f %s: must be text or json", optarg);
		o->json = strcmp(optarg, "json") == 0;
		break;
	case OPT_CRON_FORMAT:
		o->cronfmt = cron_format(optarg);
		break;
	case OPT_OUTPUT:
		o->output = optarg;
		break;
	case OPT_SINCE:
		o->win.since = option_time("--since", optarg, o->win.now);
		o->win.has_since = 1;
		break;
	case OPT_UNTIL:
		o->win.until = option_time("--until", optarg, o->win.now);
		o->win.has_until = 1;
		break;
	default:
		usage();
	}
}

static void
parse_options(int argc, char *argv[], struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->win.now = now_ms();
	while ((ch = getopt_long(argc, argv, "ac:ef:hV", longopts, NULL)) !=
	    -1) {
		if (ch == 'h') {
			fputs(synopsis, stdout);
			exit(0);
		}
		if (ch == 'V') {
			printf("remoteexe-report %s\n", VERSION);
			exit(0);
		}
		option(ch, o);
	}
	if (o->output != NULL && (o->all || o->ncrontabs > 0 || o->json ||
	    o->win.has_since || o->win.has_until))
		usage_error("--output takes no other option but -e");
	if (o->output == NULL && o->stderr_stream)
		usage_error("-e goes with --output");
	if (o->win.has_since && o->win.has_until &&
	    o->win.until <= o->win.since)
		usage_error("--until is not after --since");
}

/*
 * The path is the user's strftime(3) format, as in remoteexe: it cannot be
 * a literal, and strftime has no %n to abuse.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static size_t
expand_path(char *buf, size_t size, const char *fmt, const struct tm *tm)
{
	return strftime(buf, size, fmt, tm);
}
#pragma GCC diagnostic pop

/* remoteexe's rule: $REMOTEEXE_LOG, else /tmp/%Y%m%d_remoteexe.log. */
static char *
default_log(void)
{
	const char *fmt = getenv("REMOTEEXE_LOG");
	static char path[PATH_ROOM];
	struct tm tm;
	time_t t = time(NULL);

	if (fmt == NULL || *fmt == '\0')
		fmt = "/tmp/%Y%m%d_remoteexe.log";
	if (localtime_r(&t, &tm) == NULL ||
	    expand_path(path, sizeof(path), fmt, &tm) == 0)
		errx(2, "%s: cannot expand the log path", fmt);
	return path;
}

/* Feed every line of a log to feed(); -1 if it cannot be read. */
static int
read_log(const char *path, int (*feed)(const struct record *), int count)
{
	struct input in;
	struct record rec;
	const char *line;
	size_t len;
	int flags, r;

	if (input_open(&in, path) == -1) {
		warn("%s", path);
		return -1;
	}
	while ((r = input_line(&in, &line, &len, &flags)) == 1)
		if ((flags != 0 || record_parse(line, len, &rec) != NULL ||
		    feed(&rec) == -1) && count)
			runs_malformed(in.name, in.lineno);
	if (r == -1)
		warn("%s", in.name);
	input_close(&in);
	return r == -1 ? -1 : 0;
}

/* --output PID[@START-TIME] */
static int
run_extract(const struct opts *o, char **logs, int nlogs)
{
	char pidtext[16];
	const char *at = strchr(o->output, '@'), *errstr;
	size_t n = at != NULL ? (size_t)(at - o->output) : strlen(o->output);
	int64_t start = 0;
	long pid;
	int i, bad = 0;

	if (n >= sizeof(pidtext))
		usage_error("--output %s: bad pid", o->output);
	memcpy(pidtext, o->output, n);
	pidtext[n] = '\0';
	pid = (long)strtonum(pidtext, 1, 2147483647, &errstr);
	if (errstr != NULL)
		usage_error("--output %s: pid is %s", o->output, errstr);
	if (at != NULL && (strlen(at + 1) != 19 ||
	    absolute_time(at + 1, &start) == -1))
		usage_error("--output %s: the start time is not "
		    "YYYY-MM-DD HH:MM:SS", o->output);
	extract_init(pid, at != NULL, start, o->stderr_stream ? 2 : 1);
	for (i = 0; i < nlogs; i++)
		if (read_log(logs[i], extract_record, 0) == -1)
			bad = 1;
	if (bad)
		return 2;
	return extract_finish(stdout);
}

static void
read_crontabs(const struct opts *o, struct centry **list)
{
	struct centry **tail = list;
	int i;

	for (i = 0; i < o->ncrontabs; i++)
		if (cron_read(o->crontabs[i], o->cronfmt, &tail) == -1)
			err(2, "%s", o->crontabs[i]);
}

/*
 * The window: from --since or the first record, to --until or the last
 * record, never past now; 0 if there is none (no record, no --since).
 */
static int
window_of(const struct window *w, const struct tally *t, int64_t *from,
    int64_t *to)
{
	if (!w->has_since && !t->have_records)
		return 0;
	*from = w->has_since ? w->since : t->first;
	*to = w->has_until ? w->until : t->have_records ? t->last : w->now;
	if (*to > w->now)
		*to = w->now;
	if (*to < *from)
		*to = *from;
	return 1;
}

/*
 * One record for the runs and for the crontab's slots: the first record
 * read opens the window when --since does not, and a START answers a slot.
 */
static int
feed_record(const struct record *r)
{
	struct job *j;

	if (!missed_begun())
		missed_begin(r->ms);
	if (runs_record(r) == -1)
		return -1;
	if (r->kind == RK_START && (j = job_of(r)) != NULL)
		missed_start(j, r->ms);
	return 0;
}

static int
run_report(const struct opts *o, char **logs, int nlogs)
{
	struct reportinfo ri = { logs, nlogs, 0, 0, 0, NULL, o->all };
	int i, bad = 0;

	runs_init(&o->win);
	read_crontabs(o, &ri.cron);
	missed_setup(ri.cron, &o->win);
	if (o->win.has_since)
		missed_begin(o->win.since);
	for (i = 0; i < nlogs; i++)
		if (read_log(logs[i], feed_record, 1) == -1)
			bad = 1;
	runs_finish();
	ri.have_window = window_of(&o->win, runs_tally(), &ri.from, &ri.to);
	if (ri.have_window && missed_begun())
		missed_end(ri.to);
	incident_finish();
	if (o->json)
		output_json(stdout, &ri);
	else
		output_text(stdout, &ri);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(2, "stdout");
	if (bad)
		return 2;
	return output_problems();
}

int
main(int argc, char *argv[])
{
	struct opts o;
	char *deflog[1];

	tzset();
	parse_options(argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		deflog[0] = default_log();
		argc = 1;
		argv = deflog;
	}
	if (o.output != NULL)
		return run_extract(&o, argv, argc);
	return run_report(&o, argv, argc);
}
