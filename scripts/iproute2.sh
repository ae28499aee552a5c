#!/bin/bash
# Build Debian's iproute2 with the project's iproute2 series
# (patches/iproute2/) applied, and print the path of the built ip.
#
# The source comes from "apt-get source iproute2" (deb-src, see
# install-deps.sh), extracted once under build/iproute2/debian.  The tree
# developers edit is build/iproute2/src: a git tree of that source (tag
# "base") with the series applied by git am, which fails on any fuzz.  It
# is made again whenever patches/iproute2/ changes; make iproute2-export
# writes its commits back.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

dest=$BUILD/iproute2
src=$dest/src
series=$IP2_PATCHES/series
[ -f "$series" ] || die "$series missing"

# print the path of build/iproute2/src (applying the series if needed)
# instead of building: IP2_TREE_ONLY=1

# the Debian source, fetched and extracted once
if ! deb=$(find "$dest/debian" -mindepth 1 -maxdepth 1 -type d -name 'iproute2-*' 2>/dev/null | grep .); then
	log "fetching Debian's iproute2 source (apt-get source)"
	rm -rf "$dest/debian"
	mkdir -p "$dest/debian"
	(cd "$dest/debian" && apt-get source -qq iproute2 >/dev/null 2>&1) ||
		die "apt-get source iproute2 failed: is a deb-src entry configured (make deps)?"
	deb=$(find "$dest/debian" -mindepth 1 -maxdepth 1 -type d -name 'iproute2-*' | head -n 1)
	[ -n "$deb" ] || die "apt-get source iproute2 gave no source tree"
fi

want=$(series_hash "$IP2_PATCHES")
have=$(cat "$dest/.applied" 2>/dev/null || true)
if [ "$want" != "$have" ] || [ ! -d "$src/.git" ]; then
	if [ -d "$src/.git" ] &&
		[ "$(git -C "$src" rev-parse HEAD)" != "$(cat "$src/.git/lowpower-head" 2>/dev/null || true)" ]; then
		die "$src has commits not exported to patches/iproute2 (make iproute2-export, or remove $src)"
	fi
	ver=$(cd "$deb" && dpkg-parsechangelog -S Version)
	log "applying the iproute2 series to Debian's iproute2 $ver"
	rm -rf "$src" "$dest/.applied"
	cp -a "$deb" "$src"
	rm -rf "$src/.pc"
	git -C "$src" init -q
	git -C "$src" add -A
	git -C "$src" -c user.name="$PROJECT_NAME" -c user.email="$PROJECT_EMAIL" \
		commit -q -m "iproute2 $ver (Debian source)"
	git -C "$src" tag base
	mapfile -t files < <(series_patches "$IP2_PATCHES")
	git -C "$src" -c user.name="$PROJECT_NAME" -c user.email="$PROJECT_EMAIL" \
		am -q --committer-date-is-author-date "${files[@]}" ||
		die "the iproute2 series does not apply to ${deb##*/} without fuzz"
	git -C "$src" rev-parse HEAD >"$src/.git/lowpower-head"
	echo "$want" >"$dest/.applied"
fi

if [ "${IP2_TREE_ONLY:-0}" = 1 ]; then
	echo "$src"
	exit 0
fi
if [ ! -f "$src/config.mk" ]; then
	(cd "$src" && ./configure >"$dest/configure.log" 2>&1) ||
		die "iproute2's configure failed; see $dest/configure.log"
fi
make -s -C "$src" -j"$(nproc)" SUBDIRS="lib ip" >"$dest/build.log" 2>&1 ||
	die "building iproute2 failed; see $dest/build.log"
echo "$src/ip/ip"
