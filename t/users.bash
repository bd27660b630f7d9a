# shellcheck shell=bash
# t/users.bash: throwaway local users with a chosen login shell (root only),
# for the tests of what happens on the remote side as them.  The fixture
# sshd lets any local user in with the fixture key (its AuthorizedKeysFile
# is absolute, StrictModes is off), so such a user is a remote user too.
#
#	users_init			# in setup_file: RX_HOMES, the users list
#	NAME=$(test_user TAG SHELL)	# a user rx<pid><TAG> with that shell
#	users_cleanup			# in teardown_file: exactly those users
#
# Homes are under RX_HOMES (a directory of ours, mode 0755).  A user's
# processes left by a failed test are ended by PID (they are ours: the
# user exists only for this file), then the user is removed with userdel.

users_init() {
	[ "$(id -u)" -eq 0 ] || return 1
	RX_HOMES=$(mktemp -d /tmp/rxhomes.XXXXXX) || return 1
	chmod 755 "$RX_HOMES"
	RX_USERS_FILE=$RX_HOMES/.users
	: >"$RX_USERS_FILE"
	export RX_HOMES RX_USERS_FILE
}

# test_user TAG SHELL: create the user (once per file) and print its name.
test_user() {
	local name="rx$$$1" shell=$2
	if ! id "$name" >/dev/null 2>&1; then
		# "*": no password, but not locked (sshd refuses locked ones)
		useradd -M -d "$RX_HOMES/$name" -s "$shell" -p '*' "$name" ||
			return 1
		echo "$name" >>"$RX_USERS_FILE"
		mkdir -m 755 "$RX_HOMES/$name" &&
			chown "$name:" "$RX_HOMES/$name" || return 1
	fi
	echo "$name"
}

# user_pids NAME: the PIDs of that user's processes.
user_pids() {
	ps -u "$1" -o pid= 2>/dev/null
}

users_cleanup() {
	local name pid
	[ -n "${RX_USERS_FILE:-}" ] && [ -f "$RX_USERS_FILE" ] || return 0
	while read -r name; do
		for pid in $(user_pids "$name"); do
			kill -KILL "$pid" 2>/dev/null
		done
		userdel -f "$name" 2>/dev/null
	done <"$RX_USERS_FILE"
	rm -rf "$RX_HOMES"
	return 0
}
