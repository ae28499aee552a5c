#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower_multipath.sh over nexthop objects, as routing daemons install
# routes: R's routes use a hash-threshold group, then a resilient group,
# of 2 equal nexthops (IPv4 and IPv6 groups).  Mode 0 honours the
# weights and maps flows like stock, mode 1 consolidates light traffic
# and spills under load, dead and linkdown members are never chosen (the
# group shrinks) and the last one keeps every flow; a group's own policy
# overrides the namespace's mode.

LOWPOWER_ROUTES=${LOWPOWER_ROUTES:-"group resilient"}
# the tests whose outcome depends on how the route selects; the churn of
# groups under traffic is lowpower_soak.sh's
LOWPOWER_TESTS=${LOWPOWER_TESTS:-"mode0_spread mode0_stock_mapping mode1_light
	mode1_spill down_never_chosen group_policy"}
# shellcheck source=lowpower_multipath.sh
source "$(dirname "$0")/lowpower_multipath.sh"
