/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_check.c - check mode: every queue pair sends seq 0..N-1 (sizes cycling), at most --window
 * in flight, and every frame must come back once, byte-identical, on the queue pair that sent it.
 * All queue pairs are polled from the main lcore: one busy poller.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "gen.h"

enum {
	CHECK_MAX_REPORTS = 10, /* problem lines printed before going quiet */
	CHECK_DRAIN_MS = 100,	/* listen for late duplicates after the last frame came back */
};

/* One queue pair's sender and receiver state; counters are per arrival queue. */
struct check_qp {
	uint64_t nb_sent;      /* = next seq to send */
	uint64_t nb_in_flight; /* sent, not yet back (on any queue) */
	uint64_t received;     /* frames that arrived on this RX queue */
	uint64_t ok;
	uint64_t duplicate;
	uint64_t corrupt;
	uint64_t wrong_queue; /* arrived here, sent by another queue pair */
	uint64_t nb_seen;     /* distinct seqs of ours that came back here */
	uint64_t *seen;	      /* bitmap over seq */
	uint8_t *frame;	      /* scratch: the frame being sent or the one expected */
};

struct check_run {
	const struct gen_config *cfg;
	uint16_t port_id;
	struct rte_mempool *tx_pool;
	struct check_qp *qps;
	unsigned int nb_reports;
	uint64_t nb_rx_qp0; /* for --selftest-corrupt, -drop and -dup */
};

static void check_report(struct check_run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print one problem line, up to CHECK_MAX_REPORTS of them. */
static void
check_report(struct check_run *run, const char *fmt, ...)
{
	va_list ap;

	if (run->nb_reports++ >= CHECK_MAX_REPORTS)
		return;
	va_start(ap, fmt);
	printf("problem: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (run->nb_reports == CHECK_MAX_REPORTS)
		printf("problem: (further problems are counted, not printed)\n");
}

/*
 * Copy a flat frame into a chain of GEN_TX_SEG_BYTES mbufs. NULL when the pool is empty.
 * no_headroom: the frame starts at the buffer's first byte, so the virtio PMD cannot push its
 * header in front of it and gives the header a descriptor of its own.
 */
static struct rte_mbuf *
check_frame_to_mbuf(struct rte_mempool *pool, const uint8_t *frame, uint16_t len, bool no_headroom)
{
	struct rte_mbuf *segs[(GEN_FRAME_MAX_BYTES + GEN_TX_SEG_BYTES - 1) / GEN_TX_SEG_BYTES];
	unsigned int nb_segs = (len + GEN_TX_SEG_BYTES - 1) / GEN_TX_SEG_BYTES;
	uint16_t off = 0;

	if (rte_pktmbuf_alloc_bulk(pool, segs, nb_segs) != 0)
		return NULL;
	for (unsigned int i = 0; i < nb_segs; i++) {
		uint16_t n = RTE_MIN((uint16_t)(len - off), (uint16_t)GEN_TX_SEG_BYTES);

		if (no_headroom)
			segs[i]->data_off = 0;

		memcpy(rte_pktmbuf_mtod(segs[i], uint8_t *), frame + off, n);
		segs[i]->data_len = n;
		off += n;
		if (i > 0) {
			segs[i - 1]->next = segs[i];
		}
	}
	segs[0]->nb_segs = (uint16_t)nb_segs;
	segs[0]->pkt_len = len;
	return segs[0];
}

/* Send up to a burst of new frames on qp, keeping at most the window in flight. */
static void
check_tx(struct check_run *run, uint16_t qp_idx)
{
	const struct gen_config *cfg = run->cfg;
	struct check_qp *qp = &run->qps[qp_idx];
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	uint64_t room = cfg->window > qp->nb_in_flight ? cfg->window - qp->nb_in_flight : 0;
	uint64_t left = cfg->nb_frames - qp->nb_sent;
	unsigned int n = (unsigned int)RTE_MIN(RTE_MIN(room, left), (uint64_t)cfg->burst);
	unsigned int built = 0;
	uint16_t nb_tx;

	for (; built < n; built++) {
		uint64_t seq = qp->nb_sent + built;
		uint16_t len = gen_check_size_bytes(cfg, seq);

		/* tsc 0: check mode stamps no time, so every byte is predictable. */
		gen_frame_build(qp->frame, len, cfg->mac, qp_idx, seq, 0);
		gen_flow_apply(qp->frame, cfg, qp_idx, seq);
		pkts[built] = check_frame_to_mbuf(run->tx_pool, qp->frame, len, cfg->tx_hdr_desc);
		if (pkts[built] == NULL)
			break; /* the TX ring still holds our mbufs; retry next round */
	}
	if (built == 0)
		return;
	nb_tx = rte_eth_tx_burst(run->port_id, qp_idx, pkts, (uint16_t)built);
	/* Unsent frames are rebuilt with the same seqs next round. */
	if (nb_tx < built)
		rte_pktmbuf_free_bulk(&pkts[nb_tx], built - nb_tx);
	qp->nb_sent += nb_tx;
	qp->nb_in_flight += nb_tx;
}

/* Offset of the first byte where m differs from the flat frame want, or -1 if identical. */
static long
check_compare(const struct rte_mbuf *m, const uint8_t *want)
{
	uint32_t off = 0;

	for (; m != NULL; m = m->next) {
		const uint8_t *got = rte_pktmbuf_mtod(m, const uint8_t *);

		if (memcmp(got, want + off, m->data_len) != 0) {
			for (uint16_t i = 0; i < m->data_len; i++)
				if (got[i] != want[off + i])
					return (long)(off + i);
		}
		off += m->data_len;
	}
	return -1;
}

/* Flip the last byte of the frame: a test of the checker, see --selftest-corrupt. */
static void
check_selftest_corrupt(struct rte_mbuf *m)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	if (last->data_len > 0)
		rte_pktmbuf_mtod(last, uint8_t *)[last->data_len - 1] ^= 0xff;
}

/* Verify one frame that arrived on RX queue arr_idx and account for it. */
static void
check_rx_frame(struct check_run *run, uint16_t arr_idx, struct rte_mbuf *m)
{
	const struct gen_config *cfg = run->cfg;
	struct check_qp *arr = &run->qps[arr_idx];
	struct check_qp *sender;
	struct gen_frame_info info;
	uint8_t hdr_copy[GEN_PATTERN_OFF];
	const uint8_t *hdr;
	uint32_t hdr_len = RTE_MIN(m->pkt_len, (uint32_t)GEN_PATTERN_OFF);
	uint16_t want_len;
	long bad_off;
	uint64_t nth = arr_idx == 0 ? ++run->nb_rx_qp0 : 0;

	/* Tests of the checker itself: a frame lost, seen twice, or damaged on the way back. */
	if (nth != 0 && nth == cfg->selftest_drop_nth)
		return;
	if (nth != 0 && nth == cfg->selftest_dup_nth)
		check_rx_frame(run, arr_idx, m);
	arr->received++;
	if (nth != 0 && nth == cfg->selftest_corrupt_nth)
		check_selftest_corrupt(m);

	hdr = rte_pktmbuf_read(m, 0, hdr_len, hdr_copy);
	if (hdr == NULL || gen_frame_parse(hdr, hdr_len, m->pkt_len, &info) != 0) {
		arr->corrupt++;
		check_report(run, "qp %u: %u-byte frame without our header", arr_idx, m->pkt_len);
		return;
	}
	if (info.qp >= cfg->nb_qp || info.seq >= cfg->nb_frames) {
		arr->corrupt++;
		check_report(run, "qp %u: frame claims qp %u seq %" PRIu64 ", out of range",
			     arr_idx, info.qp, info.seq);
		return;
	}
	sender = &run->qps[info.qp];
	if (sender->nb_in_flight > 0)
		sender->nb_in_flight--;
	if (info.qp != arr_idx) {
		arr->wrong_queue++;
		check_report(run, "qp %u: received seq %" PRIu64 " sent on qp %u", arr_idx,
			     info.seq, info.qp);
		return;
	}
	if (arr->seen[info.seq / 64] & (UINT64_C(1) << (info.seq % 64))) {
		arr->duplicate++;
		check_report(run, "qp %u: seq %" PRIu64 " received again", arr_idx, info.seq);
		return;
	}
	arr->seen[info.seq / 64] |= UINT64_C(1) << (info.seq % 64);
	arr->nb_seen++;

	want_len = gen_check_size_bytes(cfg, info.seq);
	if (m->pkt_len != want_len) {
		arr->corrupt++;
		check_report(run, "qp %u: seq %" PRIu64 " is %u bytes long, want %u", arr_idx,
			     info.seq, m->pkt_len, want_len);
		return;
	}
	gen_frame_build(arr->frame, want_len, cfg->mac, arr_idx, info.seq, 0);
	gen_flow_apply(arr->frame, cfg, arr_idx, info.seq);
	bad_off = check_compare(m, arr->frame);
	if (bad_off >= 0) {
		uint8_t got_copy;
		const uint8_t *got = rte_pktmbuf_read(m, (uint32_t)bad_off, 1, &got_copy);

		arr->corrupt++;
		check_report(run,
			     "qp %u: seq %" PRIu64 " (%u bytes) differs at byte %ld: 0x%02x, want "
			     "0x%02x",
			     arr_idx, info.seq, want_len, bad_off, got[0], arr->frame[bad_off]);
		return;
	}
	arr->ok++;
}

/* Receive and verify one burst on qp. Returns the number of frames received. */
static unsigned int
check_rx(struct check_run *run, uint16_t qp_idx)
{
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	uint16_t nb_rx = rte_eth_rx_burst(run->port_id, qp_idx, pkts, run->cfg->burst);

	for (uint16_t i = 0; i < nb_rx; i++)
		check_rx_frame(run, qp_idx, pkts[i]);
	if (nb_rx > 0)
		rte_pktmbuf_free_bulk(pkts, nb_rx);
	return nb_rx;
}

static bool
check_all_back(const struct check_run *run)
{
	for (uint16_t q = 0; q < run->cfg->nb_qp; q++)
		if (run->qps[q].nb_sent < run->cfg->nb_frames || run->qps[q].nb_in_flight > 0)
			return false;
	return true;
}

static uint64_t
check_missing(const struct check_qp *qp)
{
	return qp->nb_sent - qp->nb_seen;
}

static bool
check_qp_pass(const struct check_run *run, const struct check_qp *qp)
{
	return qp->nb_sent == run->cfg->nb_frames && qp->ok == run->cfg->nb_frames &&
	       qp->received == qp->ok && check_missing(qp) == 0;
}

static void
check_json(const struct check_run *run, bool pass, const char *reason, double elapsed_s)
{
	const struct gen_config *cfg = run->cfg;
	json_t *doc = gen_json_doc(cfg);
	json_t *per_queue = json_array();
	int rc = doc == NULL || per_queue == NULL ? -1 : 0;

	for (uint16_t q = 0; rc == 0 && q < cfg->nb_qp; q++) {
		const struct check_qp *qp = &run->qps[q];

		rc = json_array_append_new(
			per_queue,
			json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "qp", (int)q,
				  "sent", (json_int_t)qp->nb_sent, "received",
				  (json_int_t)qp->received, "ok", (json_int_t)qp->ok, "missing",
				  (json_int_t)check_missing(qp), "duplicate",
				  (json_int_t)qp->duplicate, "corrupt", (json_int_t)qp->corrupt,
				  "wrong_queue", (json_int_t)qp->wrong_queue, "pass",
				  (int)check_qp_pass(run, qp)));
	}
	if (rc == 0)
		rc = json_object_set(doc, "per_queue", per_queue);
	if (rc == 0)
		rc = json_object_set_new(doc, "elapsed_s", gen_json_fixed(elapsed_s, 3));
	if (rc == 0)
		rc = json_object_set_new(doc, "pass", json_boolean(pass));
	if (rc == 0)
		rc = json_object_set_new(doc, "reason", json_string(reason));
	json_decref(per_queue);
	if (rc != 0) {
		fprintf(stderr, "vhostloop-gen: --json %s: cannot build the result\n",
			cfg->json_path);
		json_decref(doc);
		return;
	}
	gen_json_write(cfg, doc);
}

/* Print the per-queue table and the verdict; returns the exit status. */
static int
check_verdict(const struct check_run *run, const char *timeout_reason, double elapsed_s)
{
	const struct gen_config *cfg = run->cfg;
	uint64_t missing = 0, duplicate = 0, corrupt = 0, wrong = 0;
	unsigned int nb_failed = 0;
	char reason[256];
	bool pass;

	for (uint16_t q = 0; q < cfg->nb_qp; q++) {
		const struct check_qp *qp = &run->qps[q];
		bool qp_pass = check_qp_pass(run, qp);

		printf("qp %u: sent %" PRIu64 " received %" PRIu64 " ok %" PRIu64
		       " missing %" PRIu64 " duplicate %" PRIu64 " corrupt %" PRIu64
		       " wrong_queue %" PRIu64 " %s\n",
		       q, qp->nb_sent, qp->received, qp->ok, check_missing(qp), qp->duplicate,
		       qp->corrupt, qp->wrong_queue, qp_pass ? "PASS" : "FAIL");
		nb_failed += !qp_pass;
		missing += check_missing(qp);
		duplicate += qp->duplicate;
		corrupt += qp->corrupt;
		wrong += qp->wrong_queue;
	}
	pass = nb_failed == 0 && timeout_reason == NULL;
	if (timeout_reason != NULL)
		snprintf(reason, sizeof(reason), "%s", timeout_reason);
	else if (!pass)
		snprintf(reason, sizeof(reason),
			 "%u of %u queue pairs failed: missing %" PRIu64 " duplicate %" PRIu64
			 " corrupt %" PRIu64 " wrong_queue %" PRIu64,
			 nb_failed, cfg->nb_qp, missing, duplicate, corrupt, wrong);
	else
		reason[0] = '\0';
	if (pass)
		printf("PASS\n");
	else
		printf("FAIL: %s\n", reason);
	if (cfg->json_path != NULL)
		check_json(run, pass, reason, elapsed_s);
	return pass ? GEN_EXIT_PASS : GEN_EXIT_FAIL;
}

/* The poll loop. Returns NULL when every frame is back, else why it stopped. */
static const char *
check_loop(struct check_run *run, char *why, size_t why_size)
{
	const struct gen_config *cfg = run->cfg;
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t t0 = rte_get_tsc_cycles();
	const uint64_t idle_limit = (uint64_t)(cfg->connect_timeout_s * (double)hz);
	const uint64_t total_limit = (uint64_t)(cfg->timeout_s * (double)hz);
	const uint64_t stats_cycles = (uint64_t)(cfg->stats_interval_s * (double)hz);
	uint64_t last_rx_tsc = t0, next_stats_tsc = t0 + stats_cycles, drain_end_tsc = 0;
	uint64_t tx[GEN_MAX_QP], rx[GEN_MAX_QP], prev_tx[GEN_MAX_QP] = {0},
						 prev_rx[GEN_MAX_QP] = {0};
	bool any_back = false;

	for (;;) {
		uint64_t now;
		unsigned int nb_rx = 0;

		for (uint16_t q = 0; q < cfg->nb_qp; q++) {
			check_tx(run, q);
			nb_rx += check_rx(run, q);
		}
		now = rte_get_tsc_cycles();
		if (nb_rx > 0) {
			last_rx_tsc = now;
			any_back = true;
		}
		if (drain_end_tsc != 0) {
			if (now >= drain_end_tsc)
				return NULL;
		} else if (check_all_back(run)) {
			drain_end_tsc = now + hz * CHECK_DRAIN_MS / 1000;
		}
		if (gen_stop_requested)
			return "interrupted";
		if (drain_end_tsc == 0 && now - last_rx_tsc > idle_limit) {
			snprintf(why, why_size, "timeout: no frame came back for %g s%s",
				 cfg->connect_timeout_s, any_back ? "" : " (none ever did)");
			return why;
		}
		if (now - t0 > total_limit) {
			snprintf(why, why_size, "timeout: check not done after %g s",
				 cfg->timeout_s);
			return why;
		}
		if (stats_cycles != 0 && now >= next_stats_tsc) {
			for (uint16_t q = 0; q < cfg->nb_qp; q++) {
				tx[q] = run->qps[q].nb_sent;
				rx[q] = run->qps[q].received;
			}
			gen_live_line(cfg,
				      (double)(now - next_stats_tsc + stats_cycles) / (double)hz,
				      tx, rx, prev_tx, prev_rx);
			next_stats_tsc = now + stats_cycles;
		}
	}
}

int
gen_check_run(const struct gen_config *cfg, const struct gen_port *port)
{
	struct check_run run = {.cfg = cfg, .port_id = port->port_id};
	struct gen_pool_plan plan;
	const uint64_t bitmap_words = (cfg->nb_frames + 63) / 64;
	const char *stopped;
	char why[160];
	uint64_t t0;
	int ret = GEN_EXIT_FAIL;

	gen_pool_plan_tx_check(cfg, &plan);
	run.tx_pool = gen_pool_create("gen_tx", &plan);
	if (run.tx_pool == NULL)
		return GEN_EXIT_FAIL;
	run.qps = calloc(cfg->nb_qp, sizeof(*run.qps));
	if (run.qps == NULL)
		goto out_pool;
	for (uint16_t q = 0; q < cfg->nb_qp; q++) {
		run.qps[q].seen = calloc(bitmap_words, sizeof(uint64_t));
		run.qps[q].frame = malloc(GEN_FRAME_MAX_BYTES);
		if (run.qps[q].seen == NULL || run.qps[q].frame == NULL) {
			fprintf(stderr, "vhostloop-gen: out of memory for %" PRIu64 " frames\n",
				cfg->nb_frames);
			goto out_qps;
		}
	}
	if (!cfg->quiet)
		printf("check: %u queue pair(s), %" PRIu64
		       " frames each, window %u, sizes %u..%u\n",
		       cfg->nb_qp, cfg->nb_frames, cfg->window, cfg->sizes_bytes[0],
		       gen_config_max_frame_bytes(cfg));
	t0 = rte_get_tsc_cycles();
	stopped = check_loop(&run, why, sizeof(why));
	ret = check_verdict(&run, stopped, gen_elapsed_s(t0));

out_qps:
	for (uint16_t q = 0; q < cfg->nb_qp; q++) {
		free(run.qps[q].seen);
		free(run.qps[q].frame);
	}
	free(run.qps);
out_pool:
	/* The port may still hold TX mbufs: the pool is freed with the EAL at exit. */
	return ret;
}
