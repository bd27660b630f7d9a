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

/*
 * Records of the run could not be written: say so in the log if it takes
 * it now, and on stderr and in syslog, with the run's own status, which
 * the exit status (EX_LOG) no longer gives.
 */
static void
lost_records(const struct outcome *o, const char *reason,
    const struct logloss *l)
{
	char *own, *msg;

	if (o->reason == REASON_EXIT)
		own = xasprintf("the remote command exited %d", o->status);
	else
		own = xasprintf("the run ended with status %d, reason=%s",
		    o->status, reason);
	msg = xasprintf("%llu record%s (%llu bytes) of this run could not be "
	    "written (%s); %s", (unsigned long long)l->records,
	    l->records == 1 ? "" : "s", (unsigned long long)l->bytes,
	    strerror(l->error), own);
	log_msg("error", "%s", msg);
	diag_failure("log %s: %s", log_name(), msg);
	free(own);
	free(msg);
}

static int
finish(const struct outcome *o)
{
	struct logstats st;
	struct logloss loss;
	char *reason = reason_text(o);
	int status = o->status;

	log_output_end(1);
	log_output_end(2);
	if (log_loss(&loss)) {
		lost_records(o, reason, &loss);
		status = EX_LOG;
	}
	st.elapsed = progress_elapsed(&progress);
	st.out = progress.out;
	st.err = progress.err;
	st.attempts = progress.attempt;
	st.reason = reason;
	log_stats(&st);
	log_end(status);
	free(reason);
	return status;
}

/* Failures of remoteexe's own, not the job's or the network's: syslog too. */
static int
own_failure(int status)
{
	return status == EX_INVOKE || status == EX_LOG ||
	    status == EX_LOCKFILE || status == EX_LOCKED;
}

/* A failure: an error record, the stderr line (and syslog), END. */
static int
failed(int status, enum reason reason, const char *msg)
{
	struct outcome o = { status, reason, NULL, NULL };

	log_msg("error", "%s", msg);
	if (own_failure(status))
		diag_failure("%s", msg);
	else
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

/* The lock directory: $XDG_RUNTIME_DIR/remoteexe, else /tmp/remoteexe-UID. */
static char *
lock_dir_path(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (xdg != NULL && *xdg == '/')
		return xasprintf("%s/remoteexe", xdg);
	return xasprintf("/tmp/remoteexe-%ld", (long)getuid());
}

/*
 * Make the lock directory if need be.  Another user could have made it
 * first (/tmp is everyone's): returns NULL, or what is wrong with it.
 */
static char *
lock_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return xstrdup(strerror(errno));
	if (lstat(dir, &st) == -1)
		return xstrdup(strerror(errno));
	if (S_ISLNK(st.st_mode))
		return xstrdup("a symbolic link, not a directory of ours");
	if (!S_ISDIR(st.st_mode))
		return xstrdup("not a directory");
	if (st.st_uid != getuid())
		return xasprintf("owned by uid %ld, not by us (uid %ld)",
		    (long)st.st_uid, (long)getuid());
	if ((st.st_mode & 077) != 0)
		return xasprintf("mode %04o, open to other users (0700 "
		    "wanted)", (unsigned)(st.st_mode & 07777));
	return NULL;
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
	char *dir = lock_dir_path(), *why, *path, *msg, pid[32];
	int fd, n, rc = 0;

	if ((why = lock_dir(dir)) != NULL) {
		msg = xasprintf("lock directory %s: %s; not run", dir, why);
		rc = failed(EX_LOCKFILE, REASON_LOCK, msg);
		free(msg);
		free(why);
		free(dir);
		return rc;
	}
	path = xasprintf("%s/%016llx.lock", dir,
	    (unsigned long long)job_hash(t, 0));
	free(dir);
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		msg = xasprintf("%s: %s; not run", path, strerror(errno));
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
	if (r->known && r->shell_ended) {
		o->doubt = ":unconfirmed";
		msg = xasprintf("remote process group %ld not confirmed gone: "
		    "the command's shell had exited and remoteexe's supervisor "
		    "with it (what it left behind holds the output and is out "
		    "of the lease's reach)", progress.pgid);
	} else if (r->known) {
		o->doubt = ":unconfirmed";
		msg = xasprintf("remote process group %ld not confirmed gone: "
		    "no answer within %d s; if the link is down, its lease "
		    "stops it within %d s of the last heartbeat", progress.pgid,
		    (int)((r->waited_ms + 500) / 1000), s->limits.alive);
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
