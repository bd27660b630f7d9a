/*
 * --output: one run's remote standard output (or error), byte for byte.
 */
#ifndef REPORT_EXTRACT_H
#define REPORT_EXTRACT_H

#include <stdint.h>
#include <stdio.h>

#include "logread.h"

void	extract_init(long, int, int64_t, int);
int	extract_record(const struct record *);
int	extract_finish(FILE *);

#endif
