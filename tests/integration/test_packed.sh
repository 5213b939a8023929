#!/bin/bash
# Packed virtqueues (VIRTIO_F_RING_PACKED) on the direct datapath: vhostloop-gen --packed 1
# negotiates them and every frame comes back byte-identical at 60/1514/9000 B with mergeable RX
# buffers on and off and in-order on and off; split and packed guests take turns on one engine
# (the layout is chosen per queue pair at start); reconnect cycles, a guest killed mid-traffic,
# and client-mode cycles on packed rings.
. "$(dirname "$0")/lib.sh"
vl_need_cpus

sock=$VL_TMP/vl.sock
log=$VL_TMP/engine.log
vl_engine_start "$log" --datapath direct --socket "$sock,queue-pairs=2"
vl_wait_socket "$sock" || { cat "$log"; exit 1; }
for mrg in 1 0; do
	for io in 0 1; do
		vl_gen "$VL_TMP/gen.log" --socket "$sock" --packed 1 --frames 2000 \
			--sizes 60,1514,9000 --mrg-rxbuf $mrg --in-order $io
		vl_expect_rc 0 $? "packed mrg_rxbuf=$mrg in_order=$io: all frames back intact" \
			"$VL_TMP/gen.log"
		vl_expect_grep "packed 1" "$VL_TMP/gen.log" "packed mrg_rxbuf=$mrg in_order=$io: gen sees packed"
		want="guest started .*packed rings"
		[ "$io" = 1 ] && want="$want.*in order"
		if grep "guest started" "$log" | tail -1 | grep -qE "$want"; then
			vl_pass "packed mrg_rxbuf=$mrg in_order=$io: engine logs the packed layout"
		else
			vl_fail "packed mrg_rxbuf=$mrg in_order=$io: engine log lacks /$want/"
			grep "guest started" "$log" | tail -1
		fi
	done
done

# Split and packed guests in turn on the same engine, two queue pairs each.
for layout in 0 1 0 1; do
	vl_gen "$VL_TMP/gen.log" --socket "$sock" --packed $layout --queue-pairs 2 --frames 1000 \
		--sizes 60,1514
	vl_expect_rc 0 $? "packed=$layout after the other layout: 2 queue pairs loop" "$VL_TMP/gen.log"
done
grep "guest started" "$log" | tail -4 | awk '{print ($0 ~ /packed rings/) ? 1 : 0}' | tr -d '\n' >"$VL_TMP/layouts"
[ "$(cat "$VL_TMP/layouts")" = 0101 ] && vl_pass "engine logged split, packed, split, packed" ||
	vl_fail "engine logged layouts $(cat "$VL_TMP/layouts"), want 0101"

# Reconnect cycles, then guests killed mid-traffic (no GET_VRING_BASE), on packed rings.
ok=0
for i in $(seq 8); do
	if vl_gen "$VL_TMP/gen.log" --socket "$sock" --packed 1 --queue-pairs 2 --frames 500 \
		--sizes 60,1514; then
		ok=$((ok + 1))
	else
		echo "# cycle $i failed:"; sed 's/^/#   /' "$VL_TMP/gen.log" | tail -20
	fi
done
[ $ok -eq 8 ] && vl_pass "packed: 8 of 8 reconnect cycles loop every frame" ||
	vl_fail "packed: only $ok of 8 reconnect cycles passed"
for i in 1 2; do
	"$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "vlk-$$-$i" -- \
		--socket "$sock" --packed 1 --queue-pairs 2 --mode perf --duration 30 --warmup 0 \
		--stats-interval 0.5 >"$VL_TMP/killed.log" 2>&1 &
	gen=$!
	vl_wait_for 20 vl_traffic_seen "$VL_TMP/killed.log" ||
		vl_fail "killed guest $i: no traffic within 20 s"
	kill -KILL $gen
	wait $gen 2>/dev/null
	rm -rf "/var/run/dpdk/vlk-$$-$i"
done
vl_gen "$VL_TMP/gen.log" --socket "$sock" --packed 1 --queue-pairs 2 --frames 2000 --sizes 60,1514
vl_expect_rc 0 $? "packed: after 2 guests killed mid-traffic the next one loops every frame" \
	"$VL_TMP/gen.log"
if grep -qE "vring [0-9]+ broken:" "$log"; then
	vl_fail "a queue broke on well-formed packed rings"; grep -E "vring [0-9]+ broken:" "$log" | head -5
else
	vl_pass "no queue fault on well-formed packed rings"
fi
vl_engine_stop INT
vl_expect_rc 0 $? "engine exits 0" "$log"

# Client mode: the engine connects to a listening frontend, three frontends in a row.
csock=$VL_TMP/client.sock
vl_engine_start "$VL_TMP/engine-client.log" --datapath direct --client --socket "$csock"
for i in 1 2 3; do
	vl_gen "$VL_TMP/gen-client.log" --socket "$csock" --server --packed 1 --frames 1000 \
		--sizes 60,1514,9000
	vl_expect_rc 0 $? "client mode, packed, frontend $i: frames loop" "$VL_TMP/gen-client.log"
done
vl_engine_stop INT
vl_expect_rc 0 $? "client-mode engine exits 0" "$VL_TMP/engine-client.log"
c=$(grep -c "guest started .*packed rings" "$VL_TMP/engine-client.log")
[ "$c" -eq 3 ] && vl_pass "client mode: 3 packed-ring sessions" || vl_fail "client mode: $c packed-ring sessions, want 3"
vl_done
