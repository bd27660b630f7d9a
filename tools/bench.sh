#!/bin/bash
# tools/bench.sh (make bench): remoteexe against plain OpenSSH ssh, side by
# side, in one run, on a throwaway sshd on 127.0.0.1 (t/sshd.bash).
# Same key, same known_hosts, same sshd for every contender; runs of the
# contenders are interleaved so that noise from other load hits all of them.
#
#   latency    `true`: remoteexe vs ssh -o BatchMode=yes        (median ms)
#   lines      `seq 1 LINES`: remoteexe (every line logged) vs ssh >/dev/null
#              vs ssh | ts >file vs the seed bash script (on SEED_LINES,
#              scaled per line)                                  (median s)
#   bulk       BULK bytes of 100-byte lines: remoteexe vs ssh >/dev/null (MB/s)
#   memory     peak RSS of remoteexe on the bulk run and on one BIGLINE-byte
#              line without newline                              (/usr/bin/time %M)
#   cpu        client user+sys seconds per GB, remoteexe and ssh (bulk runs)
#   integrity  CONC simultaneous remoteexe runs, CONC_LINES numbered lines
#              each, one shared log: grammar, per-PID order and completeness
#   report     remoteexe-report on a generated REPORT_RECORDS-record log vs
#              grep -c (records/s) and its peak RSS (no growth with the log);
#              BENCH_ONLY=report runs only this, without sshd
#   stall      STALL_RUNS bulk runs of STALL_MB MB with the default channel
#              window and as many with a small one (a copy built with
#              -DCHANNEL_WINDOW=STALL_WINDOW), interleaved: median and max
#              time, stalls (a run more than 10 s over the median: a pause
#              for a keepalive interval), CPU s/GB; BENCH_ONLY=stall runs
#              only this (and BENCH_STALL_CMP="LABEL=BINARY ..." adds other
#              builds to the same rounds, for before/after)
#
# Every remoteexe run's log is checked (START first, END,0 last, the expected
# number of out records); the script exits 1 if any is incomplete or the
# integrity check fails. Missed speed/memory targets are reported as MISS
# (exit 0; BENCH_STRICT=1 makes them fail too).
#
# Environment (defaults): BENCH_RUNS (5) BENCH_LAT_N (20) BENCH_LINES (1000000)
# BENCH_SEED_LINES (2000) BENCH_BULK_BYTES (1000000000) BENCH_BIGLINE_BYTES
# (50000000) BENCH_CONC (50) BENCH_CONC_LINES (20000) BENCH_TIMEOUT (180 s per
# run) BENCH_BUDGET (150 s: a measurement is not repeated once it has taken
# that long, nor after a remoteexe run of it failed) BENCH_STRICT (0) BENCH_KEEP (0: keep the temp dir) BENCH_MAKE (1; 0
# skips the build) BENCH_REPORT_RECORDS (10000000) BENCH_STALL_RUNS (20)
# BENCH_STALL_MB (500) BENCH_STALL_WINDOW (131072) BENCH_STALL_CMP ()
# BENCH_ONLY (report, stall: only that) REMOTEEXE (./remoteexe) REMOTEEXE_REPORT (./remoteexe-report) TMPDIR (/tmp; the bulk log needs ~1.4 x BULK bytes free).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
REMOTEEXE=${REMOTEEXE:-$ROOT/remoteexe}

num() { # num NAME VALUE MIN MAX
	case $2 in '' | *[!0-9]*) echo "bench: $1 must be a whole number" >&2; exit 2 ;; esac
	if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		echo "bench: $1 must be in $3..$4" >&2
		exit 2
	fi
}
RUNS=${BENCH_RUNS:-5};			num BENCH_RUNS "$RUNS" 1 100
LAT_N=${BENCH_LAT_N:-20};		num BENCH_LAT_N "$LAT_N" 1 1000
LINES=${BENCH_LINES:-1000000};		num BENCH_LINES "$LINES" 1 100000000
SEED_LINES=${BENCH_SEED_LINES:-2000};	num BENCH_SEED_LINES "$SEED_LINES" 1 1000000
BULK=${BENCH_BULK_BYTES:-1000000000};	num BENCH_BULK_BYTES "$BULK" 100 100000000000
BIGLINE=${BENCH_BIGLINE_BYTES:-50000000}; num BENCH_BIGLINE_BYTES "$BIGLINE" 1 10000000000
CONC=${BENCH_CONC:-50};			num BENCH_CONC "$CONC" 1 500
CONC_LINES=${BENCH_CONC_LINES:-20000};	num BENCH_CONC_LINES "$CONC_LINES" 1 10000000
TO=${BENCH_TIMEOUT:-180};		num BENCH_TIMEOUT "$TO" 1 86400
BUDGET=${BENCH_BUDGET:-150};		num BENCH_BUDGET "$BUDGET" 0 86400
STRICT=${BENCH_STRICT:-0}

# --- tools -------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
	echo "bench: /usr/bin/time is missing: apt-get install time" >&2
	exit 2
fi
HAVE_TS=1
if ! command -v ts >/dev/null 2>&1; then
	echo "bench: ts is missing (apt-get install moreutils); skipping ssh | ts" >&2
	HAVE_TS=0
fi
for t in ssh ssh-keygen /usr/sbin/sshd timeout; do
	command -v "$t" >/dev/null 2>&1 || { echo "bench: $t is missing" >&2; exit 2; }
done

if [ "${BENCH_MAKE:-1}" != 0 ]; then
	echo "bench: building" >&2
	make -C "$ROOT" remoteexe remoteexe-report >&2 || { echo "bench: make failed" >&2; exit 2; }
fi
[ -x "$REMOTEEXE" ] || { echo "bench: $REMOTEEXE not built" >&2; exit 2; }


# --- remoteexe-report ----------------------------------------------------------
# bench_report: remoteexe-report on a generated log of BENCH_REPORT_RECORDS
# records (10 a run, 200 jobs, 1 run in 37 failed, 1 in 1009 never finished),
# beside grep -c on the same file: records/s (target >= 1 M/s on 2 cores) and
# peak RSS, which must not grow with the log (also measured on a log a tenth
# of the size). Best of 3 runs each. Runs alone with BENCH_ONLY=report.
REPORT_RECORDS=${BENCH_REPORT_RECORDS:-10000000}
num BENCH_REPORT_RECORDS "$REPORT_RECORDS" 100 1000000000
REMOTEEXE_REPORT=${REMOTEEXE_REPORT:-$ROOT/remoteexe-report}

# report_log RECORDS FILE: the generated log (local times from 2026-11-01).
report_log() {
	awk -v records="$1" '
	function day(z,   era, doe, yoe, doy, mp, d, m, y) {
		z += 719468; era = int(z / 146097); doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9; y = yoe + era * 400 + (m <= 2)
		return sprintf("%04d-%02d-%02d", y, m, d)
	}
	BEGIN {
		for (r = 0; r < int(records / 10); r++) {
			if (r % 20 == 0) {
				t = 1793491200 + int(r / 20) * 60
				ts = sprintf("[%s %02d:%02d:%02d]", day(int(t / 86400)),
				    int(t % 86400 / 3600), int(t % 3600 / 60), t % 60)
			}
			j = r % 200; pid = 1000 + r % 30000
			p = "host" j " /path/to/starting_sh/job" j ".sh"
			h = ts "[" pid "] "
			print h "START,-," p
			print h "command,root@host" j ":22 /path/to/starting_sh/job" j ".sh"
			for (k = 0; k < 6; k++)
				print h "out,line " k " of job " j ": some text of a usual length"
			if (r % 1009 == 0) {
				print h "out,killed before its END"
				print h "out,killed before its END"
				continue
			}
			rc = r % 37 == 0 ? 255 : 0
			print h "stats,elapsed=" r % 50 "." sprintf("%03d", r % 1000) \
			    " out=300 err=0 attempts=1 reason=" (rc ? "ssh:connect" : "exit")
			print h "END," rc "," p
		}
	}' >"$2"
}

# report_best FILE CMD...: the best of 3 runs of CMD on FILE: sets RB_S
# (wall s), RB_KB (its peak RSS) and RB_RC.
report_best() {
	local f=$1 i tf t0 t1 s kb
	shift
	tf=$(mktemp "${TMPDIR:-/tmp}/rxreport.time.XXXXXX") || return 1
	RB_S= RB_KB=
	for i in 1 2 3; do
		t0=$EPOCHREALTIME
		# not >/dev/null: GNU grep then stops at the first match
		/usr/bin/time -f '%M' -o "$tf" "$@" "$f" >"$tf.out"
		RB_RC=$?
		t1=$EPOCHREALTIME
		s=$(awk "BEGIN { printf \"%.3f\", (${t1/./} - ${t0/./}) / 1e6 }")
		kb=$(tail -n 1 "$tf")
		if [ -z "$RB_S" ] || awk "BEGIN { exit !($s < $RB_S) }"; then
			RB_S=$s RB_KB=$kb
		fi
	done
	rm -f "$tf" "$tf.out"
}

bench_report() {
	local d n small big line v1 v2 runs
	[ -x "$REMOTEEXE_REPORT" ] || { echo "bench: $REMOTEEXE_REPORT not built" >&2; return 2; }
	d=$(mktemp -d "${TMPDIR:-/tmp}/rxreport.XXXXXX") || return 2
	if [ "$(df -Pk "$d" | awk 'NR == 2 { print $4 }')" -lt $((REPORT_RECORDS / 10 + 10240)) ]; then
		echo "bench: $d: not enough space for a $REPORT_RECORDS-record log" >&2
		rm -rf "$d"
		return 2
	fi
	small=$((REPORT_RECORDS / 10)) big=$REPORT_RECORDS
	echo "bench: report, generating $big and $small-record logs" >&2
	report_log "$big" "$d/big.log"
	report_log "$small" "$d/small.log"
	runs=$(( (big / 10) ))
	line=$("$REMOTEEXE_REPORT" "$d/big.log" | tail -n 1)
	v1=ok
	[[ $line == "summary: 200 jobs, $runs runs: "* ]] || v1="FAIL ($line)"
	echo
	echo "remoteexe-report bench: $(nproc) cores, best of 3 runs"
	printf '%-34s %12s %12s %10s  %s\n' measure report "grep -c" target result
	for n in small big; do
		report_best "$d/$n.log" grep -c '] END,'
		local gs=$RB_S
		report_best "$d/$n.log" "$REMOTEEXE_REPORT"
		eval "rs_$n=\$RB_S rk_$n=\$RB_KB"
		local recs=$small
		[ "$n" = big ] && recs=$big
		v2=ok
		awk "BEGIN { exit !($recs / ($RB_S + 0.001) >= 1000000) }" || v2=MISS
		printf '%-34s %12s %12s %10s  %s\n' "$recs records (s)" "$RB_S" "$gs" "" ""
		printf '%-34s %12s %12s %10s  %s\n' "$recs records/s" \
			"$(awk "BEGIN { printf \"%.0f\", $recs / ($RB_S + 0.001) }")" \
			"$(awk "BEGIN { printf \"%.0f\", $recs / ($gs + 0.001) }")" ">= 1M" "$v2"
		[ "$v2" = ok ] || MISSED=$((MISSED + 1))
	done
	v2=ok
	awk "BEGIN { exit !($rk_big <= $rk_small * 1.25 + 1024) }" || v2=MISS
	[ "$v2" = ok ] || MISSED=$((MISSED + 1))
	printf '%-34s %12s %12s %10s  %s\n' "peak RSS KiB, $small records" "$rk_small" "-" "" ""
	printf '%-34s %12s %12s %10s  %s\n' "peak RSS KiB, $big records" "$rk_big" "-" "no growth" "$v2"
	printf '%-34s %12s %12s %10s  %s\n' "report counts all $runs runs" "-" "-" "" "$v1"
	[ "$v1" = ok ] || FAILS+=("remoteexe-report: $v1")
	rm -rf "$d"
}

if [ "${BENCH_ONLY:-}" = report ]; then
	MISSED=0 FAILS=()
	bench_report || exit $?
	[ "${#FAILS[@]}" -eq 0 ] || exit 1
	[ "$MISSED" -eq 0 ] || [ "$STRICT" != 1 ] || exit 1
	exit 0
fi


# --- stall check ---------------------------------------------------------------
STALL_RUNS=${BENCH_STALL_RUNS:-20};	num BENCH_STALL_RUNS "$STALL_RUNS" 1 1000
STALL_MB=${BENCH_STALL_MB:-500};	num BENCH_STALL_MB "$STALL_MB" 1 100000
STALL_WINDOW=${BENCH_STALL_WINDOW:-131072}
num BENCH_STALL_WINDOW "$STALL_WINDOW" 32768 1073741824

# stall_build DIR: remoteexe with a STALL_WINDOW-byte channel window, built
# in a copy of the sources under DIR; its path on stdout.
stall_build() {
	mkdir -p "$1/src/tools" || return 1
	cp "$ROOT"/*.c "$ROOT"/*.h "$ROOT/remote.sh" "$ROOT/Makefile" "$1/src/" &&
		cp "$ROOT/tools/embed.sh" "$1/src/tools/" || return 1
	rm -f "$1/src/remote_sh.h"
	make -C "$1/src" remoteexe CFLAGS="-O2 -g -DCHANNEL_WINDOW=$STALL_WINDOW" \
		>"$1/build.log" 2>&1 || { cat "$1/build.log" >&2; return 1; }
	echo "$1/src/remoteexe"
}

# stall_stats FILE: "median max stalls" of the times in FILE (s); a stall is
# a run more than 10 s over the median.
stall_stats() {
	sort -g "$1" | awk '{ a[NR] = $1 }
		END {
			if (NR == 0) { print "nan nan nan"; exit }
			m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			for (i = 1; i <= NR; i++) if (a[i] > m + 10) n++
			printf "%.2f %.2f %d\n", m, a[NR], n
		}'
}

# bench_stall: the stall check (see the top). The builds of this tree are
# checked (a stall or an incomplete log is a MISS or a FAIL); the
# BENCH_STALL_CMP builds are measured alongside, for information.
bench_stall() {
	local d labels=() bins=() i j n lb cmd bytes=$((STALL_MB * 1000000)) tf
	local s u sy med max st cpu lines
	d=$(mktemp -d "${TMPDIR:-/tmp}/rxstall.XXXXXX") || return 2
	labels=(default "window $STALL_WINDOW") bins=("$REMOTEEXE")
	bins+=("$(stall_build "$d")") || { FAILS+=("stall: the small-window build failed"); rm -rf "$d"; return 2; }
	for lb in ${BENCH_STALL_CMP:-}; do
		labels+=("${lb%%=*}") bins+=("${lb#*=}")
	done
	s=$(printf '0123456789%.0s' 1 2 3 4 5 6 7 8 9 10)
	cmd="yes ${s:0:99} | head -c $bytes"
	lines=$((bytes / 100 + (bytes % 100 > 0 ? 1 : 0)))
	echo "bench: stall check, $STALL_RUNS x $STALL_MB MB: ${labels[*]}" >&2
	for ((i = 1; i <= STALL_RUNS; i++)); do
		for j in "${!bins[@]}"; do
			tf=$d/tm
			rm -f "$tf"
			REMOTEEXE=${bins[$j]} timed rx_tm "$tf" "$d/stall.log" "$cmd"
			read -r _ u sy _ < <(tail -n 1 "$tf" 2>/dev/null)
			echo "$(calc %.3f "$US / 1e6")" >>"$d/time.$j"
			echo "$(calc %.3f "(${u:-0} + ${sy:-0}) / ($bytes / 1e9)")" >>"$d/cpu.$j"
			n=${#FAILS[@]}
			check_log "stall ${labels[$j]} run $i" "$d/stall.log" "$RC" \
				"$lines" "" "$bytes"
			if [ "$j" -ge 2 ] && [ "${#FAILS[@]}" -gt "$n" ]; then
				# another build: for information only
				NOTES+=("${FAILS[@]:$n}")
				FAILS=("${FAILS[@]:0:$n}")
			fi
		done
	done
	echo
	echo "stall check: $STALL_RUNS x $(mb "$bytes") each, interleaved, $(nproc) cores"
	printf '%-24s %10s %10s %8s %10s  %s\n' build "median s" "max s" stalls "CPU s/GB" result
	for j in "${!bins[@]}"; do
		read -r med max st <<<"$(stall_stats "$d/time.$j")"
		cpu=$(stat3 $(cat "$d/cpu.$j") | cut -d' ' -f1)
		V="(info)"
		[ "$j" -ge 2 ] || verdict "$st == 0"
		printf '%-24s %10s %10s %8s %10s  %s\n' "${labels[$j]}" "$med" "$max" "$st" "$cpu" "$V"
	done
	rm -rf "$d"
}

# --- work dir, disk, sshd ----------------------------------------------------
W=$(mktemp -d "${TMPDIR:-/tmp}/rxbench.XXXXXX") || exit 1
. "$ROOT/t/sshd.bash"
fixture_cleanup_on_exit bench "$W" "${BENCH_KEEP:-0}"

need_kb=$(( (BULK / 1024) * 14 / 10 + (BIGLINE / 1024) * 2 + 300 * 1024 ))
avail_kb=$(df -Pk "$W" | awk 'NR == 2 { print $4 }')
if [ "$avail_kb" -lt "$need_kb" ]; then
	echo "bench: $W has $((avail_kb / 1024)) MiB free, needs ~$((need_kb / 1024)) MiB" \
		"(set TMPDIR elsewhere or lower BENCH_BULK_BYTES)" >&2
	exit 2
fi

# MaxStartups raised so the concurrency check measures the log, not sshd's
# connection dropping (tools/burst.sh measures that with the stock setting).
fixture_start "$W/fix" "MaxStartups 200:30:400" || exit 1
DEST=$RX_USER@127.0.0.1
echo "bench: sshd $SSHD_PID on 127.0.0.1:$SSHD_PORT, work dir $W" >&2

# --- helpers -----------------------------------------------------------------
KG=20	# timeout's TERM->KILL for remoteexe: room for its own stop (kill-grace 5 s)
FAILS=()
US=0	# elapsed microseconds of the last timed run
RC=0	# its exit status

# timed CMD...: run CMD (stdin /dev/null), set US and RC.
timed() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" </dev/null
	RC=$?
	t1=$EPOCHREALTIME
	US=$(( ${t1/./} - ${t0/./} ))
}

# rx LOG CMD: remoteexe with the fixture's key/known_hosts, bounded.
rx() {
	local log=$1
	shift
	timeout -k "$KG" "$TO" "$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$log" 127.0.0.1 "$@" \
		>/dev/null 2>>"$W/rx.stderr"
}
# rx_tm TIMEFILE LOG CMD: the same under /usr/bin/time (wall user sys maxrss_kb);
# time outside timeout, so that it waits for remoteexe's own stop on expiry
# (rusage of children: timeout's is negligible, %M is remoteexe's).
rx_tm() {
	local tf=$1 log=$2
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$tf" timeout -k "$KG" "$TO" \
		"$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$log" 127.0.0.1 "$@" \
		>/dev/null 2>>"$W/rx.stderr"
}
sshx() {
	timeout -k 5 "$TO" "${SSH_CMD[@]}" "$DEST" "$@" >/dev/null 2>>"$W/ssh.stderr"
}
ssh_tm() {
	local tf=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$tf" timeout -k 5 "$TO" \
		"${SSH_CMD[@]}" "$DEST" "$@" >/dev/null 2>>"$W/ssh.stderr"
}
ssh_ts() {
	local out=$1
	shift
	timeout -k 5 "$TO" "${SSH_CMD[@]}" "$DEST" "$@" 2>>"$W/ssh.stderr" |
		ts '[%Y-%m-%d %H:%M:%S]' >"$out"
}
seed() {
	SEED_LOG=$1 SEED_SSH_OPTS="${SSH_CMD[*]:1}" SEED_USER=$RX_USER \
		timeout -k 5 "$TO" "$ROOT/tools/seed-remoteexe.sh" 127.0.0.1 "$2" \
		>/dev/null 2>&1
}

# check_log LABEL LOG RC OUT [OUTPLUS [BYTES]]: is this remoteexe run's log
# complete? START first, END,0 last, OUT out records (OUTPLUS out+ records,
# stats out=BYTES). Records a failure in FAILS; keeps the log's tail.
check_log() {
	local label=$1 log=$2 rc=$3 want=$4 wantp=${5:-} bytes=${6:-} p="" n first last
	[ "$rc" = 0 ] || p+="exit status $rc; "
	if [ ! -s "$log" ]; then
		p+="no log; "
	else
		first=$(head -n 1 "$log")
		last=$(tail -n 1 "$log")
		[[ $first == *"] START,-,"* ]] || p+="first record is not START; "
		[[ $last == *"] END,0,"* ]] || p+="last record is not END,0 (${last:0:120}); "
		n=$(grep -cF '] out,' "$log")
		[ "$n" = "$want" ] || p+="$n out records, want $want; "
		if [ -n "$wantp" ]; then
			n=$(grep -cF '] out+,' "$log")
			[ "$n" = "$wantp" ] || p+="$n out+ records, want $wantp; "
		fi
		if [ -n "$bytes" ]; then
			n=$(sed -n 's/^.*\] stats,.* out=\([0-9]*\) .*$/\1/p' "$log" | tail -n 1)
			[ "$n" = "$bytes" ] || p+="stats out=$n, want $bytes; "
		fi
	fi
	if [ -n "$p" ]; then
		FAILS+=("$label: $p")
		{ echo "== $label"; tail -n 5 "$log" 2>/dev/null | cut -c1-300; } >>"$W/failed.tails"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	return 0
}

# again I T0 NAME: may measurement NAME (started at $SECONDS = T0) run its
# round I? Not after RUNS rounds, nor once it has used up BUDGET seconds.
again() {
	[ "$1" -le "$RUNS" ] || return 1
	if [ "$1" -gt 1 ] && [ $((SECONDS - $2)) -ge "$BUDGET" ]; then
		NOTES+=("$3: $(( $1 - 1 )) of $RUNS runs (BENCH_BUDGET $BUDGET s used up)")
		return 1
	fi
	return 0
}
NOTES=()

# stat3 VALUES...: "median min max"
stat3() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
		END { if (NR == 0) { print "nan nan nan"; exit }
		      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		      print m, a[1], a[NR] }'
}
med() { stat3 "$@" | cut -d' ' -f1; }
calc() {
	case $2 in
	*nan*) echo - ;;
	*) awk "BEGIN { printf \"$1\n\", $2 }" 2>/dev/null || echo - ;;
	esac
}
mb() { awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%g GB\n", b / 1e9; else if (b >= 1e6) printf "%g MB\n", b / 1e6; else printf "%d bytes\n", b }'; }
# verdict OK_EXPRESSION (awk): sets V to ok or MISS (no subshell: counts MISSED)
verdict() {
	case $1 in
	*nan* | *-\ *) V=MISS ;;	# not measured
	*) if awk "BEGIN { exit !($1) }" 2>/dev/null; then V=ok; else V=MISS; fi ;;
	esac
	[ "$V" = ok ] || MISSED=$((MISSED + 1))
}
MISSED=0

# Warm up: page cache, sshd's first fork.
sshx true
rx "$W/warm.log" true
rm -f "$W/warm.log"

# the final report of FAILS and MISSED, and the exit status
finish_bench() {
	local status=0
	if [ "${#FAILS[@]}" -gt 0 ]; then
		echo
		echo "FAILURES:"
		printf '  %s\n' "${FAILS[@]}"
		if [ -s "$W/failed.tails" ]; then
			echo "log tails:"
			sed 's/^/  /' "$W/failed.tails"
		fi
		if [ -s "$W/rx.stderr" ]; then
			echo "remoteexe stderr (last 5 lines):"
			tail -n 5 "$W/rx.stderr" | sed 's/^/  /'
		fi
		status=1
	fi
	if [ "$MISSED" -gt 0 ]; then
		echo
		echo "bench: $MISSED target(s) missed"
		[ "$STRICT" = 1 ] && status=1
	fi
	return $status
}

if [ "${BENCH_ONLY:-}" = stall ]; then
	bench_stall
	[ "${#NOTES[@]}" -eq 0 ] || printf '  note: %s\n' "${NOTES[@]}"
	finish_bench
	exit $?
fi

# --- latency -----------------------------------------------------------------
echo "bench: latency, $LAT_N x true" >&2
lat_rx=() lat_ssh=()
for ((i = 1; i <= LAT_N; i++)); do
	rm -f "$W/lat.log"
	timed rx "$W/lat.log" true
	lat_rx+=("$(calc %.3f "$US / 1000")")
	check_log "latency run $i" "$W/lat.log" "$RC" 0
	timed sshx true
	[ "$RC" = 0 ] || FAILS+=("ssh latency run $i: exit $RC (baseline broken)")
	lat_ssh+=("$(calc %.3f "$US / 1000")")
done

# --- lines -------------------------------------------------------------------
echo "bench: lines, $RUNS x seq 1 $LINES (seed: seq 1 $SEED_LINES)" >&2
ln_rx=() ln_ssh=() ln_ts=() ln_seed=()
t_start=$SECONDS
stop=
for ((i = 1; ; i++)); do
	again "$i" "$t_start" lines || break
	timed rx "$W/lines.log" "seq 1 $LINES"
	ln_rx+=("$(calc %.6f "$US / 1e6")")
	if ! check_log "lines run $i" "$W/lines.log" "$RC" "$LINES"; then
		stop=1
	fi
	timed sshx "seq 1 $LINES"
	ln_ssh+=("$(calc %.6f "$US / 1e6")")
	if [ "$HAVE_TS" = 1 ]; then
		timed ssh_ts "$W/ts.out" "seq 1 $LINES"
		ln_ts+=("$(calc %.6f "$US / 1e6")")
		n=$(wc -l <"$W/ts.out")
		[ "$n" = "$LINES" ] || FAILS+=("ssh | ts run $i: $n lines, want $LINES (baseline broken)")
		rm -f "$W/ts.out"
	fi
	timed seed "$W/seed.log" "seq 1 $SEED_LINES"
	# per line, scaled to LINES
	ln_seed+=("$(calc %.6f "$US / 1e6 / $SEED_LINES * $LINES")")
	n=$(wc -l <"$W/seed.log")
	[ "$n" = $((SEED_LINES + 3)) ] || FAILS+=("seed run $i: $n log lines, want $((SEED_LINES + 3)) (baseline broken)")
	rm -f "$W/seed.log"
	if [ -n "$stop" ]; then NOTES+=("lines: not repeated after remoteexe failed run $i"); break; fi
done

# --- bulk, cpu, memory -------------------------------------------------------
echo "bench: bulk, $RUNS x $BULK bytes of 100-byte lines" >&2
s=$(printf '0123456789%.0s' 1 2 3 4 5 6 7 8 9 10)
BULK_CMD="yes ${s:0:99} | head -c $BULK"
bulk_out=$((BULK / 100 + (BULK % 100 > 0 ? 1 : 0)))
bk_rx=() bk_ssh=() cpu_rx=() cpu_ssh=() rss_rx=() rss_ssh=()
t_start=$SECONDS
stop=
for ((i = 1; ; i++)); do
	again "$i" "$t_start" bulk || break
	rm -f "$W/tm"
	timed rx_tm "$W/tm" "$W/bulk.log" "$BULK_CMD"
	bk_rx+=("$(calc %.3f "$BULK / ($US / 1e6) / 1e6")")
	if read -r _ u sy m < <(tail -n 1 "$W/tm" 2>/dev/null) && [ -n "$m" ]; then
		cpu_rx+=("$(calc %.3f "($u + $sy) / ($BULK / 1e9)")")
		rss_rx+=("$m")
	fi
	if ! check_log "bulk run $i" "$W/bulk.log" "$RC" "$bulk_out" "" "$BULK"; then
		stop=1
	fi
	rm -f "$W/tm"
	timed ssh_tm "$W/tm" "$BULK_CMD"
	[ "$RC" = 0 ] || FAILS+=("ssh bulk run $i: exit $RC (baseline broken)")
	bk_ssh+=("$(calc %.3f "$BULK / ($US / 1e6) / 1e6")")
	if read -r _ u sy m < <(tail -n 1 "$W/tm" 2>/dev/null) && [ -n "$m" ]; then
		cpu_ssh+=("$(calc %.3f "($u + $sy) / ($BULK / 1e9)")")
		rss_ssh+=("$m")
	fi
	if [ -n "$stop" ]; then NOTES+=("bulk: not repeated after remoteexe failed run $i"); break; fi
done

echo "bench: memory, $RUNS x one $BIGLINE-byte line without newline" >&2
big_plus=$(( (BIGLINE - 1) / 4096 ))
rss_big=() big_s=()
t_start=$SECONDS
stop=
for ((i = 1; ; i++)); do
	again "$i" "$t_start" "big line" || break
	rm -f "$W/tm"
	timed rx_tm "$W/tm" "$W/big.log" "head -c $BIGLINE /dev/zero | tr '\\0' x"
	if read -r _ u sy m < <(tail -n 1 "$W/tm" 2>/dev/null) && [ -n "$m" ]; then
		rss_big+=("$m")
	fi
	big_s+=("$(calc %.3f "$US / 1e6")")
	if ! check_log "big line run $i" "$W/big.log" "$RC" 1 "$big_plus" "$BIGLINE"; then
		NOTES+=("big line: not repeated after remoteexe failed run $i"); break
	fi
done

# --- log integrity under concurrency -----------------------------------------
echo "bench: integrity, $CONC simultaneous runs x $CONC_LINES lines, one log" >&2
CLOG=$W/conc.log
: >"$W/conc.rc"
t0=$EPOCHREALTIME
pids=()
for ((i = 1; i <= CONC; i++)); do
	rx "$CLOG" "seq 1 $CONC_LINES" </dev/null &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
	echo $? >>"$W/conc.rc"
done
t1=$EPOCHREALTIME
conc_s=$(calc %.2f "(${t1/./} - ${t0/./}) / 1e6")
conc_bad_rc=$(grep -vcx 0 "$W/conc.rc")
conc_bad_grammar=$(grep -Evc "$RECORD_RE" "$CLOG")
conc_report=$(awk -v want="$CONC_LINES" -v runs="$CONC" '
{
	p = index($0, "][")
	if (p == 0) { junk++; next }
	rest = substr($0, p + 2)
	q = index(rest, "] ")
	pid = substr(rest, 1, q - 1)
	rec = substr(rest, q + 2)
	c = index(rec, ",")
	kind = substr(rec, 1, c - 1)
	val = substr(rec, c + 1)
	if (!(pid in seen)) {
		seen[pid] = 1; npid++
		if (kind != "START") bad[pid] = bad[pid] "first record is " kind "; "
	}
	if (pid in ended && !(pid in after)) {
		after[pid] = 1; bad[pid] = bad[pid] "records after END; "
	}
	if (kind == "out") {
		n[pid]++
		if (val != n[pid] && !(pid in order)) {
			order[pid] = 1
			bad[pid] = bad[pid] "out," val " where out," n[pid] " expected; "
		}
	} else if (kind == "START" && seen[pid]++ > 1) {
		bad[pid] = bad[pid] "second START; "
	} else if (kind == "END") {
		ended[pid] = 1; rc[pid] = val
	}
}
END {
	for (pid in seen) {
		if (!(pid in ended)) bad[pid] = bad[pid] "no END; "
		else if (rc[pid] !~ /^0,/) bad[pid] = bad[pid] "END," rc[pid] "; "
		if (n[pid] != want) bad[pid] = bad[pid] n[pid] + 0 " out records; "
		if (pid in bad) { nbad++; if (shown++ < 5) detail = detail "\n  pid " pid ": " bad[pid] }
	}
	printf "%d %d %d%s\n", npid, nbad, junk, detail
}' "$CLOG")
read -r conc_pids conc_badruns conc_junk <<<"$(head -n 1 <<<"$conc_report")"
conc_ok=1
if [ "$conc_bad_rc" != 0 ] || [ "$conc_bad_grammar" != 0 ] || [ "$conc_pids" != "$CONC" ] ||
	[ "$conc_badruns" != 0 ] || [ "$conc_junk" != 0 ]; then
	conc_ok=0
	FAILS+=("integrity: $conc_pids runs in the log (want $CONC), $conc_badruns incomplete or out of order," \
		"$conc_bad_grammar lines outside the grammar, $conc_bad_rc non-zero exits$(tail -n +2 <<<"$conc_report")")
	grep -Evn "$RECORD_RE" "$CLOG" | head -n 5 | cut -c1-300 >>"$W/failed.tails"
fi
conc_lines=$(wc -l <"$CLOG")
rm -f "$CLOG"

# --- report ------------------------------------------------------------------
r3() { stat3 "$@"; }
read -r lat_rx_m lat_rx_lo lat_rx_hi <<<"$(r3 "${lat_rx[@]}")"
read -r lat_ssh_m lat_ssh_lo lat_ssh_hi <<<"$(r3 "${lat_ssh[@]}")"
read -r ln_rx_m ln_rx_lo ln_rx_hi <<<"$(r3 "${ln_rx[@]}")"
read -r ln_ssh_m ln_ssh_lo ln_ssh_hi <<<"$(r3 "${ln_ssh[@]}")"
read -r ln_seed_m ln_seed_lo ln_seed_hi <<<"$(r3 "${ln_seed[@]}")"
read -r bk_rx_m bk_rx_lo bk_rx_hi <<<"$(r3 "${bk_rx[@]}")"
read -r bk_ssh_m bk_ssh_lo bk_ssh_hi <<<"$(r3 "${bk_ssh[@]}")"
cpu_rx_m=$(med "${cpu_rx[@]}") cpu_ssh_m=$(med "${cpu_ssh[@]}")
rss_rx_max=$(stat3 "${rss_rx[@]}" | cut -d' ' -f3)
rss_ssh_max=$(stat3 "${rss_ssh[@]}" | cut -d' ' -f3)
rss_big_max=$(stat3 "${rss_big[@]}" | cut -d' ' -f3)
big_m=$(med "${big_s[@]}")

fmt='%-36s %11s %11s %8s  %-14s %s\n'
echo
echo "remoteexe bench: $(ssh -V 2>&1 | cut -d, -f1) on 127.0.0.1:$SSHD_PORT," \
	"$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); medians of $RUNS runs (latency: $LAT_N)"
printf "$fmt" measure remoteexe baseline ratio target result
verdict "$lat_rx_m / $lat_ssh_m <= 1.0"
printf "$fmt" "latency, true (ms) vs ssh" "$(calc %.1f "$lat_rx_m")" "$(calc %.1f "$lat_ssh_m")" \
	"$(calc %.2f "$lat_rx_m / $lat_ssh_m")" "<= 1.00" "$V"
verdict "$ln_rx_m / $ln_ssh_m <= 1.5"
printf "$fmt" "$LINES lines (s) vs ssh >/dev/null" "$(calc %.3f "$ln_rx_m")" "$(calc %.3f "$ln_ssh_m")" \
	"$(calc %.2f "$ln_rx_m / $ln_ssh_m")" "<= 1.50" "$V"
if [ "$HAVE_TS" = 1 ]; then
	read -r ln_ts_m ln_ts_lo ln_ts_hi <<<"$(r3 "${ln_ts[@]}")"
	verdict "$ln_rx_m * 5 <= $ln_ts_m"
	printf "$fmt" "$LINES lines (s) vs ssh | ts >file" "$(calc %.3f "$ln_rx_m")" "$(calc %.3f "$ln_ts_m")" \
		"$(calc %.2f "$ln_rx_m / $ln_ts_m")" "<= 0.20 (5x)" "$V"
else
	printf "$fmt" "$LINES lines (s) vs ssh | ts >file" "$ln_rx_m" "-" "-" "<= 0.20 (5x)" "skipped (no ts)"
fi
printf "$fmt" "$LINES lines (s) vs seed script*" "$(calc %.3f "$ln_rx_m")" "$(calc %.1f "$ln_seed_m")" \
	"$(calc %.4f "$ln_rx_m / $ln_seed_m")" "(info)" ""
verdict "$bk_rx_m / $bk_ssh_m >= 0.6"
printf "$fmt" "bulk $(mb "$BULK") (MB/s) vs ssh" "$(calc %.1f "$bk_rx_m")" "$(calc %.1f "$bk_ssh_m")" \
	"$(calc %.2f "$bk_rx_m / $bk_ssh_m")" ">= 0.60" "$V"
printf "$fmt" "client CPU s/GB (user+sys) vs ssh" "$(calc %.2f "$cpu_rx_m")" "$(calc %.2f "$cpu_ssh_m")" \
	"$(calc %.2f "$cpu_rx_m / $cpu_ssh_m")" "(info)" ""
verdict "$rss_rx_max <= 8192"
printf "$fmt" "peak RSS MiB, bulk (ssh for info)" "$(calc %.2f "$rss_rx_max / 1024")" \
	"$(calc %.2f "$rss_ssh_max / 1024")" "-" "<= 8" "$V"
verdict "$rss_big_max <= 8192"
printf "$fmt" "peak RSS MiB, one $(mb "$BIGLINE") line" "$(calc %.2f "$rss_big_max / 1024")" \
	"-" "-" "<= 8" "$V"
if [ "$conc_ok" = 1 ]; then v=ok; else v=FAIL; fi
printf "$fmt" "log integrity, $CONC x $CONC_LINES lines" "$conc_pids runs" \
	"-" "-" "all complete" "$v"
echo
echo "* seed script measured on $SEED_LINES lines and scaled per line to $LINES."
echo "RSS is the maximum over the runs. Ranges (min..max):"
echo "  latency ms: remoteexe $lat_rx_lo..$lat_rx_hi, ssh $lat_ssh_lo..$lat_ssh_hi"
echo "  lines s: remoteexe $ln_rx_lo..$ln_rx_hi, ssh $ln_ssh_lo..$ln_ssh_hi$([ "$HAVE_TS" = 1 ] && echo ", ssh|ts $ln_ts_lo..$ln_ts_hi"), seed(scaled) $ln_seed_lo..$ln_seed_hi"
echo "  lines/s: remoteexe $(calc %.0f "$LINES / $ln_rx_m"), ssh $(calc %.0f "$LINES / $ln_ssh_m"), seed $(calc %.0f "$LINES / $ln_seed_m")"
echo "  bulk MB/s: remoteexe $bk_rx_lo..$bk_rx_hi, ssh $bk_ssh_lo..$bk_ssh_hi"
echo "  cpu s/GB: remoteexe ${cpu_rx[*]}; ssh ${cpu_ssh[*]}"
echo "  big line: median $big_m s; RSS KiB ${rss_big[*]}; bulk RSS KiB ${rss_rx[*]}"
echo "  integrity: $CONC runs in $conc_s s, $conc_lines log lines"
[ "${#NOTES[@]}" -eq 0 ] || printf '  note: %s\n' "${NOTES[@]}"
NOTES=()
bench_stall
[ "${#NOTES[@]}" -eq 0 ] || printf '  note: %s\n' "${NOTES[@]}"
bench_report
finish_bench
exit $?
