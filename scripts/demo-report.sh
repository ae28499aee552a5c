#!/bin/bash
# Turn the demo's raw results (guest/demo.sh) into the report: a headline,
# the targets each met or not with what that means, the probe RTTs side by
# side (path A alone, modes 0, 1, 2), mode 2 over time, the power proxy of
# mode 1, the router case, and the plots (gnuplot).  Prints the headline
# and the targets, writes OUT/report.md.
#
# usage: demo-report.sh RAW_DIR OUT_DIR
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: demo-report.sh RAW_DIR OUT_DIR"
# numbers as the report writes them, whatever the host's locale
export LC_ALL=C
raw=$1 out=$2
res=$raw/results.txt
[ -s "$res" ] || die "$res missing or empty: the demo VM did not measure"
command -v gnuplot >/dev/null || die "gnuplot not found (make deps)"
mkdir -p "$out"

RUNS=(ref mode0 mode1 mode2)
# the paths' names by number
NAMES=(- A B C D E F G H)
ROUTER_RUNS=(router-ref router-mode0 router-mode2-noprober router-mode2)
declare -A TITLE=([ref]="path A alone" [mode0]="mode 0 (stock)"
		  [mode1]="mode 1 (consolidate)" [mode2]="mode 2 (jitter-avoid)"
		  [router-ref]="path A alone" [router-mode0]="mode 0 (stock)"
		  [router-mode2-noprober]="mode 2, no prober"
		  [router-mode2]="mode 2 + lowpower-prober")

for r in "${RUNS[@]}" "${ROUTER_RUNS[@]}"; do
	[ -s "$raw/$r.csv" ] || die "$raw/$r.csv missing"
done
for f in timeseries.csv nexthop.txt router-nexthop.txt; do
	[ -s "$raw/$f" ] || die "$raw/$f missing"
done

# get RUN KEY: a value of a run's summary line ("RUN count=... key=value")
get()
{
	local v

	v=$(grep -E "^$1 count=" "$res" | tr ' ' '\n' | sed -n "s/^$2=//p")
	[ -n "$v" ] || die "$res has no $2 for $1"
	echo "$v"
}

# tb KEY: a value of the testbed line ("testbed key=value ...")
tb()
{
	local v

	v=$(grep -E '^testbed ' "$res" | tr ' ' '\n' | sed -n "s/^$1=//p")
	[ -n "$v" ] || die "$res has no testbed $1"
	echo "$v"
}

# calc EXPR: bc with 6 decimals; f3 X: X (ms) with 3 decimals, the
# probe's resolution; x2 A B: A / B as "0.281x" (3 significant digits)
calc() { echo "scale=6; $1" | bc; }
f3() { printf '%.3f' "$1"; }
x2() { printf '%.3gx' "$(calc "$1 / $2")"; }
le() { [ "$(calc "$1 <= $2")" = 1 ]; }
within() { le "$2" "$1" && le "$1" "$3"; }
verdict() { if "$@"; then echo "met"; else echo "**missed**"; fi; }

paths=$(tb paths) clock=$(tb clock) power_s=$(tb power_s)
kernel=$(sed -n 's/^kernel //p' "$res")
shares_of() { sed -n "s/^$1 shares //p" "$res" | tail -n 1; }
bulk_of() { sed -n "s/^$1 bulk_Bps //p" "$res" | tail -n 1; }

# --- mode 2 over time: probes per path per second, steer-away and return
awk -F, -v paths="$paths" '
NR == 1 { next }
{
	t = $1
	if (n) {
		dt = t - pt; tot = 0
		printf "%.3f", (t + pt) / 2
		for (i = 3; i <= NF; i++) {
			d = $i - prev[i]; tot += d
			printf " %.1f", d / dt
		}
		printf "\n"
	}
	for (i = 3; i <= NF; i++) prev[i] = $i
	pt = t; n++
}' "$raw/timeseries.csv" >"$out/timeseries.dat"
read -r t_on t_off steer back < <(awk -F, -v paths="$paths" '
NR == 1 { next }
{
	t = $1; d = $4 - pb; tot = 0
	for (i = 3; i <= NF; i++) tot += $i - prev[i]
	if ($2 == "jitter_on") on = t
	if ($2 == "jitter_off") off = t
	if (NR > 2 && on != "" && off == "" && steer == "" && pt > on && d == 0 && tot > 0)
		steer = pt - on
	if (NR > 2 && off != "" && back == "" && t > off && tot >= 10 && d >= tot / (2 * paths))
		back = t - off
	for (i = 3; i <= NF; i++) prev[i] = $i
	pb = $4; pt = t
}
END {
	printf "%s %s %s %s\n", on, off, (steer == "" ? -1 : steer), (back == "" ? -1 : back)
}' "$raw/timeseries.csv")

period=$(awk -F, 'NR == 2 { a = $1 } NR > 2 { b = $1; n++ } END { printf "%.3f", (b - a) / n }' \
	"$raw/timeseries.csv")

# --- power proxy: per path and mode, packets/s, idle share and gaps
# (from tcpdump's stamps of every packet the path sent)
power_rows=""
declare -A IDLE
for mode in 0 1; do
	files=()
	for i in $(seq "$paths"); do
		f=$raw/power-mode$mode-c$i.txt
		[ -f "$f" ] || die "$f missing"
		files+=("$f")
	done
	# the capture window: the first to the last packet of any path
	read -r w0 w1 < <(awk '$1 ~ /^[0-9]+\.[0-9]+$/ { if (!n++ || $1 < a) a = $1; if ($1 > b) b = $1 }
		END { printf "%s %s\n", a, b }' "${files[@]}")
	if [ -z "$w0" ] || [ "$(calc "$w1 > $w0")" != 1 ]; then
		die "no packet captured in mode $mode's power step"
	fi
	for i in $(seq "$paths"); do
		row=$(awk -v w0="$w0" -v w1="$w1" '
			$1 ~ /^[0-9]+\.[0-9]+$/ { t[n++] = $1 }
			function gap(g) {
				if (g >= 0.010) { idle10 += g; g10++ }
				if (g >= 0.100) { idle100 += g; g100++ }
				if (g > longest) longest = g
			}
			END {
				p = w0
				for (k = 0; k < n; k++) { gap(t[k] - p); p = t[k] }
				gap(w1 - p)
				w = w1 - w0
				printf "%.1f %.1f %d %.1f %d %.2f", n / w, 100 * idle10 / w, g10,
					100 * idle100 / w, g100, longest
			}' "$raw/power-mode$mode-c$i.txt")
		read -r pps idle10 g10 idle100 g100 longest <<<"$row"
		IDLE[$mode.$i]=$idle100
		path=${NAMES[i]}
		power_rows+="| mode $mode | $path | $pps | $idle10 % ($g10) | $idle100 % ($g100) | $longest s |"$'\n'
		# packets per 100 ms, for the plot
		awk -v w0="$w0" '$1 ~ /^[0-9]+\.[0-9]+$/ { c[int(($1 - w0) * 10)]++ }
			END { for (k = 0; k <= 10 * '"$power_s"'; k++) printf "%.1f %d\n", k / 10, c[k] + 0 }' \
			"$raw/power-mode$mode-c$i.txt" >"$out/power-mode$mode-c$i.dat"
	done
done
# the most idle path in mode 1, and its idle share in mode 0
best=1
for i in $(seq "$paths"); do
	le "${IDLE[1.$best]}" "${IDLE[1.$i]}" && best=$i
done
best_path=${NAMES[best]}
idle1=${IDLE[1.$best]} idle0=${IDLE[0.$best]}

# --- figures of the targets
ref_p99=$(get ref p99) ref_sd=$(get ref stdev)
m0_p99=$(get mode0 p99) m0_sd=$(get mode0 stdev)
m2_p99=$(get mode2 p99) m2_sd=$(get mode2 stdev)
bulk0=$(bulk_of mode0) bulk2=$(bulk_of mode2)
read -r -a m1_shares <<<"$(shares_of mode1)"
m1_max=0 m1_tot=0
for v in "${m1_shares[@]}"; do
	m1_tot=$((m1_tot + v))
	[ "$v" -le "$m1_max" ] || m1_max=$v
done
r0_sd=$(get router-mode0 stdev) r2_sd=$(get router-mode2 stdev)
rn_sd=$(get router-mode2-noprober stdev)
r0_p99=$(get router-mode0 p99) r2_p99=$(get router-mode2 p99)
rr_sd=$(get router-ref stdev) rr_p99=$(get router-ref p99)

targets=$(
	echo "| target | measured | |"
	echo "| --- | --- | --- |"
	echo "| mode 2: p99 <= 1.1 x path A alone's | $(f3 "$m2_p99") vs $(f3 "$ref_p99") ms ($(x2 "$m2_p99" "$ref_p99")) | $(verdict le "$m2_p99" "$(calc "1.1 * $ref_p99")") |"
	echo "| mode 2: stdev <= 1.2 x path A alone's + 0.01 ms | $(f3 "$m2_sd") vs $(f3 "$ref_sd") ms ($(x2 "$m2_sd" "$ref_sd")) | $(verdict le "$m2_sd" "$(calc "1.2 * $ref_sd + 0.01")") |"
	echo "| mode 0 is measurably worse than path A alone (stdev >= 1.2 x) | stdev $(f3 "$m0_sd") vs $(f3 "$ref_sd") ms, p99 $(f3 "$m0_p99") vs $(f3 "$ref_p99") ms | $(verdict le "$(calc "1.2 * $ref_sd")" "$m0_sd") |"
	echo "| mode 2: stdev <= 0.2 x mode 0's | $(x2 "$m2_sd" "$m0_sd") | $(verdict le "$(calc "$m2_sd / $m0_sd")" 0.2) |"
	echo "| mode 2: new flows leave path B <= 2 s after its jitter starts | $(if [ "$steer" = -1 ]; then echo never; else echo "$(f3 "$steer") s"; fi) | $(verdict within "$steer" 0 2) |"
	echo "| mode 2: new flows come back <= 10 s after it stops | $(if [ "$back" = -1 ]; then echo never; else echo "$(f3 "$back") s"; fi) | $(verdict within "$back" 0 10) |"
	echo "| mode 2: background throughput >= 0.95 x mode 0's | $bulk2 vs $bulk0 B/s ($(x2 "$bulk2" "$bulk0")) | $(verdict le "$(calc "0.95 * $bulk0")" "$bulk2") |"
	echo "| mode 1: >= 90 % of new flows on one path | $m1_max of $m1_tot probes | $(verdict le "$(calc "0.9 * $m1_tot")" "$m1_max") |"
	echo "| mode 1: a path idle >= 90 % of the time in gaps >= 100 ms | path $best_path: $idle1 % (mode 0: $idle0 %) | $(verdict le 90 "$idle1") |"
	echo "| router + prober: mode 2 stdev < 0.5 x mode 0's | $(f3 "$r2_sd") vs $(f3 "$r0_sd") ms ($(x2 "$r2_sd" "$r0_sd")) | $(verdict le "$r2_sd" "$(calc "0.5 * $r0_sd")") |"
)
met=$(grep -c '| met |$' <<<"$targets" || true)
all=$(($(wc -l <<<"$targets") - 2))

read -r -a m2_shares <<<"$(shares_of mode2)"
m2_jit=0 m2_tot=0 m1_on=-
for i in "${!m2_shares[@]}"; do
	m2_tot=$((m2_tot + m2_shares[i]))
	[ "$i" = 0 ] || m2_jit=$((m2_jit + m2_shares[i]))
	[ "${m1_shares[i]}" != "$m1_max" ] || m1_on=${NAMES[i + 1]}
done
jittery=B
[ "$paths" = 2 ] || jittery="B to ${NAMES[paths]}"
headline="On $paths paths, A calm and $jittery jittery ($(tb jitter_ms) ms of jitter on 5 ms): mode 2 put $m2_jit of $m2_tot new flows on the jittery paths (probe RTT p99 $(f3 "$m2_p99") ms, stdev $(f3 "$m2_sd") ms; mode 0 $(f3 "$m0_p99") and $(f3 "$m0_sd") ms; path A alone $(f3 "$ref_p99") and $(f3 "$ref_sd") ms). Mode 1 put $m1_max of $m1_tot on path $m1_on$([ "$m1_on" != B ] || echo ", the busiest link"), and left path $best_path idle $idle1 % of the time in gaps of 100 ms or more (mode 0: $idle0 %). A router forwarding over such paths, in mode 2 with lowpower-prober: stdev $(f3 "$r2_sd") ms against $(f3 "$r0_sd") ms in mode 0 ($(x2 "$r2_sd" "$r0_sd")). $met of $all targets met."

# --- tables
probe_table()
{
	local r k name

	printf '| metric (ms) |'
	for r in "$@"; do printf ' %s |' "${TITLE[$r]}"; done
	printf '\n| --- |'
	for r in "$@"; do printf ' ---: |'; done
	printf '\n'
	for k in count lost min median avg p95 p99 max stdev over_10 over_12; do
		case $k in
		over_*) name="probes >= ${k#over_} ms" ;;
		p95|p99) name=${k^^} ;;
		*) name=${k^} ;;
		esac
		printf '| %s |' "$name"
		for r in "$@"; do
			case $k in
			count|lost|over_*) printf ' %s |' "$(get "$r" "$k")" ;;
			*) printf ' %s |' "$(f3 "$(get "$r" "$k")")" ;;
			esac
		done
		printf '\n'
	done
}
shares=$(
	echo "| run | probes per path (A B ...) | background B/s |"
	echo "| --- | --- | ---: |"
	for r in "${RUNS[@]}"; do
		echo "| ${TITLE[$r]} | $(shares_of "$r") | $(bulk_of "$r") |"
	done
)

# --- plots
for r in "${RUNS[@]}" "${ROUTER_RUNS[@]}"; do
	awk -F, 'NR > 1 && $4 >= 0 { printf "%.4f\n", $4 / 1e6 }' "$raw/$r.csv" |
		sort -g | awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], 1 - (i - 1) / NR }' \
		>"$out/$r.ccdf"
done
# xmax RUN...: the x range the RUNs' RTTs need, whole ms
xmax() { for r in "$@"; do cat "$out/$r.ccdf"; done | awk '$1 > m { m = $1 } END { print int(m + 1) }'; }
xmax=$(xmax "${RUNS[@]}")
# ccdf PNG TITLE RUN...: log-scale CCDFs of RUNs in one plot
ccdf()
{
	local png=$1 title=$2 r plot="" xr

	shift 2
	xr=$(xmax "$@")
	for r in "$@"; do
		plot+="${plot:+, }\"$out/$r.ccdf\" using 1:2 with lines lw 2 title \"${TITLE[$r]}\""
	done
	gnuplot <<-EOF
		set terminal pngcairo size 900,560 noenhanced
		set output "$out/$png"
		set title "$title"
		set xlabel "RTT (ms)"
		set ylabel "fraction of probes with a longer RTT"
		set logscale y
		set yrange [0.0005:1.2]
		set xrange [0:$xr]
		set key top right
		set grid
		plot $plot
	EOF
}
ccdf ccdf.png "Probe RTT, a new flow per probe: complementary CDF (log scale)" "${RUNS[@]}"
ccdf router-ccdf.png "Router: forwarded probes' RTT, complementary CDF (log scale)" "${ROUTER_RUNS[@]}"

# the four histograms in one picture, on shared axes
ymax=$(for r in "${RUNS[@]}"; do
	awk '{ c[int($1 / 0.25)]++ } END { m = 0; for (k in c) if (c[k] > m) m = c[k]; print m }' "$out/$r.ccdf"
done | sort -n | tail -n 1)
{
	echo "set terminal pngcairo size 900,1000 noenhanced"
	echo "set output \"$out/histograms.png\""
	echo "set multiplot layout 4,1 title \"Probe RTT histograms (0.25 ms bins, shared axes)\""
	echo "set xrange [0:$xmax]"
	echo "set yrange [0:$((ymax + ymax / 10 + 1))]"
	echo "set style fill solid 0.6"
	echo "set grid"
	echo "bin(x) = 0.25 * floor(x / 0.25) + 0.125"
	for r in "${RUNS[@]}"; do
		echo "set title \"${TITLE[$r]}\""
		[ "$r" != mode2 ] || echo 'set xlabel "RTT (ms)"'
		echo "plot \"$out/$r.ccdf\" using (bin(\$1)):(1) smooth frequency with boxes notitle"
	done
	echo "unset multiplot"
} | gnuplot

ts_plot=""
for i in $(seq "$paths"); do
	p=${NAMES[i]}
	ts_plot+="${ts_plot:+, }\"$out/timeseries.dat\" using 1:$((i + 1)) with steps lw 2 title \"path $p\""
done
gnuplot <<-EOF
	set terminal pngcairo size 900,500 noenhanced
	set output "$out/timeseries.png"
	set title "Mode 2: new flows per second on each path (probes, 100 new flows/s), path B jittery between the marks"
	set xlabel "time (s)"
	set ylabel "new flows per second"
	set arrow from $t_on, graph 0 to $t_on, graph 1 nohead dt 2 lw 2
	set arrow from $t_off, graph 0 to $t_off, graph 1 nohead dt 2 lw 2
	set label "path B jitter on" at $t_on, graph 0.95 offset 0.5,0
	set label "path B jitter off" at $t_off, graph 0.95 offset 0.5,0
	set yrange [0:*]
	set key bottom right
	set grid
	plot $ts_plot
EOF

{
	echo "set terminal pngcairo size 900,700 noenhanced"
	echo "set output \"$out/power.png\""
	echo "set multiplot layout 2,1 title \"Power proxy: packets each path sends per 100 ms, short connections only\""
	echo "set xlabel \"time (s)\""
	echo "set ylabel \"packets / 100 ms\""
	echo "set yrange [0:*]"
	echo "set grid"
	for mode in 0 1; do
		plot=""
		for i in $(seq "$paths"); do
			p=${NAMES[i]}
			plot+="${plot:+, }\"$out/power-mode$mode-c$i.dat\" using 1:2 with steps lw 2 title \"path $p\""
		done
		echo "set title \"mode $mode\""
		echo "plot $plot"
	done
	echo "unset multiplot"
} | gnuplot

cp "$raw"/*.csv "$raw/results.txt" "$raw/nexthop.txt" "$raw/router-nexthop.txt" "$out/"
for f in lowpower.txt prober.log timeseries.summary; do
	[ ! -f "$raw/$f" ] || cp "$raw/$f" "$out/"
done

case $clock in
icount) clock_text="QEMU's instruction-count mode (\`CLOCK=icount\`): the guest's time is the count of instructions it executed, so netem's delays, the kernel's timers and the probe's stamps share one emulated clock and the host's load stays out of the figures. What remains in the path A alone column is the testbed's own floor." ;;
*) clock_text="wall-clock time (\`CLOCK=wall\`): the host's scheduling noise under TCG is part of every figure; the path A alone column shows that floor." ;;
esac

{
	echo "# lowpower multipath demo report"
	echo
	echo "**$headline**"
	echo
	echo "One boot of $kernel under QEMU on $(date -u -r "$res" +%F), $(tb cpus) vCPU(s), timed in $clock_text"
	echo
	echo "## Targets"
	echo
	echo "$targets"
	echo
	echo "How to read a missed target: \`docs/demo.md\`, *Targets*."
	echo
	echo "## The testbed"
	echo
	echo "A client and a server namespace joined by $paths paths over one nexthop"
	echo "group (what FRR installs), L4 multipath hash: path A 5 ms of netem delay,"
	echo "the others 5 ms +- $(tb jitter_ms) ms. $(tb flows) paced TCP connections of"
	echo "$(tb rate) B/s to the service feed the kernel's per-link RTT signal;"
	echo "$(tb busy_conns) more of $(tb busy_rate) B/s to another host, routed over path B"
	echo "alone, make path B the busiest link, the one consolidation fills first:"
	echo "consolidation alone would put new flows on the jittery path."
	echo "\`lowpower_power_cost_weight\` is $(tb cost) in modes 1 and 2. Probes are UDP"
	echo "request/response, a new flow (source port) per probe (\`lowpower_probe\`)."
	echo
	echo "## Probe RTT"
	echo
	probe_table "${RUNS[@]}"
	echo
	echo "$shares"
	echo
	echo "![CCDF](ccdf.png)"
	echo
	echo "![histograms](histograms.png)"
	echo
	echo "## Mode 2 over time"
	echo
	echo "Probes at 100 new flows per second for 60 s, their count per path read"
	echo "every $(f3 "$period") s on average; path B's jitter is switched on at"
	echo "$(f3 "$t_on") s and off at $(f3 "$t_off") s. Steer-away time: until the start of the"
	echo "first interval between two readings in which path B got no new flow (its"
	echo "last one was sent before that); return time: until the end of the first"
	echo "in which it got at least half its stock share."
	echo
	echo "![new flows per path over time](timeseries.png)"
	echo
	echo "The client's nexthop group afterwards, as the project's \`ip -s nexthop show\`"
	echo "prints it (effective weight, load, RTT and jitter of each member's link):"
	echo
	echo '```'
	cat "$raw/nexthop.txt"
	echo '```'
	echo
	echo "## Power proxy: mode 1 against mode 0"
	echo
	echo "Short TCP connections only (two loops of 8 two-second connections of"
	echo "$(tb power_rate) B/s), $power_s s captured per mode; every packet each path sends"
	echo "is stamped (tcpdump). Idle time sums the gaps between packets of at"
	echo "least 10 ms and of at least 100 ms: the sleep opportunities a link's"
	echo "power saving needs (a paced connection leaves gaps of 10 ms and more"
	echo "between its bursts on a busy link too; the 100 ms ones are where a link"
	echo "can sleep). This is a proxy, not a measure of power; no watts are"
	echo "claimed."
	echo
	echo "| mode | path | packets/s | idle in gaps >= 10 ms (gaps) | idle in gaps >= 100 ms (gaps) | longest gap |"
	echo "| --- | --- | ---: | ---: | ---: | ---: |"
	printf '%s' "$power_rows"
	echo
	echo "![packets per path over time](power.png)"
	echo
	echo "## Router"
	echo
	echo "A host sends through a router that forwards over a calm path ($(tb router_delay_ms) ms) and"
	echo "a jittery one ($(tb router_delay_ms) ms +- $(tb router_jitter_ms) ms) by a nexthop group; background"
	echo "TCP from the host runs through it. A router ends no connection, so it takes"
	echo "no RTT sample of its own: mode 2 alone has no signal there, and"
	echo "\`lowpower-prober\` on the router measures each nexthop's path and feeds"
	echo "the kernel's per-link state."
	echo
	probe_table "${ROUTER_RUNS[@]}"
	echo
	echo "Without the prober mode 2 changes little (stdev $(f3 "$rn_sd") ms); with it,"
	echo "p99 $(f3 "$r2_p99") ms against $(f3 "$r0_p99") ms in mode 0 and $(f3 "$rr_p99") ms through path A"
	echo "alone (stdev $(f3 "$rr_sd") ms: the router's own forwarding work, in emulated"
	echo "time, is most of that floor). For this step the router's"
	echo "\`lowpower_flow_idle_ms\` is 200, as in mode 2 over time: 500 probes a"
	echo "second would otherwise keep most buckets in use, and a bucket in use"
	echo "keeps its path."
	echo
	echo "![router CCDF](router-ccdf.png)"
	echo
	echo "The router's group with the prober's figures:"
	echo
	echo '```'
	cat "$raw/router-nexthop.txt"
	echo '```'
	echo
	echo "Raw data: \`results.txt\`; one CSV per probe run (seq,sport,send_ns,rtt_ns);"
	echo "\`timeseries.csv\` (cumulative probes per path); \`lowpower.txt\`"
	echo "(/proc/net/lowpower of the client after mode 2 over time); \`prober.log\`."
} >"$out/report.md"

echo "$headline"
echo
echo "$targets"
echo
log "report: $out/report.md"
