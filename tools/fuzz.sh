#!/bin/sh
# make fuzz: run each libFuzzer target for SECONDS on a scratch copy of its
# seed corpus (t/fuzz/NAME/), JOBS targets at a time, print the executions,
# and fail on any finding.  A finding is kept as .fuzz/NAME.crash-* (or
# leak-*, timeout-*); turn it into a regression test: copy it into
# t/fuzz/NAME/ and fix the bug.
#
#	sh tools/fuzz.sh SECONDS JOBS .fuzz/NAME...
set -u
secs=$1
jobs=$2
shift 2

# fuzz_one BIN: run one target; its verdict goes to .fuzz/NAME.verdict.
fuzz_one() {
	name=${1##*/}
	work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX") || exit 1
	[ ! -d "t/fuzz/$name" ] || cp -R "t/fuzz/$name/." "$work/"
	"$1" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix=".fuzz/$name." -timeout=10 -rss_limit_mb=1024 \
	    "$work" >".fuzz/$name.out" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    ".fuzz/$name.out")
	if [ "$st" -ne 0 ]; then
		echo "fuzz: $name: FOUND a failure after ${execs:-?} runs" \
		    "(exit $st); see .fuzz/$name.out" >".fuzz/$name.verdict"
	else
		echo "fuzz: $name: ${execs:-?} runs in ${secs} s, nothing found" \
		    >".fuzz/$name.verdict"
	fi
	rm -rf "$work"
}

running=0
for bin in "$@"; do
	fuzz_one "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

rc=0
for bin in "$@"; do
	name=${bin##*/}
	cat ".fuzz/$name.verdict"
	if grep -q FOUND ".fuzz/$name.verdict"; then
		tail -n 40 ".fuzz/$name.out"
		rc=1
	fi
done
exit $rc
