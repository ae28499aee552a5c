#!/bin/bash
# The main job: build the patched kernel, boot it in QEMU, run the ECMP
# testbed (scripts/guest-demo.sh) and write the A/B report
# (scripts/demo-report.sh).
#
# Options (environment or make variables):
#   PROBES  probes per run, 100..100000 (default 1000)
#   JITTER  jitter of the non-reference paths, ms, 1..100 (default 4)
#   PATHS   equal-cost paths, 2..8 (default 2)
#   COST    lowpower_power_cost_weight for modes 1 and 2, 0..1000 (default 100)
#   FLOWS   paced background TCP connections, 1..64 (default 12)
#   RATE    bytes/s of each background connection, 1000..10000000 (default 20000)
#   OUT     report directory (default build/demo/report)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

PROBES=${PROBES:-1000} JITTER=${JITTER:-4} PATHS=${PATHS:-2}
COST=${COST:-100} FLOWS=${FLOWS:-12} RATE=${RATE:-20000}
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
[ -n "$OUT" ] || die "OUT must name a directory"
mkdir -p "$OUT" || die "cannot create OUT directory '$OUT'"
OUT=$(cd "$OUT" && pwd)

demo=$BUILD/demo
# the kernel make regress tests: no debug options (they would raise the
# measuring floor), with netem and flower for the testbed
obj=$BUILD/obj-regress
"$ROOT/scripts/step.sh" deps "$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/step.sh" tree "$ROOT/scripts/prepare-tree.sh"
OBJ=$obj DEBUG=0 TARGETS=net/lowpower_jitter "$ROOT/scripts/step.sh" config "$ROOT/scripts/configure.sh" \
	"$ROOT/scripts/kconfig/regress.config"
OBJ=$obj "$ROOT/scripts/step.sh" build "$ROOT/scripts/build.sh"

mkdir -p "$demo/bin"
gcc -O2 -Wall -o "$demo/bin/lowpower_probe" \
	"$ROOT/selftests/net/lowpower/lowpower_probe.c" -lm ||
	die "cannot build the latency probe"

rm -rf "$demo/vm/raw" "$demo/vm/output.log"
mkdir -p "$demo/vm"
log "booting; the testbed reports its progress:"
tail -n +1 -F "$demo/vm/output.log" 2>/dev/null | grep --line-buffered '^demo: ' &
tailer=$!
rc=0
KERNEL=$obj/arch/x86/boot/bzImage "$ROOT/scripts/vm-run.sh" -q -t 1800 -o "$demo/vm" -- \
	"$ROOT/scripts/guest-demo.sh" "$GUEST_OUT/raw" "$PROBES" "$JITTER" "$PATHS" \
	"$COST" "$FLOWS" "$RATE" "$demo/bin/lowpower_probe" "$ROOT/selftests/net/lowpower/lowpower_flows.py" || rc=$?
sleep 1
kill "$tailer" 2>/dev/null || true
wait "$tailer" 2>/dev/null || true
[ "$rc" = 0 ] || die "the demo VM failed (status $rc); logs in $demo/vm"

"$ROOT/scripts/demo-report.sh" "$demo/vm/raw" "$OUT"
