#!/bin/bash
# The main job (make demo, after make kernel-plain): boot the patched
# kernel in QEMU, run the ECMP
# testbed (scripts/guest/demo.sh, with the selftests' testbed library)
# and write the report (scripts/demo-report.sh).
#
# Options (environment or make variables):
#   PROBES  probes per run, 100..100000 (default 1000)
#   JITTER  jitter of the non-reference paths, ms, 1..100 (default 4)
#   PATHS   equal-cost paths, 2..8 (default 2)
#   COST    lowpower_power_cost_weight for modes 1 and 2, 0..1000 (default 100)
#   FLOWS   paced background TCP connections, 1..64 (default 12)
#   RATE    bytes/s of each background connection, 1000..10000000 (default 20000)
#   CLOCK   icount (default): the guest runs in QEMU's instruction-count
#           mode, so netem, the kernel and the probes share emulated time
#           and the host's load stays out of the figures; wall: real time,
#           the host's scheduling noise included
#   OUT     report directory (default build/demo/report)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

PROBES=${PROBES:-1000} JITTER=${JITTER:-4} PATHS=${PATHS:-2}
COST=${COST:-100} FLOWS=${FLOWS:-12} RATE=${RATE:-20000} CLOCK=${CLOCK:-icount}
OUT=${OUT:-$BUILD/demo/report}
check_int() {
	if ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		die "$1 must be an integer in $3..$4, got '$2'"
	fi
}
check_int PROBES "$PROBES" 100 100000
check_int JITTER "$JITTER" 1 100
check_int PATHS "$PATHS" 2 8
check_int COST "$COST" 0 1000
check_int FLOWS "$FLOWS" 1 64
check_int RATE "$RATE" 1000 10000000
case $CLOCK in
icount) icount=1 ;;
wall) icount=0 ;;
*) die "CLOCK must be icount or wall, got '$CLOCK'" ;;
esac
[ -n "$OUT" ] || die "OUT must name a directory"
mkdir -p "$OUT" || die "cannot create OUT directory '$OUT'"
OUT=$(cd "$OUT" && pwd)

demo=$BUILD/demo
# the kernel without debug options (they would raise the measuring
# floor), which make demo builds first (make kernel-plain)
kernel=$BUILD/obj-plain/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "$kernel is not built: run make demo (or make kernel-plain first)"

# the guest's programs: the latency probe, the path prober and ip with
# the project's iproute2 series
mkdir -p "$demo/bin"
gcc -O2 -Wall -o "$demo/bin/lowpower_probe" \
	"$ROOT/selftests/net/lowpower/lowpower_probe.c" -lm ||
	die "cannot build the latency probe"
make -s -C "$ROOT/prober" KSRC="$WORK" O="$demo/bin" >/dev/null ||
	die "cannot build lowpower-prober"
cp "$("$ROOT/scripts/iproute2.sh")" "$demo/bin/ip"

rm -rf "$demo/vm/raw" "$demo/vm/output.log"
mkdir -p "$demo/vm"
log "booting; the testbed reports its progress:"
tail -n +1 -F "$demo/vm/output.log" 2>/dev/null | grep --line-buffered '^demo: ' &
tailer=$!
rc=0
KERNEL=$kernel ICOUNT=$icount "$ROOT/scripts/vm-run.sh" -q -t 3000 \
	-o "$demo/vm" -- \
	env PATH="$demo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	"$ROOT/scripts/guest/demo.sh" "$GUEST_OUT/raw" "$PROBES" "$JITTER" "$PATHS" \
	"$COST" "$FLOWS" "$RATE" "$CLOCK" "$demo/bin/lowpower_probe" \
	"$ROOT/selftests/net/lowpower/lowpower_lib.sh" || rc=$?
sleep 1
kill "$tailer" 2>/dev/null || true
wait "$tailer" 2>/dev/null || true
[ "$rc" = 0 ] || die "the demo VM failed (status $rc); logs in $demo/vm"

"$ROOT/scripts/demo-report.sh" "$demo/vm/raw" "$OUT"
