#!/usr/bin/env bats
# Issue 11: real network faults, with network namespaces (root only).
#
# remoteexe runs in a client namespace (ip netns exec), sshd in a server
# namespace; a veth pair joins them on a private /24 that nothing on this
# machine routes. Before any of it exists the root namespace gets a
# blackhole route for that /24, so no packet of these tests can leave the
# machine; the route goes last, once no socket to the range is left.
#
# A partition is the nft table "rxcut" in the server namespace, dropping
# everything in and out on its end of the veth. Two more addresses of the
# server namespace are dropped for ever (table "rxdead"): they accept
# nothing and answer nothing. The client namespace's /etc/hosts (ip netns
# exec's /etc/netns/NAME/hosts, our own file) names a host whose first
# address is dead and one whose addresses all are.
#
# The PID namespace and the file system are shared: the remote command
# writes its process group to a file the test reads, and ps sees it.
# Measured times are printed as "# measured: ..." lines.

bats_require_minimum_version 1.5.0

load helper

NET=10.213.47
NET_CIDR=$NET.0/24
CLIENT_ADDR=$NET.1
SERVER_ADDR=$NET.2
DEAD_A=$NET.3
DEAD_B=$NET.4
BLACKHOLE=(blackhole "$NET_CIDR" metric 4000)
ETC_MARK=/etc/netns/.made-by-netns-bats
FIRST_DEAD=rx-first-dead	# $DEAD_A, then $SERVER_ADDR
ALL_DEAD=rx-all-dead		# $DEAD_A, then $DEAD_B

# --- the network, made by setup_file and unmade by teardown_file ----------

# netns_unusable: why these tests cannot run here, or fail when they can.
netns_unusable() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "network namespaces need root"
	elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
		echo "ip netns is not available (iproute2)"
	else
		return 1
	fi
}

# made WHAT...: note one thing setup_file made; teardown_file undoes the
# list from the bottom up.
made() { printf '%s\n' "$*" >>"$BATS_FILE_TMPDIR/made"; }

# netns_stop_all NS: end every process in namespace NS (all of them are
# ours: nothing else enters our namespaces), by PID, TERM then KILL.
netns_stop_all() {
	local pids i
	for ((i = 0; i < 30; i++)); do
		pids=$(ip netns pids "$1" 2>/dev/null)
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086  # a list of pids
		if ((i < 20)); then kill -TERM $pids; else kill -KILL $pids; fi \
			2>/dev/null
		sleep 0.1
	done
	echo "netns $1: still running: $pids" >&2
	return 1
}

# owner_running NAME: NAME is rxnt<PID>c or rxnt<PID>s and that run of
# this file is still going (or its PID was taken since).
owner_running() {
	[[ $1 =~ ^rxnt([0-9]+)[cs]$ ]] && kill -0 "${BASH_REMATCH[1]}" 2>/dev/null
}

# clean_leftovers: what a run of this file that died before its teardown
# left: its namespaces with their processes, its /etc/netns files, and
# /etc/netns itself when that run made it (ETC_MARK holds its PID).
clean_leftovers() {
	local ns dir
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns =~ ^rxnt[0-9]+[cs]$ ]] || continue
		if owner_running "$ns"; then
			echo "netns $ns: its run of netns.bats is still going" >&2
			return 1
		fi
		netns_stop_all "$ns" && ip netns del "$ns" || return 1
	done
	for dir in /etc/netns/rxnt*c; do
		if [ -d "$dir" ] && ! owner_running "${dir##*/}"; then
			rm -f "$dir/hosts" && rmdir "$dir" || return 1
		fi
	done
	if [ -f "$ETC_MARK" ] && ! owner_running "rxnt$(cat "$ETC_MARK")c"; then
		rm -f "$ETC_MARK" && rmdir /etc/netns || return 1
	fi
}

# is_our_route: ip route output for NET_CIDR that is our blackhole.
is_our_route() { grep -Eqx "blackhole $NET_CIDR metric 4000 *"; }

# range_unused: no address of this machine and no route but the default
# (and a blackhole a dead run left) reaches into NET_CIDR.
range_unused() {
	local use
	use=$({
		ip -4 route show table all match "$NET_CIDR" | grep -v '^default '
		ip -4 route show table all root "$NET_CIDR"
		ip -4 addr show to "$NET_CIDR"
	} | grep -Evx "blackhole $NET_CIDR metric 4000 *" || true)
	[ -z "$use" ] && return 0
	echo "$NET_CIDR is in use on this machine; pick another test range:" \
		"$use" >&2
	return 1
}

# blackhole_add: the root namespace drops NET_CIDR; a blackhole left by a
# dead run is taken over.
blackhole_add() {
	if ! ip route show "$NET_CIDR" | is_our_route; then
		ip route add "${BLACKHOLE[@]}" || return 1
	fi
	made route
}

# netns_add: the client namespace (the server's is made), the veth pair between them (made inside
# them: it never exists in the root namespace), addresses and the dead ones.
netns_add() {
	ip netns add "$NS_C" && made netns "$NS_C" &&
	ip link add "$NS_C" netns "$NS_C" type veth \
		peer name "$NS_S" netns "$NS_S" && made veth &&
	ip -n "$NS_C" addr add "$CLIENT_ADDR/24" dev "$NS_C" &&
	ip -n "$NS_S" addr add "$SERVER_ADDR/24" dev "$NS_S" &&
	ip -n "$NS_S" addr add "$DEAD_A/24" dev "$NS_S" &&
	ip -n "$NS_S" addr add "$DEAD_B/24" dev "$NS_S" &&
	ip -n "$NS_C" link set "$NS_C" up &&
	ip -n "$NS_S" link set "$NS_S" up &&
	ip -n "$NS_S" link set lo up || return 1
	ip netns exec "$NS_S" nft -f - <<-NFT || return 1
	table inet rxdead {
		chain in {
			type filter hook input priority -10; policy accept;
			ip daddr { $DEAD_A, $DEAD_B } drop
		}
	}
	NFT
	made nft rxdead
}

# hosts_add: the client namespace's /etc/hosts, our own file.
hosts_add() {
	local dir=/etc/netns/$NS_C
	if [ ! -d /etc/netns ]; then
		mkdir /etc/netns && made dir /etc/netns &&
			echo $$ >"$ETC_MARK" && made file "$ETC_MARK" || return 1
	fi
	mkdir "$dir" && made dir "$dir" || return 1
	printf '%s\n' "127.0.0.1 localhost" "$DEAD_A $FIRST_DEAD" \
		"$SERVER_ADDR $FIRST_DEAD" "$DEAD_A $ALL_DEAD" \
		"$DEAD_B $ALL_DEAD" >"$dir/hosts" && made file "$dir/hosts"
}

# sockets_in_range: TCP sockets of the root namespace to or from NET_CIDR.
sockets_in_range() {
	ss -Htan | awk -v n="$NET." 'index($4, n) == 1 || index($5, n) == 1'
}

# blackhole_del: the route goes once no socket to the range is left.
blackhole_del() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -n "$(sockets_in_range)" ] || break
		sleep 0.1
	done
	if [ -n "$(sockets_in_range)" ]; then
		echo "sockets to $NET_CIDR left; keeping the route" \
			"${BLACKHOLE[*]}: $(sockets_in_range)" >&2
		return 1
	fi
	ip route del "${BLACKHOLE[@]}"
}

# unmake WHAT...: undo one line of the made list.
unmake() {
	case $1 in
	sshd)	fixture_teardown ;;
	file)	rm -f "$2" ;;
	dir)	rmdir "$2" ;;
	nft)	ip netns exec "$NS_S" nft delete table inet "$2" ;;
	veth)	ip -n "$NS_C" link del "$NS_C" ;;
	netns)	netns_stop_all "$2" && ip netns del "$2" ;;
	route)	blackhole_del ;;
	esac
}

setup_file() {
	local why
	export NETNS_SKIP NS_C NS_S
	NETNS_SKIP=$(netns_unusable) && return 0
	NETNS_SKIP=
	NS_C=rxnt$$c NS_S=rxnt$$s
	command -v nft >/dev/null || { echo "nft: not found" >&2; return 1; }
	: >"$BATS_FILE_TMPDIR/made"
	clean_leftovers && range_unused && blackhole_add || return 1
	# root without the right to make one (a container): no namespaces
	if ! why=$(ip netns add "$NS_S" 2>&1); then
		NETNS_SKIP="ip netns add is refused here: $why"
		return 0
	fi
	made netns "$NS_S"
	netns_add && hosts_add || return 1
	SSHD_ADDR=$SERVER_ADDR SSHD_NETNS=$NS_S fixture_setup || return 1
	made sshd
	known_hosts_line "$FIX/host_ed25519.pub" "$SSHD_PORT" "$FIRST_DEAD" \
		>>"$RX_KNOWN"
}

teardown_file() {
	local line rc=0
	[ -s "$BATS_FILE_TMPDIR/made" ] || return 0
	while read -r line; do
		# shellcheck disable=SC2086  # WHAT and its argument
		unmake $line || { echo "teardown: $line: failed" >&2; rc=1; }
	done < <(tac "$BATS_FILE_TMPDIR/made")
	return $rc
}

# --- per test ----------------------------------------------------------------

eval "helper_$(declare -f setup)"

setup() {
	[ -z "$NETNS_SKIP" ] || skip "$NETNS_SKIP"
	helper_setup
	T=$BATS_TEST_TMPDIR
	RX_PID=
}

teardown() {
	local f pgid
	[ -z "$NETNS_SKIP" ] || return 0
	if [ -n "$RX_PID" ] && jobs -rp | grep -qx "$RX_PID"; then
		kill -KILL "$RX_PID" || true
	fi
	heal_link 2>/dev/null || true
	# A remote group a failed test left, if it is in the server namespace.
	for f in "$T"/*.pgid; do
		pgid=$(cat "$f" 2>/dev/null)
		[[ $pgid =~ ^[0-9]+$ ]] || continue
		[ "$(ip netns identify "$pgid" 2>/dev/null)" != "$NS_S" ] ||
			kill -KILL -- "-$pgid" 2>/dev/null || true
	done
	return 0
}

# --- helpers -----------------------------------------------------------------

# ms: the wall clock, in milliseconds.
ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# assert_ms WHAT MS LO HI: LO <= MS <= HI; the time is printed either way.
assert_ms() {
	printf '# measured: %s: %d.%03d s\n' "$1" $(($2 / 1000)) \
		$(($2 % 1000)) >&3
	(($2 >= $3 && $2 <= $4)) ||
		fail "$1: $2 ms, expected $3 to $4 ms"
}

# cut_link: the partition; every packet in and out of the server's end of
# the veth is dropped (and counted).
cut_link() {
	ip netns exec "$NS_S" nft -f - <<-NFT
	table inet rxcut {
		chain in {
			type filter hook input priority -20; policy accept;
			iifname "$NS_S" counter drop
		}
		chain out {
			type filter hook output priority -20; policy accept;
			oifname "$NS_S" counter drop
		}
	}
	NFT
}

heal_link() { ip netns exec "$NS_S" nft delete table inet rxcut; }

# dropped: packets the partition dropped so far; fails when it is healed.
dropped() {
	ip netns exec "$NS_S" nft list table inet rxcut |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) }
			END { print n + 0 }'
	return "${PIPESTATUS[0]}"
}

# rx_ns ARGS...: remoteexe in the client namespace against our sshd.
rx_ns() {
	local RX_OPTS
	rx_opts
	timeout 60 ip netns exec "$NS_C" "$REMOTEEXE" "${RX_OPTS[@]}" "$@"
}

# rx_ns_bg NAME ARGS...: rx_ns in the background, every signal at its
# default; stdout and stderr in $T/NAME.out and $T/NAME.err. ip netns
# exec execs remoteexe, so RX_PID is remoteexe's own pid.
rx_ns_bg() {
	local name=$1 RX_OPTS
	shift
	rx_opts
	env --default-signal ip netns exec "$NS_C" "$REMOTEEXE" \
		"${RX_OPTS[@]}" "$@" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	RX_PID=$!
}

# wait_pgid FILE: the process group the remote command wrote to FILE.
wait_pgid() {
	local i pgid
	for ((i = 0; i < 100; i++)); do
		pgid=$(cat "$1" 2>/dev/null)
		[[ $pgid =~ ^[0-9]+$ ]] && { echo "$pgid"; return 0; }
		sleep 0.1
	done
	fail "the remote command never started: $(cat "$LOG")"
}

# watch_run PGID SECS [ERE]: every 50 ms, for at most SECS, note when
# remoteexe (RX_PID) ends (RX_END), when no process of group PGID is left
# (GONE) and when a record of $LOG first matches ERE (SEEN), in ms; then
# RX_RC is remoteexe's exit status. Fails if remoteexe still runs.
watch_run() {
	local t end=$(($(ms) + $2 * 1000))
	RX_END='' GONE='' SEEN=''
	while t=$(ms); ((t < end)); do
		[ -n "$RX_END" ] || kill -0 "$RX_PID" 2>/dev/null || RX_END=$t
		[ -n "$GONE" ] || pgid_alive "$1" || GONE=$t
		[ -n "$SEEN" ] || [ -z "${3:-}" ] || ! grep -Eq "$3" "$LOG" ||
			SEEN=$t
		[ -n "$RX_END" ] && [ -n "$GONE" ] && break
		sleep 0.05
	done
	[ -n "$RX_END" ] || fail "remoteexe still running after $2 s: $(cat "$LOG")"
	RX_RC=0
	wait "$RX_PID" || RX_RC=$?
	[ -n "$GONE" ] ||
		fail "remote group $1 still running after $2 s: $(ps -o pid=,args= -g "$1")"
}

# assert_cut_held: the partition is still in place and dropped packets
# (so the lease, not a healed link, stopped the group).
assert_cut_held() {
	local n
	n=$(dropped) || fail "the partition was gone before the group"
	((n > 0)) || fail "the partition dropped no packet"
}

# assert_unconfirmed NAME PGID REASON: $T/NAME.err is the one line saying
# the stop of PGID was not confirmed (REASON is the stats reason's stem).
assert_unconfirmed() {
	assert_equal "$(cat "$T/$1.err")" "remoteexe: $3; $(unconfirmed "$2")"
}

# unconfirmed PGID: the error text of a stop never answered (--kill-grace 1,
# --alive 6).
unconfirmed() {
	echo "remote process group $1 not confirmed gone: no answer within 3 s;" \
		"if the link is down, its lease stops it within 6 s of the last" \
		"heartbeat"
}

# --- a partition mid-run -------------------------------------------------------

@test "a partition mid-run: exit 255 (ssh:lost) after about --alive; the lease stops the remote group within --alive + --kill-grace, the link still cut" {
	local pgid t_cut cmd="echo \$\$ >$T/cut.pgid; sleep 300"
	rx_ns_bg cut --alive 3 --kill-grace 1 "$SERVER_ADDR" "$cmd"
	pgid=$(wait_pgid "$T/cut.pgid")
	sleep 0.5
	cut_link
	t_cut=$(ms)
	watch_run "$pgid" 15
	assert_cut_held
	assert_equal "$RX_RC" 255
	# silence is counted from the last keepalive answer (every 2 s)
	assert_ms "partition: remoteexe gave up" $((RX_END - t_cut)) 900 4000
	# the lease runs 3 s from the last heartbeat (every 1 s)
	assert_ms "partition: lease stopped the group" $((GONE - t_cut)) \
		1500 5500
	run records
	assert_output "START,-,$SERVER_ADDR $cmd
command,$RX_USER@$SERVER_ADDR:$SSHD_PORT $cmd
error,$SERVER_ADDR port $SSHD_PORT: connection lost while running: no data from the server for 3 s; the remote side stops the command when its lease runs out (3 s without a heartbeat)
stats,elapsed=S out=0 err=0 attempts=1 reason=ssh:lost
END,255,$SERVER_ADDR $cmd"
}

@test "--timeout with the link cut ends within --kill-grace + 3 s of firing: exit 124, reason=timeout:unconfirmed, END; the lease stops the group" {
	local pgid t0 t_cut cmd="echo \$\$ >$T/to.pgid; sleep 300"
	t0=$(ms)
	rx_ns_bg to --timeout 6 --alive 6 --kill-grace 1 "$SERVER_ADDR" "$cmd"
	pgid=$(wait_pgid "$T/to.pgid")
	# late enough that the 6 s of silence cannot end before the timeout
	sleep 2.5
	cut_link
	t_cut=$(ms)
	watch_run "$pgid" 20 '\] error,timeout after 6 s'
	assert_cut_held
	assert_equal "$RX_RC" 124
	[ -n "$SEEN" ] || fail "no timeout record: $(cat "$LOG")"
	assert_ms "timeout: fired after the start" $((SEEN - t0)) 5900 7500
	assert_ms "timeout: remoteexe ended after firing" $((RX_END - SEEN)) \
		2800 4300
	assert_ms "timeout: lease stopped the group after the cut" \
		$((GONE - t_cut)) 3500 7500
	run records
	assert_output "START,-,$SERVER_ADDR $cmd
command,$RX_USER@$SERVER_ADDR:$SSHD_PORT $cmd
error,timeout after 6 s; stopping remote process group $pgid
error,$(unconfirmed "$pgid")
stats,elapsed=S out=0 err=0 attempts=1 reason=timeout:unconfirmed
END,124,$SERVER_ADDR $cmd"
	assert_unconfirmed to "$pgid" timeout
}

@test "SIGTERM during a partition ends within --kill-grace + 3 s: exit 143, reason=stopped:TERM:unconfirmed, END; the lease stops the group" {
	local pgid t_cut t_sig cmd="echo \$\$ >$T/term.pgid; sleep 300"
	rx_ns_bg term --alive 6 --kill-grace 1 "$SERVER_ADDR" "$cmd"
	pgid=$(wait_pgid "$T/term.pgid")
	sleep 0.5
	cut_link
	t_cut=$(ms)
	sleep 0.5
	kill -TERM "$RX_PID"
	t_sig=$(ms)
	watch_run "$pgid" 15
	assert_cut_held
	assert_equal "$RX_RC" 143
	assert_ms "SIGTERM: remoteexe ended after the signal" \
		$((RX_END - t_sig)) 2800 4300
	assert_ms "SIGTERM: lease stopped the group after the cut" \
		$((GONE - t_cut)) 3500 7500
	run records
	assert_output "START,-,$SERVER_ADDR $cmd
command,$RX_USER@$SERVER_ADDR:$SSHD_PORT $cmd
signal,TERM
error,$(unconfirmed "$pgid")
stats,elapsed=S out=0 err=0 attempts=1 reason=stopped:TERM:unconfirmed
END,143,$SERVER_ADDR $cmd"
	assert_unconfirmed term "$pgid" stopped:TERM
}

@test "kill -9 of remoteexe with the link up: the remote group is gone within 2 s" {
	local pgid t_kill cmd="echo \$\$ >$T/k9.pgid; sleep 300"
	rx_ns_bg k9 --alive 30 --kill-grace 1 "$SERVER_ADDR" "$cmd"
	pgid=$(wait_pgid "$T/k9.pgid")
	sleep 0.5
	kill -KILL "$RX_PID"
	t_kill=$(ms)
	watch_run "$pgid" 10
	assert_equal "$RX_RC" 137
	assert_ms "kill -9: lease stopped the group" $((GONE - t_kill)) 0 2000
}

# --- addresses -----------------------------------------------------------------

# addresses NAME: the addresses getaddrinfo gives for NAME in the client
# namespace, in its order.
addresses() {
	ip netns exec "$NS_C" getent ahosts "$1" |
		awk '$2 == "STREAM" { print $1 }' | paste -sd' '
}

@test "a name whose first address is blackholed connects via the second after --connect-timeout, and the run succeeds" {
	local t0 cmd="set -- \$SSH_CONNECTION; echo \$3"
	assert_equal "$(addresses "$FIRST_DEAD")" "$DEAD_A $SERVER_ADDR"
	t0=$(ms)
	run --separate-stderr rx_ns --connect-timeout 3 --retries 0 \
		"$FIRST_DEAD" "$cmd"
	assert_ms "second address: run took" $(($(ms) - t0)) 2900 4500
	assert_equal "$status" 0
	assert_equal "$stderr" ""
	run records
	assert_output "START,-,$FIRST_DEAD $cmd
command,$RX_USER@$FIRST_DEAD:$SSHD_PORT $cmd
out,$SERVER_ADDR
stats,elapsed=S out=12 err=0 attempts=1 reason=exit
END,0,$FIRST_DEAD $cmd"
}

@test "a name whose addresses are all blackholed fails with 255 after --connect-timeout for each, naming both" {
	local t0 err="$ALL_DEAD port $SSHD_PORT: connect: $DEAD_A: timed out, $DEAD_B: timed out"
	assert_equal "$(addresses "$ALL_DEAD")" "$DEAD_A $DEAD_B"
	t0=$(ms)
	run --separate-stderr rx_ns --connect-timeout 3 --retries 0 \
		"$ALL_DEAD" true
	assert_ms "two dead addresses: run took" $(($(ms) - t0)) 5900 7000
	assert_equal "$status" 255
	assert_equal "$stderr" "remoteexe: $err"
	run records
	assert_output "START,-,$ALL_DEAD true
command,$RX_USER@$ALL_DEAD:$SSHD_PORT true
error,$err
stats,elapsed=S out=0 err=0 attempts=1 reason=ssh:connect
END,255,$ALL_DEAD true"
}

# --- the link up, or back -------------------------------------------------------

@test "with the link up, a command running for more than twice --alive is not stopped by the lease" {
	local t0 cmd="echo \$\$ >$T/up.pgid; sleep 8; echo done"
	t0=$(ms)
	run --separate-stderr rx_ns --alive 3 --kill-grace 1 "$SERVER_ADDR" "$cmd"
	assert_ms "link up: the run took" $(($(ms) - t0)) 8000 10000
	assert_equal "$status" 0
	run records
	assert_output "START,-,$SERVER_ADDR $cmd
command,$RX_USER@$SERVER_ADDR:$SSHD_PORT $cmd
out,done
stats,elapsed=S out=5 err=0 attempts=1 reason=exit
END,0,$SERVER_ADDR $cmd"
}

@test "a command that ends just as a heartbeat arrives keeps its exit status (5 runs)" {
	local i statuses="" want="" cmd="sleep 1.2; echo done; exit 5"
	# the heartbeat due at 1 s is sent with the output at 1.2 s
	for i in 1 2 3 4 5; do
		rx_ns --alive 3 --kill-grace 1 "$SERVER_ADDR" "$cmd" &&
			statuses+=" 0" || statuses+=" $?"
		want+="START,-,$SERVER_ADDR $cmd
command,$RX_USER@$SERVER_ADDR:$SSHD_PORT $cmd
out,done
stats,elapsed=S out=5 err=0 attempts=1 reason=exit
END,5,$SERVER_ADDR $cmd
"
	done
	assert_equal "$statuses" " 5 5 5 5 5"
	run records
	assert_output "${want%$'\n'}"
}

@test "a partition shorter than --alive is survived: the run goes on past --alive, ends with its own exit status and all its output" {
	local pgid t0 n i out="" cmd="echo \$\$ >$T/blip.pgid; i=0; while [ \$i -lt 20 ]; do i=\$((i + 1)); echo tick\$i; sleep 0.5; done; exit 3"
	t0=$(ms)
	rx_ns_bg blip --alive 6 --kill-grace 1 "$SERVER_ADDR" "$cmd"
	pgid=$(wait_pgid "$T/blip.pgid")
	sleep 0.5
	cut_link
	sleep 1
	n=$(dropped)
	heal_link
	((n > 0)) || fail "the partition dropped no packet"
	watch_run "$pgid" 20
	assert_equal "$RX_RC" 3
	assert_ms "blip: the run took" $((RX_END - t0)) 10000 13000
	for ((i = 1; i <= 20; i++)); do out+="out,tick$i"$'\n'; done
	run records
	assert_output "START,-,$SERVER_ADDR $cmd
command,$RX_USER@$SERVER_ADDR:$SSHD_PORT $cmd
${out}stats,elapsed=S out=$((20 * 6 + 11)) err=0 attempts=1 reason=exit
END,3,$SERVER_ADDR $cmd"
}
