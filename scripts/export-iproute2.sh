#!/bin/bash
# Regenerate patches/iproute2/ (its series file and one git format-patch
# file per commit) from the commits on top of the base in
# build/iproute2/src (scripts/iproute2.sh makes it).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

src=$BUILD/iproute2/src
[ -d "$src/.git" ] || die "$src is not a git tree; run scripts/iproute2.sh"
cd "$src"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "$src has uncommitted changes; commit them first"
n=$(git rev-list --count base..HEAD)
[ "$n" -gt 0 ] || die "no commits on top of the base in $src"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git format-patch -q --no-signature --zero-commit --no-numbered \
	--abbrev=12 -o "$tmp" base..HEAD
{
	echo "# lowpower multipath for iproute2, on Debian's iproute2 source"
	echo "# ($(git log -1 --format=%s base)): apply in this order"
	for p in "$tmp"/*.patch; do
		echo "${p##*/}"
	done
} >"$tmp/series"

rm -f "$IP2_PATCHES"/*.patch "$IP2_PATCHES/series"
mkdir -p "$IP2_PATCHES"
cp "$tmp"/*.patch "$tmp/series" "$IP2_PATCHES/"
hash=$( (cat "$IP2_PATCHES/series"; ip2_series_patches | xargs cat) | sha256sum | cut -d' ' -f1)
git rev-parse HEAD >.git/lowpower-head
echo "$hash" >"$BUILD/iproute2/.applied"
log "wrote $n patches to $IP2_PATCHES"
