#!/bin/bash
# Configure the kernel in $OBJ: tinyconfig, then the project's fragments
# merged with the kernel's merge_config.sh, then olddefconfig.  Fails,
# naming the option, if a requested option did not survive.
#
# Fragments: Kconfig.fragment, the VM's, the debug kernel's (DEBUG=0 drops
# it) and the selftests' config files; more may be given as arguments.
# BASE=1 configures the unpatched base: no Kconfig.fragment and no
# selftests of the project.  TARGETS= limits the selftests' config files
# to those of the given targets; TARGETS=none takes none.  KARCH= is the
# kernel's ARCH (x86_64; i386 for the 32-bit KUnit kernel, which boots
# without the test VM's fragment: VM=0).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

[ -f "$WORK/Makefile" ] || die "$WORK is not a kernel tree; run scripts/prepare-tree.sh"

karch=${KARCH:-x86_64}
frags=()
[ "${VM:-1}" = 0 ] || frags+=("$ROOT/scripts/kconfig/vm.config")
[ "${BASE:-0}" = 1 ] || frags+=("$ROOT/Kconfig.fragment")
[ "${DEBUG:-1}" = 0 ] || frags+=("$ROOT/scripts/kconfig/debug.config")
# the config files of the selftest targets the kernel will run: TARGETS
# (space separated, e.g. "net/lowpower"), default all
if [ "${BASE:-0}" != 1 ] && [ "${TARGETS:-}" != none ]; then
	if [ -n "${TARGETS:-}" ]; then
		for t in $TARGETS; do
			[ -f "$ROOT/selftests/$t/config" ] ||
				die "selftest target $t has no config file"
			frags+=("$ROOT/selftests/$t/config")
		done
	else
		while IFS= read -r f; do
			frags+=("$f")
		done < <(find "$ROOT/selftests" -name config -type f | sort)
	fi
fi
for f in "$@"; do
	[ -f "$f" ] || die "config fragment $f not found"
	frags+=("$f")
done

mkdir -p "$OBJ"
make -s -C "$WORK" O="$OBJ" ARCH="$karch" tinyconfig >/dev/null
(cd "$OBJ" && "$WORK/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
	"$OBJ/.config" "${frags[@]}" >/dev/null)
make -s -C "$WORK" O="$OBJ" ARCH="$karch" olddefconfig >/dev/null

bad=0
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$OBJ/.config" && continue
			opt=${line%%=*}
			got=$(grep -E "^(# )?${opt}[= ]" "$OBJ/.config" || echo "absent")
			echo "${0##*/}: $opt: wanted '$line' (from ${f#"$ROOT"/}), got '$got'" >&2
			bad=1
			;;
		"# CONFIG_"*" is not set")
			opt=${line#"# "}
			opt=${opt%% *}
			if grep -qE "^$opt=" "$OBJ/.config"; then
				echo "${0##*/}: $opt: wanted unset (from ${f#"$ROOT"/}), got '$(grep -E "^$opt=" "$OBJ/.config")'" >&2
				bad=1
			fi
			;;
		esac
	done <"$f"
done
[ $bad = 0 ] || die "requested options missing from $OBJ/.config (see above)"
log "configured $OBJ from ${#frags[@]} fragments"
