#!/bin/bash
# What an operator reads: DPDK telemetry under /vhostloop/, JSON-lines snapshots, the live line.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-telemetry.py >/dev/null || { echo "SKIP: dpdk-telemetry.py not installed"; exit 77; }
sock=$VL_TMP/obs.sock
prefix=vlobs-$$
vl_engine_start "$VL_TMP/engine.log" -l 0,1 --no-huge --no-pci --file-prefix "$prefix" -- \
	--socket "$sock,queue-pairs=2" --stats-file "$VL_TMP/snap.jsonl" --stats-interval 1
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 2 --frames 3000 --sizes 60,1514
vl_expect_rc 0 $? "traffic loops" "$VL_TMP/gen.log"
# The generator has exited, but the engine learns it on its vhost-events thread: the queue state
# is "idle" once it logged the stop (checked below), not when the generator's process is gone.
vl_wait_for 10 grep -q "guest stopped" "$VL_TMP/engine.log" ||
	vl_fail "the engine did not log the guest's stop within 10 s"
printf '/vhostloop/stats\n/vhostloop/queues\n/vhostloop/queue,vhost0/1\n' |
	timeout 20 dpdk-telemetry.py -f "$prefix" >"$VL_TMP/tel.out" 2>&1
# At least one periodic snapshot before the stop; the engine adds a final one when it stops.
# (The run header is the file's first line: a non-empty file says nothing about snapshots.)
vl_wait_for 10 grep -q '"record":"snapshot"' "$VL_TMP/snap.jsonl" ||
	vl_fail "no periodic snapshot within 10 s"
vl_engine_stop INT
vl_expect_rc 0 $? "engine exits 0" "$VL_TMP/engine.log"
if python3 - "$VL_TMP/tel.out" >"$VL_TMP/check.log" 2>&1 <<'PY'; then
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
got = {k: v for d in docs for k, v in d.items()}
st, q = got.get("/vhostloop/stats", {}), got.get("/vhostloop/queue", {})
bad = [f"{what}: {have!r}, want {want!r}" for what, have, want in (
    ("stats frames", st.get("frames"), 6000),
    ("stats queue_pairs", st.get("queue_pairs"), 2),
    ("queues", got.get("/vhostloop/queues"), ["vhost0/0", "vhost0/1"]),
    ("queue interface", q.get("interface"), "vhost0"),
    ("queue qp", q.get("qp"), 1),
    ("queue frames", q.get("frames"), 3000),
    ("queue lcore", q.get("lcore"), 1),  # -l 0,1: the one worker polls both pairs
    ("queue state", q.get("state"), "idle"),  # the guest has gone
    # Counters added later are there too (scripts read them by name).
    ("queue rx_lag_waits", type(q.get("rx_lag_waits")).__name__, "int"),
    ("queue rx_lag_timeouts", type(q.get("rx_lag_timeouts")).__name__, "int"),
    ("stats rx_lag_waits", type(st.get("rx_lag_waits")).__name__, "int"),
) if have != want]
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	vl_pass "telemetry: totals, queue list and one queue's counters"
else
	vl_fail "telemetry answers are wrong"
	sed 's/^/#   /' "$VL_TMP/check.log"
	sed 's/^/#   /' "$VL_TMP/tel.out"
fi
if python3 - "$VL_TMP/snap.jsonl" >"$VL_TMP/check.log" 2>&1 <<'PY'; then
import json, sys
snaps = [d for d in map(json.loads, open(sys.argv[1])) if "queues" in d]
last = snaps[-1]["queues"] if snaps else []
bad = []
if len(snaps) < 2:
    bad.append(f"{len(snaps)} snapshots, want a periodic one and the final one")
if not all(a["uptime_s"] < b["uptime_s"] for a, b in zip(snaps, snaps[1:])):
    bad.append("uptime_s does not grow")
if [q["qp"] for q in last] != [0, 1]:
    bad.append(f"last snapshot's pairs: {[q['qp'] for q in last]}")
if sum(q["frames"] for q in last) != 6000:
    bad.append(f"last snapshot's frames: {[q['frames'] for q in last]}, want 6000 in all")
if not all(len(q["burst_hist"]) == 9 for q in last):
    bad.append("burst_hist does not have 9 buckets")
if not all(isinstance(q.get(k), int) for q in last for k in ("rx_lag_waits", "rx_lag_timeouts")):
    bad.append("rx_lag_waits / rx_lag_timeouts missing from a queue pair")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	vl_pass "snapshots: one JSON object per line, every queue pair, final counts"
else
	vl_fail "snapshot file is wrong"
	sed 's/^/#   /' "$VL_TMP/check.log"
	tail -3 "$VL_TMP/snap.jsonl" | sed 's/^/#   /'
fi
vl_expect_grep "^vhostloop: [0-9.]+ Mpps .*vhost0/1" "$VL_TMP/engine.log" "live one-line summary"

# The snapshot written when the engine stops: with an hour between snapshots it is the only one,
# and it holds the final counts.
sock=$VL_TMP/final.sock
vl_engine_start "$VL_TMP/engine2.log" --socket "$sock" --stats-file "$VL_TMP/final.jsonl" \
	--stats-interval 3600
vl_wait_socket "$sock" || { cat "$VL_TMP/engine2.log"; exit 1; }
vl_gen "$VL_TMP/gen2.log" --socket "$sock" --frames 1000 --sizes 60
vl_expect_rc 0 $? "traffic loops (second engine)" "$VL_TMP/gen2.log"
vl_engine_stop TERM
vl_expect_rc 0 $? "second engine exits 0 on SIGTERM" "$VL_TMP/engine2.log"
vl_expect_eq 1 "$(grep -c "\"record\":\"snapshot\"" "$VL_TMP/final.jsonl" 2>/dev/null)" \
	"one snapshot (after the run header), written at exit"
vl_expect_eq 1000 "$(vl_snap "$VL_TMP/final.jsonl" frames)" "the exit snapshot has the final frames"
vl_done
