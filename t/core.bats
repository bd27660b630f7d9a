#!/usr/bin/env bats
# The core contract: records, exit statuses, escaping, usage, host keys,
# the log file's safety, failures of the connection. See CONTRACT.md.

bats_require_minimum_version 1.5.0

load helper

setup_file() { fixture_setup; }
teardown_file() { fixture_teardown; }

# rxk KNOWN_HOSTS ARGS...: rx with another known_hosts file.
rxk() {
	RX_KNOWN=$1 rx "${@:2}"
}

# rxn ARGS...: like rx without --log.
rxn() {
	timeout 60 "$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" "$@"
}

# stats_record: the rest of the stats record (exactly one is expected).
stats_record() {
	[ "$(log_records stats | wc -l)" -eq 1 ] ||
		fail "expected one stats record, log: $(cat "$LOG")"
	log_records stats
}

# --- grammar and the frame of a run -------------------------------------

@test "every line of the log of several runs is a record of the grammar" {
	rx 127.0.0.1 echo hi
	rx 127.0.0.1 'echo to-err >&2; exit 3' || true
	rx 127.0.0.1 'seq 1 20; printf "no newline"'
	timeout 30 "$REMOTEEXE" --log "$LOG" 127.0.0.1 || true
	[ "$(grep -c '] END,' "$LOG")" -eq 4 ]
	assert_log_grammar
}

@test "a successful run logs exactly START, command, out, stats and END" {
	run rx 127.0.0.1 echo hi
	assert_success
	run records
	assert_output "START,-,127.0.0.1 echo hi
command,$RX_USER@127.0.0.1:$SSHD_PORT echo hi
out,hi
stats,elapsed=S out=3 err=0 attempts=1 reason=exit
END,0,127.0.0.1 echo hi"
}

@test "START,-,PARAMS comes first with the operands space-joined and options excluded" {
	rx --connect-timeout 10 --retries 1 127.0.0.1 echo hi
	run head -n 1 "$LOG"
	assert_output --regexp '^\[[-0-9]{10} [:0-9]{8}\]\[[0-9]+\] START,-,127\.0\.0\.1 echo hi$'
}

@test "END,RC,PARAMS comes last with remoteexe's exit status and the operands" {
	rx --connect-timeout 10 127.0.0.1 echo hi
	run tail -n 1 "$LOG"
	assert_output --regexp '^\[[-0-9]{10} [:0-9]{8}\]\[[0-9]+\] END,0,127\.0\.0\.1 echo hi$'
}

@test "record times are local time, as TZ says" {
	local before after stamp t
	before=$(date +%s)
	TZ=XYZ-9 rx 127.0.0.1 true
	after=$(date +%s)
	stamp=$(sed -n '1s/^\[\([^]]*\)\].*/\1/p' "$LOG")
	t=$(TZ=XYZ-9 date -d "$stamp" +%s)
	[ "$t" -ge $((before - 1)) ] && [ "$t" -le $((after + 1)) ] ||
		fail "START stamped $stamp, not local time of TZ=XYZ-9 ($(TZ=XYZ-9 date))"
}

@test "all records of one run carry remoteexe's pid" {
	# sh execs remoteexe, so the pid it prints is remoteexe's.
	timeout 60 sh -c 'echo $$ >"$0.pid"; exec "$@"' "$BATS_TEST_TMPDIR/rx" \
		"$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$RX_KEY" --known-hosts "$RX_KNOWN" \
		--log "$LOG" 127.0.0.1 'echo a; echo b >&2'
	local pid
	pid=$(cat "$BATS_TEST_TMPDIR/rx.pid")
	run sed 's/^\[[^]]*\]\[\([0-9]*\)\] .*/\1/' "$LOG"
	assert_output "$(printf "$pid\n%.0s" 1 2 3 4 5 6)"
}

@test "the command record shows USER@HOST:PORT and the command words space-joined" {
	rx 127.0.0.1 echo 'two  spaces' hi
	run log_records command
	assert_output "$RX_USER@127.0.0.1:$SSHD_PORT echo two  spaces hi"
}

@test "command words that look like options belong to the command" {
	run rx 127.0.0.1 echo -q --tee --log "$BATS_TEST_TMPDIR/elsewhere"
	assert_success
	run log_records out
	assert_output "-q --tee --log $BATS_TEST_TMPDIR/elsewhere"
	assert_file_not_exists "$BATS_TEST_TMPDIR/elsewhere"
}

@test "a remote command that reads stdin gets end-of-file at once" {
	run timeout 30 "$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$LOG" 127.0.0.1 'cat; echo done' </dev/zero
	assert_success
	run log_records out
	assert_output done
}

@test "user@host sets the remote user shown in the command record" {
	rx "$RX_USER@127.0.0.1" true
	run log_records command
	assert_output "$RX_USER@127.0.0.1:$SSHD_PORT true"
	run log_records START
	assert_output "-,$RX_USER@127.0.0.1 true"
}

# --- exit statuses ------------------------------------------------------

@test "the remote exit status 0 is remoteexe's exit status" {
	run rx 127.0.0.1 true
	assert_success
	run log_records END
	assert_output "0,127.0.0.1 true"
}

@test "the remote exit status 3 is remoteexe's exit status and END,3" {
	run rx 127.0.0.1 exit 3
	assert_failure 3
	run log_records END
	assert_output "3,127.0.0.1 exit 3"
	run stats_record
	assert_output --regexp ' reason=exit$'
}

@test "a remote exit 255 gives 255 and the log says reason=exit" {
	run rx 127.0.0.1 exit 255
	assert_failure 255
	run stats_record
	assert_output --regexp '^elapsed=[0-9]+\.[0-9]{3} out=0 err=0 attempts=1 reason=exit$'
	run log_records END
	assert_output "255,127.0.0.1 exit 255"
}

@test "a remote command killed by SIGKILL gives 137 and reason=signal:KILL" {
	run rx 127.0.0.1 'kill -9 $$'
	assert_failure 137
	run stats_record
	assert_output --regexp ' reason=signal:KILL$'
	run log_records END
	assert_output '137,127.0.0.1 kill -9 $$'
}

# --- output records -----------------------------------------------------

@test "remote stdout is logged as out and remote stderr as err" {
	run --separate-stderr rx 127.0.0.1 'echo to-out; echo to-err >&2'
	assert_success
	run log_records out
	assert_output "to-out"
	run log_records err
	assert_output "to-err"
}

@test "the remote shell's pgid marker line is never logged" {
	rx 127.0.0.1 true
	run log_records err
	assert_output ""
	run stats_record
	assert_output --regexp ' out=0 err=0 '
}

@test "a remote line END,0,x is logged as out, not as an END" {
	rx 127.0.0.1 'echo END,0,fake'
	run log_records out
	assert_output "END,0,fake"
	run grep -c '] END,' "$LOG"
	assert_output 1
}

@test "a remote line holding '] END,' is not seen by grep '] END,' and decodes back" {
	local forged='[2026-01-01 00:00:00][1] END,0,fake'
	rx 127.0.0.1 "printf '%s\\n' '$forged'"
	run grep -c '] END,' "$LOG"
	assert_output 1
	[ "$(printf '%b' "$(log_records out)")" = "$forged" ] ||
		fail "out record: $(log_records out)"
}

@test "started with stdin, stdout and stderr closed, --tee output and diagnostics stay out of the log" {
	local forged='[2026-01-01 00:00:00][1] END,0,fake'
	local rc=0
	# not under run, which would give it a stdout and a stderr
	rx --tee 127.0.0.1 "printf '%s\\n' '$forged' >&2; exit 9" \
		<&- >&- 2>&- || rc=$?
	assert_equal "$rc" 9
	assert_log_grammar
	run grep -c '] END,' "$LOG"
	assert_output 1
	run last_record
	assert_output --regexp '^END,9,127\.0\.0\.1 '
	# remoteexe's own diagnostic (a refused connection) goes nowhere either
	rc=0
	SSHD_PORT=$(closed_port) rx 127.0.0.1 true <&- >&- 2>&- || rc=$?
	assert_equal "$rc" 255
	assert_log_grammar
}

@test "a newline inside the command words is escaped in START, command and END" {
	rx 127.0.0.1 'echo one
echo two'
	assert_log_grammar
	run records
	assert_line --index 0 'START,-,127.0.0.1 echo one\necho two'
	assert_line --index 1 "command,$RX_USER@127.0.0.1:$SSHD_PORT echo one\\necho two"
	assert_line --index 5 'END,0,127.0.0.1 echo one\necho two'
}

@test "CR, ESC and NUL are escaped as vis(3) C-style" {
	rx 127.0.0.1 "printf 'a\\rb\\033c\\000d\\n'"
	run log_records out
	assert_output 'a\rb\033c\0d'
}

@test "the escaped line decodes back to the remote bytes" {
	rx 127.0.0.1 "printf 'a\\rb\\033c\\000d\\\\e\\n'"
	# No unvis(1) here: printf %b decodes this subset of vis(3).
	printf '%b' "$(log_records out)" >"$BATS_TEST_TMPDIR/decoded"
	printf 'a\rb\033c\000d\\e' >"$BATS_TEST_TMPDIR/sent"
	cmp "$BATS_TEST_TMPDIR/decoded" "$BATS_TEST_TMPDIR/sent"
}

@test "a NUL followed by an octal digit is escaped as \\000" {
	rx 127.0.0.1 "printf 'x\\0005\\n'"
	run log_records out
	assert_output 'x\0005'
}

@test "no control byte reaches the log raw, and the escapes decode back" {
	rx 127.0.0.1 "printf 'a\\001\\002\\010\\013\\014\\033[31m\\177\\233z\\r\\n'"
	run env LC_ALL=C grep -c "$(printf '[\001-\010\013-\037\177-\237]')" "$LOG"
	assert_output 0
	printf '%b' "$(log_records out)" >"$BATS_TEST_TMPDIR/decoded"
	printf 'a\001\002\010\013\014\033[31m\177\233z\r' >"$BATS_TEST_TMPDIR/sent"
	cmp "$BATS_TEST_TMPDIR/decoded" "$BATS_TEST_TMPDIR/sent"
}

@test "UTF-8 text is kept raw" {
	rx 127.0.0.1 "printf '%s\\n' 'héllo 日本'"
	run log_records out
	assert_output 'héllo 日本'
}

@test "a backslash is doubled" {
	rx 127.0.0.1 "printf '%s\\n' 'a\\b\\\\c'"
	run log_records out
	assert_output 'a\\b\\\\c'
}

@test "invalid UTF-8 bytes are escaped in octal" {
	rx 127.0.0.1 "printf '\\377\\376ok\\n'"
	run log_records out
	assert_output '\377\376ok'
}

@test "100000 lines of output are all logged, in order" {
	run rx 127.0.0.1 seq 1 100000
	assert_success
	log_records out >"$BATS_TEST_TMPDIR/got"
	seq 1 100000 >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
	run stats_record
	assert_output --regexp " out=$(wc -c <"$BATS_TEST_TMPDIR/want") "
}

# pieces KIND: the rest of every KIND+ and KIND record of $LOG, in order:
# the pieces of the split lines and the whole ones.
pieces() {
	log_records "$1+\{0,1\}"
}

@test "a line longer than 4096 bytes is split into out+ records that concatenate to it" {
	rx 127.0.0.1 "seq -s '' 1 3000"
	# The line is 10893 bytes: two out+ pieces of 4096 and a final out.
	run records
	assert_line --index 2 --regexp '^out\+,'
	assert_line --index 3 --regexp '^out\+,'
	assert_line --index 4 --regexp '^out,'
	assert_line --index 5 --regexp '^stats,'
	run pieces out
	local piece
	for piece in "${lines[@]}"; do
		[ "${#piece}" -le 4096 ] || fail "a piece of ${#piece} bytes"
	done
	[ "$(printf '%s' "${lines[@]}")" = "$(seq -s '' 1 3000)" ]
}

@test "a line of exactly 4096 bytes is one out record" {
	rx 127.0.0.1 "head -c 4096 /dev/zero | tr '\\0' x; echo"
	run log_records 'out+'
	assert_output ""
	run log_records out
	assert_output "$(head -c 4096 /dev/zero | tr '\0' x)"
}

@test "a long line is split between UTF-8 characters, never inside one" {
	# 'a' then 3000 two-byte characters: byte 4096 is the first half of one.
	rx 127.0.0.1 "printf a; for i in \$(seq 1 3000); do printf 'é'; done; echo"
	run grep -c '\\[0-7][0-7][0-7]' "$LOG"
	assert_output 0
	run pieces out
	[ "${#lines[@]}" -eq 2 ] || fail "expected 2 pieces: $output"
	[ "$(printf '%s' "${lines[@]}")" = "a$(printf 'é%.0s' $(seq 1 3000))" ]
}

@test "a long stderr line is split into err+ records" {
	rx 127.0.0.1 "seq -s '' 1 3000 >&2"
	run pieces err
	[ "${#lines[@]}" -eq 3 ] || fail "expected 3 pieces: $output"
	[ "$(printf '%s' "${lines[@]}")" = "$(seq -s '' 1 3000)" ]
}

@test "a last line without a newline is logged" {
	rx 127.0.0.1 "printf 'first\\nlast'"
	run log_records out
	assert_output "first
last"
}

@test "an empty line is logged as an empty out record" {
	rx 127.0.0.1 "printf 'a\\n\\nb\\n'"
	run log_records out
	assert_output "a

b"
}

@test "stats counts the bytes of stdout and stderr and says reason=exit" {
	rx 127.0.0.1 'printf "hello\nworld\n"; printf "oops\n" >&2'
	run stats_record
	assert_output --regexp '^elapsed=[0-9]+\.[0-9]{3} out=12 err=5 attempts=1 reason=exit$'
}

@test "stats comes just before END" {
	rx 127.0.0.1 echo hi
	run tail -n 2 "$LOG"
	assert_line --index 0 --regexp '\] stats,'
	assert_line --index 1 --regexp '\] END,'
}

# --- invalid invocation: 10 --------------------------------------------

# assert_usage_failure ARGS...: remoteexe --log $LOG ARGS exits 10, says
# usage, and logs START and END with all arguments as given.
assert_usage_failure() {
	local all
	all=$(printf '%s ' --log "$LOG" "$@")
	all=${all% }
	run --separate-stderr timeout 30 "$REMOTEEXE" --log "$LOG" "$@"
	assert_failure 10
	assert_output ""
	[[ $stderr == *usage:* ]] || fail "no usage on stderr: $stderr"
	assert_log_grammar
	run records
	assert_line --index 0 "START,-,$all"
	assert_line --index 1 --regexp '^error,.+'
	assert_line --index 2 --regexp '^stats,elapsed=S out=0 err=0 attempts=0 reason=usage$'
	assert_line --index 3 "END,10,$all"
	[ "${#lines[@]}" -eq 4 ] || fail "extra records: $output"
}

@test "one operand only is a usage error: exit 10, START and END with all arguments" {
	assert_usage_failure 127.0.0.1
}

@test "no operand is a usage error: exit 10" {
	assert_usage_failure
}

@test "an unknown option is a usage error: exit 10" {
	assert_usage_failure --no-such-option 127.0.0.1 true
}

@test "--connect-timeout abc is a usage error: exit 10" {
	assert_usage_failure --connect-timeout abc 127.0.0.1 true
}

@test "--retries -1 is a usage error: exit 10" {
	assert_usage_failure --retries -1 127.0.0.1 true
}

@test "-p 70000 is a usage error: exit 10" {
	assert_usage_failure -p 70000 127.0.0.1 true
}

@test "--connect-timeout 0 is a usage error: exit 10" {
	assert_usage_failure --connect-timeout 0 127.0.0.1 true
}

@test "an unknown option before --log is still logged to that log" {
	REMOTEEXE_LOG=$BATS_TEST_TMPDIR/fallback.log \
		run timeout 30 "$REMOTEEXE" --no-such-option --log "$LOG" 127.0.0.1 true
	assert_failure 10
	run records
	assert_line --index 0 "START,-,--no-such-option --log $LOG 127.0.0.1 true"
	assert_line --index 3 "END,10,--no-such-option --log $LOG 127.0.0.1 true"
}

@test "a usage error does not run the remote command" {
	run timeout 30 "$REMOTEEXE" -p "$SSHD_PORT" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$LOG" --timeout abc \
		127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 10
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
}

@test "-h prints the usage on stdout and exits 0" {
	run --separate-stderr timeout 30 "$REMOTEEXE" -h
	assert_success
	assert_output --partial "usage:"
	assert_output --partial "host command"
	[ -z "$stderr" ] || fail "stderr: $stderr"
}

@test "-V prints the version on stdout and exits 0" {
	run --separate-stderr timeout 30 "$REMOTEEXE" -V
	assert_success
	assert_output --regexp '^remoteexe [0-9]+\.[0-9]+'
	[ "${#lines[@]}" -eq 1 ] || fail "more than one line: $output"
	[ -z "$stderr" ] || fail "stderr: $stderr"
}

# --- host keys ----------------------------------------------------------

@test "an unknown host key fails with 255, reason=ssh:hostkey, and the command is not run" {
	: >"$BATS_TEST_TMPDIR/known"
	run --separate-stderr rxk "$BATS_TEST_TMPDIR/known" \
		127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 255
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	run log_records error
	assert_output --regexp '[Hh]ost key'
	run stats_record
	assert_output --regexp ' reason=ssh:hostkey$'
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "stderr: $stderr"
}

@test "an unknown host key is not added without --accept-new" {
	: >"$BATS_TEST_TMPDIR/known"
	run rxk "$BATS_TEST_TMPDIR/known" 127.0.0.1 true
	assert_failure 255
	assert_file_empty "$BATS_TEST_TMPDIR/known"
	run log_records hostkey
	assert_output ""
}

@test "a host key marked @revoked is refused even with --accept-new and beside a plain entry" {
	local kh=$BATS_TEST_TMPDIR/known
	{
		echo "@revoked [127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$FIX/host_ed25519.pub")"
		cat "$RX_KNOWN"
	} >"$kh"
	cp "$kh" "$BATS_TEST_TMPDIR/known.before"
	run rxk "$kh" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 255
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	assert_equal "$(log_records error)" "host key for [127.0.0.1]:$SSHD_PORT is REVOKED (ssh-ed25519 $(host_fingerprint)) by $kh:1; refusing to connect"
	assert_regex "$(stats_record)" ' reason=ssh:hostkey$'
	cmp "$kh" "$BATS_TEST_TMPDIR/known.before"
}

@test "a changed host key fails with 255 even with --accept-new, naming file and line" {
	local kh=$BATS_TEST_TMPDIR/known other
	ssh-keygen -q -t ed25519 -N '' -C other -f "$BATS_TEST_TMPDIR/other"
	other=$(cut -d' ' -f1,2 "$BATS_TEST_TMPDIR/other.pub")
	{
		echo "otherhost $other"
		echo "[127.0.0.1]:$SSHD_PORT $other"
	} >"$kh"
	cp "$kh" "$BATS_TEST_TMPDIR/known.before"
	run rxk "$kh" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 255
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	run log_records error
	assert_output --partial "$kh:2"
	run stats_record
	assert_output --regexp ' reason=ssh:hostkey$'
	cmp "$kh" "$BATS_TEST_TMPDIR/known.before"
}

@test "--accept-new adds an unknown host key to the known_hosts file" {
	local kh=$BATS_TEST_TMPDIR/known
	: >"$kh"
	run rxk "$kh" --accept-new 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_success
	assert_file_exists "$BATS_TEST_TMPDIR/ran"
	run awk '{ print $1, $2, $3 }' "$kh"
	assert_output "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$FIX/host_ed25519.pub")"
}

@test "--accept-new logs hostkey,added HOST TYPE FINGERPRINT" {
	local kh=$BATS_TEST_TMPDIR/known
	: >"$kh"
	rxk "$kh" --accept-new 127.0.0.1 true
	run log_records hostkey
	assert_output "added [127.0.0.1]:$SSHD_PORT ssh-ed25519 $(host_fingerprint)"
}

@test "a host key added by --accept-new is known on the next run: no hostkey record" {
	local kh=$BATS_TEST_TMPDIR/known
	: >"$kh"
	rxk "$kh" --accept-new 127.0.0.1 true
	: >"$LOG"
	run rxk "$kh" 127.0.0.1 true
	assert_success
	run log_records hostkey
	assert_output ""
	[ "$(wc -l <"$kh")" -eq 1 ]
}

# --- the log file -------------------------------------------------------

# assert_log_refused: a run meant to touch $BATS_TEST_TMPDIR/ran exits 11
# with one line on stderr, and the remote command did not run.
assert_log_refused() {
	run --separate-stderr rx 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 11
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "stderr: $stderr"
}

@test "a symlinked log is refused with 11 and the remote command is not run" {
	ln -s "$BATS_TEST_TMPDIR/target" "$LOG"
	assert_log_refused
	assert_file_not_exists "$BATS_TEST_TMPDIR/target"
}

@test "a log owned by another user is refused with 11 and the remote command is not run" {
	: >"$LOG"
	chown nobody "$LOG"
	assert_log_refused
	assert_file_empty "$LOG"
}

@test "a log that cannot be created is refused with 11 and the remote command is not run" {
	LOG=$BATS_TEST_TMPDIR/no/such/dir/log
	assert_log_refused
}

@test "a FIFO at the log path with no reader is refused with 11 at once, not waited on" {
	mkfifo "$LOG"
	local t0=$SECONDS
	assert_log_refused
	[ $((SECONDS - t0)) -lt 5 ] || fail "took $((SECONDS - t0)) s"
}

@test "a FIFO owned by another user at the log path is refused with 11" {
	mkfifo -m 666 "$LOG"
	chown nobody "$LOG"
	assert_log_refused
}

@test "a new log file is created mode 0600, whatever the umask" {
	(umask 000 && rx 127.0.0.1 true)
	run stat -c %a "$LOG"
	assert_output 600
}

@test "an existing log is appended to, not truncated" {
	rx 127.0.0.1 echo one
	rx 127.0.0.1 echo two
	run log_records out
	assert_output "one
two"
}

@test "--log expands strftime escapes" {
	rxn --log "$BATS_TEST_TMPDIR/%Y.log" 127.0.0.1 echo hi
	LOG=$BATS_TEST_TMPDIR/$(date +%Y).log
	assert_file_exists "$LOG"
	run log_records END
	assert_output "0,127.0.0.1 echo hi"
}

@test "--log - writes the records to standard output" {
	run --separate-stderr rxn --log - 127.0.0.1 echo hi
	assert_success
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/stdout"
	assert_log_grammar "$BATS_TEST_TMPDIR/stdout"
	run records "$BATS_TEST_TMPDIR/stdout"
	assert_line --index 0 "START,-,127.0.0.1 echo hi"
	assert_line "out,hi"
	assert_line --index 4 "END,0,127.0.0.1 echo hi"
}

@test "REMOTEEXE_LOG names the log when there is no --log" {
	REMOTEEXE_LOG=$BATS_TEST_TMPDIR/env.log rxn 127.0.0.1 echo hi
	LOG=$BATS_TEST_TMPDIR/env.log
	run log_records out
	assert_output "hi"
}

@test "--log wins over REMOTEEXE_LOG" {
	REMOTEEXE_LOG=$BATS_TEST_TMPDIR/env.log rx 127.0.0.1 echo hi
	assert_file_not_exists "$BATS_TEST_TMPDIR/env.log"
	run log_records out
	assert_output "hi"
}

# --- failures of the connection: 255 -----------------------------------

@test "a refused connection with --retries 0 fails fast with 255 and reason=ssh:connect" {
	local port start
	port=$(closed_port)
	start=$EPOCHREALTIME
	run --separate-stderr timeout 30 "$REMOTEEXE" -F none -p "$port" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$LOG" --retries 0 127.0.0.1 true
	assert_failure 255
	awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { exit !(e - s < 5) }' ||
		fail "took $(awk -v s="$start" -v e="$EPOCHREALTIME" 'BEGIN { print e - s }') s"
	run stats_record
	assert_output --regexp '^elapsed=[0-9]+\.[0-9]{3} out=0 err=0 attempts=1 reason=ssh:connect$'
	run log_records error
	assert_output --partial "Connection refused"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "stderr: $stderr"
}

@test "a refused connection still logs START first, an error, and END last" {
	local port
	port=$(closed_port)
	run timeout 30 "$REMOTEEXE" -F none -p "$port" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$LOG" --retries 0 127.0.0.1 true
	assert_failure 255
	run records
	assert_line --index 0 "START,-,127.0.0.1 true"
	assert_line --regexp '^error,.+'
	assert_line --index $((${#lines[@]} - 1)) "END,255,127.0.0.1 true"
}

@test "an unknown client key fails with 255, says authentication failed for the user, reason=ssh:auth" {
	ssh-keygen -q -t ed25519 -N '' -C stranger -f "$BATS_TEST_TMPDIR/stranger"
	run timeout 60 "$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$BATS_TEST_TMPDIR/stranger" \
		--known-hosts "$RX_KNOWN" --log "$LOG" 127.0.0.1 touch "$BATS_TEST_TMPDIR/ran"
	assert_failure 255
	assert_file_not_exists "$BATS_TEST_TMPDIR/ran"
	run log_records error
	assert_output --regexp '[Aa]uthentication .*failed'
	assert_output --partial "$RX_USER"
	run stats_record
	assert_output --regexp ' reason=ssh:auth$'
}

# rsa_run: an RSA key the server accepts; remoteexe logs in with it only.
rsa_run() {
	ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f "$BATS_TEST_TMPDIR/rsa"
	cat "$BATS_TEST_TMPDIR/rsa.pub" >>"$FIX/authorized_keys"
	run --separate-stderr timeout 60 "$REMOTEEXE" -F none -p "$SSHD_PORT" \
		-i "$BATS_TEST_TMPDIR/rsa" --known-hosts "$RX_KNOWN" --log "$LOG" \
		127.0.0.1 true
}

# libssh2_1_10: remoteexe runs with libssh2 1.10, which signs RSA keys only
# with ssh-rsa (SHA-1).
libssh2_1_10() {
	[[ $("$REMOTEEXE" -V) == *"(libssh2 1.10."* ]]
}

@test "with libssh2 1.10 an RSA key fails with 255, and the message names ed25519 and libssh2 1.11" {
	libssh2_1_10 || skip "libssh2 1.11 and later sign with rsa-sha2-256"
	rsa_run
	assert_failure 255
	run log_records error
	assert_output "authentication as $RX_USER to 127.0.0.1 port $SSHD_PORT failed; tried: $BATS_TEST_TMPDIR/rsa; libssh2 1.10.0 signs RSA keys only with ssh-rsa (SHA-1), which this server refuses: use an ed25519 key (ssh-keygen -t ed25519), or build remoteexe with libssh2 1.11 or later, which signs with rsa-sha2-256"
}

@test "with libssh2 1.11 and later an RSA key logs in" {
	! libssh2_1_10 || skip "libssh2 1.10 signs RSA keys only with ssh-rsa"
	rsa_run
	assert_success
}

@test "the seed's pipeline counts two failed runs of one job as 2 END,255" {
	local port
	port=$(closed_port)
	local i
	for i in 1 2; do
		run timeout 30 "$REMOTEEXE" -F none -p "$port" -i "$RX_KEY" \
			--known-hosts "$RX_KNOWN" --log "$LOG" --retries 0 \
			127.0.0.1 /bin/job.sh
		assert_failure 255
	done
	run sh -c 'grep -o "END,255.*$" "$1" | sort | uniq -c' sh "$LOG"
	assert_output --regexp '^ *2 END,255,127\.0\.0\.1 /bin/job\.sh$'
}

@test "the reason pipeline counts why runs ended" {
	local port
	port=$(closed_port)
	rx 127.0.0.1 true
	rx 127.0.0.1 exit 4 || true
	timeout 30 "$REMOTEEXE" -F none -i "$RX_KEY" --known-hosts "$RX_KNOWN" \
		-p "$port" --log "$LOG" --retries 0 127.0.0.1 true || true
	run sh -c "grep -o 'reason=[a-z:]*' \"\$1\" | sort | uniq -c" sh "$LOG"
	assert_line --index 0 --regexp '^ *2 reason=exit$'
	assert_line --index 1 --regexp '^ *1 reason=ssh:connect$'
}

# --- runs that outlive their output ---------------------------------------

@test "a command that closes its output and goes on running is waited for, with its own status" {
	run rx 127.0.0.1 'echo starting; exec >/dev/null 2>&1; sleep 3; exit 3'
	assert_failure 3
	assert_equal "$(log_records out)" "starting"
	assert_regex "$(stats_record)" ' reason=exit$'
	assert_equal "$(records | tail -n 1)" "END,3,127.0.0.1 echo starting; exec >/dev/null 2>&1; sleep 3; exit 3"
}

@test "--timeout applies to a command that closed its output" {
	run rx --timeout 2 --kill-grace 1 127.0.0.1 \
		'exec >/dev/null 2>&1; echo $$ >'"$BATS_TEST_TMPDIR"'/pgid; sleep 3005'
	assert_failure 124
	assert_regex "$(stats_record)" ' reason=timeout$'
	assert_group_gone "$BATS_TEST_TMPDIR/pgid"
}

@test "many identity files from -i and ssh_config do not overflow; the right key still works" {
	local i args=()
	for i in $(seq 1 31); do args+=(-i "$BATS_TEST_TMPDIR/none$i"); done
	for i in $(seq 1 8); do args+=(-o "IdentityFile=$BATS_TEST_TMPDIR/cfg$i"); done
	run timeout 60 "$REMOTEEXE" -F none -p "$SSHD_PORT" -i "$RX_KEY" \
		--known-hosts "$RX_KNOWN" --log "$LOG" "${args[@]}" 127.0.0.1 true
	assert_success
}

@test "a long option without its argument is named in the error" {
	run --separate-stderr timeout 20 "$REMOTEEXE" --log "$LOG" --timeout
	assert_failure 10
	assert_regex "$(log_records error)" '^--timeout: '
}

@test "a remote exit 124 is the command's own status: no stderr line, reason=exit" {
	run --separate-stderr rx 127.0.0.1 'exit 124'
	assert_failure 124
	assert_equal "$stderr" ""
	assert_regex "$(stats_record)" ' reason=exit$'
}

@test "-h after an invalid option does not hide the usage error" {
	run --separate-stderr timeout 20 "$REMOTEEXE" --log "$LOG" --bogus -h 127.0.0.1 true
	assert_failure 10
	assert_equal "$(records | tail -n 1)" "END,10,--log $LOG --bogus -h 127.0.0.1 true"
}

@test "an invalid invocation found in ssh_config also prints the usage" {
	run --separate-stderr rx -F "$BATS_TEST_TMPDIR/missing" 127.0.0.1 true
	assert_failure 10
	assert_regex "$stderr" 'usage: remoteexe '
}
