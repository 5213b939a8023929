#!/bin/bash
# The main lcore polls when the EAL set has no worker (-l 1): it loops every frame and still keeps
# house between polls (periodic snapshots, telemetry, SIGINT). Checked by value: both pairs owned
# by lcore 1 and "running" in telemetry while traffic flows, frames looped = frames the generator
# sent (its JSON report against the engine's final snapshot), snapshots written during the run,
# exit 0.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-telemetry.py >/dev/null || { echo "SKIP: dpdk-telemetry.py not installed"; exit 77; }
sock=$VL_TMP/main.sock
prefix=vlmain-$$
snap=$VL_TMP/snap.jsonl

# tel CMD...: one telemetry answer per line of commands, as one JSON object per line.
tel() {
	printf '%s\n' "$@" | timeout 20 dpdk-telemetry.py -f "$prefix" 2>&1 | grep '^{'
}
# Telemetry of queue pair 0 shows frames moving (traffic is on).
moving() {
	tel /vhostloop/queue,vhost0/0 >"$VL_TMP/q0.json" &&
		python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["/vhostloop/queue"].get("frames", 0) > 0 else 1)' \
			"$VL_TMP/q0.json" 2>/dev/null
}

vl_engine_start "$VL_TMP/engine.log" -l 1 --no-huge --no-pci --file-prefix "$prefix" -- \
	--socket "$sock,queue-pairs=2" --stats-file "$snap" --stats-interval 1
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
vl_expect_grep "no worker lcore: the main lcore 1 polls all 2 queue pair\(s\)" "$VL_TMP/engine.log" \
	"the engine says the main lcore polls"

# Phase 1: paced traffic for 6 s; while it flows, telemetry names the owner and the state. (With
# both CPUs busy-polled, the generator's start, the wait for moving frames and two runs of
# dpdk-telemetry.py took more than 3 s once: the query then found the guest gone.)
vl_gen "$VL_TMP/perf.log" --socket "$sock" --queue-pairs 2 --mode perf --duration 6 --warmup 0 \
	--rate 100000 --no-latency &
gen=$!
if ! vl_wait_for 10 moving; then
	# Nothing polls: the engine's message handling waits for the poller too, and so does the
	# generator. Kill the engine (the generator then fails) rather than wait for timeouts.
	vl_fail "no frames moving on vhost0/0 within 10 s"
	sed 's/^/#   /' "$VL_TMP/engine.log" | tail -20
	vl_engine_stop KILL
	wait $gen
	rm -rf "/var/run/dpdk/$prefix"
	vl_done
	exit
fi
tel /vhostloop/queue,vhost0/0 /vhostloop/queue,vhost0/1 >"$VL_TMP/during.json"
wait $gen
vl_expect_rc 0 $? "paced traffic through the main lcore" "$VL_TMP/perf.log"
if python3 - "$VL_TMP/during.json" >"$VL_TMP/check.log" 2>&1 <<'PY'; then
import json, sys
bad = []
docs = [json.loads(l) for l in open(sys.argv[1])]
if len(docs) != 2:
    bad.append(f"{len(docs)} telemetry answers, want 2")
for qp, d in enumerate(docs):
    q = d.get("/vhostloop/queue", {})
    for what, have, want in (("qp", q.get("qp"), qp), ("lcore", q.get("lcore"), 1),
                             ("state", q.get("state"), "running")):
        if have != want:
            bad.append(f"vhost0/{qp} {what}: {have!r}, want {want!r}")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	vl_pass "during traffic: both pairs on lcore 1 (the main lcore), state running"
else
	vl_fail "telemetry during traffic is wrong"
	sed 's/^/#   /' "$VL_TMP/check.log" "$VL_TMP/during.json"
fi
tel /vhostloop/stats >"$VL_TMP/after1.json"
before=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["/vhostloop/stats"]["frames"])' \
	"$VL_TMP/after1.json" 2>/dev/null)
[ -n "$before" ] || { vl_fail "no /vhostloop/stats frames after phase 1"; before=0; }

# Phase 2: exactly counted frames (check mode, every one back intact).
vl_gen "$VL_TMP/check.log" --socket "$sock" --queue-pairs 2 --frames 20000 --sizes 60,1514,9000 \
	--json "$VL_TMP/gen.json"
vl_expect_rc 0 $? "check mode through the main lcore: every frame back intact" "$VL_TMP/check.log"
sent=$(python3 -c 'import json,sys; print(sum(q["sent"] for q in json.load(open(sys.argv[1]))["per_queue"]))' \
	"$VL_TMP/gen.json" 2>/dev/null)
vl_expect_eq 40000 "${sent:-none}" "generator sent 2 x 20000 frames"
vl_engine_stop INT
vl_expect_rc 0 $? "engine exits 0 on SIGINT" "$VL_TMP/engine.log"
vl_expect_eq "$((before + ${sent:-0}))" "$(vl_snap "$snap" frames)" \
	"frames looped (final snapshot) = $before of phase 1 + the $sent the check sent"
vl_expect_eq 1 "$(vl_snap "$snap" lcore vhost0/0)" "snapshot: vhost0/0 owned by lcore 1"
vl_expect_eq 1 "$(vl_snap "$snap" lcore vhost0/1)" "snapshot: vhost0/1 owned by lcore 1"
vl_expect_eq 0 "$(vl_snap "$snap" queue_broken)" "no queue fault"
# Housekeeping while polling: periodic snapshots during the run, not only the one at exit.
n=$(grep -c '"record":"snapshot"' "$snap")
[ "$n" -ge 3 ] && vl_pass "the polling main lcore wrote $n snapshots (periodic + final)" ||
	vl_fail "the polling main lcore wrote $n snapshots, want >= 3 (1 s interval, ~4 s run)"
# The poll clock (lib/fwd, fwd_pass): while the lcore polls, every TSC cycle but its housekeeping
# is counted, busy or idle. Between two periodic snapshots taken while it polled all along
# (phase 1), the pairs' busy + idle cycles add up to nearly the TSC cycles that passed; and in no
# interval to more than passed (nothing counted twice).
if python3 - "$snap" >"$VL_TMP/clock.log" 2>&1 <<'PY'; then
import json, sys
snaps = [d for d in map(json.loads, filter(str.strip, open(sys.argv[1])))
         if d.get("record") == "snapshot"]
def cycles(d):
    return {f'{q["interface"]}/{q["qp"]}': q["busy_cycles"] + q["idle_cycles"] for q in d["queues"]}
ratios = []
for a, b in zip(snaps, snaps[1:]):
    ca, cb = cycles(a), cycles(b)
    passed = (b["uptime_s"] - a["uptime_s"]) * b["tsc_hz"]
    if len(cb) == 2 and ca.keys() == cb.keys() and passed > 0:
        ratios.append(sum(cb[k] - ca[k] for k in cb) / passed)
print("busy + idle / TSC cycles passed, per snapshot interval:", " ".join(f"{r:.4f}" for r in ratios))
sys.exit(0 if ratios and max(ratios) >= 0.98 and max(ratios) <= 1.001 else 1)
PY
	vl_pass "poll clock: $(cat "$VL_TMP/clock.log")"
else
	vl_fail "poll clock: busy + idle cycles are not the lcore's polling time"
	sed 's/^/#   /' "$VL_TMP/clock.log"
fi
rm -rf "/var/run/dpdk/$prefix"
vl_done
