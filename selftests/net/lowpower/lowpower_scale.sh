#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Reading the lowpower state of a large table: bounded, complete, and
# private to the namespace.
#
# Namespace A holds a table as a router running a routing daemon has it:
# LOWPOWER_SCALE_ROUTES (100000) routes, half of them IPv4 legacy
# multipath routes over two veth links to B with their gateways spread
# over LOWPOWER_SCALE_GWS (2048) addresses per link (so they share as
# many fib_infos), half of them IPv6 routes over LOWPOWER_SCALE_GROUPS
# (2048) nexthop groups of two members, one per link, over as many
# gateways.  Then:
#
# - an unprivileged user in A reads each link exactly once from
#   /proc/net/lowpower and from the lowpower netlink family's dump, and
#   each group's members from "ip -s nexthop";
# - an unprivileged user in namespace C reads nothing of A's through any
#   of the three;
# - C keeps reading /proc/net/lowpower and the family's dump while A's
#   links are deleted, which takes every route, nexthop and link state
#   with them, so the walks run over links being freed; C still sees
#   nothing, and A is left with no link.
#
# Run on the debug kernel, the VM's console check catches any RCU stall,
# soft lockup, KASAN or lockdep report the reads cause.  Prints the wall
# clock each step took.
#
# shellcheck disable=SC2317 # the tests are called through $ALL_TESTS

ALL_TESTS="
	big_table_own
	big_table_other_netns
	big_table_churn
"

lib_dir=$(dirname "$0")/..
# shellcheck source=lib.sh
source "$lib_dir/lib.sh"
# shellcheck source=lowpower_lib.sh
source "$(dirname "$0")/lowpower_lib.sh"

ROUTES=${LOWPOWER_SCALE_ROUTES:-100000}
GWS=${LOWPOWER_SCALE_GWS:-2048}
GROUPS_N=${LOWPOWER_SCALE_GROUPS:-2048}
# links: each IPv4 route's gateway pair (ceil(ROUTES / 2) routes over at
# most GWS pairs) and each group's two members (GROUPS_N over at most GWS)
V4=$(((ROUTES + 1) / 2))
LINKS=$((2 * (V4 < GWS ? V4 : GWS) + 2 * (GROUPS_N < GWS ? GROUPS_N : GWS)))
GRP_BASE=200000

cleanup()
{
	cleanup_all_ns
}

# timed DESC CMD...: run CMD, tell on stderr how long it took
timed()
{
	local desc=$1 t0 rc=0

	shift
	t0=$EPOCHREALTIME
	"$@" || rc=$?
	printf '# scale: %s: %.2f s\n' "$desc" \
		"$(bc <<<"$EPOCHREALTIME - $t0")" >&2
	return $rc
}

# the batch of groups and routes: IPv6 group GRP_BASE + j of members
# 2j + 1 (gateway j % GWS on a1) and 2j + 2 (on a2); ROUTES / 2 IPv4 /24s,
# the i-th over gateway i % GWS of each link, and as many IPv6 /64s, the
# i-th over group i % GROUPS
table_batch()
{
	awk -v n="$ROUTES" -v gws="$GWS" -v groups="$GROUPS_N" -v base="$GRP_BASE" 'BEGIN {
		for (j = 0; j < groups; j++) {
			g = j % gws
			printf "nexthop add id %d via fd01::1:%x dev a1\n", 2 * j + 1, g
			printf "nexthop add id %d via fd02::1:%x dev a2\n", 2 * j + 2, g
			printf "nexthop add id %d group %d/%d\n", base + j, 2 * j + 1, 2 * j + 2
		}
		for (i = 0; i < n / 2; i++) {
			g = i % gws
			printf "route add %d.%d.%d.0/24 nexthop via 10.1.%d.%d dev a1",
				16 + int(i / 65536), int(i / 256) % 256, i % 256,
				1 + int(g / 256), g % 256
			printf " nexthop via 10.2.%d.%d dev a2\n",
				1 + int(g / 256), g % 256
			printf "route add 2001:db8:%x:%x::/64 nhid %d\n",
				int(i / 65536), i % 65536, base + i % groups
		}
	}'
}

setup()
{
	setup_ns A B C || return 1
	lp_veth_links "$A" a "$B" b 2 "10.%d.0.1/16 fd0%d::1/64" || return 1
	# mode 1: the groups' and routes' weights are computed as well
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_mode=1
	timed "add $GROUPS_N nexthop groups and $ROUTES routes over $LINKS links" \
		ip -n "$A" -batch <(table_batch)
}

# proc_links NS: the links /proc/net/lowpower lists in NS, read by an
# unprivileged user
proc_links()
{
	ip netns exec "$1" "${LP_NOBODY[@]}" cat /proc/net/lowpower |
		awk 'NR > 1 { n++ } END { print n + 0 }'
}

# genl_links NS: the links the family's dump lists in NS, read by an
# unprivileged user
genl_links()
{
	ip netns exec "$1" "${LP_NOBODY[@]}" python3 "$LP_YNL" --spec "$LP_SPEC" \
		--no-schema --output-json --dump link-get | jq length
}

# groups_members NS: "groups members" that "ip -s nexthop" shows with
# lowpower state in NS, read by an unprivileged user
groups_members()
{
	ip netns exec "$1" "${LP_NOBODY[@]}" ip -s -j nexthop show |
		jq -r '[.[] | select(.lowpower)] |
			"\(length) \([.[].lowpower | length] | add // 0)"'
}

big_table_own()
{
	local n

	RET=0
	n=$(timed "proc: $LINKS links, unprivileged, in A" proc_links "$A")
	lp_expect_eq "links in A's /proc/net/lowpower" "$n" "$LINKS"
	n=$(timed "netlink dump: $LINKS links, unprivileged, in A" genl_links "$A")
	lp_expect_eq "links in A's netlink dump" "$n" "$LINKS"
	n=$(timed "ip -s nexthop: $GROUPS_N groups, unprivileged, in A" \
		groups_members "$A")
	lp_expect_eq "groups and members with lowpower state in A" "$n" \
		"$GROUPS_N $((2 * GROUPS_N))"
	log_test "$ROUTES routes: an unprivileged reader sees each link and member once"
}

big_table_other_netns()
{
	local n

	RET=0
	n=$(timed "proc: read in C" proc_links "$C")
	lp_expect_eq "links in C's /proc/net/lowpower" "$n" 0
	n=$(timed "netlink dump: read in C" genl_links "$C")
	lp_expect_eq "links in C's netlink dump" "$n" 0
	n=$(groups_members "$C")
	lp_expect_eq "groups with lowpower state in C" "$n" "0 0"
	log_test "$ROUTES routes: another namespace reads none of them"
}

big_table_churn()
{
	local reader seen n4 n6

	RET=0
	(
		while :; do
			echo "proc $(proc_links "$C")"
			echo "netlink $(genl_links "$C")"
		done
	) >"$tmp_dir/seen" 2>&1 &
	reader=$!
	# let the reader start before the links go
	sleep 2
	timed "delete A's links, with every route and nexthop over them, while C reads" \
		ip -n "$A" -batch - <<-EOF ||
			link del a1
			link del a2
		EOF
		ret_set_ksft_status "$ksft_fail" "cannot delete A's links"
	sleep 2
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	seen=$(grep -v -c -E '^(proc|netlink) 0$' "$tmp_dir/seen")
	lp_expect_eq "reads in C that saw links or failed during the churn" \
		"$seen" 0
	echo "# scale: C read $(grep -c . "$tmp_dir/seen") times during the deletes" >&2
	lp_expect_eq "links left in A" "$(proc_links "$A")" 0
	n4=$(ip -n "$A" route show | grep -c nexthop)
	n6=$(ip -n "$A" -6 route show | grep -c nhid)
	lp_expect_eq "routes left in A" "$n4 $n6" "0 0"
	log_test "deleting the links of $ROUTES routes while another namespace reads"
}

if [ ! -e /proc/sys/net/ipv4/lowpower_mode ]; then
	echo "SKIP: kernel without CONFIG_IP_ROUTE_LOWPOWER"
	exit "$ksft_skip"
fi
for cmd in ip jq bc python3 setpriv; do
	if ! command -v "$cmd" >/dev/null; then
		echo "SKIP: $cmd not installed"
		exit "$ksft_skip"
	fi
done
if ! lp_ynl_usable; then
	echo "SKIP: YNL's client ($LP_YNL) or the spec ($LP_SPEC) missing, or python3-yaml"
	exit "$ksft_skip"
fi
for v in ROUTES GWS GROUPS_N; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]] || [ "${!v}" -gt 1000000 ]; then
		echo "FAIL: LOWPOWER_SCALE_${v%_N} must be 1..1000000, got '${!v}'"
		exit "$ksft_fail"
	fi
done
if [ "$GWS" -gt 65000 ]; then
	echo "FAIL: LOWPOWER_SCALE_GWS must be at most 65000, got $GWS"
	exit "$ksft_fail"
fi

tmp_dir=$(mktemp -d)
trap 'cleanup; rm -rf "$tmp_dir"' EXIT
if ! setup; then
	echo "FAIL: cannot build the testbed"
	exit "$ksft_fail"
fi
for t in $ALL_TESTS; do
	$t
done
exit "$EXIT_STATUS"
