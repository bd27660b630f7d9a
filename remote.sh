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
#
# No signal passes between its parts: the runner (the command's parent,
# so its exit status is exact), the reader (the client's lines and the
# lease's timer) and the timer write events to one pipe, and the watcher
# takes them one at a time.

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

# g: the process group of pid $1, as the kernel says; false once it is gone
# (reaped: its group is then its own business no more)
kpgid() {
	g=
	if [ -n "$proc" ]; then
		{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
		s=${s##*) }
		set -- $s
		g=$3
	else
		set -- $(ps -o pgid= -p "$1" 2>/dev/null)
		g=$1
	fi
	[ -n "$g" ]
}

# the command's processes that are alive (not zombies): its process group,
# or without one of its own (no setsid) its descendants
members() {
	ps -e -o pid= -o ppid= -o pgid= -o stat= 2>/dev/null |
	    awk -v g="$g" -v c="$c" -v own="$own" '
		$4 !~ /^Z/ { pp[$1] = $2; pg[$1] = $3 }
		END {
			for (p in pp) {
				if (own != "") {
					if (pg[p] == g)
						print p
					continue
				}
				for (q = p; q in pp && q != c; q = pp[q])
					;
				if (q == c)
					print p
			}
		}'
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

# --lock on the target: flock(1) on a file, or a mkdir(1) lock that a
# later run takes over when the supervisor that made it is gone
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

# runner: start the command, report its group and, when it ends, its
# status.  SHLVL=1: bash, run by sshd, reads ~/.bashrc once, as for ssh,
# in the shell that started us (what it exported reaches the command).
runner() {
	script
	if command -v setsid >/dev/null 2>&1; then
		SHLVL=1 setsid "${SHELL:-sh}" -c "$arg" </dev/null >&3 3>&- \
		    5<&- 9>&- &
		own=1
	else
		SHLVL=1 "${SHELL:-sh}" -c "$arg" </dev/null >&3 3>&- 5<&- \
		    9>&- &
		own=
	fi
	c=$!
	[ ! -r "/proc/$$/stat" ] || proc=1
	# until setsid(1) has made the group (a moment), or the command ended
	i=0
	while kpgid "$c" && [ -n "$own" ] && [ "$g" != "$c" ] &&
	    [ "$i" -lt 200 ]; do
		i=$((i + 1))
	done
	[ -n "$g" ] || g=$c
	[ "$g" = "$c" ] || own=
	echo "pgid $g $c $own"
	wait "$c" 2>/dev/null	# no "Terminated": the log has the reason
	echo "exit $?"
	[ -z "$f" ] || rm -f "$f"
}

# arg: the command for the shell's -c; beyond what execve(2) takes in one
# argument (128 KiB; 32 Ki characters are at most that many bytes), a
# private file that the shell reads with its own "." or "source"
script() {
	arg=$cmd f=
	[ "${#cmd}" -gt 32768 ] || return 0
	d=${TMPDIR:-/tmp}
	case $d in ''|*[!A-Za-z0-9/._-]*) d=/tmp ;; esac
	(umask 077 && set -C && printf '%s' "$cmd" >"$d/remoteexe-$N.cmd") \
	    2>/dev/null || return 0
	f=$d/remoteexe-$N.cmd
	case ${SHELL##*/} in
	csh|tcsh|fish) arg="source $f" ;;
	*) arg=". $f" ;;
	esac
}

# reader: the client's lines (h: heartbeat, s: stop) and the lease's timer
reader() {
	t=
	trap '[ -z "$t" ] || kill -s KILL "$t" 2>/dev/null; exit 0' TERM
	arm
	while IFS= read -r l; do
		case $l in
		h) arm ;;
		s) echo stop ;;
		esac
	done
	echo eof
	[ -z "$t" ] || kill -s KILL "$t" 2>/dev/null
}

# the lease: "alarm" after A seconds, unless the next heartbeat re-arms it
arm() {
	[ -z "$t" ] || kill -s KILL "$t" 2>/dev/null
	(sleep "$A" && echo alarm) </dev/null 2>/dev/null &
	t=$!
}

halt() {
	tools
	sig TERM
	upto "$G"
	if alive; then
		sig KILL
		upto 2
	fi
	if alive; then st=alive; else st=gone; fi
}

# stop the group for an event (stop, eof, alarm), say so, and end
stop_now() {
	halt
	kill "$r" 2>/dev/null
	case $1 in
	stop) m "stop=$st" ;;
	alarm) m "lease=silent" ;;
	esac
	exit 0
}

# watcher: one event at a time from the runner and the reader; an event
# that stops the command waits for its group to be known
watcher() {
	trap '' PIPE
	todo=
	while read -r ev a b d; do
		case $ev in
		pgid)
			g=$a c=$b own=$d
			m "pgid=$g"
			[ -z "$todo" ] || stop_now "$todo"
			;;
		reader) r=$a ;;
		exit)
			kill "$r" 2>/dev/null
			[ "$todo" != stop ] || { m "stop=gone"; exit 0; }
			ended "$a"
			;;
		stop|eof|alarm)
			if [ -n "$g" ]; then stop_now "$ev"; else todo=$ev; fi
			;;
		esac
	done
	exit 0
}

# the command ended: say how; a signal is told as one, as shells tell it
ended() {
	if [ "$1" -gt 128 ]; then
		s=$(kill -l "$1" 2>/dev/null)
		case $s in
		HUP|INT|QUIT|ILL|TRAP|ABRT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|XCPU|XFSZ|SYS)
			m "signal=$s" ;;
		esac
	fi
	m "exit=$1"
	exit "$1"
}

[ -z "$L" ] || lock || exit 1
exec 3>&1 5<&0
{
	{ reader <&5 3>&- 5<&- 9>&- & } 2>/dev/null
	echo "reader $!"
	runner
} | watcher
rc=$?
[ -z "$unlock" ] || rm -rf "$unlock"
# the command died of a signal: so do we, and the server says so
if [ "$rc" -gt 128 ]; then
	s=$(kill -l "$rc" 2>/dev/null)
	case $s in
	HUP|INT|QUIT|ILL|TRAP|ABRT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|XCPU|XFSZ|SYS)
		ulimit -c 0 2>/dev/null
		trap - "$s" 2>/dev/null
		kill -s "$s" $$
		;;
	esac
fi
exit "$rc"
