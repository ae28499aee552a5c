#!/bin/bash
# Memory benchmark: what a multipath route costs, per kind of route (IPv4
# and IPv6 legacy routes, routes over a hash-threshold or resilient
# nexthop group of their own), on the unpatched base and on the series in
# lowpower mode 0 and mode 1 (scripts/guest/memory.sh in each kernel).
# Both kernels are built without debug options, as make regress builds
# them (build/obj-base, build/obj-plain), and boot with 1 vCPU.  The
# table goes to docs/results/memory.md.
#
# usage: bench-memory.sh [COUNT]   (routes per case, default 20000)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

count=${1:-20000}
if [ $# -gt 1 ] || ! [[ $count =~ ^[1-9][0-9]{2,5}$ ]]; then
	die "usage: bench-memory.sh [COUNT], COUNT 100..999999 routes per case, got '$*'"
fi
table=$ROOT/docs/results/memory.md

# boot KIND TREE OBJ: build the kernel of TREE in OBJ (BASE=1 for the
# base) and print guest/memory.sh's lines
boot()
{
	local base=$1 tree=$2 obj=$3 out=$BUILD/vm-memory-$1

	build_plain_kernel "$base" "$tree" "$obj"
	VM_MEM=4096 KERNEL=$obj/arch/x86/boot/bzImage "$ROOT/scripts/vm-run.sh" \
		-q -t 3600 -o "$out" -- "$ROOT/scripts/guest/memory.sh" "$count" ||
		die "the VM run ($tree) failed; logs in $out"
	grep '^memory: ' "$out/output.log" ||
		die "no figures from the VM run; see $out/output.log"
}

tree=$(base_tree)
base=$(boot 1 "$tree" "$BUILD/obj-base")
patched=$(boot 0 "$WORK" "$BUILD/obj-plain")

# value KIND MODE: bytes per route from the lines above
value()
{
	awk -v k="$1" -v m="$2" '$2 == k && $3 == m { print $5 }' \
		<<<"$base"$'\n'"$patched"
}

{
	echo "# Memory per route"
	echo
	echo "Measured by \`scripts/bench-memory.sh $count\` ($(date -u +%Y-%m-%d)): growth of"
	echo "Slab + Percpu (\`/proc/meminfo\`) over $count routes added in one"
	echo "\`ip -batch\`, in a fresh namespace with two veth links, kernels without"
	echo "debug options, 1 vCPU. IPv4 legacy routes go over 10 gateways per link"
	echo "with 20 weights: 2000 nexthop sets over 20 links, so they share 2000"
	echo "\`fib_info\`s; IPv6 legacy routes each have their"
	echo "own siblings. Group kinds: one nexthop group per route, the"
	echo "group's cost included; resilient groups have 128 buckets."
	echo
	echo "| route kind | base, B | mode 0, B | mode 0 vs base | mode 1, B | mode 1 vs base |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	for kind in v4-legacy v6-legacy v4-group v6-group v4-resilient v6-resilient; do
		b=$(value "$kind" -) m0=$(value "$kind" 0) m1=$(value "$kind" 1)
		if [ -z "$b" ] || [ -z "$m0" ] || [ -z "$m1" ]; then
			die "missing figures for $kind"
		fi
		awk -v k="$kind" -v b="$b" -v m0="$m0" -v m1="$m1" 'BEGIN {
			printf "| %s | %d | %d | %+.1f %% | %d | %+.1f %% |\n", k, b, m0,
				b ? 100 * (m0 - b) / b : 0, m1, b ? 100 * (m1 - b) / b : 0 }'
	done
} >"$table"
cat "$table"
log "wrote $table"
