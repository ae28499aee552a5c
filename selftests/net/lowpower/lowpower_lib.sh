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

# lp_veth_links NS1 P1 NS2 P2 N ADDRS1 [ADDRS2]: N veth links, P1<i> in
# NS1 to P2<i> in NS2 (i = 1..N), up; ADDRS1 and ADDRS2 are the addresses
# of each end, printf formats of i separated by spaces ("10.0.%d.1/24
# fd00:%d::1/64"); IPv6 ones skip duplicate address detection
lp_veth_links()
{
	local ns1=$1 p1=$2 ns2=$3 p2=$4 n=$5 a1=$6 a2=${7:-} i

	for ((i = 1; i <= n; i++)); do
		ip -n "$ns1" link add "$p1$i" type veth peer name "$p2$i" \
			netns "$ns2" &&
		lp_addrs "$ns1" "$p1$i" "$i" "$a1" &&
		lp_addrs "$ns2" "$p2$i" "$i" "$a2" &&
		ip -n "$ns1" link set "$p1$i" up &&
		ip -n "$ns2" link set "$p2$i" up || return 1
	done
}

# lp_addrs NS DEV I FORMATS: add each address of FORMATS (printf formats
# of I) to DEV
lp_addrs()
{
	local f a nodad

	for f in $4; do
		# shellcheck disable=SC2059 # the formats are the caller's
		a=$(printf "$f" "$3")
		nodad=()
		[[ $a != *:* ]] || nodad=(nodad)
		ip -n "$1" addr add "$a" dev "$2" "${nodad[@]}" || return 1
	done
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

# The netem ECMP testbed of net/lowpower_jitter (and of demos built on it):
# paths from a client (or router) namespace to a server namespace, veth
# pairs over 10.0.<i>.0/24 (the sender's end .1, the server's .2), the
# services on the server's loopback, delays set with netem on the
# sender's side, paced TCP connections feeding the kernel's RTT signal
# and lowpower_probe measuring new flows.

# the traffic helper, and lowpower_probe (set LP_RTT_PROBE before
# lp_background)
LP_FLOWS=(python3 "$(dirname "${BASH_SOURCE[0]}")/lowpower_flows.py")
LP_RTT_PROBE=${LP_RTT_PROBE:-}
LP_BULK_PORT=5001

# lp_paths NS P S N ADDR...: N paths, P1..PN in NS to s1..sN in S; the
# ADDRs (/32) on S's loopback
lp_paths()
{
	local ns=$1 p=$2 s=$3 n=$4 a

	shift 4
	lp_veth_links "$ns" "$p" "$s" s "$n" 10.0.%d.1/24 10.0.%d.2/24 &&
	ip -n "$s" link set lo up || return 1
	for a in "$@"; do
		ip -n "$s" addr add "$a/32" dev lo || return 1
	done
}

# lp_netem NS DEV DELAY_MS [JITTER_MS]: DEV sends with DELAY_MS of delay,
# +- JITTER_MS if given and not 0
lp_netem()
{
	local j=()

	[ "${4:-0}" = 0 ] || j=("$4ms")
	tc -n "$1" qdisc replace dev "$2" root netem delay "$3ms" "${j[@]}" \
		limit 100000
}

# lp_background NS S SVC PORT CONNECTIONS RATE [CMD...]: on S, the probe's
# server on PORT and a TCP sink; from NS (through CMD, e.g. taskset, if
# given), CONNECTIONS paced TCP connections of RATE B/s to SVC.  Their
# pid is LP_BULK.
lp_background()
{
	local ns=$1 s=$2 svc=$3 port=$4 conns=$5 rate=$6

	shift 6
	ip netns exec "$s" "$LP_RTT_PROBE" --server -4 "$port" &
	ip netns exec "$s" "${LP_FLOWS[@]}" bulk-sink 4 "$LP_BULK_PORT" &
	sleep 1
	ip netns exec "$ns" "$@" "${LP_FLOWS[@]}" bulk 4 "$svc" "$LP_BULK_PORT" \
		--connections "$conns" --rate "$rate" >/dev/null &
	# shellcheck disable=SC2034 # for the scripts that source this
	LP_BULK=$!
	sleep 5
}

# lp_new_flows NS DST PORT BASE N DEV...: for each DEV, how many of N new
# UDP flows to DST:PORT (source ports BASE..BASE+N-1) "ip route get" maps
# to it, space-separated.  A lookup marks its bucket used: sample other
# ports next time, or lowpower_flow_idle_ms apart.
lp_new_flows()
{
	local ns=$1 dst=$2 port=$3 base=$4 n=$5 p routes d out=""

	shift 5
	routes=$(for ((p = base; p < base + n; p++)); do
			 echo "route get $dst ipproto udp sport $p dport $port"
		 done | ip -n "$ns" -batch -) || return 1
	for d in "$@"; do
		out+="$(grep -c " dev $d " <<<"$routes" || true) "
	done
	echo "${out% }"
}

# lp_router_testbed H R S SVC PORT KIND DELAY_MS JITTER_MS: H -- R == S.
# R forwards H's traffic to SVC over path A (r1-s1, DELAY_MS) and path B
# (r2-s2, DELAY_MS +- JITTER_MS) in mode 0, over a KIND route (lp_route,
# ids 10..); S answers over path A.  Background TCP from H through R
# (lp_background): no connection ends on R, so R takes no RTT sample of
# its own.
lp_router_testbed()
{
	local h=$1 r=$2 s=$3 svc=$4 port=$5 kind=$6 delay=$7 jitter=$8

	lp_veth_links "$h" h "$r" lan 1 10.0.0.1/24 10.0.0.2/24 &&
	ip -n "$h" route add default via 10.0.0.2 &&
	lp_paths "$r" r "$s" 2 "$svc" &&
	ip -n "$s" route add 10.0.0.0/24 via 10.0.1.1 &&
	lp_route "$r" 4 "$svc/32" "$kind" 10 "10.0.1.2 r1 1" "10.0.2.2 r2 1" &&
	ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.lowpower_mode=0 &&
	lp_netem "$r" r1 "$delay" &&
	lp_netem "$r" r2 "$delay" "$jitter" || return 1
	lp_background "$h" "$s" "$svc" "$port" 12 20000
}
