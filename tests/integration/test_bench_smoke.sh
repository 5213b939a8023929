#!/bin/bash
# bench/compare end to end, as short as it gets: one 64-byte run of 1 s per backend. Checks that
# every output is written and that every backend moved frames; says nothing about speed.
# Environment (tests/integration/meson.build): VHOSTLOOP, VHOSTLOOP_GEN, VL_SOURCE_ROOT.
. "$(dirname "$0")/lib.sh"
vl_need_cpus
command -v dpdk-testpmd >/dev/null || { echo "SKIP: dpdk-testpmd not installed"; exit 77; }
command -v gnuplot >/dev/null || {
	echo "SKIP: gnuplot not installed (apt install gnuplot-nox)"
	exit 77
}
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

root=${VL_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
# The cache-line probe bench/compare runs around every run: two different CPUs, or exit 2.
c2c=$(dirname "$(dirname "$VHOSTLOOP_GEN")")/vl-c2c
for bad in "0 0" "0" "0 1 0" "0 x"; do
	# shellcheck disable=SC2086 # the arguments are meant to split
	"$c2c" $bad >"$VL_TMP/c2c-bad.log" 2>&1
	vl_expect_rc 2 $? "vl-c2c $bad is a usage error" "$VL_TMP/c2c-bad.log"
done
out=$VL_TMP/bench
"$root/bench/compare" --settle-placement -1 --out "$out" >"$VL_TMP/settle-bad.log" 2>&1
vl_expect_rc 2 $? "bench/compare --settle-placement -1 is a usage error" "$VL_TMP/settle-bad.log"
# The engine appends to its stats file: a run's file left by an earlier run into the same
# directory (same name) must not reach this run's figures. Plant one under every name the runs
# below may take; each run's file must hold none of it afterwards.
mkdir -p "$out/logs"
for i in 000 001 002 003; do
	for b in direct mbuf sink; do
		echo '{"record": "run", "stale": "planted"}' >"$out/logs/$i-$b-64-r0.stats.jsonl"
	done
done
timeout -s INT 110 "$root/bench/compare" --quick --sizes 64 --reps 1 --duration 1 --warmup 0 \
	--settle-placement 3 \
	--vhostloop "$VHOSTLOOP" --gen "$VHOSTLOOP_GEN" --out "$out" >"$VL_TMP/compare.log" 2>&1
vl_expect_rc 0 $? "bench/compare --quick --sizes 64 --reps 1 exits 0" "$VL_TMP/compare.log"

for f in results.json results.csv results.md mpps.png mpps.svg gbps.png gbps.svg cycles.png \
	cycles.svg; do
	if [ -s "$out/$f" ]; then
		vl_pass "$f is written and not empty"
	else
		vl_fail "$f is missing or empty"
	fi
done

# The backends this engine has: sink only when its --help lists it, as bench/compare decides.
want=(direct mbuf testpmd)
"$VHOSTLOOP" --help 2>/dev/null | grep -qE -- '--datapath +[a-z|]*sink' && want+=(sink)
if python3 - "$out/results.json" "${want[@]}" >"$VL_TMP/check.log" 2>&1 <<'EOF'; then
import json, os, sys
doc = json.load(open(sys.argv[1]))
rows = {r["backend"]: r for r in doc["summary"] if r["value"] == "64"}
bad = []
for b in sys.argv[2:]:
    r = rows.get(b)
    if r is None:
        bad.append(f"no summary row for {b}")
    elif not r["mpps_median"] > 0:
        bad.append(f"{b}: Mpps {r['mpps_median']}")
    elif b != "sink" and r["cycles_per_frame_median"] is None:
        bad.append(f"{b}: no cycles per frame")
for k in ("cpu_model", "dpdk_version", "kernel", "memory_mode"):
    if not doc["environment"].get(k):
        bad.append(f"environment has no {k}")
if doc["error"] is not None:
    bad.append(f"error: {doc['error']}")
runs = doc["runs"]
if sorted(r["backend"] for r in runs) != sorted(sys.argv[2:]):
    bad.append(f"runs of {sorted(r['backend'] for r in runs)}, want one of each")
for r in runs:
    if r["backend_exit"] != 0:
        bad.append(f"{r['backend']}: backend exited {r['backend_exit']} after its run")
    for k in ("c2c_ns_before", "c2c_ns_after"):
        if not (r.get(k) or 0) > 0:
            bad.append(f"{r['backend']}: no cache-line round trip {k} ({r.get(k)})")
    if not isinstance(r.get("settle_tries"), int) or r["settle_tries"] < 0:
        bad.append(f"{r['backend']}: settle_tries {r.get('settle_tries')}")
    if r["backend"] != "testpmd":
        stats = r["backend_log"].replace(".backend.log", ".stats.jsonl")
        if "planted" in open(os.path.join(os.path.dirname(sys.argv[1]), stats)).read():
            bad.append(f"{r['backend']}: {stats} still holds the planted earlier run")
    for k in ("core_link_ns_before", "core_link_ns_after"):
        v = r.get(k) or []
        if len(v) != 2 or not all(x > 0 for x in v):
            bad.append(f"{r['backend']}: no core link times {k} ({r.get(k)})")
print("; ".join(bad) or "ok: " + ", ".join(f"{b} {rows[b]['mpps_median']:.3f} Mpps"
                                           for b in sys.argv[2:]))
sys.exit(1 if bad else 0)
EOF
	vl_pass "results.json: a row with Mpps > 0 and a backend that exited 0 for each of: ${want[*]} ($(cat "$VL_TMP/check.log"))"
else
	vl_fail "results.json: $(cat "$VL_TMP/check.log")"
	tail -20 "$VL_TMP/compare.log" | sed 's/^/#   /'
fi
vl_expect_grep '^\| testpmd \| 64 \|' "$out/results.md" "results.md has the testpmd row"
vl_expect_grep 'after 3 idle pauses \(--settle-placement\)' "$out/results.md" \
	"results.md says the runs waited for a near placement (--settle-placement 3)"
# Paired ratios pair runs by repetition: three repetitions made from the run above, rates chosen
# so that the median of per-repetition ratios (0.5, 1 of 3 ahead) differs from the ratio of
# medians (1.2) and from ratios of runs paired in any other order. The cache-line probes put
# repetition 0 near, 1 far, and testpmd's run of 2 moving from far to near: the near pair is
# 2.0 (1 pair), the far one 0.5 (1 pair; repetition 2 is left out).
mkdir -p "$VL_TMP/paired"
if python3 - "$out/results.json" "$VL_TMP/paired/results.json" >"$VL_TMP/paired.log" 2>&1 <<'EOF' &&
import copy, json, sys
doc = json.load(open(sys.argv[1]))
rates = {"direct": (10.0, 2.0, 6.0), "testpmd": (5.0, 4.0, 12.0)}
c2c = {"direct": ((60, 62), (450, 460), (440, 450)),
       "testpmd": ((61, 63), (455, 450), (445, 65))}
runs = []
for r in doc["runs"]:
    if r["backend"] in rates and not any(x["backend"] == r["backend"] for x in runs):
        for rep, mpps in enumerate(rates[r["backend"]]):
            x = copy.deepcopy(r)
            x["rep"], x["mpps"] = rep, mpps
            x["c2c_ns_before"], x["c2c_ns_after"] = c2c[r["backend"]][rep]
            runs.append(x)
doc["runs"], doc["config"]["reps"] = runs, 3
doc["config"]["backends"] = list(rates)
json.dump(doc, open(sys.argv[2], "w"))
EOF
	"$root/bench/compare" --replot "$VL_TMP/paired" >>"$VL_TMP/paired.log" 2>&1 &&
	python3 - "$VL_TMP/paired/results.json" >>"$VL_TMP/paired.log" 2>&1 <<'EOF'; then
import json, sys
rows = {r["backend"]: r for r in json.load(open(sys.argv[1]))["summary"]}
d = rows["direct"]
got = (d["mpps_vs_testpmd_paired_median"], d["mpps_vs_testpmd_paired_ahead"],
       d["mpps_vs_testpmd_paired_pairs"], round(d["mpps_vs_testpmd"], 6),
       d["mpps_vs_testpmd_paired_near_median"], d["mpps_vs_testpmd_paired_near_pairs"],
       d["mpps_vs_testpmd_paired_far_median"], d["mpps_vs_testpmd_paired_far_pairs"])
print("paired median, ahead, pairs, ratio of medians, near, pairs, far, pairs:", got)
sys.exit(0 if got == (0.5, 1, 3, 1.2, 2.0, 1, 0.5, 1) else 1)
EOF
	vl_pass "paired ratios pair runs by repetition ($(tail -1 "$VL_TMP/paired.log"))"
else
	vl_fail "paired ratios: $(tail -3 "$VL_TMP/paired.log" | tr '\n' ' ')"
fi
vl_expect_grep '^\| direct \| 64 \| split \| testpmd \| 3 \| 0\.500 \|' "$VL_TMP/paired/results.md" \
	"results.md has the paired table"
vl_expect_grep '^\| testpmd \| 64 \| split \| 1 \| 5\.000 \| .* \| 1 \| 4\.000 \| .* \| 1 \|$' \
	"$VL_TMP/paired/results.md" "results.md splits runs by vCPU distance (1 near, 1 far, 1 moved)"
# Probes spread without a gap (316..643 ns, as a run whose vCPUs stayed on different dies) are
# one group, however far apart the extremes: no run is tagged near or far.
mkdir -p "$VL_TMP/spread"
if python3 - "$VL_TMP/paired/results.json" "$VL_TMP/spread/results.json" >"$VL_TMP/spread.log" 2>&1 <<'EOF' &&
import json, sys
doc = json.load(open(sys.argv[1]))
spread = iter((316, 352, 390, 431, 470, 512, 550, 589, 620, 643, 333, 601))
for r in doc["runs"]:
    r["c2c_ns_before"], r["c2c_ns_after"] = next(spread), next(spread)
json.dump(doc, open(sys.argv[2], "w"))
EOF
	"$root/bench/compare" --replot "$VL_TMP/spread" >>"$VL_TMP/spread.log" 2>&1 &&
	python3 - "$VL_TMP/spread/results.json" >>"$VL_TMP/spread.log" 2>&1 <<'EOF'; then
import json, sys
classes = sorted({r["c2c_class"] for r in json.load(open(sys.argv[1]))["runs"]})
print("classes:", classes)
sys.exit(0 if classes == ["one"] else 1)
EOF
	vl_pass "probes spread without a gap are one group ($(tail -1 "$VL_TMP/spread.log"))"
else
	vl_fail "probes spread without a gap: $(tail -3 "$VL_TMP/spread.log" | tr '\n' ' ')"
fi
# Both ring layouts in one run: each backend's runs get the layout its name says (the engine's
# "guest started" line and the generator's vdev), rows name it, ratios take testpmd on the same
# layout.
out2=$VL_TMP/bench-layouts
timeout -s INT 110 "$root/bench/compare" --layouts split,packed --backends direct,testpmd \
	--sizes 64 --reps 1 --duration 1 --warmup 0 --vhostloop "$VHOSTLOOP" --gen "$VHOSTLOOP_GEN" \
	--out "$out2" >"$VL_TMP/compare-layouts.log" 2>&1
vl_expect_rc 0 $? "bench/compare --layouts split,packed exits 0" "$VL_TMP/compare-layouts.log"
if python3 - "$out2" >"$VL_TMP/check-layouts.log" 2>&1 <<'EOF'; then
import glob, json, os, re, sys
out = sys.argv[1]
doc = json.load(open(os.path.join(out, "results.json")))
want = {"direct": "split", "direct-packed": "packed", "testpmd": "split",
        "testpmd-packed": "packed"}
rows = {r["backend"]: r for r in doc["summary"]}
bad = []
if sorted(rows) != sorted(want):
    bad.append(f"rows {sorted(rows)}, want {sorted(want)}")
for b, layout in want.items():
    r = rows.get(b)
    if r is None:
        continue
    if r["layout"] != layout:
        bad.append(f"{b}: layout {r['layout']}")
    if not r["mpps_median"] > 0:
        bad.append(f"{b}: Mpps {r['mpps_median']}")
    logs = glob.glob(os.path.join(out, "logs", f"*-{b}-64-r0.gen.log"))
    vdev = re.findall(r"packed_vq=(\d)", open(logs[0]).read()) if len(logs) == 1 else []
    if vdev != [str(int(layout == "packed"))]:
        bad.append(f"{b}: generator vdev packed_vq {vdev} ({logs})")
    if len(logs) == 1 and not b.startswith("testpmd"):
        blog = open(logs[0].replace(".gen.log", ".backend.log")).read()
        if f"{layout} rings" not in blog:
            bad.append(f"{b}: the engine never said '{layout} rings'")
for b, base in (("direct", "testpmd"), ("direct-packed", "testpmd-packed")):
    if b in rows and base in rows:
        want_ratio = rows[b]["mpps_median"] / rows[base]["mpps_median"]
        if abs(rows[b]["mpps_vs_testpmd"] - want_ratio) > 1e-9:
            bad.append(f"{b}: Mpps vs testpmd {rows[b]['mpps_vs_testpmd']}, not over {base}")
if "direct-packed" in rows and "direct" in rows:
    want_ratio = rows["direct-packed"]["mpps_median"] / rows["direct"]["mpps_median"]
    got = rows["direct-packed"].get("mpps_vs_split")
    if got is None or abs(got - want_ratio) > 1e-9:
        bad.append(f"direct-packed: Mpps vs split {got}")
if doc["error"] is not None:
    bad.append(f"error: {doc['error']}")
print("; ".join(bad) or "ok: " + ", ".join(f"{b} ({rows[b]['layout']}) "
                                           f"{rows[b]['mpps_median']:.3f} Mpps" for b in want))
sys.exit(1 if bad else 0)
EOF
	vl_pass "--layouts: each row ran and is named on its layout ($(cat "$VL_TMP/check-layouts.log"))"
else
	vl_fail "--layouts: $(cat "$VL_TMP/check-layouts.log")"
	tail -20 "$VL_TMP/compare-layouts.log" | sed 's/^/#   /'
fi
vl_expect_grep '^\| direct-packed \| 64 \| packed \|' "$out2/results.md" \
	"results.md has the direct-packed row on packed rings"
# Per second: the engine's runs carry their per-second samples (testpmd's none). Then seconds made
# up for the layouts run, replotted: split 6 fast seconds (8 Mpps at 250 cycles) and 4 slow (3 at
# 560), packed 3 fast (9 at 240) and 7 slow (3.3 at 540). The run medians say packed returns 0.41x
# split's frames; mode by mode it returns 1.125x (fast) and 1.1x (slow) at 0.96x and 0.964x the
# cycles. The same seconds all in one mode give no boundary.
mkdir -p "$VL_TMP/modes" "$VL_TMP/onemode"
if python3 - "$out2/results.json" "$VL_TMP/modes/results.json" "$VL_TMP/onemode/results.json" \
	>"$VL_TMP/modes.log" 2>&1 <<'EOF' &&
import json, sys
doc = json.load(open(sys.argv[1]))
for r in doc["runs"]:
    want_list = not r["backend"].startswith("testpmd")
    if isinstance(r.get("seconds"), list) != want_list:
        sys.exit(f"{r['backend']}: seconds {r.get('seconds')!r}")
made = {"direct": [[8.0, 250.0]] * 6 + [[3.0, 560.0]] * 4,
        "direct-packed": [[9.0, 240.0]] * 3 + [[3.3, 540.0]] * 7}
for r in doc["runs"]:
    r["seconds"] = made.get(r["backend"])
json.dump(doc, open(sys.argv[2], "w"))
for r in doc["runs"]:
    if r["seconds"]:
        r["seconds"] = [[8.0, 250.0 + i] for i in range(10)]
json.dump(doc, open(sys.argv[3], "w"))
EOF
	"$root/bench/compare" --replot "$VL_TMP/modes" >>"$VL_TMP/modes.log" 2>&1 &&
	"$root/bench/compare" --replot "$VL_TMP/onemode" >>"$VL_TMP/modes.log" 2>&1 &&
	python3 - "$VL_TMP/modes/results.json" "$VL_TMP/onemode/results.json" \
		>>"$VL_TMP/modes.log" 2>&1 <<'EOF'; then
import json, sys
rows = {r["backend"]: r for r in json.load(open(sys.argv[1]))["summary"]}
p = rows["direct-packed"]
got = tuple(round(p[k], 3) for k in ("seconds_all_mpps_vs_split", "seconds_fast_mpps_vs_split",
                                     "seconds_slow_mpps_vs_split", "seconds_fast_cycles_vs_split",
                                     "seconds_slow_cycles_vs_split"))
got += (p["seconds_fast"], p["seconds_slow"], rows["direct"]["seconds_fast"],
        250 < p["seconds_boundary_cycles"] < 540, "seconds_count" not in rows["testpmd"])
one = {r["backend"]: r for r in json.load(open(sys.argv[2]))["summary"]}
got += (one["direct"]["seconds_boundary_cycles"], "seconds_fast" in one["direct"])
print("all, fast, slow Mpps vs split; fast, slow cycles; seconds; boundary; one mode:", got)
sys.exit(0 if got == (0.412, 1.125, 1.1, 0.96, 0.964, 3, 7, 6, True, True, None, False) else 1)
EOF
	vl_pass "per-second modes: mode by mode against split ($(tail -1 "$VL_TMP/modes.log"))"
else
	vl_fail "per-second modes: $(tail -3 "$VL_TMP/modes.log" | tr '\n' ' ')"
fi
vl_expect_grep '^\| direct-packed \| 64 \| packed \| 10 \| 3\.300 \| 540\.0 \| 3 \| 9\.000 \| 240\.0 \| 7 \| 3\.300 \| 540\.0 \| 1\.125 \| 0\.960 \| 1\.100 \| 0\.964 \|$' \
	"$VL_TMP/modes/results.md" "results.md has the per-second modes table"
vl_expect_grep '^The engine.*64: one mode\.' "$VL_TMP/onemode/results.md" \
	"results.md says when the seconds form one mode"
if [ "$(nproc)" -lt 4 ]; then
	vl_expect_grep "scaling: needs >= 4 CPUs \(have $(nproc)\), skipped" "$out/results.md" \
		"results.md says the queue-pair scaling was skipped on $(nproc) CPUs"
fi
vl_done
