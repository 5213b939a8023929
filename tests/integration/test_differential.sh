#!/bin/bash
# The same vhostloop-gen traffic through the direct and the mbuf datapaths gives identical
# results: the generator's per-queue verdicts and the engine's frame and byte counts.
. "$(dirname "$0")/lib.sh"
vl_need_cpus

# run DATAPATH MRG [GENERATOR OPTIONS...] -> $VL_TMP/gen-DATAPATH-MRG.log etc.; $tag (when set)
# keeps the files of variants with the same MRG apart.
run() {
	local dp=$1 mrg=$2$tag sock=$VL_TMP/diff-$1.sock
	shift 2
	vl_engine_start "$VL_TMP/engine-$dp-$mrg.log" --datapath "$dp" --socket "$sock,queue-pairs=2" \
		--stats-file "$VL_TMP/snap-$dp-$mrg.jsonl"
	vl_wait_socket "$sock" || { cat "$VL_TMP/engine-$dp-$mrg.log"; exit 1; }
	vl_gen "$VL_TMP/gen-$dp-$mrg.log" --socket "$sock" --queue-pairs 2 --frames 4000 \
		--sizes 60,61,128,1000,1514,2048,4000,9000 --mrg-rxbuf "${mrg%%-*}" "$@"
	vl_expect_rc 0 $? "$dp mrg_rxbuf=$mrg: generator passes" "$VL_TMP/gen-$dp-$mrg.log"
	vl_engine_stop INT
	vl_expect_rc 0 $? "$dp mrg_rxbuf=$mrg: engine exits 0" "$VL_TMP/engine-$dp-$mrg.log"
	grep '^qp ' "$VL_TMP/gen-$dp-$mrg.log" >"$VL_TMP/verdict-$dp-$mrg"
	# Per queue pair, from the snapshot the engine writes when it stops: frames, bytes and
	# drops by reason.
	local q c
	for q in vhost0/0 vhost0/1; do
		echo "$q" $(for c in frames bytes drop_rx_full drop_truncated drop_short; do
			vl_snap "$VL_TMP/snap-$dp-$mrg.jsonl" $c $q
		done)
	done >"$VL_TMP/counts-$dp-$mrg"
	vl_expect_eq 8000 "$(vl_snap "$VL_TMP/snap-$dp-$mrg.jsonl" frames)" \
		"$dp mrg_rxbuf=$mrg: 2 x 4000 frames counted"
}

# The header in a descriptor of its own (TX frames without headroom): an indirect table of
# (header, frame), and with IN_ORDER a 2-descriptor chain: the direct path's batched layouts
# for real guests' TX, against librte_vhost's dequeue. Then packed rings (lib/vring's packed path
# against librte_vhost's), with in-order and with the header in its own descriptor.
for variant in "1" "0" "1 -hdr-indirect --tx-hdr-desc --in-order 0" \
	"1 -hdr-chain --tx-hdr-desc --in-order 1" "1 -packed --packed 1" \
	"0 -packed-io-hdr --packed 1 --in-order 1 --tx-hdr-desc"; do
	set -- $variant
	tag=${2:-}
	extra=("${@:3}")
	run direct "$1" "${extra[@]}"
	run mbuf "$1" "${extra[@]}"
	mrg=$1$tag
	if cmp -s "$VL_TMP/verdict-direct-$mrg" "$VL_TMP/verdict-mbuf-$mrg" &&
		[ -s "$VL_TMP/verdict-direct-$mrg" ]; then
		vl_pass "mrg_rxbuf=$mrg: same per-queue verdicts"
	else
		vl_fail "mrg_rxbuf=$mrg: verdicts differ"
		diff "$VL_TMP/verdict-direct-$mrg" "$VL_TMP/verdict-mbuf-$mrg" | sed 's/^/#   /'
	fi
	# qp, frames, bytes, drops by reason: the mbuf path counts frame bytes (pkt_len) too.
	if cmp -s "$VL_TMP/counts-direct-$mrg" "$VL_TMP/counts-mbuf-$mrg" &&
		! grep -q none "$VL_TMP/counts-direct-$mrg"; then
		vl_pass "mrg_rxbuf=$mrg: same frame, byte and drop counts"
	else
		vl_fail "mrg_rxbuf=$mrg: counts differ"
		diff "$VL_TMP/counts-direct-$mrg" "$VL_TMP/counts-mbuf-$mrg" | sed 's/^/#   /'
	fi
done
vl_done
