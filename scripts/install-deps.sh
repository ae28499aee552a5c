#!/bin/bash
# Install the Debian packages the build, the VM and the tests need.
# Does nothing when they are all present already.
set -euo pipefail

PKGS=(
	# the base source and building it
	linux-source-6.12 build-essential bc bison flex libelf-dev libssl-dev
	ccache cpio kmod xz-utils python3 python3-ply python3-git git patch
	# the path prober (libmnl) and YNL's netlink client (PyYAML)
	libmnl-dev pkg-config python3-yaml
	# booting it, and what the tests run inside the guest
	qemu-system-x86 iproute2 procps util-linux
	# the upstream regression selftests (fib_tests.sh, fib_nexthops.sh,
	# forwarding/router_multipath.sh, forwarding/router_mpath_nh.sh)
	iputils-ping jq socat netsniff-ng iptables
	# the demo's report plots
	gnuplot-nox
	# linting
	shellcheck perl
)

missing=()
for p in "${PKGS[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "${0##*/}: error: missing packages: ${missing[*]} (run as root, or install them)" >&2
	exit 1
fi
echo "${0##*/}: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
