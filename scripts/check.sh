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
	present=$(cd "$dir" && find . -maxdepth 1 -name '*.patch' ! -name '*-cover-letter.patch' |
		  sed 's|^\./||' | sort)
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
st=0
msg=$(selftests_match "$tmp/tree/tools/testing/selftests" 2>&1) || st=1
result "selftests/ is the series' ${SELFTEST_TARGETS[*]}" $st "$msg"

# the submission form: a cover letter, "[PATCH net-next vN NN/MM]
# subsystem: summary" subjects, the series file grouped in comments, a
# .kunitconfig, and no symbol exported to modules that only KUnit tests use
mapfile -t pl < <(series_patches)
n=${#pl[@]}
want_prefix="PATCH net-next v$SERIES_VERSION"
cover=$(find "$PATCHES" -maxdepth 1 -name '*-cover-letter.patch')
st=0 msg=""
if [ -z "$cover" ]; then
	st=1 msg="no cover letter in patches/"
elif ! grep -q "^Subject: \[$want_prefix 0*0/$n\] [a-z0-9/_-]*: " "$cover" ||
     grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover"; then
	st=1 msg="$(grep -m1 '^Subject:' "$cover"): want [$want_prefix 00/$n] and a filled-in blurb"
fi
result "cover letter, [$want_prefix 00/$n], filled in" $st "$msg"
st=0 msg=""
i=0
for p in "${pl[@]}"; do
	i=$((i + 1))
	subj=$(sed -n '/^Subject: /{N;s/\n / /;s/^Subject: //p;q}' "$p")
	[[ $subj =~ ^\[$want_prefix\ 0*$i/$n\]\ [a-z0-9/_-]+:\ [a-z] ]] ||
		{ st=1; msg+="${p##*/}: $subj"$'\n'; }
done
result "subjects: [$want_prefix NN/$n] subsystem: summary" $st "${msg%$'\n'}"
st=0
# (the leading comment lines are the file's header, not a group)
awk '!body && /^#/ { next } { body = 1 } /^#/ { g = 1 } /^$/ { g = 0 }
	/^[^#]/ && NF && !g { bad = 1; print "not under a group comment: " $0 }
	END { exit bad }' "$PATCHES/series" >"$tmp/groups" || st=1
result "series file: every patch under a group comment" $st "$(cat "$tmp/groups")"
st=0
grep -q '^+++ b/.*\.kunitconfig$' "${pl[@]}" || st=1
result "the series adds a .kunitconfig for its KUnit suites" $st
st=0 msg=""
while read -r sym; do
	# (a later patch may have dropped the export again)
	def=$(grep -rlw --include='*.c' "EXPORT_SYMBOL_GPL($sym)" "$tmp/tree" || true)
	[ -n "$def" ] || continue
	users=$(grep -rlw --include='*.c' "$sym" "$tmp/tree" |
		grep -v -e "^$def\$" -e '_test\.c$' || true)
	# a header that names it more than once (declaration and an inline
	# function's body) hands it to every includer
	inl=$(grep -rhow --include='*.h' "$sym" "$tmp/tree" | wc -l)
	if [ -z "$users" ] && [ "$inl" -le 1 ]; then
		st=1 msg+="$sym is exported to modules but only KUnit tests use it (EXPORT_SYMBOL_IF_KUNIT)"$'\n'
	fi
done < <(cat "${pl[@]}" | sed -n 's/^+EXPORT_SYMBOL_GPL(\([a-z0-9_]*\));/\1/p' | sort -u)
result "no test-only symbol exported to modules" $st "${msg%$'\n'}"

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
	msg=$(cd "$ROOT" && shellcheck -x -P "SCRIPTDIR:$src/tools/testing/selftests/net" "$f" 2>&1) || st=1
	result "shellcheck $f" $st "$msg"
done < <(cd "$ROOT" && { ls scripts/*.sh scripts/guest/*.sh .ci/run; find selftests -name '*.sh' | sort; })

echo "$pass passed, $fail failed"
[ $fail = 0 ]
