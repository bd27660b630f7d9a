#!/usr/bin/env bats
# Issue 4: never hang, never orphan, never lose an END.
#
# Dead and hostile servers (a tarpit, a closed port, MaxStartups drops, a
# stopped or killed sshd), --timeout, our own signals, --lock, SIGUSR1 and
# --splay. The remote host is this machine, so every remote command writes
# its $$ (the remote process group, see the design notes) to a *.pgid file
# under $T: the tests check that group is gone, and teardown kills what is
# left of it by that number, never by name.

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
}

teardown() {
	local pid pgid f
	# sshd processes we stopped: continue them, then kill them.
	for pid in $(cat "$T/stopped.pids" 2>/dev/null); do
		kill -CONT "$pid" 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	# Our own background processes (remoteexe, the tarpit), by PID, and
	# only while they are still our jobs (a reaped PID may be reused).
	for pid in $(cat "$T/bg.pids" 2>/dev/null); do
		jobs -rp | grep -qx "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	# Remote process groups still holding one of this test's commands.
	for f in "$T"/*.pgid; do
		[ -f "$f" ] || continue
		pgid=$(cat "$f")
		[[ $pgid =~ ^[0-9]+$ ]] || continue
		if ps -eo pgid=,args= | awk -v g="$pgid" '$1 == g' |
			grep -qE "$T|sleep 300[0-9]"; then
			kill -KILL -- "-$pgid" 2>/dev/null
		fi
	done
	# A second sshd started by this test.
	for pid in $(cat "$T/sshd.pids" 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	return 0
}

# --- helpers ---------------------------------------------------------------

# rxt SECS ARGS...: rx, killed (status 137) if it runs longer than SECS.
rxt() {
	local secs=$1 RX_OPTS
	shift
	rx_opts
	timeout --preserve-status -s KILL "$secs" "$REMOTEEXE" \
		"${RX_OPTS[@]}" "$@"
}

# rx_bg NAME ARGS...: rx in the background with every signal at its default
# disposition (bash makes background jobs ignore SIGINT); stdout and stderr
# go to $T/NAME.out and $T/NAME.err. Sets RX_PID, remoteexe's own PID.
rx_bg() {
	local name=$1 RX_OPTS
	shift
	rx_opts
	env --default-signal "$REMOTEEXE" "${RX_OPTS[@]}" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" 3>&- 5>&- &
	RX_PID=$!
	echo "$RX_PID" >>"$T/bg.pids"
}

# rx_wait PID SECS: wait at most SECS for PID to end; sets RX_RC.
rx_wait() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null &&
		fail "remoteexe $pid still running after $2 s"
	RX_RC=0
	wait "$pid" || RX_RC=$?
}

# log_has ERE: some line of $LOG matches.
log_has() { grep -Eq "$1" "$LOG"; }

# records_of PID: the records of one run, without time and PID.
records_of() {
	sed -n "s/^\[[^]]*\]\[$1\] //p" "$LOG"
}

# kinds [PID]: the record kinds of the log (of one run), space-separated.
kinds() {
	sed -nE "s/^\[[^]]*\]\[${1:-[0-9]+}\] ([^,]+),.*/\1/p" "$LOG" |
		paste -sd' '
}

# second_sshd [EXTRA LINE...]: a second sshd in its own dir, for tests that
# stop, kill or starve it; rx and rx_bg then talk to it.
second_sshd() {
	local dir=$T/sshd2
	mkdir -p "$dir"
	cp "$FIX/host_ed25519" "$FIX/host_ed25519.pub" "$FIX/authorized_keys" \
		"$dir/"
	sshd_launch "$dir" "$@" || fail "second sshd would not start"
	echo "$SSHD_PID" >>"$T/sshd.pids"
	known_hosts_line "$dir/host_ed25519.pub" >"$dir/known_hosts"
	RX_KNOWN=$dir/known_hosts
}

# sshd_session_pids LISTENER: the per-connection sshd processes below the
# listener (found by parent PID, never by name alone).
sshd_session_pids() {
	ps -eo pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END {
			for (p in parent) {
				if (comm[p] != "sshd")
					continue
				q = parent[p]
				while (q != root && q in parent)
					q = parent[q]
				if (q == root)
					print p
			}
		}'
}

# hold_startup_slot: connect to sshd on fd 5 and stay silent, so that with
# "MaxStartups 1:100:1" every other connection is dropped. sshd greets a
# connection it keeps (a dropped one, e.g. while sshd_launch's probe is still
# counted, just sees EOF).
hold_startup_slot() {
	local i banner
	for i in $(seq 1 20); do
		exec 5<>"/dev/tcp/127.0.0.1/$SSHD_PORT"
		banner=
		read -r -t 3 -u 5 banner || true
		[[ $banner == SSH-2.0-* ]] && return 0
		exec 5>&-
		sleep 0.2
	done
	fail "sshd never kept a startup slot for us"
}

# start_tarpit: a listener that accepts and never speaks; sets TARPIT_PORT.
start_tarpit() {
	perl -MIO::Socket::INET -e '
		alarm 120;
		my $s = IO::Socket::INET->new(Listen => 16, ReuseAddr => 1,
		    LocalAddr => "127.0.0.1", LocalPort => 0) or die "listen: $!";
		open(my $f, ">", "$ARGV[0].tmp") or die "$ARGV[0]: $!";
		print $f $s->sockport, "\n";
		close $f;
		rename("$ARGV[0].tmp", $ARGV[0]) or die;
		my @held;
		while (my $c = $s->accept) { push @held, $c }
	' "$T/tarpit.port" </dev/null >/dev/null 2>&1 3>&- &
	echo $! >>"$T/bg.pids"
	wait_for 5 test -s "$T/tarpit.port" || fail "tarpit would not start"
	TARPIT_PORT=$(cat "$T/tarpit.port")
}

# --- dead servers ----------------------------------------------------------

# run_tarpit CONNECT_TIMEOUT RETRIES: start_tarpit, then run remoteexe
# against it with those options; EL is the seconds the run took.
run_tarpit() {
	local t0
	start_tarpit
	t0=$(now)
	SSHD_PORT=$TARPIT_PORT run rxt 30 --connect-timeout "$1" --retries "$2" \
		127.0.0.1 true
	EL=$(since "$t0")
}

@test "a server that accepts and never speaks fails after --connect-timeout with exit 255" {
	run_tarpit 2 0
	assert_equal "$status" 255
	assert_lt "$EL" 4 "elapsed"
	assert_lt 1.9 "$EL" "elapsed"
}

@test "a handshake timeout is logged as an error about the timeout, reason=ssh:connect, END,255" {
	run_tarpit 1 0
	assert_equal "$status" 255
	assert_log_grammar
	assert_equal "$(kinds)" "START command error stats END"
	assert_regex "$(log_records error)" "port $TARPIT_PORT: .*timed out"
	assert_regex "$(log_records stats)" \
		'^elapsed=[0-9]+\.[0-9]{3} out=0 err=0 attempts=1 reason=ssh:connect$'
	assert_equal "$(last_record)" "END,255,127.0.0.1 true"
}

@test "a handshake timeout is retried like a refused connection" {
	run_tarpit 1 1
	assert_equal "$status" 255
	assert_equal "$(kinds)" "START command retry error stats END"
	assert_regex "$(log_records retry)" \
		"^1,.*port $TARPIT_PORT: .*timed out; next attempt in [0-9]+\.[0-9]{3} s$"
	assert_regex "$(log_records stats)" ' attempts=2 reason=ssh:connect$'
	assert_equal "$(last_record)" "END,255,127.0.0.1 true"
	# two 1 s attempts and one backoff
	assert_lt "$EL" 10 "elapsed"
}

@test "a refused connection with --retries 2 logs retry,1 and retry,2, then END,255 after 3 attempts" {
	local port
	port=$(closed_port)
	SSHD_PORT=$port run rxt 60 --retries 2 127.0.0.1 true
	assert_equal "$status" 255
	assert_log_grammar
	assert_equal "$(kinds)" "START command retry retry error stats END"
	run log_records retry
	assert_equal "${#lines[@]}" 2
	assert_regex "${lines[0]}" \
		"^1,.*port $port: connect: Connection refused; next attempt in [0-9]+\.[0-9]{3} s$"
	assert_regex "${lines[1]}" \
		"^2,.*port $port: connect: Connection refused; next attempt in [0-9]+\.[0-9]{3} s$"
	assert_regex "$(log_records error)" "^127\.0\.0\.1.*$port: connect: Connection refused$"
	assert_regex "$(log_records stats)" \
		'^elapsed=[0-9]+\.[0-9]{3} out=0 err=0 attempts=3 reason=ssh:connect$'
	assert_equal "$(last_record)" "END,255,127.0.0.1 true"
}

@test "connections dropped by sshd MaxStartups are retried and every job runs exactly once" {
	second_sshd "MaxStartups 1:100:1"
	local i pid pids=() n
	hold_startup_slot
	for i in 1 2 3; do
		rx_bg "job$i" --retries 8 --connect-timeout 5 127.0.0.1 \
			"echo job$i >>$T/side"
		pids+=("$RX_PID")
	done
	# Let each run be dropped at least once, then free the slot.
	for pid in "${pids[@]}"; do
		wait_for 20 log_has "^\[[^]]*\]\[$pid\] retry,1," ||
			fail "run $pid was never dropped: $(cat "$LOG")"
	done
	exec 5>&-
	for pid in "${pids[@]}"; do
		rx_wait "$pid" 90
		assert_equal "$RX_RC" 0
		assert_regex "$(kinds "$pid")" '^START command (retry )+stats END$'
	done
	assert_log_grammar
	n=$(grep -c '\] END,0,' "$LOG")
	assert_equal "$n" 3
	assert_equal "$(sort "$T/side" | paste -sd' ')" "job1 job2 job3"
}

@test "an sshd that stops answering is declared dead after --alive: exit 255, reason=ssh:lost, END,255" {
	second_sshd
	local pids t0 el cmd="echo started; echo \$\$ >$T/alive.pgid; sleep 3003"
	rx_bg alive --alive 3 127.0.0.1 "$cmd"
	wait_for 10 log_has '\] out,started$' || fail "never started: $(cat "$LOG")"
	pids=$(sshd_session_pids "$SSHD_PID")
	[ -n "$pids" ] || fail "no per-connection sshd below $SSHD_PID"
	echo $pids >>"$T/stopped.pids"
	t0=$(now)
	kill -STOP $pids
	rx_wait "$RX_PID" 20
	el=$(since "$t0")
	assert_equal "$RX_RC" 255
	assert_lt "$el" 10 "elapsed after SIGSTOP"
	assert_log_grammar
	refute log_has '\] retry,'
	assert_regex "$(log_records error)" 'no data from the server for 3 s; the remote side stops the command when its lease runs out'
	assert_regex "$(log_records stats)" ' out=8 err=0 attempts=1 reason=ssh:lost$'
	assert_equal "$(last_record)" "END,255,127.0.0.1 $cmd"
}

@test "an sshd killed after the command started: exit 255, no retry, the command ran once" {
	second_sshd
	local pids cmd="echo \$\$ >$T/killed.pgid; echo ran >>$T/side; sleep 3005"
	rx_bg killed --retries 3 127.0.0.1 "$cmd"
	wait_for 10 test -s "$T/killed.pgid" || fail "never started: $(cat "$LOG")"
	pids=$(sshd_session_pids "$SSHD_PID")
	[ -n "$pids" ] || fail "no per-connection sshd below $SSHD_PID"
	kill -KILL $pids
	rx_wait "$RX_PID" 20
	assert_equal "$RX_RC" 255
	assert_log_grammar
	refute log_has '\] retry,'
	assert_equal "$(grep -c '\] command,' "$LOG")" 1
	assert_regex "$(log_records stats)" ' attempts=1 reason=ssh:lost$'
	assert_equal "$(last_record)" "END,255,127.0.0.1 $cmd"
	assert_equal "$(cat "$T/side")" "ran"
}

# --- --timeout ---------------------------------------------------------------

@test "--timeout 2 kills the remote process group: exit 124 in about 2 s, reason=timeout, END,124" {
	local t0 el cmd="echo \$\$ >$T/to.pgid; sleep 3001"
	t0=$(now)
	run --separate-stderr rxt 30 --timeout 2 --kill-grace 1 127.0.0.1 "$cmd"
	el=$(since "$t0")
	assert_equal "$status" 124
	assert_lt "$el" 6 "elapsed"
	assert_lt 1.9 "$el" "elapsed"
	assert_equal "${#stderr_lines[@]}" 1
	assert_log_grammar
	assert_regex "$(log_records error)" "^timeout after 2 s; .*group $(cat "$T/to.pgid")"
	assert_regex "$(log_records stats)" \
		'^elapsed=[0-9]+\.[0-9]{3} out=0 err=0 attempts=1 reason=timeout$'
	assert_equal "$(last_record)" "END,124,127.0.0.1 $cmd"
	assert_group_gone "$T/to.pgid"
}

@test "--timeout stops the group when the remote shell is dash (POSIX kill syntax)" {
	local cmd="echo \$\$ >$T/dash.pgid; sleep 3006"
	# every command, the kill script included, runs under dash
	second_sshd 'ForceCommand /bin/dash -c "$SSH_ORIGINAL_COMMAND"'
	run --separate-stderr rxt 30 --timeout 2 --kill-grace 1 127.0.0.1 "$cmd"
	assert_equal "$status" 124
	assert_equal "$(log_records error)" \
		"timeout after 2 s; stopping remote process group $(cat "$T/dash.pgid")"
	assert_group_gone "$T/dash.pgid"
}

@test "--timeout: a remote command that ignores TERM is killed after --kill-grace" {
	local t0 el cmd="trap '' TERM; echo \$\$ >$T/grace.pgid; sleep 3007"
	t0=$(now)
	run rxt 30 --timeout 1 --kill-grace 2 127.0.0.1 "$cmd"
	el=$(since "$t0")
	assert_equal "$status" 124
	assert_lt 2.9 "$el" "elapsed: the grace was not waited"
	assert_lt "$el" 6 "elapsed"
	assert_regex "$(log_records stats)" ' reason=timeout$'
	assert_equal "$(last_record)" "END,124,127.0.0.1 $cmd"
	assert_group_gone "$T/grace.pgid"
}

# --- our own signals -----------------------------------------------------------

# stop_trap_job SIG: run a remote script with a TERM trap, send SIG to
# remoteexe once the script is running, wait for remoteexe to end.
stop_trap_job() {
	TRAP_CMD="trap 'echo trapped; echo trapped >$T/trapped; exit 7' TERM; echo \$\$ >$T/trap.pgid; sleep 3002 & wait"
	rx_bg trap 127.0.0.1 "$TRAP_CMD"
	wait_for 10 test -s "$T/trap.pgid" || fail "never started: $(cat "$LOG")"
	kill -"$1" "$RX_PID"
	rx_wait "$RX_PID" 15
}

@test "SIGTERM: the remote command's TERM trap runs and its output is logged" {
	stop_trap_job TERM
	assert_equal "$(cat "$T/trapped")" "trapped"
	assert_equal "$(log_records out)" "trapped"
}

# assert_stopped_by SIG RC: after stop_trap_job SIG, remoteexe exited RC
# and logged signal,SIG, reason=stopped:SIG and END,RC last; the remote TERM
# trap ran and the remote process group is gone.
assert_stopped_by() {
	assert_equal "$RX_RC" "$2"
	assert_log_grammar
	assert_equal "$(log_records signal)" "$1"
	assert_regex "$(log_records stats)" " reason=stopped:$1\$"
	assert_equal "$(last_record)" "END,$2,127.0.0.1 $TRAP_CMD"
	assert_equal "$(cat "$T/trapped")" "trapped"
	assert_group_gone "$T/trap.pgid"
}

@test "SIGTERM: signal,TERM, reason=stopped:TERM, END,143, exit 143, remote group gone" {
	stop_trap_job TERM
	assert_stopped_by TERM 143
	assert_regex "$(log_records stats)" ' attempts=1 reason=stopped:TERM$'
	assert_regex "$(tail -n 1 "$LOG")" "^\[[^]]*\]\[$RX_PID\] END,143,"
	assert_equal "$(wc -l <"$T/trap.err")" 1
}

@test "SIGINT: signal,INT, reason=stopped:INT, END,130, exit 130, remote group gone" {
	stop_trap_job INT
	assert_stopped_by INT 130
}

@test "SIGHUP: signal,HUP, reason=stopped:HUP, END,129, exit 129, remote group gone" {
	stop_trap_job HUP
	assert_stopped_by HUP 129
}

# start_ignoring_term NAME GRACE SECS: a background run (rx_bg NAME) whose
# remote shell ignores TERM and sleeps SECS; sets the caller's cmd and waits
# for the remote pgid in $T/NAME.pgid.
start_ignoring_term() {
	cmd="trap '' TERM; echo \$\$ >$T/$1.pgid; sleep $3"
	rx_bg "$1" --kill-grace "$2" 127.0.0.1 "$cmd"
	wait_for 10 test -s "$T/$1.pgid" || fail "never started: $(cat "$LOG")"
}

@test "SIGTERM: a remote command that ignores TERM is killed after --kill-grace" {
	local t0 el cmd
	start_ignoring_term ignore 2 3008
	t0=$(now)
	kill -TERM "$RX_PID"
	rx_wait "$RX_PID" 15
	el=$(since "$t0")
	assert_equal "$RX_RC" 143
	assert_lt 1.9 "$el" "elapsed: the grace was not waited"
	assert_lt "$el" 5 "elapsed"
	assert_equal "$(last_record)" "END,143,127.0.0.1 $cmd"
	assert_group_gone "$T/ignore.pgid"
}

@test "a second SIGTERM while stopping still ends with END,143 and the group killed" {
	local t0 el cmd
	start_ignoring_term twice 3 3004
	t0=$(now)
	kill -TERM "$RX_PID"
	wait_for 5 log_has '\] signal,TERM$' || fail "no signal,TERM: $(cat "$LOG")"
	sleep 0.3
	kill -TERM "$RX_PID"
	rx_wait "$RX_PID" 15
	el=$(since "$t0")
	assert_equal "$RX_RC" 143
	assert_lt "$el" 7 "elapsed after the first TERM"
	assert_log_grammar
	assert_equal "$(grep -c '\] END,' "$LOG")" 1
	assert_equal "$(last_record)" "END,143,127.0.0.1 $cmd"
	# remoteexe may leave early; its remote kill script still ends the
	# group once the 3 s grace is over
	assert_group_gone "$T/twice.pgid" 6
}

@test "SIGTERM during the --splay wait ends with END,143 and the command never runs" {
	local t0 el cmd="echo ran >$T/splayed"
	t0=$(now)
	rx_bg splay --splay 600 127.0.0.1 "$cmd"
	wait_for 5 log_has '\] START,' || fail "no START: $(cat "$LOG")"
	kill -TERM "$RX_PID"
	rx_wait "$RX_PID" 10
	el=$(since "$t0")
	assert_equal "$RX_RC" 143
	assert_lt "$el" 4 "elapsed"
	assert_log_grammar
	assert_equal "$(kinds)" "START command signal stats END"
	assert_regex "$(log_records stats)" ' attempts=0 reason=stopped:TERM$'
	assert_equal "$(last_record)" "END,143,127.0.0.1 $cmd"
	assert_file_not_exists "$T/splayed"
}

@test "SIGTERM while connecting to a server that never speaks ends at once with END,143" {
	start_tarpit
	local t0 el
	SSHD_PORT=$TARPIT_PORT rx_bg connecting --connect-timeout 30 \
		127.0.0.1 true
	wait_for 5 log_has '\] START,' || fail "no START: $(cat "$LOG")"
	sleep 0.3
	t0=$(now)
	kill -TERM "$RX_PID"
	rx_wait "$RX_PID" 10
	el=$(since "$t0")
	assert_equal "$RX_RC" 143
	assert_lt "$el" 2 "elapsed after SIGTERM"
	assert_log_grammar
	assert_equal "$(kinds)" "START command signal stats END"
	assert_regex "$(log_records stats)" ' attempts=1 reason=stopped:TERM$'
	assert_equal "$(last_record)" "END,143,127.0.0.1 true"
}

@test "a remote command silent for longer than --alive is not declared dead" {
	run rxt 30 --alive 3 127.0.0.1 "sleep 7; echo awake"
	assert_equal "$status" 0
	assert_equal "$(log_records out)" "awake"
	assert_regex "$(log_records stats)" ' attempts=1 reason=exit$'
	assert_equal "$(last_record)" "END,0,127.0.0.1 sleep 7; echo awake"
}

@test "--alive below 3 seconds is a usage error" {
	run rxt 30 --alive 2 127.0.0.1 true
	assert_equal "$status" 10
	assert_equal "$(last_record)" "END,10,-F none -p $SSHD_PORT -i $RX_KEY --known-hosts $RX_KNOWN --log $LOG --alive 2 127.0.0.1 true"
}

@test "SIGUSR1 logs a state record with phase=running and the run goes on to END,0" {
	local pgid cmd="echo \$\$ >$T/usr1.pgid; echo hello; sleep 2; echo done"
	rx_bg usr1 127.0.0.1 "$cmd"
	wait_for 10 log_has '\] out,hello$' || fail "never started: $(cat "$LOG")"
	pgid=$(cat "$T/usr1.pgid")
	kill -USR1 "$RX_PID"
	wait_for 5 log_has '\] state,' || fail "no state record: $(cat "$LOG")"
	rx_wait "$RX_PID" 15
	assert_equal "$RX_RC" 0
	assert_log_grammar
	assert_regex "$(log_records state)" \
		"^phase=running elapsed=[0-9]+\.[0-9]{3} out=6 err=0 pgid=$pgid attempt=1$"
	assert_equal "$(log_records out | paste -sd' ')" "hello done"
	assert_equal "$(last_record)" "END,0,127.0.0.1 $cmd"
}

# --- --lock ------------------------------------------------------------------

@test "--lock: a run of a job that is still running exits 75, naming the running PID, reason=lock, END,75" {
	local first second cmd="echo \$\$ >$T/lock.pgid; sleep 3"
	rx_bg first --lock 127.0.0.1 "$cmd"
	first=$RX_PID
	wait_for 10 test -s "$T/lock.pgid" || fail "never started: $(cat "$LOG")"
	run --separate-stderr rxt 20 --lock 127.0.0.1 "$cmd"
	assert_equal "$status" 75
	assert_equal "${#stderr_lines[@]}" 1
	assert_log_grammar
	second=$(sed -nE 's/^\[[^]]*\]\[([0-9]+)\] START,.*/\1/p' "$LOG" |
		grep -vx "$first")
	assert_equal "$(kinds "$second")" "START command error stats END"
	assert_regex "$(records_of "$second" | grep '^error,')" \
		"[^0-9]$first([^0-9]|$)"
	assert_regex "$(records_of "$second" | grep '^stats,')" \
		' attempts=0 reason=lock$'
	assert_equal "$(records_of "$second" | tail -n 1)" "END,75,127.0.0.1 $cmd"
	rx_wait "$first" 15
	assert_equal "$RX_RC" 0
}

@test "--lock: once the first run has ended, the same job runs again" {
	local cmd="mkdir $T/once 2>/dev/null || exit 0; sleep 2"
	rx_bg first --lock 127.0.0.1 "$cmd"
	wait_for 10 test -d "$T/once" || fail "never started: $(cat "$LOG")"
	rx_wait "$RX_PID" 15
	assert_equal "$RX_RC" 0
	run rxt 20 --lock 127.0.0.1 "$cmd"
	assert_equal "$status" 0
	assert_equal "$(grep -c '\] END,0,' "$LOG")" 2
}

@test "--lock: a lock left behind by a run killed with SIGKILL does not block" {
	local cmd="mkdir $T/once 2>/dev/null || exit 0; echo \$\$ >$T/crash.pgid; sleep 3006"
	rx_bg crashed --lock 127.0.0.1 "$cmd"
	wait_for 10 test -s "$T/crash.pgid" || fail "never started: $(cat "$LOG")"
	kill -KILL "$RX_PID"
	rx_wait "$RX_PID" 5
	run rxt 20 --lock 127.0.0.1 "$cmd"
	assert_equal "$status" 0
	assert_equal "$(last_record)" "END,0,127.0.0.1 $cmd"
}

@test "--lock does not block a different command on the same host" {
	rx_bg first --lock 127.0.0.1 "echo \$\$ >$T/other.pgid; sleep 2"
	wait_for 10 test -s "$T/other.pgid" || fail "never started: $(cat "$LOG")"
	run rxt 20 --lock 127.0.0.1 "echo other"
	assert_equal "$status" 0
	rx_wait "$RX_PID" 15
	assert_equal "$RX_RC" 0
}

@test "--lock keeps its lock files in \$XDG_RUNTIME_DIR/remoteexe, mode 0700" {
	run rxt 20 --lock 127.0.0.1 true
	assert_equal "$status" 0
	assert_dir_exists "$XDG_RUNTIME_DIR/remoteexe"
	assert_equal "$(stat -c %a "$XDG_RUNTIME_DIR/remoteexe")" 700
}

# --- --splay -------------------------------------------------------------------

# splay_delays SEC CMD...: each CMD's --splay delay, one per line, in the
# order given: the elapsed time of a run against a closed port, where no
# connection time blurs it.  The runs go at once.
splay_delays() {
	local sec=$1 port c i=0 pids=()
	shift
	port=$(closed_port)
	for c in "$@"; do
		i=$((i + 1))
		timeout 30 "$REMOTEEXE" -F none -i "$RX_KEY" \
			--known-hosts "$RX_KNOWN" -q -p "$port" --retries 0 \
			--splay "$sec" --log "$T/splay.$i.log" 127.0.0.1 "$c" 3>&- &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	for ((i = 1; i <= $#; i++)); do
		sed -n 's/.*\] stats,elapsed=\([0-9.]*\) .*/\1/p' "$T/splay.$i.log"
	done
}

@test "--splay: the same job waits the same delay every time" {
	local a b
	splay_delays 3 "echo same" "echo same" >"$T/times"
	{ read -r a; read -r b; } <"$T/times"
	[ -n "$a" ] && [ -n "$b" ] || fail "no stats: $(cat "$T"/splay.*.log)"
	awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; exit !(d < 0.2 && d > -0.2) }' ||
		fail "same job, different delays: $a s and $b s"
}

@test "--splay: different commands get different delays, each below SEC" {
	local spread n
	splay_delays 2 "echo 1" "echo 2" "echo 3" "echo 4" "echo 5" "echo 6" \
		"echo 7" "echo 8" >"$T/times"
	n=$(wc -l <"$T/times")
	assert_equal "$n" 8
	spread=$(awk 'NR == 1 || $1 < min { min = $1 } NR == 1 || $1 > max { max = $1 }
		END { printf "%.3f", max - min }' "$T/times")
	assert_lt 0.3 "$spread" "spread of delays: $(paste -sd' ' "$T/times")"
	while read -r el; do
		assert_lt "$el" 2.2 "a --splay 2 delay of $el s"
	done <"$T/times"
}
