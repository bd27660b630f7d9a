/*
 * The progress of a run: its phase (also in ps(1), through setproctitle),
 * bytes, attempts and the remote process group, for the state record.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"
#include "util.h"

static const char *const phases[] = {
	[PHASE_START] = "start",
	[PHASE_SPLAY] = "splay",
	[PHASE_CONNECT] = "connect",
	[PHASE_HANDSHAKE] = "handshake",
	[PHASE_AUTH] = "auth",
	[PHASE_RUNNING] = "running",
	[PHASE_STOPPING] = "stopping",
};

void
progress_init(struct progress *p)
{
	memset(p, 0, sizeof(*p));
	p->phase = PHASE_START;
	p->started = now_ms();
}

void
progress_target(struct progress *p, const char *user, const char *host,
    int port)
{
	p->user = user;
	p->host = host;
	p->port = port;
}

void
progress_phase(struct progress *p, enum phase phase)
{
	if (p->phase == phase)
		return;
	p->phase = phase;
	if (p->host != NULL)
		setproctitle("%s %s@%s:%d", phases[phase], p->user, p->host,
		    p->port);
}

double
progress_elapsed(const struct progress *p)
{
	return (now_ms() - p->started) / 1000.0;
}

void
progress_state(const struct progress *p)
{
	char pgid[24] = "-";

	if (p->pgid > 0)
		snprintf(pgid, sizeof(pgid), "%ld", p->pgid);
	log_msg("state", "phase=%s elapsed=%.3f out=%llu err=%llu pgid=%s "
	    "attempt=%d", phases[p->phase], progress_elapsed(p),
	    (unsigned long long)p->out, (unsigned long long)p->err, pgid,
	    p->attempt);
}
