/*
 * remoteexe's log records, read one line at a time: parse a line (text or
 * JSON Lines, told apart by its first byte) into a struct record that
 * points into the line, and decode its escaped text into bytes.
 */
#ifndef REPORT_LOGREAD_H
#define REPORT_LOGREAD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define REASON_MAX	64	/* longest stats reason token we keep */
#define NOEOL_OUT	1	/* stats noeol: stdout's last line had no LF */
#define NOEOL_ERR	2

enum rkind {
	RK_START, RK_COMMAND, RK_OUT, RK_ERR, RK_OUTP, RK_ERRP, RK_RETRY,
	RK_HOSTKEY, RK_SIGNAL, RK_STATE, RK_ERROR, RK_STATS, RK_END
};

enum renc {
	RE_RAW,		/* bytes as they are */
	RE_VIS,		/* text record: vis(3) C-style/octal escapes */
	RE_JSON,	/* body of a JSON string, escapes included */
	RE_BASE64	/* JSON "base64" member */
};

/* A piece of the line, still encoded. */
struct rstr {
	const char	*p;
	size_t		 len;
	enum renc	 enc;
	size_t		 skip;		/* decoded bytes before the text */
};

struct rstats {
	int		 has_elapsed;
	double		 elapsed;	/* seconds */
	int64_t		 lost;		/* records that could not be written */
	int		 noeol;		/* NOEOL_OUT | NOEOL_ERR */
	char		 reason[REASON_MAX + 1];	/* "" when absent */
};

struct record {
	int64_t		 ms;		/* time, ms since the epoch */
	long		 pid;
	enum rkind	 kind;
	int		 json;
	struct rstr	 text;		/* the REST of the record ("line") */
	struct rstr	 bytes;		/* out/err: base64 if given, else text */
	struct rstr	 params;	/* START and END */
	int		 rc;		/* END */
	struct rstats	 st;		/* stats */
};

const char	*record_parse(const char *, size_t, struct record *);
ssize_t		 rstr_decode(const struct rstr *, char *);
size_t		 vis_decode(const char *, size_t, char *);
ssize_t		 json_decode(const char *, size_t, char *);
char		*vis_encode(char *, const char *, size_t);
const char	*kind_name(enum rkind);
int64_t		 civil_days(int, int, int);
int		 month_days(int, int);

#endif
