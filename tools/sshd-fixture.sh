# tools/sshd-fixture.sh: a throwaway OpenSSH sshd on 127.0.0.1 for the
# benchmark scripts (bench.sh, burst.sh). Sourced by bash; the same approach
# as t/helper.bash (own host and client keys, a free port, first value wins
# in sshd_config), without bats.
#
#	. tools/sshd-fixture.sh
#	fixture_start DIR [SSHD_CONFIG_LINE...]	# lines go first: they win
#	...
#	fixture_stop				# by PID; also call it from a trap
#
# Sets and exports:
#	FIX		DIR (everything lives there)
#	SSHD_PORT	port sshd listens on (127.0.0.1 only)
#	SSHD_PID	the listening sshd's pid
#	RX_KEY		client private key (ed25519), authorized for the current user
#	RX_KNOWN	known_hosts holding the host key as [127.0.0.1]:PORT
#	RX_USER		remote user (the current user)
#	HOME		$FIX/home: an empty home, so no ~/.ssh/config leaks in
#	SSH_CMD		array: ssh with the same key, known_hosts and port
#			(append USER@127.0.0.1 and the command)

SSHD=${SSHD:-/usr/sbin/sshd}

# record_re ROOT: the record grammar of CONTRACT.md as an extended regex:
# RECORD_RE of ROOT/t/helper.bash (read, not sourced), else this copy of it.
record_re() {
	local re
	re=$(sed -n "s/^RECORD_RE='\(.*\)'\$/\1/p" "$1/t/helper.bash" 2>/dev/null)
	[ -n "$re" ] ||
	re='^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\]\[[0-9]+\] (START,-,.*|command,[^@ ]+@[^: ]+:[0-9]+ .*|out,.*|err,.*|out\+,.*|err\+,.*|retry,[0-9]+,.*|hostkey,added .*|signal,[A-Z0-9]+|state,.*|error,.*|stats,elapsed=[0-9]+\.[0-9]{3} out=[0-9]+ err=[0-9]+ attempts=[0-9]+ reason=[a-z:A-Z0-9]+|END,[0-9]+,.*)$'
	printf '%s\n' "$re"
}

# fixture_write_config DIR PORT [EXTRA LINE...]
fixture_write_config() {
	local dir=$1 port=$2 line
	shift 2
	{
		for line in "$@"; do printf '%s\n' "$line"; done
		cat <<-CONF
		Port $port
		ListenAddress 127.0.0.1
		HostKey $dir/host_ed25519
		PidFile $dir/sshd.pid
		AuthorizedKeysFile $dir/authorized_keys
		StrictModes no
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		LogLevel VERBOSE
		CONF
	} >"$dir/sshd_config"
}

# fixture_launch DIR [EXTRA LINE...]: start sshd on a free port (10 tries).
fixture_launch() {
	local dir=$1 try port pid i
	shift
	[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		fixture_write_config "$dir" "$port" "$@"
		"$SSHD" -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" </dev/null &
		pid=$!
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			if (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
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
	fixture_launch "$FIX" "$@" || return 1
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" \
		"$(cut -d' ' -f1,2 "$FIX/host_ed25519.pub")" >"$FIX/known_hosts"
	RX_KEY=$FIX/id_ed25519 RX_KNOWN=$FIX/known_hosts RX_USER=$(id -un)
	export RX_KEY RX_KNOWN RX_USER
	export HOME=$FIX/home
	unset SSH_AUTH_SOCK REMOTEEXE_LOG
	SSH_CMD=(ssh -o BatchMode=yes -o UserKnownHostsFile="$RX_KNOWN"
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
