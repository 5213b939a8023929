#!/bin/bash
# Steering audit with a frontend nobody here wrote: DPDK testpmd on net_virtio_user, flowgen with
# 64 flows (destination addresses 10.253.0.0 + k). The audit must count exactly 64 flows, none
# unparsed. With one queue pair no flow can be on two; with 4 queue pairs testpmd's flowgen
# walks its flows across all its TX queues (one flow counter per lcore, it does no steering), so
# every flow is on several queue pairs and the audit must say so.
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }

# run_case DATAPATH QPS WANT_MULTI
run_case() {
	local dp=$1 qps=$2 want_multi=$3 sock=$VL_TMP/tps-$1-$2.sock what cq=
	what="testpmd flowgen 64 flows, $dp, $qps qp"
	vl_engine_start "$VL_TMP/engine.log" --datapath "$dp" --socket "$sock,queue-pairs=$qps" \
		--steering-audit
	vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
	[ "$qps" -gt 1 ] && cq=",cq=1"
	# Main and forwarding lcore both on CPU 0: the engine's poller has CPU 1. Without a TTY
	# testpmd stops forwarding when its "Press enter to exit" reads end of file, a moment after
	# it started: once only 32 frames (32 flows) got through. --stats-period keeps it
	# forwarding until the timeout's SIGINT.
	timeout -s INT 6 dpdk-testpmd --lcores 0@0,1@0 --no-huge -m 512 --no-pci \
		--file-prefix "vltps-$$" --log-level='*:notice' \
		--vdev "net_virtio_user0,path=$sock,queues=$qps$cq" -- \
		--forward-mode=flowgen --flowgen-flows=64 --rxq "$qps" --txq "$qps" --auto-start \
		--total-num-mbufs 16384 --stats-period 1 >"$VL_TMP/testpmd.log" 2>&1
	rm -rf "/var/run/dpdk/vltps-$$"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$what: engine exits 0" "$VL_TMP/engine.log"
	echo "# $what: $(grep -o '[0-9]* frames classified' "$VL_TMP/engine.log")"
	vl_expect_grep "number of flows for port 0: 64" "$VL_TMP/testpmd.log" \
		"$what: testpmd says it sends 64 flows"
	vl_expect_grep "^steering audit: 64 flows, $want_multi on more than one queue pair; [1-9][0-9]* frames classified, 0 unparsed, 0 of flows not tracked" \
		"$VL_TMP/engine.log" "$what: the audit counts 64 flows, $want_multi on several queues"
	vl_expect_grep "^steering multi-queue flow: .*ipv4 udp 10.254.0.0:1000 > 10.253.0.[0-9]+:1001|^steering audit: 64 flows, 0 on" \
		"$VL_TMP/engine.log" "$what: the flows are testpmd's"
}

for dp in direct mbuf; do
	run_case "$dp" 1 0
	run_case "$dp" 4 64
done
vl_done
