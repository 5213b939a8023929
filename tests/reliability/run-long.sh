#!/bin/bash
# The long reliability runs, outside CI (they busy-poll for minutes: take the CPU lock first if
# the machine is shared). Builds nothing: run after `meson setup build && ninja -C build`.
#   tests/reliability/run-long.sh [cycles] [messages]     default 1000 and 1000000
# Prints the figures docs/RELIABILITY.md records.
set -u
cd "$(dirname "$0")/../.."
export VHOSTLOOP=$PWD/build/app/vhostloop VHOSTLOOP_GEN=$PWD/build/bench/trafgen/vhostloop-gen
export VL_FAKE_GUEST=$PWD/build/tests/integration/vl_fake_guest VL_SOURCE_ROOT=$PWD
export VL_CHURN_CYCLES=${1:-1000} VL_FUZZ_MESSAGES=${2:-1000000}
exec bash tests/integration/test_reliability.sh
