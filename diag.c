/*
 * remoteexe's own diagnostics on standard error, one line each.
 */
#include <err.h>
#include <stdarg.h>

#include "diag.h"

static int quiet;

void
diag_quiet(int on)
{
	quiet = on;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}
