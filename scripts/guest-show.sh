#!/bin/bash
# Inside the VM: show that the series runs and what its knobs are.
set -euo pipefail

echo "kernel: $(uname -r)"
for knob in /proc/sys/net/ipv4/lowpower_*; do
	printf '%-45s %s\n' "net.ipv4.${knob##*/}" "$(cat "$knob")"
done
