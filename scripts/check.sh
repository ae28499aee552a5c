#!/bin/bash
# Fast lint of the series and the scripts: series matches patches/, every
# patch is checkpatch.pl --strict clean and applies to the base with zero
# fuzz and zero offset, shellcheck on scripts and selftests.  Prints one
# line per check and "N passed, N failed"; exit status 1 on any failure.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

pass=0 fail=0
result() { # result NAME STATUS [DETAILS]
	if [ "$2" = 0 ]; then
		printf 'CHECK: %-64s [ OK ]\n' "$1"
		pass=$((pass + 1))
	else
		printf 'CHECK: %-64s [FAIL]\n' "$1"
		[ -z "${3:-}" ] || printf '%s\n' "$3" | sed 's/^/\t/'
		fail=$((fail + 1))
	fi
}

src=$("$ROOT/scripts/get-source.sh")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# series_lint DIR PREFIX [CHECKPATCH_OPTION]: DIR's series lists exactly
# its patch files, and each is checkpatch.pl --strict clean (with Debian's
# python3 for its helpers: spdxcheck needs ply); PREFIX names the series
# in the results
series_lint() {
	local dir=$1 prefix=$2 listed present diff p msg st

	shift 2
	listed=$(series_patches "$dir" | sed 's|.*/||' | sort)
	present=$(cd "$dir" && find . -maxdepth 1 -name '*.patch' | sed 's|^\./||' | sort)
	st=0
	diff=$(diff <(echo "$listed") <(echo "$present")) || st=1
	result "${prefix}series lists exactly the files in ${dir#"$ROOT/"}/" $st "$diff"
	while IFS= read -r p; do
		st=0
		msg=$(cd "$src" && PATH=/usr/bin:/bin:$PATH ./scripts/checkpatch.pl --strict -q "$@" "$p" 2>&1) || st=1
		result "checkpatch --strict $prefix${p##*/}" $st "$msg"
	done < <(series_patches "$dir")
}

series_lint "$PATCHES" ""

# zero fuzz, zero offset against the base: apply to copies of the files
# the series touches
mkdir -p "$tmp/tree"
while IFS= read -r f; do
	[ "$f" != /dev/null ] || continue
	if [ -f "$src/$f" ]; then
		mkdir -p "$tmp/tree/$(dirname "$f")"
		cp "$src/$f" "$tmp/tree/$f"
	fi
done < <(series_patches | xargs sed -n 's|^--- a/||p' | sort -u)
st=0
msg=$(STRICT=1 "$ROOT/scripts/apply-series.sh" "$tmp/tree" 2>&1) || st=1
result "series applies to $BASE_PKG with zero fuzz and offset" $st "$msg"

# the iproute2 series: the same lint, and zero fuzz and offset against
# Debian's iproute2 source
series_lint "$IP2_PATCHES" "iproute2 " --no-tree
st=0
msg=$(ip2=$(IP2_TREE_ONLY=1 "$ROOT/scripts/iproute2.sh") &&
	rm -rf "$tmp/ip2" && cp -a "$ip2" "$tmp/ip2" && git -C "$tmp/ip2" checkout -q base &&
	PATCHES=$IP2_PATCHES STRICT=1 "$ROOT/scripts/apply-series.sh" "$tmp/ip2" 2>&1) || st=1
result "iproute2 series applies to Debian's iproute2 with zero fuzz and offset" $st "$msg"

# shell scripts: shellcheck clean
command -v shellcheck >/dev/null || die "shellcheck not found (make deps)"
while IFS= read -r f; do
	st=0
	msg=$(cd "$ROOT" && shellcheck -x -P "$src/tools/testing/selftests/net" "$f" 2>&1) || st=1
	result "shellcheck $f" $st "$msg"
done < <(cd "$ROOT" && { ls scripts/*.sh .ci/run; find selftests -name '*.sh' | sort; })

echo "$pass passed, $fail failed"
[ $fail = 0 ]
