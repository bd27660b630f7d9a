/*
 * Missed runs: every slot of a crontab line in the report's window that
 * no START of its job answered within [slot, slot + splay + 60 s).  STARTs
 * are matched as they are read (logs oldest first), so nothing is kept
 * per run: each line holds its next slot and its ranges of missed slots.
 */
#ifndef REPORT_MISSED_H
#define REPORT_MISSED_H

#include <stdint.h>

#include "cron.h"
#include "runs.h"

#define MISSED_SLACK	60	/* s after slot + splay */
#define RANGES_MAX	100	/* ranges of missed slots listed per line */

void	missed_setup(struct centry *, const struct window *);
void	missed_begin(int64_t);
void	missed_start(struct job *, int64_t);
void	missed_end(int64_t);
int	missed_begun(void);

#endif
