/*
 * Signals: a handler notes the signal and writes a byte to a pipe, so a
 * poll(2) anywhere in remoteexe wakes up.  Stop signals are taken (and
 * logged) by signals_take().
 */
#include <sys/time.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"
#include "signals.h"
#include "util.h"

static volatile sig_atomic_t	 pending[NSIG];
static int			 sigpipe[2] = { -1, -1 };
static const struct progress	*progress;	/* what SIGUSR1 reports */
static int			 first;		/* first stop signal taken */
static int			 count;		/* stop signals taken */
static struct sigaction		 old_alrm;
static int			 alarmed;

static const int stops[] = { SIGTERM, SIGINT, SIGHUP };

static void
on_signal(int sig)
{
	int saved = errno;

	pending[sig] = 1;
	(void)write(sigpipe[1], "", 1);
	errno = saved;
}

void
signals_init(void)
{
	struct sigaction sa;
	const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1 };
	size_t i;

	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		err(1, "pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	/*
	 * A stop signal interrupts a blocking call (agent, lock); SIGUSR1
	 * only asks for a state record, and an agent exchange cut by it
	 * would fail the run.
	 */
	for (i = 0; i < NITEMS(sigs); i++) {
		sa.sa_flags = sigs[i] == SIGUSR1 ? SA_RESTART : 0;
		if (sigaction(sigs[i], &sa, NULL) == -1)
			err(1, "sigaction");
	}
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		err(1, "signal");
}

/*
 * In a helper child of ours (a ProxyJump hop's relay, the ProxyCommand's
 * logger): the run's signals are the parent's business, so they are
 * ignored here, and the child waits on a signal pipe of its own.
 */
void
signals_child(void)
{
	const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1 };
	size_t i;

	for (i = 0; i < NITEMS(sigs); i++)
		if (signal(sigs[i], SIG_IGN) == SIG_ERR)
			err(1, "signal");
	close(sigpipe[0]);
	close(sigpipe[1]);
	if (pipe2(sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		err(1, "pipe");
	progress = NULL;
}

/* Default dispositions for a program we start (the ProxyCommand). */
void
signals_default(void)
{
	const int sigs[] = { SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGPIPE,
	    SIGALRM };
	size_t i;

	for (i = 0; i < NITEMS(sigs); i++)
		(void)signal(sigs[i], SIG_DFL);
}

/* Readable when a signal arrived (for waits outside wait_fd()). */
int
signals_fd(void)
{
	return sigpipe[0];
}

/* Is a stop signal waiting to be taken? (Async-signal-safe to call.) */
int
signals_pending(void)
{
	size_t i;

	for (i = 0; i < NITEMS(stops); i++)
		if (pending[stops[i]])
			return 1;
	return 0;
}

/* The progress that a state record (SIGUSR1) reports. */
void
signals_report(const struct progress *p)
{
	progress = p;
}

/*
 * Answer SIGUSR1 and take one pending stop signal (logged as a signal
 * record); returns it, or 0 when there is none.
 */
int
signals_take(void)
{
	char c;
	size_t i;

	while (read(sigpipe[0], &c, 1) == 1)
		;
	if (pending[SIGUSR1]) {
		pending[SIGUSR1] = 0;
		if (progress != NULL)
			progress_state(progress);
	}
	for (i = 0; i < NITEMS(stops); i++)
		if (pending[stops[i]]) {
			pending[stops[i]] = 0;
			log_msg("signal", "%s", signal_name(stops[i]));
			if (first == 0)
				first = stops[i];
			count++;
			return stops[i];
		}
	return 0;
}

int
signals_first(void)
{
	return first;
}

int
signals_count(void)
{
	return count;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * A guard for calls that block without a timeout (libssh2's agent socket):
 * SIGALRM, without SA_RESTART, from the deadline on and every 200 ms
 * after, until signals_alarm(0) disarms it and restores the old action.
 */
void
signals_alarm(int64_t deadline)
{
	struct sigaction sa;
	struct itimerval it;
	int64_t left;

	memset(&it, 0, sizeof(it));
	if (setitimer(ITIMER_REAL, &it, NULL) == -1)
		err(1, "setitimer");
	if (deadline == 0) {
		if (alarmed && sigaction(SIGALRM, &old_alrm, NULL) == -1)
			err(1, "sigaction");
		alarmed = 0;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, alarmed ? NULL : &old_alrm) == -1)
		err(1, "sigaction");
	alarmed = 1;
	if ((left = deadline - now_ms()) < 1)
		left = 1;
	it.it_value.tv_sec = left / 1000;
	it.it_value.tv_usec = left % 1000 * 1000;
	it.it_interval.tv_usec = 200 * 1000;
	if (setitimer(ITIMER_REAL, &it, NULL) == -1)
		err(1, "setitimer");
}

/*
 * Wait until fd (-1: none) is ready for events, the deadline (0: none,
 * NO_WAIT: do not wait) passes, or a stop signal arrives.
 */
enum wait
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd[2];
	int n;

	for (;;) {
		if (signals_take() != 0)
			return W_SIGNAL;
		if (deadline == NO_WAIT ||
		    (deadline != 0 && now_ms() >= deadline))
			return W_TIMEOUT;
		pfd[0].fd = sigpipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = events;
		n = poll(pfd, fd == -1 ? 1 : 2, ms_left(deadline));
		if (n == -1 && errno != EINTR)
			err(1, "poll");
		if (n > 0 && fd != -1 && pfd[1].revents != 0)
			return W_READY;
	}
}

/* Sleep until the deadline; W_SIGNAL if a stop signal cut it short. */
enum wait
pause_until(int64_t deadline)
{
	return wait_fd(-1, 0, deadline);
}
