/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl_fwd.h - the per-lcore poll loop: for each queue pair the lcore owns, guest TX vring 2i+1 ->
 * guest RX vring 2i, with the direct (one copy) or the mbuf (librte_vhost burst) datapath.
 * The lcore alone writes the queue pairs' ring state and counters; it reports an RCU quiescent
 * state once per pass so that the control plane (lib/dev) can stop a queue pair and wait.
 */
#ifndef VL_FWD_H
#define VL_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "vl_dev.h"

#define VL_FWD_MAX_QPS_PER_LCORE 1024

/* What one polling lcore does. Filled by the app before launch, read-only afterwards. */
struct vl_fwd_lcore {
	unsigned int lcore;
	unsigned int nb_qps;
	struct vl_qp *qps[VL_FWD_MAX_QPS_PER_LCORE];
	uint16_t burst;		      /* frames per poll */
	uint32_t irq_coalesce_frames; /* 0 = decide every burst */
	uint64_t irq_coalesce_cycles; /* 0 = no time bound */
};

/* Worker entry point for rte_eal_remote_launch(vl_fwd_lcore_main, fl, fl->lcore). */
int vl_fwd_lcore_main(void *fl);

/* One pass over fl's queue pairs plus the quiescent report; returns frames moved. For a main
 * lcore that polls itself between housekeeping (register it with vl_fwd_lcore_online first). */
unsigned int vl_fwd_poll_once(struct vl_fwd_lcore *fl);
void vl_fwd_lcore_online(const struct vl_fwd_lcore *fl);
void vl_fwd_lcore_offline(const struct vl_fwd_lcore *fl);

/* Ask every polling lcore to return. Async-signal-safe. */
void vl_fwd_quit(void);
bool vl_fwd_quitting(void);

#endif /* VL_FWD_H */
