#!/bin/bash
# Boot the built kernel in QEMU with the host's root filesystem shared
# read-only over 9p and run a command inside it, from this directory.
#
# usage: vm-run.sh [-t SECONDS] [-o OUTDIR] [-q] [--] COMMAND [ARG...]
#
# OUTDIR (default build/vm) gets console.log (the kernel's), output.log
# (the command's, also shown live unless -q) and status.  QEMU uses TCG
# unless ACCEL=kvm, or ACCEL=auto and a probe boot under KVM succeeds.
# ICOUNT=1 (TCG only): QEMU's instruction-count mode, one virtual
# nanosecond per guest instruction and no waiting while the guest idles,
# so that the guest's clock measures the instructions it ran, the same
# from run to run whatever else loads the host (one emulation thread).
# VM_CPUS (default 1) vCPUs, VM_MEM (default 2048) MiB.  One vCPU by
# default: on a 2-core host under TCG the timing the jitter test and the
# demo measure is steadier with one than with two (measured), and only a
# kernel with ACPI (the non-debug one) can bring up a second.
#
# Exit status: the command's, when the console log is clean; 124 on
# timeout; 125 when the kernel panicked, oopsed, warned, or KASAN,
# lockdep or another checker reported; 126 when the guest died without
# handing back a status.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

timeout=${TIMEOUT:-1800}
out=$BUILD/vm
quiet=0
while getopts "t:o:qh" opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	o) out=$OPTARG ;;
	q) quiet=1 ;;
	h) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "usage: vm-run.sh [-t SECONDS] [-o OUTDIR] [-q] [--] COMMAND [ARG...]" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die "no command given (usage: vm-run.sh [-t SECONDS] [-o OUTDIR] [--] COMMAND...)"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "timeout must be a positive number of seconds, got '$timeout'"
cpus=${VM_CPUS:-1} mem=${VM_MEM:-2048}
[[ $cpus =~ ^[1-8]$ ]] || die "VM_CPUS must be 1..8, got '$cpus'"
if ! [[ $mem =~ ^[1-9][0-9]{0,5}$ ]] || [ "$mem" -lt 512 ]; then
	die "VM_MEM must be 512..999999 (MiB), got '$mem'"
fi

kernel=${KERNEL:-$OBJ/arch/x86/boot/bzImage}
[ -f "$kernel" ] || die "$kernel not found; run scripts/build.sh"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (make deps)"

accel=${ACCEL:-tcg}
case $accel in
tcg | kvm) ;;
auto)
	accel=tcg
	if [ "${ICOUNT:-0}" != 1 ] && [ -w /dev/kvm ] && ACCEL=kvm "$0" -q -t 60 -o "$BUILD/vm-kvm-probe" true >/dev/null 2>&1; then
		accel=kvm
	fi
	log "ACCEL=auto: using $accel"
	;;
*) die "ACCEL must be tcg, kvm or auto, got '$accel'" ;;
esac
icount=${ICOUNT:-0}
[[ $icount =~ ^[01]$ ]] || die "ICOUNT must be 0 or 1, got '$icount'"
if [ "$accel" = kvm ] && [ "$icount" = 1 ]; then
	# emulated time is the point of this boot (the jitter test, the demo)
	log "ICOUNT=1: instruction-count mode needs TCG; this boot uses TCG, not KVM"
	accel=tcg
fi
if [ "$accel" = kvm ]; then
	qaccel=(-accel kvm -cpu host)
elif [ "$icount" = 1 ]; then
	qaccel=(-accel 'tcg,thread=single' -icount 'shift=0,sleep=off' -cpu max)
else
	qaccel=(-accel 'tcg,thread=multi' -cpu max)
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/console.log" "$out/output.log"
# a guest that dies before it reports must not look like a pass
echo "no status" >"$out/status"
{
	printf 'cd %q || exit 1\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$out/cmd"
: >"$out/output.log"

cmdline="console=ttyS0 root=/dev/root rootfstype=9p ro"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,cache=loose,msize=512000"
cmdline+=" init=$ROOT/scripts/guest/init.sh LP_ROOT=$ROOT panic=-1"
# acpi=noirq: PCI interrupts routed by the BIOS's tables, not by ACPI's
# _PRT method, while ACPI still describes the CPUs.  Under TCG the AML
# interpreter of a KASAN + lockdep guest took 14 s per virtio link to run
# _PRT (measured), and with kmemleak on as well it ran into ACPI's 30 s
# loop timeout: the links got no interrupt and the root never mounted.
cmdline+=" acpi=noirq"
# Under TCG a KASAN + lockdep guest can still go 20 s without running a
# kthread now and then, which trips the 21 s default of RCU's stall
# checks (a "GP start stall" warning) with nothing wrong in the kernel,
# and the soft-lockup detector's default 20 s: a stall that lasts stays
# reported, after 120 s (watchdog_thresh=60 for the soft-lockup one).
cmdline+=" rcupdate.rcu_cpu_stall_timeout=120 watchdog_thresh=60 ${APPEND:-}"

rc=0
if [ $quiet = 0 ]; then
	tail -n +1 -F "$out/output.log" 2>/dev/null &
	tailpid=$!
fi
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-nodefaults -display none -no-reboot \
	"${qaccel[@]}" -smp "$cpus" -m "$mem" \
	-kernel "$kernel" -append "$cmdline" \
	-serial "file:$out/console.log" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
	-fsdev "local,id=out,path=$out,security_model=none,multidevs=remap" \
	-device virtio-9p-pci,fsdev=out,mount_tag=lpout \
	-fsdev "local,id=proj,path=$ROOT,security_model=none,readonly=on,multidevs=remap" \
	-device virtio-9p-pci,fsdev=proj,mount_tag=lproot || rc=$?
if [ $quiet = 0 ]; then
	sleep 1
	kill "$tailpid" 2>/dev/null || true
	wait "$tailpid" 2>/dev/null || true
fi

if [ $rc = 124 ] || [ $rc = 137 ]; then
	log "timeout: the VM ran longer than $timeout s (logs in $out)"
	exit 124
fi
[ $rc = 0 ] || die "qemu failed with status $rc (logs in $out)"

splats=$("$ROOT/scripts/scan-console.sh" "$out/console.log" || true)
if [ -n "$splats" ]; then
	log "the kernel reported problems (full log: $out/console.log):"
	echo "$splats" >&2
	exit 125
fi

status=$(cat "$out/status")
if ! [[ $status =~ ^[0-9]+$ ]]; then
	log "the guest handed back no status (logs in $out):"
	tail -n 20 "$out/console.log" >&2
	exit 126
fi
exit "$status"
