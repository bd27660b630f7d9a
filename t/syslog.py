#!/usr/bin/env python3
"""t/syslog.py SOCKET OUT [--stuck]: a syslog daemon for the tests.

Binds an AF_UNIX datagram socket at SOCKET (a path in the test's own
directory: never the system's /dev/log) and appends each message it
receives to OUT as one line. With --stuck it never reads, like a syslog
daemon that hangs: it fills its own queue until a send would block, then
creates SOCKET.ready and waits. Either way it ends after 60 seconds, or on
SIGTERM (the test stops it by its PID)."""
import os
import signal
import socket
import sys


def fill(path):
    """Send to our own socket until its queue is full."""
    c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.setblocking(False)
    for _ in range(100000):
        try:
            c.sendto(b"<78>filler", path)
        except BlockingIOError:
            return True
    return False


def main():
    path, out = sys.argv[1], sys.argv[2]
    stuck = sys.argv[3:] == ["--stuck"]
    signal.alarm(60)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    if stuck:
        if not fill(path):
            sys.exit("syslog.py: the queue never filled")
        open(path + ".ready", "w").close()
        signal.pause()
        return
    with open(out, "ab", buffering=0) as f:
        while True:
            msg = s.recv(65536)
            f.write(msg.replace(b"\n", b"\\n") + b"\n")


if __name__ == "__main__":
    main()
