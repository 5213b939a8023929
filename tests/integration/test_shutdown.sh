#!/bin/bash
# The engine stops cleanly (exit 0, final snapshot with the frames it looped, socket removed)
# on SIGINT and on SIGTERM while a guest is connected and frames are flowing: both datapaths.
# The sanitizer build runs this too (tests/run-all.sh): teardown under traffic is where a
# use-after-free was once found.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
for dp in direct mbuf; do
	for sig in INT TERM; do
		what="$dp SIG$sig under traffic"
		sock=$VL_TMP/sd-$dp-$sig.sock
		snap=$VL_TMP/snap-$dp-$sig.jsonl
		glog=$VL_TMP/gen-$dp-$sig.log
		prefix=vlsd-$$-$dp-$sig
		vl_engine_start "$VL_TMP/engine.log" --datapath "$dp" --socket "$sock,queue-pairs=2" \
			--stats-file "$snap"
		vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
		"$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "$prefix" -- \
			--socket "$sock" --queue-pairs 2 --mode perf --duration 30 --warmup 0 \
			--stats-interval 0.2 >"$glog" 2>&1 &
		gen=$!
		vl_wait_for 20 vl_traffic_seen "$glog" || vl_fail "$what: no traffic within 20 s"
		vl_engine_stop "$sig"
		vl_expect_rc 0 $? "$what: engine exits 0" "$VL_TMP/engine.log"
		kill -INT $gen 2>/dev/null
		wait $gen 2>/dev/null
		[ ! -e "$sock" ] && vl_pass "$what: socket removed" || vl_fail "$what: socket left"
		frames=$(vl_snap "$snap" frames)
		[ "$frames" -gt 0 ] 2>/dev/null && vl_pass "$what: final snapshot, $frames frames" ||
			vl_fail "$what: final snapshot has frames ${frames:-none}"
		vl_expect_grep "stopping" "$VL_TMP/engine.log" "$what: engine says it stops"
		if grep -qE "ERROR: (Address|Undefined|Leak)Sanitizer|runtime error:" "$VL_TMP/engine.log"; then
			vl_fail "$what: sanitizer report"
			grep -A20 -E "Sanitizer|runtime error:" "$VL_TMP/engine.log" | sed 's/^/#   /' | head -40
		fi
	done
done
vl_done
