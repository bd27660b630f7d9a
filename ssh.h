/*
 * The SSH connection of a run: resolve, connect, handshake, host key,
 * authentication; then session channels on it; then teardown.
 */
#ifndef SSH_H
#define SSH_H

#include <stdint.h>
#include <libssh2.h>

#include "failure.h"
#include "signals.h"

struct ssh;
struct target;
struct limits;
struct progress;

void	 ssh_global_init(void);
enum failure ssh_open(const struct target *, const struct limits *,
	    struct progress *, struct ssh **, char **);
LIBSSH2_CHANNEL *ssh_channel(struct ssh *, unsigned int, int64_t,
	    enum wait *);
int	 ssh_exec(struct ssh *, LIBSSH2_CHANNEL *, const char *, int64_t,
	    enum wait *);
void	 ssh_channel_free(struct ssh *, LIBSSH2_CHANNEL *);
void	 ssh_close(struct ssh *);

#endif
