/*
 * OpenSSH's host patterns (match.c of OpenSSH): '*' any run, '?' one
 * character, case-insensitive as ssh compares host names; lists of them
 * separated by commas, where a matching "!pattern" vetoes the list.
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>

/* Does s (lower case) match the pattern of plen bytes at p? */
int	 match_pattern(const char *s, const char *p, size_t plen);
/* match_pattern_list() of OpenSSH: 1 if s matches the list, else 0. */
int	 match_pattern_list(const char *s, const char *list);

#endif
