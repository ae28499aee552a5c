#!/bin/bash
# The main job: build the patched kernel, boot it in QEMU and show the
# lowpower multipath series running (kernel release and knobs).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/step.sh" deps "$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/step.sh" tree "$ROOT/scripts/prepare-tree.sh"
"$ROOT/scripts/step.sh" config "$ROOT/scripts/configure.sh"
"$ROOT/scripts/step.sh" build "$ROOT/scripts/build.sh"
"$ROOT/scripts/step.sh" boot "$ROOT/scripts/vm-run.sh" -o "$BUILD/demo" -- \
	"$ROOT/scripts/guest-show.sh"
