/*
 * Elapsed times of one job, for the median and p95 in bounded memory: the
 * first SKETCH_EXACT values are kept as they are (exact percentiles); past
 * that they go into a log-linear histogram of milliseconds (64 buckets per
 * power of two: at most 0.8 % off), whose size depends on the spread of
 * the values, not on their number.  The maximum is always exact.
 */
#ifndef REPORT_SKETCH_H
#define REPORT_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define SKETCH_EXACT	256

struct sketch {
	uint64_t	 n;
	uint64_t	 max;		/* ms */
	uint64_t	*v;		/* exact values (ms), n <= SKETCH_EXACT */
	uint32_t	*h;		/* histogram, buckets lo .. lo + nb - 1 */
	int		 lo;
	int		 nb;
};

void	 sketch_add(struct sketch *, uint64_t);
uint64_t sketch_quantile(const struct sketch *, int);
int	 sketch_exact(const struct sketch *);
void	 sketch_free(struct sketch *);

#endif
