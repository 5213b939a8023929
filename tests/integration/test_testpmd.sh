#!/bin/bash
# DPDK's own testpmd on net_virtio_user (flowgen) gets its frames back through the engine:
# both datapaths, 1 and 4 queue pairs, mergeable RX buffers on and off, in-order on and off,
# split and packed rings (packed_vq=1: the engine must say it negotiated packed rings).
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }

# run_case DATAPATH QPS VDEV_EXTRA
run_case() {
	local dp=$1 qps=$2 extra=$3 sock=$VL_TMP/tp-$1-$2.sock what
	what="testpmd flowgen, $dp, $qps qp${extra:+, ${extra#,}}"
	rm -f "$VL_TMP/snap.jsonl"
	vl_engine_start "$VL_TMP/engine.log" --datapath "$dp" --socket "$sock,queue-pairs=$qps" \
		--stats-file "$VL_TMP/snap.jsonl"
	vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
	local cq=
	[ "$qps" -gt 1 ] && cq=",cq=1"
	# Main and forwarding lcore both on CPU 0: the engine's poller has CPU 1.
	timeout -s INT 5 dpdk-testpmd --lcores 0@0,1@0 --no-huge -m 512 --no-pci \
		--file-prefix "vltp-$$" --log-level='*:notice' \
		--vdev "net_virtio_user0,path=$sock,queues=$qps$cq$extra" -- \
		--forward-mode=flowgen --rxq "$qps" --txq "$qps" --auto-start --stats-period 1 \
		--total-num-mbufs 16384 >"$VL_TMP/testpmd.log" 2>&1
	vl_rm_rundir "vltp-$$" # testpmd leaves its runtime directory behind
	vl_engine_stop INT
	vl_expect_rc 0 $? "$what: engine exits 0" "$VL_TMP/engine.log"
	local rx frames
	rx=$(grep -oE 'RX-packets: +[0-9]+' "$VL_TMP/testpmd.log" | tail -1 | grep -oE '[0-9]+$')
	frames=$(vl_snap "$VL_TMP/snap.jsonl" frames)
	case "$extra" in
	*packed_vq=1*)
		vl_expect_grep "guest started .*packed rings" "$VL_TMP/engine.log" \
			"$what: packed rings negotiated"
		;;
	esac
	if [ "${rx:-0}" -gt 100000 ] && [ "${frames:-0}" -ge "$rx" ]; then
		vl_pass "$what: testpmd received $rx frames, engine looped $frames"
	else
		vl_fail "$what: testpmd received ${rx:-none}, engine looped ${frames:-none}"
		sed 's/^/#   /' "$VL_TMP/testpmd.log" | tail -30
		sed 's/^/#   /' "$VL_TMP/engine.log" | tail -15
	fi
}

for dp in mbuf direct; do
	run_case "$dp" 1 ""
	run_case "$dp" 1 ",mrg_rxbuf=0"
	run_case "$dp" 1 ",in_order=1"
	run_case "$dp" 4 ""
	run_case "$dp" 4 ",mrg_rxbuf=0,in_order=1"
	run_case "$dp" 1 ",packed_vq=1"
	run_case "$dp" 2 ",packed_vq=1,mrg_rxbuf=0,in_order=1"
done
run_case direct 1 ",packed_vq=1,in_order=1"
run_case direct 1 ",packed_vq=1,mrg_rxbuf=0"
vl_done
