/*
 * The remote side of a run.  A non-pty exec is a session leader, so the
 * remote shell's $$ is the process group of everything the command starts:
 * the wrapper reports it on stderr, on a marker line that is consumed and
 * never logged, then runs the command.  The kill script stops that group.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <err.h>

#include "remote.h"
#include "util.h"

/* 'it'\''s' : the command as one word for the remote shell's eval. */
static char *
shell_quote(const char *s)
{
	char *q, *d;

	if ((q = malloc(strlen(s) * 4 + 3)) == NULL)
		err(1, NULL);
	d = q;
	*d++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(d, "'\\''", 4);
			d += 4;
		} else
			*d++ = *s;
	}
	*d++ = '\'';
	*d = '\0';
	return q;
}

/* The text to exec: report $$ on stderr, then run the command. */
char *
remote_wrapper(const char *command)
{
	char *quoted, *w;

	quoted = shell_quote(command);
	w = xasprintf("printf '\\036remoteexe-pgid=%%d\\n' $$ >&2; eval %s",
	    quoted);
	free(quoted);
	return w;
}

/*
 * Is this stderr line (with its newline) the marker?  Then *pgid gets the
 * process group it reports and 1 is returned.
 */
int
remote_marker(const char *line, size_t len, long *pgid)
{
	char num[MARKER_MAX];
	const char *errstr;
	long long n;

	if (len <= sizeof(MARKER) || len - sizeof(MARKER) >= sizeof(num) ||
	    line[len - 1] != '\n' ||
	    memcmp(line, MARKER, sizeof(MARKER) - 1) != 0)
		return 0;
	memcpy(num, line + sizeof(MARKER) - 1, len - sizeof(MARKER));
	num[len - sizeof(MARKER)] = '\0';
	n = strtonum(num, 2, INT32_MAX, &errstr);
	if (errstr != NULL)
		return 0;
	*pgid = n;
	return 1;
}

/*
 * TERM to the group, KILL once the grace is over, and an exit status that
 * says whether the group is gone.  "kill -s" because dash, /bin/sh on
 * Debian, rejects "kill -TERM -- -PGID".  Zombies do not count as alive:
 * an orphan waits for init to reap it, and some inits are slow to.
 * Without a ps(1) that knows -o stat, kill -0 decides.
 */
char *
remote_kill_script(long pgid, int grace)
{
	return xasprintf("g=%ld; "
	    "alive() { p=$(ps -e -o pgid= -o stat= 2>/dev/null) || "
	    "{ kill -s 0 -- -$g 2>/dev/null; return; }; "
	    "printf '%%s\\n' \"$p\" | awk -v g=$g "
	    "'$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'; }; "
	    "kill -s TERM -- -$g 2>/dev/null; i=0; "
	    "while [ $i -lt %d ] && alive; "
	    "do sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; "
	    "kill -s KILL -- -$g 2>/dev/null; sleep 0.2 2>/dev/null; ! alive",
	    pgid, grace * 10);
}
