#!/usr/bin/env bats
# Host keys: known_hosts read as OpenSSH 9.2 reads it (markers, patterns,
# hashed names, CR LF, the port-less fallback), what a key exchange that
# fails on host key types says, HashKnownHosts, and the parts underneath
# (SHA-1, base64, the KEXINIT probe) through t/hostkey-driver.  Where it can,
# a test also asks ssh(1) for its verdict on the same file.

bats_require_minimum_version 1.5.0

load helper

DRIVER=${HOSTKEY_DRIVER:-$BATS_TEST_DIRNAME/hostkey-driver}

# The fixture (ed25519 host key), plus MULTI: a second sshd with RSA, ECDSA
# and the same ed25519 host key, on MULTI_PORT.
setup_file() {
	local port pid dir
	[ -x "$DRIVER" ] || { echo "$DRIVER: not built (make t/hostkey-driver)" >&2; return 1; }
	fixture_setup || return 1
	port=$SSHD_PORT pid=$SSHD_PID dir=$FIX/multi
	mkdir -p "$dir"
	cp "$FIX/host_ed25519" "$FIX/host_ed25519.pub" "$FIX/authorized_keys" "$dir/"
	ssh-keygen -q -t rsa -b 2048 -N '' -C multi-rsa -f "$dir/host_rsa" &&
		ssh-keygen -q -t ecdsa -N '' -C multi-ecdsa -f "$dir/host_ecdsa" &&
		sshd_launch "$dir" "HostKey $dir/host_rsa" "HostKey $dir/host_ecdsa" ||
		return 1
	MULTI=$dir MULTI_PORT=$SSHD_PORT MULTI_PID=$SSHD_PID
	SSHD_PORT=$port SSHD_PID=$pid
	export MULTI MULTI_PORT MULTI_PID SSHD_PORT SSHD_PID
	ssh-keygen -q -t ed25519 -N '' -C other -f "$FIX/other"
}

teardown_file() {
	if [ -n "${MULTI_PID:-}" ]; then
		kill "$MULTI_PID" 2>/dev/null
		wait "$MULTI_PID" 2>/dev/null
	fi
	fixture_teardown
}

teardown() {
	local pid
	[ -f "$BATS_TEST_TMPDIR/bg.pids" ] || return 0
	while read -r pid; do kill "$pid" 2>/dev/null; done <"$BATS_TEST_TMPDIR/bg.pids"
	return 0
}

KH=${BATS_TEST_TMPDIR:-/tmp}/known

# The host key, another key, and the name [127.0.0.1]:PORT of the fixture.
key() { cut -d' ' -f1,2 "${1:-$FIX/host_ed25519.pub}"; }
other() { key "$FIX/other.pub"; }
hp() { echo "[127.0.0.1]:${1:-$SSHD_PORT}"; }

# rxk FILE ARGS...: remoteexe with FILE as known_hosts.
rxk() { RX_KNOWN=$1 rx "${@:2}"; }

fp() { ssh-keygen -lf "${1:-$FIX/host_ed25519.pub}" | awk '{ print $2 }'; }
msg_unknown() { echo "host key for ${2:-$(hp)} is not known (ssh-ed25519 $(fp)): not in $1; add it to that file or use --accept-new"; }
msg_changed() { echo "host key for ${2:-$(hp)} has CHANGED (ssh-ed25519 $(fp)): it does not match $1; refusing to connect (if the change is expected, remove that line)"; }
msg_revoked() { echo "host key for ${2:-$(hp)} is REVOKED (ssh-ed25519 $(fp)) by $1; refusing to connect"; }

# ssh_verdict FILE [PORT [ALGORITHMS [ssh options]]]: what ssh says of the
# host key with only FILE as known_hosts: OK, NEW, CHANGED or REVOKED.
ssh_verdict() {
	local out
	if out=$(timeout 20 ssh -F /dev/null -o BatchMode=yes \
		-o UserKnownHostsFile="$1" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=yes -o HostKeyAlgorithms="${3:-ssh-ed25519}" \
		-o IdentitiesOnly=yes -i "$RX_KEY" -p "${2:-$SSHD_PORT}" "${@:4}" \
		"$RX_USER@127.0.0.1" true 2>&1); then
		echo OK
		return
	fi
	case $out in
	*"REVOKED HOST KEY"*) echo REVOKED ;;
	*"HOST IDENTIFICATION HAS CHANGED"*) echo CHANGED ;;
	*"host key is known for"*) echo NEW ;;
	*) echo "OTHER: $out" ;;
	esac
}

# refused MESSAGE: the run failed with 255 on the host key, said MESSAGE,
# ran nothing and left the known_hosts file as it was.
refused() {
	assert_failure 255
	assert_equal "$(log_records error)" "$1"
	assert_regex "$(log_records stats)" ' reason=ssh:hostkey$'
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	cmp "$KH" "$KH.before"
}

# trusted: the run passed without adding anything or logging a hostkey record.
trusted() {
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/ran"
	assert_equal "$(log_records hostkey)" ""
	cmp "$KH" "$KH.before"
}

# known LINE...: the lines, as printf writes them, become $KH.
known() {
	printf "$@" >"$KH"
	cp "$KH" "$KH.before"
}

# --- CR LF and blanks ---------------------------------------------------

@test "a known_hosts line ending in CRLF is the host's key" {
	known '%s %s\r\n' "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
	assert_equal "$(ssh_verdict "$KH")" OK
}

@test "--accept-new with /dev/null as the known hosts file runs, as ssh does" {
	run rxk /dev/null --accept-new 127.0.0.1 echo hi
	assert_success
	assert_equal "$(log_records out)" hi
	run log_records hostkey
	assert_output --regexp '^added '
}

@test "a @revoked line ending in CRLF refuses the key, even with --accept-new" {
	known '@revoked %s %s\r\n%s %s\r\n' "$(hp)" "$(key)" "$(hp)" "$(key)"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_revoked "$KH:1")"
	assert_equal "$(ssh_verdict "$KH")" REVOKED
}

@test "a line with another key ending in CRLF is a changed key, even with --accept-new" {
	known '%s %s\r\n' "$(hp)" "$(other)"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_changed "$KH:1")"
	assert_equal "$(ssh_verdict "$KH")" CHANGED
}

# --- @revoked -----------------------------------------------------------

@test "a @revoked line after the line with the key still refuses it" {
	known '%s %s\n@revoked %s %s\n' "$(hp)" "$(key)" "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_revoked "$KH:2")"
	assert_equal "$(ssh_verdict "$KH")" REVOKED
}

@test "a @revoked line in the second known_hosts file refuses a key the first file has" {
	printf '%s %s\n' "$(hp)" "$(key)" >"$KH.user"
	printf '@revoked * %s\n' "$(key)" >"$KH.system"
	run "$DRIVER" verify 127.0.0.1 "$SSHD_PORT" "$FIX/host_ed25519.pub" \
		"$KH.user" "$KH.system"
	assert_output "REVOKED $KH.system:1"
	assert_equal "$(ssh_verdict "$KH.user $KH.system")" REVOKED
}

# ssh's check_markers() looks for a space before a tab, so it skips such a
# line when a space follows later on it: refusing is the safe side.
@test "a @revoked marker followed by a tab refuses the key" {
	known '@revoked\t%s %s\n%s %s\n' "$(hp)" "$(key)" "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_revoked "$KH:1")"
}

@test "a @revoked certificate of the host's key refuses the key" {
	ssh-keygen -q -t ed25519 -N '' -C ca -f "$BATS_TEST_TMPDIR/ca"
	cp "$FIX/host_ed25519.pub" "$BATS_TEST_TMPDIR/host.pub"
	ssh-keygen -q -s "$BATS_TEST_TMPDIR/ca" -h -I host "$BATS_TEST_TMPDIR/host.pub"
	known '@revoked %s %s\n%s %s\n' "$(hp)" \
		"$(key "$BATS_TEST_TMPDIR/host-cert.pub")" "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_revoked "$KH:1")"
	assert_equal "$(ssh_verdict "$KH")" REVOKED
}

# --- host patterns ------------------------------------------------------

@test "a wildcard known_hosts line with the host's key is trusted" {
	known '[127.0.0.?]:* %s\n' "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
	assert_equal "$(ssh_verdict "$KH")" OK
}

@test "a wildcard known_hosts line with another key is a changed key" {
	known 'web1 %s\n* %s\n' "$(key)" "$(other)"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_changed "$KH:2")"
	assert_equal "$(ssh_verdict "$KH")" CHANGED
}

@test "a negated pattern takes a line away from the host" {
	known '!%s,[127.0.0.*]:* %s\n' "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_unknown "$KH")"
	assert_equal "$(ssh_verdict "$KH")" NEW
}

@test "a host in a comma-separated list of names is matched" {
	known 'web1,%s,web2 %s\n' "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
	assert_equal "$(ssh_verdict "$KH")" OK
}

@test "host names in known_hosts match whatever their case" {
	known '[LocalHost]:%s %s\n' "$SSHD_PORT" "$(key)"
	run rxk "$KH" LOCALHOST touch "$BATS_TEST_TMPDIR/ran"
	trusted
}

# --- hashed names -------------------------------------------------------

@test "a hashed line from ssh-keygen -H is the host's key" {
	printf 'web1 %s\n%s %s\n' "$(other)" "$(hp)" "$(key)" >"$KH"
	ssh-keygen -q -H -f "$KH" 2>/dev/null
	rm -f "$KH.old"
	cp "$KH" "$KH.before"
	[[ $(sed -n 2p "$KH") == "|1|"* ]] || fail "not hashed: $(cat "$KH")"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
}

@test "a hashed line for the host with another key is a changed key" {
	printf '%s %s\n' "$(hp)" "$(other)" >"$KH"
	ssh-keygen -q -H -f "$KH" 2>/dev/null
	rm -f "$KH.old"
	cp "$KH" "$KH.before"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_changed "$KH:1")"
}

@test "hashed lines whose salt or hash is not 20 bytes are skipped, and the next line counts" {
	known '|1|c2FsdA==|%s %s\n|1|%s|%s %s\n|1|%s|c2hvcnQ= %s\n%s %s\n' \
		"$(head -c 20 /dev/zero | base64)" "$(key)" \
		"$(head -c 20 /dev/zero | base64)" "$(head -c 32 /dev/zero | base64)" \
		"$(key)" "$(head -c 20 /dev/zero | base64)" "$(key)" "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
	assert_equal "$(ssh_verdict "$KH")" OK
}

# --- malformed and ignored lines ----------------------------------------

@test "lines with bad base64, an unknown key type or no key are skipped" {
	known '%s ssh-ed25519 !!!!\n%s ssh-foo %s\n%s ssh-ed25519\n%s %sA\n' \
		"$(hp)" "$(hp)" "$(key | cut -d' ' -f2)" "$(hp)" "$(hp)" "$(other)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_unknown "$KH")"
	assert_equal "$(ssh_verdict "$KH")" NEW
}

@test "a @cert-authority line is ignored: certificates are not supported" {
	known '@cert-authority %s %s\n' "$(hp)" "$(key)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_unknown "$KH")"
	assert_equal "$(ssh_verdict "$KH")" NEW
}

# --- ports --------------------------------------------------------------

@test "a port-less line with the key does not outweigh a [host]:port line with another" {
	known '127.0.0.1 %s\n%s %s\n' "$(key)" "$(hp)" "$(other)"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_changed "$KH:2")"
	assert_equal "$(ssh_verdict "$KH")" CHANGED
}

@test "with nothing on file for [host]:port, a port-less line with the key vouches for it, as in ssh" {
	known '127.0.0.1 %s\n' "$(key)"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
	assert_equal "$(ssh_verdict "$KH")" OK
}

@test "with nothing on file for [host]:port, a port-less line with another key leaves it unknown" {
	known '127.0.0.1 %s\n' "$(other)"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_unknown "$KH")"
	assert_equal "$(ssh_verdict "$KH")" NEW
}

# ssh warns of the revoked key, then adds it with accept-new.
@test "a port-less @revoked line refuses the key on another port, even with --accept-new" {
	known '@revoked 127.0.0.1 %s\n127.0.0.1 %s\n' "$(key)" "$(key)"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "$(msg_revoked "$KH:1")"
}

# --- key types ----------------------------------------------------------

@test "a line of another key type for the host makes the key a changed one, as in ssh" {
	printf '%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")" >"$KH"
	run "$DRIVER" verify 127.0.0.1 "$MULTI_PORT" "$FIX/host_ed25519.pub" "$KH"
	assert_output "CHANGED $KH:1"
	assert_equal "$(ssh_verdict "$KH" "$MULTI_PORT")" CHANGED
}

@test "an ecdsa known_hosts entry is used when the server also offers ed25519" {
	known '%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_ecdsa.pub")"
	SSHD_PORT=$MULTI_PORT run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
}

# server_offer PORT: the host key algorithms the server offers, as ssh -vv
# reads them from its KEXINIT.
server_offer() {
	timeout 20 ssh -vv -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=/dev/null \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
		-p "$1" 127.0.0.1 true 2>&1 | tr -d '\r' |
		awk '/peer server KEXINIT proposal/ { p = 1 }
			p && /host key algorithms: / { sub(/.*host key algorithms: /, ""); print; exit }'
}

libssh2_version() { pkg-config --modversion libssh2; }
libssh2_before_1_11() { [ "$(printf '%s\n' "$(libssh2_version)" 1.11.0 | sort -V | head -n 1)" != 1.11.0 ]; }

@test "an RSA-only known_hosts names the types on file, the server's offer, the libssh2 limit and the ssh-keyscan fix" {
	known '%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")"
	SSHD_PORT=$MULTI_PORT run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	if ! libssh2_before_1_11; then
		trusted	# libssh2 1.11 verifies rsa-sha2-256/512 itself
		return
	fi
	refused "host key for $(hp "$MULTI_PORT"): on file: ssh-rsa at $KH:1; the server offers $(server_offer "$MULTI_PORT"); libssh2 $(libssh2_version) verifies RSA host keys only as ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default; refusing to connect; one run of ssh -o UpdateHostKeys=yes adds the server's ed25519 key once it has verified the RSA one, or check the key and add it with: ssh-keyscan -t ed25519 -p $MULTI_PORT 127.0.0.1 >> $KH"
}

@test "a server that offers none of the types on file is refused as a changed key would be, naming the fix" {
	known '%s %s\n' "$(hp)" "$(key "$MULTI/host_ecdsa.pub")"
	run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "host key for $(hp): on file: ecdsa-sha2-nistp256 at $KH:1; the server offers ssh-ed25519; it offers none of the types on file, as if its host keys had changed or someone were in the middle; refusing to connect; if the change is expected, add its ed25519 key with: ssh-keyscan -t ed25519 -p $SSHD_PORT 127.0.0.1 >> $KH"
	assert_equal "$(ssh_verdict "$KH")" CHANGED
}

@test "the ssh-keyscan line of the RSA message adds a key the next run trusts" {
	libssh2_before_1_11 || skip "libssh2 $(libssh2_version) verifies RSA host keys"
	known '%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")"
	SSHD_PORT=$MULTI_PORT run rxk "$KH" 127.0.0.1 true
	assert_failure 255
	timeout 20 bash -c "$(log_records error | sed 's/.* add it with: //')" 2>/dev/null
	: >"$LOG"
	SSHD_PORT=$MULTI_PORT run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/ran"
	assert_equal "$(sed -n 2p "$KH")" "$(hp "$MULTI_PORT") $(key)"
}

@test "one run of ssh -o UpdateHostKeys=yes, as the RSA message says, adds a key the next run trusts" {
	libssh2_before_1_11 || skip "libssh2 $(libssh2_version) verifies RSA host keys"
	known '%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")"
	timeout 20 ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile="$KH" \
		-o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=yes \
		-o IdentitiesOnly=yes -i "$RX_KEY" -p "$MULTI_PORT" \
		"$RX_USER@127.0.0.1" true 2>/dev/null
	cp "$KH" "$KH.before"
	SSHD_PORT=$MULTI_PORT run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
}

@test "the key-type message names every line on file, with no 'and others'" {
	known '%s %s\nweb1 %s\n%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")" \
		"$(key)" "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")"
	SSHD_PORT=$MULTI_PORT run rxk "$KH" 127.0.0.1 true
	libssh2_before_1_11 || { assert_success; return; }
	assert_failure 255
	assert_regex "$(log_records error)" "^host key for \\[127.0.0.1\\]:$MULTI_PORT: on file: ssh-rsa at $KH:1, ssh-rsa at $KH:3; the server offers "
}

@test "against a server with only RSA host keys the message says libssh2 can verify none" {
	local dir=$BATS_TEST_TMPDIR/rsaonly port=$SSHD_PORT pid=$SSHD_PID
	libssh2_before_1_11 || skip "libssh2 $(libssh2_version) verifies RSA host keys"
	mkdir "$dir"
	cp "$MULTI"/host_* "$FIX/authorized_keys" "$dir/"
	sshd_launch "$dir" "HostKey $dir/host_rsa" \
		"HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256"
	echo "$SSHD_PID" >>"$BATS_TEST_TMPDIR/bg.pids"
	local rsaport=$SSHD_PORT
	SSHD_PORT=$port SSHD_PID=$pid
	known ''
	SSHD_PORT=$rsaport run rxk "$KH" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	refused "host key for $(hp "$rsaport"): on file: no key; the server offers rsa-sha2-512,rsa-sha2-256; libssh2 $(libssh2_version) can verify none of them (it verifies RSA host keys only as ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default); refusing to connect"
}

@test "when the probe fails, an RSA-only known_hosts still gets the libssh2 limit and an ed25519 fix" {
	printf '%s %s\n' "$(hp "$MULTI_PORT")" "$(key "$MULTI/host_rsa.pub")" >"$KH"
	run "$DRIVER" kexfail 127.0.0.1 "$MULTI_PORT" - "$KH"
	libssh2_before_1_11 || { assert_output "host key for $(hp "$MULTI_PORT"): on file: ssh-rsa at $KH:1; what the server offers is unknown (the probe timed out); none of the types on file was agreed on, as if its host keys had changed or someone were in the middle; refusing to connect; if the change is expected and it has an ed25519 key, add it with: ssh-keyscan -t ed25519 -p $MULTI_PORT 127.0.0.1 >> $KH"; return; }
	assert_output "host key for $(hp "$MULTI_PORT"): on file: ssh-rsa at $KH:1; what the server offers is unknown (the probe timed out); libssh2 $(libssh2_version) verifies RSA host keys only as ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default; refusing to connect; if the server has an ed25519 key, one run of ssh -o UpdateHostKeys=yes adds it once it has verified the RSA one, or check the key and add it with: ssh-keyscan -t ed25519 -p $MULTI_PORT 127.0.0.1 >> $KH"
}

@test "when the probe fails and no usable key is on file, the failure is not put on host keys" {
	printf '@revoked %s %s\nweb1 %s\n' "$(hp)" "$(key)" "$(key)" >"$KH"
	run "$DRIVER" kexfail 127.0.0.1 "$SSHD_PORT" - "$KH"
	assert_output "not the host key types"
}

@test "a failure that is not about host key types is not put on them" {
	printf '%s %s\n' "$(hp)" "$(key)" >"$KH"
	run "$DRIVER" kexfail 127.0.0.1 "$SSHD_PORT" rsa-sha2-512,ssh-ed25519 "$KH"
	assert_output "not the host key types"
}

@test "the ssh-keyscan line quotes a host or file name the shell would split" {
	local f="$BATS_TEST_TMPDIR/known hosts"
	printf "it's %s\n" "$(key "$MULTI/host_ecdsa.pub")" >"$f"
	run "$DRIVER" kexfail "it's" 22 ssh-ed25519 "$f"
	assert_output "host key for it's: on file: ecdsa-sha2-nistp256 at $f:1; the server offers ssh-ed25519; it offers none of the types on file, as if its host keys had changed or someone were in the middle; refusing to connect; if the change is expected, add its ed25519 key with: ssh-keyscan -t ed25519 'it'\\''s' >> '$f'"
}

@test "the key-type message names four lines, then how many more" {
	local i
	for i in 1 2 3 4 5 6; do key "$MULTI/host_ecdsa.pub"; done | sed 's/^/h /' >"$KH"
	run "$DRIVER" kexfail h 22 ssh-ed25519 "$KH"
	assert_output "host key for h: on file: ecdsa-sha2-nistp256 at $KH:1, ecdsa-sha2-nistp256 at $KH:2, ecdsa-sha2-nistp256 at $KH:3, ecdsa-sha2-nistp256 at $KH:4 and 2 more lines; the server offers ssh-ed25519; it offers none of the types on file, as if its host keys had changed or someone were in the middle; refusing to connect; if the change is expected, add its ed25519 key with: ssh-keyscan -t ed25519 h >> $KH"
}

# --- HashKnownHosts -----------------------------------------------------

@test "--accept-new with HashKnownHosts yes appends a hashed line ssh-keygen -F finds" {
	: >"$KH"
	run rxk "$KH" --accept-new -o HashKnownHosts=yes 127.0.0.1 true
	assert_success
	assert_equal "$(log_records hostkey)" "added $(hp) ssh-ed25519 $(fp)"
	assert_regex "$(cat "$KH")" '^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 [A-Za-z0-9+/=]+$'
	assert_equal "$(cut -d' ' -f2,3 "$KH")" "$(key)"
	run ssh-keygen -F "$(hp)" -f "$KH"
	assert_line --index 0 "# Host $(hp) found: line 1 "
}

@test "a hashed line --accept-new appended is trusted by the next run and by ssh" {
	: >"$KH"
	rxk "$KH" --accept-new -o HashKnownHosts=yes 127.0.0.1 true
	cp "$KH" "$KH.before"
	: >"$LOG"
	run rxk "$KH" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	trusted
	assert_equal "$(ssh_verdict "$KH")" OK
}

@test "HashKnownHosts no appends the host name in clear" {
	: >"$KH"
	run rxk "$KH" --accept-new -o HashKnownHosts=no 127.0.0.1 true
	assert_success
	assert_equal "$(cat "$KH")" "$(hp) $(key)"
}

# --- SHA-1, HMAC-SHA1, base64 -------------------------------------------

@test "SHA-1 gives the FIPS 180-2 test vectors" {
	assert_equal "$(printf abc | "$DRIVER" sha1)" a9993e364706816aba3e25717850c26c9cd0d89d
	assert_equal "$(printf '' | "$DRIVER" sha1)" da39a3ee5e6b4b0d3255bfef95601890afd80709
	assert_equal "$(printf abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq | "$DRIVER" sha1)" \
		84983e441c3bd26ebaae4aa1f95129e5e54670f1
	assert_equal "$(head -c 1000000 /dev/zero | tr '\0' a | "$DRIVER" sha1)" \
		34aa973cd4c4daa4f61eeb2bdbad27316534016f
}

@test "HMAC-SHA1 gives the RFC 2202 test vectors" {
	local k20 k80
	k20=$(printf '0b%.0s' $(seq 20))
	assert_equal "$(printf 'Hi There' | "$DRIVER" hmac "$k20")" b617318655057264e28bc0b6fb378c8ef146be00
	assert_equal "$(printf 'what do ya want for nothing?' | "$DRIVER" hmac 4a656665)" \
		effcdf6ae5eb2fa2d27416d5f184df9c259a7c79
	assert_equal "$(printf '\335%.0s' $(seq 50) | "$DRIVER" hmac "$(printf 'aa%.0s' $(seq 20))")" \
		125d7342b9ac11cd91a39af48aa17b4f63f175d3
	assert_equal "$(printf '\315%.0s' $(seq 50) | "$DRIVER" hmac 0102030405060708090a0b0c0d0e0f10111213141516171819)" \
		4c9007f4026250c6bc8414f9bf50c86c2d7235da
	k80=$(printf 'aa%.0s' $(seq 80))
	assert_equal "$(printf 'Test Using Larger Than Block-Size Key - Hash Key First' | "$DRIVER" hmac "$k80")" \
		aa4ae5e15272d00e95705637ce8a3b55ed402112
	assert_equal "$(printf 'Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data' | "$DRIVER" hmac "$k80")" \
		e8e99d0f45237d786d6bbaa7965c7808bbff1a91
}

@test "base64 encodes and decodes the RFC 4648 test vectors" {
	local plain coded
	for plain in '' f fo foo foob fooba foobar; do
		coded=$(printf %s "$plain" | "$DRIVER" b64enc)
		assert_equal "$coded" "$(printf %s "$plain" | base64)"
		assert_equal "$(printf %s "$coded" | "$DRIVER" b64dec)" "$plain"
		assert_equal "$(printf %s "$plain" | "$DRIVER" b64enc nopad)" "${coded%%=*}"
		assert_equal "$(printf %s "${coded%%=*}" | "$DRIVER" b64dec nopad)" "$plain"
	done
}

@test "base64 decoding refuses what OpenSSH's b64_pton refuses, and skips white space only when asked" {
	local bad
	for bad in Zm9vYg Zm9vYg= Zm9vYh== Zm9vYg=== Zm9vYg==Zg== Zm9v=Yg== 'Zm9v Yg==' Z 'Zm9v!' ; do
		run "$DRIVER" b64dec <<<"$bad"
		assert_output error
	done
	assert_equal "$(printf 'Zm9v\vYg\r\n= =' | "$DRIVER" b64dec space)" foob
	assert_equal "$(printf 'Zm9vYg' | "$DRIVER" b64dec nopad)" foob
	run "$DRIVER" b64dec nopad <<<"Zm9vYg=="
	assert_output error
}

# --- matching, against ssh-keygen -F ------------------------------------

@test "the lines found for a name are those ssh-keygen -F finds (@cert-authority aside)" {
	local name want got k
	k=$(key)
	printf '%s\n' "[127.0.0.1]:2222 $k" "127.0.0.1 $k" "*.example.com $k" \
		"!bad.example.com,*.example.com $k" "WEB?.Example.COM $k" \
		"[web1.example.com]:* $k" "@revoked [127.0.0.1]:2222 $k" \
		"*,!*.example.com $k" "# web1.example.com $k" "" \
		"web1.example.com,other $k" "[127.0.0.1]:22 $k" >"$KH"
	printf '%s\n' "web2.example.com $k" "[127.0.0.1]:2222 $k" >"$KH.h"
	ssh-keygen -q -H -f "$KH.h" 2>/dev/null
	cat "$KH.h" >>"$KH"
	for name in '[127.0.0.1]:2222' 127.0.0.1 web1.example.com bad.example.com \
		'[web1.example.com]:2222' web2.example.com other; do
		want=$(ssh-keygen -F "$name" -f "$KH" | sed -n 's/^# Host .* found: line \([0-9]*\).*/\1/p' | paste -sd' ')
		got=$("$DRIVER" match "$name" 22 "$KH" | sed -n "s|^line $KH:\\([0-9]*\\) .*|\\1|p" | paste -sd' ')
		assert_equal "$name: $got" "$name: $want"
	done
}

# --- the KEXINIT probe --------------------------------------------------

SEED=$BATS_TEST_DIRNAME/fuzz/kexinit/openssh-9.2-rsa-ecdsa-ed25519

# fake_server MODE [N]: a listener on 127.0.0.1 that answers every
# connection as MODE says, then holds it; sets FAKE_PORT.
#	lines N		N lines, then the captured sshd greeting ($SEED)
#	trickle		one byte every 0.3 s, forever
#	big		a version string, then a packet length of 1 MiB
fake_server() {
	local pf=$BATS_TEST_TMPDIR/fake.port
	perl -MIO::Socket::INET -e '
		alarm 60;
		my ($pf, $mode, $n, $seed) = @ARGV;
		my $s = IO::Socket::INET->new(Listen => 4, ReuseAddr => 1,
		    LocalAddr => "127.0.0.1", LocalPort => 0) or die "listen: $!";
		open(my $f, ">", "$pf.tmp") or die; print $f $s->sockport, "\n";
		close $f; rename("$pf.tmp", $pf) or die;
		open(my $g, "<", $seed) or die; binmode $g; local $/; my $hello = <$g>;
		while (my $c = $s->accept) {
			$c->autoflush(1);
			if ($mode eq "lines") {
				print $c "pre-banner line $_\r\n" for 1 .. $n;
				print $c $hello;
			} elsif ($mode eq "trickle") {
				while (print $c "x") { select(undef, undef, undef, 0.3) }
			} else {
				print $c "SSH-2.0-fake\r\n", pack("N", 1 << 20), "\0" x 64;
			}
			sleep 30;
		}' "$pf" "$1" "${2:-0}" "$SEED" </dev/null >/dev/null 2>&1 3>&- &
	echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
	wait_for 5 test -s "$pf" || fail "fake server would not start"
	FAKE_PORT=$(cat "$pf")
}

@test "the probe reads the host key algorithms sshd offers, as ssh reads them" {
	run "$DRIVER" probe "$MULTI_PORT" 5000
	assert_success
	assert_output "$(server_offer "$MULTI_PORT")"
}

@test "the probe skips 1023 lines before the version string, as OpenSSH does" {
	fake_server lines 1023
	run "$DRIVER" probe "$FAKE_PORT" 5000
	assert_success
	# what the captured sshd (RSA, ECDSA, ed25519 keys) offers
	assert_output rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519
}

@test "the probe gives up at the 1024th line before the version string" {
	fake_server lines 1024
	run "$DRIVER" probe "$FAKE_PORT" 5000
	assert_failure
	assert_output "error: 1024 lines before the server's version string"
}

@test "the probe ends at its deadline when the server trickles bytes" {
	local t0=$SECONDS
	fake_server trickle
	run timeout 10 "$DRIVER" probe "$FAKE_PORT" 1500
	assert_failure
	assert_output "timeout: timed out"
	[ $((SECONDS - t0)) -le 4 ] || fail "took $((SECONDS - t0)) s"
}

@test "the probe refuses a packet over 35000 bytes" {
	fake_server big
	run "$DRIVER" probe "$FAKE_PORT" 5000
	assert_failure
	assert_output "error: a packet of 1048576 bytes"
}
