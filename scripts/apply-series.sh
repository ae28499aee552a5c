#!/bin/bash
# Apply the series to a kernel tree with plain patch(1), as quilt would:
# no fuzz (a hunk whose context does not match exactly fails), offsets
# allowed as git am allows them (STRICT=1 refuses offsets too).  Each
# patch is tried with --dry-run first; on any failure the patches applied
# so far are reverted, so the tree is left as it was.
#
# usage: apply-series.sh TREE
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: apply-series.sh TREE"
tree=$1
[ -d "$tree" ] || die "$tree is not a directory"
command -v patch >/dev/null || die "patch not found (make deps)"

applied=()
revert() {
	local i
	for ((i = ${#applied[@]} - 1; i >= 0; i--)); do
		patch -d "$tree" -p1 -R -F0 -s --no-backup-if-mismatch <"${applied[i]}" ||
			log "could not revert ${applied[i]##*/}; $tree is left modified"
	done
}

while IFS= read -r p; do
	name=${p##*/}
	[ -f "$p" ] || { revert; die "$name is listed in series but missing"; }
	if ! msg=$(patch -d "$tree" -p1 -N -F0 --dry-run --no-backup-if-mismatch <"$p" 2>&1); then
		revert
		die "$name does not apply without fuzz:"$'\n'"$msg"
	fi
	if grep -q "fuzz" <<<"$msg" || { [ "${STRICT:-0}" = 1 ] && grep -q "offset" <<<"$msg"; }; then
		revert
		die "$name applies only with fuzz or offset:"$'\n'"$msg"
	fi
	patch -d "$tree" -p1 -N -F0 -s --no-backup-if-mismatch <"$p" ||
		{ revert; die "$name failed to apply after a clean dry run"; }
	applied+=("$p")
done < <(series_patches)
log "applied ${#applied[@]} patches to $tree"
