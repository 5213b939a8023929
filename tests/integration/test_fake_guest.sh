#!/bin/bash
# A frontend of our own (vl_fake_guest) does what well-behaved frontends never do: hostile rings
# (direct datapath: the queue pair breaks, the engine lives on), memory-table changes and queue
# pair disable/enable while frames flow (every frame comes back intact, or the engine counted it).
VHOSTLOOP_GEN=${VHOSTLOOP_GEN:-unused}
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"

run() { # run DATAPATH SCENARIO [MRG [fake guest flag]]; ENGINE_EXTRA: more engine flags
	local dp=$1 sc=$2 mrg=${3:-1} drops=${4:-} sock=$VL_TMP/fg.sock
	vl_engine_start "$VL_TMP/engine.log" --datapath "$dp" --socket "$sock,queue-pairs=2" \
		${ENGINE_EXTRA:-}
	vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
	timeout 120 "$VL_FAKE_GUEST" --socket "$sock" --scenario "$sc" --mrg "$mrg" $drops \
		>"$VL_TMP/fg.log" 2>&1
	vl_expect_rc 0 $? "$dp $sc mrg=$mrg $drops ${ENGINE_EXTRA:-}: expectations hold" "$VL_TMP/fg.log"
	kill -0 "$VL_ENGINE_PID" 2>/dev/null && vl_pass "$dp $sc: engine alive" ||
		vl_fail "$dp $sc: engine died"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$dp $sc: engine exits 0" "$VL_TMP/engine.log"
	# Whatever the guest missed, the engine counted: never a silent loss.
	local missed counted
	missed=$(awk '/dropped$/ { n += $(NF-1) } END { print n + 0 }' "$VL_TMP/fg.log")
	counted=$(awk '$1 == "total" { print $4 }' "$VL_TMP/engine.log")
	[ "$missed" = "${counted:-x}" ] && vl_pass "$dp $sc: $missed frames missed, $counted counted" ||
		vl_fail "$dp $sc: guest missed $missed frames, engine counted ${counted:-nothing}"
	if [ "$sc" = hostile ]; then
		vl_expect_grep "broken: .*head index" "$VL_TMP/engine.log" "out-of-range head logged"
		vl_expect_grep "broken: .*loop" "$VL_TMP/engine.log" "descriptor loop logged"
		vl_expect_grep "broken: .*outside guest memory" "$VL_TMP/engine.log" "bad address logged"
		vl_expect_grep "broken: .*avail idx" "$VL_TMP/engine.log" "avail jump logged"
		vl_expect_grep "broken: .*WRITE flag" "$VL_TMP/engine.log" "writable TX logged"
		vl_expect_grep "^total( +[0-9]+){5} +5 " "$VL_TMP/engine.log" "5 broken events counted"
	fi
}

run direct loop 1
run direct loop 0
run mbuf loop 1
run direct hostile
run direct memtable
run mbuf memtable
run direct enable-cycle
# The mbuf path, like testpmd's vhost driver, drops a burst dequeued just before the guest
# disables its RX vring; the direct path stops both vrings first and loses nothing.
run mbuf enable-cycle 1 --allow-drops
# Interrupt mode: every lone frame is announced, with and without EVENT_IDX and coalescing
# (a partial coalescing batch is flushed as soon as the queue goes idle).
for extra in "" "--irq-coalesce-frames 32" "--irq-coalesce-usecs 500"; do
	ENGINE_EXTRA=$extra run direct irq 1
	ENGINE_EXTRA=$extra run direct irq 1 --event-idx
	vl_expect_grep "^total( +[0-9]+){6} +50[01] " "$VL_TMP/engine.log" "direct irq $extra: calls counted"
done
run mbuf irq 1 --event-idx
vl_done
