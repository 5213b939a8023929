#!/bin/bash
# A frontend that asks for more queue pairs than the interface serves is refused with a clear
# message (instead of losing those queues' traffic); the engine stays up for the next guest.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
sock=$VL_TMP/vl.sock
vl_engine_start "$VL_TMP/engine.log" --socket "$sock,queue-pairs=2"
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 4 --frames 100 --connect-timeout 5
rc=$?
[ $rc -ne 0 ] && vl_pass "a 4-pair frontend fails against a 2-pair interface" ||
	vl_fail "a 4-pair frontend passed against a 2-pair interface"
vl_expect_grep "serves 2 queue pair\(s\): refusing" "$VL_TMP/engine.log" "engine names the refusal"
vl_gen "$VL_TMP/gen2.log" --socket "$sock" --queue-pairs 2 --frames 500
vl_expect_rc 0 $? "a 2-pair frontend still loops afterwards" "$VL_TMP/gen2.log"
vl_gen "$VL_TMP/gen1.log" --socket "$sock" --queue-pairs 1 --frames 500
vl_expect_rc 0 $? "a 1-pair frontend (fewer pairs than offered) loops" "$VL_TMP/gen1.log"
# One frontend per interface: a second one while the first runs is refused, the first goes on.
"$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "vlr1-$$" -- --socket "$sock" \
	--queue-pairs 2 --mode perf --duration 4 --warmup 0 >"$VL_TMP/first.log" 2>&1 &
first=$!
sleep 1.5
vl_gen "$VL_TMP/second.log" --socket "$sock" --queue-pairs 2 --frames 100 --connect-timeout 3
rc=$?
[ $rc -eq 1 ] && vl_pass "a second concurrent frontend fails (exit 1)" ||
	vl_fail "a second concurrent frontend: exit $rc, want 1"
wait $first
vl_expect_rc 0 $? "the first frontend is undisturbed" "$VL_TMP/first.log"
vl_expect_grep "second frontend connection refused" "$VL_TMP/engine.log" "engine names the refusal"
vl_engine_stop INT
vl_expect_rc 0 $? "engine exits 0" "$VL_TMP/engine.log"
vl_done
