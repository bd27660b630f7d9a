#!/usr/bin/env bats
# remoteexe-report: what ran, what failed and why, what never finished,
# what never started, and one run's output byte for byte.  Real runs
# against the fixture sshd, and generated logs for the calendar.

bats_require_minimum_version 1.5.0

load helper

REPORT=${REMOTEEXE_REPORT:-$BATS_TEST_DIRNAME/../remoteexe-report}

setup_file() { fixture_setup; }
teardown_file() { fixture_teardown; }

setup() {
	LOG=$BATS_TEST_TMPDIR/log
	GLOG=$BATS_TEST_TMPDIR/gen.log
	CRON=$BATS_TEST_TMPDIR/crontab
	rx_opts
	export HOME=$FIX/home TZ=UTC
	unset SSH_AUTH_SOCK REMOTEEXE_LOG
	BG=()
	: >"$GLOG"
}

teardown() {
	local pid
	for pid in "${BG[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	return 0
}

# report ARGS...: remoteexe-report, bounded.
report() {
	timeout 60 "$REPORT" "$@"
}

# rec TIME PID TEXT: append the text record "[TIME][PID] TEXT" to $GLOG.
rec() {
	printf '[%s][%s] %s\n' "$1" "$2" "$3" >>"$GLOG"
}

# run_rec START END PID PARAMS [RC [REASON [ELAPSED]]]: a whole run.
run_rec() {
	rec "$1" "$3" "START,-,$4"
	rec "$2" "$3" "stats,elapsed=${7:-1.000} out=0 err=0 attempts=1 reason=${6:-exit}"
	rec "$2" "$3" "END,${5:-0},$4"
}

# bg_rx CMD: remoteexe running CMD on the fixture in the background; its
# PID in RXPID (ended by teardown).
bg_rx() {
	"$REMOTEEXE" "${RX_OPTS[@]}" 127.0.0.1 "$1" >/dev/null 2>&1 3>&- &
	RXPID=$!
	BG+=("$RXPID")
}

# log_pid: the PID of the first START in $LOG.
log_pid() {
	sed -n '1s/^\[[^]]*\]\[\([0-9]*\)\] START,.*/\1/p' "$LOG"
}

# jq_report FILTER ARGS...: the JSON report of ARGS through jq -c FILTER.
jq_report() {
	local filter=$1
	shift
	report -f json "$@" | jq -c "$filter"
}

# --- real runs --------------------------------------------------------------

@test "a run that exits 0 is counted ok and the report exits 0" {
	rx 127.0.0.1 true
	run report -a "$LOG"
	assert_equal "$status" 0
	run jq_report '.jobs[] | [.params, .runs, .ok, .failed, .last.status, .last.reason]' -a "$LOG"
	assert_output '["127.0.0.1 true",1,1,0,"ok","exit"]'
}

@test "a run that exits 3 is a failure with rc=3 reason=exit and the report exits 1" {
	run rx 127.0.0.1 'exit 3'
	run report "$LOG"
	assert_equal "$status" 1
	assert_line --regexp "^        failed: 1x rc=3 reason=exit; last: [-0-9]{10} [:0-9]{8} pid $(log_pid) rc=3 reason=exit\$"
}

@test "a timeout is a failure with rc=124 reason=timeout" {
	run rx --timeout 1 127.0.0.1 'sleep 10'
	run jq_report '.jobs[] | [.params, .failures]' "$LOG"
	assert_output '["127.0.0.1 sleep 10",[{"rc":124,"reason":"timeout","runs":1}]]'
}

@test "a remoteexe killed with SIGKILL never finished, with the time of its last record" {
	local last
	bg_rx 'echo started; sleep 5'
	wait_for 10 grep -q '] out,started$' "$LOG" || fail "no output: $(cat "$LOG")"
	kill -KILL "$RXPID"
	wait "$RXPID" || true
	last=$(sed -n 's/^\[\([^]]*\)\].*/\1/p' "$LOG" | tail -n 1)
	run jq_report '.open_runs[] | [.pid, .params, .status, .last_record]' "$LOG"
	assert_output "[$RXPID,\"127.0.0.1 echo started; sleep 5\",\"never_finished\",\"${last/ /T}+00:00\"]"
	run report "$LOG"
	assert_equal "$status" 1
}

@test "a remoteexe still running is still running, and alone it does not make the report fail" {
	bg_rx 'sleep 10'
	wait_for 10 grep -q '] command,' "$LOG" || fail "no command record: $(cat "$LOG")"
	run jq_report '[.summary.still_running, .summary.never_finished, .open_runs[0].pid, .open_runs[0].status]' "$LOG"
	assert_output "[1,0,$RXPID,\"still_running\"]"
	run report "$LOG"
	assert_equal "$status" 0
}

@test "a START whose PID is alive but is not a remoteexe never finished" {
	rec "$(date '+%Y-%m-%d %H:%M:%S')" "$$" "START,-,web01 /x.sh"
	run jq_report '[.open_runs[0].pid, .open_runs[0].status]' "$GLOG"
	assert_output "[$$,\"never_finished\"]"
}

@test "a START older than the live remoteexe with its PID never finished: the PID was reused" {
	bg_rx 'sleep 10'
	wait_for 10 grep -q '] command,' "$LOG" || fail "no command record: $(cat "$LOG")"
	rec "$(date -d '-1 hour' '+%Y-%m-%d %H:%M:%S')" "$RXPID" "START,-,web01 /x.sh"
	run jq_report '.open_runs[] | [.pid, .params, .status]' "$GLOG"
	assert_output "[$RXPID,\"web01 /x.sh\",\"never_finished\"]"
}

@test "a job whose PARAMS are not UTF-8 is one job, in text and in JSON records" {
	local cmd
	cmd=$(printf 'echo \377')
	rx 127.0.0.1 "$cmd"
	rx --format json 127.0.0.1 "$cmd"
	run jq_report '[.jobs[] | .runs]' -a "$LOG"
	assert_output '[2]'
}

@test "a --format json log is read as a text log is" {
	run rx --format json 127.0.0.1 'echo hi; exit 2'
	run jq_report '.jobs[] | [.params, .runs, .failures]' "$LOG"
	assert_output '["127.0.0.1 echo hi; exit 2",1,[{"rc":2,"reason":"exit","runs":1}]]'
}

# random_file FILE [TAIL]: random bytes, a 20000-byte line (split in the
# log), and TAIL (default: a newline).
random_file() {
	head -c 60000 /dev/urandom >"$1"
	head -c 20000 /dev/zero | tr '\0' z >>"$1"
	printf "${2-\\n}" >>"$1"
}

@test "--output gives a run's random stdout back byte for byte (same sha256)" {
	random_file "$BATS_TEST_TMPDIR/data"
	rx 127.0.0.1 "cat $BATS_TEST_TMPDIR/data"
	grep -q '] out+,' "$LOG" || fail "no out+ record: the long line was not split"
	report --output "$(log_pid)" "$LOG" >"$BATS_TEST_TMPDIR/got"
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/got")" \
		"$(sha256sum <"$BATS_TEST_TMPDIR/data")"
}

@test "--output -e gives a run's random stderr back byte for byte" {
	random_file "$BATS_TEST_TMPDIR/data"
	rx 127.0.0.1 "cat $BATS_TEST_TMPDIR/data >&2; echo on-stdout"
	report --output "$(log_pid)" -e "$LOG" >"$BATS_TEST_TMPDIR/got"
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/got")" \
		"$(sha256sum <"$BATS_TEST_TMPDIR/data")"
}

@test "--output adds no newline to a last line without one when stats say noeol=out" {
	random_file "$BATS_TEST_TMPDIR/data" 'end'
	rx 127.0.0.1 "cat $BATS_TEST_TMPDIR/data"
	grep -q '] stats,.* noeol=out$' "$LOG" || fail "no noeol=out in stats"
	report --output "$(log_pid)" "$LOG" >"$BATS_TEST_TMPDIR/got"
	assert_equal "$(sha256sum <"$BATS_TEST_TMPDIR/got")" \
		"$(sha256sum <"$BATS_TEST_TMPDIR/data")"
}

@test "--output decodes a JSON log's base64 member, and its line otherwise" {
	cat >"$GLOG" <<-'EOF'
	{"time":"2024-03-04T02:00:00.000+00:00","pid":7,"kind":"start","line":"-,h c","params":"h c"}
	{"time":"2024-03-04T02:00:00.100+00:00","pid":7,"kind":"out","line":"a\u0001\"é\\","base64":"/wAK"}
	{"time":"2024-03-04T02:00:00.200+00:00","pid":7,"kind":"out","line":"tab\tnl\n\u00e9\ud83d\ude00"}
	{"time":"2024-03-04T02:00:01.000+00:00","pid":7,"kind":"end","line":"0,h c","rc":0,"params":"h c"}
	EOF
	report --output 7 "$GLOG" >"$BATS_TEST_TMPDIR/got"
	printf '\377\000\n\ntab\tnl\n\303\251\360\237\230\200\n' >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
}

@test "--output with a PID that has several runs exits 2 and names them" {
	run_rec "2024-03-04 02:00:00" "2024-03-04 02:00:01" 42 "h a"
	run_rec "2024-03-04 03:00:00" "2024-03-04 03:00:01" 42 "h b"
	run --separate-stderr report --output 42 "$GLOG"
	assert_equal "$status" 2
	assert_equal "$stderr" "remoteexe-report: pid 42: 2 runs in the log; choose one with --output PID@START-TIME:
  --output '42@2024-03-04 02:00:00'
  --output '42@2024-03-04 03:00:00'"
}

@test "--output PID@START-TIME picks that run" {
	rec "2024-03-04 02:00:00" 42 "START,-,h a"
	rec "2024-03-04 02:00:00" 42 "out,first"
	rec "2024-03-04 02:00:01" 42 "END,0,h a"
	rec "2024-03-04 03:00:00" 42 "START,-,h b"
	rec "2024-03-04 03:00:00" 42 "out,second\\000\\\\"
	rec "2024-03-04 03:00:01" 42 "END,0,h b"
	report --output '42@2024-03-04T03:00:00' "$GLOG" >"$BATS_TEST_TMPDIR/got"
	printf 'second\000\\\n' | cmp - "$BATS_TEST_TMPDIR/got"
}

# --- the text report ----------------------------------------------------------

@test "the text report: worst jobs first with reasons, runs without END, incidents, missed slots, one summary" {
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:03" 101 "web01 /x.sh" 0 exit 2.000
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:04" 102 "web02 /x.sh" 255 ssh:connect 3.000
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:05" 103 "web03 /x.sh" 255 ssh:connect 4.000
	rec "2024-03-04 02:00:06" 104 "START,-,web04 /y.sh"
	rec "2024-03-04 02:00:07" 104 "out,partial"
	printf '[2024-03-04 02:00:0' >>"$GLOG"
	printf '0 2 * * * root remoteexe web05 /z.sh\n' >"$CRON"
	run report -c "$CRON" "$GLOG"
	assert_equal "$status" 1
	assert_output "remoteexe-report: $GLOG, 2024-03-04 02:00:01–02:00:07

 runs    ok  fail never  miss   median      p95      max  job
    1     0     1     0     0     3.0s     3.0s     3.0s  web02 /x.sh
        failed: 1x rc=255 reason=ssh:connect; last: 2024-03-04 02:00:01 pid 102 rc=255 reason=ssh:connect
    1     0     1     0     0     4.0s     4.0s     4.0s  web03 /x.sh
        failed: 1x rc=255 reason=ssh:connect; last: 2024-03-04 02:00:01 pid 103 rc=255 reason=ssh:connect
    1     0     0     1     0        -        -        -  web04 /y.sh
        last: 2024-03-04 02:00:06 pid 104 never finished

never finished (START without END):
  2024-03-04 02:00:06 pid 104 web04 /y.sh (last record 2024-03-04 02:00:07)

incidents (failures of several jobs, each within 60 s of the previous):
  2024-03-04 02:00:04–02:00:05: 2 runs on 2 jobs ended 255, reason=ssh:connect

malformed: 1 line ($GLOG:12)

summary: 4 jobs, 4 runs: 1 ok, 2 failed, 1 never finished, 0 still running; 0 missed slots; 1 malformed line"
}

@test "-a shows the healthy jobs too" {
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:03" 101 "web01 /x.sh" 0 exit 2.000
	run report -a "$GLOG"
	assert_equal "$status" 0
	assert_output "remoteexe-report: $GLOG, 2024-03-04 02:00:01–02:00:03

 runs    ok  fail never  miss   median      p95      max  job
    1     1     0     0     0     2.0s     2.0s     2.0s  web01 /x.sh

summary: 1 job, 1 run: 1 ok, 0 failed, 0 never finished, 0 still running; 0 missed slots; 0 malformed lines"
}

@test "elapsed median, p95 and max are nearest-rank over the runs' stats" {
	local i
	for ((i = 1; i <= 20; i++)); do
		run_rec "2024-03-04 02:00:00" "2024-03-04 02:01:00" $((100 + i)) "h j" 0 exit "$i.000"
	done
	run jq_report '.jobs[0].elapsed' -a "$GLOG"
	assert_output '{"median":10,"p95":19,"max":20,"exact":true}'
}

@test "-f json is one JSON document with jobs, open runs, incidents, missed slots and malformed lines" {
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:03" 101 "web01 /x.sh" 1
	echo garbage >>"$GLOG"
	run jq_report 'keys' "$GLOG"
	assert_output '["incidents","incidents_more","jobs","logs","malformed","missed","not_checked","open_runs","open_runs_more","summary","window"]'
	run jq_report '.malformed' "$GLOG"
	assert_output "{\"lines\":1,\"first\":[\"$GLOG:4\"]}"
}

# --- the log's hard cases -----------------------------------------------------

@test "a run crossing midnight counts on the day it started, with its elapsed time" {
	run_rec "2024-03-04 23:59:30" "2024-03-05 00:00:40" 7 "h nightly" 0 exit 70.000
	run jq_report '[.summary.runs, .jobs[0].elapsed.max]' -a --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '[1,70]'
	run jq_report '.summary.runs' -a --since 2024-03-05 --until 2024-03-06 "$GLOG"
	assert_output '0'
}

@test "a reused PID: a START after a START without END makes the first run never finished" {
	rec "2024-03-04 02:00:00" 42 "START,-,h a"
	rec "2024-03-04 02:00:09" 42 "out,working"
	run_rec "2024-03-04 03:00:00" "2024-03-04 03:00:01" 42 "h b"
	run jq_report '[.summary.runs, .summary.ok, .open_runs[0].params, .open_runs[0].last_record]' "$GLOG"
	assert_output '[2,1,"h a","2024-03-04T02:00:09+00:00"]'
}

@test "interleaved text and JSON records of concurrent runs are told apart by PID" {
	rec "2024-03-04 02:00:00" 1 "START,-,h a"
	echo '{"time":"2024-03-04T02:00:00.500+00:00","pid":2,"kind":"start","line":"-,h b","params":"h b"}' >>"$GLOG"
	rec "2024-03-04 02:00:01" 1 "out,END,255,h b"
	echo '{"time":"2024-03-04T02:00:02.000+00:00","pid":2,"kind":"stats","line":"elapsed=1.500 out=0 err=0 attempts=1 reason=exit","elapsed":1.500,"out":0,"err":0,"attempts":1,"reason":"exit"}' >>"$GLOG"
	rec "2024-03-04 02:00:02" 1 "stats,elapsed=2.000 out=0 err=0 attempts=1 reason=exit"
	echo '{"time":"2024-03-04T02:00:02.000+00:00","pid":2,"kind":"end","line":"3,h b","rc":3,"params":"h b"}' >>"$GLOG"
	rec "2024-03-04 02:00:02" 1 "END,0,h a"
	run jq_report '[.jobs[] | [.params, .ok, .failed, .elapsed.max]]' -a "$GLOG"
	assert_output '[["h b",0,1,1.5],["h a",1,0,2]]'
}

@test "a torn line is counted as malformed, with its line number, and is not fatal" {
	rec "2024-03-04 02:00:00" 1 "START,-,h a"
	# the next remoteexe ends the fragment with a newline and says so
	printf '[2024-03-04 02:00:01][1] ou\n' >>"$GLOG"
	rec "2024-03-04 02:00:02" 2 "error,a previous record was cut: 27 bytes"
	run_rec "2024-03-04 02:00:02" "2024-03-04 02:00:03" 2 "h b"
	run jq_report '[.malformed, .summary.runs, .summary.ok]' "$GLOG"
	assert_output "[{\"lines\":1,\"first\":[\"$GLOG:2\"]},2,1]"
}

@test "a record cut short (no kind, no newline at the end) is malformed" {
	run_rec "2024-03-04 02:00:02" "2024-03-04 02:00:03" 2 "h b"
	printf '[2024-03-04 02:00:04][3] STA' >>"$GLOG"
	run report "$GLOG"
	assert_equal "$status" 1
	assert_line "malformed: 1 line ($GLOG:4)"
}

@test "foreign text, an unknown kind and a JSON line that does not parse are malformed" {
	run_rec "2024-03-04 02:00:02" "2024-03-04 02:00:03" 2 "h b"
	echo 'Warning: Permanently added host' >>"$GLOG"
	rec "2024-03-04 02:00:04" 3 "bogus,what"
	echo '{"time":"2024-03-04T02:00:00.500+00:00","pid":2,"kind":"start","line":"-,h b"' >>"$GLOG"
	run jq_report '.malformed' "$GLOG"
	assert_output "{\"lines\":3,\"first\":[\"$GLOG:4\",\"$GLOG:5\",\"$GLOG:6\"]}"
}

@test "remote text that looks like a record is output, not a record" {
	rec "2024-03-04 02:00:00" 1 "START,-,h a"
	rec "2024-03-04 02:00:01" 1 "out,[2024-03-04 02:00:01][1] END,0,h a"
	rec "2024-03-04 02:00:02" 1 "END,5,h a"
	run jq_report '[.summary.runs, .summary.failed]' "$GLOG"
	assert_output '[1,1]'
}

# --- incidents ----------------------------------------------------------------

@test "failures of several jobs within 60 s are one incident line per exit status and reason" {
	local i
	for i in 1 2 3 4 5; do
		run_rec "2024-03-04 02:00:0$i" "2024-03-04 02:00:0$i" $((200 + i)) "web0$i /x.sh" 255 ssh:connect
	done
	run_rec "2024-03-04 02:00:40" "2024-03-04 02:00:50" 206 "web06 /x.sh" 1 exit
	run_rec "2024-03-04 02:00:40" "2024-03-04 02:00:55" 208 "web08 /x.sh" 1 exit
	run_rec "2024-03-04 02:00:40" "2024-03-04 02:01:30" 207 "web01 /x.sh" 255 ssh:connect
	run_rec "2024-03-04 05:00:00" "2024-03-04 05:00:01" 209 "web07 /x.sh" 1 exit
	run_rec "2024-03-04 05:00:00" "2024-03-04 05:00:02" 210 "web08 /x.sh" 1 exit
	run report "$GLOG"
	assert_line "  2024-03-04 02:00:01–02:01:30: 6 runs on 5 jobs ended 255, reason=ssh:connect"
	assert_line "  2024-03-04 02:00:50–02:00:55: 2 runs on 2 jobs ended 1, reason=exit"
	assert_line "  2024-03-04 05:00:01–05:00:02: 2 runs on 2 jobs ended 1, reason=exit"
	run jq_report '.incidents | length' "$GLOG"
	assert_output 3
}

@test "failures of one job alone, or of one job per exit status and reason, are no incident" {
	local i
	for i in 1 2 3; do
		run_rec "2024-03-04 02:0$i:00" "2024-03-04 02:0$i:01" $((200 + i)) "web01 /x.sh" 255 ssh:connect
	done
	run_rec "2024-03-04 02:01:00" "2024-03-04 02:01:05" 210 "web02 /x.sh" 124 timeout
	run jq_report '[.summary.failed, .incidents]' "$GLOG"
	assert_output '[4,[]]'
}

# --- missed slots -------------------------------------------------------------

@test "a */5 job with one slot without a START lists that slot as missed" {
	printf 'SHELL=/bin/bash\nMAILTO=""\n*/5 * * * * root remoteexe web01 /x.sh\n' >"$CRON"
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:02" 1 "web01 /x.sh"
	run_rec "2024-03-04 02:05:00" "2024-03-04 02:05:02" 2 "web01 /x.sh"
	run_rec "2024-03-04 02:15:59" "2024-03-04 02:16:02" 3 "web01 /x.sh"
	run_rec "2024-03-04 02:20:01" "2024-03-04 02:20:02" 4 "web01 /x.sh"
	run report -c "$CRON" --since "2024-03-04 02:00" --until "2024-03-04 02:25" "$GLOG"
	assert_equal "$status" 1
	assert_line "  2024-03-04 02:10:00: web01 /x.sh (*/5 * * * *, $CRON:3)"
	run jq_report '[.summary.missed, .jobs[0].missed]' -c "$CRON" --since "2024-03-04 02:00" --until "2024-03-04 02:25" "$GLOG"
	assert_output '[1,1]'
}

@test "a START later than the slot + 60 s does not answer it" {
	printf '0 2 * * * root remoteexe web01 /x.sh\n' >"$CRON"
	run_rec "2024-03-04 02:01:00" "2024-03-04 02:01:02" 1 "web01 /x.sh"
	run jq_report '.missed[] | [.from, .slots]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '["2024-03-04T02:00:00+00:00",1]'
}

@test "--splay on the crontab line widens the wait for its START" {
	printf '0 2 * * * root remoteexe --splay 300 web01 /x.sh\n' >"$CRON"
	run_rec "2024-03-04 02:05:59" "2024-03-04 02:06:02" 1 "web01 /x.sh"
	run report -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_equal "$status" 0
}

@test "@daily expects a START every midnight; consecutive missed slots are one range" {
	printf '@daily root remoteexe web01 /backup.sh\n' >"$CRON"
	run_rec "2024-03-04 00:00:01" "2024-03-04 00:10:00" 1 "web01 /backup.sh"
	run_rec "2024-03-07 00:00:02" "2024-03-07 00:10:00" 2 "web01 /backup.sh"
	run report -c "$CRON" --since 2024-03-04 --until 2024-03-08 "$GLOG"
	assert_line "  2024-03-05 00:00:00–2024-03-06 00:00:00 (2 slots): web01 /backup.sh (@daily, $CRON:1)"
}

@test "ranges, steps and names: 0 9-17/4 * * mon-fri expects weekdays at 9, 13 and 17 only" {
	local d h
	printf '0 9-17/4 * * mon-fri root remoteexe web01 /x.sh\n' >"$CRON"
	for d in 04 05 06 07 08 09 10; do
		for h in 09 13 17; do
			[ "$d$h" = 0613 ] || run_rec "2024-03-$d $h:00:01" "2024-03-$d $h:00:02" "1$d$h" "web01 /x.sh"
		done
	done
	run jq_report '[.missed[] | [.from, .slots]]' -c "$CRON" --since 2024-03-04 --until 2024-03-11 "$GLOG"
	assert_output '[["2024-03-06T13:00:00+00:00",1]]'
}

@test "day of month and day of week both restricted: either matches, as cron does" {
	printf '0 6 1 * sun root remoteexe web01 /x.sh\n' >"$CRON"
	run_rec "2024-03-03 06:00:01" "2024-03-03 06:00:02" 1 "web01 /x.sh"
	run_rec "2024-03-17 06:00:01" "2024-03-17 06:00:02" 2 "web01 /x.sh"
	run jq_report '[.missed[] | [.from[5:16], .to[5:16], .slots]]' -c "$CRON" --since 2024-03-01 --until 2024-04-01 "$GLOG"
	assert_output '[["03-01T06:00","03-01T06:00",1],["03-10T06:00","03-10T06:00",1],["03-24T06:00","03-31T06:00",2]]'
}

@test "CRON_TZ moves the slots of the lines after it" {
	printf '0 9 * * * root remoteexe a /x\nCRON_TZ=Asia/Tokyo\n0 9 * * * root remoteexe b /x\n' >"$CRON"
	run_rec "2024-03-04 09:00:01" "2024-03-04 09:00:02" 1 "a /x"
	run_rec "2024-03-04 00:00:01" "2024-03-04 00:00:02" 2 "b /x"
	run jq_report '[.missed[] | [.params, .from]]' -c "$CRON" --since "2024-03-03 12:00" --until "2024-03-04 12:00" "$GLOG"
	assert_output '[]'
	run jq_report '[.missed[] | [.params, .from]]' -c "$CRON" --since "2024-03-03 12:00" --until "2024-03-05 12:00" "$GLOG"
	assert_output '[["a /x","2024-03-05T09:00:00+00:00"],["b /x","2024-03-05T00:00:00+00:00"]]'
}

@test "crontab: remoteexe's options are skipped as its getopt does, after variable assignments" {
	printf '%s\n' '0 2 * * * root REMOTEEXE_LOG=/l /usr/local/bin/remoteexe -qp 2222 --timeout=60 --conn 5 -i k web01 /x.sh -l "a b" >/dev/null 2>&1' >"$CRON"
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:02" 1 'web01 /x.sh -l a b'
	run jq_report '[.summary.missed, .jobs | length]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '[0,0]'
}

@test "crontab: -J and its value are skipped like every option of remoteexe's" {
	printf '%s\n' '0 2 * * * root remoteexe -J bastion web01 /x.sh' '0 3 * * * root remoteexe -qJadmin@b:2222 web02 /y.sh' >"$CRON"
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:02" 1 'web01 /x.sh'
	run_rec "2024-03-04 03:00:01" "2024-03-04 03:00:02" 2 'web02 /y.sh'
	run jq_report '[.summary.missed, .jobs | length]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '[0,0]'
}

@test "crontab: -- ends remoteexe's options, and the first operand ends them too" {
	printf '%s\n' '0 2 * * * root remoteexe -- -x /y' '0 3 * * * root remoteexe web01 ls -l' >"$CRON"
	run jq_report '[.missed[] | .params]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '["-x /y","web01 ls -l"]'
}

@test "crontab: options remoteexe rejects make it log all its arguments" {
	printf '%s\n' '0 2 * * * root remoteexe --timeout 0 web01 /x.sh' '0 3 * * * root remoteexe web01' >"$CRON"
	run jq_report '[.missed[] | .params]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '["--timeout 0 web01 /x.sh","web01"]'
}

@test "crontab: \\% is a percent sign and an unescaped % ends the command" {
	printf '%s\n' '0 2 * * * root remoteexe web01 "date +\%F" %stdin % more' >"$CRON"
	run jq_report '[.missed[] | .params]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '["web01 date +%F"]'
}

@test "crontab: a user crontab has no user field" {
	printf '%s\n' '0 2 * * * remoteexe web01 /x.sh' >"$CRON"
	run jq_report '[.missed[] | .params]' -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_output '["web01 /x.sh"]'
}

@test "crontab: @reboot and shell expansions are listed as not checked; other commands are ignored" {
	printf '%s\n' '@reboot root remoteexe web01 /boot.sh' '0 2 * * * root remoteexe web01 "$HOME/x"' \
		'0 2 * * * root /usr/bin/other web01 /x.sh' >"$CRON"
	run report -c "$CRON" --since 2024-03-04 --until 2024-03-05 "$GLOG"
	assert_equal "$status" 0
	assert_output --partial "not checked:
  $CRON:1: @reboot: no time to check
  $CRON:2: the job depends on a shell expansion

summary: 0 jobs,"
}

@test "without --until the window ends at the last record, never later than now" {
	printf '0 * * * * root remoteexe web01 /x.sh\n' >"$CRON"
	run_rec "2024-03-04 02:00:01" "2024-03-04 02:00:02" 1 "web01 /x.sh"
	run_rec "2024-03-04 04:30:00" "2024-03-04 04:30:01" 2 "other /y.sh"
	run jq_report '[.window.to, [.missed[] | [.from, .slots]]]' -c "$CRON" "$GLOG"
	assert_output '["2024-03-04T04:30:01+00:00",[["2024-03-04T03:00:00+00:00",2]]]'
}

# --- options, input and exit status -------------------------------------------

@test "--since and --until take YYYY-MM-DD, HH:MM[:SS] with a space or T, and -Nm/-Nh/-Nd" {
	run_rec "2024-03-04 02:00:00" "2024-03-04 02:00:01" 1 "h a"
	run_rec "$(date -d '-3 hours' '+%Y-%m-%d %H:%M:%S')" "$(date -d '-3 hours' '+%Y-%m-%d %H:%M:%S')" 2 "h b"
	run_rec "$(date -d '-30 minutes' '+%Y-%m-%d %H:%M:%S')" "$(date -d '-30 minutes' '+%Y-%m-%d %H:%M:%S')" 3 "h c"
	run jq_report '[.jobs[] | .params]' -a --since -2h "$GLOG"
	assert_output '["h c"]'
	run jq_report '[.jobs[] | .params]' -a --since -4h --until -1h "$GLOG"
	assert_output '["h b"]'
	run jq_report '[.jobs[] | .params]' -a --since 2024-03-04T02:00 --until "2024-03-04 02:00:01" "$GLOG"
	assert_output '["h a"]'
	run jq_report '[.jobs[] | .params]' -a --since -1d "$GLOG"
	assert_output '["h b","h c"]'
}

@test "the default log is \$REMOTEEXE_LOG, strftime-expanded for today" {
	export REMOTEEXE_LOG=$BATS_TEST_TMPDIR/%Y%m%d.log
	run_rec "2024-03-04 02:00:00" "2024-03-04 02:00:01" 1 "h a" 4
	cp "$GLOG" "$BATS_TEST_TMPDIR/$(date +%Y%m%d).log"
	run jq_report '[.logs, .summary.failed]'
	assert_output "[[\"$BATS_TEST_TMPDIR/$(date +%Y%m%d).log\"],1]"
}

@test "several logs and - (standard input) are read in the order given" {
	rec "2024-03-04 02:00:00" 1 "START,-,h a"
	rec "2024-03-04 02:00:01" 1 "END,0,h a"
	head -n 1 "$GLOG" >"$BATS_TEST_TMPDIR/one"
	run jq_report '[.summary.runs, .summary.ok, .logs]' "$BATS_TEST_TMPDIR/one" - < <(tail -n 1 "$GLOG")
	assert_output "[1,1,[\"$BATS_TEST_TMPDIR/one\",\"-\"]]"
}

@test "exit status 2 and the usage for an unknown option" {
	run --separate-stderr report --bogus
	assert_equal "$status" 2
	[[ $stderr == *"usage: remoteexe-report [-ahV]"* ]] || fail "no usage: $stderr"
}

@test "exit status 2 for a log that cannot be read, after the report of the others" {
	run_rec "2024-03-04 02:00:00" "2024-03-04 02:00:01" 1 "h a"
	run --separate-stderr report "$GLOG" "$BATS_TEST_TMPDIR/missing"
	assert_equal "$status" 2
	assert_equal "$stderr" "remoteexe-report: $BATS_TEST_TMPDIR/missing: No such file or directory"
	assert_line --regexp '^summary: 1 job, 1 run: 1 ok'
}

@test "exit status 2 for a crontab that cannot be read" {
	run --separate-stderr report -c "$BATS_TEST_TMPDIR/nocron" "$GLOG"
	assert_equal "$status" 2
	assert_equal "$stderr" "remoteexe-report: $BATS_TEST_TMPDIR/nocron: No such file or directory"
}

@test "exit status 2 for a time --since cannot read" {
	run --separate-stderr report --since yesterday "$GLOG"
	assert_equal "$status" 2
	[[ $stderr == "remoteexe-report: --since yesterday: not YYYY-MM-DD"* ]] || fail "$stderr"
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr report -h
	assert_equal "$status" 0
	assert_line --index 0 'usage: remoteexe-report [-ahV] [-c crontab]... [-f text|json]'
}
