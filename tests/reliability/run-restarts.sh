#!/bin/bash
# The long client-mode restart run, outside CI (it busy-polls for minutes: take the CPU lock first
# if the machine is shared). Builds nothing: run after `meson setup build && ninja -C build`.
#   tests/reliability/run-restarts.sh [restarts]     default 100
# The engine is restarted under a waiting virtio-user server=1 frontend (vhostloop-gen), SIGKILL
# and SIGTERM alternating; prints the figure docs/RELIABILITY.md records.
set -u
cd "$(dirname "$0")/../.."
export VHOSTLOOP=$PWD/build/app/vhostloop VHOSTLOOP_GEN=$PWD/build/bench/trafgen/vhostloop-gen
export VL_SOURCE_ROOT=$PWD VL_RESTARTS=${1:-100}
exec bash tests/integration/test_client_restart.sh
