#!/bin/bash
# Boot the built kernel once and run all tests in it: the KUnit suites
# built into the kernel (at boot) and the series' kselftests, from a
# writable copy of the tree's selftests; then count the results.
#
# usage: run-tests.sh [TARGET...]   (default: every target of the series)
# LOWPOWER_PROGS="a.sh ...": run only these scripts of the target(s)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# VM_OUT: the VM run's directory; OBJ (lib.sh) or KERNEL: the kernel to boot
out=${VM_OUT:-$BUILD/vm}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${SELFTEST_TARGETS[@]}")
for t in "${targets[@]}"; do
	[ -f "$WORK/tools/testing/selftests/$t/Makefile" ] ||
		die "$WORK has no selftests target $t; run scripts/prepare-tree.sh"
done

log "staging selftests (${targets[*]}) in $out/ksft"
rm -rf "$out/ksft"
mkdir -p "$out/ksft/tools/testing" "$out/ksft/scripts"
cp -a "$WORK/tools/testing/selftests" "$out/ksft/tools/testing/"
cp -a "$WORK/scripts/subarch.include" "$out/ksft/scripts/"
# YNL's client and the netlink specs, where a kernel tree has them
mkdir -p "$out/ksft/tools/net" "$out/ksft/Documentation/netlink"
cp -a "$WORK/tools/net/ynl" "$out/ksft/tools/net/"
cp -a "$WORK/Documentation/netlink/specs" "$out/ksft/Documentation/netlink/"
# the path prober and iproute2's ip with the project's series, on the
# guest's PATH
mkdir -p "$out/ksft/bin"
make -s -C "$ROOT/prober" KSRC="$WORK" O="$out/ksft/bin" >/dev/null ||
	die "cannot build lowpower-prober"
ip=$("$ROOT/scripts/iproute2.sh")
cp "$ip" "$out/ksft/bin/ip"
# build the tests' programs here: compiling in the emulated guest is slow
for t in "${targets[@]}"; do
	make -s -C "$out/ksft/tools/testing/selftests" TARGETS="$t" >/dev/null ||
		die "cannot build the selftests of $t"
done

# the soak's and the scale test's settings (LOWPOWER_SOAK_*,
# LOWPOWER_SCALE_*) and the route kinds to test (LOWPOWER_ROUTES,
# LOWPOWER_FLOW_ROUTES) go to the guest as they are
soak_env=()
while IFS= read -r v; do
	soak_env+=("$v")
done < <(env | grep -E '^LOWPOWER_(SOAK_[A-Z]+|SCALE_[A-Z]+|ROUTES|FLOW_ROUTES)=' || true)

log "booting the test kernel"
start=$(date +%s)
vm_rc=0
# the tests check that the guest brought up every vCPU it was given
"$ROOT/scripts/vm-run.sh" -t "${TEST_TIMEOUT:-3000}" -o "$out" -- \
	env LOWPOWER_MIN_CPUS="${VM_CPUS:-1}" LOWPOWER_PROGS="${LOWPOWER_PROGS:-}" \
	PATH="$GUEST_OUT/ksft/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	"${soak_env[@]}" \
	"$ROOT/scripts/guest/tests.sh" \
	"$GUEST_OUT/ksft/tools/testing/selftests" "${targets[@]}" || vm_rc=$?

echo "boot+tests: $(($(date +%s) - start)) s"
echo
rc=0
MIN_SCRIPTS=${#targets[@]} "$ROOT/scripts/count-results.sh" "$out/console.log" "$out/output.log" >"$out/summary" || rc=$?
# 124..126: the VM itself failed (timeout, splat, no status); a lower
# status is the test command's, whose failures the logs already count
if [ "$vm_rc" -ge 124 ]; then
	log "the VM run failed with status $vm_rc; logs in $out"
	last=$(tail -n 1 "$out/summary")
	p=${last%% passed*}
	f=${last#*passed, }
	f=${f%% failed*}
	sed -i '$d' "$out/summary"
	echo "VM run failed (status $vm_rc): counted as one failure" >>"$out/summary"
	echo "${last/#$p passed, $f failed/$p passed, $((f + 1)) failed}" >>"$out/summary"
	rc=1
fi
cat "$out/summary"
exit $rc
