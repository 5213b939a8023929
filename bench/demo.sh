#!/bin/bash
# The README's demo: install, build, then loop frames for vhostloop-gen for a few seconds with the
# engine's live per-queue rates, and its per-queue table at the end.
#   bash bench/demo.sh [seconds] [queue-pairs] [frame-size]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}
qps=${2:-2}
size=${3:-64}

bash tests/install-deps.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build

sock=/tmp/vhostloop-demo-$$.sock
engine_log=/tmp/vhostloop-demo-$$.log
# No EAL options: the engine picks no hugepages, no PCI, a unique file prefix, and polls with
# every lcore but the main one (on a 2-CPU box: CPU 1). The generator polls CPU 0.
build/app/vhostloop --socket "$sock,queue-pairs=$qps" --stats-interval 1 &
engine=$!
# The engine removes its own runtime directory; the generator's is ours to remove.
trap 'kill -INT $engine 2>/dev/null || true; rm -rf "/var/run/dpdk/vldemo-$$"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
echo "--- vhostloop-gen: $qps queue pair(s), $size-byte frames, ${secs}s at max rate ---"
build/bench/trafgen/vhostloop-gen -l 0 --no-huge -m 512 --no-pci --file-prefix "vldemo-$$" \
	--log-level='*:notice' -- --socket "$sock" --queue-pairs "$qps" --mode perf \
	--duration "$secs" --warmup 1 --size "$size"
kill -INT $engine
wait $engine
rm -rf "/var/run/dpdk/vldemo-$$"
trap - EXIT
cat <<'EOT'
--- reading it ---
Mpps per queue: frames looped per queue pair, as the engine counts them each second.
drops: frames that found no free buffer in the guest's RX ring (drop_rx_full in the table). The
  generator sends at full rate and posts RX buffers in between; now and then it is behind.
cyc/frame: the engine's busy TSC cycles per looped frame; gen ... cycles/frame: the generator's.
Side by side with testpmd's vhost backend: bench/compare (docs/BENCHMARKS.md).
EOT
