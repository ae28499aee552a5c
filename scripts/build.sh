#!/bin/bash
# Build the configured kernel in $OBJ (out of tree) with ccache.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ -f "$OBJ/.config" ] || die "$OBJ/.config missing; run scripts/configure.sh"
command -v ccache >/dev/null || die "ccache not found (make deps)"

# fixed build identity, so that ccache hits across rebuilds
export KBUILD_BUILD_USER=lowpower KBUILD_BUILD_HOST=build
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-2026-01-01}"
# paths relative to the project, so that ccache hits across clones
export CCACHE_BASEDIR="$ROOT"
jobs=${JOBS:-$(nproc)}
# LOCALVERSION= keeps setlocalversion from appending "+" for a git tree:
# the release is the version plus the series' localversion file
# KARCH=i386: the 32-bit KUnit kernel (scripts/kunit-i386.sh)
make -s -C "$WORK" O="$OBJ" ARCH="${KARCH:-x86_64}" CC="ccache gcc" LOCALVERSION= \
	-j"$jobs" bzImage
log "built $(make -s -C "$WORK" O="$OBJ" LOCALVERSION= kernelrelease): $OBJ/arch/x86/boot/bzImage"
