#!/bin/bash
# Guest memory is hostile: a memory table whose region runs past the end of the file it is mapped
# from (mmap_offset + size > file size) would give the engine SIGBUS at its first touch. The engine
# refuses it (logged, counted, connection closed), lives, and serves the next frontend. Both
# datapaths (the library itself touches the rings of either).
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"

for dp in direct mbuf; do
	sock=$VL_TMP/hm-$dp.sock
	log=$VL_TMP/engine-$dp.log
	vl_engine_start "$log" --datapath "$dp" --socket "$sock"
	vl_wait_socket "$sock" || { cat "$log"; exit 1; }
	for i in 1 2; do
		timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario mem-beyond-file \
			>"$VL_TMP/fg.log" 2>&1
		vl_expect_rc 0 $? "$dp: table $i: the engine hangs up on it" "$VL_TMP/fg.log"
		if kill -0 "$VL_ENGINE_PID" 2>/dev/null; then
			vl_pass "$dp: table $i: engine alive"
		else
			vl_fail "$dp: table $i: engine died"
			sed 's/^/#   /' "$log" | tail -20
			wait "$VL_ENGINE_PID"
			vl_log "engine exit status $?"
			vl_rm_rundir "$VL_ENGINE_PREFIX"
			VL_ENGINE_PID=
			continue 2
		fi
		vl_expect_grep "memory table refused: region 0 .*0x1000000 bytes at offset 0x0\) runs past \
the end of its file \(0x1000 bytes\); closing the connection \($i refused so far\)" "$log" \
			"$dp: table $i: refusal logged and counted"
	done
	# An eventfd as the region's file: librte_vhost's mmap fails on it and 22.11 then leaks the
	# fd; the engine refuses the table first, so its fd count comes back.
	fds0=$(ls "/proc/$VL_ENGINE_PID/fd" | wc -l)
	timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario mem-eventfd >"$VL_TMP/fg.log" 2>&1
	vl_expect_rc 0 $? "$dp: eventfd region: the engine hangs up on it" "$VL_TMP/fg.log"
	vl_expect_grep "memory table refused: region 0: fd [0-9]+ is not a regular file .*\(3 refused \
so far\)" "$log" "$dp: eventfd region: refusal logged and counted"
	fds_now() { [ "$(ls "/proc/$VL_ENGINE_PID/fd" | wc -l)" -le "$fds0" ]; }
	vl_wait_for 5 fds_now
	vl_expect_eq "$fds0" "$(ls "/proc/$VL_ENGINE_PID/fd" | wc -l)" "$dp: eventfd region: engine fds"
	timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario loop >"$VL_TMP/good.log" 2>&1
	vl_expect_rc 0 $? "$dp: a good frontend is served afterwards" "$VL_TMP/good.log"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$dp: engine exits 0" "$log"
	vl_expect_grep "vhost0: 3 memory table\(s\) refused" "$log" "$dp: exit says 3 refused"
done
vl_done
