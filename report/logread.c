/*
 * Parse one line of remoteexe's log into a struct record, and decode the
 * escaped text of a record into the bytes the remote command wrote.
 *
 * A text record is "[YYYY-MM-DD HH:MM:SS][PID] KIND,REST" (local time); a
 * JSON record is an object with "time", "pid", "kind" and "line" members
 * and, for some kinds, more.  Nothing is copied: the record points into
 * the line, and decoding is done on demand.  Anything else, a torn record
 * included, is rejected with a short reason and never trusted.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "../base64.h"
#include "../utf8.h"
#include "logread.h"
#include "util.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define PID_MAX		2147483647L
#define JSON_DEPTH	32

static const char *const text_kinds[] = {
	"START", "command", "out", "err", "out+", "err+", "retry", "hostkey",
	"signal", "state", "error", "stats", "END"
};
static const char *const json_kinds[] = {
	"start", "command", "out", "err", "out+", "err+", "retry", "hostkey",
	"signal", "state", "error", "stats", "end"
};

/* JSON members we read; the others are skipped. */
struct jmembers {
	struct rstr	 time, kind, line, params, reason, noeol, base64;
	struct rstr	 pid, rc, elapsed, lost;	/* number spans */
};

struct jcur {
	const char	*p;
	const char	*end;
};

const char *
kind_name(enum rkind k)
{
	return text_kinds[k];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t
civil_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return days[m - 1];
}

static int
date_ok(int y, int mo, int d)
{
	return y >= 1900 && mo >= 1 && mo <= 12 && d >= 1 &&
	    d <= month_days(y, mo);
}

/* "YYYY-MM-DD HH" of a text record, as local time; mktime(3) is slow. */
static int
hour_start(const char *s, int64_t *t)
{
	int y, mo, d, h;

	if (s[4] != '-' || s[7] != '-' || s[10] != ' ')
		return -1;
	y = decimal(s, 4);
	mo = decimal(s + 5, 2);
	d = decimal(s + 8, 2);
	h = decimal(s + 11, 2);
	if (!date_ok(y, mo, d) || h < 0 || h > 23)
		return -1;
	*t = local_seconds(y, mo, d, h, 0, 0);
	return 0;
}

/* Time of a text record; the hour's start is cached across records. */
static int
text_time(const char *s, int64_t *ms)
{
	static char key[13];
	static int64_t base;
	static int cached;
	int mi, sec;

	if (s[13] != ':' || s[16] != ':' || (mi = decimal(s + 14, 2)) < 0 ||
	    mi > 59 || (sec = decimal(s + 17, 2)) < 0 || sec > 60)
		return -1;
	if (!cached || memcmp(key, s, sizeof(key)) != 0) {
		if (hour_start(s, &base) == -1)
			return -1;
		memcpy(key, s, sizeof(key));
		cached = 1;
	}
	*ms = (base + mi * 60 + sec) * 1000;
	return 0;
}

/* Zone of an RFC 3339 time: "Z" or "+09:00"; seconds east of UTC. */
static int
zone_offset(const char *s, size_t len, int *off)
{
	int h, m;

	if (len == 1 && (*s == 'Z' || *s == 'z')) {
		*off = 0;
		return 0;
	}
	if (len != 6 || (*s != '+' && *s != '-') || s[3] != ':' ||
	    (h = decimal(s + 1, 2)) < 0 || h > 23 || (m = decimal(s + 4, 2)) < 0 ||
	    m > 59)
		return -1;
	*off = (*s == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return 0;
}

/* "2026-11-22T02:00:01.123+09:00" of a JSON record. */
static int
json_time(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, scale = 100, off;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' &&
	    s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	y = decimal(s, 4);
	mo = decimal(s + 5, 2);
	d = decimal(s + 8, 2);
	h = decimal(s + 11, 2);
	mi = decimal(s + 14, 2);
	sec = decimal(s + 17, 2);
	if (!date_ok(y, mo, d) || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 60)
		return -1;
	if (s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	if (zone_offset(s + i, len - i, &off) == -1)
		return -1;
	*ms = ((civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	    off) * 1000 + frac;
	return 0;
}

static int
span_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Digits only, at most 18 of them; -1 if not. */
static int64_t
span_uint(const char *s, size_t len)
{
	int64_t v = 0;

	if (len == 0 || len > 18)
		return -1;
	while (len-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/* "S.mmm": digits with an optional fraction; -1 if not. */
static double
span_seconds(const char *s, size_t len)
{
	const char *end = s + len, *dot = memchr(s, '.', len);
	double v, scale = 0.1;
	int64_t whole;

	whole = span_uint(s, dot != NULL ? (size_t)(dot - s) : len);
	if (whole < 0 || (dot != NULL && dot + 1 == end))
		return -1;
	v = whole;
	if (dot != NULL)
		for (s = dot + 1; s < end; s++) {
			if (*s < '0' || *s > '9')
				return -1;
			v += (*s - '0') * scale;
			scale /= 10;
		}
	return v;
}

/* A stats reason: [a-zA-Z0-9:]+, REASON_MAX bytes at most. */
static int
reason_set(struct rstats *st, const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > REASON_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == ':'))
			return -1;
	memcpy(st->reason, s, len);
	st->reason[len] = '\0';
	return 0;
}

static int
noeol_set(struct rstats *st, const char *s, size_t len)
{
	if (span_is(s, len, "out"))
		st->noeol = NOEOL_OUT;
	else if (span_is(s, len, "err"))
		st->noeol = NOEOL_ERR;
	else if (span_is(s, len, "out,err") || span_is(s, len, "err,out"))
		st->noeol = NOEOL_OUT | NOEOL_ERR;
	else
		return -1;
	return 0;
}

/* One KEY=VALUE of a stats record; keys we do not use are skipped. */
static int
stats_field(struct rstats *st, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	if (span_is(k, klen, "elapsed")) {
		st->has_elapsed = 1;
		return (st->elapsed = span_seconds(v, vlen)) < 0 ? -1 : 0;
	}
	if (span_is(k, klen, "reason"))
		return reason_set(st, v, vlen);
	if (span_is(k, klen, "lost"))
		return (st->lost = span_uint(v, vlen)) < 0 ? -1 : 0;
	if (span_is(k, klen, "noeol"))
		return noeol_set(st, v, vlen);
	return 0;
}

/* "elapsed=S.mmm out=B err=B attempts=N reason=WHY[ lost=N][ noeol=L]" */
static const char *
parse_stats(const char *s, size_t len, struct rstats *st)
{
	const char *end = s + len, *sp, *eq;

	memset(st, 0, sizeof(*st));
	while (s < end) {
		if ((sp = memchr(s, ' ', end - s)) == NULL)
			sp = end;
		if ((eq = memchr(s, '=', sp - s)) == NULL || eq == s)
			return "stats: not KEY=VALUE";
		if (stats_field(st, s, eq - s, eq + 1, sp - eq - 1) == -1)
			return "stats: bad value";
		s = sp + 1;
	}
	return NULL;
}

/* What START, END and stats records carry beyond their text. */
static const char *
kind_fields(struct record *r)
{
	const char *s = r->text.p, *comma;
	size_t len = r->text.len;

	switch (r->kind) {
	case RK_START:
		if (len < 2 || s[0] != '-' || s[1] != ',')
			return "START: no \"-,\"";
		r->params = (struct rstr){ s + 2, len - 2, r->text.enc, 0 };
		return NULL;
	case RK_END:
		if ((comma = memchr(s, ',', len < 4 ? len : 4)) == NULL ||
		    (r->rc = (int)span_uint(s, comma - s)) < 0 || r->rc > 255)
			return "END: no exit status";
		r->params = (struct rstr){ comma + 1, len - (comma + 1 - s),
		    r->text.enc, 0 };
		return NULL;
	case RK_STATS:
		return parse_stats(s, len, &r->st);
	default:
		r->bytes = r->text;
		return NULL;
	}
}

static int
kind_find(const char *const *names, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < NITEMS(text_kinds); i++)
		if (span_is(s, len, names[i]))
			return (int)i;
	return -1;
}

/* "[YYYY-MM-DD HH:MM:SS][PID] KIND,REST" */
static const char *
parse_text(const char *s, size_t len, struct record *r)
{
	const char *end = s + len, *p, *comma;
	int k;

	if (len < 26 || s[20] != ']' || s[21] != '[')
		return "not a record";
	if (text_time(s + 1, &r->ms) == -1)
		return "bad time";
	r->pid = 0;
	for (p = s + 22; p < end && *p >= '0' && *p <= '9' && p < s + 32; p++)
		r->pid = r->pid * 10 + (*p - '0');
	if (p == s + 22 || end - p < 3 || p[0] != ']' || p[1] != ' ' ||
	    r->pid <= 0 || r->pid > PID_MAX)
		return "bad pid";
	p += 2;
	if ((comma = memchr(p, ',', end - p < 9 ? end - p : 9)) == NULL ||
	    (k = kind_find(text_kinds, p, comma - p)) == -1)
		return "unknown kind";
	r->kind = k;
	r->text = (struct rstr){ comma + 1, end - comma - 1, RE_VIS, 0 };
	return kind_fields(r);
}

static void
js_ws(struct jcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	    *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* A JSON string; its body (escapes not yet decoded) goes to out. */
static int
js_string(struct jcur *c, struct rstr *out)
{
	const char *start;
	int i;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	for (start = ++c->p; c->p < c->end; c->p++) {
		if (*c->p == '"') {
			*out = (struct rstr){ start, c->p++ - start, RE_JSON, 0 };
			return 0;
		}
		if ((unsigned char)*c->p < 0x20)
			return -1;
		if (*c->p != '\\')
			continue;
		if (++c->p == c->end)
			return -1;
		if (*c->p == 'u') {
			for (i = 1; i <= 4; i++)
				if (c->p + i >= c->end || !is_hex(c->p[i]))
					return -1;
			c->p += 4;
		} else if (strchr("\"\\/bfnrt", *c->p) == NULL || *c->p == 0)
			return -1;
	}
	return -1;
}

static int
js_digits(struct jcur *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start ? 0 : -1;
}

/* A JSON number; its text goes to out. */
static int
js_number(struct jcur *c, struct rstr *out)
{
	const char *start = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (js_digits(c) == -1)
		return -1;
	if (c->p < c->end && *c->p == '.' && (c->p++, js_digits(c) == -1))
		return -1;
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (js_digits(c) == -1)
			return -1;
	}
	*out = (struct rstr){ start, c->p - start, RE_RAW, 0 };
	return 0;
}

static int js_value(struct jcur *, struct rstr *, int);

/* An object or array we do not read, skipped with bounded depth. */
static int
js_container(struct jcur *c, int depth)
{
	char close = *c->p == '{' ? '}' : ']';
	struct rstr dummy;

	if (depth >= JSON_DEPTH)
		return -1;
	c->p++;
	js_ws(c);
	if (c->p < c->end && *c->p == close)
		return c->p++, 0;
	for (;;) {
		if (close == '}') {
			if (js_string(c, &dummy) == -1)
				return -1;
			js_ws(c);
			if (c->p >= c->end || *c->p++ != ':')
				return -1;
		}
		if (js_value(c, &dummy, depth + 1) == -1)
			return -1;
		js_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p++ == close)
			return 0;
		if (c->p[-1] != ',')
			return -1;
	}
}

/* Any JSON value; strings and numbers are returned in out. */
static int
js_value(struct jcur *c, struct rstr *out, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t i, n;

	js_ws(c);
	out->p = NULL;
	if (c->p >= c->end)
		return -1;
	if (*c->p == '"')
		return js_string(c, out);
	if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
		return js_number(c, out);
	if (*c->p == '{' || *c->p == '[')
		return js_container(c, depth);
	for (i = 0; i < NITEMS(words); i++) {
		n = strlen(words[i]);
		if ((size_t)(c->end - c->p) >= n &&
		    memcmp(c->p, words[i], n) == 0) {
			c->p += n;
			return 0;
		}
	}
	return -1;
}

static struct rstr *
member_slot(struct jmembers *m, const struct rstr *key)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} names[] = {
		{ "time", offsetof(struct jmembers, time) },
		{ "kind", offsetof(struct jmembers, kind) },
		{ "line", offsetof(struct jmembers, line) },
		{ "params", offsetof(struct jmembers, params) },
		{ "reason", offsetof(struct jmembers, reason) },
		{ "noeol", offsetof(struct jmembers, noeol) },
		{ "base64", offsetof(struct jmembers, base64) },
		{ "pid", offsetof(struct jmembers, pid) },
		{ "rc", offsetof(struct jmembers, rc) },
		{ "elapsed", offsetof(struct jmembers, elapsed) },
		{ "lost", offsetof(struct jmembers, lost) },
	};
	size_t i;

	for (i = 0; i < NITEMS(names); i++)
		if (span_is(key->p, key->len, names[i].name))
			return (struct rstr *)((char *)m + names[i].off);
	return NULL;
}

/* The members of one JSON object, read into m. */
static const char *
json_object(const char *s, size_t len, struct jmembers *m)
{
	struct jcur c = { s + 1, s + len };
	struct rstr key, val, *slot;

	memset(m, 0, sizeof(*m));
	for (;;) {
		js_ws(&c);
		if (js_string(&c, &key) == -1)
			return "JSON: bad member name";
		js_ws(&c);
		if (c.p >= c.end || *c.p++ != ':' ||
		    js_value(&c, &val, 1) == -1)
			return "JSON: bad value";
		if ((slot = member_slot(m, &key)) != NULL)
			*slot = val;
		js_ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p >= c.end || *c.p++ != '}')
			return "JSON: cut or bad object";
		js_ws(&c);
		return c.p == c.end ? NULL : "JSON: text after the object";
	}
}

/* Members that override what the "line" text of a record says. */
static const char *
json_extras(struct record *r, const struct jmembers *m)
{
	int64_t v;

	/*
	 * PARAMS not valid UTF-8: the exact bytes, after the "-," or "RC,"
	 * that kind_fields() found in the line (ASCII, a byte a character)
	 */
	if (m->params.p != NULL && m->base64.p != NULL &&
	    (r->kind == RK_START || r->kind == RK_END))
		r->params = (struct rstr){ m->base64.p, m->base64.len,
		    RE_BASE64, (size_t)(r->params.p - r->text.p) };
	else if (m->params.p != NULL &&
	    (r->kind == RK_START || r->kind == RK_END))
		r->params = m->params;
	if (m->rc.p != NULL && r->kind == RK_END) {
		if ((v = span_uint(m->rc.p, m->rc.len)) < 0 || v > 255)
			return "JSON: bad rc";
		r->rc = (int)v;
	}
	if (m->base64.p != NULL)
		r->bytes = (struct rstr){ m->base64.p, m->base64.len,
		    RE_BASE64, 0 };
	if (r->kind != RK_STATS)
		return NULL;
	if (m->elapsed.p != NULL && (r->st.has_elapsed = 1,
	    (r->st.elapsed = span_seconds(m->elapsed.p, m->elapsed.len)) < 0))
		return "JSON: bad elapsed";
	if (m->reason.p != NULL &&
	    reason_set(&r->st, m->reason.p, m->reason.len) == -1)
		return "JSON: bad reason";
	if (m->lost.p != NULL &&
	    (r->st.lost = span_uint(m->lost.p, m->lost.len)) < 0)
		return "JSON: bad lost";
	if (m->noeol.p != NULL &&
	    noeol_set(&r->st, m->noeol.p, m->noeol.len) == -1)
		return "JSON: bad noeol";
	return NULL;
}

static const char *
parse_json(const char *s, size_t len, struct record *r)
{
	struct jmembers m;
	const char *why;
	int64_t pid;
	int k;

	if ((why = json_object(s, len, &m)) != NULL)
		return why;
	if (m.time.p == NULL || m.pid.p == NULL || m.kind.p == NULL ||
	    m.line.p == NULL || m.line.enc != RE_JSON ||
	    m.time.enc != RE_JSON || m.kind.enc != RE_JSON)
		return "JSON: time, pid, kind or line missing";
	if (json_time(m.time.p, m.time.len, &r->ms) == -1)
		return "JSON: bad time";
	if ((pid = span_uint(m.pid.p, m.pid.len)) <= 0 || pid > PID_MAX)
		return "JSON: bad pid";
	r->pid = (long)pid;
	if ((k = kind_find(json_kinds, m.kind.p, m.kind.len)) == -1)
		return "JSON: unknown kind";
	r->kind = k;
	r->text = m.line;
	if (r->kind == RK_STATS && memchr(m.line.p, '\\', m.line.len) != NULL)
		memset(&r->st, 0, sizeof(r->st));
	else if ((why = kind_fields(r)) != NULL)
		return why;
	return json_extras(r, &m);
}

/* Parse one line (without its LF); NULL, or why it is not a record. */
const char *
record_parse(const char *line, size_t len, struct record *r)
{
	memset(r, 0, sizeof(*r));
	if (len > 0 && line[0] == '[')
		return parse_text(line, len, r);
	if (len > 0 && line[0] == '{') {
		r->json = 1;
		return parse_json(line, len, r);
	}
	return "not a record";
}

/*
 * Decode vis(3) C-style and octal escapes (\t, \s and \E too, which
 * remoteexe does not write but unvis(1) reads).  A backslash before any
 * other byte, or at the end, is kept as it is.  Writes at most len bytes.
 */
size_t
vis_decode(const char *s, size_t len, char *out)
{
	static const char cstyle[] = "\\\\a\ab\bf\fn\nr\rv\vt\ts E\033";
	const char *end = s + len, *e;
	char *d = out;
	int v, n;

	while (s < end) {
		if (*s != '\\' || s + 1 == end) {
			*d++ = *s++;
			continue;
		}
		if (s[1] >= '0' && s[1] <= '7') {
			for (s++, v = 0, n = 0; n < 3 && s < end && *s >= '0' &&
			    *s <= '7'; n++)
				v = v * 8 + (*s++ - '0');
			*d++ = (char)(v & 0xff);
			continue;
		}
		for (e = cstyle; *e != '\0' && *e != s[1]; e += 2)
			;
		if (*e != '\0') {
			*d++ = e[1];
			s += 2;
		} else
			*d++ = *s++;
	}
	return d - out;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

static unsigned
hex4(const char *s)
{
	return hex_value(s[0]) << 12 | hex_value(s[1]) << 8 |
	    hex_value(s[2]) << 4 | hex_value(s[3]);
}

static char *
utf8_put(char *d, unsigned cp)
{
	if (cp < 0x80)
		*d++ = (char)cp;
	else if (cp < 0x800) {
		*d++ = (char)(0xc0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xe0 | cp >> 12);
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*d++ = (char)(0xf0 | cp >> 18);
		*d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	}
	return d;
}

/* One \uXXXX (a surrogate pair takes two); a lone surrogate is U+FFFD. */
static const char *
json_unicode(const char *s, const char *end, char **d)
{
	unsigned cp = hex4(s + 2), lo;

	s += 6;
	if (cp >= 0xd800 && cp <= 0xdbff && end - s >= 6 && s[0] == '\\' &&
	    s[1] == 'u' && is_hex(s[2]) && is_hex(s[3]) && is_hex(s[4]) &&
	    is_hex(s[5]) && (lo = hex4(s + 2)) >= 0xdc00 && lo <= 0xdfff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		s += 6;
	} else if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	*d = utf8_put(*d, cp);
	return s;
}

/*
 * Decode the body of a JSON string; -1 if it is not valid JSON.  Never
 * writes more than len bytes (an escape is longer than what it stands for).
 */
ssize_t
json_decode(const char *s, size_t len, char *out)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char *end = s + len, *e;
	char *d = out;
	int i;

	while (s < end) {
		if ((unsigned char)*s < 0x20)
			return -1;
		if (*s != '\\') {
			*d++ = *s++;
			continue;
		}
		if (end - s < 2)
			return -1;
		if (s[1] == 'u') {
			for (i = 2; i < 6; i++)
				if (s + i >= end || !is_hex(s[i]))
					return -1;
			s = json_unicode(s, end, &d);
			continue;
		}
		for (e = simple; *e != '\0' && *e != s[1]; e += 2)
			;
		if (*e == '\0')
			return -1;
		*d++ = e[1];
		s += 2;
	}
	return d - out;
}

/* Decode a piece of a record into out (room for s->len bytes). */
ssize_t
rstr_decode(const struct rstr *s, char *out)
{
	ssize_t n;

	switch (s->enc) {
	case RE_VIS:
		return vis_decode(s->p, s->len, out);
	case RE_JSON:
		return json_decode(s->p, s->len, out);
	case RE_BASE64:
		n = b64_decode(out, s->len, s->p, s->len, B64_PAD);
		if (n < (ssize_t)s->skip)
			return -1;
		memmove(out, out + s->skip, n - s->skip);
		return n - s->skip;
	default:
		memcpy(out, s->p, s->len);
		return s->len;
	}
}

/* One byte that is not printable text, as the log writes it. */
static char *
vis_byte(char *d, const unsigned char *p, const unsigned char *end)
{
	static const char cstyle[] = "\aa\bb\ff\nn\rr\vv\\\\";
	const char *e;

	if (*p == '\0') {
		if (p + 1 == end || (p[1] >= '0' && p[1] <= '7'))
			return octal_escape(d, 0);
		*d++ = '\\';
		*d++ = '0';
		return d;
	}
	for (e = cstyle; *e != '\0'; e += 2)
		if ((unsigned char)*e == *p) {
			*d++ = '\\';
			*d++ = e[1];
			return d;
		}
	return octal_escape(d, *p);
}

/*
 * Escape len bytes as remoteexe's text log does (logformat: vis(3)
 * VIS_CSTYLE|VIS_OCTAL, printable UTF-8 kept, "] END," hidden); d has room
 * for 4 * len bytes.  vis_decode() gives the bytes back.
 */
char *
vis_encode(char *d, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		if (*p == ']' && end - p >= 6 && memcmp(p + 1, " END,", 5) == 0)
			d = octal_escape(d, *p++);
		else if ((*p >= 0x20 && *p < 0x7f && *p != '\\') || *p == '\t')
			*d++ = (char)*p++;
		else if (*p >= 0x80 && (n = utf8_len(p, end)) > 0) {
			memcpy(d, p, n);
			d += n;
			p += n;
		} else
			d = vis_byte(d, p++, end);
	}
	return d;
}
