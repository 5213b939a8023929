#!/bin/bash
# Engine restarts in client mode under a waiting virtio-user frontend (server=1): vhostloop-gen
# listens and sends all along; the engine is started, loops frames, and is stopped, alternately by
# SIGKILL and SIGTERM, VL_RESTARTS times (default 20; tests/reliability/run-restarts.sh runs 100).
# Each engine instance must loop frames (its JSON snapshot's frames > 0), a SIGTERMed one must exit
# 0 with a final snapshot, and the generator must receive at least every frame the engines'
# snapshots counted, and more after each restart than before it.
. "$(dirname "$0")/lib.sh"
vl_need_cpus

N=${VL_RESTARTS:-20}
sock=$VL_TMP/cr.sock
glog=$VL_TMP/gen.log
gprefix=vlcr-$$

# The generator's received frames so far:
# the running total on its --stats-interval live line (rx_frames=).
gen_rx() { awk '/^rates / { for (i = 1; i <= NF; i++) if ($i ~ /^rx_frames=/) { sub(/rx_frames=/, "", $i); n = $i } } END { print n + 0 }' "$glog"; }

"$VHOSTLOOP_GEN" -l 0 --no-huge -m 512 --no-pci --file-prefix "$gprefix" --log-level='*:notice' \
	-- --socket "$sock" --server --mode perf --duration 3600 --warmup 0 --stats-interval 0.2 \
	--connect-timeout 60 --json "$VL_TMP/gen.json" >"$glog" 2>&1 &
gen=$!
vl_wait_for 20 test -S "$sock" || { vl_fail "virtio-user did not listen"; cat "$glog"; exit 1; }

counted=0 fails=0 t0=$SECONDS
for i in $(seq 1 "$N"); do
	snap=$VL_TMP/snap-$i.jsonl
	vl_engine_start "$VL_TMP/engine-$i.log" --client --socket "$sock" --stats-file "$snap" \
		--stats-interval 1
	rx_before=$(gen_rx)
	if ! vl_wait_for 30 eval '[ "$(vl_snap "$snap" frames 2>/dev/null)" -gt 0 ] 2>/dev/null'; then
		vl_fail "restart $i: the engine looped no frame within 30 s"
		grep -v 'Mpps' "$VL_TMP/engine-$i.log" | sed 's/^/#   /' | tail -25; tail -5 "$glog" | sed 's/^/#   gen: /'
		fails=$((fails + 1))
		vl_engine_stop KILL
		break
	fi
	if [ $((i % 2)) -eq 1 ]; then
		sig=KILL
	else
		sig=TERM
	fi
	frames=$(vl_snap "$snap" frames)
	vl_engine_stop $sig
	rc=$?
	if [ $sig = TERM ]; then
		[ "$rc" -eq 0 ] || { vl_fail "restart $i: SIGTERM: exit $rc, want 0"; fails=$((fails + 1)); }
		frames=$(vl_snap "$snap" frames) # the final snapshot, written at exit
	fi
	counted=$((counted + frames))
	vl_wait_for 10 eval '[ "$(gen_rx)" -gt "$rx_before" ]' ||
		{ vl_fail "restart $i: the generator received nothing more"; fails=$((fails + 1)); }
	vl_log "restart $i (SIG$sig): engine looped $frames frames, generator rx $(gen_rx)"
done
elapsed=$((SECONDS - t0))
kill -INT $gen
wait $gen
vl_expect_rc 0 $? "the generator ends cleanly after $N engine restarts" "$glog"
[ "$fails" -eq 0 ] && vl_pass "$N restarts (SIGKILL and SIGTERM alternating) in $elapsed s: traffic resumed every time" ||
	vl_fail "$fails of $N restarts failed"
rx=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["total"]["rx_frames"])' \
	"$VL_TMP/gen.json" 2>/dev/null)
if [ -n "$rx" ] && [ "$rx" -ge "$counted" ] && [ "$counted" -gt 0 ]; then
	vl_pass "the generator received $rx frames >= $counted the engines' snapshots counted"
else
	vl_fail "the generator received ${rx:-none} frames, the engines' snapshots counted $counted"
fi
vl_done
