#!/usr/bin/env bats
# Issue 4: a burst of runs against one sshd with its default MaxStartups
# (10:30:100), as a crontab of many `* * * * *` jobs does. sshd drops part of
# the burst; the default --retries must carry every run through, and no job
# may run twice.

bats_require_minimum_version 1.5.0

load helper

setup_file() { fixture_setup; }
teardown_file() { fixture_teardown; }

teardown() {
	local pid
	for pid in $(cat "$BATS_TEST_TMPDIR/bg.pids" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

@test "a burst of 100 concurrent runs all end with END,0 and each command runs exactly once" {
	local i pid n=100 pids=() rc failed=0 deadline t0 side
	side=$BATS_TEST_TMPDIR/side
	t0=$SECONDS
	for ((i = 1; i <= n; i++)); do
		"$REMOTEEXE" -p "$SSHD_PORT" -i "$RX_KEY" \
			--known-hosts "$RX_KNOWN" --log "$LOG" \
			127.0.0.1 "echo burst-$i >>$side" \
			>/dev/null 2>>"$BATS_TEST_TMPDIR/stderr" 3>&- &
		pids+=($!)
		echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
	done
	deadline=$((SECONDS + 180))
	for pid in "${pids[@]}"; do
		while kill -0 "$pid" 2>/dev/null; do
			[ "$SECONDS" -lt "$deadline" ] ||
				fail "runs still going after 180 s: $(grep -c '\] END,' "$LOG") of $n ended"
			sleep 0.2
		done
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -eq 0 ] || failed=$((failed + 1))
	done
	# For the lead: how hard sshd pushed back.
	{
		echo "# burst: $n runs in $((SECONDS - t0)) s," \
			"$(grep -c '\] retry,' "$LOG") retry records," \
			"$failed failed"
		grep -o 'reason=[a-z:A-Z]*' "$LOG" | sort | uniq -c | sed 's/^/# /'
		grep -o 'attempts=[0-9]*' "$LOG" | sort | uniq -c | sed 's/^/# /'
	} >&3
	assert_log_grammar
	assert_equal "$(grep -c '\] START,' "$LOG")" "$n"
	assert_equal "$(grep -c '\] END,0,' "$LOG")" "$n"
	assert_equal "$failed" 0
	assert_equal "$(wc -l <"$side")" "$n"
	assert_equal "$(sort -u "$side" | wc -l)" "$n"
}
