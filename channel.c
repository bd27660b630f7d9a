/*
 * The remote command's channel, from exec to close.  The supervisor
 * (remote.sh) reads the preamble on the channel's stdin, runs the command
 * and reports on stderr; the heartbeat on stdin keeps its lease.  EOF only
 * means the output ended (a job may redirect it and go on running): the
 * run ends when the channel closes.
 */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>

#include "channel.h"
#include "log.h"
#include "progress.h"
#include "pump.h"
#include "remote.h"
#include "settings.h"
#include "signals.h"
#include "ssh.h"
#include "sshio.h"
#include "util.h"

/* The channel's window; tools/bench.sh builds a copy with a small one. */
#ifndef CHANNEL_WINDOW
#define CHANNEL_WINDOW	(512 * 1024)
#endif
#define WINDOW		CHANNEL_WINDOW
#define ANSWER_MS	2000	/* after the grace, for the stop's answer */

struct cmd {
	struct ssh		*ss;
	const struct settings	*s;
	struct progress		*progress;
	LIBSSH2_CHANNEL		*chan;
	struct pump		 pump;
	int64_t			 deadline;	/* --timeout */
	int64_t			 next_beat;
	int64_t			 beat_ms;
	int			 stopping;
	int64_t			 stop_begun;
	int64_t			 stop_deadline;
	int			 nsignals;	/* when the stop began */
	int			 status;	/* the server's, as last seen */
	int			 status_seen;	/* one arrived (0 cannot tell) */
};

enum step {
	STEP_AGAIN,
	STEP_CLOSED,		/* the channel closed */
	STEP_TIMEOUT,
	STEP_SIGNAL,
	STEP_STOPPED,		/* the stop was answered, or we gave up */
	STEP_SILENT,		/* no data from the server for too long */
	STEP_LOST
};

/* "sched01 pid 4242": who holds a remote lock, in words the shell keeps. */
static char *
holder(void)
{
	char host[256], *p;

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "?", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '_';
	return xasprintf("%s pid %ld", host, (long)getpid());
}

/* Queue what the supervisor reads first: itself, then the command. */
static void
send_preamble(struct cmd *c, const char *nonce)
{
	const struct target *t = &c->s->target;
	struct remote_job j;
	char *lock = NULL, *who = NULL, *pre;
	size_t len;

	if (c->s->lock) {
		lock = remote_lock_name(t->user, t->command);
		who = holder();
	}
	j.nonce = nonce;
	j.command = t->command;
	j.lease = c->s->limits.alive;
	j.grace = c->s->limits.kill_grace;
	j.lock = lock;
	j.holder = who;
	pre = remote_preamble(&j, &len);
	pump_send(&c->pump, pre, len);
	free(pre);
	free(lock);
	free(who);
}

static enum failure
exec_failed(struct cmd *c, enum wait w, char **msg)
{
	const struct target *t = &c->s->target;

	if (w == W_SIGNAL)
		return FAIL_STOPPED;
	*msg = xasprintf("%s port %d: exec: %s", t->host, t->port,
	    w == W_TIMEOUT ? "no answer from the server" : ssh_error(c->ss));
	/* refused: nothing ran; no answer: it may run */
	return w == W_TIMEOUT ? FAIL_LOST : FAIL_EXEC;
}

/*
 * Open the channel and exec the supervisor's boot line.  FAIL_EXEC (the
 * server refused: nothing runs) may be retried; after FAIL_NONE the
 * command runs.
 */
enum failure
channel_start(struct ssh *ss, const struct settings *s, struct progress *p,
    struct cmd **cp, char **msg)
{
	const struct target *t = &s->target;
	int64_t deadline = now_ms() + s->limits.connect_timeout * 1000LL;
	char nonce[NONCE_LEN + 1];
	struct cmd *c;
	enum wait w;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		err(1, NULL);
	*cp = c;
	c->ss = ss;
	c->s = s;
	c->progress = p;
	c->chan = ssh_channel(ss, WINDOW, deadline, &w);
	if (c->chan == NULL) {
		if (w == W_SIGNAL)
			return FAIL_STOPPED;
		*msg = xasprintf("%s port %d: cannot open a session: %s",
		    t->host, t->port, w == W_TIMEOUT ? "timed out" :
		    ssh_error(ss));
		return FAIL_CONNECT;
	}
	remote_nonce(nonce);
	pump_init(&c->pump, ss, c->chan, p, s->tee, nonce);
	rc = ssh_exec(ss, c->chan, remote_boot, deadline, &w);
	if (w != W_READY || rc != 0)
		return exec_failed(c, w, msg);
	pump_check(&c->pump);
	progress_phase(p, PHASE_RUNNING);
	send_preamble(c, nonce);
	return FAIL_NONE;
}

/*
 * 1 when the channel is closed, 0 not yet, -1 on a lost connection.
 * libssh2 1.10 clears EOF on every data packet, even one after CLOSE; a
 * read of stdout that says "no more" without EOF means such data came,
 * but only once all is read: libssh2_channel_eof() is also 0 while
 * stderr is still queued (more: the drain stopped at its bound).
 */
static int
channel_done(struct cmd *c, int more)
{
	int rc;

	if (!libssh2_channel_eof(c->chan)) {
		if (more || !c->pump.ended)
			return 0;
		pump_violation(&c->pump, "the server sent data after it had "
		    "closed the channel");
		return 1;
	}
	rc = libssh2_channel_wait_closed(c->chan);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	return rc == 0 ? 1 : -1;
}

/* The server's exit status, watched as it arrives: a second one is a lie. */
static void
watch_status(struct cmd *c)
{
	int st = libssh2_channel_get_exit_status(c->chan);

	if (st == c->status)
		return;
	if (c->status_seen)
		pump_violation(&c->pump, "the server sent two exit statuses "
		    "(%u, then %u)", (unsigned)c->status, (unsigned)st);
	c->status_seen = 1;
	c->status = st;
}

/* Ask the supervisor to stop the group; wait for its answer, bounded. */
static void
begin_stop(struct cmd *c, enum step why)
{
	const struct limits *l = &c->s->limits;

	c->stopping = 1;
	c->nsignals = signals_count();
	c->stop_begun = now_ms();
	c->stop_deadline = c->stop_begun + l->kill_grace * 1000LL + ANSWER_MS;
	progress_phase(c->progress, PHASE_STOPPING);
	if (why == STEP_TIMEOUT && c->pump.reports.pgid)
		log_msg("error", "timeout after %d s; stopping remote process "
		    "group %ld", l->timeout, c->progress->pgid);
	else if (why == STEP_TIMEOUT)
		log_msg("error", "timeout after %d s; stopping the remote "
		    "command (its process group is not known yet)", l->timeout);
	pump_send(&c->pump, STOP_REQUEST, sizeof(STOP_REQUEST) - 1);
}

/* The heartbeat of the lease, and SSH keepalives; the next time to act. */
static int64_t
keep_alive(struct cmd *c, int64_t t)
{
	const struct limits *l = &c->s->limits;
	int secs = 0;

	if (!c->stopping && t >= c->next_beat) {
		pump_send(&c->pump, HEARTBEAT, sizeof(HEARTBEAT) - 1);
		c->next_beat = t + c->beat_ms;
	}
	if (l->alive_interval > 0 &&
	    libssh2_keepalive_send(c->ss->session, &secs) != 0)
		secs = 1;
	return earliest(c->stopping ? 0 : c->next_beat,
	    l->alive_interval > 0 ? t + secs * 1000LL + 10 : 0);
}

/* Where the run is after a read: closed, lost, due, or to go on. */
static enum step
check(struct cmd *c, int64_t t, int64_t silent, int more)
{
	watch_status(c);
	switch (channel_done(c, more)) {
	case 1:
		return STEP_CLOSED;
	case -1:
		return STEP_LOST;
	}
	if (c->stopping)
		return c->pump.reports.stopped || t >= c->stop_deadline ||
		    signals_count() != c->nsignals ? STEP_STOPPED : STEP_AGAIN;
	if (silent != 0 && t >= silent)
		return STEP_SILENT;
	if (c->deadline != 0 && t >= c->deadline)
		return STEP_TIMEOUT;
	if (signals_count() != 0)
		return STEP_SIGNAL;
	return STEP_AGAIN;
}

/*
 * Queue what is due (the heartbeat), write, read, then wait for the
 * server, a deadline or a signal.
 */
static enum step
step(struct cmd *c)
{
	const struct limits *l = &c->s->limits;
	int64_t t, silent, next;
	enum step s;
	int more;

	next = keep_alive(c, now_ms());
	if (pump_write(&c->pump) == -1 ||
	    (more = pump_drain(&c->pump)) == -1)
		return STEP_LOST;
	log_flush();
	t = now_ms();
	silent = l->alive > 0 ? c->ss->last_recv + l->alive * 1000LL : 0;
	if ((s = check(c, t, silent, more)) != STEP_AGAIN)
		return s;
	next = earliest(earliest(c->stopping ? c->stop_deadline : c->deadline,
	    c->stopping ? 0 : silent), next);
	(void)ssh_wait(c->ss, more ? NO_WAIT : next);
	return STEP_AGAIN;
}

static enum failure
lost(struct cmd *c, const char *why, char **msg)
{
	const struct target *t = &c->s->target;
	int e;

	if (why == NULL) {
		e = libssh2_session_last_errno(c->ss->session);
		why = e == LIBSSH2_ERROR_SOCKET_RECV ||
		    e == LIBSSH2_ERROR_SOCKET_DISCONNECT ?
		    "the server closed the connection" : ssh_error(c->ss);
	}
	*msg = xasprintf("%s port %d: connection lost while running: %s; the "
	    "remote side stops the command when its lease runs out (%d s "
	    "without a heartbeat)", t->host, t->port, why,
	    c->s->limits.alive);
	return FAIL_LOST;
}

/* No report of the command's exit status: say what is known. */
static enum failure
no_exit(struct cmd *c, char **msg)
{
	int st = libssh2_channel_get_exit_status(c->chan);

	if (c->pump.reports.pgid)
		*msg = xasprintf("the remote command's exit status is not "
		    "known: remoteexe's supervisor ended without reporting it "
		    "(killed?); the server's exit status was %d", st);
	else
		*msg = xasprintf("the remote command's exit status is not "
		    "known: the remote side did not run remoteexe's supervisor "
		    "(a forced command in authorized_keys or sshd's ForceCommand "
		    "that ignores the command? a login shell that cannot run "
		    "sh?), so the command may not have run; what ran exited "
		    "with status %d", st);
	return FAIL_NOEXIT;
}

/* What the server should not have done, once the channel closed. */
static enum failure
breaches(struct cmd *c, char **msg)
{
	struct pump *pm = &c->pump;
	int st = libssh2_channel_get_exit_status(c->chan);

	if (pm->other > 0)
		log_msg("error", "the server sent %llu bytes of extended data "
		    "of a type other than stderr; dropped",
		    (unsigned long long)pm->other);
	if (st < 0 || st > 255)
		pump_violation(pm, "the server sent exit status %u, out of "
		    "range (0..255)", (unsigned)st);
	if (pm->violation == NULL)
		return FAIL_NONE;
	*msg = xasprintf("%s port %d: protocol violation: %s",
	    c->s->target.host, c->s->target.port, pm->violation);
	return FAIL_PROTOCOL;
}

static void
killed(struct result *r, char *sig)
{
	r->how = RUN_KILLED;
	r->signo = signal_number(sig);
	sig[strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] = '\0';
	strlcpy(r->signame, sig, sizeof(r->signame));
}

/*
 * The channel closed: how the command ended, as far as it is known.  The
 * server names the signal the supervisor died of, or the supervisor does
 * (a login shell such as fish stays its parent and reports a status).
 */
static enum failure
closed(struct cmd *c, struct result *r, char **msg)
{
	struct reports *rs = &c->pump.reports;
	char *sig = NULL;
	size_t len = 0;

	if (breaches(c, msg) != FAIL_NONE)
		return FAIL_PROTOCOL;
	libssh2_channel_get_exit_signal(c->chan, &sig, &len, NULL, NULL,
	    NULL, NULL);
	if (sig != NULL && len > 0)
		killed(r, sig);
	libssh2_free(c->ss->session, sig);
	if (r->how == RUN_KILLED)
		return FAIL_NONE;
	if (rs->signame[0] != '\0') {
		killed(r, rs->signame);
		return FAIL_NONE;
	}
	if (rs->lease) {
		*msg = xasprintf("%s port %d: the remote side stopped the "
		    "command: its lease ran out (no heartbeat for %d s)",
		    c->s->target.host, c->s->target.port, c->s->limits.alive);
		return FAIL_LOST;
	}
	if (rs->locked) {
		r->how = RUN_LOCKED;
		r->lockerr = rs->lockerr;
		strlcpy(r->text, rs->text, sizeof(r->text));
		return FAIL_NONE;
	}
	if (!rs->exited)
		return no_exit(c, msg);
	r->how = RUN_EXITED;
	r->status = rs->exit_status;
	return FAIL_NONE;
}

/* What the loop's last step means for the run. */
static enum failure
ended(struct cmd *c, enum step s, struct result *r, char **msg)
{
	char *why;
	enum failure f;

	r->known = c->pump.reports.pgid;
	if (c->stopping) {
		r->gone = c->pump.reports.stopped && c->pump.reports.gone;
		r->waited_ms = now_ms() - c->stop_begun;
		r->shell_ended = c->pump.reports.exited;
		return FAIL_NONE;
	}
	switch (s) {
	case STEP_CLOSED:
		f = closed(c, r, msg);
		ssh_channel_free(c->ss, c->chan);
		c->chan = NULL;
		return f;
	case STEP_SILENT:
		why = xasprintf("no data from the server for %d s",
		    c->s->limits.alive);
		f = lost(c, why, msg);
		free(why);
		return f;
	default:
		return lost(c, NULL, msg);
	}
}

/* Run the command to its end, a stop, or the loss of the connection. */
enum failure
channel_run(struct cmd *c, struct result *r, char **msg)
{
	const struct limits *l = &c->s->limits;
	enum failure f;
	enum step s;

	memset(r, 0, sizeof(*r));
	if (l->timeout > 0)
		c->deadline = now_ms() + l->timeout * 1000LL;
	c->beat_ms = l->alive >= 3 ? l->alive * 1000LL / 3 : 1000;
	c->next_beat = now_ms() + c->beat_ms;
	libssh2_keepalive_config(c->ss->session, 1, l->alive_interval);
	for (;;) {
		s = step(c);
		if (s == STEP_TIMEOUT || s == STEP_SIGNAL) {
			r->how = s == STEP_TIMEOUT ? RUN_TIMEOUT : RUN_STOPPED;
			begin_stop(c, s);
		} else if (s != STEP_AGAIN)
			break;
	}
	f = ended(c, s, r, msg);
	pump_end(&c->pump);
	return f;
}

void
channel_free(struct cmd *c)
{
	if (c == NULL)
		return;
	pump_free(&c->pump);
	free(c);
}
