# shellcheck shell=bash
# Common settings of the lowpower multipath scripts; sourced, not run.
# shellcheck disable=SC2034 # the variables are used by the sourcing scripts

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PATCHES=${PATCHES:-$ROOT/patches}
# the base this series is verified against (Debian's linux-source-6.12)
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.118
# the iproute2 series, on Debian's iproute2 source (scripts/iproute2.sh)
IP2_PATCHES=${IP2_PATCHES:-$PATCHES/iproute2}
# the tree developers edit: the base with the series applied by git am
WORK=${WORK:-$BUILD/work}
# the kernel object directory (make O=)
OBJ=${OBJ:-$BUILD/obj}
# where the guest mounts the VM run's out directory (scripts/guest-init.sh)
GUEST_OUT=/run/lpout
# the project's identity, for commits and sign-offs
PROJECT_NAME="lowpower multipath"
PROJECT_EMAIL="lowpower-multipath@users.noreply.example"

die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

log() {
	echo "${0##*/}: $*" >&2
}

# base_tree: print the unpatched base's work tree (build/base-tree), a git
# worktree of $WORK's tag "base", made on first use
base_tree() {
	local tree=$BUILD/base-tree

	if [ ! -f "$tree/Makefile" ]; then
		git -C "$WORK" rev-parse -q --verify base >/dev/null ||
			die "$WORK has no tag 'base'; run scripts/prepare-tree.sh"
		git -C "$WORK" worktree add -q -f --detach "$tree" base
	fi
	echo "$tree"
}

# patch files of the series, in order
series_patches() {
	local p
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		echo "$PATCHES/$p"
	done <"$PATCHES/series"
}

# patch files of the iproute2 series, in order
ip2_series_patches() {
	local p
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		echo "$IP2_PATCHES/$p"
	done <"$IP2_PATCHES/series"
}
