#!/bin/bash
# Client mode: the frontend listens (QEMU server=on; here virtio-user server=1) and the engine
# connects to it. The engine may start before the frontend's socket exists: it retries.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
for dp in direct mbuf; do
	sock=$VL_TMP/client-$dp.sock
	vl_engine_start "$VL_TMP/engine-$dp.log" --datapath "$dp" --client --socket "$sock,queue-pairs=2"
	# The engine is up first and nothing listens yet: it must have tried, failed, and stay up.
	if vl_wait_for 10 grep -qF "client-$dp.sock) failed to connect" "$VL_TMP/engine-$dp.log" &&
		kill -0 "$VL_ENGINE_PID"; then
		vl_pass "$dp: engine waits for a listener"
	else
		vl_fail "$dp: engine gave up without a listener"
		sed 's/^/#   /' "$VL_TMP/engine-$dp.log"
	fi
	vl_gen "$VL_TMP/gen-$dp.log" --socket "$sock" --server --queue-pairs 2 --frames 2000 \
		--sizes 60,1514,9000
	vl_expect_rc 0 $? "$dp: frames loop through an engine in client mode" "$VL_TMP/gen-$dp.log"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$dp: engine exits 0" "$VL_TMP/engine-$dp.log"
	vl_expect_grep "connecting to .*client-$dp.sock" "$VL_TMP/engine-$dp.log" "$dp: engine says it connects"
	vl_expect_grep "frontend connected" "$VL_TMP/engine-$dp.log" "$dp: connection logged"
done
vl_done
