#!/bin/bash
# Turn the demo's raw results (guest-demo.sh) into the report: the
# probe table side by side (path A alone, mode 0, 1, 2), per-path probe
# shares, background throughput, the mode 2 steering times, the targets,
# and a CDF and a histogram per run as PNG (gnuplot).  Prints the table
# and writes OUT/report.md.
#
# usage: demo-report.sh RAW_DIR OUT_DIR
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ $# = 2 ] || die "usage: demo-report.sh RAW_DIR OUT_DIR"
raw=$1 out=$2
res=$raw/results.txt
[ -s "$res" ] || die "$res missing or empty: the demo VM did not measure"
command -v gnuplot >/dev/null || die "gnuplot not found (make deps)"
mkdir -p "$out"

RUNS=(ref mode0 mode1 mode2)
declare -A TITLE=([ref]="path A alone" [mode0]="mode 0 (stock)"
		  [mode1]="mode 1 (consolidate)" [mode2]="mode 2 (jitter-avoid)")

# get RUN KEY: a value of a run's summary line ("RUN key=value ...")
get()
{
	local v

	v=$(grep -E "^$1 count=" "$res" | tr ' ' '\n' | sed -n "s/^$2=//p")
	[ -n "$v" ] || die "$res has no $2 for $1"
	echo "$v"
}

# shares RUN: the probes per path of a run
shares_of()
{
	sed -n "s/^$1 shares //p" "$res" | tail -n 1
}

# tb KEY: a value of the testbed line ("testbed key=value ...")
tb()
{
	local v

	v=$(grep -E '^testbed ' "$res" | tr ' ' '\n' | sed -n "s/^$1=//p")
	[ -n "$v" ] || die "$res has no testbed $1"
	echo "$v"
}

ratio() { echo "scale=3; $1 / $2" | bc; }
le() { [ "$(echo "$1 <= $2" | bc)" = 1 ]; }
within() { le 0 "$1" && le "$1" "$2"; }
verdict() { if "$@"; then echo "met"; else echo "NOT met"; fi; }

for r in "${RUNS[@]}"; do
	[ -s "$raw/$r.csv" ] || die "$raw/$r.csv missing"
done

table=$(
	printf '| metric (ms) | %s | %s | %s | %s |\n' "${TITLE[ref]}" \
		"${TITLE[mode0]}" "${TITLE[mode1]}" "${TITLE[mode2]}"
	echo "| --- | ---: | ---: | ---: | ---: |"
	for k in count lost min avg median p95 p99 max stdev over_10 over_12; do
		case $k in
		over_*) name="Count >= ${k#over_} ms" ;;
		p95|p99) name=${k^^} ;;
		*) name=${k^} ;;
		esac
		printf '| %s | %s | %s | %s | %s |\n' "$name" "$(get ref "$k")" \
			"$(get mode0 "$k")" "$(get mode1 "$k")" "$(get mode2 "$k")"
	done
)

ref_p99=$(get ref p99) ref_sd=$(get ref stdev)
m0_sd=$(get mode0 stdev) m2_sd=$(get mode2 stdev) m2_p99=$(get mode2 p99)
m0_p99=$(get mode0 p99)
bulk2=$(grep -E '^mode2 bulk_Bps ' "$res" | awk '{print $3}')
bulk0=$(grep -E '^mode0 bulk_Bps ' "$res" | awk '{print $3}')
steer=$(sed -n 's/^steer_away_s //p' "$res")
back=$(sed -n 's/^return_s //p' "$res")

targets=$(
	echo "| target | measured | |"
	echo "| --- | --- | --- |"
	echo "| p99(mode 2) <= 1.1 x p99(path A alone) | $m2_p99 vs $ref_p99 ms ($(ratio "$m2_p99" "$ref_p99") x) | $(verdict le "$m2_p99" "$(echo "1.1 * $ref_p99" | bc)") |"
	echo "| stdev(mode 2) <= 1.2 x stdev(path A alone) | $m2_sd vs $ref_sd ms ($(ratio "$m2_sd" "$ref_sd") x) | $(verdict le "$m2_sd" "$(echo "1.2 * $ref_sd" | bc)") |"
	echo "| mode 0 measurably worse than path A alone | p99 $m0_p99 vs $ref_p99 ms, stdev $m0_sd vs $ref_sd ms | $(verdict le "$(echo "1.2 * $ref_sd" | bc)" "$m0_sd") |"
	echo "| stdev(mode 2) / stdev(mode 0) <= 0.2 | $(ratio "$m2_sd" "$m0_sd") | $(verdict le "$(ratio "$m2_sd" "$m0_sd")" 0.2) |"
	echo "| steer away from path B after jitter starts <= 2 s | $steer s | $(verdict within "$steer" 2) |"
	echo "| return to path B after jitter stops <= 10 s | $back s | $(verdict within "$back" 10) |"
	echo "| background throughput mode 2 >= 0.95 x mode 0 | $bulk2 vs $bulk0 B/s ($(ratio "$bulk2" "$bulk0") x) | $(verdict le "$(echo "0.95 * $bulk0" | bc)" "$bulk2") |"
)

shares=$(
	echo "| run | probes per path (A B ...) | background B/s |"
	echo "| --- | --- | ---: |"
	for r in "${RUNS[@]}"; do
		echo "| ${TITLE[$r]} | $(shares_of "$r") | $(grep -E "^$r bulk_Bps " "$res" | awk '{print $3}') |"
	done
)

# plots: CDF of all runs in one, a histogram per run
for r in "${RUNS[@]}"; do
	awk -F, 'NR > 1 && $4 >= 0 { printf "%.4f\n", $4 / 1e6 }' "$raw/$r.csv" |
		sort -g | awk '{ v[NR] = $1 } END { for (i = 1; i <= NR; i++) print v[i], i / NR }' \
		>"$out/$r.cdf"
done
gnuplot <<-EOF
	set terminal pngcairo size 900,600 noenhanced
	set output "$out/cdf.png"
	set title "RTT CDF, new flow per probe"
	set xlabel "RTT (ms)"
	set ylabel "fraction of probes"
	set key bottom right
	set grid
	plot "$out/ref.cdf" using 1:2 with lines lw 2 title "${TITLE[ref]}", \
	     "$out/mode0.cdf" using 1:2 with lines lw 2 title "${TITLE[mode0]}", \
	     "$out/mode1.cdf" using 1:2 with lines lw 2 title "${TITLE[mode1]}", \
	     "$out/mode2.cdf" using 1:2 with lines lw 2 title "${TITLE[mode2]}"
EOF
for r in "${RUNS[@]}"; do
	gnuplot <<-EOF
		set terminal pngcairo size 900,500 noenhanced
		set output "$out/hist-$r.png"
		set title "RTT histogram: ${TITLE[$r]}"
		set xlabel "RTT (ms, 0.25 ms bins)"
		set ylabel "probes"
		set style fill solid 0.6
		set grid
		bin(x) = 0.25 * floor(x / 0.25) + 0.125
		plot "$out/$r.cdf" using (bin(\$1)):(1) smooth frequency with boxes notitle
	EOF
done
cp "$raw"/*.csv "$raw/results.txt" "$out/"
[ ! -f "$raw/lowpower.txt" ] || cp "$raw/lowpower.txt" "$out/"

{
	echo "# lowpower multipath demo report"
	echo
	echo "Testbed: client and server network namespaces joined by $(tb paths) equal-cost"
	echo "paths (L4 multipath hash); path A 5 ms netem delay, the others 5 ms"
	echo "+- $(tb jitter_ms) ms; $(tb flows) paced background TCP connections of $(tb rate) B/s each;"
	echo "lowpower_power_cost_weight $(tb cost) in modes 1 and 2; probes are"
	echo "UDP request/response with a new flow (source port) per probe, by"
	echo "\`lowpower_probe\`. One boot of $(sed -n 's/^kernel //p' "$res") under QEMU."
	echo
	echo "## Probe RTT"
	echo
	echo "$table"
	echo
	echo "The measuring floor of this setup is the path A alone column: its"
	echo "stdev ($ref_sd ms) is what emulation and the 5 ms netem path add on"
	echo "their own."
	echo
	echo "## Targets"
	echo
	echo "$targets"
	echo
	echo "## Probe shares per path and background throughput"
	echo
	echo "$shares"
	echo
	echo "## Plots"
	echo
	echo "![CDF](cdf.png)"
	for r in "${RUNS[@]}"; do
		echo "![${TITLE[$r]}](hist-$r.png)"
	done
	echo
	echo "Raw data: \`results.txt\`, one CSV per run (seq,sport,send_ns,rtt_ns),"
	echo "\`lowpower.txt\` (/proc/net/lowpower of the client at the end)."
} >"$out/report.md"

echo "$table"
echo
echo "$shares"
echo
echo "$targets"
echo
log "report: $out/report.md"
