#!/bin/bash
# vhostloop-gen's checker catches what it exists to catch: against a healthy engine, a frame
# damaged, lost or seen twice on the way back (simulated inside the generator) makes the check
# FAIL with exit 1 and the right counter; the same run without the simulation passes.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
sock=$VL_TMP/chk.sock
vl_engine_start "$VL_TMP/engine.log" --socket "$sock"
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }

vl_gen "$VL_TMP/ok.log" --socket "$sock" --frames 2000 --sizes 60,1514
vl_expect_rc 0 $? "no simulation: the check passes" "$VL_TMP/ok.log"
vl_expect_grep "^qp 0: .* missing 0 duplicate 0 corrupt 0 .*PASS" "$VL_TMP/ok.log" "qp 0 clean"

# check NAME OPTION COUNTER: the simulation makes qp 0 fail with COUNTER 1, the run exit 1.
check() {
	vl_gen "$VL_TMP/$1.log" --socket "$sock" --frames 2000 --sizes 60,1514 --connect-timeout 2 \
		"$2" 100
	vl_expect_rc 1 $? "$1: the check fails with exit 1" "$VL_TMP/$1.log"
	vl_expect_grep "^qp 0: .* $3 1 .*FAIL" "$VL_TMP/$1.log" "$1: qp 0 reports $3 1"
	vl_expect_grep "^FAIL" "$VL_TMP/$1.log" "$1: verdict FAIL"
}
check corrupt --selftest-corrupt corrupt
check drop --selftest-drop missing
check duplicate --selftest-dup duplicate
vl_engine_stop INT
vl_expect_rc 0 $? "engine exits 0" "$VL_TMP/engine.log"
vl_done
