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

# series <-> patches/
listed=$(series_patches | sed 's|.*/||' | sort)
present=$(cd "$PATCHES" && find . -maxdepth 1 -name '*.patch' | sed 's|^\./||' | sort)
st=0
diff=$(diff <(echo "$listed") <(echo "$present")) || st=1
result "series lists exactly the files in patches/" $st "$diff"

# checkpatch, with Debian's python3 for its helpers (spdxcheck needs ply)
while IFS= read -r p; do
	st=0
	msg=$(cd "$src" && PATH=/usr/bin:/bin:$PATH ./scripts/checkpatch.pl --strict -q "$p" 2>&1) || st=1
	result "checkpatch --strict ${p##*/}" $st "$msg"
done < <(series_patches)

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

# the iproute2 series: series matches patches/iproute2/, checkpatch
# --strict, zero fuzz and offset against Debian's iproute2 source
listed=$(ip2_series_patches | sed 's|.*/||' | sort)
present=$(cd "$IP2_PATCHES" && find . -maxdepth 1 -name '*.patch' | sed 's|^\./||' | sort)
st=0
diff=$(diff <(echo "$listed") <(echo "$present")) || st=1
result "iproute2 series lists exactly the files in patches/iproute2/" $st "$diff"
while IFS= read -r p; do
	st=0
	msg=$(cd "$src" && PATH=/usr/bin:/bin:$PATH ./scripts/checkpatch.pl --strict -q --no-tree "$p" 2>&1) || st=1
	result "checkpatch --strict iproute2/${p##*/}" $st "$msg"
done < <(ip2_series_patches)
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
