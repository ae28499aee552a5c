#!/bin/bash
# Print the lines of a kernel console log that report a problem: panic,
# oops, BUG (KASAN, sleeping in atomic), WARNING (WARN_ON, lockdep),
# UBSAN, RCU stalls, hung tasks.  Exit 0 if there are any, 1 if none.
set -euo pipefail

if [ $# != 1 ] || [ ! -f "$1" ]; then
	echo "usage: ${0##*/} CONSOLE_LOG" >&2
	exit 2
fi
grep -E -e 'Kernel panic' -e '\] Oops' -e 'BUG: ' -e 'WARNING: ' \
	-e 'UBSAN: ' -e 'general protection fault' -e 'rcu: INFO: ' \
	-e 'INFO: task .* blocked for more than' -e 'kernel BUG at' \
	-e 'Call Trace:' "$1"
