#!/usr/bin/env bats
# Issue 15: a broken or hostile server can neither hang remoteexe nor make
# it lie.
#
# The server is t/hostile.py (paramiko, 127.0.0.1 only, one misbehaviour
# per --mode, its own lifetime): it runs each command for real, as sshd
# does, then misbehaves at the protocol level and logs every packet it
# crafts to $T/hostile.log (its standard error). It uses the fixture's
# host and client keys; the fixture's sshd is not used. Every run is
# bounded: a run still going after its bound is a hang and fails the test.

bats_require_minimum_version 1.5.0

load helper

# Debian's python3-paramiko is importable by the system python only.
HOSTILE_PYTHON=${HOSTILE_PYTHON:-/usr/bin/python3}

setup_file() { fixture_setup; }
teardown_file() { fixture_teardown; }

teardown() {
	# the server first: TERM lets it kill what its commands left
	if our_job "${HOSTILE_PID:-}"; then
		kill -TERM "$HOSTILE_PID" 2>/dev/null
		wait_for 2 eval "! kill -0 $HOSTILE_PID 2>/dev/null"
	fi
	kill_job "${HOSTILE_PID:-}"
	kill_job "${RX_PID:-}"
	return 0
}

# our_job PID: PID is still a running background job of this test (a
# reaped PID may be reused).
our_job() { [ -n "$1" ] && jobs -rp | grep -qx "$1"; }

# kill_job PID: SIGKILL to a background job of this test and to what it
# started (remoteexe below timeout(1)), by PID.
kill_job() {
	local child
	our_job "$1" || return 0
	disown "$1"	# no "Killed" notice in the test's output
	for child in $(ps -o pid= --ppid "$1"); do
		kill -KILL "$child" 2>/dev/null
	done
	kill -KILL "$1" 2>/dev/null
}

# --- helpers ---------------------------------------------------------------

# hostile MODE [CONNECTIONS]: start t/hostile.py in MODE; rx_run then talks to it
# (SSHD_PORT, and RX_KNOWN holding its host key as [127.0.0.1]:PORT).
# Everything of the test lives in T, its own temp dir.
hostile() {
	T=$BATS_TEST_TMPDIR
	"$HOSTILE_PYTHON" "$BATS_TEST_DIRNAME/hostile.py" --mode "$1" \
		--host-key "$FIX/host_ed25519" \
		--authorized-key "$FIX/authorized_keys" \
		--port-file "$T/hostile.port" --lifetime 60 \
		--connections "${2:-1}" \
		</dev/null >/dev/null 2>"$T/hostile.log" 3>&- &
	HOSTILE_PID=$!
	wait_for 10 test -s "$T/hostile.port" ||
		fail "hostile.py would not start: $(cat "$T/hostile.log")"
	# shellcheck disable=SC2034  # read by rx_opts
	SSHD_PORT=$(cat "$T/hostile.port")
	known_hosts_line "$FIX/host_ed25519.pub" >"$T/known_hosts"
	# shellcheck disable=SC2034  # read by rx_opts
	RX_KNOWN=$T/known_hosts
}

# rx_start ARGS...: remoteexe in the background with every signal at its
# default disposition, under timeout(1) (RX_TIMEOUT, default 60 s: a
# safety net should the test itself be cut short; timeout passes SIGTERM
# on and exits with remoteexe's status); stdout and stderr go to
# $T/rx.out and $T/rx.err. Sets RX_PID (timeout's) and T0.
rx_start() {
	local RX_OPTS
	rx_opts
	T0=$(now)
	env --default-signal timeout -s KILL "${RX_TIMEOUT:-60}" \
		"$REMOTEEXE" "${RX_OPTS[@]}" "$@" \
		>"$T/rx.out" 2>"$T/rx.err" 3>&- &
	RX_PID=$!
}

# rx_end SECS: wait at most SECS (since rx_start) for remoteexe to end;
# a run still going then is a hang: the test fails (teardown kills it).
# Sets RC (its exit status) and EL (the seconds it took).
rx_end() {
	local until
	until=$(awk -v t="$T0" -v s="$1" 'BEGIN { printf "%.3f", t + s }')
	while kill -0 "$RX_PID" 2>/dev/null &&
		awk -v u="$until" -v n="$(now)" 'BEGIN { exit !(n < u) }'; do
		sleep 0.1
	done
	kill -0 "$RX_PID" 2>/dev/null &&
		fail "hang: remoteexe still running after $1 s; log: $(cat "$LOG"); server: $(tail -n 5 "$T/hostile.log")"
	RC=0
	wait "$RX_PID" || RC=$?
	EL=$(since "$T0")
}

# rx_run SECS ARGS...: rx_start ARGS, then rx_end SECS.
rx_run() {
	local secs=$1
	shift
	rx_start "$@"
	rx_end "$secs"
}

# assert_end RC PARAMS: the log is well-formed, its last record is END,RC
# and remoteexe's exit status was RC too.
assert_end() {
	assert_log_grammar
	assert_equal "$(last_record)" "END,$1,$2"
	assert_equal "$RC" "$1"
}

# assert_error ERE: some error record matches ERE (the wording is free).
assert_error() {
	log_records error | grep -Eqi -- "$1" ||
		fail "no error record matching /$1/; errors: $(log_records error)"
}

# server_sent ERE: hostile.py logged that it did this.
server_sent() {
	grep -Eq -- "$1" "$T/hostile.log" ||
		fail "hostile.py did not log /$1/: $(cat "$T/hostile.log")"
}

# refute_stop_claim: stderr does not claim the group was stopped.
refute_stop_claim() {
	! grep -Eqi 'told to stop|group [0-9]* *stopped' "$T/rx.err" ||
		fail "stderr claims a stop: $(cat "$T/rx.err")"
}

# --- the fixture itself ------------------------------------------------------

@test "hostile.py serving honestly: a run logs the command's output and ends with its status" {
	hostile honest
	rx_run 15 127.0.0.1 'echo hello; echo oops >&2; exit 3'
	assert_equal "$(log_records out)" "hello"
	assert_equal "$(log_records err)" "oops"
	assert_regex "$(log_records stats)" ' out=6 err=5 attempts=1 reason=exit$'
	assert_end 3 "127.0.0.1 echo hello; echo oops >&2; exit 3"
	server_sent 'sent CHANNEL_REQUEST exit-status 3$'
}

# --- hangs ---------------------------------------------------------------------

@test "12 bytes of extended data of type 2 are dropped and counted in an error record; the run ends with the real status 0" {
	hostile ext-other
	rx_run 15 127.0.0.1 'echo hello'
	server_sent 'sent 12 bytes of CHANNEL_EXTENDED_DATA type 2'
	assert_equal "$(log_records out)" "hello"
	refute [ -n "$(log_records err)" ]
	assert_error 'extended.*(^|[^0-9])12([^0-9]|$)|(^|[^0-9])12([^0-9].*)?extended'
	assert_regex "$(log_records stats)" ' out=6 err=0 attempts=1 reason=exit$'
	assert_end 0 "127.0.0.1 echo hello"
}

@test "64 MiB of extended data of type 2 keep the window moving: the server sends them all and the run ends with status 0" {
	hostile ext-flood
	rx_run 20 127.0.0.1 'echo hello'
	server_sent 'sent 67108864 bytes of CHANNEL_EXTENDED_DATA type 2'
	assert_equal "$(log_records out)" "hello"
	assert_error 'extended'
	assert_regex "$(log_records stats)" ' out=6 err=0 attempts=1 reason=exit$'
	assert_end 0 "127.0.0.1 echo hello"
}

@test "pre-banner lines flooding in without end: the try ends at once after 1024 lines, as OpenSSH, exit 255" {
	hostile banner-flood
	rx_run 15 --connect-timeout 5 --retries 0 127.0.0.1 true
	assert_lt "$EL" 3 "elapsed"
	assert_regex "$(log_records stats)" ' out=0 err=0 attempts=1 reason=ssh:[a-z]+$'
	assert_error 'more than 1024 lines .*before the server.s version'
	assert_end 255 "127.0.0.1 true"
}

@test "long pre-banner lines flooding in: --connect-timeout 5 ends the try within about 5 s, exit 255" {
	hostile banner-long
	rx_run 15 --connect-timeout 5 --retries 0 127.0.0.1 true
	assert_lt "$EL" 7 "elapsed"
	assert_regex "$(log_records stats)" ' out=0 err=0 attempts=1 reason=ssh:[a-z]+$'
	assert [ -n "$(log_records error)" ]
	assert_end 255 "127.0.0.1 true"
}

@test "pre-banner lines trickling in without end: --connect-timeout 5 ends the try in about 5 s, exit 255" {
	hostile banner-trickle
	rx_run 15 --connect-timeout 5 --retries 0 127.0.0.1 true
	# one line per 50 ms: no cap on lines is reached before the deadline
	assert_lt 4.9 "$EL" "elapsed"
	assert_lt "$EL" 7 "elapsed"
	assert_regex "$(log_records stats)" ' out=0 err=0 attempts=1 reason=ssh:[a-z]+$'
	assert [ -n "$(log_records error)" ]
	assert_end 255 "127.0.0.1 true"
}

# sigterm_in_banner MODE: SIGTERM 1 s into MODE's pre-banner lines.
sigterm_in_banner() {
	local t1
	hostile "$1"
	rx_start --connect-timeout 30 --retries 0 127.0.0.1 true
	wait_for 5 grep -q 'connection from' "$T/hostile.log" ||
		fail "remoteexe never connected: $(cat "$T/hostile.log")"
	sleep 1
	t1=$(now)
	kill -TERM "$RX_PID"
	rx_end 15
	assert_lt "$(since "$t1")" 2 "seconds from SIGTERM to the end"
	assert_regex "$(log_records stats)" ' attempts=1 reason=stopped:TERM$'
	assert_end 143 "127.0.0.1 true"
}

@test "SIGTERM while the server floods long pre-banner lines ends the run at once with END,143" {
	sigterm_in_banner banner-long
}

@test "SIGTERM while the server trickles pre-banner lines ends the run at once with END,143" {
	sigterm_in_banner banner-trickle
}

# assert_data_after_close_end: the run ended on the exit status and close;
# it may or may not have seen the data that came after the close, but if it
# says 0 it delivered none of it, and if it saw it, it says so.
assert_data_after_close_end() {
	server_sent "sent CHANNEL_DATA 'late 0' after CLOSE"
	case $RC in
	0)	assert_equal "$(log_records out)" "hello"
		assert_regex "$(log_records stats)" ' reason=exit$' ;;
	255)	assert_error 'close' ;;
	*)	fail "exit $RC: neither the status 0 the server sent nor 255" ;;
	esac
	assert_end "$RC" "127.0.0.1 echo hello"
}

@test "CHANNEL_DATA after CHANNEL_CLOSE does not hang the run: it ends at once, 0 or a protocol error" {
	hostile data-after-close
	rx_run 15 127.0.0.1 'echo hello'
	assert_lt "$EL" 5 "elapsed"
	assert_data_after_close_end
}

@test "CHANNEL_DATA after CHANNEL_CLOSE with --timeout 5: the run ends before the timeout and claims no stop" {
	hostile data-after-close
	rx_run 20 --timeout 5 127.0.0.1 'echo hello'
	refute_stop_claim
	assert_lt "$EL" 5 "elapsed"
	refute grep -q 'reason=timeout' "$LOG"
	assert_data_after_close_end
}

# --- lies ----------------------------------------------------------------------

@test "a server that ignores the client's window: an error record about the window, exit 255, never 0" {
	hostile window-ignore
	rx_run 30 127.0.0.1 true
	server_sent 'before the exec reply, window 524288$'
	server_sent 'sent 67108864 bytes of CHANNEL_DATA ignoring the window'
	assert_end 255 "127.0.0.1 true"
	assert_error 'window'
}

@test "one CHANNEL_DATA of 35000 bytes, over the 32768 maximum packet: an error record about the packet size, exit 255" {
	hostile big-packet
	rx_run 15 127.0.0.1 true
	server_sent 'sent one CHANNEL_DATA of 35000 bytes, client.s maximum 32768'
	assert_end 255 "127.0.0.1 true"
	assert_error 'packet'
}

# libssh2 1.10 cannot tell "exit status 0" from "no exit status" (nor an
# empty signal name from none): the supervisor's own report is what counts.
@test "no exit-status from the server: the supervisor's report gives the command's real status, never a guess" {
	hostile no-exit
	rx_run 15 127.0.0.1 'echo hello; exit 3'
	assert_equal "$(log_records out)" "hello"
	assert_regex "$(log_records stats)" ' reason=exit$'
	assert_end 3 "127.0.0.1 echo hello; exit 3"
}

@test "no exit-status and no supervisor report (nothing of ours ran): exit 255, reason=ssh:noexit" {
	hostile no-exit-raw
	rx_run 15 127.0.0.1 'echo hello'
	assert_equal "$(log_records out)" "hello"
	assert_regex "$(log_records stats)" ' reason=ssh:noexit$'
	assert_error 'exit.status'
	assert_end 255 "127.0.0.1 echo hello"
}

@test "an exit-signal with an empty name: the supervisor's report gives the real status" {
	hostile empty-signal
	rx_run 15 127.0.0.1 'exit 4'
	server_sent "sent CHANNEL_REQUEST exit-signal \\(''"
	assert_regex "$(log_records stats)" ' reason=exit$'
	assert_end 4 "127.0.0.1 exit 4"
}

@test "an exit-signal with an empty name and nothing of ours ran: exit 255, never 0" {
	hostile empty-signal-raw
	rx_run 15 127.0.0.1 true
	assert_regex "$(log_records stats)" ' reason=ssh:noexit$'
	assert_error 'exit.status'
	assert_end 255 "127.0.0.1 true"
}

@test "exit-status 256 is out of range: an error record naming it, exit 255 and END,255" {
	hostile exit-256
	rx_run 15 127.0.0.1 true
	server_sent 'sent CHANNEL_REQUEST exit-status 256$'
	assert_end 255 "127.0.0.1 true"
	assert_error 'exit.status.*256|256.*exit.status'
}

@test "exit-status 0x80000000 is out of range: an error record naming it, exit 255 and END,255" {
	hostile exit-big
	rx_run 15 127.0.0.1 true
	server_sent 'sent CHANNEL_REQUEST exit-status 2147483648$'
	assert_end 255 "127.0.0.1 true"
	assert_error 'exit.status.*(2147483648|0x80000000)|(2147483648|0x80000000).*exit.status'
}

@test "two exit statuses, 7 then 0: an error record about the exit status, exit 255, never 0" {
	hostile exit-twice
	rx_run 15 127.0.0.1 true
	server_sent 'exit-status 7$'
	server_sent 'exit-status 0$'
	assert_end 255 "127.0.0.1 true"
	assert_error 'exit.status'
}

@test "a silent server and --timeout 5 before any marker: exit 124, and stderr, the error record and the reason say cannot or unconfirmed" {
	hostile silent
	rx_run 30 --timeout 5 --connect-timeout 5 127.0.0.1 true
	server_sent 'silent: sending nothing'
	grep -Eqi 'cannot|unconfirmed' "$T/rx.err" ||
		fail "stderr: $(cat "$T/rx.err")"
	refute_stop_claim
	assert_error 'cannot|unconfirmed'
	assert_regex "$(log_records stats)" ' reason=[a-z:]*(cannot|unconfirmed)[a-z:]*$'
	assert_end 124 "127.0.0.1 true"
}

# --- the man page ------------------------------------------------------------

# retries_sentences: the RETRIES section of the man page as rendered, one
# sentence per line.
retries_sentences() {
	mandoc -Tascii "$BATS_TEST_DIRNAME/../man/remoteexe.1" |
		sed 's/.\x08//g' |
		awk '/^RETRIES$/ { on = 1; next } on && /^[A-Z][A-Z ]*$/ { exit }
			on' |
		tr -s ' \n' '  ' | sed 's/\. /.\n/g'
}

@test "an exec request the server refuses is retried, as RETRIES says, and the command then runs once" {
	hostile exec-refuse 2
	rx_run 30 --retries 1 127.0.0.1 'echo ran'
	server_sent 'refused exec'
	assert_regex "$(log_records retry)" '^1,.*exec: .*; next attempt in [0-9.]+ s$'
	assert_equal "$(log_records out)" "ran"
	assert_regex "$(log_records stats)" ' attempts=2 reason=exit$'
	assert_end 0 "127.0.0.1 echo ran"
	retries_sentences | grep -q 'an exec request the server refuses' ||
		fail "RETRIES does not say a refused exec request is retried"
}

@test "the man page's RETRIES section says an unanswered exec request is not retried" {
	retries_sentences | grep -q 'An exec request the server does not answer in time is not retried' ||
		fail "RETRIES: $(retries_sentences)"
}
