#!/bin/bash
# PID 1 of the test VM (see scripts/vm-run.sh): mount what the tests need
# over the read-only host root, run the command the host left in the
# "lpout" share, hand its exit status back there and power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8
out=/run/lpout # GUEST_OUT in scripts/lib.sh

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
# what udev would make: tests and the kselftest runner use /dev/stdout
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp /var/log; do
	mount -t tmpfs tmpfs "$d"
done
# the project may live under one of the tmpfs mounts above: the host
# shares it again as "lproot" and names its path in LP_ROOT
mkdir -p "$out" "${LP_ROOT:?LP_ROOT not set on the kernel command line}"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro lproot "$LP_ROOT" ||
	echo "guest: cannot mount the lproot share on $LP_ROOT" >/dev/console
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 lpout "$out"; then
	hostname lowpower-vm
	ip link set dev lo up
	echo "guest: running $(uname -r)" >/dev/console
	bash "$out/cmd" >"$out/output.log" 2>&1 </dev/null
	echo $? >"$out/status"
	sync
	umount "$out"
else
	echo "guest: cannot mount the lpout share" >/dev/console
fi
echo b >/proc/sysrq-trigger
sleep 10
