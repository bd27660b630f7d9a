/*
 * OpenSSH's host patterns (match.c of OpenSSH): '*' any run, '?' one
 * character; lists of them separated by commas, where a matching
 * "!pattern" vetoes the list.  known_hosts and ssh_config's Match compare
 * host names case-insensitively, ssh_config's Host lines as typed.
 */
#ifndef MATCH_H
#define MATCH_H

#include <stddef.h>

/*
 * Does s match the pattern of plen bytes at p?  fold: s is in lower case
 * and the pattern is compared as if it were too.
 */
int	 match_pattern(const char *s, const char *p, size_t plen, int fold);
/* match_pattern_list() of OpenSSH: 1 if s matches the list, else 0. */
int	 match_pattern_list(const char *s, const char *list);

#endif
