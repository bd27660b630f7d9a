/*
 * The report, as text for a person (one screen: worst jobs first, runs
 * without END, incidents, missed slots, one summary line) or as one JSON
 * document with the same content.
 */
#ifndef REPORT_OUTPUT_H
#define REPORT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "cron.h"

struct reportinfo {
	char		**logs;
	int		  nlogs;
	int		  have_window;
	int64_t		  from, to;	/* the window, ms */
	struct centry	 *cron;
	int		  all;		/* -a: healthy jobs too */
};

struct job;

struct job **jobs_shown(int, size_t *);
void	output_text(FILE *, const struct reportinfo *);
void	output_json(FILE *, const struct reportinfo *);
int	output_problems(void);

#endif
