/*
 * Incidents: failures bunched in time across jobs.  Failures (END with a
 * non-zero status) are chained into a cluster while each comes at most
 * INCIDENT_GAP after the previous one; within a cluster, the failures of
 * one exit status and stats reason are an incident when they are of at
 * least two jobs.
 */
#ifndef REPORT_INCIDENT_H
#define REPORT_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "logread.h"

#define INCIDENT_GAP	60000	/* ms */

struct incident {
	int64_t		 from, to;	/* first and last failure (ms) */
	int		 rc;
	char		 reason[REASON_MAX + 1];
	uint64_t	 runs;
	uint64_t	 jobs;
};

void	incident_fail(int64_t, uint64_t *, int, const char *);
void	incident_finish(void);
const struct incident *incident_list(size_t *, uint64_t *);

#endif
