/*
 * Equality of strings and string lists, for the round-trip properties of
 * the fuzz targets; NULL equals only NULL.
 */
#ifndef FUZZ_SAME_H
#define FUZZ_SAME_H

#include <string.h>

static int
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static int
same_strs(const char *const *a, int na, const char *const *b, int nb)
{
	int	i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return 0;
	return 1;
}

#endif
