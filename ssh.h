/*
 * SSH on a connected socket: handshake, host key, authentication; then
 * channels on it; then teardown.
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
enum failure ssh_start(const struct target *, const struct limits *,
	    struct progress *, int, int64_t, struct ssh **, char **);
LIBSSH2_CHANNEL *ssh_direct(struct ssh *, const char *, int, int64_t,
	    enum wait *);
LIBSSH2_CHANNEL *ssh_channel(struct ssh *, unsigned int, int64_t,
	    enum wait *);
int	 ssh_exec(struct ssh *, LIBSSH2_CHANNEL *, const char *, int64_t,
	    enum wait *);
void	 ssh_channel_free(struct ssh *, LIBSSH2_CHANNEL *);
void	 ssh_close(struct ssh *);

#endif
