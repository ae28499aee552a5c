#!/bin/bash
# Regenerate patches/iproute2/ (its series file and one git format-patch
# file per commit) from the commits on top of the base in
# build/iproute2/src (scripts/iproute2.sh makes it).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

src=$BUILD/iproute2/src
[ -d "$src/.git" ] || die "$src is not a git tree; run scripts/iproute2.sh"
hash=$(export_series "$src" "$IP2_PATCHES" \
	"lowpower multipath for iproute2, on Debian's iproute2 source" \
	"($(git -C "$src" log -1 --format=%s base)): apply in this order")
git -C "$src" rev-parse HEAD >"$src/.git/lowpower-head"
echo "$hash" >"$BUILD/iproute2/.applied"
log "wrote $(git -C "$src" rev-list --count base..HEAD) patches to $IP2_PATCHES"
