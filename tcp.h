/*
 * TCP to a host, every address in turn, each bounded on its own.
 */
#ifndef TCP_H
#define TCP_H

#include <stdint.h>

#include "failure.h"

struct target;

/*
 * Resolve t->host and connect to t->port: a non-blocking socket in *fd.
 * secs bounds the lookup and each address; *deadline becomes the bound of
 * what follows on the address that answered.
 */
enum failure	 tcp_connect(const struct target *, int, int *, int64_t *,
		    char **);

#endif
