/*
 * The run log: one record per line, many whole records per write(2) on an
 * O_APPEND descriptor, so concurrent runs sharing a file never interleave
 * inside a record.  A write that fails does not stop the run: what could
 * not be written is counted (log_loss) and dropped.
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_LINE_MAX	4096	/* longer remote lines are split */

enum logformat {
	LOG_TEXT,
	LOG_JSON
};

struct logstats {
	double		 elapsed;	/* seconds since START */
	uint64_t	 out;		/* bytes of remote stdout */
	uint64_t	 err;		/* bytes of remote stderr */
	int		 attempts;	/* connection attempts */
	const char	*reason;	/* why the run ended */
};

/* What this run could not write. */
struct logloss {
	uint64_t	 records;
	uint64_t	 bytes;
	int		 error;		/* errno of the last failed write */
};

char	*log_path(const char *);
int	 log_open(const char *, enum logformat, char *, size_t);
const char *log_name(void);
int	 log_start(const char *);
void	 log_msg(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_output(int, const char *, size_t);
void	 log_output_end(int);
void	 log_stats(const struct logstats *);
void	 log_end(int);
void	 log_flush(void);
int	 log_loss(struct logloss *);

#endif
