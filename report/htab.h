/*
 * An intrusive chained hash table: the caller embeds a struct hnode in its
 * entries, hashes the key and compares keys while walking a chain.  It
 * grows by doubling, so lookups stay O(1) as jobs and open runs are added.
 */
#ifndef REPORT_HTAB_H
#define REPORT_HTAB_H

#include <stddef.h>
#include <stdint.h>

struct hnode {
	struct hnode	*next;
	uint64_t	 hash;
};

struct htab {
	struct hnode	**b;
	size_t		  nb;
	size_t		  n;
};

struct hnode	*htab_chain(const struct htab *, uint64_t);
void		 htab_add(struct htab *, struct hnode *, uint64_t);
void		 htab_del(struct htab *, struct hnode *);

#endif
