#!/bin/bash
# Build one flavour of the kernel (make kernel-debug, kernel-plain,
# kernel-base; the test, demo, regress and bench targets depend on them):
#
#   debug  the series with KASAN, lockdep and KUnit (build/obj): the
#          KUnit suites, net/lowpower and the soak
#   plain  the series without debug options (build/obj-plain): the timing
#          tests, make regress, make demo and make bench
#   base   the unpatched base, configured like plain (build/obj-base):
#          make regress-base and make bench
#
# usage: kernel.sh debug|plain|base
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: kernel.sh debug|plain|base"
case $1 in
debug)
	TARGETS=net/lowpower "$ROOT/scripts/configure.sh"
	"$ROOT/scripts/build.sh"
	;;
plain) build_plain_kernel 0 "$WORK" "$BUILD/obj-plain" ;;
base)
	tree=$(base_tree)
	build_plain_kernel 1 "$tree" "$BUILD/obj-base"
	;;
*) die "unknown kernel flavour '$1' (want debug, plain or base)" ;;
esac
