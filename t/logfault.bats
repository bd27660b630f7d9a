#!/usr/bin/env bats
# Issue 12: nothing lost, nothing torn, nothing hidden. The log on a full
# disk (a 1 MiB tmpfs of the test's own: root only) and on /dev/full; a
# record cut by a failed write, terminated by the next run; remoteexe's own
# failures in syslog (a listener of the test's own, t/syslog.py, never the
# system's /dev/log); a lock directory that is not ours; random remote
# output decoded back byte for byte with remoteexe-report --output.

bats_require_minimum_version 1.5.0

load helper

setup_file() { fixture_setup; }
teardown_file() { fixture_teardown; }

# Keep the fixture's setup() under another name and extend it.
eval "helper_$(declare -f setup)"

setup() {
	helper_setup
	T=$BATS_TEST_TMPDIR
	lock_dir_of_test
	export REMOTEEXE_SYSLOG_SOCKET=$T/syslog.sock
	REPORT=${REMOTEEXE_REPORT:-$BATS_TEST_DIRNAME/../remoteexe-report}
	SMALL=
}

teardown() {
	local pid
	# our own background processes, by PID, while they are still our jobs
	for pid in $(cat "$T/bg.pids" 2>/dev/null); do
		jobs -rp | grep -qx "$pid" && kill "$pid" 2>/dev/null
	done
	# the small file system, whether the test passed or not
	if [ -n "$SMALL" ] && mountpoint -q "$SMALL"; then
		umount "$SMALL" 2>/dev/null || umount -l "$SMALL"
	fi
	return 0
}

# --- helpers -----------------------------------------------------------------

# A 4000-byte line; the job prints 1250 of them (5 MB). Records that long
# make it unlikely (1 in ~4000) that a full disk stops a write exactly
# between two records.
LINE=$(printf '%4000s' '' | tr ' ' a)
LINES=1250
PRINT="yes $LINE | head -n $LINES"

# small_fs: a 1 MiB tmpfs at $SMALL, unmounted by teardown.
small_fs() {
	[ "$(id -u)" = 0 ] || skip "mounting a tmpfs needs root"
	SMALL=$T/small
	mkdir "$SMALL"
	if ! mount -t tmpfs -o size=1m tmpfs "$SMALL" 2>"$T/mount.err"; then
		SMALL=
		skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
	fi
}

# fill_fs [KIB]: fill $SMALL but for KIB KiB (default: nothing left).
fill_fs() {
	if [ -n "${1:-}" ]; then
		head -c $(((1024 - $1) * 1024)) /dev/zero >"$SMALL/fill"
	else
		head -c 2M /dev/zero >"$SMALL/fill" 2>/dev/null || true
	fi
}

# first_pid FILE: the PID of the first START record of FILE.
first_pid() {
	sed -nE 's/^\[[^]]*\]\[([0-9]+)\] START,.*/\1/p' "$1" | head -n 1
}

# records_of PID [FILE]: the records of one run, without time and PID.
records_of() {
	sed -n "s/^\[[^]]*\]\[$1\] //p" "${2:-$LOG}"
}

# whole_lines PID FILE: the job's lines that made it whole into the log.
whole_lines() {
	grep -c "^\[[^]]*\]\[$1\] out,$LINE\$" "$2"
}

# lost_bytes PID N: the bytes of N of those lines' records.
lost_bytes() {
	echo $(($2 * (24 + ${#1} + 4 + ${#LINE} + 1)))
}

# fragment FILE: the bytes after the last newline of FILE (a record is
# shorter than 8 KiB here).
fragment() {
	[ "$(tail -c 1 "$1" | wc -l)" = 0 ] || return 0
	tail -c 8192 "$1" | awk 'END { printf "%s", $0 }'
}

# listen: a syslog listener on $REMOTEEXE_SYSLOG_SOCKET; messages go to
# $T/syslog, one a line.
listen() {
	: >"$T/syslog"
	python3 "$BATS_TEST_DIRNAME/syslog.py" "$REMOTEEXE_SYSLOG_SOCKET" \
		"$T/syslog" </dev/null 3>&- &
	echo $! >>"$T/bg.pids"
	wait_for 5 test -S "$REMOTEEXE_SYSLOG_SOCKET" ||
		fail "the syslog listener did not start"
}

# syslog_lines: what the listener got (waits a moment for the datagrams).
syslog_lines() {
	wait_for 2 test -s "$T/syslog" || true
	sleep 0.2
	cat "$T/syslog"
}

# syslog_re PID MESSAGE_RE: a message as glibc's syslog(3) sends it: LOG_CRON
# (9) with priority ERR (3), an RFC 3164 time, tag remoteexe, PID.
syslog_re() {
	printf '^<75>[A-Z][a-z]{2} [ 1-3][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} remoteexe\\[%s\\]: %s$' "$1" "$2"
}

# ere TEXT: TEXT as an extended regex matching itself.
ere() {
	printf '%s' "$1" | sed 's/[][\.*^$?+(){}|]/\\&/g'
}

# rx_pid ARGS...: rx with remoteexe's own PID known (timeout(1) would be
# its parent): sets RX_PID and RX_RC; stderr in $T/stderr. Killed after
# 60 s.
rx_pid() {
	local RX_OPTS i
	rx_opts
	"$REMOTEEXE" "${RX_OPTS[@]}" "$@" 2>"$T/stderr" 3>&- &
	RX_PID=$!
	echo "$RX_PID" >>"$T/bg.pids"
	for ((i = 0; i < 600; i++)); do
		kill -0 "$RX_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$RX_PID" 2>/dev/null; then
		kill -KILL "$RX_PID"
		fail "remoteexe $RX_PID still running after 60 s"
	fi
	RX_RC=0
	wait "$RX_PID" || RX_RC=$?
}

# tail_records PID FILE: the last 4 records of a run, the elapsed time of
# stats masked as S and END's params as ...
tail_records() {
	records_of "$1" "$2" | tail -n 4 |
		sed -e 's/^stats,elapsed=[0-9]*\.[0-9]*/stats,elapsed=S/' \
			-e 's/^END,\([0-9]*\),.*/END,\1,.../'
}

# job_params CMD: the job's params as syslog names them: at most 512 bytes.
job_params() {
	local p="127.0.0.1 $1"
	if [ "${#p}" -gt 512 ]; then
		p="${p:0:512}... [cut: the job is longer]"
	fi
	printf '%s' "$p"
}

# --- a full disk -------------------------------------------------------------

@test "a disk full before START: the command is not run, exit 11, stderr names the log" {
	small_fs
	fill_fs
	run --separate-stderr rx --log "$SMALL/log" 127.0.0.1 "touch $T/ran"
	assert_equal "$status" 11
	assert_file_not_exists "$T/ran"
	assert_equal "$stderr" "remoteexe: log $SMALL/log: cannot write START: No space left on device; not running the command"
	assert_equal "$(wc -c <"$SMALL/log")" 0
}

@test "/dev/full as the log: the command is not run, exit 11" {
	run --separate-stderr rx --log /dev/full 127.0.0.1 "touch $T/ran"
	assert_equal "$status" 11
	assert_file_not_exists "$T/ran"
	assert_equal "$stderr" "remoteexe: log /dev/full: cannot write START: No space left on device; not running the command"
}

@test "a disk full during a run: the job runs to its end, exit 11, stderr counts the records lost and gives the command's status" {
	local pid n
	small_fs
	fill_fs 100
	LOG=$SMALL/log
	rx_pid 127.0.0.1 "$PRINT; touch $T/done"
	assert_equal "$RX_RC" 11
	assert_file_exists "$T/done"
	pid=$(first_pid "$LOG")
	assert_equal "$pid" "$RX_PID"
	n=$((LINES - $(whole_lines "$pid" "$LOG")))
	assert_lt 0 "$n" "records lost"
	assert_equal "$(cat "$T/stderr")" "remoteexe: log $LOG: $n records ($(lost_bytes "$pid" "$n") bytes) of this run could not be written (No space left on device); the remote command exited 0"
}

@test "after a disk-full run the next run terminates the cut record: an error record saying so, then START" {
	local frag
	small_fs
	fill_fs 100
	LOG=$SMALL/log
	rx 127.0.0.1 "$PRINT" 2>/dev/null || true
	frag=$(fragment "$LOG")
	[ -n "$frag" ] || skip "the disk filled exactly at the end of a record: nothing was cut"
	rm "$SMALL/fill"
	rx_pid 127.0.0.1 true
	assert_equal "$RX_RC" 0
	assert_log_grammar
	run records_of "$RX_PID" "$LOG"
	assert_output "error,a previous record at the end of this file was cut (${#frag} bytes without a newline); terminated
START,-,127.0.0.1 true
command,$RX_USER@127.0.0.1:$SSHD_PORT true
$(records_of "$RX_PID" "$LOG" | grep '^stats,' | grep -E '^stats,elapsed=[0-9]+\.[0-9]{3} out=0 err=0 attempts=1 reason=exit$')
END,0,127.0.0.1 true"
	# the fragment stays, on a line of its own, just before
	assert_equal "$(grep -n -F -x -- "$frag" "$LOG" | cut -d: -f1)" \
		"$(( $(grep -n "^\[[^]]*\]\[$RX_PID\] error," "$LOG" | cut -d: -f1) - 1 ))"
}

# free_when_printed: a job that prints, then waits (at most 10 s) until
# the test has made room on the disk.
FREE_CMD="$PRINT; touch \$T/printed; i=0; while [ ! -e \$T/freed ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done; echo after"

# run_freed_midway FORMAT: run FREE_CMD with the disk full until the job
# has printed; sets RX_PID, RX_RC.
run_freed_midway() {
	local cmd=${FREE_CMD//\$T/$T}
	small_fs
	fill_fs 100
	LOG=$SMALL/log
	(wait_for 30 test -e "$T/printed"; rm -f "$SMALL/fill"; touch "$T/freed") \
		3>&- &
	echo $! >>"$T/bg.pids"
	rx_pid --format "$1" 127.0.0.1 "$cmd"
}

@test "space back during the run: the log ends with the loss in an error record, stats lost=N and END,11" {
	local n
	run_freed_midway text
	assert_equal "$RX_RC" 11
	assert_log_grammar
	n=$((LINES - $(whole_lines "$RX_PID" "$LOG")))
	assert_lt 0 "$n" "records lost"
	run tail_records "$RX_PID" "$LOG"
	assert_output "out,after
error,$n records ($(lost_bytes "$RX_PID" "$n") bytes) of this run could not be written (No space left on device); the remote command exited 0
stats,elapsed=S out=$((LINES * 4001 + 6)) err=0 attempts=1 reason=exit lost=$n
END,11,..."
}

@test "space back during the run: the run terminates its own cut record before it writes again" {
	local frag_line
	run_freed_midway text
	frag_line=$(grep -Evn "^\[[^]]*\]\[$RX_PID\] (out,$LINE|START,.*|command,.*|error,.*|out,after|stats,.*|END,.*)\$" "$LOG")
	[ -n "$frag_line" ] || skip "the disk filled exactly at the end of a record: nothing was cut"
	assert_equal "$(wc -l <<<"$frag_line")" 1
	sed -n "$(( ${frag_line%%:*} + 1 ))p" "$LOG" | grep -Eq "$CUT_RE" ||
		fail "no cut record error after line ${frag_line%%:*}"
	assert_equal "$(grep -Ec "$CUT_RE" "$LOG")" 1
}

@test "--format json: space back during the run: stats has lost as a number and the end record rc 11" {
	local n
	run_freed_midway json
	assert_equal "$RX_RC" 11
	# a cut line is not JSON: read the others
	n=$(jq -rR 'fromjson? | select(.kind == "stats") | .lost' "$LOG")
	assert_lt 0 "$n" "records lost"
	assert_equal "$(grep -c "\"kind\":\"out\",\"line\":\"$LINE\"" "$LOG")" $((LINES - n))
	run jq -cR 'fromjson? | select(.kind == "stats" or .kind == "end") |
		[.kind, .lost, .reason, .rc]' "$LOG"
	assert_output "[\"stats\",$n,\"exit\",null]
[\"end\",null,null,11]"
}

# --- a cut record at the end of the log --------------------------------------

@test "a log ending in a cut record: the next run adds a newline and an error record before START" {
	printf '[2026-12-01 14:38:45][11752] out,aaaa' >"$LOG"
	rx_pid 127.0.0.1 true
	assert_equal "$RX_RC" 0
	assert_log_grammar
	run records
	assert_output "out,aaaa
error,a previous record at the end of this file was cut (37 bytes without a newline); terminated
START,-,127.0.0.1 true
command,$RX_USER@127.0.0.1:$SSHD_PORT true
stats,elapsed=S out=0 err=0 attempts=1 reason=exit
END,0,127.0.0.1 true"
}

@test "a log that is nothing but a cut record is terminated too" {
	printf '[2026-12-' >"$LOG"
	rx 127.0.0.1 true
	assert_log_grammar
	assert_equal "$(sed -n 1p "$LOG")" "[2026-12-"
	assert_regex "$(sed -n 2p "$LOG")" "$CUT_RE"
	assert_regex "$(sed -n 2p "$LOG")" ' \(9 bytes without a newline\)'
}

@test "ten runs opening a log that ends in a cut record at once terminate it once" {
	printf '[2026-12-01 14:38:45][11752] out,aaaa' >"$LOG"
	rx_together 10 "echo run%d"
	assert_log_grammar
	assert_equal "$(grep -Ec "$CUT_RE" "$LOG")" 1
	assert_equal "$(grep -c '^$' "$LOG")" 0
	assert_equal "$(grep -c '\] END,0,' "$LOG")" 10
	assert_equal "$(sed -n 1p "$LOG")" "[2026-12-01 14:38:45][11752] out,aaaa"
	assert_regex "$(sed -n 2p "$LOG")" "$CUT_RE"
}

@test "--format json: a cut record is terminated with a JSON error record" {
	printf '{"time":"2026-12-01T14:38:45.123+00:00","pid":11752,"kind":"out","li' >"$LOG"
	rx --format json 127.0.0.1 true
	run jq -c . <(tail -n +2 "$LOG")
	assert_success
	run jq -r 'select(.kind == "error") | .line' <(tail -n +2 "$LOG")
	assert_output "a previous record at the end of this file was cut (68 bytes without a newline); terminated"
}

@test "a log whose cut record is longer than 64 KiB: the error record says so" {
	printf '[2026-12-01 14:38:45][11752] out,' >"$LOG"
	head -c 70000 /dev/zero | tr '\0' a >>"$LOG"
	rx 127.0.0.1 true
	assert_log_grammar
	assert_equal "$(sed -n 2p "$LOG" | sed 's/^\[[^]]*\]\[[0-9]*\] //')" \
		"error,a previous record at the end of this file was cut (more than 65536 bytes without a newline); terminated"
}

# --- syslog ------------------------------------------------------------------

@test "a refused log goes to syslog: LOG_CRON, tag remoteexe, the PID and the job's params" {
	listen
	ln -s "$T/elsewhere" "$LOG"
	rx_pid 127.0.0.1 "touch $T/ran"
	assert_equal "$RX_RC" 11
	assert_file_not_exists "$T/ran"
	assert_regex "$(syslog_lines)" "$(syslog_re "$RX_PID" \
		"$(ere "log $LOG: is a symbolic link, refused; not running the command (job: 127.0.0.1 touch $T/ran)")")"
}

@test "-q: a failure of remoteexe's own is still in syslog, not on stderr" {
	listen
	mkdir -m 755 "$XDG_RUNTIME_DIR/remoteexe"
	rx_pid -q --lock 127.0.0.1 "touch $T/ran"
	assert_equal "$RX_RC" 73
	assert_equal "$(cat "$T/stderr")" ""
	assert_regex "$(syslog_lines)" "$(syslog_re "$RX_PID" \
		"$(ere "lock directory $XDG_RUNTIME_DIR/remoteexe: mode 0755, open to other users (0700 wanted); not run (job: 127.0.0.1 touch $T/ran)")")"
}

@test "a usage error goes to syslog with all arguments as the params" {
	listen
	rx_pid --alive 2 127.0.0.1 true
	assert_equal "$RX_RC" 10
	assert_regex "$(syslog_lines)" "$(syslog_re "$RX_PID" \
		"$(ere "--alive 2: too small (3..86400) (job: ${RX_OPTS[*]} --alive 2 127.0.0.1 true)")")"
}

@test "an unusable ssh_config goes to syslog" {
	listen
	rx_pid -F "$T/no-such-config" 127.0.0.1 true
	assert_equal "$RX_RC" 10
	assert_equal "$(syslog_lines | wc -l)" 1
	assert_regex "$(syslog_lines)" "$(syslog_re "$RX_PID" \
		"$(ere "$(log_records error)") \\(job: 127\\.0\\.0\\.1 true\\)")"
}

@test "--lock: a job that is still running goes to syslog with exit 75" {
	local first
	listen
	rx --lock 127.0.0.1 "echo \$\$ >$T/lock.pid; sleep 3" 3>&- &
	first=$!
	echo "$first" >>"$T/bg.pids"
	wait_for 10 test -s "$T/lock.pid" || fail "never started: $(cat "$LOG")"
	rx_pid --lock 127.0.0.1 "echo \$\$ >$T/lock.pid; sleep 3"
	assert_equal "$RX_RC" 75
	assert_regex "$(syslog_lines)" "$(syslog_re "$RX_PID" \
		"the same job is still running as pid [0-9]+ .*; not run \\(job: .*\\)")"
	wait "$first"
}

@test "a disk full during a run goes to syslog: a warning at the first failed write, then the count" {
	local n
	small_fs
	fill_fs 100
	listen
	LOG=$SMALL/log
	rx_pid -q 127.0.0.1 "$PRINT"
	assert_equal "$RX_RC" 11
	n=$((LINES - $(whole_lines "$RX_PID" "$LOG")))
	run syslog_lines
	assert_equal "${#lines[@]}" 2
	assert_regex "${lines[0]}" "^<76>.* remoteexe\\[$RX_PID\\]: $(ere "log $LOG: No space left on device; the run goes on, and the records that cannot be written are counted (job: $(job_params "$PRINT"))")\$"
	assert_regex "${lines[1]}" "$(syslog_re "$RX_PID" \
		"$(ere "log $LOG: $n records ($(lost_bytes "$RX_PID" "$n") bytes) of this run could not be written (No space left on device); the remote command exited 0 (job: $(job_params "$PRINT"))")")"
}

@test "a syslog that does not read does not hold up the run" {
	local t0
	python3 "$BATS_TEST_DIRNAME/syslog.py" "$REMOTEEXE_SYSLOG_SOCKET" \
		"$T/syslog" --stuck </dev/null 3>&- &
	echo $! >>"$T/bg.pids"
	wait_for 5 test -e "$REMOTEEXE_SYSLOG_SOCKET.ready" ||
		fail "the stuck listener did not fill its queue"
	mkdir -m 755 "$XDG_RUNTIME_DIR/remoteexe"
	t0=$(now)
	rx_pid --lock 127.0.0.1 true
	assert_equal "$RX_RC" 73
	assert_lt "$(since "$t0")" 2 "elapsed"
}

@test "no syslog listening at all: the failure is on stderr and the run ends at once" {
	local t0
	mkdir -m 755 "$XDG_RUNTIME_DIR/remoteexe"
	t0=$(now)
	rx_pid --lock 127.0.0.1 true
	assert_equal "$RX_RC" 73
	assert_lt "$(since "$t0")" 2 "elapsed"
	assert_equal "$(cat "$T/stderr")" "remoteexe: lock directory $XDG_RUNTIME_DIR/remoteexe: mode 0755, open to other users (0700 wanted); not run"
}

# --- a lock directory that is not ours ---------------------------------------

# assert_lock_refused WHY: the run was refused with exit 73, stderr, the
# error record and syslog naming the lock directory and WHY; the command
# did not run.
assert_lock_refused() {
	local msg="lock directory $XDG_RUNTIME_DIR/remoteexe: $1; not run"
	assert_equal "$RX_RC" 73
	assert_file_not_exists "$T/ran"
	assert_equal "$(cat "$T/stderr")" "remoteexe: $msg"
	run records
	assert_output "START,-,127.0.0.1 touch $T/ran
command,$RX_USER@127.0.0.1:$SSHD_PORT touch $T/ran
error,$msg
stats,elapsed=S out=0 err=0 attempts=0 reason=lock
END,73,127.0.0.1 touch $T/ran"
	assert_regex "$(syslog_lines)" "$(syslog_re "$RX_PID" \
		"$(ere "$msg (job: 127.0.0.1 touch $T/ran)")")"
}

@test "--lock: a lock directory owned by another user: exit 73, naming its owner" {
	[ "$(id -u)" = 0 ] || skip "making a directory another user owns needs root"
	listen
	mkdir -m 700 "$XDG_RUNTIME_DIR/remoteexe"
	chown 65534 "$XDG_RUNTIME_DIR/remoteexe"
	rx_pid --lock 127.0.0.1 "touch $T/ran"
	assert_lock_refused "owned by uid 65534, not by us (uid 0)"
}

@test "--lock: a lock directory of mode 0755: exit 73, naming the mode" {
	listen
	mkdir -m 755 "$XDG_RUNTIME_DIR/remoteexe"
	rx_pid --lock 127.0.0.1 "touch $T/ran"
	assert_lock_refused "mode 0755, open to other users (0700 wanted)"
}

@test "--lock: a lock directory that is a symbolic link: exit 73, saying so" {
	listen
	mkdir -m 700 "$T/elsewhere"
	ln -s "$T/elsewhere" "$XDG_RUNTIME_DIR/remoteexe"
	rx_pid --lock 127.0.0.1 "touch $T/ran"
	assert_lock_refused "a symbolic link, not a directory of ours"
}

@test "--lock: a lock path that is a file: exit 73, not a directory" {
	listen
	: >"$XDG_RUNTIME_DIR/remoteexe"
	rx_pid --lock 127.0.0.1 "touch $T/ran"
	assert_lock_refused "not a directory"
}

# --- byte for byte -----------------------------------------------------------

# random_job FORMAT TAIL: 99999 random bytes and TAIL (\n or x) from the
# remote command's stdout, logged in FORMAT; the file is $T/data.
random_job() {
	head -c 99999 /dev/urandom >"$T/data"
	printf '%s' "$2" >>"$T/data"
	rx_pid --format "$1" 127.0.0.1 "cat $T/data"
	assert_equal "$RX_RC" 0
}

# assert_decodes_back [-e]: remoteexe-report --output gives $T/data back.
assert_decodes_back() {
	timeout 30 "$REPORT" --output "$RX_PID" "$@" "$LOG" >"$T/got" ||
		fail "remoteexe-report --output failed"
	assert_equal "$(sha256sum <"$T/got")" "$(sha256sum <"$T/data")"
}

@test "random bytes ending in a newline come back byte for byte from the text log" {
	random_job text $'\n'
	assert_regex "$(log_records stats)" ' reason=exit$'
	assert_decodes_back
}

@test "random bytes without a final newline come back byte for byte from the text log (noeol=out)" {
	random_job text x
	assert_regex "$(log_records stats)" ' reason=exit noeol=out$'
	assert_decodes_back
}

@test "random bytes ending in a newline come back byte for byte from the JSON log" {
	random_job json $'\n'
	assert_equal "$(jq -r 'select(.kind == "stats") | .noeol' "$LOG")" null
	assert_decodes_back
}

@test "random bytes without a final newline come back byte for byte from the JSON log (noeol out)" {
	random_job json x
	assert_equal "$(jq -r 'select(.kind == "stats") | .noeol' "$LOG")" out
	assert_decodes_back
}

@test "random bytes on stderr without a final newline come back byte for byte from the JSON log (noeol err)" {
	head -c 99999 /dev/urandom >"$T/data"
	printf x >>"$T/data"
	rx_pid --format json 127.0.0.1 "cat $T/data >&2"
	assert_equal "$RX_RC" 0
	assert_equal "$(jq -r 'select(.kind == "stats") | .noeol' "$LOG")" err
	assert_decodes_back -e
}
