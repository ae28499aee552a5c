#!/bin/bash
# Prove the series bisectable: build the kernel at every commit of the
# series in $WORK, in a separate git worktree and object directory, with
# the test kernel's configuration (options a prefix does not know yet are
# dropped by olddefconfig).  Incremental, with ccache.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

wt=$BUILD/bisect
obj=$BUILD/obj-bisect
[ -d "$WORK/.git" ] || die "$WORK is not a git tree; run scripts/prepare-tree.sh"
[ -f "$OBJ/.config" ] || die "$OBJ/.config missing; run scripts/configure.sh"

mapfile -t commits < <(git -C "$WORK" rev-list --reverse base..HEAD)
[ ${#commits[@]} -gt 0 ] || die "no commits on top of the base in $WORK"

if ! git -C "$wt" rev-parse -q --verify HEAD >/dev/null 2>&1; then
	rm -rf "$wt"
	git -C "$WORK" worktree prune
	log "creating a worktree in $wt"
	git -C "$WORK" worktree add -q --detach "$wt" base
fi
mkdir -p "$obj"

i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subject=$(git -C "$WORK" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	cp "$OBJ/.config" "$obj/.config"
	make -s -C "$wt" O="$obj" ARCH=x86_64 olddefconfig >/dev/null
	if ! WORK=$wt OBJ=$obj "$ROOT/scripts/build.sh" >"$obj/build.log" 2>&1; then
		tail -n 30 "$obj/build.log" >&2
		die "[$i/${#commits[@]}] $subject: build FAILED (log: $obj/build.log)"
	fi
	log "[$i/${#commits[@]}] $subject: builds"
done
