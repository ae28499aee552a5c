#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower multipath on veth ECMP topologies, IPv4 and IPv6, with 2 equal
# nexthops (this script) and with 4 nexthops weighted 1:2:3:4
# (lowpower_multipath_weighted.sh), for locally generated traffic (sent
# by R) and forwarded traffic (sent by H1, routed by R):
#
#   H1 ---- R ==== N veth links ==== H2 (198.51.100.1, 2001:db8:2::1)
#
# - the per-link metrics (/proc/net/lowpower) count veth and forwarded
#   traffic;
# - mode 0 spreads flows per the configured weights (within 15 %, the
#   rule of forwarding/router_multipath.sh) and maps every flow exactly as
#   with the feature compiled out of the path (static key off), as does
#   mode 1 with lowpower_power_cost_weight 0;
# - mode 1 puts >= 90 % of light traffic on one nexthop, spills onto more
#   under heavy load and comes back when the load is gone;
# - the path state is the link's: 10 IPv4 and 10 IPv6 prefixes whose
#   routes list the links in alternating order consolidate light traffic
#   on one link together, and spill together when their sum is heavy;
# - a dead or linkdown nexthop is never chosen, in any mode, and the last
#   live one keeps all flows;
# - a TCP connection keeps its nexthop while the weights change under it
#   and the mode is switched;
# - forwarded TCP flows and R's own TCP connections (connected sockets,
#   which look up again after every route change) never change path in
#   mode 1 while a burst makes the route spill and shrink, routes come
#   and go and a third nexthop's neighbour fails, and are reordered no
#   more than in mode 0
#   (lowpower_flow_stability.sh, 3 links: flow_stability);
# - a nexthop group's own lowpower policy (ip nexthop ... lowpower mode M
#   spill S) overrides the namespace: mode 0 maps flows like stock in a
#   namespace in mode 1, mode 1 consolidates light traffic in a namespace
#   in mode 0 and holds the static key on until the group gives its
#   policy back; a replace without a policy keeps it; out-of-range values,
#   a policy on a single nexthop and an unprivileged user are refused
#   with the kernel's message and change nothing (group_policy);
# - switching modes and knobs, flapping links and replacing the routes
#   under traffic is safe (a debug kernel reports misuse on the console).
#
# shellcheck disable=SC2317 # the tests are called through $ALL_TESTS
# shellcheck disable=SC2016 # the single-quoted scripts expand inside

ALL_TESTS="
	metrics_grow
	mode0_spread
	mode0_stock_mapping
	mode1_light
	mode1_spill
	prefixes_light
	prefixes_spill
	down_never_chosen
	tcp_keeps_path
	group_policy
	switch_under_traffic
"

lib_dir=$(dirname "$0")/..
# shellcheck source=lib.sh
source "$lib_dir/lib.sh"
# shellcheck source=lowpower_lib.sh
source "$(dirname "$0")/lowpower_lib.sh"
FLOWS=(python3 "$(dirname "$0")/lowpower_flows.py")

DST4=198.51.100.1
DST6=2001:db8:2::1
PORT=9
N=0
WEIGHTS=()
KIND=legacy

# per family: destination, "ip" options, sysctl tree
dst() { if [ "$1" = 4 ]; then echo "$DST4"; else echo "$DST6"; fi; }
gw() { if [ "$1" = 4 ]; then echo "10.$2.0.2"; else echo "2001:db8:1$2::2"; fi; }

cleanup()
{
	cleanup_all_ns
}

# build_topo N W1..WN: the topology with N links and the given weights
build_topo()
{
	local i mac

	cleanup_all_ns
	N=$1
	shift
	WEIGHTS=("$@")
	setup_ns H1 R H2 AUX || return 1

	{
		echo "link add rh1 type veth peer name h1r netns $H1"
		for i in $(seq "$N"); do
			echo "link add r$i address 02:00:00:00:0$i:01 type veth" \
				"peer name h$i netns $H2 address 02:00:00:00:0$i:02"
		done
	} | ip -n "$R" -batch - || return 1

	ip -n "$H1" -batch - <<-EOF || return 1
		link set h1r up
		address add 192.0.2.1/24 dev h1r
		address add 2001:db8:1::1/64 dev h1r nodad
		route add default via 192.0.2.2
		route add ::/0 via 2001:db8:1::2
	EOF

	{
		echo "link set rh1 up"
		echo "address add 192.0.2.2/24 dev rh1"
		echo "address add 2001:db8:1::2/64 dev rh1 nodad"
		for i in $(seq "$N"); do
			mac=02:00:00:00:0$i:02
			echo "link set r$i up"
			echo "address add 10.$i.0.1/24 dev r$i"
			echo "address add 2001:db8:1$i::1/64 dev r$i nodad"
			echo "neigh replace 10.$i.0.2 lladdr $mac dev r$i nud permanent"
			echo "neigh replace 2001:db8:1$i::2 lladdr $mac dev r$i nud permanent"
		done
	} | ip -n "$R" -batch - || return 1

	{
		echo "link set lo up"
		echo "address add $DST4/32 dev lo"
		echo "address add $DST6/128 dev lo"
		for i in $(seq "$N"); do
			echo "link set h$i up"
			echo "address add 10.$i.0.2/24 dev h$i"
			echo "address add 2001:db8:1$i::2/64 dev h$i nodad"
		done
		echo "neigh replace 10.1.0.1 lladdr 02:00:00:00:01:01 dev h1 nud permanent"
		echo "neigh replace 2001:db8:11::1 lladdr 02:00:00:00:01:01 dev h1 nud permanent"
		echo "route add default via 10.1.0.1"
		echo "route add ::/0 via 2001:db8:11::1"
	} | ip -n "$H2" -batch - || return 1

	# links go down and up in the tests: keep the IPv6 addresses
	ip netns exec "$H2" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 ||
		return 1
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 net.ipv6.conf.all.keep_addr_on_down=1 \
		net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.fib_multipath_hash_policy=1 \
		net.ipv4.fib_multipath_hash_seed=20261122 || return 1
	add_routes
}

# after links went down and up: the static neighbours, H2's routes back,
# and R's multipath routes
restore_links()
{
	local i

	for i in $(seq "$N"); do
		ip -n "$R" link set "r$i" up
		ip -n "$H2" link set "h$i" up
	done
	{
		for i in $(seq "$N"); do
			echo "neigh replace 10.$i.0.2 lladdr 02:00:00:00:0$i:02" \
				"dev r$i nud permanent"
			echo "neigh replace 2001:db8:1$i::2 lladdr 02:00:00:00:0$i:02" \
				"dev r$i nud permanent"
		done
	} | ip -n "$R" -batch - || return 1
	ip -n "$H2" -batch - <<-EOF || return 1
		neigh replace 10.1.0.1 lladdr 02:00:00:00:01:01 dev h1 nud permanent
		neigh replace 2001:db8:11::1 lladdr 02:00:00:00:01:01 dev h1 nud permanent
		route replace default via 10.1.0.1
		route replace ::/0 via 2001:db8:11::1
	EOF
	add_routes
}

# the multipath routes of R, one nexthop per link, of kind $KIND
# (lp_route: legacy, or nexthop objects 401.. in group 400 or 450 for
# IPv4, 601.. in group 600 or 650 for IPv6)
add_routes()
{
	local f i nhs

	for f in 4 6; do
		nhs=()
		for i in $(seq "$N"); do
			nhs+=("$(gw "$f" "$i") r$i ${WEIGHTS[i - 1]}")
		done
		lp_route "$R" "$f" \
			"$(dst "$f" | sed 's/1$/0/')/$([ "$f" = 4 ] && echo 24 || echo 64)" \
			"$KIND" $((f * 100)) "${nhs[@]}" || return 1
	done
}

# r_sysctl KEY=VAL...: set sysctls of R
r_sysctl()
{
	ip netns exec "$R" sysctl -qw "$@"
}

lp_mode()
{
	r_sysctl net.ipv4.lowpower_mode="$1"
}

lp_defaults()
{
	r_sysctl net.ipv4.lowpower_mode=0 net.ipv4.lowpower_ema_k_factor=512 \
		net.ipv4.lowpower_power_cost_weight=100 \
		net.ipv4.lowpower_spill_threshold=100000 \
		net.ipv4.lowpower_epoch_ms=1000 \
		net.ipv4.lowpower_flow_idle_ms=1000
}

# tx_packets of R's links r1..rN, on one line
r_tx()
{
	ip netns exec "$R" sh -c 'for i in $(seq "$1"); do
		cat /sys/class/net/r$i/statistics/tx_packets; done' -- "$N" | xargs
}

# sub_counts "A..." "B...": B - A element-wise
sub_counts()
{
	local -a a b
	local i out=""

	read -r -a a <<<"$1"
	read -r -a b <<<"$2"
	for i in "${!a[@]}"; do
		out+="$((b[i] - a[i])) "
	done
	echo "${out% }"
}

# on_cpu I CMD...: run CMD pinned to CPU I modulo the CPUs online, so
# that traffic runs on every CPU of an SMP kernel at once
on_cpu()
{
	local cpu=$(($1 % $(nproc)))

	shift
	taskset -c "$cpu" "$@"
}

# net_rx: NET_RX softirqs handled per CPU so far, one line
net_rx()
{
	awk '$1 == "NET_RX:" { $1 = ""; print }' /proc/softirqs | xargs
}

# send FAMILY WHERE ARGS...: UDP flows to H2, from R (local) or H1 (fwd)
send()
{
	local f=$1 where=$2 ns

	shift 2
	if [ "$where" = local ]; then ns=$R; else ns=$H1; fi
	ip netns exec "$ns" "${FLOWS[@]}" udp "$f" "$(dst "$f")" "$PORT" "$@" >/dev/null
}

# sent_split FAMILY WHERE ARGS...: per-link tx_packets of R during send
sent_split()
{
	local before after

	before=$(r_tx)
	send "$@" || { echo "send failed"; return 1; }
	after=$(r_tx)
	sub_counts "$before" "$after"
}

# lp_nh FAMILY: "tx_packets load_Bps" of R's links r1..rN (device and
# gateway of the multipath route's nexthops), one line each, from
# /proc/net/lowpower
lp_nh()
{
	local af

	if [ "$1" = 4 ]; then af=inet; else af=inet6; fi
	ip netns exec "$R" cat /proc/net/lowpower |
		awk -v af="$af" -v n="$N" '
			$1 == af && $3 != "-" { row[$2] = $5 " " $6 }
			END { for (i = 1; i <= n; i++) print row["r" i] }'
}

# route_map FAMILY COUNT: the link "ip route get" picks on R for COUNT UDP
# flows (source ports 10000..), one batch, space separated
route_map()
{
	local f=$1 count=$2 p

	for p in $(seq 10000 $((10000 + count - 1))); do
		echo "route get $(dst "$f") ipproto udp sport $p dport $PORT"
	done | ip -n "$R" -"$f" -batch - |
		sed -n 's/.* dev \(r[0-9]*\) .*/\1/p' | xargs
}

# expect_shares "COUNTS" W...: each count within 15 % of its weight's share
expect_shares()
{
	local -a c
	local total=0 wsum=0 i want

	read -r -a c <<<"$1"
	shift
	for i in "${!c[@]}"; do
		total=$((total + c[i]))
		wsum=$((wsum + $(eval echo "\${$((i + 1))}")))
	done
	[ "$total" -gt 0 ] || { ret_set_ksft_status "$ksft_fail" "no packets"; return; }
	for i in "${!c[@]}"; do
		want=$((total * $(eval echo "\${$((i + 1))}") / wsum))
		if [ $((100 * (c[i] - want))) -gt $((15 * want)) ] ||
		   [ $((100 * (want - c[i]))) -gt $((15 * want)) ]; then
			ret_set_ksft_status "$ksft_fail" \
				"link $((i + 1)): $((c[i])) of $total packets, want $want +- 15 %"
		fi
	done
}

# top_share "COUNTS": percentage of the busiest link, and the total
top_share()
{
	local -a c
	local total=0 max=0 i

	read -r -a c <<<"$1"
	for i in "${!c[@]}"; do
		total=$((total + c[i]))
		[ "${c[i]}" -le "$max" ] || max=${c[i]}
	done
	[ "$total" -gt 0 ] || { echo "0 0"; return; }
	echo "$((100 * max / total)) $total"
}

topo_desc()
{
	local kind=""

	case $KIND in
	group) kind=", hash-threshold nexthop group" ;;
	resilient) kind=", resilient nexthop group" ;;
	esac
	echo "$N nexthops, weights ${WEIGHTS[*]}$kind"
}

metrics_grow()
{
	local f where before after i grown load sent=400
	local -a b a

	lp_defaults
	lp_mode 1
	for f in 4 6; do
		for where in local forwarded; do
			RET=0
			mapfile -t b < <(lp_nh "$f")
			send "$f" "$where" --flows 200 --packets 2 --size 500 ||
				ret_set_ksft_status "$ksft_fail" "send failed"
			sleep 0.3
			mapfile -t a < <(lp_nh "$f")
			grown=0 load=0
			for i in $(seq 0 $((N - 1))); do
				before=${b[i]%% *} after=${a[i]%% *}
				grown=$((grown + ${after:-0} - ${before:-0}))
				read -r _ l _ <<<"${a[i]}"
				[ "${l:-0}" = 0 ] || load=1
			done
			[ "$grown" -ge "$sent" ] ||
				ret_set_ksft_status "$ksft_fail" \
					"link counters grew by $grown packets, $sent sent"
			[ "$load" = 1 ] ||
				ret_set_ksft_status "$ksft_fail" "no link has a load average"
			log_test "IPv$f $where: per-link metrics count veth traffic ($(topo_desc))"
		done
	done
	lp_defaults
}

mode0_spread()
{
	local f where flows split msg

	# fixed hash seed and source ports: the same flows every run, so the
	# 15 % check cannot flake; enough flows that it is a real split
	flows=$((N * 1000))
	lp_defaults
	for f in 4 6; do
		for where in local forwarded; do
			RET=0
			split=$(sent_split "$f" "$where" --flows "$flows" --sport-base 30000)
			expect_shares "$split" "${WEIGHTS[@]}"
			msg="IPv$f $where: mode 0 spreads $flows flows per the weights"
			log_test "$msg [$split] ($(topo_desc))"
		done
	done
}

mode0_stock_mapping()
{
	local f off on cost0 msg

	lp_defaults
	for f in 4 6; do
		RET=0
		off=$(route_map "$f" 256)
		ip netns exec "$AUX" sysctl -qw net.ipv4.lowpower_mode=1
		on=$(route_map "$f" 256)
		lp_mode 1
		r_sysctl net.ipv4.lowpower_power_cost_weight=0
		cost0=$(route_map "$f" 256)
		ip netns exec "$AUX" sysctl -qw net.ipv4.lowpower_mode=0
		lp_defaults
		[ "$(wc -w <<<"$off")" = 256 ] ||
			ret_set_ksft_status "$ksft_fail" \
				"route get answered $(wc -w <<<"$off") of 256"
		[ "$on" = "$off" ] ||
			ret_set_ksft_status "$ksft_fail" \
				"mode 0 maps flows differently once the static key is on"
		[ "$cost0" = "$off" ] ||
			ret_set_ksft_status "$ksft_fail" \
				"mode 1 with cost weight 0 differs from stock"
		msg="IPv$f: mode 0 and cost weight 0 map 256 flows exactly like stock"
		log_test "$msg ($(topo_desc))"
	done
}

mode1_light()
{
	local f where split share total msg

	for f in 4 6; do
		for where in local forwarded; do
			RET=0
			lp_defaults
			lp_mode 1
			split=$(sent_split "$f" "$where" --flows 500 --size 64 --pps 1000)
			read -r share total <<<"$(top_share "$split")"
			[ "$share" -ge 90 ] ||
				ret_set_ksft_status "$ksft_fail" \
					"busiest link has $share % of $total packets"
			msg="IPv$f $where: mode 1 puts $share % of light traffic on one nexthop"
			log_test "$msg [$split] ($(topo_desc))"
		done
	done
	lp_defaults
}

mode1_spill()
{
	local f out spill back devs split share msg

	devs=$(seq -s, -f 'r%g' "$N")
	for f in 4 6; do
		RET=0
		lp_defaults
		# flows end and new ones start all the time: running flows
		# keep their link, idle buckets follow the weights
		r_sysctl net.ipv4.lowpower_spill_threshold=1000 \
			net.ipv4.lowpower_epoch_ms=200 \
			net.ipv4.lowpower_flow_idle_ms=200
		lp_mode 1
		out=$(ip netns exec "$R" "${FLOWS[@]}" phases "$f" "$(dst "$f")" "$PORT" "$devs" \
		      --heavy 3 --light 12 --flow-packets 20)
		spill=$(sed -n 's/^spill_s //p' <<<"$out")
		back=$(sed -n 's/^back_s //p' <<<"$out")
		if [ -z "$spill" ] || [ "$spill" = -1.0 ]; then
			msg="heavy traffic never spilled: "
			msg+=$(grep heavy <<<"$out" | tail -n 3 | xargs)
			ret_set_ksft_status "$ksft_fail" "$msg"
		fi
		if [ -z "$back" ] || [ "$back" = -1.0 ]; then
			msg="light traffic never came back to one link: "
			msg+=$(grep light <<<"$out" | tail -n 3 | xargs)
			ret_set_ksft_status "$ksft_fail" "$msg"
		fi
		msg="IPv$f local: mode 1 spills under load after ${spill:-?} s,"
		msg+=" back on one nexthop ${back:-?} s after it ($(topo_desc))"
		log_test "$msg"

		# forwarded: heavy flows from H1 must use more than one link;
		# paced over 1.3 s, so that epochs pass while they arrive
		RET=0
		split=$(sent_split "$f" forwarded --flows 64 --packets 40 --size 1400 \
			--pps 2000)
		read -r share _ <<<"$(top_share "$split")"
		[ "$share" -le 90 ] ||
			ret_set_ksft_status "$ksft_fail" \
				"busiest link kept $share % under heavy forwarded load [$split]"
		log_test "IPv$f forwarded: mode 1 spills heavy traffic [$split] ($(topo_desc))"
	done
	lp_defaults
}

# PREFIXES prefixes over links r1 and r2, each route listing the two
# nexthops in the other order than the one before it
PREFIXES=10

# prefix_dst FAMILY I: H2's address in prefix I
prefix_dst()
{
	if [ "$1" = 4 ]; then echo "198.18.$2.1"; else echo "2001:db8:3$2::1"; fi
}

# prefixes_add / prefixes_del: the prefixes' routes on R, their addresses
# on H2
prefixes_add()
{
	local f i a b net len

	for i in $(seq "$PREFIXES"); do
		echo "address add $(prefix_dst 4 "$i")/32 dev lo"
		echo "address add $(prefix_dst 6 "$i")/128 dev lo"
	done | ip -n "$H2" -batch - || return 1
	for f in 4 6; do
		for i in $(seq "$PREFIXES"); do
			a=1 b=2
			[ $((i % 2)) = 1 ] || { a=2 b=1; }
			net=$(prefix_dst "$f" "$i" | sed 's/1$/0/')
			len=$([ "$f" = 4 ] && echo 24 || echo 64)
			echo "route replace $net/$len" \
				"nexthop via $(gw "$f" "$a") dev r$a" \
				"nexthop via $(gw "$f" "$b") dev r$b"
		done | ip -n "$R" -"$f" -batch - || return 1
	done
}

prefixes_del()
{
	local f i net len

	for f in 4 6; do
		for i in $(seq "$PREFIXES"); do
			net=$(prefix_dst "$f" "$i" | sed 's/1$/0/')
			len=$([ "$f" = 4 ] && echo 24 || echo 64)
			echo "route del $net/$len"
		done | ip -n "$R" -"$f" -batch - || return 1
	done
	for i in $(seq "$PREFIXES"); do
		echo "address del $(prefix_dst 4 "$i")/32 dev lo"
		echo "address del $(prefix_dst 6 "$i")/128 dev lo"
	done | ip -n "$H2" -batch -
}

# prefixes_send FAMILY WHERE ARGS...: one UDP sender per prefix, all at once
prefixes_send()
{
	local f=$1 where=$2 ns i pids=() rc=0

	shift 2
	if [ "$where" = local ]; then ns=$R; else ns=$H1; fi
	for i in $(seq "$PREFIXES"); do
		on_cpu "$i" ip netns exec "$ns" "${FLOWS[@]}" udp "$f" \
			"$(prefix_dst "$f" "$i")" "$PORT" "$@" >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	return "$rc"
}

prefixes_light()
{
	local f where before after split share total msg

	prefixes_add || { RET=$ksft_fail; log_test "cannot add the prefixes"; return; }
	for f in 4 6; do
		for where in local forwarded; do
			RET=0
			lp_defaults
			lp_mode 1
			before=$(r_tx)
			prefixes_send "$f" "$where" --flows 20 --size 64 --pps 100 ||
				ret_set_ksft_status "$ksft_fail" "a sender failed"
			after=$(r_tx)
			split=$(sub_counts "$before" "$after")
			read -r share total <<<"$(top_share "$split")"
			[ "$total" -ge $((PREFIXES * 20)) ] ||
				ret_set_ksft_status "$ksft_fail" \
					"$total of $((PREFIXES * 20)) packets left R"
			[ "$share" -ge 90 ] ||
				ret_set_ksft_status "$ksft_fail" \
					"busiest link has $share % of $total packets"
			msg="IPv$f $where: mode 1 puts $share % of $PREFIXES prefixes'"
			msg+=" light traffic on one link, nexthops in alternating order"
			log_test "$msg [$split]"
		done
	done
	lp_defaults
	prefixes_del
}

prefixes_spill()
{
	local f before after split total second msg

	prefixes_add || { RET=$ksft_fail; log_test "cannot add the prefixes"; return; }
	for f in 4 6; do
		RET=0
		lp_defaults
		# each prefix sends 0.6 x the threshold (750 B x 10/s = 60 kbit/s
		# of 100), together 6 x: a link state per route would never spill
		r_sysctl net.ipv4.lowpower_spill_threshold=100 \
			net.ipv4.lowpower_epoch_ms=200
		lp_mode 1
		before=$(r_tx)
		prefixes_send "$f" local --flows 60 --size 750 --pps 10 ||
			ret_set_ksft_status "$ksft_fail" "a sender failed"
		after=$(r_tx)
		split=$(sub_counts "$before" "$after")
		read -r _ total <<<"$(top_share "$split")"
		second=$(awk '{ print ($1 < $2 ? $1 : $2) }' <<<"$split")
		[ "$total" -ge $((PREFIXES * 60)) ] ||
			ret_set_ksft_status "$ksft_fail" \
				"$total of $((PREFIXES * 60)) packets left R"
		[ $((100 * second)) -ge $((25 * total)) ] ||
			ret_set_ksft_status "$ksft_fail" \
				"the second link carried $second of $total packets, want >= 25 %"
		msg="IPv$f local: $PREFIXES prefixes at 0.6 x the spill threshold"
		msg+=" each spill together, second link"
		msg+=" $((100 * second / (total > 0 ? total : 1))) % [$split]"
		log_test "$msg"
	done
	lp_defaults
	prefixes_del
}

# flow_run FAMILY MODE: 8 paced TCP flows forwarded from H1 to H2 over R's
# 3 links and 8 sent by R itself (connected sockets: they look up again
# after every route change), with a steady TCP load from R (one link's
# worth: the route runs two active links in mode 1), a UDP burst from R
# (three), routes added and deleted, and for IPv4 a failed neighbour on r3
# (fib_multipath_use_neigh).  Prints "MOVED LOCAL_MOVED REORDERS SPILL":
# forwarded and local flows seen on more than one link (+100 for a flow
# that sent nothing), the senders' TCP reorder counters, r3's packets
# during the burst.
flow_run()
{
	# each run its own source ports: the last run's connections are in
	# TIME_WAIT
	local f=$1 mode=$2 ipt=iptables sport=$((41000 + $1 * 100 + $2 * 10)) i l
	local lsport=$((41050 + $1 * 100 + $2 * 10)) localpid lmoved
	local sinkpids=() loadpid flowpid r3a r3b moved=0 reorder pfx n

	[ "$f" = 4 ] || ipt=ip6tables
	lp_defaults
	r_sysctl net.ipv4.lowpower_spill_threshold=400 \
		net.ipv4.lowpower_epoch_ms=200 net.ipv4.fib_multipath_use_neigh=1
	lp_mode "$mode"
	ip netns exec "$R" "$ipt" -F FORWARD
	ip netns exec "$R" "$ipt" -F OUTPUT
	for i in $(seq 0 7); do
		for l in $(seq "$N"); do
			ip netns exec "$R" "$ipt" -A FORWARD -o "r$l" -p tcp \
				--sport $((sport + i))
			ip netns exec "$R" "$ipt" -A OUTPUT -o "r$l" -p tcp \
				--sport $((lsport + i))
		done
	done

	ip netns exec "$H2" "${FLOWS[@]}" bulk-sink "$f" 5201 &
	sinkpids+=($!)
	ip netns exec "$H2" "${FLOWS[@]}" bulk-sink "$f" 5202 &
	sinkpids+=($!)
	ip netns exec "$H2" "${FLOWS[@]}" bulk-sink "$f" 5203 &
	sinkpids+=($!)
	sleep 1
	# 60 kB/s = 480 kbit/s: more than one link's 400
	ip netns exec "$R" "${FLOWS[@]}" bulk "$f" "$(dst "$f")" 5202 \
		--connections 1 --rate 60000 --chunk 1000 --seconds 12 &
	loadpid=$!
	sleep 1
	ip netns exec "$H1" nstat -n
	ip netns exec "$R" nstat -n
	ip netns exec "$H1" "${FLOWS[@]}" bulk "$f" "$(dst "$f")" 5201 \
		--connections 8 --rate 2500 --chunk 250 --seconds 9 \
		--sport-base "$sport" &
	flowpid=$!
	ip netns exec "$R" "${FLOWS[@]}" bulk "$f" "$(dst "$f")" 5203 \
		--connections 8 --rate 2500 --chunk 250 --seconds 9 \
		--sport-base "$lsport" &
	localpid=$!
	sleep 2

	r3a=$(ip netns exec "$R" cat /sys/class/net/r3/statistics/tx_packets)
	on_cpu 1 ip netns exec "$R" "${FLOWS[@]}" udp "$f" "$(dst "$f")" "$PORT" \
		--flows 300 --packets 20 --size 1400 >/dev/null
	r3b=$(ip netns exec "$R" cat /sys/class/net/r3/statistics/tx_packets)

	if [ "$f" = 4 ]; then pfx=203.0.113.0/24; else pfx=2001:db8:99::/64; fi
	for i in 1 2 3 4 5; do
		ip -n "$R" -"$f" route add "$pfx" nexthop via "$(gw "$f" 1)" dev r1 \
			nexthop via "$(gw "$f" 2)" dev r2
		sleep 0.2
		ip -n "$R" -"$f" route del "$pfx"
		sleep 0.2
	done
	[ "$f" = 6 ] || ip -n "$R" neigh replace "$(gw 4 3)" dev r3 nud failed
	wait "$flowpid" || echo "the forwarded flows failed" >&2
	wait "$localpid" || echo "R's flows failed" >&2
	kill "$loadpid" "${sinkpids[@]}" 2>/dev/null
	wait "$loadpid" "${sinkpids[@]}" 2>/dev/null
	reorder=$(for n in "$H1" "$R"; do
			ip netns exec "$n" nstat -az TcpExtTCPSACKReorder \
				TcpExtTCPTSReorder TcpExtTCPRenoReorder
		  done | awk '$1 ~ /Reorder/ { n += $2 } END { print n + 0 }')

	moved=$(flows_moved "$ipt" FORWARD "$sport")
	lmoved=$(flows_moved "$ipt" OUTPUT "$lsport")
	ip netns exec "$R" "$ipt" -F FORWARD
	ip netns exec "$R" "$ipt" -F OUTPUT
	[ "$f" = 6 ] || ip -n "$R" neigh replace "$(gw 4 3)" \
		lladdr 02:00:00:00:03:02 dev r3 nud permanent
	r_sysctl net.ipv4.fib_multipath_use_neigh=0
	lp_defaults
	echo "$moved $lmoved $reorder $((r3b - r3a))"
}

# flows_moved IPTABLES CHAIN SPORT: of the 8 flows from SPORT on, those
# counted on more than one link of R's CHAIN, +100 for each counted on none
flows_moved()
{
	local i n moved=0

	for i in $(seq 0 7); do
		n=$(ip netns exec "$R" "$1" -vxnL "$2" |
		    awk -v p="spt:$(($3 + i))([^0-9]|$)" '$0 ~ p && $1 > 0' | wc -l)
		[ "$n" -le 1 ] || moved=$((moved + 1))
		[ "$n" -ge 1 ] || moved=$((moved + 100))
	done
	echo "$moved"
}

flow_stability()
{
	local f moved lmoved reorder0 reorder1 spill what n msg

	for f in 4 6; do
		RET=0
		read -r _ _ reorder0 _ <<<"$(flow_run "$f" 0)"
		read -r moved lmoved reorder1 spill <<<"$(flow_run "$f" 1)"
		for what in "forwarded $moved" "local $lmoved"; do
			read -r what n <<<"$what"
			if [ "$n" -ge 100 ]; then
				ret_set_ksft_status "$ksft_fail" \
					"$((n / 100)) of 8 $what flows sent nothing"
			elif [ "$n" -gt 0 ]; then
				ret_set_ksft_status "$ksft_fail" "$n of 8 $what flows changed path"
			fi
		done
		[ "$spill" -gt 100 ] ||
			ret_set_ksft_status "$ksft_fail" \
				"the burst did not spill onto r3 ($spill packets)"
		[ "$reorder1" -le "$reorder0" ] ||
			ret_set_ksft_status "$ksft_fail" \
				"TCP reorder events: $reorder1 in mode 1, $reorder0 in mode 0"
		msg="IPv$f: 8 forwarded and 8 local TCP flows keep their path in mode 1"
		msg+=" through spill ($spill packets on r3), route churn"
		msg+="$([ "$f" = 4 ] && echo ", a failed neighbour")"
		msg+="; reorder events $reorder1 (mode 0: $reorder0) ($(topo_desc))"
		log_test "$msg"
	done
}

# set_link_state KIND up|down: link 1 dead (admin down on R) or linkdown
# (carrier lost: the peer in H2 goes down)
set_link_state()
{
	if [ "$1" = dead ]; then
		ip -n "$R" link set r1 "$2"
	else
		ip -n "$H2" link set h1 "$2"
	fi
}

down_never_chosen()
{
	local f kind mode map i msg

	r_sysctl net.ipv4.conf.all.ignore_routes_with_linkdown=1 \
		net.ipv6.conf.all.ignore_routes_with_linkdown=1
	for kind in dead linkdown; do
		for mode in 0 1 "1 cost 50"; do
			RET=0
			lp_defaults
			lp_mode "${mode%% *}"
			[ "$mode" = 1 ] || [ "$mode" = 0 ] ||
				r_sysctl net.ipv4.lowpower_power_cost_weight=50
			for f in 4 6; do
				# let the weights settle with all links up
				route_map "$f" 16 >/dev/null
			done
			set_link_state "$kind" down
			sleep 0.2
			for f in 4 6; do
				map=$(route_map "$f" 64)
				[ "$(wc -w <<<"$map")" = 64 ] ||
					ret_set_ksft_status "$ksft_fail" \
						"IPv$f: route get answered $(wc -w <<<"$map") of 64"
				! grep -qw r1 <<<"$map" || {
					msg="IPv$f: $(grep -ow r1 <<<"$map" | wc -l) flows"
					msg+=" on the $kind nexthop"
					ret_set_ksft_status "$ksft_fail" "$msg"
				}
			done
			set_link_state "$kind" up
			restore_links ||
				ret_set_ksft_status "$ksft_fail" "cannot restore the links"
			msg="mode $mode: a $kind nexthop is never chosen, IPv4 and IPv6"
			log_test "$msg ($(topo_desc))"
		done
	done

	# all but the last link down: it keeps every flow, in both modes
	for mode in 0 1; do
		RET=0
		lp_defaults
		lp_mode "$mode"
		for i in $(seq $((N - 1))); do
			ip -n "$R" link set "r$i" down
		done
		for f in 4 6; do
			map=$(route_map "$f" 64)
			[ "$(grep -ow "r$N" <<<"$map" | wc -l)" = 64 ] || {
				msg="IPv$f: flows not all on r$N: "
				msg+=$(sort <<<"${map// /$'\n'}" | uniq -c | xargs)
				ret_set_ksft_status "$ksft_fail" "$msg"
			}
		done
		restore_links ||
			ret_set_ksft_status "$ksft_fail" "cannot restore the links"
		log_test "mode $mode: the last live nexthop keeps all flows ($(topo_desc))"
	done
	r_sysctl net.ipv4.conf.all.ignore_routes_with_linkdown=0 \
		net.ipv6.conf.all.ignore_routes_with_linkdown=0
	lp_defaults
}

tcp_keeps_path()
{
	local f before after split share total sinkpid port=5001 i msg

	for f in 4 6; do
		RET=0
		lp_defaults
		r_sysctl net.ipv4.lowpower_spill_threshold=100 \
			net.ipv4.lowpower_epoch_ms=100
		lp_mode 1
		ip netns exec "$H2" "${FLOWS[@]}" sink "$f" "$port" >/dev/null &
		sinkpid=$!
		sleep 1
		before=$(r_tx)
		ip netns exec "$R" "${FLOWS[@]}" stream "$f" "$(dst "$f")" "$port" \
			--seconds 4 >/dev/null &
		# change the weights under the connection: the connection's own
		# load spills (threshold 100 kbit/s), the lookups below make new
		# epochs, and the mode flips
		for i in 1 2 3 4 5 6; do
			sleep 0.5
			route_map "$f" 8 >/dev/null
			lp_mode $((i % 2))
		done
		wait $! || ret_set_ksft_status "$ksft_fail" "the TCP stream failed"
		wait "$sinkpid" || ret_set_ksft_status "$ksft_fail" "the TCP sink failed"
		after=$(r_tx)
		split=$(sub_counts "$before" "$after")
		read -r share total <<<"$(top_share "$split")"
		[ "$total" -ge 100 ] ||
			ret_set_ksft_status "$ksft_fail" "only $total packets sent"
		[ "$share" -ge 99 ] ||
			ret_set_ksft_status "$ksft_fail" \
				"the connection used several links [$split]"
		msg="IPv$f: a TCP connection keeps its nexthop across epochs and mode"
		msg+=" switches [$split] ($(topo_desc))"
		log_test "$msg"
		port=$((port + 1))
	done
	lp_defaults
}

# grp_id FAMILY: the id of R's group of FAMILY (add_routes, lp_route)
grp_id()
{
	if [ "$KIND" = resilient ]; then echo $(($1 * 100 + 50)); else echo $(($1 * 100)); fi
}

# grp_replace FAMILY ARGS...: replace R's group of FAMILY by the same
# group, with ARGS ("lowpower mode 1", ...) after it
grp_replace()
{
	local f=$1 i grp="" type=(type mpath)

	shift
	for i in $(seq "$N"); do
		grp+="${grp:+/}$((f * 100 + i)),${WEIGHTS[i - 1]}"
	done
	[ "$KIND" != resilient ] ||
		type=(type resilient buckets 512 idle_timer 1 unbalanced_timer 0)
	ip -n "$R" nexthop replace id "$(grp_id "$f")" group "$grp" "${type[@]}" "$@"
}

# grp_policy FAMILY: the group's policy as "mode spill" (- for none)
grp_policy()
{
	ip -n "$R" -j nexthop get id "$(grp_id "$1")" |
		jq -r '.[0].lowpower_policy // {} | "\(.mode // "-") \(.spill // "-")"'
}

# stable_map FAMILY: route_map FAMILY 256 once two maps a second apart
# agree (a resilient group's buckets may still be moving back after the
# previous test)
stable_map()
{
	local a b i

	b=$(route_map "$1" 256)
	for i in $(seq 10); do
		sleep 1
		a=$b
		b=$(route_map "$1" 256)
		[ "$a" != "$b" ] || break
	done
	echo "$b"
}

# key_counts: whether R's links count traffic sent in R: with every mode
# off they do while the static key is on, and only then
key_counts()
{
	local before after

	before=$(lp_nh 4 | awk '{ s += $1 } END { print s + 0 }')
	send 4 local --flows 50 >/dev/null
	after=$(lp_nh 4 | awk '{ s += $1 } END { print s + 0 }')
	[ "$after" -gt "$before" ]
}

# policy_refused DESC PATTERN ARGS...: "ip ARGS" in R fails with PATTERN
# in its message
policy_refused()
{
	local desc=$1 pattern=$2 out

	shift 2
	if out=$(ip -n "$R" "$@" 2>&1); then
		ret_set_ksft_status "$ksft_fail" "$desc: accepted"
	elif ! grep -q -- "$pattern" <<<"$out"; then
		ret_set_ksft_status "$ksft_fail" "$desc: no '$pattern' in: $out"
	fi
}

group_policy()
{
	local f off map split share total pol out msg
	local -a req

	[ "$KIND" != legacy ] || return 0
	if ! ip nexthop help 2>&1 | grep -q lowpower; then
		log_test_skip "group policy" "ip without lowpower support"
		return
	fi
	lp_defaults
	for f in 4 6; do
		RET=0
		# mode 0 of its own in a namespace in mode 1: stock mapping
		off=$(stable_map "$f")
		grp_replace "$f" lowpower mode 0 ||
			ret_set_ksft_status "$ksft_fail" "cannot set the group's mode 0"
		lp_mode 1
		map=$(route_map "$f" 256)
		[ "$map" = "$off" ] ||
			ret_set_ksft_status "$ksft_fail" \
				"a group in mode 0 maps flows unlike stock in a mode-1 namespace"
		# mode 1 of its own in a namespace in mode 0: consolidates
		lp_mode 0
		grp_replace "$f" lowpower mode consolidate spill 50000 ||
			ret_set_ksft_status "$ksft_fail" "cannot set the group's mode 1"
		pol=$(grp_policy "$f")
		[ "$pol" = "1 50000" ] ||
			ret_set_ksft_status "$ksft_fail" \
				"policy read back as '$pol', want '1 50000'"
		split=$(sent_split "$f" local --flows 500 --size 64 --pps 1000)
		read -r share total <<<"$(top_share "$split")"
		[ "$share" -ge 90 ] || {
			msg="mode 1 group in a mode-0 namespace: busiest link has"
			msg+=" $share % of $total packets [$split]"
			ret_set_ksft_status "$ksft_fail" "$msg"
		}
		# a replace without a policy keeps it
		grp_replace "$f"
		pol=$(grp_policy "$f")
		[ "$pol" = "1 50000" ] ||
			ret_set_ksft_status "$ksft_fail" "a replace without a policy left '$pol'"
		msg="IPv$f group policy: mode 0 maps like stock in a mode-1 namespace,"
		msg+=" mode 1 puts $share % on one link in a mode-0 one"
		msg+=" [$split] ($(topo_desc))"
		log_test "$msg"
	done

	RET=0
	f=4
	req=(nexthop replace id "$(grp_id "$f")" group "$((f * 100 + 1))/$((f * 100 + 2))")
	[ "$KIND" != resilient ] || req+=(type resilient buckets 512)
	policy_refused "mode 3" "integer out of range" "${req[@]}" lowpower mode 3
	policy_refused "spill 0" "integer out of range" "${req[@]}" lowpower spill 0
	policy_refused "spill 10^9 + 1" "integer out of range" "${req[@]}" \
		lowpower spill 1000000001
	policy_refused "single nexthop" "A lowpower policy is for nexthop groups only" \
		nexthop replace id "$((f * 100 + 1))" via "$(gw "$f" 1)" dev r1 lowpower mode 1
	out=$(ip netns exec "$R" "${LP_NOBODY[@]}" ip "${req[@]}" lowpower mode 2 2>&1) &&
		ret_set_ksft_status "$ksft_fail" "an unprivileged user set a policy"
	grep -q "Operation not permitted" <<<"$out" ||
		ret_set_ksft_status "$ksft_fail" "unprivileged: $out"
	pol=$(grp_policy "$f")
	[ "$pol" = "1 50000" ] ||
		ret_set_ksft_status "$ksft_fail" "refused requests changed the policy to '$pol'"
	msg="group policy: out-of-range values, a single nexthop and an"
	msg+=" unprivileged user are refused with a message ($(topo_desc))"
	log_test "$msg"

	# every namespace in mode 0: the groups' own mode 1 holds the static
	# key on, giving the policy back lets it go
	RET=0
	key_counts ||
		ret_set_ksft_status "$ksft_fail" \
			"R's links count nothing while its groups run mode 1"
	grp_replace 4 lowpower
	grp_replace 6 lowpower
	pol=$(grp_policy 4)
	[ "$pol" = "- -" ] ||
		ret_set_ksft_status "$ksft_fail" "'lowpower' alone left the policy '$pol'"
	! key_counts ||
		ret_set_ksft_status "$ksft_fail" "the static key is still on with no mode anywhere"
	msg="group policy: a group's own mode holds the static key on,"
	msg+=" and lets it go ($(topo_desc))"
	log_test "$msg"
	lp_defaults
}

switch_under_traffic()
{
	local pids=() i f before after split total rx0 rx1 cpus=0 msg

	RET=0
	lp_defaults
	# the senders alternate between the CPUs: on an SMP kernel the
	# per-CPU counters, folds and weight updates run concurrently
	rx0=$(net_rx)
	for f in 4 6; do
		on_cpu "$cpus" ip netns exec "$H1" "${FLOWS[@]}" udp "$f" "$(dst "$f")" \
			"$PORT" --flows 400 --packets 10 --size 1000 --keep-going >/dev/null &
		pids+=($!)
		on_cpu $((cpus + 1)) ip netns exec "$R" "${FLOWS[@]}" udp "$f" "$(dst "$f")" \
			"$PORT" --flows 400 --packets 10 --size 1000 --keep-going >/dev/null &
		pids+=($!)
		cpus=$((cpus + 2))
	done
	for i in $(seq 12); do
		ip netns exec "$R" sysctl -qw net.ipv4.lowpower_mode=$((i % 2)) \
			net.ipv4.lowpower_ema_k_factor=$((i * 85)) \
			net.ipv4.lowpower_power_cost_weight=$((i * 80)) \
			net.ipv4.lowpower_spill_threshold=$((i * 50)) \
			net.ipv4.lowpower_epoch_ms=$((100 + i * 10)) \
			net.ipv4.lowpower_flow_idle_ms=$((10 + i * 40)) ||
			ret_set_ksft_status "$ksft_fail" "sysctl writes failed in round $i"
		case $((i % 4)) in
		0) ip -n "$R" link set r2 down; ip -n "$R" link set r2 up ;;
		1) ip -n "$R" -4 route del "${DST4%1}0/24"; add_routes ;;
		2) ip -n "$R" -6 route del "${DST6%1}/64"; add_routes ;;
		3) route_map 4 8 >/dev/null; route_map 6 8 >/dev/null ;;
		esac
	done
	for i in "${pids[@]}"; do
		wait "$i" || ret_set_ksft_status "$ksft_fail" "a sender failed"
	done
	rx1=$(net_rx)
	cpus=$(sub_counts "$rx0" "$rx1")
	if [ -n "${LOWPOWER_MIN_CPUS:-}" ] && [ "$(nproc)" -lt "$LOWPOWER_MIN_CPUS" ]; then
		ret_set_ksft_status "$ksft_fail" "$(nproc) CPUs online, $LOWPOWER_MIN_CPUS wanted"
	fi
	for i in $cpus; do
		[ "$i" -gt 0 ] ||
			ret_set_ksft_status "$ksft_fail" \
				"a CPU handled no traffic: NET_RX per CPU [$cpus]"
	done
	restore_links || ret_set_ksft_status "$ksft_fail" "cannot restore the links"
	lp_defaults
	lp_mode 1
	before=$(r_tx)
	if ! send 4 forwarded --flows 50 || ! send 6 local --flows 50; then
		ret_set_ksft_status "$ksft_fail" "traffic after the switching failed"
	fi
	after=$(r_tx)
	split=$(sub_counts "$before" "$after")
	read -r _ total <<<"$(top_share "$split")"
	[ "$total" -ge 100 ] ||
		ret_set_ksft_status "$ksft_fail" "$total of 100 packets left R afterwards"
	lp_defaults
	msg="switching modes and knobs, flapping links, replacing routes under"
	msg+=" traffic on $(nproc) CPUs, NET_RX per CPU [$cpus] ($(topo_desc))"
	log_test "$msg"
}

if [ ! -e /proc/sys/net/ipv4/lowpower_mode ]; then
	echo "SKIP: kernel without CONFIG_IP_ROUTE_LOWPOWER"
	exit "$ksft_skip"
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root"
	exit "$ksft_skip"
fi
for cmd in ip python3 sysctl taskset nstat iptables ip6tables jq; do
	if ! command -v "$cmd" >/dev/null; then
		echo "SKIP: $cmd not installed"
		exit "$ksft_skip"
	fi
done

trap cleanup EXIT

# all tests on 2 equal nexthops; on more nexthops those whose outcome
# depends on the number of nexthops and their weights.  LOWPOWER_TOPOS
# picks topologies: "N W1..WN" entries separated by ";" (each a pass of
# its own; lowpower_multipath_weighted.sh sets "4 1 2 3 4").
# LOWPOWER_ROUTES picks the kinds of route R has (lp_route), each a pass
# of its own: legacy multipath routes by default,
# lowpower_nexthop_groups.sh runs "group resilient".
IFS=';' read -r -a TOPOS <<<"${LOWPOWER_TOPOS:-2 1 1}"
read -r -a KINDS <<<"${LOWPOWER_ROUTES:-legacy}"
if ! lp_route_kinds_check "${KINDS[@]}"; then
	echo "FAIL: bad LOWPOWER_ROUTES"
	exit "$ksft_fail"
fi
for KIND in "${KINDS[@]}"; do
	for topo in "${TOPOS[@]}"; do
		# shellcheck disable=SC2086 # split into N and weights
		if ! build_topo $topo; then
			echo "FAIL: cannot build the topology ($topo, $KIND routes)"
			exit "$ksft_fail"
		fi
		for t in ${LOWPOWER_TESTS:-$ALL_TESTS}; do
			case $N:$t in
			2:*) ;;
			*:tcp_keeps_path|*:switch_under_traffic|*:metrics_grow) continue ;;
			*:prefixes_light|*:prefixes_spill) continue ;;
			esac
			$t
		done
	done
done

exit "$EXIT_STATUS"
