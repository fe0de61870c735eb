#!/bin/sh
# exports.sh: every symbol the library exports carries its folder's prefix (util/x.o: util_*).
#
# Usage: exports.sh OBJECT...   (the library's objects, as build/obj/<folder>/<file>.o)
# Each object's defined global symbols (nm -g --defined-only: T, D, B, R, ...) must start with
# "<folder>_", where <folder> is the directory the object sits in, so the rule needs no list of
# modules: a new folder is checked the day it appears. Names that begin with "__" belong to the
# compiler and the sanitizers, not to us. Before the real check, a probe object with one stray
# name must be caught, so that a checker that cannot fail fails instead.
# Prints one line per violation and the totals in cmocka's words, so tests/run.sh counts them.
set -u
NM=${NM:-nm}
CC=${CC:-cc}

# Prints "<object>: <symbol> (<type>) lacks <folder>_" for each violation in the objects given.
violations() {
	for o in "$@"; do
		folder=$(basename "$(dirname "$o")")
		if ! syms=$("$NM" -g --defined-only "$o" 2>&1); then
			echo "$o: nm failed: $syms"
			continue
		fi
		printf '%s\n' "$syms" | awk -v o="$o" -v f="$folder" '
			NF >= 2 {
				name = $NF; type = $(NF - 1)
				if (index(name, "__") == 1 || index(name, f "_") == 1)
					next
				printf "%s: %s (%s) lacks %s_\n", o, name, type, f
			}'
	done
}

passed=0 failed=0

# The probe: util/probe.o defines util_fine and stray_name; only stray_name may be reported.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vaultd-exports-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/util"
printf 'int util_fine(void);\nint util_fine(void) { return 1; }\nint stray_name(void);\nint stray_name(void) { return 2; }\n' \
	>"$tmp/util/probe.c"
if "$CC" -c "$tmp/util/probe.c" -o "$tmp/util/probe.o" &&
	[ "$(violations "$tmp/util/probe.o" | sed 's/.*: //; s/ .*//')" = "stray_name" ]; then
	passed=$((passed + 1))
else
	echo "exports.sh: the probe's stray_name went unreported: this check cannot fail" >&2
	failed=$((failed + 1))
fi

if [ "$#" -eq 0 ]; then
	echo "exports.sh: no objects given" >&2
	failed=$((failed + 1))
fi
bad=$(violations "$@")
if [ -n "$bad" ]; then
	printf '%s\n' "$bad"
	failed=$((failed + 1))
else
	passed=$((passed + 1))
fi

echo "[  PASSED  ] $passed test(s)."
if [ "$failed" -ne 0 ]; then
	echo "[  FAILED  ] $failed test(s), listed above."
	exit 1
fi
exit 0
