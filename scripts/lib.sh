# shellcheck shell=bash
# Common settings of the lowpower multipath scripts; sourced, not run.
# shellcheck disable=SC2034 # the variables are used by the sourcing scripts

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PATCHES=${PATCHES:-$ROOT/patches}
# the base this series is verified against (Debian's linux-source-6.12)
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.118
# the version of the series, in its subjects ("[PATCH net-next v3 01/27]")
SERIES_VERSION=3
# the kselftest targets the series adds (tools/testing/selftests/...);
# selftests/ holds a copy of them, written by scripts/export-patches.sh
SELFTEST_TARGETS=(net/lowpower net/lowpower_jitter)
# the iproute2 series, on Debian's iproute2 source (scripts/iproute2.sh)
IP2_PATCHES=${IP2_PATCHES:-$PATCHES/iproute2}
# the tree developers edit: the base with the series applied by git am
WORK=${WORK:-$BUILD/work}
# the kernel object directory (make O=)
OBJ=${OBJ:-$BUILD/obj}
# where the guest mounts the VM run's out directory (scripts/guest/init.sh)
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

# build_plain_kernel BASE TREE OBJ: configure and build TREE's kernel in
# OBJ without debug options, with the configuration make test gives it
# (BASE=1: the unpatched base), so that make regress, make bench and make
# test share one build of each
build_plain_kernel() {
	WORK=$2 OBJ=$3 BASE=$1 DEBUG=0 TARGETS="net/lowpower_jitter net/lowpower" \
		"$ROOT/scripts/configure.sh" "$ROOT/scripts/kconfig/plain.config"
	WORK=$2 OBJ=$3 "$ROOT/scripts/build.sh"
}

# series_patches [DIR]: patch files of the series in DIR (default
# $PATCHES), in order
series_patches() {
	local dir=${1:-$PATCHES} p
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		echo "$dir/$p"
	done <"$dir/series"
}

# export_series TREE DIR HEADER...: replace DIR's series file and patches
# with one git format-patch file per commit on top of TREE's tag "base",
# the series file starting with the HEADER lines as comments.  With
# EXPORT_PREFIX (e.g. "PATCH net-next v3"), subjects carry it and are
# numbered; with EXPORT_COVER (a file: a subject line, a blank line, the
# text), DIR gets a cover letter too, which the series file does not list;
# with EXPORT_GROUPS (a file of "SUBJECT<tab>COMMENT" lines), the series
# file has COMMENT before the patch of that SUBJECT.  Prints
# series_hash DIR.
export_series() {
	local tree=$1 dir=$2 tmp p h opts=() subj
	local -A group=()
	shift 2
	[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes; commit them first"
	[ "$(git -C "$tree" rev-list --count base..HEAD)" -gt 0 ] ||
		die "no commits on top of the base in $tree"
	if [ -n "${EXPORT_PREFIX:-}" ]; then
		opts+=(--numbered "--subject-prefix=$EXPORT_PREFIX")
	else
		opts+=(--no-numbered)
	fi
	[ -z "${EXPORT_COVER:-}" ] || opts+=(--cover-letter)
	if [ -n "${EXPORT_GROUPS:-}" ]; then
		while IFS=$'\t' read -r subj h; do
			group[$subj]=$h
		done <"$EXPORT_GROUPS"
	fi
	tmp=$(mktemp -d)
	git -C "$tree" format-patch -q --no-signature --zero-commit "${opts[@]}" \
		--abbrev=12 -o "$tmp" base..HEAD
	[ -z "${EXPORT_COVER:-}" ] ||
		cover_letter "$tmp/0000-cover-letter.patch" "$EXPORT_COVER" \
			"$(git -C "$tree" log -1 --format=%aD)"
	{
		for h in "$@"; do
			echo "# $h"
		done
		for p in "$tmp"/[0-9]*.patch; do
			case $p in *-cover-letter.patch) continue ;; esac
			subj=$(git -C "$tree" mailinfo /dev/null /dev/null <"$p" |
			       sed -n 's/^Subject: //p')
			[ -z "${group[$subj]:-}" ] || printf '\n# %s\n' "${group[$subj]}"
			echo "${p##*/}"
		done
	} >"$tmp/series"
	rm -f "$dir"/*.patch "$dir/series"
	mkdir -p "$dir"
	cp "$tmp"/*.patch "$tmp/series" "$dir/"
	rm -rf "$tmp"
	series_hash "$dir"
}

# cover_letter FILE TEXT DATE: fill git format-patch's cover letter FILE
# with TEXT's subject (its first line) and blurb (the rest), dated DATE
cover_letter() {
	python3 - "$@" <<'PYEOF'
import sys
path, text, date = sys.argv[1:]
lines = open(text).read().rstrip("\n").split("\n")
subject, blurb = lines[0], "\n".join(lines[2:])
out = []
for line in open(path).read().split("\n"):
    if line.startswith("Date: "):
        line = "Date: " + date
    line = line.replace("*** SUBJECT HERE ***", subject)
    line = line.replace("*** BLURB HERE ***", blurb)
    out.append(line)
open(path, "w").write("\n".join(out))
PYEOF
}

# selftests_match DIR: whether DIR (a tree's tools/testing/selftests) has
# exactly the files of selftests/ in SELFTEST_TARGETS; prints the
# difference if not
selftests_match() {
	local t st=0

	for t in "${SELFTEST_TARGETS[@]}"; do
		diff -r "$ROOT/selftests/$t" "$1/$t" || st=1
	done
	return $st
}

# selftests_hash: hash of the files of selftests/
selftests_hash() {
	(cd "$ROOT/selftests" && find . -type f | LC_ALL=C sort | xargs sha256sum) |
		sha256sum | cut -d' ' -f1
}

# series_hash [DIR]: hash of DIR's (default $PATCHES) series file and the
# patches it lists (what prepare-tree.sh and iproute2.sh compare)
series_hash() {
	local dir=${1:-$PATCHES}
	(cat "$dir/series"; series_patches "$dir" | xargs cat) | sha256sum | cut -d' ' -f1
}
