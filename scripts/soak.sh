#!/bin/bash
# make soak: the churn soak (selftests/net/lowpower/lowpower_soak.sh) on
# the SMP debug kernel, with allocation faults injected into a share of
# the configuration changes, booted with kmemleak on and checked for
# leaks at the end (SOAK_KMEMLEAK=0: without kmemleak, as make test's
# 2-minute soak runs, for its time).
#
# SOAK_S: how long the chaos runs, seconds (default 600, at most 1200:
# the kselftest timeout of the script is 1500 s).  DEBUG_VM_CPUS: vCPUs
# (default 2).  VM_OUT: the VM run's directory (default build/vm-soak).
# Ends with "N passed, N failed".
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
S=$ROOT/scripts

soak_s=${SOAK_S:-600}
kmemleak=${SOAK_KMEMLEAK:-1}
[[ $kmemleak =~ ^[01]$ ]] || die "SOAK_KMEMLEAK must be 0 or 1, got '$kmemleak'"
if ! [[ $soak_s =~ ^[1-9][0-9]*$ ]] || [ "$soak_s" -gt 1200 ]; then
	die "SOAK_S must be 1..1200 (seconds), got '$soak_s'"
fi

"$S/step.sh" deps "$S/install-deps.sh"
"$S/step.sh" tree "$S/prepare-tree.sh"
"$S/step.sh" kernel-debug "$S/kernel.sh" debug
# KUnit ran in make test's boot of the same kernel
VM_CPUS=${DEBUG_VM_CPUS:-2} NO_KUNIT=1 VM_OUT=${VM_OUT:-$BUILD/vm-soak} \
	APPEND="kunit.enable=0$([ "$kmemleak" = 0 ] || echo " kmemleak=on")" \
	TEST_TIMEOUT=$((soak_s + 1800)) \
	LOWPOWER_PROGS=lowpower_soak.sh LOWPOWER_SOAK_S=$soak_s \
	LOWPOWER_SOAK_KMEMLEAK=$kmemleak LOWPOWER_SOAK_FAULTS=1 \
	"$S/run-tests.sh" net/lowpower
