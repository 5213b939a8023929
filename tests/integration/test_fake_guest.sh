#!/bin/bash
# A frontend of our own (vl_fake_guest) does what well-behaved frontends never do: hostile rings
# (direct datapath: the queue pair breaks, the engine lives on, the other pair goes on), memory-table
# changes and queue pair disable/enable while frames flow (every frame comes back intact, or the
# engine counted it), interrupts wanted one frame at a time or in bursts (coalescing).
# The engine's counters come from the snapshot it writes when it stops (--stats-file).
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"

snap=$VL_TMP/snap.jsonl
n() { vl_snap "$snap" "$@"; } # n KEY [IFACE/QP]: from the last run's final snapshot

# run DATAPATH SCENARIO [MRG [fake guest flags...]]. Environment: ENGINE_EXTRA (more engine
# flags), QPS (queue pairs, default 2), CALLS (the exact calls the engine must count, or "any";
# direct path: default 0, the guest asks for no interrupt), SUPPRESSED (exact calls_suppressed, or
# "any"; default: more than 0 on the direct path).
run() {
	local dp=$1 sc=$2 mrg=${3:-1} sock=$VL_TMP/fg.sock what
	shift $(($# < 3 ? $# : 3))
	what="$dp $sc mrg=$mrg $* ${ENGINE_EXTRA:-}"
	rm -f "$snap"
	vl_engine_start "$VL_TMP/engine.log" --datapath "$dp" --socket "$sock,queue-pairs=${QPS:-2}" \
		--stats-file "$snap" ${ENGINE_EXTRA:-}
	vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
	timeout 120 "$VL_FAKE_GUEST" --socket "$sock" --scenario "$sc" --mrg "$mrg" "$@" \
		>"$VL_TMP/fg.log" 2>&1
	vl_expect_rc 0 $? "$what: expectations hold" "$VL_TMP/fg.log"
	kill -0 "$VL_ENGINE_PID" 2>/dev/null && vl_pass "$what: engine alive" ||
		vl_fail "$what: engine died"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$what: engine exits 0" "$VL_TMP/engine.log"
	# Whatever the guest missed, the engine counted: never a silent loss.
	local missed
	missed=$(awk '/dropped$/ { n += $(NF-1) } END { print n + 0 }' "$VL_TMP/fg.log")
	vl_expect_eq "$missed" "$(n drop_rx_full)" "$what: the $missed frames the guest missed are counted"
	[ "$dp" = direct ] || return 0
	# Every interrupt the engine counts reached the guest, and the count is the expected one.
	local seen
	seen=$(awk '$1 == "interrupts:" { print $2 }' "$VL_TMP/fg.log")
	vl_expect_eq "${seen:-none}" "$(n calls)" "$what: calls counted = interrupts the guest read"
	[ "${CALLS:-0}" = any ] || vl_expect_eq "${CALLS:-0}" "$(n calls)" "$what: calls"
	case ${SUPPRESSED:-} in
	any) ;;
	'') [ "$(n calls_suppressed)" -gt 0 ] 2>/dev/null &&
		vl_pass "$what: calls_suppressed $(n calls_suppressed) > 0" ||
		vl_fail "$what: calls_suppressed $(n calls_suppressed), want > 0" ;;
	*) vl_expect_eq "$SUPPRESSED" "$(n calls_suppressed)" "$what: calls_suppressed" ;;
	esac
}

run direct loop 1
run direct loop 0
run mbuf loop 1
run direct hostile
vl_expect_grep "broken: .*head index" "$VL_TMP/engine.log" "out-of-range head logged"
vl_expect_grep "broken: .*loop" "$VL_TMP/engine.log" "descriptor loop logged"
vl_expect_grep "broken: .*outside guest memory" "$VL_TMP/engine.log" "bad address logged"
vl_expect_grep "broken: .*avail idx" "$VL_TMP/engine.log" "avail jump logged"
vl_expect_grep "broken: .*WRITE flag" "$VL_TMP/engine.log" "writable TX logged"
vl_expect_eq 5 "$(n queue_broken)" "hostile: 5 broken events counted"

# Per-pair isolation: each hostile case breaks qp 1 while qp 0 carries traffic (all of it comes
# back), then the guest resets qp 1 on the same connection and both pairs loop again.
run direct isolate
vl_expect_eq 5 "$(n queue_broken vhost0/1)" "isolate: qp 1 broke 5 times"
vl_expect_eq 0 "$(n queue_broken vhost0/0)" "isolate: qp 0 never broke"
vl_expect_grep "qp 1: guest TX vring 3 broken" "$VL_TMP/engine.log" "isolate: qp 1's fault logged"
# Each reset disables the broken pair with its hostile entry still on the TX ring: the stop says
# what it left there (the line a guest's lowered channel count produces, docs/CONTROL-PLANE.md).
vl_expect_eq 5 "$(grep -c 'qp 1: stopped (vring 2 disabled) with [0-9]* TX frame(s) posted by the guest and not taken' "$VL_TMP/engine.log")" \
	"isolate: each reset says what the pair left on its TX ring"

# What a frontend negotiates: no offloads offered, multiqueue (feature and protocol feature)
# only with more than one pair, GET_QUEUE_NUM answering the pairs served - at most 128.
QPS=1 SUPPRESSED=0 run direct features 1 --qps 1
QPS=2 SUPPRESSED=0 run direct features 1 --qps 2
QPS=200 SUPPRESSED=0 run direct features 1 --qps 128
vl_expect_grep "200 configured, .* serves at most 128: using 128" "$VL_TMP/engine.log" \
	"200 pairs: the engine says it serves 128"
vl_expect_eq 127 "$(vl_snap "$snap" qp vhost0/127)" "200 pairs: qp 127 is the last one served"
vl_expect_eq none "$(vl_snap "$snap" qp vhost0/128 2>/dev/null)" "200 pairs: no qp 128"

run direct memtable
run mbuf memtable
run direct enable-cycle
# The mbuf path, like testpmd's vhost driver, drops a burst dequeued just before the guest
# disables its RX vring; the direct path stops both vrings first and loses nothing.
run mbuf enable-cycle 1 --allow-drops

# No RX buffer for 40 of 50 frames: exactly those are counted as drop_rx_full.
run direct rx-full
vl_expect_eq 10 "$(n frames)" "rx-full: 10 frames looped"
vl_expect_eq 40 "$(n drop_rx_full)" "rx-full: 40 counted in drop_rx_full"
# Split rings wait for the guest's next RX refill (VL_VRING_RX_LAG_POLLS = 100 polls), and here
# none comes: every wait runs to the limit, and the burst then goes ahead (and drops).
timeouts=$(n rx_lag_timeouts)
[ "$timeouts" -ge 1 ] 2>/dev/null && vl_pass "rx-full: $timeouts bursts went ahead at the RX wait's limit" ||
	vl_fail "rx-full: rx_lag_timeouts $timeouts, want >= 1"
vl_expect_eq "$((100 * ${timeouts:-0}))" "$(n rx_lag_waits)" "rx-full: 100 waiting polls per timeout"
# The first two polls of each wait start the pending TX frames' misses: counted, and busy.
vl_expect_eq "$((2 * ${timeouts:-0}))" "$(n rx_lag_warms)" "rx-full: 2 warming polls per wait"

# Interrupt mode: every lone frame is announced, with and without EVENT_IDX and coalescing
# (a partial coalescing batch is flushed as soon as the queue goes idle). One RX call per
# frame; the guest's TX ring asks for none, so each TX completion is a suppressed call - except
# with EVENT_IDX, whose TX used_event stays 0: the first completion crosses it (one call).
for extra in "" "--irq-coalesce-frames 32" "--irq-coalesce-usecs 500"; do
	ENGINE_EXTRA=$extra CALLS=500 SUPPRESSED=500 run direct irq 1
	ENGINE_EXTRA=$extra CALLS=501 SUPPRESSED=499 run direct irq 1 --event-idx
done
run mbuf irq 1 --event-idx

# Coalescing under load: 8 batches of 240 frames, each published at once, moved 8 per burst
# without an idle poll in between. Per batch: 30 bursts -> 30 calls without coalescing;
# every 32 frames -> ceil(240 / 32) = 8 calls (7 by the frame threshold, the rest at idle); the
# TX ring's decisions follow the same rhythm and are all suppressed.
ENGINE_EXTRA="--burst 8" CALLS=240 SUPPRESSED=240 run direct irq-burst 1 --expect-irqs 30:30
vl_expect_eq 1920 "$(n frames)" "irq-burst: frames"
vl_expect_eq 1920 "$(n rx_bufs)" "irq-burst: one RX buffer per frame (<= 1526 B in 2 KiB buffers)"
vl_expect_eq 240 "$(n bursts)" "irq-burst: 1920 frames in bursts of 8"
vl_expect_eq "0 0 0 240 0 0 0 0 0" "$(n burst_hist)" "irq-burst: burst histogram, all in 8-15"
bytes=$(python3 -c 'print(sum(60 + k * 37 % 1455 for k in range(1920)))')
vl_expect_eq "$bytes" "$(n bytes)" "irq-burst: bytes"
for c in polls_idle busy_cycles idle_cycles; do
	[ "$(n $c)" -gt 0 ] 2>/dev/null && vl_pass "irq-burst: $c $(n $c) > 0" ||
		vl_fail "irq-burst: $c $(n $c), want > 0"
done
ENGINE_EXTRA="--burst 8 --irq-coalesce-frames 32" CALLS=64 SUPPRESSED=64 \
	run direct irq-burst 1 --expect-irqs 8:8
# The usec threshold: bursts of 1 frame take well over 20 us for 240 frames, so the threshold
# fires within a batch (more than the one idle flush) and far less often than once per frame.
ENGINE_EXTRA="--burst 1 --irq-coalesce-usecs 20" CALLS=any SUPPRESSED=any \
	run direct irq-burst 1 --expect-irqs 2:120
vl_done
