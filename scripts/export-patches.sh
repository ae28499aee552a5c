#!/bin/bash
# Regenerate patches/ (the series file and one git format-patch file per
# commit) from the commits on top of the base in $WORK.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$WORK/.git" ] || die "$WORK is not a git tree; run scripts/prepare-tree.sh"
cd "$WORK"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "$WORK has uncommitted changes; commit them first"
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits on top of the base in $WORK"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git format-patch -q --no-signature --zero-commit --no-numbered \
	--abbrev=12 -o "$tmp" base..HEAD

{
	echo "# lowpower multipath, on Debian's $BASE_PKG $BASE_VERSION"
	echo "# Not for upstream (yet): apply in this order"
	for p in "$tmp"/*.patch; do
		echo "${p##*/}"
	done
} >"$tmp/series"

rm -f "$PATCHES"/*.patch "$PATCHES/series"
mkdir -p "$PATCHES"
cp "$tmp"/*.patch "$tmp/series" "$PATCHES/"
hash=$( (cat "$PATCHES/series"; series_patches | xargs cat) | sha256sum | cut -d' ' -f1)
echo "$hash $(git rev-parse HEAD)" >"$WORK/.git/lowpower-state"
log "wrote $n patches to $PATCHES"
