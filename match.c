/*
 * Host patterns as OpenSSH matches them.  OpenSSH's match_pattern()
 * backtracks recursively, exponential in the stars of a crafted pattern;
 * retrying only the last '*' gives the same answers in O(len(s) * len(p)).
 */
#include <string.h>

#include "match.h"

#define SUBPATTERN_MAX	1023		/* match_pattern_list()'s sub[1024] */

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
match_pattern(const char *s, const char *p, size_t plen, int fold)
{
	const char *pe = p + plen, *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (p < pe && *p == '*') {
			star = ++p;
			resume = s;
		} else if (p < pe && (*p == '?' ||
		    (fold ? ascii_lower(*p) : *p) == *s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++resume;
		} else
			return 0;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

/* A negated match, or a pattern too long for ssh's buffer, ends the list. */
int
match_pattern_list(const char *s, const char *list)
{
	const char *p = list;
	size_t len;
	int negated, positive = 0;

	while (*p != '\0') {
		if ((negated = *p == '!'))
			p++;
		len = strcspn(p, ",");
		if (len >= SUBPATTERN_MAX)
			return 0;
		if (match_pattern(s, p, len, 1)) {
			if (negated)
				return 0;
			positive = 1;
		}
		p += len + (p[len] == ',');
	}
	return positive;
}
