#!/bin/bash
# Regenerate patches/ (the series file, a cover letter and one git
# format-patch file per commit) from the commits on top of the base in
# $WORK, and selftests/ (a copy of the series' kselftests, for the demo
# and for reading) from $WORK's tools/testing/selftests.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$WORK/.git" ] || die "$WORK is not a git tree; run scripts/prepare-tree.sh"
# the series is the source: refuse to overwrite an edit made in
# selftests/ instead of $WORK (selftests/ differs from what the last
# export wrote, or, before any, from the project's last commit)
stamp=$WORK/.git/lowpower-selftests
if [ -f "$stamp" ]; then
	edited=$([ "$(selftests_hash)" = "$(cat "$stamp")" ] || echo 1)
else
	edited=$(git -C "$ROOT" status --porcelain -- selftests)
fi
if [ -n "$edited" ] && ! selftests_match "$WORK/tools/testing/selftests" >/dev/null; then
	die "selftests/ has edits that $WORK does not have;" \
	    "make them in $WORK/tools/testing/selftests (the series) and export again"
fi
# the submission form: "[PATCH net-next vN NN/MM]" subjects, a cover letter
# from patches/cover-letter.txt, the series file grouped by
# patches/groups
hash=$(EXPORT_PREFIX="PATCH net-next v$SERIES_VERSION" \
	EXPORT_COVER=$PATCHES/cover-letter.txt EXPORT_GROUPS=$PATCHES/groups \
	export_series "$WORK" "$PATCHES" \
	"lowpower multipath v$SERIES_VERSION, on Debian's $BASE_PKG $BASE_VERSION" \
	"Apply in this order (git am, or quilt); the cover letter is 0000-cover-letter.patch")
echo "$hash $(git -C "$WORK" rev-parse HEAD)" >"$WORK/.git/lowpower-state"
for t in "${SELFTEST_TARGETS[@]}"; do
	rm -rf "${ROOT:?}/selftests/$t"
	mkdir -p "$ROOT/selftests/$(dirname "$t")"
	cp -a "$WORK/tools/testing/selftests/$t" "$ROOT/selftests/$t"
done
selftests_hash >"$stamp"
log "wrote $(git -C "$WORK" rev-list --count base..HEAD) patches to $PATCHES" \
    "and ${SELFTEST_TARGETS[*]} to selftests/"
