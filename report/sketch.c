/*
 * Elapsed-time sketch; see sketch.h.
 */
#include <stdlib.h>
#include <string.h>

#include "sketch.h"
#include "util.h"

/* Bucket of a value: exact below 64 ms, then 64 per power of two. */
static int
bucket(uint64_t ms)
{
	int e;

	if (ms < 64)
		return (int)ms;
	e = 63 - __builtin_clzll(ms);
	return (e - 5) * 64 + (int)((ms >> (e - 6)) & 63);
}

/* The middle of a bucket, as its value. */
static uint64_t
bucket_value(int i)
{
	int e;

	if (i < 64)
		return (uint64_t)i;
	e = i / 64 + 5;
	return ((uint64_t)(64 + i % 64) << (e - 6)) +
	    (((uint64_t)1 << (e - 6)) >> 1);
}

static void
hist_add(struct sketch *s, uint64_t ms)
{
	int i = bucket(ms), nlo, nnb;
	uint32_t *nh;

	if (s->h == NULL) {
		s->h = xcalloc(1, sizeof(*s->h));
		s->lo = i;
		s->nb = 1;
	} else if (i < s->lo || i >= s->lo + s->nb) {
		nlo = i < s->lo ? i : s->lo;
		nnb = (i >= s->lo + s->nb ? i + 1 : s->lo + s->nb) - nlo;
		nh = xcalloc(nnb, sizeof(*nh));
		memcpy(nh + (s->lo - nlo), s->h, s->nb * sizeof(*nh));
		free(s->h);
		s->h = nh;
		s->lo = nlo;
		s->nb = nnb;
	}
	s->h[i - s->lo]++;
}

void
sketch_add(struct sketch *s, uint64_t ms)
{
	uint64_t i;

	if (ms > s->max || s->n == 0)
		s->max = ms;
	s->n++;
	if (s->n <= SKETCH_EXACT) {
		if (s->v == NULL)
			s->v = xcalloc(SKETCH_EXACT, sizeof(*s->v));
		s->v[s->n - 1] = ms;
		return;
	}
	if (s->v != NULL) {
		for (i = 0; i < SKETCH_EXACT; i++)
			hist_add(s, s->v[i]);
		free(s->v);
		s->v = NULL;
	}
	hist_add(s, ms);
}

int
sketch_exact(const struct sketch *s)
{
	return s->n <= SKETCH_EXACT;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The pct-th percentile by nearest rank: the value at rank ceil(pct% n). */
uint64_t
sketch_quantile(const struct sketch *s, int pct)
{
	uint64_t rank, seen = 0, sorted[SKETCH_EXACT], v;
	int i;

	if (s->n == 0)
		return 0;
	rank = (s->n * pct + 99) / 100;
	if (rank == 0)
		rank = 1;
	if (sketch_exact(s)) {
		memcpy(sorted, s->v, s->n * sizeof(*sorted));
		qsort(sorted, s->n, sizeof(*sorted), cmp_u64);
		return sorted[rank - 1];
	}
	for (i = 0; i < s->nb; i++)
		if ((seen += s->h[i]) >= rank)
			break;
	v = bucket_value(s->lo + (i < s->nb ? i : s->nb - 1));
	return v > s->max ? s->max : v;
}

void
sketch_free(struct sketch *s)
{
	free(s->v);
	free(s->h);
	memset(s, 0, sizeof(*s));
}
