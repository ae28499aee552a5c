#!/bin/bash
# Inside the demo VM: the ECMP testbed and the measurements, built with the
# selftests' testbed library (lowpower_lib.sh).
#
#   client ns ==== path A: netem 5 ms ==================== server ns
#             ==== path B (and more): netem 5 ms +- JITTER ====
#
# The client reaches 198.51.100.1 over a nexthop group of all paths (what
# FRR installs; L4 multipath hash), 198.51.100.2 over path A only (the
# reference: the calm path alone) and 198.51.100.3 over path B only.
# Paced TCP connections to .1 feed the kernel's per-link RTT signal; a
# transfer to .3 makes path B the busiest link, the one consolidation
# (mode 1) fills first.  In one boot:
#
# 1. probes (a new flow each): path A alone, then lowpower_mode 0, 1, 2;
#    probes per path, background throughput;
# 2. mode 2 over time: probes at 100 new flows/s while path B is calm,
#    jittery, calm again; probes per path sampled every half second;
#    `ip -s nexthop show` at the end;
# 3. power proxy: short TCP connections only, mode 0 then mode 1, every
#    packet each path sends captured (tcpdump) to find idle gaps;
# 4. router: a router forwarding over a calm and a jittery path, probes
#    through it over the calm path alone, then to the group in mode 0,
#    mode 2, and mode 2 with lowpower-prober on it.
#
# Writes results.txt and the raw files of each step into OUT.
#
# usage: guest/demo.sh OUT PROBES JITTER_MS PATHS COST FLOWS RATE CLOCK PROBE_BIN LIB
set -euo pipefail

usage="OUT PROBES JITTER_MS PATHS COST FLOWS RATE CLOCK PROBE_BIN LIB"
[ $# = 10 ] || { echo "usage: ${0##*/} $usage" >&2; exit 2; }
out=$1 probes=$2 jitter=$3 paths=$4 cost=$5 nflows=$6 rate=$7 clock=$8
LP_RTT_PROBE=$9
# shellcheck source=selftests/net/lowpower/lowpower_lib.sh
. "${10}"
[ -n "$LP_PROBER" ] || { echo "${0##*/}: lowpower-prober is not on PATH" >&2; exit 1; }
C=lpc S=lps H=lph R=lpr
SVC=198.51.100.1 REF=198.51.100.2 BUSY=198.51.100.3 PORT=7000
DELAY=5
# the transfer that makes path B the busiest link: connections, B/s each
BUSY_CONNS=6 BUSY_RATE=50000
# the router step's paths, the jitter test's: 10 ms and 10 ms +- 2 x JITTER
# (the router's own forwarding work adds about a millisecond of spread in
# emulated time to every path, which would hide a smaller jitter)
R_DELAY=10 R_JITTER=$((2 * jitter))
# the power step: seconds captured per mode, B/s of each connection
POWER_S=20 POWER_RATE=100000
mkdir -p "$out"
res=$out/results.txt
: >"$res"
echo "kernel $(uname -r)" >>"$res"
echo "testbed paths=$paths jitter_ms=$jitter cost=$cost flows=$nflows rate=$rate clock=$clock cpus=$(nproc) busy_conns=$BUSY_CONNS busy_rate=$BUSY_RATE power_s=$POWER_S power_rate=$POWER_RATE router_delay_ms=$R_DELAY router_jitter_ms=$R_JITTER" >>"$res"

progress() { echo "demo: [$(date +%T)] $*"; }
result() { echo "$*" >>"$res"; }
cx() { ip netns exec "$C" "$@"; }
sx() { ip netns exec "$S" "$@"; }

stop_jobs()
{
	jobs -p | xargs -r kill 2>/dev/null || true
	wait 2>/dev/null || true
}

cleanup()
{
	stop_jobs
	ip -all netns del 2>/dev/null || true
}
trap cleanup EXIT

devs=()
for i in $(seq "$paths"); do
	devs+=("c$i")
done

progress "building the testbed: $paths paths, path A $DELAY ms, others $DELAY ms +- $jitter ms"
ip netns add "$C"
ip netns add "$S"
ip -n "$C" link set lo up
lp_paths "$C" c "$S" "$paths" "$SVC" "$REF" "$BUSY"
nhs=()
for i in $(seq "$paths"); do
	nhs+=("10.0.$i.2 c$i 1")
done
lp_route "$C" 4 "$SVC/32" group 10 "${nhs[@]}"
ip -n "$C" route add "$REF/32" via 10.0.1.2 dev c1
# over a group of path B's nexthop alone: its traffic counts as the load
# of path B's link, which that link's state shares with the group above
ip -n "$C" nexthop add id 30 group 12
ip -n "$C" route add "$BUSY/32" nhid 30
cx sysctl -qw net.ipv4.fib_multipath_hash_policy=1
cx sysctl -qw net.ipv4.lowpower_power_cost_weight="$cost"
lp_netem "$C" c1 "$DELAY"
for i in $(seq 2 "$paths"); do
	lp_netem "$C" "c$i" "$DELAY" "$jitter"
done
# count probes per path: a flower filter on the egress hook
for d in "${devs[@]}"; do
	cx tc qdisc add dev "$d" clsact
	cx tc filter add dev "$d" egress protocol ip flower ip_proto udp \
		dst_port "$PORT" action pass
done

# probe_counts: probes each path has sent so far
probe_counts()
{
	local d

	for d in "${devs[@]}"; do
		echo "filter show dev $d egress"
	done | tc -n "$C" -s -batch - |
		awk '/Sent [0-9]+ bytes [0-9]+ pkt/ { printf "%s%s", sep, $4; sep = " " }
		     END { print "" }'
}

# rx_bytes NS DEV...: bytes the DEVs of NS received
rx_bytes()
{
	local ns=$1 d files=()

	shift
	for d in "$@"; do
		files+=("/sys/class/net/$d/statistics/rx_bytes")
	done
	ip netns exec "$ns" cat "${files[@]}" | paste -sd+ | bc
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

ncpu=$(nproc)
# the probe gets the last CPU to itself, the background the others
pin=()
bgpin=()
if [ "$ncpu" -gt 1 ]; then
	pin=(-C $((ncpu - 1)))
	bgpin=(taskset -c 0-$((ncpu - 2)))
fi

progress "starting the probe server, $nflows paced background TCP connections of $rate B/s and the transfer on path B ($ncpu CPUs)"
lp_background "$C" "$S" "$SVC" "$PORT" "$nflows" "$rate" "${bgpin[@]}"
background=$LP_BULK
cx "${bgpin[@]}" "${LP_FLOWS[@]}" bulk 4 "$BUSY" "$LP_BULK_PORT" \
	--connections "$BUSY_CONNS" --rate "$BUSY_RATE" >/dev/null &
busy=$!
sleep 2

# run_probe NAME NS DST [SHARES]: PROBES probes from NS to DST, a new flow
# each, pinned; with SHARES, the client's probes per path and the
# server's receive rate too
run_probe()
{
	local name=$1 ns=$2 dst=$3 before after rx0 rx1 t0 t1 summary
	local s_devs=()

	for i in $(seq "$paths"); do
		s_devs+=("s$i")
	done
	if [ -n "${4:-}" ]; then
		before=$(probe_counts)
		rx0=$(rx_bytes "$S" "${s_devs[@]}")
	fi
	t0=$(date +%s.%N)
	summary=$(ip netns exec "$ns" "$LP_RTT_PROBE" -q -n -c "$probes" -i 2000 \
		  -w 1000 "${pin[@]}" -o 10,12 -f "$out/$name.csv" "$dst" "$PORT")
	t1=$(date +%s.%N)
	result "$name ${summary#summary }"
	if [ -n "${4:-}" ]; then
		rx1=$(rx_bytes "$S" "${s_devs[@]}")
		after=$(probe_counts)
		result "$name shares $(sub_counts "$before" "$after")"
		result "$name bulk_Bps $(echo "($rx1 - $rx0) / ($t1 - $t0)" | bc)"
	fi
	progress "$name: ${summary#summary }"
}

progress "step 1: reference, path A alone ($probes probes)"
run_probe ref "$C" "$REF" shares
for mode in 0 1 2; do
	cx sysctl -qw net.ipv4.lowpower_mode="$mode"
	progress "step 1: lowpower_mode $mode: settling, then $probes probes"
	sleep 3
	run_probe "mode$mode" "$C" "$SVC" shares
done

# Step 2.  The probes are new flows at 100/s; with an idle time of 200 ms
# their buckets are idle again before the next probe is likely to hash
# to them, so they follow the weights of the moment (with the default
# 1000 ms a probe would often meet a bucket a recent probe keeps
# running, which by design keeps its path).
progress "step 2: mode 2 over 60 s: path B calm 10 s, jittery 20 s, calm 30 s"
cx sysctl -qw net.ipv4.lowpower_mode=2 net.ipv4.lowpower_flow_idle_ms=200
lp_netem "$C" c2 "$DELAY"
sleep 5
ts=$out/timeseries.csv
echo "t,event,${devs[*]}" | tr ' ' ',' >"$ts"
cx "$LP_RTT_PROBE" -q -n -c 6200 -i 10000 -w 1000 "${pin[@]}" "$SVC" "$PORT" \
	>"$out/timeseries.summary" &
probe_bg=$!
t0=$(date +%s.%N)
event=start
# sample_until SECONDS: sample probes per path every half second, until
# SECONDS after the start
sample_until()
{
	local now

	while :; do
		now=$(echo "$(date +%s.%N) - $t0" | bc)
		echo "$now,$event,$(probe_counts | tr ' ' ',')" >>"$ts"
		event=
		[ "$(echo "$now >= $1" | bc)" = 0 ] || return 0
		sleep 0.5
	done
}
sample_until 10
lp_netem "$C" c2 "$DELAY" "$jitter"
event=jitter_on
sample_until 30
lp_netem "$C" c2 "$DELAY"
event=jitter_off
sample_until 60
wait "$probe_bg" || true
ip -n "$C" -s nexthop show >"$out/nexthop.txt"
cx cat /proc/net/lowpower >"$out/lowpower.txt"
progress "step 2: probes per path over time in timeseries.csv"

# Step 3: the long connections stop; two loops of 8 two-second
# connections at POWER_RATE are all the traffic; tcpdump stamps every packet
# each path sends.
stop_power_loops() { kill "$@" 2>/dev/null || true; wait "$@" 2>/dev/null || true; }
kill "$background" "$busy" 2>/dev/null || true
wait "$background" "$busy" 2>/dev/null || true
for mode in 0 1; do
	progress "step 3: power proxy, lowpower_mode $mode: short connections only, $POWER_S s captured"
	cx sysctl -qw net.ipv4.lowpower_mode="$mode"
	sleep 3
	loops=()
	for i in 1 2; do
		cx "${bgpin[@]}" bash -c 'while :; do "$@" >/dev/null 2>&1; done' \
			short "${LP_FLOWS[@]}" bulk 4 "$SVC" "$LP_BULK_PORT" \
			--connections 8 --seconds 2 --rate "$POWER_RATE" &
		loops+=("$!")
	done
	sleep 3
	caps=()
	for d in "${devs[@]}"; do
		cx timeout -s INT "$POWER_S" tcpdump -i "$d" -Q out -tt -n -q -l \
			>"$out/power-mode$mode-$d.txt" 2>/dev/null &
		caps+=("$!")
	done
	wait "${caps[@]}" || true
	stop_power_loops "${loops[@]}"
done

# Step 4: the router
progress "step 4: router: R forwards over path A ($R_DELAY ms) and path B ($R_DELAY ms +- $R_JITTER ms)"
stop_jobs
ip netns del "$S"
ip netns del "$C"
ip netns add "$H"
ip netns add "$R"
ip netns add "$S"
ip -n "$H" link set lo up
ip -n "$R" link set lo up
lp_router_testbed "$H" "$R" "$S" "$SVC" "$PORT" group "$R_DELAY" "$R_JITTER"
# the router's reference: REF through path A alone
ip -n "$S" addr add "$REF/32" dev lo
ip -n "$R" route add "$REF/32" via 10.0.1.2 dev r1
# 500 probes a second keep most of the group's buckets in use within the
# default idle time, and a bucket in use keeps its path (flow stability):
# with 200 ms, as in step 2, each probe meets an idle bucket that follows
# the weights of the moment
ip netns exec "$R" sysctl -qw net.ipv4.lowpower_flow_idle_ms=200
run_probe router-ref "$H" "$REF"
run_probe router-mode0 "$H" "$SVC"
ip netns exec "$R" sysctl -qw net.ipv4.lowpower_mode=2
sleep 2
run_probe router-mode2-noprober "$H" "$SVC"
ip netns exec "$R" "$LP_PROBER" -r "$SVC/32" --interval 50 --stats 0 \
	2>"$out/prober.log" &
prober=$!
sleep 5
run_probe router-mode2 "$H" "$SVC"
ip -n "$R" -s nexthop show >"$out/router-nexthop.txt"
kill "$prober" 2>/dev/null || true
wait "$prober" || true
progress "done"
