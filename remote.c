/*
 * The remote side of a run.  The exec string is the same text for every
 * login shell (sh, bash, zsh, ksh, csh, tcsh, fish, rbash): it starts sh, which reads the supervisor (remote.sh) and
 * then the command on the channel's stdin, so a command of any size and
 * any bytes arrives whole, and runs the command with the login shell, as
 * ssh(1) does.  Only the supervisor knows the run's nonce, so no output
 * of the command can forge a report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <err.h>

#include "remote.h"
#include "util.h"

/*
 * No ' \ ! or newline inside the quotes: every shell reads it alike.  No
 * exec: rbash refuses it, and sh, bash, zsh and ksh exec a lone command
 * anyway.
 */
const char remote_boot[] =
    "sh -c 'IFS= read -r s && eval \"$(printf %b \"$s\")\"'";

static const char supervisor[] =
#include "remote_sh.h"
;

/* A fresh nonce: NONCE_LEN hex digits and a NUL into buf. */
void
remote_nonce(char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[NONCE_LEN / 2];
	size_t i;

	arc4random_buf(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[NONCE_LEN] = '\0';
}

/* What starts each report of this run's supervisor on stderr. */
char *
remote_marker(const char *nonce)
{
	return xasprintf("\036remoteexe-%s ", nonce);
}

/* s as one line that printf %b turns back into s. */
static char *
line_encode(char *d, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '\n') {
			*d++ = '\\';
			*d++ = *s == '\n' ? 'n' : '\\';
		} else
			*d++ = *s;
	}
	*d++ = '\n';
	return d;
}

/*
 * The bytes for the channel's stdin: the supervisor with its settings in
 * front, then the command, one encoded line each.
 */
char *
remote_preamble(const struct remote_job *j, size_t *len)
{
	char *settings, *out, *d;

	settings = xasprintf("N=%s A=%d G=%d L=%s H='%s'\n%s", j->nonce,
	    j->lease, j->grace, j->lock != NULL ? j->lock : "",
	    j->holder != NULL ? j->holder : "", supervisor);
	if ((out = malloc(2 * (strlen(settings) + strlen(j->command)) + 2)) ==
	    NULL)
		err(1, NULL);
	d = line_encode(out, settings);
	d = line_encode(d, j->command);
	*len = d - out;
	free(settings);
	return out;
}

/* The remote lock's name for a job: the same user and command collide. */
char *
remote_lock_name(const char *user, const char *command)
{
	uint64_t h = fnv1a(fnv1a(FNV1A_INIT, user), command);

	return xasprintf("%016llx", (unsigned long long)h);
}

static int
report_number(const char *s, long long min, long long max, long *v)
{
	const char *errstr;

	*v = strtonum(s, min, max, &errstr);
	return errstr == NULL;
}

/* Parse what follows the marker ("pgid=123"), without its newline. */
int
remote_report(const char *s, size_t len, struct report *r)
{
	static const struct {
		const char	*name;
		enum report_kind kind;
	} kinds[] = {
		{ "pgid=", REPORT_PGID }, { "exit=", REPORT_EXIT },
		{ "signal=", REPORT_SIGNAL },
		{ "stop=", REPORT_STOP }, { "lease=", REPORT_LEASE },
		{ "locked=", REPORT_LOCKED }, { "lockerr=", REPORT_LOCKERR },
	};
	size_t i, n;

	memset(r, 0, sizeof(*r));
	if (len >= sizeof(r->text))
		return 0;
	for (i = 0; i < NITEMS(kinds); i++) {
		n = strlen(kinds[i].name);
		if (len >= n && memcmp(s, kinds[i].name, n) == 0)
			break;
	}
	if (i == NITEMS(kinds))
		return 0;
	memcpy(r->text, s + n, len - n);
	r->kind = kinds[i].kind;
	switch (r->kind) {
	case REPORT_PGID:
		return report_number(r->text, 1, INT32_MAX, &r->value);
	case REPORT_EXIT:
		return report_number(r->text, 0, 255, &r->value);
	case REPORT_STOP:
		r->value = strcmp(r->text, "gone") == 0;
		return r->value || strcmp(r->text, "alive") == 0;
	default:
		return 1;
	}
}
