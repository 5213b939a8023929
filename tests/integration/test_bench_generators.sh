#!/bin/bash
# bench/compare's guest-side figures, once per generator: vhostloop-gen's own cycles per frame
# (its busy TSC cycles) and, with --generator testpmd-flowgen, testpmd flowgen on
# net_virtio_user as the guest. One 64-byte run of 2 s per backend; checks that every row has a
# rate and the generator's cycles per frame, never how fast anything is. Also the generator's TX
# free threshold: vhostloop-gen's perf default (ring size - 32) and flowgen given
# --gen-tx-free-thresh 200 (testpmd --txfreet), recorded in every run and the results.md header.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }
command -v gnuplot >/dev/null || {
	echo "SKIP: gnuplot not installed (apt install gnuplot-nox)"
	exit 77
}
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

root=${VL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
for gen in vhostloop-gen testpmd-flowgen; do
	out=$VL_TMP/$gen
	txft=()
	want_txft=224
	if [ "$gen" = testpmd-flowgen ]; then
		txft=(--gen-tx-free-thresh 200)
		want_txft=200
	fi
	# 3 s: flowgen's statistics blocks come a little more than 1 s apart (a sleep of 1 s, then
	# the printing, on a CPU it shares with its forwarding lcore), and bench/compare needs two
	# inside the window; a 2 s window once held only one.
	timeout -s INT 150 "$root/bench/compare" --generator "$gen" --sizes 64 --reps 1 \
		--duration 3 --warmup 1 --backends direct,testpmd --vhostloop "$VHOSTLOOP" \
		--gen "$VHOSTLOOP_GEN" --out "$out" "${txft[@]}" >"$VL_TMP/$gen.log" 2>&1
	vl_expect_rc 0 $? "$gen: bench/compare exits 0" "$VL_TMP/$gen.log"
	if python3 - "$out/results.json" "$gen" "$want_txft" >"$VL_TMP/$gen.check" 2>&1 <<'PY'; then
import json, sys
doc = json.load(open(sys.argv[1]))
bad = []
if doc["config"].get("generator") != sys.argv[2]:
    bad.append(f"config.generator is {doc['config'].get('generator')!r}")
rows = {r["backend"]: r for r in doc["summary"]}
for b in ("direct", "testpmd"):
    r = rows.get(b)
    if r is None:
        bad.append(f"no row for {b}")
        continue
    if not r["mpps_median"] > 0:
        bad.append(f"{b}: Mpps {r['mpps_median']}")
    if not (r.get("gen_cycles_per_frame_median") or 0) > 0:
        bad.append(f"{b}: no generator cycles per frame")
if sys.argv[2] == "vhostloop-gen":
    run = next(r for r in doc["runs"] if r["backend"] == "direct")
    if not run.get("latency_buckets_ns"):
        bad.append("direct run: no latency histogram buckets")
    if rows.get("direct") and rows["direct"].get("gen_busy_pct_median") is None:
        bad.append("direct: no generator busy %")
for run in doc["runs"]:
    if run.get("gen_tx_free_thresh") != int(sys.argv[3]):
        bad.append(f"{run['backend']} run: generator TX free threshold "
                   f"{run.get('gen_tx_free_thresh')!r}, want {sys.argv[3]}")
if doc["error"] is not None:
    bad.append(f"error: {doc['error']}")
print("; ".join(bad) or "ok: " + ", ".join(
    f"{b} {rows[b]['mpps_median']:.2f} Mpps, generator {rows[b]['gen_cycles_per_frame_median']:.0f}"
    " cycles/frame" for b in ("direct", "testpmd")))
sys.exit(1 if bad else 0)
PY
		vl_pass "$gen: rows with Mpps and generator cycles per frame ($(cat "$VL_TMP/$gen.check"))"
	else
		vl_fail "$gen: $(cat "$VL_TMP/$gen.check")"
		tail -20 "$VL_TMP/$gen.log" | sed 's/^/#   /'
	fi
	vl_expect_grep '\| gen cycles/frame \|' "$out/results.md" "$gen: results.md has the column"
	vl_expect_grep "generator TX free threshold $want_txft of ring 256" "$out/results.md" \
		"$gen: results.md says the generator's TX free threshold"
	if [ "$gen" = testpmd-flowgen ]; then
		# testpmd prints each TX queue's configuration at start: flowgen got --txfreet.
		logs=("$out"/logs/*-direct-64-r0.gen.log)
		vl_expect_grep "TX free threshold=$want_txft\b" "${logs[0]}" \
			"flowgen: testpmd ran with --txfreet=$want_txft"
	fi
done
vl_done
