#!/usr/bin/env bats
# ssh_config(5): -F, ~/.ssh/config, -o, Host patterns, first value wins,
# Include, and what a bad config does. See CONTRACT.md, "Command line".
# The fixture sshd is reached only through a Host alias: no -p, -i or
# --known-hosts unless a test is about them. ~ is a passwd entry's home:
# the tests about ~/.ssh run remoteexe as a throwaway user (rxu).

bats_require_minimum_version 1.5.0

load helper

setup_file() { fixture_setup && pwuser_add; }
teardown_file() { pwuser_del; fixture_teardown; }

# The user's home is shared by the tests of this file: leave it as it was.
teardown() {
	find "$PWHOME/.ssh" -mindepth 1 -delete
	rm -f "$PWHOME/remoteexe.log" "$PWHOME/config"
}

# Port 1 on 127.0.0.1: nothing listens there, so a value that should have
# lost makes the run fail fast instead of passing by accident.
CLOSED=1

# rxc ARGS...: remoteexe with only --log (and no retries), under a bound.
# Every test that runs it as root gives -F: root's ~/.ssh is not ours.
rxc() {
	timeout 30 "$REMOTEEXE" --retries 0 --log "$LOG" "$@"
}

# use_pwuser: the rest of the test runs remoteexe as PWUSER (rxu), with
# files it can read: its log, key and known_hosts.
use_pwuser() {
	LOG=$PWHOME/remoteexe.log RX_KEY=$PWKEY RX_KNOWN=$PWKNOWN
	RXC=rxu
}

# rxu ARGS...: rxc as PWUSER; HOME points elsewhere, as under cron.
rxu() {
	HOME=/ as_pwuser timeout 30 "$PWBIN" --retries 0 --log "$LOG" "$@"
}

# alias_block [NAME [KNOWN_HOSTS]]: a Host block that reaches the fixture.
alias_block() {
	printf '%s\n' "Host ${1:-fix}" \
		"	HostName 127.0.0.1" \
		"	Port $SSHD_PORT" \
		"	User $RX_USER" \
		"	IdentityFile $RX_KEY" \
		"	UserKnownHostsFile ${2:-$RX_KNOWN}"
}

# user_config [FILE]: stdin becomes PWUSER's FILE (default ~/.ssh/config),
# private, as ssh wants it.
user_config() {
	local f=${1:-$PWHOME/.ssh/config}
	cat >"$f"
	chown "$PWUID:$PWGID" "$f"
	chmod 600 "$f"
}

# assert_ran_on_fixture: the command record names the fixture's port.
assert_ran_on_fixture() {
	run log_records command
	assert_output --regexp "^$RX_USER@127\.0\.0\.1:$SSHD_PORT "
}

# assert_config_reaches_fixture HOST: with -F $BATS_TEST_TMPDIR/config,
# remoteexe HOST true succeeds, and on the fixture.
assert_config_reaches_fixture() {
	run rxc -F "$BATS_TEST_TMPDIR/config" "$1" true
	assert_success
	assert_ran_on_fixture
}

# assert_echo_hi_logged: the log of "fix echo hi" run on the fixture.
assert_echo_hi_logged() {
	run records
	assert_output "START,-,fix echo hi
command,$RX_USER@127.0.0.1:$SSHD_PORT echo hi
out,hi
stats,elapsed=S out=3 err=0 attempts=1 reason=exit
END,0,fix echo hi"
}

# strict_config VALUE KNOWN_HOSTS: the alias with StrictHostKeyChecking.
strict_config() {
	{
		alias_block fix "$2"
		printf '\tStrictHostKeyChecking %s\n' "$1"
	} >"$BATS_TEST_TMPDIR/config"
}

# assert_hostkey_added KNOWN_HOSTS: the fixture's key was recorded there,
# and so was a hostkey,added record.
assert_hostkey_added() {
	run log_records hostkey
	assert_output "added [127.0.0.1]:$SSHD_PORT ssh-ed25519 $(host_fingerprint)"
	run cut -d' ' -f1-3 "$1"
	assert_output "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$FIX/host_ed25519.pub")"
}

# The runner of assert_config_error (helper.bash); use_pwuser sets rxu.
RXC=rxc

# --- where the values come from -----------------------------------------

@test "a Host alias in the -F file gives HostName, Port, User, IdentityFile and UserKnownHostsFile" {
	alias_block >"$BATS_TEST_TMPDIR/config"
	run rxc -F "$BATS_TEST_TMPDIR/config" fix echo hi
	assert_success
	assert_echo_hi_logged
}

@test "~/.ssh/config is read when there is no -F" {
	use_pwuser
	alias_block | user_config
	run rxu fix echo hi
	assert_success
	assert_ran_on_fixture
	run log_records out
	assert_output "hi"
}

@test "-F replaces ~/.ssh/config: the default file is then not read" {
	use_pwuser
	alias_block | user_config
	{
		printf 'Host fix\n\tPort %s\n' "$CLOSED"
		alias_block
	} | user_config "$PWHOME/config"
	run rxu -F "$PWHOME/config" fix true
	assert_failure 255
	run log_records command
	assert_output "$RX_USER@127.0.0.1:$CLOSED true"
}

@test "a missing ~/.ssh/config is fine" {
	use_pwuser
	run rxu -p "$SSHD_PORT" -i "$RX_KEY" --known-hosts "$RX_KNOWN" \
		"$RX_USER@127.0.0.1" echo hi
	assert_success
	run log_records out
	assert_output "hi"
}

@test "-o wins over the config file" {
	{
		printf 'Host fix\n\tPort %s\n' "$CLOSED"
		alias_block
	} >"$BATS_TEST_TMPDIR/config"
	run rxc -o "Port=$SSHD_PORT" -F "$BATS_TEST_TMPDIR/config" fix true
	assert_success
	assert_ran_on_fixture
}

@test "-p wins over -o and the config file" {
	{
		printf 'Host fix\n\tPort %s\n' "$CLOSED"
		alias_block
	} >"$BATS_TEST_TMPDIR/config"
	run rxc -p "$SSHD_PORT" -o "Port $CLOSED" \
		-F "$BATS_TEST_TMPDIR/config" fix true
	assert_success
	assert_ran_on_fixture
}

@test "the first value wins across Host blocks" {
	{
		alias_block 'f*'
		printf 'Host fix\n\tPort %s\n\tHostName 127.0.0.2\n' "$CLOSED"
		printf 'Host *\n\tUser nobody\n'
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_reaches_fixture fix
}

@test "a !negated pattern excludes a Host block even when another pattern matches" {
	{
		printf 'Host !fix *\n\tPort %s\n' "$CLOSED"
		alias_block
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_reaches_fixture fix
}

@test "Host patterns match with * and ?" {
	alias_block 'f?x.*' >"$BATS_TEST_TMPDIR/config"
	assert_config_reaches_fixture fix.example.com
}

@test "Host patterns match the host as typed, case-sensitively, as ssh does" {
	{
		printf 'Host fix\n\tPort %s\n' "$CLOSED"
		alias_block FIX
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_reaches_fixture FIX
}

@test "Match all applies to every host; a Match host block for another host does not" {
	{
		printf 'Match host other\n\tPort %s\n' "$CLOSED"
		printf 'Match all\n'
		alias_block | tail -n +2
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_reaches_fixture anyname
}

@test "Include reads the files its glob matches, in order, relative to ~/.ssh" {
	use_pwuser
	install -d -m 700 -o "$PWUID" -g "$PWGID" "$PWHOME/.ssh/conf.d"
	alias_block | user_config "$PWHOME/.ssh/conf.d/10-fix.conf"
	printf 'Host *\n\tPort %s\n' "$CLOSED" |
		user_config "$PWHOME/.ssh/conf.d/20-all.conf"
	printf 'Host fix\n\tPort %s\n' "$CLOSED" |
		user_config "$PWHOME/.ssh/conf.d/05-fix.off"
	printf 'Include conf.d/*.conf\n' | user_config "$PWHOME/config"
	run rxu -F "$PWHOME/config" fix true
	assert_success
	assert_ran_on_fixture
}

@test "an Include inside a Host block that does not match is not applied" {
	use_pwuser
	printf 'Port %s\n' "$CLOSED" | user_config "$PWHOME/.ssh/other"
	{
		printf 'Host other\n\tInclude other\n'
		alias_block
	} | user_config "$PWHOME/config"
	run rxu -F "$PWHOME/config" fix true
	assert_success
	assert_ran_on_fixture
}

@test "%h in IdentityFile is the HostName connected to" {
	mkdir -p "$BATS_TEST_TMPDIR/keys"
	cp "$RX_KEY" "$BATS_TEST_TMPDIR/keys/127.0.0.1"
	{
		alias_block | grep -v IdentityFile
		printf '\tIdentityFile %s/keys/%%h\n' "$BATS_TEST_TMPDIR"
		printf '\tIdentitiesOnly yes\n'
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_reaches_fixture fix
}

# --- a bad config is an invalid invocation -------------------------------

@test "a malformed config line fails with 10 and an error record naming file:line" {
	{
		alias_block
		printf '\tPort 99999999\n'
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_error \
		"$BATS_TEST_TMPDIR/config:7: Port: 99999999 is too large" \
		-F "$BATS_TEST_TMPDIR/config"
}

@test "a malformed line in a Host block that does not match is still an error" {
	{
		alias_block
		printf 'Host other\n\tIdentitiesOnly maybe\n'
	} >"$BATS_TEST_TMPDIR/config"
	assert_config_error \
		"$BATS_TEST_TMPDIR/config:8: IdentitiesOnly: maybe is not yes or no" \
		-F "$BATS_TEST_TMPDIR/config"
}

@test "a malformed line in an included file names the included file and its line" {
	use_pwuser
	printf '# one\nUser "unterminated\n' | user_config "$PWHOME/.ssh/bad"
	printf 'Include bad\n' | user_config "$PWHOME/config"
	assert_config_error "$PWHOME/.ssh/bad:2: User: unterminated quote" \
		-F "$PWHOME/config"
}

@test "a malformed ~/.ssh/config fails with 10 too" {
	use_pwuser
	printf 'Host fix\n\tPort\n' | user_config
	assert_config_error "$PWHOME/.ssh/config:2: Port: missing value"
}

@test "a ~/.ssh/config that another user may write is refused with 10, as ssh does" {
	use_pwuser
	alias_block | user_config
	chmod 620 "$PWHOME/.ssh/config"
	assert_config_error \
		"$PWHOME/.ssh/config: bad owner or permissions (another user may write it)"
}

@test "a missing -F file fails with 10" {
	assert_config_error \
		"$BATS_TEST_TMPDIR/nonexistent: No such file or directory" \
		-F "$BATS_TEST_TMPDIR/nonexistent"
}

@test "-o with an invalid number fails with 10 naming the option" {
	assert_config_error "-o Port: abc is invalid" -o Port=abc
}

# --- host keys ----------------------------------------------------------

@test "StrictHostKeyChecking accept-new in the config adds an unknown host key and logs hostkey,added" {
	: >"$BATS_TEST_TMPDIR/known"
	strict_config accept-new "$BATS_TEST_TMPDIR/known"
	run rxc -F "$BATS_TEST_TMPDIR/config" fix true
	assert_success
	assert_hostkey_added "$BATS_TEST_TMPDIR/known"
}

@test "StrictHostKeyChecking no in the config adds an unknown host key, as accept-new" {
	: >"$BATS_TEST_TMPDIR/known"
	strict_config no "$BATS_TEST_TMPDIR/known"
	run rxc -F "$BATS_TEST_TMPDIR/config" fix true
	assert_success
	assert_hostkey_added "$BATS_TEST_TMPDIR/known"
}

@test "StrictHostKeyChecking no in the config never accepts a changed host key" {
	local kh=$BATS_TEST_TMPDIR/known
	ssh-keygen -q -t ed25519 -N '' -C other -f "$BATS_TEST_TMPDIR/other"
	known_hosts_line "$BATS_TEST_TMPDIR/other.pub" >"$kh"
	cp "$kh" "$BATS_TEST_TMPDIR/known.before"
	strict_config no "$kh"
	run rxc -F "$BATS_TEST_TMPDIR/config" fix touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 255
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	run log_records hostkey
	assert_output ""
	run log_records stats
	assert_output --regexp ' reason=ssh:hostkey$'
	cmp "$kh" "$BATS_TEST_TMPDIR/known.before"
}

# --- cron ---------------------------------------------------------------

@test "under cron's empty environment an alias of ~/.ssh/config works and stdout stays empty" {
	use_pwuser
	alias_block | user_config
	run --separate-stderr timeout 30 env -i PATH=/usr/bin:/bin HOME=/ \
		REMOTEEXE_SYSLOG_SOCKET="$REMOTEEXE_SYSLOG_SOCKET" \
		setpriv --reuid="$PWUID" --regid="$PWGID" --init-groups -- \
		"$PWBIN" --log "$LOG" fix echo hi
	assert_success
	assert_output ""
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_echo_hi_logged
}
