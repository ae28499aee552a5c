#!/bin/bash
# Print the path of the base kernel source: $KSRC when set, otherwise
# Debian's linux-source-6.12, extracted once under build/src and reused.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -n "${KSRC:-}" ]; then
	if [ ! -f "$KSRC/Makefile" ] || [ ! -d "$KSRC/net/ipv4" ]; then
		die "KSRC=$KSRC is not a kernel source tree (no Makefile or net/ipv4)"
	fi
	cd "$KSRC" && pwd
	exit 0
fi

tarball=/usr/src/$BASE_PKG.tar.xz
[ -f "$tarball" ] || die "$tarball not found: install $BASE_PKG (make deps)"

dest=$BUILD/src
tree=$dest/$BASE_PKG
if [ ! -f "$tree/.extracted" ] || [ "$tarball" -nt "$tree/.extracted" ]; then
	log "extracting $tarball"
	rm -rf "$tree"
	mkdir -p "$dest"
	tar -xf "$tarball" -C "$dest"
	touch "$tree/.extracted"
fi
echo "$tree"
