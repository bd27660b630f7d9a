#!/usr/bin/env bats
# The log under load and in use: concurrent writers, promptness, the JSON
# format, copying to a terminal, and cron's bare environment.

bats_require_minimum_version 1.5.0

load helper

# Ten runs connect at once: keep sshd from dropping unauthenticated
# connections (MaxStartups defaults to 10:30:100).
setup_file() { fixture_setup "MaxStartups 100:30:200"; }
teardown_file() { fixture_teardown; }

# stats_out_bytes: the out= of the stats record.
stats_out_bytes() {
	log_records stats | sed -n 's/.* out=\([0-9]*\) .*/\1/p'
}

# --- concurrent writers -------------------------------------------------

# ten_runs: 10 simultaneous runs sharing $LOG, run I printing
# "runI 1" ... "runI 5000"; fails if any run fails.
ten_runs() {
	rx_together 10 "seq -f 'run%d %%g' 1 5000"
}

@test "10 simultaneous runs sharing one log never tear a record" {
	ten_runs
	assert_log_grammar
	[ "$(wc -l <"$LOG")" -ge 50000 ] || fail "only $(wc -l <"$LOG") lines"
}

@test "10 simultaneous runs sharing one log each have START first, all 5000 lines in order, END last" {
	local pid n seen=()
	ten_runs
	for pid in $(sed -n 's/^\[[^]]*\]\[\([0-9]*\)\] START,.*/\1/p' "$LOG"); do
		grep "^\[[^]]*\]\[$pid\] " "$LOG" |
			sed 's/^\[[^]]*\]\[[0-9]*\] //' >"$BATS_TEST_TMPDIR/run"
		n=$(sed -n "1s/^START,-,127\.0\.0\.1 seq -f 'run\([0-9]*\) %g' 1 5000\$/\1/p" \
			"$BATS_TEST_TMPDIR/run")
		[ -n "$n" ] || fail "pid $pid: first record: $(head -n 1 "$BATS_TEST_TMPDIR/run")"
		run tail -n 1 "$BATS_TEST_TMPDIR/run"
		assert_output "END,0,127.0.0.1 seq -f 'run$n %g' 1 5000"
		sed -n 's/^out,//p' "$BATS_TEST_TMPDIR/run" >"$BATS_TEST_TMPDIR/got"
		seq -f "run$n %g" 1 5000 >"$BATS_TEST_TMPDIR/want"
		cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want" ||
			fail "pid $pid (run$n): out records differ from the output"
		seen+=("$n")
	done
	run sort -n <(printf '%s\n' "${seen[@]}")
	assert_output "$(seq 1 10)"
}

# --- promptness ---------------------------------------------------------

@test "a line is in the log while the remote command still runs" {
	local bg i found=
	rx 127.0.0.1 'echo a; sleep 2; echo b' 3>&- &
	bg=$!
	sleep 0.5
	for i in $(seq 1 20); do
		if [ "$(log_records out 2>/dev/null)" = a ]; then
			found=1
			break
		fi
		sleep 0.1
	done
	[ -n "$found" ] ||
		fail "no moment with out,a and without out,b: $(cat "$LOG" 2>/dev/null)"
	wait "$bg"
	run log_records out
	assert_output "a
b"
}

@test "a line is stamped when its first byte arrives" {
	rx 127.0.0.1 'printf a; sleep 2; echo b'
	local first end
	first=$(sed -n 's/^\[\([^]]*\)\]\[[0-9]*\] out,ab$/\1/p' "$LOG")
	end=$(sed -n 's/^\[\([^]]*\)\]\[[0-9]*\] END,.*/\1/p' "$LOG")
	[ -n "$first" ] && [ -n "$end" ] || fail "log: $(cat "$LOG")"
	[ $(($(date -d "$end" +%s) - $(date -d "$first" +%s))) -ge 1 ] ||
		fail "out,ab stamped $first, END $end"
}

@test "output larger than the SSH channel window streams without stalling" {
	# About 4.8 MB, more than twice libssh2's 2 MB window; plain ssh takes
	# well under a second here.
	local start
	start=$EPOCHREALTIME
	run rx 127.0.0.1 seq 1 700000
	assert_success
	awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { exit !(e - s < 10) }' ||
		fail "took $(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { print e - s }') s"
	run stats_out_bytes
	assert_output "$(seq 1 700000 | wc -c)"
}

@test "heavy stderr until the end keeps the command's exit status and every byte (10 runs)" {
	# libssh2 says EOF only once stderr is read too: stderr still queued at
	# the end is no "data after close"
	local i bytes
	bytes=$(seq 1 400000 | wc -c)
	for ((i = 1; i <= 10; i++)); do
		: >"$LOG"
		run rx 127.0.0.1 'seq 1 400000 >&2; exit 5'
		assert_equal "$status" 5
		run log_records stats
		assert_output --regexp " err=$bytes .*reason=exit$"
	done
}

# --- the JSON format ----------------------------------------------------

# json_log: a JSON log holding every kind a run can make without signals;
# built once per file, its path on stdout.
json_log() {
	local jlog=$BATS_FILE_TMPDIR/json.log port
	if [ ! -s "$jlog" ]; then
		port=$(closed_port) || return 1
		: >"$BATS_FILE_TMPDIR/known.empty"
		LOG=$jlog rx --format json \
			127.0.0.1 'echo out-line; echo err-line >&2; seq -s "" 1 3000' ||
			return 1
		LOG=$jlog RX_KNOWN=$BATS_FILE_TMPDIR/known.empty \
			rx --accept-new --format json 127.0.0.1 echo hostkey-run ||
			return 1
		LOG=$jlog SSHD_PORT=$port \
			rx --retries 1 --format json 127.0.0.1 echo never
		[ $? -eq 255 ] || return 1
		LOG=$jlog rx --format json 127.0.0.1 exit 3
		[ $? -eq 3 ] || return 1
	fi
	echo "$jlog"
}

# assert_each_line_json FILE: every line of FILE is one JSON value.
assert_each_line_json() {
	local line n=0
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e . >/dev/null 2>&1 <<<"$line" || fail "line $n is not JSON: $line"
	done <"$1"
	[ "$n" -gt 0 ] || fail "$1 is empty"
}

@test "--format json: every line parses with jq" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed: $(cat "$BATS_FILE_TMPDIR/json.log")"
	assert_each_line_json "$jlog"
}

@test "--format json: the test log holds every kind but signal and state" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run sh -c 'jq -r .kind "$1" | sort -u' sh "$jlog"
	assert_output "command
end
err
error
hostkey
out
out+
retry
start
stats"
}

@test "--format json: every record has time with milliseconds and offset, pid, kind and line" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run jq -c 'select(
		((.time | type) == "string" and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}([+-][0-9]{2}:[0-9]{2}|Z)$"))) == false
		or (.pid | type) != "number"
		or (.kind | type) != "string"
		or (.line | type) != "string")' "$jlog"
	assert_success
	assert_output ""
}

@test "--format json: end records have a numeric rc and the params" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run jq -r 'select(.kind == "end") | "\(.rc | type) \(.rc) \(.params)"' "$jlog"
	assert_output 'number 0 127.0.0.1 echo out-line; echo err-line >&2; seq -s "" 1 3000
number 0 127.0.0.1 echo hostkey-run
number 255 127.0.0.1 echo never
number 3 127.0.0.1 exit 3'
}

@test "--format json: start records have the params" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run jq -r 'select(.kind == "start") | .params' "$jlog"
	assert_output '127.0.0.1 echo out-line; echo err-line >&2; seq -s "" 1 3000
127.0.0.1 echo hostkey-run
127.0.0.1 echo never
127.0.0.1 exit 3'
}

@test "--format json: the failed-jobs query lists the params of runs with rc != 0" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run jq -r 'select(.kind=="end" and .rc!=0) | .params' "$jlog"
	assert_success
	assert_output "127.0.0.1 echo never
127.0.0.1 exit 3"
}

@test "--format json: the pieces of a long line concatenate to it" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run jq -j 'select((.kind == "out+" or .kind == "out")
		and .line != "out-line" and .line != "hostkey-run") | .line' "$jlog"
	assert_output "$(seq -s '' 1 3000)"
}

@test "--format json: a run's records share one numeric pid" {
	local jlog
	jlog=$(json_log) || fail "the runs for the JSON log failed"
	run sh -c 'jq -r .pid "$1" | uniq | wc -l' sh "$jlog"
	assert_output 4
}

@test "--format json: an invalid UTF-8 output line still parses with jq" {
	LOG=$BATS_TEST_TMPDIR/json.log
	rx --format json 127.0.0.1 "printf '\\377\\376ok\\n'"
	assert_each_line_json "$LOG"
	run jq -r 'select(.kind == "out") | .line | endswith("ok")' "$LOG"
	assert_output true
}

# json_out CMD: run CMD with a JSON log; its out records' line and base64.
json_out() {
	LOG=$BATS_TEST_TMPDIR/json.log
	rx --format json 127.0.0.1 "$1" || return 1
	jq -c 'select(.kind == "out") | [.line, .base64]' "$LOG"
}

@test "--format json: each invalid UTF-8 byte is U+FFFD in line, and base64 has the exact bytes" {
	run json_out "printf '\\377\\376ok\\n'"
	# jq writes U+FFFD as the character
	assert_output "[\"$(printf '\357\277\275\357\277\275')ok\",\"$(printf '\377\376ok' | base64)\"]"
}

@test "--format json: a line of valid UTF-8 has no base64 member" {
	run json_out "printf 'h\\303\\251\\001\\n'"
	assert_output '["hé\u0001",null]'
}

@test "--format json: a C1 control is written as its code point, \\u0085, not byte by byte" {
	json_out "printf 'a\\302\\205b\\302\\237\\n'" >/dev/null
	run grep -o '"kind":"out".*' "$LOG"
	assert_output '"kind":"out","line":"a\u0085b\u009f"}'
}

@test "--format json: stats says noeol for the streams whose last line had no newline" {
	LOG=$BATS_TEST_TMPDIR/json.log
	rx --format json 127.0.0.1 "printf out; printf err >&2"
	run jq -r 'select(.kind == "stats") | .noeol' "$LOG"
	assert_output "out,err"
}

@test "--format json: lines are JSON-escaped, not vis-escaped" {
	LOG=$BATS_TEST_TMPDIR/json.log
	rx --format json 127.0.0.1 "printf 'a\\\\b\\tc\\rd\\033e\\000f h\\303\\251\\n'"
	run jq -c 'select(.kind == "out") | .line' "$LOG"
	assert_output '"a\\b\tc\rd\u001be\u0000f hé"'
}

@test "--format json: a remote line that looks like a record stays inside line" {
	LOG=$BATS_TEST_TMPDIR/json.log
	rx --format json 127.0.0.1 'echo "{\"kind\":\"end\",\"rc\":0}"'
	run jq -r 'select(.kind == "end") | .rc' "$LOG"
	assert_output 0
	run jq -r 'select(.kind == "out") | .line' "$LOG"
	assert_output '{"kind":"end","rc":0}'
}

@test "--format json: the time offset follows TZ" {
	LOG=$BATS_TEST_TMPDIR/json.log
	TZ=XYZ+3:30 rx --format json 127.0.0.1 true
	run jq -r '.time[23:]' "$LOG"
	assert_output "$(printf -- '-03:30\n%.0s' 1 2 3 4)"
}

@test "--format json: a usage failure is logged as JSON too" {
	LOG=$BATS_TEST_TMPDIR/json.log
	run timeout 30 "$REMOTEEXE" --format json --log "$LOG" --connect-timeout abc 127.0.0.1 true
	assert_failure 10
	assert_each_line_json "$LOG"
	run jq -r '"\(.kind) \(.rc)"' "$LOG"
	assert_output "start null
error null
stats null
end 10"
}

@test "--format json with --log - writes JSON lines to standard output" {
	run --separate-stderr rx --format json --log - 127.0.0.1 echo hi
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/stdout"
	assert_each_line_json "$BATS_TEST_TMPDIR/stdout"
	run jq -r 'select(.kind == "out") | .line' "$BATS_TEST_TMPDIR/stdout"
	assert_output hi
}

# --- a last line without a newline, pieces of a long line ---------------

@test "a last line without a newline: stats ends with noeol=out" {
	rx 127.0.0.1 "echo one; printf two"
	run log_records out
	assert_output "one
two"
	assert_regex "$(log_records stats)" ' reason=exit noeol=out$'
}

@test "last lines without a newline on stdout and stderr: noeol=out,err" {
	rx 127.0.0.1 "printf two; printf err >&2"
	assert_regex "$(log_records stats)" ' reason=exit noeol=out,err$'
	assert_log_grammar
}

@test "output that ends in a newline: stats has no noeol" {
	rx 127.0.0.1 "printf 'two\\n'; echo err >&2"
	assert_regex "$(log_records stats)" ' reason=exit$'
}

@test "a NUL at the end of an out+ piece is written \\000, so joined pieces decode too" {
	rx 127.0.0.1 "head -c 4095 /dev/zero | tr '\\0' a; printf '\\000'; echo 1"
	run log_records out+
	assert_output "$(printf '%4095s' '' | tr ' ' a)\\000"
	run log_records out
	assert_output 1
}

# --- terminal or not ----------------------------------------------------

# rx_cmdline ARGS...: the remoteexe command line for script -c.
rx_cmdline() {
	local RX_OPTS
	rx_opts
	printf '%q ' "$REMOTEEXE" "${RX_OPTS[@]}" "$@"
}

@test "on a terminal remoteexe copies remote stdout and stderr to it" {
	run timeout 60 script -qec "$(rx_cmdline 127.0.0.1 'echo to-out; echo to-err >&2')" \
		/dev/null </dev/null
	assert_success
	assert_output --partial to-out
	assert_output --partial to-err
}

@test "on a terminal the log is written as always" {
	run timeout 60 script -qec "$(rx_cmdline 127.0.0.1 'echo to-out; echo to-err >&2')" \
		/dev/null </dev/null
	assert_success
	run log_records out
	assert_output to-out
	run log_records err
	assert_output to-err
	run log_records END
	assert_output '0,127.0.0.1 echo to-out; echo to-err >&2'
}

@test "without a terminal remoteexe writes nothing on stdout or stderr" {
	run --separate-stderr rx 127.0.0.1 'echo to-out; echo to-err >&2'
	assert_success
	assert_output ""
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run log_records out
	assert_output to-out
}

@test "--tee copies remote stdout and stderr without a terminal, byte for byte" {
	run --separate-stderr rx --tee 127.0.0.1 'echo to-out; echo to-err >&2'
	assert_success
	assert_output to-out
	[ "$stderr" = to-err ] || fail "stderr: $stderr"
}

@test "--tee copies control bytes raw while the log escapes them" {
	rx --tee 127.0.0.1 "printf 'a\\rb\\n'" >"$BATS_TEST_TMPDIR/out"
	printf 'a\rb\n' | cmp - "$BATS_TEST_TMPDIR/out"
	run log_records out
	assert_output 'a\rb'
}

# --- cron's environment -------------------------------------------------

# cron_rx ARGS...: remoteexe with the bare environment cron gives (the
# sanitizers' settings of make check-asan, and the test's syslog socket,
# pass through).
cron_rx() {
	local keep=() v
	for v in ASAN_OPTIONS UBSAN_OPTIONS REMOTEEXE_SYSLOG_SOCKET; do
		[ -z "${!v:-}" ] || keep+=("$v=${!v}")
	done
	env -i PATH=/usr/bin:/bin HOME="$HOME" "${keep[@]}" timeout 60 \
		"$REMOTEEXE" -F none -i "$RX_KEY" --known-hosts "$RX_KNOWN" --log "$LOG" "$@"
}

@test "under cron's environment a successful run is silent and logged" {
	run --separate-stderr cron_rx -p "$SSHD_PORT" 127.0.0.1 true
	assert_success
	assert_output ""
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run log_records END
	assert_output "0,127.0.0.1 true"
}

@test "under cron's environment a failed run prints exactly one line on stderr" {
	local port
	port=$(closed_port)
	run --separate-stderr cron_rx -p "$port" --retries 0 127.0.0.1 true
	assert_failure 255
	assert_output ""
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "stderr: $stderr"
	[ -n "${stderr_lines[0]}" ] || fail "the stderr line is empty"
}

@test "under cron's environment -q keeps a failed run silent" {
	local port
	port=$(closed_port)
	run --separate-stderr cron_rx -q -p "$port" --retries 0 127.0.0.1 true
	assert_failure 255
	assert_output ""
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run log_records END
	assert_output "255,127.0.0.1 true"
}

@test "--tee into a pipe nobody reads stops copying after a while; the run and the log go on" {
	local reader rc t0=$SECONDS
	mkfifo "$BATS_TEST_TMPDIR/pipe"
	sleep 60 <"$BATS_TEST_TMPDIR/pipe" 3>&- &
	reader=$!
	rx --tee 127.0.0.1 'seq 1 200000' >"$BATS_TEST_TMPDIR/pipe" && rc=0 || rc=$?
	kill "$reader"
	assert_equal "$rc" 0
	[ $((SECONDS - t0)) -lt 30 ] || fail "took $((SECONDS - t0)) s"
	assert_equal "$(log_records error)" \
		"standard output is not being read; stopped copying to it"
	assert_equal "$(log_records out | wc -l)" 200000
	assert_equal "$(log_records out | tail -n 1)" 200000
}
