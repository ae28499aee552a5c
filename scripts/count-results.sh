#!/bin/bash
# Count the results of a test VM run: KUnit cases from the kernel console
# (KTAP, parsed by the kernel's kunit.py), kselftest "TEST: ... [ OK ]"
# lines and the kselftest runner's per-script verdicts from the command
# output.  Ends with the line "N passed, N failed" (", N skipped").
#
# usage: count-results.sh CONSOLE_LOG OUTPUT_LOG
# NO_KUNIT=1: the kernel has no KUnit suites, none are expected.
# A skip counts as a failure unless ALLOW_SKIP=1; no test at all is a
# failure too, and so are fewer kselftest script verdicts than
# MIN_SCRIPTS (default 0).  Exit status 0 only if nothing failed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: count-results.sh CONSOLE_LOG OUTPUT_LOG"
console=$1
output=$2
[ -f "$console" ] || die "$console not found"
[ -f "$output" ] || die "$output not found"

pass=0 fail=0 skip=0

# KUnit: the kernel's own KTAP parser; a missing or broken report fails
if grep -q "KTAP version" "$console"; then
	summary=$(python3 "$WORK/tools/testing/kunit/kunit.py" parse "$console" 2>&1 |
		  grep "Testing complete" | tail -n 1 || true)
	echo "KUnit: ${summary:-no summary from kunit.py parse}"
	field() { echo "$summary" | sed -n "s/.* $1: \([0-9]*\).*/\1/p"; }
	k_pass=$(field passed) k_fail=$(field failed) k_crash=$(field crashed)
	k_skip=$(field skipped) k_err=$(field errors)
	pass=$((pass + ${k_pass:-0}))
	fail=$((fail + ${k_fail:-0} + ${k_crash:-0} + ${k_err:-0}))
	skip=$((skip + ${k_skip:-0}))
	[ -n "$summary" ] || fail=$((fail + 1))
elif [ "${NO_KUNIT:-0}" = 1 ]; then
	echo "KUnit: none expected (a kernel without KUnit)"
else
	echo "KUnit: no KTAP output on the console"
	fail=$((fail + 1))
fi

# kselftests: one TEST: line per check (the runner prefixes "# ")
t_pass=$(grep -cE '^(# )?TEST: .*\[ OK \]$' "$output" || true)
t_fail=$(grep -cE '^(# )?TEST: .*\[FAIL\]$' "$output" || true)
t_skip=$(grep -cE '^(# )?TEST: .*\[SKIP\]$' "$output" || true)
echo "kselftest checks: $t_pass passed, $t_fail failed, $t_skip skipped"
grep -E '^(# )?TEST: .*\[(FAIL|SKIP)\]$' "$output" | sed 's/^/  /' || true
pass=$((pass + t_pass))
fail=$((fail + t_fail))
skip=$((skip + t_skip))

# the runner's verdict per test script: a script that failed or was
# skipped without a TEST: line saying so still counts
s_fail=$(grep -cE '^not ok [0-9]+ selftests: ' "$output" || true)
s_skip=$(grep -cE '^ok [0-9]+ selftests: .* # SKIP' "$output" || true)
s_pass=$(grep -E '^ok [0-9]+ selftests: ' "$output" | grep -vc '# SKIP' || true)
echo "kselftest scripts: $s_pass passed, $s_fail failed, $s_skip skipped"
grep -E '^(not ok [0-9]+ selftests: |ok [0-9]+ selftests: .* # SKIP)' "$output" | sed 's/^/  /' || true
[ "$t_fail" -gt 0 ] || fail=$((fail + s_fail))
[ "$t_skip" -gt 0 ] || skip=$((skip + s_skip))
# the runner must have reported on at least MIN_SCRIPTS test scripts
if [ $((s_pass + s_fail + s_skip)) -lt "${MIN_SCRIPTS:-0}" ]; then
	echo "kselftest: $((s_pass + s_fail + s_skip)) script verdicts, expected at least $MIN_SCRIPTS"
	fail=$((fail + MIN_SCRIPTS - s_pass - s_fail - s_skip))
fi

# nothing here is expected to skip: a skip is a failure unless allowed
if [ $skip -gt 0 ] && [ "${ALLOW_SKIP:-0}" != 1 ]; then
	echo "$skip unexpected skips count as failures (ALLOW_SKIP=1 tolerates them)"
	fail=$((fail + skip))
	skip=0
fi
if [ $((pass + fail)) = 0 ]; then
	echo "no test ran"
	fail=1
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
