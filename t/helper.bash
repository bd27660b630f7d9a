# Shared fixture: a real OpenSSH sshd on 127.0.0.1, a free port, its own keys
# (t/sshd.bash, which the tools use too), and the helpers of the tests.
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
#	HOME		$FIX/home, empty; remoteexe ignores it, as ssh does: ~
#			is the passwd entry's home. A test about ~ runs
#			remoteexe as a throwaway user (pwuser_add, as_pwuser);
#			every other run gives -F, -i and --known-hosts, so
#			that the caller's real ~/.ssh is never read
#	REMOTEEXE_SYSTEM_CONFIG  an empty file, read instead of
#			/etc/ssh/ssh_config by runs without -F
# rx ARGS...		runs remoteexe against the fixture, logging to $LOG,
#			under timeout ${RX_TIMEOUT:-60}
# RX_OPTS		array: the options rx passes (set by setup; rx_opts
#			sets them again from the variables above and LOG)
# LOG			per-test log file ($BATS_TEST_TMPDIR/log)
# now, since T0, assert_lt A B [WHAT], last_record: time and log helpers.
# lock_dir_of_test, rx_together N CMD: see below.
# From t/sshd.bash: sshd_launch DIR [LINE...], sshd_write_config,
# known_hosts_line, RECORD_RE (the record grammar), CUT_RE, SSHD.

REMOTEEXE=${REMOTEEXE:-$BATS_TEST_DIRNAME/../remoteexe}

load sshd

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

# fixture_setup [EXTRA SSHD_CONFIG LINE...]: the file's sshd, in a temp dir.
fixture_setup() {
	local dir
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/fix.XXXXXX") || return 1
	fixture_start "$dir" "$@"
}

fixture_teardown() {
	fixture_stop
}

setup() {
	LOG=$BATS_TEST_TMPDIR/log
	rx_opts
	export HOME=$FIX/home
	unset SSH_AUTH_SOCK REMOTEEXE_LOG
}

# rx_opts: set RX_OPTS from SSHD_PORT, RX_KEY, RX_KNOWN and LOG as they are
# now. A runner declares "local RX_OPTS" first, so the test's copy stays.
rx_opts() {
	RX_OPTS=(-F none -p "$SSHD_PORT" -i "$RX_KEY" --known-hosts "$RX_KNOWN"
		--log "$LOG")
}

# rx ARGS...: remoteexe against the fixture sshd, logging to $LOG, bounded
# by timeout(1) (RX_TIMEOUT seconds, default 60). SSHD_PORT, RX_KEY,
# RX_KNOWN and LOG are read at each call, so a test may set them for one
# run (SSHD_PORT=$port rx ...) or for the rest of the test (LOG=...). Tests
# that need remoteexe's own pid run "$REMOTEEXE" "${RX_OPTS[@]}" ...
# themselves.
rx() {
	local RX_OPTS
	rx_opts
	timeout "${RX_TIMEOUT:-60}" "$REMOTEEXE" "${RX_OPTS[@]}" "$@"
}

# log_records KIND: the rest of every KIND record of $LOG, one per line.
log_records() {
	sed -n "s/^\[[^]]*\]\[[0-9]*\] $1,//p" "$LOG"
}

# records [FILE]: every record of the log without its time and pid, with
# the elapsed time of stats masked as S.
records() {
	sed -e 's/^\[[^]]*\]\[[0-9]*\] //' \
		-e 's/^stats,elapsed=[0-9]*\.[0-9]*/stats,elapsed=S/' "${1:-$LOG}"
}

# lock_dir_of_test: --lock keeps its files in the test's own directory,
# never in a shared /tmp/remoteexe-UID.
lock_dir_of_test() {
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/xdg
	mkdir -m 700 "$XDG_RUNTIME_DIR"
}

# rx_together N CMD: N simultaneous runs of rx 127.0.0.1 CMD, where %d in
# CMD is the run's number (1..N, and %% a percent sign); fails if any run
# fails.
rx_together() {
	local i bg=()
	for ((i = 1; i <= $1; i++)); do
		# shellcheck disable=SC2059  # CMD is the format
		rx 127.0.0.1 "$(printf "$2" "$i")" 3>&- &
		bg+=($!)
	done
	for i in "${bg[@]}"; do
		wait "$i" || fail "a run failed with $?"
	done
}

# assert_log_grammar [FILE]: every line of the log is a record, but for a
# line cut by a failed write that the next line, CUT_RE's error record,
# says was cut.
assert_log_grammar() {
	local f=${1:-$LOG} n bad=
	while IFS=: read -r n _; do
		sed -n "$((n + 1))p" "$f" | grep -Eq "$CUT_RE" ||
			bad+="$(sed -n "${n}p" "$f" | cut -c1-200)"$'\n'
	done < <(grep -Evn "$RECORD_RE" "$f" | head -n 20)
	[ -z "$bad" ] || fail "lines outside the record grammar: $bad"
}

# --- a real passwd home ---------------------------------------------------
# remoteexe takes ~ from the passwd entry, as ssh does; root's is /root,
# which the tests never touch. pwuser_add (in setup_file) adds a throwaway
# system user whose home is in a temp dir, and exports:
#	PWUSER PWUID PWGID	its name and ids
#	PWHOME			its home (mode 700, its own), with ~/.ssh (700)
#	PWBIN			a copy of remoteexe it can run
#	PWKEY PWKNOWN		its copies of RX_KEY and RX_KNOWN (outside ~/.ssh)
#	REMOTEEXE_SYSTEM_CONFIG	an empty file it can read
# pwuser_del (in teardown_file) removes exactly that user and the temp dir.
# The fixture sshd cannot read its authorized_keys as that user, so runs
# log in as RX_USER (root@...).
pwuser_add() {
	local base
	[ "$(id -u)" -eq 0 ] || { echo "pwuser_add: needs root" >&2; return 1; }
	base=$(mktemp -d "${TMPDIR:-/tmp}/remoteexe-pw.XXXXXX") || return 1
	chmod 755 "$base"
	PWBASE=$base PWUSER=rxt$$$RANDOM
	useradd -r -M -d "$base/home" -s /bin/sh -p '*' \
		-c 'remoteexe test' "$PWUSER" || return 1
	PWUID=$(id -u "$PWUSER") PWGID=$(id -g "$PWUSER") PWHOME=$base/home
	PWBIN=$base/remoteexe PWKEY=$PWHOME/key PWKNOWN=$PWHOME/known_hosts
	export PWBASE PWUSER PWUID PWGID PWHOME PWBIN PWKEY PWKNOWN
	export REMOTEEXE_SYSTEM_CONFIG=$base/ssh_config.system
	install -m 644 /dev/null "$REMOTEEXE_SYSTEM_CONFIG" &&
	install -m 755 "$REMOTEEXE" "$PWBIN" &&
	install -d -m 700 -o "$PWUID" -g "$PWGID" "$PWHOME" "$PWHOME/.ssh" &&
	install -m 600 -o "$PWUID" -g "$PWGID" "$RX_KEY" "$PWKEY" &&
	install -m 600 -o "$PWUID" -g "$PWGID" "$RX_KNOWN" "$PWKNOWN"
}

pwuser_del() {
	if [ -n "${PWUSER:-}" ] && id -u "$PWUSER" >/dev/null 2>&1; then
		userdel "$PWUSER"
	fi
	[ -z "${PWBASE:-}" ] || rm -rf "$PWBASE"
	PWUSER= PWBASE=
}

# as_pwuser CMD...: run CMD as PWUSER, environment unchanged (HOME too).
as_pwuser() {
	setpriv --reuid="$PWUID" --regid="$PWGID" --init-groups -- "$@"
}

# pw_install MODE FILE DEST: copy FILE to DEST, owned by PWUSER.
pw_install() {
	install -m "$1" -o "$PWUID" -g "$PWGID" "$2" "$3"
}

# assert_config_error MESSAGE ARGS...: "$RXC" ARGS fix touch FILE (RXC:
# the test file's runner) exits 10 without running anything, says MESSAGE
# on stderr, and logs exactly START, the error record, stats and END.
assert_config_error() {
	local msg=$1 ran=$BATS_TEST_TMPDIR/ran
	shift
	run --separate-stderr "${RXC:?the runner}" "$@" fix touch "$ran"
	assert_failure 10
	assert_file_not_exists "$ran"
	[[ $stderr == *"$msg"* ]] || fail "stderr does not say $msg: $stderr"
	run records
	assert_output "START,-,fix touch $ran
error,$msg
stats,elapsed=S out=0 err=0 attempts=0 reason=usage
END,10,fix touch $ran"
}

# closed_port: a port on 127.0.0.1 where nothing listens.
closed_port() {
	local port i
	for ((i = 0; i < 50; i++)); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 9<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# host_fingerprint: SHA256 fingerprint of the fixture's host key.
host_fingerprint() {
	ssh-keygen -lf "$FIX/host_ed25519.pub" | awk '{ print $2 }'
}

# wait_for SECS CMD...: poll CMD every 0.1 s, at most SECS.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# pgid_alive PGID: some process, not a zombie waiting for init to reap
# it, is still in that process group.
pgid_alive() {
	ps -eo pgid=,stat= |
		awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# assert_group_gone FILE [SECS]: the remote process group named in FILE is
# gone, or goes within SECS (default 2 s: a moment for the remote parent to
# reap it).
assert_group_gone() {
	local pgid
	pgid=$(cat "$1")
	[[ $pgid =~ ^[0-9]+$ ]] || fail "no pgid in $1"
	if ! wait_for "${2:-2}" eval "! pgid_alive $pgid"; then
		fail "remote process group $pgid still running: $(ps -o pid=,args= -g "$pgid")"
	fi
}

now() { date +%s.%N; }

# since T0: seconds elapsed since T0 (from now), 3 decimals.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# assert_lt A B [WHAT]: A < B (decimals).
assert_lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' ||
		fail "expected $1 < $2${3:+ ($3)}"
}

# last_record: the last record of $LOG, without time and PID.
last_record() { tail -n 1 "$LOG" | sed -E 's/^\[[^]]*\]\[[0-9]+\] //'; }
