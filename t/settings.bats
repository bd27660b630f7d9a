#!/usr/bin/env bats
# Where the settings come from, as ssh takes them: ~ is the passwd entry's
# home (never $HOME), /etc/ssh/ssh_config after the user's file, Match
# criteria, Include bounds, the keywords remoteexe refuses rather than
# ignore, ProxyJump and ProxyCommand syntax, -J, AddressFamily,
# IdentityAgent, GlobalKnownHostsFile, private key permissions, and make
# install. See CONTRACT.md, "Command line", and remoteexe(1), SSH
# CONFIGURATION. Runs that read ~ run as a throwaway user (rxu); runs as
# root always give -F.

bats_require_minimum_version 1.5.0

load helper

setup_file() { fixture_setup && pwuser_add; }
teardown_file() { pwuser_del; fixture_teardown; }

eval "helper_$(declare -f setup)"

setup() {
	helper_setup
	T=$BATS_TEST_TMPDIR
	CFG=$T/config
	PWLOG=$PWHOME/remoteexe.log
	SYS=$PWBASE/etc
	install -d -m 755 "$SYS"
}

# PWUSER's home is shared by the tests of this file: leave it as it was.
teardown() {
	find "$PWHOME/.ssh" -mindepth 1 -delete
	rm -rf "$PWLOG" "$PWHOME/fake" "$PWHOME"/*.conf "$SYS"
	if [ -n "${AGENT_PID:-}" ]; then
		kill "$AGENT_PID" 2>/dev/null
		wait "$AGENT_PID" 2>/dev/null
	fi
	if [ -n "${SLOW_PID:-}" ]; then
		kill "$SLOW_PID" 2>/dev/null
		wait "$SLOW_PID" 2>/dev/null
	fi
	return 0
}

# Port 1 on 127.0.0.1: nothing listens there, so a value that should have
# lost makes the run fail fast instead of passing by accident.
CLOSED=1

# rxs ARGS...: remoteexe as root, no retries, logging to $LOG. Give -F.
rxs() {
	timeout 30 "$REMOTEEXE" --retries 0 --log "$LOG" "$@"
}

# rxu ARGS...: remoteexe as PWUSER with HOME=$RXU_HOME (default /, as in
# the seed's crontab), logging to $PWLOG; the test sets LOG=$PWLOG.
rxu() {
	HOME=${RXU_HOME:-/} as_pwuser timeout 30 "$PWBIN" --retries 0 \
		--log "$PWLOG" "$@"
}

# use_pwuser: the rest of the test reads PWUSER's log and its copies of
# the key and known_hosts.
use_pwuser() {
	LOG=$PWLOG RX_KEY=$PWKEY RX_KNOWN=$PWKNOWN RXC=rxu
}

# alias_rest: the lines of a block that reach the fixture, but HostName.
alias_rest() {
	printf '%s\n' "	Port $SSHD_PORT" "	User $RX_USER" \
		"	IdentityFile $RX_KEY" "	UserKnownHostsFile $RX_KNOWN"
}

# alias_block [NAME]: a Host block that reaches the fixture.
alias_block() {
	printf 'Host %s\n\tHostName 127.0.0.1\n' "${1:-fix}"
	alias_rest
}

# fallback: a last block for every host that fails fast (a closed port).
fallback() {
	printf 'Host *\n\tHostName 127.0.0.1\n\tPort %s\n' "$CLOSED"
}

# pw_file FILE: stdin becomes FILE, owned by PWUSER, mode 600.
pw_file() {
	cat >"$1"
	chown "$PWUID:$PWGID" "$1"
	chmod 600 "$1"
}

# sys_file NAME: stdin becomes $SYS/NAME, root's, mode 644 (as in /etc/ssh).
sys_file() {
	mkdir -p "$(dirname "$SYS/$1")"
	cat >"$SYS/$1"
	chmod 644 "$SYS/$1"
}

# assert_on_fixture: the run succeeded, and its command record names the
# fixture's port.
assert_on_fixture() {
	assert_success
	run log_records command
	assert_output --regexp "^$RX_USER@127\.0\.0\.1:$SSHD_PORT "
}

# The runner of assert_config_error (helper.bash); use_pwuser sets rxu.
RXC=rxs

# free_uid: a uid with no passwd entry.
free_uid() {
	local uid
	for ((uid = 64000; uid < 64100; uid++)); do
		getent passwd "$uid" >/dev/null || { echo "$uid"; return 0; }
	done
	return 1
}

# --- ~ is the passwd entry's home -----------------------------------------

@test "~ is the passwd entry's home: its ~/.ssh/config is read, not that of \$HOME" {
	use_pwuser
	install -d -m 700 -o "$PWUID" -g "$PWGID" "$PWHOME/fake" \
		"$PWHOME/fake/.ssh"
	printf 'Host fix\n\tPort %s\n' "$CLOSED" | pw_file "$PWHOME/fake/.ssh/config"
	alias_block | pw_file "$PWHOME/.ssh/config"
	RXU_HOME=$PWHOME/fake run rxu fix true
	assert_on_fixture
}

@test "the default key is ~/.ssh/id_ed25519 of the passwd entry's home" {
	use_pwuser
	pw_file "$PWHOME/.ssh/id_ed25519" <"$PWKEY"
	run rxu -F none -p "$SSHD_PORT" --known-hosts "$PWKNOWN" \
		"$RX_USER@127.0.0.1" true
	assert_on_fixture
}

@test "the default known_hosts is ~/.ssh/known_hosts of the passwd entry's home" {
	use_pwuser
	pw_file "$PWHOME/.ssh/known_hosts" <"$PWKNOWN"
	run rxu -F none -p "$SSHD_PORT" -i "$PWKEY" "$RX_USER@127.0.0.1" true
	assert_on_fixture
}

@test "--accept-new under HOME=/ records the key in the passwd entry's ~/.ssh/known_hosts and makes no /.ssh" {
	use_pwuser
	assert_not_exists /.ssh
	run rxu -F none -p "$SSHD_PORT" -i "$PWKEY" --accept-new \
		"$RX_USER@127.0.0.1" true
	assert_on_fixture
	run cut -d' ' -f1,2 "$PWHOME/.ssh/known_hosts"
	assert_output "[127.0.0.1]:$SSHD_PORT ssh-ed25519"
	assert_not_exists /.ssh
}

@test "the seed's crontab environment (HOME=/, PATH=/sbin:/bin:/usr/sbin:/usr/bin) finds keys and known_hosts in the passwd entry's home" {
	use_pwuser
	pw_file "$PWHOME/.ssh/id_ed25519" <"$PWKEY"
	pw_file "$PWHOME/.ssh/known_hosts" <"$PWKNOWN"
	run --separate-stderr timeout 30 env -i SHELL=/bin/bash \
		PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/ \
		setpriv --reuid="$PWUID" --regid="$PWGID" --init-groups -- \
		"$PWBIN" -p "$SSHD_PORT" --log "$LOG" "$RX_USER@127.0.0.1" echo hi
	assert_success
	assert_output ""
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run records
	assert_output "START,-,$RX_USER@127.0.0.1 echo hi
command,$RX_USER@127.0.0.1:$SSHD_PORT echo hi
out,hi
stats,elapsed=S out=3 err=0 attempts=1 reason=exit
END,0,$RX_USER@127.0.0.1 echo hi"
}

# rx_nouid UID ARGS...: remoteexe as a uid without a passwd entry, with a
# key and a log in a directory of its own.
rx_nouid() {
	local uid=$1 dir=$PWBASE/nouid
	shift
	install -d -m 700 -o "$uid" -g "$uid" "$dir"
	install -m 600 -o "$uid" -g "$uid" "$RX_KEY" "$dir/key"
	install -m 600 -o "$uid" -g "$uid" "$RX_KNOWN" "$dir/known_hosts"
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- timeout 30 \
		"$PWBIN" -F none -p "$SSHD_PORT" -i "$dir/key" --log "$dir/log" \
		"$@"
}

@test "a uid without a passwd entry is told to give --known-hosts" {
	local uid
	uid=$(free_uid)
	run rx_nouid "$uid" "$RX_USER@127.0.0.1" true
	assert_failure 10
	LOG=$PWBASE/nouid/log
	run log_records error
	assert_output "uid $uid has no passwd entry, so there is no ~/.ssh/known_hosts: give --known-hosts"
}

@test "a uid without a passwd entry runs when every file and the remote user are given" {
	local uid
	uid=$(free_uid)
	run rx_nouid "$uid" --known-hosts "$PWBASE/nouid/known_hosts" \
		"$RX_USER@127.0.0.1" echo hi
	assert_success
	LOG=$PWBASE/nouid/log
	run log_records out
	assert_output "hi"
}

# --- the system-wide ssh_config -------------------------------------------

@test "without -F a Host alias of the system-wide ssh_config is used" {
	use_pwuser
	alias_block | sys_file ssh_config
	REMOTEEXE_SYSTEM_CONFIG=$SYS/ssh_config run rxu fix true
	assert_on_fixture
}

@test "the user's ~/.ssh/config is read before the system-wide file: its values win" {
	use_pwuser
	alias_block | pw_file "$PWHOME/.ssh/config"
	{
		printf 'Host fix\n\tHostName 127.0.0.2\n\tPort %s\n' "$CLOSED"
	} | sys_file ssh_config
	REMOTEEXE_SYSTEM_CONFIG=$SYS/ssh_config run rxu fix true
	assert_on_fixture
}

@test "a relative Include in the system-wide file is taken from its directory" {
	use_pwuser
	printf 'Include conf.d/*.conf\n' | sys_file ssh_config
	alias_block | sys_file conf.d/10-fix.conf
	REMOTEEXE_SYSTEM_CONFIG=$SYS/ssh_config run rxu fix true
	assert_on_fixture
}

@test "-F replaces the system-wide file too" {
	use_pwuser
	printf 'Host fix\n\tIdentityFile %s\n' "$PWKEY" | sys_file ssh_config
	alias_block | grep -v IdentityFile | pw_file "$PWHOME/f.conf"
	REMOTEEXE_SYSTEM_CONFIG=$SYS/ssh_config run rxu -F "$PWHOME/f.conf" \
		fix true
	assert_failure 255
	run log_records error
	assert_output "authentication as $RX_USER to 127.0.0.1 port $SSHD_PORT failed; tried: no keys"
}

@test "this machine's own /etc/ssh/ssh_config is read without error" {
	use_pwuser
	[ -r /etc/ssh/ssh_config ] || fail "no /etc/ssh/ssh_config here"
	unset REMOTEEXE_SYSTEM_CONFIG
	run rxu -p "$SSHD_PORT" -i "$PWKEY" --known-hosts "$PWKNOWN" \
		"$RX_USER@127.0.0.1" echo hi
	assert_on_fixture
	run log_records out
	assert_output "hi"
}

@test "GlobalKnownHostsFile names the host key files checked besides the user's" {
	{
		printf 'Host fix\n\tHostName 127.0.0.1\n\tPort %s\n' "$SSHD_PORT"
		printf '\tIdentityFile %s\n\tUserKnownHostsFile /dev/null\n' "$RX_KEY"
		printf '\tGlobalKnownHostsFile %s/none %s\n' "$T" "$RX_KNOWN"
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "GlobalKnownHostsFile none leaves only the user's files" {
	{
		printf 'Host fix\n\tHostName 127.0.0.1\n\tPort %s\n' "$SSHD_PORT"
		printf '\tIdentityFile %s\n\tUserKnownHostsFile /dev/null\n' "$RX_KEY"
		printf '\tGlobalKnownHostsFile none\n'
		printf 'Host *\n\tGlobalKnownHostsFile %s\n' "$RX_KNOWN"
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_failure 255
	run log_records stats
	assert_output --regexp ' reason=ssh:hostkey$'
}

# --- Include --------------------------------------------------------------

@test "an Include of a directory is an error naming the Include line" {
	mkdir "$T/dir"
	printf 'Host *\n\tInclude %s\n' "$T/dir" >"$CFG"
	assert_config_error "$CFG:2: Include $T/dir: Is a directory" -F "$CFG"
}

@test "an Include of a file another user may write is refused naming the Include line" {
	printf 'User nobody\n' >"$T/inc"
	chmod 666 "$T/inc"
	printf '# first\nInclude %s\n' "$T/inc" >"$CFG"
	assert_config_error \
		"$CFG:2: Include $T/inc: bad owner or permissions (another user may write it)" \
		-F "$CFG"
}

@test "Includes that fan out stop after 256 files read, with 10, at once" {
	local i
	: >"$T/f12"
	for ((i = 11; i >= 0; i--)); do
		printf 'Include %s\n' "$T/f$((i + 1))" "$T/f$((i + 1))" \
			"$T/f$((i + 1))" "$T/f$((i + 1))" >"$T/f$i"
	done
	printf 'Include %s\n' "$T/f0" >"$CFG"
	run --separate-stderr timeout 10 "$REMOTEEXE" --log "$LOG" -F "$CFG" \
		fix true
	assert_failure 10
	run log_records error
	assert_output --regexp "^$T/f[0-9]+:[1-4]: Include: more than 256 files read for one configuration \(Includes fanning out\?\)$"
}

@test "Includes nested more than 16 deep are an error" {
	printf 'Include %s\n' "$CFG" >"$CFG"
	assert_config_error "$CFG:1: Include: nested more than 16 deep" -F "$CFG"
}

# --- Match ------------------------------------------------------------------

@test "Match host matches HostName as it is set so far" {
	{
		printf 'Host fix\n\tHostName 127.0.0.1\n'
		printf 'Match host 127.0.0.1\n'
		alias_rest
		fallback
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "Match host compares host names case-insensitively" {
	{
		printf 'Match host F?X\n\tHostName 127.0.0.1\n'
		alias_rest
		fallback
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "Match originalhost matches the host as typed, not HostName" {
	{
		printf 'Host fix\n\tHostName 127.0.0.1\n'
		printf 'Match originalhost 127.0.0.1\n\tPort %s\n' "$CLOSED"
		printf 'Match originalhost fix\n'
		alias_rest
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "Match user matches the remote user given on the command line" {
	use_pwuser
	{
		printf 'Match user %s\n\tHostName 127.0.0.1\n' "$RX_USER"
		alias_rest
		fallback
	} | pw_file "$PWHOME/f.conf"
	run rxu -F "$PWHOME/f.conf" "$RX_USER@fix" true
	assert_on_fixture
}

@test "Match localuser matches the user remoteexe runs as" {
	use_pwuser
	{
		printf 'Match localuser %s\n\tHostName 127.0.0.1\n' "$PWUSER"
		alias_rest
		fallback
	} | pw_file "$PWHOME/f.conf"
	run rxu -F "$PWHOME/f.conf" fix true
	assert_on_fixture
}

@test "a Match criterion negated with ! holds when the criterion does not" {
	{
		printf 'Match !host other\n\tHostName 127.0.0.1\n'
		alias_rest
		fallback
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "Match canonical never applies: remoteexe does not canonicalize host names" {
	{
		printf 'Match canonical\n\tPort %s\n' "$CLOSED"
		alias_block
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "Match exec in a block that could apply is refused with 10 naming file:line" {
	{
		alias_block other
		printf 'Match host fix exec "test -e /"\n\tPort %s\n' "$CLOSED"
	} >"$CFG"
	assert_config_error \
		"$CFG:7: Match exec: not supported by remoteexe, so whether this block applies is not known" \
		-F "$CFG"
}

@test "Match exec after a criterion that does not hold is not an error, as ssh does not run it" {
	{
		printf 'Match host other exec false\n\tPort %s\n' "$CLOSED"
		alias_block
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "Match final is refused with 10: remoteexe makes no second pass" {
	printf 'Match final\n\tPort %s\n' "$CLOSED" >"$CFG"
	assert_config_error \
		"$CFG:1: Match final: not supported by remoteexe (it makes no second pass over the configuration)" \
		-F "$CFG"
}

@test "an unknown Match criterion is an error" {
	printf 'Match colour blue\n' >"$CFG"
	assert_config_error "$CFG:1: Match: unknown criterion colour" -F "$CFG"
}

# --- what remoteexe refuses rather than ignore ---------------------------

@test "CertificateFile in a block that applies is refused with 10 naming file:line" {
	{
		alias_block
		printf '\tCertificateFile %s-cert.pub\n' "$RX_KEY"
	} >"$CFG"
	assert_config_error \
		"$CFG:7: CertificateFile $RX_KEY-cert.pub: not supported by remoteexe: certificates are not supported (libssh2 cannot use them)" \
		-F "$CFG"
}

@test "a refused keyword in a block that does not apply is not an error" {
	{
		printf 'Host other\n\tCertificateFile %s-cert.pub\n' "$RX_KEY"
		alias_block
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

@test "PubkeyAuthentication no is refused: public keys are all remoteexe authenticates with" {
	{
		alias_block
		printf '\tPubkeyAuthentication no\n'
	} >"$CFG"
	assert_config_error \
		"$CFG:7: PubkeyAuthentication no: not supported by remoteexe: remoteexe authenticates only with public keys" \
		-F "$CFG"
}

@test "every keyword that would make ssh connect otherwise is refused, from -o too" {
	local kv
	alias_block >"$CFG"
	for kv in "BindAddress 127.0.0.1" "BindInterface lo" \
		"CanonicalizeHostname yes" "CanonicalizeHostname always" \
		"CertificateFile /x" "KnownHostsCommand /bin/true" \
		"PKCS11Provider /x.so" "PubkeyAuthentication no" \
		"RemoteCommand ls" "RevokedHostKeys /x" \
		"SecurityKeyProvider /x.so" "SessionType none" \
		"SmartcardDevice /dev/x"; do
		rm -f "$LOG"
		run --separate-stderr rxs -F "$CFG" -o "$kv" fix touch "$T/ran"
		assert_failure 10
		run log_records error
		assert_output --regexp "^-o $kv: not supported by remoteexe: .+"
	done
	assert_file_not_exists "$T/ran"
}

@test "keywords that do not change where or as whom ssh connects are accepted, as in Debian's ssh_config" {
	{
		alias_block
		printf '\t%s\n' "SendEnv LANG LC_*" "HashKnownHosts yes" \
			"GSSAPIAuthentication yes" "ForwardAgent yes" \
			"ControlMaster auto" "ControlPath ~/.ssh/cm-%r@%h:%p" \
			"LocalForward 8080 localhost:80" "RemoteForward 9090 localhost:90" \
			"CanonicalizeHostname no" "PubkeyAuthentication yes" \
			"PKCS11Provider none" "SessionType default"
	} >"$CFG"
	run rxs -F "$CFG" fix true
	assert_on_fixture
}

# --- ProxyJump, ProxyCommand, -J: what can be checked before connecting ----

@test "a malformed -J fails with 10 naming -J, and PARAMS is all the arguments" {
	run --separate-stderr rx -J 'bastion:99999' 127.0.0.1 true
	assert_failure 10
	run log_records error
	assert_output "-J bastion:99999: not [user@]host[:port][,...] or none"
	run log_records END
	assert_output --regexp " -J bastion:99999 127\.0\.0\.1 true$"
}

@test "-J given twice fails with 10: hops are separated by commas" {
	run --separate-stderr rx -J a -J b 127.0.0.1 true
	assert_failure 10
	run log_records error
	assert_output "-J: given twice (separate the hops with commas)"
}

@test "a malformed ProxyJump fails with 10 naming file:line, even in a block that does not apply" {
	{
		alias_block
		printf 'Host other\n\tProxyJump u@[::1]:22,::1\n'
	} >"$CFG"
	assert_config_error \
		"$CFG:8: ProxyJump: u@[::1]:22,::1: not [user@]host[:port][,...] or none" \
		-F "$CFG"
}

@test "a ProxyCommand with an unknown % escape fails with 10 naming file:line" {
	{
		alias_block
		printf '\tProxyCommand nc %%x %%p\n'
	} >"$CFG"
	assert_config_error \
		"$CFG:7: ProxyCommand: nc %x %p: unknown escape %x" -F "$CFG"
}

@test "the first ProxyJump hop's own ProxyJump is refused: the chain goes in one ProxyJump" {
	{
		printf 'Host fix\n\tProxyJump b1\n'
		printf 'Host b1\n\tProxyJump b0\n'
		printf 'Host *\n\tIdentityFile %s\n' "$RX_KEY"
	} >"$CFG"
	assert_config_error \
		"ProxyJump hop b1: its own ProxyJump or ProxyCommand is not supported: list every hop in one ProxyJump, or set ProxyJump none for it" \
		-F "$CFG"
}

# --- AddressFamily, IdentityAgent ----------------------------------------

@test "AddressFamily inet6 does not look up an IPv4 address" {
	run rx -o AddressFamily=inet6 127.0.0.1 true
	assert_failure 255
	run log_records error
	assert_output "127.0.0.1: Address family for hostname not supported"
	run log_records stats
	assert_output --regexp ' reason=ssh:resolve$'
}

@test "AddressFamily is any, inet or inet6" {
	alias_block >"$CFG"
	assert_config_error "-o AddressFamily: ipx is not any, inet or inet6" \
		-F "$CFG" -o AddressFamily=ipx
}

# rxk ARGS...: remoteexe as root on the fixture with only the keys of ARGS.
rxk() {
	rxs -F none -p "$SSHD_PORT" --known-hosts "$RX_KNOWN" "$@"
}

# agent_start: an ssh-agent holding RX_KEY on $T/agent.sock (AGENT_PID),
# and a key the server does not know, $T/stranger.
agent_start() {
	ssh-agent -D -a "$T/agent.sock" >/dev/null 3>&- &
	AGENT_PID=$!
	wait_for 5 test -S "$T/agent.sock" || fail "no agent socket"
	SSH_AUTH_SOCK=$T/agent.sock ssh-add -q "$RX_KEY" 2>/dev/null ||
		fail "ssh-add failed"
	ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/stranger"
}

@test "IdentityAgent names the agent whose keys are tried" {
	agent_start
	run rxk -o "IdentityAgent=$T/agent.sock" -i "$T/stranger" 127.0.0.1 true
	assert_on_fixture
}

@test "SIGUSR1 while a slow agent answers writes a state record and the run goes on" {
	local pid
	agent_start
	# each answer 1.5 s late: authentication takes 3 s or more
	python3 "$BATS_TEST_DIRNAME/slowagent.py" "$T/slow.sock" "$T/agent.sock" 1.5 3>&- &
	SLOW_PID=$!
	wait_for 5 test -S "$T/slow.sock" || fail "no slow agent socket"
	# not under timeout(1), which would take the signal: --connect-timeout
	# and --timeout bound the run
	SSH_AUTH_SOCK=$T/slow.sock "$REMOTEEXE" -F none -p "$SSHD_PORT" \
		--known-hosts "$RX_KNOWN" --log "$LOG" --retries 0 \
		--connect-timeout 10 --timeout 20 127.0.0.1 'echo ok' 3>&- &
	pid=$!
	sleep 1.2
	kill -USR1 "$pid"
	wait "$pid" || fail "the run failed with $?: $(records)"
	run log_records state
	assert_output --regexp '^phase=auth'
	assert_equal "$(log_records out)" ok
}

@test "IdentityAgent none keeps the agent of SSH_AUTH_SOCK out" {
	agent_start
	SSH_AUTH_SOCK=$T/agent.sock run rxk -o IdentityAgent=none \
		-i "$T/stranger" 127.0.0.1 true
	assert_failure 255
	run log_records error
	assert_output "authentication as $RX_USER to 127.0.0.1 port $SSHD_PORT failed; tried: $T/stranger"
}

# --- private key permissions, as ssh ---------------------------------------

@test "a private key readable by group or others is refused with ssh's reason and the chmod fix" {
	cp "$RX_KEY" "$T/key"
	chmod 644 "$T/key"
	run rxk -i "$T/key" 127.0.0.1 true
	assert_failure 255
	run log_records error
	assert_output "authentication as $RX_USER to 127.0.0.1 port $SSHD_PORT failed; tried: $T/key (UNPROTECTED PRIVATE KEY FILE: permissions 0644 for $T/key are too open; chmod 600 $T/key)"
}

@test "an unprotected private key is skipped and the next key is tried" {
	cp "$RX_KEY" "$T/key"
	chmod 640 "$T/key"
	ssh-keygen -q -t ed25519 -N '' -C stranger -f "$T/stranger"
	run rxk -i "$T/key" -i "$T/stranger" 127.0.0.1 true
	assert_failure 255
	run log_records error
	assert_output "authentication as $RX_USER to 127.0.0.1 port $SSHD_PORT failed; tried: $T/key (UNPROTECTED PRIVATE KEY FILE: permissions 0640 for $T/key are too open; chmod 600 $T/key), $T/stranger"
}

@test "an unprotected default key ~/.ssh/id_ed25519 is refused too" {
	use_pwuser
	pw_file "$PWHOME/.ssh/id_ed25519" <"$PWKEY"
	chmod 604 "$PWHOME/.ssh/id_ed25519"
	run rxu -F none -p "$SSHD_PORT" --known-hosts "$PWKNOWN" \
		"$RX_USER@127.0.0.1" true
	assert_failure 255
	run log_records error
	assert_output "authentication as $RX_USER to 127.0.0.1 port $SSHD_PORT failed; tried: $PWHOME/.ssh/id_ed25519 (UNPROTECTED PRIVATE KEY FILE: permissions 0604 for $PWHOME/.ssh/id_ed25519 are too open; chmod 600 $PWHOME/.ssh/id_ed25519)"
}

@test "a private key owned by another user is not checked for permissions, as in ssh" {
	cp "$RX_KEY" "$T/key"
	chown "$PWUID:$PWGID" "$T/key"
	chmod 644 "$T/key"
	run rxk -i "$T/key" 127.0.0.1 true
	assert_on_fixture
}

# --- make install -----------------------------------------------------------

@test "make install PREFIX=/usr puts remoteexe in /usr/bin, on the seed crontab's PATH" {
	local stage=$T/stage
	run make -s -C "$BATS_TEST_DIRNAME/.." install DESTDIR="$stage" \
		PREFIX=/usr
	assert_success
	assert_file_executable "$stage/usr/bin/remoteexe"
	assert_file_exists "$stage/usr/share/man/man1/remoteexe.1"
	run env -i PATH="$stage/sbin:$stage/bin:$stage/usr/sbin:$stage/usr/bin" \
		/bin/sh -c 'command -v remoteexe'
	assert_output "$stage/usr/bin/remoteexe"
}

@test "make install-link links /usr/bin/remoteexe to the installed binary" {
	local stage=$T/stage
	run make -s -C "$BATS_TEST_DIRNAME/.." install install-link \
		DESTDIR="$stage"
	assert_success
	assert_file_executable "$stage/usr/local/bin/remoteexe"
	run readlink "$stage/usr/bin/remoteexe"
	assert_output "/usr/local/bin/remoteexe"
}
