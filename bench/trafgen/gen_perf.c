/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gen_perf.c - perf mode: send as fast as allowed (or at --rate per queue pair), count what
 * comes back during --duration after --warmup, and time the round trip from the TSC stamp.
 *
 * Frames come from one pre-filled mempool per frame size: the pattern is written once when the
 * pool is created and survives alloc/free (the virtio PMD writes its header into the headroom),
 * so a frame costs a few stores (UDP port, qp, seq, tsc). Queue pairs are spread round-robin over
 * the EAL lcores; each queue pair's state is written by its lcore only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "gen.h"

enum {
	PERF_DRAIN_MS = 500, /* after TX stops: time for frames in flight to come back */
	PERF_MAX_TEMPLATES = 3,
	PERF_IMIX_CYCLE = 12,
	PERF_L1_OVERHEAD_BYTES = 24, /* preamble + SFD + IFG (20) and FCS (4) */
};

/* IMIX 7:4:1, interleaved so no size comes in long runs. */
static const uint8_t perf_imix_cycle[PERF_IMIX_CYCLE] = {0, 1, 0, 0, 1, 0, 2, 0, 1, 0, 1, 0};
static const uint16_t perf_imix_sizes[PERF_MAX_TEMPLATES] = {64, 594, 1518};

struct perf_template {
	uint16_t size_bytes;
	struct rte_mempool *pool;
};

/* Phase boundaries in TSC cycles; the main lcore may pull them in on SIGINT. */
struct perf_clock {
	uint64_t measure_start_tsc;
	uint64_t measure_end_tsc; /* TX stops here */
	uint64_t drain_end_tsc;	  /* RX stops here */
};

struct perf_qp {
	uint16_t qp_idx;
	unsigned int lcore_id;
	uint64_t seq;
	double tokens; /* --rate: frames we may send now */
	uint64_t last_refill_tsc;
	/* Measured frames are seq in [meas_first_seq, meas_end_seq). */
	bool meas_started;
	bool meas_ended;
	uint64_t meas_first_seq;
	uint64_t meas_end_seq;
	/* All time, for the live line. */
	uint64_t tx_all;
	uint64_t rx_all;
	/* Inside the measurement window. */
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t returned; /* measured frames that came back, by the end of the drain */
	uint64_t foreign;  /* not ours or not this queue pair's */
	uint64_t tx_nombuf;
	/*
	 * The generator's own cost, counted like the engine counts its own: TSC cycles of the loop
	 * iterations (TX + RX of this queue pair) that moved at least one frame, inside the
	 * measurement window. busy_cycles / rx_frames = cycles per returned frame.
	 */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint32_t lat_countdown; /* frames to receive before the next timed one */
	struct gen_hist hist;
} __rte_cache_aligned;

struct perf_lcore {
	struct perf_run *run;
	unsigned int lcore_id;
	unsigned int nb_qps;
	struct perf_qp **qps;
};

struct perf_run {
	const struct gen_config *cfg;
	uint16_t port_id;
	struct perf_template tmpl[PERF_MAX_TEMPLATES];
	unsigned int nb_tmpl;
	struct perf_qp *qps;
	struct perf_lcore *lcores;
	unsigned int nb_lcores;
	struct perf_clock clock;
	uint64_t idle_from_tsc; /* --idle-qp window */
	uint64_t idle_to_tsc;
	double ns_per_cycle;
	double pps_per_cycle; /* --rate in frames per TSC cycle */
};

struct perf_prefill_arg {
	const struct gen_config *cfg;
	uint16_t size_bytes;
};

/* rte_mempool_obj_iter callback: write the template frame into every mbuf of a pool once. */
static void
perf_prefill(struct rte_mempool *mp, void *arg, void *obj, unsigned int obj_idx)
{
	const struct perf_prefill_arg *pa = arg;
	struct rte_mbuf *m = obj;

	RTE_SET_USED(mp);
	RTE_SET_USED(obj_idx);
	/* The pattern is keyed on qp 0xffff so it can never pass for a check-mode frame. */
	gen_frame_build(rte_pktmbuf_mtod(m, uint8_t *), pa->size_bytes, pa->cfg->mac, 0xffff,
			pa->size_bytes, 0);
}

static int
perf_templates_create(struct perf_run *run)
{
	const struct gen_config *cfg = run->cfg;

	run->nb_tmpl = cfg->imix ? PERF_MAX_TEMPLATES : 1;
	for (unsigned int i = 0; i < run->nb_tmpl; i++) {
		struct perf_template *t = &run->tmpl[i];
		struct perf_prefill_arg pa;
		struct gen_pool_plan plan;
		char name[32];

		t->size_bytes = cfg->imix ? perf_imix_sizes[i] : cfg->size_bytes;
		gen_pool_plan_tx_perf(cfg, t->size_bytes, &plan);
		snprintf(name, sizeof(name), "gen_tx_%u", t->size_bytes);
		t->pool = gen_pool_create(name, &plan);
		if (t->pool == NULL)
			return -ENOMEM;
		pa.cfg = cfg;
		pa.size_bytes = t->size_bytes;
		rte_mempool_obj_iter(t->pool, perf_prefill, &pa);
	}
	return 0;
}

static const struct perf_template *
perf_template_for(const struct perf_run *run, uint64_t seq)
{
	if (run->nb_tmpl == 1)
		return &run->tmpl[0];
	return &run->tmpl[perf_imix_cycle[seq % PERF_IMIX_CYCLE]];
}

/* How many frames qp may send now: the burst, or what the token bucket allows. */
static unsigned int
perf_tx_budget(const struct perf_run *run, struct perf_qp *qp, uint64_t now)
{
	const struct gen_config *cfg = run->cfg;

	if (cfg->rate_pps == 0)
		return cfg->burst;
	qp->tokens += (double)(now - qp->last_refill_tsc) * run->pps_per_cycle;
	qp->last_refill_tsc = now;
	/* A bucket of one burst: a stalled backend does not earn a later flood. */
	if (qp->tokens > cfg->burst)
		qp->tokens = cfg->burst;
	return (unsigned int)qp->tokens;
}

/* Send one burst; returns the frames the PMD took. */
static unsigned int
perf_tx(struct perf_run *run, struct perf_qp *qp, uint64_t now)
{
	const struct perf_clock *clk = &run->clock;
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	unsigned int n = perf_tx_budget(run, qp, now), built;
	uint64_t bytes = 0;
	uint16_t nb_tx;
	bool measured;

	if (!qp->meas_started && now >= clk->measure_start_tsc) {
		qp->meas_started = true;
		qp->meas_first_seq = qp->seq;
	}
	if (n == 0)
		return 0;
	if (unlikely(run->cfg->idle_qp == qp->qp_idx) && now >= run->idle_from_tsc &&
	    now < run->idle_to_tsc)
		return 0; /* --idle-qp: this pair sends nothing now */
	measured = qp->meas_started;
	if (run->nb_tmpl == 1) {
		/* One size: one bulk get from the mempool cache instead of n. */
		const struct perf_template *t = &run->tmpl[0];

		if (rte_pktmbuf_alloc_bulk(t->pool, pkts, n) != 0) {
			qp->tx_nombuf++;
			return 0;
		}
		for (built = 0; built < n; built++) {
			struct rte_mbuf *m = pkts[built];

			m->data_len = t->size_bytes;
			m->pkt_len = t->size_bytes;
			gen_frame_stamp(rte_pktmbuf_mtod(m, uint8_t *), t->size_bytes, qp->qp_idx,
					qp->seq + built, now);
			gen_flow_apply(rte_pktmbuf_mtod(m, uint8_t *), run->cfg, qp->qp_idx,
				       qp->seq + built);
		}
		bytes = (uint64_t)n * t->size_bytes;
	} else {
		for (built = 0; built < n; built++) {
			const struct perf_template *t = perf_template_for(run, qp->seq + built);
			struct rte_mbuf *m = rte_pktmbuf_alloc(t->pool);

			if (m == NULL) {
				qp->tx_nombuf++;
				break;
			}
			m->data_len = t->size_bytes;
			m->pkt_len = t->size_bytes;
			gen_frame_stamp(rte_pktmbuf_mtod(m, uint8_t *), t->size_bytes, qp->qp_idx,
					qp->seq + built, now);
			gen_flow_apply(rte_pktmbuf_mtod(m, uint8_t *), run->cfg, qp->qp_idx,
				       qp->seq + built);
			pkts[built] = m;
		}
		if (built == 0)
			return 0;
	}
	nb_tx = rte_eth_tx_burst(run->port_id, qp->qp_idx, pkts, (uint16_t)built);
	if (nb_tx < built) {
		for (uint16_t i = nb_tx; i < built; i++)
			bytes -= pkts[i]->pkt_len;
		rte_pktmbuf_free_bulk(&pkts[nb_tx], built - nb_tx);
	} else if (run->nb_tmpl > 1) {
		for (uint16_t i = 0; i < nb_tx; i++)
			bytes += pkts[i]->pkt_len;
	}
	qp->seq += nb_tx;
	qp->tx_all += nb_tx;
	if (run->cfg->rate_pps != 0)
		qp->tokens -= nb_tx;
	if (measured) {
		qp->tx_frames += nb_tx;
		qp->tx_bytes += bytes;
	}
	return nb_tx;
}

/* Parse one received frame's payload header: 0, or -EINVAL if it is not one of ours for qp. */
static int
perf_parse(const struct perf_qp *qp, struct rte_mbuf *m, struct gen_frame_info *info)
{
	uint8_t hdr_copy[GEN_PATTERN_OFF];
	uint32_t hdr_len = RTE_MIN(m->pkt_len, (uint32_t)GEN_PATTERN_OFF);
	const uint8_t *hdr = rte_pktmbuf_read(m, 0, hdr_len, hdr_copy);

	if (hdr == NULL || gen_frame_parse(hdr, hdr_len, m->pkt_len, info) != 0 ||
	    info->qp != qp->qp_idx)
		return -EINVAL;
	return 0;
}

/* Is a frame of this seq one of the measured ones (sent inside the window)? */
static bool
perf_seq_measured(const struct perf_qp *qp, uint64_t seq)
{
	return qp->meas_started && seq >= qp->meas_first_seq &&
	       !(qp->meas_ended && seq >= qp->meas_end_seq);
}

static void
perf_time(const struct perf_run *run, struct perf_qp *qp, const struct gen_frame_info *info,
	  uint64_t now)
{
	if (info->tsc_bytes >= GEN_TSC_MIN_BYTES && perf_seq_measured(qp, info->seq)) {
		uint64_t cycles = gen_tsc_delta(now, info->tsc, info->tsc_bytes);

		gen_hist_add(&qp->hist, (uint64_t)((double)cycles * run->ns_per_cycle));
	}
}

/* Every frame of a burst parsed: exact counts whatever the order (also --latency-sample 1). */
static void
perf_rx_parse_all(const struct perf_run *run, struct perf_qp *qp, struct rte_mbuf **pkts,
		  uint16_t nb_rx, uint64_t now)
{
	for (uint16_t i = 0; i < nb_rx; i++) {
		struct gen_frame_info info;

		if (perf_parse(qp, pkts[i], &info) != 0) {
			qp->foreign++;
			continue;
		}
		if (!perf_seq_measured(qp, info.seq))
			continue;
		qp->returned++;
		if (run->cfg->latency)
			perf_time(run, qp, &info, now);
	}
}

/*
 * Receive one burst; returns the frames received.
 *
 * Reading a returned frame costs a cache miss on a line the backend wrote from another CPU, so
 * perf mode reads as few as it can: the first and the last frame of the burst, and one frame in
 * --latency-sample for the latency histogram. A queue pair's frames come back in the order they
 * were sent, so when both ends of a burst are ours and were measured, every frame between them
 * was too. A burst whose ends are not ours, out of order, or on a window boundary is parsed
 * frame by frame (a handful of bursts per run).
 */
static unsigned int
perf_rx(struct perf_run *run, struct perf_qp *qp, uint64_t now)
{
	const struct gen_config *cfg = run->cfg;
	const struct perf_clock *clk = &run->clock;
	struct rte_mbuf *pkts[GEN_MAX_BURST];
	bool in_window = now >= clk->measure_start_tsc && now < clk->measure_end_tsc;
	uint16_t nb_rx = rte_eth_rx_burst(run->port_id, qp->qp_idx, pkts, cfg->burst);
	struct gen_frame_info first, last;
	uint16_t i;

	if (nb_rx == 0)
		return 0;
	rte_prefetch0(rte_pktmbuf_mtod(pkts[0], void *));
	rte_prefetch0(rte_pktmbuf_mtod(pkts[nb_rx - 1], void *));
	qp->rx_all += nb_rx;
	if (in_window) {
		qp->rx_frames += nb_rx;
		for (i = 0; i < nb_rx; i++)
			qp->rx_bytes += pkts[i]->pkt_len;
	}
	if (cfg->latency_sample <= 1 || perf_parse(qp, pkts[0], &first) != 0 ||
	    perf_parse(qp, pkts[nb_rx - 1], &last) != 0 || last.seq < first.seq ||
	    perf_seq_measured(qp, first.seq) != perf_seq_measured(qp, last.seq)) {
		perf_rx_parse_all(run, qp, pkts, nb_rx, now);
		goto out;
	}
	if (!perf_seq_measured(qp, first.seq))
		goto out;
	qp->returned += nb_rx;
	if (!cfg->latency)
		goto out;
	/* One frame in latency_sample: the countdown runs across bursts. */
	for (i = (uint16_t)RTE_MIN(qp->lat_countdown, (uint32_t)nb_rx); i < nb_rx;
	     i = (uint16_t)(i + cfg->latency_sample)) {
		struct gen_frame_info info;

		if (i == 0)
			perf_time(run, qp, &first, now);
		else if (i == nb_rx - 1)
			perf_time(run, qp, &last, now);
		else if (perf_parse(qp, pkts[i], &info) == 0)
			perf_time(run, qp, &info, now);
		qp->lat_countdown = (uint32_t)(i + cfg->latency_sample);
	}
	qp->lat_countdown -= RTE_MIN(qp->lat_countdown, (uint32_t)nb_rx);
out:
	rte_pktmbuf_free_bulk(pkts, nb_rx);
	return nb_rx;
}

static uint64_t
perf_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Main lcore only: pull the phases in on SIGINT, print the live line. */
static void
perf_main_duties(struct perf_run *run, uint64_t now, uint64_t *next_stats_tsc, uint64_t *prev_tx,
		 uint64_t *prev_rx)
{
	const struct gen_config *cfg = run->cfg;
	struct perf_clock *clk = &run->clock;
	const uint64_t hz = rte_get_tsc_hz();

	if (gen_stop_requested && clk->drain_end_tsc > now + hz / 10) {
		/* Stop TX now, drain briefly; the workers read the new bounds next loop. */
		uint64_t drain = now + hz / 10;

		if (clk->measure_end_tsc > now)
			__atomic_store_n(&clk->measure_end_tsc, now, __ATOMIC_RELAXED);
		__atomic_store_n(&clk->drain_end_tsc, drain, __ATOMIC_RELAXED);
	}
	if (cfg->stats_interval_s > 0 && now >= *next_stats_tsc) {
		uint64_t tx[GEN_MAX_QP], rx[GEN_MAX_QP];

		for (uint16_t q = 0; q < cfg->nb_qp; q++) {
			tx[q] = perf_load(&run->qps[q].tx_all);
			rx[q] = perf_load(&run->qps[q].rx_all);
		}
		gen_live_line(cfg, cfg->stats_interval_s, tx, rx, prev_tx, prev_rx);
		*next_stats_tsc = now + (uint64_t)(cfg->stats_interval_s * (double)hz);
	}
}

/* The poll loop of one lcore over its queue pairs, until the end of the drain. */
static int
perf_lcore_loop(void *arg)
{
	struct perf_lcore *lc = arg;
	struct perf_run *run = lc->run;
	struct perf_clock *clk = &run->clock;
	bool is_main = lc->lcore_id == rte_get_main_lcore();
	uint64_t next_stats_tsc, prev_tx[GEN_MAX_QP] = {0}, prev_rx[GEN_MAX_QP] = {0};

	next_stats_tsc = rte_get_tsc_cycles() +
			 (uint64_t)(run->cfg->stats_interval_s * (double)rte_get_tsc_hz());

	for (uint64_t now = rte_get_tsc_cycles();;) {
		uint64_t meas_end = __atomic_load_n(&clk->measure_end_tsc, __ATOMIC_RELAXED);

		for (unsigned int i = 0; i < lc->nb_qps; i++) {
			struct perf_qp *qp = lc->qps[i];
			unsigned int moved = 0;
			uint64_t t1;

			if (now < meas_end) {
				moved = perf_tx(run, qp, now);
			} else if (!qp->meas_ended) {
				qp->meas_ended = true;
				qp->meas_end_seq = qp->seq;
			}
			moved += perf_rx(run, qp, now);
			t1 = rte_get_tsc_cycles();
			if (now >= clk->measure_start_tsc && now < meas_end) {
				if (moved != 0)
					qp->busy_cycles += t1 - now;
				else
					qp->idle_cycles += t1 - now;
			}
			now = t1;
		}
		if (is_main)
			perf_main_duties(run, now, &next_stats_tsc, prev_tx, prev_rx);
		if (now >= __atomic_load_n(&clk->drain_end_tsc, __ATOMIC_RELAXED))
			break;
	}
	return 0;
}

/* Queue pairs round-robin over the EAL lcores, the main lcore first. */
static int
perf_plan_lcores(struct perf_run *run)
{
	const struct gen_config *cfg = run->cfg;
	unsigned int lcore_id, n = 0;

	run->nb_lcores = RTE_MIN(rte_lcore_count(), (unsigned int)cfg->nb_qp);
	run->lcores = calloc(run->nb_lcores, sizeof(*run->lcores));
	if (run->lcores == NULL)
		return -ENOMEM;
	run->lcores[n++].lcore_id = rte_get_main_lcore();
	RTE_LCORE_FOREACH_WORKER (lcore_id) {
		if (n == run->nb_lcores)
			break;
		run->lcores[n++].lcore_id = lcore_id;
	}
	for (unsigned int i = 0; i < run->nb_lcores; i++) {
		run->lcores[i].run = run;
		run->lcores[i].qps = calloc(cfg->nb_qp, sizeof(struct perf_qp *));
		if (run->lcores[i].qps == NULL)
			return -ENOMEM;
	}
	for (uint16_t q = 0; q < cfg->nb_qp; q++) {
		struct perf_lcore *lc = &run->lcores[q % run->nb_lcores];

		run->qps[q].qp_idx = q;
		run->qps[q].lcore_id = lc->lcore_id;
		gen_hist_reset(&run->qps[q].hist);
		lc->qps[lc->nb_qps++] = &run->qps[q];
	}
	return 0;
}

/* Totals of one queue pair or of all of them, for printing and JSON. */
struct perf_sum {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes, returned, foreign, tx_nombuf;
	uint64_t busy_cycles, idle_cycles;
	struct gen_hist hist;
};

static void
perf_sum_add(struct perf_sum *s, const struct perf_qp *qp)
{
	s->tx_frames += qp->tx_frames;
	s->tx_bytes += qp->tx_bytes;
	s->rx_frames += qp->rx_frames;
	s->rx_bytes += qp->rx_bytes;
	s->returned += qp->returned;
	s->foreign += qp->foreign;
	s->tx_nombuf += qp->tx_nombuf;
	s->busy_cycles += qp->busy_cycles;
	s->idle_cycles += qp->idle_cycles;
	gen_hist_merge(&s->hist, &qp->hist);
}

static double
perf_gbps(uint64_t bytes, uint64_t frames, unsigned int per_frame_extra, double secs)
{
	return ((double)bytes + (double)frames * per_frame_extra) * 8 / secs / 1e9;
}

static uint64_t
perf_loss(const struct perf_sum *s)
{
	return s->tx_frames > s->returned ? s->tx_frames - s->returned : 0;
}

/*
 * The generator's busy TSC cycles per frame that came back in the window, or per frame sent
 * with --tx-only (nothing comes back); 0 when there was none.
 */
static double
perf_cycles_per_frame(const struct perf_sum *s, bool tx_only)
{
	uint64_t frames = tx_only ? s->tx_frames : s->rx_frames;

	return frames > 0 ? (double)s->busy_cycles / (double)frames : 0.0;
}

static double
perf_busy_pct(const struct perf_sum *s)
{
	uint64_t all = s->busy_cycles + s->idle_cycles;

	return all > 0 ? 100.0 * (double)s->busy_cycles / (double)all : 0.0;
}

static void
perf_print(const char *label, const struct perf_sum *s, double secs, bool tx_only)
{
	printf("%-6s tx %8.3f Mpps %7.3f/%7.3f Gbps  rx %8.3f Mpps %7.3f/%7.3f Gbps  loss %" PRIu64
	       " (%.4f%%)",
	       label, (double)s->tx_frames / secs / 1e6, perf_gbps(s->tx_bytes, 0, 0, secs),
	       perf_gbps(s->tx_bytes, s->tx_frames, PERF_L1_OVERHEAD_BYTES, secs),
	       (double)s->rx_frames / secs / 1e6, perf_gbps(s->rx_bytes, 0, 0, secs),
	       perf_gbps(s->rx_bytes, s->rx_frames, PERF_L1_OVERHEAD_BYTES, secs), perf_loss(s),
	       s->tx_frames > 0 ? 100.0 * (double)perf_loss(s) / (double)s->tx_frames : 0.0);
	if (s->hist.count > 0)
		printf("  lat us min %.2f p50 %.2f p99 %.2f p99.9 %.2f max %.2f",
		       (double)s->hist.min_ns / 1e3, (double)gen_hist_quantile(&s->hist, 0.5) / 1e3,
		       (double)gen_hist_quantile(&s->hist, 0.99) / 1e3,
		       (double)gen_hist_quantile(&s->hist, 0.999) / 1e3,
		       (double)s->hist.max_ns / 1e3);
	if (s->busy_cycles > 0)
		printf("  gen %.1f cycles/frame busy %.0f%%", perf_cycles_per_frame(s, tx_only),
		       perf_busy_pct(s));
	printf("\n");
}

/* The figures of one queue pair or the total, added to obj. Returns 0, -1 when out of memory. */
static int
perf_json_sum(json_t *obj, const struct perf_sum *s, double secs, bool tx_only)
{
	json_t *lat = json_null(), *buckets;
	int rc;

	rc = json_object_update_new(
		obj,
		json_pack(
			"{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:I, s:I, s:I,"
			" s:I, s:o, s:o}",
			"tx_frames", (json_int_t)s->tx_frames, "tx_bytes", (json_int_t)s->tx_bytes,
			"rx_frames", (json_int_t)s->rx_frames, "rx_bytes", (json_int_t)s->rx_bytes,
			"tx_mpps", gen_json_fixed((double)s->tx_frames / secs / 1e6, 6), "rx_mpps",
			gen_json_fixed((double)s->rx_frames / secs / 1e6, 6), "tx_gbps_l2",
			gen_json_fixed(perf_gbps(s->tx_bytes, 0, 0, secs), 6), "rx_gbps_l2",
			gen_json_fixed(perf_gbps(s->rx_bytes, 0, 0, secs), 6), "tx_gbps_l1",
			gen_json_fixed(
				perf_gbps(s->tx_bytes, s->tx_frames, PERF_L1_OVERHEAD_BYTES, secs),
				6),
			"rx_gbps_l1",
			gen_json_fixed(
				perf_gbps(s->rx_bytes, s->rx_frames, PERF_L1_OVERHEAD_BYTES, secs),
				6),
			"returned_frames", (json_int_t)s->returned, "loss_frames",
			(json_int_t)perf_loss(s), "loss_ratio",
			gen_json_fixed(s->tx_frames > 0
					       ? (double)perf_loss(s) / (double)s->tx_frames
					       : 0.0,
				       9),
			"foreign_frames", (json_int_t)s->foreign, "tx_nombuf",
			(json_int_t)s->tx_nombuf, "gen_busy_cycles", (json_int_t)s->busy_cycles,
			"gen_idle_cycles", (json_int_t)s->idle_cycles, "gen_cycles_per_frame",
			gen_json_fixed(perf_cycles_per_frame(s, tx_only), 3), "gen_busy_pct",
			gen_json_fixed(perf_busy_pct(s), 3)));
	if (rc == 0 && s->hist.count > 0) {
		/* The whole distribution: [lower bound ns, count] of every non-empty bucket, in
		 * order. */
		buckets = json_array();
		for (unsigned int i = 0; buckets != NULL && i < GEN_HIST_NB_BUCKETS; i++)
			if (s->hist.bucket[i] != 0 &&
			    json_array_append_new(
				    buckets, json_pack("[I, I]", (json_int_t)gen_hist_bucket_low(i),
						       (json_int_t)s->hist.bucket[i])) != 0) {
				json_decref(buckets);
				buckets = NULL;
			}
		lat = json_pack(
			"{s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "samples", (json_int_t)s->hist.count,
			"min", gen_json_fixed((double)s->hist.min_ns / 1e3, 3), "p50",
			gen_json_fixed((double)gen_hist_quantile(&s->hist, 0.5) / 1e3, 3), "p99",
			gen_json_fixed((double)gen_hist_quantile(&s->hist, 0.99) / 1e3, 3), "p999",
			gen_json_fixed((double)gen_hist_quantile(&s->hist, 0.999) / 1e3, 3), "max",
			gen_json_fixed((double)s->hist.max_ns / 1e3, 3), "buckets_ns", buckets);
	}
	if (rc == 0)
		rc = json_object_set_new(obj, "latency_us", lat);
	return rc;
}

/* The perf-mode result document (new reference), NULL (logged) on failure. */
static json_t *
perf_json(const struct perf_run *run, const struct perf_sum *sums, double secs)
{
	const struct gen_config *cfg = run->cfg;
	json_t *doc = gen_json_doc(cfg);
	json_t *per_queue = json_array();
	json_t *total = json_object();
	int rc = doc == NULL || per_queue == NULL || total == NULL ? -1 : 0;

	if (rc == 0)
		rc = json_object_set_new(doc, "measured_s", gen_json_fixed(secs, 6));
	if (rc == 0)
		rc = json_object_set_new(doc, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
	for (uint16_t q = 0; rc == 0 && q < cfg->nb_qp; q++) {
		json_t *qo =
			json_pack("{s:i, s:i}", "qp", (int)q, "lcore", (int)run->qps[q].lcore_id);

		rc = json_array_append_new(per_queue, qo);
		if (rc == 0)
			rc = perf_json_sum(qo, &sums[q], secs, cfg->tx_only);
	}
	if (rc == 0)
		rc = json_object_set(doc, "per_queue", per_queue);
	if (rc == 0)
		rc = perf_json_sum(total, &sums[cfg->nb_qp], secs, cfg->tx_only);
	if (rc == 0)
		rc = json_object_set(doc, "total", total);
	json_decref(per_queue);
	json_decref(total);
	if (rc != 0) {
		fprintf(stderr, "vhostloop-gen: --json %s: cannot build the result\n",
			cfg->json_path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int
perf_report(const struct perf_run *run, double secs)
{
	const struct gen_config *cfg = run->cfg;
	struct perf_sum *sums = calloc(cfg->nb_qp + 1u, sizeof(*sums));
	struct perf_sum *total;
	int ret;

	if (sums == NULL)
		return GEN_EXIT_FAIL;
	total = &sums[cfg->nb_qp];
	gen_hist_reset(&total->hist);
	for (uint16_t q = 0; q < cfg->nb_qp; q++) {
		char label[16];

		gen_hist_reset(&sums[q].hist);
		perf_sum_add(&sums[q], &run->qps[q]);
		perf_sum_add(total, &run->qps[q]);
		snprintf(label, sizeof(label), "qp %u", q);
		if (!cfg->quiet || cfg->nb_qp == 1)
			perf_print(label, &sums[q], secs, cfg->tx_only);
	}
	if (cfg->nb_qp > 1)
		perf_print("total", total, secs, cfg->tx_only);
	if (cfg->json_path != NULL)
		gen_json_write(cfg, perf_json(run, sums, secs));
	if (cfg->tx_only ? total->tx_frames == 0 : total->returned == 0) {
		printf(cfg->tx_only ? "FAIL: no frame sent\n"
				    : "FAIL: no measured frame came back\n");
		ret = GEN_EXIT_FAIL;
	} else {
		printf("DONE\n");
		ret = GEN_EXIT_PASS;
	}
	free(sums);
	return ret;
}

int
gen_perf_run(const struct gen_config *cfg, const struct gen_port *port)
{
	struct perf_run run = {.cfg = cfg, .port_id = port->port_id};
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t t0, meas_end;
	int ret = GEN_EXIT_FAIL;

	run.ns_per_cycle = 1e9 / (double)hz;
	run.pps_per_cycle = (double)cfg->rate_pps / (double)hz;
	run.qps = rte_zmalloc("gen_perf_qps", cfg->nb_qp * sizeof(*run.qps), RTE_CACHE_LINE_SIZE);
	if (run.qps == NULL || perf_templates_create(&run) != 0 || perf_plan_lcores(&run) != 0)
		goto out;
	if (!cfg->quiet)
		printf("perf: %u queue pair(s) on %u lcore(s), %s%u-byte frames, %s, warmup %g s, "
		       "duration %g s\n",
		       cfg->nb_qp, run.nb_lcores, cfg->imix ? "IMIX 64/594/" : "",
		       cfg->imix ? 1518 : cfg->size_bytes,
		       cfg->rate_pps ? "fixed rate" : "max rate", cfg->warmup_s, cfg->duration_s);
	fflush(stdout);

	t0 = rte_get_tsc_cycles();
	run.clock.measure_start_tsc = t0 + (uint64_t)(cfg->warmup_s * (double)hz);
	run.idle_from_tsc = t0 + (uint64_t)(cfg->idle_start_s * (double)hz);
	run.idle_to_tsc = cfg->idle_len_s > 0
				  ? run.idle_from_tsc + (uint64_t)(cfg->idle_len_s * (double)hz)
				  : UINT64_MAX;
	run.clock.measure_end_tsc =
		run.clock.measure_start_tsc + (uint64_t)(cfg->duration_s * (double)hz);
	run.clock.drain_end_tsc = run.clock.measure_end_tsc + hz * PERF_DRAIN_MS / 1000;
	for (uint16_t q = 0; q < cfg->nb_qp; q++)
		run.qps[q].last_refill_tsc = t0;

	for (unsigned int i = 1; i < run.nb_lcores; i++)
		rte_eal_remote_launch(perf_lcore_loop, &run.lcores[i], run.lcores[i].lcore_id);
	perf_lcore_loop(&run.lcores[0]);
	rte_eal_mp_wait_lcore();

	meas_end = __atomic_load_n(&run.clock.measure_end_tsc, __ATOMIC_RELAXED);
	if (meas_end <= run.clock.measure_start_tsc) {
		printf("FAIL: interrupted during warm-up\n");
		goto out;
	}
	ret = perf_report(&run, (double)(meas_end - run.clock.measure_start_tsc) / (double)hz);
out:
	if (run.lcores != NULL)
		for (unsigned int i = 0; i < run.nb_lcores; i++)
			free(run.lcores[i].qps);
	free(run.lcores);
	rte_free(run.qps);
	return ret;
}
