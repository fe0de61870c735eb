#!/bin/sh
# run.sh SECONDS BUILD: replays each target's regression cases, then fuzzes it for SECONDS.
# Corpora grow under BUILD/fuzz/corpus (the committed seeds stay as they are); a crash is
# kept in BUILD/fuzz/crashes and fails the run: copy it to tests/fuzz/regress/<target>/.
set -u
secs=$1 build=$2
here=$(dirname "$0")
failed=0
for bin in "$build"/fuzz/fuzz_*; do
	t=$(basename "$bin")
	corpus="$build/fuzz/corpus/$t"
	mkdir -p "$corpus" "$build/fuzz/crashes"
	[ -d "$here/corpus/$t" ] && cp -n "$here/corpus/$t"/* "$corpus"/ 2>/dev/null
	if [ -d "$here/regress/$t" ] && [ -n "$(ls "$here/regress/$t")" ]; then
		if ! "$bin" "$here/regress/$t"/* >"$build/fuzz/$t.regress.log" 2>&1; then
			echo "fuzz $t: a regression case fails again (see $build/fuzz/$t.regress.log)"
			failed=1
			continue
		fi
	fi
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/fuzz/crashes/$t-" "$corpus" >"$build/fuzz/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz/$t.log")
	if [ $rc -ne 0 ]; then
		echo "fuzz $t: FAILED after ${execs:-?} executions (see $build/fuzz/$t.log)"
		failed=1
	else
		echo "fuzz $t: ${execs:-0} executions in ${secs} s, no crash"
	fi
done
exit $failed
