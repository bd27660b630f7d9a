/*
 * What host key algorithms does the server offer?  libssh2 does not say why
 * a key exchange failed, so after LIBSSH2_ERROR_KEX_FAILURE a fresh
 * connection reads the server's KEXINIT (RFC 4253 7.1) to tell the user.
 */
#ifndef KEXPROBE_H
#define KEXPROBE_H

#include <stddef.h>
#include <stdint.h>

enum kexprobe {
	KP_OK,
	KP_TIMEOUT,	/* the deadline passed */
	KP_WAKE,	/* wakefd became readable: a signal to act on */
	KP_ERROR	/* the server said or sent something else; see err */
};

/*
 * On fd, a connected non-blocking TCP socket nothing was sent on yet:
 * exchange version strings, skip the lines a server may send before its
 * version (at most as many as OpenSSH takes), read the server's first
 * binary packet, and put the server_host_key_algorithms name-list of its
 * KEXINIT in algs.  deadline is in ms on CLOCK_MONOTONIC (session.c's
 * now_ms()); 0 means 10 s from now.  wakefd (-1: none) ends the wait when
 * readable.  Bounded in bytes and time whatever the server sends; the
 * caller closes fd.
 */
enum kexprobe kexprobe(int fd, int64_t deadline, int wakefd, char *algs,
	    size_t algslen, char *err, size_t errlen);

#endif
