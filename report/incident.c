/*
 * Cluster failures as they come (in log order) and keep the clusters that
 * are incidents; see incident.h.  Only the open cluster is held in full.
 */
#include <stdlib.h>
#include <string.h>

#include "incident.h"
#include "runs.h"
#include "util.h"

struct group {
	struct incident	 inc;
	uint64_t	 id;		/* unique: marks the jobs counted */
};

static struct {
	int		 open;
	int64_t		 last;
	struct group	*g;
	size_t		 ng, capg;
} cl;

static uint64_t		 ids;
static struct incident	*list;
static size_t		 nlist, caplist;
static uint64_t		 more;

static int
by_from(const void *a, const void *b)
{
	const struct incident *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static void
cluster_close(void)
{
	size_t i, first = nlist;

	for (i = 0; i < cl.ng && cl.open; i++) {
		if (cl.g[i].inc.jobs < 2)
			continue;
		if (nlist == LIST_MAX) {
			more++;
			continue;
		}
		if (nlist == caplist) {
			caplist = caplist ? caplist * 2 : 16;
			list = xreallocarray(list, caplist, sizeof(*list));
		}
		list[nlist++] = cl.g[i].inc;
	}
	if (nlist > first)
		qsort(list + first, nlist - first, sizeof(*list), by_from);
	cl.open = 0;
	cl.ng = 0;
}

static struct group *
group_get(int rc, const char *reason)
{
	struct group *g;
	size_t i;

	for (i = 0; i < cl.ng; i++)
		if (cl.g[i].inc.rc == rc &&
		    strcmp(cl.g[i].inc.reason, reason) == 0)
			return &cl.g[i];
	if (cl.ng == cl.capg) {
		cl.capg = cl.capg ? cl.capg * 2 : 8;
		cl.g = xreallocarray(cl.g, cl.capg, sizeof(*cl.g));
	}
	g = &cl.g[cl.ng++];
	memset(g, 0, sizeof(*g));
	g->id = ++ids;
	g->inc.rc = rc;
	strlcpy(g->inc.reason, reason, sizeof(g->inc.reason));
	return g;
}

/*
 * A failure at time t; groupmark is that of the job's count of this rc
 * and reason, so that each job is counted once in a group.
 */
void
incident_fail(int64_t t, uint64_t *groupmark, int rc, const char *reason)
{
	struct group *g;

	if (cl.open && (t > cl.last + INCIDENT_GAP ||
	    t < cl.last - INCIDENT_GAP))
		cluster_close();
	if (!cl.open) {
		cl.open = 1;
		cl.last = t;
	}
	if (t > cl.last)
		cl.last = t;
	g = group_get(rc, reason);
	if (g->inc.runs == 0 || t < g->inc.from)
		g->inc.from = t;
	if (g->inc.runs == 0 || t > g->inc.to)
		g->inc.to = t;
	g->inc.runs++;
	if (*groupmark != g->id) {
		*groupmark = g->id;
		g->inc.jobs++;
	}
}

void
incident_finish(void)
{
	cluster_close();
}

const struct incident *
incident_list(size_t *n, uint64_t *dropped)
{
	*n = nlist;
	*dropped = more;
	return list;
}
