#!/bin/bash
# vl_fake_guest on packed virtqueues (--packed): hostile TX rings injected after the rings have
# wrapped (each a per-ring fault, logged once, counted in queue_broken; the engine lives and
# serves the next guest), memory-table changes and queue pair disable/enable under traffic,
# interrupt mode with and without EVENT_IDX, and pauses at a non-zero wrap state: the memory
# table re-sent and every vring stopped (GET_VRING_BASE, whose reply carries the wrap counter in
# bit 15) and started again, after which the loop resumes at the right slot and phase with no
# frame lost or duplicated. The engine's counters come from its final snapshot (--stats-file).
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"

snap=$VL_TMP/snap.jsonl
log=$VL_TMP/engine.log
n() { vl_snap "$snap" "$@"; } # n KEY [IFACE/QP]: from the last run's final snapshot

# run SCENARIO [fake guest flags...]. Environment: QPS (default 2), CALLS and SUPPRESSED (exact
# values the engine must count; default 0 and "any").
run() {
	local sc=$1 sock=$VL_TMP/fg.sock what
	shift
	what="packed $sc $*"
	rm -f "$snap"
	vl_engine_start "$log" --datapath direct --socket "$sock,queue-pairs=${QPS:-2}" \
		--stats-file "$snap"
	vl_wait_socket "$sock" || { cat "$log"; exit 1; }
	timeout 120 "$VL_FAKE_GUEST" --socket "$sock" --packed --scenario "$sc" "$@" \
		>"$VL_TMP/fg.log" 2>&1
	vl_expect_rc 0 $? "$what: expectations hold" "$VL_TMP/fg.log"
	kill -0 "$VL_ENGINE_PID" 2>/dev/null && vl_pass "$what: engine alive" ||
		vl_fail "$what: engine died"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$what: engine exits 0" "$log"
	vl_expect_grep "guest started .*packed rings" "$log" "$what: the guest negotiated packed rings"
	# Whatever the guest missed, the engine counted: never a silent loss.
	local missed seen
	missed=$(awk '/dropped$/ { n += $(NF-1) } END { print n + 0 }' "$VL_TMP/fg.log")
	vl_expect_eq "$missed" "$(n drop_rx_full)" "$what: the $missed frames the guest missed are counted"
	seen=$(awk '$1 == "interrupts:" { print $2 }' "$VL_TMP/fg.log")
	vl_expect_eq "${seen:-none}" "$(n calls)" "$what: calls counted = interrupts the guest read"
	vl_expect_eq "${CALLS:-0}" "$(n calls)" "$what: calls"
	[ "${SUPPRESSED:-any}" = any ] ||
		vl_expect_eq "$SUPPRESSED" "$(n calls_suppressed)" "$what: calls_suppressed"
}

# fault_once TEXT: the engine logged exactly one "vring 1 broken: TEXT" line.
fault_once() {
	local c
	c=$(grep -cF "vring 1 broken: $1" "$log")
	vl_expect_eq 1 "$c" "hostile: '$1' logged once"
}

QPS=1 run hostile
fault_once "packed descriptor avail/used flags do not match the ring phase"
fault_once "descriptor chain longer than the table (loop)"
fault_once "indirect descriptor inside an indirect table"
fault_once "buffer address outside guest memory"
fault_once "packed buffer id >= ring size"
vl_expect_eq 5 "$(n queue_broken)" "hostile: 5 broken events counted"
vl_expect_eq 1 "$(n drop_truncated)" "hostile: the chain whose lengths overflow is one counted drop"
vl_expect_eq 2801 "$(n frames)" "hostile: 6 x 300 before the cases, 1 behind the drop, 1000 after"

# Every 64 frames the memory table changes (one region <-> two; the engine pauses the pair
# around it and resumes from the indices it pushed, wrap counters included) or qp 1 is disabled
# and re-enabled; 20000 frames per pair cross the end of the ring 78 times.
run memtable
vl_expect_eq 20000 "$(n frames)" "memtable: every frame looped once"
run enable-cycle
vl_expect_eq 20000 "$(n frames vhost0/1)" "enable-cycle: every frame of the toggled pair looped once"

# Interrupts: one RX call per frame (ENABLE, or DESC at the next used slot with EVENT_IDX); the
# TX driver event area says DISABLE, so every TX decision is a suppressed call.
CALLS=500 SUPPRESSED=500 run irq
CALLS=500 SUPPRESSED=500 run irq --event-idx

# Pause/resume with the rings in phase 0 (1 and 3 wraps) and phase 1 again (2 wraps).
QPS=1 run pause
for w in "after 1 wrap" "after 2 wraps" "after 3 wraps"; do
	vl_expect_grep "^$w \(GET_VRING_BASE\): vring 1 base 0x[0-9a-f]{4}" "$VL_TMP/fg.log" \
		"pause $w: GET_VRING_BASE answered as the guest's cursor"
done
vl_expect_grep "^after 1 wrap \(GET_VRING_BASE\): vring 1 base 0x0054 \(slot 84, wrap counter 0\)" \
	"$VL_TMP/fg.log" "pause after 1 wrap: TX base 0x0054, bit 15 clear (wrap counter 0)"
vl_expect_grep "^after 2 wraps \(GET_VRING_BASE\): vring 1 base 0x8058 \(slot 88, wrap counter 1\)" \
	"$VL_TMP/fg.log" "pause after 2 wraps: TX base 0x8058, bit 15 set (wrap counter 1)"
grep " base 0x" "$VL_TMP/fg.log" | sed 's/^/# /'
vl_expect_eq 1200 "$(n frames)" "pause: every frame looped once"
vl_done
