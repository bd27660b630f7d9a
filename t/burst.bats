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
	# only PIDs that are still our jobs (a reaped PID may be reused)
	for pid in $(cat "$BATS_TEST_TMPDIR/bg.pids" 2>/dev/null); do
		jobs -rp | grep -qx "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

@test "a burst of 100 concurrent runs all end with END,0 and each command runs exactly once" {
	local i j pid n=100 pids=() rc failed=0 deadline t0 side go
	side=$BATS_TEST_TMPDIR/side
	go=$BATS_TEST_TMPDIR/go
	# Every run waits at the gate (at most 30 s), then all start at once,
	# as a crontab full of `* * * * *` jobs does; exec keeps $! the PID of
	# remoteexe itself.
	for ((i = 1; i <= n; i++)); do
		(
			for ((j = 0; j < 600; j++)); do
				[ -e "$go" ] && break
				sleep 0.05
			done
			exec "$REMOTEEXE" "${RX_OPTS[@]}" \
				127.0.0.1 "echo burst-$i >>$side"
		) >/dev/null 2>>"$BATS_TEST_TMPDIR/stderr" 3>&- &
		pids+=($!)
		echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
	done
	sleep 1
	t0=$SECONDS
	touch "$go"
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
		sed -nE 's/.*\] retry,[0-9]+,[^:]*:[0-9 ]*(port [0-9]+: )?([^;]*);.*/\2/p' \
			"$LOG" | sort | uniq -c | sed 's/^/# retry: /'
		grep '\] error,' "$LOG" | sed 's/^/# /' | head -n 5
	} >&3
	assert_log_grammar
	assert_equal "$(grep -c '\] START,' "$LOG")" "$n"
	assert_equal "$(grep -c '\] END,0,' "$LOG")" "$n"
	assert_equal "$failed" 0
	assert_equal "$(wc -l <"$side")" "$n"
	assert_equal "$(sort -u "$side" | wc -l)" "$n"
}
