#!/bin/bash
# Regenerate patches/ (the series file, a cover letter and one git
# format-patch file per commit) from the commits on top of the base in
# $WORK.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$WORK/.git" ] || die "$WORK is not a git tree; run scripts/prepare-tree.sh"
# the submission form: "[PATCH net-next vN NN/MM]" subjects, a cover letter
# from patches/cover-letter.txt, the series file grouped by
# patches/groups
hash=$(EXPORT_PREFIX="PATCH net-next v$SERIES_VERSION" \
	EXPORT_COVER=$PATCHES/cover-letter.txt EXPORT_GROUPS=$PATCHES/groups \
	export_series "$WORK" "$PATCHES" \
	"lowpower multipath v$SERIES_VERSION, on Debian's $BASE_PKG $BASE_VERSION" \
	"Apply in this order (git am, or quilt); the cover letter is 0000-cover-letter.patch")
echo "$hash $(git -C "$WORK" rev-parse HEAD)" >"$WORK/.git/lowpower-state"
log "wrote $(git -C "$WORK" rev-list --count base..HEAD) patches to $PATCHES"
