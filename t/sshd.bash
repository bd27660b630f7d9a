# shellcheck shell=bash
# t/sshd.bash: a throwaway OpenSSH sshd on 127.0.0.1 (a free port, its own
# host and client keys, its own directory) and the record grammar, shared by
# the tests (t/helper.bash) and the tools (bench.sh, burst.sh, demo.sh).
# SSHD_ADDR=::1 puts it on the IPv6 loopback instead.
# Plain bash, no bats:
#
#	. t/sshd.bash
#	fixture_start DIR [SSHD_CONFIG_LINE...]	# lines go first: they win
#	...
#	fixture_stop				# by PID; idempotent
#
# fixture_start sets and exports:
#	FIX		DIR (everything lives there)
#	SSHD_PORT	port sshd listens on (SSHD_ADDR, 127.0.0.1 by default)
#	SSHD_PID	the listening sshd's pid (sessions are its children)
#	RX_KEY		client private key (ed25519), authorized for every user
#	RX_KNOWN	known_hosts holding the host key as [SSHD_ADDR]:PORT
#	RX_USER		remote user (the current user)
#	HOME		$FIX/home: an empty directory. remoteexe, as ssh, takes
#			~ from the passwd entry, not from $HOME: runs that must
#			not read the caller's ~/.ssh pass -F none (or a file),
#			-i and --known-hosts
#	REMOTEEXE_SYSTEM_CONFIG  $FIX/ssh_config.system, empty: runs without
#			-F read it instead of /etc/ssh/ssh_config
#	REMOTEEXE_SYSLOG_SOCKET	$FIX/syslog.sock, where nobody listens
# and sets SSH_CMD, an array: ssh with the same key, known_hosts and port
# (append USER@127.0.0.1 and the command).
#
# Read when set (t/netns.bats):
#	SSHD_ADDR	the address sshd listens on (default 127.0.0.1)
#	SSHD_NETNS	the network namespace sshd runs in (ip netns exec)

# sshd re-executes itself, so it must be started by its absolute path.
SSHD=${SSHD:-/usr/sbin/sshd}

# The record grammar of CONTRACT.md, as an extended regex. An IPv6 host is
# written [addr]:port in the command record. A line cut by a failed write
# (disk full) need not match it; the record after it is then CUT_RE's
# error record (see assert_log_grammar in t/helper.bash).
# shellcheck disable=SC2034  # for the scripts that source this file
RECORD_RE='^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\]\[[0-9]+\] (START,-,.*|command,[^@ ]+@([^]:[ ]+|\[[0-9A-Fa-f:.]+(%[^] ]+)?\]):[0-9]+ .*|out,.*|err,.*|out\+,.*|err\+,.*|retry,[0-9]+,.*|hostkey,added .*|signal,[A-Z0-9]+|state,.*|error,.*|stats,elapsed=[0-9]+\.[0-9]{3} out=[0-9]+ err=[0-9]+ attempts=[0-9]+ reason=[a-z:A-Z0-9]+( lost=[0-9]+)?( noeol=(out|err|out,err))?|END,[0-9]+,.*)$'

# The error record with which a run terminates a record cut at the end of
# the log (by a failed write, its own or an earlier run's).
# shellcheck disable=SC2034  # for the scripts that source this file
CUT_RE='^\[[^]]*\]\[[0-9]+\] error,a previous record at the end of this file was cut \((more than )?[0-9]+ bytes without a newline\); terminated$'

# sshd_write_config DIR PORT [EXTRA LINE...]: DIR/sshd_config for the keys
# in DIR, listening on SSHD_ADDR:PORT only.  $SSHD_APPEND (Match blocks,
# which must come last) is added at the end.
sshd_write_config() {
	local dir=$1 port=$2 line
	shift 2
	{
		# Extra lines first: in sshd_config the first value wins.
		for line in "$@"; do printf '%s\n' "$line"; done
		cat <<-CONF
		Port $port
		ListenAddress ${SSHD_ADDR:-127.0.0.1}
		HostKey $dir/host_ed25519
		PidFile $dir/sshd.pid
		AuthorizedKeysFile $dir/authorized_keys
		StrictModes no
		UsePAM no
		PasswordAuthentication no
		PermitUserRC no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		LogLevel VERBOSE
		CONF
		[ -z "${SSHD_APPEND:-}" ] || printf '%s\n' "$SSHD_APPEND"
	} >"$dir/sshd_config"
}

# sshd_listening PORT: something accepts on SSHD_ADDR:PORT (in SSHD_NETNS).
sshd_listening() {
	local addr=${SSHD_ADDR:-127.0.0.1}
	if [ -n "${SSHD_NETNS:-}" ]; then
		# shellcheck disable=SC2016  # expanded by that bash
		ip netns exec "$SSHD_NETNS" bash -c \
			'exec 9<>"/dev/tcp/$0/$1"' "$addr" "$1" 2>/dev/null
	else
		(exec 9<>"/dev/tcp/$addr/$1") 2>/dev/null
	fi
}

# sshd_launch DIR [EXTRA LINE...]: start sshd with the keys in DIR on a free
# random port in 20000-59999 (so never 22 or 2024), 10 tries of 5 s at most;
# sets and exports SSHD_PORT and SSHD_PID. Its log is DIR/sshd.log.
sshd_launch() {
	local dir=$1 try port pid i netns=()
	shift
	[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
	# ip netns exec execs sshd: $! stays sshd's own pid.
	[ -z "${SSHD_NETNS:-}" ] || netns=(ip netns exec "$SSHD_NETNS")
	for ((try = 1; try <= 10; try++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		sshd_write_config "$dir" "$port" "$@"
		# 3>&-: bats waits for every process holding fd 3.
		"${netns[@]}" "$SSHD" -D -e -f "$dir/sshd_config" \
			2>>"$dir/sshd.log" </dev/null 3>&- &
		pid=$!
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			if sshd_listening "$port"; then
				SSHD_PORT=$port SSHD_PID=$pid
				export SSHD_PORT SSHD_PID
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	echo "sshd would not start; log:" >&2
	cat "$dir/sshd.log" >&2
	return 1
}

# known_hosts_line PUBKEY_FILE [PORT [HOST]]: the known_hosts line for that
# key at [HOST]:PORT (default [SSHD_ADDR]:$SSHD_PORT).
known_hosts_line() {
	printf '[%s]:%s %s\n' "${3:-${SSHD_ADDR:-127.0.0.1}}" \
		"${2:-$SSHD_PORT}" "$(cut -d' ' -f1,2 "$1")"
}

# fixture_start DIR [EXTRA LINE...]: keys, sshd and known_hosts in DIR; see
# the top of this file.
fixture_start() {
	FIX=$1
	shift
	export FIX
	mkdir -p "$FIX/home" || return 1
	chmod 700 "$FIX/home"
	ssh-keygen -q -t ed25519 -N '' -C fixture-host -f "$FIX/host_ed25519" ||
		return 1
	ssh-keygen -q -t ed25519 -N '' -C fixture-client -f "$FIX/id_ed25519" ||
		return 1
	cp "$FIX/id_ed25519.pub" "$FIX/authorized_keys"
	sshd_launch "$FIX" "$@" || return 1
	known_hosts_line "$FIX/host_ed25519.pub" >"$FIX/known_hosts"
	RX_KEY=$FIX/id_ed25519 RX_KNOWN=$FIX/known_hosts RX_USER=$(id -un)
	export RX_KEY RX_KNOWN RX_USER
	export HOME=$FIX/home
	: >"$FIX/ssh_config.system"
	export REMOTEEXE_SYSTEM_CONFIG=$FIX/ssh_config.system
	unset SSH_AUTH_SOCK REMOTEEXE_LOG
	# remoteexe's own failures go to syslog: here to a socket nobody
	# listens on (tests that read them listen there), never /dev/log
	export REMOTEEXE_SYSLOG_SOCKET=$FIX/syslog.sock
	# shellcheck disable=SC2034  # for the scripts that source this file
	SSH_CMD=(ssh -F none -o BatchMode=yes -o UserKnownHostsFile="$RX_KNOWN"
		-o IdentitiesOnly=yes -i "$RX_KEY" -p "$SSHD_PORT")
}

# fixture_stop: stop our sshd by its PID (never by name). Idempotent.
fixture_stop() {
	if [ -n "${SSHD_PID:-}" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	fi
	return 0
}

# fixture_cleanup_on_exit NAME WORKDIR [KEEP]: for scripts. When the script
# exits, and on HUP, INT and TERM (exit 128 + the signal), stop sshd by its
# PID and remove WORKDIR; with KEEP=1 keep WORKDIR and say so on stderr.
fixture_cleanup_on_exit() {
	FIXTURE_NAME=$1 FIXTURE_WORKDIR=$2 FIXTURE_KEEP=${3:-0}
	trap fixture_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # called from the EXIT trap
fixture_cleanup() {
	fixture_stop
	if [ "$FIXTURE_KEEP" = 1 ]; then
		echo "$FIXTURE_NAME: kept $FIXTURE_WORKDIR" >&2
	else
		rm -rf "$FIXTURE_WORKDIR"
	fi
}
