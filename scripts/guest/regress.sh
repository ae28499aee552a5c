#!/bin/bash
# Inside the regression VM: run the upstream selftests one after the other
# from a staged (writable) copy of tools/testing/selftests/net, each line
# of their output prefixed with the script's name.
#
# usage: guest/regress.sh NET_SELFTESTS_DIR ROUTE_MAP_OUT [--map-only]
# (ROUTE_MAP_OUT: where guest/route-map.sh writes its answers;
# --map-only: only those, none of the upstream selftests)
set -euo pipefail

case $# in
2) only= ;;
3) [ "$3" = --map-only ] || { echo "${0##*/}: unknown argument '$3'" >&2; exit 2; }
   only=map ;;
*) echo "usage: ${0##*/} NET_SELFTESTS_DIR ROUTE_MAP_OUT [--map-only]" >&2; exit 2 ;;
esac
map=$(cd "$(dirname "$0")" && pwd)/route-map.sh
cd "$1"

# fib_nexthops.sh runs well past 10 minutes in full under emulation: all
# but the large-group, resilient-group and torture tests (the torture
# tests alone run 5 minutes each)
NH_TESTS="basic ipv4_fcnal ipv4_grp_fcnal ipv4_withv6_fcnal ipv4_fcnal_runtime
	  ipv4_compat_mode ipv4_fdb_grp_fcnal ipv6_fcnal ipv6_grp_fcnal
	  ipv6_fcnal_runtime ipv6_compat_mode ipv6_fdb_grp_fcnal"

# run NAME DIR CMD...: run CMD in DIR with a time limit, prefix its output
run()
{
	local name=$1 dir=$2 rc=0

	shift 2
	echo "### $name: start $(date +%s)"
	(cd "$dir" && timeout -k 10 1500 "$@") 2>&1 | sed -u "s|^|$name: |" || rc=$?
	echo "### $name: exit $rc $(date +%s)"
}

echo "guest-regress: $(uname -r), lowpower_mode $(cat /proc/sys/net/ipv4/lowpower_mode 2>/dev/null || echo absent)"
run route_map . "$map" "$2"
[ -z "$only" ] || exit 0
run fib_tests . ./fib_tests.sh
run fib_nexthops . ./fib_nexthops.sh -t "${NH_TESTS//[[:space:]]/ }"
run router_multipath forwarding ./router_multipath.sh
run router_mpath_nh forwarding ./router_mpath_nh.sh
