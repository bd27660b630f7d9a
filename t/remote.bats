#!/usr/bin/env bats
# Issue 11: the remote command never outlives its supervisor; a stop that
# cannot lie; any login shell.
#
# The remote side is this machine.  Throwaway users (t/users.bash) have
# bash, dash, tcsh, fish, zsh, ksh and rbash as login shells; a second sshd
# gives some users forced commands (per-user authorized_keys), a forking
# ForceCommand, or a PATH of busybox applets only.  A remote command writes
# its $$ (its process group: the supervisor puts it in one of its own) to a
# file, so a test can check with ps that the group is gone.

bats_require_minimum_version 1.5.0

load helper
load users

setup_file() {
	fixture_setup
	[ "$(id -u)" -eq 0 ] || return 0
	users_init
	U_BASH=$(test_user ba /bin/bash)
	U_DASH=$(test_user da /bin/dash)
	U_TCSH=$(test_user tc /usr/bin/tcsh)
	U_FISH=$(test_user fi /usr/bin/fish)
	U_ZSH=$(test_user zs /usr/bin/zsh)
	U_KSH=$(test_user ks /usr/bin/ksh93)
	U_RBASH=$(test_user rb /bin/rbash)
	export U_BASH U_DASH U_TCSH U_FISH U_ZSH U_KSH U_RBASH
	second_sshd_setup
}

teardown_file() {
	local pid
	for pid in $(cat "$RX_HOMES/sshd2.pid" 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	users_cleanup
	fixture_teardown
}

# second_sshd_setup: users with forced commands, a forking ForceCommand and
# busybox-only PATHs, on an sshd of their own; S2_PORT and S2_KNOWN.
second_sshd_setup() {
	local dir=$RX_HOMES/sshd2 key bb name
	mkdir -p "$dir/ak" "$RX_HOMES/bb" "$RX_HOMES/bbnf"
	cp "$FIX/host_ed25519" "$FIX/host_ed25519.pub" "$dir/"
	key=$(cat "$FIX/id_ed25519.pub")
	U_PASS=$(test_user fp /bin/bash)
	U_FIXED=$(test_user ff /bin/bash)
	U_SLEEP=$(test_user fs /bin/bash)
	U_FORCE=$(test_user fc /bin/bash)
	U_BB=$(test_user bb /bin/bash)
	U_BBNF=$(test_user bn /bin/bash)
	printf 'command="echo forced >&2; sh -c \\"$SSH_ORIGINAL_COMMAND\\"" %s\n' \
		"$key" >"$dir/ak/$U_PASS"
	printf 'command="echo forced-only; exit 0" %s\n' "$key" >"$dir/ak/$U_FIXED"
	printf 'command="echo $$ >%s/fixed.pgid; sleep 3101" %s\n' \
		"$RX_HOMES/$U_SLEEP" "$key" >"$dir/ak/$U_SLEEP"
	for name in "$U_BASH" "$U_DASH" "$U_TCSH" "$U_FISH" "$U_ZSH" "$U_KSH" \
		"$U_RBASH" "$U_FORCE" "$U_BB" "$U_BBNF"; do
		echo "$key" >"$dir/ak/$name"
	done
	chmod -R a+rX "$dir/ak"
	# busybox applets only (bbnf: and no flock, for the mkdir lock)
	for bb in sh ps setsid sleep awk flock id mkdir rm cat printf echo; do
		ln -s /bin/busybox "$RX_HOMES/bb/$bb"
		[ "$bb" = flock ] || ln -s /bin/busybox "$RX_HOMES/bbnf/$bb"
	done
	SSHD_APPEND="Match User $U_FORCE
	ForceCommand /bin/sh -c \"\$SSH_ORIGINAL_COMMAND\"; true
Match User $U_BB
	SetEnv PATH=$RX_HOMES/bb
Match User $U_BBNF
	SetEnv PATH=$RX_HOMES/bbnf" sshd_launch "$dir" "AuthorizedKeysFile $dir/ak/%u" ||
		return 1
	echo "$SSHD_PID" >"$RX_HOMES/sshd2.pid"
	S2_PORT=$SSHD_PORT
	S2_KNOWN=$dir/known_hosts
	known_hosts_line "$dir/host_ed25519.pub" "$S2_PORT" >"$S2_KNOWN"
	# sshd_launch exported the second sshd's; the file's sshd stays default
	SSHD_PORT=$(sed -n 's/^Port //p' "$FIX/sshd_config")
	SSHD_PID=$(cat "$FIX/sshd.pid")
	export S2_PORT S2_KNOWN SSHD_PORT SSHD_PID U_PASS U_FIXED U_SLEEP \
		U_FORCE U_BB U_BBNF
}

# Keep the fixture's setup() under another name and extend it.
eval "helper_$(declare -f setup)"

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root: it makes throwaway users"
	helper_setup
	T=$BATS_TEST_TMPDIR
	export XDG_RUNTIME_DIR=$T/xdg
	mkdir -m 700 "$XDG_RUNTIME_DIR"
}

teardown() {
	local f pgid pid
	for pid in $(cat "$T/bg.pids" 2>/dev/null); do
		jobs -rp | grep -qx "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	for f in "$RX_HOMES"/*/*.pgid; do
		[ -f "$f" ] || continue
		pgid=$(cat "$f")
		rm -f "$f"
		[[ $pgid =~ ^[0-9]+$ ]] || continue
		ps -eo pgid=,args= | awk -v g="$pgid" '$1 == g' |
			grep -q 'sleep 3[01][0-9][0-9]' && kill -KILL -- "-$pgid"
	done
	return 0
}

# rxu USER ARGS...: remoteexe as USER (on the second sshd, which reads
# authorized_keys that the users can read).
rxu() {
	local user=$1
	shift
	rx2 -l "$user" "$@"
}

# rx2 ARGS...: remoteexe on the second sshd.
rx2() {
	SSHD_PORT=$S2_PORT RX_KNOWN=$S2_KNOWN rx "$@"
}

# home USER: that user's home directory.
home() { echo "$RX_HOMES/$1"; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
assert_lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' ||
		fail "expected $1 < $2${3:+ ($3)}"
}

stats_record() { log_records stats; }

# --- login shells -----------------------------------------------------------

@test "a bash user's command runs in bash: a bash-ism, its output, its exit status" {
	run rxu "$U_BASH" 127.0.0.1 '[[ -n x ]] && echo "bash ${BASH_VERSINFO[0]}"; exit 3'
	assert_failure 3
	assert_regex "$(log_records out)" '^bash [0-9]+$'
	assert_regex "$(stats_record)" ' reason=exit$'
}

@test "a dash user's command runs in dash" {
	run rxu "$U_DASH" 127.0.0.1 'echo "dash $0"; exit 4'
	assert_failure 4
	assert_equal "$(log_records out)" "dash /bin/dash"
}

@test "a tcsh user's command runs in tcsh: csh syntax, its output, its exit status" {
	run rxu "$U_TCSH" 127.0.0.1 'set x = tcsh; echo $x; exit 5'
	assert_failure 5
	assert_equal "$(log_records out)" "tcsh"
	assert_regex "$(stats_record)" ' reason=exit$'
}

@test "a multi-line command runs under tcsh" {
	run rxu "$U_TCSH" 127.0.0.1 'echo one
echo "two words"
exit 2'
	assert_failure 2
	assert_equal "$(log_records out)" $'one\ntwo words'
}

@test "a tcsh user's run leaves no file named 2 (or any other) in the home" {
	local before
	before=$(ls -A "$(home "$U_TCSH")")
	run rxu "$U_TCSH" 127.0.0.1 'echo hi; echo err | cat'
	assert_success
	assert_equal "$(ls -A "$(home "$U_TCSH")")" "$before"
	assert_file_not_exists "$(home "$U_TCSH")/2"
}

@test "a fish user's command runs in fish: fish syntax, its output, its exit status" {
	run rxu "$U_FISH" 127.0.0.1 'set x fish; echo $x (math 1 + 1); exit 6'
	assert_failure 6
	assert_equal "$(log_records out)" "fish 2"
	assert_regex "$(stats_record)" ' reason=exit$'
}

@test "a fish user's run leaves the home as a plain ssh run leaves it" {
	local before
	ssh -o BatchMode=yes -o UserKnownHostsFile="$S2_KNOWN" -o IdentitiesOnly=yes \
		-i "$RX_KEY" -p "$S2_PORT" "$U_FISH@127.0.0.1" 'echo warm' >/dev/null
	before=$(cd "$(home "$U_FISH")" && find . | sort)
	run rxu "$U_FISH" 127.0.0.1 'echo hi'
	assert_success
	assert_equal "$(cd "$(home "$U_FISH")" && find . | sort)" "$before"
}

@test "a zsh user's command runs in zsh" {
	run rxu "$U_ZSH" 127.0.0.1 'print -r -- "zsh ${(U)ZSH_NAME}"; exit 7'
	assert_failure 7
	assert_equal "$(log_records out)" "zsh ZSH"
}

@test "a ksh user's command runs in ksh" {
	run rxu "$U_KSH" 127.0.0.1 'print -r -- "ksh ${.sh.version:+yes}"; exit 8'
	assert_failure 8
	assert_equal "$(log_records out)" "ksh yes"
}

@test "an rbash user's command runs restricted" {
	run rxu "$U_RBASH" 127.0.0.1 'echo restricted; cd /tmp'
	assert_failure 1
	assert_equal "$(log_records out)" "restricted"
	assert_regex "$(log_records err)" 'cd: restricted'
}

# stop_test USER PIDCMD: --timeout stops USER's command; PIDCMD writes the
# shell's pid (its process group) to the file named by the word FILE.
stop_test() {
	local file
	file=$(home "$1")/stop.pgid
	run rxu "$1" --timeout 2 --kill-grace 1 127.0.0.1 "${2//FILE/$file}; sleep 3001"
	assert_failure 124
	assert_regex "$(stats_record)" ' reason=timeout$'
	assert_group_gone "$file"
}

@test "--timeout stops a bash user's process group" {
	stop_test "$U_BASH" 'echo $$ >FILE'
}

@test "--timeout stops a tcsh user's process group" {
	stop_test "$U_TCSH" 'echo $$ >FILE'
}

@test "--timeout stops a fish user's process group" {
	stop_test "$U_FISH" 'echo $fish_pid >FILE'
}

@test "--timeout stops a zsh user's process group" {
	stop_test "$U_ZSH" 'echo $$ >FILE'
}

@test "a fish user's command killed by SIGKILL gives 137 and reason=signal:KILL" {
	run rxu "$U_FISH" 127.0.0.1 'kill -9 $fish_pid'
	assert_failure 137
	assert_regex "$(stats_record)" ' reason=signal:KILL$'
}

@test "a tcsh user's command killed by SIGTERM gives 143 and reason=signal:TERM" {
	run rxu "$U_TCSH" 127.0.0.1 'kill -TERM $$'
	assert_failure 143
	assert_regex "$(stats_record)" ' reason=signal:TERM$'
}

# --- the process group, the lease, the stop ---------------------------------

@test "the process group is the kernel's: the command is alone in a group of its own" {
	local file
	file=$(home "$U_BASH")/own.pgid
	run rxu "$U_BASH" 127.0.0.1 \
		"echo \$\$ >$file; ps -o pgid= -p \$\$; ps -o sid= -p \$\$"
	assert_success
	assert_equal "$(log_records out | tr -d ' ')" "$(cat "$file")
$(cat "$file")"
}

@test "a marker with another run's nonce is output, and stops nothing" {
	run rxu "$U_BASH" --timeout 3 --kill-grace 1 127.0.0.1 \
		'printf "\036remoteexe-%032d pgid=1\n" 0 >&2; echo $$ >'"$(home "$U_BASH")"'/forge.pgid; sleep 3002'
	assert_failure 124
	assert_regex "$(log_records err)" '^\\036remoteexe-0{32} pgid=1$'
	assert_regex "$(log_records error)" "group $(cat "$(home "$U_BASH")/forge.pgid")$"
	assert_group_gone "$(home "$U_BASH")/forge.pgid"
}

# lease_test USER SLEEP: kill -9 of remoteexe while USER's command runs;
# the lease must stop the remote group within 2 s.
lease_test() {
	local file t0
	file=$(home "$1")/lease.pgid
	SSHD_PORT=$S2_PORT RX_KNOWN=$S2_KNOWN rx_opts
	env --default-signal "$REMOTEEXE" "${RX_OPTS[@]}" -l "$1" 127.0.0.1 \
		"echo \$\$ >$file; sleep $2${3:+ $3}" 3>&- &
	echo $! >>"$T/bg.pids"
	wait_for 10 test -s "$file" || fail "the command never started"
	sleep 0.3
	pgid_alive "$(cat "$file")" || fail "the group is not running"
	t0=$(now)
	kill -KILL $!
	wait_for 2 eval "! pgid_alive $(cat "$file")" ||
		fail "group $(cat "$file") still running 2 s after kill -9"
	echo "# lease after SIGKILL ($1): $(since "$t0") s" >&3
}

@test "kill -9 of remoteexe: the lease stops the remote group within 2 s" {
	lease_test "$U_BASH" 3003
}

@test "--timeout with a background job holding the output after its shell exited says why the stop is not confirmed" {
	local file
	file=$(home "$U_BASH")/bg.pgid
	run --separate-stderr rxu "$U_BASH" --timeout 2 --kill-grace 1 \
		127.0.0.1 "echo \$\$ >$file; sleep 3005 & echo started"
	assert_failure 124
	assert_regex "$(stats_record)" ' reason=timeout:unconfirmed$'
	assert_regex "$stderr" "the command's shell had exited and remoteexe's supervisor with it"
	run log_records error
	assert_line --regexp "not confirmed gone: the command's shell had exited"
}

@test "a background job that lets go of the output does not hold the run, as with ssh" {
	local file
	file=$(home "$U_BASH")/bg.pgid
	run rxu "$U_BASH" 127.0.0.1 \
		"echo \$\$ >$file; sleep 3007 >/dev/null 2>&1 & exit 3"
	assert_failure 3
	assert_regex "$(stats_record)" ' reason=exit$'
	pgid_alive "$(cat "$file")" || fail "the background job did not run on"
	kill -- "-$(cat "$file")"
}

@test "an unrelated process of the same remote user survives a --timeout stop" {
	local other
	runuser -u "$U_BASH" -- setsid sleep 3004 </dev/null >/dev/null 2>&1 3>&- &
	wait_for 5 eval 'ps -u "$U_BASH" -o pid=,args= | grep -q "sleep 3004"'
	other=$(ps -u "$U_BASH" -o pid=,args= | awk '/sleep 3004/ { print $1 }')
	stop_test "$U_BASH" 'echo $$ >FILE'
	kill -0 "$other" || fail "the unrelated sleep was stopped too"
	kill "$other"
}

@test "a 100 KiB command reaches the remote shell byte for byte" {
	local payload want
	payload=$(head -c 75000 /dev/urandom | base64 -w 0)
	payload+=$'\n'"quotes ' \" and \\ backslashes, \$dollars, \`ticks\` and ]] END,0"$'\n'"tabs	here"
	want=$(printf '%s\n' "$payload" | sha256sum | cut -d' ' -f1)
	run rx 127.0.0.1 "cat <<'RXEOF' | sha256sum | cut -d' ' -f1
$payload
RXEOF"
	assert_success
	assert_equal "$(log_records out)" "$want"
}

# shell: a 210 KB command (three words: one argument of remoteexe's own may
# not exceed 128 KiB either) runs, and leaves no file behind
long_command_test() {
	local word
	word=$(head -c 70000 /dev/zero | tr '\0' x)
	run rxu "$1" 127.0.0.1 echo "$word" "$word" "$word" '|' wc -c
	assert_success
	assert_regex "$(log_records out)" '^ *210003$'
	run find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'remoteexe-*.cmd' -user "$1"
	assert_output ''
}

@test "a 210 KB command runs for a bash user: past execve's 128 KiB for one argument" {
	long_command_test "$U_BASH"
}

@test "a 210 KB command runs for a fish user" {
	long_command_test "$U_FISH"
}

@test "a 210 KB command runs for a tcsh user" {
	long_command_test "$U_TCSH"
}

@test "a command over 256 KiB is refused before connecting: exit 10 with the size and the limit" {
	local word port
	# one argument may not exceed 128 KiB (execve): three words, joined
	word=$(head -c 87381 /dev/zero | tr '\0' x)
	port=$(closed_port)
	SSHD_PORT=$port run --separate-stderr rx 127.0.0.1 "$word" "$word" "$word"
	assert_failure 10
	assert_regex "$stderr" 'the command is 262145 bytes; the limit is 262144'
	refute_regex "$(log_records error)" 'connect'
}

# --- forced commands ----------------------------------------------------------

@test "a pass-through forced command (command= in authorized_keys) runs the command" {
	run rx2 -l "$U_PASS" 127.0.0.1 'echo ran; exit 3'
	assert_failure 3
	assert_equal "$(log_records out)" "ran"
	assert_equal "$(log_records err)" "forced"
}

@test "--timeout through a pass-through forced command stops the group for real" {
	local file
	file=$(home "$U_PASS")/pass.pgid
	run rx2 -l "$U_PASS" --timeout 2 --kill-grace 1 127.0.0.1 "echo \$\$ >$file; sleep 3005"
	assert_failure 124
	assert_regex "$(stats_record)" ' reason=timeout$'
	assert_group_gone "$file"
}

@test "a forking ForceCommand: the command's own exit status, and --timeout stops its group" {
	local file
	file=$(home "$U_FORCE")/force.pgid
	run rx2 -l "$U_FORCE" 127.0.0.1 'exit 9'
	assert_failure 9
	run rx2 -l "$U_FORCE" --timeout 2 --kill-grace 1 127.0.0.1 "echo \$\$ >$file; sleep 3006"
	assert_failure 124
	assert_regex "$(stats_record)" ' reason=timeout$'
	assert_group_gone "$file"
}

@test "a forced command that ignores the command is not a success: 255, reason=ssh:noexit" {
	run --separate-stderr rx2 -l "$U_FIXED" 127.0.0.1 'echo never'
	assert_failure 255
	assert_equal "$(log_records out)" "forced-only"
	assert_regex "$(stats_record)" ' reason=ssh:noexit$'
	assert_regex "$(log_records error)" 'did not run remoteexe.s supervisor.*forced command'
	assert_regex "$stderr" 'forced command'
}

@test "--timeout with a forced command that ignores the command ends in time and says it cannot stop it" {
	local t0 el
	t0=$(now)
	run --separate-stderr rx2 -l "$U_SLEEP" --timeout 3 --kill-grace 1 127.0.0.1 'sleep 1'
	el=$(since "$t0")
	assert_failure 124
	assert_lt "$el" 7.5 "elapsed"
	assert_regex "$(stats_record)" ' reason=timeout:cannot$'
	assert_regex "$(log_records error)" 'cannot stop it$'
	assert_regex "$stderr" 'timeout; .*cannot stop it'
	refute_regex "$stderr" 'stopped|told to stop'
	cp "$(home "$U_SLEEP")/fixed.pgid" "$(home "$U_SLEEP")/left.pgid"
}

# --- the lock on the target ----------------------------------------------------

# lock_test USER RX...: a run holding --lock for 3 s from one "scheduler
# host" (its own local lock directory), and a run of the same job from
# another: 75 naming the holder; once the first ended, the job runs again.
lock_test() {
	local user=$1 first
	shift
	mkdir -m 700 "$T/hostA" "$T/hostB"
	XDG_RUNTIME_DIR=$T/hostA "$@" -l "$user" --lock 127.0.0.1 'echo started; sleep 3' \
		>/dev/null 2>&1 3>&- &
	first=$!
	echo "$first" >>"$T/bg.pids"
	wait_for 10 log_has_out started || fail "the first run never started"
	XDG_RUNTIME_DIR=$T/hostB run --separate-stderr "$@" -l "$user" --lock \
		127.0.0.1 'echo started; sleep 3'
	assert_failure 75
	assert_regex "$stderr" "still running on 127\.0\.0\.1 \(remote lock held by $(hostname | tr -c 'A-Za-z0-9.\n-' _) pid [0-9]+\); not run$"
	assert_regex "$(log_records stats | tail -n 1)" ' reason=lock$'
	wait "$first"
	XDG_RUNTIME_DIR=$T/hostB run "$@" -l "$user" --lock 127.0.0.1 'echo again'
	assert_success
}

log_has_out() { grep -q "\] out,$1\$" "$LOG"; }

@test "--lock holds on the target: a second scheduler host gets 75 naming the holder" {
	lock_test "$U_BASH" rx2
}

# lock_dirs USER: the mkdir locks in USER's remote lock directory.
lock_dirs() {
	ls -d "/tmp/remoteexe-$(id -u "$1")"/*.d 2>/dev/null || true
}

@test "--lock on a target without flock(1) uses a mkdir lock, released at the end" {
	local before
	before=$(lock_dirs "$U_BBNF")
	lock_test "$U_BBNF" rx2
	assert_equal "$(lock_dirs "$U_BBNF")" "$before"
}

@test "a stale mkdir lock (its supervisor was killed) does not block the next run" {
	local file lockd owner before
	file=$(home "$U_BBNF")/stale.pgid
	before=$(lock_dirs "$U_BBNF")
	rx2 -l "$U_BBNF" --lock 127.0.0.1 "echo \$\$ >$file; sleep 3009" \
		>/dev/null 2>&1 3>&- &
	echo $! >>"$T/bg.pids"
	wait_for 10 test -s "$file" || fail "the first run never started"
	lockd=$(comm -13 <(echo "$before") <(lock_dirs "$U_BBNF"))
	[ -n "$lockd" ] || fail "no mkdir lock while the first run holds it"
	read -r owner _ <"$lockd/owner"
	kill -KILL "$owner"
	kill -KILL -- "-$(cat "$file")"
	wait $! || true
	assert_dir_exists "$lockd"
	run rx2 -l "$U_BBNF" --lock 127.0.0.1 'echo second'
	assert_success
	assert_equal "$(log_records out | tail -n 1)" "second"
}

# --- busybox -----------------------------------------------------------------

@test "under busybox applets only: output, exit status, and --timeout stops the group" {
	local file
	file=$(home "$U_BB")/bb.pgid
	run rx2 -l "$U_BB" 127.0.0.1 'echo busybox; exit 3'
	assert_failure 3
	assert_equal "$(log_records out)" "busybox"
	run rx2 -l "$U_BB" --timeout 2 --kill-grace 1 127.0.0.1 "echo \$\$ >$file; sleep 3007"
	assert_failure 124
	assert_regex "$(log_records stats | tail -n 1)" ' reason=timeout$'
	assert_group_gone "$file"
}

@test "under busybox applets only: kill -9 of remoteexe, the lease stops the group within 2 s" {
	lease_test "$U_BB" 3008
}
