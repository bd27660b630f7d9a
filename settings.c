/*
 * Settings precedence, in one place: the command line, then -o, then the
 * user's ssh_config, then the system's (first value wins), then the
 * defaults below.  ~ is the home directory of our passwd entry, as for
 * ssh: $HOME is not consulted (cron's HOME=/ must not move ~/.ssh).
 */
#include <sys/socket.h>

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
#define SYSTEM_CONFIG		"/etc/ssh/ssh_config"
#define SYSTEM_CONFIG_ENV	"REMOTEEXE_SYSTEM_CONFIG"	/* for tests */
#define MIN_KEEPALIVE		2	/* libssh2 sends them at most this often */

static const char *const default_ids[] = {
	".ssh/id_ed25519", ".ssh/id_ecdsa", ".ssh/id_rsa"
};
static const char *const default_known_hosts[] = {
	".ssh/known_hosts", ".ssh/known_hosts2"
};
static const char *const default_global_known_hosts[] = {
	"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"
};

/* Who we are, from our passwd entry (NULL fields: there is none). */
struct local {
	char	*name;
	char	*home;
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

/* Our passwd entry, looked up once (getpw* reuse their memory). */
static const struct local *
local(void)
{
	static struct local me;
	static int done;
	struct passwd *pw;

	if (!done && (pw = getpwuid(getuid())) != NULL) {
		me.name = xstrdup(pw->pw_name);
		me.home = xstrdup(pw->pw_dir);
	}
	done = 1;
	return &me;
}

/* ~/rel, or NULL when we have no home directory. */
static char *
home_path(const char *rel)
{
	const char *home = local()->home;

	return home == NULL ? NULL : xasprintf("%s/%s", home, rel);
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

static const char *
system_config(void)
{
	const char *env = getenv(SYSTEM_CONFIG_ENV);

	return env != NULL && *env != '\0' ? env : SYSTEM_CONFIG;
}

/* -F, or ~/.ssh/config (missing is fine) and then the system file. */
static int
read_files(struct sshconf *c, const struct options *o, char *why,
    size_t len)
{
	char *def;
	int rc = 0;

	if (o->config != NULL)
		return conf_read(c, o->config, CONF_REQUIRED, why, len);
	if ((def = home_path(".ssh/config")) != NULL) {
		rc = conf_read(c, def, CONF_CHECKPERM, why, len);
		free(def);
	}
	if (rc == 0)
		rc = conf_read(c, system_config(), CONF_SYSTEM, why, len);
	return rc;
}

/*
 * The configuration of one endpoint: for the target -J and -o first (they
 * win), then the files; a hop gets the files only, as ssh's "ssh -W".
 */
static int
load_config(struct sshconf *c, const struct confenv *env,
    const struct options *o, int target, char **msg)
{
	char why[1024];
	int i, rc = 0;

	conf_init(c, env);
	if (target && o->jump != NULL)
		rc = conf_jump_option(c, o->jump, why, sizeof(why));
	for (i = 0; target && rc == 0 && i < o->nconfopts; i++)
		rc = conf_option(c, o->confopts[i], why, sizeof(why));
	if (rc == 0)
		rc = read_files(c, o, why, sizeof(why));
	if (rc == 0)
		rc = conf_hostname(c, why, sizeof(why));
	if (rc == -1)
		*msg = xstrdup(why);
	return rc;
}

/* -i (target only), then IdentityFile; if neither names one, the defaults. */
static void
identities(struct target *t, const struct options *o,
    const struct sshconf *c)
{
	size_t i;
	char *p;

	if ((t->identities = calloc(MAXIDS + CONF_MAXID + NITEMS(default_ids),
	    sizeof(char *))) == NULL)
		err(1, NULL);
	for (i = 0; o != NULL && i < (size_t)o->nids; i++)
		t->identities[t->nidentities++] = xstrdup(o->ids[i]);
	for (i = 0; i < (size_t)c->nidentity; i++)
		t->identities[t->nidentities++] = xstrdup(c->identity[i]);
	if (t->nidentities > 0)
		return;
	for (i = 0; i < NITEMS(default_ids); i++) {
		if ((p = home_path(default_ids[i])) == NULL)
			return;
		if (access(p, F_OK) == 0)
			t->identities[t->nidentities++] = p;
		else
			free(p);
	}
}

/*
 * IdentityAgent: a socket path, SSH_AUTH_SOCK or $NAME (that variable),
 * or none; unset is $SSH_AUTH_SOCK.  IdentitiesOnly yes: no agent.
 */
static void
agent(struct target *t, const struct sshconf *c)
{
	const char *a = c->identity_agent, *sock;

	if (a == NULL || strcmp(a, "SSH_AUTH_SOCK") == 0)
		sock = getenv("SSH_AUTH_SOCK");
	else if (strcasecmp(a, "none") == 0)
		sock = NULL;
	else if (*a == '$')
		sock = getenv(a + 1);
	else
		sock = a;
	if (sock != NULL && *sock != '\0')
		t->agent = xstrdup(sock);
	t->use_agent = c->identities_only != 1 && t->agent != NULL;
}

static void
add_file(struct target *t, const char *file)
{
	char **f;

	if ((f = reallocarray(t->known_hosts_files, t->nknown_hosts_files + 1,
	    sizeof(*f))) == NULL)
		err(1, NULL);
	t->known_hosts_files = f;
	f[t->nknown_hosts_files++] = xstrdup(file);
}

/* The user's files: --known-hosts, UserKnownHostsFile, or the defaults. */
static int
user_known_hosts(struct target *t, const struct options *o,
    const struct sshconf *c, char **msg)
{
	size_t i;
	char *p;

	if (o->known_hosts != NULL)
		add_file(t, o->known_hosts);
	for (i = 0; o->known_hosts == NULL && i < (size_t)c->nknown_hosts; i++)
		add_file(t, c->known_hosts[i]);
	for (i = 0; t->nknown_hosts_files == 0 &&
	    i < NITEMS(default_known_hosts); i++) {
		if ((p = home_path(default_known_hosts[i])) == NULL) {
			*msg = xasprintf("uid %ld has no passwd entry, so "
			    "there is no ~/.ssh/known_hosts: give --known-hosts",
			    (long)getuid());
			return -1;
		}
		add_file(t, p);
		free(p);
	}
	t->known_hosts = xstrdup(t->known_hosts_files[0]);
	return 0;
}

static int
known_hosts(struct target *t, const struct options *o,
    const struct sshconf *c, char **msg)
{
	size_t i;

	if (user_known_hosts(t, o, c, msg) == -1)
		return -1;
	for (i = 0; i < (size_t)c->nglobal_known_hosts; i++)
		add_file(t, c->global_known_hosts[i]);
	for (i = 0; !c->global_known_hosts_set &&
	    i < NITEMS(default_global_known_hosts); i++)
		add_file(t, default_global_known_hosts[i]);
	t->accept_new = o->accept_new || c->strict == STRICT_ACCEPT_NEW;
	t->hash_known_hosts = c->hash_known_hosts == 1;
	return 0;
}

static char *
copy_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/*
 * Fill an endpoint from its configuration; user and port as given on the
 * command line (the target) or in the ProxyJump hop.
 */
static int
endpoint(struct sshconf *c, const struct options *o, const char *user,
    int port, int target, struct target *t, char **msg)
{
	const struct confenv *env = c->env;
	char why[1024];

	if (user == NULL && c->user == NULL && env->localuser == NULL) {
		*msg = xasprintf("uid %ld has no user name; give the remote "
		    "user with -l or user@host", (long)getuid());
		return -1;
	}
	t->host = xstrdup(c->hostname != NULL ? c->hostname : env->host);
	t->user = xstrdup(user != NULL ? user : c->user != NULL ? c->user :
	    env->localuser);
	t->port = port > 0 ? port : c->port > 0 ? c->port : DEFAULT_PORT;
	if (conf_expand(c, t->host, t->port, t->user, why,
	    sizeof(why)) == -1) {
		*msg = xstrdup(why);
		return -1;
	}
	t->address_family = c->address_family >= 0 ? c->address_family :
	    AF_UNSPEC;
	identities(t, target ? o : NULL, c);
	agent(t, c);
	t->hostkey_alias = copy_or_null(c->hostkey_alias);
	t->proxy_command = copy_or_null(c->proxy_command);
	return known_hosts(t, o, c, msg);
}

/*
 * One ProxyJump hop, resolved as "ssh -W" resolves it.  The first hop's
 * own ProxyJump or ProxyCommand would lengthen the chain (later hops get
 * theirs from the chain, as with ssh's -J): refused, not ignored.
 */
static int
hop(const struct options *o, const struct hop *h, int first,
    struct target *t, char **msg)
{
	const struct local *me = local();
	struct confenv env = { h->host, h->user, me->name, me->home };
	struct sshconf c;
	char *why = NULL;
	int rc = -1;

	if (load_config(&c, &env, o, 0, &why) == 0 &&
	    endpoint(&c, o, h->user, h->port, 0, t, &why) == 0) {
		if (first && (c.njump > 0 || c.proxy_command != NULL))
			why = xstrdup("its own ProxyJump or ProxyCommand is not "
			    "supported: list every hop in one ProxyJump, or set "
			    "ProxyJump none for it");
		else
			rc = 0;
	}
	if (rc == -1)
		*msg = xasprintf("ProxyJump hop %s: %s", h->host, why);
	free(why);
	conf_free(&c);
	return rc;
}

static int
hops(const struct options *o, const struct sshconf *c, struct target *t,
    char **msg)
{
	int i;

	if (c->njump == 0)
		return 0;
	if ((t->jump = calloc(c->njump, sizeof(*t->jump))) == NULL)
		err(1, NULL);
	t->njump = c->njump;
	for (i = 0; i < c->njump; i++)
		if (hop(o, &c->jump[i], i == 0, &t->jump[i], msg) == -1)
			return -1;
	return 0;
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
	const struct local *me = local();
	struct target *t = &s->target;
	struct confenv env;
	struct sshconf c;
	char *host, *user;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (strlen(command) > COMMAND_MAX) {
		*msg = xasprintf("the command is %zu bytes; the limit is %d",
		    strlen(command), COMMAND_MAX);
		return -1;
	}
	parse_target(arg, o, &host, &user);
	env.host = host;
	env.user = user;
	env.localuser = me->name;
	env.home = me->home;
	if (load_config(&c, &env, o, 1, msg) == 0 &&
	    endpoint(&c, o, user, o->port, 1, t, msg) == 0 &&
	    hops(o, &c, t, msg) == 0) {
		t->command = xstrdup(command);
		limits(&s->limits, o, &c);
		s->lock = o->lock;
		s->tee = o->tee;
		rc = 0;
	}
	conf_free(&c);
	free(host);
	free(user);
	return rc;
}
