/*
 * The one owner of signal state: HUP, INT and TERM stop a run, USR1 asks
 * for a state record, ALRM guards blocking calls.  Every wait of remoteexe
 * goes through wait_fd(), so a signal is seen wherever the run is.
 */
#ifndef SIGNALS_H
#define SIGNALS_H

#include <stdint.h>

struct progress;

/* Result of a wait: ready, deadline passed, or a stop signal arrived. */
enum wait {
	W_READY,
	W_TIMEOUT,
	W_SIGNAL
};

#define NO_WAIT		(-1)	/* as a deadline: only look for signals */

void	 signals_init(void);
int	 signals_fd(void);
void	 signals_child(void);
void	 signals_default(void);
int	 signals_pending(void);
void	 signals_report(const struct progress *);
int	 signals_take(void);
int	 signals_first(void);
int	 signals_count(void);
void	 signals_alarm(int64_t);
enum wait wait_fd(int, short, int64_t);
enum wait pause_until(int64_t);

#endif
