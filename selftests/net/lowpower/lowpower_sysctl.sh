#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The contract of the net.ipv4.lowpower_* sysctls: defaults, bounds,
# strict parsing (a bad write fails with EINVAL and changes nothing),
# per-netns isolation, defaults in a new netns, and that an unprivileged
# user cannot write them.
#
# shellcheck disable=SC2317 # the tests are called through $ALL_TESTS
# shellcheck disable=SC2016 # the single-quoted scripts expand inside

ALL_TESTS="
	defaults
	bounds
	bad_input
	netns_isolation
	new_netns_defaults
	unprivileged
	mode_toggle
"

lib_dir=$(dirname "$0")/..
# shellcheck source=lib.sh
source "$lib_dir/lib.sh"
# shellcheck source=lowpower_lib.sh
source "$(dirname "$0")/lowpower_lib.sh"

KNOBS="lowpower_mode lowpower_ema_k_factor lowpower_power_cost_weight
       lowpower_spill_threshold lowpower_epoch_ms lowpower_flow_idle_ms
       lowpower_jitter_age_ms"
declare -A DEFAULT=([lowpower_mode]=0 [lowpower_ema_k_factor]=512
		    [lowpower_power_cost_weight]=100
		    [lowpower_spill_threshold]=100000 [lowpower_epoch_ms]=1000
		    [lowpower_flow_idle_ms]=1000 [lowpower_jitter_age_ms]=3000)
declare -A MINVAL=([lowpower_mode]=0 [lowpower_ema_k_factor]=0
		   [lowpower_power_cost_weight]=0
		   [lowpower_spill_threshold]=1 [lowpower_epoch_ms]=100
		   [lowpower_flow_idle_ms]=10 [lowpower_jitter_age_ms]=100)
declare -A MAXVAL=([lowpower_mode]=2 [lowpower_ema_k_factor]=1024
		   [lowpower_power_cost_weight]=1000
		   [lowpower_spill_threshold]=1000000000 [lowpower_epoch_ms]=60000
		   [lowpower_flow_idle_ms]=120000 [lowpower_jitter_age_ms]=600000)
# a valid value other than the default, set before each bad write
declare -A OTHER=([lowpower_mode]=1 [lowpower_ema_k_factor]=300
		  [lowpower_power_cost_weight]=250
		  [lowpower_spill_threshold]=5000 [lowpower_epoch_ms]=250
		  [lowpower_flow_idle_ms]=300 [lowpower_jitter_age_ms]=2000)
declare -A SAVED=()

cleanup()
{
	local knob

	for knob in "${!SAVED[@]}"; do
		printf '%s' "${SAVED[$knob]}" >"/proc/sys/net/ipv4/$knob"
	done
	cleanup_all_ns
}

# knob_get NS KNOB: the value of KNOB as seen in netns NS
knob_get()
{
	ip netns exec "$1" cat "/proc/sys/net/ipv4/$2"
}

# knob_write NS KNOB DATA: write DATA to KNOB in NS as is, in one write;
# prints write's error message, returns its status
knob_write()
{
	ip netns exec "$1" bash -c "$(declare -f one_write); one_write \"\$@\"" \
		-- "/proc/sys/net/ipv4/$2" "$3" 2>&1
}

# one_write FILE DATA: write DATA to FILE in a single write(2).  bash's
# printf flushes at every newline, so data with newlines goes through dd.
one_write()
{
	local tmp rc=0

	if [[ $2 != *$'\n'* ]]; then
		printf '%s' "$2" >"$1"
		return
	fi
	tmp=$(mktemp)
	printf '%s' "$2" >"$tmp"
	dd if="$tmp" of="$1" bs=4096 count=1 status=none || rc=$?
	rm -f "$tmp"
	return "$rc"
}

# try_each FILE GOOD INPUT...: for each INPUT set FILE to GOOD, write
# INPUT in one write(2) and print "<write status> <value after> <error>"
try_each()
{
	local f=$1 good=$2 input err rc val

	shift 2
	for input in "$@"; do
		printf '%s' "$good" >"$f" || echo "cannot set $f to $good" >&2
		rc=0
		err=$(one_write "$f" "$input" 2>&1) || rc=$?
		read -r val <"$f"
		echo "$rc $val ${err//$'\n'/ }"
	done
}

# try_inputs NS KNOB GOOD INPUT...: try_each in netns NS, in a single
# process: spawning one per write is slow on an emulated machine
try_inputs()
{
	ip netns exec "$1" bash -c "$(declare -f one_write try_each); try_each \"\$@\"" \
		-- "/proc/sys/net/ipv4/$2" "${@:3}"
}

defaults()
{
	local knob

	RET=0
	for knob in $KNOBS; do
		lp_expect_eq "$knob in a new netns" "$(knob_get "$NS1" "$knob")" \
			"${DEFAULT[$knob]}"
	done
	log_test "defaults: mode 0, K 512, cost weight 100, spill 100000 kbit/s, epoch 1000 ms"
}

bounds()
{
	local knob val

	for knob in $KNOBS; do
		RET=0
		for val in "${MAXVAL[$knob]}" "${MINVAL[$knob]}" "${OTHER[$knob]}"; do
			knob_write "$NS1" "$knob" "$val" >/dev/null ||
				ret_set_ksft_status "$ksft_fail" "writing $val failed"
			lp_expect_eq "$knob after writing $val" \
				"$(knob_get "$NS1" "$knob")" "$val"
		done
		# a trailing newline is what echo and sysctl -w write
		knob_write "$NS1" "$knob" "${DEFAULT[$knob]}"$'\n' >/dev/null ||
			ret_set_ksft_status "$ksft_fail" "writing '${DEFAULT[$knob]}\\n' failed"
		lp_expect_eq "$knob after writing '${DEFAULT[$knob]}\\n'" \
			"$(knob_get "$NS1" "$knob")" "${DEFAULT[$knob]}"
		log_test "$knob accepts ${MINVAL[$knob]}..${MAXVAL[$knob]}"
	done
}

bad_input()
{
	local knob rc val err i
	local -a inputs results

	for knob in $KNOBS; do
		inputs=(
			"$((MINVAL[$knob] - 1))" "$((MAXVAL[$knob] + 1))"
			"2147483648" "-2147483649"
			"4294967296" "18446744073709551616" "18446744073709551615"
			"99999999999999999999999999" $'\n' " " "abc" "1 2" "1,2"
			"0x10" "0b1" "1.5" "1e3" " 1" "1 " $'\t1' $'1\n\n'
			$'1\n2' "1abc" "+-1" "--1" "one" "true" $'1\r\n' "１"
		)
		[ "${MINVAL[$knob]}" = 0 ] || inputs+=("-1")
		mapfile -t results < <(try_inputs "$NS1" "$knob" "${OTHER[$knob]}" \
					"${inputs[@]}")
		for i in "${!inputs[@]}"; do
			RET=0
			read -r rc val err <<<"${results[i]:-missing}"
			if [ "$rc" = 0 ]; then
				ret_set_ksft_status "$ksft_fail" "the write succeeded"
			elif [[ $err != *"Invalid argument"* ]]; then
				ret_set_ksft_status "$ksft_fail" \
					"want EINVAL, got: ${results[i]:-no result}"
			fi
			lp_expect_eq "value after the write" "$val" "${OTHER[$knob]}"
			log_test "$knob rejects $(printf '%q' "${inputs[i]}")"
		done
		knob_write "$NS1" "$knob" "${DEFAULT[$knob]}" >/dev/null
	done
}

netns_isolation()
{
	local knob before

	for knob in $KNOBS; do
		RET=0
		before=$(cat "/proc/sys/net/ipv4/$knob")
		knob_write "$NS1" "$knob" "${OTHER[$knob]}" >/dev/null
		lp_expect_eq "$knob in the netns written to" \
			"$(knob_get "$NS1" "$knob")" "${OTHER[$knob]}"
		lp_expect_eq "$knob in another netns" \
			"$(knob_get "$NS2" "$knob")" "${DEFAULT[$knob]}"
		lp_expect_eq "$knob in init_net" \
			"$(cat "/proc/sys/net/ipv4/$knob")" "$before"
		knob_write "$NS1" "$knob" "${DEFAULT[$knob]}" >/dev/null
		log_test "$knob is per netns"
	done
}

new_netns_defaults()
{
	local knob

	RET=0
	for knob in $KNOBS; do
		SAVED[$knob]=$(cat "/proc/sys/net/ipv4/$knob")
		printf '%s' "${OTHER[$knob]}" >"/proc/sys/net/ipv4/$knob" ||
			ret_set_ksft_status "$ksft_fail" "cannot write $knob in init_net"
	done
	setup_ns NS3
	for knob in $KNOBS; do
		lp_expect_eq "$knob in a netns made after init_net changed" \
			"$(knob_get "$NS3" "$knob")" "${DEFAULT[$knob]}"
		printf '%s' "${SAVED[$knob]}" >"/proc/sys/net/ipv4/$knob"
		unset "SAVED[$knob]"
	done
	log_test "a new netns starts at the defaults, not at init_net's values"
}

unprivileged()
{
	local knob err

	if ! command -v setpriv >/dev/null; then
		log_test_skip "unprivileged writes" "setpriv not installed"
		return
	fi
	for knob in $KNOBS; do
		RET=0
		if err=$(ip netns exec "$NS1" setpriv --reuid=65534 --regid=65534 \
			 --clear-groups --inh-caps=-all bash -c \
			 'printf "%s" "$1" >"/proc/sys/net/ipv4/$2"' -- \
			 "${OTHER[$knob]}" "$knob" 2>&1); then
			ret_set_ksft_status "$ksft_fail" "an unprivileged write succeeded"
		elif [[ $err != *"Permission denied"* ]]; then
			ret_set_ksft_status "$ksft_fail" "want EACCES, got: $err"
		fi
		lp_expect_eq "$knob after the write" "$(knob_get "$NS1" "$knob")" \
			"${DEFAULT[$knob]}"
		lp_expect_eq "$knob read by the unprivileged user" \
			"$(ip netns exec "$NS1" setpriv --reuid=65534 --regid=65534 \
			   --clear-groups cat "/proc/sys/net/ipv4/$knob")" \
			"${DEFAULT[$knob]}"
		log_test "$knob: unprivileged users can read, not write"
	done
}

# Enabling and disabling the mode in several namespaces, and destroying a
# namespace with the mode on, must keep the static key balanced; a kernel
# with lockdep/KASAN reports any imbalance or misuse on the console.
mode_toggle()
{
	local round

	RET=0
	for round in 1 2 3; do
		knob_write "$NS1" lowpower_mode 1 >/dev/null ||
			ret_set_ksft_status "$ksft_fail" "enable in NS1"
		knob_write "$NS2" lowpower_mode 1 >/dev/null ||
			ret_set_ksft_status "$ksft_fail" "enable in NS2"
		knob_write "$NS1" lowpower_mode 1 >/dev/null ||
			ret_set_ksft_status "$ksft_fail" "re-enable in NS1"
		knob_write "$NS1" lowpower_mode 0 >/dev/null ||
			ret_set_ksft_status "$ksft_fail" "disable in NS1"
		knob_write "$NS2" lowpower_mode 0 >/dev/null ||
			ret_set_ksft_status "$ksft_fail" "disable in NS2 (round $round)"
	done
	setup_ns NS4
	knob_write "$NS4" lowpower_mode 1 >/dev/null ||
		ret_set_ksft_status "$ksft_fail" "enable in NS4"
	cleanup_ns "$NS4"
	lp_expect_eq "lowpower_mode in NS1" "$(knob_get "$NS1" lowpower_mode)" 0
	lp_expect_eq "lowpower_mode in NS2" "$(knob_get "$NS2" lowpower_mode)" 0
	log_test "lowpower_mode on/off in several netns, and netns exit with it on"
}

if [ ! -e /proc/sys/net/ipv4/lowpower_mode ]; then
	echo "SKIP: kernel without CONFIG_IP_ROUTE_LOWPOWER"
	exit "$ksft_skip"
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root"
	exit "$ksft_skip"
fi

trap cleanup EXIT
setup_ns NS1 NS2 || exit "$ksft_skip"

for t in $ALL_TESTS; do
	$t
done

exit "$EXIT_STATUS"
