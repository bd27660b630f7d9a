#!/usr/bin/env python3
"""slowagent.py LISTEN AGENT DELAY: an ssh-agent socket at LISTEN that relays
to the agent at AGENT, holding each answer DELAY seconds (an agent whose
key asks for confirmation, as ssh-add -c does).  Test fixture; one client
at a time; ends when killed."""
import os
import socket
import sys
import time

listen, agent, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen)
srv.listen(4)
while True:
    cli, _ = srv.accept()
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(agent)
    try:
        while True:
            req = cli.recv(65536)
            if not req:
                break
            up.sendall(req)
            time.sleep(delay)
            up.settimeout(1)
            ans = b""
            try:
                while True:
                    part = up.recv(65536)
                    if not part:
                        break
                    ans += part
                    if len(ans) >= 4 and len(ans) >= 4 + int.from_bytes(ans[:4], "big"):
                        break
            except socket.timeout:
                pass
            cli.sendall(ans)
    except OSError:
        pass
    cli.close()
    up.close()
