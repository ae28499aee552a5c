#!/bin/bash
# make test: everything from scratch, one boot per kernel, one total.
#
# 1. the debug kernel (KASAN, lockdep, KUnit; build/obj), booted with two
#    vCPUs: the KUnit suites at boot and the net/lowpower kselftests on
#    2 links (sysctl, multipath, nexthop groups) and reads of a large
#    table (scale); then, booted again, the churn soak for 2 minutes with allocation
#    faults injected (scripts/soak.sh);
# 2. the kernel without debug options (build/obj-plain, also used by
#    make regress, make demo and make bench), in QEMU's instruction-count
#    mode (emulated time, so that the host's load stays out of the
#    timing): the net/lowpower_jitter kselftest, whose timing needs a
#    kernel that KASAN does not slow down, and, in a boot of its own:
#    - net/lowpower on 4 weighted links (the same code paths as on 2, so
#      CI time goes to the debug kernel, where it finds most);
#    - flow stability on 3 links (minutes of paced flows and bursts; the
#      debug soak churns the same routes and groups under KASAN and
#      lockdep), over legacy routes and resilient groups: a
#      hash-threshold group keeps its flows with the legacy route's
#      bucket table, and make test's time goes to the two that differ;
#    - the netlink family and the prober (lowpower_netlink.sh: its Python
#      netlink client is slow under KASAN; the debug soak reads and feeds
#      the family).
# 3. the series built for 32-bit x86 (build/obj-i386): the KUnit suites,
#    booted with no userspace (scripts/kunit-i386.sh).
# The kernels of 2. and 3. build in the background while 1.'s tests run,
# at idle priority, so that they use the CPU time the emulated guest
# leaves idle; the timing tests of 2. start only once they are built.
# Ends with "N passed, N failed" summed over all of them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"
S=$ROOT/scripts

"$S/step.sh" deps "$S/install-deps.sh"
"$S/step.sh" tree "$S/prepare-tree.sh"
"$S/step.sh" kernel-debug "$S/kernel.sh" debug
rc=0

# the kernel without debug options and the i386 one build in the
# background while the debug kernel's tests run, as SCHED_IDLE at nice
# 19: they take the CPU time the emulated guest leaves idle (its tests
# wait while traffic flows), not the guest's; no timing test runs until
# they are done
bg_log=$BUILD/build-background.log
(
	renice -n 19 -p "$BASHPID" >/dev/null
	chrt --idle -p 0 "$BASHPID"
	"$S/kernel.sh" plain
	BUILD_ONLY=1 VM_OUT=$BUILD/vm-i386 "$S/step.sh" build-i386 "$S/kunit-i386.sh"
) </dev/null >"$bg_log" 2>&1 &
bg=$!
# SMP: two vCPUs (DEBUG_VM_CPUS=), so the per-CPU counters, the folds
# and the weight publication run concurrently under lockdep and KASAN
# lowpower_scale.sh on a table of 20000 routes instead of its 100000:
# adding 100000 took 216 s of the debug guest, more than CI's time allows
VM_CPUS=${DEBUG_VM_CPUS:-2} LOWPOWER_SCALE_ROUTES=${CI_SCALE_ROUTES:-20000} \
	LOWPOWER_PROGS="lowpower_sysctl.sh lowpower_multipath.sh lowpower_nexthop_groups.sh lowpower_scale.sh" \
	"$S/run-tests.sh" net/lowpower || rc=1

# the churn soak on the same kernel, 2 minutes (CI_SOAK_S=), in a boot of
# its own, so that the kernel reports it counts are its own
SOAK_S=${CI_SOAK_S:-120} SOAK_KMEMLEAK=0 VM_OUT=$BUILD/vm-soak "$S/soak.sh" || rc=1

bg_rc=0
wait "$bg" || bg_rc=$?
cat "$bg_log"
[ "$bg_rc" = 0 ] || die "building the kernels without debug options failed (status $bg_rc)"
# in QEMU's instruction-count mode: netem, the kernel and the probes share
# the guest's emulated clock, so the host's load stays out of the timing
ICOUNT=1 NO_KUNIT=1 OBJ=$BUILD/obj-plain VM_OUT=$BUILD/vm-jitter \
	"$S/run-tests.sh" net/lowpower_jitter || rc=1
# flow stability paces TCP flows and bursts for minutes: emulated time too
ICOUNT=1 NO_KUNIT=1 OBJ=$BUILD/obj-plain VM_OUT=$BUILD/vm-weighted \
	LOWPOWER_PROGS="lowpower_multipath_weighted.sh lowpower_flow_stability.sh lowpower_netlink.sh" \
	LOWPOWER_FLOW_ROUTES="legacy resilient" \
	"$S/run-tests.sh" net/lowpower || rc=1

VM_OUT=$BUILD/vm-i386 "$S/step.sh" kunit-i386 "$S/kunit-i386.sh" || rc=1

pass=0 fail=0
for f in "$BUILD/vm/summary" "$BUILD/vm-soak/summary" "$BUILD/vm-jitter/summary" \
	"$BUILD/vm-weighted/summary" "$BUILD/vm-i386/summary"; do
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$f" 2>/dev/null | tail -n 1 || true)
	if [ -z "$line" ]; then
		echo "no result line in $f: counted as one failure"
		fail=$((fail + 1))
		continue
	fi
	read -r p _ f_ _ <<<"${line//,/}"
	pass=$((pass + p))
	fail=$((fail + f_))
done
[ $rc = 0 ] || [ $fail -gt 0 ] || fail=1
echo "$pass passed, $fail failed"
[ $fail = 0 ]
