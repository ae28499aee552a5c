#!/bin/bash
# Install the Debian packages the build, the VM and the tests need, and
# a deb-src entry for Debian's iproute2 source (scripts/iproute2.sh).
# Does nothing when they are all present already.
set -euo pipefail

PKGS=(
	# the base source and building it (and iproute2's: dpkg-source)
	dpkg-dev linux-source-6.12 build-essential bc bison flex libelf-dev libssl-dev
	ccache cpio kmod xz-utils python3 python3-ply python3-git git patch
	# the path prober (libmnl) and YNL's netlink client (PyYAML)
	libmnl-dev pkg-config python3-yaml
	# booting it, and what the tests run inside the guest
	qemu-system-x86 iproute2 procps util-linux
	# the upstream regression selftests (fib_tests.sh, fib_nexthops.sh,
	# forwarding/router_multipath.sh, forwarding/router_mpath_nh.sh)
	iputils-ping jq socat netsniff-ng iptables
	# the demo's and make bench's plots, the demo's packet stamps
	gnuplot-nox tcpdump
	# linting
	shellcheck perl
)

# deb-src: apt-get source iproute2
srcs=/etc/apt/sources.list.d/lowpower-multipath-src.sources
have_src=0
if grep -Eqs '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; then
	have_src=1
fi

missing=()
for p in "${PKGS[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && [ $have_src = 1 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	[ ${#missing[@]} -eq 0 ] ||
		echo "${0##*/}: error: missing packages: ${missing[*]} (run as root, or install them)" >&2
	[ $have_src = 1 ] ||
		echo "${0##*/}: error: no deb-src entry for apt-get source (run as root, or add one)" >&2
	exit 1
fi
if [ $have_src = 0 ]; then
	echo "${0##*/}: adding Debian's source packages to apt ($srcs)" >&2
	. /etc/os-release
	cat >"$srcs" <<EOT
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $VERSION_CODENAME $VERSION_CODENAME-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ ${#missing[@]} -eq 0 ] && exit 0
echo "${0##*/}: installing ${missing[*]}" >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
