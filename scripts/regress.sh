#!/bin/bash
# Upstream regression: fib_tests.sh, fib_nexthops.sh (see
# guest/regress.sh), forwarding/router_multipath.sh and
# forwarding/router_mpath_nh.sh from the kernel tree, on a kernel with the
# series in lowpower_mode 0 (its default), must give every TEST result the
# unpatched base gave (docs/regress-baseline.txt).  The kernel is built
# without debug options (the upstream tests run too long under KASAN and
# lockdep emulated; the project's own tests run on the debug kernel), the
# same kernel make demo boots; a splat on the console still fails the run.
# Also the answers of "ip route get" for 256 flows over legacy multipath
# routes and nexthop groups (scripts/guest/route-map.sh) must equal the
# base's, recorded in docs/regress-route-map.txt, with the feature's
# static key on in another namespace.
#
# usage: regress.sh [--base | --base-map]
#   --base      build and run the unpatched base instead, and record its
#               results and route map as the baseline
#   --base-map  the same, but record only the route map
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

base=0 maponly=()
case $# in
0) ;;
1) case $1 in
   --base) base=1 ;;
   --base-map) base=1 maponly=(--map-only) ;;
   *) die "unknown argument '$1' (usage: regress.sh [--base | --base-map])" ;;
   esac ;;
*) die "usage: regress.sh [--base | --base-map]" ;;
esac
baseline=$ROOT/docs/regress-baseline.txt
routemap=$ROOT/docs/regress-route-map.txt

if [ $base = 1 ]; then
	tree=$(base_tree) obj=$BUILD/obj-base out=$BUILD/vm-regress-base
else
	tree=$WORK obj=$BUILD/obj-plain out=$BUILD/vm-regress
	[ -f "$baseline" ] || die "$baseline missing; record it with regress.sh --base"
	[ -f "$routemap" ] || die "$routemap missing; record it with regress.sh --base"
fi

build_plain_kernel "$base" "$tree" "$obj"

log "staging $tree/tools/testing/selftests in $out/ksft"
rm -rf "$out/ksft"
mkdir -p "$out/ksft"
cp -a "$tree/tools/testing/selftests" "$out/ksft/"

vm_rc=0
KERNEL=$obj/arch/x86/boot/bzImage "$ROOT/scripts/vm-run.sh" -t 3600 -o "$out" -- \
	"$ROOT/scripts/guest/regress.sh" "$GUEST_OUT/ksft/selftests/net" \
	"$GUEST_OUT/route-map.txt" "${maponly[@]}" || vm_rc=$?
grep -E '^### ' "$out/output.log" | awk '
	/: start / { s[$2] = $4 } /: exit / { printf "%s exit %s, %d s\n", $2, $4, $5 - s[$2] }'

if [ ${#maponly[@]} = 0 ]; then
	# "script: TEST: description [ STATUS ]", whitespace squeezed
	sed -nE 's/^([a-z_]+): +TEST: +(.*[^ ]) +\[ *([A-Z]+) *\]$/\1: \2 [\3]/p' \
		"$out/output.log" | tr -s ' ' | sort >"$out/results.txt"
	[ -s "$out/results.txt" ] || die "no TEST results in $out/output.log"
fi

if [ $base = 1 ]; then
	if [ ${#maponly[@]} = 0 ]; then
		{
			echo "# TEST results of the upstream regression selftests on the"
			echo "# unpatched $BASE_PKG $BASE_VERSION, recorded by scripts/regress.sh --base"
			echo "# (kernel: $(grep -m1 -o 'guest-regress: [^,]*' "$out/output.log"))"
			cat "$out/results.txt"
		} >"$baseline"
		log "recorded $(wc -l <"$out/results.txt") results in $baseline"
	fi
	[ -s "$out/route-map.txt" ] || die "no route map in $out; see $out/output.log"
	{
		echo "# ip route get answers (kind, source port, device) on the unpatched"
		echo "# $BASE_PKG $BASE_VERSION, recorded by scripts/regress.sh --base"
		cat "$out/route-map.txt"
	} >"$routemap"
	log "recorded $(wc -l <"$out/route-map.txt") route answers in $routemap"
	[ "$vm_rc" = 0 ] || die "the VM run failed with status $vm_rc; logs in $out"
	exit 0
fi

grep -v '^#' "$baseline" | sort >"$out/baseline.txt"
same=$(comm -12 "$out/baseline.txt" "$out/results.txt" | wc -l)
missing=$(comm -23 "$out/baseline.txt" "$out/results.txt")
extra=$(comm -13 "$out/baseline.txt" "$out/results.txt")
failed=$(( $(grep -c . <<<"$missing" || true) + $(grep -c . <<<"$extra" || true) ))
[ -z "$missing" ] || { echo "results of the base not reproduced:"; printf '%s\n' "$missing" | sed 's/^/  /'; }
[ -z "$extra" ] || { echo "results the base did not have:"; printf '%s\n' "$extra" | sed 's/^/  /'; }
if [ "$vm_rc" != 0 ]; then
	echo "the VM run failed with status $vm_rc (124 timeout, 125 splat); logs in $out"
	failed=$((failed + 1))
fi
echo "regression: $same of $(wc -l <"$out/baseline.txt") baseline results reproduced"
# the route map: every answer as the base gave it
if [ -s "$out/route-map.txt" ]; then
	mapdiff=$(diff <(grep -v '^#' "$routemap") "$out/route-map.txt" | grep -c '^[<>]' || true)
	total=$(grep -vc '^#' "$routemap")
	if [ "$mapdiff" = 0 ]; then
		echo "route map: $total answers equal the base's"
		same=$((same + 1))
	else
		echo "route map: $mapdiff lines differ from the base's $total answers (diff $routemap $out/route-map.txt)"
		failed=$((failed + 1))
	fi
else
	echo "route map: no answers from the VM (see $out/output.log)"
	failed=$((failed + 1))
fi
echo "$same passed, $failed failed"
[ "$failed" = 0 ]
