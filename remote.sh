# remoteexe's supervisor, run on the remote host by sh (POSIX; dash and
# busybox ash too).  It arrives as the first line of the channel's stdin,
# with N (the run's nonce), A (lease: seconds without a heartbeat), G (kill
# grace), L (lock name or empty) and H (lock holder) in front; the second
# line is the command.  Both lines have every backslash doubled and every
# newline written \n (printf %b undoes it); read(1) takes one byte at a
# time from a pipe, so the heartbeats that follow are never taken.
# It runs the command with the login shell in a process group of its own,
# reports that group, holds the lease and stops the group (TERM, KILL after
# G seconds) when asked to, when the client is gone or when the heartbeat
# stops.  Reports are stderr lines "\036remoteexe-N what=value".

m() { printf '\036remoteexe-%s %s\n' "$N" "$*" >&2; }

IFS= read -r cmd || exit 1
cmd=$(printf %b "$cmd"; echo x)
cmd=${cmd%x}

# what a stop needs, found out when one is needed
tools() {
	if sleep 0.01 2>/dev/null; then tick=0.1 per=10; else tick=1 per=1; fi
	if ps -o pid= -o ppid= -o pgid= -o stat= >/dev/null 2>&1; then
		psok=1
	fi
}

# g: the process group of pid $1, as the kernel says
kpgid() {
	g=
	if { read -r s <"/proc/$1/stat"; } 2>/dev/null; then
		s=${s##*) }
		set -- $s
		g=$3
	else
		set -- $(ps -o pgid= -p "$1" 2>/dev/null)
		g=$1
	fi
}

# members of the group that are alive (not zombies), ours left out
members() {
	ps -e -o pid= -o ppid= -o pgid= -o stat= 2>/dev/null |
	    awk -v g="$g" -v s="$$" -v c="$c" -v r="$r" -v t="$t" '
		$3 == g && $4 !~ /^Z/ && $1 != s && $1 != r && $1 != t &&
		    !($2 == s && $1 != c) && $2 != t { print $1 }'
}

alive() {
	if [ -n "$psok" ]; then
		[ -n "$(members)" ]
	else
		kill -s 0 -- "-$g" 2>/dev/null
	fi
}

sig() {
	if [ -n "$own" ]; then
		kill -s "$1" -- "-$g" 2>/dev/null
	elif [ -n "$psok" ]; then
		kill -s "$1" $(members) 2>/dev/null
	fi
}

# wait up to $1 seconds for the group to be gone
upto() {
	i=0
	while [ "$i" -lt $(($1 * per)) ] && alive; do
		sleep $tick
		i=$((i + 1))
	done
}

# the lease: ALRM to us after A seconds, unless the next heartbeat re-arms it
arm() {
	[ -z "$t" ] || kill "$t" 2>/dev/null
	(
		trap 'kill $! 2>/dev/null; exit 0' TERM
		sleep "$A" &
		wait $!
		kill -s 0 $$ 2>/dev/null && kill -s ALRM $$
	) </dev/null >/dev/null 2>&1 9>&- &
	t=$!
}

halt() {
	[ -z "$t" ] || kill "$t" 2>/dev/null
	t=
	tools
	sig TERM
	upto "$G"
	if alive; then
		sig KILL
		upto 2
	fi
	if alive; then st=alive; else st=gone; fi
}

tidy() {
	kill "$r" 2>/dev/null
	[ -z "$t" ] || kill "$t" 2>/dev/null
	[ -z "$unlock" ] || rm -rf "$unlock"
}

lock() {
	d=${TMPDIR:-/tmp}/remoteexe-$(id -u)
	mkdir -m 700 "$d" 2>/dev/null
	if [ -h "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ]; then
		m "lockerr=$d is not a private directory of ours"
		return 1
	fi
	if command -v flock >/dev/null 2>&1; then
		exec 9>>"$d/$L.lock" || { m "lockerr=cannot open $d/$L.lock"; return 1; }
		if ! flock -n 9; then
			m "locked=$(cat "$d/$L.lock" 2>/dev/null)"
			return 1
		fi
		printf '%s\n' "$H" >"$d/$L.lock"
		return 0
	fi
	if ! mkdir "$d/$L.d" 2>/dev/null; then
		read -r p h <"$d/$L.d/owner" 2>/dev/null
		if [ -n "$p" ] && kill -s 0 "$p" 2>/dev/null; then
			m "locked=$h"
			return 1
		fi
		rm -rf "$d/$L.d"
		mkdir "$d/$L.d" 2>/dev/null || { m "locked=?"; return 1; }
	fi
	unlock=$d/$L.d
	printf '%s %s\n' "$$" "$H" >"$unlock/owner"
}

[ -z "$L" ] || lock || exit 1

if command -v setsid >/dev/null 2>&1; then
	setsid "${SHELL:-sh}" -c "$cmd" </dev/null 9>&- &
	own=1
else
	"${SHELL:-sh}" -c "$cmd" </dev/null 9>&- &
	own=
fi
c=$!
i=0
while kpgid "$c" && [ -n "$own" ] && [ "$g" != "$c" ] && [ "$i" -lt 1000 ]; do
	i=$((i + 1))
done
[ "$g" = "$c" ] || own=
m "pgid=$g"

trap 'beat=1' USR1
trap 'stop=1' USR2
trap 'gone=1' HUP TERM
trap 'silent=1' ALRM
trap '' PIPE
exec 3<&0
{
	while IFS= read -r l; do
		case $l in
		h) kill -s USR1 $$ ;;
		s) kill -s USR2 $$ ;;
		esac
	done
	kill -s HUP $$
} <&3 >/dev/null 2>&1 9>&- &
r=$!
exec 3<&-
arm

while :; do
	beat= stop= gone= silent=
	wait "$c" 2>/dev/null	# no "Killed": the log has the reason
	rc=$?
	[ -n "$beat$stop$gone$silent" ] || break
	[ -z "$beat" ] || arm
	[ -n "$stop$gone$silent" ] || continue
	halt
	tidy
	[ -z "$stop" ] || m "stop=$st"
	[ -z "$silent" ] || m "lease=silent"
	exit 0
done
tidy
# the command died of a signal: so do we, and the server says so
if [ "$rc" -gt 128 ]; then
	s=$(kill -l "$rc" 2>/dev/null)
	case $s in
	HUP|INT|QUIT|ILL|TRAP|ABRT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|XCPU|XFSZ|SYS)
		m "signal=$s"
		ulimit -c 0 2>/dev/null
		trap - "$s" 2>/dev/null
		kill -s "$s" $$
		;;
	esac
fi
m "exit=$rc"
exit "$rc"
