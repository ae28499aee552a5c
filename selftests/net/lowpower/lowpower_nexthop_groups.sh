#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower_multipath.sh over nexthop objects, as routing daemons install
# routes: R's routes use a hash-threshold group, then a resilient group,
# of 2 equal nexthops (IPv4 and IPv6 groups).  Mode 0 honours the
# weights and maps flows like stock, mode 1 consolidates light traffic
# and spills under load, dead members are never chosen, groups are
# replaced and shrink under traffic.

LOWPOWER_ROUTES=${LOWPOWER_ROUTES:-"group resilient"}
LOWPOWER_TESTS=${LOWPOWER_TESTS:-"metrics_grow mode0_spread mode0_stock_mapping mode1_light mode1_spill down_never_chosen tcp_keeps_path switch_under_traffic"}
# shellcheck source=selftests/net/lowpower/lowpower_multipath.sh
source "$(dirname "$0")/lowpower_multipath.sh"
