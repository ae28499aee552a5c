#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower_mode 2 (jitter-avoid) on a netem ECMP testbed: two equal-cost
# paths from C to S, path A 10 ms fixed, path B 10 ms +- 8 ms, L4
# multipath hash, paced background TCP connections feeding the per-path
# RTT signal.  A loose, non-flaky form of the demo's targets:
#
# - path B's jitter is learnt (/proc/net/lowpower);
# - in mode 2 the jittery path's share of new flows, over 5 epochs, is
#   below a third;
# - the probe's RTT stdev in mode 2 is below 0.5 x that in mode 0;
# - new flows come back to path B once its jitter stops;
# - with nothing but 2-second connections, path B is drained (at most 20 %
#   of new flows, probes included) while jittery, and gets at least 25 %
#   back within 10 s of its jitter stopping, when no connection measures
#   it any more (lowpower_jitter_age_ms);
# - all of it with the route as a legacy multipath route and over nexthop
#   objects, a hash-threshold and a resilient group (LOWPOWER_ROUTES);
# - once, on the first route kind: two calm paths to a near and a far peer
#   (about 3 and 30 ms) keep the stock split of new flows in mode 2
#   (within 15 % of them), and a jittery path among them is still found;
# - once, on a nexthop group if the kinds include one: a router forwarding
#   background TCP over a calm and a jittery path, where no connection
#   ends and only lowpower-prober measures the paths: with the prober,
#   mode 2 keeps new forwarded flows' RTT stdev below 0.5 x mode 0's.
#
# shellcheck disable=SC2317 # the tests are called through $ALL_TESTS

ALL_TESTS="
	rtt_learnt
	jittery_share
	stdev_ratio
	calm_returns
	short_only
"

lib_dir=$(dirname "$0")/..
# shellcheck source=lib.sh
source "$lib_dir/lib.sh"
# shellcheck source=../lowpower/lowpower_lib.sh
source "$(dirname "$0")/../lowpower/lowpower_lib.sh"
LP_RTT_PROBE=$(dirname "$0")/lowpower_probe
SVC=198.51.100.1
# a second, far peer behind both paths (mixed_peers)
FAR=198.51.100.2
PORT=7000

cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null
	cleanup_all_ns
}

netem_b()
{
	lp_netem "$C" c2 10 "$1"
}

# two_paths: namespaces C and S, linked by c1-s1 (path A) and c2-s2
# (path B); SVC on S's loopback
two_paths()
{
	setup_ns C S && lp_paths "$C" c "$S" 2 "$SVC"
}

setup()
{
	two_paths || return 1
	lp_route "$C" 4 "$SVC/32" "$KIND" 10 "10.0.1.2 c1 1" "10.0.2.2 c2 1" ||
		return 1
	# b_share's "ip route get" looks up like a flow would, so its 60
	# flows' buckets count as running for lowpower_flow_idle_ms: 200 ms
	# lets each sample, a second apart, see the current weights
	ip netns exec "$C" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.lowpower_flow_idle_ms=200 \
		net.ipv4.lowpower_mode=2 || return 1
	lp_netem "$C" c1 10 && netem_b 8 || return 1
	lp_background "$C" "$S" "$SVC" "$PORT" 12 20000
}

# b_share [BASE]: of 60 new UDP flows (source ports BASE..BASE+59), how
# many "ip route get" maps to path B.  By default the source ports change
# every second, 16 sets in turn: a lookup marks its bucket used, and a
# resilient group's used buckets stay where they are, so sampling the same
# flows every second would pin them.
b_share()
{
	lp_new_flows "$C" "$SVC" "$PORT" "${1:-$((20000 + SECONDS % 16 * 60))}" \
		60 c2
}

# probe_stdev [NS]: RTT stdev (ms) of 300 probes from NS (default C), a
# new flow each
probe_stdev()
{
	ip netns exec "${1:-$C}" "$LP_RTT_PROBE" -q -n -c 300 -i 5000 -w 1000 "$SVC" "$PORT" |
		sed -n 's/.* stdev=\([0-9.]*\).*/\1/p'
}

rtt_learnt()
{
	local row msg

	RET=0
	row=$(ip netns exec "$C" cat /proc/net/lowpower | awk '$2 == "c2" && $3 != "-"')
	read -r -a f <<<"$row"
	if [ "${f[8]:-0}" = 0 ]; then
		ret_set_ksft_status "$ksft_fail" "no RTT sample on path B: $row"
	elif [ "${f[7]}" -lt 128 ]; then
		ret_set_ksft_status "$ksft_fail" "path B jitter ${f[7]}/1024 is below 1/8"
	fi
	msg="path B's jitter is learnt from TCP (${f[7]:-?}/1024 from ${f[8]:-?} samples,"
	msg+=" $KIND route)"
	log_test "$msg"
}

# the share over 5 epochs (1 s apart): one epoch's weights may be off
# while the emulated host's scheduling noise makes path A look jittery too
jittery_share()
{
	local share=0 i

	RET=0
	for i in 1 2 3 4 5; do
		sleep 1
		share=$((share + $(b_share)))
	done
	[ "$share" -lt 100 ] ||
		ret_set_ksft_status "$ksft_fail" "$share of 300 new flows on the jittery path"
	log_test "mode 2: the jittery path gets $share of 300 new flows (5 epochs, $KIND route)"
}

stdev_ratio()
{
	local sd0 sd2

	RET=0
	ip netns exec "$C" sysctl -qw net.ipv4.lowpower_mode=0
	sd0=$(probe_stdev)
	ip netns exec "$C" sysctl -qw net.ipv4.lowpower_mode=2
	sleep 2
	sd2=$(probe_stdev)
	if [ -z "$sd0" ] || [ -z "$sd2" ]; then
		ret_set_ksft_status "$ksft_fail" "the probe failed"
	elif [ "$(echo "$sd2 < 0.5 * $sd0" | bc)" != 1 ]; then
		ret_set_ksft_status "$ksft_fail" "stdev mode 2 $sd2 ms, mode 0 $sd0 ms"
	fi
	log_test "probe RTT stdev: mode 2 ${sd2:-?} ms < 0.5 x mode 0 ${sd0:-?} ms ($KIND route)"
}

calm_returns()
{
	local i share=0 msg

	RET=0
	netem_b 0
	for i in $(seq 30); do
		sleep 1
		share=$(b_share)
		[ "$share" -lt 15 ] || break
	done
	[ "$share" -ge 15 ] ||
		ret_set_ksft_status "$ksft_fail" \
			"path B has $share of 60 new flows 30 s after its jitter stopped"
	msg="mode 2: a calmed path earns its share back ($share of 60 flows after ${i} s,"
	msg+=" $KIND route)"
	log_test "$msg"
}

# short_only: the long connections stop; 2-second ones, two loops of 8 at
# a time, are all the traffic.  While path B is jittery it gets few new
# flows: it is probed (a quarter of its weight) each time its samples age
# out, until its new connections find it jittery again.  Once its jitter
# stops, the next probe finds it calm.
short_only()
{
	local i share=0 drained=0 loops=() start msg

	RET=0
	kill "$LP_BULK" 2>/dev/null
	netem_b 8
	for i in 1 2; do
		ip netns exec "$C" bash -c 'while :; do "$@" >/dev/null 2>&1; done' \
			short "${LP_FLOWS[@]}" bulk 4 "$SVC" "$LP_BULK_PORT" --connections 8 \
			--seconds 2 --rate 200000 &
		loops+=("$!")
	done
	sleep 3
	for i in $(seq 20); do
		sleep 1
		drained=$((drained + $(b_share)))
	done
	[ "$drained" -le 240 ] ||
		ret_set_ksft_status "$ksft_fail" "jittery path B got $drained of 1200 new flows"
	netem_b 0
	start=$SECONDS
	while :; do
		sleep 1
		share=$(b_share)
		if [ "$share" -ge 15 ] || [ $((SECONDS - start)) -ge 10 ]; then
			break
		fi
	done
	[ "$share" -ge 15 ] ||
		ret_set_ksft_status "$ksft_fail" \
			"path B has $share of 60 new flows 10 s after its jitter stopped"
	kill "${loops[@]}"
	msg="short connections only: jittery path B got $drained of 1200 new flows,"
	msg+=" then $share of 60 after $((SECONDS - start)) s calm ($KIND route)"
	log_test "$msg"
}

# setup_mixed: both paths calm (3 ms); two peers behind both, SVC near and
# FAR about 30 ms away (S holds FAR's replies 27 ms more); 6 paced
# connections to each.  The jitter of a path is each connection's own, so
# the two peers' RTTs must not read as jitter.
setup_mixed()
{
	local i

	two_paths || return 1
	for i in 1 2; do
		lp_netem "$C" "c$i" 3 || return 1
		tc -n "$S" qdisc add dev "s$i" root handle 1: prio || return 1
		tc -n "$S" qdisc add dev "s$i" parent 1:3 handle 30: \
			netem delay 27ms limit 100000 || return 1
		tc -n "$S" filter add dev "s$i" parent 1: protocol ip u32 \
			match ip src "$FAR/32" flowid 1:3 || return 1
	done
	ip -n "$S" addr add "$FAR/32" dev lo
	lp_route "$C" 4 "$SVC/32" "$KIND" 10 "10.0.1.2 c1 1" "10.0.2.2 c2 1" ||
		return 1
	lp_route "$C" 4 "$FAR/32" "$KIND" 20 "10.0.1.2 c1 1" "10.0.2.2 c2 1" ||
		return 1
	ip netns exec "$C" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.lowpower_flow_idle_ms=200 \
		net.ipv4.lowpower_mode=2 || return 1
	ip netns exec "$S" "${LP_FLOWS[@]}" bulk-sink 4 "$LP_BULK_PORT" &
	sleep 1
	# Relative to its own srtt, a far connection reads a third of the
	# jitter a near one does (4 ms on 33 ms), and a link's jitter is the
	# mean over its samples: the near connections must take the most
	# samples, whichever of them the hash puts on path B, for path B to
	# be found jittery (in two runs with 6 of each at the same rate, B
	# read 99/1024 against A's 50: not jittery).
	ip netns exec "$C" "${LP_FLOWS[@]}" bulk 4 "$SVC" "$LP_BULK_PORT" \
		--connections 12 --rate 200000 >/dev/null &
	ip netns exec "$C" "${LP_FLOWS[@]}" bulk 4 "$FAR" "$LP_BULK_PORT" \
		--connections 6 --rate 50000 >/dev/null &
	sleep 5
}

# mixed_shares: path B's share of the same 300 new flows (5 sets of 60,
# one a second)
mixed_shares()
{
	local k n=0

	for k in 0 1 2 3 4; do
		sleep 1
		n=$((n + $(b_share $((30000 + k * 60)))))
	done
	echo "$n"
}

mixed_peers()
{
	local m0 m2 jit msg

	RET=0
	m2=$(mixed_shares)
	ip netns exec "$C" sysctl -qw net.ipv4.lowpower_mode=0
	m0=$(mixed_shares)
	ip netns exec "$C" sysctl -qw net.ipv4.lowpower_mode=2
	if [ $((m2 > m0 ? m2 - m0 : m0 - m2)) -gt 45 ]; then
		ret_set_ksft_status "$ksft_fail" \
			"mode 2 gave path B $m2 of 300 new flows, mode 0 $m0"
	fi
	lp_netem "$C" c2 5 4
	sleep 4
	jit=$(mixed_shares)
	[ "$jit" -lt 100 ] || {
		msg="jittery path B got $jit of 300 new flows; "
		msg+=$(ip netns exec "$C" cat /proc/net/lowpower)
		ret_set_ksft_status "$ksft_fail" "$msg"
	}
	msg="near and far peers: calm path B gets $m2 of 300 new flows (mode 0: $m0),"
	msg+=" jittery $jit ($KIND route)"
	log_test "$msg"
}

# setup_router: H -- R == S, R forwarding over path A (10 ms) and path B
# (10 ms +- 8 ms), in mode 0, over a $KIND route (lp_router_testbed)
setup_router()
{
	setup_ns H R S &&
	lp_router_testbed "$H" "$R" "$S" "$SVC" "$PORT" "$KIND" 10 8
}

# router: new forwarded flows' RTT stdev in mode 0, in mode 2 without a
# prober (for the record: R has no signal), and in mode 2 with
# lowpower-prober on R probing the route's nexthops
router()
{
	local sd0 sdn sd2 prober jitter msg

	RET=0
	sd0=$(probe_stdev "$H")
	ip netns exec "$R" sysctl -qw net.ipv4.lowpower_mode=2
	sleep 2
	sdn=$(probe_stdev "$H")
	ip netns exec "$R" "$LP_PROBER" -r "$SVC/32" --interval 50 --stats 0 \
		2>"$PROBER_LOG" &
	prober=$!
	sleep 3
	sd2=$(probe_stdev "$H")
	jitter=$(ip netns exec "$R" cat /proc/net/lowpower |
		 awk '$2 == "r2" { print $8 }')
	kill "$prober"
	wait "$prober"
	if [ -z "$sd0" ] || [ -z "$sd2" ]; then
		ret_set_ksft_status "$ksft_fail" "the probe failed"
	elif [ "$(echo "$sd2 < 0.5 * $sd0" | bc)" != 1 ]; then
		msg="stdev mode 2 $sd2 ms, mode 0 $sd0 ms; prober: "
		msg+=$(tail -n 3 "$PROBER_LOG")
		ret_set_ksft_status "$ksft_fail" "$msg"
	fi
	msg="router with prober: forwarded RTT stdev mode 2 ${sd2:-?} ms"
	msg+=" < 0.5 x mode 0 ${sd0:-?} ms (no prober ${sdn:-?} ms;"
	msg+=" path B jitter ${jitter:-?}/1024, $KIND route)"
	log_test "$msg"
}

if [ ! -e /proc/sys/net/ipv4/lowpower_mode ]; then
	echo "SKIP: kernel without CONFIG_IP_ROUTE_LOWPOWER"
	exit "$ksft_skip"
fi
for cmd in ip tc python3 bc; do
	if ! command -v "$cmd" >/dev/null; then
		echo "SKIP: $cmd not installed"
		exit "$ksft_skip"
	fi
done
if [ ! -x "$LP_RTT_PROBE" ]; then
	echo "SKIP: $LP_RTT_PROBE not built (make -C tools/testing/selftests TARGETS=net/lowpower)"
	exit "$ksft_skip"
fi

read -r -a KINDS <<<"${LOWPOWER_ROUTES:-$LP_ROUTE_KINDS}"
if ! lp_route_kinds_check "${KINDS[@]}"; then
	echo "FAIL: bad LOWPOWER_ROUTES"
	exit "$ksft_fail"
fi
trap cleanup EXIT
for KIND in "${KINDS[@]}"; do
	cleanup
	if ! setup; then
		echo "FAIL: cannot build the testbed (needs veth and netem; $KIND route)"
		exit "$ksft_fail"
	fi
	for t in $ALL_TESTS; do
		$t
	done
done
KIND=${KINDS[0]}
cleanup
if ! setup_mixed; then
	echo "FAIL: cannot build the mixed-peers testbed (needs prio, u32, netem)"
	exit "$ksft_fail"
fi
mixed_peers

# the router case: on a nexthop group (what FRR installs) if one is tested
case " ${KINDS[*]} " in
*" group "*) KIND=group ;;
esac
cleanup
if [ ! -x "$LP_PROBER" ]; then
	echo "SKIP: router: lowpower-prober not found (PATH or LOWPOWER_PROBER)"
elif ! setup_router; then
	echo "FAIL: cannot build the router testbed ($KIND route)"
	exit "$ksft_fail"
else
	PROBER_LOG=$(mktemp)
	router
	rm -f "$PROBER_LOG"
fi
exit "$EXIT_STATUS"
