#!/bin/bash
# Inside the demo VM: the ECMP testbed and the measurements.
#
#   client ns ==== path A: netem 5 ms ==================== server ns
#             ==== path B (and more): netem 5 ms +- JITTER ====
#
# The client reaches 198.51.100.1 over all paths (L4 multipath hash) and
# 198.51.100.2 over path A only (the reference: the stable path alone).
# Steady paced TCP connections keep the kernel's per-path RTT signal fed.
# Measures, in one boot: path A alone, then lowpower_mode 0, 1 and 2 with
# the latency probe (a new flow per probe), per-path probe shares and the
# background throughput; then in mode 2 the time new flows take to steer
# away from path B after jitter starts on it, and to come back after it
# stops.  Writes results.txt and one CSV per run into OUT.
#
# usage: guest-demo.sh OUT PROBES JITTER_MS PATHS COST FLOWS RATE PROBE_BIN FLOWS_PY
set -euo pipefail

usage="OUT PROBES JITTER_MS PATHS COST FLOWS RATE PROBE_BIN FLOWS_PY"
[ $# = 9 ] || { echo "usage: ${0##*/} $usage" >&2; exit 2; }
out=$1 probes=$2 jitter=$3 paths=$4 cost=$5 nflows=$6 rate=$7 probe=$8 flows=$9
C=lpc S=lps
SVC=198.51.100.1 REF=198.51.100.2 PORT=7000 BULK=5001
mkdir -p "$out"
res=$out/results.txt
: >"$res"
echo "kernel $(uname -r)" >>"$res"
echo "testbed paths=$paths jitter_ms=$jitter cost=$cost flows=$nflows rate=$rate" >>"$res"

progress() { echo "demo: [$(date +%T)] $*"; }
result() { echo "$*" >>"$res"; }
cx() { ip netns exec "$C" "$@"; }
sx() { ip netns exec "$S" "$@"; }

cleanup()
{
	jobs -p | xargs -r kill 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	ip netns del "$S" 2>/dev/null || true
}
trap cleanup EXIT

progress "building the testbed: $paths paths, path A 5 ms, others 5 ms +- $jitter ms"
ip netns add "$C"
ip netns add "$S"
nhs=()
for i in $(seq "$paths"); do
	ip -n "$C" link add "c$i" type veth peer name "s$i" netns "$S"
	ip -n "$C" addr add "10.0.$i.1/24" dev "c$i"
	ip -n "$S" addr add "10.0.$i.2/24" dev "s$i"
	ip -n "$C" link set "c$i" up
	ip -n "$S" link set "s$i" up
	nhs+=(nexthop via "10.0.$i.2" dev "c$i")
done
ip -n "$C" link set lo up
ip -n "$S" link set lo up
ip -n "$S" addr add "$SVC/32" dev lo
ip -n "$S" addr add "$REF/32" dev lo
ip -n "$C" route add "$SVC/32" "${nhs[@]}"
ip -n "$C" route add "$REF/32" via 10.0.1.2 dev c1
cx sysctl -qw net.ipv4.fib_multipath_hash_policy=1
cx sysctl -qw net.ipv4.lowpower_power_cost_weight="$cost"

# path delays on the client's egress; replies come back undelayed
netem()
{
	local dev=$1 j=$2

	if [ "$j" = 0 ]; then
		cx tc qdisc replace dev "$dev" root netem delay 5ms limit 100000
	else
		cx tc qdisc replace dev "$dev" root netem delay 5ms "${j}ms" limit 100000
	fi
}
netem c1 0
for i in $(seq 2 "$paths"); do
	netem "c$i" "$jitter"
done
# count probes per path: a flower filter on the egress hook
for i in $(seq "$paths"); do
	cx tc qdisc add dev "c$i" clsact
	cx tc filter add dev "c$i" egress protocol ip flower ip_proto udp \
		dst_port "$PORT" action pass
done

probe_counts()
{
	local i

	for i in $(seq "$paths"); do
		cx tc -s filter show dev "c$i" egress |
			sed -n 's/.*Sent [0-9]* bytes \([0-9]*\) pkt.*/\1/p' | head -n 1
	done | xargs
}

# bytes the server received on all paths
rx_bytes()
{
	local i files=()

	for i in $(seq "$paths"); do
		files+=("/sys/class/net/s$i/statistics/rx_bytes")
	done
	sx cat "${files[@]}" | paste -sd+ | bc
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

progress "starting the probe server and $nflows paced background TCP connections of $rate B/s ($(nproc) CPUs)"
sx "$probe" --server -4 "$PORT" &
sx python3 "$flows" bulk-sink 4 "$BULK" &
sleep 1
# the probe gets the last CPU to itself, the background the others
ncpu=$(nproc)
pin=()
bgpin=()
if [ "$ncpu" -gt 1 ]; then
	pin=(-C $((ncpu - 1)))
	bgpin=(taskset -c 0-$((ncpu - 2)))
fi
cx "${bgpin[@]}" python3 "$flows" bulk 4 "$SVC" "$BULK" --connections "$nflows" \
	--rate "$rate" >/dev/null &
sleep 4

# run_probe NAME DST: one probe run, pinned, a new flow per probe
run_probe()
{
	local name=$1 dst=$2 before after rx0 rx1 t0 t1 summary

	before=$(probe_counts)
	rx0=$(rx_bytes)
	t0=$(date +%s.%N)
	summary=$(cx "$probe" -q -n -c "$probes" -i 2000 -w 1000 "${pin[@]}" \
		  -o 10,12 -f "$out/$name.csv" "$dst" "$PORT")
	t1=$(date +%s.%N)
	rx1=$(rx_bytes)
	after=$(probe_counts)
	result "$name ${summary#summary }"
	result "$name shares $(sub_counts "$before" "$after")"
	result "$name bulk_Bps $(echo "($rx1 - $rx0) / ($t1 - $t0)" | bc)"
	progress "$name: ${summary#summary }"
}

progress "reference: path A alone ($probes probes)"
run_probe ref "$REF"
for mode in 0 1 2; do
	cx sysctl -qw net.ipv4.lowpower_mode="$mode"
	progress "lowpower_mode $mode: settling, then $probes probes"
	sleep 3
	run_probe "mode$mode" "$SVC"
done

# share of 32 flows "ip route get" maps to path B
b_share()
{
	local p

	for p in $(seq 20000 20031); do
		echo "route get $SVC ipproto udp sport $p dport $PORT"
	done | cx ip -batch - | grep -c " dev c2 " || true
}

# wait_share below|above LIMIT MAX_S: seconds until b_share is at most /
# at least LIMIT, -1 if that takes more than MAX_S
wait_share()
{
	local t0 now share ok

	t0=$(date +%s.%N)
	while :; do
		share=$(b_share)
		now=$(date +%s.%N)
		if [ "$1" = below ]; then ok=$((share <= $2)); else ok=$((share >= $2)); fi
		if [ "$ok" = 1 ]; then
			echo "$now - $t0" | bc
			return
		fi
		if [ "$(echo "$now - $t0 > $3" | bc)" = 1 ]; then
			echo -1
			return
		fi
		sleep 0.3
	done
}

progress "mode 2 dynamics: path B calm, then jittery, then calm again"
# The 32 sampled flows must be new flows to the kernel: a flow whose
# bucket saw a lookup within lowpower_flow_idle_ms is a running flow and
# keeps its path (the background connections and the probe do).  They
# are sampled every 300 ms, so with an idle time of 200 ms their buckets
# are idle at every epoch.
cx sysctl -qw net.ipv4.lowpower_mode=2 net.ipv4.lowpower_flow_idle_ms=200
netem c2 0
sleep 8
result "steady_calm_b_flows $(b_share)"
netem c2 "$jitter"
steer=$(wait_share below 0 10)
result "steer_away_s $steer"
progress "new flows left path B ${steer} s after jitter started"
sleep 3
netem c2 0
back=$(wait_share above 8 30)
result "return_s $back"
progress "new flows came back to path B ${back} s after jitter stopped"
cx cat /proc/net/lowpower >"$out/lowpower.txt"
progress "done"
