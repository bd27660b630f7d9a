#!/bin/sh
# make demo: build remoteexe, start a throwaway sshd on 127.0.0.1 (a random
# free port, its own keys, its own temp dir), run two sample jobs against it
# and show the log they left.  Everything started here is stopped by its PID
# and the temp dir removed on exit, whatever happens.
#
#	sh tools/demo.sh		install what is missing (as root), build, run
#	sh tools/demo.sh --deps		only check/install the packages
set -u

PKGS="libssh2-1-dev libbsd-dev pkg-config gcc make openssh-server \
openssh-client bats bats-assert bats-support bats-file mandoc jq procps"
SSHD=${SSHD:-/usr/sbin/sshd}

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

dir=
sshd_pid=
# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	if [ -n "$sshd_pid" ]; then
		kill "$sshd_pid" 2>/dev/null
		wait "$sshd_pid" 2>/dev/null
	fi
	[ -z "$dir" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

dir=$(mktemp -d "${TMPDIR:-/tmp}/remoteexe-demo.XXXXXX") || exit 1
mkdir "$dir/home" && chmod 700 "$dir/home" || exit 1
ssh-keygen -q -t ed25519 -N '' -C demo-host -f "$dir/host_ed25519" || exit 1
ssh-keygen -q -t ed25519 -N '' -C demo-client -f "$dir/id_ed25519" || exit 1
cp "$dir/id_ed25519.pub" "$dir/authorized_keys" || exit 1

write_config() {
	cat >"$dir/sshd_config" <<-CONF
	Port $1
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
}

# A random port in 20000-59999 (never 22 or 2024); retry if it is taken.
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
port=
for _ in 1 2 3 4 5 6 7 8 9 10; do
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	p=$((20000 + n % 40000))
	write_config "$p"
	"$SSHD" -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" </dev/null &
	sshd_pid=$!
	i=0
	while [ $i -lt 50 ] && kill -0 "$sshd_pid" 2>/dev/null; do
		if ssh-keyscan -T 1 -p "$p" 127.0.0.1 >/dev/null 2>&1; then
			port=$p
			break 2
		fi
		sleep 0.1
		i=$((i + 1))
	done
	kill "$sshd_pid" 2>/dev/null
	wait "$sshd_pid" 2>/dev/null
	sshd_pid=
done
if [ -z "$port" ]; then
	echo "demo: sshd would not start; its log:" >&2
	cat "$dir/sshd.log" >&2
	exit 1
fi
printf '[127.0.0.1]:%s %s\n' "$port" \
    "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
echo "demo: sshd (pid $sshd_pid) listening on 127.0.0.1:$port," \
    "files in $dir"

# No ~/.ssh/config, agent or REMOTEEXE_LOG of the caller leaks in.
HOME=$dir/home
export HOME
unset SSH_AUTH_SOCK REMOTEEXE_LOG
key=$dir/id_ed25519 known=$dir/known_hosts log=$dir/demo.log

# job COMMAND: run remoteexe against the demo sshd, showing the command line.
job() {
	printf '\n$ ./remoteexe -p %s -i %s --known-hosts %s --log %s 127.0.0.1 %s\n' \
	    "$port" "$key" "$known" "$log" "'$1'"
	./remoteexe -p "$port" -i "$key" --known-hosts "$known" --log "$log" \
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
