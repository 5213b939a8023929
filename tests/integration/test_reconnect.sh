#!/bin/bash
# 20 frontend connect / traffic / disconnect cycles against one engine, which stays up and
# keeps counting. Usage: test_reconnect.sh direct|mbuf
. "$(dirname "$0")/lib.sh"
vl_need_cpus
dp=${1:?datapath}
sock=$VL_TMP/vl.sock
vl_engine_start "$VL_TMP/engine.log" --datapath "$dp" --socket "$sock,queue-pairs=2"
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
ok=0
for i in $(seq 20); do
	if vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 2 --frames 500 --sizes 60,1514; then
		ok=$((ok + 1))
	else
		echo "# cycle $i failed:"; sed 's/^/#   /' "$VL_TMP/gen.log" | tail -20
	fi
done
[ $ok -eq 20 ] && vl_pass "$dp: 20 of 20 reconnect cycles loop every frame" ||
	vl_fail "$dp: only $ok of 20 reconnect cycles passed"
kill -0 "$VL_ENGINE_PID" && vl_pass "engine still running" || vl_fail "engine died"

# A guest that vanishes mid-traffic (SIGKILL: no vring disable, no GET_VRING_BASE, just a closed
# socket) costs the engine nothing: the next guest loops every frame.
for i in 1 2 3; do
	"$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "vlk-$$-$i" -- \
		--socket "$sock" --queue-pairs 2 --mode perf --duration 30 --warmup 0 --stats-interval 0.2 \
		>"$VL_TMP/killed-$i.log" 2>&1 &
	gen=$!
	vl_wait_for 20 vl_traffic_seen "$VL_TMP/killed-$i.log" ||
		vl_fail "guest $i: no frames came back within 20 s"
	kill -KILL $gen
	wait $gen 2>/dev/null
	rm -rf "/var/run/dpdk/vlk-$$-$i"
done
vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 2 --frames 2000 --sizes 60,1514
vl_expect_rc 0 $? "$dp: after 3 guests killed mid-traffic the next one loops every frame" \
	"$VL_TMP/gen.log"
# The engine logs a disconnection when its vhost-events thread reads the closed socket; the
# generator's exit does not wait for that. A SIGINT that came first would end the engine with the
# last connection still open (unregistering the socket logs no disconnection): wait for it.
disconnected() { [ "$(grep -c "frontend disconnected" "$VL_TMP/engine.log")" -ge 24 ]; }
vl_wait_for 10 disconnected
vl_engine_stop INT
vl_expect_rc 0 $? "$dp engine exits 0 after 20 cycles" "$VL_TMP/engine.log"
c=$(grep -c "frontend connected" "$VL_TMP/engine.log")
[ "$c" -eq 24 ] && vl_pass "24 connections logged" || vl_fail "$c connections logged, want 24"
c=$(grep -c "frontend disconnected" "$VL_TMP/engine.log")
[ "$c" -eq 24 ] && vl_pass "24 disconnections logged" || vl_fail "$c disconnections logged, want 24"
vl_done
