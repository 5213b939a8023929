#!/bin/bash
# NUMA placement on this (one-node) machine: --qp-lcore maps and their usage errors, --numa local
# and remote, telemetry /vhostloop/numa, the exit table and JSON lines, and a queue pair moved to
# another lcore when the guest starts (a pretended topology: VHOSTLOOP_TEST_LCORE_NODES).
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-telemetry.py >/dev/null || { echo "SKIP: dpdk-telemetry.py not installed"; exit 77; }
[ -d /sys/devices/system/node/node0 ] || { echo "SKIP: no NUMA node 0 in sysfs"; exit 77; }

# telemetry PREFIX OUT: /vhostloop/numa of the engine with that file prefix, JSON in OUT.
telemetry() {
	printf '/vhostloop/numa\n' | timeout 20 dpdk-telemetry.py -f "$1" 2>&1 | grep '^{' >"$2"
}

# check_numa FILE WHAT PYTHON-EXPR...: each expression holds for every queue pair q (a dict).
check_numa() {
	local file=$1 what=$2
	shift 2
	if python3 - "$file" "$@" <<'PY'; then
import json, sys
doc = json.loads(open(sys.argv[1]).read())["/vhostloop/numa"]
pinned = ("interface", "qp", "lcore", "cpu", "cpu_node", "ring_node", "buffer_node", "cross_node")
bad = []
if not doc:
    bad.append("no queue pair")
for name, q in sorted(doc.items()):
    for k in pinned:
        if k not in q:
            bad.append(f"{name}: key {k} missing")
    for expr in sys.argv[2:]:
        if not eval(expr, {}, {"q": q, "name": name}):
            bad.append(f"{name}: not {expr}: {q}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
		vl_pass "$what"
	else
		vl_fail "$what"
		sed 's/^/#   /' "$file"
	fi
}

# ---- usage errors: exit 2, no socket, said why ---------------------------------------------------
bad_map() { # bad_map WHAT PATTERN ENGINE-ARGS...
	local what=$1 pattern=$2 prefix=vlnb-$$-$RANDOM
	shift 2
	"$VHOSTLOOP" -l 0,1 --no-huge --no-pci --file-prefix "$prefix" -- \
		--socket "$VL_TMP/bad.sock,queue-pairs=2" "$@" >"$VL_TMP/bad.log" 2>&1
	vl_expect_rc 2 $? "$what: exit 2" "$VL_TMP/bad.log"
	vl_expect_grep "$pattern" "$VL_TMP/bad.log" "$what: said why"
	if [ -e "$VL_TMP/bad.sock" ]; then
		vl_fail "$what: socket created"
	else
		vl_pass "$what: no socket created"
	fi
	rm -rf "/var/run/dpdk/$prefix"
}
bad_map "lcore not in the EAL set" "lcore 5 is not in the EAL lcore set" --qp-lcore vhost0:0=5
bad_map "main lcore with a worker" "lcore 0 is the main lcore" --qp-lcore vhost0:1=0
bad_map "missing interface" "no interface named vhost7" --qp-lcore vhost7:0=1
bad_map "missing queue pair" "vhost0 has 2 queue pair\(s\)" --qp-lcore vhost0:2=1
bad_map "malformed map" "is not IFACE:QP=LCORE" --qp-lcore vhost0=1

# ---- --numa local with a map: everything on node 0, as mapped --------------------------------------
sock=$VL_TMP/numa.sock
prefix=vlnuma-$$
vl_engine_start "$VL_TMP/engine.log" -l 0,1 --no-huge --no-pci --file-prefix "$prefix" -- \
	--socket "$sock,queue-pairs=2" --numa local --qp-lcore vhost0:0=1,vhost0:1=1 \
	--stats-file "$VL_TMP/snap.jsonl"
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
telemetry "$prefix" "$VL_TMP/before.json"
check_numa "$VL_TMP/before.json" "before a guest: lcore as mapped, rings unknown (-1)" \
	'q["lcore"] == 1' 'q["cpu"] == 1' 'q["cpu_node"] == 0' 'q["ring_node"] == -1' \
	'q["buffer_node"] == -1' 'q["cross_node"] == 0'
vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 2 --mode perf --duration 3 --warmup 0 &
gen=$!
# The buffer sample is refreshed every second while traffic runs: wait until it names a node.
buffers_probed() {
	telemetry "$prefix" "$VL_TMP/local.json" && python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))["/vhostloop/numa"]
sys.exit(0 if doc and all(q["buffer_node"] >= 0 for q in doc.values()) else 1)' "$VL_TMP/local.json" 2>/dev/null
}
vl_wait_for 10 buffers_probed || vl_fail "local: no buffer node probed within 10 s of traffic"
wait $gen
vl_expect_rc 0 $? "local: traffic loops" "$VL_TMP/gen.log"
check_numa "$VL_TMP/local.json" "local: /vhostloop/numa per pair: lcore 1, node 0 everywhere" \
	'q["interface"] == "vhost0"' 'name == "vhost0/%d" % q["qp"]' 'q["lcore"] == 1' \
	'q["cpu"] == 1' 'q["cpu_node"] == 0' 'q["ring_node"] == 0' 'q["buffer_node"] == 0' \
	'q["cross_node"] == 0' 'q["honoured"] == 1'
vl_engine_stop INT
vl_expect_rc 0 $? "local: engine exits 0" "$VL_TMP/engine.log"
vl_expect_grep "plan: vhost0 qp 1 -> lcore 1 \(cpu 1, cpu node 0\), pinned by --qp-lcore" \
	"$VL_TMP/engine.log" "start-up plan line per pair"
vl_expect_grep "plan: vhost0 qp 0 -> lcore 1 \(cpu 1, cpu node 0\), rings on node 0" \
	"$VL_TMP/engine.log" "guest-start plan line with the rings' node"
vl_expect_grep "^numa: vhost0 +1 +1 +1 +0 +0 +0 +no +yes$" "$VL_TMP/engine.log" \
	"exit table: numa row of qp 1"
if grep -q "cannot be honoured" "$VL_TMP/engine.log"; then
	vl_fail "local on one node complains"
else
	vl_pass "local on one node is honoured silently"
fi
if python3 - "$VL_TMP/snap.jsonl" <<'PY'; then
import json, sys
last = json.loads(open(sys.argv[1]).readlines()[-1])["queues"]
if len(last) != 2:
    sys.exit(f"{len(last)} queue pairs in the last snapshot, want 2: {last}")
for q in last:
    want = {"lcore": 1, "cpu": 1, "cpu_node": 0, "ring_node": 0, "buffer_node": 0, "cross_node": False}
    got = {k: q.get(k) for k in want}
    if got != want:
        sys.exit(f"qp {q['qp']}: {got} != {want}")
PY
	vl_pass "JSON lines: per-pair numa fields"
else
	vl_fail "JSON lines lack the numa fields"
	tail -1 "$VL_TMP/snap.jsonl" | sed 's/^/#   /'
fi

# ---- packed rings: the buffers are sampled from the packed descriptors too -------------------------
# (Before, only split rings were sampled and a packed guest's buffer_node stayed -1.)
vl_engine_start "$VL_TMP/engine.log" -l 0,1 --no-huge --no-pci --file-prefix "$prefix" -- \
	--socket "$sock,queue-pairs=2" --numa local --qp-lcore vhost0:0=1,vhost0:1=1
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 2 --mode perf --duration 3 --warmup 0 \
	--packed 1 &
gen=$!
vl_wait_for 10 buffers_probed || vl_fail "packed: no buffer node probed within 10 s of traffic"
wait $gen
vl_expect_rc 0 $? "packed: traffic loops" "$VL_TMP/gen.log"
vl_engine_stop INT
vl_expect_rc 0 $? "packed: engine exits 0" "$VL_TMP/engine.log"
vl_expect_grep "guest started .*packed rings" "$VL_TMP/engine.log" "packed: packed rings negotiated"
check_numa "$VL_TMP/local.json" "packed: /vhostloop/numa names the buffers' node" \
	'q["ring_node"] == 0' 'q["buffer_node"] == 0' 'q["cross_node"] == 0'
vl_expect_grep "^numa: vhost0 +0 +1 +1 +0 +0 +0 +no +yes$" "$VL_TMP/engine.log" \
	"packed: exit table: buffer node 0"

# ---- --numa remote on one node: runs anyway, says so once per pair ---------------------------------
vl_engine_start "$VL_TMP/engine.log" -l 0,1 --no-huge --no-pci --file-prefix "$prefix" -- \
	--socket "$sock,queue-pairs=2" --numa remote
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
for run in 1 2; do # the second guest start must not say it again
	vl_gen "$VL_TMP/gen.log" --socket "$sock" --queue-pairs 2 --frames 2000 --sizes 60,1514
	vl_expect_rc 0 $? "remote: traffic loops (guest $run)" "$VL_TMP/gen.log"
done
telemetry "$prefix" "$VL_TMP/remote.json"
vl_engine_stop INT
vl_expect_rc 0 $? "remote: engine exits 0" "$VL_TMP/engine.log"
check_numa "$VL_TMP/remote.json" "remote: not honoured, wanted another node, used node 0" \
	'q["honoured"] == 0' 'q["wanted_node"] == -1' 'q["cpu_node"] == 0' 'q["ring_node"] == 0' \
	'q["cross_node"] == 0' 'q["lcore"] == 1'
for qp in 0 1; do
	n=$(grep -c "remote cannot be honoured for vhost0 qp $qp: wanted a node other than 0 (its rings), used node 0" "$VL_TMP/engine.log")
	vl_expect_rc 1 "$n" "remote: 'cannot be honoured' said once for qp $qp over two guests"
done

# ---- a pair moved at the guest's start (pretended topology) ----------------------------------------
# These two cases put two engine lcores on one CPU. On a 2-CPU box that CPU is also where the
# generator's EAL control threads run, and one CI run hung there: the generator printed PASS and
# disconnected, but its process never finished exiting while its parent `timeout` spun in wait4
# for ten minutes (cause not found). Until it is, they run only where a third CPU gives the
# generator's threads a CPU of their own; the planner's move decisions stay unit-tested.
if [ "$(nproc)" -lt 3 ]; then
	echo "# skip: the move and pinned cases need 3 CPUs (two engine lcores share one), have $(nproc)"
	rm -rf "/var/run/dpdk/$prefix"
	vl_done
	exit
fi
# Lcores 1 and 2 share CPU 1; lcore 1 pretends to be on node 1. Start-up: the one pair on lcore 1
# (round-robin), lcore 2 has nothing and sleeps. The guest's rings are on node 0: --numa local
# moves the pair to lcore 2 while it is stopped; every frame must come back. Only one lcore
# busy-polls at a time (an lcore with no pair sleeps).
VHOSTLOOP_TEST_LCORE_NODES=1=1 vl_engine_start "$VL_TMP/engine.log" --lcores 0@0,1@1,2@1 \
	--no-huge --no-pci --file-prefix "$prefix" --log-level='lib.vhost.*:notice' -- \
	--socket "$sock" --numa local
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
for run in 1 2; do
	vl_gen "$VL_TMP/gen.log" --socket "$sock" --frames 20000 --sizes 60,1514
	vl_expect_rc 0 $? "move: every frame back (guest $run)" "$VL_TMP/gen.log"
done
telemetry "$prefix" "$VL_TMP/move.json"
vl_engine_stop INT
vl_expect_rc 0 $? "move: engine exits 0" "$VL_TMP/engine.log"
n=$(grep -c "vhost0 qp 0 moved from lcore 1 to lcore 2 while stopped" "$VL_TMP/engine.log")
vl_expect_rc 1 "$n" "move: moved once (first guest), kept on lcore 2 for the second"
check_numa "$VL_TMP/move.json" "move: telemetry shows the new owner on the rings' node" \
	'q["lcore"] == 2' 'q["cpu"] == 1' 'q["cpu_node"] == 0' 'q["ring_node"] == 0' \
	'q["cross_node"] == 0' 'q["honoured"] == 1'
vl_expect_grep "^vhost0 +0 +2 +40000 " "$VL_TMP/engine.log" "move: exit table counts both guests' frames on lcore 2"

# The same topology with the pair pinned to the "node 1" lcore: no move, cross_node reported.
VHOSTLOOP_TEST_LCORE_NODES=1=1 vl_engine_start "$VL_TMP/engine.log" --lcores 0@0,1@1,2@1 \
	--no-huge --no-pci --file-prefix "$prefix" --log-level='lib.vhost.*:notice' -- \
	--socket "$sock" --numa local --qp-lcore vhost0:0=1
vl_wait_socket "$sock" || { cat "$VL_TMP/engine.log"; exit 1; }
vl_gen "$VL_TMP/gen.log" --socket "$sock" --frames 5000 --sizes 60,1514
vl_expect_rc 0 $? "pinned: traffic loops" "$VL_TMP/gen.log"
telemetry "$prefix" "$VL_TMP/pinned.json"
vl_engine_stop INT
vl_expect_rc 0 $? "pinned: engine exits 0" "$VL_TMP/engine.log"
check_numa "$VL_TMP/pinned.json" "pinned: the map wins over local, cross_node 1" \
	'q["lcore"] == 1' 'q["cpu_node"] == 1' 'q["ring_node"] == 0' 'q["cross_node"] == 1'
if grep -q "moved from" "$VL_TMP/engine.log"; then
	vl_fail "pinned: a pinned pair moved"
else
	vl_pass "pinned: no move"
fi
rm -rf "/var/run/dpdk/$prefix"
vl_done
