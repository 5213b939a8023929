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
printf '/vhostloop/stats\n/vhostloop/queues\n/vhostloop/queue,vhost0/1\n' |
	timeout 20 dpdk-telemetry.py -f "$prefix" >"$VL_TMP/tel.out" 2>&1
sleep 1.5 # one more snapshot after the traffic
vl_engine_stop INT
vl_expect_rc 0 $? "engine exits 0" "$VL_TMP/engine.log"
if python3 - "$VL_TMP/tel.out" <<'PY'; then
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
got = {k: v for d in docs for k, v in d.items()}
assert got["/vhostloop/stats"]["frames"] == 6000, got["/vhostloop/stats"]
assert got["/vhostloop/stats"]["queue_pairs"] == 2
assert got["/vhostloop/queues"] == ["vhost0/0", "vhost0/1"]
q = got["/vhostloop/queue"]
assert q["interface"] == "vhost0" and q["qp"] == 1 and q["frames"] == 3000, q
PY
	vl_pass "telemetry: totals, queue list and one queue's counters"
else
	vl_fail "telemetry answers are wrong"
	sed 's/^/#   /' "$VL_TMP/tel.out"
fi
if python3 - "$VL_TMP/snap.jsonl" <<'PY'; then
import json, sys
snaps = [json.loads(l) for l in open(sys.argv[1])]
assert len(snaps) >= 2, len(snaps)
assert all(a["uptime_s"] < b["uptime_s"] for a, b in zip(snaps, snaps[1:]))
last = snaps[-1]["queues"]
assert [q["qp"] for q in last] == [0, 1]
assert sum(q["frames"] for q in last) == 6000, last
assert all(len(q["burst_hist"]) == 9 for q in last)
PY
	vl_pass "snapshots: one JSON object per line, every queue pair, final counts"
else
	vl_fail "snapshot file is wrong"
	tail -3 "$VL_TMP/snap.jsonl" | sed 's/^/#   /'
fi
vl_expect_grep "^vhostloop: [0-9.]+ Mpps .*vhost0/1" "$VL_TMP/engine.log" "live one-line summary"
vl_done
