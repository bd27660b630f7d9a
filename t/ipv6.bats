#!/usr/bin/env bats
# A host on IPv6: records write it [addr]:port, as ssh does, and stay in
# the record grammar (RECORD_RE). The fixture sshd listens on [::1] only.

bats_require_minimum_version 1.5.0

load helper

setup_file() {
	ip -6 addr show lo | grep -q 'inet6 ::1/128' ||
		{ echo "no ::1 on lo: $(ip -6 addr show lo)" >&2; return 1; }
	SSHD_ADDR=::1 fixture_setup
}
teardown_file() { fixture_teardown; }

@test "the command record writes an IPv6 host as [addr]:port" {
	run rx ::1 echo hi
	assert_success
	run records
	assert_output "START,-,::1 echo hi
command,$RX_USER@[::1]:$SSHD_PORT echo hi
out,hi
stats,elapsed=S out=3 err=0 attempts=1 reason=exit
END,0,::1 echo hi"
}

@test "the log of a run on [::1] is in the record grammar" {
	rx ::1 'echo out; echo err >&2'
	assert_log_grammar
	[ "$(grep -c "command,$RX_USER@\[::1\]:$SSHD_PORT " "$LOG")" -eq 1 ]
}

@test "AddressFamily inet does not look up an IPv6 address" {
	run rx -o AddressFamily=inet ::1 true
	assert_failure 255
	run log_records error
	assert_output "::1: Address family for hostname not supported"
}
