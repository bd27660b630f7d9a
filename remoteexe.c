/*
 * remoteexe: run one command on a remote host over SSH and leave a log
 * that says that it started, what it printed and how it ended.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "run.h"
#include "settings.h"
#include "signals.h"
#include "util.h"

#define VERSION		"1.0"

extern char **environ;

enum {
	OPT_ACCEPT_NEW = 256, OPT_ALIVE, OPT_CONNECT_TIMEOUT, OPT_FORMAT,
	OPT_KILL_GRACE, OPT_KNOWN_HOSTS, OPT_LOCK, OPT_LOG, OPT_RETRIES,
	OPT_SPLAY, OPT_TEE, OPT_TIMEOUT
};

static const struct option longopts[] = {
	{ "accept-new",		no_argument,		NULL, OPT_ACCEPT_NEW },
	{ "alive",		required_argument,	NULL, OPT_ALIVE },
	{ "connect-timeout",	required_argument,	NULL, OPT_CONNECT_TIMEOUT },
	{ "format",		required_argument,	NULL, OPT_FORMAT },
	{ "help",		no_argument,		NULL, 'h' },
	{ "kill-grace",		required_argument,	NULL, OPT_KILL_GRACE },
	{ "known-hosts",	required_argument,	NULL, OPT_KNOWN_HOSTS },
	{ "lock",		no_argument,		NULL, OPT_LOCK },
	{ "log",		required_argument,	NULL, OPT_LOG },
	{ "retries",		required_argument,	NULL, OPT_RETRIES },
	{ "splay",		required_argument,	NULL, OPT_SPLAY },
	{ "tee",		no_argument,		NULL, OPT_TEE },
	{ "timeout",		required_argument,	NULL, OPT_TIMEOUT },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

static const char synopsis[] =
"usage: remoteexe [-hqV] [-F file] [-i file] [-J destination] [-l user]\n"
"                 [-o key=value] [-p port] [--accept-new] [--alive sec]\n"
"                 [--connect-timeout sec] [--format text|json]\n"
"                 [--kill-grace sec] [--known-hosts file] [--lock]\n"
"                 [--log path] [--retries n] [--splay sec] [--tee]\n"
"                 [--timeout sec] [user@]host command [arg ...]\n";

static int quiet;

static void	invalid(char *) __attribute__((noreturn));

static void
usage(FILE *fp)
{
	fputs(synopsis, fp);
}

/* Open the log and write START; without a log nothing is run. */
static void
open_log(const char *path, enum logformat format, const char *params)
{
	char *expanded, why[1024];

	diag_job(params);
	if ((expanded = log_path(path)) == NULL) {
		diag_failure("log path %s: cannot expand", path);
		exit(EX_LOG);
	}
	if (log_open(expanded, format, why, sizeof(why)) == -1) {
		diag_failure("log %s; not running the command", why);
		exit(EX_LOG);
	}
	free(expanded);
	if (log_start(params) == -1) {
		diag_failure("log %s: cannot write START: %s; not running the "
		    "command", log_name(), strerror(errno));
		exit(EX_LOG);
	}
}

/*
 * An invalid invocation: the message and the synopsis on stderr; START
 * with all arguments as given, the message, END,10 in the log.
 */
static void __attribute__((noreturn))
usage_fail(char *const all[], int nall, const struct options *o,
    const char *msg)
{
	char *params;

	params = join_words(nall, all);
	open_log(settings_log(o), o->format, params);
	free(params);
	invalid(xstrdup(msg));
}

/* An invalid invocation found after START (in ssh_config, say). */
static void __attribute__((noreturn))
invalid(char *msg)
{
	int status;

	status = run_refused(EX_INVOKE, REASON_USAGE, msg);
	free(msg);
	if (!quiet)
		usage(stderr);
	exit(status);
}

static char *
number(const char *name, const char *arg, long long min, long long max,
    int *v)
{
	const char *errstr;
	long long n;

	n = strtonum(arg, min, max, &errstr);
	if (errstr != NULL)
		return xasprintf("%s %s: %s (%lld..%lld)", name, arg, errstr,
		    min, max);
	*v = n;
	return NULL;
}

static char *
format_option(const char *arg, struct options *o)
{
	if (strcmp(arg, "text") == 0)
		o->format = LOG_TEXT;
	else if (strcmp(arg, "json") == 0)
		o->format = LOG_JSON;
	else
		return xstrdup("--format: must be text or json");
	return NULL;
}

static char *
list_option(const char *name, const char *arg, const char **list, int *n,
    int max)
{
	if (*n == max)
		return xasprintf("%s: too many %s", name, name[1] == 'i' ?
		    "identity files" : "options");
	list[(*n)++] = arg;
	return NULL;
}

/* -J once: ssh takes more hops as a comma-separated list, not as -J -J. */
static char *
jump_option(const char *arg, struct options *o)
{
	if (o->jump != NULL)
		return xstrdup("-J: given twice (separate the hops with commas)");
	if (!conf_jump_valid(arg))
		return xasprintf("-J %s: not [user@]host[:port][,...] or none",
		    arg);
	o->jump = arg;
	return NULL;
}

#define OFF(field)	offsetof(struct options, field)

/* The options that take a number of seconds (or a count), and its bounds. */
static const struct {
	int		 ch;
	const char	*name;
	long long	 min, max;
	size_t		 off;
} numbers[] = {
	{ 'p', "-p", 1, 65535, OFF(port) },
	{ OPT_ALIVE, "--alive", 3, 86400, OFF(alive) },
	{ OPT_CONNECT_TIMEOUT, "--connect-timeout", 1, 86400,
	    OFF(connect_timeout) },
	{ OPT_KILL_GRACE, "--kill-grace", 0, 3600, OFF(kill_grace) },
	{ OPT_RETRIES, "--retries", 0, 100, OFF(retries) },
	{ OPT_SPLAY, "--splay", 0, 86400, OFF(splay) },
	{ OPT_TIMEOUT, "--timeout", 1, 31536000, OFF(timeout) },
};

/* One option; returns an error message or NULL. */
static char *
option(int ch, const char *arg, struct options *o)
{
	size_t i;

	for (i = 0; i < NITEMS(numbers); i++)
		if (numbers[i].ch == ch)
			return number(numbers[i].name, arg, numbers[i].min,
			    numbers[i].max, (int *)(void *)((char *)o +
			    numbers[i].off));
	switch (ch) {
	case 'F':
		o->config = arg;
		return NULL;
	case 'i':
		return list_option("-i", arg, o->ids, &o->nids, MAXIDS);
	case 'J':
		return jump_option(arg, o);
	case 'l':
		o->user = arg;
		return NULL;
	case 'o':
		return list_option("-o", arg, o->confopts, &o->nconfopts,
		    MAXCONFOPTS);
	case 'q':
		o->quiet = quiet = 1;
		diag_quiet(1);
		return NULL;
	case OPT_ACCEPT_NEW:
		o->accept_new = 1;
		return NULL;
	case OPT_FORMAT:
		return format_option(arg, o);
	case OPT_KNOWN_HOSTS:
		o->known_hosts = arg;
		return NULL;
	case OPT_LOCK:
		o->lock = 1;
		return NULL;
	case OPT_LOG:
		o->log = arg;
		return NULL;
	case OPT_TEE:
		o->tee = 1;
		return NULL;
	}
	return xstrdup("unknown option");
}

/* The message for an option getopt_long(3) refused. */
static char *
bad_option(char *argv[])
{
	if (optopt > 0 && optopt < 256)
		return xasprintf("-%c: %s", optopt, strchr("FiJlop", optopt) !=
		    NULL ? "needs an argument" : "unknown option");
	return xasprintf("%s: unknown option or missing argument",
	    argv[optind - 1]);
}

/*
 * Parse options, keeping the first error but going on, so that a later
 * --log or --format still counts for the usage record.  *show is 'h' or
 * 'V' when one of them was given.  Returns the first error, or NULL.
 */
static char *
parse_options(int argc, char *argv[], struct options *o, int *show)
{
	char *e, *first = NULL;
	int ch;

	options_init(o);
	o->tee = isatty(STDOUT_FILENO);
	*show = 0;
	opterr = 0;
	/* "+": options end at the host, the command keeps its own flags */
	while ((ch = getopt_long(argc, argv, "+F:hi:J:l:o:p:qV", longopts,
	    NULL)) != -1) {
		if (ch == 'h' || ch == 'V')
			e = (*show = ch, NULL);
		else if (ch == '?' || ch == ':')
			e = bad_option(argv);
		else
			e = option(ch, optarg, o);
		if (first == NULL)
			first = e;
		else
			free(e);
	}
	return first;
}

/* -h and -V print and exit, unless an option was bad. */
static void
show_and_exit(int show)
{
	if (show == 'h') {
		usage(stdout);
		exit(0);
	}
	if (show == 'V') {
		printf("remoteexe %s (libssh2 %s)\n", VERSION,
		    libssh2_version(0));
		exit(0);
	}
}

/* Keep our own copy: setproctitle(3) may reuse the memory of argv. */
static char **
save_args(int argc, char *argv[])
{
	char **copy;
	int i;

	if ((copy = calloc(argc + 1, sizeof(char *))) == NULL)
		err(1, NULL);
	for (i = 0; i < argc; i++)
		copy[i] = xstrdup(argv[i]);
	return copy;
}

/*
 * cron and daemons may start us with 0, 1 or 2 closed: the log would then
 * be one of them, and a diagnostic or --tee output would land in it as
 * text that is not a record.  Whatever is closed becomes /dev/null.
 */
static void
open_std_fds(void)
{
	int fd;

	do {
		if ((fd = open("/dev/null", O_RDWR)) == -1)
			err(11, "/dev/null");
	} while (fd <= STDERR_FILENO);
	close(fd);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct settings s;
	char **all, *e, *params, *command, *msg = NULL;
	int show, rc;

	open_std_fds();
	all = save_args(argc, argv);
	setproctitle_init(argc, argv, environ);
	argv = all;
	signals_init();
	run_init();

	if ((e = parse_options(argc, argv, &o, &show)) != NULL)
		usage_fail(all + 1, argc - 1, &o, e);
	show_and_exit(show);
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage_fail(all + 1, argc + optind - 1, &o, argc == 0 ?
		    "missing host and command" : "missing command");

	params = join_words(argc, argv);
	open_log(settings_log(&o), o.format, params);
	free(params);
	command = join_words(argc - 1, argv + 1);
	rc = settings_load(&o, argv[0], command, &s, &msg);
	free(command);
	if (rc == -1)
		invalid(msg);
	exit(run(&s));
}
