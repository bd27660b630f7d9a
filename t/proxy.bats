#!/usr/bin/env bats
# Issue 13: ProxyJump, ProxyCommand and HostKeyAlias, as ssh has them.
#
# The fixture sshd is the target; two more sshds (DEBUG1 logs, so they
# show the forwarding) are bastions.  All listen on 127.0.0.1, each with a
# host key of its own, so a test can tell whose key was checked.

bats_require_minimum_version 1.5.0

load helper

setup_file() {
	local b
	fixture_setup
	for b in b1 b2; do
		mkdir -p "$FIX/$b"
		ssh-keygen -q -t ed25519 -N '' -C "$b" -f "$FIX/$b/host_ed25519"
		cp "$FIX/authorized_keys" "$FIX/$b/"
		sshd_launch "$FIX/$b" "LogLevel DEBUG1" || return 1
		echo "$SSHD_PID" >"$FIX/$b/pid"
		echo "$SSHD_PORT" >"$FIX/$b/port"
	done
	SSHD_PORT=$(sed -n 's/^Port //p' "$FIX/sshd_config")
	SSHD_PID=$(cat "$FIX/sshd.pid")
	B1_PORT=$(cat "$FIX/b1/port")
	B2_PORT=$(cat "$FIX/b2/port")
	export SSHD_PORT SSHD_PID B1_PORT B2_PORT
}

teardown_file() {
	local b
	for b in b1 b2; do
		kill "$(cat "$FIX/$b/pid")" 2>/dev/null
	done
	fixture_teardown
}

# Keep the fixture's setup() under another name and extend it.
eval "helper_$(declare -f setup)"

setup() {
	helper_setup
	T=$BATS_TEST_TMPDIR
	# every host key: the target's, then the bastions'
	{
		cat "$RX_KNOWN"
		known_hosts_line "$FIX/b1/host_ed25519.pub" "$B1_PORT"
		known_hosts_line "$FIX/b2/host_ed25519.pub" "$B2_PORT"
	} >"$T/known_hosts"
	RX_KNOWN=$T/known_hosts
	cat >"$T/config" <<-EOF
	Host b1
		HostName 127.0.0.1
		Port $B1_PORT
		IdentityFile $RX_KEY
	Host b2
		HostName 127.0.0.1
		Port $B2_PORT
		IdentityFile $RX_KEY
	Host target
		HostName 127.0.0.1
		Port $SSHD_PORT
		ProxyJump b1
	Host target2
		HostName 127.0.0.1
		Port $SSHD_PORT
		ProxyJump b1,b2
	# a -J hop is resolved with its own blocks, as ssh does: not with -i
	Host 127.0.0.1
		IdentityFile $RX_KEY
	EOF
}

teardown() {
	local f pgid
	for f in "$T"/*.pgid; do
		[ -f "$f" ] || continue
		pgid=$(cat "$f")
		ps -eo pgid=,args= | awk -v g="$pgid" '$1 == g' |
			grep -q 'sleep 3[0-9][0-9][0-9]' && kill -KILL -- "-$pgid"
	done
	return 0
}

# rxj ARGS...: remoteexe with the test's ssh_config and known_hosts.
rxj() {
	timeout 60 "$REMOTEEXE" -F "$T/config" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$LOG" "$@"
}

@test "ProxyJump in ssh_config goes through the bastion, which logs the forwarding" {
	: >"$FIX/b1/sshd.log"
	run rxj target 'echo through; exit 3'
	assert_failure 3
	assert_equal "$(log_records out)" "through"
	assert_regex "$(log_records stats)" ' attempts=1 reason=exit$'
	grep -q 'direct-tcpip' "$FIX/b1/sshd.log" ||
		fail "b1 forwarded nothing: $(tail -n 5 "$FIX/b1/sshd.log")"
}

@test "-J user@host:port on the command line goes through the bastion" {
	: >"$FIX/b1/sshd.log"
	run rxj -J "$RX_USER@127.0.0.1:$B1_PORT" -p "$SSHD_PORT" 127.0.0.1 'echo jumped'
	assert_success
	assert_equal "$(log_records out)" "jumped"
	grep -q 'direct-tcpip' "$FIX/b1/sshd.log" || fail "b1 forwarded nothing"
}

@test "two hops: ProxyJump b1,b2 goes through both, in order" {
	: >"$FIX/b1/sshd.log"
	: >"$FIX/b2/sshd.log"
	run rxj target2 'echo two hops'
	assert_success
	assert_equal "$(log_records out)" "two hops"
	grep -q 'direct-tcpip' "$FIX/b1/sshd.log" || fail "b1 forwarded nothing"
	grep -q 'direct-tcpip' "$FIX/b2/sshd.log" || fail "b2 forwarded nothing"
}

@test "a bastion with an unknown host key is refused, naming the hop: 255, reason=ssh:hostkey" {
	grep -v "\[127.0.0.1\]:$B1_PORT " "$RX_KNOWN" >"$T/kh" || true
	RX_KNOWN=$T/kh run --separate-stderr rxj target true
	assert_failure 255
	assert_regex "$(log_records stats)" ' reason=ssh:hostkey$'
	assert_regex "$(log_records error)" "^ProxyJump hop 127\.0\.0\.1: host key for \[127\.0\.0\.1\]:$B1_PORT is not known"
}

@test "a bastion whose key changed is refused, even with --accept-new" {
	{
		grep -v "\[127.0.0.1\]:$B1_PORT " "$RX_KNOWN"
		known_hosts_line "$FIX/b2/host_ed25519.pub" "$B1_PORT"
	} >"$T/kh"
	RX_KNOWN=$T/kh run rxj --accept-new target true
	assert_failure 255
	assert_regex "$(log_records error)" "ProxyJump hop .*CHANGED"
}

@test "the target's key is checked too, behind the bastion" {
	grep -v "\[127.0.0.1\]:$SSHD_PORT " "$RX_KNOWN" >"$T/kh"
	RX_KNOWN=$T/kh run rxj target true
	assert_failure 255
	assert_regex "$(log_records error)" "^host key for \[127\.0\.0\.1\]:$SSHD_PORT is not known"
}

@test "--accept-new through a bastion records the keys of both, each in a hostkey record" {
	: >"$T/kh"
	RX_KNOWN=$T/kh run rxj --accept-new target 'echo ok'
	assert_success
	assert_equal "$(log_records hostkey | wc -l)" 2
	assert_regex "$(log_records hostkey | head -n 1)" "^added \[127\.0\.0\.1\]:$B1_PORT "
	assert_regex "$(log_records hostkey | tail -n 1)" "^added \[127\.0\.0\.1\]:$SSHD_PORT "
}

@test "ProxyCommand with %h %p: the run goes through it, and its stderr is logged as error records" {
	run rxj -o "ProxyCommand bash -c 'echo proxy says hi >&2; exec 3<>/dev/tcp/%h/%p; cat <&3 & exec cat >&3'" \
		-p "$SSHD_PORT" 127.0.0.1 'echo proxied'
	assert_success
	assert_equal "$(log_records out)" "proxied"
	assert_equal "$(log_records error)" "ProxyCommand: proxy says hi"
	assert_equal "$(records | tail -n 1)" "END,0,127.0.0.1 echo proxied"
}

@test "a ProxyCommand that fails: 255 with its message in the log, retried like a refused connection" {
	run rxj --retries 1 -o "ProxyCommand sh -c 'echo no way through >&2; exit 1'" \
		-p "$SSHD_PORT" 127.0.0.1 true
	assert_failure 255
	assert_regex "$(log_records error | head -n 1)" '^ProxyCommand: no way through$'
	assert_regex "$(log_records retry)" '^1,'
	assert_regex "$(log_records stats)" ' attempts=2 reason=ssh:connect$'
}

@test "a bastion that is down is retried like a refused connection, then 255" {
	local port
	port=$(closed_port)
	sed "s/Port $B1_PORT/Port $port/" "$T/config" >"$T/config.down"
	run timeout 60 "$REMOTEEXE" -F "$T/config.down" --known-hosts "$RX_KNOWN" \
		--log "$LOG" --retries 1 target true
	assert_failure 255
	assert_regex "$(log_records retry)" "^1,127\.0\.0\.1 port $port: connect: Connection refused"
	assert_regex "$(log_records stats)" ' attempts=2 reason=ssh:connect$'
}

@test "--timeout through a bastion stops the remote group for real" {
	run rxj --timeout 2 --kill-grace 1 target "echo \$\$ >$T/jt.pgid; sleep 3001"
	assert_failure 124
	assert_regex "$(log_records stats)" ' reason=timeout$'
	assert_group_gone "$T/jt.pgid"
}

@test "kill -9 of remoteexe through a bastion: the lease stops the remote group within 2 s" {
	"$REMOTEEXE" -F "$T/config" -i "$RX_KEY" --known-hosts "$RX_KNOWN" \
		--log "$LOG" target "echo \$\$ >$T/jl.pgid; sleep 3002" 3>&- &
	wait_for 10 test -s "$T/jl.pgid" || fail "never started: $(cat "$LOG")"
	sleep 0.3
	kill -KILL $!
	wait_for 2 eval "! pgid_alive $(cat "$T/jl.pgid")" ||
		fail "group $(cat "$T/jl.pgid") still running 2 s after kill -9"
}

@test "HostKeyAlias: the key is looked up under the alias, not [host]:port" {
	{
		grep -v "\[127.0.0.1\]:$SSHD_PORT " "$RX_KNOWN"
		printf 'db-alias %s\n' "$(cut -d' ' -f1,2 "$FIX/host_ed25519.pub")"
	} >"$T/kh"
	RX_KNOWN=$T/kh run rxj -o HostKeyAlias=db-alias -p "$SSHD_PORT" 127.0.0.1 'echo aliased'
	assert_success
	assert_equal "$(log_records out)" "aliased"
}
