/*
 * libFuzzer target: remoteexe's command line options (parse_options() of
 * remoteexe.c, included here with its main() renamed; the rest of the
 * program is linked as it is).  The input is argv[1..], NUL-separated.
 * Properties: no crash, no leak; an accepted option set, rendered back in
 * its canonical form (one option per field that is set, numbers in
 * decimal), parses without error into the same options.
 */
#include <assert.h>
#include <stdint.h>

#define main remoteexe_main
#include "remoteexe.c"
#undef main

#include "same.h"

#define MAXARGS		64

/* A word of argv', kept in a small pool of number strings when needed. */
struct render {
	char	*argv[MAXARGS * 2 + 8];
	int	 argc;
	char	 num[16][16];
	int	 nnum;
};

static void
add(struct render *r, const char *s)
{
	assert(r->argc < (int)NITEMS(r->argv) - 1);
	r->argv[r->argc++] = (char *)(uintptr_t)s;
}

static void
add_num(struct render *r, const char *name, int v)
{
	assert(r->nnum < (int)NITEMS(r->num));
	(void)snprintf(r->num[r->nnum], sizeof(r->num[0]), "%d", v);
	add(r, name);
	add(r, r->num[r->nnum++]);
}

static void
add_str(struct render *r, const char *name, const char *v)
{
	if (v == NULL)
		return;
	add(r, name);
	add(r, v);
}

static void
render_lists(struct render *r, const struct options *o)
{
	int	i;

	for (i = 0; i < o->nids; i++)
		add_str(r, "-i", o->ids[i]);
	for (i = 0; i < o->nconfopts; i++)
		add_str(r, "-o", o->confopts[i]);
}

/* The canonical command line of o; tee and quiet as flags if set. */
static void
render(struct render *r, const struct options *o, int tee0)
{
	r->argc = r->nnum = 0;
	add(r, "remoteexe");
	add_str(r, "-l", o->user);
	if (o->port > 0)
		add_num(r, "-p", o->port);
	render_lists(r, o);
	add_str(r, "-F", o->config);
	add_str(r, "-J", o->jump);
	add_str(r, "--log", o->log);
	if (o->format == LOG_JSON)
		add_str(r, "--format", "json");
	add_str(r, "--known-hosts", o->known_hosts);
	if (o->accept_new)
		add(r, "--accept-new");
	if (o->connect_timeout != -1)
		add_num(r, "--connect-timeout", o->connect_timeout);
	if (o->timeout != 0)
		add_num(r, "--timeout", o->timeout);
	if (o->kill_grace != -1)
		add_num(r, "--kill-grace", o->kill_grace);
	if (o->alive != -1)
		add_num(r, "--alive", o->alive);
	if (o->retries != -1)
		add_num(r, "--retries", o->retries);
	if (o->splay != 0)
		add_num(r, "--splay", o->splay);
	if (o->lock)
		add(r, "--lock");
	if (o->tee && !tee0)
		add(r, "--tee");
	if (o->quiet)
		add(r, "-q");
	r->argv[r->argc] = NULL;
}

static int
same(const struct options *a, const struct options *b)
{
	return same_str(a->user, b->user) && a->port == b->port &&
	    same_strs(a->ids, a->nids, b->ids, b->nids) &&
	    same_str(a->config, b->config) && same_str(a->jump, b->jump) &&
	    same_strs(a->confopts, a->nconfopts, b->confopts, b->nconfopts) &&
	    same_str(a->log, b->log) && a->format == b->format &&
	    same_str(a->known_hosts, b->known_hosts) &&
	    a->accept_new == b->accept_new &&
	    a->connect_timeout == b->connect_timeout &&
	    a->timeout == b->timeout && a->kill_grace == b->kill_grace &&
	    a->alive == b->alive && a->retries == b->retries &&
	    a->splay == b->splay && a->lock == b->lock && a->tee == b->tee &&
	    a->quiet == b->quiet;
}

/* argv from the input: "remoteexe", then its NUL-separated words. */
static int
split_args(char *buf, size_t size, char **argv)
{
	char	*p = buf, *end = buf + size;
	int	 argc = 0;

	argv[argc++] = "remoteexe";
	while (p < end && argc < MAXARGS) {
		argv[argc++] = p;
		p += strlen(p) + 1;
	}
	argv[argc] = NULL;
	return argc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct render	 r;
	struct options		 o, o2;
	char			*buf, *argv[MAXARGS + 1], *e, *e2;
	int			 argc, show, show2;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argc = split_args(buf, size, argv);
	optind = 0;
	if ((e = parse_options(argc, argv, &o, &show)) == NULL) {
		render(&r, &o, isatty(STDOUT_FILENO));
		optind = 0;
		e2 = parse_options(r.argc, r.argv, &o2, &show2);
		assert(e2 == NULL);
		assert(same(&o, &o2));
		assert(optind == r.argc);
	}
	free(e);
	free(buf);
	return 0;
}
