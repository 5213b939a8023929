/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_dev.h - one vhost-user socket per interface, the device behind it, and the hand-off of its
 * queue pairs to the polling lcores.
 *
 * Threads: librte_vhost's vhost-events thread runs the callbacks in vl_dev.c (the control plane);
 * the owning lcore of each queue pair polls it (lib/fwd). The control plane stops a queue pair by
 * clearing qp->run and, where it may wait, one RCU grace period (every polling lcore reports a
 * quiescent state once per loop); only then does it touch the rings, indices or memory table.
 * docs/CONTROL-PLANE.md says why each message stops what it stops.
 */
#ifndef VL_DEV_H
#define VL_DEV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "vl_config.h"
#include "vl_stats.h"
#include "vl_vring.h"

struct vl_dev;
struct vl_steer_qp;

/* Why a queue pair is not polled, for the stats table and telemetry. */
enum vl_qp_state {
	VL_QP_IDLE,    /* no guest, or the guest has not enabled both vrings */
	VL_QP_RUNNING, /* polled */
	VL_QP_FAILED,  /* could not be started (bad ring size, memory table) */
};

/* Per-vring interrupt state, owned by the polling lcore. */
struct vl_qp_irq {
	int callfd;	      /* the guest's call eventfd, -1 if none; re-read on every start */
	uint32_t pending;     /* frames published since the last call decision (coalescing) */
	uint64_t pending_tsc; /* when the first of them was published */
};

/* One queue pair: guest TX vring 2i+1 -> guest RX vring 2i. */
/*
 * The mbuf datapath on packed rings while the frontend logs dirty pages: librte_vhost 22.11
 * marks its used-descriptor writes at the vring's log address plus the descriptor's offset, but
 * QEMU gives a packed vring's device event area as that address, so the descriptor ring's pages
 * are never marked (docs/MIGRATION.md). The owner marks both descriptor rings after every burst
 * that moved frames, in the engine's own mapping of the log. Built by the control plane,
 * immutable once published, freed only after a grace period once the guest stops.
 */
struct vl_qp_ring_log {
	struct vl_vring_log log; /* bitmap: our own mapping of the frontend's log */
	uint64_t ring_gpa[2];	 /* descriptor rings: [0] RX vring 2i, [1] TX vring 2i+1 */
	uint64_t ring_bytes[2];
	/* Control plane: the retired list, and the grace period each must see end. */
	struct vl_qp_ring_log *retired_next;
	uint64_t retired_token;
};

struct vl_qp {
	/* Control plane -> datapath. 1 = poll it. Set (release) after every field below is ready;
	 * cleared before any of them changes, followed by a grace period. */
	uint32_t run;

	/* Fixed at attach. */
	struct vl_dev *dev;
	uint16_t idx;
	unsigned int lcore;
	enum vl_datapath datapath;
	struct vl_steer_qp *steer; /* steering audit of this pair, NULL = off (set before launch) */

	/* Written by the control plane while run == 0, read by the owner while run == 1. */
	int vid;
	struct vl_vring_opts opts;
	const struct vl_mem *mem;
	struct rte_mempool *pool; /* mbuf datapath */

	/* Owned by the polling lcore while run == 1 (the control plane reads the indices only
	 * after a grace period). */
	struct vl_vring tx;
	struct vl_vring rx;
	struct vl_qp_irq irq_tx;
	struct vl_qp_irq irq_rx;

	/* Dirty-page log contexts (live migration), attached to rx/tx while the frontend logs.
	 * Written by the control plane while run == 0. */
	struct vl_vring_log log_rx;
	struct vl_vring_log log_tx;
	/* mbuf datapath, packed rings, logging on: NULL or what to mark after each burst.
	 * Published with a release store while the pair runs (the library's vring locks, which
	 * the control plane holds in its message handlers, forbid waiting for an mbuf poller). */
	struct vl_qp_ring_log *ring_log;
	/*
	 * Idle sleep (--idle-sleep-us, direct and sink datapaths). The guest's TX kick eventfd is
	 * handed to the owner as our own duplicate, so that neither librte_vhost closing its fd
	 * (SET_VRING_KICK, disconnect) nor a reused fd number can reach a sleeping poller. The
	 * control plane dups the library's fd on every start and swaps it into kick_next; the
	 * owner swaps it out (VL_QP_KICK_NONE left behind) and closes its previous one. -1 in
	 * kick_next: the vring has no kick fd now (the owner must not sleep on this pair).
	 */
	int kick_next;	   /* atomic exchange only; VL_QP_KICK_NONE = nothing new */
	int kick_fd;	   /* owner: the dup it sleeps on, -1 none */
	uint64_t wake_tsc; /* owner: when it woke with this pair armed, 0 = no sample pending */

	/* Control plane only. */
	bool vring_enabled[2];	  /* [0] RX vring 2i, [1] TX vring 2i+1 */
	bool vring_log[2];	  /* the vring's VHOST_VRING_F_LOG flag (last SET_VRING_ADDR) */
	uint64_t log_faults_said; /* dirty_log_faults already reported in the log */
	enum vl_qp_state state;

	/* Control plane (probe and plan); read by stats and telemetry. */
	struct vl_stats_numa numa;
	bool numa_said; /* the "cannot honour" line was logged for this pair */
	int alloc_node; /* node this struct was allocated on, -1: plain heap */

	/* One writer: the owning lcore. */
	struct vl_qp_stats stats;
} __attribute__((aligned(64)));

#define VL_QP_KICK_NONE (-2)

/*
 * The fenced look a vring's lazy "no call" is owed (vl_vring_need_call_lazy, packed rings
 * vl_vring_packed_need_call_lazy; vl_vring_call_settle takes either layout), and the call it
 * finds. One that finds no call counts nothing: the lazy decision counted it as suppressed.
 * The owner takes it while the pair runs; the control plane once the pair has stopped (the
 * grace period is over and the call fds stay open until it is done).
 */
static inline void
vl_qp_call_settle(struct vl_qp *qp, struct vl_vring *vq, const struct vl_qp_irq *irq)
{
	if (vl_vring_call_settle(vq, &qp->opts) && irq->callfd >= 0) {
		eventfd_write(irq->callfd, 1);
		qp->stats.calls++;
	}
}

/*
 * Wake the (maybe sleeping) poller of lcore: the control plane calls it after starting or
 * stopping a queue pair (lib/fwd's vl_fwd_wake; lib/dev cannot depend on lib/fwd).
 */
typedef void (*vl_dev_wake_fn)(unsigned int lcore);
void vl_dev_set_wake_hook(vl_dev_wake_fn fn);

/*
 * Called from new_device (the vhost-events thread, dev locked, no vring lock held) once the
 * guest's rings are known and probed, before any of dev's queue pairs starts: every pair of dev
 * is stopped, so the hook may give them other owners (vl_fwd_move) and update qp->numa.
 */
typedef void (*vl_dev_plan_fn)(struct vl_dev *dev, void *ctx);
void vl_dev_set_plan_hook(vl_dev_plan_fn fn, void *ctx);

/*
 * Probe again where each queue pair's rings and a sample of its buffers live (off the datapath:
 * the main lcore's housekeeping). Only when the guest runs and no ring or memory message is in
 * progress; skips (returns -EBUSY) instead of waiting when the device is busy.
 */
int vl_dev_numa_refresh(struct vl_dev *dev);

/* The CPU an lcore runs on: the first of its cpuset (rte_lcore_to_cpu_id gives the sysfs core id,
 * which is not the CPU number with --lcores or on SMT machines). -1 if it has none. */
int vl_dev_lcore_cpu(unsigned int lcore);

/* RCU variable every polling lcore reports to; created by vl_dev_init. */
extern struct rte_rcu_qsbr *vl_dev_qsv;

/* Process-wide setup before any attach: RCU for up to RTE_MAX_LCORE pollers. 0 or -ENOMEM. */
int vl_dev_init(void);
void vl_dev_fini(void);

/*
 * Register the interface's socket (server: create/listen, a stale socket file from a dead engine
 * is replaced; client: connect and reconnect), trim the offered features, install the callbacks.
 * lcore_of_qp[q] is the owner of queue pair q, node_of_qp[q] the node of its CPU (the pair's
 * state and counters are allocated there, -1: anywhere); pool is for the mbuf datapath (NULL
 * otherwise). Returns 0, -EINVAL (bad path: missing directory, in use by a live listener, not a
 * socket), or -EIO with the reason logged.
 */
int vl_dev_attach(struct vl_dev **devp, const struct vl_iface_config *iface,
		  const struct vl_config *cfg, const unsigned int *lcore_of_qp,
		  const int *node_of_qp, struct rte_mempool *pool);

/* Unregister the socket (removes it in server mode) after stopping every queue pair. */
void vl_dev_detach(struct vl_dev *dev);

/* Queue pairs of dev (effective count, after the librte_vhost cap). */
uint16_t vl_dev_nb_qps(const struct vl_dev *dev);
struct vl_qp *vl_dev_qp(struct vl_dev *dev, uint16_t idx);
const char *vl_dev_name(const struct vl_dev *dev);

/* State name of a queue pair (for vl_stats_qp_desc.state): "idle", "running", "failed",
 * or "broken: <reason>" when the datapath found hostile ring contents (tx/rx.fault). */
const char *vl_dev_qp_state_name(const void *qp);

#endif /* VL_DEV_H */
