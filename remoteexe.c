/*
 * remoteexe: run one command on a remote host over SSH and leave a log
 * that says that it started, what it printed and how it ended.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "config.h"
#include "log.h"
#include "session.h"

#define VERSION		"1.0"
#define EX_USAGE_RX	10
#define EX_LOG		11
#define EX_LOCKED	75
#define EX_SSH		255
#define MAXIDS		(CONF_MAXID * 2)
#define BACKOFF_BASE	1000
#define BACKOFF_CAP	30000
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

extern char **environ;

struct opts {
	const char	*user;
	int		 port;
	const char	*ids[MAXIDS];
	int		 nids;
	const char	*config;
	const char	*confopts[64];
	int		 nconfopts;
	const char	*log;
	enum logformat	 format;
	const char	*known_hosts;
	int		 accept_new;
	int		 connect_timeout;
	int		 timeout;
	int		 kill_grace;
	int		 alive;
	int		 retries;
	int		 splay;
	int		 lock;
	int		 tee;
	int		 quiet;
	int		 show;		/* -h or -V */
};

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
"usage: remoteexe [-hqV] [-F file] [-i file] [-l user] [-o key=value]\n"
"                 [-p port] [--accept-new] [--alive sec]\n"
"                 [--connect-timeout sec] [--format text|json]\n"
"                 [--kill-grace sec] [--known-hosts file] [--lock]\n"
"                 [--log path] [--retries n] [--splay sec] [--tee]\n"
"                 [--timeout sec] [user@]host command [arg ...]\n";

static volatile sig_atomic_t	 got_sig[NSIG];
static int			 sigpipe_fd[2] = { -1, -1 };
static char			*params;	/* START/END: the job */
static int			 quiet;
static int64_t			 started;
static struct job		 job;
static char			**args;		/* our copy of argv */

static void
usage(FILE *fp)
{
	fputs(synopsis, fp);
}

static void
on_signal(int sig)
{
	int saved = errno;

	got_sig[sig] = 1;
	(void)write(sigpipe_fd[1], "", 1);
	errno = saved;
}

static void
signals_init(void)
{
	struct sigaction sa;
	const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1 };
	size_t i;

	if (pipe2(sigpipe_fd, O_NONBLOCK | O_CLOEXEC) == -1)
		err(1, "pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	/* no SA_RESTART: a blocking call (agent, lock) must see the signal */
	sa.sa_flags = 0;
	for (i = 0; i < NITEMS(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			err(1, "sigaction");
	signal(SIGPIPE, SIG_IGN);
}

static double
elapsed(void)
{
	return (now_ms() - started) / 1000.0;
}

static void
log_state(struct job *j)
{
	char pgid[24] = "-";

	if (j->pgid > 0)
		snprintf(pgid, sizeof(pgid), "%ld", j->pgid);
	log_msg("state", "phase=%s elapsed=%.3f out=%llu err=%llu pgid=%s "
	    "attempt=%d", j->phase, elapsed(), (unsigned long long)j->out,
	    (unsigned long long)j->err, pgid, j->attempt);
}

/*
 * Called from every wait: answers SIGUSR1 with a state record, shows the
 * phase in ps(1), and reports (once each) the stop signals that arrived.
 */
static int
stop_signal(struct job *j)
{
	static const char *shown;
	const int stops[] = { SIGTERM, SIGINT, SIGHUP };
	char c;
	size_t i;

	while (read(sigpipe_fd[0], &c, 1) == 1)
		;
	if (j->phase != shown) {
		shown = j->phase;
		setproctitle("%s %s@%s:%d", j->phase, j->user, j->host, j->port);
	}
	if (got_sig[SIGUSR1]) {
		got_sig[SIGUSR1] = 0;
		log_state(j);
	}
	for (i = 0; i < NITEMS(stops); i++)
		if (got_sig[stops[i]]) {
			got_sig[stops[i]] = 0;
			log_msg("signal", "%s", signal_name(stops[i]));
			return stops[i];
		}
	return 0;
}

/* The one stderr line of remoteexe's own failures (unless -q). */
static void
complain(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

static char *
vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) == -1)
		err(1, NULL);
	return s;
}

static void __attribute__((noreturn))
finish(int status, const char *reason)
{
	struct logstats st;

	st.elapsed = elapsed();
	st.out = job.out;
	st.err = job.err;
	st.attempts = job.attempt;
	st.reason = reason;
	log_output_end(1);
	log_output_end(2);
	log_stats(&st);
	log_end(status);
	exit(status);
}

static void __attribute__((noreturn))
fail(int status, const char *reason, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	log_msg("error", "%s", msg);
	complain("%s", msg);
	if (status == EX_USAGE_RX && !quiet)
		usage(stderr);
	finish(status, reason);
}

static char *
join(int argc, char *const argv[])
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = malloc(len)) == NULL)
		err(1, NULL);
	s[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strlcat(s, " ", len);
		strlcat(s, argv[i], len);
	}
	return s;
}

static void
log_begin(const char *path, enum logformat format)
{
	char *expanded, msg[1024];

	if ((expanded = log_path(path)) == NULL) {
		complain("log path %s: cannot expand", path);
		exit(EX_LOG);
	}
	if (log_open(expanded, format, msg, sizeof(msg)) == -1) {
		complain("log %s; not running the command", msg);
		exit(EX_LOG);
	}
	free(expanded);
	log_start(params);
}

static const char *
default_log(void)
{
	const char *env = getenv("REMOTEEXE_LOG");

	return env != NULL && *env != '\0' ? env : "/tmp/%Y%m%d_remoteexe.log";
}

/*
 * Invalid invocation: START with all arguments as given, the reason, END.
 */
static void __attribute__((noreturn))
usage_fail(int argc, char *argv[], const char *logpath, enum logformat fmt,
    const char *fmtmsg, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmtmsg);
	msg = vformat(fmtmsg, ap);
	va_end(ap);
	complain("%s", msg);
	if (!quiet)
		usage(stderr);
	params = join(argc - 1, argv + 1);
	log_begin(logpath != NULL ? logpath : default_log(), fmt);
	log_msg("error", "%s", msg);
	finish(EX_USAGE_RX, "usage");
}

static const char *
number(const char *name, const char *arg, long long min, long long max,
    int *v)
{
	const char *errstr;
	char *msg;
	long long n;

	n = strtonum(arg, min, max, &errstr);
	if (errstr != NULL) {
		if (asprintf(&msg, "%s %s: %s (%lld..%lld)", name, arg,
		    errstr, min, max) == -1)
			err(1, NULL);
		return msg;
	}
	*v = n;
	return NULL;
}

static const char *
option(int ch, const char *arg, struct opts *o)
{
	switch (ch) {
	case 'F':
		o->config = arg;
		return NULL;
	case 'i':
		if (o->nids == (int)NITEMS(o->ids))
			return "-i: too many identity files";
		o->ids[o->nids++] = arg;
		return NULL;
	case 'l':
		o->user = arg;
		return NULL;
	case 'o':
		if (o->nconfopts == (int)NITEMS(o->confopts))
			return "-o: too many options";
		o->confopts[o->nconfopts++] = arg;
		return NULL;
	case 'p':
		return number("-p", arg, 1, 65535, &o->port);
	case 'q':
		o->quiet = quiet = 1;
		return NULL;
	case OPT_ACCEPT_NEW:
		o->accept_new = 1;
		return NULL;
	case OPT_ALIVE:
		return number("--alive", arg, 3, 86400, &o->alive);
	case OPT_CONNECT_TIMEOUT:
		return number("--connect-timeout", arg, 1, 86400,
		    &o->connect_timeout);
	case OPT_FORMAT:
		if (strcmp(arg, "text") == 0)
			o->format = LOG_TEXT;
		else if (strcmp(arg, "json") == 0)
			o->format = LOG_JSON;
		else
			return "--format: must be text or json";
		return NULL;
	case OPT_KILL_GRACE:
		return number("--kill-grace", arg, 0, 3600, &o->kill_grace);
	case OPT_KNOWN_HOSTS:
		o->known_hosts = arg;
		return NULL;
	case OPT_LOCK:
		o->lock = 1;
		return NULL;
	case OPT_LOG:
		o->log = arg;
		return NULL;
	case OPT_RETRIES:
		return number("--retries", arg, 0, 100, &o->retries);
	case OPT_SPLAY:
		return number("--splay", arg, 0, 86400, &o->splay);
	case OPT_TEE:
		o->tee = 1;
		return NULL;
	case OPT_TIMEOUT:
		return number("--timeout", arg, 1, 31536000, &o->timeout);
	}
	return "unknown option";
}

/* Parse options; -h and -V exit here.  Returns an error or NULL. */
static const char *
parse_options(int argc, char *argv[], struct opts *o)
{
	const char *e, *first = NULL;
	char *msg;
	int ch;

	memset(o, 0, sizeof(*o));
	o->connect_timeout = o->alive = o->kill_grace = o->retries = -1;
	o->tee = isatty(STDOUT_FILENO);
	opterr = 0;
	/* "+": options end at the host, the command keeps its own flags */
	while ((ch = getopt_long(argc, argv, "+F:hi:l:o:p:qV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
		case 'V':
			/* after the loop: a bad option still wins */
			o->show = ch;
			break;
		case '?':
		case ':':
			if (first != NULL)
				break;
			if (optopt > 0 && optopt < 256 && asprintf(&msg,
			    "-%c: %s", optopt, strchr("Filop", optopt) != NULL ?
			    "needs an argument" : "unknown option") == -1)
				err(1, NULL);
			if ((optopt <= 0 || optopt >= 256) && asprintf(&msg,
			    "%s: unknown option or missing argument",
			    argv[optind - 1]) == -1)
				err(1, NULL);
			first = msg;
			break;
		default:
			/* go on: a later --log or --format still counts */
			if ((e = option(ch, optarg, o)) != NULL &&
			    first == NULL)
				first = e;
		}
	}
	if (first == NULL && o->show == 'h') {
		usage(stdout);
		exit(0);
	}
	if (first == NULL && o->show == 'V') {
		printf("remoteexe %s (libssh2 %s)\n", VERSION,
		    libssh2_version(0));
		exit(0);
	}
	return first;
}

static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home != NULL && *home != '\0')
		return home;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return "/";
}

static char *
home_path(const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", home_dir(), rel) == -1)
		err(1, NULL);
	return p;
}

static const char *
local_user(void)
{
	struct passwd *pw;

	if ((pw = getpwuid(getuid())) == NULL)
		fail(EX_USAGE_RX, "usage", "uid %ld has no user name; give the "
		    "remote user with -l or user@host", (long)getuid());
	return pw->pw_name;
}

/* Split [user@]host; the command line's -l and user@ win over ssh_config. */
static void
target_parse(const char *target, const struct opts *o, char **host,
    char **user)
{
	const char *at = strrchr(target, '@');

	*user = NULL;
	if (at != NULL) {
		if ((*user = strndup(target, at - target)) == NULL)
			err(1, NULL);
		target = at + 1;
	}
	if (o->user != NULL && (*user = strdup(o->user)) == NULL)
		err(1, NULL);
	if ((*host = strdup(target)) == NULL)
		err(1, NULL);
}

static void
config_load(struct sshconf *c, const struct opts *o, const char *host)
{
	char msg[1024], *def;
	int i;

	conf_init(c);
	for (i = 0; i < o->nconfopts; i++)
		if (conf_option(c, o->confopts[i], msg, sizeof(msg)) == -1)
			fail(EX_USAGE_RX, "usage", "%s", msg);
	if (o->config != NULL) {
		if (conf_read(c, o->config, 1, host, msg, sizeof(msg)) == -1)
			fail(EX_USAGE_RX, "usage", "%s", msg);
		return;
	}
	def = home_path(".ssh/config");
	if (conf_read(c, def, 0, host, msg, sizeof(msg)) == -1)
		fail(EX_USAGE_RX, "usage", "%s", msg);
	free(def);
}

static void
identities(struct job *j, const struct opts *o, const struct sshconf *c)
{
	static const char *defaults[] = {
		".ssh/id_ed25519", ".ssh/id_ecdsa", ".ssh/id_rsa"
	};
	size_t i;
	char *p;

	if ((j->identities = calloc(MAXIDS + CONF_MAXID + 3,
	    sizeof(char *))) == NULL)
		err(1, NULL);
	for (i = 0; i < (size_t)o->nids; i++)
		j->identities[j->nidentities++] = (char *)o->ids[i];
	for (i = 0; i < (size_t)c->nidentity; i++)
		j->identities[j->nidentities++] = c->identity[i];
	if (j->nidentities > 0)
		return;
	for (i = 0; i < NITEMS(defaults); i++) {
		p = home_path(defaults[i]);
		if (access(p, F_OK) == 0)
			j->identities[j->nidentities++] = p;
		else
			free(p);
	}
}

/* Command line, then -o and ssh_config (first value wins), then defaults. */
static void
job_setup(struct job *j, const struct opts *o, const char *target,
    const char *command)
{
	static struct sshconf c;
	char *host, *user, msg[1024];

	target_parse(target, o, &host, &user);
	config_load(&c, o, host);
	j->host = c.hostname != NULL ? c.hostname : host;
	j->user = user != NULL ? user : c.user != NULL ? c.user : local_user();
	j->port = o->port > 0 ? o->port : c.port > 0 ? c.port : 22;
	if (conf_expand(&c, j->host, j->port, j->user, msg, sizeof(msg)) == -1)
		fail(EX_USAGE_RX, "usage", "%s", msg);
	identities(j, o, &c);
	j->use_agent = c.identities_only != 1;
	j->known_hosts = o->known_hosts != NULL ? o->known_hosts :
	    c.known_hosts != NULL ? c.known_hosts :
	    home_path(".ssh/known_hosts");
	j->system_known_hosts = "/etc/ssh/ssh_known_hosts";
	j->accept_new = o->accept_new || c.strict == STRICT_ACCEPT_NEW;
	j->hash_known_hosts = c.hash_known_hosts == 1;
	j->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout :
	    c.connect_timeout > 0 ? c.connect_timeout : 30;
	/* libssh2 sends keepalives at most every 2 s: silence must be longer */
	if (o->alive > 0) {
		j->alive = o->alive;
		j->alive_interval = o->alive >= 6 ? o->alive / 3 : 2;
	} else if (c.alive_interval > 0) {
		j->alive_interval = c.alive_interval > 2 ? c.alive_interval : 2;
		j->alive = c.alive_interval * (c.alive_count > 0 ?
		    c.alive_count : 3);
		if (j->alive <= j->alive_interval)
			j->alive = j->alive_interval + 1;
	} else {
		j->alive = 60;
		j->alive_interval = 20;
	}
	j->timeout = o->timeout;
	j->kill_grace = o->kill_grace >= 0 ? o->kill_grace : 5;
	j->tee = o->tee;
	j->command = command;
	j->stop_signal = stop_signal;
	j->sigfd = sigpipe_fd[0];
	j->phase = "start";
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;	/* field separator */
}

/* A stable hash of the job: user, host, port and command. */
static uint64_t
job_hash(const struct job *j, int with_local_host)
{
	char port[16], local[256] = "";
	uint64_t h = 0xcbf29ce484222325ULL;

	if (with_local_host && gethostname(local, sizeof(local)) == -1)
		local[0] = '\0';
	snprintf(port, sizeof(port), "%d", j->port);
	h = fnv1a(h, local);
	h = fnv1a(h, j->user);
	h = fnv1a(h, j->host);
	h = fnv1a(h, port);
	return fnv1a(h, j->command);
}

/* Sleep ms, answering SIGUSR1; returns the stop signal that cut it short. */
static int
pause_ms(int64_t ms)
{
	int64_t end = now_ms() + ms, left;
	struct pollfd pfd;
	int sig;

	pfd.fd = sigpipe_fd[0];
	pfd.events = POLLIN;
	for (;;) {
		if ((sig = stop_signal(&job)) != 0)
			return sig;
		if ((left = end - now_ms()) <= 0)
			return 0;
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) == -1 &&
		    errno != EINTR)
			err(1, "poll");
	}
}

static void __attribute__((noreturn))
stopped(int sig)
{
	char reason[32];

	snprintf(reason, sizeof(reason), "stopped:%s", signal_name(sig));
	complain(sig == SIGINT ? "interrupted" : reason);
	finish(128 + sig, reason);
}

static void
splay_wait(int splay)
{
	int64_t ms;
	int sig;

	if (splay <= 0)
		return;
	ms = job_hash(&job, 1) % ((uint64_t)splay * 1000);
	job.phase = "splay";
	if ((sig = pause_ms(ms)) != 0)
		stopped(sig);
}

static int
lock_dir(char *dir, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (xdg != NULL && *xdg == '/')
		snprintf(dir, len, "%s/remoteexe", xdg);
	else
		snprintf(dir, len, "/tmp/remoteexe-%ld", (long)getuid());
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/*
 * One run of a job at a time: flock(2) on a per-job file, released by the
 * kernel when we exit, however we exit.  The holder's pid is in the file.
 */
static void
lock_job(void)
{
	char dir[4096], path[4200], holder[32] = "?";
	ssize_t n;
	int fd;

	if (lock_dir(dir, sizeof(dir)) == -1)
		fail(EX_LOCKED, "lock", "lock directory %s: %s", dir,
		    errno == EPERM ? "not a private directory of ours" :
		    strerror(errno));
	snprintf(path, sizeof(path), "%s/%016llx.lock", dir,
	    (unsigned long long)job_hash(&job, 0));
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		fail(EX_LOCKED, "lock", "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if ((n = pread(fd, holder, sizeof(holder) - 1, 0)) > 0)
			holder[n] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		fail(EX_LOCKED, "lock", "the same job is still running as pid "
		    "%s (lock %s); not run", holder, path);
	}
	n = snprintf(dir, sizeof(dir), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, dir, n, 0) != n)
		log_msg("error", "%s: cannot record our pid: %s", path,
		    strerror(errno));
}

static const char *
failure_reason(enum failure f)
{
	switch (f) {
	case FAIL_RESOLVE:
		return "ssh:resolve";
	case FAIL_HOSTKEY:
		return "ssh:hostkey";
	case FAIL_AUTH:
		return "ssh:auth";
	case FAIL_LOST:
		return "ssh:lost";
	default:
		return "ssh:connect";
	}
}

/* Full jitter: uniform in [0, min(cap, base * 2^(n-1))). */
static int64_t
backoff_ms(int n)
{
	int64_t ceiling = BACKOFF_BASE;

	while (--n > 0 && ceiling < BACKOFF_CAP)
		ceiling *= 2;
	if (ceiling > BACKOFF_CAP)
		ceiling = BACKOFF_CAP;
	return arc4random_uniform((uint32_t)ceiling);
}

/* Connect, retrying what failed before the command could be sent. */
static struct session *
connect_job(int retries)
{
	struct session *ss;
	enum failure f;
	char msg[2048];
	int64_t delay;
	int sig;

	for (job.attempt = 1;; job.attempt++) {
		f = session_open(&job, &ss, msg, sizeof(msg));
		if (f == FAIL_NONE)
			return ss;
		session_close(ss);
		if (f == FAIL_STOPPED)
			stopped(job.signo);
		if ((f != FAIL_CONNECT && f != FAIL_HANDSHAKE) ||
		    job.attempt > retries)
			fail(EX_SSH, failure_reason(f), "%s", msg);
		delay = backoff_ms(job.attempt);
		log_msg("retry", "%d,%s; next attempt in %.3f s", job.attempt,
		    msg, delay / 1000.0);
		job.phase = "connect";
		if ((sig = pause_ms(delay)) != 0)
			stopped(sig);
	}
}

static void __attribute__((noreturn))
run_job(const struct opts *o)
{
	struct session *ss;
	enum failure f;
	char msg[2048];

	if (o->lock)
		lock_job();
	splay_wait(o->splay);
	ss = connect_job(o->retries >= 0 ? o->retries : 3);
	f = session_run(ss, &job, msg, sizeof(msg));
	session_close(ss);
	if (f == FAIL_STOPPED)
		stopped(job.signo);
	if (f != FAIL_NONE)
		fail(EX_SSH, failure_reason(f), "%s", msg);
	/* ours only: a remote "exit 124" is the command's own status */
	if (strcmp(job.reason, "timeout") == 0 || job.signo != 0)
		complain("%s; remote process group %ld %s", job.reason,
		    job.pgid, job.stopped ? "stopped" : "told to stop");
	finish(job.status, job.reason);
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
		if ((copy[i] = strdup(argv[i])) == NULL)
			err(1, NULL);
	return copy;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	const char *e;

	args = save_args(argc, argv);
	setproctitle_init(argc, argv, environ);
	argv = args;
	signals_init();
	started = now_ms();
	session_global_init();

	if ((e = parse_options(argc, argv, &o)) != NULL)
		usage_fail(argc, argv, o.log, o.format, "%s", e);
	if (argc - optind < 2)
		usage_fail(argc, argv, o.log, o.format, "%s",
		    argc - optind == 0 ? "missing host and command" :
		    "missing command");
	params = join(argc - optind, argv + optind);
	log_begin(o.log != NULL ? o.log : default_log(), o.format);

	job_setup(&job, &o, argv[optind], join(argc - optind - 1,
	    argv + optind + 1));
	log_msg("command", "%s@%s:%d %s", job.user, job.host, job.port,
	    job.command);
	run_job(&o);
}
