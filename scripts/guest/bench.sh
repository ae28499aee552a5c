#!/bin/bash
# Inside make bench's VM: the CPU cost benchmarks on whatever kernel
# booted (the unpatched base, or the series in lowpower modes 0, 1 and 2),
# with the modes interleaved: each round runs every benchmark once in each
# mode, so that a drift of the guest over the boot hits all modes alike.
#
# Namespaces (multipath hash policy 1, L4, everywhere, so that flows
# spread by port):
# - S sends through dummy devices: the packet's whole transmit path,
#   with nothing received.  Its multipath routes to 198.51.100.0/24 and
#   2001:db8:100::/64 go over 2 gateways on dummy d2, those to
#   203.0.113.0/24 over N gateways on dummy dN (N = 16, 64).
# - F sends to the same prefixes through a veth link to router R, which
#   forwards them over its own 2-nexthop routes on a dummy device.
# - C and V: two veth links, multipath routes both ways, a TCP echo server
#   on V's loopback address; C runs request/response over many
#   connections.
#
# Benchmarks, each "lowpower-bench" for SECONDS of guest time:
#   tx-conn-v4/v6    connected UDP, 1 flow (the route cached in the socket)
#   tx-unconn-v4/v6  unconnected UDP, 1000 flows: a lookup and a pick per
#                    packet
#   fwd-v4/v6        unconnected UDP from F, 1000 flows, forwarded by R
#   sel-N-F          unconnected IPv4 UDP over N nexthops (2, 16, 64), F
#                    flows (1000, 100000)
#   rr-v4            TCP request/response, 64 connections (2 x SECONDS)
#
# usage: guest/bench.sh ROUNDS SECONDS BENCH_BINARY
# Prints "bench: NAME MODE ROUND VALUE" lines (packets or transactions
# per second of guest time; MODE "-" on the base).
set -euo pipefail

if [ $# != 3 ] || ! [[ $1 =~ ^[1-9][0-9]?$ ]] || ! [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
	echo "usage: ${0##*/} ROUNDS (1..99) SECONDS BENCH_BINARY" >&2
	exit 2
fi
rounds=$1 secs=$2 bench=$3
[ -x "$bench" ] || { echo "${0##*/}: $bench is not executable" >&2; exit 2; }
NSS=(S F R C V)

# ns_new NS: a namespace with lo up and the L4 multipath hash
ns_new()
{
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.fib_multipath_hash_policy=1
}

# mp_routes NS DEV N PREFIX4 [PREFIX6]: multipath routes to the prefixes
# over N gateways on DEV (10.9.x.2.. / fd09:x::2..)
mp_routes()
{
	local ns=$1 dev=$2 n=$3 p4=$4 p6=${5:-} i
	local -a nh4=() nh6=()

	for ((i = 0; i < n; i++)); do
		nh4+=(nexthop via "10.${dev#d}.0.$((2 + i))" dev "$dev")
		nh6+=(nexthop via "fd09:${dev#d}::$((2 + i))" dev "$dev")
	done
	ip -n "$ns" route add "$p4" "${nh4[@]}"
	[ -z "$p6" ] || ip -n "$ns" -6 route add "$p6" "${nh6[@]}"
}

# dummy NS NAME: a dummy device with 10.X.0.1/16 and fd09:X::1/64, X the
# number in NAME
dummy()
{
	local x=${2#d}

	ip -n "$1" link add "$2" type dummy
	ip -n "$1" addr add "10.$x.0.1/16" dev "$2"
	ip -n "$1" addr add "fd09:$x::1/64" dev "$2" nodad
	ip -n "$1" link set "$2" up
}

setup()
{
	local ns i

	for ns in "${NSS[@]}"; do
		ns_new "$ns"
	done

	dummy S d2
	dummy S d16
	dummy S d64
	mp_routes S d2 2 198.51.100.0/24 2001:db8:100::/64
	mp_routes S d16 16 203.0.113.0/24
	mp_routes S d64 64 203.0.114.0/24

	ip -n F link add f0 type veth peer name r0 netns R
	ip -n F addr add 10.0.0.1/24 dev f0
	ip -n F addr add fd00::1/64 dev f0 nodad
	ip -n R addr add 10.0.0.2/24 dev r0
	ip -n R addr add fd00::2/64 dev r0 nodad
	ip -n F link set f0 up
	ip -n R link set r0 up
	ip -n F route add default via 10.0.0.2
	ip -n F -6 route add default via fd00::2
	ip netns exec R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	dummy R d2
	mp_routes R d2 2 198.51.100.0/24 2001:db8:100::/64

	for i in 1 2; do
		ip -n C link add "c$i" type veth peer name "v$i" netns V
		ip -n C addr add "10.10.$i.1/24" dev "c$i"
		ip -n V addr add "10.10.$i.2/24" dev "v$i"
		ip -n C link set "c$i" up
		ip -n V link set "v$i" up
	done
	ip -n V addr add 192.0.2.1/32 dev lo
	ip -n C addr add 192.0.2.2/32 dev lo
	ip -n C route add 192.0.2.1/32 src 192.0.2.2 \
		nexthop via 10.10.1.2 dev c1 nexthop via 10.10.2.2 dev c2
	ip -n V route add 192.0.2.2/32 \
		nexthop via 10.10.1.1 dev v1 nexthop via 10.10.2.1 dev v2
	ip netns exec V "$bench" rr-server --port 12000 &
	server=$!
	# the server listens once a connection goes through
	for i in $(seq 50); do
		ip netns exec C bash -c 'exec 3<>/dev/tcp/192.0.2.1/12000' 2>/dev/null && return
		sleep 0.1
	done
	echo "${0##*/}: the echo server does not answer" >&2
	return 1
}

set_mode()
{
	local ns

	[ "$1" != - ] || return 0
	for ns in "${NSS[@]}"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.lowpower_mode="$1"
	done
}

# run NAME MODE ROUND NS ARGS...: one benchmark, one line
run()
{
	local name=$1 mode=$2 round=$3 ns=$4 out

	shift 4
	out=$(ip netns exec "$ns" "$bench" "$@") || {
		echo "${0##*/}: $name failed in mode $mode" >&2
		return 1
	}
	echo "bench: $name $mode $round $(sed -E 's/^[a-z]+ [a-z]+=([0-9]+) .*/\1/' <<<"$out")"
}

modes=(-)
[ -e /proc/sys/net/ipv4/lowpower_mode ] && modes=(0 1 2)
echo "guest-bench: $(uname -r), $(nproc) CPU(s), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
setup
for ((r = 1; r <= rounds; r++)); do
	for m in "${modes[@]}"; do
		set_mode "$m"
		run tx-conn-v4 "$m" "$r" S udp --dst 198.51.100.1 --connected --time "$secs"
		run tx-conn-v6 "$m" "$r" S udp --dst 2001:db8:100::1 --connected --time "$secs"
		run tx-unconn-v4 "$m" "$r" S udp --dst 198.51.100.1 --flows 1000 --time "$secs"
		run tx-unconn-v6 "$m" "$r" S udp --dst 2001:db8:100::1 --flows 1000 --time "$secs"
		run fwd-v4 "$m" "$r" F udp --dst 198.51.100.1 --flows 1000 --time "$secs"
		run fwd-v6 "$m" "$r" F udp --dst 2001:db8:100::1 --flows 1000 --time "$secs"
		for f in 1000 100000; do
			run "sel-2-$f" "$m" "$r" S udp --dst 198.51.100.1 --flows "$f" --time "$secs"
			run "sel-16-$f" "$m" "$r" S udp --dst 203.0.113.1 --flows "$f" --time "$secs"
			run "sel-64-$f" "$m" "$r" S udp --dst 203.0.114.1 --flows "$f" --time "$secs"
		done
		run rr-v4 "$m" "$r" C rr --dst 192.0.2.1 --port 12000 --conns 64 \
			--time "$(bc <<<"2 * $secs")"
	done
done
kill "$server"
