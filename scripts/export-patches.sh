#!/bin/bash
# Regenerate patches/ (the series file and one git format-patch file per
# commit) from the commits on top of the base in $WORK.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$WORK/.git" ] || die "$WORK is not a git tree; run scripts/prepare-tree.sh"
hash=$(export_series "$WORK" "$PATCHES" \
	"lowpower multipath, on Debian's $BASE_PKG $BASE_VERSION" \
	"Not for upstream (yet): apply in this order")
echo "$hash $(git -C "$WORK" rev-parse HEAD)" >"$WORK/.git/lowpower-state"
log "wrote $(git -C "$WORK" rev-list --count base..HEAD) patches to $PATCHES"
