/*
 * Settings precedence, in one place: the command line, then -o, then the
 * ssh_config file (first value wins), then the defaults below.
 */
#include <err.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "remote.h"
#include "settings.h"
#include "util.h"

#define DEFAULT_LOG		"/tmp/%Y%m%d_remoteexe.log"
#define DEFAULT_PORT		22
#define DEFAULT_CONNECT_TIMEOUT	30
#define DEFAULT_ALIVE		60
#define DEFAULT_KILL_GRACE	5
#define DEFAULT_RETRIES		3
#define SYSTEM_KNOWN_HOSTS	"/etc/ssh/ssh_known_hosts"
#define MIN_KEEPALIVE		2	/* libssh2 sends them at most this often */

static const char *const default_ids[] = {
	".ssh/id_ed25519", ".ssh/id_ecdsa", ".ssh/id_rsa"
};

void
options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout = o->alive = o->kill_grace = o->retries = -1;
	o->format = LOG_TEXT;
}

/* --log, else $REMOTEEXE_LOG, else the seed's daily file in /tmp. */
const char *
settings_log(const struct options *o)
{
	const char *env = getenv("REMOTEEXE_LOG");

	if (o->log != NULL)
		return o->log;
	return env != NULL && *env != '\0' ? env : DEFAULT_LOG;
}

/* Our home directory, looked up once (getpw* reuse their memory). */
static const char *
home_dir(void)
{
	static char *home;
	const char *env = getenv("HOME");
	struct passwd *pw;

	if (home != NULL)
		return home;
	if (env != NULL && *env != '\0')
		home = xstrdup(env);
	else if ((pw = getpwuid(getuid())) != NULL)
		home = xstrdup(pw->pw_dir);
	else
		home = xstrdup("/");
	return home;
}

static char *
home_path(const char *rel)
{
	return xasprintf("%s/%s", home_dir(), rel);
}

/* The local user's name, or NULL when our uid has no passwd entry. */
static const char *
local_user(void)
{
	static char *name;
	struct passwd *pw;

	if (name == NULL && (pw = getpwuid(getuid())) != NULL)
		name = xstrdup(pw->pw_name);
	return name;
}

/* Split [user@]host; the command line's -l and user@ win over ssh_config. */
static void
parse_target(const char *arg, const struct options *o, char **host,
    char **user)
{
	const char *at = strrchr(arg, '@');

	*user = NULL;
	if (at != NULL) {
		if ((*user = strndup(arg, at - arg)) == NULL)
			err(1, NULL);
		arg = at + 1;
	}
	if (o->user != NULL) {
		free(*user);
		*user = xstrdup(o->user);
	}
	*host = xstrdup(arg);
}

/* -o first (it wins), then -F or the default ~/.ssh/config. */
static int
load_config(struct sshconf *c, const struct options *o, const char *host,
    char **msg)
{
	char why[1024], *def;
	int i, rc;

	conf_init(c, home_dir());
	for (i = 0; i < o->nconfopts; i++)
		if (conf_option(c, o->confopts[i], why, sizeof(why)) == -1) {
			*msg = xstrdup(why);
			return -1;
		}
	if (o->config != NULL)
		rc = conf_read(c, o->config, 1, host, why, sizeof(why));
	else {
		def = home_path(".ssh/config");
		rc = conf_read(c, def, 0, host, why, sizeof(why));
		free(def);
	}
	if (rc == -1)
		*msg = xstrdup(why);
	return rc;
}

/* -i, then IdentityFile; only when neither names one, the default keys. */
static void
identities(struct target *t, const struct options *o,
    const struct sshconf *c)
{
	size_t i;
	char *p;

	if ((t->identities = calloc(MAXIDS + CONF_MAXID + NITEMS(default_ids),
	    sizeof(char *))) == NULL)
		err(1, NULL);
	for (i = 0; i < (size_t)o->nids; i++)
		t->identities[t->nidentities++] = xstrdup(o->ids[i]);
	for (i = 0; i < (size_t)c->nidentity; i++)
		t->identities[t->nidentities++] = xstrdup(c->identity[i]);
	if (t->nidentities > 0)
		return;
	for (i = 0; i < NITEMS(default_ids); i++) {
		p = home_path(default_ids[i]);
		if (access(p, F_OK) == 0)
			t->identities[t->nidentities++] = p;
		else
			free(p);
	}
}

static void
known_hosts(struct target *t, const struct options *o,
    const struct sshconf *c)
{
	if (o->known_hosts != NULL)
		t->known_hosts = xstrdup(o->known_hosts);
	else if (c->known_hosts != NULL)
		t->known_hosts = xstrdup(c->known_hosts);
	else
		t->known_hosts = home_path(".ssh/known_hosts");
	t->system_known_hosts = SYSTEM_KNOWN_HOSTS;
	t->accept_new = o->accept_new || c->strict == STRICT_ACCEPT_NEW;
	t->hash_known_hosts = c->hash_known_hosts == 1;
}

/* --alive, or ServerAliveInterval x ServerAliveCountMax, or the default. */
static void
alive(struct limits *l, const struct options *o, const struct sshconf *c)
{
	if (o->alive > 0) {
		l->alive = o->alive;
		l->alive_interval = o->alive >= 3 * MIN_KEEPALIVE ?
		    o->alive / 3 : MIN_KEEPALIVE;
	} else if (c->alive_interval > 0) {
		l->alive_interval = c->alive_interval > MIN_KEEPALIVE ?
		    c->alive_interval : MIN_KEEPALIVE;
		l->alive = c->alive_interval * (c->alive_count > 0 ?
		    c->alive_count : 3);
		if (l->alive <= l->alive_interval)
			l->alive = l->alive_interval + 1;
	} else {
		l->alive = DEFAULT_ALIVE;
		l->alive_interval = DEFAULT_ALIVE / 3;
	}
}

static void
limits(struct limits *l, const struct options *o, const struct sshconf *c)
{
	l->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout :
	    c->connect_timeout > 0 ? c->connect_timeout :
	    DEFAULT_CONNECT_TIMEOUT;
	alive(l, o, c);
	l->timeout = o->timeout;
	l->kill_grace = o->kill_grace >= 0 ? o->kill_grace :
	    DEFAULT_KILL_GRACE;
	l->retries = o->retries >= 0 ? o->retries : DEFAULT_RETRIES;
	l->splay = o->splay;
}

/*
 * Resolve the settings of a run of command on arg ([user@]host).  Returns
 * 0, or -1 with a message (an invalid invocation or ssh_config).
 */
int
settings_load(const struct options *o, const char *arg, const char *command,
    struct settings *s, char **msg)
{
	struct target *t = &s->target;
	struct sshconf c;
	const char *me = local_user();
	char *host, *user, why[1024];
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (strlen(command) > COMMAND_MAX) {
		*msg = xasprintf("the command is %zu bytes; the limit is %d",
		    strlen(command), COMMAND_MAX);
		return -1;
	}
	parse_target(arg, o, &host, &user);
	if (load_config(&c, o, host, msg) == -1)
		goto out;
	if (user == NULL && c.user == NULL && me == NULL) {
		*msg = xasprintf("uid %ld has no user name; give the remote "
		    "user with -l or user@host", (long)getuid());
		goto out;
	}
	t->host = xstrdup(c.hostname != NULL ? c.hostname : host);
	t->user = xstrdup(user != NULL ? user : c.user != NULL ? c.user : me);
	t->port = o->port > 0 ? o->port : c.port > 0 ? c.port : DEFAULT_PORT;
	if (conf_expand(&c, t->host, t->port, t->user, me, why,
	    sizeof(why)) == -1) {
		*msg = xstrdup(why);
		goto out;
	}
	identities(t, o, &c);
	t->use_agent = c.identities_only != 1;
	known_hosts(t, o, &c);
	t->command = xstrdup(command);
	limits(&s->limits, o, &c);
	s->lock = o->lock;
	s->tee = o->tee;
	rc = 0;
out:
	conf_free(&c);
	free(host);
	free(user);
	return rc;
}
