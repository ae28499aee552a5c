#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lowpower generic netlink family (Documentation/netlink/specs/
# lowpower.yaml), through YNL's client, and lowpower-prober on top of it:
#
# - a dump lists each link once, however many routes and groups send
#   through it, with its counters;
# - one link by device and gateway; an unknown one is refused (ENOENT and
#   an extack message);
# - RTT samples and lost probes fed in are counted, and their jitter is
#   the link's (mode 2);
# - bad requests are refused with an extack message and count nothing;
# - feeding needs CAP_NET_ADMIN; a namespace sees only its own links;
# - the prober probes every nexthop of a route and of a group and feeds
#   them, and refuses bad input with a message and a non-zero status;
# - "ip -s nexthop" (an iproute2 with lowpower support) shows
#   the lowpower state of a group's members: the link metrics the family
#   reports and the effective weights, only with the dump flag and only
#   for groups; any user may read them;
# - the tracepoint lowpower:lowpower_weight reports the weight changes
#   that switching to mode 1 makes, with the namespace, device, gateway
#   and a reason that agrees with the new weight.
#
# shellcheck disable=SC2317 # the tests are called through $ALL_TESTS

ALL_TESTS="
	dump_links
	get_link
	probe_feed
	probe_bad
	unprivileged
	netns_isolation
	prober_feeds
	prober_bad_input
	nexthop_flag
	nexthop_metrics
	weight_trace
"

lib_dir=$(dirname "$0")/..
# shellcheck source=lib.sh
source "$lib_dir/lib.sh"
# shellcheck source=lowpower_lib.sh
source "$(dirname "$0")/lowpower_lib.sh"

SVC4=198.51.100.1
SVC6=2001:db8::1
GRP4=198.51.100.2

cleanup()
{
	cleanup_all_ns
}

# two links from A to B (a1-b1, a2-b2), IPv4 and IPv6; a legacy multipath
# route to SVC4 and to SVC6 and a route to GRP4 over a nexthop group, all
# through the same two gateways of each family
setup()
{
	setup_ns A B C || return 1
	lp_veth_links "$A" a "$B" b 2 "10.0.%d.1/24 fd00:%d::1/64" \
		"10.0.%d.2/24 fd00:%d::2/64" || return 1
	ip -n "$B" link set lo up
	ip -n "$B" addr add "$SVC4/32" dev lo
	ip -n "$B" addr add "$GRP4/32" dev lo
	ip -n "$B" addr add "$SVC6/128" dev lo nodad
	lp_route "$A" 4 "$SVC4/32" legacy 0 "10.0.1.2 a1 1" "10.0.2.2 a2 1" &&
	lp_route "$A" 6 "$SVC6/128" legacy 0 "fd00:1::2 a1 1" "fd00:2::2 a2 1" &&
	lp_route "$A" 4 "$GRP4/32" group 10 "10.0.1.2 a1 1" "10.0.2.2 a2 1" &&
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_mode=2
}

# ifindex NS DEV
ifindex()
{
	ip netns exec "$1" cat "/sys/class/net/$2/ifindex"
}

# probe_json DEV GW4 EXTRA: a link-probe request for the link through DEV
# (in A) and IPv4 gateway GW4, with EXTRA attributes ('"lost": 1')
probe_json()
{
	printf '{"ifindex": %s, "gateway-ipv4": %s%s}' "$(ifindex "$A" "$1")" \
		"$(lp_ip4_int "$2")" "${3:+, $3}"
}

dump_links()
{
	local n links

	RET=0
	ip netns exec "$A" ping -q -c 2 -i 0.2 "$SVC4" >/dev/null
	links=$(lp_ynl "$A" --dump link-get) ||
		ret_set_ksft_status "$ksft_fail" "the dump failed: $links"
	n=$(jq length <<<"$links")
	[ "$n" = 4 ] ||
		ret_set_ksft_status "$ksft_fail" \
			"$n links, want 4 (2 gateways x 2 families, shared by 3 routes)"
	n=$(jq '[.[] | select(.["tx-packets"] != null and .load != null and
			      .jitter != null and .["probe-samples"] != null)]
		| length' <<<"$links")
	[ "$n" = 4 ] ||
		ret_set_ksft_status "$ksft_fail" "$n of 4 links have all counters"
	n=$(jq '[.[] | .["tx-packets"]] | add' <<<"$links")
	[ "${n:-0}" -ge 2 ] ||
		ret_set_ksft_status "$ksft_fail" "the pings were not counted ($n packets)"
	log_test "dump: each link once, shared by the routes and the group, with counters"
}

get_link()
{
	local out

	RET=0
	out=$(lp_ynl "$A" --do link-get --json "$(probe_json a2 10.0.2.2)")
	if [ "$(jq -r '.["gateway-ipv4"]' <<<"$out")" != 10.0.2.2 ] ||
	   [ "$(jq -r .ifindex <<<"$out")" != "$(ifindex "$A" a2)" ]; then
		ret_set_ksft_status "$ksft_fail" "link a2 via 10.0.2.2: $out"
	fi
	out=$(lp_ynl "$A" --do link-get --json "$(probe_json a2 10.0.1.2)" 2>&1) &&
		ret_set_ksft_status "$ksft_fail" "a2 via 10.0.1.2 found: $out"
	grep -q "No such file.*No multipath nexthop sends through this device and gateway" \
		<<<"$(tr '\n' ' ' <<<"$out")" ||
		ret_set_ksft_status "$ksft_fail" "a2 via 10.0.1.2: $out"
	log_test "get: one link by device and gateway; an unknown one is ENOENT with a message"
}

probe_feed()
{
	local s0 l0 j0 s1 l1 j1 jitter link msg

	RET=0
	# the samples must not age out while the slow client runs
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_jitter_age_ms=600000
	{ read -r s0; read -r l0; read -r j0; } < <(lp_field \
		"$(lp_link "$A" a1 10.0.1.2)" probe-samples probe-lost jitter-samples)
	# jitter 0 and 1024 (10 ms off a 10 ms srtt); 3 losses at the cap
	# (2048): a mean of (0 + 1024 + 3 x 2048) / 5
	if ! lp_ynl "$A" --do link-probe --json "$(probe_json a1 10.0.1.2 \
		'"srtt-us": 10000, "rtt-us": [10000, 20000], "lost": 3')" \
		>/dev/null; then
		ret_set_ksft_status "$ksft_fail" "feeding failed"
	fi
	sleep 0.2
	link=$(lp_link "$A" a1 10.0.1.2)
	{ read -r s1; read -r l1; read -r j1; read -r jitter; } < <(lp_field \
		"$link" probe-samples probe-lost jitter-samples jitter)
	[ "$((s1 - s0)):$((l1 - l0)):$((j1 - j0))" = 2:3:5 ] || {
		msg="probe samples +$((s1 - s0)) (want 2), lost +$((l1 - l0)) (3),"
		msg+=" jitter samples +$((j1 - j0)) (5)"
		ret_set_ksft_status "$ksft_fail" "$msg"
	}
	[ "$jitter" = 1433 ] ||
		ret_set_ksft_status "$ksft_fail" "link jitter $jitter, want 1433: $link"
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_jitter_age_ms=3000
	msg="probe: 2 samples and 3 losses counted; the link's jitter is their"
	msg+=" mean ($jitter/1024)"
	log_test "$msg"
}

# bad_request DESC REQUEST PATTERN: a link-probe REQUEST fails with PATTERN
# in the error
bad_request()
{
	local out

	out=$(lp_ynl "$A" --do link-probe --json "$2" 2>&1) &&
		ret_set_ksft_status "$ksft_fail" "$1: accepted"
	grep -q -- "$3" <<<"$(tr '\n' ' ' <<<"$out")" ||
		ret_set_ksft_status "$ksft_fail" "$1: no '$3' in: $out"
}

probe_bad()
{
	local before after gw rtts msg

	RET=0
	before=$(lp_field "$(lp_link "$A" a1 10.0.1.2)" probe-samples probe-lost jitter-samples)
	gw=$(lp_ip4_int 10.0.1.2)
	bad_request "RTT over 60 s" \
		"$(probe_json a1 10.0.1.2 '"srtt-us": 1000, "rtt-us": [1000, 60000001]')" \
		"integer out of range"
	bad_request "srtt 0" "$(probe_json a1 10.0.1.2 '"srtt-us": 0, "rtt-us": [1000]')" \
		"integer out of range"
	bad_request "1025 lost" "$(probe_json a1 10.0.1.2 '"lost": 1025')" \
		"integer out of range"
	rtts=$(seq -s , 1025 | sed 's/[0-9]\+/1000/g')
	bad_request "1025 samples" \
		"$(probe_json a1 10.0.1.2 "\"srtt-us\": 1000, \"rtt-us\": [$rtts]")" \
		"More RTT samples than one message may carry"
	bad_request "samples without srtt" "$(probe_json a1 10.0.1.2 '"rtt-us": [1000]')" \
		"Invalid argument"
	bad_request "nothing to feed" "$(probe_json a1 10.0.1.2)" \
		"No RTT sample and no lost probe"
	bad_request "two gateways" \
		"$(probe_json a1 10.0.1.2 \
			'"gateway-ipv6": "fd000001000000000000000000000002", "lost": 1')" \
		"A link has one gateway"
	bad_request "unknown link" "$(probe_json a1 10.0.2.2 '"lost": 1')" \
		"No multipath nexthop sends through this device and gateway"
	bad_request "no device" "{\"gateway-ipv4\": $gw, \"lost\": 1}" "Invalid argument"
	bad_request "ifindex 0" "{\"ifindex\": 0, \"gateway-ipv4\": $gw, \"lost\": 1}" \
		"integer out of range"
	after=$(lp_field "$(lp_link "$A" a1 10.0.1.2)" probe-samples probe-lost jitter-samples)
	[ "$after" = "$before" ] || {
		msg="bad requests counted: probe samples, lost, jitter samples"
		msg+=" ${before//$'\n'/ } -> ${after//$'\n'/ }"
		ret_set_ksft_status "$ksft_fail" "$msg"
	}
	log_test "probe: bad requests are refused with a message and count nothing"
}

unprivileged()
{
	local out before after

	RET=0
	before=$(lp_field "$(lp_link "$A" a1 10.0.1.2)" probe-samples probe-lost)
	out=$(ip netns exec "$A" "${LP_NOBODY[@]}" python3 "$LP_YNL" --spec "$LP_SPEC" \
		--no-schema --do link-probe \
		--json "$(probe_json a1 10.0.1.2 '"lost": 1')" 2>&1) &&
		ret_set_ksft_status "$ksft_fail" "an unprivileged user fed a sample"
	grep -q "Operation not permitted" <<<"$out" ||
		ret_set_ksft_status "$ksft_fail" "unprivileged feed: $out"
	out=$(ip netns exec "$A" "${LP_NOBODY[@]}" python3 "$LP_YNL" --spec "$LP_SPEC" \
		--no-schema --output-json --dump link-get 2>&1)
	[ "$(jq length <<<"$out" 2>/dev/null)" = 4 ] ||
		ret_set_ksft_status "$ksft_fail" "an unprivileged user cannot read: $out"
	out=$(ip netns exec "$A" "${LP_NOBODY[@]}" "$LP_PROBER" -r "$SVC4" -c 1 2>&1) &&
		ret_set_ksft_status "$ksft_fail" "the prober ran unprivileged"
	grep -q "CAP_NET_ADMIN" <<<"$out" ||
		ret_set_ksft_status "$ksft_fail" "unprivileged prober: $out"
	after=$(lp_field "$(lp_link "$A" a1 10.0.1.2)" probe-samples probe-lost)
	[ "$after" = "$before" ] ||
		ret_set_ksft_status "$ksft_fail" \
			"probe samples and lost ${before//$'\n'/ } -> ${after//$'\n'/ }"
	log_test "unprivileged: may read the links, may not feed them (ynl, prober)"
}

netns_isolation()
{
	local out

	RET=0
	out=$(lp_ynl "$C" --dump link-get)
	[ "$(jq length <<<"$out")" = 0 ] ||
		ret_set_ksft_status "$ksft_fail" "another namespace sees links: $out"
	out=$(lp_ynl "$C" --do link-get --json "$(probe_json a1 10.0.1.2)" 2>&1) &&
		ret_set_ksft_status "$ksft_fail" "another namespace got A's link: $out"
	log_test "netns: a namespace sees only its own links"
}

prober_feeds()
{
	local out link dev gw n before=() i=0

	RET=0
	for link in "a1 10.0.1.2" "a2 10.0.2.2" "a1 fd00:1::2" "a2 fd00:2::2"; do
		read -r dev gw <<<"$link"
		before+=("$(lp_field "$(lp_link "$A" "$dev" "$gw")" probe-samples)")
	done
	out=$(ip netns exec "$A" "$LP_PROBER" -r "$SVC4" -r "$SVC6" -g 10 \
		--count 10 --interval 50 --batch 2 --stats 0 2>&1) ||
		ret_set_ksft_status "$ksft_fail" "the prober failed: $out"
	for link in "a1 10.0.1.2" "a2 10.0.2.2" "a1 fd00:1::2" "a2 fd00:2::2"; do
		read -r dev gw <<<"$link"
		n=$(lp_field "$(lp_link "$A" "$dev" "$gw")" probe-samples)
		[ $((n - before[i])) -ge 8 ] ||
			ret_set_ksft_status "$ksft_fail" \
				"$dev via $gw: $((n - before[i])) samples from 10 rounds"
		i=$((i + 1))
	done
	[ "$(grep -c "probing " <<<"$out")" = 4 ] ||
		ret_set_ksft_status "$ksft_fail" \
			"the route, the IPv6 route and the group make 4 paths: $out"
	log_test "prober: each of 4 links of 2 routes and a group fed from 10 rounds"
}

# prober_refuses DESC STATUS PATTERN ARGS...: the prober, run with ARGS in
# A, exits with STATUS and PATTERN in its message
prober_refuses()
{
	local desc=$1 want=$2 pattern=$3 out rc=0

	shift 3
	out=$(ip netns exec "$A" "$LP_PROBER" "$@" 2>&1) || rc=$?
	if [ "$rc" != "$want" ] || ! grep -q -- "$pattern" <<<"$out"; then
		ret_set_ksft_status "$ksft_fail" "$desc: status $rc (want $want): $out"
	fi
}

prober_bad_input()
{
	RET=0
	prober_refuses "unknown group" 1 "nexthop 999: No such file" -g 999 -c 1
	prober_refuses "single-path route" 1 "single nexthop" -r 10.0.1.0/24 -c 1
	prober_refuses "no route" 1 "Network is unreachable" -r 203.0.113.0/24 -c 1
	prober_refuses "prefix not in the table" 1 "the longest match is a /32" \
		-r "$SVC4/24" -c 1
	prober_refuses "interval 0" 2 "in 1..60000" -r "$SVC4" -i 0
	prober_refuses "bad target" 2 "not an IPv4 or IPv6 address" -r "$SVC4" -t x
	prober_refuses "nothing to probe" 2 "nothing to probe" -c 1
	prober_refuses "stray argument" 2 "unexpected argument" -r "$SVC4" extra
	log_test "prober: bad input gets a message and a non-zero status"
}

# nh_json NS ARGS...: "ip -j ARGS" in NS, the nexthops as a JSON array
nh_json()
{
	local ns=$1

	shift
	ip -n "$ns" -j "$@"
}

# ip_shows_lowpower: whether ip is an iproute2 with lowpower support
ip_shows_lowpower()
{
	grep -qa eff_weight "$(command -v ip)"
}

nexthop_flag()
{
	local out n

	RET=0
	if ! ip_shows_lowpower; then
		log_test_skip "nexthop dump flag" "ip without lowpower support"
		return
	fi
	# without the flag (ip without -s) the messages are the stock ones
	out=$(nh_json "$A" nexthop show)
	n=$(jq '[.[] | select(has("lowpower"))] | length' <<<"$out")
	[ "$n" = 0 ] ||
		ret_set_ksft_status "$ksft_fail" "lowpower state without the dump flag: $out"
	# with it, for the group only: its two members, with metrics and,
	# once mode 2 weighed the group (its first lookup), effective weights
	ip netns exec "$A" ping -q -c 3 -i 0.2 "$GRP4" >/dev/null
	out=$(nh_json "$A" -s nexthop show)
	n=$(jq -c '[.[] | select(has("lowpower")) | .id]' <<<"$out")
	[ "$n" = "[10]" ] ||
		ret_set_ksft_status "$ksft_fail" \
			"lowpower state for nexthops $n, want the group 10 only: $out"
	n=$(jq -c '[.[] | select(.id == 10) | .lowpower[] |
		    select(.load != null and .load_dev != null and
			   .jitter != null and .eff_weight != null) | .id]' <<<"$out")
	[ "$n" = "[11,12]" ] ||
		ret_set_ksft_status "$ksft_fail" \
			"members with metrics and weights $n, want [11,12]: $out"
	n=$(jq '[.[] | select(.id == 10) | .lowpower[] | .eff_weight] | add' <<<"$out")
	[ "${n:-0}" -gt 0 ] ||
		ret_set_ksft_status "$ksft_fail" "no member has an effective weight in mode 2: $out"
	# mode 0: the metrics, no weights
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_mode=0
	out=$(nh_json "$A" -s nexthop get id 10)
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_mode=2
	n=$(jq -c '[.[0].lowpower[] | select(.load != null and .eff_weight == null) | .id]' \
		<<<"$out")
	[ "$n" = "[11,12]" ] ||
		ret_set_ksft_status "$ksft_fail" \
			"mode 0: members with metrics and no weight $n, want [11,12]: $out"
	log_test "nexthop dump flag: lowpower state of the group's members only with it"
}

nexthop_metrics()
{
	local out jitter want text re

	RET=0
	if ! ip_shows_lowpower; then
		log_test_skip "nexthop metrics" "ip without lowpower support"
		return
	fi
	# a known jitter on a1's link: 2 losses at the cap, 2048 (see
	# probe_feed); member 11 sends through it
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_jitter_age_ms=600000
	lp_ynl "$A" --do link-probe --json "$(probe_json a1 10.0.1.2 '"lost": 2')" >/dev/null ||
		ret_set_ksft_status "$ksft_fail" "feeding failed"
	sleep 0.2
	want=$(lp_field "$(lp_link "$A" a1 10.0.1.2)" jitter)
	out=$(nh_json "$A" -s nexthop get id 10)
	jitter=$(jq '.[0].lowpower[] | select(.id == 11) | .jitter' <<<"$out")
	if [ "$jitter" != "$want" ] || [ "${want:-0}" -le 0 ]; then
		ret_set_ksft_status "$ksft_fail" \
			"member 11's jitter $jitter, the link's $want: $out"
	fi
	# the same for any user, in text too
	text=$(ip netns exec "$A" "${LP_NOBODY[@]}" ip -s nexthop get id 10 2>&1)
	re="^ +id 11 eff_weight [0-9]+( active)? load [0-9]+ load_dev [0-9]+"
	re+=" jitter [0-9]+\.[0-9]%"
	grep -qE "$re" <<<"$text" ||
		ret_set_ksft_status "$ksft_fail" "unprivileged ip -s nexthop get: $text"
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_jitter_age_ms=3000
	log_test "nexthop metrics: a member shows its link's jitter ($jitter/1024), to any user"
}

weight_trace()
{
	local tr=/sys/kernel/tracing ev netns i1 i2 out bad msg

	RET=0
	mountpoint -q "$tr" || mount -t tracefs nodev "$tr" 2>/dev/null
	ev=$tr/events/lowpower/lowpower_weight
	if [ ! -d "$ev" ]; then
		ret_set_ksft_status "$ksft_fail" "no tracepoint lowpower:lowpower_weight in $tr"
		log_test "tracepoint: weight changes are traced"
		return
	fi
	netns=$(ip netns exec "$A" stat -L -c %i /proc/self/ns/net)
	i1=$(ifindex "$A" a1)
	i2=$(ifindex "$A" a2)
	echo >"$tr/trace"
	echo 1 >"$ev/enable"
	# light traffic: mode 1 keeps one link active, the other standby
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_mode=1
	ip netns exec "$A" ping -q -c 30 -i 0.1 "$SVC4" >/dev/null
	echo 0 >"$ev/enable"
	out=$(grep "lowpower_weight: netns=$netns " "$tr/trace")
	ip netns exec "$A" sysctl -qw net.ipv4.lowpower_mode=2
	grep -qE "ifindex=($i1 gw4=10\.0\.1\.2|$i2 gw4=10\.0\.2\.2) .* state=(active|standby)$" \
		<<<"$out" ||
		ret_set_ksft_status "$ksft_fail" \
			"no mode-1 weight change of a1 or a2 traced: ${out:-nothing}"
	# a standby nexthop gets weight 0, an active one more
	bad=$(grep -E "eff=[0-9]+->[1-9][0-9]* state=standby$|eff=[0-9]+->0 state=active$" \
		<<<"$out")
	[ -z "$bad" ] ||
		ret_set_ksft_status "$ksft_fail" "weight and reason disagree: $bad"
	msg="tracepoint: mode 1's weight changes traced with device, gateway"
	msg+=" and reason ($(grep -c . <<<"$out") events)"
	log_test "$msg"
}

if [ ! -e /proc/sys/net/ipv4/lowpower_mode ]; then
	echo "SKIP: kernel without CONFIG_IP_ROUTE_LOWPOWER"
	exit "$ksft_skip"
fi
for cmd in ip jq python3 setpriv; do
	if ! command -v "$cmd" >/dev/null; then
		echo "SKIP: $cmd not installed"
		exit "$ksft_skip"
	fi
done
if ! lp_ynl_usable; then
	echo "SKIP: YNL's client ($LP_YNL) or the spec ($LP_SPEC) missing, or python3-yaml"
	exit "$ksft_skip"
fi
if [ ! -x "$LP_PROBER" ]; then
	echo "SKIP: lowpower-prober not found (PATH or LOWPOWER_PROBER)"
	exit "$ksft_skip"
fi

trap cleanup EXIT
if ! setup; then
	echo "FAIL: cannot build the testbed"
	exit "$ksft_fail"
fi
for t in $ALL_TESTS; do
	$t
done
exit "$EXIT_STATUS"
