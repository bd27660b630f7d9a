#!/bin/bash
# make demo: build remoteexe, start a throwaway sshd on 127.0.0.1 (a random
# free port, its own keys, its own temp dir: t/sshd.bash), run two sample
# jobs against it and show the log they left.  Everything started here is
# stopped by its PID and the temp dir removed on exit, whatever happens.
#
#	bash tools/demo.sh		install what is missing (as root), build, run
#	bash tools/demo.sh --deps	only check/install the packages
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

PKGS="libssh2-1-dev libbsd-dev pkg-config gcc make openssh-server \
openssh-client bats bats-assert bats-support bats-file mandoc jq procps \
python3-paramiko tcsh fish zsh mksh ksh93u+m busybox iproute2 nftables"

cd "$(dirname "$0")/.." || exit 1

# deps: install the missing Debian packages when root, else name them.
deps() {
	missing=
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "demo: dpkg-query not found; this script expects Debian" \
		    "(bookworm); install: $PKGS" >&2
		return 1
	fi
	for p in $PKGS; do
		case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) in
		*" installed") ;;
		*) missing="$missing $p" ;;
		esac
	done
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "demo: missing packages:$missing" >&2
		echo "demo: as root run: apt-get update &&" \
		    "apt-get install -y$missing" >&2
		return 1
	fi
	echo "demo: installing:$missing"
	# Installing openssh-server must not start the system sshd (port 22).
	policy=/usr/sbin/policy-rc.d
	made_policy=
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy &&
		    made_policy=1
	fi
	# $missing is a word list on purpose.
	# shellcheck disable=SC2086
	apt-get update && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y $missing
	rc=$?
	[ -z "$made_policy" ] || rm -f $policy
	return $rc
}

if [ "${1:-}" = --deps ]; then
	deps
	exit
fi
deps || exit 1

echo "demo: building"
make || exit 1
echo

. t/sshd.bash
dir=$(mktemp -d "${TMPDIR:-/tmp}/remoteexe-demo.XXXXXX") || exit 1
fixture_cleanup_on_exit demo "$dir"

# Also unsets SSH_AUTH_SOCK and REMOTEEXE_LOG: no agent or REMOTEEXE_LOG of
# the caller leaks in; -F none keeps the caller's ~/.ssh/config out.
fixture_start "$dir" || exit 1
port=$SSHD_PORT
echo "demo: sshd (pid $SSHD_PID) listening on 127.0.0.1:$port," \
    "files in $dir"

key=$RX_KEY known=$RX_KNOWN log=$dir/demo.log

# job COMMAND: run remoteexe against the demo sshd, showing the command line.
job() {
	printf '\n$ ./remoteexe -F none -p %s -i %s --known-hosts %s --log %s' \
	    "$port" "$key" "$known" "$log"
	printf ' 127.0.0.1 %s\n' "'$1'"
	./remoteexe -F none -p "$port" -i "$key" --known-hosts "$known" \
	    --log "$log" \
	    127.0.0.1 "$1"
	rc=$?
	echo "exit status: $rc"
}

status=0
# The single quotes are the point: $(hostname) runs on the remote side.
# shellcheck disable=SC2016
job 'echo hello from $(hostname); echo to stderr >&2'
[ "$rc" -eq 0 ] || status=1
job 'echo failing; exit 3'
[ "$rc" -eq 3 ] || status=1

printf '\n$ cat %s\n' "$log"
cat "$log" || status=1
echo
if [ $status -eq 0 ]; then
	echo "demo: ok (exit statuses 0 and 3, as the remote commands chose)"
else
	echo "demo: unexpected exit status; sshd log:" >&2
	cat "$dir/sshd.log" >&2
fi
exit $status
