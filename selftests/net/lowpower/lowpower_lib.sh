# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by the lowpower selftests (net/lowpower and
# net/lowpower_jitter).  Source after net/lib.sh.

# The kinds of multipath route the tests run on: legacy multipath routes
# ("nexthop via ... nexthop via ..."), and routes over nexthop objects
# (what routing daemons such as FRR install): a hash-threshold group
# ("group") or a resilient group ("resilient").
LP_ROUTE_KINDS="legacy group resilient"

# lp_route NS FAMILY PREFIX KIND ID "GW DEV WEIGHT"...: make (or replace)
# a multipath route to PREFIX in NS, one nexthop per "GW DEV WEIGHT".  For
# the group kinds the nexthops get ids ID+1, ID+2, ... (at most 49) and
# the group ID (hash-threshold) or ID+50 (resilient: a group cannot be
# replaced by one of another type); a resilient group has 512 buckets, an
# idle timer of 1 s and no unbalanced timer.
lp_route()
{
	local ns=$1 f=$2 prefix=$3 kind=$4 id=$5 base=$5 i=0 gw dev w p grp=""
	local -a nhs=() type=()

	shift 5
	case $kind in
	legacy)
		for p in "$@"; do
			read -r gw dev w <<<"$p"
			nhs+=(nexthop via "$gw" dev "$dev" weight "$w")
		done
		ip -n "$ns" -"$f" route replace "$prefix" "${nhs[@]}"
		return
		;;
	group) type=(type mpath) ;;
	resilient)
		type=(type resilient buckets 512 idle_timer 1 unbalanced_timer 0)
		id=$((id + 50))
		;;
	*)
		echo "lp_route: unknown route kind '$kind'" >&2
		return 1
		;;
	esac
	for p in "$@"; do
		i=$((i + 1))
		read -r gw dev w <<<"$p"
		ip -n "$ns" nexthop replace id $((base + i)) via "$gw" dev "$dev" ||
			return 1
		grp+="${grp:+/}$((base + i)),$w"
	done
	ip -n "$ns" nexthop replace id "$id" group "$grp" "${type[@]}" ||
		return 1
	ip -n "$ns" -"$f" route replace "$prefix" nhid "$id"
}

# lp_route_kinds_check KIND...: fail with a message unless every KIND is
# one lp_route knows
lp_route_kinds_check()
{
	local k

	for k in "$@"; do
		case " $LP_ROUTE_KINDS " in
		*" $k "*) ;;
		*)
			echo "unknown route kind '$k' (want one of: $LP_ROUTE_KINDS)" >&2
			return 1
			;;
		esac
	done
}

# lp_expect_eq DESC GOT WANT: fail the current test unless GOT is WANT
# shellcheck disable=SC2154 # ksft_fail comes from net/lib.sh
lp_expect_eq()
{
	[ "$2" = "$3" ] || ret_set_ksft_status "$ksft_fail" "$1: got '$2', want '$3'"
}

# LP_NOBODY CMD...: run CMD as user nobody without any capability
# shellcheck disable=SC2034 # for the scripts that source this
LP_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
	--bounding-set=-all)

# The kernel tree the selftests run from (tools/testing/selftests/net/*):
# YNL's command-line client and the lowpower netlink spec.
LP_KTREE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../../.." && pwd)
LP_YNL=$LP_KTREE/tools/net/ynl/cli.py
LP_SPEC=$LP_KTREE/Documentation/netlink/specs/lowpower.yaml
# the path prober: $LOWPOWER_PROBER, or lowpower-prober from PATH
# shellcheck disable=SC2034 # for the scripts that source this
LP_PROBER=${LOWPOWER_PROBER:-$(command -v lowpower-prober || true)}

# lp_ynl NS ARGS...: talk to the lowpower netlink family from NS with
# YNL's client (JSON output); on a netlink error it prints the error and
# the kernel's extack, and fails
lp_ynl()
{
	local ns=$1

	shift
	ip netns exec "$ns" python3 "$LP_YNL" --spec "$LP_SPEC" --no-schema \
		--output-json "$@"
}

# lp_ynl_usable: whether YNL's client and the spec are there
lp_ynl_usable()
{
	[ -f "$LP_YNL" ] && [ -f "$LP_SPEC" ] && python3 -c 'import yaml' 2>/dev/null
}

# lp_ip4_int ADDR: an IPv4 address as the number YNL takes for a
# big-endian u32 attribute
lp_ip4_int()
{
	local a b c d

	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# lp_link NS DEV GATEWAY: the link through DEV and GATEWAY, from a dump of
# NS's links, as a JSON object; empty if there is no such link
lp_link()
{
	local ifindex

	ifindex=$(ip netns exec "$1" cat "/sys/class/net/$2/ifindex") || return 1
	lp_ynl "$1" --dump link-get |
		jq -c --argjson i "$ifindex" --arg gw "$3" \
			'.[] | select(.ifindex == $i and
				((.["gateway-ipv4"] // .["gateway-ipv6"]) == $gw))'
}

# lp_field LINK FIELD...: the FIELDs of a link from lp_link, one per line
# (0 for an absent counter)
lp_field()
{
	local link=$1 f

	shift
	for f in "$@"; do
		jq -r --arg f "$f" '.[$f] // 0' <<<"$link"
	done
}
