#!/bin/bash
# Inside the regression VM: where multipath routes send 256 flows each, as
# "ip route get" answers them, one line per flow: "KIND SPORT DEVICE".
# Legacy multipath routes and nexthop groups, IPv4 and IPv6, weighted
# 1:2:3:4, fixed hash seed and policy (L4).  On the patched kernel the
# namespace stays in lowpower_mode 0 while another one runs mode 1, so the
# feature's static key is on: the answers must equal the unpatched base's.
#
# usage: guest/route-map.sh OUTFILE
set -euo pipefail

[ $# = 1 ] || { echo "usage: ${0##*/} OUTFILE" >&2; exit 2; }
out=$1
ns=lp-map-$$
aux=lp-map-aux-$$

cleanup()
{
	ip netns del "$ns" 2>/dev/null || true
	ip netns del "$aux" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$ns"
ip netns add "$aux"
if [ -e /proc/sys/net/ipv4/lowpower_mode ]; then
	ip netns exec "$aux" sysctl -qw net.ipv4.lowpower_mode=1
fi
{
	echo "link set lo up"
	for i in 1 2 3 4; do
		echo "link add m$i type dummy"
		echo "link set m$i up"
		echo "address add 10.$i.0.1/24 dev m$i"
		echo "address add 2001:db8:1$i::1/64 dev m$i nodad"
	done
	for i in 1 2 3 4; do
		echo "nexthop add id $i via 10.$i.0.2 dev m$i"
		echo "nexthop add id 1$i via 2001:db8:1$i::2 dev m$i"
	done
	echo "nexthop add id 100 group 1,1/2,2/3,3/4,4"
	echo "nexthop add id 106 group 11,1/12,2/13,3/14,4"
	echo "route add 198.51.100.0/24 nexthop via 10.1.0.2 dev m1 weight 1 nexthop via 10.2.0.2 dev m2 weight 2 nexthop via 10.3.0.2 dev m3 weight 3 nexthop via 10.4.0.2 dev m4 weight 4"
	echo "route add 203.0.113.0/24 nhid 100"
	echo "route add 2001:db8:2::/64 nexthop via 2001:db8:11::2 dev m1 weight 1 nexthop via 2001:db8:12::2 dev m2 weight 2 nexthop via 2001:db8:13::2 dev m3 weight 3 nexthop via 2001:db8:14::2 dev m4 weight 4"
	echo "route add 2001:db8:3::/64 nhid 106"
} | ip -n "$ns" -batch -
ip netns exec "$ns" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
	net.ipv6.fib_multipath_hash_policy=1 \
	net.ipv4.fib_multipath_hash_seed=20261122

# map KIND DST: the device of each of 256 UDP flows to DST
map()
{
	local kind=$1 dst=$2 p

	for p in $(seq 10000 10255); do
		echo "route get $dst ipproto udp sport $p dport 9"
	done | ip -n "$ns" -batch - |
		sed -n 's/.* dev \(m[0-9]\) .*/\1/p' |
		awk -v k="$kind" '{ print k, 10000 + NR - 1, $1 }'
}

{
	map ipv4-legacy 198.51.100.1
	map ipv4-nhid 203.0.113.1
	map ipv6-legacy 2001:db8:2::1
	map ipv6-nhid 2001:db8:3::1
} >"$out"
echo "guest-route-map: $(wc -l <"$out") answers in $out"
[ "$(wc -l <"$out")" = 1024 ]
