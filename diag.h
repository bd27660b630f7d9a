/*
 * remoteexe's own diagnostics: the one stderr line of a failure (unless
 * -q).  A job's failures are also records in its log (run.c).
 */
#ifndef DIAG_H
#define DIAG_H

void	 diag_quiet(int);
void	 diag(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
