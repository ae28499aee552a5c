#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower_multipath.sh's flow_stability test on 3 equal links: forwarded
# TCP flows never change path in lowpower mode 1 while the route spills
# and shrinks, routes come and go and the third nexthop's neighbour
# fails.  A script of its own so that it gets the whole per-script
# timeout.

LOWPOWER_TOPOS=${LOWPOWER_TOPOS:-"3 1 1 1"}
LOWPOWER_TESTS=${LOWPOWER_TESTS:-flow_stability}
# shellcheck source=selftests/net/lowpower/lowpower_multipath.sh
source "$(dirname "$0")/lowpower_multipath.sh"
