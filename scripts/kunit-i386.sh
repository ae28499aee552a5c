#!/bin/bash
# Build the series for 32-bit x86 and run its KUnit suites there: the
# kernel boots in qemu-system-i386 with no userspace, runs the suites and
# powers off (kunit_shutdown).  32-bit catches what x86-64 cannot: long
# and unsigned long are 32 bits, 64-bit divisions need helpers.  Ends with
# "N passed, N failed" from the kernel's KTAP parser.
#
# BUILD_ONLY=1: configure and build the kernel, do not boot it (make test
# builds it in the background while the debug kernel's tests run).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

obj=$BUILD/obj-i386
out=${VM_OUT:-$BUILD/vm-i386}
command -v qemu-system-i386 >/dev/null || die "qemu-system-i386 not found (make deps)"

OBJ=$obj KARCH=i386 VM=0 DEBUG=0 TARGETS=none \
	"$ROOT/scripts/configure.sh" "$ROOT/scripts/kconfig/kunit-i386.config"
OBJ=$obj KARCH=i386 "$ROOT/scripts/build.sh"
[ "${BUILD_ONLY:-0}" = 0 ] || exit 0

rm -rf "$out"
mkdir -p "$out"
: >"$out/output.log"
log "booting the i386 KUnit kernel"
start=$(date +%s)
rc=0
timeout --foreground -k 10 "${TEST_TIMEOUT:-900}" qemu-system-i386 \
	-machine pc -accel tcg -m 512 -smp 2 -no-reboot \
	-display none -monitor none -serial "file:$out/console.log" \
	-kernel "$obj/arch/x86/boot/bzImage" \
	-append "console=ttyS0 kunit_shutdown=poweroff panic=-1" || rc=$?
echo "i386 boot+KUnit: $(($(date +%s) - start)) s"
[ "$rc" = 0 ] || log "qemu-system-i386 exited with status $rc (124: timeout)"
"$ROOT/scripts/count-results.sh" "$out/console.log" "$out/output.log" | tee "$out/summary"
