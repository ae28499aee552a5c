#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lowpower_multipath.sh on 4 nexthops weighted 1:2:3:4: the tests whose
# outcome depends on the number of nexthops and their weights (mode 0
# split and stock mapping, mode 1 consolidation and spill, dead and
# linkdown nexthops), run as a script of their own so that each
# topology gets the whole per-script timeout.

LOWPOWER_TOPOS=${LOWPOWER_TOPOS:-"4 1 2 3 4"}
# shellcheck source=lowpower_multipath.sh
source "$(dirname "$0")/lowpower_multipath.sh"
