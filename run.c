/*
 * A run of a job, and how it ended.  Every path out of a run that could
 * open its log goes through finish(): stats, then END.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "diag.h"
#include "dial.h"
#include "log.h"
#include "progress.h"
#include "run.h"
#include "settings.h"
#include "signals.h"
#include "ssh.h"
#include "util.h"

#define BACKOFF_BASE	1000
#define BACKOFF_CAP	30000

/* How a run ended: remoteexe's exit status and the stats reason. */
struct outcome {
	int		 status;
	enum reason	 reason;
	const char	*name;		/* the signal of signal: and stopped: */
	const char	*doubt;		/* ":unconfirmed", ":cannot" or NULL */
};

/* The stats reason= texts; a trailing ':' takes the signal's name. */
static const char *const reasons[] = {
	[REASON_EXIT] = "exit",
	[REASON_SIGNAL] = "signal:",
	[REASON_TIMEOUT] = "timeout",
	[REASON_STOPPED] = "stopped:",
	[REASON_RESOLVE] = "ssh:resolve",
	[REASON_CONNECT] = "ssh:connect",
	[REASON_HOSTKEY] = "ssh:hostkey",
	[REASON_AUTH] = "ssh:auth",
	[REASON_EXEC] = "ssh:exec",
	[REASON_LOST] = "ssh:lost",
	[REASON_NOEXIT] = "ssh:noexit",
	[REASON_PROTOCOL] = "ssh:protocol",
	[REASON_LOCK] = "lock",
	[REASON_USAGE] = "usage",
};

static struct progress progress;

void
run_init(void)
{
	progress_init(&progress);
	signals_report(&progress);
	ssh_global_init();
}

static char *
reason_text(const struct outcome *o)
{
	const char *r = reasons[o->reason];

	return xasprintf("%s%s%s", r, r[strlen(r) - 1] == ':' ? o->name : "",
	    o->doubt != NULL ? o->doubt : "");
}

static int
finish(const struct outcome *o)
{
	struct logstats st;
	char *reason = reason_text(o);

	st.elapsed = progress_elapsed(&progress);
	st.out = progress.out;
	st.err = progress.err;
	st.attempts = progress.attempt;
	st.reason = reason;
	log_output_end(1);
	log_output_end(2);
	log_stats(&st);
	log_end(o->status);
	free(reason);
	return o->status;
}

/* A failure of remoteexe's own: an error record, the stderr line, END. */
static int
failed(int status, enum reason reason, const char *msg)
{
	struct outcome o = { status, reason, NULL, NULL };

	log_msg("error", "%s", msg);
	diag("%s", msg);
	return finish(&o);
}

/* A run refused before it could start (invocation, ssh_config). */
int
run_refused(int status, enum reason reason, const char *msg)
{
	return failed(status, reason, msg);
}

/* We got a stop signal before the command was sent. */
static int
stopped(int sig)
{
	struct outcome o = { 128 + sig, REASON_STOPPED, signal_name(sig), NULL };

	if (sig == SIGINT)
		diag("interrupted");
	else
		diag("stopped:%s", o.name);
	return finish(&o);
}

/* A stable hash of the job: user, host, port and command. */
static uint64_t
job_hash(const struct target *t, int with_local_host)
{
	char port[16], local[256] = "";
	uint64_t h = FNV1A_INIT;

	if (with_local_host && gethostname(local, sizeof(local)) == -1)
		local[0] = '\0';
	snprintf(port, sizeof(port), "%d", t->port);
	h = fnv1a(h, local);
	h = fnv1a(h, t->user);
	h = fnv1a(h, t->host);
	h = fnv1a(h, port);
	return fnv1a(h, t->command);
}

/* --splay: a delay in [0, splay) that is the same for the same job. */
static int
splay_wait(const struct settings *s)
{
	int64_t ms;

	if (s->limits.splay <= 0)
		return 0;
	ms = job_hash(&s->target, 1) % ((uint64_t)s->limits.splay * 1000);
	progress_phase(&progress, PHASE_SPLAY);
	return pause_until(now_ms() + ms) == W_SIGNAL ? signals_first() : 0;
}

/*
 * The private lock directory, $XDG_RUNTIME_DIR/remoteexe or
 * /tmp/remoteexe-UID, made if need be.  Returns 0, or -1 with errno
 * (EPERM: not a private directory of ours).
 */
static int
lock_dir(char **dir)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (xdg != NULL && *xdg == '/')
		*dir = xasprintf("%s/remoteexe", xdg);
	else
		*dir = xasprintf("/tmp/remoteexe-%ld", (long)getuid());
	if (mkdir(*dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if (lstat(*dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int
lock_busy(int fd, const char *path)
{
	char holder[32] = "?", *msg;
	ssize_t n;
	int rc;

	if ((n = pread(fd, holder, sizeof(holder) - 1, 0)) > 0)
		holder[n] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
	msg = xasprintf("the same job is still running as pid %s (lock %s); "
	    "not run", holder, path);
	rc = failed(EX_LOCKED, REASON_LOCK, msg);
	free(msg);
	return rc;
}

/*
 * One run of a job at a time: flock(2) on a per-job file, released by the
 * kernel when we exit, however we exit.  The holder's pid is in the file.
 * Returns 0 when locked, else the run's exit status.
 */
static int
lock_job(const struct target *t)
{
	char *dir, *path, *msg, pid[32];
	int fd, n, rc = 0;

	if (lock_dir(&dir) == -1) {
		msg = xasprintf("lock directory %s: %s", dir, errno == EPERM ?
		    "not a private directory of ours" : strerror(errno));
		rc = failed(EX_LOCKFILE, REASON_LOCK, msg);
		free(msg);
		free(dir);
		return rc;
	}
	path = xasprintf("%s/%016llx.lock", dir,
	    (unsigned long long)job_hash(t, 0));
	free(dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		msg = xasprintf("%s: %s", path, strerror(errno));
		rc = failed(EX_LOCKFILE, REASON_LOCK, msg);
		free(msg);
	} else if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		rc = lock_busy(fd, path);
	else {
		n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, n, 0) != n)
			log_msg("error", "%s: cannot record our pid: %s", path,
			    strerror(errno));
	}
	free(path);
	return rc;
}

static enum reason
failure_reason(enum failure f)
{
	switch (f) {
	case FAIL_RESOLVE:
		return REASON_RESOLVE;
	case FAIL_HOSTKEY:
		return REASON_HOSTKEY;
	case FAIL_AUTH:
		return REASON_AUTH;
	case FAIL_EXEC:
		return REASON_EXEC;
	case FAIL_LOST:
		return REASON_LOST;
	case FAIL_NOEXIT:
		return REASON_NOEXIT;
	case FAIL_PROTOCOL:
		return REASON_PROTOCOL;
	default:
		return REASON_CONNECT;
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

/* Before the command runs, a refused or timed-out try is retried. */
static int
retryable(enum failure f)
{
	return f == FAIL_CONNECT || f == FAIL_HANDSHAKE || f == FAIL_EXEC;
}

/* One attempt: connect, then start the command. */
static enum failure
attempt(const struct settings *s, struct conn *conn, struct cmd **cp,
    char **msg)
{
	enum failure f;

	*cp = NULL;
	if ((f = dial(&s->target, &s->limits, &progress, conn, msg)) !=
	    FAIL_NONE)
		return f;
	return channel_start(conn->ss, s, &progress, cp, msg);
}

/*
 * Connect and start the command, retrying what failed before it could
 * run.  Returns the running command, or NULL with *status set.
 */
static struct cmd *
start_job(const struct settings *s, struct conn *conn, int *status)
{
	struct cmd *c;
	enum failure f;
	char *msg = NULL;
	int64_t delay;

	for (progress.attempt = 1;; progress.attempt++) {
		if ((f = attempt(s, conn, &c, &msg)) == FAIL_NONE)
			return c;
		channel_free(c);
		dial_close(conn);
		if (f == FAIL_STOPPED)
			*status = stopped(signals_first());
		else if (!retryable(f) || progress.attempt > s->limits.retries)
			*status = failed(EX_SSH, failure_reason(f), msg);
		else {
			delay = backoff_ms(progress.attempt);
			log_msg("retry", "%d,%s; next attempt in %.3f s",
			    progress.attempt, msg, delay / 1000.0);
			progress_phase(&progress, PHASE_CONNECT);
			if (pause_until(now_ms() + delay) == W_SIGNAL)
				*status = stopped(signals_first());
			else
				*status = -1;
		}
		free(msg);
		msg = NULL;
		if (*status != -1)
			return NULL;
	}
}

/*
 * A stop that was asked for: confirmed ("stopped" means the group was
 * seen and then seen gone), unconfirmed, or impossible.
 */
static void
stop_outcome(const struct result *r, const struct settings *s,
    struct outcome *o)
{
	const char *what = reasons[o->reason];
	const char *name = o->reason == REASON_STOPPED ? o->name : "";
	char *msg;

	if (r->gone) {
		diag("%s%s; remote process group %ld stopped", what, name,
		    progress.pgid);
		return;
	}
	if (r->known) {
		o->doubt = ":unconfirmed";
		msg = xasprintf("remote process group %ld not confirmed gone: "
		    "no answer within %d s; if the link is down, its lease "
		    "stops it within %d s of the last heartbeat", progress.pgid,
		    s->limits.kill_grace + 2, s->limits.alive);
	} else {
		o->doubt = ":cannot";
		msg = xasprintf("the remote process group is not known (no "
		    "report from remoteexe's supervisor: a forced command that "
		    "ignores the command?); cannot stop it");
	}
	log_msg("error", "%s", msg);
	diag("%s%s; %s", what, name, msg);
	free(msg);
}

/* --lock on the target: held by another run, or no lock at all. */
static int
locked_outcome(const struct result *r, const struct target *t)
{
	char *msg;
	int rc;

	if (r->lockerr) {
		msg = xasprintf("remote lock on %s: %s", t->host, r->text);
		rc = failed(EX_LOCKFILE, REASON_LOCK, msg);
	} else {
		msg = xasprintf("the same job is still running on %s (remote "
		    "lock held by %s); not run", t->host, r->text);
		rc = failed(EX_LOCKED, REASON_LOCK, msg);
	}
	free(msg);
	return rc;
}

/* The remote command ran: map how it ended to status and reason. */
static int
outcome(const struct result *r, const struct settings *s)
{
	struct outcome o = { 0, REASON_EXIT, NULL, NULL };
	int sig;

	switch (r->how) {
	case RUN_EXITED:
		o.status = r->status;
		break;
	case RUN_KILLED:
		/* as ssh(1): a signal it cannot name ("SIG@openssh.com") */
		o.status = r->signo != 0 ? 128 + r->signo : EX_SSH;
		o.reason = REASON_SIGNAL;
		o.name = r->signame[0] != '\0' ? r->signame : "UNKNOWN";
		break;
	case RUN_TIMEOUT:
	case RUN_STOPPED:
		sig = signals_first();
		o.status = r->how == RUN_TIMEOUT ? EX_TIMEOUT : 128 + sig;
		o.reason = r->how == RUN_TIMEOUT ? REASON_TIMEOUT :
		    REASON_STOPPED;
		o.name = signal_name(sig);
		stop_outcome(r, s, &o);
		break;
	case RUN_LOCKED:
		return locked_outcome(r, &s->target);
	}
	return finish(&o);
}

/* Run the job; returns remoteexe's exit status (END is written). */
int
run(const struct settings *s)
{
	const struct target *t = &s->target;
	struct result r;
	struct conn conn;
	struct cmd *c;
	enum failure f;
	char *msg = NULL, *where;
	int status, sig;

	where = host_port(t->host, t->port);
	log_msg("command", "%s@%s %s", t->user, where, t->command);
	free(where);
	progress_target(&progress, t->user, t->host, t->port);
	if (s->lock && (status = lock_job(t)) != 0)
		return status;
	if ((sig = splay_wait(s)) != 0)
		return stopped(sig);
	if ((c = start_job(s, &conn, &status)) == NULL)
		return status;
	f = channel_run(c, &r, &msg);
	channel_free(c);
	dial_close(&conn);
	if (f == FAIL_STOPPED)
		status = stopped(signals_first());
	else if (f != FAIL_NONE)
		status = failed(EX_SSH, failure_reason(f), msg);
	else
		status = outcome(&r, s);
	free(msg);
	return status;
}
