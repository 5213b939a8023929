#!/bin/bash
# Reliability against one long-lived engine:
# - churn: VL_CHURN_CYCLES (default 300) frontend connect/traffic/disconnect cycles, every 10th
#   frontend SIGKILLed mid-traffic, every 50th a real DPDK virtio-user frontend (vhostloop-gen);
#   the engine's open fds and RSS are read at cycle 10 and at the end: same fd count, RSS within
#   2 MiB;
# - a vhost-user message-stream fuzzer (vl_fake_guest --scenario fuzz): VL_FUZZ_MESSAGES (default
#   20000) random well-framed messages; the engine lives, keeps its fd count, and serves a good
#   frontend afterwards.
# tests/reliability/run-long.sh runs the long versions by hand (figures in docs/RELIABILITY.md).
. "$(dirname "$0")/lib.sh"
vl_need_cpus
: "${VL_FAKE_GUEST:?path of vl_fake_guest}"

CYCLES=${VL_CHURN_CYCLES:-300}
MESSAGES=${VL_FUZZ_MESSAGES:-20000}
sock=$VL_TMP/rel.sock

engine_fds() { ls "/proc/$VL_ENGINE_PID/fd" | wc -l; }
engine_rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$VL_ENGINE_PID/status"; }

# librte_vhost tells us a frontend has gone (destroy_connection, our "frontend disconnected") before
# it closes that connection's kick/call eventfds and memory fds (vhost_destroy_device, right after
# in socket.c's vhost_user_read_cb): an fd count read at once may still hold them. Wait until the
# count is back to WANT (5 s at most), then read it.
fds_want=
fds_at_most_want() { [ "$(engine_fds)" -le "$fds_want" ]; }
fds_back_to() {
	fds_want=$1
	vl_wait_for 5 fds_at_most_want
	engine_fds
}

# Until the engine has seen every frontend go (connections == disconnections), 5 s at most.
settle() {
	for _ in $(seq 500); do
		[ "$(grep -c 'frontend connected' "$VL_TMP/engine.log")" = \
			"$(grep -c 'frontend disconnected' "$VL_TMP/engine.log")" ] && return 0
		sleep 0.01
	done
	return 1
}

vl_engine_start "$VL_TMP/engine.log" --socket "$sock"
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }

# ---- churn --------------------------------------------------------------------------------
fails=0 killed=0 gens=0 fd10= rss10=
t0=$(date +%s)
for c in $(seq 1 "$CYCLES"); do
	if [ $((c % 10)) -eq 0 ]; then
		# SIGKILL mid-traffic: a frontend that never finishes its frames, killed once the
		# engine has started its queue pairs (it logs one more "guest started").
		started=$(grep -c "guest started" "$VL_TMP/engine.log")
		"$VL_FAKE_GUEST" --socket "$sock" --scenario loop --frames 100000000 \
			>"$VL_TMP/kill.log" 2>&1 &
		pid=$!
		vl_wait_for 10 eval '[ "$(grep -c "guest started" "$VL_TMP/engine.log")" -gt "$started" ]' ||
			{ fails=$((fails + 1)); echo "# cycle $c: the guest never started"; }
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		killed=$((killed + 1))
	elif [ $((c % 50)) -eq 25 ]; then
		# A real DPDK virtio-user frontend now and then.
		prefix="vlrel-$$-$c"
		vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 1 --frames 2000 ||
			{ fails=$((fails + 1)); sed 's/^/#   /' "$VL_TMP/gen.log" | tail -5; }
		gens=$((gens + 1))
	else
		timeout 20 "$VL_FAKE_GUEST" --socket "$sock" --scenario loop --frames 300 \
			>"$VL_TMP/fg.log" 2>&1 ||
			{ fails=$((fails + 1)); sed 's/^/#   /' "$VL_TMP/fg.log" | tail -3; }
	fi
	settle || { vl_fail "cycle $c: the engine did not see the frontend go"; break; }
	if ! kill -0 "$VL_ENGINE_PID" 2>/dev/null; then
		vl_fail "cycle $c: engine died"
		break
	fi
	if [ "$c" -eq 10 ]; then
		fd10=$(engine_fds)
		rss10=$(engine_rss_kb)
	fi
done
t1=$(date +%s)
fd_end=$(fds_back_to "${fd10:-0}")
rss_end=$(engine_rss_kb)
vl_log "churn: $CYCLES cycles ($killed SIGKILLed, $gens vhostloop-gen) in $((t1 - t0)) s;" \
	"fds $fd10 -> $fd_end, RSS $rss10 -> $rss_end KiB"
[ "$fails" -eq 0 ] && vl_pass "churn: every frontend's frames came back" ||
	vl_fail "churn: $fails frontends failed"
[ -n "$fd10" ] && [ "$fd10" = "$fd_end" ] && vl_pass "churn: fds flat ($fd10 -> $fd_end)" ||
	vl_fail "churn: fds $fd10 at cycle 10, $fd_end at the end"
if [ -n "$rss10" ] && [ $((rss_end - rss10)) -le 2048 ]; then
	vl_pass "churn: RSS within 2 MiB ($rss10 -> $rss_end KiB)"
else
	vl_fail "churn: RSS $rss10 KiB at cycle 10, $rss_end KiB at the end"
fi

# ---- message-stream fuzzing ------------------------------------------------------------------
# A warm-up slice first: librte_vhost keeps one eventfd from its first connections for good;
# the check is that nothing grows after that (as the churn's baseline is cycle 10).
timeout 60 "$VL_FAKE_GUEST" --socket "$sock" --scenario fuzz --messages 2000 --seed 1 \
	>"$VL_TMP/warm.log" 2>&1 || vl_fail "fuzz warm-up slice failed"
settle || vl_fail "fuzz warm-up: the engine did not see the last connection go"
fd0=$(fds_back_to "${fd10:-0}") # the churn's baseline
frss0=$(engine_rss_kb)
timeout 300 "$VL_FAKE_GUEST" --socket "$sock" --scenario fuzz --messages "$MESSAGES" \
	--seed "${VL_FUZZ_SEED:-$$}" >"$VL_TMP/fuzz.log" 2>&1
vl_expect_rc 0 $? "fuzz: $MESSAGES messages sent" "$VL_TMP/fuzz.log"
vl_log "$(grep "^fuzz:" "$VL_TMP/fuzz.log")"
kill -0 "$VL_ENGINE_PID" 2>/dev/null && vl_pass "fuzz: engine alive" || vl_fail "fuzz: engine died"
settle || vl_fail "fuzz: the engine did not see the last connection go"
fd1=$(fds_back_to "$fd0")
vl_log "fuzz: engine fds $fd0 -> $fd1, RSS $frss0 -> $(engine_rss_kb) KiB"
vl_expect_eq "$fd0" "$fd1" "fuzz: engine fds before and after"
timeout 20 "$VL_FAKE_GUEST" --socket "$sock" --scenario loop >"$VL_TMP/after.log" 2>&1
vl_expect_rc 0 $? "fuzz: a good frontend is served afterwards" "$VL_TMP/after.log"

pid=$VL_ENGINE_PID
vl_engine_stop INT
vl_expect_rc 0 $? "engine stops cleanly after all that" "$VL_TMP/engine.log"
[ -e "/var/run/dpdk/vhostloop-$pid" ] && vl_fail "runtime directory left" ||
	vl_pass "nothing left in /var/run/dpdk"
vl_done
