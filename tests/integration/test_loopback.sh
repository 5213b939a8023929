#!/bin/bash
# Frames come back byte-identical on the queue pair they were sent on, through one engine, for
# 1 and 4 queue pairs (4 pairs on one worker lcore here), sizes 60/1514/9000, mergeable RX
# buffers on and off, in-order on and off. Usage: test_loopback.sh direct|mbuf
. "$(dirname "$0")/lib.sh"
vl_need_cpus
dp=${1:?datapath}

sock1=$VL_TMP/vl1.sock
vl_engine_start "$VL_TMP/engine1.log" --datapath "$dp" --socket "$sock1" \
	--stats-file "$VL_TMP/snap1.jsonl"
vl_wait_socket "$sock1" || { cat "$VL_TMP/engine1.log"; exit 1; }
for mrg in 1 0; do
	for io in 0 1; do
		vl_gen "$VL_TMP/gen.log" --socket "$sock1" --frames 3000 --sizes 60,1514,9000 \
			--mrg-rxbuf $mrg --in-order $io
		vl_expect_rc 0 $? "$dp 1 qp mrg_rxbuf=$mrg in_order=$io: all frames back intact" \
			"$VL_TMP/gen.log"
	done
done
vl_engine_stop INT
vl_expect_rc 0 $? "$dp engine exits 0 on SIGINT" "$VL_TMP/engine1.log"
[ ! -e "$sock1" ] && vl_pass "socket removed on exit" || vl_fail "socket $sock1 left behind"
# 4 runs x 3000 frames looped, counted in the snapshot the engine writes when it stops (read by
# name, not by table column), and nothing dropped.
vl_expect_eq 12000 "$(vl_snap "$VL_TMP/snap1.jsonl" frames)" "final snapshot counts 12000 frames"
# 1000 frames of each size per run, header excluded: 4 x 1000 x (60 + 1514 + 9000) bytes.
vl_expect_eq 42296000 "$(vl_snap "$VL_TMP/snap1.jsonl" bytes)" "final snapshot counts their bytes"
vl_expect_eq 0 "$(vl_snap "$VL_TMP/snap1.jsonl" drop_rx_full)" "final snapshot counts no drops"

sock4=$VL_TMP/vl4.sock
vl_engine_start "$VL_TMP/engine4.log" --datapath "$dp" --socket "$sock4,queue-pairs=4"
vl_wait_socket "$sock4" || { cat "$VL_TMP/engine4.log"; exit 1; }
for mrg in 1 0; do
	vl_gen "$VL_TMP/gen4.log" --socket "$sock4" --queue-pairs 4 --frames 2000 \
		--sizes 60,1514,9000 --mrg-rxbuf $mrg
	vl_expect_rc 0 $? "$dp 4 qp mrg_rxbuf=$mrg: every queue pair loops its own frames" \
		"$VL_TMP/gen4.log"
	for q in 0 1 2 3; do
		vl_expect_grep "qp $q: .*PASS" "$VL_TMP/gen4.log" "$dp 4 qp mrg_rxbuf=$mrg: qp $q passes"
	done
done
vl_engine_stop TERM
vl_expect_rc 0 $? "$dp engine exits 0 on SIGTERM" "$VL_TMP/engine4.log"
vl_expect_grep "spread round-robin|polls all 4" "$VL_TMP/engine4.log" "engine says how 4 pairs share lcores"
vl_done
