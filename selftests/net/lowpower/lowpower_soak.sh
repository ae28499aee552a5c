#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Churn soak of lowpower multipath (make soak; 2 minutes in make test).
# On lowpower_multipath.sh's topology with 3 links, for LOWPOWER_SOAK_S
# seconds (default 120), TCP and UDP flows run from R (local) and from H1
# (forwarded), IPv4 and IPv6, while a chaos loop, one operation at a time:
#
# - replaces R's routes, switching between legacy multipath routes and
#   routes over hash-threshold and resilient nexthop groups;
# - deletes and re-adds the routes, a whole nexthop group (of either
#   type), or one member;
# - flaps a link;
# - makes a namespace with a multipath route and traffic in lowpower
#   mode and deletes it with the traffic in flight;
# - switches lowpower_mode (also in a second namespace) and the knobs to
#   random valid values, and writes invalid values (which must fail and
#   change nothing);
# - gives a nexthop group a lowpower policy of its own (a random mode and
#   spill threshold, or none), with an ip that knows lowpower;
# - reads the state: /proc/net/lowpower, the lowpower netlink family's
#   link dump (YNL's client), ip route get, ip nexthop show (-s, the
#   members' lowpower state, with an ip that knows lowpower);
# - runs lowpower-prober for a few rounds on R's IPv4 and IPv6 routes, so
#   that probe samples come in while routes change;
# - with LOWPOWER_SOAK_FAULTS=1, makes one of the above configuration
#   changes with failslab and fail_page_alloc failing its allocations
#   (task filter: only the commands of that operation; stack trace
#   filter: only allocations of the networking code), then restores.
#
# After every operation the routes are restored and every flow of a
# sample must still be routed over a live link, and R must reach H2
# (traffic never blackholed while a usable nexthop exists).  At the end:
# no kernel splat in dmesg (KASAN, lockdep, RCU stall, WARN, soft
# lockup), with LOWPOWER_SOAK_KMEMLEAK=1 no kmemleak report after a scan
# (boot with kmemleak=on), and the feature's static key off again once
# every namespace is back in mode 0 and the groups' policies are gone: a
# namespace in mode 0 then counts no traffic (checked to count while
# another namespace has a mode on).
# Prints the count of each operation.
#
# shellcheck disable=SC2317 # soak is called through LOWPOWER_TESTS

SOAK_S=${LOWPOWER_SOAK_S:-120}
DEBUGFS=/sys/kernel/debug
# whether ip sets and shows lowpower policies and state (an iproute2 with
# lowpower support)
SOAK_IP_LOWPOWER=0
if ip nexthop help 2>&1 | grep -q lowpower; then
	SOAK_IP_LOWPOWER=1
fi

# soak_sh NS SCRIPT [ARG...]: run SCRIPT with sh in NS
soak_sh()
{
	local ns=$1

	shift
	ip netns exec "$ns" sh -c "$@"
}

# soak_traffic_start: background senders; their pids in SOAK_PIDS
soak_traffic_start()
{
	local f cpu=0

	SOAK_PIDS=()
	for f in 4 6; do
		ip netns exec "$H2" "${FLOWS[@]}" bulk-sink "$f" $((5100 + f)) >/dev/null 2>&1 &
		SOAK_PIDS+=($!)
	done
	sleep 1
	for f in 4 6; do
		on_cpu "$cpu" ip netns exec "$R" "${FLOWS[@]}" bulk "$f" "$(dst "$f")" \
			$((5100 + f)) --connections 2 --rate 20000 --seconds "$SOAK_S" \
			>/dev/null 2>&1 &
		SOAK_PIDS+=($!)
		on_cpu $((cpu + 1)) ip netns exec "$H1" "${FLOWS[@]}" bulk "$f" "$(dst "$f")" \
			$((5100 + f)) --connections 2 --rate 20000 --seconds "$SOAK_S" \
			>/dev/null 2>&1 &
		SOAK_PIDS+=($!)
		cpu=$((cpu + 2))
	done
	# a new UDP flow every 100 ms, 2 datagrams each, until stopped
	for f in 4 6; do
		on_cpu "$cpu" ip netns exec "$R" "${FLOWS[@]}" udp "$f" "$(dst "$f")" "$PORT" \
			--flows 1000000 --packets 2 --pps 20 --size 200 --keep-going \
			>/dev/null 2>&1 &
		SOAK_PIDS+=($!)
		on_cpu $((cpu + 1)) ip netns exec "$H1" "${FLOWS[@]}" udp "$f" "$(dst "$f")" \
			"$PORT" --flows 1000000 --packets 2 --pps 20 --size 200 --keep-going \
			>/dev/null 2>&1 &
		SOAK_PIDS+=($!)
		cpu=$((cpu + 2))
	done
}

soak_traffic_stop()
{
	local p

	for p in "${SOAK_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${SOAK_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	SOAK_PIDS=()
}

# soak_reachable: every flow of a sample is routed over a live link of R,
# and R reaches H2 (IPv4 and IPv6); 0 if so
soak_reachable()
{
	local f map n

	for f in 4 6; do
		map=$(route_map "$f" 8)
		n=$(grep -ow 'r[0-9]' <<<"$map" | wc -l)
		[ "$n" = 8 ] || { echo "IPv$f: $n of 8 flows routed [$map]"; return 1; }
		ip netns exec "$R" ping -"$f" -c 1 -W 3 -q "$(dst "$f")" >/dev/null ||
			{ echo "IPv$f: no reply from H2"; return 1; }
	done
}

# soak_group_members: the ids of the members of groups 400 and 600
soak_group_members()
{
	local i

	for i in $(seq "$N"); do
		echo $((400 + i)) $((600 + i))
	done | xargs
}

# soak_policy: one of R's groups that exists gets a random lowpower policy
# of its own (or none), replaced with the same members and type
soak_policy()
{
	local id json grp args=()

	id=$(soak_pick 400 450 600 650)
	json=$(ip -n "$R" -j nexthop get id "$id" 2>/dev/null) || return 0
	grp=$(jq -r '[.[0].group[] | "\(.id),\(.weight // 1)"] | join("/")' <<<"$json")
	[ "$(jq -r '.[0].type' <<<"$json")" != resilient ] ||
		args=(type resilient buckets 512 idle_timer 1 unbalanced_timer 0)
	case $(soak_pick none 0 1 2 2) in
	none) args+=(lowpower) ;;
	0) args+=(lowpower mode off) ;;
	1) args+=(lowpower mode 1 spill $((1 + RANDOM % 2000))) ;;
	2) args+=(lowpower mode jitter-avoid) ;;
	esac
	ip -n "$R" nexthop replace id "$id" group "$grp" "${args[@]}"
}

# soak_netns: a namespace pair with a two-link multipath route in mode 1
# and a sender, deleted while the sender runs
soak_netns()
{
	local a b pid

	setup_ns soak_a soak_b || return 1
	# shellcheck disable=SC2154 # set by setup_ns
	a=$soak_a b=$soak_b
	ip -n "$a" -batch - <<-EOF || return 1
		link add x1 type veth peer name y1 netns $b
		link add x2 type veth peer name y2 netns $b
		link set x1 up
		link set x2 up
		address add 10.9.1.1/24 dev x1
		address add 10.9.2.1/24 dev x2
	EOF
	ip -n "$b" -batch - <<-EOF || return 1
		link set y1 up
		link set y2 up
		address add 10.9.1.2/24 dev y1
		address add 10.9.2.2/24 dev y2
		address add 10.9.9.9/32 dev lo
	EOF
	lp_route "$a" 4 10.9.9.9/32 "$(soak_pick legacy group resilient)" 10 \
		"10.9.1.2 x1 1" "10.9.2.2 x2 1" || return 1
	ip netns exec "$a" sysctl -qw net.ipv4.lowpower_mode=1 || return 1
	ip netns exec "$a" "${FLOWS[@]}" udp 4 10.9.9.9 "$PORT" --flows 1000 \
		--packets 10 --keep-going >/dev/null 2>&1 &
	pid=$!
	sleep 0.3
	soak_netns_del
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# soak_netns_del: delete soak_netns's namespaces, also those a failed
# (faulted) soak_netns left behind
soak_netns_del()
{
	local ns keep=()

	ip netns list | awk '$1 ~ /^soak_[ab]-/ { print $1 }' | xargs -r -n 1 ip netns del
	for ns in "${NS_LIST[@]}"; do
		case $ns in soak_[ab]-*) ;; *) keep+=("$ns") ;; esac
	done
	NS_LIST=("${keep[@]}")
}

# soak_pick WORD...: one of the words, at random
soak_pick()
{
	local -a w=("$@")

	echo "${w[RANDOM % ${#w[@]}]}"
}

# soak_knobs: random valid values for every knob of R
soak_knobs()
{
	r_sysctl net.ipv4.lowpower_ema_k_factor=$((RANDOM % 1025)) \
		net.ipv4.lowpower_power_cost_weight=$((RANDOM % 201)) \
		net.ipv4.lowpower_spill_threshold=$((1 + RANDOM % 2000)) \
		net.ipv4.lowpower_epoch_ms=$((100 + RANDOM % 900)) \
		net.ipv4.lowpower_flow_idle_ms=$((10 + RANDOM % 2000)) \
		net.ipv4.lowpower_jitter_age_ms=$((100 + RANDOM % 5000))
}

# invalid values of each knob
declare -A SOAK_BAD=(
	[lowpower_mode]="-1 3 abc 1x"
	[lowpower_ema_k_factor]="-1 1025 abc"
	[lowpower_power_cost_weight]="-1 1001 abc"
	[lowpower_spill_threshold]="-1 abc 99999999999"
	[lowpower_epoch_ms]="99 60001 abc"
	[lowpower_flow_idle_ms]="9 120001 abc"
	[lowpower_jitter_age_ms]="99 600001 abc"
)

# soak_bad_writes: an invalid value fails and changes nothing; 0 if so
soak_bad_writes()
{
	local knob val before after

	# shellcheck disable=SC2046 # one of the keys
	knob=$(soak_pick $(printf '%s\n' "${!SOAK_BAD[@]}" | sort))
	# shellcheck disable=SC2086 # one of the values
	val=$(soak_pick ${SOAK_BAD[$knob]})
	before=$(ip netns exec "$R" cat "/proc/sys/net/ipv4/$knob")
	if soak_sh "$R" "echo '$val' > /proc/sys/net/ipv4/$knob" 2>/dev/null; then
		echo "$knob accepted '$val'"
		return 1
	fi
	after=$(ip netns exec "$R" cat "/proc/sys/net/ipv4/$knob")
	[ "$after" = "$before" ] || {
		echo "$knob changed from $before to $after on a bad write of '$val'"
		return 1
	}
}

# soak_faults_setup: failslab and fail_page_alloc fail 1 in 50 allocations
# (a change makes dozens: some fail, some get through) of tasks marked
# with make-it-fail, and only those made on behalf of the networking code:
# the stack must hold a return address between the first function of
# net/ (sock_alloc(), net/socket.c) and the first of 9p.  So the faults
# land in the netlink and sysctl handlers (the series' allocations among
# them), not in the commands' exec, page faults or file reads; the guest's
# root is a 9p mount, and a 9p request whose allocation fails leaves the
# mount returning EINVAL to every process.
soak_faults_setup()
{
	local d lo hi

	# kallsyms addresses: 16 hex digits, so they compare as strings; 9p's
	# client (net/9p: p9_*, v9fs_*) is linked after the rest of net/,
	# its file system (fs/9p) before it
	lo=$(awk '$3 == "sock_alloc" { print $1; exit }' /proc/kallsyms)
	hi=$(awk -v lo="$lo" '$3 ~ /^(p9|v9fs)/ && $1 > lo { print $1 }' \
		/proc/kallsyms | sort | head -n 1)
	if [ -z "$lo" ] || [ -z "$hi" ]; then
		echo "cannot place net/ before 9p in /proc/kallsyms ($lo, $hi)"
		return 1
	fi
	for d in failslab fail_page_alloc; do
		[ -d "$DEBUGFS/$d" ] || { echo "no $DEBUGFS/$d"; return 1; }
		[ -e "$DEBUGFS/$d/require-start" ] ||
			{ echo "no stack trace filter in $DEBUGFS/$d"; return 1; }
		echo Y >"$DEBUGFS/$d/task-filter"
		echo "0x$lo" >"$DEBUGFS/$d/require-start"
		echo "0x$hi" >"$DEBUGFS/$d/require-end"
		echo 32 >"$DEBUGFS/$d/stacktrace-depth"
		echo 2 >"$DEBUGFS/$d/probability"
		echo 1 >"$DEBUGFS/$d/interval"
		echo -1 >"$DEBUGFS/$d/times"
		echo 0 >"$DEBUGFS/$d/space"
		echo 0 >"$DEBUGFS/$d/verbose"
		echo N >"$DEBUGFS/$d/ignore-gfp-wait"
	done
	echo 0 >"$DEBUGFS/fail_page_alloc/min-order"
}

# soak_faulty OP: configuration operation OP with allocation faults
# injected into its commands; prints "ok" or "failed" (a clean error)
soak_faulty()
{
	if (
		echo 1 >"/proc/$BASHPID/make-it-fail"
		case $1 in
		routes) KIND=$(soak_pick legacy group resilient); add_routes ;;
		mode) lp_mode "$(soak_pick 0 1 2)" ;;
		netns) soak_netns ;;
		esac
	) >/dev/null 2>&1; then
		echo ok
	else
		echo failed
	fi
}

# soak_splats: counts of kernel reports in dmesg, by kind
soak_splats()
{
	dmesg | awk '
		/BUG: KASAN/ { kasan++ }
		/WARNING: .*(lock|LOCK)|possible circular locking/ ||
			/inconsistent lock state|possible recursive locking/ { lockdep++ }
		/rcu: INFO: .*stall/ { rcu++ }
		/WARNING: CPU:/ { warn++ }
		/soft lockup/ { soft++ }
		/BUG: |Oops|general protection fault/ && !/BUG: KASAN|soft lockup/ { bug++ }
		END {
			printf "KASAN %d, lockdep %d, RCU stall %d, ", kasan, lockdep, rcu
			printf "WARN %d, soft lockup %d, BUG/oops %d\n", warn, soft, bug
		}'
}

soak()
{
	local -A ops=()
	local end op msg res splats leaks=- i kmemleak=0 faults=0 blackholed=0 n_ops=0
	local t0 t1 t_op=0 t_check=0

	RET=0
	lp_defaults
	if [ "${LOWPOWER_SOAK_KMEMLEAK:-0}" = 1 ]; then
		mountpoint -q "$DEBUGFS" || mount -t debugfs none "$DEBUGFS"
		if [ -w "$DEBUGFS/kmemleak" ]; then
			kmemleak=1
			echo scan >"$DEBUGFS/kmemleak"
			echo clear >"$DEBUGFS/kmemleak"
		else
			ret_set_ksft_status "$ksft_fail" "kmemleak is off (boot with kmemleak=on)"
		fi
	fi
	if [ "${LOWPOWER_SOAK_FAULTS:-0}" = 1 ]; then
		mountpoint -q "$DEBUGFS" || mount -t debugfs none "$DEBUGFS"
		if msg=$(soak_faults_setup); then
			faults=1
		else
			ret_set_ksft_status "$ksft_fail" "no fault injection: $msg"
		fi
	fi

	# the probe of the static key can fail: it counts with a mode on
	ip netns exec "$AUX" sysctl -qw net.ipv4.lowpower_mode=1
	key_counts ||
		ret_set_ksft_status "$ksft_fail" \
			"a mode-0 namespace counts nothing while another has a mode on"
	ip netns exec "$AUX" sysctl -qw net.ipv4.lowpower_mode=0

	soak_traffic_start
	end=$(($(date +%s) + SOAK_S))
	while [ "$(date +%s)" -lt "$end" ]; do
		t0=$EPOCHREALTIME
		op=$(soak_pick replace del replace group member flap netns mode \
			mode knobs bad read probe fault policy)
		[ "$op" != fault ] || [ "$faults" = 1 ] || op="read"
		[ "$op" != probe ] || [ -x "$LP_PROBER" ] || op="read"
		[ "$op" != policy ] || [ "$SOAK_IP_LOWPOWER" = 1 ] || op="read"
		case $op in
		replace)
			KIND=$(soak_pick legacy group resilient)
			add_routes
			;;
		del)
			ip -n "$R" -4 route del "${DST4%1}0/24" 2>/dev/null
			ip -n "$R" -6 route del "${DST6%1}/64" 2>/dev/null
			;;
		group)
			ip -n "$R" nexthop del id "$(soak_pick 400 450 600 650)" 2>/dev/null
			;;
		member)
			# shellcheck disable=SC2046 # one id of the list
			ip -n "$R" nexthop del id "$(soak_pick $(soak_group_members))" 2>/dev/null
			;;
		flap)
			i=$((1 + RANDOM % N))
			ip -n "$R" link set "r$i" down
			sleep 0.1
			ip -n "$R" link set "r$i" up
			;;
		netns)
			soak_netns || ret_set_ksft_status "$ksft_fail" \
				"cannot make the short-lived namespaces"
			;;
		mode)
			lp_mode "$(soak_pick 0 1 2)"
			ip netns exec "$AUX" sysctl -qw net.ipv4.lowpower_mode="$(soak_pick 0 1 2)"
			;;
		knobs)
			soak_knobs || ret_set_ksft_status "$ksft_fail" \
				"a valid knob value was refused"
			;;
		policy)
			msg=$(soak_policy 2>&1) ||
				ret_set_ksft_status "$ksft_fail" \
					"a valid group policy was refused: $msg"
			;;
		bad)
			msg=$(soak_bad_writes) || ret_set_ksft_status "$ksft_fail" "$msg"
			;;
		read)
			cat /proc/net/lowpower >/dev/null
			ip netns exec "$R" cat /proc/net/lowpower >/dev/null
			if lp_ynl_usable; then
				lp_ynl "$R" --dump link-get >/dev/null ||
					ret_set_ksft_status "$ksft_fail" \
						"the netlink link dump failed"
			fi
			ip -n "$R" nexthop show >/dev/null
			[ "$SOAK_IP_LOWPOWER" = 0 ] || ip -n "$R" -s nexthop show >/dev/null
			route_map 4 8 >/dev/null
			route_map 6 8 >/dev/null
			;;
		probe)
			msg=$(ip netns exec "$R" "$LP_PROBER" -r "$DST4" -r "$DST6" \
				-c 5 -i 20 -b 1 -s 0 2>&1) ||
				ret_set_ksft_status "$ksft_fail" "the prober failed: $msg"
			;;
		fault)
			res=$(soak_faulty "$(soak_pick routes mode routes netns)")
			soak_netns_del
			op="fault_$res"
			;;
		esac
		ops[$op]=$((${ops[$op]:-0} + 1))
		n_ops=$((n_ops + 1))
		# what the operation took away back, then nothing may be
		# blackholed
		case $op in
		flap) restore_links >/dev/null 2>&1 ;;
		del | group | member | fault_*) add_routes >/dev/null 2>&1 ;;
		esac ||
			ret_set_ksft_status "$ksft_fail" "cannot restore the routes after $op"
		t1=$EPOCHREALTIME
		if ! msg=$(soak_reachable); then
			blackholed=$((blackholed + 1))
			ret_set_ksft_status "$ksft_fail" "after $op: $msg"
		fi
		t_op=$(awk -v a="$t0" -v b="$t1" -v m="$t_op" \
			'BEGIN { d = b - a; print (d > m ? d : m) }')
		t_check=$(awk -v a="$t1" -v b="$EPOCHREALTIME" -v m="$t_check" \
			'BEGIN { d = b - a; print (d > m ? d : m) }')
	done
	soak_traffic_stop 2>/dev/null

	# every namespace back in mode 0, no group with a mode of its own: the
	# static key is off again
	lp_defaults
	ip netns exec "$AUX" sysctl -qw net.ipv4.lowpower_mode=0
	ip -n "$R" nexthop flush >/dev/null 2>&1
	KIND=legacy
	add_routes ||
		ret_set_ksft_status "$ksft_fail" \
			"cannot add the legacy routes for the static key check"
	! key_counts ||
		ret_set_ksft_status "$ksft_fail" \
			"the static key is still on with every namespace in mode 0"

	if [ "$kmemleak" = 1 ]; then
		# objects freed after a grace period, then two scans: kmemleak
		# reports only what stayed unreferenced across scans
		sleep 6
		echo scan >"$DEBUGFS/kmemleak"
		sleep 6
		echo scan >"$DEBUGFS/kmemleak"
		leaks=$(grep -c 'unreferenced object' "$DEBUGFS/kmemleak")
		if [ "$leaks" != 0 ]; then
			head -n 60 "$DEBUGFS/kmemleak"
			ret_set_ksft_status "$ksft_fail" \
				"kmemleak reports $leaks unreferenced objects"
		fi
	fi
	splats=$(soak_splats)
	[ "$(tr -cd '1-9' <<<"$splats")" = "" ] ||
		ret_set_ksft_status "$ksft_fail" "kernel reports: $splats"

	msg=""
	for op in $(printf '%s\n' "${!ops[@]}" | sort); do
		msg+="$op ${ops[$op]}, "
	done
	echo "soak: $SOAK_S s on $(nproc) CPUs; $n_ops operations: ${msg%, }"
	echo "soak: slowest operation $t_op s, slowest check $t_check s"
	echo "soak: blackholed $blackholed; kernel reports: $splats; kmemleak reports: $leaks"
	msg="soak $SOAK_S s: churn of routes, groups, links, namespaces and knobs"
	msg+=" under traffic$([ "$faults" = 1 ] && echo ", allocation faults")"
	msg+="; $splats; leaks $leaks; blackholed $blackholed"
	log_test "$msg"
}

LOWPOWER_TOPOS=${LOWPOWER_TOPOS:-"3 1 1 1"}
LOWPOWER_TESTS=soak
# shellcheck source=lowpower_multipath.sh
source "$(dirname "$0")/lowpower_multipath.sh"
