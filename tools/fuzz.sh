#!/bin/sh
# make fuzz: run each libFuzzer target for SECONDS on a scratch copy of its
# seed corpus (t/fuzz/NAME/), print the executions, and fail on any finding.
# A finding is kept as .fuzz/NAME.crash-*; turn it into a regression test
# (copy it into t/fuzz/NAME/ and fix the bug).
#
#	sh tools/fuzz.sh SECONDS .fuzz/NAME...
set -u
secs=$1
shift
rc=0
for bin in "$@"; do
	name=${bin##*/}
	work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX") || exit 1
	[ ! -d "t/fuzz/$name" ] || cp -R "t/fuzz/$name/." "$work/"
	"$bin" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix=".fuzz/$name." -timeout=10 -rss_limit_mb=1024 \
	    "$work" >".fuzz/$name.out" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    ".fuzz/$name.out")
	if [ "$st" -ne 0 ]; then
		echo "fuzz: $name: FOUND a failure after ${execs:-?} runs" \
		    "(exit $st); see .fuzz/$name.out"
		tail -n 40 ".fuzz/$name.out"
		rc=1
	else
		echo "fuzz: $name: ${execs:-?} runs in ${secs} s, nothing found"
	fi
	rm -rf "$work"
done
exit $rc
