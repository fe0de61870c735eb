#!/bin/sh
# run.sh: runs each cmocka test program (and exports.sh over $EXPORT_OBJ), then prints the totals as one line.
set -u
passed=0 failed=0 progs_failed=""
for t in "$@"; do
	# VALGRIND (make valgrind) wraps the unit suites; e2e suites run vaultd under it instead
	case "$(basename "$t")" in
	e2e_*) out=$("$t" 2>&1) ;;
	exports.sh) out=$("$t" ${EXPORT_OBJ:-} 2>&1) ;;
	*) out=$(${VALGRIND:-} "$t" 2>&1) ;;
	esac
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		progs_failed="$progs_failed $(basename "$t")"
		# a crash reports no count of its own: count the program as one failure at least
		[ -z "$f" ] && failed=$((failed + 1))
	fi
done
echo
[ -n "$progs_failed" ] && echo "failing programs:$progs_failed"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$progs_failed" ]
