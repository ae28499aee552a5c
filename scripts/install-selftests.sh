#!/bin/bash
# Install the project's kselftests into a kernel tree, so that they run
# with: make -C tools/testing/selftests TARGETS=net/lowpower run_tests
#
# usage: install-selftests.sh KERNEL_TREE
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: install-selftests.sh KERNEL_TREE"
dest=$1/tools/testing/selftests
[ -f "$dest/lib.mk" ] || die "$1 is not a kernel tree (no tools/testing/selftests/lib.mk)"

(cd "$ROOT/selftests" && find . -type f) | while read -r f; do
	mkdir -p "$dest/$(dirname "$f")"
	cp -p "$ROOT/selftests/$f" "$dest/$f"
done
log "installed $(cd "$ROOT/selftests" && find . -mindepth 2 -maxdepth 2 -type d | sed 's|^\./||' | tr '\n' ' ')into $dest"
