#!/bin/bash
# Inside the memory benchmark's VM: what a multipath route costs in kernel
# memory, per kind of route, on whatever kernel booted (the unpatched base
# or the series; on the series in lowpower mode 0 and mode 1).
#
# Each case runs in a fresh namespace with two veth links and adds COUNT
# routes over both of them in one "ip -batch"; the cost is the growth of
# Slab + Percpu (/proc/meminfo) over COUNT, after the namespace settled.
# Kinds: IPv4 legacy routes (10 gateways per link, 20 weights: 2000
# distinct nexthop sets over 20 links, so the routes share 2000
# fib_infos, as a full table shares its few next hops),
# IPv6 legacy routes
# (each has its own siblings), and routes over a nexthop group of their
# own, hash-threshold or resilient (128 buckets), IPv4 and IPv6, where
# the cost includes the group.
#
# usage: guest/memory.sh COUNT
# Prints "memory: KIND MODE COUNT BYTES" lines, BYTES per route.
set -euo pipefail

if [ $# != 1 ] || ! [[ $1 =~ ^[1-9][0-9]{2,5}$ ]]; then
	echo "usage: ${0##*/} COUNT (100..999999)" >&2
	exit 2
fi
count=$1
ns=lpmem

meminfo_kb()
{
	awk '$1 == "Slab:" || $1 == "Percpu:" { kb += $2 } END { print kb }' /proc/meminfo
}

# settle: let RCU callbacks and deferred frees of earlier cases run
settle()
{
	sync
	echo 2 >/proc/sys/vm/drop_caches
	sleep 2
}

setup()
{
	ip netns add "$ns"
	ip -n "$ns" -batch - <<-EOF
		link set lo up
		link add name lpa type veth peer name lpa2
		link add name lpb type veth peer name lpb2
		link set lpa up
		link set lpa2 up
		link set lpb up
		link set lpb2 up
		address add 10.1.0.1/24 dev lpa
		address add 10.2.0.1/24 dev lpb
		address add 2001:db8:a::1/64 dev lpa nodad
		address add 2001:db8:b::1/64 dev lpb nodad
		neigh replace 10.1.0.2 lladdr 02:00:00:00:00:0a dev lpa
		neigh replace 10.2.0.2 lladdr 02:00:00:00:00:0b dev lpb
		neigh replace 2001:db8:a::2 lladdr 02:00:00:00:00:0a dev lpa
		neigh replace 2001:db8:b::2 lladdr 02:00:00:00:00:0b dev lpb
		nexthop add id 1 via 10.1.0.2 dev lpa
		nexthop add id 2 via 10.2.0.2 dev lpb
		nexthop add id 3 via 2001:db8:a::2 dev lpa
		nexthop add id 4 via 2001:db8:b::2 dev lpb
	EOF
}

# commands KIND: the batch that adds $count routes of KIND (awk: a shell
# loop takes minutes for 100000 routes in the guest)
commands()
{
	awk -v kind="$1" -v n="$count" 'BEGIN {
		split(kind, k, "-")
		for (i = 1; i <= n; i++) {
			p4 = sprintf("172.%d.%d.%d/32", 16 + int(i / 65536), int(i / 256) % 256, i % 256)
			p6 = sprintf("2001:db8:1:%x::/64", i)
			if (kind == "v4-legacy") {
				printf "route add %s nexthop via 10.1.0.%d dev lpa weight %d nexthop via 10.2.0.%d dev lpb\n",
					p4, 2 + i % 10, 1 + int(i / 100) % 20, 2 + int(i / 10) % 10
			} else if (kind == "v6-legacy") {
				printf "route add %s nexthop via 2001:db8:a::2 dev lpa nexthop via 2001:db8:b::2 dev lpb\n", p6
			} else {
				printf "nexthop add id %d group %s%s\n", 100 + i,
					k[1] == "v4" ? "1/2" : "3/4",
					k[2] == "resilient" ? " type resilient buckets 128" : ""
				printf "route add %s nhid %d\n", k[1] == "v4" ? p4 : p6, 100 + i
			}
		}
	}'
}

# measure KIND MODE: one case
measure()
{
	local before after batch

	batch=$(mktemp)
	commands "$1" >"$batch"
	setup
	if [ "$2" != - ]; then
		ip netns exec "$ns" sysctl -qw net.ipv4.lowpower_mode="$2"
	fi
	settle
	before=$(meminfo_kb)
	ip -n "$ns" -batch "$batch"
	settle
	after=$(meminfo_kb)
	echo "memory: $1 $2 $count $(((after - before) * 1024 / count))"
	ip netns del "$ns"
	rm -f "$batch"
	settle
}

modes=(-)
[ -e /proc/sys/net/ipv4/lowpower_mode ] && modes=(0 1)
echo "guest-memory: $(uname -r), $(nproc) CPU(s)"
for kind in v4-legacy v6-legacy v4-group v6-group v4-resilient v6-resilient; do
	for mode in "${modes[@]}"; do
		measure "$kind" "$mode"
	done
done
