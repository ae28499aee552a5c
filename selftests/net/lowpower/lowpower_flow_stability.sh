#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower_multipath.sh's flow_stability test on 3 equal links, over
# legacy multipath routes, hash-threshold groups and resilient groups:
# forwarded TCP flows and R's own TCP connections never change path in
# lowpower mode 1 while the route spills and shrinks, routes come and go
# and the third nexthop's neighbour fails.  A script of its own so that
# it gets the whole per-script timeout.

LOWPOWER_TOPOS=${LOWPOWER_TOPOS:-"3 1 1 1"}
LOWPOWER_TESTS=${LOWPOWER_TESTS:-flow_stability}
# LOWPOWER_FLOW_ROUTES: the route kinds of this test alone
LOWPOWER_ROUTES=${LOWPOWER_FLOW_ROUTES:-${LOWPOWER_ROUTES:-"legacy group resilient"}}
# shellcheck source=lowpower_multipath.sh
source "$(dirname "$0")/lowpower_multipath.sh"
