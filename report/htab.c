/*
 * Intrusive chained hash table; see htab.h.
 */
#include <stdlib.h>

#include "htab.h"
#include "util.h"

/* First node of the chain that entries with this hash are on. */
struct hnode *
htab_chain(const struct htab *t, uint64_t hash)
{
	if (t->nb == 0)
		return NULL;
	return t->b[hash & (t->nb - 1)];
}

static void
htab_grow(struct htab *t)
{
	struct hnode **nb, *h, *next;
	size_t i, size = t->nb == 0 ? 64 : t->nb * 2;

	nb = xcalloc(size, sizeof(*nb));
	for (i = 0; i < t->nb; i++)
		for (h = t->b[i]; h != NULL; h = next) {
			next = h->next;
			h->next = nb[h->hash & (size - 1)];
			nb[h->hash & (size - 1)] = h;
		}
	free(t->b);
	t->b = nb;
	t->nb = size;
}

void
htab_add(struct htab *t, struct hnode *h, uint64_t hash)
{
	struct hnode **head;

	if (t->n >= t->nb)
		htab_grow(t);
	h->hash = hash;
	head = &t->b[hash & (t->nb - 1)];
	h->next = *head;
	*head = h;
	t->n++;
}

void
htab_del(struct htab *t, struct hnode *h)
{
	struct hnode **pp;

	for (pp = &t->b[h->hash & (t->nb - 1)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			t->n--;
			return;
		}
}
