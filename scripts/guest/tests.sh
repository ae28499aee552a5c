#!/bin/bash
# Inside the test VM: run kselftest targets from a staged (writable)
# selftests tree.  KUnit suites built into the kernel ran at boot.
#
# usage: guest/tests.sh SELFTESTS_DIR TARGET...
# LOWPOWER_PROGS="a.sh b.sh": only these of the targets' TEST_PROGS
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: ${0##*/} SELFTESTS_DIR TARGET..." >&2; exit 2; }
dir=$1
shift
echo "guest-tests: $(uname -r), targets: $*"
# LOWPOWER_PROGS: run only these scripts of the target(s)
make -s -C "$dir" TARGETS="$*" ${LOWPOWER_PROGS:+TEST_PROGS="$LOWPOWER_PROGS"} run_tests
