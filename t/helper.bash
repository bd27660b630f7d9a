# Shared fixture: a real OpenSSH sshd on 127.0.0.1, a free port, its own keys.
#
# In a .bats file:
#	load helper
#	setup_file() { fixture_setup; }		# or: fixture_setup "MaxStartups 1:100:1"
#	teardown_file() { fixture_teardown; }
#
# Exported by fixture_setup (visible in every test of the file):
#	FIX		temp dir holding everything below
#	SSHD_PORT	port sshd listens on (127.0.0.1 only)
#	SSHD_PID	sshd's pid (the listener; sessions are its children)
#	RX_KEY		client private key (ed25519), authorized for the current user
#	RX_KNOWN	known_hosts with the host key as [127.0.0.1]:PORT
#	RX_USER		remote user (the current user)
#	HOME		$FIX/home: an empty home, so no ~/.ssh/config leaks in
# rx ARGS...		runs remoteexe against the fixture, logging to $LOG,
#			under timeout ${RX_TIMEOUT:-60}
# RX_OPTS		array: the options rx passes (set by setup)
# LOG			per-test log file ($BATS_TEST_TMPDIR/log)

REMOTEEXE=${REMOTEEXE:-$BATS_TEST_DIRNAME/../remoteexe}
SSHD=${SSHD:-/usr/sbin/sshd}

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

# The record grammar of CONTRACT.md, as an extended regex.
RECORD_RE='^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\]\[[0-9]+\] (START,-,.*|command,[^@ ]+@[^: ]+:[0-9]+ .*|out,.*|err,.*|out\+,.*|err\+,.*|retry,[0-9]+,.*|hostkey,added .*|signal,[A-Z0-9]+|state,.*|error,.*|stats,elapsed=[0-9]+\.[0-9]{3} out=[0-9]+ err=[0-9]+ attempts=[0-9]+ reason=[a-z:A-Z0-9]+|END,[0-9]+,.*)$'

# sshd_write_config DIR PORT [EXTRA LINE...]
sshd_write_config() {
	local dir=$1 port=$2 line
	shift 2
	{
		# Extra lines first: in sshd_config the first value wins.
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

# sshd_launch DIR [EXTRA LINE...]: start sshd on a free port; sets SSHD_PORT SSHD_PID.
sshd_launch() {
	local dir=$1 try port pid i
	shift
	[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		sshd_write_config "$dir" "$port" "$@"
		# 3>&-: bats waits for every process holding fd 3.
		"$SSHD" -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" 3>&- &
		pid=$!
		for i in $(seq 1 50); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
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

fixture_setup() {
	FIX=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/fix.XXXXXX")
	export FIX
	mkdir -p "$FIX/home"
	chmod 700 "$FIX/home"
	ssh-keygen -q -t ed25519 -N '' -C fixture-host -f "$FIX/host_ed25519" ||
		return 1
	ssh-keygen -q -t ed25519 -N '' -C fixture-client -f "$FIX/id_ed25519" ||
		return 1
	cp "$FIX/id_ed25519.pub" "$FIX/authorized_keys"
	sshd_launch "$FIX" "$@" || return 1
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" \
		"$(cut -d' ' -f1,2 "$FIX/host_ed25519.pub")" >"$FIX/known_hosts"
	RX_KEY=$FIX/id_ed25519 RX_KNOWN=$FIX/known_hosts RX_USER=$(id -un)
	export RX_KEY RX_KNOWN RX_USER
	export HOME=$FIX/home
	unset SSH_AUTH_SOCK REMOTEEXE_LOG
}

fixture_teardown() {
	if [ -n "${SSHD_PID:-}" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
	fi
	return 0
}

setup() {
	LOG=$BATS_TEST_TMPDIR/log
	RX_OPTS=(-p "$SSHD_PORT" -i "$RX_KEY" --known-hosts "$RX_KNOWN"
		--log "$LOG")
	export HOME=$FIX/home
	unset SSH_AUTH_SOCK REMOTEEXE_LOG
}

# rx ARGS...: remoteexe against the fixture sshd, logging to $LOG, bounded
# by timeout(1) (RX_TIMEOUT seconds, default 60).  Tests that need
# remoteexe's own pid run "$REMOTEEXE" "${RX_OPTS[@]}" ... themselves.
rx() {
	timeout "${RX_TIMEOUT:-60}" "$REMOTEEXE" "${RX_OPTS[@]}" "$@"
}

# log_records KIND: the rest of every KIND record of $LOG, one per line.
log_records() {
	sed -n "s/^\[[^]]*\]\[[0-9]*\] $1,//p" "$LOG"
}

# assert_log_grammar [FILE]: every line of the log is a record.
assert_log_grammar() {
	local bad
	bad=$(grep -Evn "$RECORD_RE" "${1:-$LOG}" | head -n 5)
	[ -z "$bad" ] || fail "lines outside the record grammar: $bad"
}
