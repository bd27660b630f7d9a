/*
 * The remote command's channel, from exec to close.  EOF only means the
 * command's output ended (a job may redirect it and go on running): the
 * run ends when the channel is closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define WINDOW		(512 * 1024)
#define KILLER_MS	5000	/* to start the kill script */
#define ANSWER_MS	2000	/* for the kill script's answer */

struct cmd {
	struct ssh		*ss;
	const struct target	*target;
	const struct limits	*limits;
	struct progress		*progress;
	LIBSSH2_CHANNEL		*chan;
	LIBSSH2_CHANNEL		*killer;	/* the kill script's channel */
	struct pump		 pump;
};

enum step {
	STEP_AGAIN,
	STEP_CLOSED,		/* the remote command ended */
	STEP_TIMEOUT,
	STEP_SIGNAL,
	STEP_SILENT,		/* no data from the server for too long */
	STEP_LOST
};

/* Open the channel and exec the wrapper; from here the command may run. */
static enum failure
start(struct cmd *c, char **msg)
{
	const struct target *t = c->target;
	int64_t deadline = now_ms() + c->limits->connect_timeout * 1000LL;
	char *wrapper;
	enum wait w;
	int rc;

	c->chan = ssh_channel(c->ss, WINDOW, deadline, &w);
	if (w == W_SIGNAL)
		return FAIL_STOPPED;
	if (c->chan == NULL) {
		*msg = xasprintf("%s port %d: cannot open a session: %s",
		    t->host, t->port, w == W_TIMEOUT ? "timed out" :
		    ssh_error(c->ss));
		return FAIL_HANDSHAKE;
	}
	progress_phase(c->progress, PHASE_RUNNING);
	wrapper = remote_wrapper(t->command);
	rc = ssh_exec(c->ss, c->chan, wrapper, deadline, &w);
	free(wrapper);
	if (w == W_SIGNAL)
		return FAIL_NONE;	/* the run loop stops it */
	if (w == W_TIMEOUT || rc != 0) {
		*msg = xasprintf("%s port %d: exec: %s", t->host, t->port,
		    w == W_TIMEOUT ? "timed out" : ssh_error(c->ss));
		return FAIL_LOST;
	}
	return FAIL_NONE;
}

/* 1 when the channel is closed, 0 not yet, -1 on a lost connection. */
static int
channel_done(LIBSSH2_CHANNEL *chan)
{
	int rc;

	if (!libssh2_channel_eof(chan))
		return 0;
	rc = libssh2_channel_wait_closed(chan);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return 0;
	return rc == 0 ? 1 : -1;
}

/* The channel closed: how the command ended, as the server says. */
static void
exit_status(struct cmd *c, struct result *r)
{
	char *sig = NULL;
	size_t len = 0;

	libssh2_channel_get_exit_signal(c->chan, &sig, &len, NULL, NULL,
	    NULL, NULL);
	if (sig == NULL || len == 0) {
		r->how = RUN_EXITED;
		r->status = libssh2_channel_get_exit_status(c->chan);
		return;
	}
	r->how = RUN_KILLED;
	r->signo = signal_number(sig);
	sig[strspn(sig, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] = '\0';
	strlcpy(r->signame, sig, sizeof(r->signame));
	libssh2_free(c->ss->session, sig);
}

/*
 * Keep the output flowing until the channel closes (1), the deadline
 * passes or a stop signal arrives (0), the marker is seen when asked for
 * (0), or the connection is lost (-1).
 */
static int
keep_flowing(struct cmd *c, int64_t deadline, int until_marked)
{
	int more, done;

	for (;;) {
		if ((more = pump_drain(&c->pump)) == -1)
			return -1;
		pump_discard(c->killer);
		log_flush();
		if ((done = channel_done(c->chan)) != 0)
			return done;
		if (until_marked && c->pump.marked)
			return 0;
		if (deadline != 0 && now_ms() >= deadline)
			return 0;
		if (ssh_wait(c->ss, more ? NO_WAIT : deadline) == W_SIGNAL)
			return 0;
	}
}

/*
 * Run the kill script on a second channel of the same connection.  Stop
 * signals are held back meanwhile: once it is sent it goes on remotely even
 * if we leave at the next signal.
 */
static void
kill_group(struct cmd *c)
{
	int64_t deadline = now_ms() + KILLER_MS;
	char *script;
	enum wait w;
	int rc = -1;

	signals_hold(1);
	c->killer = ssh_channel(c->ss, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
	    deadline, &w);
	if (c->killer != NULL) {
		script = remote_kill_script(c->progress->pgid,
		    c->limits->kill_grace);
		rc = ssh_exec(c->ss, c->killer, script, deadline, &w);
		free(script);
	}
	signals_hold(0);
	if (w != W_READY || rc != 0)
		log_msg("error", "cannot stop remote process group %ld: %s",
		    c->progress->pgid, w == W_TIMEOUT ? "timed out" :
		    ssh_error(c->ss));
}

/* Did the kill script see the group gone?  Waits a little for its answer. */
static int
group_gone(struct cmd *c)
{
	int64_t deadline = now_ms() + ANSWER_MS;
	enum wait w = W_READY;
	int rc;

	if (c->killer == NULL)
		return 0;
	while (!libssh2_channel_eof(c->killer) && w == W_READY) {
		pump_discard(c->killer);
		if (!libssh2_channel_eof(c->killer))
			w = ssh_wait(c->ss, deadline);
	}
	if (w != W_READY)
		return 0;
	SSH_CALL(c->ss, rc, deadline, w, libssh2_channel_wait_closed(
	    c->killer));
	if (w != W_READY || rc != 0)
		return 0;
	rc = libssh2_channel_get_exit_status(c->killer) == 0;
	ssh_channel_free(c->ss, c->killer);
	c->killer = NULL;
	return rc;
}

/*
 * Stop the remote command: TERM to its process group, KILL after the
 * grace, then wait a little for the channel to end.  A second signal
 * shortens the wait; the kill script goes on remotely without us.
 */
static int
stop(struct cmd *c)
{
	const struct limits *l = c->limits;
	int nsignals = signals_count();

	progress_phase(c->progress, PHASE_STOPPING);
	if (!c->pump.marked)
		keep_flowing(c, now_ms() + l->connect_timeout * 1000LL, 1);
	if (!c->pump.marked) {
		log_msg("error", "remote process group unknown; cannot stop it");
		return 0;
	}
	kill_group(c);
	if (keep_flowing(c, now_ms() + l->kill_grace * 1000LL + KILLER_MS,
	    0) == -1)
		return 0;
	if (signals_count() != nsignals)
		return 0;
	if (group_gone(c))
		return 1;
	log_msg("error", "remote process group %ld may still be running",
	    c->progress->pgid);
	return 0;
}

/* Read, then wait for the server, the deadline, silence or a signal. */
static enum step
step(struct cmd *c, int64_t deadline)
{
	const struct limits *l = c->limits;
	int64_t t, silent, next;
	int more, secs = 0;

	if ((more = pump_drain(&c->pump)) == -1)
		return STEP_LOST;
	log_flush();
	switch (channel_done(c->chan)) {
	case 1:
		return STEP_CLOSED;
	case -1:
		return STEP_LOST;
	}
	t = now_ms();
	silent = l->alive > 0 ? c->ss->last_recv + l->alive * 1000LL : 0;
	if (silent != 0 && t >= silent)
		return STEP_SILENT;
	if (deadline != 0 && t >= deadline)
		return STEP_TIMEOUT;
	if (l->alive_interval > 0 &&
	    libssh2_keepalive_send(c->ss->session, &secs) != 0)
		secs = 1;
	next = l->alive_interval > 0 ? t + secs * 1000LL + 10 : 0;
	if (signals_count() != 0 || ssh_wait(c->ss, more ? NO_WAIT :
	    earliest(earliest(deadline, silent), next)) == W_SIGNAL)
		return STEP_SIGNAL;
	return STEP_AGAIN;
}

static enum failure
lost(struct cmd *c, const char *why, char **msg)
{
	const struct target *t = c->target;
	int e;

	if (why == NULL) {
		e = libssh2_session_last_errno(c->ss->session);
		why = e == LIBSSH2_ERROR_SOCKET_RECV ||
		    e == LIBSSH2_ERROR_SOCKET_DISCONNECT ?
		    "the server closed the connection" : ssh_error(c->ss);
	}
	*msg = xasprintf("%s port %d: connection lost while running: %s",
	    t->host, t->port, why);
	return FAIL_LOST;
}

/* What the loop's last step means for the run. */
static enum failure
ended(struct cmd *c, enum step s, struct result *r, char **msg)
{
	char *why;
	enum failure f;

	switch (s) {
	case STEP_CLOSED:
		exit_status(c, r);
		ssh_channel_free(c->ss, c->chan);
		c->chan = NULL;
		return FAIL_NONE;
	case STEP_TIMEOUT:
		r->how = RUN_TIMEOUT;
		log_msg("error", "timeout after %d s; stopping remote process "
		    "group %ld", c->limits->timeout, c->progress->pgid);
		r->gone = stop(c);
		return FAIL_NONE;
	case STEP_SIGNAL:
		r->how = RUN_STOPPED;
		r->gone = stop(c);
		return FAIL_NONE;
	case STEP_SILENT:
		why = xasprintf("no data from the server for %d s",
		    c->limits->alive);
		f = lost(c, why, msg);
		free(why);
		return f;
	default:
		return lost(c, NULL, msg);
	}
}

/* Run the command to its end, a timeout, a stop signal or silence. */
enum failure
channel_run(struct ssh *ss, const struct target *t, const struct limits *l,
    struct progress *p, int tee, struct result *r, char **msg)
{
	struct cmd c;
	int64_t deadline = 0;
	enum failure f;
	enum step s;

	memset(&c, 0, sizeof(c));
	memset(r, 0, sizeof(*r));
	c.ss = ss;
	c.target = t;
	c.limits = l;
	c.progress = p;
	if ((f = start(&c, msg)) != FAIL_NONE)
		return f;
	pump_init(&c.pump, c.chan, p, tee);
	if (l->timeout > 0)
		deadline = now_ms() + l->timeout * 1000LL;
	libssh2_keepalive_config(ss->session, 1, l->alive_interval);
	while ((s = step(&c, deadline)) == STEP_AGAIN)
		;
	f = ended(&c, s, r, msg);
	pump_end(&c.pump);
	return f;
}
