#!/bin/bash
# Steering audit, end to end: vhostloop-gen sends 5 flows on each of 4 queue pairs, 2 flows on two
# queue pairs each, and leaves queue pair 3 idle; the engine (--steering-audit, --duration) must
# report exactly those flows, the 2 split flows with their queues, the idle pair and the fairness
# index, in the exit summary, the JSON lines and telemetry, and stop by itself with exit 0.
# Argument: split (default) or packed, the ring layout the generator asks for.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
layout=${1:-split}
gen_layout=()
[ "$layout" = packed ] && gen_layout=(--packed 1)
sock=$VL_TMP/steer.sock
prefix=vlsteer-$$
# The engine's --duration has to outlast the generator's start (EAL init: a few seconds under
# ASan on a slow host) and its 0.5 + 6 s of traffic.
duration=14
start=$(date +%s)
vl_engine_start "$VL_TMP/engine.log" -l 0,1 --no-huge --no-pci --file-prefix "$prefix" -- \
	--socket "$sock,queue-pairs=4" --steering-audit --stats-interval 1 \
	--stats-file "$VL_TMP/snap.jsonl" --duration "$duration"
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 4 --mode perf --warmup 0.5 \
	--duration 6 --rate 50000 --no-latency --flows 5 --split-flows 2 --idle-qp 3 \
	"${gen_layout[@]}" &
gen_pid=$!
# Mid-traffic: wait until two interval snapshots have seen all 17 flows with 4 pairs enabled
# (full intervals with the idle pair enabled), then ask telemetry while traffic still runs.
# Telemetry answers from the last 1 s interval, and one that ended after the guest left has no
# enabled pair: the query has to land before that. The flows reach the snapshots one interval
# late, so the second such snapshot comes 2-3 s into the traffic; with 3.5 s of traffic, the
# polling here and dpdk-telemetry.py's start (both CPUs busy-polled, python shares them) left
# well under a second, so the generator sends for 6 s.
busy_intervals() {
	python3 - "$VL_TMP/snap.jsonl" <<'PY'
import json, sys
n = 0
try:
    for l in open(sys.argv[1]):
        d = json.loads(l)
        st = d.get("steering") or {}
        if st.get("enabled_queues") == 4 and st.get("flows") == 17 and \
                sum(q["frames"] for q in d.get("queues", [])) > 0:
            n += 1
except (OSError, ValueError):
    pass
sys.exit(0 if n >= 2 else 1)
PY
}
vl_wait_for 15 busy_intervals || vl_fail "no two snapshots with all 17 flows on 4 enabled pairs within 15 s"
if command -v dpdk-telemetry.py >/dev/null; then
	printf '/vhostloop/steering\n' | timeout 20 dpdk-telemetry.py -f "$prefix" \
		>"$VL_TMP/tel.out" 2>&1
fi
wait $gen_pid
vl_expect_rc 0 $? "generator: 5 flows per queue pair, 2 split flows, queue pair 3 idle" \
	"$VL_TMP/gen.log"
# --duration stops the engine by itself, as SIGINT does.
for _ in $(seq 150); do
	kill -0 "$VL_ENGINE_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$VL_ENGINE_PID"
rc=$?
elapsed=$(($(date +%s) - start))
VL_ENGINE_PID=
vl_expect_rc 0 $rc "--duration $duration: the engine stops by itself, exit 0" "$VL_TMP/engine.log"
if [ "$elapsed" -ge "$duration" ] && [ "$elapsed" -le $((duration + 5)) ]; then
	vl_pass "--duration $duration: stopped after ${elapsed} s"
else
	vl_fail "--duration $duration: stopped after ${elapsed} s"
fi
if [ "$layout" = packed ]; then
	vl_expect_grep "packed rings" "$VL_TMP/engine.log" "the guest negotiated packed rings"
fi
if grep -q "not seen by the audit" "$VL_TMP/engine.log"; then
	vl_fail "every looped frame was classified ($layout rings)"
	grep "not seen by the audit" "$VL_TMP/engine.log" | sed 's/^/#   /'
else
	vl_pass "every looped frame was classified ($layout rings)"
fi
vl_expect_grep "^steering audit: 17 flows, 2 on more than one queue pair; [0-9]+ frames classified, 0 unparsed, 0 of flows not tracked" \
	"$VL_TMP/engine.log" "exit summary: 3 x 5 + 2 flows, exactly the 2 split ones on several queues"
vl_expect_grep "^steering multi-queue flow: vhost0 qps 0,1: ipv4 udp 198.18.0.1:40000 > 198.18.0.2:40000" \
	"$VL_TMP/engine.log" "exit summary: split flow 0 on queue pairs 0 and 1"
vl_expect_grep "^steering multi-queue flow: vhost0 qps 1,2: ipv4 udp 198.18.0.1:40001 > 198.18.0.2:40001" \
	"$VL_TMP/engine.log" "exit summary: split flow 1 on queue pairs 1 and 2"
vl_expect_grep "^steering idle queue: vhost0/3 enabled but idle" "$VL_TMP/engine.log" \
	"exit summary: queue pair 3 idle"
vl_expect_grep "^steering fairness \(Jain, whole run, 4 queue pairs that were enabled\): 0\.7[45]" \
	"$VL_TMP/engine.log" "exit summary: fairness 0.75 (three equal pairs, one idle)"
vl_expect_grep "\| steer: flows 17 multi-q 2 fairness 0\.7[0-9]+ idle 1 vhost0/3" \
	"$VL_TMP/engine.log" "live line: short form"

if python3 - "$VL_TMP/snap.jsonl" <<'PY'; then
import json, sys
# Explicit checks (not assert: python -O would drop them), each failure printed.
fails = 0
def check(ok, what, got):
    global fails
    if not ok:
        fails += 1
        print(f"check failed: {what}: {got}", file=sys.stderr)
lines = [json.loads(l) for l in open(sys.argv[1])]
head, snaps = lines[0], lines[1:]
check(head["record"] == "run", "first line is the run header", head)
check(head["version"] and head["config"]["steering_audit"] == 1, "header: version, audit on", head)
check(head["config"]["interfaces"][0]["queue_pairs"] == 4, "header: 4 queue pairs", head["config"])
check(head["burst_hist_edges"][:3] == [1, 2, 4], "header: histogram edges", head["burst_hist_edges"])
for l in lines:
    check(isinstance(l["time"], float) and l["time"] > 1.7e9, "time is epoch seconds", l.get("time"))
    check(l["time_utc"].endswith("Z") and l["time_utc"][10] == "T", "time_utc is ISO", l["time_utc"])
check(all(a["time"] <= b["time"] for a, b in zip(lines, lines[1:])), "times in order",
      [l["time"] for l in lines])
busy = [s for s in snaps if s["steering"]["enabled_queues"] == 4 and
        sum(q["frames"] for q in s["queues"]) > 0 and s["steering"]["fairness"] > 0]
if not busy:
    print("check failed: no snapshot with traffic on 4 enabled pairs", file=sys.stderr)
    sys.exit(1)
mid = busy[len(busy) // 2]["steering"]
check(mid["idle_queues"] == ["vhost0/3"], "mid-run: idle queue vhost0/3", mid)
check(abs(mid["fairness"] - 0.75) < 0.03, "mid-run: fairness 0.75", mid)
for q in range(3):
    check(abs(mid["share"]["vhost0/%d" % q] - 1 / 3) < 0.05, f"mid-run: qp {q} share 1/3",
          mid["share"])
check(mid["share"]["vhost0/3"] == 0, "mid-run: qp 3 share 0", mid["share"])
last = snaps[-1]["steering"]
check(last["flows"] == 17 and last["flows_multi_queue"] == 2, "last: 17 flows, 2 multi-queue",
      last)
check(sorted(f["qps"] for f in last["multi_queue_flows"]) == [[0, 1], [1, 2]],
      "last: split flows on qps 0,1 and 1,2", last)
check(snaps[-1]["queues"][3]["steering"]["idle_intervals"] >= 1, "last: qp 3 idle intervals >= 1",
      snaps[-1]["queues"][3]["steering"])
sys.exit(1 if fails else 0)
PY
	vl_pass "JSON lines: run header, timestamps, shares, fairness, idle pair, split flows"
else
	vl_fail "JSON lines are wrong"
	head -c 3000 "$VL_TMP/snap.jsonl" | sed 's/^/#   /'
fi
if [ -f "$VL_TMP/tel.out" ]; then
	if python3 - "$VL_TMP/tel.out" <<'PY'; then
import json, sys
fails = 0
def check(ok, what, got):
    global fails
    if not ok:
        fails += 1
        print(f"check failed: {what}: {got}", file=sys.stderr)
docs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
t = {k: v for d in docs for k, v in d.items()}["/vhostloop/steering"]
check(t["flows_multi_queue"] == 2 and t["flows"] == 17, "17 flows, 2 multi-queue", t)
check(t["idle_queues"] == ["vhost0/3"], "idle queue vhost0/3", t)
check(abs(float(t["fairness"]) - 0.75) < 0.03, "fairness 0.75", t)
check(t["queues"] == ["vhost0/0", "vhost0/1", "vhost0/2", "vhost0/3"], "queue names", t)
check(abs(float(t["share"][0]) - 1 / 3) < 0.05 and float(t["share"][3]) == 0, "shares 1/3 and 0", t)
check(abs(t["share_ppm"][1] - 333333) < 50000, "share_ppm of qp 1", t)
sys.exit(1 if fails else 0)
PY
		vl_pass "telemetry /vhostloop/steering: flows, flows_multi_queue, fairness, idle_queues, share"
	else
		vl_fail "telemetry /vhostloop/steering is wrong"
		sed 's/^/#   /' "$VL_TMP/tel.out"
	fi
else
	echo "# dpdk-telemetry.py not installed: telemetry not checked"
fi
rm -rf "/var/run/dpdk/$prefix"
vl_done
