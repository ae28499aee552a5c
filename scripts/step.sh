#!/bin/bash
# Run one step of a longer job and say how long it took.
# usage: step.sh NAME COMMAND [ARG...]
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: ${0##*/} NAME COMMAND [ARG...]" >&2; exit 2; }
name=$1
shift
start=$(date +%s)
echo "==> $name"
"$@"
echo "<== $name: $(($(date +%s) - start)) s"
