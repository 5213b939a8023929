/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_fwd.c - per-lcore poll loop over the queue pairs the lcore owns. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "vl_compiler.h"
#include "vl_fwd.h"
#include "vl_log.h"
#include "vl_steer.h"

static volatile int fwd_quit; /* written by the signal handler / main, read by every poller */

void
vl_fwd_quit(void)
{
	fwd_quit = 1;
}

bool
vl_fwd_quitting(void)
{
	return fwd_quit != 0;
}

/* The datapath found hostile ring contents: count, log once; skipped until re-initialised. */
static void __attribute__((cold)) fwd_qp_broken(struct vl_qp *qp)
{
	bool tx = qp->tx.fault != VL_VRING_FAULT_NONE;

	qp->stats.queue_broken++;
	VL_LOG_MOD(fwd, ERR,
		   "%s qp %u: guest %s vring %u broken: %s; queue pair skipped until the guest "
		   "resets or re-enables it",
		   vl_dev_name(qp->dev), qp->idx, tx ? "TX" : "RX",
		   tx ? VL_TXQ(qp->idx) : VL_RXQ(qp->idx),
		   vl_vring_fault_str(tx ? qp->tx.fault : qp->rx.fault));
}

/*
 * Interrupt decision for one vring after a burst that published nb_new used entries. Without
 * coalescing: once per burst. With it: when enough frames are pending, when the oldest has
 * waited long enough, or - only without a time limit - when the queue went idle (the guest is
 * waiting for what we hold). A real guest posts frames slower than we poll, so nearly every
 * poll after a frame is idle: with a time limit the idle flush would undo the coalescing.
 */
static inline void
fwd_irq(const struct vl_fwd_lcore *fl, struct vl_qp *qp, struct vl_vring *vq, struct vl_qp_irq *irq,
	uint32_t nb_new, bool idle, uint64_t now)
{
	if (nb_new != 0) {
		if (irq->pending == 0)
			irq->pending_tsc = now;
		irq->pending += nb_new;
	}
	if (irq->pending == 0)
		return;
	if ((fl->irq_coalesce_frames | fl->irq_coalesce_cycles) != 0 &&
	    !(idle && fl->irq_coalesce_cycles == 0) &&
	    !(fl->irq_coalesce_frames != 0 && irq->pending >= fl->irq_coalesce_frames) &&
	    !(fl->irq_coalesce_cycles != 0 && now - irq->pending_tsc >= fl->irq_coalesce_cycles))
		return;
	irq->pending = 0;
	if ((vq->packed ? vl_vring_packed_need_call(vq, &qp->opts)
			: vl_vring_need_call(vq, &qp->opts)) &&
	    irq->callfd >= 0) {
		/* The call fd is re-read on every start; SET_VRING_CALL stops us first. */
		eventfd_write(irq->callfd, 1);
		qp->stats.calls++;
	} else {
		qp->stats.calls_suppressed++;
	}
}

/* The direct datapath's observer: the frames of one burst, still in the guest's RX buffers. */
static void
fwd_steer_observe(void *ctx, const struct vl_vring_frame *frames, unsigned int nb_frames)
{
	struct vl_steer_qp *sq = ctx;

	for (unsigned int i = 0; i < nb_frames; i++)
		vl_steer_account(sq, frames[i].data, frames[i].head_bytes, frames[i].frame_bytes);
}

/* Steering audit on: answer the main lcore's table swap, classify what the burst loops. */
static unsigned int __attribute__((noinline))
fwd_qp_burst_audited(struct vl_fwd_lcore *fl, struct vl_qp *qp, struct vl_vring_burst *res)
{
	vl_steer_qp_tick(qp->steer);
	fl->steer_obs.fn = fwd_steer_observe;
	fl->steer_obs.ctx = qp->steer;
	if (qp->tx.packed)
		return vl_vring_packed_loop_burst_observed(&qp->tx, &qp->rx, qp->mem, &qp->opts,
							   fl->burst, res, &fl->steer_obs);
	return vl_vring_loop_burst_observed(&qp->tx, &qp->rx, qp->mem, &qp->opts, fl->burst, res,
					    &fl->steer_obs);
}

static inline unsigned int
fwd_qp_poll_direct(struct vl_fwd_lcore *fl, struct vl_qp *qp, uint64_t now)
{
	struct vl_vring_burst res; /* vl_vring_loop_burst overwrites it */
	unsigned int n;

	if (unlikely((qp->tx.fault | qp->rx.fault) != VL_VRING_FAULT_NONE))
		return 0;
	/* Ring layout fixed per queue pair at start (VIRTIO_F_RING_PACKED). */
	if (unlikely(qp->steer != NULL)) /* the audit's one branch when it is off */
		n = fwd_qp_burst_audited(fl, qp, &res);
	else if (qp->tx.packed)
		n = vl_vring_packed_loop_burst(&qp->tx, &qp->rx, qp->mem, &qp->opts, fl->burst,
					       &res);
	else
		n = vl_vring_loop_burst(&qp->tx, &qp->rx, qp->mem, &qp->opts, fl->burst, &res);
	if (unlikely((qp->tx.fault | qp->rx.fault) != VL_VRING_FAULT_NONE))
		fwd_qp_broken(qp);
	fwd_irq(fl, qp, &qp->rx, &qp->irq_rx, res.nb_rx_bufs, n == 0, now);
	fwd_irq(fl, qp, &qp->tx, &qp->irq_tx, res.nb_tx_done, n == 0, now);
	if (n == 0)
		return 0;
	qp->stats.frames += res.nb_frames;
	qp->stats.bytes += res.nb_bytes;
	qp->stats.rx_bufs += res.nb_rx_bufs;
	qp->stats.drop_rx_full += res.drop_rx_full;
	qp->stats.drop_truncated += res.drop_truncated;
	qp->stats.drop_short += res.drop_short;
	return n;
}

/* Benchmark sink: the guest's TX buffers come straight back empty; frames = chains consumed. */
static inline unsigned int
fwd_qp_poll_sink(const struct vl_fwd_lcore *fl, struct vl_qp *qp, uint64_t now)
{
	struct vl_vring_burst res;
	unsigned int n;

	if (unlikely(qp->tx.fault != VL_VRING_FAULT_NONE))
		return 0;
	if (qp->tx.packed)
		n = vl_vring_packed_sink_burst(&qp->tx, &qp->opts, fl->burst, &res);
	else
		n = vl_vring_sink_burst(&qp->tx, &qp->opts, fl->burst, &res);
	if (unlikely(qp->tx.fault != VL_VRING_FAULT_NONE))
		fwd_qp_broken(qp);
	fwd_irq(fl, qp, &qp->tx, &qp->irq_tx, res.nb_tx_done, n == 0, now);
	qp->stats.frames += n;
	return n;
}

/* The reference datapath, as testpmd's vhost driver: guest -> mbuf -> guest. */
static inline unsigned int
fwd_qp_poll_mbuf(const struct vl_fwd_lcore *fl, struct vl_qp *qp)
{
	struct rte_mbuf *pkts[VL_BURST_MAX];
	uint16_t nb_rx, nb_tx;
	uint64_t bytes = 0;

	if (unlikely(qp->steer != NULL))
		vl_steer_qp_tick(qp->steer);
	nb_rx = rte_vhost_dequeue_burst(qp->vid, VL_TXQ(qp->idx), qp->pool, pkts, fl->burst);
	if (nb_rx == 0)
		return 0;
	nb_tx = rte_vhost_enqueue_burst(qp->vid, VL_RXQ(qp->idx), pkts, nb_rx);
	for (uint16_t i = 0; i < nb_tx; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	if (unlikely(qp->steer != NULL)) /* the copies are ours: no guest can change them */
		for (uint16_t i = 0; i < nb_tx; i++)
			vl_steer_account(qp->steer, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
					 rte_pktmbuf_data_len(pkts[i]),
					 rte_pktmbuf_pkt_len(pkts[i]));
	rte_pktmbuf_free_bulk(pkts, nb_rx); /* enqueue copied them: all are ours */
	qp->stats.frames += nb_tx;
	qp->stats.bytes += bytes;
	qp->stats.drop_rx_full += (uint64_t)(nb_rx - nb_tx);
	return nb_rx;
}

/* One pass; *nb_qps = the pairs on the list it walked (read before the quiescent report). */
static inline unsigned int
fwd_pass(struct vl_fwd_lcore *fl, unsigned int *nb_qps)
{
	/* Pairs with the release store of vl_fwd_move: the list's contents are visible. */
	const struct vl_fwd_qp_list *list = __atomic_load_n(&fl->list, __ATOMIC_ACQUIRE);
	uint64_t t0 = rte_rdtsc(), t1;
	unsigned int total = 0, nb = list != NULL ? list->nb_qps : 0;

	*nb_qps = nb;

	for (unsigned int i = 0; i < nb; i++) {
		struct vl_qp *qp = list->qps[i];
		unsigned int n;

		/* Pairs with the control plane's release store of run. */
		if (!__atomic_load_n(&qp->run, __ATOMIC_ACQUIRE))
			continue;
		if (qp->datapath == VL_DATAPATH_DIRECT)
			n = fwd_qp_poll_direct(fl, qp, t0);
		else if (qp->datapath == VL_DATAPATH_MBUF)
			n = fwd_qp_poll_mbuf(fl, qp);
		else
			n = fwd_qp_poll_sink(fl, qp, t0);
		t1 = rte_rdtsc();
		if (n != 0) {
			qp->stats.bursts++;
			qp->stats.burst_hist[vl_stats_burst_bucket(n)]++;
			qp->stats.busy_cycles += t1 - t0;
		} else {
			qp->stats.polls_idle++;
			qp->stats.idle_cycles += t1 - t0;
		}
		t0 = t1;
		total += n;
	}
	/* Nothing of any queue pair is held past this point: the control plane may proceed. */
	rte_rcu_qsbr_quiescent(vl_dev_qsv, fl->lcore);
	return total;
}

unsigned int
vl_fwd_poll_once(struct vl_fwd_lcore *fl)
{
	unsigned int nb;

	return fwd_pass(fl, &nb);
}

/* ---- queue-pair lists ---------------------------------------------------------------------- */

static pthread_mutex_t fwd_list_lock = PTHREAD_MUTEX_INITIALIZER;

/* A copy of old with qp added (add) or removed (!add); NULL when out of memory. */
static struct vl_fwd_qp_list *
fwd_list_with(const struct vl_fwd_qp_list *old, struct vl_qp *qp, bool add)
{
	unsigned int nb = old != NULL ? old->nb_qps : 0, k = 0;
	struct vl_fwd_qp_list *l = malloc(sizeof(*l) + sizeof(l->qps[0]) * (nb + 1));

	if (l == NULL)
		return NULL;
	for (unsigned int i = 0; i < nb; i++)
		if (add || old->qps[i] != qp)
			l->qps[k++] = old->qps[i];
	if (add)
		l->qps[k++] = qp;
	l->nb_qps = k;
	return l;
}

int
vl_fwd_lcore_add(struct vl_fwd_lcore *fl, struct vl_qp *qp)
{
	struct vl_fwd_qp_list *l;

	pthread_mutex_lock(&fwd_list_lock);
	l = fwd_list_with(fl->list, qp, true);
	if (l != NULL) {
		free(fl->list);
		fl->list = l;
	}
	pthread_mutex_unlock(&fwd_list_lock);
	return l != NULL ? 0 : -ENOMEM;
}

int
vl_fwd_move(struct vl_qp *qp, struct vl_fwd_lcore *from, struct vl_fwd_lcore *to)
{
	struct vl_fwd_qp_list *old_from, *old_to, *new_from, *new_to;

	if (from == to)
		return 0;
	pthread_mutex_lock(&fwd_list_lock);
	new_from = fwd_list_with(from->list, qp, false);
	new_to = fwd_list_with(to->list, qp, true);
	if (new_from == NULL || new_to == NULL) {
		pthread_mutex_unlock(&fwd_list_lock);
		free(new_from);
		free(new_to);
		return -ENOMEM;
	}
	old_from = from->list;
	old_to = to->list;
	__atomic_store_n(&from->list, new_from, __ATOMIC_RELEASE);
	__atomic_store_n(&to->list, new_to, __ATOMIC_RELEASE);
	/* Every pass that may still walk an old list ends before this returns. */
	rte_rcu_qsbr_synchronize(vl_dev_qsv, RTE_QSBR_THRID_INVALID);
	free(old_from);
	free(old_to);
	qp->lcore = to->lcore;
	pthread_mutex_unlock(&fwd_list_lock);
	return 0;
}

unsigned int
vl_fwd_lcore_nb_qps(const struct vl_fwd_lcore *fl)
{
	const struct vl_fwd_qp_list *l = __atomic_load_n(&fl->list, __ATOMIC_ACQUIRE);

	return l != NULL ? l->nb_qps : 0;
}

void
vl_fwd_lcore_free(struct vl_fwd_lcore *fl)
{
	free(fl->list);
	fl->list = NULL;
}

void
vl_fwd_lcore_online(const struct vl_fwd_lcore *fl)
{
	rte_rcu_qsbr_thread_register(vl_dev_qsv, fl->lcore);
	rte_rcu_qsbr_thread_online(vl_dev_qsv, fl->lcore);
}

void
vl_fwd_lcore_offline(const struct vl_fwd_lcore *fl)
{
	rte_rcu_qsbr_thread_offline(vl_dev_qsv, fl->lcore);
	rte_rcu_qsbr_thread_unregister(vl_dev_qsv, fl->lcore);
}

int
vl_fwd_lcore_main(void *arg)
{
	struct vl_fwd_lcore *fl = arg;

	VL_LOG_MOD(fwd, INFO, "lcore %u polls %u queue pair(s)", fl->lcore,
		   vl_fwd_lcore_nb_qps(fl));
	vl_fwd_lcore_online(fl);
	while (!fwd_quit) {
		unsigned int nb;

		fwd_pass(fl, &nb);
		/* No pair (yet: a guest's start may move one here): poll the list, not the CPU. */
		if (unlikely(nb == 0))
			usleep(100);
	}
	vl_fwd_lcore_offline(fl);
	return 0;
}
