/* SPDX-License-Identifier: BSD-3-Clause */
/* vl_fwd.c - per-lcore poll loop over the queue pairs the lcore owns. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
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

/* Each sleeping lcore's wake eventfd + 1 (0: none), read by any thread and signal handlers. */
static int fwd_wake_fds[RTE_MAX_LCORE];

void
vl_fwd_wake(unsigned int lcore)
{
	int fd = lcore < RTE_MAX_LCORE ? __atomic_load_n(&fwd_wake_fds[lcore], __ATOMIC_ACQUIRE) - 1
				       : -1;

	if (fd >= 0) {
		uint64_t one = 1;
		ssize_t rc = write(fd, &one, sizeof(one)); /* eventfd_write is not signal-safe */

		(void)rc; /* EAGAIN: the counter is (absurdly) full, so the poller wakes anyway */
	}
}

void
vl_fwd_quit(void)
{
	fwd_quit = 1;
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		vl_fwd_wake(l);
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

/* Signal the guest (true) or count the suppressed call. */
static inline void
fwd_call(struct vl_qp *qp, const struct vl_qp_irq *irq, bool call)
{
	if (call && irq->callfd >= 0) {
		/* The call fd is re-read on every start; SET_VRING_CALL stops us first. */
		eventfd_write(irq->callfd, 1);
		qp->stats.calls++;
	} else {
		qp->stats.calls_suppressed++;
	}
}

/* The fenced look a lazy "no call" is owed (either ring layout), kept out of the burst's code. */
static void __attribute__((noinline))
fwd_irq_settle(struct vl_qp *qp, struct vl_vring *vq, const struct vl_qp_irq *irq)
{
	vl_qp_call_settle(qp, vq, irq);
}

/* A queue pair that broke: settle what its last decisions owe the guest. */
static void __attribute__((noinline, cold)) fwd_qp_settle(struct vl_qp *qp)
{
	if (vl_vring_call_owed(&qp->rx))
		fwd_irq_settle(qp, &qp->rx, &qp->irq_rx);
	if (vl_vring_call_owed(&qp->tx))
		fwd_irq_settle(qp, &qp->tx, &qp->irq_tx);
}

/*
 * Interrupt decision for one vring after a burst that published nb_new used entries. Without
 * coalescing: once per burst, without the fence (vl_vring_need_call_lazy, packed rings
 * vl_vring_packed_need_call_lazy); a "no call" that is owed its fenced look gets it at the first
 * poll that publishes nothing on this vring (usually the next one), or from the lazy decision
 * itself after a few in a row. With coalescing (fenced decisions, either layout): when enough
 * frames are pending, when the oldest has waited long enough, or - only without a time limit -
 * when the queue went idle (the guest is waiting for what we hold). A real guest posts frames
 * slower than we poll, so nearly every poll after a frame is idle: with a time limit the idle
 * flush would undo the coalescing.
 */
static inline void
fwd_irq(const struct vl_fwd_lcore *fl, struct vl_qp *qp, struct vl_vring *vq, struct vl_qp_irq *irq,
	uint32_t nb_new, bool idle, uint64_t now)
{
	bool coalesce = (fl->irq_coalesce_frames | fl->irq_coalesce_cycles) != 0;

	if (nb_new != 0) {
		if (irq->pending == 0)
			irq->pending_tsc = now;
		irq->pending += nb_new;
	}
	if (irq->pending == 0) {
		if (unlikely(vl_vring_call_owed(vq)))
			fwd_irq_settle(qp, vq, irq);
		return;
	}
	if (coalesce && !(idle && fl->irq_coalesce_cycles == 0) &&
	    !(fl->irq_coalesce_frames != 0 && irq->pending >= fl->irq_coalesce_frames) &&
	    !(fl->irq_coalesce_cycles != 0 && now - irq->pending_tsc >= fl->irq_coalesce_cycles))
		return;
	irq->pending = 0;
	if (coalesce) /* rare decisions: fenced, nothing owed */
		fwd_call(qp, irq,
			 vq->packed ? vl_vring_packed_need_call(vq, &qp->opts)
				    : vl_vring_need_call(vq, &qp->opts));
	else if (vq->packed)
		fwd_call(qp, irq, vl_vring_packed_need_call_lazy(vq, &qp->opts));
	else
		fwd_call(qp, irq, vl_vring_need_call_lazy(vq, &qp->opts));
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

/* Frames moved; *busy set when the poll did work for frames, even if it moved none. */
static inline unsigned int
fwd_qp_poll_direct(struct vl_fwd_lcore *fl, struct vl_qp *qp, uint64_t now, bool *busy)
{
	struct vl_vring_burst res; /* vl_vring_loop_burst overwrites it */
	unsigned int n;

	if (unlikely((qp->tx.fault | qp->rx.fault) != VL_VRING_FAULT_NONE)) {
		if (unlikely(vl_vring_call_owed(&qp->rx) || vl_vring_call_owed(&qp->tx)))
			fwd_qp_settle(qp);
		return 0;
	}
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
	/* A wait moves nothing (n == 0); a timeout usually moves frames, not always (a fault). A
	 * wait that warmed the pending TX frames did their work: busy. */
	*busy = n != 0 || res.rx_lag == VL_VRING_RX_LAG_WARM;
	qp->stats.rx_lag_waits +=
		res.rx_lag == VL_VRING_RX_LAG_WAIT || res.rx_lag == VL_VRING_RX_LAG_WARM;
	qp->stats.rx_lag_timeouts += res.rx_lag == VL_VRING_RX_LAG_TIMEOUT;
	qp->stats.rx_lag_warms += res.rx_lag == VL_VRING_RX_LAG_WARM;
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

	if (unlikely(qp->tx.fault != VL_VRING_FAULT_NONE)) {
		if (unlikely(vl_vring_call_owed(&qp->tx)))
			fwd_qp_settle(qp);
		return 0;
	}
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

/* mbuf datapath, packed rings, dirty log on: mark both descriptor rings (struct vl_qp_ring_log)
 * after the library's used-descriptor writes of this burst. */
static void __attribute__((noinline, cold)) fwd_mbuf_log_rings(struct vl_qp_ring_log *rl)
{
	vl_vring_log_write(&rl->log, rl->ring_gpa[0], rl->ring_bytes[0]);
	vl_vring_log_write(&rl->log, rl->ring_gpa[1], rl->ring_bytes[1]);
}

/* The reference datapath, as testpmd's vhost driver: guest -> mbuf -> guest. */
static inline unsigned int
fwd_qp_poll_mbuf(const struct vl_fwd_lcore *fl, struct vl_qp *qp)
{
	struct rte_mbuf *pkts[VL_BURST_MAX];
	struct vl_qp_ring_log *rl;
	uint16_t nb_rx, nb_tx;
	uint64_t bytes = 0;

	if (unlikely(qp->steer != NULL))
		vl_steer_qp_tick(qp->steer);
	nb_rx = rte_vhost_dequeue_burst(qp->vid, VL_TXQ(qp->idx), qp->pool, pkts, fl->burst);
	if (nb_rx == 0)
		return 0;
	nb_tx = rte_vhost_enqueue_burst(qp->vid, VL_RXQ(qp->idx), pkts, nb_rx);
	/* Pairs with the release store of dev_ring_logs_update: the struct is complete. */
	rl = __atomic_load_n(&qp->ring_log, __ATOMIC_ACQUIRE);
	if (unlikely(rl != NULL))
		fwd_mbuf_log_rings(rl);
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

/*
 * One pass; *nb_qps = the pairs on the list it walked (read before the quiescent report).
 *
 * The poll clock. A poll that moved frames, or did work for frames without moving them yet (split
 * rings' TX warm-up while the burst waits for the guest's RX refill: VL_VRING_RX_LAG_WARM), counts
 * as busy the TSC cycles from a read right before it to one right after it. Every other cycle while
 * the lcore polls is idle, read at the start of each poll: an idle poll's cycles run to the start
 * of the next poll, the time after a busy poll until the next poll starts is idle too. So while an
 * lcore polls, its pairs' busy + idle cycles are all of its time, at one TSC read per idle poll
 * (two per busy one). The running idle interval (since fl->idle_tsc) belongs to the pair polled
 * last in this pass; across passes it goes to the pass's first pair, which is the same pair on an
 * lcore with one; with several, the pass ends by closing its last pair's interval. Not polling
 * restarts the clock (fl->idle_tsc = 0, uncounted): a pass with no pair to poll, a sleep, the main
 * lcore's housekeeping (vl_fwd_lcore_clock_restart).
 */
static inline unsigned int
fwd_pass(struct vl_fwd_lcore *fl, unsigned int *nb_qps)
{
	/* Pairs with the release store of vl_fwd_move: the list's contents are visible. */
	const struct vl_fwd_qp_list *list = __atomic_load_n(&fl->list, __ATOMIC_ACQUIRE);
	unsigned int total = 0, nb_polled = 0, nb = list != NULL ? list->nb_qps : 0;
	struct vl_qp *last = NULL; /* polled before in this pass: the running interval's owner */

	*nb_qps = nb;

	for (unsigned int i = 0; i < nb; i++) {
		struct vl_qp *qp = list->qps[i];
		uint64_t t0, t1;
		bool busy = false;
		unsigned int n;

		/* Pairs with the control plane's release store of run. */
		if (!__atomic_load_n(&qp->run, __ATOMIC_ACQUIRE))
			continue; /* what its last decisions owe: dev_qps_stop settles it */
		t0 = rte_rdtsc();
		if (likely(fl->idle_tsc != 0))
			(last != NULL ? last : qp)->stats.idle_cycles += t0 - fl->idle_tsc;
		if (qp->datapath == VL_DATAPATH_DIRECT) {
			n = fwd_qp_poll_direct(fl, qp, t0, &busy);
		} else {
			if (qp->datapath == VL_DATAPATH_MBUF)
				n = fwd_qp_poll_mbuf(fl, qp);
			else
				n = fwd_qp_poll_sink(fl, qp, t0);
			busy = n != 0;
		}
		if (busy) {
			t1 = rte_rdtsc();
			qp->stats.busy_cycles += t1 - t0;
			fl->idle_tsc = t1;
			if (n != 0) {
				if (unlikely(qp->wake_tsc != 0)) { /* first frames since a sleep */
					uint64_t lat = t1 - qp->wake_tsc;

					qp->wake_tsc = 0;
					qp->stats.idle_wakeups++;
					qp->stats.wakeup_latency_cycles += lat;
					if (lat > qp->stats.wakeup_latency_max_cycles)
						qp->stats.wakeup_latency_max_cycles = lat;
				}
				qp->stats.bursts++;
				qp->stats.burst_hist[vl_stats_burst_bucket(n)]++;
			}
		} else {
			fl->idle_tsc = t0;
		}
		if (n == 0)
			qp->stats.polls_idle++;
		last = qp;
		nb_polled++;
		total += n;
	}
	if (nb_polled == 0) {
		fl->idle_tsc = 0; /* nothing polled: what follows is no poll's */
	} else if (nb_polled > 1) {
		/* The next pass may start with another pair: the last one's interval ends here. */
		uint64_t t = rte_rdtsc();

		last->stats.idle_cycles += t - fl->idle_tsc;
		fl->idle_tsc = t;
	}
	/* Nothing of any queue pair is held past this point: the control plane may proceed. */
	rte_rcu_qsbr_quiescent(vl_dev_qsv, fl->lcore);
	return total;
}

/* ---- idle sleep ------------------------------------------------------------------------------ */

#define FWD_SLEEP_MAX_QPS 256 /* an lcore with more running pairs keeps polling */

static inline bool
fwd_in_list(const struct vl_fwd_qp_list *list, const struct vl_qp *qp)
{
	for (unsigned int i = 0; list != NULL && i < list->nb_qps; i++)
		if (list->qps[i] == qp)
			return true;
	return false;
}

/* Read an fd epoll said is readable (an eventfd: its counter; nothing blocks). */
static inline void
fwd_drain(int fd)
{
	uint64_t v;
	ssize_t rc = read(fd, &v, sizeof(v));

	(void)rc;
}

/*
 * One idle sleep, online on entry and on return. The order matters:
 * 1. drain our wake fd first, then read the list and the run flags: a control-plane change
 *    made before a wake we consumed is seen below, one made after leaves the fd readable;
 * 2. take the pairs' new kick fds (lib/dev hands a dup over on every start), register them;
 *    a running pair without a kick fd, with a coalesced interrupt pending, or on the mbuf
 *    datapath means no sleep;
 * 3. consume old kicks (readable now), enable kicks, fence, look at each TX ring once more;
 * 4. offline (grace periods do not wait for us), epoll_wait, online;
 * 5. suppress kicks again on the pairs still ours and running (their rings are mapped: a stop
 *    waits a grace period before anything is unmapped), and time their first frames.
 * Returns true when it slept.
 */
static bool
fwd_sleep(struct vl_fwd_lcore *fl)
{
	struct vl_qp *armed[FWD_SLEEP_MAX_QPS];
	struct epoll_event ev = {.events = EPOLLIN}, evs[16];
	const struct vl_fwd_qp_list *list, *now_list;
	unsigned int nb_armed = 0, nb;
	bool ok = true, slept = false;
	uint64_t wake;
	int ep, n;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return false;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fl->wake_fd, &ev) != 0)
		goto out;
	fwd_drain(fl->wake_fd); /* ours, non-blocking */

	list = __atomic_load_n(&fl->list, __ATOMIC_ACQUIRE);
	nb = list != NULL ? list->nb_qps : 0;
	for (unsigned int i = 0; i < nb && ok; i++) {
		struct vl_qp *qp = list->qps[i];
		int kick;

		if (!__atomic_load_n(&qp->run, __ATOMIC_ACQUIRE))
			continue; /* a start wakes us */
		if (qp->datapath == VL_DATAPATH_MBUF || nb_armed == FWD_SLEEP_MAX_QPS) {
			ok = false;
			break;
		}
		kick = __atomic_exchange_n(&qp->kick_next, VL_QP_KICK_NONE, __ATOMIC_ACQ_REL);
		if (kick != VL_QP_KICK_NONE) {
			if (qp->kick_fd >= 0)
				close(qp->kick_fd);
			qp->kick_fd = kick;
		}
		if ((qp->tx.fault | qp->rx.fault) != VL_VRING_FAULT_NONE)
			continue; /* skipped until the guest resets it, which restarts it: a wake */
		ev.data.ptr = qp;
		/* While the frontend logs dirty pages (migration) we write no unlogged kick flags:
		 * keep polling. */
		if (qp->kick_fd < 0 || (qp->irq_rx.pending | qp->irq_tx.pending) != 0 ||
		    vl_vring_call_owed(&qp->rx) || vl_vring_call_owed(&qp->tx) ||
		    qp->tx.log != NULL || epoll_ctl(ep, EPOLL_CTL_ADD, qp->kick_fd, &ev) != 0) {
			ok = false;
			break;
		}
		armed[nb_armed++] = qp;
	}
	if (!ok)
		goto out;

	/* Kicks from before this sleep (or a wake that came since we drained it). */
	for (int round = 0; round < 4; round++) {
		n = epoll_wait(ep, evs, VL_ARRAY_SIZE(evs), 0);
		for (int e = 0; e < n; e++) {
			if (evs[e].data.ptr == NULL)
				ok = false; /* the control plane changed something: look again */
			else
				fwd_drain(((struct vl_qp *)evs[e].data.ptr)->kick_fd);
		}
		if (n < (int)VL_ARRAY_SIZE(evs))
			break;
	}
	for (unsigned int i = 0; i < nb_armed; i++) {
		struct vl_qp *qp = armed[i];

		qp->wake_tsc = 0; /* a wake-up that looped nothing is not a sample */
		if (qp->tx.packed ? vl_vring_packed_enable_kicks(&qp->tx, &qp->opts)
				  : vl_vring_enable_kicks(&qp->tx, &qp->opts))
			ok = false; /* a frame came while we armed: poll it */
	}
	if (ok && !fwd_quit && __atomic_load_n(&fl->list, __ATOMIC_ACQUIRE) == list) {
		for (unsigned int i = 0; i < nb_armed; i++)
			armed[i]->stats.idle_sleeps++;
		rte_rcu_qsbr_thread_offline(vl_dev_qsv, fl->lcore);
		n = epoll_wait(ep, evs, VL_ARRAY_SIZE(evs), fl->sleep_timeout_ms);
		rte_rcu_qsbr_thread_online(vl_dev_qsv, fl->lcore);
		slept = true;
		(void)n; /* whatever woke us, the next pass looks at every pair */
	}
	wake = rte_rdtsc();
	now_list = __atomic_load_n(&fl->list, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < nb_armed; i++) {
		struct vl_qp *qp = armed[i];

		/* Moved away while we slept: its new owner suppresses kicks at its start. */
		if (now_list != list && !fwd_in_list(now_list, qp))
			continue;
		if (!__atomic_load_n(&qp->run, __ATOMIC_ACQUIRE))
			continue; /* stopped: the restart snapshot suppresses kicks */
		if (qp->tx.packed)
			vl_vring_packed_suppress_kicks(&qp->tx, &qp->opts);
		else
			vl_vring_suppress_kicks(&qp->tx, &qp->opts);
		if (slept)
			qp->wake_tsc = wake;
	}
out:
	close(ep);
	return slept;
}

/* After a pass that moved n frames: sleep once every pair has been idle long enough. */
static inline void
fwd_idle(struct vl_fwd_lcore *fl, unsigned int n)
{
	uint64_t now = rte_rdtsc();

	fl->slept = false;
	if (n != 0) {
		fl->last_busy_tsc = now;
		return;
	}
	if (now - fl->last_busy_tsc < fl->idle_sleep_cycles)
		return;
	fl->slept = fwd_sleep(fl);
	/* Slept or not (a frame came, a pair cannot sleep): idle time starts again, and the poll
	 * clock with it (the sleep, or the look before it, is no poll's). */
	fl->last_busy_tsc = rte_rdtsc();
	fl->idle_tsc = fl->last_busy_tsc;
}

int
vl_fwd_lcore_sleep_init(struct vl_fwd_lcore *fl, uint32_t idle_sleep_us, int timeout_ms)
{
	int fd;

	fl->wake_fd = -1;
	fl->idle_sleep_cycles = 0;
	if (idle_sleep_us == 0)
		return 0;
	if (fl->lcore >= RTE_MAX_LCORE)
		return -EINVAL;
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	fl->wake_fd = fd;
	fl->sleep_timeout_ms = timeout_ms;
	/* At least one cycle: 0 means off. */
	fl->idle_sleep_cycles = (uint64_t)idle_sleep_us * rte_get_tsc_hz() / 1000000 + 1;
	fl->last_busy_tsc = rte_rdtsc();
	__atomic_store_n(&fwd_wake_fds[fl->lcore], fd + 1, __ATOMIC_RELEASE);
	return 0;
}

unsigned int
vl_fwd_poll_once(struct vl_fwd_lcore *fl)
{
	unsigned int nb, n;

	n = fwd_pass(fl, &nb);
	if (fl->idle_sleep_cycles != 0)
		fwd_idle(fl, n);
	return n;
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
	/* A sleeping poller plans its next sleep with its new list. */
	vl_fwd_wake(from->lcore);
	vl_fwd_wake(to->lcore);
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
	if (fl->wake_fd >= 0) {
		if (fl->lcore < RTE_MAX_LCORE)
			__atomic_store_n(&fwd_wake_fds[fl->lcore], 0, __ATOMIC_RELEASE);
		close(fl->wake_fd);
		fl->wake_fd = -1;
	}
}

void
vl_fwd_lcore_clock_restart(struct vl_fwd_lcore *fl)
{
	fl->idle_tsc = 0;
}

void
vl_fwd_lcore_online(struct vl_fwd_lcore *fl)
{
	vl_fwd_lcore_clock_restart(fl);
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
		unsigned int nb, n;

		n = fwd_pass(fl, &nb);
		if (fl->idle_sleep_cycles != 0)
			fwd_idle(fl, n);
		/* No pair (yet: a guest's start may move one here): poll the list, not the CPU. */
		else if (unlikely(nb == 0))
			usleep(100);
	}
	vl_fwd_lcore_offline(fl);
	return 0;
}
