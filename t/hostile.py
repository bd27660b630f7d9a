#!/usr/bin/python3
"""An SSH server that misbehaves on purpose, for t/hostile.bats (issue 15).

    hostile.py --mode MODE --host-key FILE --authorized-key FILE \\
        --port-file FILE [--log FILE] [--lifetime SECS] [--connections N]

It listens on 127.0.0.1 only, on a free port it writes to --port-file (the
file appears whole: written aside, then renamed), serves --connections
connections and exits, or exits anyway after --lifetime seconds, so nothing
outlives a test.  It accepts the one public key in --authorized-key
(publickey only) and proves itself with the ed25519 --host-key, so a test
can list it in known_hosts as [127.0.0.1]:PORT.

A command is run for real, as sshd runs it (the user's shell, "-c", in a
session of its own, so the shell's $$ is its process group) and its output
is forwarded honestly.  The first exec of a connection then gets the
misbehaviour of --mode; any later one (remoteexe's kill script on its
second channel) is served honestly.  Every packet a mode crafts itself is
logged to --log as it goes out, so a test can tell what the server did.

Modes (what the first exec gets after the command has run):
  honest            exit-status, EOF, CLOSE: the control case
  ext-other         12 bytes of extended data of type 2, then an honest end
  ext-flood         64 MiB of type 2 within the window, then an honest end
  data-after-close  an honest end, then CHANNEL_DATA: the first piece in
                    the same TCP segment as the CLOSE, four more in 1 s
  window-ignore     64 MiB of stdout past the window (the window and 1 MiB
                    before the exec reply), then an honest end
  big-packet        one CHANNEL_DATA of 35000 bytes, then an honest end
  no-exit           EOF and CLOSE, no exit-status, no exit-signal
  empty-signal      an exit-signal with an empty name, EOF, CLOSE
  exit-256          exit-status 256, EOF, CLOSE
  exit-big          exit-status 0x80000000, EOF, CLOSE
  exit-twice        exit-status 7, 0.2 s later exit-status 0, EOF, CLOSE
  silent            runs nothing, sends nothing, never closes
and, before any SSH, instead of the version string:
  banner-trickle    a pre-banner line every 50 ms, without end
  banner-flood      pre-banner lines as fast as the client takes them

Debian's python3-paramiko lives in /usr/bin/python3's path only.
"""

import argparse
import base64
import logging
import os
import pwd
import signal
import socket
import subprocess
import sys
import threading
import time

import paramiko
from paramiko.common import (MSG_CHANNEL_REQUEST, cMSG_CHANNEL_DATA,
                             cMSG_CHANNEL_EXTENDED_DATA, cMSG_CHANNEL_REQUEST)
from paramiko.message import Message

# What libssh2 1.10 offers, so that every run negotiates the same.
KEX = ("curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
       "diffie-hellman-group14-sha256")
CIPHERS = ("aes128-ctr",)
MACS = ("hmac-sha2-256",)
HOST_KEY_TYPES = ("ssh-ed25519",)

MIB = 1024 * 1024
# A window-honouring sender waits at most this long for the window to open.
STALL_SECS = 10

T0 = time.monotonic()
LOG = sys.stderr
LOG_LOCK = threading.Lock()
CHILDREN = set()
CHILDREN_LOCK = threading.Lock()
ACTS = []


def log(fmt, *args):
    with LOG_LOCK:
        LOG.write("%7.3f %s\n" % (time.monotonic() - T0, fmt % args))
        LOG.flush()


class Gone(Exception):
    """The client went away while the server was still sending."""


class Conduct:
    """The server's side of one session channel: the command run for real,
    honest endings, and the packets a misbehaving server crafts itself."""

    def __init__(self, chan, command):
        self.chan = chan
        self.command = command
        self.transport = chan.get_transport()
        self.ignored = 0  # bytes sent past the window before the reply
        chan.settimeout(STALL_SECS)

    # --- packets, crafted: no window, no packet size, no state ---------

    def _message(self, code):
        m = Message()
        m.add_byte(code)
        m.add_int(self.chan.remote_chanid)
        return m

    def _send(self, m):
        if not self.transport.is_active():
            raise Gone()
        self.transport._send_user_message(m)

    def data(self, payload):
        """CHANNEL_DATA straight to the transport, past paramiko's window
        and maximum packet accounting."""
        m = self._message(cMSG_CHANNEL_DATA)
        m.add_string(payload)
        self._send(m)

    def request(self, name, *fields):
        m = self._message(cMSG_CHANNEL_REQUEST)
        m.add_string(name)
        m.add_boolean(False)
        for f in fields:
            m.add(f)
        self._send(m)
        log("sent CHANNEL_REQUEST %s %r", name, fields)

    def exit_status(self, status):
        # add() would pick a 64-bit mpint for an int over 2^31: always uint32
        m = self._message(cMSG_CHANNEL_REQUEST)
        m.add_string("exit-status")
        m.add_boolean(False)
        m.add_int(status)
        self._send(m)
        log("sent CHANNEL_REQUEST exit-status %d", status)

    def exit_signal(self, name):
        self.request("exit-signal", name, False, "", "")

    # --- packets the honest way: paramiko's window accounting ----------

    def extended(self, code, payload):
        """Extended data of type CODE within the client's window (a server
        that waits for window adjusts, as a real one does)."""
        sent = 0
        view = memoryview(payload)
        while sent < len(payload):
            m = self._message(cMSG_CHANNEL_EXTENDED_DATA)
            m.add_int(code)
            try:
                n = self.chan._send(view[sent:sent + MIB], m)
            except socket.timeout:
                log("stalled: the client's window stayed shut for %d s "
                    "after %d bytes of extended data type %d",
                    STALL_SECS, sent, code)
                raise Gone()
            if n == 0:
                raise Gone()
            sent += n
        return sent

    def close(self):
        """EOF, then CLOSE (paramiko marks the channel closed, so it does
        not close it a second time when the client answers)."""
        self.chan.close()
        log("sent CHANNEL_EOF, CHANNEL_CLOSE")

    def finish(self, rc):
        """End as sshd does: exit-status or exit-signal, EOF, CLOSE."""
        if rc < 0:
            self.exit_signal(signal.Signals(-rc).name[3:])
        else:
            self.exit_status(rc)
        self.close()

    # --- the command ---------------------------------------------------

    def run(self):
        """Run the command as sshd would and forward its output within the
        window; return its status (minus the signal number if killed)."""
        user = pwd.getpwuid(os.getuid())
        shell = user.pw_shell if os.access(user.pw_shell, os.X_OK) \
            else "/bin/sh"
        proc = subprocess.Popen([shell, "-c", self.command],
                                stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                start_new_session=True)
        with CHILDREN_LOCK:
            CHILDREN.add(proc.pid)
        threading.Thread(target=self._input, args=(proc.stdin,),
                         daemon=True).start()
        pumps = [threading.Thread(target=self._forward, args=a, daemon=True)
                 for a in ((proc.stdout, self.chan.sendall),
                           (proc.stderr, self.chan.sendall_stderr))]
        for p in pumps:
            p.start()
        for p in pumps:
            p.join()
        rc = proc.wait()
        with CHILDREN_LOCK:
            CHILDREN.discard(proc.pid)
        log("command %r ended: %d", self.command, rc)
        return rc

    def _input(self, pipe):
        """The channel's data to the command's stdin, as sshd does; EOF
        from the client closes it."""
        try:
            while True:
                chunk = self.chan.recv(65536)
                if not chunk:
                    break
                pipe.write(chunk)
                pipe.flush()
        except (OSError, EOFError, ValueError):
            pass
        try:
            pipe.close()
        except OSError:
            pass

    def _forward(self, pipe, send):
        # after a failed send keep reading, so the command is not blocked
        ok = True
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                break
            if ok:
                try:
                    send(chunk)
                except (OSError, EOFError):
                    ok = False
        pipe.close()


# --- the modes: what the first exec of a connection gets -----------------


def mode_honest(c):
    """A well-behaved server: the control case."""
    c.finish(c.run())


def mode_ext_other(c):
    """12 bytes of extended data of type 2 (not stderr), then a normal end."""
    rc = c.run()
    n = c.extended(2, b"type 2 data\n")
    log("sent %d bytes of CHANNEL_EXTENDED_DATA type 2", n)
    c.finish(rc)


def mode_ext_flood(c):
    """64 MiB of extended data of type 2 within the window, then a normal
    end: a client that does not read type 2 never reopens its window."""
    rc = c.run()
    n = c.extended(2, b"\0" * (64 * MIB))
    log("sent %d bytes of CHANNEL_EXTENDED_DATA type 2", n)
    c.finish(rc)


def mode_data_after_close(c):
    """A normal end, then CHANNEL_DATA after CHANNEL_CLOSE: the first piece
    in the same TCP segment as the end (TCP_CORK), so the client reads the
    two together; more pieces over the next second."""
    rc = c.run()
    sock = c.transport.sock
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    try:
        c.finish(rc)
        c.data(b"late 0\n")
        log("sent CHANNEL_DATA 'late 0' after CLOSE, same segment")
    finally:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)
    for i in range(1, 5):
        time.sleep(0.25)
        c.data(b"late %d\n" % i)
        log("sent CHANNEL_DATA 'late %d' after CLOSE", i)


def window_burst(c):
    """Before the exec reply, CHANNEL_DATA worth the client's whole window
    and 1 MiB more: the client is waiting for the reply and reads no
    channel data, so it cannot have opened its window meanwhile."""
    window = c.chan.out_window_size
    size = min(c.chan.out_max_packet_size, 32768)
    line = b"w" * (size - 1) + b"\n"
    sent = 0
    while sent < window + MIB:
        c.data(line)
        sent += len(line)
    c.ignored = sent
    log("sent %d bytes of CHANNEL_DATA before the exec reply, window %d",
        sent, window)


def mode_window_ignore(c):
    """64 MiB of stdout in all, never waiting for the client's window: the
    burst before the exec reply, the rest after it."""
    rc = c.run()
    size = min(c.chan.out_max_packet_size, 32768)
    line = b"w" * (size - 1) + b"\n"
    sent = c.ignored
    while sent < 64 * MIB:
        c.data(line)
        sent += len(line)
    log("sent %d bytes of CHANNEL_DATA ignoring the window", sent)
    c.finish(rc)


mode_window_ignore.before_reply = window_burst


def mode_big_packet(c):
    """One CHANNEL_DATA of 35000 bytes: over the 32768 maximum packet the
    client announced, under libssh2's 40000-byte transport limit."""
    rc = c.run()
    c.data(b"b" * 34999 + b"\n")
    log("sent one CHANNEL_DATA of 35000 bytes, client's maximum %d",
        c.chan.out_max_packet_size)
    c.finish(rc)


def mode_no_exit(c):
    """Output, then EOF and CLOSE: no exit-status, no exit-signal."""
    c.run()
    c.close()


EXECS_REFUSED = 0


def mode_exec_refuse(c):
    """The first exec request of the whole run is refused (CHANNEL_FAILURE,
    see check_channel_exec_request); the next ones are served honestly."""
    mode_honest(c)


def mode_no_exit_raw(c):
    """No command at all (as a server that runs nothing of ours): output,
    then EOF and CLOSE with no exit-status and no exit-signal."""
    c.data(b"hello\n")
    c.close()


def mode_empty_signal_raw(c):
    """No command at all: an exit-signal with an empty name, then CLOSE."""
    c.exit_signal("")
    c.close()


def mode_empty_signal(c):
    """An exit-signal whose signal name is empty."""
    c.run()
    c.exit_signal("")
    c.close()


def mode_exit_256(c):
    c.run()
    c.exit_status(256)
    c.close()


def mode_exit_big(c):
    c.run()
    c.exit_status(0x80000000)
    c.close()


def mode_exit_twice(c):
    """exit-status 7, then exit-status 0 a moment later (libssh2 1.10
    keeps the last one only: a client sees both only if they come apart)."""
    c.run()
    c.exit_status(7)
    time.sleep(0.2)
    c.exit_status(0)
    c.close()


def mode_silent(c):
    """Accept the exec, run nothing, send nothing, never close; paramiko
    still answers global requests (keepalives), as a hung server does."""
    log("silent: sending nothing on channel %d", c.chan.get_id())


# --- the modes before SSH: lines before the version string ---------------


def banner_lines(sock, batch, pause):
    """Pre-banner lines (RFC 4253 4.2 allows them), never a version
    string, until the client goes away."""
    n = 0
    try:
        while True:
            sock.sendall(b"".join(b"pre-banner line %d\r\n" % (n + i)
                                  for i in range(batch)))
            n += batch
            if pause:
                time.sleep(pause)
    except OSError as e:
        log("client gone after %d pre-banner lines: %s", n, e)


def banner_trickle(sock):
    banner_lines(sock, 1, 0.05)


def banner_flood(sock):
    banner_lines(sock, 2048, 0)


def banner_long(sock):
    """Pre-banner lines of 8000 bytes (under OpenSSH's 8192 limit), as
    fast as the client takes them: a client reading a byte per recv(2)
    takes seconds to reach a cap of 1024 lines."""
    n = 0
    line = b"l" * 7998 + b"\r\n"
    try:
        while True:
            sock.sendall(line * 16)
            n += 16
    except OSError as e:
        log("client gone after %d long pre-banner lines: %s", n, e)


BANNER_MODES = {"banner-trickle": banner_trickle,
                "banner-flood": banner_flood,
                "banner-long": banner_long}

MODES = {name[5:].replace("_", "-"): f for name, f in list(globals().items())
         if name.startswith("mode_")}


# --- SSH: authentication, channels, exec ----------------------------------


class Server(paramiko.ServerInterface):

    def __init__(self, authorized, mode):
        self.authorized = authorized
        self.mode = mode
        self.execs = 0
        self.pending = {}

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        ok = (key.get_name(), key.asbytes()) == self.authorized
        log("publickey %s for %s: %s", key.get_name(), username,
            "accepted" if ok else "refused")
        return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        log("channel open %s %d", kind, chanid)
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_global_request(self, kind, msg):
        log("global request %s: refused (answered)", kind)
        return False

    def check_channel_exec_request(self, chan, command):
        global EXECS_REFUSED
        command = command.decode("utf-8", "replace")
        if self.mode is mode_exec_refuse and EXECS_REFUSED == 0:
            EXECS_REFUSED += 1
            log("refused exec on channel %d: %r", chan.get_id(), command)
            return False
        self.execs += 1
        mode = self.mode if self.execs == 1 else mode_honest
        log("exec %d on channel %d (%s): %r", self.execs, chan.get_id(),
            mode.__name__[5:], command)
        c = Conduct(chan, command)
        before = getattr(mode, "before_reply", None)
        if before is not None:
            before(c)
        self.pending[chan.get_id()] = lambda: act(mode, c)
        return True


def act(mode, c):
    try:
        mode(c)
        log("%s: done", mode.__name__[5:])
    except (Gone, OSError, EOFError, paramiko.SSHException) as e:
        log("%s: client gone: %r", mode.__name__[5:], e)


def act_after_reply():
    """paramiko answers a channel request after check_channel_*_request
    returns: start the mode only once the exec reply is on the wire, so
    that what it sends follows the reply, as it would from sshd.  (The
    transport dispatches through its own table of Channel methods.)"""
    table = paramiko.Transport._channel_handler_table
    handle = table[MSG_CHANNEL_REQUEST]

    def handle_then_act(chan, m):
        handle(chan, m)
        server = chan.transport.server_object
        start = server.pending.pop(chan.get_id(), None) if server else None
        if start is not None:
            th = threading.Thread(target=start, daemon=True)
            ACTS.append(th)
            th.start()

    table[MSG_CHANNEL_REQUEST] = handle_then_act


AGREED = ("Kex:", "HostKey:", "Cipher:", "MAC:")


class ParamikoLog(logging.Handler):
    """What was agreed (kex, cipher, MAC) and paramiko's own complaints."""

    def emit(self, record):
        text = record.getMessage()
        if record.levelno >= logging.WARNING or text.startswith(AGREED):
            log("paramiko: %s", text.splitlines()[0])


def read_authorized(path):
    with open(path) as f:
        fields = f.read().split()
    return fields[0], base64.b64decode(fields[1])


def serve_ssh(conn, args, host_key, authorized):
    t = paramiko.Transport(conn)
    opts = t.get_security_options()
    opts.kex, opts.ciphers, opts.digests = KEX, CIPHERS, MACS
    opts.key_types = HOST_KEY_TYPES
    t.add_server_key(host_key)
    try:
        t.start_server(server=Server(authorized, MODES[args.mode]))
    except (paramiko.SSHException, EOFError, OSError) as e:
        log("handshake failed: %r", e)
        return
    t.join()
    log("connection closed")


def serve(conn, args, host_key, authorized):
    log("connection from %s:%d", *conn.getpeername()[:2])
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.mode in BANNER_MODES:
        BANNER_MODES[args.mode](conn)
    else:
        serve_ssh(conn, args, host_key, authorized)
    conn.close()


# --- the process: bounded, loopback only ----------------------------------


def stop(why, status):
    """Kill what the commands left (their process groups), then exit."""
    log("exit: %s", why)
    with CHILDREN_LOCK:
        for pid in CHILDREN:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
    os._exit(status)


def listen(port_file, mode):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(port_file + ".tmp", port_file)
    log("listening on 127.0.0.1:%d, mode %s", s.getsockname()[1], mode)
    return s


def parse_args():
    p = argparse.ArgumentParser(description="a misbehaving SSH server")
    p.add_argument("--mode", required=True,
                   choices=sorted(list(MODES) + list(BANNER_MODES)))
    p.add_argument("--host-key", required=True)
    p.add_argument("--authorized-key", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--lifetime", type=int, default=60)
    p.add_argument("--connections", type=int, default=1)
    return p.parse_args()


def main():
    global LOG
    args = parse_args()
    if args.log:
        LOG = open(args.log, "a")
    host_key = paramiko.Ed25519Key.from_private_key_file(args.host_key)
    authorized = read_authorized(args.authorized_key)
    act_after_reply()
    plog = logging.getLogger("paramiko")
    plog.setLevel(logging.DEBUG)
    plog.addHandler(ParamikoLog())
    signal.signal(signal.SIGTERM, lambda s, f: stop("SIGTERM", 143))
    timer = threading.Timer(args.lifetime, stop,
                            ("lifetime of %d s over" % args.lifetime, 3))
    timer.daemon = True
    timer.start()
    s = listen(args.port_file, args.mode)
    threads = []
    for _ in range(args.connections):
        conn, _ = s.accept()
        th = threading.Thread(target=serve, daemon=True,
                              args=(conn, args, host_key, authorized))
        th.start()
        threads.append(th)
    s.close()
    for th in threads:
        while th.is_alive():
            th.join(0.5)
    # a mode still logging what it sent to a client that has gone
    for th in ACTS:
        th.join(2)
    stop("served %d connections" % args.connections, 0)


if __name__ == "__main__":
    main()
