/*
 * Is a run without END still going?  Only this host's /proc can tell.
 */
#ifndef REPORT_PROC_H
#define REPORT_PROC_H

#include <stdint.h>

#define PROC_SLACK	2	/* s: /proc/stat's btime is rounded */

int	proc_is_run(long, int64_t);

#endif
