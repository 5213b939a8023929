#!/bin/bash
# Dirty-page logging (live migration) without QEMU: vl_fake_guest turns logging on mid-traffic as
# QEMU does when a migration starts, and checks that every guest page the engine wrote since is
# marked in its log: RX buffers, and the used rings (split) or descriptor rings (packed). Both
# datapaths, both ring layouts (on packed rings the mbuf datapath marks the descriptor rings
# itself: librte_vhost 22.11 marks them at the wrong pages). With the test-only switch that
# leaves our marks out, the same check must fail (so it can). A log larger than its file is
# refused (it would be SIGBUS at the first page marked past the file's end).
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"

run() { # run DATAPATH LAYOUT WANT_RC [ENV...]
	local dp=$1 layout=$2 want=$3 sock=$VL_TMP/dl.sock log=$VL_TMP/engine-$1-$2-$3.log
	local stats=$VL_TMP/stats-$1-$2-$3.json packed= rc pages
	shift 3
	[ "$layout" = packed ] && packed=--packed
	rm -f "$sock"
	env "$@" "$VHOSTLOOP" --datapath "$dp" --socket "$sock" --stats-file "$stats" >"$log" 2>&1 &
	VL_ENGINE_PID=$!
	VL_ENGINE_PREFIX=vhostloop-$VL_ENGINE_PID
	vl_wait_socket "$sock" || { vl_fail "$dp $layout: engine did not listen"; cat "$log"; return; }
	timeout 60 "$VL_FAKE_GUEST" --socket "$sock" $packed --scenario dirty-log >"$VL_TMP/fg.log" 2>&1
	rc=$?
	if [ "$want" = 0 ]; then
		vl_expect_rc 0 $rc "$dp $layout: every page the engine wrote is marked" "$VL_TMP/fg.log"
		grep '^dirty log:' "$VL_TMP/fg.log" | sed 's/^/#   /'
	else
		vl_expect_rc 1 $rc "$dp $layout, our marks left out: the check fails" "$VL_TMP/fg.log"
		vl_expect_grep "dirty log: [0-9]+ of [0-9]+ pages the engine wrote are not marked" \
			"$VL_TMP/fg.log" "$dp $layout, our marks left out: unmarked pages named"
	fi
	vl_expect_grep "dirty-page logging on \(log 36864 bytes" "$log" \
		"$dp $layout: the engine saw logging turned on"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$dp $layout: engine exits 0" "$log"
	# Our own marks: every burst's on direct, the descriptor rings' on mbuf + packed (librte_vhost
	# marks the rest there, and everything on mbuf + split).
	if [ "$want" = 0 ] && { [ "$dp" = direct ] || [ "$layout" = packed ]; }; then
		pages=$(vl_snap "$stats" dirty_pages)
		[ "$pages" != none ] && [ "$pages" -gt 0 ] &&
			vl_pass "$dp $layout: dirty_pages counted ($pages)" ||
			vl_fail "$dp $layout: dirty_pages $pages, want > 0"
	fi
}

for dp in direct mbuf; do
	for layout in split packed; do
		run "$dp" "$layout" 0
	done
done
for dp in direct mbuf; do
	run "$dp" packed 1 VHOSTLOOP_TEST_BREAK_DIRTY_LOG=1
done
run direct split 1 VHOSTLOOP_TEST_BREAK_DIRTY_LOG=1

# A log that runs past the end of its file: refused, the engine lives and serves the next guest.
for dp in direct mbuf; do
	sock=$VL_TMP/lb.sock
	log=$VL_TMP/engine-lb-$dp.log
	rm -f "$sock"
	vl_engine_start "$log" --datapath "$dp" --socket "$sock"
	vl_wait_socket "$sock" || { vl_fail "$dp: engine did not listen"; cat "$log"; continue; }
	timeout 30 "$VL_FAKE_GUEST" --socket "$sock" --scenario log-beyond-file >"$VL_TMP/fg.log" 2>&1
	vl_expect_rc 0 $? "$dp: the engine hangs up on a log past its file's end" "$VL_TMP/fg.log"
	vl_expect_grep "dirty log refused: 0x9000 bytes at offset 0x0 do not fit its file \(0x1000 \
bytes\); closing the connection" "$log" "$dp: the refusal is logged"
	timeout 60 "$VL_FAKE_GUEST" --socket "$sock" --packed --scenario dirty-log >"$VL_TMP/fg.log" 2>&1
	vl_expect_rc 0 $? "$dp: the next frontend migrates" "$VL_TMP/fg.log"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$dp: engine exits 0" "$log"
done
vl_done
