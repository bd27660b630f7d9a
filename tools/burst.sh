#!/bin/bash
# tools/burst.sh (make bench-burst): the seed's failure mode, reproduced.
# A stock-config sshd (default MaxStartups 10:30:100) on 127.0.0.1
# (t/sshd.bash), then BURST_N simultaneous runs of the original bash script
# (seed-remoteexe.sh), then BURST_N simultaneous runs of ./remoteexe with its
# default options.
# Each remote command appends one line to a counter file, so "ran" counts the
# commands that really ran on the remote side.
#
# Environment: BURST_N (100), BURST_TIMEOUT (180 s per run), REMOTEEXE
# (./remoteexe), BURST_KEEP=1 keeps the temp dir (logs) for inspection.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
REMOTEEXE=${REMOTEEXE:-$ROOT/remoteexe}
N=${BURST_N:-100}
T=${BURST_TIMEOUT:-180}
case $N in '' | *[!0-9]*) echo "burst: BURST_N must be a number" >&2; exit 2 ;; esac
case $T in '' | *[!0-9]*) echo "burst: BURST_TIMEOUT must be a number" >&2; exit 2 ;; esac
[ "$N" -ge 1 ] && [ "$N" -le 1000 ] || { echo "burst: BURST_N must be 1..1000" >&2; exit 2; }
[ -x "$REMOTEEXE" ] || { echo "burst: $REMOTEEXE not built (run make)" >&2; exit 2; }

. "$ROOT/t/sshd.bash"

W=$(mktemp -d "${TMPDIR:-/tmp}/rxburst.XXXXXX") || exit 1
fixture_cleanup_on_exit burst "$W" "${BURST_KEEP:-0}"

# Stock sshd: no MaxStartups / MaxSessions lines, only what the fixture needs.
fixture_start "$W/fix" || exit 1
SEED_SSH_OPTS="${SSH_CMD[*]:1}"
export SEED_SSH_OPTS
export SEED_USER=$RX_USER

now() { printf '%s\n' "$EPOCHREALTIME"; }

# burst NAME: start N runs at once, wait for all; prints wall seconds.
burst() {
	local name=$1 i t0 t1 pids=()
	: >"$W/count.$name"
	t0=$(now)
	for ((i = 1; i <= N; i++)); do
		if [ "$name" = seed ]; then
			SEED_LOG=$W/log.$name timeout -k 5 "$T" \
				"$ROOT/tools/seed-remoteexe.sh" 127.0.0.1 \
				"echo \$\$ >> $W/count.$name" \
				</dev/null >/dev/null 2>>"$W/stderr.$name" &
		else
			timeout -k 20 "$T" "$REMOTEEXE" -F none -p "$SSHD_PORT" \
				-i "$RX_KEY" \
				--known-hosts "$RX_KNOWN" --log "$W/log.$name" \
				127.0.0.1 "echo \$\$ >> $W/count.$name" \
				</dev/null >/dev/null 2>>"$W/stderr.$name" &
		fi
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
		echo $? >>"$W/rc.$name"
	done
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

# Let sshd's startup settle; between the bursts, let every session end.
settle() {
	local i
	for i in $(seq 1 30); do
		[ -z "$(pgrep -P "$SSHD_PID" 2>/dev/null)" ] && return 0
		sleep 1
	done
}

row() {
	local name=$1 label=$2 wall=$3 log=$W/log.$1 ran e0 e255 eother noend retries
	ran=$(wc -l <"$W/count.$name")
	e0=$(grep -c '\] END,0,' "$log")
	e255=$(grep -c '\] END,255,' "$log")
	eother=$(grep '\] END,[0-9]*,' "$log" | grep -vc '\] END,\(0\|255\),')
	noend=$((N - e0 - e255 - eother))
	if [ "$name" = seed ]; then
		retries=-
	else
		retries=$(grep -c '\] retry,' "$log")
	fi
	printf '%-22s %5s %5s %6s %8s %6s %6s %8s %7s\n' "$label" "$N" "$ran" \
		"$e0" "$e255" "$eother" "$noend" "$retries" "$wall"
}

settle
echo "burst: sshd $SSHD_PID on 127.0.0.1:$SSHD_PORT (stock MaxStartups 10:30:100), $N simultaneous runs each"
wall_seed=$(burst seed)
settle
wall_rx=$(burst rx)

echo
printf '%-22s %5s %5s %6s %8s %6s %6s %8s %7s\n' tool runs ran END,0 END,255 other no-END retries wall_s
row seed "seed-remoteexe.sh" "$wall_seed"
row rx "remoteexe" "$wall_rx"
echo
echo "ran = remote commands that ran (counter file lines); other = END with another rc;"
echo "no-END = runs whose END record is missing; retries = retry records (remoteexe only)"
echo
echo "seed: why runs failed (output lines in its log, top 5):"
grep -v '\] \(START\|command\|END\),' "$W/log.seed" | sed -n 's/^\[[^]]*\]\[[0-9]*\] \(..*\)$/\1/p' |
	sort | uniq -c | sort -rn | head -n 5
echo "remoteexe: grep -o 'reason=[a-z:]*' log | sort | uniq -c"
grep -o 'reason=[a-z:A-Z]*' "$W/log.rx" | sort | uniq -c
echo "remoteexe exit statuses:"
sort -n "$W/rc.rx" | uniq -c

# The point of the burst: every remoteexe run must have run its command once
# and logged END,0.
rx_ran=$(wc -l <"$W/count.rx")
rx_ok=$(grep -c '\] END,0,' "$W/log.rx")
bad=$(LC_ALL=C grep -Evc "$RECORD_RE" "$W/log.rx")
status=0
if [ "$rx_ran" -ne "$N" ] || [ "$rx_ok" -ne "$N" ]; then
	echo "burst: FAIL: remoteexe ran $rx_ran of $N commands, $rx_ok END,0" >&2
	status=1
fi
if [ "$bad" -ne 0 ]; then
	echo "burst: FAIL: $bad lines of the remoteexe log are not records" >&2
	status=1
fi
exit $status
