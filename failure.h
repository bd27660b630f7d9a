/*
 * How an SSH step can fail; run.c maps each to an exit status and reason.
 */
#ifndef FAILURE_H
#define FAILURE_H

enum failure {
	FAIL_NONE,
	FAIL_RESOLVE,
	FAIL_CONNECT,		/* refused, reset, unreachable, timeout */
	FAIL_HANDSHAKE,		/* banner, key exchange: retryable */
	FAIL_HOSTKEY,
	FAIL_AUTH,
	FAIL_EXEC,		/* the server refused the exec request */
	FAIL_LOST,		/* after the command may have been sent */
	FAIL_NOEXIT,		/* the command's exit status is not known */
	FAIL_PROTOCOL,		/* the server broke the protocol */
	FAIL_STOPPED		/* a stop signal arrived */
};

#endif
