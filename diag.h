/*
 * remoteexe's own diagnostics: the one stderr line of a failure (unless
 * -q), and for a failure of remoteexe's own the same line in syslog, which
 * -q does not silence.  A job's failures are also records in its log
 * (run.c).
 */
#ifndef DIAG_H
#define DIAG_H

void	 diag_quiet(int);
void	 diag_job(const char *);
void	 diag(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 diag_failure(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 diag_syslog(int, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
